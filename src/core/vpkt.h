/*
 * vpkt: the UDP voice packet, as pure encode/decode functions.
 *
 *   offset 0  u8   version (PL_VPKT_VERSION)
 *   offset 1  u8   type: BIND, BIND_ACK, VOICE, CHALLENGE, CONFIRM
 *   offset 2  u64  sender: the session id the server gave in AUTH_OK
 *   offset 10 u16  sequence number (per sender, wraps)
 *   offset 12 u32  timestamp in 48 kHz samples (per sender, wraps)
 *   offset 16 ...  payload
 *
 * VOICE carries one media frame in core/vframe.h's framing (sealed by core/media.h when the
 * sender has a key). BIND proves that its sender holds the session's voice key: its payload is a
 * u64 counter and a 16-byte HMAC-SHA-256 (truncated) over the header and counter, keyed with the
 * voice key from AUTH_OK; the counter must rise, so a captured BIND cannot be replayed. A BIND does not prove that the datagram's source address wants the session's voice,
 * since a key holder can forge any source address; so a BIND from an address the server has not
 * seen answer yet is answered with a CHALLENGE (the BIND's counter and a cookie only the server
 * can make) and no more, and the client proves it receives at that address with a CONFIRM (the
 * counter, the cookie and a MAC with the voice key). BIND_ACK echoes the counter once the address
 * is proven. CHALLENGE is exactly as large as the BIND that caused it, so it amplifies nothing.
 */
#ifndef PL_VPKT_H
#define PL_VPKT_H

#include <stddef.h>
#include <stdint.h>

#define PL_VPKT_VERSION 2
#define PL_VPKT_HDR 16
/* The largest VOICE payload: a media frame of up to 1275 bytes (the largest Opus packet, and
 * core/mformat.h's PL_MFORMAT_MAX_FRAME), core/vframe.h's 2-byte header around it, and the 25
 * bytes core/media.h adds when it is sealed. 1318-byte datagrams: well under a 1500-byte MTU. */
#define PL_VPKT_MAX_PAYLOAD (1275 + 2 + 25)
#define PL_VPKT_MAX (PL_VPKT_HDR + PL_VPKT_MAX_PAYLOAD)
#define PL_VBIND_MAC_LEN 16
#define PL_VBIND_PAYLOAD (8 + PL_VBIND_MAC_LEN)
#define PL_VACK_PAYLOAD 8
#define PL_VCOOKIE_LEN 16
#define PL_VCHALLENGE_PAYLOAD (8 + PL_VCOOKIE_LEN)
#define PL_VCONFIRM_PAYLOAD (8 + PL_VCOOKIE_LEN + PL_VBIND_MAC_LEN)

enum pl_vpkt_type {
	PL_VPKT_BIND = 1,
	PL_VPKT_BIND_ACK = 2,
	PL_VPKT_VOICE = 3,
	PL_VPKT_CHALLENGE = 4,
	PL_VPKT_CONFIRM = 5,
};

struct pl_vpkt {
	uint8_t type;
	uint64_t sender;
	uint16_t seq;
	uint32_t ts;
	const uint8_t *payload; /* points into the decoded buffer */
	size_t plen;
};

/* Returns 0, or -EBADMSG for a short packet, wrong version, unknown type, an empty or oversized
 * VOICE payload, or a BIND, BIND_ACK, CHALLENGE or CONFIRM payload of the wrong size. */
int pl_vpkt_decode(struct pl_vpkt *v, const uint8_t *buf, size_t len);
/* Returns the packet length, or -EMSGSIZE / -EINVAL. */
int pl_vpkt_encode(const struct pl_vpkt *v, uint8_t *buf, size_t cap);

/* The u64 counter that starts the payload of BIND, BIND_ACK, CHALLENGE and CONFIRM. */
uint64_t pl_vpkt_counter(const struct pl_vpkt *v);

/* Builds a complete BIND packet for (sender, counter) keyed with key; returns its length. */
int pl_vbind_make(uint8_t *buf, size_t cap, uint64_t sender, uint64_t counter,
		  const uint8_t key[32]);
/* Checks a decoded BIND's MAC; on success stores its counter and returns 0, else -EBADMSG. */
int pl_vbind_check(const struct pl_vpkt *v, const uint8_t *raw, const uint8_t key[32],
		   uint64_t *counter);

/* Builds a CHALLENGE holding counter and cookie, or a BIND_ACK holding counter; returns the
 * length. */
int pl_vchallenge_make(uint8_t *buf, size_t cap, uint64_t sender, uint64_t counter,
		       const uint8_t cookie[PL_VCOOKIE_LEN]);
int pl_vack_make(uint8_t *buf, size_t cap, uint64_t sender, uint64_t counter);

/* Builds a CONFIRM answering a CHALLENGE: counter and cookie echoed, MAC keyed with key. */
int pl_vconfirm_make(uint8_t *buf, size_t cap, uint64_t sender, uint64_t counter,
		     const uint8_t cookie[PL_VCOOKIE_LEN], const uint8_t key[32]);
/* Checks a decoded CONFIRM's MAC; on success stores its counter, points *cookie at the cookie
 * inside raw and returns 0, else -EBADMSG. */
int pl_vconfirm_check(const struct pl_vpkt *v, const uint8_t *raw, const uint8_t key[32],
		      uint64_t *counter, const uint8_t **cookie);

/* Signed distance a - b in sequence space, for 16-bit wrapping sequence numbers. */
static inline int pl_seq_diff(uint16_t a, uint16_t b) { return (int16_t)(uint16_t)(a - b); }

#endif
