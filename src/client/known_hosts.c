#include "client/known_hosts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void pl_known_hosts_default(char *path, size_t sz)
{
	const char *ph = getenv("PARLEY_HOME"), *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	if (ph && *ph)
		snprintf(path, sz, "%s/known_hosts", ph);
	else if (xdg && *xdg)
		snprintf(path, sz, "%s/parley/known_hosts", xdg);
	else
		snprintf(path, sz, "%s/.config/parley/known_hosts", home && *home ? home : ".");
}

static void mkdir_parents(const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0700);
			*p = '/';
		}
	}
}

int pl_known_hosts_check(const char *path, const char *server, const char *fp, char *pinned, size_t pinnedsz)
{
	FILE *f = fopen(path, "r");
	if (!f && errno != ENOENT)
		return -errno;
	if (f) {
		char line[512];
		while (fgets(line, sizeof line, f)) {
			char host[300], hex[100];
			if (line[0] == '#' || sscanf(line, "%299s %99s", host, hex) != 2)
				continue;
			if (strcmp(host, server) != 0)
				continue;
			fclose(f);
			if (strcmp(hex, fp) == 0)
				return PL_TRUST_KNOWN;
			snprintf(pinned, pinnedsz, "%s", hex);
			return PL_TRUST_CHANGED;
		}
		fclose(f);
	}
	mkdir_parents(path);
	f = fopen(path, "a");
	if (!f)
		return -errno;
	fprintf(f, "%s %s\n", server, fp);
	int rc = (fflush(f) == 0 && fsync(fileno(f)) == 0) ? 0 : -EIO;
	fclose(f);
	return rc < 0 ? rc : PL_TRUST_NEW;
}
