/*
 * session: one client connection on the server and its state machine:
 *
 *   HELLO --HELLO ok--> AUTH --REGISTER/LOGIN--> AUTH_WAIT (Argon2id on a worker) --ok--> READY
 *                          \--LOGIN_KEY (a signature, checked at once)-----------------/
 *
 * It dispatches each decoded message for its state, within the connection's budgets (every
 * request takes a token; queued output is capped), runs the hard login deadline from accept and
 * then the keepalive (PING with a random token, PONG expected within the timeout), and cleans up
 * its rooms, relay binding and any work still queued for it when the connection ends.
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
#include "store/storeq.h"

#define PL_SESSION_MAX_ROOMS 16

struct pl_server;
struct pl_room;
struct pl_conn;
struct bufferevent;

enum pl_session_state { PL_SESS_HELLO, PL_SESS_AUTH, PL_SESS_AUTH_WAIT, PL_SESS_READY };

struct auth_job;
struct pl_rdv_entry;

struct pl_session {
	struct pl_server *srv;
	uint64_t id; /* random, never reused: what the client, the relay and queued work know it by */
	struct pl_conn *conn;
	enum pl_session_state state;
	char nick[PL_NICK_MAX + 1];
	char realname[PL_REALNAME_MAX + 1];
	char peer[PL_ADDR_STR];      /* address:port, for logs */
	char peer_host[PL_ADDR_STR]; /* the address's limit key (IPv6 by /64), for per-address limits */
	struct sockaddr_storage peer_sa; /* the address itself, for address bans */
	uint64_t login_ms;           /* wall clock at login, for the admin's list */
	bool pw_change;              /* a password change is being checked on a worker */
	bool nick_indexed;           /* in the server's by-nickname index */
	bool tls_up;                 /* the TLS handshake finished */
	struct auth_job *job;        /* password work queued or running for this connection */
	uint8_t challenge[PL_CHALLENGE_LEN]; /* sent in WELCOME; LOGIN_KEY signs it */
	uint8_t device[PL_DEVICE_KEY_LEN];   /* the device key this session logged in with, or zero */
	uint8_t presence;            /* enum pl_presence */
	char note[PL_NOTE_MAX + 1];
	struct pl_bucket msg_bucket, req_bucket;
	unsigned refused;            /* requests refused in a row for the budget */
	unsigned writes;             /* durable writes in flight that hold reading (ordering) */
	unsigned says;               /* messages in flight to the store */
	struct event *timer; /* login deadline, then keepalive */
	bool ping_outstanding;
	uint64_t ping_token;

	/* Offline delivery, a page at a time: the last id sent, whether more wait, and whether the
	 * page sent is not yet acknowledged. */
	uint64_t offline_last;
	bool offline_more, offline_unacked;

	/* Voice: the key that proves our UDP address to the relay (server/relay.h), which keeps
	 * that address itself. */
	uint8_t voice_key[PL_VOICE_KEY_LEN];

	/* Calls (server/call.c): the call this session rings in or is in, whether its voice goes
	 * there, and the presence the call replaced with busy. */
	uint64_t call;
	bool call_voice, busy_by_call;
	uint8_t presence_before;
	char note_before[PL_NOTE_MAX + 1];

	/* The rendezvous by room code this connection is in (server/rendezvous.h), or NULL: while
	 * it lasts, login_timeout does not end a connection that has not logged in. */
	struct pl_rdv_entry *rdv;

	struct pl_room *rooms[PL_SESSION_MAX_ROOMS];
	unsigned nrooms;
	struct pl_room *voice_room;

	struct pl_session *all_prev, *all_next; /* every session of the server, for shutdown */
};

/* Takes a freshly accepted TLS bufferevent of a connection already admitted (server.c). 0 or
 * -ENOMEM (bev is freed). */
int pl_session_start(struct pl_server *srv, struct bufferevent *bev, const struct sockaddr *peer);
/* Sends ERROR code about a request (detail may be NULL); the connection stays open. */
void pl_session_error(struct pl_session *s, uint16_t code, uint16_t about, const char *detail);
/* Ends a listing (contacts, groups, rooms, history) with LIST_END. */
void pl_session_list_end(struct pl_session *s, uint16_t about, uint32_t count, bool more);
/* Sends ERROR code (if non-zero) and closes after flushing. */
void pl_session_drop(struct pl_session *s, uint16_t code, uint16_t about, const char *detail);
/* Queues m to the session's client; a client too slow to read is dropped. */
void pl_session_send(struct pl_session *s, const struct pl_msg *m);
/* Holds reading while a durable write of s is in flight, so its next request sees its effect;
 * release once the write is done. */
void pl_session_hold(struct pl_session *s);
void pl_session_release(struct pl_session *s);

/* A durable write made for a session (store/storeq.h), to embed first in a write's struct. The
 * write carries the session's id, never a pointer: by the time it is done the connection may be
 * gone, and an id is never given to another. */
struct pl_session_write {
	struct pl_store_write w;
	struct pl_server *srv;
	uint64_t session;
	bool held;
};
/* Submits x for s; with hold, s reads nothing more until x is done (for requests whose effect the
 * next request must see). */
void pl_session_submit(struct pl_session *s, struct pl_session_write *x,
		       int (*apply)(struct pl_store_write *w, struct pl_store *st),
		       void (*done)(struct pl_store_write *w, int rc), bool hold);
/* In a write's `done`: the session it was made for, its hold released, or NULL when it is gone
 * (or closing). */
struct pl_session *pl_session_written(struct pl_session_write *x);
/* Logs s in as nick (the stored spelling): AUTH_OK with flags, the voice key to the relay,
 * presence to contacts, #Lobby, waiting contact requests and the first page of waiting messages.
 * device is the key it logged in with or registered (NULL: none). If that nickname has a session
 * already, s gets ERROR 407 and stays in AUTH. */
void pl_session_enter_ready(struct pl_session *s, const char *nick, const char *realname,
			    const uint8_t device[PL_DEVICE_KEY_LEN], uint8_t flags);
/* Frees every session at server shutdown. */
void pl_session_free_now(struct pl_session *s);
/* Applies the output budget of the config as it is now (a reload) to s's connection. */
void pl_session_rebudget(struct pl_session *s);

#endif
