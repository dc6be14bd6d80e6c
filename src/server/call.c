#include "server/call.h"

#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/hmap.h"
#include "core/mformat.h"
#include "core/ratelimit.h"
#include "net/conn.h"
#include "net/log.h"
#include "server/chat.h"
#include "server/relay.h"
#include "server/room.h"
#include "server/server.h"
#include "server/session.h"
#include "server/social.h"
#include "store/store.h"

#define CONFIRM_MS 15000 /* from an answer (or from SETUP) to the caller's next step */

enum mstate { M_GONE, M_RINGING, M_ANSWERED, M_JOINED };
enum phase { PH_SETUP, PH_RINGING, PH_ANSWERED, PH_ACTIVE };

struct member {
	uint64_t session; /* 0 until rung */
	char nick[PL_NICK_MAX + 1];
	uint8_t state;    /* enum mstate */
	struct pl_bucket cand; /* CALL_CAND budget (cand_rate, cand_burst) */
};

struct pl_call {
	struct pl_server *srv;
	uint64_t id;
	uint32_t group;   /* 0: one-to-one, m[0] the caller and m[1] the callee */
	uint8_t phase;
	bool countered;
	struct pl_media_format offer, counter;
	uint8_t hs[PL_CALL_HS_LEN]; /* the caller's OFFER, for whoever answers */
	uint32_t voice;   /* the relay room its voice goes through */
	struct event *timer;
	unsigned n;
	struct member m[PL_GROUP_MEMBERS_MAX];
};

/* --- finding --- */

static struct pl_call *find(struct pl_server *srv, uint64_t id)
{
	uint8_t k[PL_HMAP_KEY_MAX];
	return id ? pl_hmap_get(srv->calls, k, pl_hmap_key_u64(k, id)) : NULL;
}

static struct member *member_of(struct pl_call *c, uint64_t session)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->m[i].session == session && c->m[i].state != M_GONE)
			return &c->m[i];
	return NULL;
}

static unsigned count(const struct pl_call *c, uint8_t state)
{
	unsigned n = 0;
	for (unsigned i = 0; i < c->n; i++)
		n += c->m[i].state == state;
	return n;
}

static const struct pl_media_format *agreed(const struct pl_call *c)
{
	return c->countered ? &c->counter : &c->offer;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* --- what the parties are told --- */

static void send_state(struct pl_session *s, const struct pl_call *c, uint8_t state, uint8_t reason)
{
	struct pl_msg m = {.type = PL_MSG_CALL_STATE};
	m.u.call.id = c->id;
	m.u.call.state = state;
	m.u.call.reason = reason;
	m.u.call.group = c->group;
	/* One-to-one: the other party; a group call: who started it. */
	const struct member *peer = c->group ? &c->m[0] : &c->m[s->id == c->m[0].session ? 1 : 0];
	snprintf(m.u.call.nick, sizeof m.u.call.nick, "%s", peer->nick);
	m.u.call.fmt = *agreed(c);
	pl_session_send(s, &m);
}

static void send_member(struct pl_session *to, const struct pl_call *c, struct pl_session *who, bool joined)
{
	struct pl_msg m = {.type = PL_MSG_CALL_MEMBER};
	m.u.call.id = c->id;
	snprintf(m.u.call.nick, sizeof m.u.call.nick, "%s", who->nick);
	m.u.call.session = who->id;
	memcpy(m.u.call.device, who->device, sizeof m.u.call.device);
	m.u.call.joined = joined;
	pl_session_send(to, &m);
}

/* --- voice and presence while in a call --- */

/* A member in an active call talks in the call's relay room, and is busy to its contacts. */
static void enter_media(struct pl_session *s, struct pl_call *c)
{
	if (s->call_voice)
		return;
	s->call_voice = true;
	pl_relay_voice_room(s->srv->relay, s->id, c->voice);
	/* Busy to its contacts, who can then ask without ringing (seed 000's status request). */
	if (s->presence == PL_PRESENCE_ONLINE || s->presence == PL_PRESENCE_AWAY) {
		s->presence_before = s->presence;
		snprintf(s->note_before, sizeof s->note_before, "%s", s->note);
		s->presence = PL_PRESENCE_BUSY;
		snprintf(s->note, sizeof s->note, "%s", PL_PRESENCE_NOTE_CALL);
		s->busy_by_call = true;
		pl_social_announce(s);
	}
}

static void leave_media(struct pl_session *s)
{
	if (!s->call_voice)
		return;
	s->call_voice = false;
	pl_relay_voice_room(s->srv->relay, s->id, s->voice_room ? s->voice_room->number : 0);
	/* The presence the call set goes back, unless the person set another meanwhile; a
	 * connection on its way out is about to say offline instead. */
	if (s->busy_by_call) {
		s->busy_by_call = false;
		if (s->presence == PL_PRESENCE_BUSY) {
			s->presence = s->presence_before;
			snprintf(s->note, sizeof s->note, "%s", s->note_before);
			if (!pl_conn_closing(s->conn))
				pl_social_announce(s);
		}
	}
}

/* --- the call's life --- */

static void on_timer(evutil_socket_t fd, short what, void *arg);

static void arm(struct pl_call *c, unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	evtimer_add(c->timer, &tv);
}

static void call_free(struct pl_call *c)
{
	uint8_t k[PL_HMAP_KEY_MAX];
	pl_hmap_del(c->srv->calls, k, pl_hmap_key_u64(k, c->id));
	pl_rooms_give_number(c->srv, c->voice);
	c->srv->ncalls--;
	event_free(c->timer);
	free(c);
}

/* One member is out of the call: told why (unless it is the one leaving, except_self), its voice
 * and presence back to what they were. */
static void release(struct pl_call *c, struct member *mb, uint8_t reason, bool tell)
{
	struct pl_session *s = mb->session ? pl_server_session(c->srv, mb->session) : NULL;
	bool was_joined = mb->state == M_JOINED;
	mb->state = M_GONE;
	if (!s)
		return;
	if (s->call == c->id)
		s->call = 0;
	leave_media(s);
	if (tell)
		send_state(s, c, PL_CALL_ENDED, reason);
	/* The others in a group call hear that it left (sender keys are then replaced). */
	if (was_joined && c->group)
		for (unsigned i = 0; i < c->n; i++) {
			struct pl_session *o = c->m[i].state == M_JOINED ? pl_server_session(c->srv, c->m[i].session) : NULL;
			if (o)
				send_member(o, c, s, false);
		}
}

/* Ends the call for everyone still in it, each told reason; except (may be NULL) is not told. */
static void end_call(struct pl_call *c, uint8_t reason, const struct pl_session *except)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->m[i].state != M_GONE)
			release(c, &c->m[i], reason, !except || c->m[i].session != except->id);
	pl_log(PL_LOG_INFO, "call %016llx ended", (unsigned long long)c->id);
	call_free(c);
}

/* A group call lasts while two members are in it, or while someone still rings to join them. */
static void group_check(struct pl_call *c, uint8_t reason)
{
	unsigned joined = count(c, M_JOINED), ringing = count(c, M_RINGING);
	if (joined >= 2 || (ringing > 0 && joined >= 1 && c->phase != PH_ACTIVE))
		return;
	end_call(c, reason, NULL);
}

static void go_active(struct pl_call *c)
{
	c->phase = PH_ACTIVE;
	evtimer_del(c->timer);
	for (unsigned i = 0; i < c->n; i++) {
		struct pl_session *s = c->m[i].state == M_JOINED ? pl_server_session(c->srv, c->m[i].session) : NULL;
		if (s) {
			send_state(s, c, PL_CALL_ACTIVE, PL_CALL_NONE);
			enter_media(s, c);
		}
	}
}

static void missed(struct pl_call *c, const char *callee, bool busy)
{
	char text[64 + PL_NICK_MAX];
	snprintf(text, sizeof text, "missed call from %s%s", c->m[0].nick, busy ? " while you were in a call" : "");
	pl_chat_notice(c->srv, c->m[0].nick, callee, text);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct pl_call *c = arg;
	if (c->phase == PH_RINGING) {
		/* Nobody answered (or, in a group, those who did not): a missed call for them. */
		for (unsigned i = 1; i < c->n; i++)
			if (c->m[i].state == M_RINGING) {
				missed(c, c->m[i].nick, false);
				release(c, &c->m[i], PL_CALL_TIMEOUT, true);
			}
		if (!c->group || count(c, M_JOINED) < 2) {
			end_call(c, PL_CALL_TIMEOUT, NULL);
			return;
		}
		go_active(c);
		return;
	}
	/* SETUP or ANSWERED: the caller did not take its next step. */
	end_call(c, PL_CALL_FAILED, NULL);
}

/* --- requests --- */

static void start(struct pl_session *s, const struct pl_msg *m)
{
	struct pl_server *srv = s->srv;
	char why[200], nick[PL_NICK_MAX + 1] = "";
	if (s->call) {
		pl_session_error(s, PL_ERR_IN_CALL, m->type, NULL);
		return;
	}
	if (all_zero(s->device, sizeof s->device)) {
		pl_session_error(s, PL_ERR_NEEDS_DEVICE, m->type, NULL);
		return;
	}
	if (pl_mformat_check(&m->u.call.fmt, why, sizeof why) < 0) {
		pl_session_error(s, PL_ERR_BAD_FORMAT, m->type, why);
		return;
	}
	struct pl_group_rec *g = NULL;
	if (m->u.call.group) {
		g = calloc(1, sizeof *g);
		int rc = g ? pl_store_group_get(srv->store, m->u.call.group, g) : -ENOMEM;
		bool in = false;
		for (unsigned i = 0; rc == 0 && i < g->count; i++)
			in |= strcasecmp(g->members[i], s->nick) == 0;
		if (rc < 0 || !in) {
			pl_session_error(s, rc == -ENOENT ? PL_ERR_NO_SUCH_GROUP : rc < 0 ? PL_ERR_INTERNAL
					 : PL_ERR_NOT_IN_GROUP, m->type, NULL);
			free(g);
			return;
		}
	} else {
		int rc = pl_social_account_nick(srv, m->u.call.nick, nick);
		if (rc < 0) {
			pl_session_error(s, rc == -ENOENT ? PL_ERR_NO_SUCH_USER : PL_ERR_INTERNAL, m->type, m->u.call.nick);
			return;
		}
		if (strcasecmp(nick, s->nick) == 0) {
			pl_session_error(s, PL_ERR_SELF, m->type, NULL);
			return;
		}
		/* Calls, like presence, are between contacts. */
		if (!pl_social_may_see(s, nick)) {
			pl_session_error(s, PL_ERR_NO_CONTACT, m->type, nick);
			return;
		}
	}
	struct pl_call *c = calloc(1, sizeof *c);
	uint8_t k[PL_HMAP_KEY_MAX];
	if (!c || !(c->timer = evtimer_new(srv->base, on_timer, c)) || !(c->voice = pl_rooms_take_number(srv))) {
		if (c && c->timer)
			event_free(c->timer);
		if (c && c->voice)
			pl_rooms_give_number(srv, c->voice);
		free(c);
		free(g);
		pl_session_error(s, PL_ERR_INTERNAL, m->type, "no room for another call");
		return;
	}
	c->srv = srv;
	c->id = pl_idgen_next(&srv->ids);
	c->group = m->u.call.group;
	c->offer = m->u.call.fmt;
	c->m[0] = (struct member){.session = s->id, .state = M_JOINED};
	snprintf(c->m[0].nick, sizeof c->m[0].nick, "%s", s->nick);
	c->n = 1;
	if (g) {
		for (unsigned i = 0; i < g->count && c->n < PL_GROUP_MEMBERS_MAX; i++)
			if (strcasecmp(g->members[i], s->nick) != 0) {
				snprintf(c->m[c->n].nick, sizeof c->m[c->n].nick, "%s", g->members[i]);
				c->m[c->n++].state = M_RINGING;
			}
		free(g);
	} else {
		snprintf(c->m[1].nick, sizeof c->m[1].nick, "%s", nick);
		c->m[1].state = M_RINGING;
		c->n = 2;
	}
	if (pl_hmap_put(srv->calls, k, pl_hmap_key_u64(k, c->id), c) < 0) {
		pl_rooms_give_number(srv, c->voice);
		event_free(c->timer);
		free(c);
		pl_session_error(s, PL_ERR_INTERNAL, m->type, "no room for another call");
		return;
	}
	srv->ncalls++;
	s->call = c->id;
	c->phase = PH_SETUP;
	arm(c, CONFIRM_MS);
	send_state(s, c, PL_CALL_SETUP, PL_CALL_NONE);
}

/* Rings one member: 0, or the reason it cannot be rung. */
static int ring_one(struct pl_call *c, struct member *mb)
{
	struct pl_session *t = pl_server_find_nick(c->srv, mb->nick);
	if (!t) {
		missed(c, mb->nick, false);
		return PL_CALL_OFFLINE;
	}
	if (t->call) {
		missed(c, mb->nick, true); /* told, as call waiting would, without a second ring */
		return PL_CALL_BUSY;
	}
	if (all_zero(t->device, sizeof t->device))
		return PL_CALL_FAILED; /* no key to encrypt to */
	mb->session = t->id;
	t->call = c->id;
	struct pl_msg m = {.type = PL_MSG_CALL_INCOMING};
	m.u.call.id = c->id;
	snprintf(m.u.call.nick, sizeof m.u.call.nick, "%s", c->m[0].nick);
	m.u.call.session = c->m[0].session;
	m.u.call.group = c->group;
	m.u.call.fmt = c->offer;
	memcpy(m.u.call.hs, c->hs, sizeof m.u.call.hs);
	pl_session_send(t, &m);
	return 0;
}

static void ring(struct pl_session *s, struct pl_call *c, const struct pl_msg *m)
{
	if (!c->group && all_zero(m->u.call.hs, sizeof m->u.call.hs)) {
		pl_session_error(s, PL_ERR_BAD_REQUEST, m->type, "a one-to-one call needs the handshake's OFFER");
		return;
	}
	memcpy(c->hs, m->u.call.hs, sizeof c->hs);
	uint8_t why = PL_CALL_OFFLINE;
	unsigned rung = 0;
	for (unsigned i = 1; i < c->n; i++) {
		int r = ring_one(c, &c->m[i]);
		if (r) {
			c->m[i].state = M_GONE;
			why = (uint8_t)r;
		} else {
			rung++;
		}
	}
	if (!rung) {
		end_call(c, why, NULL);
		return;
	}
	c->phase = PH_RINGING;
	evtimer_del(c->timer);
	arm(c, s->srv->cfg->ring_timeout_ms);
	send_state(s, c, PL_CALL_RINGING, PL_CALL_NONE);
}

static void answer(struct pl_session *s, struct pl_call *c, struct member *mb, const struct pl_msg *m)
{
	uint8_t action = m->u.call.action;
	if (action == PL_CALL_DENY) {
		if (!c->group) {
			end_call(c, PL_CALL_DENIED, NULL);
			return;
		}
		release(c, mb, PL_CALL_DENIED, true);
		group_check(c, PL_CALL_HUNG_UP);
		return;
	}
	if (c->group) {
		if (action == PL_CALL_COUNTER) {
			pl_session_error(s, PL_ERR_BAD_REQUEST, m->type, "a group call's format is the caller's");
			return;
		}
		/* Seed 002's 507: the members' voice streams and keys, to each other. */
		mb->state = M_JOINED;
		for (unsigned i = 0; i < c->n; i++) {
			struct pl_session *o = c->m[i].state == M_JOINED && &c->m[i] != mb
					       ? pl_server_session(c->srv, c->m[i].session) : NULL;
			if (o) {
				send_member(o, c, s, true);
				send_member(s, c, o, true);
			}
		}
		if (c->phase == PH_ACTIVE) {
			send_state(s, c, PL_CALL_ACTIVE, PL_CALL_NONE);
			enter_media(s, c);
		} else if (count(c, M_JOINED) >= 2) {
			go_active(c);
		}
		return;
	}
	char why[200];
	if (all_zero(m->u.call.hs, sizeof m->u.call.hs)) {
		pl_session_error(s, PL_ERR_BAD_REQUEST, m->type, "an answer needs the handshake's ANSWER");
		return;
	}
	if (action == PL_CALL_COUNTER && pl_mformat_check(&m->u.call.fmt, why, sizeof why) < 0) {
		pl_session_error(s, PL_ERR_BAD_FORMAT, m->type, why);
		return;
	}
	c->countered = action == PL_CALL_COUNTER;
	c->counter = m->u.call.fmt;
	mb->state = M_ANSWERED;
	c->phase = PH_ANSWERED;
	evtimer_del(c->timer);
	arm(c, CONFIRM_MS);
	struct pl_session *caller = pl_server_session(c->srv, c->m[0].session);
	if (!caller) {
		end_call(c, PL_CALL_FAILED, NULL);
		return;
	}
	struct pl_msg a = {.type = PL_MSG_CALL_ANSWERED};
	a.u.call.id = c->id;
	snprintf(a.u.call.nick, sizeof a.u.call.nick, "%s", s->nick);
	a.u.call.session = s->id;
	a.u.call.action = action;
	a.u.call.fmt = *agreed(c);
	memcpy(a.u.call.hs, m->u.call.hs, sizeof a.u.call.hs);
	pl_session_send(caller, &a);
}

static void confirm(struct pl_session *s, struct pl_call *c, const struct pl_msg *m)
{
	if (m->u.call.action == PL_CALL_DROP) {
		end_call(c, c->countered ? PL_CALL_DENIED : PL_CALL_CANCELLED, NULL);
		return;
	}
	if (all_zero(m->u.call.reveal, sizeof m->u.call.reveal)) {
		pl_session_error(s, PL_ERR_BAD_REQUEST, m->type, "proceeding needs the handshake's REVEAL");
		return;
	}
	struct pl_session *callee = pl_server_session(c->srv, c->m[1].session);
	if (!callee) {
		end_call(c, PL_CALL_FAILED, NULL);
		return;
	}
	struct pl_msg r = {.type = PL_MSG_CALL_CONFIRMED};
	r.u.call.id = c->id;
	r.u.call.action = PL_CALL_PROCEED;
	memcpy(r.u.call.reveal, m->u.call.reveal, sizeof r.u.call.reveal);
	pl_session_send(callee, &r);
	c->m[1].state = M_JOINED;
	go_active(c);
	char f[128];
	pl_mformat_describe(agreed(c), f, sizeof f);
	pl_log(PL_LOG_INFO, "call %016llx between %s and %s: %s", (unsigned long long)c->id, c->m[0].nick, c->m[1].nick, f);
}

/* A member hangs up (or goes): one-to-one, the call ends, and why depends on when; a group call
 * loses one member. gone: the member's connection is over (it is told nothing). */
static void leave(struct pl_session *s, struct pl_call *c, struct member *mb, bool gone)
{
	if (!c->group) {
		bool caller = mb == &c->m[0];
		uint8_t reason = gone ? PL_CALL_FAILED : PL_CALL_HUNG_UP;
		if (c->phase == PH_SETUP || c->phase == PH_RINGING)
			reason = caller ? PL_CALL_CANCELLED : gone ? PL_CALL_FAILED : PL_CALL_DENIED;
		if (!gone)
			send_state(s, c, PL_CALL_ENDED, reason);
		end_call(c, reason, s);
		return;
	}
	if (mb == &c->m[0] && c->phase != PH_ACTIVE && count(c, M_JOINED) < 2) {
		/* The caller gives up before anyone joined. */
		if (!gone)
			send_state(s, c, PL_CALL_ENDED, PL_CALL_CANCELLED);
		end_call(c, PL_CALL_CANCELLED, s);
		return;
	}
	release(c, mb, PL_CALL_HUNG_UP, !gone);
	group_check(c, PL_CALL_HUNG_UP);
}

/* Sender keys, sealed to each recipient's device key, passed on unread to members of the same
 * call or room only. */
static void media_keys(struct pl_session *s, const struct pl_msg *m)
{
	struct pl_server *srv = s->srv;
	struct pl_call *c = NULL;
	struct pl_room *room = NULL;
	if (m->u.mkey.scope == PL_SCOPE_CALL) {
		c = find(srv, m->u.mkey.call);
		struct member *mb = c ? member_of(c, s->id) : NULL;
		if (!mb || mb->state != M_JOINED) {
			pl_session_error(s, PL_ERR_NO_SUCH_CALL, m->type, NULL);
			return;
		}
	} else {
		room = pl_room_find(srv, m->u.mkey.room);
		if (!room || !pl_room_has(room, s)) {
			pl_session_error(s, PL_ERR_NOT_IN_ROOM, m->type, m->u.mkey.room);
			return;
		}
	}
	struct pl_msg *k = &srv->scratch;
	memset(&k->u.mkey, 0, sizeof k->u.mkey);
	k->type = PL_MSG_MEDIA_KEY;
	k->u.mkey.scope = m->u.mkey.scope;
	k->u.mkey.call = m->u.mkey.call;
	snprintf(k->u.mkey.room, sizeof k->u.mkey.room, "%s", room ? room->name : "");
	k->u.mkey.from = s->id;
	k->u.mkey.key_id = m->u.mkey.key_id;
	unsigned skipped = 0;
	for (unsigned i = 0; i < m->u.mkey.count; i++) {
		const struct pl_skey_entry *e = &m->u.mkey.keys[i];
		struct pl_session *to = pl_server_session(srv, e->to);
		struct member *tm = c && to ? member_of(c, to->id) : NULL;
		bool ok = to && to != s && (c ? tm && tm->state == M_JOINED : pl_room_has(room, to));
		if (!ok) {
			skipped++;
			continue;
		}
		memcpy(k->u.mkey.keys[0].sealed, e->sealed, PL_SKEY_LEN);
		pl_session_send(to, k);
	}
	if (skipped)
		pl_session_error(s, PL_ERR_BAD_REQUEST, m->type, "some recipients are not in that call or room");
}

/* A member's candidates for a direct path, passed on unread to the other member of an active
 * one-to-one call only, within the member's budget (cand_rate, cand_burst). */
static void cand(struct pl_session *s, struct pl_call *c, struct member *mb, const struct pl_msg *m)
{
	const struct pl_config *cfg = s->srv->cfg;
	if (c->group || c->phase != PH_ACTIVE || mb->state != M_JOINED) {
		pl_session_error(s, PL_ERR_UNEXPECTED, m->type, "candidates go to the other party of an active one-to-one call");
		return;
	}
	if (!pl_bucket_take(&mb->cand, pl_env_mono_ms(s->srv->env), cfg->cand_rate, cfg->cand_burst)) {
		pl_session_error(s, PL_ERR_RATE_LIMITED, m->type, "too many candidate descriptions for this call");
		return;
	}
	struct member *other = &c->m[mb == &c->m[0] ? 1 : 0];
	struct pl_session *to = other->state == M_JOINED ? pl_server_session(c->srv, other->session) : NULL;
	if (!to)
		return;
	struct pl_msg *k = &s->srv->scratch;
	memset(&k->u.cand, 0, sizeof k->u.cand);
	k->type = PL_MSG_CALL_PEER_CAND;
	k->u.cand.id = c->id;
	k->u.cand.session = s->id;
	k->u.cand.len = m->u.cand.len;
	memcpy(k->u.cand.desc, m->u.cand.desc, m->u.cand.len);
	pl_session_send(to, k);
}

void pl_call_handle(struct pl_session *s, const struct pl_msg *m)
{
	if (m->type == PL_MSG_CALL_START) {
		start(s, m);
		return;
	}
	if (m->type == PL_MSG_MEDIA_KEYS) {
		media_keys(s, m);
		return;
	}
	_Static_assert(offsetof(struct pl_msg, u.cand.id) == offsetof(struct pl_msg, u.call.id), "the call's id");
	struct pl_call *c = find(s->srv, m->u.call.id);
	struct member *mb = c ? member_of(c, s->id) : NULL;
	if (!mb) {
		pl_session_error(s, PL_ERR_NO_SUCH_CALL, m->type, NULL);
		return;
	}
	bool caller = mb == &c->m[0];
	switch (m->type) {
	case PL_MSG_CALL_RING:
		if (!caller || c->phase != PH_SETUP)
			pl_session_error(s, PL_ERR_UNEXPECTED, m->type, "the call is not waiting to ring");
		else
			ring(s, c, m);
		break;
	case PL_MSG_CALL_ANSWER:
		if (mb->state != M_RINGING)
			pl_session_error(s, PL_ERR_UNEXPECTED, m->type, "the call is not ringing you");
		else
			answer(s, c, mb, m);
		break;
	case PL_MSG_CALL_CONFIRM:
		if (!caller || c->group || c->phase != PH_ANSWERED)
			pl_session_error(s, PL_ERR_UNEXPECTED, m->type, "the call is not waiting for your confirmation");
		else
			confirm(s, c, m);
		break;
	case PL_MSG_CALL_HANGUP:
		leave(s, c, mb, false);
		break;
	case PL_MSG_CALL_CAND:
		cand(s, c, mb, m);
		break;
	default:
		break;
	}
}

void pl_call_session_gone(struct pl_session *s)
{
	struct pl_call *c = find(s->srv, s->call);
	struct member *mb = c ? member_of(c, s->id) : NULL;
	if (mb)
		leave(s, c, mb, true);
	s->call = 0;
}

int pl_calls_init(struct pl_server *srv)
{
	uint8_t key[PL_HMAP_HASH_KEY];
	pl_env_random(srv->env, key, sizeof key);
	return pl_hmap_alloc(&srv->calls, srv->max_sessions, key);
}

void pl_calls_free(struct pl_server *srv)
{
	/* Sessions are gone by now, and with them every call (pl_call_session_gone). */
	pl_hmap_free(srv->calls);
	srv->calls = NULL;
}
