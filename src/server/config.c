#include "server/config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void pl_config_defaults(struct pl_config *c)
{
	memset(c, 0, sizeof *c);
	c->port = PL_DEFAULT_PORT;
	c->udp_port = PL_DEFAULT_PORT;
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	if (xdg && *xdg)
		snprintf(c->data_dir, sizeof c->data_dir, "%s/parleyd", xdg);
	else if (home && *home)
		snprintf(c->data_dir, sizeof c->data_dir, "%s/.local/share/parleyd", home);
	else
		snprintf(c->data_dir, sizeof c->data_dir, "./parleyd-data");
	char host[PL_SERVER_NAME_MAX + 1] = "parleyd";
	gethostname(host, sizeof host - 1);
	host[sizeof host - 1] = '\0';
	snprintf(c->server_name, sizeof c->server_name, "%s", host);
	c->max_connections = 1000;
	c->max_frame = 16384;
	c->ping_interval_ms = 15000;
	c->ping_timeout_ms = 20000;
	c->login_timeout_ms = 30000;
}

static const char usage[] =
	"Usage: parleyd [options]\n"
	"parley's server: TLS signalling, voice relay and accounts in one daemon.\n"
	"\n"
	"  --listen ADDR          address to listen on (default: every interface, IPv6 and IPv4)\n"
	"  --port N               TLS signalling port, TCP (default 7787; 0 picks a free one)\n"
	"  --udp-port N           voice port, UDP (default 7787; 0 picks a free one)\n"
	"  --data-dir DIR         database, certificate and key (default $XDG_DATA_HOME/parleyd,\n"
	"                         else ~/.local/share/parleyd); created if missing\n"
	"  --name NAME            the server name clients see (default: the host name)\n"
	"  --max-connections N    connections in all (default 1000)\n"
	"  --max-frame BYTES      largest signalling frame accepted (default 16384, 8192..65536)\n"
	"  --ping-interval MS     keepalive PING interval (default 15000)\n"
	"  --ping-timeout MS      time to answer a PING before the connection is dropped (default 20000)\n"
	"  --login-timeout MS     time from connect to login (default 30000)\n"
	"  --verbose              log debug lines too\n"
	"  --help, --version\n"
	"\n"
	"On start it prints one line to stdout: 'ready tcp=PORT udp=PORT fingerprint=SHA256'.\n";

static int num(const char *name, const char *s, unsigned long lo, unsigned long hi, unsigned long *out,
	       char *err, size_t errsz)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi || s[0] == '-') {
		snprintf(err, errsz, "--%s needs a whole number from %lu to %lu, not '%s'.", name, lo, hi, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int pl_config_args(struct pl_config *c, int argc, char **argv, char *err, size_t errsz)
{
	enum { O_LISTEN = 256, O_PORT, O_UDP, O_DATA, O_NAME, O_MAXC, O_FRAME, O_PI, O_PT, O_LT, O_VERB, O_HELP, O_VERS };
	static const struct option opts[] = {
		{"listen", required_argument, 0, O_LISTEN}, {"port", required_argument, 0, O_PORT},
		{"udp-port", required_argument, 0, O_UDP}, {"data-dir", required_argument, 0, O_DATA},
		{"name", required_argument, 0, O_NAME}, {"max-connections", required_argument, 0, O_MAXC},
		{"max-frame", required_argument, 0, O_FRAME}, {"ping-interval", required_argument, 0, O_PI},
		{"ping-timeout", required_argument, 0, O_PT}, {"login-timeout", required_argument, 0, O_LT},
		{"verbose", no_argument, 0, O_VERB}, {"help", no_argument, 0, O_HELP},
		{"version", no_argument, 0, O_VERS}, {0, 0, 0, 0},
	};
	bool udp_given = false;
	unsigned long v;
	int o;
	opterr = 0;
	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case O_LISTEN:
			snprintf(c->listen, sizeof c->listen, "%s", optarg);
			break;
		case O_PORT:
			if (num("port", optarg, 0, 65535, &v, err, errsz))
				return -EINVAL;
			c->port = (uint16_t)v;
			break;
		case O_UDP:
			if (num("udp-port", optarg, 0, 65535, &v, err, errsz))
				return -EINVAL;
			c->udp_port = (uint16_t)v;
			udp_given = true;
			break;
		case O_DATA:
			snprintf(c->data_dir, sizeof c->data_dir, "%s", optarg);
			break;
		case O_NAME:
			if (strlen(optarg) == 0 || strlen(optarg) > PL_SERVER_NAME_MAX) {
				snprintf(err, errsz, "--name needs 1 to %d bytes.", PL_SERVER_NAME_MAX);
				return -EINVAL;
			}
			snprintf(c->server_name, sizeof c->server_name, "%s", optarg);
			break;
		case O_MAXC:
			if (num("max-connections", optarg, 1, 65000, &v, err, errsz))
				return -EINVAL;
			c->max_connections = (unsigned)v;
			break;
		case O_FRAME:
			if (num("max-frame", optarg, 8192, 65536, &v, err, errsz))
				return -EINVAL;
			c->max_frame = (unsigned)v;
			break;
		case O_PI:
			if (num("ping-interval", optarg, 50, 3600000, &v, err, errsz))
				return -EINVAL;
			c->ping_interval_ms = (unsigned)v;
			break;
		case O_PT:
			if (num("ping-timeout", optarg, 50, 3600000, &v, err, errsz))
				return -EINVAL;
			c->ping_timeout_ms = (unsigned)v;
			break;
		case O_LT:
			if (num("login-timeout", optarg, 50, 3600000, &v, err, errsz))
				return -EINVAL;
			c->login_timeout_ms = (unsigned)v;
			break;
		case O_VERB:
			c->verbose = true;
			break;
		case O_HELP:
			fputs(usage, stdout);
			return 1;
		case O_VERS:
			printf("parleyd 0.1.0 (protocol 1)\n");
			return 1;
		default:
			snprintf(err, errsz, "Unknown option '%s'; run parleyd --help for the list.",
				 argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		snprintf(err, errsz, "Unexpected argument '%s'; run parleyd --help for the list.", argv[optind]);
		return -EINVAL;
	}
	if (!udp_given && c->port == 0)
		c->udp_port = 0;
	return 0;
}
