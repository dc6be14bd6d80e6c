#include "net/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The one process-wide setting: a log level is a property of the process, not of a server. */
static enum pl_log_level min_level = PL_LOG_INFO;

static const char *const names[] = {"debug", "info", "notice", "warn", "error"};

void pl_log_set_level(enum pl_log_level min)
{
	min_level = min;
}

int pl_log_level_parse(const char *name)
{
	for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

const char *pl_log_level_name(enum pl_log_level lvl)
{
	return (unsigned)lvl < sizeof names / sizeof names[0] ? names[lvl] : "?";
}

int pl_log_open(const char *path, char *err, size_t errsz)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errsz, "Cannot open the log file %s (%s); check its directory and permissions, or "
			 "leave log_file empty to log to stderr.", path, strerror(e));
		return -e;
	}
	/* dup2 swaps the file under descriptor 2 in one step: a line being written elsewhere goes
	 * wholly to the old file or wholly to the new one. */
	int rc = fd == STDERR_FILENO ? 0 : dup2(fd, STDERR_FILENO) < 0 ? -errno : 0;
	if (fd != STDERR_FILENO)
		close(fd);
	if (rc < 0)
		snprintf(err, errsz, "Cannot send the log to %s (%s).", path, strerror(-rc));
	return rc;
}

void pl_log(enum pl_log_level lvl, const char *fmt, ...)
{
	if (lvl < min_level)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char line[1024];
	int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-6s ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 ts.tv_nsec / 1000000, pl_log_level_name(lvl));
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof line - 1 - (size_t)n, fmt, ap);
	va_end(ap);
	size_t len = strlen(line);
	for (size_t i = (size_t)n; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	line[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}
