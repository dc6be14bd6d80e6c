/*
 * media: end-to-end sealing of voice frames, and the replay window that goes with it. The keys
 * come from core/e2e.h (a 1:1 call's directional keys, or a sender key); the server relays the
 * sealed bytes and can neither read nor change them.
 *
 * A sealed VOICE payload (core/vpkt.h) is
 *
 *   offset 0  u8   key id (which of the sender's keys sealed it)
 *   offset 1  u64  counter (per sender and key: starts at 1, never repeats)
 *   offset 9  ...  the frame, encrypted with ChaCha20-Poly1305 (IETF), then its 16-byte tag
 *
 * The nonce is 00 00 00 | key id | counter (big-endian, 12 bytes): unique as long as the
 * counter never repeats under a key, which is the sender's one duty. The associated data is the
 * packet's header (version, type, sender, seq, ts) followed by the key id and counter, so no byte
 * of the packet can be changed without the tag failing.
 *
 * A receiver does, per packet: pl_media_peek (which key, which counter), pl_replay_check (drop
 * a replay before spending a decryption on it), pl_media_open, then pl_replay_accept, whose
 * verdict is final. Checking and committing are two steps so that a forged packet, which fails
 * the tag, never moves the window. Nothing here allocates, locks or reads a clock: it runs per
 * packet on the audio path.
 */
#ifndef PL_MEDIA_H
#define PL_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#define PL_MEDIA_KEY_LEN 32
#define PL_MEDIA_PREFIX 9 /* key id and counter */
#define PL_MEDIA_TAG 16
#define PL_MEDIA_OVERHEAD (PL_MEDIA_PREFIX + PL_MEDIA_TAG) /* 25 */
#define PL_MEDIA_HDR_MAX 64 /* the longest header taken as associated data */

/* Seals frame (len bytes) into out: returns the payload's length (len + PL_MEDIA_OVERHEAD),
 * -EMSGSIZE when cap is too small, or -EINVAL for counter 0 or a header longer than
 * PL_MEDIA_HDR_MAX. frame may be out + PL_MEDIA_PREFIX (sealing in place); it must not overlap
 * out otherwise. */
int pl_media_seal(uint8_t *out, size_t cap, const uint8_t key[PL_MEDIA_KEY_LEN], uint8_t key_id,
		  uint64_t counter, const uint8_t *header, size_t header_len, const uint8_t *frame,
		  size_t len);

/* Reads the key id and counter of a sealed payload, unchecked: what to open it with and what to
 * ask the replay window. 0, or -EBADMSG for a payload too short or with counter 0. */
int pl_media_peek(const uint8_t *payload, size_t len, uint8_t *key_id, uint64_t *counter);

/* Opens a sealed payload under key into out: returns the frame's length, -EBADMSG for a payload
 * too short, with counter 0 or whose tag fails (a wrong key, or any byte of header or payload
 * changed; the frame's bytes of out are then zero), -EMSGSIZE when cap is too small, -EINVAL for
 * a header longer than PL_MEDIA_HDR_MAX.
 * On success stores the key id and counter (either pointer may be NULL). out may be payload +
 * PL_MEDIA_PREFIX (opening in place); it must not overlap payload otherwise. */
int pl_media_open(uint8_t *out, size_t cap, const uint8_t key[PL_MEDIA_KEY_LEN], const uint8_t *header,
		  size_t header_len, const uint8_t *payload, size_t len, uint8_t *key_id, uint64_t *counter);

/*
 * The replay window of one sender's key, as SRTP's (RFC 3711 section 3.3.2), kept as a ring of
 * bit words as RFC 6479 describes, so that moving it forward clears words instead of shifting a
 * bitmap. It accepts each counter once: any counter above the highest accepted one, or one at
 * most PL_REPLAY_WINDOW - 1 below it that has not been accepted; anything older is refused, even
 * if it was never seen, since the window cannot tell.
 */
#define PL_REPLAY_WORDS 4 /* a power of two */
#define PL_REPLAY_WINDOW ((PL_REPLAY_WORDS - 1) * 64) /* 192 packets: 3.8 s of 20 ms frames */

struct pl_replay {
	uint64_t top; /* the highest counter accepted; 0 for none */
	uint64_t bits[PL_REPLAY_WORDS];
};

void pl_replay_init(struct pl_replay *w);
/* 0 when counter may be new; -EALREADY for a counter accepted before; -ESTALE for 0 or a counter
 * too far behind the window. Changes nothing. */
int pl_replay_check(const struct pl_replay *w, uint64_t counter);
/* After the packet's tag checked: checks again (two packets with one counter may both have
 * passed pl_replay_check) and, if it passes, records counter and moves the window. Returns what
 * pl_replay_check would have: only 0 means play the packet. */
int pl_replay_accept(struct pl_replay *w, uint64_t counter);

#endif
