/*
 * session: one client connection on the server and its state machine:
 *
 *   HELLO --HELLO ok--> AUTH --REGISTER/LOGIN--> AUTH_WAIT (Argon2id on the worker) --ok--> READY
 *
 * It dispatches each decoded message for its state, runs the keepalive (PING with a random token,
 * PONG expected within the timeout) and the login deadline, and cleans up its rooms and relay
 * binding when the connection ends for any reason.
 */
#ifndef PL_SESSION_H
#define PL_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/msg.h"
#include "core/names.h"
#include "core/ratelimit.h"
#include "net/addr.h"

#define PL_SESSION_MAX_ROOMS 16

struct pl_server;
struct pl_room;
struct pl_conn;
struct bufferevent;

enum pl_session_state { PL_SESS_HELLO, PL_SESS_AUTH, PL_SESS_AUTH_WAIT, PL_SESS_READY };

struct pl_session {
	struct pl_server *srv;
	uint32_t id;
	struct pl_conn *conn;
	enum pl_session_state state;
	char nick[PL_NICK_MAX + 1];
	char realname[PL_REALNAME_MAX + 1];
	char peer[PL_ADDR_STR];      /* address:port, for logs */
	char peer_host[PL_ADDR_STR]; /* address alone, for per-address limits */
	bool pw_change;              /* a password change is being checked on the worker */
	uint8_t presence;            /* enum pl_presence */
	char note[PL_NOTE_MAX + 1];
	struct pl_bucket msg_bucket, req_bucket;
	struct event *timer; /* login deadline, then keepalive */
	bool ping_outstanding;
	uint64_t ping_token;

	/* Voice: the key that proves our UDP address to the relay (server/relay.h), which keeps
	 * that address itself. */
	uint8_t voice_key[PL_VOICE_KEY_LEN];

	struct pl_room *rooms[PL_SESSION_MAX_ROOMS];
	unsigned nrooms;
	struct pl_room *voice_room;

	struct pl_session *all_prev, *all_next; /* every session of the server, for shutdown */
};

/* Takes a freshly accepted TLS bufferevent. Returns 0, or -EBUSY when the server is full or -EMFILE
 * when that address has its share of connections (the client then gets ERROR 429 and the
 * connection closes). */
int pl_session_start(struct pl_server *srv, struct bufferevent *bev, const struct sockaddr *peer);
/* Sends ERROR code about a request (detail may be NULL); the connection stays open. */
void pl_session_error(struct pl_session *s, uint16_t code, uint16_t about, const char *detail);
/* Ends a listing (contacts, groups, rooms, history) with LIST_END. */
void pl_session_list_end(struct pl_session *s, uint16_t about, uint32_t count, bool more);
/* Sends ERROR code (if non-zero) and closes after flushing. */
void pl_session_drop(struct pl_session *s, uint16_t code, uint16_t about, const char *detail);
/* Queues m to the session's client; a client too slow to read is dropped. */
void pl_session_send(struct pl_session *s, const struct pl_msg *m);
/* Frees every session at server shutdown. */
void pl_session_free_now(struct pl_session *s);

#endif
