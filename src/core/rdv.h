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

#endif
