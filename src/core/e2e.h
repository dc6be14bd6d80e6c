/*
 * e2e: the cryptographic core of end-to-end encrypted calls, so that parleyd relays call keys it
 * can neither read nor forge. Pure functions over buffers: no socket, clock or global, and the
 * randomness is passed in as bytes (the caller draws them with randombytes_buf), so the tests are
 * deterministic. core/media.h seals the voice packets with the keys agreed here.
 *
 * 1:1 calls agree keys in three messages over the server's signalling, commit, answer, reveal, as
 * ZRTP (RFC 6189) does:
 *
 *   OFFER  caller -> callee: call_id, caller device key, commit (SHA-256 over the call, that
 *          device key and the caller's ephemeral X25519 key, which stays hidden), signed
 *   ANSWER callee -> caller: call_id, callee device key, callee ephemeral key, signed
 *   REVEAL caller -> callee: call_id, caller ephemeral key, signed over the whole transcript
 *
 * Each side signs with its Ed25519 device key (core/auth.h) over everything said so far, so
 * neither the server nor anyone else can substitute a key without a device key of its own. If
 * it has one (say it registered a device to the callee's account), each victim sees the
 * attacker's device key as its peer (struct pl_e2e_keys.peer_key, to check against a verified
 * key) and the two short authentication strings differ. The commit is what keeps the attacker
 * from choosing its keys to make them match: the caller's ephemeral key is fixed before the
 * callee's is seen, and the callee's is sent before the caller's is known, so whoever sits in
 * the middle gets one guess at a 6-digit SAS, a chance of 1 in 10^6.
 *
 * Group calls and room voice use sender keys instead: each sender draws a media key with a small
 * id and sends it to every participant's device, sealed to that device's key and signed by its
 * own (pl_e2e_skey_seal).
 *
 * Secrets in a state are wiped when the handshake ends, well or badly: a failed check ends it,
 * and the call must be set up afresh. The caller wipes a struct pl_e2e_keys (sodium_memzero) when
 * the call ends.
 */
#ifndef PL_E2E_H
#define PL_E2E_H

#include <stddef.h>
#include <stdint.h>

#include "core/auth.h"

#define PL_E2E_RANDOM_LEN 32 /* fresh random bytes for an ephemeral key */
#define PL_E2E_EPH_LEN 32    /* an X25519 public key */
#define PL_E2E_COMMIT_LEN 32 /* SHA-256 */
#define PL_E2E_KEY_LEN 32    /* a media key, for core/media.h */
#define PL_E2E_SAS_STR 8     /* "123 456" and the NUL */

/* The messages on the wire: a u64 call_id (big-endian) then the fields in struct order. */
#define PL_E2E_OFFER_LEN (8 + PL_DEVICE_KEY_LEN + PL_E2E_COMMIT_LEN + PL_SIG_LEN)  /* 136 */
#define PL_E2E_ANSWER_LEN (8 + PL_DEVICE_KEY_LEN + PL_E2E_EPH_LEN + PL_SIG_LEN)   /* 136 */
#define PL_E2E_REVEAL_LEN (8 + PL_E2E_EPH_LEN + PL_SIG_LEN)                       /* 104 */

struct pl_e2e_offer {
	uint64_t call_id;
	uint8_t caller_key[PL_DEVICE_KEY_LEN];
	uint8_t commit[PL_E2E_COMMIT_LEN];
	uint8_t sig[PL_SIG_LEN];
};

struct pl_e2e_answer {
	uint64_t call_id;
	uint8_t callee_key[PL_DEVICE_KEY_LEN];
	uint8_t eph[PL_E2E_EPH_LEN];
	uint8_t sig[PL_SIG_LEN];
};

struct pl_e2e_reveal {
	uint64_t call_id;
	uint8_t eph[PL_E2E_EPH_LEN];
	uint8_t sig[PL_SIG_LEN];
};

/* One side's handshake in progress, in the caller's memory; its fields are private (they are
 * here only so that it can live on the stack or in a call's struct). All zero is "no handshake". */
struct pl_e2e_state {
	uint8_t phase;
	uint64_t call_id;
	uint8_t caller_key[PL_DEVICE_KEY_LEN];
	uint8_t commit[PL_E2E_COMMIT_LEN];
	uint8_t callee_key[PL_DEVICE_KEY_LEN];
	uint8_t callee_eph[PL_E2E_EPH_LEN];
	uint8_t caller_eph[PL_E2E_EPH_LEN];
	uint8_t eph_secret[PL_E2E_RANDOM_LEN]; /* this side's X25519 secret */
};

/* What a finished handshake gives one side. */
struct pl_e2e_keys {
	uint8_t tx[PL_E2E_KEY_LEN]; /* seals this side's media */
	uint8_t rx[PL_E2E_KEY_LEN]; /* opens the peer's */
	char sas[PL_E2E_SAS_STR];   /* both users read it aloud; equal on both sides unless attacked */
	uint8_t peer_key[PL_DEVICE_KEY_LEN]; /* the device key that signed the peer's messages */
};

/* Caller: starts call call_id (from the server) with the ephemeral secret eph_random, and writes
 * the OFFER. 0, or -EINVAL for a secret key whose public half is not a valid key. */
int pl_e2e_offer(struct pl_e2e_offer *out, struct pl_e2e_state *st,
		 const uint8_t device_sk[PL_DEVICE_SECRET_LEN], uint64_t call_id,
		 const uint8_t eph_random[PL_E2E_RANDOM_LEN]);

/* Callee: checks the OFFER's signature and writes the ANSWER. The call_id is the OFFER's, which
 * its signature covers: the signalling layer must check that it is the call the server rang for
 * (a replayed OFFER names an old call). The caller's device key is offer->caller_key, to check
 * before answering. 0, or -EBADMSG for a bad signature (st is then all zero). */
int pl_e2e_answer(struct pl_e2e_answer *out, struct pl_e2e_state *st,
		  const uint8_t device_sk[PL_DEVICE_SECRET_LEN], const struct pl_e2e_offer *offer,
		  const uint8_t eph_random[PL_E2E_RANDOM_LEN]);

/* Caller: checks the ANSWER (its call_id and signature), writes the REVEAL and the keys. The
 * device key signs again, rather than st keeping a copy of the identity secret for the length of
 * a ring. 0; -EBADMSG for a bad ANSWER; -EINVAL when st awaits no ANSWER or device_sk is not the
 * key that made the OFFER. st is all zero afterwards, whatever the result. */
int pl_e2e_reveal(struct pl_e2e_reveal *out, struct pl_e2e_state *st,
		  const uint8_t device_sk[PL_DEVICE_SECRET_LEN], const struct pl_e2e_answer *answer,
		  struct pl_e2e_keys *keys);

/* Callee: checks the REVEAL against the commit and its signature, and writes the keys. 0;
 * -EBADMSG for a bad REVEAL; -EINVAL when st awaits no REVEAL. st is all zero afterwards. */
int pl_e2e_finish(struct pl_e2e_state *st, const struct pl_e2e_reveal *reveal,
		  struct pl_e2e_keys *keys);

/* Ends a handshake before its time (the call was refused or timed out), wiping its secret. */
void pl_e2e_abort(struct pl_e2e_state *st);

/* Wire forms. Encoders write exactly the _LEN bytes and return that length; decoders return 0,
 * or -EBADMSG for any other length. They check no signature: the handshake functions do. */
int pl_e2e_offer_encode(uint8_t out[PL_E2E_OFFER_LEN], const struct pl_e2e_offer *m);
int pl_e2e_offer_decode(struct pl_e2e_offer *m, const uint8_t *buf, size_t len);
int pl_e2e_answer_encode(uint8_t out[PL_E2E_ANSWER_LEN], const struct pl_e2e_answer *m);
int pl_e2e_answer_decode(struct pl_e2e_answer *m, const uint8_t *buf, size_t len);
int pl_e2e_reveal_encode(uint8_t out[PL_E2E_REVEAL_LEN], const struct pl_e2e_reveal *m);
int pl_e2e_reveal_decode(struct pl_e2e_reveal *m, const uint8_t *buf, size_t len);

/*
 * Sender keys. A sender's media key, sealed to one recipient's device and signed by the sender's:
 *
 *   sealed (112): libsodium's sealed box (crypto_box_seal's format) to the recipient's device
 *                 key converted to X25519, of: sender device key (32) | media key (32)
 *   sig (64):     the sender's Ed25519 signature over "parley sender key v1" NUL | scope (u64) |
 *                 key id (u8) | recipient device key (32) | sealed (112)
 *
 * The signature over scope, key id and recipient stops the server from passing a key off for
 * another call or room, another key id or another recipient; the sender's key inside the box
 * stops another participant, who cannot read the box, from signing it again as its own.
 */
/* crypto_box_SEALBYTES (48: ephemeral key and MAC) and the 64 bytes sealed; e2e.c checks it. */
#define PL_E2E_SKEY_SEALED_LEN (48 + PL_DEVICE_KEY_LEN + PL_E2E_KEY_LEN)
#define PL_E2E_SKEY_LEN (PL_E2E_SKEY_SEALED_LEN + PL_SIG_LEN) /* 176 */

/* Seals key (key id key_id, for scope: a call id or a room) to recipient_pk, with an ephemeral
 * key made from random. 0, or -EINVAL when recipient_pk is not a valid Ed25519 key. */
int pl_e2e_skey_seal(uint8_t out[PL_E2E_SKEY_LEN], const uint8_t sender_sk[PL_DEVICE_SECRET_LEN],
		     const uint8_t recipient_pk[PL_DEVICE_KEY_LEN], uint64_t scope, uint8_t key_id,
		     const uint8_t key[PL_E2E_KEY_LEN], const uint8_t random[PL_E2E_RANDOM_LEN]);
/* A room's scope for sender keys: the first 8 bytes (big-endian) of BLAKE2b over "parley room v1"
 * NUL and the room's name in ASCII lower case (room names compare that way), so a key given for
 * one room is refused for another. */
uint64_t pl_e2e_room_scope(const char *room);

/* Opens what pl_e2e_skey_seal made for this recipient from sender_pk, for scope and key_id.
 * 0, or -EBADMSG for a wrong length, signature, box or sender (out_key is then zero). */
int pl_e2e_skey_open(uint8_t out_key[PL_E2E_KEY_LEN], const uint8_t recipient_sk[PL_DEVICE_SECRET_LEN],
		     const uint8_t sender_pk[PL_DEVICE_KEY_LEN], uint64_t scope, uint8_t key_id,
		     const uint8_t *sealed, size_t len);

#endif
