/*
 * spake2: a password-authenticated key exchange (SPAKE2, RFC 9382's structure) over ristretto255,
 * so that two people who share only a short spoken code (core/rdv.h) end up with a strong shared
 * key that whoever carried their messages (parleyd, during a rendezvous) can neither learn nor
 * replace without being caught. A man in the middle gets one online guess at the code per run;
 * nothing he sees lets him test guesses offline, which is why the code needs no slow hash.
 *
 *   w  = scalar_reduce(SHA-512(u64le(len(context)) || context || code))
 *   M, N = from_hash(SHA-512("parley SPAKE2 M")), from_hash(SHA-512("parley SPAKE2 N"))
 *   A: x random, pA = x*G + w*M        B: y random, pB = y*G + w*N
 *   A: K = x*(pB - w*N)                B: K = y*(pA - w*M)
 *   TT = for each of idA, idB, pA, pB, K, w: u64le(len) || bytes
 *   SHA-512(TT) = Ke || Ka; KcA || KcB = HKDF-SHA-256(Ka, info "ConfirmationKeys")
 *   cA = HMAC-SHA-256(KcA, SHA-512(TT) || aadA), cB = HMAC-SHA-256(KcB, SHA-512(TT) || aadB)
 *
 * Ke is the shared key. The confirmations also cover what each side sends beside them (aad: in a
 * rendezvous, its device key), so that is authenticated by the code too. A peer's element that
 * does not decode, is the identity, or makes K the identity is refused. A wrong code gives two
 * different K, so each side's check of the other's confirmation fails.
 *
 * Pure: randomness comes in as bytes (64, reduced to the secret scalar), nothing global, no
 * allocation. Secrets are wiped by pl_spake2_wipe and when a step fails.
 */
#ifndef PL_SPAKE2_H
#define PL_SPAKE2_H

#include <stddef.h>
#include <stdint.h>

#define PL_SPAKE2_ELEM_LEN 32   /* pA or pB: a ristretto255 element */
#define PL_SPAKE2_RANDOM_LEN 64 /* uniform bytes, reduced to the secret scalar */
#define PL_SPAKE2_KEY_LEN 32    /* Ke */
#define PL_SPAKE2_MAC_LEN 32    /* a confirmation */
#define PL_SPAKE2_ID_MAX 64     /* an identity's most bytes */
#define PL_SPAKE2_CODE_MAX 128  /* the code's and the context's most bytes */

enum pl_spake2_role { PL_SPAKE2_A = 0, PL_SPAKE2_B = 1 };

struct pl_spake2 {
	uint8_t role;  /* enum pl_spake2_role */
	uint8_t state; /* 0 unused, 1 started, 2 finished */
	uint8_t w[32], secret[32];
	uint8_t mine[PL_SPAKE2_ELEM_LEN], theirs[PL_SPAKE2_ELEM_LEN];
	uint8_t id_a[PL_SPAKE2_ID_MAX], id_b[PL_SPAKE2_ID_MAX];
	size_t id_a_len, id_b_len;
	uint8_t tt_hash[64]; /* SHA-512(TT), kept for the MACs (TT itself holds K and w) */
	uint8_t kc_mine[32], kc_theirs[32];
	uint8_t key[PL_SPAKE2_KEY_LEN];
};

/*
 * Starts one side: derives w from context and code, draws the secret scalar from random and
 * writes this side's message. id_a/id_b name the two roles (the same on both sides). Returns 0,
 * -EINVAL for an identity, code or context too long, or -EDOM when the random bytes reduce to a
 * scalar that cannot be used (zero; never with real randomness).
 */
int pl_spake2_start(struct pl_spake2 *s, enum pl_spake2_role role, const char *context, const char *code,
		    const uint8_t *id_a, size_t id_a_len, const uint8_t *id_b, size_t id_b_len,
		    const uint8_t random[PL_SPAKE2_RANDOM_LEN], uint8_t out[PL_SPAKE2_ELEM_LEN]);

/*
 * Takes the peer's message and derives the shared key (pl_spake2_key) and both confirmation keys.
 * Returns 0, -EBADMSG for an element that does not decode or is the identity, or makes the shared
 * point the identity, -EPROTO when called out of order. After a failure the state is wiped.
 */
int pl_spake2_finish(struct pl_spake2 *s, const uint8_t peer[PL_SPAKE2_ELEM_LEN]);

/* This side's confirmation over the transcript and aad (what it sends beside the MAC). */
int pl_spake2_confirm(const struct pl_spake2 *s, const uint8_t *aad, size_t aad_len, uint8_t mac[PL_SPAKE2_MAC_LEN]);

/* Checks the peer's confirmation over the transcript and the peer's aad. Returns 0 or -EACCES
 * (the codes differed, or someone changed a message). */
int pl_spake2_verify(const struct pl_spake2 *s, const uint8_t *aad, size_t aad_len,
		     const uint8_t mac[PL_SPAKE2_MAC_LEN]);

/* The shared key, after pl_spake2_finish succeeded (and only trust it once verify has). */
const uint8_t *pl_spake2_key(const struct pl_spake2 *s);

void pl_spake2_wipe(struct pl_spake2 *s);

#endif
