#include "server/server.h"

#include <errno.h>
#include <event2/bufferevent_ssl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/hmap.h"
#include "core/ratelimit.h"
#include "net/addr.h"
#include "net/log.h"
#include "net/udp.h"
#include "server/admin.h"
#include "server/ban.h"
#include "server/call.h"
#include "server/metrics.h"
#include "server/relay.h"
#include "server/rendezvous.h"
#include "server/room.h"
#include "server/session.h"
#include "server/topic.h"
#include "server/worker.h"
#include "store/store.h"
#include "store/storeq.h"

#define LOG_EVERY_MS 10000     /* repeated warnings (out of descriptors, refusals) at most this often */
#define ACCEPT_RETRY_MS 250    /* a paused listener tries again this soon even if nothing closed */
#define STORE_BATCH 1024       /* writes committed together at most */

/* --- indexes --- */

struct pl_session *pl_server_session(struct pl_server *s, uint64_t id)
{
	uint8_t k[PL_HMAP_KEY_MAX];
	return pl_hmap_get(s->by_id, k, pl_hmap_key_u64(k, id));
}

struct pl_session *pl_server_find_nick(struct pl_server *s, const char *nick)
{
	uint8_t k[PL_HMAP_KEY_MAX];
	return pl_hmap_get(s->by_nick, k, pl_hmap_key_fold(k, nick));
}

int pl_server_nick_add(struct pl_server *s, struct pl_session *sess)
{
	uint8_t k[PL_HMAP_KEY_MAX];
	size_t n = pl_hmap_key_fold(k, sess->nick);
	if (pl_hmap_get(s->by_nick, k, n))
		return -EEXIST;
	int rc = pl_hmap_put(s->by_nick, k, n, sess);
	if (rc == 0)
		sess->nick_indexed = true;
	return rc;
}

void pl_server_nick_del(struct pl_server *s, struct pl_session *sess)
{
	uint8_t k[PL_HMAP_KEY_MAX];
	if (sess->nick_indexed) {
		pl_hmap_del(s->by_nick, k, pl_hmap_key_fold(k, sess->nick));
		sess->nick_indexed = false;
	}
}

/* Connections from one address key: the count is the map's value, never 0 while present. */
static unsigned host_count(struct pl_server *s, const char *host)
{
	return (unsigned)(uintptr_t)pl_hmap_get(s->by_host, host, strlen(host));
}

static void host_adjust(struct pl_server *s, const char *host, int by)
{
	size_t n = strlen(host);
	unsigned c = host_count(s, host);
	c = by > 0 ? c + 1 : c - 1;
	if (c == 0)
		pl_hmap_del(s->by_host, host, n);
	else
		pl_hmap_put(s->by_host, host, n, (void *)(uintptr_t)c);
}

void pl_server_add(struct pl_server *s, struct pl_session *sess)
{
	uint8_t k[PL_HMAP_KEY_MAX];
	sess->id = pl_idgen_next(&s->ids);
	pl_hmap_put(s->by_id, k, pl_hmap_key_u64(k, sess->id), sess); /* room: admitted under max */
	host_adjust(s, sess->peer_host, +1);
	s->nsessions++;
	sess->all_next = s->all;
	if (s->all)
		s->all->all_prev = sess;
	s->all = sess;
}

static void resume_accepting(struct pl_server *s)
{
	if (s->accept_paused && s->listener) {
		s->accept_paused = false;
		evtimer_del(s->accept_retry);
		evconnlistener_enable(s->listener);
	}
}

void pl_server_remove(struct pl_server *s, struct pl_session *sess)
{
	uint8_t k[PL_HMAP_KEY_MAX];
	pl_server_nick_del(s, sess);
	if (pl_hmap_del(s->by_id, k, pl_hmap_key_u64(k, sess->id))) {
		host_adjust(s, sess->peer_host, -1);
		s->nsessions--;
	}
	if (sess->all_prev)
		sess->all_prev->all_next = sess->all_next;
	else if (s->all == sess)
		s->all = sess->all_next;
	if (sess->all_next)
		sess->all_next->all_prev = sess->all_prev;
	sess->all_prev = sess->all_next = NULL;
	resume_accepting(s); /* a descriptor is free again */
}

void pl_server_write(struct pl_server *s, struct pl_store_write *w)
{
	pl_storeq_submit(s->writes, w);
}

void pl_server_reload(struct pl_server *s)
{
	const struct pl_config *cfg = s->cfg;
	s->max_sessions = cfg->max_connections;
	if (s->max_sessions > s->capacity) {
		/* The indexes, the relay's table and the room numbers were sized at start. */
		pl_log(PL_LOG_WARN, "reload: max_connections %u is above %u, its value at start; it stays %u until a "
		       "restart", cfg->max_connections, s->capacity, s->capacity);
		s->max_sessions = s->capacity;
	}
	pl_limiter_set(s->login_pair, cfg->login_rate, cfg->login_burst);
	pl_limiter_set(s->login_host, cfg->login_rate, cfg->login_burst);
	pl_limiter_set(s->login_account, cfg->login_account_rate, cfg->login_account_burst);
	pl_limiter_set(s->register_host, cfg->register_rate, cfg->register_burst);
	pl_rdv_reload(s->rdv);
	struct pl_relay_opts ro = {
		.binding_timeout_ms = cfg->voice_binding_timeout_ms,
		.packet_rate = cfg->voice_packet_rate, .packet_burst = cfg->voice_packet_burst,
		.byte_rate = cfg->voice_byte_rate, .byte_burst = cfg->voice_byte_burst,
		.stun_rate = cfg->stun_rate, .stun_burst = cfg->stun_burst, .stun_global_rate = cfg->stun_global_rate,
	};
	pl_relay_set_budgets(s->relay, &ro);
	pl_worker_set_queue_max(s->worker, cfg->worker_queue);
	for (struct pl_session *x = s->all; x; x = x->all_next)
		pl_session_rebudget(x);
	s->metrics->reloads++;
	resume_accepting(s);
}

/* --- accepting --- */

/* Counts an event and logs the count at most once per LOG_EVERY_MS, so a flood cannot flood
 * the log too. Returns whether to log now. */
static bool log_due(struct pl_server *s, uint64_t *last, unsigned *count)
{
	uint64_t now = pl_env_mono_ms(s->env);
	(*count)++;
	if (*last && now - *last < LOG_EVERY_MS)
		return false;
	*last = now;
	return true;
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *peer, int len, void *arg)
{
	struct pl_server *srv = arg;
	char host[PL_ADDR_STR];
	pl_addr_limit_key(peer, host, sizeof host);
	/* Admission before any TLS work: a refused connection costs an accept and a close. A banned
	 * address gets no ERROR: there is no TLS session to carry one. */
	bool banned = pl_bans_address(srv->bans, peer, pl_env_wall_ms(srv->env)) != NULL;
	bool full = !banned && srv->nsessions >= srv->max_sessions;
	if (banned || full || host_count(srv, host) >= srv->cfg->max_connections_per_ip) {
		evutil_closesocket(fd);
		pl_metrics_refused(srv->metrics, banned ? PL_REFUSED_ADMIT_BANNED : full ? PL_REFUSED_ADMIT_TOTAL
							: PL_REFUSED_ADMIT_ADDRESS);
		if (log_due(srv, &srv->refused_log_ms, &srv->refused_count)) {
			pl_log(PL_LOG_WARN, "turned away %u connection(s), the last from %s: %s", srv->refused_count, host,
			       banned ? "the address is banned" : full ? "at the limit of connections in all"
			       : "at the limit of connections from one address");
			srv->refused_count = 0;
		}
		return;
	}
	/* Small frames, often answered at once: without TCP_NODELAY each answer that follows an
	 * unacknowledged one waits for the client's delayed ACK, about 40 ms. */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
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
	pl_session_start(srv, bev, peer);
}

static void on_accept_retry(evutil_socket_t fd, short what, void *arg)
{
	resume_accepting(arg);
}

/* accept() failed for a reason other than a retriable one: out of descriptors, usually. Pausing
 * the listener stops the spin (the socket stays readable, so libevent would call accept again
 * at once, forever); a closing connection or the timer resumes it. */
static void on_accept_error(struct evconnlistener *l, void *arg)
{
	struct pl_server *srv = arg;
	int e = EVUTIL_SOCKET_ERROR();
	if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
		evconnlistener_disable(l);
		srv->accept_paused = true;
		struct timeval tv = {0, ACCEPT_RETRY_MS * 1000};
		evtimer_add(srv->accept_retry, &tv);
	}
	if (log_due(srv, &srv->emfile_log_ms, &srv->emfile_count)) {
		pl_log(PL_LOG_WARN, "cannot accept connections (%s; %u time(s) in the last %d s)%s", strerror(e),
		       srv->emfile_count, LOG_EVERY_MS / 1000,
		       e == EMFILE || e == ENFILE ? ": out of file descriptors; raise the limit (ulimit -n) or lower max_connections" : "");
		srv->emfile_count = 0;
	}
}

/* What a start made in the data directory, to remove again when a later step fails: the first
 * directory it created (its parents existed before), a new certificate, a new database. */
struct made {
	char root[2048];
	bool cert, db;
};

/* Makes path and its missing parents; root gets the first one made ("" when path existed). */
static int mkdir_p(const char *path, char *root, size_t rootsz)
{
	char tmp[2048];
	snprintf(tmp, sizeof tmp, "%s", path);
	root[0] = '\0';
	for (char *p = tmp + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(tmp, 0700) == 0) {
			if (!root[0])
				snprintf(root, rootsz, "%s", tmp);
		} else if (errno != EEXIST) {
			return -errno;
		}
		*p = c;
		if (!c)
			return 0;
	}
}

static bool data_file_exists(const char *dir, const char *name)
{
	char p[2200];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

static void remove_data_file(const char *dir, const char *name)
{
	char p[2200];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	unlink(p);
}

/* A start failed after it began writing: remove what it made, so that a failed start leaves the
 * disk as it found it. A directory that held something else is left. */
static void undo_files(const char *dir, const struct made *m)
{
	if (m->db) {
		remove_data_file(dir, "parley.db");
		remove_data_file(dir, "parley.db-wal");
		remove_data_file(dir, "parley.db-shm");
	}
	if (m->cert) {
		remove_data_file(dir, "cert.pem");
		remove_data_file(dir, "key.pem");
	}
	if (!m->root[0])
		return;
	remove_data_file(dir, "parleyd.lock");
	char p[2048];
	snprintf(p, sizeof p, "%s", dir);
	size_t rootlen = strlen(m->root);
	/* From the data directory up to the first directory made, each one if it is empty. */
	while (strlen(p) >= rootlen && rmdir(p) == 0) {
		char *slash = strrchr(p, '/');
		if (!slash || slash == p)
			break;
		*slash = '\0';
	}
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
	evconnlistener_set_error_cb(srv->listener, on_accept_error);
	len = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &len);
	srv->tcp_port = pl_addr_port((struct sockaddr *)&ss);
	return 0;
}

/* One parleyd per data directory: a second one would share the database and the certificate
 * and each would think it owns them. */
static int lock_data_dir(struct pl_server *srv, char *err, size_t errsz)
{
	char path[2100];
	snprintf(path, sizeof path, "%s/parleyd.lock", srv->cfg->data_dir);
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errsz, "Cannot open %s (%s); check the data directory's permissions.", path, strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		char pid[32] = "";
		ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		snprintf(err, errsz, "Another parleyd%s%s%s already uses the data directory %s; stop it, or give this one "
			 "another --data-dir.", pid[0] ? " (process " : "", pid, pid[0] ? ")" : "", srv->cfg->data_dir);
		close(fd);
		return -EBUSY;
	}
	char pid[32];
	int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		pl_log(PL_LOG_WARN, "cannot write the process id into %s", path);
	srv->lock_fd = fd;
	return 0;
}

/* The data directory holds the accounts and the TLS key: only its owner may look inside. */
static void tighten(const char *path, mode_t want)
{
	struct stat st;
	if (lstat(path, &st) == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) && (st.st_mode & 077) &&
	    st.st_uid == geteuid()) {
		if (chmod(path, want) == 0)
			pl_log(PL_LOG_WARN, "%s was readable by others; made it mode %04o", path, (unsigned)want);
	}
}

static int open_store(struct pl_server *srv, char *err, size_t errsz)
{
	char dbpath[2100], p[2200];
	snprintf(dbpath, sizeof dbpath, "%s/parley.db", srv->cfg->data_dir);
	struct pl_store *writer;
	/* The writer first: it creates or upgrades the tables the reader then finds. */
	int rc = pl_store_open_sqlite(&writer, dbpath, err, errsz);
	if (rc < 0)
		return rc;
	tighten(dbpath, 0600);
	snprintf(p, sizeof p, "%s-wal", dbpath);
	tighten(p, 0600);
	snprintf(p, sizeof p, "%s-shm", dbpath);
	tighten(p, 0600);
	if ((rc = pl_storeq_alloc(&srv->writes, srv->base, writer, STORE_BATCH)) < 0) {
		pl_store_close(writer);
		snprintf(err, errsz, "Cannot start the store thread.");
		return rc;
	}
	return pl_store_open_sqlite(&srv->store, dbpath, err, errsz);
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
	srv->udp_fd = srv->lock_fd = srv->stun_fd = -1;
	srv->max_sessions = srv->capacity = cfg->max_connections;
	struct made made = {.root = ""};
	int rc = -ENOMEM;
	uint8_t keys[8][16];
	pl_env_random(env, keys, sizeof keys);
	pl_idgen_init(&srv->ids, keys[0]);
	unsigned limiter_slots = cfg->max_connections * 4 > 4096 ? cfg->max_connections * 4 : 4096;
	srv->accept_retry = evtimer_new(base, on_accept_retry, srv);
	/* Relay room numbers: each session may be in PL_SESSION_MAX_ROOMS rooms, and every call takes
	 * one more (at most one call per two sessions; the pool leaves room for one per session). */
	if (!srv->accept_retry || pl_rooms_init(srv, srv->max_sessions * (PL_SESSION_MAX_ROOMS + 1) + 1) < 0 ||
	    pl_calls_init(srv) < 0 ||
	    pl_hmap_alloc(&srv->by_id, srv->max_sessions, keys[1]) < 0 ||
	    pl_hmap_alloc(&srv->by_nick, srv->max_sessions, keys[2]) < 0 ||
	    pl_hmap_alloc(&srv->by_host, srv->max_sessions, keys[3]) < 0 ||
	    pl_limiter_alloc(&srv->login_pair, limiter_slots, cfg->login_rate, cfg->login_burst, keys[4]) < 0 ||
	    pl_limiter_alloc(&srv->login_host, limiter_slots, cfg->login_rate, cfg->login_burst, keys[5]) < 0 ||
	    pl_limiter_alloc(&srv->login_account, limiter_slots, cfg->login_account_rate, cfg->login_account_burst,
			     keys[6]) < 0 ||
	    pl_limiter_alloc(&srv->register_host, limiter_slots, cfg->register_rate, cfg->register_burst, keys[7]) < 0) {
		snprintf(err, errsz, "Out of memory.");
		goto fail;
	}
	sodium_memzero(keys, sizeof keys);
	/* The ports first: a start that fails for a port in use leaves no file behind. */
	if ((rc = pl_bans_alloc(&srv->bans)) < 0) {
		snprintf(err, errsz, "Out of memory.");
		goto fail;
	}
	if ((rc = pl_metrics_alloc(&srv->metrics, srv, cfg->metrics_listen, err, errsz)) < 0)
		goto fail;
	if ((rc = listen_tcp(srv, err, errsz)) < 0)
		goto fail;
	srv->udp_fd = pl_udp_bind(cfg->listen, cfg->udp_port, &srv->udp_port, err, errsz);
	if (srv->udp_fd < 0) {
		rc = srv->udp_fd;
		goto fail;
	}
	if (cfg->stun_port) {
		srv->stun_fd = pl_udp_bind(cfg->listen, cfg->stun_port, &srv->stun_port, err, errsz);
		if (srv->stun_fd < 0) {
			rc = srv->stun_fd;
			snprintf(err, errsz, "Cannot listen for STUN on UDP port %u (%s); %s", cfg->stun_port, strerror(-rc),
				 rc == -EADDRINUSE ? "another program uses it (a TURN server, perhaps): choose another "
						     "stun_port, or 0 to answer STUN on the voice port only."
						   : "check the listen address.");
			goto fail;
		}
	}
	/* Then the data directory, taken before anything is written in it; what this start made is
	 * removed again if a later step fails. */
	if ((rc = mkdir_p(cfg->data_dir, made.root, sizeof made.root)) < 0) {
		snprintf(err, errsz, "Cannot create the data directory %s (%s); choose another with --data-dir.",
			 cfg->data_dir, strerror(-rc));
		goto fail;
	}
	tighten(cfg->data_dir, 0700);
	if ((rc = lock_data_dir(srv, err, errsz)) < 0)
		goto fail;
	srv->tls = pl_tls_server_ctx(cfg->data_dir, cfg->server_name, &made.cert, err, errsz);
	if (!srv->tls) {
		rc = -EIO;
		goto fail;
	}
	{
		char certpath[2100], keypath[2100];
		snprintf(certpath, sizeof certpath, "%s/cert.pem", cfg->data_dir);
		snprintf(keypath, sizeof keypath, "%s/key.pem", cfg->data_dir);
		tighten(keypath, 0600);
		if (pl_tls_file_fingerprint(certpath, srv->fingerprint) < 0 ||
		    sodium_hex2bin(srv->cert_hash, sizeof srv->cert_hash, srv->fingerprint, strlen(srv->fingerprint),
				   NULL, NULL, NULL) != 0) {
			snprintf(err, errsz, "Cannot read the certificate %s; remove cert.pem and key.pem to have new ones made.",
				 certpath);
			rc = -EIO;
			goto fail;
		}
		if (made.cert)
			pl_log(PL_LOG_NOTICE, "made a self-signed certificate %s (SHA-256 %s)", certpath, srv->fingerprint);
	}
	made.db = !data_file_exists(cfg->data_dir, "parley.db");
	if ((rc = open_store(srv, err, errsz)) < 0)
		goto fail;
	if ((rc = pl_bans_load(srv->bans, srv->store, pl_env_wall_ms(env))) < 0) {
		snprintf(err, errsz, "Cannot read the bans from the database in %s.", cfg->data_dir);
		goto fail;
	}
	if ((rc = pl_topics_load(srv, srv->store)) < 0) {
		snprintf(err, errsz, "Cannot read the room topics from the database in %s.", cfg->data_dir);
		goto fail;
	}
	if ((rc = pl_worker_alloc(&srv->worker, base, cfg->workers, cfg->worker_queue)) < 0) {
		snprintf(err, errsz, "Cannot start the password worker threads.");
		goto fail;
	}
	struct pl_relay_opts ro = {
		.max_sessions = cfg->max_connections, .rooms = srv->max_rooms,
		.binding_timeout_ms = cfg->voice_binding_timeout_ms,
		.packet_rate = cfg->voice_packet_rate, .packet_burst = cfg->voice_packet_burst,
		.byte_rate = cfg->voice_byte_rate, .byte_burst = cfg->voice_byte_burst,
		.stun_rate = cfg->stun_rate, .stun_burst = cfg->stun_burst, .stun_global_rate = cfg->stun_global_rate,
		.other = pl_rdv_dgram, .rdv_pairs = cfg->rendezvous_max,
	};
	if ((rc = pl_rdv_alloc(&srv->rdv, srv)) < 0) {
		snprintf(err, errsz, "Out of memory.");
		goto fail;
	}
	ro.other_arg = srv->rdv;
	if ((rc = pl_relay_alloc(&srv->relay, srv->udp_fd, srv->stun_fd, env, &ro)) < 0) {
		snprintf(err, errsz, "Out of memory.");
		goto fail;
	}
	if ((rc = pl_admin_alloc(&srv->admin, srv, err, errsz)) < 0)
		goto fail;
	*sp = srv;
	return 0;
fail:
	pl_server_free(srv);
	undo_files(cfg->data_dir, &made);
	return rc;
}

void pl_server_free(struct pl_server *srv)
{
	if (!srv)
		return;
	if (srv->listener)
		evconnlistener_free(srv->listener);
	srv->listener = NULL;
	while (srv->all)
		pl_session_free_now(srv->all);
	/* After the sessions: jobs and writes finishing now find no session and only free
	 * themselves; every write submitted is committed before the store closes. */
	pl_worker_free(srv->worker);
	pl_storeq_free(srv->writes);
	/* After the worker and the store: an admin command's last step may have finished there. */
	pl_admin_free(srv->admin);
	pl_metrics_free(srv->metrics);
	pl_bans_free(srv->bans);
	pl_relay_free(srv->relay);
	pl_rdv_free(srv->rdv); /* after the relay thread, which queued its datagrams */
	if (srv->udp_fd >= 0)
		close(srv->udp_fd);
	if (srv->stun_fd >= 0)
		close(srv->stun_fd);
	pl_store_close(srv->store);
	if (srv->tls)
		SSL_CTX_free(srv->tls);
	pl_rooms_free(srv);
	pl_topics_free(srv);
	pl_calls_free(srv);
	pl_hmap_free(srv->by_id);
	pl_hmap_free(srv->by_nick);
	pl_hmap_free(srv->by_host);
	pl_limiter_free(srv->login_pair);
	pl_limiter_free(srv->login_host);
	pl_limiter_free(srv->login_account);
	pl_limiter_free(srv->register_host);
	if (srv->accept_retry)
		event_free(srv->accept_retry);
	if (srv->lock_fd >= 0)
		close(srv->lock_fd); /* releases the lock */
	free(srv);
}
