/*
 * admin: parleyd's administration socket and the command line that talks to it.
 *
 * The running parleyd listens on a UNIX stream socket (admin_socket, by default DATA_DIR/
 * admin.sock, mode 0600, and a peer must run as parleyd's user or root). The protocol is text, one
 * command per connection: the client sends one line ("kick alice spamming"), parleyd answers
 * with lines of output and then one last line, "OK" or "ERROR <a sentence saying what to do>",
 * and closes. `parleyd admin COMMAND ...` is that client.
 *
 * Every change goes through the store thread like any other write, and is done (durable) before
 * "OK": bans survive a restart, a reset password is the one on disk.
 */
#ifndef PL_ADMIN_H
#define PL_ADMIN_H

#include <stddef.h>

struct pl_server;
struct pl_config;
struct pl_admin;

/* Binds the socket (replacing a stale one: the data directory's lock is held) and serves it on
 * srv's loop. Returns 0 or -errno with a sentence in err. */
int pl_admin_alloc(struct pl_admin **ap, struct pl_server *srv, char *err, size_t errsz);
/* Closes the socket and removes its file; commands still running get no answer. */
void pl_admin_free(struct pl_admin *a);

/* The socket's path for cfg: admin_socket, or DATA_DIR/admin.sock. 0, or -ENAMETOOLONG with a
 * sentence in err (a UNIX socket's path has at most 107 bytes). */
int pl_admin_socket_path(const struct pl_config *cfg, char *out, size_t sz, char *err, size_t errsz);

/* `parleyd admin [--data-dir DIR | --socket PATH | --config FILE] COMMAND [ARG ...]`: argv[0] is
 * "admin". Returns the exit status: 0 when parleyd answered OK, 1 on an error, 2 for bad usage. */
int pl_admin_main(int argc, char **argv);
/* Prints the commands and what each does (from the same table parleyd dispatches on). */
void pl_admin_usage(void);

#endif
