#include "server/session.h"
#include "server/topic.h"

#include <errno.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/names.h"
#include "net/conn.h"
#include "net/log.h"
#include "server/auth.h"
#include "server/call.h"
#include "server/chat.h"
#include "server/metrics.h"
#include "server/relay.h"
#include "server/rendezvous.h"
#include "server/room.h"
#include "server/social.h"
#include "server/server.h"
#include "server/worker.h"
#include "store/store.h"

#define FLUSH_MS 2000 /* a closing connection gets this long to take its last frames */

/* --- sending --- */

void pl_session_send(struct pl_session *s, const struct pl_msg *m)
{
	if (pl_conn_closing(s->conn))
		return;
	if (pl_conn_send(s->conn, m) != -ENOBUFS)
		return;
	pl_metrics_refused(s->srv->metrics, PL_REFUSED_OUTPUT);
	pl_log(PL_LOG_WARN, "%s (%s): dropped, more than %u bytes queued unread", s->nick[0] ? s->nick : "-",
	       s->peer, s->srv->cfg->output_max);
}

void pl_session_error(struct pl_session *s, uint16_t code, uint16_t about, const char *detail)
{
	struct pl_msg m = {.type = PL_MSG_ERROR};
	m.u.error.code = code;
	m.u.error.about = about;
	snprintf(m.u.error.detail, sizeof m.u.error.detail, "%s", detail ? detail : "");
	pl_session_send(s, &m); /* the same budget as every other frame */
}

void pl_session_list_end(struct pl_session *s, uint16_t about, uint32_t count, bool more)
{
	struct pl_msg e = {.type = PL_MSG_LIST_END};
	e.u.list_end.about = about;
	e.u.list_end.count = count;
	e.u.list_end.more = more;
	pl_session_send(s, &e);
}

void pl_session_drop(struct pl_session *s, uint16_t code, uint16_t about, const char *detail)
{
	if (pl_conn_closing(s->conn))
		return;
	if (code) {
		pl_session_error(s, code, about, detail);
		pl_log(PL_LOG_INFO, "%s (%s): closing with %u %s%s%s", s->nick[0] ? s->nick : "-", s->peer,
		       code, pl_err_name(code), detail ? ": " : "", detail ? detail : "");
	}
	pl_server_nick_del(s->srv, s);
	pl_conn_close(s->conn, true);
}

void pl_session_hold(struct pl_session *s)
{
	if (s->writes++ == 0)
		pl_conn_pause(s->conn, true);
}

void pl_session_release(struct pl_session *s)
{
	if (s->writes > 0 && --s->writes == 0)
		pl_conn_pause(s->conn, false);
}

void pl_session_submit(struct pl_session *s, struct pl_session_write *x,
		       int (*apply)(struct pl_store_write *w, struct pl_store *st),
		       void (*done)(struct pl_store_write *w, int rc), bool hold)
{
	x->w.apply = apply;
	x->w.done = done;
	x->srv = s->srv;
	x->session = s->id;
	x->held = hold;
	if (hold)
		pl_session_hold(s);
	pl_server_write(s->srv, &x->w);
}

struct pl_session *pl_session_written(struct pl_session_write *x)
{
	struct pl_session *s = pl_server_session(x->srv, x->session);
	if (s && x->held)
		pl_session_release(s);
	return s && !pl_conn_closing(s->conn) ? s : NULL;
}

/* --- timers: the login deadline from accept, then keepalive --- */

static void arm(struct pl_session *s, unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	evtimer_add(s->timer, &tv);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct pl_session *s = arg;
	const struct pl_config *cfg = s->srv->cfg;
	if (s->state != PL_SESS_READY && s->rdv) {
		/* In a rendezvous, which has its own deadline; the login deadline starts again after. */
		arm(s, cfg->login_timeout_ms);
		return;
	}
	if (s->state != PL_SESS_READY) {
		/* Whatever the state (a TLS handshake that never ends, a login that never comes, a
		 * password check still queued): the connection goes. Before TLS is up there is no way
		 * to say why, so it goes at once; after, its last frame gets FLUSH_MS at most. */
		if (!s->tls_up) {
			pl_conn_close(s->conn, false);
			return;
		}
		char d[80];
		snprintf(d, sizeof d, "no login within %u ms", cfg->login_timeout_ms);
		pl_session_drop(s, PL_ERR_TIMEOUT, 0, d);
		return;
	}
	if (s->ping_outstanding) {
		pl_session_drop(s, PL_ERR_TIMEOUT, PL_MSG_PING, "no PONG in time");
		return;
	}
	struct pl_msg m = {.type = PL_MSG_PING};
	pl_env_random(s->srv->env, &s->ping_token, sizeof s->ping_token);
	m.u.ping.token = s->ping_token;
	s->ping_outstanding = true;
	pl_session_send(s, &m);
	arm(s, cfg->ping_timeout_ms);
}

/* --- login: the steps shared by every way in (server/auth.c does the checking) --- */

/* The account logged in again from another connection (a client reconnecting before the server
 * noticed its old connection die, or the same person on another device): the old session gives
 * way at once, told why, leaving its rooms and call now so the new one starts clean. */
static void replace(struct pl_session *old)
{
	struct pl_server *srv = old->srv;
	pl_log(PL_LOG_INFO, "%s (%s): replaced by a new login", old->nick, old->peer);
	pl_session_error(old, PL_ERR_USER_ONLINE, 0, "this account logged in again from another connection");
	pl_call_session_gone(old);
	while (old->nrooms > 0)
		pl_room_part(srv, old, old->rooms[old->nrooms - 1], PL_PART_QUIT);
	if (old->state == PL_SESS_READY)
		pl_relay_session_end(srv->relay, old->id);
	old->state = PL_SESS_AUTH;                /* it carries out nothing more */
	old->presence = PL_PRESENCE_OFFLINE;      /* the new session says where the person is */
	pl_server_nick_del(srv, old);
	pl_conn_close(old->conn, true);
}

void pl_session_enter_ready(struct pl_session *s, const char *nick, const char *realname,
			    const uint8_t device[PL_DEVICE_KEY_LEN], uint8_t flags)
{
	struct pl_server *srv = s->srv;
	struct pl_session *old = pl_server_find_nick(srv, nick);
	if (old && old != s)
		replace(old);
	snprintf(s->nick, sizeof s->nick, "%s", nick);
	if (pl_server_nick_add(srv, s) < 0) {
		s->nick[0] = '\0';
		s->state = PL_SESS_AUTH;
		pl_session_error(s, PL_ERR_USER_ONLINE, 0, NULL);
		return;
	}
	snprintf(s->realname, sizeof s->realname, "%s", realname);
	if (device)
		memcpy(s->device, device, PL_DEVICE_KEY_LEN);
	s->state = PL_SESS_READY;
	s->login_ms = pl_env_wall_ms(srv->env);
	pl_env_random(srv->env, s->voice_key, sizeof s->voice_key);

	struct pl_msg m = {.type = PL_MSG_AUTH_OK};
	snprintf(m.u.auth_ok.nick, sizeof m.u.auth_ok.nick, "%s", s->nick);
	m.u.auth_ok.session = s->id;
	m.u.auth_ok.udp_port = srv->udp_port;
	memcpy(m.u.auth_ok.voice_key, s->voice_key, PL_VOICE_KEY_LEN);
	m.u.auth_ok.flags = flags;
	m.u.auth_ok.stun_port = srv->stun_port; /* 0 when off */
	pl_session_send(s, &m);
	pl_log(PL_LOG_INFO, "%s logged in from %s (session %016llx%s)", s->nick, s->peer, (unsigned long long)s->id,
	       device ? ", device key" : "");

	evtimer_del(s->timer);
	arm(s, srv->cfg->ping_interval_ms);
	pl_relay_session(srv->relay, s->id, s->voice_key);
	s->presence = PL_PRESENCE_ONLINE;
	pl_social_announce(s);
	if (pl_room_join(srv, s, PL_LOBBY) < 0) {
		pl_session_drop(s, PL_ERR_INTERNAL, 0, "cannot join #Lobby");
		return;
	}
	pl_social_login(s);
	pl_chat_deliver_pending(s);
}

/* --- rooms --- */

static void handle_join(struct pl_session *s, const struct pl_msg *m)
{
	const char *name = m->u.join.room;
	if (!pl_room_valid(name)) {
		pl_session_error(s, PL_ERR_BAD_ROOM, m->type, NULL);
		return;
	}
	if (m->type == PL_MSG_JOIN) {
		int rc = pl_room_join(s->srv, s, name);
		if (rc == -EALREADY) {
			struct pl_room *r = pl_room_find(s->srv, name);
			pl_room_set_voice(s->srv, s, r); /* joining again moves your voice there */
			pl_room_send_userlist(r, s);
		} else if (rc == -E2BIG) {
			pl_session_error(s, PL_ERR_TOO_MANY_ROOMS, m->type, NULL);
		} else if (rc < 0) {
			pl_session_error(s, PL_ERR_INTERNAL, m->type, NULL);
		}
		return;
	}
	struct pl_room *r = pl_room_find(s->srv, name);
	if (!r || !pl_room_has(r, s)) {
		pl_session_error(s, PL_ERR_NOT_IN_ROOM, m->type, NULL);
		return;
	}
	pl_room_part(s->srv, s, r, PL_PART_LEFT);
}

/* --- dispatch --- */

/* Every frame, whatever its type and whether logged in or not, takes a token: nothing a client
 * sends is free. A client that keeps going past its budget is dropped rather than answered
 * with an error per frame. */
static bool within_budget(struct pl_session *s, uint16_t type)
{
	const struct pl_config *cfg = s->srv->cfg;
	if (pl_bucket_take(&s->req_bucket, pl_env_mono_ms(s->srv->env), cfg->request_rate, cfg->request_burst)) {
		s->refused = 0;
		return true;
	}
	pl_metrics_refused(s->srv->metrics, PL_REFUSED_REQUEST);
	if (++s->refused > cfg->request_burst)
		pl_session_drop(s, PL_ERR_RATE_LIMITED, type, "too many requests; closing");
	else
		pl_session_error(s, PL_ERR_RATE_LIMITED, type, "too many requests");
	return false;
}

static void hello(struct pl_session *s, const struct pl_msg *m)
{
	if (s->state != PL_SESS_HELLO) {
		pl_session_error(s, PL_ERR_UNEXPECTED, m->type, "HELLO was already sent");
		return;
	}
	if (m->u.hello.version != PL_PROTO_VERSION) {
		char d[64];
		snprintf(d, sizeof d, "server speaks protocol %d, client %u", PL_PROTO_VERSION, m->u.hello.version);
		pl_session_drop(s, PL_ERR_VERSION, m->type, d);
		return;
	}
	s->state = PL_SESS_AUTH;
	struct pl_msg w = {.type = PL_MSG_WELCOME};
	w.u.welcome.version = PL_PROTO_VERSION;
	snprintf(w.u.welcome.server, sizeof w.u.welcome.server, "%s", s->srv->cfg->server_name);
	memcpy(w.u.welcome.challenge, s->challenge, PL_CHALLENGE_LEN);
	pl_session_send(s, &w);
}

static void on_msg(struct pl_conn *c, const struct pl_msg *m, void *arg)
{
	struct pl_session *s = arg;
	struct pl_server *srv = s->srv;

	if (m->type & 0x8000) {
		pl_session_drop(s, PL_ERR_PROTOCOL, m->type, "a server-to-client message type");
		return;
	}
	if (!within_budget(s, m->type))
		return;
	switch (m->type) {
	case PL_MSG_HELLO:
		hello(s, m);
		return;
	case PL_MSG_REGISTER:
	case PL_MSG_LOGIN:
	case PL_MSG_LOGIN_KEY:
		if (s->state != PL_SESS_AUTH) {
			pl_session_error(s, PL_ERR_UNEXPECTED, m->type,
					 s->state == PL_SESS_HELLO ? "send HELLO first" : "already logged in");
			return;
		}
		pl_auth_handle(s, m);
		return;
	case PL_MSG_PONG:
		if (s->ping_outstanding && m->u.ping.token == s->ping_token) {
			s->ping_outstanding = false;
			evtimer_del(s->timer);
			arm(s, srv->cfg->ping_interval_ms);
		}
		return;
	case PL_MSG_BYE:
		pl_session_drop(s, 0, 0, NULL);
		return;
	case PL_MSG_RDV_OPEN:
	case PL_MSG_RDV_JOIN:
	case PL_MSG_RDV_SEND:
	case PL_MSG_RDV_RELAY:
		/* Rendezvous by room code needs no account: allowed from HELLO on. */
		if (s->state == PL_SESS_HELLO)
			pl_session_error(s, PL_ERR_UNEXPECTED, m->type, "send HELLO first");
		else
			pl_rdv_handle(s, m);
		return;
	default:
		break;
	}
	if (s->state != PL_SESS_READY) {
		pl_session_error(s, PL_ERR_NOT_LOGGED_IN, m->type, NULL);
		return;
	}
	switch (m->type) {
	case PL_MSG_JOIN:
	case PL_MSG_PART:
		handle_join(s, m);
		break;
	case PL_MSG_SET_PASSWORD:
	case PL_MSG_DEVICES_GET:
	case PL_MSG_DEVICE_REVOKE:
	case PL_MSG_KEYS_GET:
		pl_auth_handle(s, m);
		break;
	case PL_MSG_SAY:
	case PL_MSG_HISTORY:
	case PL_MSG_DELIVERED:
	case PL_MSG_ROOMS_GET:
	case PL_MSG_NAMES:
		pl_chat_handle(s, m);
		break;
	case PL_MSG_TOPIC:
		pl_topic_handle(s, m);
		break;
	case PL_MSG_CALL_START:
	case PL_MSG_CALL_RING:
	case PL_MSG_CALL_ANSWER:
	case PL_MSG_CALL_CONFIRM:
	case PL_MSG_CALL_HANGUP:
	case PL_MSG_MEDIA_KEYS:
	case PL_MSG_CALL_CAND:
		pl_call_handle(s, m);
		break;
	case PL_MSG_SET_PROFILE:
	case PL_MSG_PROFILE_GET:
	case PL_MSG_CONTACT_ADD:
	case PL_MSG_CONTACT_DEL:
	case PL_MSG_CONTACT_ANSWER:
	case PL_MSG_CONTACTS_GET:
	case PL_MSG_STATUS_SET:
	case PL_MSG_STATUS_GET:
	case PL_MSG_GROUP_CREATE:
	case PL_MSG_GROUP_ADD:
	case PL_MSG_GROUP_QUIT:
	case PL_MSG_GROUPS_GET:
		pl_social_handle(s, m);
		break;
	default:
		pl_session_drop(s, PL_ERR_PROTOCOL, m->type, "unknown message type");
		break;
	}
}

static void on_bad(struct pl_conn *c, int err, uint16_t type, void *arg)
{
	struct pl_session *s = arg;
	if (err == -EMSGSIZE)
		pl_session_drop(s, PL_ERR_FRAME_TOO_LARGE, type, NULL);
	else if (err == -EPROTO)
		pl_session_drop(s, PL_ERR_PROTOCOL, type, "unknown message type");
	else
		pl_session_drop(s, PL_ERR_PROTOCOL, type, "malformed frame");
}

/* Leaves every room (telling the others), drops work still queued for this connection, and
 * forgets the session in the server's indexes. */
static void cleanup(struct pl_session *s)
{
	struct pl_server *srv = s->srv;
	pl_auth_cancel(s);
	pl_rdv_session_gone(s);
	pl_call_session_gone(s); /* the other party learns the call failed */
	if (s->presence != PL_PRESENCE_OFFLINE) {
		s->presence = PL_PRESENCE_OFFLINE;
		pl_social_announce(s);
	}
	while (s->nrooms > 0)
		pl_room_part(srv, s, s->rooms[s->nrooms - 1], PL_PART_QUIT);
	if (s->state == PL_SESS_READY)
		pl_relay_session_end(srv->relay, s->id);
	pl_server_remove(srv, s);
	event_free(s->timer);
	sodium_memzero(s->voice_key, sizeof s->voice_key);
}

static void on_closed(struct pl_conn *c, int err, void *arg)
{
	struct pl_session *s = arg;
	if (s->state == PL_SESS_READY)
		pl_log(PL_LOG_INFO, "%s disconnected (%s)", s->nick,
		       err == 0 ? "closed" : err == -ETIMEDOUT ? "timed out" : err == -ENOBUFS ? "output budget exceeded"
		       : "connection lost");
	cleanup(s);
	pl_conn_free(s->conn);
	free(s);
}

void pl_session_rebudget(struct pl_session *s)
{
	pl_conn_set_budget(s->conn, s->srv->cfg->output_watermark, s->srv->cfg->output_max, FLUSH_MS);
}

void pl_session_free_now(struct pl_session *s)
{
	cleanup(s);
	pl_conn_free(s->conn);
	free(s);
}

static void on_connected(struct pl_conn *c, void *arg)
{
	struct pl_session *s = arg;
	s->tls_up = true;
}

static const struct pl_conn_handlers handlers = {
	.msg = on_msg,
	.bad = on_bad,
	.closed = on_closed,
	.connected = on_connected,
};

int pl_session_start(struct pl_server *srv, struct bufferevent *bev, const struct sockaddr *peer)
{
	struct pl_session *s = calloc(1, sizeof *s);
	if (!s) {
		bufferevent_free(bev);
		return -ENOMEM;
	}
	s->srv = srv;
	pl_addr_fmt(peer, s->peer, sizeof s->peer);
	pl_addr_limit_key(peer, s->peer_host, sizeof s->peer_host);
	memcpy(&s->peer_sa, peer, peer->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	s->timer = evtimer_new(srv->base, on_timer, s);
	if (!s->timer || pl_conn_alloc(&s->conn, bev, srv->cfg->max_frame, &handlers, s) < 0) {
		if (s->timer)
			event_free(s->timer);
		bufferevent_free(bev);
		free(s);
		return -ENOMEM;
	}
	pl_conn_set_budget(s->conn, srv->cfg->output_watermark, srv->cfg->output_max, FLUSH_MS);
	pl_env_random(srv->env, s->challenge, sizeof s->challenge);
	pl_server_add(srv, s);
	/* The one hard deadline, from accept, whatever happens to the handshake. */
	arm(s, srv->cfg->login_timeout_ms);
	return 0;
}
