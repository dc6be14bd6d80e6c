/*
 * roomkey: end-to-end keys for room voice, so that parleyd relays a room's voice without being
 * able to hear it (docs/PROTOCOL.md 18.6).
 *
 * Each device that talks in a room has a sender key of its own, made when it starts to talk (a
 * room of a hundred listeners costs nothing until someone speaks) and sent with MEDIA_KEYS to every
 * other member's device, sealed to that device's key for the room's scope (pl_e2e_room_scope), so
 * the server passes on boxes it cannot open. A member who joins gets the current key; when a
 * member leaves, every device with a key makes a new one and sends it to those who stay, so the
 * one who left cannot listen to what follows. Moving the voice to another room, and coming back
 * from a call, make a new key as well (the engine's packet counter starts again with each key, and
 * a counter must never be used twice with one key).
 *
 * Receiving, every member with a device key is expected to seal: its packets are dropped until its
 * key has come, never played as they are. A member without a device key (a client run without an
 * identity) talks and listens in clear, and cannot hear the others.
 *
 * The module owns no socket and no audio: the voice engine is reached through the callbacks, the
 * server through send. While a call has the voice path (pl_roomkeys_call) nothing is installed in
 * the engine; what came meanwhile is installed when the call ends.
 */
#ifndef PL_CLIENT_ROOMKEY_H
#define PL_CLIENT_ROOMKEY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/auth.h"
#include "core/env.h"
#include "core/msg.h"

struct pl_roomkeys;

struct pl_roomkeys_cfg {
	const struct pl_env *env;
	void (*send)(void *arg, struct pl_msg *m);
	/* The voice engine: key NULL clears the tx key. */
	void (*set_tx_key)(void *arg, uint8_t key_id, const uint8_t *key);
	void (*set_rx_key)(void *arg, uint64_t sender, uint8_t key_id, const uint8_t *key);
	void (*forget_sender)(void *arg, uint64_t sender);
	void (*expect_sealed)(void *arg, uint64_t sender);
	void *arg;
};

int pl_roomkeys_alloc(struct pl_roomkeys **rp, const struct pl_roomkeys_cfg *cfg);
void pl_roomkeys_free(struct pl_roomkeys *r);
/* After login: this device's key pair (sk NULL: no identity, so voice stays clear) and session. */
void pl_roomkeys_login(struct pl_roomkeys *r, const uint8_t sk[PL_DEVICE_SECRET_LEN],
		       const uint8_t pk[PL_DEVICE_KEY_LEN], uint64_t session);
/* Whether m was a room key (MEDIA_KEY for a room); JOINED, PARTED and USERLIST are read too (and
 * false returned, so the caller shows them). */
bool pl_roomkeys_msg(struct pl_roomkeys *r, const struct pl_msg *m);
/* The room this client's voice goes to now ("" or NULL for none). */
void pl_roomkeys_voice_room(struct pl_roomkeys *r, const char *room);
/* This client is about to talk: from now on its voice is sealed, under a key every member has. */
void pl_roomkeys_talk(struct pl_roomkeys *r);
/* A call took the voice path (true) or gave it back (false). */
void pl_roomkeys_call(struct pl_roomkeys *r, bool active);
/* The voice engine was (re)made: install what it must know. */
void pl_roomkeys_engine_ready(struct pl_roomkeys *r);

#endif
