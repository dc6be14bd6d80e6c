/*
 * rdv: the pure parts of rendezvous by room code (server/rendezvous.h): the codes, and the small
 * UDP datagram by which parleyd learns a client's public address.
 *
 * A code is a number from 1 to 99 and two words from a built-in list of 256 ("7-castle-river"),
 * easy to say aloud and to type: 99 * 256 * 256 = 6,488,064 codes, about 22.6 bits. That is
 * enough because a code cannot be tested offline: it is only worth anything at parleyd, which
 * keeps few codes open at once (each lives rendezvous_ttl seconds and serves one pair, once) and
 * lets each address make only rendezvous_guesses wrong tries per rendezvous_guess_window. With
 * 1,000 codes open and 10 wrong tries an hour, an address needs about 450 hours for an even chance
 * of hitting any open code, and by then every one has expired. And a stranger who did hit one
 * would still fail the key exchange (core/spake2.h): the code is also its password, which the
 * server never learns from the exchange, and a wrong guess shows on both sides.
 *
 * The datagram: "PLRV" then the 16-byte token parleyd gave over TLS, 20 bytes, sent to parleyd's
 * voice port from the socket the client will talk from. Its first byte is outside the ranges of
 * voice packets and STUN (core/stun.h, pl_stun_classify), so it is told apart at once.
 *
 * Between the two peers (docs/PROTOCOL.md 20.3, 20.4): the key exchange's two messages, carried
 * opaque by parleyd in RDV_SEND / RDV_DATA (0x01 and a SPAKE2 element; 0x02, a device key and the
 * confirmation over it), and PUNCH, the datagram each sends the other's candidates once the code
 * matched (0x50 "PUN", the sender's tag, a nonce: 36 bytes).
 */
#ifndef PL_RDV_H
#define PL_RDV_H

#include <stddef.h>
#include <stdint.h>

#define PL_RDV_CODE_MAX 24      /* "99-umbrella-umbrella" is 20 */
#define PL_RDV_CODE_RANDOM 4    /* random bytes per code */
#define PL_RDV_WORDS 256
#define PL_RDV_NUMBER_MAX 99
#define PL_RDV_TOKEN_LEN 16
#define PL_RDV_DGRAM_LEN 20
#define PL_RDV_ADDRS_MAX 200    /* a client's private addresses: "host:port" separated by spaces */
#define PL_RDV_PUBLIC_MAX 64    /* one "host:port" or "[v6]:port" */
#define PL_RDV_DATA_MAX 256     /* one opaque message between the peers */

/* Makes a code from random bytes into out (at least PL_RDV_CODE_MAX + 1). */
void pl_rdv_code_make(char *out, size_t cap, const uint8_t random[PL_RDV_CODE_RANDOM]);

/*
 * The canonical form of a code as a person typed it: case ignored, the parts separated by
 * hyphens, spaces, dots or underscores, surrounding blanks dropped ("7 Castle river" ->
 * "7-castle-river"). Returns 0, or -EINVAL when it is not a number 1-99 and two listed words.
 */
int pl_rdv_code_parse(const char *in, char *out, size_t cap);

/* The word at index i (0..255). */
const char *pl_rdv_word(unsigned i);

/* Writes the 20-byte datagram. */
void pl_rdv_dgram_encode(uint8_t out[PL_RDV_DGRAM_LEN], const uint8_t token[PL_RDV_TOKEN_LEN]);
/* Returns 0 and the token, or -EBADMSG for anything but exactly a rendezvous datagram. */
int pl_rdv_dgram_decode(const uint8_t *buf, size_t len, uint8_t token[PL_RDV_TOKEN_LEN]);

#define PL_RDV_ELEM_LEN 32      /* a SPAKE2 element (PL_SPAKE2_ELEM_LEN) */
#define PL_RDV_KEY_LEN 32       /* a device key (PL_DEVICE_KEY_LEN) */
#define PL_RDV_MAC_LEN 32       /* a SPAKE2 confirmation (PL_SPAKE2_MAC_LEN) */
#define PL_RDV_X_ELEM_LEN (1 + PL_RDV_ELEM_LEN)
#define PL_RDV_X_CONFIRM_LEN (1 + PL_RDV_KEY_LEN + PL_RDV_MAC_LEN)
#define PL_RDV_TAG_LEN 16
#define PL_RDV_PUNCH_LEN (4 + 2 * PL_RDV_TAG_LEN)

enum pl_rdv_xtype { PL_RDV_X_ELEM = 0x01, PL_RDV_X_CONFIRM = 0x02 };

/* A key-exchange message, decoded: pointers into the buffer it came in. */
struct pl_rdv_x {
	enum pl_rdv_xtype type;
	const uint8_t *elem;     /* PL_RDV_X_ELEM */
	const uint8_t *key, *mac; /* PL_RDV_X_CONFIRM */
};

void pl_rdv_x_elem(uint8_t out[PL_RDV_X_ELEM_LEN], const uint8_t elem[PL_RDV_ELEM_LEN]);
void pl_rdv_x_confirm(uint8_t out[PL_RDV_X_CONFIRM_LEN], const uint8_t key[PL_RDV_KEY_LEN],
		      const uint8_t mac[PL_RDV_MAC_LEN]);
/* Returns 0, or -EBADMSG for anything but exactly one of the two messages. */
int pl_rdv_x_decode(const uint8_t *buf, size_t len, struct pl_rdv_x *x);

void pl_rdv_punch_encode(uint8_t out[PL_RDV_PUNCH_LEN], const uint8_t tag[PL_RDV_TAG_LEN],
			 const uint8_t nonce[PL_RDV_TAG_LEN]);
/* Returns 0 and the tag and nonce in it, or -EBADMSG for anything but exactly a PUNCH. */
int pl_rdv_punch_decode(const uint8_t *buf, size_t len, uint8_t tag[PL_RDV_TAG_LEN], uint8_t nonce[PL_RDV_TAG_LEN]);

#endif
