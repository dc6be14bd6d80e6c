#include "server/server.h"

#include <errno.h>
#include <event2/bufferevent_ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ratelimit.h"
#include "net/addr.h"
#include "net/log.h"
#include "net/udp.h"
#include "server/relay.h"
#include "server/room.h"
#include "server/session.h"
#include "server/worker.h"
#include "store/store.h"

struct pl_session *pl_server_session(struct pl_server *s, uint32_t id)
{
	unsigned slot = id & 0xffff;
	if (slot >= s->nslots || !s->slots[slot] || s->slots[slot]->id != id)
		return NULL;
	return s->slots[slot];
}

struct pl_session *pl_server_find_nick(struct pl_server *s, const char *nick)
{
	for (unsigned i = 0; i < s->nslots; i++) {
		struct pl_session *x = s->slots[i];
		if (x && x->state == PL_SESS_READY && strcasecmp(x->nick, nick) == 0)
			return x;
	}
	return NULL;
}

uint32_t pl_server_claim(struct pl_server *s, struct pl_session *sess)
{
	if (s->nsessions >= s->cfg->max_connections)
		return 0;
	for (unsigned i = 0; i < s->nslots; i++) {
		if (s->slots[i])
			continue;
		/* Generation 0 is skipped so that no id is ever 0. */
		if (++s->gens[i] == 0)
			s->gens[i] = 1;
		s->slots[i] = sess;
		s->nsessions++;
		return (uint32_t)s->gens[i] << 16 | i;
	}
	return 0;
}

unsigned pl_server_count_host(struct pl_server *s, const char *host)
{
	unsigned n = 0;
	for (struct pl_session *x = s->all; x; x = x->all_next)
		n += strcmp(x->peer_host, host) == 0;
	return n;
}

void pl_server_release(struct pl_server *s, uint32_t id)
{
	unsigned slot = id & 0xffff;
	if (slot < s->nslots && s->slots[slot] && s->slots[slot]->id == id) {
		s->slots[slot] = NULL;
		s->nsessions--;
	}
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *peer, int len, void *arg)
{
	struct pl_server *srv = arg;
	SSL *ssl = SSL_new(srv->tls);
	if (!ssl) {
		evutil_closesocket(fd);
		return;
	}
	struct bufferevent *bev = bufferevent_openssl_socket_new(srv->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
								   BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (!bev) {
		SSL_free(ssl);
		evutil_closesocket(fd);
		return;
	}
	/* A peer that stops reading cannot hold its output forever; one that stops writing is caught
	 * by the login deadline and then the keepalive, both in session.c. */
	struct timeval wr = {30, 0};
	bufferevent_set_timeouts(bev, NULL, &wr);
	int rc = pl_session_start(srv, bev, peer);
	if (rc == -EBUSY || rc == -EMFILE) {
		char a[PL_ADDR_STR];
		pl_addr_fmt(peer, a, sizeof a);
		if (rc == -EMFILE)
			pl_log(PL_LOG_WARN, "turned away %s: at the limit of %u connections from one address", a,
			       srv->cfg->max_connections_per_ip);
		else
			pl_log(PL_LOG_WARN, "turned away %s: at the limit of %u connections", a, srv->cfg->max_connections);
	}
}

static int mkdir_p(const char *path)
{
	char tmp[2048];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
				return -errno;
			*p = '/';
		}
	}
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* A listening socket; for the wildcard address, IPv6 with IPv4 mapped in, else IPv4 alone. */
static int tcp_socket(const struct sockaddr *sa, socklen_t len)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int on = 1, off = 0;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
	if (bind(fd, sa, len) < 0 || listen(fd, 128) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static int listen_tcp(struct pl_server *srv, char *err, size_t errsz)
{
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof ss);
	int fd;
	if (srv->cfg->listen[0]) {
		if (pl_addr_resolve(srv->cfg->listen, srv->cfg->port, SOCK_STREAM, &ss, &len, err, errsz))
			return -EINVAL;
		fd = tcp_socket((struct sockaddr *)&ss, len);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_any;
		s6->sin6_port = htons(srv->cfg->port);
		fd = tcp_socket((struct sockaddr *)&ss, sizeof *s6);
		if (fd == -EAFNOSUPPORT) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
			memset(&ss, 0, sizeof ss);
			s4->sin_family = AF_INET;
			s4->sin_port = htons(srv->cfg->port);
			fd = tcp_socket((struct sockaddr *)&ss, sizeof *s4);
		}
	}
	if (fd < 0) {
		snprintf(err, errsz, "Cannot listen on TCP port %u (%s); %s", srv->cfg->port, strerror(-fd),
			 fd == -EADDRINUSE ? "another program uses it: stop it or choose another --port." : "check --listen.");
		return fd;
	}
	srv->listener = evconnlistener_new(srv->base, on_accept, srv, LEV_OPT_CLOSE_ON_FREE, -1, fd);
	if (!srv->listener) {
		close(fd);
		snprintf(err, errsz, "Cannot watch the TCP listener.");
		return -ENOMEM;
	}
	len = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &len);
	srv->tcp_port = pl_addr_port((struct sockaddr *)&ss);
	return 0;
}

int pl_server_alloc(struct pl_server **sp, const struct pl_config *cfg, const struct pl_env *env,
		    struct event_base *base, char *err, size_t errsz)
{
	struct pl_server *srv = calloc(1, sizeof *srv);
	if (!srv)
		return -ENOMEM;
	srv->cfg = cfg;
	srv->env = env;
	srv->base = base;
	srv->udp_fd = -1;
	srv->nslots = cfg->max_connections < 65535 ? cfg->max_connections : 65535;
	srv->slots = calloc(srv->nslots, sizeof *srv->slots);
	srv->gens = calloc(srv->nslots, sizeof *srv->gens);
	int rc = -ENOMEM;
	uint8_t hk[2][PL_LIMITER_HASH_KEY];
	pl_env_random(env, hk, sizeof hk);
	if (!srv->slots || !srv->gens || pl_rooms_init(srv, srv->nslots * PL_SESSION_MAX_ROOMS + 1) < 0 ||
	    pl_limiter_alloc(&srv->login_by_nick, 4096, cfg->login_rate, cfg->login_burst, hk[0]) < 0 ||
	    pl_limiter_alloc(&srv->login_by_host, 4096, cfg->login_rate, cfg->login_burst, hk[1]) < 0) {
		snprintf(err, errsz, "Out of memory.");
		goto fail;
	}
	if ((rc = mkdir_p(cfg->data_dir)) < 0) {
		snprintf(err, errsz, "Cannot create the data directory %s (%s); choose another with --data-dir.",
			 cfg->data_dir, strerror(-rc));
		goto fail;
	}
	bool created;
	srv->tls = pl_tls_server_ctx(cfg->data_dir, cfg->server_name, &created, err, errsz);
	if (!srv->tls) {
		rc = -EIO;
		goto fail;
	}
	{
		char certpath[2100];
		snprintf(certpath, sizeof certpath, "%s/cert.pem", cfg->data_dir);
		pl_tls_file_fingerprint(certpath, srv->fingerprint);
		if (created)
			pl_log(PL_LOG_INFO, "made a self-signed certificate %s (SHA-256 %s)", certpath, srv->fingerprint);
	}
	char dbpath[2100];
	snprintf(dbpath, sizeof dbpath, "%s/parley.db", cfg->data_dir);
	if ((rc = pl_store_open_sqlite(&srv->store, dbpath, err, errsz)) < 0)
		goto fail;
	if ((rc = pl_worker_alloc(&srv->worker, base)) < 0) {
		snprintf(err, errsz, "Cannot start the worker thread.");
		goto fail;
	}
	if ((rc = listen_tcp(srv, err, errsz)) < 0)
		goto fail;
	srv->udp_fd = pl_udp_bind(cfg->listen, cfg->udp_port, &srv->udp_port, err, errsz);
	if (srv->udp_fd < 0) {
		rc = srv->udp_fd;
		goto fail;
	}
	if ((rc = pl_relay_alloc(&srv->relay, srv->udp_fd, srv->nslots, srv->max_rooms)) < 0) {
		snprintf(err, errsz, "Out of memory.");
		goto fail;
	}
	*sp = srv;
	return 0;
fail:
	pl_server_free(srv);
	return rc;
}

void pl_server_free(struct pl_server *srv)
{
	if (!srv)
		return;
	if (srv->listener)
		evconnlistener_free(srv->listener);
	while (srv->all)
		pl_session_free_now(srv->all);
	/* After the sessions: jobs finishing now find no session and only free themselves. */
	pl_worker_free(srv->worker);
	pl_relay_free(srv->relay);
	if (srv->udp_fd >= 0)
		close(srv->udp_fd);
	pl_store_close(srv->store);
	if (srv->tls)
		SSL_CTX_free(srv->tls);
	pl_rooms_free(srv);
	pl_limiter_free(srv->login_by_nick);
	pl_limiter_free(srv->login_by_host);
	free(srv->slots);
	free(srv->gens);
	free(srv);
}
