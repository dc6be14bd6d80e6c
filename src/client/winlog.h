/*
 * winlog: every window's lines appended to a file of its own in a directory the person chose
 * (--log-dir), as irssi's autolog does: "#tea.log", "bob.log", "status.log", each line with its
 * date and time. Names come from the server, so a file name is made from a window's name with
 * only [a-z0-9#._-] kept (others become '_', a leading '.' too): nothing escapes the directory.
 */
#ifndef PL_WINLOG_H
#define PL_WINLOG_H

#include <stddef.h>
#include <time.h>

/* The file name (no directory) of a window's log: "" (the status window) is "status.log". */
void pl_winlog_name(const char *window, char *out, size_t sz);
/* Makes the directory (mode 0700) if it is not there and checks it can be written: 0, or -errno
 * with a sentence in err. */
int pl_winlog_open_dir(const char *dir, char *err, size_t errsz);
/* Appends "YYYY-MM-DD HH:MM:SS line" to the window's file; a failure is silent (logging must never
 * stop the chat; pl_winlog_open_dir said whether it works). */
void pl_winlog_write(const char *dir, const char *window, const char *line, time_t now);

#endif
