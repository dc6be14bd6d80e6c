/*
 * config: parleyd's settings, their documented defaults, and the command line that sets them.
 * The one struct is passed to the server; nothing reads settings from a global.
 */
#ifndef PL_CONFIG_H
#define PL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/names.h"

#define PL_DEFAULT_PORT 7787

struct pl_config {
	char listen[256];           /* "" = every interface, IPv6 and IPv4 */
	uint16_t port;              /* TLS signalling (TCP); 0 = pick a free one */
	uint16_t udp_port;          /* voice (UDP); 0 = pick a free one */
	char data_dir[2048];        /* database, certificate, key */
	char server_name[PL_SERVER_NAME_MAX + 1];
	unsigned max_connections;   /* in all */
	unsigned max_frame;         /* bytes, largest signalling frame accepted */
	unsigned ping_interval_ms;  /* between a PONG and the next PING */
	unsigned ping_timeout_ms;   /* to answer a PING before the connection is dropped */
	unsigned login_timeout_ms;  /* from connect to a successful login */
	bool verbose;
};

void pl_config_defaults(struct pl_config *c);
/* Parses argv over the defaults. Returns 0 to run, 1 when --help or --version printed and the
 * program should exit 0, -EINVAL with a sentence in err. */
int pl_config_args(struct pl_config *c, int argc, char **argv, char *err, size_t errsz);

#endif
