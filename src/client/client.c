#include "client/client.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "client/call.h"
#include "client/pending.h"
#include "client/roomkey.h"
#include "client/confdir.h"
#include "client/identity.h"
#include "client/known_hosts.h"
#include "client/tui.h"
#include "client/ui.h"
#include "client/voice.h"
#include "core/auth.h"
#include "core/env.h"
#include "core/err.h"
#include "core/media.h"
#include "core/msg.h"
#include "net/addr.h"
#include "net/conn.h"
#include "net/tls.h"

#define MAX_ROOMS 16
#define STDIN_LINE_MAX (PL_TEXT_MAX * 6 + 2048)
/* A room's user list arrives in chunks; a server that never says "last chunk" gets this many
 * names at most, not all our memory. */
#define USERLIST_MAX 65536
#define EOF_WAIT_S 30 /* end of input: how long answers are waited for */

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
	struct pl_calls *calls;
	struct pl_roomkeys *roomkeys;
	char rooms[MAX_ROOMS][PL_ROOM_MAX + 1];
	unsigned nrooms;
	uint32_t next_tag;

	/* A USERLIST arrives in chunks; collected here until the last. */
	char ul_room[PL_ROOM_MAX + 1];
	char (*ul_nicks)[PL_NICK_MAX + 1];
	unsigned ul_n, ul_cap;
	struct pl_msg out; /* a message being built to send */
};

/* Where plain text goes: the window the person looks at in the TUI, else the room joined last. */
static const char *current_target(struct client *c)
{
	if (c->ui.mode == PL_UI_TUI)
		return pl_tui_current(c->ui.tui);
	return c->nrooms ? c->rooms[c->nrooms - 1] : NULL;
}

static void send_msg(struct client *c, struct pl_msg *m)
{
	if (c->in_cmd)
		pl_pending_sent(&c->pending, m, c->ui.ctx_cmd, c->ui.ctx_tag);
	if (c->conn && pl_conn_send(c->conn, m) < 0)
		pl_ui_local_error(&c->ui, "That request could not be sent: it is too long, or the connection is closing.");
}

static void finish(struct client *c, int code)
{
	if (c->voice) {
		struct pl_voice_stats st;
		pl_voice_stats(c->voice, &st);
		pl_ui_voice_stats(&c->ui, &st);
		pl_voice_free(c->voice); /* finishes the recorded WAV */
		c->voice = NULL;
	}
	c->exit_code = code;
	event_base_loopexit(c->base, NULL);
}

static void quit(struct client *c)
{
	if (c->quitting)
		return;
	c->quitting = true;
	if (c->conn && !pl_conn_closing(c->conn)) {
		struct pl_msg m = {.type = PL_MSG_BYE};
		send_msg(c, &m);
		pl_conn_close(c->conn, true); /* finish() runs when the close completes */
	} else {
		finish(c, 0);
	}
}

/* --- voice --- */

static void on_voice_bound(void *arg)
{
	struct client *c = arg;
	pl_ui_voice_ready(&c->ui);
}

static void input_done_check(struct client *c);

static void on_voice_sent(uint64_t frames, void *arg)
{
	struct client *c = arg;
	c->voice_sending = false;
	pl_ui_voice_sent(&c->ui, frames);
	input_done_check(c);
}

static int ensure_voice(struct client *c)
{
	if (c->voice)
		return 0;
	if (!c->logged_in) {
		pl_ui_local_error(&c->ui, "Voice starts after login; log in first.");
		return -EAGAIN;
	}
	struct sockaddr_storage udp;
	memcpy(&udp, &c->addr, c->addrlen);
	pl_addr_set_port((struct sockaddr *)&udp, c->udp_port);
	static const struct pl_voice_events ev = {on_voice_bound, on_voice_sent};
	char err[256];
	int rc = pl_voice_alloc(&c->voice, c->base, c->env, (struct sockaddr *)&udp, c->session, c->voice_key,
				c->o->jitter_frames, &ev, c, err, sizeof err);
	if (rc < 0)
		pl_ui_local_error(&c->ui, err);
	else
		pl_roomkeys_engine_ready(c->roomkeys);
	return rc;
}

/* --- calls: client/call.h reaches the voice engine through these --- */

static void call_send(void *arg, struct pl_msg *m)
{
	send_msg(arg, m);
}

static void media_format(void *arg, const struct pl_media_format *f)
{
	struct client *c = arg;
	char err[160];
	if (ensure_voice(c) == 0 && pl_voice_set_format(c->voice, f, err, sizeof err) < 0)
		pl_ui_local_error(&c->ui, err);
	pl_roomkeys_call(c->roomkeys, f != NULL); /* a call has the voice path now, or gives it back */
}

/* PARLEY_KEYLOG, as SSLKEYLOGFILE is for TLS: every media key this client installs, appended as
 * "tx|rx SESSION KEY_ID KEY" (hex), so a test or a person debugging with a capture can open the
 * sealed media. Never set it on a call that matters. */
static void keylog(const char *dir, uint64_t session, uint8_t key_id, const uint8_t *key)
{
	const char *path = getenv("PARLEY_KEYLOG");
	FILE *f = path && *path && key ? fopen(path, "a") : NULL;
	if (!f)
		return;
	char hex[2 * PL_MEDIA_KEY_LEN + 1];
	sodium_bin2hex(hex, sizeof hex, key, PL_MEDIA_KEY_LEN);
	fprintf(f, "%s %016llx %u %s\n", dir, (unsigned long long)session, key_id, hex);
	fclose(f);
}

static void media_tx_key(void *arg, uint8_t key_id, const uint8_t *key)
{
	struct client *c = arg;
	if (ensure_voice(c) == 0)
		pl_voice_set_tx_key(c->voice, key_id, key);
	keylog("tx", c->session, key_id, key);
}

static void media_rx_key(void *arg, uint64_t sender, uint8_t key_id, const uint8_t *key)
{
	struct client *c = arg;
	if (ensure_voice(c) == 0 && pl_voice_set_rx_key(c->voice, sender, key_id, key) < 0)
		pl_ui_local_error(&c->ui, "Too many voices at once: one participant's voice cannot be opened and stays silent.");
	keylog("rx", sender, key_id, key);
}

static void media_forget(void *arg, uint64_t sender)
{
	struct client *c = arg;
	if (c->voice)
		pl_voice_forget_sender(c->voice, sender);
}

static void media_expect(void *arg, uint64_t sender)
{
	struct client *c = arg;
	if (c->voice && pl_voice_expect_sealed(c->voice, sender) < 0)
		pl_ui_local_error(&c->ui, "Too many voices at once: one member's voice cannot be opened and stays silent.");
}

static const struct pl_call_media call_media = {media_format, media_tx_key, media_rx_key, media_forget};

/* The room voice's keys (client/roomkey.h) reach the engine through the same hooks. */
static void voice_room_changed(struct client *c)
{
	pl_roomkeys_voice_room(c->roomkeys, c->nrooms ? c->rooms[c->nrooms - 1] : "");
}

/* Verified contacts' device keys belong with the identity that verified them: beside the default
 * identity as "verified", else as IDENTITY.verified (one per identity, as tests run several). */
static void verified_path(const struct pl_client_opts *o, char *out, size_t sz)
{
	char def[4096];
	pl_identity_default(def, sizeof def);
	if (!o->identity[0])
		out[0] = '\0';
	else if (!strcmp(o->identity, def))
		pl_confdir_path(out, sz, "verified");
	else
		snprintf(out, sz, "%.*s.verified", (int)(sz - 10), o->identity);
}

static void voice_file(struct client *c, bool send, const char *path)
{
	char err[512];
	if (ensure_voice(c) < 0)
		return;
	if (send)
		pl_roomkeys_talk(c->roomkeys); /* sealed from its first packet */
	int rc = send ? pl_voice_send_file(c->voice, path, err, sizeof err)
		      : pl_voice_record(c->voice, path, err, sizeof err);
	if (rc < 0)
		pl_ui_local_error(&c->ui, err);
	else if (!send)
		pl_ui_info(&c->ui, "recording", "Recording what you hear.");
	else
		c->voice_sending = true;
}

/* --- server messages --- */

static void room_add(struct client *c, const char *room)
{
	for (unsigned i = 0; i < c->nrooms; i++)
		if (!strcasecmp(c->rooms[i], room)) {
			/* Joining again makes it current. */
			char tmp[PL_ROOM_MAX + 1];
			snprintf(tmp, sizeof tmp, "%s", c->rooms[i]);
			memmove(&c->rooms[i], &c->rooms[i + 1], (c->nrooms - i - 1) * sizeof c->rooms[0]);
			snprintf(c->rooms[c->nrooms - 1], sizeof c->rooms[0], "%s", tmp);
			return;
		}
	if (c->nrooms < MAX_ROOMS)
		snprintf(c->rooms[c->nrooms++], sizeof c->rooms[0], "%s", room);
}

static void room_del(struct client *c, const char *room)
{
	for (unsigned i = 0; i < c->nrooms; i++)
		if (!strcasecmp(c->rooms[i], room)) {
			memmove(&c->rooms[i], &c->rooms[i + 1], (c->nrooms - i - 1) * sizeof c->rooms[0]);
			c->nrooms--;
			return;
		}
}

static void userlist_chunk(struct client *c, const struct pl_msg *m)
{
	if (strcmp(c->ul_room, m->u.userlist.room) != 0) {
		snprintf(c->ul_room, sizeof c->ul_room, "%s", m->u.userlist.room);
		c->ul_n = 0;
	}
	for (unsigned i = 0; i < m->u.userlist.count && c->ul_n < USERLIST_MAX; i++) {
		if (c->ul_n == c->ul_cap) {
			unsigned cap = c->ul_cap ? c->ul_cap * 2 : 64;
			void *p = realloc(c->ul_nicks, cap * sizeof *c->ul_nicks);
			if (!p)
				return;
			c->ul_nicks = p;
			c->ul_cap = cap;
		}
		snprintf(c->ul_nicks[c->ul_n++], PL_NICK_MAX + 1, "%s", m->u.userlist.users[i].nick);
	}
	if (!m->u.userlist.more) {
		pl_ui_userlist(&c->ui, c->ul_room, c->ul_nicks, c->ul_n);
		c->ul_room[0] = '\0';
		c->ul_n = 0;
	}
}

/* A password login (or registration) that also registers this device's key. */
static void send_auth(struct client *c, bool reg, const char *nick, const char *pw, const char *realname)
{
	struct pl_msg *m = &c->out;
	memset(m, 0, sizeof *m);
	m->type = reg ? PL_MSG_REGISTER : PL_MSG_LOGIN;
	snprintf(m->u.auth.nick, sizeof m->u.auth.nick, "%s", nick);
	snprintf(m->u.auth.password, sizeof m->u.auth.password, "%s", pw);
	snprintf(m->u.auth.realname, sizeof m->u.auth.realname, "%s", realname ? realname : "");
	if (c->have_identity) {
		memcpy(m->u.auth.device_key, c->device_pk, PL_DEVICE_KEY_LEN);
		snprintf(m->u.auth.device_name, sizeof m->u.auth.device_name, "%s", c->o->device_name);
	}
	c->auth_pending = true;
	send_msg(c, m);
	sodium_memzero(m->u.auth.password, sizeof m->u.auth.password);
}

static void forget_password(struct client *c)
{
	sodium_memzero(c->auth_password, sizeof c->auth_password);
}

/* Logging in: by the device's key when it has one (no password crosses the wire), falling back
 * to the password once if the server does not know this device yet. Registering always sends
 * the password, with the key. */
static void start_login(struct client *c, bool reg, const char *nick, const char *pw, const char *realname)
{
	snprintf(c->auth_nick, sizeof c->auth_nick, "%s", nick);
	if (reg || !c->have_identity) {
		if (!pw || !*pw) {
			pl_ui_local_error(&c->ui, "This device has no identity key, so it needs the password: "
						  "/login NICK PASSWORD.");
			return;
		}
		send_auth(c, reg, nick, pw, realname);
		return;
	}
	snprintf(c->auth_password, sizeof c->auth_password, "%s", pw ? pw : "");
	struct pl_msg *m = &c->out;
	memset(m, 0, sizeof *m);
	m->type = PL_MSG_LOGIN_KEY;
	snprintf(m->u.login_key.nick, sizeof m->u.login_key.nick, "%s", nick);
	memcpy(m->u.login_key.device_key, c->device_pk, PL_DEVICE_KEY_LEN);
	if (pl_login_sign(m->u.login_key.sig, c->device_sk, c->challenge, c->cert_hash, nick) < 0) {
		pl_ui_local_error(&c->ui, "That nickname is too long to log in with.");
		forget_password(c);
		return;
	}
	c->auth_pending = true;
	send_msg(c, m);
}

/* An answer to LOGIN_KEY that a password can settle: the device is new to the account. */
static bool login_fallback(struct client *c, const struct pl_msg *m)
{
	if (m->u.error.about != PL_MSG_LOGIN_KEY || m->u.error.code != PL_ERR_UNKNOWN_DEVICE || !c->auth_password[0])
		return false;
	send_auth(c, false, c->auth_nick, c->auth_password, NULL);
	forget_password(c);
	return true;
}

static void input_resume(struct client *c);

/* A login answered: commands that waited for it go on. */
static void auth_done(struct client *c, bool ok)
{
	c->auth_pending = false;
	if (ok) {
		c->login_failed = false;
		if (c->exit_code == 2)
			c->exit_code = 0;
	} else {
		c->login_failed = true;
		if (c->ui.mode == PL_UI_JSON && !c->logged_in)
			c->exit_code = 2; /* a script whose login failed says so */
		if (c->ui.mode == PL_UI_JSON && c->o->nick[0] && !c->logged_in) {
			quit(c); /* --nick's login failed: nothing the script asks can be done */
			return;
		}
	}
	input_resume(c);
}

static void dispatch(struct client *c, const struct pl_msg *m)
{
	if (pl_roomkeys_msg(c->roomkeys, m) || pl_calls_msg(c->calls, m))
		return;
	switch (m->type) {
	case PL_MSG_WELCOME:
		c->welcomed = true;
		memcpy(c->challenge, m->u.welcome.challenge, PL_CHALLENGE_LEN);
		pl_ui_server_msg(&c->ui, m);
		if (c->o->nick[0])
			start_login(c, c->o->do_register, c->o->nick, c->o->password, c->o->realname);
		input_resume(c); /* commands typed or piped early waited until now (or until that login) */
		return;
	case PL_MSG_ERROR:
		if (login_fallback(c, m))
			return;
		if (m->u.error.about == PL_MSG_LOGIN_KEY || m->u.error.about == PL_MSG_LOGIN)
			forget_password(c);
		pl_ui_server_msg(&c->ui, m);
		if (c->auth_pending && (m->u.error.about == PL_MSG_LOGIN_KEY || m->u.error.about == PL_MSG_LOGIN ||
					m->u.error.about == PL_MSG_REGISTER))
			auth_done(c, false);
		return;
	case PL_MSG_AUTH_OK:
		c->logged_in = true;
		forget_password(c);
		snprintf(c->nick, sizeof c->nick, "%s", m->u.auth_ok.nick);
		snprintf(c->ui.self, sizeof c->ui.self, "%s", m->u.auth_ok.nick);
		c->session = m->u.auth_ok.session;
		c->udp_port = m->u.auth_ok.udp_port;
		memcpy(c->voice_key, m->u.auth_ok.voice_key, PL_VOICE_KEY_LEN);
		pl_calls_login(c->calls, c->have_identity ? c->device_sk : NULL, c->device_pk, c->cert_hash, c->session,
			       c->nick);
		pl_roomkeys_login(c->roomkeys, c->have_identity ? c->device_sk : NULL, c->device_pk, c->session);
		pl_ui_server_msg(&c->ui, m);
		ensure_voice(c); /* in #Lobby now: hear the room, as in Mumble */
		if (c->o->voice_out[0])
			voice_file(c, false, c->o->voice_out);
		if (c->o->voice_in[0])
			voice_file(c, true, c->o->voice_in);
		auth_done(c, true);
		return;
	case PL_MSG_PING: {
		struct pl_msg p = {.type = PL_MSG_PONG};
		p.u.ping.token = m->u.ping.token;
		send_msg(c, &p);
		return;
	}
	case PL_MSG_JOINED:
	case PL_MSG_PARTED: {
		bool self = !strcasecmp(m->u.member.nick, c->nick);
		if (self && m->type == PL_MSG_JOINED) {
			room_add(c, m->u.member.room);
			voice_room_changed(c);
			if (c->ui.mode == PL_UI_TUI)
				pl_tui_show(c->ui.tui, m->u.member.room);
		}
		pl_ui_server_msg(&c->ui, m);
		/* After the line is shown, so it does not make the window again. */
		if (self && m->type == PL_MSG_PARTED) {
			room_del(c, m->u.member.room);
			voice_room_changed(c);
			if (c->ui.mode == PL_UI_TUI)
				pl_tui_close_window(c->ui.tui, m->u.member.room);
		}
		return;
	}
	case PL_MSG_USERLIST:
		userlist_chunk(c, m);
		return;
	case PL_MSG_TEXT:
		pl_ui_server_msg(&c->ui, m);
		if (m->u.text.flags & PL_TEXT_OFFLINE)
			c->offline_shown = m->u.text.id;
		return;
	case PL_MSG_LIST_END:
		pl_ui_server_msg(&c->ui, m);
		if (m->u.list_end.about == PL_MSG_DELIVERED && c->offline_shown) {
			/* A page of waiting messages is shown: now the server may forget them
			 * (exactly-once delivery), and the acknowledgement brings the next page. */
			struct pl_msg d = {.type = PL_MSG_DELIVERED};
			d.u.delivered.id = c->offline_shown;
			send_msg(c, &d);
		}
		return;
	case PL_MSG_PROFILE: {
		unsigned char h[crypto_hash_sha256_BYTES];
		char hex[2 * sizeof h + 1];
		crypto_hash_sha256(h, m->u.profile.picture, m->u.profile.picture_len);
		sodium_bin2hex(hex, sizeof hex, h, sizeof h);
		pl_ui_profile(&c->ui, m, m->u.profile.picture_len ? hex : "");
		return;
	}
	default:
		pl_ui_server_msg(&c->ui, m);
		return;
	}
}

static void on_msg(struct pl_conn *conn, const struct pl_msg *m, void *arg)
{
	struct client *c = arg;
	struct pl_pending_req r;
	bool answer = pl_pending_answer(&c->pending, m, c->nick, &r);
	if (answer) /* what it makes the UI say carries the command's name and tag */
		pl_ui_context(&c->ui, r.cmd, r.tag);
	dispatch(c, m);
	pl_ui_context(&c->ui, NULL, 0);
	if (answer)
		input_done_check(c);
}

static void on_bad(struct pl_conn *conn, int err, uint16_t type, void *arg)
{
	struct client *c = arg;
	pl_ui_local_error(&c->ui, "The server sent bytes this client cannot parse; disconnecting. Check that client "
				  "and server versions match.");
	pl_conn_close(conn, false);
}

static void on_closed(struct pl_conn *conn, int err, void *arg)
{
	struct client *c = arg;
	if (c->quitting) {
		pl_ui_closed(&c->ui, "Disconnected.");
		finish(c, c->exit_code);
		return;
	}
	if (c->exit_code == 3) {
		finish(c, 3);
		return;
	}
	char msg[512];
	if (!c->tls_up && (err == -ECONNREFUSED || err == -EHOSTUNREACH || err == -ENETUNREACH))
		snprintf(msg, sizeof msg, "Cannot connect to %s: nothing answers there (%s). Check that parleyd runs "
			 "there and that the address and port are right.", c->server_id, strerror(-err));
	else if (!c->tls_up && err == -ETIMEDOUT)
		snprintf(msg, sizeof msg, "Cannot connect to %s: no answer in time. Check the address, and that no "
			 "firewall drops the connection.", c->server_id);
	else if (!c->welcomed)
		snprintf(msg, sizeof msg, "Cannot connect to %s: something answers there, but the TLS handshake with "
			 "it failed. Check that it is parleyd and the port is right.", c->server_id);
	else
		snprintf(msg, sizeof msg, "The connection to %s was %s.", c->server_id,
			 err == -ETIMEDOUT ? "timed out" : "closed by the server");
	pl_ui_closed(&c->ui, msg);
	finish(c, 1);
}

static void on_connected(struct pl_conn *conn, void *arg)
{
	struct client *c = arg;
	c->tls_up = true;
	struct bufferevent *bev = pl_conn_bev(conn);
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	char fp[PL_FINGERPRINT_HEX], pinned[100] = "";
	if (pl_tls_fingerprint(ssl, false, fp) < 0) {
		pl_ui_local_error(&c->ui, "The server presented no certificate; refusing to talk to it.");
		c->exit_code = 3;
		pl_conn_close(conn, false);
		return;
	}
	int t = pl_known_hosts_check(c->o->known_hosts, c->server_id, fp, pinned, sizeof pinned);
	if (t == PL_TRUST_CHANGED) {
		char msg[9000];
		snprintf(msg, sizeof msg,
			 "The server at %s presented a different certificate (SHA-256 %s) from the one trusted "
			 "before (%s). Someone may be intercepting the connection. If the server's certificate "
			 "was replaced on purpose, remove the line for %s from %s and connect again.",
			 c->server_id, fp, pinned, c->server_id, c->o->known_hosts);
		pl_ui_local_error(&c->ui, msg);
		c->exit_code = 3;
		pl_conn_close(conn, false);
		return;
	}
	if (t < 0) {
		char msg[4700];
		snprintf(msg, sizeof msg, "Cannot read or write the known-hosts file %s (%s); check its permissions.",
			 c->o->known_hosts, strerror(-t));
		pl_ui_local_error(&c->ui, msg);
		c->exit_code = 3;
		pl_conn_close(conn, false);
		return;
	}
	pl_ui_trust(&c->ui, c->server_id, fp, t == PL_TRUST_NEW);
	/* What a device-key login signs, so it is good for this server only (core/auth.h); and this
	 * server's device key, made from the identity and the server's certificate, which stays
	 * the same however the server is reached and across its restarts. */
	sodium_hex2bin(c->cert_hash, sizeof c->cert_hash, fp, strlen(fp), NULL, NULL, NULL);
	if (c->have_identity)
		pl_identity_keys(c->secret, c->cert_hash, c->device_pk, c->device_sk);
	struct pl_msg h = {.type = PL_MSG_HELLO};
	h.u.hello.version = PL_PROTO_VERSION;
	snprintf(h.u.hello.client, sizeof h.u.hello.client, "parley 0.1.0");
	send_msg(c, &h);
}

static const struct pl_conn_handlers conn_handlers = {
	.msg = on_msg, .bad = on_bad, .closed = on_closed, .connected = on_connected,
};

/* --- the person's commands --- */

static int read_picture(struct client *c, const char *path, struct pl_msg *m)
{
	FILE *f = fopen(path, "rb");
	char err[1200];
	if (!f) {
		snprintf(err, sizeof err, "Cannot read the picture %s (%s); check the path.", path, strerror(errno));
		pl_ui_local_error(&c->ui, err);
		return -errno;
	}
	size_t n = fread(m->u.profile.picture, 1, sizeof m->u.profile.picture, f);
	bool too_big = fgetc(f) != EOF;
	fclose(f);
	if (too_big || n == 0) {
		snprintf(err, sizeof err, "The picture %s is %s; pictures are PNG or JPEG files of 1 to %d bytes.", path,
			 n ? "too large" : "empty", PL_PICTURE_MAX);
		pl_ui_local_error(&c->ui, err);
		return -EINVAL;
	}
	m->u.profile.picture_len = (uint16_t)n;
	return 0;
}

static void run_cmd(struct client *c, const struct pl_cmd *cmd)
{
	struct pl_msg *m = &c->out;
	memset(m, 0, sizeof *m);
	switch (cmd->kind) {
	case PL_CMD_NONE:
		return;
	case PL_CMD_HELP:
		pl_ui_help(&c->ui);
		return;
	case PL_CMD_QUIT:
		quit(c);
		return;
	case PL_CMD_REGISTER:
	case PL_CMD_LOGIN:
		if (!c->welcomed || c->logged_in) {
			pl_ui_local_error(&c->ui, c->logged_in ? "You are logged in already."
							       : "Not connected yet; wait for the server's welcome.");
			return;
		}
		if (cmd->kind == PL_CMD_REGISTER && !pl_nick_valid(cmd->nick)) {
			pl_ui_local_error(&c->ui, pl_err_sentence(PL_ERR_BAD_NICK));
			return;
		}
		start_login(c, cmd->kind == PL_CMD_REGISTER, cmd->nick, cmd->password, cmd->realname);
		return;
	case PL_CMD_JOIN:
	case PL_CMD_PART:
		if (!pl_room_valid(cmd->target)) {
			pl_ui_local_error(&c->ui, pl_err_sentence(PL_ERR_BAD_ROOM));
			return;
		}
		m->type = cmd->kind == PL_CMD_JOIN ? PL_MSG_JOIN : PL_MSG_PART;
		snprintf(m->u.join.room, sizeof m->u.join.room, "%s", cmd->target);
		send_msg(c, m);
		return;
	case PL_CMD_SAY:
		if (!pl_text_valid(cmd->text)) {
			pl_ui_local_error(&c->ui, pl_err_sentence(PL_ERR_BAD_TEXT));
			return;
		}
		if (cmd->target[0] == '#' ? !pl_room_valid(cmd->target) : !pl_nick_valid(cmd->target)) {
			pl_ui_local_error(&c->ui, "That is neither a room (#name) nor a valid nickname.");
			return;
		}
		m->type = PL_MSG_SAY;
		m->u.say.tag = cmd->tag ? cmd->tag : ++c->next_tag;
		snprintf(m->u.say.target, sizeof m->u.say.target, "%s", cmd->target);
		memcpy(m->u.say.text, cmd->text, strlen(cmd->text) + 1);
		send_msg(c, m);
		return;
	case PL_CMD_VOICE_SEND:
	case PL_CMD_RECORD:
		voice_file(c, cmd->kind == PL_CMD_VOICE_SEND, cmd->path);
		return;
	default:
		break;
	}
	if (!c->logged_in) {
		pl_ui_local_error(&c->ui, "Log in first: /login NICK PASSWORD, or /register NICK PASSWORD.");
		return;
	}
	if (pl_calls_cmd(c->calls, cmd))
		return;
	switch (cmd->kind) {
	case PL_CMD_PASSWD:
		m->type = PL_MSG_SET_PASSWORD;
		snprintf(m->u.set_password.old_password, sizeof m->u.set_password.old_password, "%s", cmd->password);
		snprintf(m->u.set_password.new_password, sizeof m->u.set_password.new_password, "%s", cmd->new_password);
		send_msg(c, m);
		sodium_memzero(&m->u.set_password, sizeof m->u.set_password);
		return;
	case PL_CMD_PROFILE:
		m->type = PL_MSG_SET_PROFILE;
		if (cmd->has_realname) {
			m->u.profile.what |= PL_PROFILE_REALNAME;
			snprintf(m->u.profile.realname, sizeof m->u.profile.realname, "%s", cmd->realname);
		}
		if (cmd->has_picture) {
			m->u.profile.what |= PL_PROFILE_PICTURE;
			if (strcmp(cmd->path, "none") != 0 && read_picture(c, cmd->path, m) < 0)
				return;
		}
		send_msg(c, m);
		return;
	case PL_CMD_WHOIS:
	case PL_CMD_ADD:
	case PL_CMD_DEL:
	case PL_CMD_STATUS_GET:
	case PL_CMD_KEYS:
		if (!pl_nick_valid(cmd->nick)) {
			pl_ui_local_error(&c->ui, pl_err_sentence(PL_ERR_BAD_NICK));
			return;
		}
		m->type = cmd->kind == PL_CMD_WHOIS ? PL_MSG_PROFILE_GET : cmd->kind == PL_CMD_ADD ? PL_MSG_CONTACT_ADD
			: cmd->kind == PL_CMD_DEL ? PL_MSG_CONTACT_DEL : cmd->kind == PL_CMD_KEYS ? PL_MSG_KEYS_GET
			: PL_MSG_STATUS_GET;
		snprintf(m->u.user.nick, sizeof m->u.user.nick, "%s", cmd->nick);
		send_msg(c, m);
		return;
	case PL_CMD_STATUS_SET:
		m->type = PL_MSG_STATUS_SET;
		m->u.presence.presence = cmd->presence;
		snprintf(m->u.presence.note, sizeof m->u.presence.note, "%.*s", PL_NOTE_MAX, cmd->text);
		send_msg(c, m);
		return;
	case PL_CMD_CONTACTS:
	case PL_CMD_GROUPS:
	case PL_CMD_ROOMS:
	case PL_CMD_DEVICES:
		m->type = cmd->kind == PL_CMD_CONTACTS ? PL_MSG_CONTACTS_GET : cmd->kind == PL_CMD_GROUPS
			? PL_MSG_GROUPS_GET : cmd->kind == PL_CMD_ROOMS ? PL_MSG_ROOMS_GET : PL_MSG_DEVICES_GET;
		send_msg(c, m);
		return;
	case PL_CMD_NAMES:
		m->type = PL_MSG_NAMES;
		snprintf(m->u.names.room, sizeof m->u.names.room, "%s", cmd->target);
		send_msg(c, m);
		return;
	case PL_CMD_GROUP_CREATE:
		if (!pl_group_name_valid(cmd->text)) {
			pl_ui_local_error(&c->ui, pl_err_sentence(PL_ERR_BAD_GROUP_NAME));
			return;
		}
		m->type = PL_MSG_GROUP_CREATE;
		snprintf(m->u.group_create.name, sizeof m->u.group_create.name, "%.*s", PL_GROUP_NAME_MAX, cmd->text);
		send_msg(c, m);
		return;
	case PL_CMD_GROUP_ADD:
		m->type = PL_MSG_GROUP_ADD;
		m->u.group_add.group = cmd->number;
		snprintf(m->u.group_add.nick, sizeof m->u.group_add.nick, "%s", cmd->nick);
		send_msg(c, m);
		return;
	case PL_CMD_GROUP_QUIT:
		m->type = PL_MSG_GROUP_QUIT;
		m->u.group_quit.group = cmd->number;
		send_msg(c, m);
		return;
	case PL_CMD_HISTORY:
		m->type = PL_MSG_HISTORY;
		snprintf(m->u.history.target, sizeof m->u.history.target, "%s", cmd->target);
		m->u.history.limit = (uint16_t)cmd->number;
		m->u.history.before_id = cmd->before;
		send_msg(c, m);
		return;
	case PL_CMD_REVOKE:
		if (pl_ui_device_key(&c->ui, cmd, m->u.device_revoke.key) < 0)
			return; /* it said why: an unknown or ambiguous fingerprint */
		m->type = PL_MSG_DEVICE_REVOKE;
		send_msg(c, m);
		return;
	case PL_CMD_ACCEPT:
	case PL_CMD_REFUSE:
		m->type = PL_MSG_CONTACT_ANSWER;
		snprintf(m->u.contact_req.nick, sizeof m->u.contact_req.nick, "%s", cmd->nick);
		m->u.contact_req.accept = cmd->kind == PL_CMD_ACCEPT;
		send_msg(c, m);
		return;
	case PL_CMD_STOP_RECORD:
		if (c->voice)
			pl_voice_stop_record(c->voice);
		return;
	case PL_CMD_STATS:
		if (c->voice) {
			struct pl_voice_stats st;
			pl_voice_stats(c->voice, &st);
			pl_ui_voice_stats(&c->ui, &st);
		} else {
			pl_ui_local_error(&c->ui, "Voice has not started.");
		}
		return;
	default:
		return;
	}
}

/* One line the person typed (line or TUI mode) or a script sent (JSON mode). */
static void handle_line(const char *line, size_t len, void *arg)
{
	struct client *c = arg;
	struct pl_cmd cmd;
	char err[512];
	if (c->quitting)
		return;
	int rc = pl_ui_parse(c->o->json, line, len, current_target(c), &cmd, err, sizeof err);
	pl_ui_context(&c->ui, cmd.name, cmd.tag); /* its errors and answers name it */
	if (rc < 0) {
		pl_ui_local_error(&c->ui, err);
	} else {
		c->in_cmd = true;
		run_cmd(c, &cmd);
		c->in_cmd = false;
	}
	pl_ui_context(&c->ui, NULL, 0);
	sodium_memzero(&cmd, sizeof cmd);
}

/* Whether the next command may run: not before the server's welcome, nor while a login is under
 * way (a script's commands wait for it rather than fail). */
static bool input_ready(const struct client *c)
{
	return c->welcomed && !c->auth_pending && !c->quitting;
}

static void run_line(struct client *c, char *line, size_t len)
{
	handle_line(line, len, c);
	sodium_memzero(line, len);
	free(line);
}

static void on_stdin(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line;
	while (input_ready(c) && (line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)))
		run_line(c, line, len);
	if (!input_ready(c)) {
		bufferevent_disable(bev, EV_READ); /* the rest waits, in the pipe, until input_resume */
		return;
	}
	size_t left = evbuffer_get_length(in);
	if (left > STDIN_LINE_MAX) {
		pl_ui_local_error(&c->ui, "An input line was longer than any command can be; it was discarded.");
		evbuffer_drain(in, left);
	} else if (left && c->input_eof && (line = malloc(left + 1))) { /* the last line has no newline */
		evbuffer_remove(in, line, left);
		line[left] = '\0';
		run_line(c, line, left);
	}
}

static void input_resume(struct client *c)
{
	if (!c->in || c->quitting)
		return;
	if (!c->input_eof)
		bufferevent_enable(c->in, EV_READ);
	on_stdin(c->in, c); /* lines read already */
	input_done_check(c);
}

static void on_eof_timer(evutil_socket_t fd, short what, void *arg)
{
	quit(arg); /* answers that never came: end anyway */
}

/* End of input quits, once every command read has run and been answered (and a file being
 * talked has been sent), so `echo '{"cmd":"say",...}' | parley --json` does what it says. */
static void input_done_check(struct client *c)
{
	if (!c->input_eof || c->quitting || !input_ready(c))
		return;
	if (c->in && evbuffer_get_length(bufferevent_get_input(c->in)))
		return;
	if (c->voice_sending)
		return;
	if (pl_pending_count(&c->pending)) {
		struct timeval tv = {EOF_WAIT_S, 0};
		if (c->eof_timer && !evtimer_pending(c->eof_timer, NULL))
			evtimer_add(c->eof_timer, &tv);
		return;
	}
	quit(c);
}

static void on_stdin_event(struct bufferevent *bev, short what, void *arg)
{
	struct client *c = arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		bufferevent_disable(bev, EV_READ);
		c->input_eof = true; /* end of input is /quit, after what was read */
		on_stdin(bev, c);
		input_done_check(c);
	}
}

int pl_client_run(const struct pl_client_opts *o)
{
	struct client *c = calloc(1, sizeof *c);
	if (!c)
		return 1;
	c->o = o;
	c->env = pl_env_system();
	c->ui.mode = o->json ? PL_UI_JSON : o->tui ? PL_UI_TUI : PL_UI_PLAIN;
	c->ui.out = stdout;
	int code = 1;
	char err[512];

	if (pl_hostport_split(o->server, c->host, sizeof c->host, &c->port, 7787, err, sizeof err) < 0 ||
	    pl_addr_resolve(c->host, c->port, SOCK_STREAM, &c->addr, &c->addrlen, err, sizeof err) < 0) {
		pl_ui_local_error(&c->ui, err);
		free(c);
		return 1;
	}
	snprintf(c->server_id, sizeof c->server_id, strchr(c->host, ':') ? "[%s]:%u" : "%s:%u", c->host, c->port);
	if (o->identity[0]) {
		bool created;
		if (pl_identity_load(o->identity, c->secret, &created, err, sizeof err) < 0) {
			pl_ui_local_error(&c->ui, err);
			free(c);
			return 1;
		}
		c->have_identity = true;
	}

	c->base = event_base_new();
	c->tls = pl_tls_client_ctx(err, sizeof err);
	if (!c->base || !c->tls) {
		pl_ui_local_error(&c->ui, c->tls ? "Cannot start the event loop." : err);
		goto out;
	}
	struct pl_calls_cfg ccfg = {.base = c->base, .env = c->env, .ui = &c->ui, .send = call_send,
				    .media = &call_media, .arg = c};
	verified_path(o, ccfg.verified_path, sizeof ccfg.verified_path);
	struct pl_roomkeys_cfg rcfg = {.env = c->env, .send = call_send, .set_tx_key = media_tx_key,
				       .set_rx_key = media_rx_key, .forget_sender = media_forget,
				       .expect_sealed = media_expect, .arg = c};
	if (pl_calls_alloc(&c->calls, &ccfg) < 0 || pl_roomkeys_alloc(&c->roomkeys, &rcfg) < 0) {
		pl_ui_local_error(&c->ui, "Out of memory.");
		goto out;
	}
	SSL *ssl = SSL_new(c->tls);
	SSL_set_tlsext_host_name(ssl, c->host);
	struct bufferevent *bev = bufferevent_openssl_socket_new(c->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
								   BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (!bev || pl_conn_alloc(&c->conn, bev, 65536, &conn_handlers, c) < 0 ||
	    bufferevent_socket_connect(bev, (struct sockaddr *)&c->addr, (int)c->addrlen) < 0) {
		snprintf(err, sizeof err, "Cannot connect to %s; check the address.", c->server_id);
		pl_ui_local_error(&c->ui, err);
		goto out;
	}
	int one = 1; /* small frames, each wanted now: no Nagle delay behind an unacknowledged one */
	setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (c->ui.mode == PL_UI_TUI) {
		int rc = pl_tui_alloc(&c->ui.tui, c->base, handle_line, c);
		if (rc < 0) {
			fprintf(stderr, "parley: cannot start the terminal UI (%s); run with --plain.\n", strerror(-rc));
			goto out;
		}
		pl_tui_status(c->ui.tui, "connecting", NULL, "offline", "voice off");
	} else {
		c->in = bufferevent_socket_new(c->base, STDIN_FILENO, 0);
		bufferevent_setcb(c->in, on_stdin, NULL, on_stdin_event, c);
		c->eof_timer = evtimer_new(c->base, on_eof_timer, c);
	}

	event_base_dispatch(c->base);
	code = c->exit_code;
out:
	if (c->in)
		bufferevent_free(c->in);
	if (c->eof_timer)
		event_free(c->eof_timer);
	pl_tui_free(c->ui.tui); /* the terminal is restored before the exit status is final */
	pl_calls_free(c->calls);
	pl_roomkeys_free(c->roomkeys);
	pl_voice_free(c->voice);
	pl_conn_free(c->conn);
	if (c->tls)
		SSL_CTX_free(c->tls);
	if (c->base)
		event_base_free(c->base);
	free(c->ul_nicks);
	sodium_memzero(c, sizeof *c);
	free(c);
	return code;
}
