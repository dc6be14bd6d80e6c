#include "client/call.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/callpath.h"
#include "client/confdir.h"
#include "client/ui.h"
#include "core/e2e.h"
#include "core/mformat.h"

_Static_assert(PL_CALL_HS_LEN == PL_E2E_OFFER_LEN && PL_CALL_HS_LEN == PL_E2E_ANSWER_LEN, "handshake sizes");
_Static_assert(PL_CALL_REVEAL_LEN == PL_E2E_REVEAL_LEN && PL_SKEY_LEN == PL_E2E_SKEY_LEN, "handshake sizes");

enum cstate {
	C_NONE,
	C_STARTING,    /* CALL_START sent, waiting for the call's id */
	C_RINGING_OUT, /* we call; it rings */
	C_RINGING_IN,  /* it rings here */
	C_ANSWERED,    /* we answered (callee) or took an answer (caller): waiting to go active */
	C_COUNTER,     /* caller: the callee offered another format; /take or /hangup */
	C_ACTIVE,
};

struct gmember {
	uint64_t session;
	char nick[PL_NICK_MAX + 1];
	uint8_t device[PL_DEVICE_KEY_LEN];
};

struct pl_calls {
	struct pl_calls_cfg cfg;
	bool identity;
	uint8_t sk[PL_DEVICE_SECRET_LEN], pk[PL_DEVICE_KEY_LEN];
	uint8_t cert_hash[PL_CERT_HASH_LEN];
	uint64_t session;
	char nick[PL_NICK_MAX + 1];

	/* The call (one at a time, as seed 000 says). */
	uint8_t state;
	bool outgoing, hangup_wanted;
	uint64_t id;
	uint32_t group;
	char peer[PL_NICK_MAX + 1];
	uint64_t peer_session;
	struct pl_media_format offer, counter, agreed;
	struct pl_e2e_state hs;
	struct pl_e2e_offer in_offer;
	uint8_t reveal[PL_CALL_REVEAL_LEN]; /* caller: kept while a counter-offer waits */
	struct pl_e2e_keys keys;
	bool keyed;
	uint64_t started_ms;
	struct event *tick; /* the status line's call timer */
	/* A group call's other members, and this device's sender key in it. */
	struct gmember members[PL_GROUP_MEMBERS_MAX];
	unsigned nmembers;
	uint8_t tx_key[PL_E2E_KEY_LEN];
	uint8_t tx_key_id;
	bool tx_keyed;

	/* The last one-to-one peer's device key, for /verify after the call. */
	char last_peer[PL_NICK_MAX + 1];
	uint8_t last_key[PL_DEVICE_KEY_LEN];
	bool have_last;
};

static const char *const state_names[] = {"setup", "ringing", "active", "ended"};
static const char *const reason_names[] = {"", "denied", "busy", "timeout", "cancelled", "hung_up", "failed", "offline"};
static const char *const reason_words[] = {
	"", "the call was denied", "busy: already in a call", "nobody answered in time", "cancelled by the caller",
	"hung up", "the call failed", "not connected: a missed-call notice waits for them"};

static void csend(struct pl_calls *c, struct pl_msg *m)
{
	c->cfg.send(c->cfg.arg, m);
}

static void say(struct pl_calls *c, const char *event, const char *sentence)
{
	struct pl_ui_call e = {.event = event, .call = c->id, .sentence = sentence};
	pl_ui_call(c->cfg.ui, &e);
}

static void local_error(struct pl_calls *c, const char *sentence)
{
	pl_ui_local_error(c->cfg.ui, sentence);
}

/* --- verified device keys, per server, in the client's configuration directory --- */

/* 1: key is one verified for nick; -1: nick has verified keys, and this is not one; 0: none. */
static int verified(struct pl_calls *c, const char *nick, const uint8_t key[PL_DEVICE_KEY_LEN])
{
	FILE *f = c->cfg.verified_path[0] ? fopen(c->cfg.verified_path, "r") : NULL;
	if (!f)
		return 0;
	char line[300], srv[2 * PL_CERT_HASH_LEN + 1], who[PL_NICK_MAX + 1], hex[2 * PL_DEVICE_KEY_LEN + 1];
	char want_srv[sizeof srv], want_key[sizeof hex];
	sodium_bin2hex(want_srv, sizeof want_srv, c->cert_hash, sizeof c->cert_hash);
	sodium_bin2hex(want_key, sizeof want_key, key, PL_DEVICE_KEY_LEN);
	int r = 0;
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#' || sscanf(line, "%64s %32s %64s", srv, who, hex) != 3)
			continue;
		if (strcmp(srv, want_srv) != 0 || strcasecmp(who, nick) != 0)
			continue;
		if (strcmp(hex, want_key) == 0) {
			r = 1;
			break;
		}
		r = -1;
	}
	fclose(f);
	return r;
}

static int verify_add(struct pl_calls *c, const char *nick, const uint8_t key[PL_DEVICE_KEY_LEN])
{
	if (!c->cfg.verified_path[0])
		return -ENOENT;
	pl_confdir_mkdirs(c->cfg.verified_path);
	FILE *f = fopen(c->cfg.verified_path, "a");
	if (!f)
		return -errno;
	char srv[2 * PL_CERT_HASH_LEN + 1], hex[2 * PL_DEVICE_KEY_LEN + 1];
	sodium_bin2hex(srv, sizeof srv, c->cert_hash, sizeof c->cert_hash);
	sodium_bin2hex(hex, sizeof hex, key, PL_DEVICE_KEY_LEN);
	fprintf(f, "%s %s %s\n", srv, nick, hex);
	int rc = fclose(f) == 0 ? 0 : -EIO;
	return rc;
}

static const char *verified_word(int v)
{
	return v > 0 ? "yes" : v < 0 ? "changed" : "no";
}

/* Says loudly that a verified contact's device key is not the one verified, before the call
 * connects: what a man in the middle would look like. */
void pl_call_key_warning(struct pl_ui *ui, uint64_t call, const char *nick, const uint8_t key[PL_DEVICE_KEY_LEN])
{
	char fp[PL_KEY_FP_STR], s[400];
	pl_key_fingerprint(fp, key);
	snprintf(s, sizeof s, "WARNING: %s's device key (%s) is not the one you verified. Someone may be "
		 "intercepting this call. Compare the code aloud before you trust it; /verify %s only once it matches.",
		 nick, fp, nick);
	struct pl_ui_call e = {.event = "key_warning", .call = call, .nick = nick, .fingerprint = fp, .sentence = s};
	pl_ui_call(ui, &e);
}

static void key_warning(struct pl_calls *c, const char *nick, const uint8_t key[PL_DEVICE_KEY_LEN])
{
	pl_call_key_warning(c->cfg.ui, c->id, nick, key);
}

void pl_call_show_sas(struct pl_ui *ui, uint64_t call, const char *nick, const struct pl_e2e_keys *k, int v)
{
	char fp[PL_KEY_FP_STR], s[400];
	pl_key_fingerprint(fp, k->peer_key);
	snprintf(s, sizeof s, "Code to compare with %s aloud: %s (their device %s, %s). If it differs, someone "
		 "is in the middle: hang up.%s", nick, k->sas, fp,
		 v > 0 ? "verified" : v < 0 ? "NOT the one verified" : "not verified yet",
		 v > 0 ? "" : " If it matches: /verify.");
	struct pl_ui_call e = {.event = "sas", .call = call, .nick = nick, .sas = k->sas, .fingerprint = fp,
			       .verified = v > 0 ? "yes" : v < 0 ? "changed" : "no", .sentence = s};
	pl_ui_call(ui, &e);
}

/* --- the call's end --- */

static void media_clear(struct pl_calls *c)
{
	const struct pl_call_media *md = c->cfg.media;
	md->set_tx_key(c->cfg.arg, 0, NULL);
	if (c->peer_session)
		md->forget_sender(c->cfg.arg, c->peer_session);
	for (unsigned i = 0; i < c->nmembers; i++)
		md->forget_sender(c->cfg.arg, c->members[i].session);
	md->set_format(c->cfg.arg, NULL);
}

static void reset(struct pl_calls *c)
{
	if (c->cfg.path)
		pl_callpath_stop(c->cfg.path);
	if (c->state == C_ACTIVE || c->keyed || c->tx_keyed)
		media_clear(c);
	if (c->keyed && !c->group) {
		snprintf(c->last_peer, sizeof c->last_peer, "%s", c->peer);
		memcpy(c->last_key, c->keys.peer_key, sizeof c->last_key);
		c->have_last = true;
	}
	pl_e2e_abort(&c->hs);
	sodium_memzero(&c->keys, sizeof c->keys);
	sodium_memzero(c->tx_key, sizeof c->tx_key);
	sodium_memzero(c->reveal, sizeof c->reveal);
	evtimer_del(c->tick);
	c->state = C_NONE;
	c->id = 0;
	c->group = 0;
	c->peer_session = 0;
	c->keyed = c->tx_keyed = c->hangup_wanted = false;
	c->nmembers = 0;
	pl_ui_status(c->cfg.ui, NULL, NULL, NULL, "voice on");
}

/* --- group calls: this device's sender key to the other members --- */

static void send_skey(struct pl_calls *c, const struct gmember *to, unsigned nto)
{
	struct pl_msg *m = calloc(1, sizeof *m);
	if (!m)
		return;
	m->type = PL_MSG_MEDIA_KEYS;
	m->u.mkey.scope = PL_SCOPE_CALL;
	m->u.mkey.call = c->id;
	m->u.mkey.key_id = c->tx_key_id;
	for (unsigned i = 0; i < nto; i++) {
		uint8_t rnd[PL_E2E_RANDOM_LEN];
		pl_env_random(c->cfg.env, rnd, sizeof rnd);
		struct pl_skey_entry *e = &m->u.mkey.keys[m->u.mkey.count];
		if (pl_e2e_skey_seal(e->sealed, c->sk, to[i].device, c->id, c->tx_key_id, c->tx_key, rnd) < 0)
			continue;
		e->to = to[i].session;
		if (++m->u.mkey.count == PL_MEDIA_KEYS_MAX) {
			csend(c, m);
			m->u.mkey.count = 0;
		}
	}
	if (m->u.mkey.count)
		csend(c, m);
	sodium_memzero(m, sizeof *m);
	free(m);
}

/* A fresh sender key, for everyone still in the call: at the start, and whenever someone leaves
 * (who then cannot open what follows). */
static void new_skey(struct pl_calls *c)
{
	pl_env_random(c->cfg.env, c->tx_key, sizeof c->tx_key);
	c->tx_key_id++;
	c->tx_keyed = true;
	c->cfg.media->set_tx_key(c->cfg.arg, c->tx_key_id, c->tx_key);
	send_skey(c, c->members, c->nmembers);
}

/* --- commands --- */

static void start(struct pl_calls *c, const struct pl_cmd *cmd)
{
	if (c->state != C_NONE) {
		local_error(c, "You are in a call already; /hangup first.");
		return;
	}
	if (!c->identity) {
		local_error(c, "Calls are end-to-end encrypted to device keys, and this client runs without an identity; "
			       "start it without --no-identity.");
		return;
	}
	struct pl_msg m = {.type = PL_MSG_CALL_START};
	if (cmd->kind == PL_CMD_CALL_GROUP)
		m.u.call.group = cmd->number;
	else
		snprintf(m.u.call.nick, sizeof m.u.call.nick, "%s", cmd->nick);
	if (cmd->has_fmt)
		m.u.call.fmt = cmd->fmt;
	else
		pl_mformat_default(&m.u.call.fmt);
	if (!cmd->has_fmt && c->cfg.frame_ms)
		m.u.call.fmt.chunk = (uint16_t)(m.u.call.fmt.rate / 1000 * c->cfg.frame_ms);
	c->offer = m.u.call.fmt;
	c->group = m.u.call.group;
	snprintf(c->peer, sizeof c->peer, "%s", cmd->kind == PL_CMD_CALL ? cmd->nick : "");
	c->outgoing = true;
	c->state = C_STARTING;
	csend(c, &m);
}

static void answer(struct pl_calls *c, const struct pl_cmd *cmd)
{
	if (c->state != C_RINGING_IN) {
		local_error(c, "No call is ringing here.");
		return;
	}
	struct pl_msg m = {.type = PL_MSG_CALL_ANSWER};
	m.u.call.id = c->id;
	m.u.call.action = PL_CALL_ACCEPT;
	m.u.call.fmt = c->offer;
	if (cmd->has_fmt && !pl_mformat_equal(&cmd->fmt, &c->offer)) {
		if (c->group) {
			local_error(c, "A group call's format is the caller's; /answer without one.");
			return;
		}
		m.u.call.action = PL_CALL_COUNTER;
		m.u.call.fmt = cmd->fmt;
	}
	if (!c->group) {
		struct pl_e2e_answer a;
		uint8_t rnd[PL_E2E_RANDOM_LEN];
		pl_env_random(c->cfg.env, rnd, sizeof rnd);
		if (pl_e2e_answer(&a, &c->hs, c->sk, &c->in_offer, rnd) < 0) {
			local_error(c, "The call's OFFER does not check (its signature is bad): it cannot be answered safely.");
			m.u.call.action = PL_CALL_DENY;
		} else {
			pl_e2e_answer_encode(m.u.call.hs, &a);
		}
		sodium_memzero(rnd, sizeof rnd);
	}
	c->state = m.u.call.action == PL_CALL_DENY ? C_RINGING_IN : C_ANSWERED;
	csend(c, &m);
}

static void deny(struct pl_calls *c)
{
	if (c->state != C_RINGING_IN) {
		local_error(c, "No call is ringing here.");
		return;
	}
	struct pl_msg m = {.type = PL_MSG_CALL_ANSWER};
	m.u.call.id = c->id;
	m.u.call.action = PL_CALL_DENY;
	csend(c, &m);
}

static void confirm(struct pl_calls *c, bool proceed)
{
	struct pl_msg m = {.type = PL_MSG_CALL_CONFIRM};
	m.u.call.id = c->id;
	m.u.call.action = proceed ? PL_CALL_PROCEED : PL_CALL_DROP;
	if (proceed)
		memcpy(m.u.call.reveal, c->reveal, sizeof m.u.call.reveal);
	sodium_memzero(c->reveal, sizeof c->reveal);
	csend(c, &m);
	c->state = C_ANSWERED;
}

static void hangup(struct pl_calls *c)
{
	if (c->state == C_NONE) {
		local_error(c, "There is no call to hang up.");
		return;
	}
	if (c->state == C_STARTING) {
		c->hangup_wanted = true; /* once the call has an id */
		return;
	}
	if (c->state == C_COUNTER) {
		confirm(c, false);
		return;
	}
	struct pl_msg m = {.type = PL_MSG_CALL_HANGUP};
	m.u.call.id = c->id;
	csend(c, &m);
}

static void verify(struct pl_calls *c, const struct pl_cmd *cmd)
{
	const char *nick = cmd->nick[0] ? cmd->nick : c->keyed && !c->group ? c->peer : c->last_peer;
	const uint8_t *key = NULL;
	if (c->keyed && !c->group && !strcasecmp(nick, c->peer))
		key = c->keys.peer_key;
	else if (c->have_last && !strcasecmp(nick, c->last_peer))
		key = c->last_key;
	for (unsigned i = 0; !key && i < c->nmembers; i++)
		if (!strcasecmp(nick, c->members[i].nick))
			key = c->members[i].device;
	if (!key || !nick[0]) {
		local_error(c, "Nothing to verify: call that contact, compare the code aloud, then /verify NICK.");
		return;
	}
	char fp[PL_KEY_FP_STR], s[4400];
	pl_key_fingerprint(fp, key);
	if (verified(c, nick, key) > 0) {
		snprintf(s, sizeof s, "%s's device %s was verified already.", nick, fp);
	} else if (verify_add(c, nick, key) < 0) {
		snprintf(s, sizeof s, "Cannot write %s; check its directory's permissions.", c->cfg.verified_path);
		local_error(c, s);
		return;
	} else {
		snprintf(s, sizeof s, "%s's device %s is now verified: a call from another key will warn you.", nick, fp);
	}
	struct pl_ui_call e = {.event = "verified", .call = c->id, .nick = nick, .fingerprint = fp, .verified = "yes",
			       .sentence = s};
	pl_ui_call(c->cfg.ui, &e);
}

bool pl_calls_cmd(struct pl_calls *c, const struct pl_cmd *cmd)
{
	switch (cmd->kind) {
	case PL_CMD_CALL:
	case PL_CMD_CALL_GROUP:
		start(c, cmd);
		return true;
	case PL_CMD_ANSWER:
		answer(c, cmd);
		return true;
	case PL_CMD_DENY:
		deny(c);
		return true;
	case PL_CMD_TAKE:
		if (c->state != C_COUNTER)
			local_error(c, "No format was offered back to take.");
		else
			confirm(c, true);
		return true;
	case PL_CMD_HANGUP:
		hangup(c);
		return true;
	case PL_CMD_VERIFY:
		verify(c, cmd);
		return true;
	default:
		return false;
	}
}

/* --- messages --- */

static void show_state(struct pl_calls *c, uint8_t state, uint8_t reason, const char *sentence)
{
	char fmt[128];
	pl_mformat_describe(&c->agreed, fmt, sizeof fmt);
	struct pl_ui_call e = {.event = "call_state", .call = c->id, .state = state_names[state],
			       .reason = state == PL_CALL_ENDED ? reason_names[reason] : NULL, .nick = c->peer,
			       .group = c->group, .fmt = state == PL_CALL_ACTIVE ? &c->agreed : NULL, .sentence = sentence};
	pl_ui_call(c->cfg.ui, &e);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct pl_calls *c = arg;
	char s[200];
	pl_calls_status(c, s, sizeof s);
	pl_ui_status(c->cfg.ui, NULL, NULL, NULL, s);
	struct timeval tv = {1, 0};
	evtimer_add(c->tick, &tv);
}

static void go_active(struct pl_calls *c, const struct pl_msg *m)
{
	const struct pl_call_media *md = c->cfg.media;
	c->agreed = m->u.call.fmt;
	c->state = C_ACTIVE;
	c->started_ms = pl_env_mono_ms(c->cfg.env);
	md->set_format(c->cfg.arg, &c->agreed);
	char s[400], fmt[128];
	pl_mformat_describe(&c->agreed, fmt, sizeof fmt);
	if (c->group) {
		snprintf(s, sizeof s, "Call %u active (%s).", c->group, fmt);
		show_state(c, PL_CALL_ACTIVE, 0, s);
		new_skey(c);
	} else {
		/* The handshake's keys: ours seals what we send, the peer's opens what it sends. */
		md->set_tx_key(c->cfg.arg, 0, c->keys.tx);
		md->set_rx_key(c->cfg.arg, c->peer_session, 0, c->keys.rx);
		snprintf(s, sizeof s, "Call with %s active (%s), end-to-end encrypted.", c->peer, fmt);
		show_state(c, PL_CALL_ACTIVE, 0, s);
		pl_call_show_sas(c->cfg.ui, c->id, c->peer, &c->keys, verified(c, c->peer, c->keys.peer_key));
		/* Media is on the relay now; a direct path is looked for beside it. */
		if (c->cfg.path)
			pl_callpath_start(c->cfg.path, c->id, c->outgoing, &c->keys, c->peer_session);
	}
	on_tick(0, 0, c);
}

static void on_state(struct pl_calls *c, const struct pl_msg *m)
{
	uint8_t st = m->u.call.state;
	char s[300];
	if (st == PL_CALL_SETUP) {
		if (c->state != C_STARTING)
			return;
		c->id = m->u.call.id;
		if (c->hangup_wanted) {
			c->state = C_RINGING_OUT;
			hangup(c);
			return;
		}
		struct pl_msg r = {.type = PL_MSG_CALL_RING};
		r.u.call.id = c->id;
		if (!c->group) {
			struct pl_e2e_offer o;
			uint8_t rnd[PL_E2E_RANDOM_LEN];
			pl_env_random(c->cfg.env, rnd, sizeof rnd);
			pl_e2e_offer(&o, &c->hs, c->sk, c->id, rnd);
			sodium_memzero(rnd, sizeof rnd);
			pl_e2e_offer_encode(r.u.call.hs, &o);
		}
		c->state = C_RINGING_OUT;
		csend(c, &r);
		on_tick(0, 0, c);
		return;
	}
	if (m->u.call.id != c->id)
		return;
	if (st == PL_CALL_RINGING) {
		char fmt[128];
		pl_mformat_describe(&c->offer, fmt, sizeof fmt);
		if (c->group)
			snprintf(s, sizeof s, "Calling group %u (%s)...", c->group, fmt);
		else
			snprintf(s, sizeof s, "Calling %s (%s)...", c->peer, fmt);
		c->agreed = c->offer;
		show_state(c, PL_CALL_RINGING, 0, s);
	} else if (st == PL_CALL_ACTIVE) {
		go_active(c, m);
	} else if (st == PL_CALL_ENDED) {
		uint8_t why = m->u.call.reason <= PL_CALL_REASON_MAX ? m->u.call.reason : PL_CALL_FAILED;
		if (c->group)
			snprintf(s, sizeof s, "Call %u ended: %s.", c->group, reason_words[why]);
		else
			snprintf(s, sizeof s, "Call with %s ended: %s.", c->peer, reason_words[why]);
		show_state(c, PL_CALL_ENDED, why, s);
		reset(c);
	}
}

static void on_incoming(struct pl_calls *c, const struct pl_msg *m)
{
	if (c->state != C_NONE)
		return; /* the server rings us for one call at a time */
	c->id = m->u.call.id;
	c->group = m->u.call.group;
	c->offer = c->agreed = m->u.call.fmt;
	c->peer_session = m->u.call.session;
	c->outgoing = false;
	snprintf(c->peer, sizeof c->peer, "%s", m->u.call.nick);
	char s[500], fmt[128], fp[PL_KEY_FP_STR] = "";
	pl_mformat_describe(&c->offer, fmt, sizeof fmt);
	int v = 0;
	if (!c->group) {
		/* The OFFER names the call it was made for: one for another call is a replay. */
		if (pl_e2e_offer_decode(&c->in_offer, m->u.call.hs, sizeof m->u.call.hs) < 0 ||
		    c->in_offer.call_id != c->id) {
			c->state = C_RINGING_IN;
			local_error(c, "A call came with a key offer made for another call; refusing it.");
			deny(c);
			return;
		}
		pl_key_fingerprint(fp, c->in_offer.caller_key);
		v = verified(c, c->peer, c->in_offer.caller_key);
		if (v < 0)
			key_warning(c, c->peer, c->in_offer.caller_key);
		snprintf(s, sizeof s, "%s calls you (%s; device %s, %s): /answer, or /deny.", c->peer, fmt, fp,
			 v > 0 ? "verified" : v < 0 ? "NOT the verified one" : "not verified");
	} else {
		snprintf(s, sizeof s, "%s calls group %u (%s): /answer, or /deny.", c->peer, c->group, fmt);
	}
	c->state = C_RINGING_IN;
	on_tick(0, 0, c);
	struct pl_ui_call e = {.event = "call_incoming", .call = c->id, .nick = c->peer, .session = c->peer_session,
			       .group = c->group, .fmt = &c->offer, .fingerprint = c->group ? NULL : fp,
			       .verified = c->group ? NULL : verified_word(v), .sentence = s};
	pl_ui_call(c->cfg.ui, &e);
}

static void on_answered(struct pl_calls *c, const struct pl_msg *m)
{
	if (m->u.call.id != c->id || c->state != C_RINGING_OUT || c->group)
		return;
	struct pl_e2e_answer a;
	struct pl_e2e_reveal r;
	c->peer_session = m->u.call.session;
	if (pl_e2e_answer_decode(&a, m->u.call.hs, sizeof m->u.call.hs) < 0 ||
	    pl_e2e_reveal(&r, &c->hs, c->sk, &a, &c->keys) < 0) {
		local_error(c, "The answer's key agreement does not check: dropping the call.");
		confirm(c, false);
		return;
	}
	c->keyed = true;
	pl_e2e_reveal_encode(c->reveal, &r);
	int v = verified(c, c->peer, c->keys.peer_key);
	if (v < 0)
		key_warning(c, c->peer, c->keys.peer_key);
	if (m->u.call.action == PL_CALL_COUNTER) {
		c->counter = m->u.call.fmt;
		c->state = C_COUNTER;
		char s[300], fmt[128];
		pl_mformat_describe(&c->counter, fmt, sizeof fmt);
		snprintf(s, sizeof s, "%s offers %s instead: /take it, or /hangup.", c->peer, fmt);
		struct pl_ui_call e = {.event = "call_offer", .call = c->id, .nick = c->peer, .fmt = &c->counter,
				       .sentence = s};
		pl_ui_call(c->cfg.ui, &e);
		return;
	}
	confirm(c, true);
}

static void on_confirmed(struct pl_calls *c, const struct pl_msg *m)
{
	struct pl_e2e_reveal r;
	if (m->u.call.id != c->id || c->state != C_ANSWERED || c->group)
		return;
	if (pl_e2e_reveal_decode(&r, m->u.call.reveal, sizeof m->u.call.reveal) < 0 ||
	    pl_e2e_finish(&c->hs, &r, &c->keys) < 0) {
		local_error(c, "The caller's key does not match what it committed to: hanging up.");
		hangup(c);
		return;
	}
	c->keyed = true;
}

static void on_member(struct pl_calls *c, const struct pl_msg *m)
{
	if (m->u.call.id != c->id || !c->group || m->u.call.session == c->session)
		return;
	char s[200];
	if (m->u.call.joined) {
		if (c->nmembers == PL_GROUP_MEMBERS_MAX)
			return;
		struct gmember *g = &c->members[c->nmembers++];
		g->session = m->u.call.session;
		snprintf(g->nick, sizeof g->nick, "%s", m->u.call.nick);
		memcpy(g->device, m->u.call.device, sizeof g->device);
		if (c->tx_keyed)
			send_skey(c, g, 1); /* a newcomer gets the key in use */
		snprintf(s, sizeof s, "%s joined the call.", g->nick);
	} else {
		unsigned i = 0;
		while (i < c->nmembers && c->members[i].session != m->u.call.session)
			i++;
		if (i == c->nmembers)
			return;
		c->cfg.media->forget_sender(c->cfg.arg, c->members[i].session);
		c->members[i] = c->members[--c->nmembers];
		if (c->tx_keyed)
			new_skey(c); /* who left cannot open what follows */
		snprintf(s, sizeof s, "%s left the call.", m->u.call.nick);
	}
	struct pl_ui_call e = {.event = "call_member", .call = c->id, .nick = m->u.call.nick,
			       .session = m->u.call.session, .joined = m->u.call.joined, .sentence = s};
	pl_ui_call(c->cfg.ui, &e);
}

static void on_media_key(struct pl_calls *c, const struct pl_msg *m)
{
	if (m->u.mkey.scope != PL_SCOPE_CALL || m->u.mkey.call != c->id || !c->group)
		return;
	const struct gmember *g = NULL;
	for (unsigned i = 0; i < c->nmembers && !g; i++)
		if (c->members[i].session == m->u.mkey.from)
			g = &c->members[i];
	uint8_t key[PL_E2E_KEY_LEN];
	if (!g || pl_e2e_skey_open(key, c->sk, g->device, c->id, m->u.mkey.key_id, m->u.mkey.keys[0].sealed,
				   PL_SKEY_LEN) < 0) {
		say(c, "key_refused", "A sender key in this call did not check against its sender's device; ignored.");
		return;
	}
	c->cfg.media->set_rx_key(c->cfg.arg, g->session, m->u.mkey.key_id, key);
	sodium_memzero(key, sizeof key);
}

bool pl_calls_msg(struct pl_calls *c, const struct pl_msg *m)
{
	switch (m->type) {
	case PL_MSG_CALL_STATE: on_state(c, m); return true;
	case PL_MSG_CALL_INCOMING: on_incoming(c, m); return true;
	case PL_MSG_CALL_ANSWERED: on_answered(c, m); return true;
	case PL_MSG_CALL_CONFIRMED: on_confirmed(c, m); return true;
	case PL_MSG_CALL_MEMBER: on_member(c, m); return true;
	case PL_MSG_MEDIA_KEY: on_media_key(c, m); return true;
	case PL_MSG_CALL_PEER_CAND:
		if (c->cfg.path && c->state == C_ACTIVE && !c->group && m->u.cand.id == c->id)
			pl_callpath_msg(c->cfg.path, m);
		return true;
	case PL_MSG_ERROR:
		/* The server refused the call before it had an id (no such account, not a contact, a
		 * bad format...): there is no call. The error itself is the UI's to say. */
		if (c->state == C_STARTING && m->u.error.about == PL_MSG_CALL_START)
			reset(c);
		return false;
	default: return false;
	}
}

bool pl_calls_in_call(const struct pl_calls *c)
{
	return c && c->state != C_NONE;
}

bool pl_calls_with(const struct pl_calls *c, const char *nick)
{
	if (!pl_calls_in_call(c))
		return false;
	if (!strcasecmp(c->peer, nick))
		return true;
	for (unsigned i = 0; i < c->nmembers; i++)
		if (!strcasecmp(c->members[i].nick, nick))
			return true;
	return false;
}

void pl_calls_lost(struct pl_calls *c)
{
	if (c->state == C_NONE)
		return;
	char s[200];
	if (c->group)
		snprintf(s, sizeof s, "Call %u ended: the connection to the server was lost.", c->group);
	else
		snprintf(s, sizeof s, "Call with %s ended: the connection to the server was lost.", c->peer);
	show_state(c, PL_CALL_ENDED, PL_CALL_FAILED, s);
	reset(c);
}

void pl_calls_status(struct pl_calls *c, char *out, size_t sz)
{
	if (c->state != C_ACTIVE) {
		if (c->state == C_NONE)
			snprintf(out, sz, "voice on");
		else if (c->group)
			snprintf(out, sz, "%s group %u", c->state == C_RINGING_IN ? "ringing:" : "calling", c->group);
		else if (c->state == C_RINGING_IN)
			snprintf(out, sz, "ringing: %s calls", c->peer);
		else
			snprintf(out, sz, "calling %s", c->peer);
		return;
	}
	uint64_t secs = (pl_env_mono_ms(c->cfg.env) - c->started_ms) / 1000;
	char fmt[128];
	pl_mformat_describe(&c->agreed, fmt, sizeof fmt);
	if (c->group)
		snprintf(out, sz, "call %u, %u others %02u:%02u, %s", c->group, c->nmembers, (unsigned)(secs / 60),
			 (unsigned)(secs % 60), fmt);
	else {
		char path[64] = "";
		if (c->cfg.path)
			pl_callpath_status(c->cfg.path, path, sizeof path);
		snprintf(out, sz, "call with %s %02u:%02u, %s, %s%s%s", c->peer, (unsigned)(secs / 60),
			 (unsigned)(secs % 60), fmt, verified(c, c->peer, c->keys.peer_key) > 0 ? "verified" : "not verified",
			 path[0] ? ", " : "", path);
	}
}

void pl_calls_login(struct pl_calls *c, const uint8_t sk[PL_DEVICE_SECRET_LEN], const uint8_t pk[PL_DEVICE_KEY_LEN],
		    const uint8_t cert_hash[PL_CERT_HASH_LEN], uint64_t session, const char *nick)
{
	c->identity = sk != NULL;
	if (sk) {
		memcpy(c->sk, sk, sizeof c->sk);
		memcpy(c->pk, pk, sizeof c->pk);
	}
	memcpy(c->cert_hash, cert_hash, sizeof c->cert_hash);
	c->session = session;
	snprintf(c->nick, sizeof c->nick, "%s", nick);
}

int pl_calls_alloc(struct pl_calls **cp, const struct pl_calls_cfg *cfg)
{
	struct pl_calls *c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->cfg = *cfg;
	c->tick = evtimer_new(cfg->base, on_tick, c);
	if (!c->tick) {
		free(c);
		return -ENOMEM;
	}
	*cp = c;
	return 0;
}

void pl_calls_free(struct pl_calls *c)
{
	if (!c)
		return;
	event_free(c->tick);
	sodium_memzero(c, sizeof *c);
	free(c);
}
