/*
 * server: one parleyd instance: the TLS listener, the sessions and their indexes, the rooms, the
 * store (a read connection here, the writer on its own thread), the password workers and the voice
 * relay. Everything a server owns hangs off this struct, so a test process could run two servers
 * side by side.
 *
 * Admission happens before any TLS work: a connection over the limits (in all, or from one
 * address, IPv6 counted by /64) is closed as soon as it is accepted. When the process runs out of
 * file descriptors the listener pauses, instead of spinning on accept(), until a connection ends.
 */
#ifndef PL_SERVER_H
#define PL_SERVER_H

#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/env.h"
#include "core/idgen.h"
#include "core/msg.h"
#include "net/tls.h"
#include "server/config.h"

struct pl_session;
struct pl_room;
struct pl_store;
struct pl_storeq;
struct pl_store_write;
struct pl_worker;
struct pl_relay;
struct pl_limiter;
struct pl_hmap;
struct pl_metrics;
struct pl_bans;
struct pl_admin;
struct pl_rdv;

struct pl_server {
	const struct pl_config *cfg;
	const struct pl_env *env;
	struct event_base *base;
	SSL_CTX *tls;
	struct evconnlistener *listener;
	struct pl_store *store;   /* reads, on this thread */
	struct pl_storeq *writes; /* durable writes, on the store thread */
	struct pl_worker *worker;
	struct pl_relay *relay;
	struct pl_rdv *rdv;       /* rendezvous by room code */
	int udp_fd, lock_fd;
	int stun_fd; /* the STUN port (stun_port), or -1 */
	uint16_t tcp_port, udp_port, stun_port;
	char fingerprint[PL_FINGERPRINT_HEX];
	uint8_t cert_hash[PL_CERT_HASH_LEN]; /* what device-key logins sign (core/auth.h) */

	/* Sessions: every one in `all`; by id (ids are 64-bit, random and never reused, so a stale
	 * id finds nothing); logged-in ones by nickname; connection counts by address key. */
	struct pl_idgen ids;
	struct pl_session *all;
	struct pl_hmap *by_id, *by_nick, *by_host;
	unsigned nsessions, max_sessions;

	struct pl_room *rooms, *rooms_tail; /* a list; #Lobby first and permanent */
	struct pl_hmap *rooms_by_name;
	struct pl_hmap *calls; /* by id (server/call.c) */
	struct pl_hmap *topics; /* room topics by room name (server/topic.c) */
	struct pl_topic_rec **topic_list;
	unsigned ntopics;
	unsigned ncalls;
	struct pl_msg scratch; /* a message being built on the loop thread, to spare an allocation */
	uint32_t *room_numbers; /* free room numbers for the relay, a stack */
	unsigned nroom_numbers, max_rooms;
	struct pl_room *lobby;

	/* Password guessing: per account and address pair, per address, and a slower bucket per
	 * account for all addresses together; registrations per address. */
	struct pl_limiter *login_pair, *login_host, *login_account, *register_host;

	/* Operations: counters and the metrics endpoint; the admin's bans and socket. */
	struct pl_metrics *metrics;
	struct pl_bans *bans;
	struct pl_admin *admin;
	unsigned capacity; /* sessions the indexes were sized for: max_connections at start */

	/* accept() out of descriptors: paused until a connection ends (or a retry timer), logged
	 * once per interval; connections refused for limits, likewise counted and logged. */
	struct event *accept_retry;
	bool accept_paused;
	uint64_t emfile_log_ms, refused_log_ms;
	unsigned emfile_count, refused_count;
};

int pl_server_alloc(struct pl_server **sp, const struct pl_config *cfg, const struct pl_env *env,
		    struct event_base *base, char *err, size_t errsz);
void pl_server_free(struct pl_server *s);

/* The session with that id, or NULL. */
struct pl_session *pl_server_session(struct pl_server *s, uint64_t id);
/* The logged-in session of that nickname (compared without case), or NULL. */
struct pl_session *pl_server_find_nick(struct pl_server *s, const char *nick);
/* Indexes a session that has just logged in under its nickname; -EEXIST if that nickname has a
 * session already. */
int pl_server_nick_add(struct pl_server *s, struct pl_session *sess);
/* Takes s out of the by-nickname index as soon as it is closing: messages to its user then wait
 * for them instead of going to a connection on its way out, and the user may log in again. */
void pl_server_nick_del(struct pl_server *s, struct pl_session *sess);
/* Takes a new session in: gives it an id and counts it against its address. */
void pl_server_add(struct pl_server *s, struct pl_session *sess);
/* Forgets a session that is ending (its id, nickname and address count) and lets a paused
 * listener accept again. */
void pl_server_remove(struct pl_server *s, struct pl_session *sess);
/* Hands a durable write to the store thread (store/storeq.h). */
void pl_server_write(struct pl_server *s, struct pl_store_write *w);
/* The config (s->cfg) changed on SIGHUP: applies the limits kept outside it (limiters, the
 * relay's budgets, the worker queue, connection caps and every open connection's output budget). */
void pl_server_reload(struct pl_server *s);

#endif
