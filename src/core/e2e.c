#include "core/e2e.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"

/*
 * Every byte string signed or hashed here starts with a tag of its own, NUL included, so bytes
 * made for one purpose never verify for another (the login proof's is "parley login v2"); no tag
 * is a prefix of another, and the fields after it have fixed sizes, so no two different
 * transcripts are the same bytes.
 *
 * The transcript, in the order the handshake learns it:
 *
 *   call_id (u64) | caller device key (32) | commit (32) | callee device key (32) |
 *   callee ephemeral key (32) | caller ephemeral key (32)
 *
 * OFFER signs the tag and its first three fields, ANSWER the first five, REVEAL all six.
 */
static const char tag_offer[] = "parley call offer v1";
static const char tag_answer[] = "parley call answer v1";
static const char tag_reveal[] = "parley call reveal v1";
static const char tag_commit[] = "parley call commit v1";
static const char tag_keys[] = "parley call keys v1";
static const char tag_skey[] = "parley sender key v1";
static const char tag_room[] = "parley room v1";
/* crypto_kdf's context: 8 bytes, no NUL. */
static const char kdf_ctx[crypto_kdf_CONTEXTBYTES] = {'p', 'l', 'c', 'a', 'l', 'l', 'v', '1'};
enum { KDF_CALLER_TX = 1, KDF_CALLEE_TX = 2, KDF_SAS = 3 };

enum { PHASE_NONE, PHASE_OFFERED, PHASE_ANSWERED };
enum { T_OFFER = 3, T_ANSWER = 5, T_FULL = 6 }; /* transcript fields each message signs */

#define TAG_MAX 24
#define TRANSCRIPT_MAX (TAG_MAX + 8 + 5 * 32)

_Static_assert(PL_E2E_SKEY_SEALED_LEN == crypto_box_SEALBYTES + PL_DEVICE_KEY_LEN + PL_E2E_KEY_LEN,
	       "the sealed sender key is a sealed box of two keys");
_Static_assert(PL_E2E_RANDOM_LEN == crypto_scalarmult_SCALARBYTES, "an X25519 secret");
_Static_assert(PL_E2E_RANDOM_LEN == crypto_box_SEEDBYTES, "a box key pair's seed");
_Static_assert(PL_E2E_KEY_LEN >= crypto_kdf_BYTES_MIN && PL_E2E_KEY_LEN <= crypto_kdf_BYTES_MAX,
	       "a media key is one KDF output");

static void put_be64(uint8_t *p, uint64_t v)
{
	pl_put_be32(p, (uint32_t)(v >> 32));
	pl_put_be32(p + 4, (uint32_t)v);
}

static uint64_t be64(const uint8_t *p) { return (uint64_t)pl_be32(p) << 32 | pl_be32(p + 4); }

/* Writes tag (with its NUL) and the first `fields` fields of the transcript in st; returns the
 * length. */
static size_t transcript(uint8_t out[TRANSCRIPT_MAX], const char *tag, const struct pl_e2e_state *st,
			 int fields)
{
	const uint8_t *keys[5] = {st->caller_key, st->commit, st->callee_key, st->callee_eph, st->caller_eph};
	size_t pos = strlen(tag) + 1;
	memcpy(out, tag, pos);
	put_be64(out + pos, st->call_id), pos += 8;
	for (int i = 0; i < fields - 1; i++)
		memcpy(out + pos, keys[i], 32), pos += 32;
	return pos;
}

static int sign(uint8_t sig[PL_SIG_LEN], const char *tag, const struct pl_e2e_state *st, int fields,
		const uint8_t sk[PL_DEVICE_SECRET_LEN])
{
	uint8_t t[TRANSCRIPT_MAX];
	size_t n = transcript(t, tag, st, fields);
	return crypto_sign_detached(sig, NULL, t, n, sk) == 0 ? 0 : -EINVAL;
}

static int verify(const uint8_t sig[PL_SIG_LEN], const char *tag, const struct pl_e2e_state *st,
		  int fields, const uint8_t pk[PL_DEVICE_KEY_LEN])
{
	uint8_t t[TRANSCRIPT_MAX];
	size_t n = transcript(t, tag, st, fields);
	return crypto_sign_verify_detached(sig, t, n, pk) == 0 ? 0 : -EBADMSG;
}

/* SHA-256 of tag | call_id | caller device key | caller ephemeral key. The call and the device
 * are in it so that a commit means one key in one call from one device and nothing else. */
static void commit_of(uint8_t out[PL_E2E_COMMIT_LEN], uint64_t call_id,
		      const uint8_t caller_key[PL_DEVICE_KEY_LEN], const uint8_t eph[PL_E2E_EPH_LEN])
{
	uint8_t m[sizeof tag_commit + 8 + PL_DEVICE_KEY_LEN + PL_E2E_EPH_LEN];
	size_t pos = sizeof tag_commit;
	memcpy(m, tag_commit, pos);
	put_be64(m + pos, call_id), pos += 8;
	memcpy(m + pos, caller_key, PL_DEVICE_KEY_LEN), pos += PL_DEVICE_KEY_LEN;
	memcpy(m + pos, eph, PL_E2E_EPH_LEN), pos += PL_E2E_EPH_LEN;
	crypto_hash_sha256(out, m, pos);
}

/*
 * The keys of a complete transcript: prk = BLAKE2b-256 keyed with the X25519 shared secret, over
 * "parley call keys v1" NUL and the whole transcript; then crypto_kdf (BLAKE2b with the context
 * "plcallv1") derives subkey 1, caller to callee, subkey 2, callee to caller, and subkey 3, whose
 * first 8 bytes (big-endian) modulo 10^6 are the SAS. The SAS thus depends on the shared secret
 * and on every key of both sides: replacing any of them changes it. A low-order ephemeral key,
 * which would make the shared secret zero, is refused.
 */
static int derive(struct pl_e2e_keys *keys, const struct pl_e2e_state *st, const uint8_t peer_eph[32],
		  int is_caller)
{
	uint8_t shared[crypto_scalarmult_BYTES], t[TRANSCRIPT_MAX], prk[crypto_kdf_KEYBYTES];
	uint8_t sas[crypto_kdf_BYTES_MIN];
	if (crypto_scalarmult(shared, st->eph_secret, peer_eph) != 0) {
		sodium_memzero(shared, sizeof shared);
		return -EBADMSG;
	}
	size_t n = transcript(t, tag_keys, st, T_FULL);
	crypto_generichash(prk, sizeof prk, t, n, shared, sizeof shared);
	crypto_kdf_derive_from_key(is_caller ? keys->tx : keys->rx, PL_E2E_KEY_LEN, KDF_CALLER_TX, kdf_ctx, prk);
	crypto_kdf_derive_from_key(is_caller ? keys->rx : keys->tx, PL_E2E_KEY_LEN, KDF_CALLEE_TX, kdf_ctx, prk);
	crypto_kdf_derive_from_key(sas, sizeof sas, KDF_SAS, kdf_ctx, prk);
	unsigned v = (unsigned)(be64(sas) % 1000000);
	snprintf(keys->sas, sizeof keys->sas, "%03u %03u", v / 1000, v % 1000);
	memcpy(keys->peer_key, is_caller ? st->callee_key : st->caller_key, PL_DEVICE_KEY_LEN);
	sodium_memzero(shared, sizeof shared);
	sodium_memzero(prk, sizeof prk);
	sodium_memzero(sas, sizeof sas);
	return 0;
}

/* This side's ephemeral key pair from the caller's random bytes. */
static int make_eph(struct pl_e2e_state *st, uint8_t pub[PL_E2E_EPH_LEN], const uint8_t random[PL_E2E_RANDOM_LEN])
{
	memcpy(st->eph_secret, random, PL_E2E_RANDOM_LEN);
	return crypto_scalarmult_base(pub, st->eph_secret) == 0 ? 0 : -EINVAL;
}

int pl_e2e_offer(struct pl_e2e_offer *out, struct pl_e2e_state *st,
		 const uint8_t device_sk[PL_DEVICE_SECRET_LEN], uint64_t call_id,
		 const uint8_t eph_random[PL_E2E_RANDOM_LEN])
{
	sodium_memzero(st, sizeof *st);
	st->call_id = call_id;
	memcpy(st->caller_key, device_sk + 32, PL_DEVICE_KEY_LEN);
	if (make_eph(st, st->caller_eph, eph_random) != 0)
		goto fail;
	commit_of(st->commit, call_id, st->caller_key, st->caller_eph);
	out->call_id = call_id;
	memcpy(out->caller_key, st->caller_key, PL_DEVICE_KEY_LEN);
	memcpy(out->commit, st->commit, PL_E2E_COMMIT_LEN);
	if (sign(out->sig, tag_offer, st, T_OFFER, device_sk) != 0)
		goto fail;
	st->phase = PHASE_OFFERED;
	return 0;
fail:
	sodium_memzero(st, sizeof *st);
	return -EINVAL;
}

int pl_e2e_answer(struct pl_e2e_answer *out, struct pl_e2e_state *st,
		  const uint8_t device_sk[PL_DEVICE_SECRET_LEN], const struct pl_e2e_offer *offer,
		  const uint8_t eph_random[PL_E2E_RANDOM_LEN])
{
	int rc = -EBADMSG;
	sodium_memzero(st, sizeof *st);
	st->call_id = offer->call_id;
	memcpy(st->caller_key, offer->caller_key, PL_DEVICE_KEY_LEN);
	memcpy(st->commit, offer->commit, PL_E2E_COMMIT_LEN);
	if (verify(offer->sig, tag_offer, st, T_OFFER, st->caller_key) != 0)
		goto out;
	rc = -EINVAL;
	memcpy(st->callee_key, device_sk + 32, PL_DEVICE_KEY_LEN);
	if (make_eph(st, st->callee_eph, eph_random) != 0)
		goto out;
	out->call_id = st->call_id;
	memcpy(out->callee_key, st->callee_key, PL_DEVICE_KEY_LEN);
	memcpy(out->eph, st->callee_eph, PL_E2E_EPH_LEN);
	if (sign(out->sig, tag_answer, st, T_ANSWER, device_sk) != 0)
		goto out;
	st->phase = PHASE_ANSWERED;
	return 0;
out:
	sodium_memzero(st, sizeof *st);
	return rc;
}

int pl_e2e_reveal(struct pl_e2e_reveal *out, struct pl_e2e_state *st,
		  const uint8_t device_sk[PL_DEVICE_SECRET_LEN], const struct pl_e2e_answer *answer,
		  struct pl_e2e_keys *keys)
{
	int rc = -EINVAL;
	sodium_memzero(keys, sizeof *keys);
	if (st->phase != PHASE_OFFERED || sodium_memcmp(device_sk + 32, st->caller_key, PL_DEVICE_KEY_LEN) != 0)
		goto out;
	rc = -EBADMSG;
	if (answer->call_id != st->call_id)
		goto out;
	memcpy(st->callee_key, answer->callee_key, PL_DEVICE_KEY_LEN);
	memcpy(st->callee_eph, answer->eph, PL_E2E_EPH_LEN);
	if (verify(answer->sig, tag_answer, st, T_ANSWER, st->callee_key) != 0)
		goto out;
	if (derive(keys, st, st->callee_eph, 1) != 0)
		goto out;
	rc = -EINVAL;
	out->call_id = st->call_id;
	memcpy(out->eph, st->caller_eph, PL_E2E_EPH_LEN);
	if (sign(out->sig, tag_reveal, st, T_FULL, device_sk) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		sodium_memzero(keys, sizeof *keys);
	sodium_memzero(st, sizeof *st);
	return rc;
}

int pl_e2e_finish(struct pl_e2e_state *st, const struct pl_e2e_reveal *reveal, struct pl_e2e_keys *keys)
{
	uint8_t c[PL_E2E_COMMIT_LEN];
	int rc = -EINVAL;
	sodium_memzero(keys, sizeof *keys);
	if (st->phase != PHASE_ANSWERED)
		goto out;
	rc = -EBADMSG;
	if (reveal->call_id != st->call_id)
		goto out;
	/* The commit first: it is what the caller bound itself to before seeing our key. */
	commit_of(c, st->call_id, st->caller_key, reveal->eph);
	if (sodium_memcmp(c, st->commit, sizeof c) != 0)
		goto out;
	memcpy(st->caller_eph, reveal->eph, PL_E2E_EPH_LEN);
	if (verify(reveal->sig, tag_reveal, st, T_FULL, st->caller_key) != 0)
		goto out;
	rc = derive(keys, st, st->caller_eph, 0);
out:
	if (rc != 0)
		sodium_memzero(keys, sizeof *keys);
	sodium_memzero(st, sizeof *st);
	return rc;
}

void pl_e2e_abort(struct pl_e2e_state *st) { sodium_memzero(st, sizeof *st); }

/* --- wire forms --- */

int pl_e2e_offer_encode(uint8_t out[PL_E2E_OFFER_LEN], const struct pl_e2e_offer *m)
{
	struct pl_wr w;
	pl_wr_init(&w, out, PL_E2E_OFFER_LEN);
	pl_wr_u64(&w, m->call_id);
	pl_wr_bytes(&w, m->caller_key, sizeof m->caller_key);
	pl_wr_bytes(&w, m->commit, sizeof m->commit);
	pl_wr_bytes(&w, m->sig, sizeof m->sig);
	return pl_wr_finish(&w);
}

int pl_e2e_offer_decode(struct pl_e2e_offer *m, const uint8_t *buf, size_t len)
{
	struct pl_rd r;
	pl_rd_init(&r, buf, len);
	m->call_id = pl_rd_u64(&r);
	pl_rd_bytes(&r, m->caller_key, sizeof m->caller_key);
	pl_rd_bytes(&r, m->commit, sizeof m->commit);
	pl_rd_bytes(&r, m->sig, sizeof m->sig);
	return pl_rd_finish(&r);
}

int pl_e2e_answer_encode(uint8_t out[PL_E2E_ANSWER_LEN], const struct pl_e2e_answer *m)
{
	struct pl_wr w;
	pl_wr_init(&w, out, PL_E2E_ANSWER_LEN);
	pl_wr_u64(&w, m->call_id);
	pl_wr_bytes(&w, m->callee_key, sizeof m->callee_key);
	pl_wr_bytes(&w, m->eph, sizeof m->eph);
	pl_wr_bytes(&w, m->sig, sizeof m->sig);
	return pl_wr_finish(&w);
}

int pl_e2e_answer_decode(struct pl_e2e_answer *m, const uint8_t *buf, size_t len)
{
	struct pl_rd r;
	pl_rd_init(&r, buf, len);
	m->call_id = pl_rd_u64(&r);
	pl_rd_bytes(&r, m->callee_key, sizeof m->callee_key);
	pl_rd_bytes(&r, m->eph, sizeof m->eph);
	pl_rd_bytes(&r, m->sig, sizeof m->sig);
	return pl_rd_finish(&r);
}

int pl_e2e_reveal_encode(uint8_t out[PL_E2E_REVEAL_LEN], const struct pl_e2e_reveal *m)
{
	struct pl_wr w;
	pl_wr_init(&w, out, PL_E2E_REVEAL_LEN);
	pl_wr_u64(&w, m->call_id);
	pl_wr_bytes(&w, m->eph, sizeof m->eph);
	pl_wr_bytes(&w, m->sig, sizeof m->sig);
	return pl_wr_finish(&w);
}

int pl_e2e_reveal_decode(struct pl_e2e_reveal *m, const uint8_t *buf, size_t len)
{
	struct pl_rd r;
	pl_rd_init(&r, buf, len);
	m->call_id = pl_rd_u64(&r);
	pl_rd_bytes(&r, m->eph, sizeof m->eph);
	pl_rd_bytes(&r, m->sig, sizeof m->sig);
	return pl_rd_finish(&r);
}

/* --- sender keys --- */

/* The signed bytes: tag | scope (u64) | key id (u8) | recipient device key (32) | sealed (112). */
#define SKEY_SIGNED_LEN (sizeof tag_skey + 8 + 1 + PL_DEVICE_KEY_LEN + PL_E2E_SKEY_SEALED_LEN)

static size_t skey_signed(uint8_t out[SKEY_SIGNED_LEN], uint64_t scope, uint8_t key_id,
			  const uint8_t recipient_pk[PL_DEVICE_KEY_LEN], const uint8_t *sealed)
{
	size_t pos = sizeof tag_skey;
	memcpy(out, tag_skey, pos);
	put_be64(out + pos, scope), pos += 8;
	out[pos++] = key_id;
	memcpy(out + pos, recipient_pk, PL_DEVICE_KEY_LEN), pos += PL_DEVICE_KEY_LEN;
	memcpy(out + pos, sealed, PL_E2E_SKEY_SEALED_LEN), pos += PL_E2E_SKEY_SEALED_LEN;
	return pos;
}

int pl_e2e_skey_seal(uint8_t out[PL_E2E_SKEY_LEN], const uint8_t sender_sk[PL_DEVICE_SECRET_LEN],
		     const uint8_t recipient_pk[PL_DEVICE_KEY_LEN], uint64_t scope, uint8_t key_id,
		     const uint8_t key[PL_E2E_KEY_LEN], const uint8_t random[PL_E2E_RANDOM_LEN])
{
	uint8_t rx[crypto_box_PUBLICKEYBYTES], epk[crypto_box_PUBLICKEYBYTES], esk[crypto_box_SECRETKEYBYTES];
	uint8_t nonce[crypto_box_NONCEBYTES], nm[2 * crypto_box_PUBLICKEYBYTES];
	uint8_t plain[PL_DEVICE_KEY_LEN + PL_E2E_KEY_LEN], msg[SKEY_SIGNED_LEN];
	int rc = -EINVAL;
	if (crypto_sign_ed25519_pk_to_curve25519(rx, recipient_pk) != 0)
		goto out;
	/* crypto_box_seal, but with the ephemeral key from the caller's bytes rather than from
	 * libsodium's generator: the nonce is BLAKE2b-192(ephemeral pk | recipient pk) as there, so
	 * crypto_box_seal_open opens it. */
	crypto_box_seed_keypair(epk, esk, random);
	memcpy(nm, epk, sizeof epk);
	memcpy(nm + sizeof epk, rx, sizeof rx);
	crypto_generichash(nonce, sizeof nonce, nm, sizeof nm, NULL, 0);
	memcpy(plain, sender_sk + 32, PL_DEVICE_KEY_LEN);
	memcpy(plain + PL_DEVICE_KEY_LEN, key, PL_E2E_KEY_LEN);
	memcpy(out, epk, sizeof epk);
	if (crypto_box_easy(out + sizeof epk, plain, sizeof plain, nonce, rx, esk) != 0)
		goto out;
	size_t n = skey_signed(msg, scope, key_id, recipient_pk, out);
	if (crypto_sign_detached(out + PL_E2E_SKEY_SEALED_LEN, NULL, msg, n, sender_sk) != 0)
		goto out;
	rc = 0;
out:
	sodium_memzero(esk, sizeof esk);
	sodium_memzero(plain, sizeof plain);
	if (rc != 0)
		sodium_memzero(out, PL_E2E_SKEY_LEN);
	return rc;
}

int pl_e2e_skey_open(uint8_t out_key[PL_E2E_KEY_LEN], const uint8_t recipient_sk[PL_DEVICE_SECRET_LEN],
		     const uint8_t sender_pk[PL_DEVICE_KEY_LEN], uint64_t scope, uint8_t key_id,
		     const uint8_t *sealed, size_t len)
{
	uint8_t msg[SKEY_SIGNED_LEN], xpk[crypto_box_PUBLICKEYBYTES], xsk[crypto_box_SECRETKEYBYTES];
	uint8_t plain[PL_DEVICE_KEY_LEN + PL_E2E_KEY_LEN];
	int rc = -EBADMSG;
	sodium_memzero(out_key, PL_E2E_KEY_LEN);
	if (len != PL_E2E_SKEY_LEN)
		return -EBADMSG;
	/* The signature before the box: it is cheaper to refuse a forgery than to open it. */
	size_t n = skey_signed(msg, scope, key_id, recipient_sk + 32, sealed);
	if (crypto_sign_verify_detached(sealed + PL_E2E_SKEY_SEALED_LEN, msg, n, sender_pk) != 0)
		return -EBADMSG;
	if (crypto_sign_ed25519_pk_to_curve25519(xpk, recipient_sk + 32) != 0 ||
	    crypto_sign_ed25519_sk_to_curve25519(xsk, recipient_sk) != 0)
		goto out;
	if (crypto_box_seal_open(plain, sealed, PL_E2E_SKEY_SEALED_LEN, xpk, xsk) != 0)
		goto out;
	if (sodium_memcmp(plain, sender_pk, PL_DEVICE_KEY_LEN) != 0)
		goto out;
	memcpy(out_key, plain + PL_DEVICE_KEY_LEN, PL_E2E_KEY_LEN);
	rc = 0;
out:
	sodium_memzero(xsk, sizeof xsk);
	sodium_memzero(plain, sizeof plain);
	return rc;
}

uint64_t pl_e2e_room_scope(const char *room)
{
	crypto_generichash_state st;
	uint8_t h[8], c;
	crypto_generichash_init(&st, NULL, 0, sizeof h);
	crypto_generichash_update(&st, (const uint8_t *)tag_room, sizeof tag_room);
	for (const char *p = room; *p; p++) {
		c = (uint8_t)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
		crypto_generichash_update(&st, &c, 1);
	}
	crypto_generichash_final(&st, h, sizeof h);
	return be64(h);
}
