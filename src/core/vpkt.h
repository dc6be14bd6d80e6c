/*
 * vpkt: the UDP voice packet, as pure encode/decode functions.
 *
 *   offset 0  u8   version (PL_VPKT_VERSION)
 *   offset 1  u8   type: BIND, BIND_ACK, VOICE
 *   offset 2  u32  sender: the session id the server gave in AUTH_OK
 *   offset 6  u16  sequence number (per sender, wraps)
 *   offset 8  u32  timestamp in 48 kHz samples (per sender, wraps)
 *   offset 12 ...  payload
 *
 * VOICE carries one Opus packet. BIND proves that the datagram's source address belongs to the
 * session: its payload is a u64 counter and a 16-byte HMAC-SHA-256 (truncated) over the header and
 * counter, keyed with the session's voice key from AUTH_OK; the counter must rise, so a captured
 * BIND cannot be replayed. BIND_ACK echoes the counter. The server accepts VOICE only from the
 * address the last valid BIND came from.
 */
#ifndef PL_VPKT_H
#define PL_VPKT_H

#include <stddef.h>
#include <stdint.h>

#define PL_VPKT_VERSION 1
#define PL_VPKT_HDR 12
#define PL_VPKT_MAX_PAYLOAD 1275 /* the largest Opus packet */
#define PL_VPKT_MAX (PL_VPKT_HDR + PL_VPKT_MAX_PAYLOAD)
#define PL_VBIND_MAC_LEN 16
#define PL_VBIND_PAYLOAD (8 + PL_VBIND_MAC_LEN)

enum pl_vpkt_type {
	PL_VPKT_BIND = 1,
	PL_VPKT_BIND_ACK = 2,
	PL_VPKT_VOICE = 3,
};

struct pl_vpkt {
	uint8_t type;
	uint32_t sender;
	uint16_t seq;
	uint32_t ts;
	const uint8_t *payload; /* points into the decoded buffer */
	size_t plen;
};

/* Returns 0, or -EBADMSG for a short packet, wrong version, unknown type, an empty or oversized
 * VOICE payload, or a BIND/BIND_ACK payload of the wrong size. */
int pl_vpkt_decode(struct pl_vpkt *v, const uint8_t *buf, size_t len);
/* Returns the packet length, or -EMSGSIZE / -EINVAL. */
int pl_vpkt_encode(const struct pl_vpkt *v, uint8_t *buf, size_t cap);

/* Builds a complete BIND packet for (sender, counter) keyed with key; returns its length. */
int pl_vbind_make(uint8_t *buf, size_t cap, uint32_t sender, uint64_t counter,
		  const uint8_t key[32]);
/* Checks a decoded BIND's MAC; on success stores its counter and returns 0, else -EBADMSG. */
int pl_vbind_check(const struct pl_vpkt *v, const uint8_t *raw, const uint8_t key[32],
		   uint64_t *counter);

/* Signed distance a - b in sequence space, for 16-bit wrapping sequence numbers. */
static inline int pl_seq_diff(uint16_t a, uint16_t b) { return (int16_t)(uint16_t)(a - b); }

#endif
