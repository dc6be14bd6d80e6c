/*
 * log: one timestamped line per event, for parleyd's operator and the client's debug output. A
 * line is written with one write(2), so lines from several threads never interleave, and the
 * control characters a formatted argument may carry are shown as '?', so an event is always
 * exactly one line. Never called per packet on the voice path.
 *
 * Lines go to stderr; pl_log_open points stderr at a file instead (and, called again, reopens it
 * after logrotate moved it).
 */
#ifndef PL_LOG_H
#define PL_LOG_H

#include <stddef.h>

/* notice: what an operator wants to see on a quiet server (start, stop, reloads, admin actions);
 * info: every login, logout and refusal of a request; debug: more still. */
enum pl_log_level { PL_LOG_DEBUG, PL_LOG_INFO, PL_LOG_NOTICE, PL_LOG_WARN, PL_LOG_ERROR };

void pl_log_set_level(enum pl_log_level min);
/* "debug", "info", "notice", "warn", "error" to a level; -1 for another name. */
int pl_log_level_parse(const char *name);
const char *pl_log_level_name(enum pl_log_level lvl);
/* Opens path for appending (creating it, mode 0600) and makes it the process's stderr, so that
 * every line (and whatever else reaches stderr) goes there; the old file is closed by the swap,
 * atomically for writers on other threads. Returns 0 or -errno with a sentence in err. */
int pl_log_open(const char *path, char *err, size_t errsz);
void pl_log(enum pl_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
