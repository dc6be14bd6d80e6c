/*
 * config: parleyd's settings and their documented defaults, read from a config file
 * ("key = value" lines, '#' comments) and then the command line (--key-with-dashes VALUE), which
 * wins. One table describes every setting for both, and `parleyd --help` prints it. The struct is
 * passed to the server; nothing reads settings from a global.
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
	unsigned port;              /* TLS signalling (TCP); 0 = pick a free one */
	unsigned udp_port;          /* voice (UDP); 0 = pick a free one */
	char data_dir[2048];        /* database, certificate, key */
	char server_name[PL_SERVER_NAME_MAX + 1];
	unsigned max_connections;   /* in all */
	unsigned max_connections_per_ip;
	unsigned max_frame;         /* bytes, largest signalling frame accepted */
	unsigned ping_interval_ms;  /* between a PONG and the next PING */
	unsigned ping_timeout_ms;   /* to answer a PING: the idle timeout of a dead connection */
	unsigned login_timeout_ms;  /* from connect to a successful login */
	unsigned ring_timeout_ms;   /* an unanswered call is ended after this (seed 002: 5 minutes) */
	double cand_burst;          /* candidate descriptions per call member at once ... */
	double cand_rate;           /* ... then this many per second */
	double message_burst;       /* chat messages at once ... */
	double message_rate;        /* ... then this many per second */
	double request_burst;       /* other requests at once ... */
	double request_rate;        /* ... then per second */
	double login_burst;         /* failed logins per account and per address at once ... */
	double login_rate;          /* ... then per second */
	double login_account_burst; /* failed logins per account from all addresses at once ... */
	double login_account_rate;  /* ... then per second: slower, so one address cannot lock an owner out */
	double register_burst;      /* registrations per address at once ... */
	double register_rate;       /* ... then per second */
	unsigned max_devices;       /* device keys per account */
	unsigned output_max;        /* bytes queued for a client before it is dropped */
	unsigned output_watermark;  /* bytes queued above which its requests wait unread */
	unsigned mailbox_max;       /* messages waiting for one offline recipient */
	unsigned offline_page;      /* waiting messages delivered per acknowledgement */
	unsigned workers;           /* password-hashing threads; 0 = one per core */
	unsigned worker_queue;      /* password checks waiting at most; beyond: "busy, retry" */
	unsigned voice_binding_timeout_ms; /* a voice address with no BIND this long is dropped */
	unsigned voice_packet_rate;  /* voice datagrams per second per sender ... */
	unsigned voice_packet_burst; /* ... after this many at once */
	unsigned voice_byte_rate;    /* voice bytes per second per sender ... */
	unsigned voice_byte_burst;   /* ... after this many at once */
	unsigned stun_port;          /* a second UDP port for STUN alone; 0 = off */
	double stun_rate;            /* STUN requests answered per source address a second ... */
	double stun_burst;           /* ... after this many at once */
	double stun_global_rate;     /* STUN requests answered a second from all sources together */
	unsigned rendezvous_ttl_s;   /* a room code waits this long for its joiner (server/rendezvous.h) */
	unsigned rendezvous_max;     /* rendezvous held at once, ended ones included */
	double rendezvous_guesses;   /* wrong room codes one address may try at once ... */
	double rendezvous_guess_rate; /* ... then this many a second */
	double rendezvous_open_burst; /* room codes one address may ask for at once ... */
	double rendezvous_open_rate; /* ... then this many a second */
	bool verbose;                /* log_level debug */
	unsigned log_level;          /* enum pl_log_level (net/log.h); notice by default */
	char log_file[2048];         /* "" = stderr; reopened on SIGHUP */
	char metrics_listen[256];    /* "" = no metrics; else ADDR:PORT of the Prometheus endpoint */
	char admin_socket[108];      /* "" = DATA_DIR/admin.sock (sizeof sun_path) */
};

void pl_config_defaults(struct pl_config *c);
/* Reads a config file over c. Returns 0, or -errno with a sentence (file and line) in err. */
int pl_config_file(struct pl_config *c, const char *path, char *err, size_t errsz);
/* Parses argv (with --config FILE read first) over c. Returns 0 to run, 1 when --help or
 * --version printed and the program should exit 0, -EINVAL with a sentence in err. */
int pl_config_args(struct pl_config *c, int argc, char **argv, char *err, size_t errsz);
/* SIGHUP: takes into cur each setting of next that differs and can change while running, and
 * logs it; a setting that differs but needs a restart is logged as not changed. Returns the
 * number of settings changed. */
unsigned pl_config_reload(struct pl_config *cur, const struct pl_config *next);

#endif
