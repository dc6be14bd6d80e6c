/*
 * server: one parleyd instance: the TLS listener, the table of sessions, the rooms, the store,
 * the Argon2id worker and the voice relay. Everything a server owns hangs off this struct, so a
 * test process could run two servers side by side.
 */
#ifndef PL_SERVER_H
#define PL_SERVER_H

#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/ssl.h>
#include <stdint.h>

#include "core/env.h"
#include "net/tls.h"
#include "server/config.h"

struct pl_session;
struct pl_room;
struct pl_store;
struct pl_worker;
struct pl_relay;
struct pl_limiter;

struct pl_server {
	const struct pl_config *cfg;
	const struct pl_env *env;
	struct event_base *base;
	SSL_CTX *tls;
	struct evconnlistener *listener;
	struct pl_store *store;
	struct pl_worker *worker;
	struct pl_relay *relay;
	int udp_fd;
	uint16_t tcp_port, udp_port;
	char fingerprint[PL_FINGERPRINT_HEX];

	/* Sessions by slot; a session id is (generation << 16 | slot), so the relay finds a
	 * sender in O(1) and a stale id never matches a reused slot. */
	struct pl_session **slots;
	uint16_t *gens;
	unsigned nslots, nsessions;

	struct pl_session *all; /* every session, slotted or being turned away */
	struct pl_room *rooms; /* a list; #Lobby first and permanent */
	uint32_t *room_numbers; /* free room numbers for the relay, a stack */
	unsigned nroom_numbers, max_rooms;
	struct pl_room *lobby;
	struct pl_limiter *login_by_nick, *login_by_host; /* failed logins */
};

int pl_server_alloc(struct pl_server **sp, const struct pl_config *cfg, const struct pl_env *env,
		    struct event_base *base, char *err, size_t errsz);
void pl_server_free(struct pl_server *s);

/* The session with that id, or NULL. */
struct pl_session *pl_server_session(struct pl_server *s, uint32_t id);
/* The logged-in session of that nickname (compared without case), or NULL. */
struct pl_session *pl_server_find_nick(struct pl_server *s, const char *nick);
/* Claims a slot for a new session; returns its id, or 0 when the server is full. */
uint32_t pl_server_claim(struct pl_server *s, struct pl_session *sess);
void pl_server_release(struct pl_server *s, uint32_t id);
/* Sessions from that address (without port). */
unsigned pl_server_count_host(struct pl_server *s, const char *host);

#endif
