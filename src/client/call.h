/*
 * call: the client's side of calls. It turns /call, /answer, /deny, /take, /hangup and /verify into
 * call signalling, runs this device's half of the end-to-end key agreement (core/e2e.h) as the
 * handshake's messages pass through the server, installs the agreed keys and format in the voice
 * engine, and tells the person what happens: who calls with which offer and which device key, the
 * state, the code to compare aloud, and a loud warning when a contact's verified key changed.
 *
 * One-to-one calls agree their keys in the commit/answer/reveal handshake; group calls give each
 * member's device its own sender key, sealed to every other member's device key, and replace it
 * when someone leaves, so a member who left cannot hear what follows.
 *
 * The voice engine is reached through struct pl_call_media (the same engine carries room voice),
 * the server through a send callback: this module owns no socket and no audio.
 */
#ifndef PL_CLIENT_CALL_H
#define PL_CLIENT_CALL_H

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>

#include "client/cmds.h"
#include "core/auth.h"
#include "core/e2e.h"
#include "core/env.h"
#include "core/msg.h"

struct pl_ui;
struct pl_calls;

/* What a call needs of the voice engine. key NULL: clear (no call; room voice as before). */
struct pl_call_media {
	void (*set_format)(void *arg, const struct pl_media_format *f); /* NULL: room voice's own */
	void (*set_tx_key)(void *arg, uint8_t key_id, const uint8_t *key);
	void (*set_rx_key)(void *arg, uint64_t sender, uint8_t key_id, const uint8_t *key);
	void (*forget_sender)(void *arg, uint64_t sender);
};

struct pl_calls_cfg {
	struct event_base *base;
	const struct pl_env *env;
	struct pl_ui *ui;
	void (*send)(void *arg, struct pl_msg *m);
	const struct pl_call_media *media;
	void *arg;
	/* The frame an offer of our own proposes, ms (0: the default format's, 20). */
	unsigned frame_ms;
	/* Where verified device keys are kept ("" for nowhere: nothing is remembered). */
	char verified_path[4096];
	/* A 1:1 call's direct path (client/callpath.h); NULL: always relayed. */
	struct pl_callpath *path;
};

int pl_calls_alloc(struct pl_calls **cp, const struct pl_calls_cfg *cfg);
void pl_calls_free(struct pl_calls *c);
/* After login: this device's key pair for this server, the server's certificate hash (verified
 * keys are kept per server), and this session's id. */
void pl_calls_login(struct pl_calls *c, const uint8_t sk[PL_DEVICE_SECRET_LEN], const uint8_t pk[PL_DEVICE_KEY_LEN],
		    const uint8_t cert_hash[PL_CERT_HASH_LEN], uint64_t session, const char *nick);
/* Whether cmd is a call command; if so it is carried out (or refused with a sentence). */
bool pl_calls_cmd(struct pl_calls *c, const struct pl_cmd *cmd);
/* Whether m is a call message; if so it is handled. */
bool pl_calls_msg(struct pl_calls *c, const struct pl_msg *m);
/* Whether a call is being set up, rings or is on. */
bool pl_calls_in_call(const struct pl_calls *c);
/* Whether nick is in the call being set up, ringing or on (its peer, or a group call's member). */
bool pl_calls_with(const struct pl_calls *c, const char *nick);
/* The connection to the server was lost: a call there was is over. */
void pl_calls_lost(struct pl_calls *c);
/* The status line's call part ("call with bob 01:23, Opus 48000 Hz mono, verified"), or "" when
 * there is no call. */
void pl_calls_status(struct pl_calls *c, char *out, size_t sz);

/* Shared with direct mode (client/direct.h), so both say it the same way: the loud warning that a
 * verified contact's device key changed, and the code to compare aloud once a 1:1 call has its
 * keys (v: 1 verified, -1 a verified key and not this one, 0 nothing verified). */
void pl_call_key_warning(struct pl_ui *ui, uint64_t call, const char *nick, const uint8_t key[PL_DEVICE_KEY_LEN]);
void pl_call_show_sas(struct pl_ui *ui, uint64_t call, const char *nick, const struct pl_e2e_keys *k, int v);

#endif
