#include "client/known_hosts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/confdir.h"

void pl_known_hosts_default(char *path, size_t sz)
{
	pl_confdir_path(path, sz, "known_hosts");
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
	pl_confdir_mkdirs(path);
	f = fopen(path, "a");
	if (!f)
		return -errno;
	fprintf(f, "%s %s\n", server, fp);
	int rc = (fflush(f) == 0 && fsync(fileno(f)) == 0) ? 0 : -EIO;
	fclose(f);
	return rc < 0 ? rc : PL_TRUST_NEW;
}
