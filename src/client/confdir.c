#include "client/confdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

void pl_confdir_path(char *path, size_t sz, const char *file)
{
	const char *ph = getenv("PARLEY_HOME"), *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	if (ph && *ph)
		snprintf(path, sz, "%s/%s", ph, file);
	else if (xdg && *xdg)
		snprintf(path, sz, "%s/parley/%s", xdg, file);
	else
		snprintf(path, sz, "%s/.config/parley/%s", home && *home ? home : ".", file);
}

void pl_confdir_mkdirs(const char *path)
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
