/* parleyd: parley's server. Parses the command line, runs one server on one event loop, and
 * shuts down cleanly on SIGINT or SIGTERM. */
#include <event2/event.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "core/env.h"
#include "net/log.h"
#include "server/config.h"
#include "server/server.h"

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct event_base *base = arg;
	pl_log(PL_LOG_INFO, "signal %d: shutting down", (int)sig);
	event_base_loopbreak(base);
}

int main(int argc, char **argv)
{
	struct pl_config cfg;
	char err[512] = "";
	pl_config_defaults(&cfg);
	int rc = pl_config_args(&cfg, argc, argv, err, sizeof err);
	if (rc == 1)
		return 0;
	if (rc < 0) {
		fprintf(stderr, "parleyd: %s\n", err);
		return 2;
	}
	if (cfg.verbose)
		pl_log_set_level(PL_LOG_DEBUG);
	if (sodium_init() < 0) {
		fprintf(stderr, "parleyd: libsodium failed to initialise.\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	/* What parleyd writes (database, key, lock) is for its own user alone. */
	umask(077);
	/* Every connection is a descriptor: take what the hard limit allows (the soft default of
	 * 1024 is below the default max_connections plus files and sockets). */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	struct event_base *base = event_base_new();
	struct pl_server *srv = NULL;
	if (!base || pl_server_alloc(&srv, &cfg, pl_env_system(), base, err, sizeof err) < 0) {
		fprintf(stderr, "parleyd: %s\n", err[0] ? err : "cannot start the event loop.");
		if (base)
			event_base_free(base);
		return 1;
	}
	struct event *sigint = evsignal_new(base, SIGINT, on_signal, base);
	struct event *sigterm = evsignal_new(base, SIGTERM, on_signal, base);
	evsignal_add(sigint, NULL);
	evsignal_add(sigterm, NULL);

	pl_log(PL_LOG_INFO, "parleyd '%s' listening: TLS on TCP %u, voice on UDP %u, data in %s",
	       cfg.server_name, srv->tcp_port, srv->udp_port, cfg.data_dir);
	printf("ready tcp=%u udp=%u fingerprint=%s\n", srv->tcp_port, srv->udp_port, srv->fingerprint);
	fflush(stdout);

	event_base_dispatch(base);

	event_free(sigint);
	event_free(sigterm);
	pl_server_free(srv);
	event_base_free(base);
	return 0;
}
