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

#include "client/callpath.h"
#include "client/client_int.h"
#include "client/confdir.h"
#include "client/winlog.h"
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

#define RECONNECT_MAX_S 30 /* the longest wait between tries to reconnect */
#define RECENT_LINES 20    /* messages shown when a room's or a person's window opens */
#define LIVE_MS 250        /* the microphone meter and the talking marks are this fresh */

const char *cl_current_target(struct client *c)
{
	if (c->ui.mode == PL_UI_TUI)
		return pl_tui_current(c->ui.tui);
	return c->nrooms ? c->rooms[c->nrooms - 1] : NULL;
}

void cl_send(struct client *c, struct pl_msg *m)
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

void cl_quit(struct client *c)
{
	if (c->quitting)
		return;
	c->quitting = true;
	if (c->conn && !pl_conn_closing(c->conn)) {
		struct pl_msg m = {.type = PL_MSG_BYE};
		cl_send(c, &m);
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

static void on_voice_sent(uint64_t frames, void *arg)
{
	struct client *c = arg;
	c->voice_sending = false;
	pl_ui_voice_sent(&c->ui, frames);
	cl_input_done_check(c);
}

static void on_voice_notice(const char *sentence, void *arg)
{
	struct client *c = arg;
	pl_ui_info(&c->ui, "voice_notice", sentence);
}

/* --udp-via: voice goes to (and is only taken from) that address instead of the server's voice
 * port, so a test can put an impairment proxy in the path; the proxy forwards to the server. */
static int via_addr(struct client *c, struct sockaddr_storage *udp)
{
	char host[256], err[300], s[1024];
	uint16_t port = 0;
	socklen_t len;
	int rc = pl_hostport_split(c->o->udp_via, host, sizeof host, &port, 0, err, sizeof err);
	if (rc == 0 && port == 0) {
		snprintf(err, sizeof err, "It has no port.");
		rc = -EINVAL;
	}
	if (rc == 0)
		rc = pl_addr_resolve(host, port, SOCK_DGRAM, udp, &len, err, sizeof err);
	if (rc < 0) {
		snprintf(s, sizeof s, "Voice is off: --udp-via %s is not a usable HOST:PORT. %s Give the proxy's address, "
			 "such as 127.0.0.1:40000.", c->o->udp_via, err);
		pl_ui_local_error(&c->ui, s);
	}
	return rc;
}

int cl_ensure_voice(struct client *c)
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
	if (c->o->udp_via[0] && via_addr(c, &udp) < 0)
		return -EINVAL;
	static const struct pl_voice_events ev = {on_voice_bound, on_voice_sent, on_voice_notice};
	struct pl_voice_config vc;
	pl_client_voice_config(c->o, &vc);
	char err[512];
	int rc = pl_voice_alloc(&c->voice, c->base, c->env, (struct sockaddr *)&udp, c->session, c->voice_key,
				&vc, &ev, c, err, sizeof err);
	if (rc < 0) {
		pl_ui_local_error(&c->ui, err);
	} else {
		pl_roomkeys_engine_ready(c->roomkeys);
		struct timeval tv = {0, LIVE_MS * 1000};
		evtimer_add(c->live, &tv);
	}
	if (rc == 0 && (c->o->input[0] || c->o->echo.on)) /* the echo path is a microphone too */
		pl_roomkeys_talk(c->roomkeys); /* a microphone may speak at any moment: sealed from the first */
	return rc;
}

static struct pl_voice *path_voice(void *arg)
{
	return ((struct client *)arg)->voice;
}

/* parleyd's voice address as the engine uses it; false: no direct path (--relay-only, or
 * --udp-via, whose proxy is meant to carry all the voice). */
static bool path_server(void *arg, struct sockaddr_storage *ss, socklen_t *len, uint16_t *stun_port)
{
	struct client *c = arg;
	if (!c->voice || c->o->relay_only || c->o->udp_via[0])
		return false;
	memcpy(ss, &c->addr, c->addrlen);
	pl_addr_set_port((struct sockaddr *)ss, c->udp_port);
	*len = ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	*stun_port = c->stun_port;
	return true;
}

void pl_client_voice_config(const struct pl_client_opts *o, struct pl_voice_config *vc)
{
	pl_voice_config_default(vc);
	vc->jitter_fixed_ms = o->jitter_frames * 20;
	if (o->frame_ms)
		vc->frame_ms = o->frame_ms;
	vc->mode = o->voice_mode;
	vc->aec = vc->ns = vc->agc = !o->no_processing;
	vc->plc_only = o->plc_only;
	vc->echo = o->echo;
	snprintf(vc->stats_file, sizeof vc->stats_file, "%s", o->voice_stats);
	snprintf(vc->input, sizeof vc->input, "%s", o->input);
	snprintf(vc->output, sizeof vc->output, "%s", o->output);
}

/* --- what the person sees of live voice: the meter, who is talking (client/vmeter.h) --- */

static void on_live(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct client *c = arg;
	if (!c->voice) {
		pl_ui_voice_live(&c->ui, "");
		if (c->vm.ntalking) {
			c->vm.ntalking = 0;
			pl_ui_talking(&c->ui, c->vm.talking, 0);
		}
		return;
	}
	struct pl_voice_stats st;
	pl_voice_stats(c->voice, &st);
	char meter[96], live[PL_ROOM_MAX + 100];
	pl_vmeter_format(&st, meter, sizeof meter);
	if (c->nrooms && !pl_calls_in_call(c->calls)) /* which room your voice is in */
		snprintf(live, sizeof live, "%s %s", c->rooms[c->nrooms - 1], meter);
	else
		snprintf(live, sizeof live, "%s", meter);
	pl_ui_voice_live(&c->ui, live);
	if (pl_vmeter_talking(&c->vm, &st))
		pl_ui_talking(&c->ui, c->vm.talking, c->vm.ntalking);
	struct timeval tv = {0, LIVE_MS * 1000};
	evtimer_add(c->live, &tv);
}

/* Talkers are session ids to the voice engine: the names come from members and calls. */
static void name_sessions(struct client *c, const struct pl_msg *m)
{
	switch (m->type) {
	case PL_MSG_JOINED:
		pl_vmeter_name(&c->vm, m->u.member.session, m->u.member.nick);
		break;
	case PL_MSG_USERLIST:
		for (unsigned i = 0; i < m->u.userlist.count; i++)
			pl_vmeter_name(&c->vm, m->u.userlist.users[i].session, m->u.userlist.users[i].nick);
		break;
	case PL_MSG_CALL_STATE:
	case PL_MSG_CALL_INCOMING:
	case PL_MSG_CALL_ANSWERED:
	case PL_MSG_CALL_CONFIRMED:
	case PL_MSG_CALL_MEMBER:
		if (m->u.call.session && m->u.call.nick[0])
			pl_vmeter_name(&c->vm, m->u.call.session, m->u.call.nick);
		break;
	default:
		break;
	}
}

/* --- calls: client/call.h reaches the voice engine through these --- */

static void call_send(void *arg, struct pl_msg *m)
{
	cl_send(arg, m);
}

static void media_format(void *arg, const struct pl_media_format *f)
{
	struct client *c = arg;
	char err[160];
	if (cl_ensure_voice(c) == 0 && pl_voice_set_format(c->voice, f, err, sizeof err) < 0)
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
	if (cl_ensure_voice(c) == 0)
		pl_voice_set_tx_key(c->voice, key_id, key);
	keylog("tx", c->session, key_id, key);
}

static void media_rx_key(void *arg, uint64_t sender, uint8_t key_id, const uint8_t *key)
{
	struct client *c = arg;
	if (cl_ensure_voice(c) == 0 && pl_voice_set_rx_key(c->voice, sender, key_id, key) < 0)
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

void cl_voice_file(struct client *c, bool send, const char *path)
{
	char err[512];
	if (cl_ensure_voice(c) < 0)
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
	cl_send(c, m);
	sodium_memzero(m->u.auth.password, sizeof m->u.auth.password);
}

static void forget_password(struct client *c)
{
	sodium_memzero(c->auth_password, sizeof c->auth_password);
}

/* Logging in: by the device's key when it has one (no password crosses the wire), falling back
 * to the password once if the server does not know this device yet. Registering always sends
 * the password, with the key. */
void cl_start_login(struct client *c, bool reg, const char *nick, const char *pw, const char *realname)
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
	cl_send(c, m);
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
			cl_quit(c); /* --nick's login failed: nothing the script asks can be done */
			return;
		}
	}
	cl_input_resume(c);
}

bool cl_history_sent(struct client *c, const char *target, enum cl_hist kind)
{
	if (c->histq_n == HISTQ_MAX)
		return false;
	snprintf(c->histq[c->histq_n].target, sizeof c->histq[0].target, "%s", target);
	c->histq[c->histq_n++].kind = kind;
	return true;
}

/* The oldest HISTORY request is answered (its LIST_END or ERROR came). Returns whether what was
 * said about its end (failed: it was refused, or the connection went) is said already: a page of older history ends in its TUI window, and the
 * last messages of a window opening say only, in that window, that older ones exist. */
static bool history_done(struct client *c, bool more, bool failed)
{
	if (!c->histq_n)
		return false;
	enum cl_hist kind = c->histq[0].kind;
	if (kind == CL_HIST_OLDER) /* a failed page may be asked for again */
		pl_ui_older_end(&c->ui, c->histq[0].target, more || failed);
	else if (kind == CL_HIST_RECENT && !failed)
		pl_ui_recent_end(&c->ui, c->histq[0].target, more);
	memmove(&c->histq[0], &c->histq[1], --c->histq_n * sizeof c->histq[0]);
	return kind != CL_HIST_CMD;
}

/* The TUI's person scrolled to the top of a window: the page before its oldest message. */
static bool on_top(const char *window, uint64_t before_id, void *arg)
{
	struct client *c = arg;
	if (!c->logged_in || !c->conn || !cl_history_sent(c, window, CL_HIST_OLDER))
		return false;
	struct pl_msg h = {.type = PL_MSG_HISTORY};
	snprintf(h.u.history.target, sizeof h.u.history.target, "%s", window);
	h.u.history.before_id = before_id;
	h.u.history.limit = PL_TUI_OLDER_PAGE;
	cl_send(c, &h);
	return true;
}

static void dispatch(struct client *c, const struct pl_msg *m)
{
	if ((m->type == PL_MSG_SAY_OK || m->type == PL_MSG_ERROR) && cl_say_answer(c, m))
		return;
	name_sessions(c, m);
	if (c->rdv && pl_rdvc_msg(c->rdv, m))
		return;
	if (pl_roomkeys_msg(c->roomkeys, m) || pl_calls_msg(c->calls, m))
		return;
	switch (m->type) {
	case PL_MSG_WELCOME:
		c->welcomed = true;
		memcpy(c->challenge, m->u.welcome.challenge, PL_CHALLENGE_LEN);
		pl_ui_server_msg(&c->ui, m);
		if (c->o->rendezvous) { /* no login: a room code instead */
			if (!c->rdv)
				pl_rdvc_start(c);
			return;
		}
		if (c->relogin_nick[0] && c->have_identity)
			cl_start_login(c, false, c->relogin_nick, NULL, NULL); /* by the device key */
		else if (c->relogin_nick[0])
			pl_ui_local_error(&c->ui, "Reconnected. This client has no device key to log in by itself: "
						  "/login NICK PASSWORD.");
		else if (c->o->nick[0])
			cl_start_login(c, c->o->do_register, c->o->nick, c->o->password, c->o->realname);
		cl_input_resume(c); /* commands typed or piped early waited until now (or until that login) */
		return;
	case PL_MSG_ERROR:
		if (login_fallback(c, m))
			return;
		if (m->u.error.about == PL_MSG_HISTORY)
			history_done(c, true, true);
		if (m->u.error.code == PL_ERR_USER_ONLINE && m->u.error.about == 0)
			c->replaced = true; /* another login of this account took over */
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
		c->stun_port = m->u.auth_ok.stun_port;
		memcpy(c->voice_key, m->u.auth_ok.voice_key, PL_VOICE_KEY_LEN);
		pl_calls_login(c->calls, c->have_identity ? c->device_sk : NULL, c->device_pk, c->cert_hash, c->session,
			       c->nick);
		pl_roomkeys_login(c->roomkeys, c->have_identity ? c->device_sk : NULL, c->device_pk, c->session);
		pl_ui_server_msg(&c->ui, m);
		cl_ensure_voice(c); /* in #Lobby now: hear the room, as in Mumble */
		if (c->o->voice_out[0] && !c->was_logged_in)
			cl_voice_file(c, false, c->o->voice_out);
		if (c->o->voice_in[0] && !c->was_logged_in)
			cl_voice_file(c, true, c->o->voice_in);
		if (!c->was_logged_in) { /* the rooms of --rooms or the config file, after the first login */
			for (unsigned i = 0; i < c->o->nrooms; i++) {
				struct pl_msg j = {.type = PL_MSG_JOIN};
				snprintf(j.u.join.room, sizeof j.u.join.room, "%s", c->o->rooms[i]);
				cl_send(c, &j);
			}
		}
		c->was_logged_in = true;
		c->backoff_s = 0;
		for (unsigned i = 0; i < c->nrejoin; i++) { /* back in the rooms it was in, voice room last */
			struct pl_msg j = {.type = PL_MSG_JOIN};
			snprintf(j.u.join.room, sizeof j.u.join.room, "%s", c->rejoin[i]);
			cl_send(c, &j);
		}
		c->nrejoin = 0;
		cl_say_resume(c);
		auth_done(c, true);
		return;
	case PL_MSG_PING: {
		struct pl_msg p = {.type = PL_MSG_PONG};
		p.u.ping.token = m->u.ping.token;
		cl_send(c, &p);
		return;
	}
	case PL_MSG_JOINED:
	case PL_MSG_PARTED: {
		bool self = !strcasecmp(m->u.member.nick, c->nick);
		if (self && m->type == PL_MSG_JOINED) {
			room_add(c, m->u.member.room);
			voice_room_changed(c);
			cl_recent(c, m->u.member.room); /* what was said lately, as the window opens */
			if (c->ui.mode == PL_UI_TUI) /* after a reconnect, the window the person was in */
				pl_tui_show(c->ui.tui, c->keep_window[0] ? c->keep_window : m->u.member.room);
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
		if ((m->u.text.flags & PL_TEXT_HISTORY) && c->histq_n && c->histq[0].kind == CL_HIST_OLDER) {
			pl_ui_older_text(&c->ui, c->histq[0].target, m);
			return;
		}
		pl_ui_server_msg(&c->ui, m);
		if (m->u.text.flags & PL_TEXT_OFFLINE)
			c->offline_shown = m->u.text.id;
		return;
	case PL_MSG_LIST_END:
		if (m->u.list_end.about == PL_MSG_HISTORY && history_done(c, m->u.list_end.more, false))
			return; /* said where it belongs, or nothing to say */
		pl_ui_server_msg(&c->ui, m);
		if (m->u.list_end.about == PL_MSG_DELIVERED && c->offline_shown) {
			/* A page of waiting messages is shown: now the server may forget them
			 * (exactly-once delivery), and the acknowledgement brings the next page. */
			struct pl_msg d = {.type = PL_MSG_DELIVERED};
			d.u.delivered.id = c->offline_shown;
			cl_send(c, &d);
		}
		return;
	case PL_MSG_PRESENCE:
		/* The people in a call with us are busy because of it: news to nobody on a
		 * screen (a script is told, as of every change). */
		if (c->ui.mode != PL_UI_JSON && m->u.presence.presence == PL_PRESENCE_BUSY &&
		    !strcmp(m->u.presence.note, PL_PRESENCE_NOTE_CALL) && pl_calls_with(c->calls, m->u.presence.nick))
			return;
		pl_ui_server_msg(&c->ui, m);
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
		cl_input_done_check(c);
}

static void on_bad(struct pl_conn *conn, int err, uint16_t type, void *arg)
{
	struct client *c = arg;
	pl_ui_local_error(&c->ui, "The server sent bytes this client cannot parse; disconnecting. Check that client "
				  "and server versions match.");
	pl_conn_close(conn, false);
}

static void on_reconnect(evutil_socket_t fd, short what, void *arg);

void cl_recent(struct client *c, const char *target)
{
	if (c->ui.mode == PL_UI_JSON || !c->logged_in || c->keep_window[0])
		return; /* scripts ask for what they want; a reconnect keeps what the windows show */
	struct pl_msg h = {.type = PL_MSG_HISTORY};
	snprintf(h.u.history.target, sizeof h.u.history.target, "%s", target);
	h.u.history.limit = RECENT_LINES;
	if (cl_history_sent(c, target, CL_HIST_RECENT))
		cl_send(c, &h);
}

/* The connection is gone but the person is not: what belonged to the session goes, the windows
 * stay, and the client tries again, sooner at first, then every RECONNECT_MAX_S. */
static void schedule_reconnect(struct client *c, const char *why)
{
	if (c->logged_in) {
		memcpy(c->rejoin, c->rooms, sizeof c->rejoin);
		c->nrejoin = c->nrooms;
		snprintf(c->relogin_nick, sizeof c->relogin_nick, "%s", c->nick);
	}
	if (c->ui.mode == PL_UI_TUI && !c->keep_window[0]) {
		const char *w = pl_tui_current(c->ui.tui);
		snprintf(c->keep_window, sizeof c->keep_window, "%s", w ? w : "");
	}
	pl_calls_lost(c->calls);
	if (c->voice) {
		pl_voice_free(c->voice); /* its session is gone; a new one starts after the login */
		c->voice = NULL;
	}
	pl_pending_clear(&c->pending);
	while (c->histq_n) /* pages never answered: the windows may ask again */
		history_done(c, true, true);
	c->say_inflight = 0; /* the message in flight goes again once logged in */
	c->nrooms = 0;
	c->ul_room[0] = '\0';
	c->ul_n = 0;
	c->logged_in = c->welcomed = c->auth_pending = false;
	if (!c->backoff_s)
		c->backoff_s = 1;
	char msg[700];
	snprintf(msg, sizeof msg, "%s Reconnecting in %u s; your windows stay.", why, c->backoff_s);
	if (c->was_logged_in) /* before a login (the server's login deadline, say) it is quiet */
		pl_ui_closed(&c->ui, msg);
	pl_ui_status(&c->ui, "reconnecting", NULL, "offline", "voice off");
	struct timeval tv = {c->backoff_s, 0};
	evtimer_add(c->reconnect, &tv);
	c->backoff_s = c->backoff_s * 2 > RECONNECT_MAX_S ? RECONNECT_MAX_S : c->backoff_s * 2;
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
	/* A person keeps their client open across server restarts and network trouble: it comes back
	 * by itself (a script, in JSON mode, is told and ends). Not when another login of the account
	 * replaced this one: two clients would take turns throwing each other out. */
	if (c->ui.mode != PL_UI_JSON && c->reconnect && !c->replaced && (c->was_logged_in || c->welcomed)) {
		schedule_reconnect(c, msg);
		return;
	}
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
	cl_send(c, &h);
}

static const struct pl_conn_handlers conn_handlers = {
	.msg = on_msg, .bad = on_bad, .closed = on_closed, .connected = on_connected,
};

static int connect_server(struct client *c)
{
	c->welcomed = c->tls_up = c->auth_pending = c->logged_in = false;
	SSL *ssl = SSL_new(c->tls);
	if (!ssl)
		return -ENOMEM;
	SSL_set_tlsext_host_name(ssl, c->host);
	struct bufferevent *bev = bufferevent_openssl_socket_new(c->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
								   BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (!bev) {
		SSL_free(ssl);
		return -ENOMEM;
	}
	if (pl_conn_alloc(&c->conn, bev, 65536, &conn_handlers, c) < 0) {
		bufferevent_free(bev);
		return -ENOMEM;
	}
	if (bufferevent_socket_connect(bev, (struct sockaddr *)&c->addr, (int)c->addrlen) < 0)
		return -EIO;
	int one = 1; /* small frames, each wanted now: no Nagle delay behind an unacknowledged one */
	setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return 0;
}

static void on_reconnect(evutil_socket_t fd, short what, void *arg)
{
	struct client *c = arg;
	pl_conn_free(c->conn);
	c->conn = NULL;
	pl_ui_status(&c->ui, "connecting", NULL, NULL, NULL);
	if (connect_server(c) < 0) { /* not even a socket: try again later */
		struct timeval tv = {c->backoff_s ? c->backoff_s : 1, 0};
		evtimer_add(c->reconnect, &tv);
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

	if (pl_hostport_split(o->server, c->host, sizeof c->host, &c->port, PL_CLIENT_PORT, err, sizeof err) < 0 ||
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

	if (o->log_dir[0] && !o->json) {
		if (pl_winlog_open_dir(o->log_dir, err, sizeof err) < 0) {
			pl_ui_local_error(&c->ui, err);
			free(c);
			return 1;
		}
		snprintf(c->ui.log_dir, sizeof c->ui.log_dir, "%s", o->log_dir);
	}
	c->base = event_base_new();
	c->tls = pl_tls_client_ctx(err, sizeof err);
	if (!c->base || !c->tls) {
		pl_ui_local_error(&c->ui, c->tls ? "Cannot start the event loop." : err);
		goto out;
	}
	struct pl_callpath_cfg pcfg = {.base = c->base, .env = c->env, .ui = &c->ui, .voice = path_voice,
				       .server_udp = path_server, .send = call_send, .arg = c};
	if (pl_callpath_alloc(&c->callpath, &pcfg) < 0) {
		pl_ui_local_error(&c->ui, "Out of memory.");
		goto out;
	}
	struct pl_calls_cfg ccfg = {.base = c->base, .env = c->env, .ui = &c->ui, .send = call_send,
				    .media = &call_media, .arg = c, .frame_ms = c->o->frame_ms, .path = c->callpath};
	verified_path(o, ccfg.verified_path, sizeof ccfg.verified_path);
	struct pl_roomkeys_cfg rcfg = {.env = c->env, .send = call_send, .set_tx_key = media_tx_key,
				       .set_rx_key = media_rx_key, .forget_sender = media_forget,
				       .expect_sealed = media_expect, .arg = c};
	if (pl_calls_alloc(&c->calls, &ccfg) < 0 || pl_roomkeys_alloc(&c->roomkeys, &rcfg) < 0) {
		pl_ui_local_error(&c->ui, "Out of memory.");
		goto out;
	}
	if (connect_server(c) < 0) {
		snprintf(err, sizeof err, "Cannot connect to %s; check the address.", c->server_id);
		pl_ui_local_error(&c->ui, err);
		goto out;
	}
	if (c->ui.mode == PL_UI_TUI) {
		int rc = pl_tui_alloc(&c->ui.tui, c->base, !o->no_colors, cl_handle_line, on_top, c);
		if (rc < 0) {
			fprintf(stderr, "parley: cannot start the terminal UI (%s); run with --plain.\n", strerror(-rc));
			goto out;
		}
		pl_tui_status(c->ui.tui, "connecting", NULL, "offline", "voice off");
	} else {
		c->in = bufferevent_socket_new(c->base, STDIN_FILENO, 0);
		bufferevent_setcb(c->in, cl_on_stdin, NULL, cl_on_stdin_event, c);
		c->eof_timer = evtimer_new(c->base, cl_on_eof_timer, c);
	}
	c->reconnect = evtimer_new(c->base, on_reconnect, c);
	c->live = evtimer_new(c->base, on_live, c);
	pl_vmeter_init(&c->vm);

	event_base_dispatch(c->base);
	code = c->exit_code;
out:
	if (c->in)
		bufferevent_free(c->in);
	if (c->eof_timer)
		event_free(c->eof_timer);
	if (c->reconnect)
		event_free(c->reconnect);
	if (c->live)
		event_free(c->live);
	pl_tui_free(c->ui.tui); /* the terminal is restored before the exit status is final */
	pl_rdvc_free(c->rdv);
	pl_calls_free(c->calls);
	pl_callpath_free(c->callpath); /* before the voice engine whose hook it holds */
	pl_roomkeys_free(c->roomkeys);
	cl_say_free(c);
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
