/* parleyd: parley's server. Parses the command line, runs one server on one event loop, re-reads
 * its config and reopens its log on SIGHUP, and shuts down cleanly on SIGINT or SIGTERM; tells
 * systemd each of these (server/notify.h). `parleyd admin ...` is the admin's command line
 * (server/admin.h). */
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/env.h"
#include "net/log.h"
#include "server/admin.h"
#include "server/config.h"
#include "server/metrics.h"
#include "server/notify.h"
#include "server/server.h"

struct daemon {
	int argc;
	char **argv;
	struct pl_config cfg;
	struct pl_server *srv;
	struct event_base *base;
	int term; /* the stderr parleyd started with, for when log_file is emptied again */
};

static void apply_log_level(const struct pl_config *cfg)
{
	pl_log_set_level(cfg->verbose ? PL_LOG_DEBUG : (enum pl_log_level)cfg->log_level);
}

/* log_file: opened (or reopened, after logrotate moved it), or stderr as it was at start. */
static int open_log(struct daemon *d, const char *path, char *err, size_t errsz)
{
	if (path[0])
		return pl_log_open(path, err, errsz);
	if (d->term >= 0 && dup2(d->term, STDERR_FILENO) < 0)
		return -1;
	return 0;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	pl_notify("STOPPING=1");
	pl_log(PL_LOG_NOTICE, "signal %d: shutting down", (int)sig);
	event_base_loopbreak(d->base);
}

/* SIGHUP: the config file again (with the command line over it, as at start), then the log. */
static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	char state[80];
	snprintf(state, sizeof state, "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
	pl_notify(state);
	struct pl_config *next = malloc(sizeof *next);
	char err[600] = "";
	if (!next) {
		pl_log(PL_LOG_ERROR, "reload: out of memory; the running settings stay");
	} else {
		pl_config_defaults(next);
		if (pl_config_args(next, d->argc, d->argv, err, sizeof err) != 0) {
			char e2[600];
			open_log(d, d->cfg.log_file, e2, sizeof e2); /* logrotate still needs the new file */
			pl_log(PL_LOG_ERROR, "reload: %s The running settings stay.", err);
		} else {
			/* The log first, so that what the reload changes is logged where the log now goes. */
			bool reopened = open_log(d, next->log_file, err, sizeof err) == 0;
			if (!reopened) {
				pl_log(PL_LOG_ERROR, "reload: %s The log stays where it was.", err);
				snprintf(next->log_file, sizeof next->log_file, "%s", d->cfg.log_file);
			}
			unsigned n = pl_config_reload(&d->cfg, next);
			apply_log_level(&d->cfg);
			pl_server_reload(d->srv);
			pl_log(PL_LOG_NOTICE, "reload: read the config again; %u setting(s) changed%s", n,
			       reopened ? "; log reopened" : "");
		}
		free(next);
	}
	pl_notify("READY=1\nSTATUS=serving");
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "admin") == 0)
		return pl_admin_main(argc - 1, argv + 1);

	static struct daemon d; /* large (the config's paths): not on the stack */
	d.argc = argc;
	d.argv = argv;
	char err[600] = "";
	pl_config_defaults(&d.cfg);
	int rc = pl_config_args(&d.cfg, argc, argv, err, sizeof err);
	if (rc == 1)
		return 0;
	if (rc < 0) {
		fprintf(stderr, "parleyd: %s\n", err);
		return 2;
	}
	apply_log_level(&d.cfg);
	if (sodium_init() < 0) {
		fprintf(stderr, "parleyd: libsodium failed to initialise.\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	/* What parleyd writes (database, key, lock, log) is for its own user alone. */
	umask(077);
	/* Every connection is a descriptor: take what the hard limit allows (the soft default of
	 * 1024 is below the default max_connections plus files and sockets). */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* A failed start is said where parleyd was started (a terminal, the journal), and in the log. */
	d.term = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (d.cfg.log_file[0] && open_log(&d, d.cfg.log_file, err, sizeof err) < 0) {
		fprintf(stderr, "parleyd: %s\n", err);
		return 1;
	}

	d.base = event_base_new();
	if (!d.base || pl_server_alloc(&d.srv, &d.cfg, pl_env_system(), d.base, err, sizeof err) < 0) {
		const char *why = err[0] ? err : "cannot start the event loop.";
		pl_log(PL_LOG_ERROR, "cannot start: %s", why);
		if (d.cfg.log_file[0])
			dprintf(d.term, "parleyd: %s\n", why);
		if (d.base)
			event_base_free(d.base);
		return 1;
	}
	struct event *sigint = evsignal_new(d.base, SIGINT, on_signal, &d);
	struct event *sigterm = evsignal_new(d.base, SIGTERM, on_signal, &d);
	struct event *sighup = evsignal_new(d.base, SIGHUP, on_hup, &d);
	evsignal_add(sigint, NULL);
	evsignal_add(sigterm, NULL);
	evsignal_add(sighup, NULL);

	pl_log(PL_LOG_NOTICE, "parleyd '%s' listening: TLS on TCP %u, voice on UDP %u, data in %s",
	       d.cfg.server_name, d.srv->tcp_port, d.srv->udp_port, d.cfg.data_dir);
	if (d.srv->metrics->port)
		pl_log(PL_LOG_NOTICE, "Prometheus metrics on port %u, path /metrics (metrics_listen %s)", d.srv->metrics->port,
		       d.cfg.metrics_listen);
	if (d.srv->stun_port)
		pl_log(PL_LOG_NOTICE, "STUN on UDP %u too (stun_port)", d.srv->stun_port);
	printf("ready tcp=%u udp=%u fingerprint=%s", d.srv->tcp_port, d.srv->udp_port, d.srv->fingerprint);
	if (d.srv->metrics->port)
		printf(" metrics=%u", d.srv->metrics->port);
	if (d.srv->stun_port)
		printf(" stun=%u", d.srv->stun_port);
	printf("\n");
	fflush(stdout);
	pl_notify("READY=1\nSTATUS=serving");

	event_base_dispatch(d.base);

	event_free(sigint);
	event_free(sigterm);
	event_free(sighup);
	pl_server_free(d.srv);
	event_base_free(d.base);
	if (d.term >= 0)
		close(d.term);
	return 0;
}
