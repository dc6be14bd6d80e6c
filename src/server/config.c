#include "server/config.h"

#include "core/msg.h"
#include "net/log.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum kind { K_STR, K_UINT, K_DOUBLE, K_BOOL, K_LEVEL };

static const struct setting {
	const char *key; /* file key; the option is --key with '_' as '-' */
	enum kind kind;
	size_t off, size;
	double min, max;
	const char *help;
	bool restart; /* SIGHUP cannot change it (SR); the others take effect on SIGHUP */
} settings[] = {
#define S(k, kind, field, lo, hi, help) {k, kind, offsetof(struct pl_config, field), sizeof(((struct pl_config *)0)->field), lo, hi, help, false}
#define SR(k, kind, field, lo, hi, help) {k, kind, offsetof(struct pl_config, field), sizeof(((struct pl_config *)0)->field), lo, hi, help, true}
	SR("listen", K_STR, listen, 0, 0, "address to listen on (default: every interface, IPv6 and IPv4)"),
	SR("port", K_UINT, port, 0, 65535, "TLS signalling port, TCP (default 7787; 0 picks a free one)"),
	SR("udp_port", K_UINT, udp_port, 0, 65535, "voice port, UDP (default 7787; 0 picks a free one)"),
	SR("data_dir", K_STR, data_dir, 0, 0, "database, certificate, key and admin socket (default $STATE_DIRECTORY, else $XDG_DATA_HOME/parleyd, else ~/.local/share/parleyd)"),
	S("name", K_STR, server_name, 0, 0, "the server name clients see (default: the host name)"),
	S("max_connections", K_UINT, max_connections, 1, 65000, "connections in all (default 1000; SIGHUP raises it no higher than its value at start)"),
	S("max_connections_per_ip", K_UINT, max_connections_per_ip, 1, 65000, "connections from one address (default 16)"),
	S("max_frame", K_UINT, max_frame, 12288, 65536, "largest signalling frame accepted, bytes (default 16384)"),
	S("ping_interval", K_UINT, ping_interval_ms, 50, 3600000, "ms from a PONG to the next PING (default 15000)"),
	S("ping_timeout", K_UINT, ping_timeout_ms, 50, 3600000, "ms to answer a PING before the connection is dropped (default 20000)"),
	S("login_timeout", K_UINT, login_timeout_ms, 50, 3600000, "ms from connect to login (default 30000)"),
	S("ring_timeout", K_UINT, ring_timeout_ms, 100, 3600000, "ms a call rings before it ends unanswered (default 300000: 5 minutes)"),
	S("cand_burst", K_DOUBLE, cand_burst, 1, 1e6, "candidate descriptions (CALL_CAND) one member of a call may send at once (default 4)"),
	S("cand_rate", K_DOUBLE, cand_rate, 0.001, 1e6, "then candidate descriptions per second (default 0.1: one every 10 s)"),
	S("message_burst", K_DOUBLE, message_burst, 1, 1e6, "chat messages a user may send at once (default 8)"),
	S("message_rate", K_DOUBLE, message_rate, 0.01, 1e6, "then chat messages per second (default 2)"),
	S("request_burst", K_DOUBLE, request_burst, 1, 1e6, "other requests at once (default 60)"),
	S("request_rate", K_DOUBLE, request_rate, 0.01, 1e6, "then other requests per second (default 20)"),
	S("login_burst", K_DOUBLE, login_burst, 1, 1e6, "failed logins per account from one address, and per address, at once (default 5)"),
	S("login_rate", K_DOUBLE, login_rate, 0.0001, 1e6, "then failed logins per second (default 0.0833: 5 a minute)"),
	S("login_account_burst", K_DOUBLE, login_account_burst, 1, 1e6, "failed logins per account from all addresses at once (default 50)"),
	S("login_account_rate", K_DOUBLE, login_account_rate, 0.0001, 1e6, "then per second (default 0.0167: 1 a minute)"),
	S("register_burst", K_DOUBLE, register_burst, 1, 1e6, "registrations from one address at once (default 3)"),
	S("register_rate", K_DOUBLE, register_rate, 0.00001, 1e6, "then registrations per second (default 0.000833: 3 an hour)"),
	S("max_devices", K_UINT, max_devices, 1, 1000, "device keys per account (default 16)"),
	S("output_max", K_UINT, output_max, 65536, 1u << 30, "bytes queued for one client before it is dropped (default 1048576)"),
	S("output_watermark", K_UINT, output_watermark, 16384, 1u << 30, "bytes queued for one client above which its requests wait unread (default 65536)"),
	S("mailbox_max", K_UINT, mailbox_max, 1, 10000000, "messages kept for one offline recipient (default 1000)"),
	S("offline_page", K_UINT, offline_page, 1, 200, "waiting messages sent per acknowledgement at login (default 50)"),
	SR("workers", K_UINT, workers, 0, 256, "password-hashing threads (default 0: one per core)"),
	S("worker_queue", K_UINT, worker_queue, 1, 100000, "password checks that may wait; more get 'busy, retry' (default 64)"),
	S("voice_binding_timeout", K_UINT, voice_binding_timeout_ms, 100, 3600000, "ms without a BIND before a voice address is forgotten (default 30000)"),
	S("voice_packet_rate", K_UINT, voice_packet_rate, 1, 1000000, "voice datagrams per second one sender may send (default 400)"),
	S("voice_packet_burst", K_UINT, voice_packet_burst, 1, 1000000, "voice datagrams one sender may send at once (default 800)"),
	S("voice_byte_rate", K_UINT, voice_byte_rate, 100, 1000000000, "voice bytes per second one sender may send (default 80000)"),
	S("voice_byte_burst", K_UINT, voice_byte_burst, 1500, 1000000000, "voice bytes one sender may send at once (default 160000)"),
	SR("stun_port", K_UINT, stun_port, 0, 65535, "a second UDP port that answers STUN alone, as the voice port does too (default 0: off; STUN's usual port is 3478)"),
	S("stun_rate", K_DOUBLE, stun_rate, 0.001, 1e6, "STUN requests answered per second from one address, IPv6 /64 (default 10)"),
	S("stun_burst", K_DOUBLE, stun_burst, 1, 1e6, "STUN requests answered at once from one address (default 20)"),
	S("stun_global_rate", K_DOUBLE, stun_global_rate, 1, 1e7, "STUN requests answered per second from all addresses together (default 2000)"),
	S("rendezvous_ttl", K_UINT, rendezvous_ttl_s, 1, 86400, "seconds a room code waits for the other person, and a rendezvous lasts (default 300)"),
	SR("rendezvous_max", K_UINT, rendezvous_max, 1, 1000000, "rendezvous held at once, recently ended ones included (default 1000)"),
	S("rendezvous_guesses", K_DOUBLE, rendezvous_guesses, 1, 1e6, "wrong room codes one address may try at once (default 10)"),
	S("rendezvous_guess_rate", K_DOUBLE, rendezvous_guess_rate, 0.000001, 1e6, "then wrong room codes per second (default 0.00278: 10 an hour)"),
	S("rendezvous_open_burst", K_DOUBLE, rendezvous_open_burst, 1, 1e6, "room codes one address may ask for at once (default 10)"),
	S("rendezvous_open_rate", K_DOUBLE, rendezvous_open_rate, 0.000001, 1e6, "then room codes per second (default 0.0167: 1 a minute)"),
	S("verbose", K_BOOL, verbose, 0, 1, "log debug lines too: log_level debug (default false)"),
	S("log_level", K_LEVEL, log_level, 0, 0, "error, warn, notice, info or debug (default notice: start, stop, reloads, admin actions, warnings)"),
	S("log_file", K_STR, log_file, 0, 0, "append the log to this file, reopened on SIGHUP (default: stderr)"),
	SR("metrics_listen", K_STR, metrics_listen, 0, 0, "serve Prometheus metrics over HTTP on ADDR:PORT, e.g. 127.0.0.1:9787 (default: off)"),
	SR("admin_socket", K_STR, admin_socket, 0, 0, "the admin command socket, mode 0600 (default DATA_DIR/admin.sock)"),
#undef SR
#undef S
};
#define N_SETTINGS (sizeof settings / sizeof settings[0])

void pl_config_defaults(struct pl_config *c)
{
	memset(c, 0, sizeof *c);
	c->port = PL_DEFAULT_PORT;
	c->udp_port = PL_DEFAULT_PORT;
	/* systemd's StateDirectory= says where the state goes; else the XDG place for the user. */
	const char *state = getenv("STATE_DIRECTORY"), *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	if (state && *state && !strchr(state, ':'))
		snprintf(c->data_dir, sizeof c->data_dir, "%s", state);
	else if (xdg && *xdg)
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
	c->max_connections_per_ip = 16;
	c->max_frame = 16384;
	c->ping_interval_ms = 15000;
	c->ping_timeout_ms = 20000;
	c->login_timeout_ms = 30000;
	c->ring_timeout_ms = 300000;
	/* A device sends its candidates once a call, again when its addresses change. */
	c->cand_burst = 4;
	c->cand_rate = 0.1;
	c->message_burst = 8;
	c->message_rate = 2;
	c->request_burst = 60;
	c->request_rate = 20;
	c->login_burst = 5;
	c->login_rate = 5.0 / 60.0;
	c->login_account_burst = 50;
	c->login_account_rate = 1.0 / 60.0;
	c->register_burst = 3;
	c->register_rate = 3.0 / 3600.0;
	c->max_devices = 16;
	c->output_max = 1u << 20;
	c->output_watermark = 65536;
	c->mailbox_max = 1000;
	c->offline_page = 50;
	c->workers = 0;
	c->worker_queue = 64;
	/* Enough for Opus at its highest rate, 510 kbit/s in 2.5 ms frames: 400 datagrams and
	 * about 70 000 bytes a second, headers included; twice that at once. */
	c->voice_binding_timeout_ms = 30000;
	c->voice_packet_rate = 400;
	c->voice_packet_burst = 800;
	c->voice_byte_rate = 80000;
	c->voice_byte_burst = 160000;
	/* A client needs one Binding request per call and a few retransmissions; 20 at once and 10 a
	 * second leave room for a household or an office behind one address. All together, 2000 a
	 * second of responses of at most 52 bytes is about 0.8 Mbit/s at the very most. */
	c->stun_port = 0;
	c->stun_rate = 10;
	c->stun_burst = 20;
	c->stun_global_rate = 2000;
	/* Rendezvous (server/rendezvous.h, core/rdv.h on why about 22.6 bits of code are enough):
	 * five minutes to read a code out and type it; 10 wrong codes an hour per address; a code a
	 * minute per address after 10 at once. */
	c->rendezvous_ttl_s = 300;
	c->rendezvous_max = 1000;
	c->rendezvous_guesses = 10;
	c->rendezvous_guess_rate = 10.0 / 3600.0;
	c->rendezvous_open_burst = 10;
	c->rendezvous_open_rate = 1.0 / 60.0;
	c->log_level = PL_LOG_NOTICE;
}

static const struct setting *lookup(const char *key)
{
	for (size_t i = 0; i < N_SETTINGS; i++)
		if (strcmp(settings[i].key, key) == 0)
			return &settings[i];
	return NULL;
}

/* Sets one value; `where` names its source for the sentence in err. */
static int set(struct pl_config *c, const struct setting *s, const char *v, const char *where, char *err, size_t errsz)
{
	char *dst = (char *)c + s->off, *end;
	switch (s->kind) {
	case K_STR:
		if (strlen(v) >= s->size || (s->size == sizeof c->server_name && !*v)) {
			snprintf(err, errsz, "%s: %s needs 1 to %zu bytes.", where, s->key, s->size - 1);
			return -EINVAL;
		}
		memcpy(dst, v, strlen(v) + 1);
		return 0;
	case K_UINT: {
		errno = 0;
		unsigned long n = strtoul(v, &end, 10);
		if (!*v || *end || errno || v[0] == '-' || n < s->min || n > s->max) {
			snprintf(err, errsz, "%s: %s needs a whole number from %.0f to %.0f, not '%s'.", where, s->key,
				 s->min, s->max, v);
			return -EINVAL;
		}
		*(unsigned *)(void *)dst = (unsigned)n;
		return 0;
	}
	case K_DOUBLE: {
		double d = strtod(v, &end);
		if (!*v || *end || !isfinite(d) || d < s->min || d > s->max) {
			snprintf(err, errsz, "%s: %s needs a number from %g to %g, not '%s'.", where, s->key, s->min,
				 s->max, v);
			return -EINVAL;
		}
		*(double *)(void *)dst = d;
		return 0;
	}
	case K_LEVEL: {
		int l = pl_log_level_parse(v);
		if (l < 0) {
			snprintf(err, errsz, "%s: %s needs error, warn, notice, info or debug, not '%s'.", where, s->key, v);
			return -EINVAL;
		}
		*(unsigned *)(void *)dst = (unsigned)l;
		return 0;
	}
	case K_BOOL:
		if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1")) {
			*(bool *)(void *)dst = true;
		} else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0")) {
			*(bool *)(void *)dst = false;
		} else {
			snprintf(err, errsz, "%s: %s needs true or false, not '%s'.", where, s->key, v);
			return -EINVAL;
		}
		return 0;
	}
	return -EINVAL;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

int pl_config_file(struct pl_config *c, const char *path, char *err, size_t errsz)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errsz, "Cannot read the config file %s (%s); check the path given to --config.", path,
			 strerror(errno));
		return -errno;
	}
	char line[4096], where[2200];
	int no = 0, rc = 0;
	while (rc == 0 && fgets(line, sizeof line, f)) {
		no++;
		snprintf(where, sizeof where, "%s line %d", path, no);
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *l = trim(line);
		if (!*l)
			continue;
		char *eq = strchr(l, '=');
		if (!eq) {
			snprintf(err, errsz, "%s: expected 'key = value', e.g. 'port = 7787'.", where);
			rc = -EINVAL;
			break;
		}
		*eq = '\0';
		char *key = trim(l), *val = trim(eq + 1);
		const struct setting *s = lookup(key);
		if (!s) {
			snprintf(err, errsz, "%s: unknown setting '%s'; parleyd --help lists them.", where, key);
			rc = -EINVAL;
			break;
		}
		rc = set(c, s, val, where, err, errsz);
	}
	fclose(f);
	return rc;
}

static void usage(void)
{
	printf("Usage: parleyd [--config FILE] [--SETTING VALUE ...]\n"
	       "parley's server: TLS signalling, voice relay and accounts in one daemon.\n\n"
	       "Each setting can be given as an option (--max-connections 500) or in the config file\n"
	       "(max_connections = 500); the command line wins.\n\n");
	for (size_t i = 0; i < N_SETTINGS; i++) {
		char opt[64];
		snprintf(opt, sizeof opt, "--%s", settings[i].key);
		for (char *p = opt; *p; p++)
			if (*p == '_')
				*p = '-';
		printf("  %-26s %s%s\n", opt, settings[i].help, settings[i].restart ? " [restart]" : "");
	}
	printf("  %-26s %s\n  %-26s %s\n\n", "--config FILE", "read settings from FILE first", "--help, --version", "");
	printf("On start it prints one line to stdout: 'ready tcp=PORT udp=PORT fingerprint=SHA256'.\n"
	       "SIGHUP reads the config file again and reopens the log file; settings marked [restart]\n"
	       "keep their value until parleyd restarts.\n\n"
	       "  parleyd admin [--data-dir DIR | --socket PATH | --config FILE] COMMAND\n"
	       "talks to the running parleyd: parleyd admin help lists the commands.\n"
	       "parleyd.conf(5) describes every setting; docs/parleyd.conf.sample is a config file with\n"
	       "every setting and its default.\n");
}

int pl_config_args(struct pl_config *c, int argc, char **argv, char *err, size_t errsz)
{
	struct option opts[N_SETTINGS + 4];
	char names[N_SETTINGS][64];
	for (size_t i = 0; i < N_SETTINGS; i++) {
		snprintf(names[i], sizeof names[i], "%s", settings[i].key);
		for (char *p = names[i]; *p; p++)
			if (*p == '_')
				*p = '-';
		opts[i] = (struct option){names[i], settings[i].kind == K_BOOL ? no_argument : required_argument, 0, (int)(256 + i)};
	}
	enum { O_CONFIG = 1, O_HELP, O_VERSION };
	opts[N_SETTINGS] = (struct option){"config", required_argument, 0, O_CONFIG};
	opts[N_SETTINGS + 1] = (struct option){"help", no_argument, 0, O_HELP};
	opts[N_SETTINGS + 2] = (struct option){"version", no_argument, 0, O_VERSION};
	opts[N_SETTINGS + 3] = (struct option){0, 0, 0, 0};

	/* First pass: --config, --help, --version; the file is read before the other options. */
	int o;
	bool udp_given = false;
	opterr = 0;
	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == O_HELP) {
			usage();
			return 1;
		}
		if (o == O_VERSION) {
			printf("parleyd 0.1.0 (protocol %u)\n", PL_PROTO_VERSION);
			return 1;
		}
		if (o == O_CONFIG) {
			int rc = pl_config_file(c, optarg, err, errsz);
			if (rc < 0)
				return rc;
		}
		if (o == '?' || o == ':') {
			snprintf(err, errsz, "Unknown option or missing value in '%s'; run parleyd --help for the list.",
				 argv[optind - 1]);
			return -EINVAL;
		}
	}
	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o < 256)
			continue;
		const struct setting *s = &settings[o - 256];
		char where[80];
		snprintf(where, sizeof where, "--%s", names[o - 256]);
		if (s->kind == K_BOOL ? set(c, s, "true", where, err, errsz) : set(c, s, optarg, where, err, errsz))
			return -EINVAL;
		if (s->off == offsetof(struct pl_config, udp_port))
			udp_given = true;
	}
	if (optind < argc) {
		snprintf(err, errsz, "Unexpected argument '%s'; run parleyd --help for the list.", argv[optind]);
		return -EINVAL;
	}
	if (!udp_given && c->port == 0)
		c->udp_port = 0;
	return 0;
}

static void fmt_value(const struct setting *s, const struct pl_config *c, char *buf, size_t sz)
{
	const char *p = (const char *)c + s->off;
	switch (s->kind) {
	case K_STR:
		snprintf(buf, sz, "'%s'", p);
		break;
	case K_UINT:
		snprintf(buf, sz, "%u", *(const unsigned *)(const void *)p);
		break;
	case K_DOUBLE:
		snprintf(buf, sz, "%g", *(const double *)(const void *)p);
		break;
	case K_BOOL:
		snprintf(buf, sz, "%s", *(const bool *)(const void *)p ? "true" : "false");
		break;
	case K_LEVEL:
		snprintf(buf, sz, "%s", pl_log_level_name((enum pl_log_level)*(const unsigned *)(const void *)p));
		break;
	}
}

unsigned pl_config_reload(struct pl_config *cur, const struct pl_config *next)
{
	unsigned changed = 0;
	for (size_t i = 0; i < N_SETTINGS; i++) {
		const struct setting *s = &settings[i];
		char *dst = (char *)cur + s->off;
		const char *src = (const char *)next + s->off;
		if (memcmp(dst, src, s->kind == K_STR ? strlen(src) + 1 : s->size) == 0)
			continue;
		char was[300], now[300];
		fmt_value(s, cur, was, sizeof was);
		fmt_value(s, next, now, sizeof now);
		if (s->restart) {
			pl_log(PL_LOG_WARN, "reload: %s is now %s in the config, but it changes only with a restart; "
			       "it stays %s until then", s->key, now, was);
			continue;
		}
		memcpy(dst, src, s->kind == K_STR ? strlen(src) + 1 : s->size);
		pl_log(PL_LOG_NOTICE, "reload: %s changed from %s to %s", s->key, was, now);
		changed++;
	}
	return changed;
}
