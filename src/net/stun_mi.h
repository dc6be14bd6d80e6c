/*
 * stun_mi: the hashes STUN's MESSAGE-INTEGRITY needs, from OpenSSL, for core/stun.h to be given.
 * libsodium, the core's only dependency, has neither SHA-1 nor MD5, and these are not worth
 * writing by hand: they matter only for authenticated STUN (ICE checks, TURN), which parley's
 * Binding service does not need yet.
 */
#ifndef PL_STUN_MI_H
#define PL_STUN_MI_H

#include <stddef.h>
#include <stdint.h>

#include "core/stun.h"

/* A pl_stun_hmac_fn: HMAC-SHA1 under key over hdr then body. */
void pl_stun_hmac_sha1(uint8_t out[PL_STUN_MI_LEN], const uint8_t *key, size_t keylen,
		       const uint8_t hdr[PL_STUN_HDR], const uint8_t *body, size_t bodylen);

/* The long-term credential key (RFC 8489 section 9.2.2): MD5(username ":" realm ":" password),
 * with the password already through SASLprep (the caller's business). Returns 0 or -EIO. */
int pl_stun_longterm_key(uint8_t key[16], const char *username, const char *realm, const char *password);

#endif
