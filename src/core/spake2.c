#include "core/spake2.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

_Static_assert(crypto_core_ristretto255_BYTES == PL_SPAKE2_ELEM_LEN, "an element is 32 bytes");
_Static_assert(crypto_core_ristretto255_NONREDUCEDSCALARBYTES == PL_SPAKE2_RANDOM_LEN, "64 random bytes");
_Static_assert(crypto_core_ristretto255_SCALARBYTES == 32, "a scalar is 32 bytes");

/* M (A's mask) or N (B's): a fixed element nobody knows the discrete logarithm of. */
static void fixed_point(uint8_t p[32], enum pl_spake2_role role)
{
	static const char *seeds[2] = {"parley SPAKE2 M", "parley SPAKE2 N"};
	uint8_t h[crypto_hash_sha512_BYTES];
	crypto_hash_sha512(h, (const uint8_t *)seeds[role], strlen(seeds[role]));
	crypto_core_ristretto255_from_hash(p, h);
}

static void le64(uint8_t out[8], uint64_t v)
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(v >> (8 * i));
}

static void hash_part(crypto_hash_sha512_state *h, const uint8_t *p, size_t len)
{
	uint8_t l[8];
	le64(l, len);
	crypto_hash_sha512_update(h, l, sizeof l);
	crypto_hash_sha512_update(h, p, len);
}

void pl_spake2_wipe(struct pl_spake2 *s)
{
	sodium_memzero(s, sizeof *s);
}

int pl_spake2_start(struct pl_spake2 *s, enum pl_spake2_role role, const char *context, const char *code,
		    const uint8_t *id_a, size_t id_a_len, const uint8_t *id_b, size_t id_b_len,
		    const uint8_t random[PL_SPAKE2_RANDOM_LEN], uint8_t out[PL_SPAKE2_ELEM_LEN])
{
	memset(s, 0, sizeof *s);
	size_t clen = strlen(context), plen = strlen(code);
	if ((role != PL_SPAKE2_A && role != PL_SPAKE2_B) || id_a_len > PL_SPAKE2_ID_MAX ||
	    id_b_len > PL_SPAKE2_ID_MAX || clen > PL_SPAKE2_CODE_MAX || plen > PL_SPAKE2_CODE_MAX)
		return -EINVAL;
	s->role = (uint8_t)role;
	memcpy(s->id_a, id_a, id_a_len);
	memcpy(s->id_b, id_b, id_b_len);
	s->id_a_len = id_a_len;
	s->id_b_len = id_b_len;

	uint8_t h[crypto_hash_sha512_BYTES];
	crypto_hash_sha512_state st;
	crypto_hash_sha512_init(&st);
	hash_part(&st, (const uint8_t *)context, clen);
	crypto_hash_sha512_update(&st, (const uint8_t *)code, plen);
	crypto_hash_sha512_final(&st, h);
	crypto_core_ristretto255_scalar_reduce(s->w, h);
	sodium_memzero(h, sizeof h);
	uint8_t rnd[PL_SPAKE2_RANDOM_LEN];
	memcpy(rnd, random, sizeof rnd);
	crypto_core_ristretto255_scalar_reduce(s->secret, rnd);
	sodium_memzero(rnd, sizeof rnd);

	uint8_t mask[32], xg[32], wm[32];
	fixed_point(mask, role);
	int rc = 0;
	/* Both fail only on a zero scalar (the identity as a result). */
	if (crypto_scalarmult_ristretto255_base(xg, s->secret) != 0 ||
	    crypto_scalarmult_ristretto255(wm, s->w, mask) != 0 || crypto_core_ristretto255_add(s->mine, xg, wm) != 0 ||
	    sodium_is_zero(s->mine, sizeof s->mine))
		rc = -EDOM;
	sodium_memzero(xg, sizeof xg);
	sodium_memzero(wm, sizeof wm);
	if (rc < 0) {
		pl_spake2_wipe(s);
		return rc;
	}
	memcpy(out, s->mine, PL_SPAKE2_ELEM_LEN);
	s->state = 1;
	return 0;
}

/* HMAC-SHA-256 with a key of any length (HKDF's extract step uses a 32-byte salt of zeros). */
static void hmac(uint8_t out[32], const uint8_t *key, size_t klen, const uint8_t *a, size_t alen, const uint8_t *b,
		 size_t blen)
{
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, key, klen);
	crypto_auth_hmacsha256_update(&st, a, alen);
	if (blen)
		crypto_auth_hmacsha256_update(&st, b, blen);
	crypto_auth_hmacsha256_final(&st, out);
}

int pl_spake2_finish(struct pl_spake2 *s, const uint8_t peer[PL_SPAKE2_ELEM_LEN])
{
	if (s->state != 1)
		return -EPROTO;
	int rc = -EBADMSG;
	uint8_t mask[32], wn[32], diff[32], k[32];
	if (sodium_is_zero(peer, PL_SPAKE2_ELEM_LEN) || !crypto_core_ristretto255_is_valid_point(peer))
		goto out;
	fixed_point(mask, s->role == PL_SPAKE2_A ? PL_SPAKE2_B : PL_SPAKE2_A);
	if (crypto_scalarmult_ristretto255(wn, s->w, mask) != 0 || crypto_core_ristretto255_sub(diff, peer, wn) != 0 ||
	    crypto_scalarmult_ristretto255(k, s->secret, diff) != 0)
		goto out; /* the peer's element was w*mask itself, or K came out the identity */
	memcpy(s->theirs, peer, PL_SPAKE2_ELEM_LEN);

	const uint8_t *pa = s->role == PL_SPAKE2_A ? s->mine : s->theirs;
	const uint8_t *pb = s->role == PL_SPAKE2_A ? s->theirs : s->mine;
	crypto_hash_sha512_state st;
	crypto_hash_sha512_init(&st);
	hash_part(&st, s->id_a, s->id_a_len);
	hash_part(&st, s->id_b, s->id_b_len);
	hash_part(&st, pa, 32);
	hash_part(&st, pb, 32);
	hash_part(&st, k, 32);
	hash_part(&st, s->w, 32);
	crypto_hash_sha512_final(&st, s->tt_hash);

	/* Ke || Ka; then HKDF-SHA-256(salt zeros, Ka, "ConfirmationKeys") = KcA || KcB. */
	memcpy(s->key, s->tt_hash, 32);
	static const uint8_t zero_salt[32];
	static const char info[] = "ConfirmationKeys";
	uint8_t prk[32], kca[32], kcb[32], t[sizeof info];
	hmac(prk, zero_salt, sizeof zero_salt, s->tt_hash + 32, 32, NULL, 0);
	memcpy(t, info, sizeof info - 1);
	t[sizeof info - 1] = 1;
	hmac(kca, prk, sizeof prk, t, sizeof t, NULL, 0);
	uint8_t t2[32 + sizeof info];
	memcpy(t2, kca, 32);
	memcpy(t2 + 32, info, sizeof info - 1);
	t2[sizeof t2 - 1] = 2;
	hmac(kcb, prk, sizeof prk, t2, sizeof t2, NULL, 0);
	memcpy(s->kc_mine, s->role == PL_SPAKE2_A ? kca : kcb, 32);
	memcpy(s->kc_theirs, s->role == PL_SPAKE2_A ? kcb : kca, 32);
	sodium_memzero(prk, sizeof prk);
	sodium_memzero(kca, sizeof kca);
	sodium_memzero(kcb, sizeof kcb);
	sodium_memzero(t2, sizeof t2);
	sodium_memzero(s->secret, sizeof s->secret);
	s->state = 2;
	rc = 0;
out:
	sodium_memzero(k, sizeof k);
	sodium_memzero(diff, sizeof diff);
	sodium_memzero(wn, sizeof wn);
	if (rc < 0)
		pl_spake2_wipe(s);
	return rc;
}

int pl_spake2_confirm(const struct pl_spake2 *s, const uint8_t *aad, size_t aad_len, uint8_t mac[PL_SPAKE2_MAC_LEN])
{
	if (s->state != 2)
		return -EPROTO;
	hmac(mac, s->kc_mine, 32, s->tt_hash, sizeof s->tt_hash, aad, aad_len);
	return 0;
}

int pl_spake2_verify(const struct pl_spake2 *s, const uint8_t *aad, size_t aad_len,
		     const uint8_t mac[PL_SPAKE2_MAC_LEN])
{
	if (s->state != 2)
		return -EPROTO;
	uint8_t want[32];
	hmac(want, s->kc_theirs, 32, s->tt_hash, sizeof s->tt_hash, aad, aad_len);
	int ok = sodium_memcmp(want, mac, sizeof want) == 0;
	sodium_memzero(want, sizeof want);
	return ok ? 0 : -EACCES;
}

const uint8_t *pl_spake2_key(const struct pl_spake2 *s)
{
	return s->state == 2 ? s->key : NULL;
}
