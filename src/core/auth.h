/*
 * auth: the device-key login proof that client and server must build byte for byte alike, and the
 * fingerprint people compare to recognise a device key.
 *
 * A device logs in by signing, with its Ed25519 identity key, the proof
 *
 *   "parley login v2" NUL (16 bytes) | challenge (32, from WELCOME) | SHA-256 of the server's
 *   certificate (32) | device public key (32) | u16 nick length | nick bytes
 *
 * The challenge is fresh per connection, so a captured signature cannot be replayed; the
 * certificate hash ties the signature to the TLS server the client checked, so a man in the middle
 * with another certificate cannot relay it to the real server.
 */
#ifndef PL_AUTH_H
#define PL_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "core/msg.h"

#define PL_LOGIN_PROOF_MAX (16 + PL_CHALLENGE_LEN + PL_CERT_HASH_LEN + PL_DEVICE_KEY_LEN + 2 + PL_NICK_MAX)
#define PL_DEVICE_SECRET_LEN 64 /* libsodium's Ed25519 secret key: seed and public key */
/* "1a2b 3c4d 5e6f 7a8b 9c0d 1e2f 3a4b 5c6d": the first 16 bytes of SHA-256(key), in groups. */
#define PL_KEY_FP_STR 40

/* Writes the proof for nick into out (PL_LOGIN_PROOF_MAX bytes); returns its length, or -EINVAL for
 * a nickname longer than PL_NICK_MAX. */
int pl_login_proof(uint8_t out[PL_LOGIN_PROOF_MAX], const uint8_t challenge[PL_CHALLENGE_LEN],
		   const uint8_t cert_hash[PL_CERT_HASH_LEN], const uint8_t key[PL_DEVICE_KEY_LEN], const char *nick);
/* Signs the proof with the device's secret key (its public half is sk + 32). 0 or -EINVAL. */
int pl_login_sign(uint8_t sig[PL_SIG_LEN], const uint8_t sk[PL_DEVICE_SECRET_LEN],
		  const uint8_t challenge[PL_CHALLENGE_LEN], const uint8_t cert_hash[PL_CERT_HASH_LEN], const char *nick);
/* 0 when sig is key's signature of the proof, else -EBADMSG. */
int pl_login_verify(const uint8_t sig[PL_SIG_LEN], const uint8_t key[PL_DEVICE_KEY_LEN],
		    const uint8_t challenge[PL_CHALLENGE_LEN], const uint8_t cert_hash[PL_CERT_HASH_LEN], const char *nick);

void pl_key_fingerprint(char out[PL_KEY_FP_STR], const uint8_t key[PL_DEVICE_KEY_LEN]);

#endif
