/* winlog: see winlog.h. */
#include "client/winlog.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void pl_winlog_name(const char *window, char *out, size_t sz)
{
	const char *w = window && *window ? window : "status";
	size_t n = 0;
	for (; *w && n + 5 < sz; w++) {
		char c = *w;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '#' || c == '_' || c == '-' ||
			  (c == '.' && n > 0);
		out[n++] = ok ? c : '_';
	}
	snprintf(out + n, sz - n, ".log");
}

int pl_winlog_open_dir(const char *dir, char *err, size_t errsz)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		int e = errno;
		snprintf(err, errsz, "Cannot make the log directory %s (%s); make it, or choose another with --log-dir.",
			 dir, strerror(e));
		return -e;
	}
	if (access(dir, W_OK | X_OK) < 0) {
		int e = errno;
		snprintf(err, errsz, "Cannot write in the log directory %s (%s); check its permissions.", dir,
			 strerror(e));
		return -e;
	}
	return 0;
}

void pl_winlog_write(const char *dir, const char *window, const char *line, time_t now)
{
	char name[128], path[1200], when[32];
	pl_winlog_name(window, name, sizeof name);
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
		return;
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
	FILE *f = fopen(path, "a");
	if (!f)
		return;
	fprintf(f, "%s %s\n", when, line);
	fclose(f);
}
