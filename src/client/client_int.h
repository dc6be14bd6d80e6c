/*
 * client_int: the client's state, shared by its parts: client.c (the connection, the server's
 * messages, voice and calls), client_cmd.c (carrying out a person's or a script's command) and
 * client_input.c (reading commands: a script's wait for its login, the end of its input).
 * Internal to the client; nothing else includes it.
 */
#ifndef PL_CLIENT_INT_H
#define PL_CLIENT_INT_H

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "client/call.h"
#include "client/client.h"
#include "client/cmds.h"
#include "client/identity.h"
#include "client/pending.h"
#include "client/rdvc.h"
#include "client/roomkey.h"
#include "client/ui.h"
#include "client/vmeter.h"
#include "client/voice.h"
#include "core/auth.h"
#include "core/env.h"
#include "core/msg.h"
#include "net/conn.h"

#define MAX_ROOMS PL_CLIENT_ROOMS
#define STDIN_LINE_MAX (PL_TEXT_MAX * 6 + 2048)
/* A room's user list arrives in chunks; a server that never says "last chunk" gets this many
 * names at most, not all our memory. */
#define USERLIST_MAX 65536
#define EOF_WAIT_S 30 /* end of input: how long answers are waited for */
#define HISTQ_MAX 64  /* HISTORY requests awaiting their answers */

enum cl_hist {
	CL_HIST_CMD,    /* /history, or a script's history command */
	CL_HIST_RECENT, /* the last messages, as a window opens */
	CL_HIST_OLDER,  /* a page for the top of a TUI window */
};

struct client {
	const struct pl_client_opts *o;
	const struct pl_env *env;
	struct event_base *base;
	struct pl_ui ui;
	SSL_CTX *tls;
	struct pl_conn *conn;
	struct bufferevent *in;
	char host[256];
	uint16_t port;
	char server_id[300]; /* host:port as pinned */
	struct sockaddr_storage addr;
	socklen_t addrlen;

	bool welcomed, logged_in, quitting;
	/* Scripts (JSON and line modes): commands wait while a login is under way, and the end of
	 * input quits once what was asked is answered. */
	bool auth_pending, login_failed, input_eof, voice_sending;
	bool tls_up; /* the TLS handshake completed: a close after it is not a failure to connect */
	struct pl_pending pending; /* which command each answer belongs to */
	bool in_cmd;               /* a command is being carried out: what it sends is remembered */
	struct event *eof_timer;   /* end of input: the longest wait for the answers */
	int exit_code;

	/* Logging in: this device's key for this server (client/identity.h), what the server asked
	 * it to sign, and the password kept only until the login is settled, in case the device is
	 * not registered yet and the password must register it. */
	bool have_identity;
	uint8_t secret[PL_IDENTITY_SECRET];
	uint8_t device_pk[PL_DEVICE_KEY_LEN], device_sk[PL_DEVICE_SECRET_LEN];
	uint8_t cert_hash[PL_CERT_HASH_LEN], challenge[PL_CHALLENGE_LEN];
	char auth_nick[PL_NICK_MAX + 1];
	char auth_password[PL_PASSWORD_MAX + 1];
	uint64_t offline_shown; /* the last waiting message shown, to acknowledge with its page */
	char nick[PL_NICK_MAX + 1];
	uint64_t session;
	uint8_t voice_key[PL_VOICE_KEY_LEN];
	uint16_t udp_port;
	struct pl_voice *voice;
	struct pl_vmeter vm;  /* the microphone's meter and who talks, by name */
	struct event *live;   /* refreshes them while there is voice */
	struct pl_calls *calls;
	struct pl_callpath *callpath; /* the 1:1 call's direct path */
	uint16_t stun_port;           /* AUTH_OK's: parleyd's second STUN port, or 0 */
	struct pl_roomkeys *roomkeys;
	struct pl_rdvc *rdv; /* `--rendezvous`: the rendezvous by room code (client/rdvc.h), or NULL */
	char rooms[MAX_ROOMS][PL_ROOM_MAX + 1];
	unsigned nrooms;
	uint32_t next_tag;

	/* A USERLIST arrives in chunks; collected here until the last. */
	char ul_room[PL_ROOM_MAX + 1];
	char (*ul_nicks)[PL_NICK_MAX + 1];
	unsigned ul_n, ul_cap;
	struct pl_msg out; /* a message being built to send */
	/* What the person typed, sent one at a time (client_cmd.c) */
	struct say_item *sayq;
	uint32_t say_inflight; /* the tag of the SAY the server has not answered yet, or 0 */
	struct event *say_retry;
	/* Reconnecting (TUI and line mode): windows stay, the device key logs in again, the rooms
	 * are joined again. */
	struct event *reconnect;
	unsigned backoff_s;
	bool was_logged_in, replaced;
	char relogin_nick[PL_NICK_MAX + 1];
	char rejoin[MAX_ROOMS][PL_ROOM_MAX + 1];
	unsigned nrejoin;
	char keep_window[PL_TARGET_MAX + 1]; /* the window the person was in, kept as rooms come back */
	/* HISTORY requests in the order sent: the server answers each with its TEXTs (HISTORY flag),
	 * then LIST_END or ERROR, in that order, so the oldest one here owns what arrives. Pages of
	 * older history the TUI asked for go to the top of their window; the last messages fetched
	 * as a window opens end quietly when there are none. */
	struct { char target[PL_TARGET_MAX + 1]; enum cl_hist kind; } histq[HISTQ_MAX];
	unsigned histq_n;
};

/* client.c */
/* Where plain text goes: the window the person looks at in the TUI, else the room joined last. */
const char *cl_current_target(struct client *c);
void cl_send(struct client *c, struct pl_msg *m);
void cl_quit(struct client *c);
int cl_ensure_voice(struct client *c);
void cl_voice_file(struct client *c, bool send, const char *path);
void cl_start_login(struct client *c, bool reg, const char *nick, const char *pw, const char *realname);
/* A window opened for a room or a person: the last messages there are fetched to fill it. */
void cl_recent(struct client *c, const char *target);
/* A HISTORY request sent for target. Returns false when too many wait already (it is then not
 * to be sent). */
bool cl_history_sent(struct client *c, const char *target, enum cl_hist kind);

/* client_cmd.c */
void cl_run_cmd(struct client *c, const struct pl_cmd *cmd);
/* An answer to the message in flight: true when it need not be shown (refused for the rate: it
 * goes again by itself). */
bool cl_say_answer(struct client *c, const struct pl_msg *m);
void cl_say_free(struct client *c);
/* Logged in (again): what waits to be sent goes. */
void cl_say_resume(struct client *c);

/* client_input.c */
void cl_handle_line(const char *line, size_t len, void *arg);
void cl_on_stdin(struct bufferevent *bev, void *arg);
void cl_on_stdin_event(struct bufferevent *bev, short what, void *arg);
void cl_on_eof_timer(evutil_socket_t fd, short what, void *arg);
/* A login was settled, or the welcome came: commands that waited go on. */
void cl_input_resume(struct client *c);
/* After each answer: end of input quits once everything read is answered. */
void cl_input_done_check(struct client *c);

#endif
