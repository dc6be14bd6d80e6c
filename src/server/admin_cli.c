/* `parleyd admin ...`: the command line side of server/admin.h. It finds the socket (from
 * --socket, or the data directory of --data-dir, --config or the defaults, as parleyd would),
 * sends one line, prints what comes back and exits 0 on "OK", 1 on "ERROR ...". */
#include "server/admin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "core/names.h"
#include "server/config.h"

#define LINE_MAX_BYTES 1024

/* Reads a password from stdin, without echo on a terminal. */
static int read_password(char *buf, size_t sz)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	if (tty) {
		fprintf(stderr, "New password: ");
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	char *got = fgets(buf, (int)sz, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	if (!got)
		return -EIO;
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

static int usage_error(const char *what)
{
	fprintf(stderr, "parleyd admin: %s\nRun parleyd admin --help for the commands.\n", what);
	return 2;
}

int pl_admin_main(int argc, char **argv)
{
	struct pl_config cfg;
	pl_config_defaults(&cfg);
	char err[600], path[sizeof(((struct sockaddr_un *)0)->sun_path)] = "";
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		const char *o = argv[i];
		if (!strcmp(o, "--help")) {
			pl_admin_usage();
			return 0;
		}
		if (i + 1 >= argc)
			return usage_error("an option needs a value.");
		const char *v = argv[++i];
		if (!strcmp(o, "--socket")) {
			if (strlen(v) >= sizeof path)
				return usage_error("the --socket path is too long.");
			snprintf(path, sizeof path, "%s", v);
		} else if (!strcmp(o, "--data-dir")) {
			if (strlen(v) >= sizeof cfg.data_dir)
				return usage_error("the --data-dir path is too long.");
			snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", v);
			cfg.admin_socket[0] = '\0';
		} else if (!strcmp(o, "--config")) {
			if (pl_config_file(&cfg, v, err, sizeof err) < 0) {
				fprintf(stderr, "parleyd admin: %s\n", err);
				return 2;
			}
		} else {
			return usage_error("unknown option; the options are --data-dir, --socket and --config.");
		}
	}
	if (i >= argc) {
		pl_admin_usage();
		return 2;
	}
	if (!path[0] && pl_admin_socket_path(&cfg, path, sizeof path, err, sizeof err) < 0) {
		fprintf(stderr, "parleyd admin: %s\n", err);
		return 2;
	}

	/* The command line: the words joined by spaces; "-" as reset-password's password reads it. */
	char line[LINE_MAX_BYTES + 2], pw[PL_PASSWORD_MAX + 2];
	size_t n = 0;
	for (int k = i; k < argc; k++) {
		const char *w = argv[k];
		if (k == i + 2 && !strcmp(argv[i], "reset-password") && !strcmp(w, "-")) {
			if (read_password(pw, sizeof pw) < 0)
				return usage_error("no password on stdin.");
			w = pw;
		}
		if (strchr(w, '\n') || n + strlen(w) + 1 >= LINE_MAX_BYTES)
			return usage_error("the command is longer than a line.");
		n += (size_t)snprintf(line + n, sizeof line - n, "%s%s", n ? " " : "", w);
	}
	line[n++] = '\n';

	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
		int e = errno;
		if (e == EACCES || e == EPERM)
			fprintf(stderr, "parleyd admin: cannot reach parleyd at %s (%s); run this as the user parleyd "
				"runs as, or as root.\n", path, strerror(e));
		else
			fprintf(stderr, "parleyd admin: cannot reach parleyd at %s (%s); is it running with that data "
				"directory? Give --data-dir, --config or --socket.\n", path, strerror(e));
		if (fd >= 0)
			close(fd);
		memset(line, 0, sizeof line);
		return 1;
	}
	ssize_t w = write(fd, line, n);
	memset(line, 0, sizeof line);
	memset(pw, 0, sizeof pw);
	if (w != (ssize_t)n) {
		fprintf(stderr, "parleyd admin: cannot send the command to %s.\n", path);
		close(fd);
		return 1;
	}

	/* Everything until parleyd closes; its last line says how it went. */
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	ssize_t r;
	while (buf && (r = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)r;
		if (len + 1 == cap) {
			char *b = realloc(buf, cap *= 2);
			if (!b)
				break;
			buf = b;
		}
	}
	close(fd);
	if (!buf) {
		fprintf(stderr, "parleyd admin: out of memory.\n");
		return 1;
	}
	buf[len] = '\0';
	while (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	char *last = strrchr(buf, '\n');
	last = last ? last + 1 : buf;
	int rc;
	if (!strcmp(last, "OK")) {
		fwrite(buf, 1, (size_t)(last - buf), stdout);
		rc = 0;
	} else if (!strncmp(last, "ERROR ", 6)) {
		fwrite(buf, 1, (size_t)(last - buf), stdout);
		fprintf(stderr, "parleyd admin: %s\n", last + 6);
		rc = 1;
	} else {
		fprintf(stderr, "parleyd admin: parleyd closed the connection without an answer%s%s\n",
			len ? "; it said: " : " (it takes commands from its own user and root only, 8 at a time).", buf);
		rc = 1;
	}
	free(buf);
	return rc;
}
