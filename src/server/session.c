#include "server/session.h"

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
#include "server/chat.h"
#include "server/relay.h"
#include "server/room.h"
#include "server/social.h"
#include "server/server.h"
#include "server/worker.h"
#include "store/store.h"

#define OUTQ_LIMIT (1u << 20) /* a client that lets 1 MiB pile up unread is dropped */
#define CLIENT_VERSION_MAX PL_VERSION_STR_MAX

/* --- sending --- */

void pl_session_send(struct pl_session *s, const struct pl_msg *m)
{
	if (pl_conn_closing(s->conn))
		return;
	if (pl_conn_outq(s->conn) > OUTQ_LIMIT) {
		pl_log(PL_LOG_WARN, "%s (%s): dropped, %zu bytes unread", s->nick, s->peer, pl_conn_outq(s->conn));
		pl_conn_close(s->conn, false);
		return;
	}
	pl_conn_send(s->conn, m);
}

void pl_session_error(struct pl_session *s, uint16_t code, uint16_t about, const char *detail)
{
	pl_conn_send_error(s->conn, code, about, detail);
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
	pl_conn_close(s->conn, true);
}

/* --- timers: login deadline, then keepalive --- */

static void arm(struct pl_session *s, unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	evtimer_add(s->timer, &tv);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct pl_session *s = arg;
	const struct pl_config *cfg = s->srv->cfg;
	if (s->state != PL_SESS_READY) {
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

/* --- login --- */

static void enter_ready(struct pl_session *s, const char *nick, const char *realname)
{
	struct pl_server *srv = s->srv;
	snprintf(s->nick, sizeof s->nick, "%s", nick);
	snprintf(s->realname, sizeof s->realname, "%s", realname);
	s->state = PL_SESS_READY;
	pl_env_random(srv->env, s->voice_key, sizeof s->voice_key);

	struct pl_msg m = {.type = PL_MSG_AUTH_OK};
	snprintf(m.u.auth_ok.nick, sizeof m.u.auth_ok.nick, "%s", s->nick);
	m.u.auth_ok.session = s->id;
	m.u.auth_ok.udp_port = srv->udp_port;
	memcpy(m.u.auth_ok.voice_key, s->voice_key, PL_VOICE_KEY_LEN);
	pl_session_send(s, &m);
	pl_log(PL_LOG_INFO, "%s logged in from %s (session %08x)", s->nick, s->peer, s->id);

	evtimer_del(s->timer);
	arm(s, srv->cfg->ping_interval_ms);
	pl_relay_session(srv->relay, s->id, s->voice_key);
	s->presence = PL_PRESENCE_ONLINE;
	pl_social_announce(s);
	if (pl_room_join(srv, s, PL_LOBBY) < 0) {
		pl_session_drop(s, PL_ERR_INTERNAL, 0, "cannot join #Lobby");
		return;
	}
	pl_chat_deliver_pending(s);
}

/* Argon2id runs on the worker thread; the job carries copies, never the session pointer, since
 * the session may be gone by the time the job is done. */
struct auth_job {
	struct pl_job job;
	struct pl_server *srv;
	uint32_t session;
	uint16_t about;      /* REGISTER, LOGIN or SET_PASSWORD */
	bool account_exists;
	bool ok;          /* the password checked (and any hash was made) */
	bool hash_failed; /* Argon2id itself failed (out of memory): not the person's fault */
	char nick[PL_NICK_MAX + 1];
	char host[PL_ADDR_STR];
	char realname[PL_REALNAME_MAX + 1];
	char password[PL_PASSWORD_MAX + 1];     /* to check (LOGIN, SET_PASSWORD) or hash (REGISTER) */
	char new_password[PL_PASSWORD_MAX + 1]; /* SET_PASSWORD: to hash once the old one checks */
	char pwhash[PL_PWHASH_MAX];
};

static bool hash_password(char out[PL_PWHASH_MAX], const char *pw)
{
	return crypto_pwhash_str(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
				 crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0;
}

/* Compared against when the account does not exist, so that a missing account costs as much
 * time as a wrong password and timing does not reveal which nicknames have accounts. */
static const char dummy_hash[] =
	"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
	"Jm5Qm0GZpkGJvNmNTv5Ok5Dy6ZtBFmdqCkq9qY0bkmU";

static void auth_work(struct pl_job *j)
{
	struct auth_job *a = (struct auth_job *)j;
	if (a->about == PL_MSG_REGISTER) {
		a->ok = hash_password(a->pwhash, a->password);
		a->hash_failed = !a->ok;
	} else {
		const char *h = a->account_exists ? a->pwhash : dummy_hash;
		a->ok = crypto_pwhash_str_verify(h, a->password, strlen(a->password)) == 0 && a->account_exists;
		if (a->ok && a->about == PL_MSG_SET_PASSWORD && !hash_password(a->pwhash, a->new_password))
			a->ok = false, a->hash_failed = true;
	}
	sodium_memzero(a->password, sizeof a->password);
	sodium_memzero(a->new_password, sizeof a->new_password);
}

static void password_done(struct pl_session *s, struct auth_job *a)
{
	if (a->hash_failed) {
		pl_session_error(s, PL_ERR_INTERNAL, a->about, "could not hash the new password");
		return;
	}
	if (!a->ok) {
		pl_limiter_take(s->srv->login_by_nick, s->nick, pl_env_mono_ms(s->srv->env));
		pl_session_error(s, PL_ERR_AUTH_FAILED, a->about, "the current password is wrong");
		return;
	}
	if (pl_store_account_set_password(s->srv->store, s->nick, a->pwhash) < 0) {
		pl_session_error(s, PL_ERR_INTERNAL, a->about, "could not store the password");
		return;
	}
	pl_log(PL_LOG_INFO, "%s changed their password", s->nick);
	struct pl_msg ok = {.type = PL_MSG_OK};
	ok.u.ok.about = a->about;
	pl_session_send(s, &ok);
}

static void auth_done(struct pl_job *j)
{
	struct auth_job *a = (struct auth_job *)j;
	struct pl_server *srv = a->srv;
	struct pl_session *s = pl_server_session(srv, a->session);
	uint16_t about = a->about;
	bool reg = about == PL_MSG_REGISTER;
	if (!s || pl_conn_closing(s->conn))
		goto out;
	if (about == PL_MSG_SET_PASSWORD) {
		/* The session stayed logged in (keepalive, presence, delivery) while this ran. */
		if (s->state != PL_SESS_READY || !s->pw_change)
			goto out;
		s->pw_change = false;
		pl_conn_pause(s->conn, false);
		password_done(s, a);
		goto out;
	}
	if (s->state != PL_SESS_AUTH_WAIT)
		goto out;
	pl_conn_pause(s->conn, false);
	s->state = PL_SESS_AUTH;

	if (!a->ok) {
		if (reg) {
			pl_session_error(s, PL_ERR_INTERNAL, about, "could not hash the password");
		} else {
			uint64_t now = pl_env_mono_ms(srv->env);
			pl_limiter_take(srv->login_by_nick, a->nick, now);
			pl_limiter_take(srv->login_by_host, a->host, now);
			pl_log(PL_LOG_INFO, "failed login for '%s' from %s", a->nick, s->peer);
			pl_session_error(s, PL_ERR_AUTH_FAILED, about, NULL);
		}
		goto out;
	}
	if (pl_server_find_nick(srv, a->nick)) {
		pl_session_error(s, PL_ERR_USER_ONLINE, about, NULL);
		goto out;
	}
	if (reg) {
		int rc = pl_store_account_create(srv->store, a->nick, a->pwhash, a->realname,
						 pl_env_wall_ms(srv->env));
		if (rc == -EEXIST) {
			pl_session_error(s, PL_ERR_NICK_TAKEN, about, NULL);
			goto out;
		}
		if (rc < 0) {
			pl_log(PL_LOG_ERROR, "cannot store the account '%s': %s", a->nick, strerror(-rc));
			pl_session_error(s, PL_ERR_INTERNAL, about, "could not store the account");
			goto out;
		}
		pl_log(PL_LOG_INFO, "account '%s' registered from %s", a->nick, s->peer);
	}
	enter_ready(s, a->nick, a->realname);
out:
	sodium_memzero(a, sizeof *a);
	free(a);
}

/* A job for the worker about session s; the caller fills in the passwords. */
static struct auth_job *auth_job_new(struct pl_session *s, uint16_t about, const char *nick)
{
	struct auth_job *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->job.work = auth_work;
	a->job.done = auth_done;
	a->srv = s->srv;
	a->session = s->id;
	a->about = about;
	snprintf(a->nick, sizeof a->nick, "%s", nick);
	snprintf(a->host, sizeof a->host, "%s", s->peer_host);
	return a;
}

static void handle_auth(struct pl_session *s, const struct pl_msg *m)
{
	struct pl_server *srv = s->srv;
	bool reg = m->type == PL_MSG_REGISTER;
	const char *nick = m->u.auth.nick;

	if (!pl_nick_valid(nick)) {
		pl_session_error(s, reg ? PL_ERR_BAD_NICK : PL_ERR_AUTH_FAILED, m->type, NULL);
		return;
	}
	uint64_t now = pl_env_mono_ms(srv->env);
	if (!reg && (!pl_limiter_allows(srv->login_by_nick, nick, now) ||
		     !pl_limiter_allows(srv->login_by_host, s->peer_host, now))) {
		/* Refused before any Argon2id work, so guessing costs the guesser, not the server. */
		pl_session_error(s, PL_ERR_TOO_MANY_ATTEMPTS, m->type, NULL);
		return;
	}
	size_t plen = strlen(m->u.auth.password);
	if (reg && (plen < PL_PASSWORD_MIN || plen > PL_PASSWORD_MAX)) {
		pl_session_error(s, PL_ERR_BAD_PASSWORD, m->type, NULL);
		return;
	}
	if (reg && !pl_line_valid(m->u.auth.realname)) {
		pl_session_error(s, PL_ERR_BAD_REQUEST, m->type, "the real name must be UTF-8 without control characters");
		return;
	}

	struct auth_job *a = auth_job_new(s, m->type, nick);
	if (!a) {
		pl_session_error(s, PL_ERR_INTERNAL, m->type, NULL);
		return;
	}
	snprintf(a->password, sizeof a->password, "%s", m->u.auth.password);

	struct pl_account acc;
	int rc = pl_store_account_get(srv->store, nick, &acc);
	if (rc < 0 && rc != -ENOENT) {
		pl_session_error(s, PL_ERR_INTERNAL, m->type, "could not read the account");
		sodium_memzero(a, sizeof *a);
		free(a);
		return;
	}
	if (reg) {
		if (rc == 0) {
			/* Checked before hashing so a taken name costs no Argon2id; the insert's
			 * uniqueness still decides a race between two registrations. */
			pl_session_error(s, PL_ERR_NICK_TAKEN, m->type, NULL);
			sodium_memzero(a, sizeof *a);
			free(a);
			return;
		}
		snprintf(a->realname, sizeof a->realname, "%s", m->u.auth.realname);
	} else if (rc == 0) {
		a->account_exists = true;
		snprintf(a->nick, sizeof a->nick, "%s", acc.nick); /* the stored spelling */
		snprintf(a->realname, sizeof a->realname, "%s", acc.realname);
		snprintf(a->pwhash, sizeof a->pwhash, "%s", acc.pwhash);
	}
	sodium_memzero(&acc, sizeof acc);
	s->state = PL_SESS_AUTH_WAIT;
	pl_conn_pause(s->conn, true);
	pl_worker_submit(srv->worker, &a->job);
}

static void handle_set_password(struct pl_session *s, const struct pl_msg *m)
{
	struct pl_server *srv = s->srv;
	size_t n = strlen(m->u.set_password.new_password);
	if (n < PL_PASSWORD_MIN || n > PL_PASSWORD_MAX) {
		pl_session_error(s, PL_ERR_BAD_PASSWORD, m->type, NULL);
		return;
	}
	if (!pl_limiter_allows(srv->login_by_nick, s->nick, pl_env_mono_ms(srv->env))) {
		pl_session_error(s, PL_ERR_TOO_MANY_ATTEMPTS, m->type, NULL);
		return;
	}
	struct pl_account acc;
	struct auth_job *a = auth_job_new(s, m->type, s->nick);
	if (!a || pl_store_account_get(srv->store, s->nick, &acc) < 0) {
		free(a);
		pl_session_error(s, PL_ERR_INTERNAL, m->type, NULL);
		return;
	}
	a->account_exists = true;
	snprintf(a->pwhash, sizeof a->pwhash, "%s", acc.pwhash);
	snprintf(a->password, sizeof a->password, "%s", m->u.set_password.old_password);
	snprintf(a->new_password, sizeof a->new_password, "%s", m->u.set_password.new_password);
	sodium_memzero(&acc, sizeof acc);
	s->pw_change = true; /* stays READY: only reading pauses until the check is done */
	pl_conn_pause(s->conn, true);
	pl_worker_submit(srv->worker, &a->job);
}

/* --- rooms and messages --- */

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
	pl_room_part(s->srv, s, r);
}

/* --- dispatch --- */

static void on_msg(struct pl_conn *c, const struct pl_msg *m, void *arg)
{
	struct pl_session *s = arg;
	struct pl_server *srv = s->srv;

	if (m->type & 0x8000) {
		pl_session_drop(s, PL_ERR_PROTOCOL, m->type, "a server-to-client message type");
		return;
	}
	switch (m->type) {
	case PL_MSG_HELLO:
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
		snprintf(w.u.welcome.server, sizeof w.u.welcome.server, "%s", srv->cfg->server_name);
		pl_session_send(s, &w);
		return;
	case PL_MSG_REGISTER:
	case PL_MSG_LOGIN:
		if (s->state != PL_SESS_AUTH) {
			pl_session_error(s, PL_ERR_UNEXPECTED, m->type,
				   s->state == PL_SESS_HELLO ? "send HELLO first" : "already logged in");
			return;
		}
		handle_auth(s, m);
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
	default:
		break;
	}
	if (s->state != PL_SESS_READY) {
		pl_session_error(s, PL_ERR_NOT_LOGGED_IN, m->type, NULL);
		return;
	}
	if (m->type != PL_MSG_DELIVERED &&
	    !pl_bucket_take(&s->req_bucket, pl_env_mono_ms(srv->env), srv->cfg->request_rate, srv->cfg->request_burst)) {
		pl_session_error(s, PL_ERR_RATE_LIMITED, m->type, "too many requests");
		return;
	}
	switch (m->type) {
	case PL_MSG_JOIN:
	case PL_MSG_PART:
		handle_join(s, m);
		break;
	case PL_MSG_SET_PASSWORD:
		handle_set_password(s, m);
		break;
	case PL_MSG_SAY:
	case PL_MSG_HISTORY:
	case PL_MSG_DELIVERED:
	case PL_MSG_ROOMS_GET:
	case PL_MSG_NAMES:
		pl_chat_handle(s, m);
		break;
	case PL_MSG_SET_PROFILE:
	case PL_MSG_PROFILE_GET:
	case PL_MSG_CONTACT_ADD:
	case PL_MSG_CONTACT_DEL:
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

/* Leaves every room (telling the others) and gives the slot back. */
static void cleanup(struct pl_session *s)
{
	struct pl_server *srv = s->srv;
	if (s->presence != PL_PRESENCE_OFFLINE) {
		s->presence = PL_PRESENCE_OFFLINE;
		pl_social_announce(s);
	}
	while (s->nrooms > 0)
		pl_room_part(srv, s, s->rooms[s->nrooms - 1]);
	if (s->state == PL_SESS_READY)
		pl_relay_session_end(srv->relay, s->id);
	pl_server_release(srv, s->id);
	if (s->all_prev)
		s->all_prev->all_next = s->all_next;
	else
		srv->all = s->all_next;
	if (s->all_next)
		s->all_next->all_prev = s->all_prev;
	event_free(s->timer);
	sodium_memzero(s->voice_key, sizeof s->voice_key);
}

static void on_closed(struct pl_conn *c, int err, void *arg)
{
	struct pl_session *s = arg;
	if (s->state == PL_SESS_READY)
		pl_log(PL_LOG_INFO, "%s disconnected (%s)", s->nick,
		       err == 0 ? "closed" : err == -ETIMEDOUT ? "timed out" : "connection lost");
	cleanup(s);
	pl_conn_free(s->conn);
	free(s);
}

void pl_session_free_now(struct pl_session *s)
{
	cleanup(s);
	pl_conn_free(s->conn);
	free(s);
}

static const struct pl_conn_handlers handlers = {
	.msg = on_msg,
	.bad = on_bad,
	.closed = on_closed,
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
	pl_addr_host(peer, s->peer_host, sizeof s->peer_host);
	s->timer = evtimer_new(srv->base, on_timer, s);
	if (!s->timer || pl_conn_alloc(&s->conn, bev, srv->cfg->max_frame, &handlers, s) < 0) {
		if (s->timer)
			event_free(s->timer);
		bufferevent_free(bev);
		free(s);
		return -ENOMEM;
	}
	s->all_next = srv->all;
	if (srv->all)
		srv->all->all_prev = s;
	srv->all = s;
	bool host_full = pl_server_count_host(srv, s->peer_host) > srv->cfg->max_connections_per_ip;
	s->id = host_full ? 0 : pl_server_claim(srv, s);
	if (s->id == 0) {
		/* Full: say so, then close. The session is freed when the close completes. */
		s->state = PL_SESS_HELLO;
		pl_session_error(s, PL_ERR_SERVER_FULL, 0, NULL);
		pl_conn_close(s->conn, true);
		s->id = UINT32_MAX; /* matches no slot */
		return host_full ? -EMFILE : -EBUSY;
	}
	arm(s, srv->cfg->login_timeout_ms);
	return 0;
}
