/*
 * direct: calls with no server (client/direct.h tells the whole story). This file is the call's
 * state machine over core/dmsg.h's datagrams and the voice engine; direct_cmd.c reads the
 * person's commands and carries them out through the functions in direct_int.h.
 */
#include "client/direct_int.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/call.h"
#include "net/addr.h"

static const char *const reason_names[] = {"", "denied", "busy", "timeout", "cancelled", "hung_up", "failed"};

/* --- sending --- */

static void send_raw(struct direct *d, const void *buf, size_t len, const struct sockaddr *to, socklen_t tolen)
{
	int rc = pl_voice_sendto(d->voice, buf, len, to, tolen);
	if (rc < 0 && rc != -EAGAIN && rc != -EWOULDBLOCK && !d->send_warned) {
		char s[300], a[PL_ADDR_STR];
		pl_addr_fmt(to, a, sizeof a);
		snprintf(s, sizeof s, "Cannot send to %s (%s); check the address and this machine's network.", a,
			 strerror(-rc));
		pl_ui_local_error(&d->ui, s);
		d->send_warned = true;
	}
}

/* To the call's peer, in clear: before the caller's address is proven (callee side), only
 * within what it sent us (no amplification). Returns whether it went. */
static bool send_call_clear(struct direct *d, const struct pl_dmsg *m)
{
	uint8_t buf[PL_DMSG_MAX];
	int n = pl_dmsg_encode(m, buf, sizeof buf);
	if (n <= 0)
		return false;
	struct dcall *c = &d->call;
	if (!c->outgoing && !c->proven) {
		if ((size_t)n > c->credit)
			return false;
		c->credit -= (size_t)n;
	}
	send_raw(d, buf, (size_t)n, (struct sockaddr *)&c->addr, c->addrlen);
	return true;
}

/* A small answer in clear to a request of another call (BUSY) or a stranger's: one for one. */
static void reply_clear(struct direct *d, uint8_t type, uint64_t id, const struct sockaddr *to, socklen_t tolen)
{
	struct pl_dmsg m = {.type = type, .call_id = id};
	uint8_t buf[PL_DMSG_HDR];
	if (pl_dmsg_encode(&m, buf, sizeof buf) == PL_DMSG_HDR)
		send_raw(d, buf, sizeof buf, to, tolen);
}

void dr_send_sealed(struct direct *d, uint8_t type, uint32_t text_id, const char *text)
{
	struct dcall *c = &d->call;
	if (!c->keyed)
		return;
	struct pl_dmsg_inner in = {.type = type, .text_id = text_id};
	if (text)
		snprintf(in.text, sizeof in.text, "%s", text);
	uint8_t buf[PL_DMSG_MAX];
	int n = pl_dmsg_seal(buf, sizeof buf, c->id, c->ctl_tx, ++c->ctl_counter, &in);
	sodium_memzero(&in, sizeof in);
	if (n > 0)
		send_raw(d, buf, (size_t)n, (struct sockaddr *)&c->addr, c->addrlen);
}

/* --- the call's media --- */

static void media_on(struct direct *d)
{
	struct dcall *c = &d->call;
	char err[300];
	if (pl_voice_set_format(d->voice, &c->fmt, err, sizeof err) < 0)
		pl_ui_local_error(&d->ui, err);
	pl_voice_set_tx_key(d->voice, 0, c->keys.tx);
	pl_voice_set_rx_key(d->voice, c->peer_id, 0, c->keys.rx);
	pl_voice_set_peer(d->voice, (struct sockaddr *)&c->addr, c->addrlen, c->peer_id);
	c->media = true;
}

static void media_off(struct direct *d)
{
	struct dcall *c = &d->call;
	if (!c->media)
		return;
	pl_voice_set_peer(d->voice, NULL, 0, 0);
	pl_voice_clear_tx_key(d->voice);
	pl_voice_forget_sender(d->voice, c->peer_id);
	char err[300];
	pl_voice_set_format(d->voice, NULL, err, sizeof err);
	c->media = false;
}

/* --- the call's life --- */

static void arm(struct event *e, unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	evtimer_add(e, &tv);
}

static void show_state(struct direct *d, const char *state, uint8_t reason, const char *sentence)
{
	struct dcall *c = &d->call;
	struct pl_ui_call e = {.event = "call_state", .call = c->id, .state = state,
			       .reason = reason ? reason_names[reason] : NULL, .nick = c->peer,
			       .fmt = !strcmp(state, "active") ? &c->fmt : NULL, .sentence = sentence};
	pl_ui_call(&d->ui, &e);
}

/* Forgets the call (its keys wiped); the media stops. */
static void call_clear(struct direct *d)
{
	struct dcall *c = &d->call;
	media_off(d);
	evtimer_del(d->retx);
	pl_e2e_abort(&c->hs);
	if (c->keyed) {
		snprintf(d->last_peer, sizeof d->last_peer, "%s", c->peer);
		snprintf(d->last_addr, sizeof d->last_addr, "%s", c->addr_str);
		memcpy(d->last_key, c->keys.peer_key, sizeof d->last_key);
		d->have_last = true;
	}
	sodium_memzero(c, sizeof *c);
	pl_ui_status(&d->ui, NULL, NULL, NULL, "no call");
}

void dr_call_end(struct direct *d, uint8_t reason, const char *why)
{
	struct dcall *c = &d->call;
	if (c->state == D_NONE || c->state == D_CLOSING)
		return;
	char s[400];
	snprintf(s, sizeof s, "Call with %s ended: %s.", c->peer, why);
	show_state(d, "ended", reason, s);
	if (!c->keyed) {
		call_clear(d);
		return;
	}
	/* Keys kept a moment: to answer a HANGUP sent again, or to send ours again until it is heard. */
	media_off(d);
	c->state = D_CLOSING;
	c->closing_since = pl_env_mono_ms(d->env);
	c->attempt = 0;
	if (c->hangup_ours) {
		dr_send_sealed(d, PL_DMSG_HANGUP, 0, NULL);
		arm(d->retx, pl_dmsg_backoff_ms(0));
	}
}

static void go_active(struct direct *d)
{
	struct dcall *c = &d->call;
	c->state = D_ACTIVE;
	c->keyed = true;
	c->started_ms = c->heard_ms = pl_env_mono_ms(d->env);
	pl_dmsg_ctl_key(c->ctl_tx, c->keys.tx);
	pl_dmsg_ctl_key(c->ctl_rx, c->keys.rx);
	pl_replay_init(&c->ctl_win);
	media_on(d);
	char s[400], fmt[128];
	pl_mformat_describe(&c->fmt, fmt, sizeof fmt);
	/* After a rendezvous whose punching failed, the peer's address is parleyd's relay (rdvc.h). */
	const struct pl_rdv_result *met = d->o->rdv_met;
	bool relayed = met && met->relayed && !strcmp(met->path, c->addr_str);
	snprintf(s, sizeof s, "Call with %s (%s) active (%s), end-to-end encrypted, %s.", c->peer, c->addr_str, fmt,
		 relayed ? "through the server's relay" : "direct");
	show_state(d, "active", 0, s);
	pl_call_show_sas(&d->ui, c->id, c->peer, &c->keys, dr_key_check(d, c->peer, c->keys.peer_key));
	snprintf(s, sizeof s, "call with %s", c->peer);
	pl_ui_status(&d->ui, NULL, NULL, NULL, s);
	if (d->o->voice_in[0] && !d->voice_in_done) {
		/* --voice-in: talk with the file once the first call is on. */
		d->voice_in_done = true;
		if (pl_voice_send_file(d->voice, d->o->voice_in, s, sizeof s) < 0)
			pl_ui_local_error(&d->ui, s);
	}
}

/* The name to show for a peer: the contact with this key, else the one at this address, else
 * what it calls itself. */
static void peer_name(struct direct *d, const uint8_t *key, const char *addr, const char *announced, char *out,
		      size_t sz)
{
	const struct pl_cbook_entry *e = d->book && key ? pl_cbook_by_key(d->book, key) : NULL;
	for (size_t i = 0; d->book && !e && i < pl_cbook_count(d->book); i++)
		if (!strcmp(pl_cbook_at(d->book, i)->addr, addr))
			e = pl_cbook_at(d->book, i);
	snprintf(out, sz, "%s", e ? e->name : announced);
}

int dr_key_check(struct direct *d, const char *name, const uint8_t key[PL_DEVICE_KEY_LEN])
{
	return d->book ? pl_cbook_check_key(d->book, name, key) : 0;
}

/* --- the caller's side --- */

int dr_call_start(struct direct *d, const struct sockaddr *to, socklen_t tolen, const char *shown, bool contact,
		  const struct pl_media_format *fmt)
{
	struct dcall *c = &d->call;
	if (c->state == D_CLOSING)
		call_clear(d);
	if (c->state != D_NONE) {
		pl_ui_local_error(&d->ui, "You are in a call already; /hangup first.");
		return -EBUSY;
	}
	memset(c, 0, sizeof *c);
	c->outgoing = true;
	memcpy(&c->addr, to, tolen);
	c->addrlen = tolen;
	pl_addr_fmt(to, c->addr_str, sizeof c->addr_str);
	snprintf(c->peer, sizeof c->peer, "%s", shown);
	c->by_contact = contact;
	dr_tui_call_window(d);
	do
		pl_env_random(d->env, &c->id, sizeof c->id);
	while (!c->id);
	c->peer_id = d->self_id ^ 1;
	c->fmt = *fmt;
	uint8_t rnd[PL_E2E_RANDOM_LEN];
	pl_env_random(d->env, rnd, sizeof rnd);
	struct pl_e2e_offer o;
	pl_e2e_offer(&o, &c->hs, d->sk, c->id, rnd);
	sodium_memzero(rnd, sizeof rnd);
	struct pl_dmsg m = {.type = PL_DMSG_CALL, .call_id = c->id, .fmt = *fmt, .hs_len = PL_E2E_OFFER_LEN};
	snprintf(m.name, sizeof m.name, "%s", d->name);
	pl_e2e_offer_encode(m.hs, &o);
	int n = pl_dmsg_encode(&m, c->req, sizeof c->req);
	if (n <= 0) {
		pl_e2e_abort(&c->hs);
		memset(c, 0, sizeof *c);
		pl_ui_local_error(&d->ui, "Cannot make the call request (this client's name is not usable).");
		return -EINVAL;
	}
	c->req_len = (size_t)n;
	c->state = D_CALLING;
	c->since_ms = pl_env_mono_ms(d->env);
	send_raw(d, c->req, c->req_len, to, tolen);
	arm(d->retx, pl_dmsg_backoff_ms(0));
	char s[400], f[128];
	pl_mformat_describe(fmt, f, sizeof f);
	if (contact)
		snprintf(s, sizeof s, "Calling %s at %s (%s)...", c->peer, c->addr_str, f);
	else
		snprintf(s, sizeof s, "Calling %s (%s)...", c->addr_str, f);
	pl_ui_info(&d->ui, "calling", s);
	return 0;
}

static void on_ringing(struct direct *d)
{
	struct dcall *c = &d->call;
	if (c->state != D_CALLING || c->rang)
		return;
	c->rang = true;
	c->since_ms = pl_env_mono_ms(d->env);
	char s[300], f[128];
	pl_mformat_describe(&c->fmt, f, sizeof f);
	snprintf(s, sizeof s, "It rings at %s (%s)...", c->addr_str, f);
	show_state(d, "ringing", 0, s);
}

static void on_answer(struct direct *d, const struct pl_dmsg *m)
{
	struct dcall *c = &d->call;
	if (c->state == D_ACTIVE && c->reveal_len) {
		/* Our REVEAL was lost: the callee still answers; send it again. */
		send_raw(d, c->reveal, c->reveal_len, (struct sockaddr *)&c->addr, c->addrlen);
		return;
	}
	if (c->state != D_CALLING)
		return;
	struct pl_e2e_answer a;
	struct pl_e2e_reveal r;
	char why[200];
	if (pl_mformat_check(&m->fmt, why, sizeof why) < 0 || pl_e2e_answer_decode(&a, m->hs, m->hs_len) < 0 ||
	    pl_e2e_reveal(&r, &c->hs, d->sk, &a, &c->keys) < 0) {
		struct pl_dmsg x = {.type = PL_DMSG_CANCEL, .call_id = c->id};
		send_call_clear(d, &x);
		dr_call_end(d, 6, "the answer's key agreement or format does not check");
		return;
	}
	c->fmt = m->fmt;
	struct pl_dmsg rv = {.type = PL_DMSG_REVEAL, .call_id = c->id, .hs_len = PL_E2E_REVEAL_LEN};
	pl_e2e_reveal_encode(rv.hs, &r);
	int n = pl_dmsg_encode(&rv, c->reveal, sizeof c->reveal);
	c->reveal_len = n > 0 ? (size_t)n : 0;
	char name[PL_DMSG_NAME_MAX + 1];
	peer_name(d, c->keys.peer_key, c->addr_str, c->by_contact ? c->peer : m->name, name, sizeof name);
	snprintf(c->peer, sizeof c->peer, "%s", name);
	if (dr_key_check(d, c->peer, c->keys.peer_key) < 0)
		pl_call_key_warning(&d->ui, c->id, c->peer, c->keys.peer_key);
	send_raw(d, c->reveal, c->reveal_len, (struct sockaddr *)&c->addr, c->addrlen);
	c->attempt = 0;
	arm(d->retx, pl_dmsg_backoff_ms(0)); /* the REVEAL again until the callee confirms */
	go_active(d);
}

/* --- the callee's side --- */

static void on_call(struct direct *d, const struct pl_dmsg *m, size_t len, const struct sockaddr *from,
		    socklen_t fromlen)
{
	struct dcall *c = &d->call;
	bool same = c->state != D_NONE && c->id == m->call_id && pl_addr_eq(from, (struct sockaddr *)&c->addr);
	if (same && !c->outgoing) {
		/* The caller is still there: each of its requests earns one answer. */
		c->credit += len;
		c->heard_ms = pl_env_mono_ms(d->env);
		if (c->state == D_RINGING_IN) {
			struct pl_dmsg r = {.type = PL_DMSG_RINGING, .call_id = c->id};
			send_call_clear(d, &r);
		} else if (c->state == D_ANSWERED && c->answer_len && c->answer_len <= c->credit) {
			c->credit -= c->answer_len;
			send_raw(d, c->answer, c->answer_len, (struct sockaddr *)&c->addr, c->addrlen);
		}
		return;
	}
	if (c->state == D_CLOSING)
		call_clear(d);
	if (c->state != D_NONE) {
		reply_clear(d, PL_DMSG_BUSY, m->call_id, from, fromlen);
		return;
	}
	struct pl_e2e_offer o;
	if (pl_e2e_offer_decode(&o, m->hs, m->hs_len) < 0 || o.call_id != m->call_id || m->call_id == 0) {
		reply_clear(d, PL_DMSG_DENY, m->call_id, from, fromlen);
		return;
	}
	char why[200];
	if (pl_mformat_check(&m->fmt, why, sizeof why) < 0) {
		reply_clear(d, PL_DMSG_DENY, m->call_id, from, fromlen);
		return;
	}
	memset(c, 0, sizeof *c);
	c->id = m->call_id;
	c->in_offer = o;
	c->fmt = m->fmt;
	memcpy(&c->addr, from, fromlen);
	c->addrlen = fromlen;
	pl_addr_fmt(from, c->addr_str, sizeof c->addr_str);
	c->credit = len;
	c->peer_id = d->self_id ^ 1;
	c->heard_ms = c->since_ms = pl_env_mono_ms(d->env);
	peer_name(d, o.caller_key, c->addr_str, m->name, c->peer, sizeof c->peer);
	dr_tui_call_window(d);
	c->state = D_RINGING_IN;
	struct pl_dmsg r = {.type = PL_DMSG_RINGING, .call_id = c->id};
	send_call_clear(d, &r);

	char fp[PL_KEY_FP_STR], s[600], f[128];
	pl_key_fingerprint(fp, o.caller_key);
	pl_mformat_describe(&c->fmt, f, sizeof f);
	int v = dr_key_check(d, c->peer, o.caller_key);
	if (v < 0)
		pl_call_key_warning(&d->ui, c->id, c->peer, o.caller_key);
	snprintf(s, sizeof s, "%s calls you from %s (%s; device %s, %s): /answer, or /deny.", c->peer, c->addr_str, f,
		 fp, v > 0 ? "verified" : v < 0 ? "NOT the verified one" : "not verified");
	struct pl_ui_call e = {.event = "call_incoming", .call = c->id, .nick = c->peer, .fmt = &c->fmt,
			       .fingerprint = fp, .verified = v > 0 ? "yes" : v < 0 ? "changed" : "no", .sentence = s};
	pl_ui_call(&d->ui, &e);
	snprintf(s, sizeof s, "ringing: %s calls", c->peer);
	pl_ui_status(&d->ui, NULL, NULL, NULL, s);
	/* The person just met by room code calls, with the key the code verified: they meant to. */
	if (d->have_met && sodium_memcmp(o.caller_key, d->met_key, PL_DEVICE_KEY_LEN) == 0)
		dr_answer(d);
}

void dr_answer(struct direct *d)
{
	struct dcall *c = &d->call;
	if (c->state != D_RINGING_IN) {
		pl_ui_local_error(&d->ui, "No call is ringing here.");
		return;
	}
	struct pl_e2e_answer a;
	uint8_t rnd[PL_E2E_RANDOM_LEN];
	pl_env_random(d->env, rnd, sizeof rnd);
	int rc = pl_e2e_answer(&a, &c->hs, d->sk, &c->in_offer, rnd);
	sodium_memzero(rnd, sizeof rnd);
	if (rc < 0) {
		pl_ui_local_error(&d->ui, "The call's key offer does not check (its signature is bad): refusing it.");
		dr_deny(d);
		return;
	}
	struct pl_dmsg m = {.type = PL_DMSG_ANSWER, .call_id = c->id, .fmt = c->fmt, .hs_len = PL_E2E_ANSWER_LEN};
	snprintf(m.name, sizeof m.name, "%s", d->name);
	pl_e2e_answer_encode(m.hs, &a);
	int n = pl_dmsg_encode(&m, c->answer, sizeof c->answer);
	c->answer_len = n > 0 ? (size_t)n : 0;
	c->state = D_ANSWERED;
	/* Within what the caller sent; else with its next request. */
	if (c->answer_len && c->answer_len <= c->credit) {
		c->credit -= c->answer_len;
		send_raw(d, c->answer, c->answer_len, (struct sockaddr *)&c->addr, c->addrlen);
	}
	pl_ui_info(&d->ui, "answering", "Answering: agreeing keys with the caller...");
}

void dr_deny(struct direct *d)
{
	struct dcall *c = &d->call;
	if (c->state != D_RINGING_IN) {
		pl_ui_local_error(&d->ui, "No call is ringing here.");
		return;
	}
	struct pl_dmsg m = {.type = PL_DMSG_DENY, .call_id = c->id};
	send_call_clear(d, &m);
	dr_call_end(d, 1, "you denied it");
}

static void on_reveal(struct direct *d, const struct pl_dmsg *m)
{
	struct dcall *c = &d->call;
	if (c->state == D_ACTIVE && !c->outgoing) {
		dr_send_sealed(d, PL_DMSG_CONFIRM, 0, NULL); /* our CONFIRM was lost */
		return;
	}
	if (c->state != D_ANSWERED)
		return;
	struct pl_e2e_reveal r;
	if (pl_e2e_reveal_decode(&r, m->hs, m->hs_len) < 0 || pl_e2e_finish(&c->hs, &r, &c->keys) < 0) {
		struct pl_dmsg x = {.type = PL_DMSG_DENY, .call_id = c->id};
		send_call_clear(d, &x);
		dr_call_end(d, 6, "the caller's key does not match what it committed to");
		return;
	}
	/* Only someone who received our ANSWER at that address could sign this REVEAL over it. */
	c->proven = true;
	go_active(d);
	dr_send_sealed(d, PL_DMSG_CONFIRM, 0, NULL);
}

/* --- in a call: sealed messages --- */

void dr_hangup(struct direct *d)
{
	struct dcall *c = &d->call;
	switch (c->state) {
	case D_NONE:
	case D_CLOSING:
		pl_ui_local_error(&d->ui, "There is no call to hang up.");
		return;
	case D_CALLING: {
		struct pl_dmsg m = {.type = PL_DMSG_CANCEL, .call_id = c->id};
		send_call_clear(d, &m);
		send_call_clear(d, &m);
		dr_call_end(d, 5, "hung up");
		return;
	}
	case D_RINGING_IN:
		dr_deny(d);
		return;
	case D_ANSWERED: {
		struct pl_dmsg m = {.type = PL_DMSG_DENY, .call_id = c->id};
		send_call_clear(d, &m);
		dr_call_end(d, 5, "hung up");
		return;
	}
	case D_ACTIVE:
		c->hangup_ours = true;
		dr_call_end(d, 5, "hung up");
		return;
	}
}

int dr_text(struct direct *d, const char *text)
{
	struct dcall *c = &d->call;
	if (c->state != D_ACTIVE) {
		pl_ui_local_error(&d->ui, "Text goes to the peer of a call; /call HOST:PORT first.");
		return -ENOTCONN;
	}
	if (!pl_text_valid(text) || strlen(text) > PL_DMSG_TEXT_MAX) {
		char s[200];
		snprintf(s, sizeof s, "A message in a direct call is 1 to %d bytes of text without control characters.",
			 PL_DMSG_TEXT_MAX);
		pl_ui_local_error(&d->ui, s);
		return -EINVAL;
	}
	struct dtext *t = NULL;
	for (unsigned i = 0; i < DR_TEXTS && !t; i++)
		if (!c->texts[i].id)
			t = &c->texts[i];
	if (!t) {
		pl_ui_local_error(&d->ui, "Too many messages wait for the peer to confirm them; wait a moment.");
		return -ENOBUFS;
	}
	t->id = ++c->text_next;
	t->tries = 1;
	t->next_ms = pl_env_mono_ms(d->env) + pl_dmsg_backoff_ms(0);
	snprintf(t->text, sizeof t->text, "%s", text);
	dr_send_sealed(d, PL_DMSG_TEXT, t->id, t->text);
	return 0;
}

static void on_text(struct direct *d, const struct pl_dmsg_inner *in)
{
	struct dcall *c = &d->call;
	dr_send_sealed(d, PL_DMSG_TEXT_ACK, in->text_id, NULL);
	for (unsigned i = 0; i < DR_SEEN; i++)
		if (c->seen[i] == in->text_id)
			return; /* sent again: our ACK was lost */
	c->seen[c->seen_at++ % DR_SEEN] = in->text_id;
	if (!pl_text_valid(in->text))
		return;
	char s[PL_DMSG_TEXT_MAX + 200];
	snprintf(s, sizeof s, "<%s> %s", c->peer, in->text);
	const char *kv[] = {"from", c->peer, "text", in->text, NULL};
	pl_ui_event(&d->ui, "text", kv, s);
}

static void on_text_ack(struct direct *d, uint32_t id)
{
	struct dcall *c = &d->call;
	for (unsigned i = 0; i < DR_TEXTS; i++) {
		struct dtext *t = &c->texts[i];
		if (t->id != id || !id)
			continue;
		char s[PL_DMSG_TEXT_MAX + 200], num[16];
		snprintf(s, sizeof s, "-> %s: %s", c->peer, t->text);
		snprintf(num, sizeof num, "%u", id);
		const char *kv[] = {"to", c->peer, "text", t->text, "#id", num, NULL};
		pl_ui_event(&d->ui, "text_delivered", kv, s);
		memset(t, 0, sizeof *t);
	}
}

static void on_sealed(struct direct *d, const uint8_t *buf, size_t len, const struct pl_dmsg *m,
		      const struct sockaddr *from)
{
	struct dcall *c = &d->call;
	if ((c->state != D_ACTIVE && c->state != D_CLOSING) || m->call_id != c->id ||
	    !pl_addr_eq(from, (struct sockaddr *)&c->addr))
		return;
	struct pl_dmsg_inner in;
	uint64_t counter;
	if (pl_dmsg_open(&in, &counter, buf, len, c->ctl_rx) < 0 || pl_replay_accept(&c->ctl_win, counter) < 0)
		return; /* forged, or heard before */
	c->heard_ms = pl_env_mono_ms(d->env);
	if (c->state == D_CLOSING) {
		if (in.type == PL_DMSG_HANGUP)
			dr_send_sealed(d, PL_DMSG_HANGUP_ACK, 0, NULL);
		else if (in.type == PL_DMSG_HANGUP_ACK)
			call_clear(d);
		return;
	}
	c->reveal_len = 0; /* the callee has our REVEAL */
	if (c->outgoing && !c->confirmed) {
		c->confirmed = true;
		evtimer_del(d->retx);
	}
	switch (in.type) {
	case PL_DMSG_HANGUP:
		dr_send_sealed(d, PL_DMSG_HANGUP_ACK, 0, NULL);
		dr_call_end(d, 5, "hung up");
		break;
	case PL_DMSG_TEXT:
		on_text(d, &in);
		break;
	case PL_DMSG_TEXT_ACK:
		on_text_ack(d, in.text_id);
		break;
	default: /* CONFIRM, KEEPALIVE: heard */
		break;
	}
	sodium_memzero(&in, sizeof in);
}

/* --- status requests --- */

int dr_status(struct direct *d, const struct sockaddr *to, socklen_t tolen, const char *shown)
{
	struct dstatus *q = &d->status;
	memset(q, 0, sizeof *q);
	do
		pl_env_random(d->env, &q->id, sizeof q->id);
	while (!q->id);
	memcpy(&q->addr, to, tolen);
	q->addrlen = tolen;
	snprintf(q->shown, sizeof q->shown, "%s", shown);
	struct pl_dmsg m = {.type = PL_DMSG_STATUS_REQ, .call_id = q->id};
	int n = pl_dmsg_encode(&m, q->req, sizeof q->req);
	if (n <= 0)
		return -EINVAL;
	q->req_len = (size_t)n;
	q->tries = 1;
	send_raw(d, q->req, q->req_len, to, tolen);
	arm(d->status_timer, pl_dmsg_backoff_ms(0));
	return 0;
}

static void on_status_timer(evutil_socket_t fd, short what, void *arg)
{
	struct direct *d = arg;
	struct dstatus *q = &d->status;
	if (!q->id)
		return;
	if (q->tries >= PL_DIRECT_STATUS_TRIES) {
		char s[400], a[PL_ADDR_STR];
		pl_addr_fmt((struct sockaddr *)&q->addr, a, sizeof a);
		snprintf(s, sizeof s, "No answer from %s (%s): nobody listens there, or the network drops it.",
			 q->shown, a);
		const char *kv[] = {"nick", q->shown, "addr", a, "presence", "no_answer", NULL};
		pl_ui_event(&d->ui, "status", kv, s);
		memset(q, 0, sizeof *q);
		return;
	}
	send_raw(d, q->req, q->req_len, (struct sockaddr *)&q->addr, q->addrlen);
	arm(d->status_timer, pl_dmsg_backoff_ms(q->tries++));
}

static void on_status_ans(struct direct *d, const struct pl_dmsg *m, const struct sockaddr *from)
{
	struct dstatus *q = &d->status;
	if (!q->id || m->call_id != q->id || !pl_addr_eq(from, (struct sockaddr *)&q->addr))
		return;
	evtimer_del(d->status_timer);
	char fp[PL_KEY_FP_STR], a[PL_ADDR_STR], s[600], name[PL_DMSG_NAME_MAX + 1];
	pl_key_fingerprint(fp, m->key);
	pl_addr_fmt(from, a, sizeof a);
	peer_name(d, m->key, a, m->name, name, sizeof name);
	const char *presence = m->status == PL_DMSG_INCALL ? "busy" : "online";
	snprintf(s, sizeof s, "%s at %s is %s (calls itself %s; device %s).", name, a,
		 m->status == PL_DMSG_INCALL ? "busy: in a call" : "online", m->name, fp);
	const char *kv[] = {"nick", name, "name", m->name, "addr", a, "presence", presence, "fingerprint", fp, NULL};
	pl_ui_event(&d->ui, "status", kv, s);
	memset(q, 0, sizeof *q);
}

static void on_status_req(struct direct *d, const struct pl_dmsg *m, const struct sockaddr *from, socklen_t fromlen)
{
	/* Answered without ringing, and smaller than the padded request. */
	bool free_now = d->call.state == D_NONE || d->call.state == D_CLOSING;
	struct pl_dmsg a = {.type = PL_DMSG_STATUS_ANS, .call_id = m->call_id,
			    .status = free_now ? PL_DMSG_ONLINE : PL_DMSG_INCALL};
	snprintf(a.name, sizeof a.name, "%s", d->name);
	memcpy(a.key, d->pk, sizeof a.key);
	uint8_t buf[PL_DMSG_MAX];
	int n = pl_dmsg_encode(&a, buf, sizeof buf);
	if (n > 0 && n < PL_DMSG_REQ_LEN)
		send_raw(d, buf, (size_t)n, from, fromlen);
}

/* --- datagrams: the voice engine hands over what is not media --- */

bool dr_on_dgram(void *arg, const uint8_t *buf, size_t len, const struct sockaddr *from, socklen_t fromlen)
{
	struct direct *d = arg;
	struct pl_dmsg m;
	if (len < 1 || buf[0] != PL_DMSG_MAGIC || pl_dmsg_decode(&m, buf, len) < 0)
		return false;
	struct dcall *c = &d->call;
	uint64_t now = pl_env_mono_ms(d->env);
	if (m.type == PL_DMSG_CALL || m.type == PL_DMSG_STATUS_REQ) {
		/* Requests in clear from anyone: a budget per source address. */
		char key[PL_ADDR_STR];
		pl_addr_limit_key(from, key, sizeof key);
		if (!pl_limiter_take(d->limiter, key, now))
			return true;
		if (m.type == PL_DMSG_CALL)
			on_call(d, &m, len, from, fromlen);
		else
			on_status_req(d, &m, from, fromlen);
		return true;
	}
	if (m.type == PL_DMSG_STATUS_ANS) {
		on_status_ans(d, &m, from);
		return true;
	}
	if (m.type == PL_DMSG_SEALED) {
		on_sealed(d, buf, len, &m, from);
		return true;
	}
	/* The rest belongs to the call in progress, from its peer's address. */
	if (c->state == D_NONE || m.call_id != c->id || !pl_addr_eq(from, (struct sockaddr *)&c->addr))
		return true;
	switch (m.type) {
	case PL_DMSG_RINGING:
		if (c->outgoing)
			on_ringing(d);
		break;
	case PL_DMSG_ANSWER:
		if (c->outgoing)
			on_answer(d, &m);
		break;
	case PL_DMSG_REVEAL:
		if (!c->outgoing)
			on_reveal(d, &m);
		break;
	case PL_DMSG_DENY:
		if (c->outgoing && c->state == D_CALLING)
			dr_call_end(d, 1, "the call was denied");
		break;
	case PL_DMSG_BUSY:
		if (c->outgoing && c->state == D_CALLING)
			dr_call_end(d, 2, "busy: already in a call");
		break;
	case PL_DMSG_CANCEL:
		if (!c->outgoing && (c->state == D_RINGING_IN || c->state == D_ANSWERED))
			dr_call_end(d, 4, "cancelled by the caller");
		break;
	}
	return true;
}

/* --- timers --- */

/* Retransmission: the CALL while it rings (and so the caller says it is still there), the REVEAL
 * until the callee confirms, our HANGUP until it is acknowledged. */
static void on_retx(evutil_socket_t fd, short what, void *arg)
{
	struct direct *d = arg;
	struct dcall *c = &d->call;
	uint64_t now = pl_env_mono_ms(d->env);
	unsigned wait = pl_dmsg_backoff_ms(++c->attempt);
	switch (c->state) {
	case D_CALLING:
		if (!c->rang && now - c->since_ms >= PL_DIRECT_NOBODY_MS) {
			dr_call_end(d, 6, "nobody answers at that address (no parley listens there, or the network "
					  "drops it)");
			return;
		}
		if (c->rang && now - c->since_ms >= PL_DIRECT_RING_MS) {
			struct pl_dmsg m = {.type = PL_DMSG_CANCEL, .call_id = c->id};
			send_call_clear(d, &m);
			dr_call_end(d, 3, "nobody answered in time");
			return;
		}
		send_raw(d, c->req, c->req_len, (struct sockaddr *)&c->addr, c->addrlen);
		break;
	case D_ACTIVE:
		if (!c->outgoing || c->confirmed || !c->reveal_len || c->attempt > PL_DIRECT_CTL_TRIES * 2)
			return;
		send_raw(d, c->reveal, c->reveal_len, (struct sockaddr *)&c->addr, c->addrlen);
		break;
	case D_CLOSING:
		if (!c->hangup_ours || c->attempt >= PL_DIRECT_CTL_TRIES)
			return;
		dr_send_sealed(d, PL_DMSG_HANGUP, 0, NULL);
		break;
	default:
		return;
	}
	arm(d->retx, wait);
}

/* Every PL_DIRECT_KEEPALIVE_MS: keepalives, texts not yet confirmed, and the timeouts. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct direct *d = arg;
	struct dcall *c = &d->call;
	uint64_t now = pl_env_mono_ms(d->env);
	if (c->state == D_ACTIVE) {
		if (now - c->heard_ms >= PL_DIRECT_PEER_TIMEOUT_MS) {
			dr_call_end(d, 6, "the peer stopped answering (gone, or the network between you failed)");
		} else {
			if (now - c->keepalive_ms >= PL_DIRECT_KEEPALIVE_MS) {
				c->keepalive_ms = now;
				dr_send_sealed(d, PL_DMSG_KEEPALIVE, 0, NULL);
			}
			for (unsigned i = 0; i < DR_TEXTS; i++) {
				struct dtext *t = &c->texts[i];
				if (!t->id || now < t->next_ms)
					continue;
				if (t->tries >= PL_DIRECT_CTL_TRIES) {
					char s[PL_DMSG_TEXT_MAX + 200];
					snprintf(s, sizeof s, "Your message was not confirmed by %s: %s", c->peer,
						 t->text);
					pl_ui_local_error(&d->ui, s);
					memset(t, 0, sizeof *t);
					continue;
				}
				dr_send_sealed(d, PL_DMSG_TEXT, t->id, t->text);
				t->next_ms = now + pl_dmsg_backoff_ms(t->tries++);
			}
		}
	} else if ((c->state == D_RINGING_IN || c->state == D_ANSWERED) &&
		   now - c->heard_ms >= PL_DIRECT_CALLER_GONE_MS) {
		dr_call_end(d, 4, "the caller went away");
	} else if (c->state == D_CLOSING && now - c->closing_since >= 3000) {
		call_clear(d);
	}
	arm(d->tick, c->state == D_ACTIVE ? PL_DIRECT_KEEPALIVE_MS / 4 : 500);
}

/* --- lifetime --- */

void dr_timers_init(struct direct *d)
{
	d->retx = evtimer_new(d->base, on_retx, d);
	d->tick = evtimer_new(d->base, on_tick, d);
	d->status_timer = evtimer_new(d->base, on_status_timer, d);
	if (d->tick)
		arm(d->tick, 500);
}

void dr_timers_free(struct direct *d)
{
	if (d->retx)
		event_free(d->retx);
	if (d->tick)
		event_free(d->tick);
	if (d->status_timer)
		event_free(d->status_timer);
}

void dr_quit_call(struct direct *d)
{
	struct dcall *c = &d->call;
	if (c->state == D_ACTIVE) {
		c->hangup_ours = true;
		dr_call_end(d, 5, "hung up");
		dr_send_sealed(d, PL_DMSG_HANGUP, 0, NULL); /* twice: no time for an acknowledgement */
	} else if (c->state != D_NONE && c->state != D_CLOSING) {
		dr_hangup(d);
	}
	call_clear(d);
}
