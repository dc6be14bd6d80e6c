/*
 * Unit tests for core/e2e: the call key agreement and sender keys.
 *
 * Every key comes from a fixed seed (crypto_sign_seed_keypair) and every "random" byte is fixed,
 * so each run is the same. The transcripts, the commit and the key derivation are rebuilt here by
 * hand from the layouts in e2e.c (which docs/PROTOCOL.md copies), so the tests check the
 * documented bytes, not only that the code agrees with itself. Then: a man in the middle who
 * substitutes keys in either direction, with and without a device key of its own, and who grinds
 * ephemeral keys against the commit; every flipped bit of every message; messages replayed into
 * another call; sender keys opened by the wrong party or for the wrong scope or key id.
 */
#include "core/e2e.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/media.h"
#include "test.h"

struct dev {
	uint8_t pk[PL_DEVICE_KEY_LEN];
	uint8_t sk[PL_DEVICE_SECRET_LEN];
};

static struct dev alice, bob, carol, mallory;

static void dev_make(struct dev *d, uint8_t seed_byte)
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	memset(seed, seed_byte, sizeof seed);
	crypto_sign_seed_keypair(d->pk, d->sk, seed);
}

/* Fixed "random" bytes: v, v+1, v+2, ... */
static void rnd(uint8_t out[PL_E2E_RANDOM_LEN], uint8_t v)
{
	for (int i = 0; i < PL_E2E_RANDOM_LEN; i++)
		out[i] = (uint8_t)(v + i);
}

static int all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= b[i];
	return acc == 0;
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* --- the layouts, by hand --- */

/* tag NUL | call_id | the given 32-byte fields. */
static size_t hand_transcript(uint8_t *out, const char *tag, uint64_t call_id, const uint8_t *const *fields, int n)
{
	size_t pos = strlen(tag) + 1;
	memcpy(out, tag, pos);
	put64(out + pos, call_id), pos += 8;
	for (int i = 0; i < n; i++)
		memcpy(out + pos, fields[i], 32), pos += 32;
	return pos;
}

static void hand_commit(uint8_t out[32], uint64_t call_id, const uint8_t caller_key[32], const uint8_t eph[32])
{
	const uint8_t *f[] = {caller_key, eph};
	uint8_t m[256];
	size_t n = hand_transcript(m, "parley call commit v1", call_id, f, 2);
	crypto_hash_sha256(out, m, n);
}

/* The keys as e2e.c's comment over derive() describes them. */
static void hand_keys(uint8_t c2s[32], uint8_t s2c[32], char sas[PL_E2E_SAS_STR], const uint8_t shared[32],
		      uint64_t call_id, const uint8_t *const full[5])
{
	uint8_t m[256], prk[32], s[16];
	size_t n = hand_transcript(m, "parley call keys v1", call_id, full, 5);
	crypto_generichash(prk, 32, m, n, shared, 32);
	crypto_kdf_derive_from_key(c2s, 32, 1, "plcallv1", prk);
	crypto_kdf_derive_from_key(s2c, 32, 2, "plcallv1", prk);
	crypto_kdf_derive_from_key(s, 16, 3, "plcallv1", prk);
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | s[i];
	snprintf(sas, PL_E2E_SAS_STR, "%03u %03u", (unsigned)(v % 1000000 / 1000), (unsigned)(v % 1000));
}

static int sas_well_formed(const char *s)
{
	if (strlen(s) != 7 || s[3] != ' ')
		return 0;
	for (int i = 0; i < 7; i++)
		if (i != 3 && (s[i] < '0' || s[i] > '9'))
			return 0;
	return 1;
}

/* One honest handshake; returns the first non-zero result, else 0. */
struct run {
	struct pl_e2e_offer offer;
	struct pl_e2e_answer answer;
	struct pl_e2e_reveal reveal;
	struct pl_e2e_state a, b;
	struct pl_e2e_keys ka, kb;
	uint8_t ra[32], rb[32];
};

static int handshake(struct run *r, const struct dev *caller, const struct dev *callee, uint64_t call_id,
		     uint8_t seed_a, uint8_t seed_b)
{
	int rc;
	memset(r, 0, sizeof *r);
	rnd(r->ra, seed_a);
	rnd(r->rb, seed_b);
	if ((rc = pl_e2e_offer(&r->offer, &r->a, caller->sk, call_id, r->ra)) != 0)
		return rc;
	if ((rc = pl_e2e_answer(&r->answer, &r->b, callee->sk, &r->offer, r->rb)) != 0)
		return rc;
	if ((rc = pl_e2e_reveal(&r->reveal, &r->a, caller->sk, &r->answer, &r->ka)) != 0)
		return rc;
	return pl_e2e_finish(&r->b, &r->reveal, &r->kb);
}

static void test_handshake(void)
{
	static const struct {
		const char *name;
		uint64_t call_id;
		uint8_t seed_a, seed_b;
		int callee; /* 0 bob, 1 carol: whichever device picks up */
	} rows[] = {
		{"call 1", 1, 0x10, 0x20, 0},
		{"call 0", 0, 0x11, 0x21, 0},
		{"call 2^64-1", UINT64_MAX, 0x12, 0x22, 0},
		{"another device answers", 0x0102030405060708ull, 0x13, 0x23, 1},
		{"same random bytes on both sides", 42, 0x55, 0x55, 0},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		test_case("handshake: %s", rows[i].name);
		const struct dev *callee = rows[i].callee ? &carol : &bob;
		struct run r;
		if (!CHECK_EQ(handshake(&r, &alice, callee, rows[i].call_id, rows[i].seed_a, rows[i].seed_b), 0))
			continue;
		CHECK_MEM_EQ(r.ka.tx, r.kb.rx, PL_E2E_KEY_LEN);
		CHECK_MEM_EQ(r.ka.rx, r.kb.tx, PL_E2E_KEY_LEN);
		CHECK(memcmp(r.ka.tx, r.ka.rx, PL_E2E_KEY_LEN) != 0);
		CHECK_STR_EQ(r.ka.sas, r.kb.sas);
		CHECK(sas_well_formed(r.ka.sas));
		CHECK_MEM_EQ(r.ka.peer_key, callee->pk, PL_DEVICE_KEY_LEN);
		CHECK_MEM_EQ(r.kb.peer_key, alice.pk, PL_DEVICE_KEY_LEN);
		CHECK_EQ(r.offer.call_id, rows[i].call_id);
		CHECK_EQ(r.answer.call_id, rows[i].call_id);
		CHECK_EQ(r.reveal.call_id, rows[i].call_id);
		CHECK(all_zero(&r.a, sizeof r.a) && all_zero(&r.b, sizeof r.b)); /* secrets wiped */
	}

	test_case("handshake: another call, other random bytes: other keys and SAS");
	struct run r1, r2;
	CHECK_EQ(handshake(&r1, &alice, &bob, 7, 1, 2), 0);
	CHECK_EQ(handshake(&r2, &alice, &bob, 8, 1, 2), 0);
	CHECK(memcmp(r1.ka.tx, r2.ka.tx, 32) != 0 && memcmp(r1.ka.rx, r2.ka.rx, 32) != 0);
	CHECK_EQ(handshake(&r2, &alice, &bob, 7, 1, 3), 0);
	CHECK(memcmp(r1.ka.tx, r2.ka.tx, 32) != 0);
	CHECK(strcmp(r1.ka.sas, r2.ka.sas) != 0);

	test_case("handshake: a known answer (changes only with the protocol's version)");
	CHECK_EQ(handshake(&r1, &alice, &bob, 1, 0x10, 0x20), 0);
	CHECK_STR_EQ(r1.ka.sas, "159 440");
	CHECK_EQ(r1.ka.tx[0] << 8 | r1.ka.tx[1], 0x18aa);
}

static void test_layout(void)
{
	struct run r;
	uint64_t call = 0x1122334455667788ull;
	CHECK_EQ(handshake(&r, &alice, &bob, call, 0x30, 0x40), 0);
	uint8_t eph_a[32], eph_b[32], commit[32], m[256];
	crypto_scalarmult_base(eph_a, r.ra);
	crypto_scalarmult_base(eph_b, r.rb);

	test_case("layout: commit = SHA-256(\"parley call commit v1\" NUL | call_id | caller key | caller eph)");
	hand_commit(commit, call, alice.pk, eph_a);
	CHECK_MEM_EQ(r.offer.commit, commit, 32);
	CHECK_MEM_EQ(r.offer.caller_key, alice.pk, 32);

	const uint8_t *full[5] = {alice.pk, commit, bob.pk, eph_b, eph_a};
	test_case("layout: OFFER signs tag | call_id | caller key | commit (93 bytes)");
	size_t n = hand_transcript(m, "parley call offer v1", call, full, 2);
	CHECK_EQ(n, 93);
	CHECK_EQ(crypto_sign_verify_detached(r.offer.sig, m, n, alice.pk), 0);
	test_case("layout: ANSWER signs tag | call_id | caller key | commit | callee key | callee eph (158)");
	n = hand_transcript(m, "parley call answer v1", call, full, 4);
	CHECK_EQ(n, 158);
	CHECK_EQ(crypto_sign_verify_detached(r.answer.sig, m, n, bob.pk), 0);
	CHECK_MEM_EQ(r.answer.eph, eph_b, 32);
	test_case("layout: REVEAL signs the whole transcript (190)");
	n = hand_transcript(m, "parley call reveal v1", call, full, 5);
	CHECK_EQ(n, 190);
	CHECK_EQ(crypto_sign_verify_detached(r.reveal.sig, m, n, alice.pk), 0);
	CHECK_MEM_EQ(r.reveal.eph, eph_a, 32);

	test_case("layout: the keys and SAS from the X25519 secret and the transcript");
	uint8_t shared[32], c2s[32], s2c[32];
	char sas[PL_E2E_SAS_STR];
	CHECK_EQ(crypto_scalarmult(shared, r.ra, eph_b), 0);
	hand_keys(c2s, s2c, sas, shared, call, full);
	CHECK_MEM_EQ(r.ka.tx, c2s, 32);
	CHECK_MEM_EQ(r.ka.rx, s2c, 32);
	CHECK_STR_EQ(r.ka.sas, sas);

	/* Substitution of any one key, or another shared secret, gives another SAS. */
	static const char *const what[] = {"caller device key", "commit", "callee device key",
					   "callee ephemeral key", "caller ephemeral key", "shared secret"};
	for (int f = 0; f < 6; f++) {
		test_case("layout: the SAS depends on the %s", what[f]);
		uint8_t alt[6][32];
		const uint8_t *sub[5];
		for (int i = 0; i < 5; i++) {
			memcpy(alt[i], full[i], 32);
			sub[i] = alt[i];
		}
		memcpy(alt[5], shared, 32);
		alt[f][7] ^= 0x10;
		char sas2[PL_E2E_SAS_STR];
		hand_keys(c2s, s2c, sas2, alt[5], call, sub);
		CHECK(strcmp(sas, sas2) != 0);
		CHECK(memcmp(c2s, r.ka.tx, 32) != 0 && memcmp(s2c, r.ka.rx, 32) != 0);
	}

	test_case("layout: wire forms are call_id then the fields in order");
	uint8_t w[PL_E2E_OFFER_LEN];
	CHECK_EQ(pl_e2e_offer_encode(w, &r.offer), PL_E2E_OFFER_LEN);
	uint8_t want[PL_E2E_OFFER_LEN];
	put64(want, call);
	memcpy(want + 8, alice.pk, 32);
	memcpy(want + 40, commit, 32);
	memcpy(want + 72, r.offer.sig, 64);
	CHECK_MEM_EQ(w, want, sizeof want);
	CHECK_EQ(pl_e2e_answer_encode(w, &r.answer), PL_E2E_ANSWER_LEN);
	put64(want, call);
	memcpy(want + 8, bob.pk, 32);
	memcpy(want + 40, eph_b, 32);
	memcpy(want + 72, r.answer.sig, 64);
	CHECK_MEM_EQ(w, want, PL_E2E_ANSWER_LEN);
	CHECK_EQ(pl_e2e_reveal_encode(w, &r.reveal), PL_E2E_REVEAL_LEN);
	memcpy(want + 8, eph_a, 32);
	memcpy(want + 40, r.reveal.sig, 64);
	CHECK_MEM_EQ(w, want, PL_E2E_REVEAL_LEN);
}

static void test_wire(void)
{
	struct run r;
	CHECK_EQ(handshake(&r, &alice, &bob, 99, 1, 2), 0);
	uint8_t buf[PL_E2E_OFFER_LEN + 1] = {0};
	struct pl_e2e_offer o;
	struct pl_e2e_answer a;
	struct pl_e2e_reveal v;

	test_case("wire: round trips");
	CHECK_EQ(pl_e2e_offer_encode(buf, &r.offer), PL_E2E_OFFER_LEN);
	CHECK_EQ(pl_e2e_offer_decode(&o, buf, PL_E2E_OFFER_LEN), 0);
	CHECK(o.call_id == 99 && !memcmp(o.caller_key, alice.pk, 32) && !memcmp(o.commit, r.offer.commit, 32) &&
	      !memcmp(o.sig, r.offer.sig, 64));
	CHECK_EQ(pl_e2e_answer_encode(buf, &r.answer), PL_E2E_ANSWER_LEN);
	CHECK_EQ(pl_e2e_answer_decode(&a, buf, PL_E2E_ANSWER_LEN), 0);
	CHECK(a.call_id == 99 && !memcmp(a.callee_key, bob.pk, 32) && !memcmp(a.eph, r.answer.eph, 32) &&
	      !memcmp(a.sig, r.answer.sig, 64));
	CHECK_EQ(pl_e2e_reveal_encode(buf, &r.reveal), PL_E2E_REVEAL_LEN);
	CHECK_EQ(pl_e2e_reveal_decode(&v, buf, PL_E2E_REVEAL_LEN), 0);
	CHECK(v.call_id == 99 && !memcmp(v.eph, r.reveal.eph, 32) && !memcmp(v.sig, r.reveal.sig, 64));

	static const int deltas[] = {-PL_E2E_OFFER_LEN, -1, 1};
	for (size_t i = 0; i < sizeof deltas / sizeof deltas[0]; i++) {
		test_case("wire: a length %+d off is refused", deltas[i]);
		CHECK_EQ(pl_e2e_offer_decode(&o, buf, (size_t)(PL_E2E_OFFER_LEN + deltas[i])), -EBADMSG);
		CHECK_EQ(pl_e2e_answer_decode(&a, buf, (size_t)(PL_E2E_ANSWER_LEN + deltas[i])), -EBADMSG);
		if (PL_E2E_REVEAL_LEN + deltas[i] >= 0)
			CHECK_EQ(pl_e2e_reveal_decode(&v, buf, (size_t)(PL_E2E_REVEAL_LEN + deltas[i])), -EBADMSG);
	}
}

/* Every bit of each encoded message, flipped in turn, and the message handed to the side that
 * checks it: none may pass. */
static void test_bit_flips(void)
{
	uint64_t call = 5;
	uint8_t ra[32], rb[32];
	rnd(ra, 0x61);
	rnd(rb, 0x62);
	struct pl_e2e_state a0, b0, st;
	struct pl_e2e_offer offer;
	struct pl_e2e_answer answer;
	struct pl_e2e_reveal reveal;
	struct pl_e2e_keys k;
	CHECK_EQ(pl_e2e_offer(&offer, &a0, alice.sk, call, ra), 0);
	CHECK_EQ(pl_e2e_answer(&answer, &b0, bob.sk, &offer, rb), 0);
	st = a0;
	CHECK_EQ(pl_e2e_reveal(&reveal, &st, alice.sk, &answer, &k), 0);

	uint8_t w[PL_E2E_OFFER_LEN];
	unsigned accepted = 0, tried = 0;
	test_case("bit flips: OFFER, each of %d bits", 8 * PL_E2E_OFFER_LEN);
	pl_e2e_offer_encode(w, &offer);
	for (int bit = 0; bit < 8 * PL_E2E_OFFER_LEN; bit++, tried++) {
		struct pl_e2e_offer o;
		struct pl_e2e_answer out;
		w[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		pl_e2e_offer_decode(&o, w, sizeof w);
		accepted += pl_e2e_answer(&out, &st, bob.sk, &o, rb) != -EBADMSG;
		w[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	CHECK_EQ(accepted, 0);
	CHECK(all_zero(&st, sizeof st));

	test_case("bit flips: ANSWER, each of %d bits", 8 * PL_E2E_ANSWER_LEN);
	pl_e2e_answer_encode(w, &answer);
	for (int bit = 0; bit < 8 * PL_E2E_ANSWER_LEN; bit++, tried++) {
		struct pl_e2e_answer a;
		struct pl_e2e_reveal out;
		w[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		pl_e2e_answer_decode(&a, w, PL_E2E_ANSWER_LEN);
		st = a0;
		accepted += pl_e2e_reveal(&out, &st, alice.sk, &a, &k) != -EBADMSG;
		accepted += !all_zero(&k, sizeof k);
		w[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	CHECK_EQ(accepted, 0);

	test_case("bit flips: REVEAL, each of %d bits", 8 * PL_E2E_REVEAL_LEN);
	pl_e2e_reveal_encode(w, &reveal);
	for (int bit = 0; bit < 8 * PL_E2E_REVEAL_LEN; bit++, tried++) {
		struct pl_e2e_reveal v;
		w[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		pl_e2e_reveal_decode(&v, w, PL_E2E_REVEAL_LEN);
		st = b0;
		accepted += pl_e2e_finish(&st, &v, &k) != -EBADMSG;
		accepted += !all_zero(&k, sizeof k);
		w[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	CHECK_EQ(accepted, 0);
	CHECK_EQ(tried, 8 * (PL_E2E_OFFER_LEN + PL_E2E_ANSWER_LEN + PL_E2E_REVEAL_LEN));

	test_case("bit flips: the unflipped messages still complete the handshake");
	st = b0;
	CHECK_EQ(pl_e2e_finish(&st, &reveal, &k), 0);
}

static void test_replay(void)
{
	uint8_t ra[32], rb[32], ra2[32], rb2[32];
	rnd(ra, 0x71), rnd(rb, 0x72), rnd(ra2, 0x73), rnd(rb2, 0x74);
	struct pl_e2e_state a, b, a2, b2;
	struct pl_e2e_offer offer, offer2, o;
	struct pl_e2e_answer answer, answer2, an;
	struct pl_e2e_reveal reveal, reveal2;
	struct pl_e2e_keys k;
	CHECK_EQ(pl_e2e_offer(&offer, &a, alice.sk, 7, ra), 0);
	CHECK_EQ(pl_e2e_answer(&answer, &b, bob.sk, &offer, rb), 0);

	test_case("replay: call 7's OFFER under call_id 8 is refused");
	o = offer;
	o.call_id = 8;
	CHECK_EQ(pl_e2e_answer(&an, &b2, bob.sk, &o, rb2), -EBADMSG);

	test_case("replay: call 7's ANSWER to call 8's caller, as it was or relabelled, is refused");
	CHECK_EQ(pl_e2e_offer(&offer2, &a2, alice.sk, 8, ra2), 0);
	struct pl_e2e_state keep = a2;
	CHECK_EQ(pl_e2e_reveal(&reveal2, &a2, alice.sk, &answer, &k), -EBADMSG);
	a2 = keep;
	an = answer;
	an.call_id = 8;
	CHECK_EQ(pl_e2e_reveal(&reveal2, &a2, alice.sk, &an, &k), -EBADMSG);

	test_case("replay: an ANSWER to an earlier OFFER of the same call is refused (other commit)");
	CHECK_EQ(pl_e2e_offer(&offer2, &a2, alice.sk, 7, ra2), 0);
	CHECK_EQ(pl_e2e_reveal(&reveal2, &a2, alice.sk, &answer, &k), -EBADMSG);

	test_case("replay: a replayed OFFER gets an ANSWER, but the old REVEAL does not finish it");
	CHECK_EQ(pl_e2e_reveal(&reveal, &a, alice.sk, &answer, &k), 0); /* the original call */
	CHECK_EQ(pl_e2e_answer(&answer2, &b2, bob.sk, &offer, rb2), 0); /* the replay, a fresh key */
	CHECK_EQ(pl_e2e_finish(&b2, &reveal, &k), -EBADMSG);
	CHECK_EQ(pl_e2e_finish(&b, &reveal, &k), 0);
}

static void test_states(void)
{
	uint8_t ra[32], rb[32];
	rnd(ra, 0x81), rnd(rb, 0x82);
	struct pl_e2e_state a, b, zero;
	struct pl_e2e_offer offer;
	struct pl_e2e_answer answer;
	struct pl_e2e_reveal reveal;
	struct pl_e2e_keys k;
	memset(&zero, 0, sizeof zero);

	test_case("states: a zero state awaits nothing");
	CHECK_EQ(pl_e2e_reveal(&reveal, &zero, alice.sk, &answer, &k), -EINVAL);
	CHECK_EQ(pl_e2e_finish(&zero, &reveal, &k), -EINVAL);

	CHECK_EQ(pl_e2e_offer(&offer, &a, alice.sk, 3, ra), 0);
	CHECK_EQ(pl_e2e_answer(&answer, &b, bob.sk, &offer, rb), 0);
	struct pl_e2e_state a0 = a, b0 = b;
	test_case("states: a caller's state takes no REVEAL, a callee's no ANSWER");
	CHECK_EQ(pl_e2e_finish(&a, &reveal, &k), -EINVAL);
	CHECK_EQ(pl_e2e_reveal(&reveal, &b, bob.sk, &answer, &k), -EINVAL);
	a = a0, b = b0;
	test_case("states: REVEAL signed with another key than the OFFER's is refused");
	CHECK_EQ(pl_e2e_reveal(&reveal, &a, carol.sk, &answer, &k), -EINVAL);
	CHECK(all_zero(&a, sizeof a));
	a = a0;
	test_case("states: a finished state takes nothing more");
	CHECK_EQ(pl_e2e_reveal(&reveal, &a, alice.sk, &answer, &k), 0);
	CHECK_EQ(pl_e2e_reveal(&reveal, &a, alice.sk, &answer, &k), -EINVAL);
	CHECK(all_zero(&k, sizeof k));
	CHECK_EQ(pl_e2e_finish(&b, &reveal, &k), 0);
	CHECK_EQ(pl_e2e_finish(&b, &reveal, &k), -EINVAL);
	test_case("states: abort wipes");
	a = a0;
	pl_e2e_abort(&a);
	CHECK(all_zero(&a, sizeof a));
	test_case("states: a failed check ends the handshake; the genuine message comes too late");
	b = b0;
	struct pl_e2e_reveal bad = reveal;
	bad.sig[0] ^= 1;
	CHECK_EQ(pl_e2e_finish(&b, &bad, &k), -EBADMSG);
	CHECK(all_zero(&b, sizeof b));
	CHECK_EQ(pl_e2e_finish(&b, &reveal, &k), -EINVAL);
}

/*
 * A man in the middle, Mallory, between Alice (caller) and Bob (callee). She may replace a field
 * of a message (and cannot sign for it), or take a side of the protocol herself with her own
 * device key (as the server could, by registering a device). Either the handshake fails, or the
 * victims each see Mallory's device key as their peer and read different SASes.
 */
enum sub { NONE, COMMIT, KEY, EPH, OWN }; /* OWN: Mallory plays that side with her own key */
#define NOT_REACHED 1

static void test_mitm(void)
{
	static const struct {
		const char *name;
		enum sub offer, answer, reveal;
		int bob_answer, alice_reveal, bob_finish;
	} rows[] = {
		{"no attacker", NONE, NONE, NONE, 0, 0, 0},
		{"OFFER: her commit under Alice's signature", COMMIT, NONE, NONE, -EBADMSG, NOT_REACHED, NOT_REACHED},
		{"OFFER: her device key under Alice's signature", KEY, NONE, NONE, -EBADMSG, NOT_REACHED, NOT_REACHED},
		{"OFFER: her own, Bob's ANSWER passed to Alice", OWN, NONE, NONE, 0, -EBADMSG, 0},
		{"ANSWER: her ephemeral key under Bob's signature", NONE, EPH, NONE, 0, -EBADMSG, NOT_REACHED},
		{"ANSWER: her device key under Bob's signature", NONE, KEY, NONE, 0, -EBADMSG, NOT_REACHED},
		{"ANSWER: her own, Alice's REVEAL passed to Bob", NONE, OWN, NONE, 0, 0, -EBADMSG},
		{"REVEAL: her ephemeral key under Alice's signature", NONE, NONE, EPH, 0, 0, -EBADMSG},
		{"REVEAL: her ephemeral key, signed by her", NONE, NONE, OWN, 0, 0, -EBADMSG},
		{"both sides her own: two handshakes", OWN, OWN, NONE, 0, 0, 0},
	};
	const uint64_t call = 0xca11;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		test_case("mitm: %s", rows[i].name);
		uint8_t ra[32], rb[32], rm1[32], rm2[32];
		rnd(ra, 0x90), rnd(rb, 0xa0), rnd(rm1, 0xb0), rnd(rm2, 0xc0);
		struct pl_e2e_state sa, sb, mc, me; /* Mallory as caller (to Bob) and callee (to Alice) */
		struct pl_e2e_offer o, o2, mo;
		struct pl_e2e_answer a, a2, ma;
		struct pl_e2e_reveal r, r2 = {0};
		struct pl_e2e_keys ka, kb, kmb, kma;
		int got_b1 = NOT_REACHED, got_a = NOT_REACHED, got_b2 = NOT_REACHED;
		int have_r2 = 0;

		CHECK_EQ(pl_e2e_offer(&o, &sa, alice.sk, call, ra), 0);
		/* Mallory's own offer to Bob, for her substitutions into Alice's */
		CHECK_EQ(pl_e2e_offer(&mo, &mc, mallory.sk, call, rm1), 0);
		o2 = o;
		if (rows[i].offer == COMMIT)
			memcpy(o2.commit, mo.commit, 32);
		if (rows[i].offer == KEY)
			memcpy(o2.caller_key, mallory.pk, 32);
		if (rows[i].offer == OWN)
			o2 = mo;
		got_b1 = pl_e2e_answer(&a, &sb, bob.sk, &o2, rb);
		if (got_b1 == 0) {
			/* Mallory's own answer to Alice, for her substitutions into Bob's */
			CHECK_EQ(pl_e2e_answer(&ma, &me, mallory.sk, &o, rm2), 0);
			a2 = a;
			if (rows[i].answer == EPH)
				memcpy(a2.eph, ma.eph, 32);
			if (rows[i].answer == KEY)
				memcpy(a2.callee_key, mallory.pk, 32);
			if (rows[i].answer == OWN)
				a2 = ma;
			if (rows[i].offer == OWN) { /* Mallory finishes her call with Bob */
				CHECK_EQ(pl_e2e_reveal(&r2, &mc, mallory.sk, &a, &kmb), 0);
				have_r2 = 1;
			}
			got_a = pl_e2e_reveal(&r, &sa, alice.sk, &a2, &ka);
			if (got_a == 0) {
				if (rows[i].answer == OWN) /* Mallory finishes her call with Alice */
					CHECK_EQ(pl_e2e_finish(&me, &r, &kma), 0);
				if (!have_r2) {
					r2 = r;
					if (rows[i].reveal == EPH)
						memcpy(r2.eph, ma.eph, 32);
					if (rows[i].reveal == OWN) {
						/* her key, signed by her over the transcript Bob has */
						uint8_t m[256], ephm[32];
						crypto_scalarmult_base(ephm, rm2);
						const uint8_t *f[] = {alice.pk, o.commit, bob.pk, a.eph, ephm};
						size_t n = hand_transcript(m, "parley call reveal v1", call, f, 5);
						memcpy(r2.eph, ephm, 32);
						crypto_sign_detached(r2.sig, NULL, m, n, mallory.sk);
					}
					have_r2 = 1;
				}
			}
			if (have_r2)
				got_b2 = pl_e2e_finish(&sb, &r2, &kb);
		}
		CHECK_EQ(got_b1, rows[i].bob_answer);
		CHECK_EQ(got_a, rows[i].alice_reveal);
		CHECK_EQ(got_b2, rows[i].bob_finish);
		if (got_a == 0)
			CHECK_MEM_EQ(ka.peer_key, rows[i].answer == OWN ? mallory.pk : bob.pk, 32);
		if (got_b2 == 0)
			CHECK_MEM_EQ(kb.peer_key, rows[i].offer == OWN ? mallory.pk : alice.pk, 32);
		if (got_a == 0 && got_b2 == 0) {
			int attacked = rows[i].offer != NONE || rows[i].answer != NONE;
			CHECK_EQ(strcmp(ka.sas, kb.sas) != 0, attacked);
			CHECK_EQ(memcmp(ka.tx, kb.rx, 32) != 0, attacked);
			if (attacked) { /* what Mallory holds is two separate calls */
				CHECK_STR_EQ(ka.sas, kma.sas);
				CHECK_STR_EQ(kb.sas, kmb.sas);
				CHECK_MEM_EQ(ka.tx, kma.rx, 32);
				CHECK_MEM_EQ(kb.rx, kmb.tx, 32);
			}
		}
	}
}

/*
 * The grinding attack the commit stops. Mallory, in the middle, has committed to her ephemeral
 * key in the OFFER she sent Bob; Alice's SAS is already fixed. Seeing Bob's ANSWER, she tries
 * 2^12 ephemeral keys for her REVEAL, each signed properly with her device key, looking for one
 * that gives Bob the SAS Alice reads. Without the commit some would come close (a quarter of a
 * million tries would match all 6 digits); with it Bob refuses every one but the committed key.
 */
static void test_grind(void)
{
	const uint64_t call = 0x6e1d;
	uint8_t ra[32], rb[32], rm1[32], rm2[32];
	rnd(ra, 0x15), rnd(rb, 0x25), rnd(rm1, 0x35), rnd(rm2, 0x45);
	struct pl_e2e_state sa, sb, mc, me, sb0;
	struct pl_e2e_offer o, mo;
	struct pl_e2e_answer a, ma;
	struct pl_e2e_reveal r, mr;
	struct pl_e2e_keys ka, kma, kb;

	CHECK_EQ(pl_e2e_offer(&o, &sa, alice.sk, call, ra), 0);
	CHECK_EQ(pl_e2e_offer(&mo, &mc, mallory.sk, call, rm1), 0);
	CHECK_EQ(pl_e2e_answer(&a, &sb, bob.sk, &mo, rb), 0);
	CHECK_EQ(pl_e2e_answer(&ma, &me, mallory.sk, &o, rm2), 0);
	CHECK_EQ(pl_e2e_reveal(&r, &sa, alice.sk, &ma, &ka), 0);
	CHECK_EQ(pl_e2e_finish(&me, &r, &kma), 0);
	sb0 = sb;

	test_case("grind: 2^12 REVEALs, each validly signed: the commit refuses all");
	unsigned accepted = 0, near = 0;
	for (uint32_t i = 0; i < 4096; i++) {
		uint8_t sk[32], eph[32], shared[32], m[256], c2s[32], s2c[32];
		char sas[PL_E2E_SAS_STR];
		memset(sk, 0, sizeof sk);
		put64(sk, 0x6772696e64000000ull | i);
		crypto_scalarmult_base(eph, sk);
		struct pl_e2e_reveal v = {.call_id = call};
		memcpy(v.eph, eph, 32);
		const uint8_t *f[] = {mallory.pk, mo.commit, bob.pk, a.eph, eph};
		size_t n = hand_transcript(m, "parley call reveal v1", call, f, 5);
		crypto_sign_detached(v.sig, NULL, m, n, mallory.sk);
		sb = sb0;
		accepted += pl_e2e_finish(&sb, &v, &kb) != -EBADMSG;
		/* What Bob would have read, had the commit not been checked. */
		CHECK_EQ(crypto_scalarmult(shared, sk, a.eph), 0);
		hand_keys(c2s, s2c, sas, shared, call, f);
		near += memcmp(sas, ka.sas, 2) == 0;
	}
	CHECK_EQ(accepted, 0);
	/* About 4096 / 100 share the first two digits: grinding works against the SAS alone. */
	CHECK(near > 10 && near < 100);

	test_case("grind: only the committed key finishes");
	sb = sb0;
	CHECK_EQ(pl_e2e_reveal(&mr, &mc, mallory.sk, &a, &kb), 0);
	struct pl_e2e_keys kb2;
	CHECK_EQ(pl_e2e_finish(&sb, &mr, &kb2), 0);
	CHECK(strcmp(kb2.sas, ka.sas) != 0);

	test_case("grind: Alice's side: once she has revealed, no second ANSWER is taken");
	struct pl_e2e_answer ma2;
	struct pl_e2e_state me2;
	uint8_t rm3[32];
	rnd(rm3, 0x55);
	CHECK_EQ(pl_e2e_answer(&ma2, &me2, mallory.sk, &o, rm3), 0);
	CHECK_EQ(pl_e2e_reveal(&r, &sa, alice.sk, &ma2, &ka), -EINVAL);
}

/* A peer that signs a low-order ephemeral key (one that makes the X25519 secret zero, whatever
 * ours is) gets its message refused, even though its signature and commit are good. */
static void test_low_order(void)
{
	/* u = 0 and u = 1 (orders 2 and 4), and a good key made the same way as a control */
	uint8_t low[3][32] = {{0}, {1}}, good_sk[32];
	rnd(good_sk, 0x38);
	crypto_scalarmult_base(low[2], good_sk);
	const int want[3] = {-EBADMSG, -EBADMSG, 0};
	const uint64_t call = 0x10;
	for (size_t i = 0; i < 3; i++) {
		uint8_t ra[32], rb[32], m[256], eph_b[32];
		rnd(ra, 0x18), rnd(rb, 0x28);
		struct pl_e2e_state a, b;
		struct pl_e2e_offer o;
		struct pl_e2e_answer an;
		struct pl_e2e_reveal rv;
		struct pl_e2e_keys k;

		test_case("low order: ANSWER with ephemeral %s, signed by Bob", i < 2 ? (i ? "u = 1" : "u = 0") : "good");
		CHECK_EQ(pl_e2e_offer(&o, &a, alice.sk, call, ra), 0);
		an.call_id = call;
		memcpy(an.callee_key, bob.pk, 32);
		memcpy(an.eph, low[i], 32);
		const uint8_t *fa[] = {alice.pk, o.commit, bob.pk, low[i]};
		size_t n = hand_transcript(m, "parley call answer v1", call, fa, 4);
		crypto_sign_detached(an.sig, NULL, m, n, bob.sk);
		CHECK_EQ(pl_e2e_reveal(&rv, &a, alice.sk, &an, &k), want[i]);
		CHECK_EQ(all_zero(&k, sizeof k), want[i] != 0);

		test_case("low order: REVEAL with ephemeral %s, committed and signed by Alice", i < 2 ? (i ? "u = 1" : "u = 0") : "good");
		o.call_id = call;
		memcpy(o.caller_key, alice.pk, 32);
		hand_commit(o.commit, call, alice.pk, low[i]);
		const uint8_t *fo[] = {alice.pk, o.commit};
		n = hand_transcript(m, "parley call offer v1", call, fo, 2);
		crypto_sign_detached(o.sig, NULL, m, n, alice.sk);
		CHECK_EQ(pl_e2e_answer(&an, &b, bob.sk, &o, rb), 0);
		memcpy(eph_b, an.eph, 32);
		rv.call_id = call;
		memcpy(rv.eph, low[i], 32);
		const uint8_t *fr[] = {alice.pk, o.commit, bob.pk, eph_b, low[i]};
		n = hand_transcript(m, "parley call reveal v1", call, fr, 5);
		crypto_sign_detached(rv.sig, NULL, m, n, alice.sk);
		CHECK_EQ(pl_e2e_finish(&b, &rv, &k), want[i]);
		CHECK_EQ(all_zero(&k, sizeof k), want[i] != 0);
	}
}

/* --- sender keys --- */

static void test_skey(void)
{
	uint8_t key[32], rk[32], blob[PL_E2E_SKEY_LEN], out[32];
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(0xe0 ^ i);
	rnd(rk, 0xd0);
	const uint64_t scope = 0x5c09e;
	const uint8_t kid = 3;

	test_case("skey: round trip");
	CHECK_EQ(pl_e2e_skey_seal(blob, alice.sk, bob.pk, scope, kid, key, rk), 0);
	CHECK_EQ(pl_e2e_skey_open(out, bob.sk, alice.pk, scope, kid, blob, sizeof blob), 0);
	CHECK_MEM_EQ(out, key, 32);

	test_case("skey: layout: a sealed box of sender key | media key, then the signature");
	uint8_t xpk[32], xsk[32], plain[64], m[256];
	CHECK_EQ(crypto_sign_ed25519_pk_to_curve25519(xpk, bob.pk), 0);
	CHECK_EQ(crypto_sign_ed25519_sk_to_curve25519(xsk, bob.sk), 0);
	CHECK_EQ(crypto_box_seal_open(plain, blob, PL_E2E_SKEY_SEALED_LEN, xpk, xsk), 0);
	CHECK_MEM_EQ(plain, alice.pk, 32);
	CHECK_MEM_EQ(plain + 32, key, 32);
	size_t n = strlen("parley sender key v1") + 1;
	memcpy(m, "parley sender key v1", n);
	put64(m + n, scope), n += 8;
	m[n++] = kid;
	memcpy(m + n, bob.pk, 32), n += 32;
	memcpy(m + n, blob, PL_E2E_SKEY_SEALED_LEN), n += PL_E2E_SKEY_SEALED_LEN;
	CHECK_EQ(n, 21 + 8 + 1 + 32 + 112);
	CHECK_EQ(crypto_sign_verify_detached(blob + PL_E2E_SKEY_SEALED_LEN, m, n, alice.pk), 0);

	test_case("skey: the same bytes in, the same bytes out; other random bytes, another box");
	uint8_t blob2[PL_E2E_SKEY_LEN], rk2[32];
	CHECK_EQ(pl_e2e_skey_seal(blob2, alice.sk, bob.pk, scope, kid, key, rk), 0);
	CHECK_MEM_EQ(blob2, blob, sizeof blob);
	rnd(rk2, 0xd1);
	CHECK_EQ(pl_e2e_skey_seal(blob2, alice.sk, bob.pk, scope, kid, key, rk2), 0);
	CHECK(memcmp(blob2, blob, PL_E2E_SKEY_SEALED_LEN) != 0);

	static const struct {
		const char *name;
		const struct dev *recipient, *sender;
		uint64_t scope;
		uint8_t kid;
		size_t len;
		int want;
	} rows[] = {
		{"the intended recipient", &bob, &alice, scope, kid, PL_E2E_SKEY_LEN, 0},
		{"another recipient", &carol, &alice, scope, kid, PL_E2E_SKEY_LEN, -EBADMSG},
		{"the sender itself", &alice, &alice, scope, kid, PL_E2E_SKEY_LEN, -EBADMSG},
		{"claimed from another sender", &bob, &mallory, scope, kid, PL_E2E_SKEY_LEN, -EBADMSG},
		{"another scope", &bob, &alice, scope + 1, kid, PL_E2E_SKEY_LEN, -EBADMSG},
		{"scope 0", &bob, &alice, 0, kid, PL_E2E_SKEY_LEN, -EBADMSG},
		{"another key id", &bob, &alice, scope, kid + 1, PL_E2E_SKEY_LEN, -EBADMSG},
		{"key id with the top bit", &bob, &alice, scope, kid | 0x80, PL_E2E_SKEY_LEN, -EBADMSG},
		{"one byte short", &bob, &alice, scope, kid, PL_E2E_SKEY_LEN - 1, -EBADMSG},
		{"no bytes", &bob, &alice, scope, kid, 0, -EBADMSG},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		test_case("skey: opened by %s", rows[i].name);
		memset(out, 0xff, sizeof out);
		CHECK_EQ(pl_e2e_skey_open(out, rows[i].recipient->sk, rows[i].sender->pk, rows[i].scope,
					  rows[i].kid, blob, rows[i].len), rows[i].want);
		if (rows[i].want)
			CHECK(all_zero(out, sizeof out));
	}
	test_case("skey: one byte more is refused");
	uint8_t longer[PL_E2E_SKEY_LEN + 1];
	memcpy(longer, blob, sizeof blob);
	longer[PL_E2E_SKEY_LEN] = 0;
	CHECK_EQ(pl_e2e_skey_open(out, bob.sk, alice.pk, scope, kid, longer, sizeof longer), -EBADMSG);

	test_case("skey: each of %d flipped bits is refused", 8 * PL_E2E_SKEY_LEN);
	unsigned accepted = 0;
	for (int bit = 0; bit < 8 * PL_E2E_SKEY_LEN; bit++) {
		blob[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		accepted += pl_e2e_skey_open(out, bob.sk, alice.pk, scope, kid, blob, sizeof blob) != -EBADMSG;
		blob[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	CHECK_EQ(accepted, 0);

	test_case("skey: Mallory signs Alice's box again as her own: the sender inside does not match");
	uint8_t forged[PL_E2E_SKEY_LEN];
	memcpy(forged, blob, sizeof blob);
	crypto_sign_detached(forged + PL_E2E_SKEY_SEALED_LEN, NULL, m, n, mallory.sk);
	CHECK_EQ(pl_e2e_skey_open(out, bob.sk, mallory.pk, scope, kid, forged, sizeof forged), -EBADMSG);
	test_case("skey: Mallory's own key, sealed to Bob, passed off as Alice's");
	CHECK_EQ(pl_e2e_skey_seal(forged, mallory.sk, bob.pk, scope, kid, key, rk), 0);
	CHECK_EQ(pl_e2e_skey_open(out, bob.sk, alice.pk, scope, kid, forged, sizeof forged), -EBADMSG);
	CHECK_EQ(pl_e2e_skey_open(out, bob.sk, mallory.pk, scope, kid, forged, sizeof forged), 0);
	test_case("skey: a box Alice sealed to Carol, signed by Alice for Bob, is refused");
	CHECK_EQ(pl_e2e_skey_seal(forged, alice.sk, carol.pk, scope, kid, key, rk), 0);
	memcpy(m + 30, bob.pk, 32);
	memcpy(m + 62, forged, PL_E2E_SKEY_SEALED_LEN);
	crypto_sign_detached(forged + PL_E2E_SKEY_SEALED_LEN, NULL, m, n, alice.sk);
	CHECK_EQ(pl_e2e_skey_open(out, bob.sk, alice.pk, scope, kid, forged, sizeof forged), -EBADMSG);

	test_case("skey: a recipient key that is no valid point is refused");
	uint8_t bad_pk[32] = {0};
	CHECK_EQ(pl_e2e_skey_seal(blob2, alice.sk, bad_pk, scope, kid, key, rk), -EINVAL);
	CHECK(all_zero(blob2, sizeof blob2));
}

/* A room's scope: its name, case folded as room names compare, behind a tag of its own. */
static void test_room_scope(void)
{
	test_case("room scope: case does not matter, the name does");
	CHECK(pl_e2e_room_scope("#Lobby") == pl_e2e_room_scope("#LOBBY"));
	CHECK(pl_e2e_room_scope("#Lobby") != pl_e2e_room_scope("#Lobby2"));
	CHECK(pl_e2e_room_scope("#a") != pl_e2e_room_scope("#b"));
	test_case("room scope: the known answer for #Lobby");
	crypto_generichash_state st;
	uint8_t h[8];
	crypto_generichash_init(&st, NULL, 0, sizeof h);
	crypto_generichash_update(&st, (const uint8_t *)"parley room v1\0#lobby", 21);
	crypto_generichash_final(&st, h, sizeof h);
	uint64_t want = 0;
	for (int i = 0; i < 8; i++)
		want = want << 8 | h[i];
	CHECK(pl_e2e_room_scope("#Lobby") == want);
	test_case("room scope: a room's key does not open for another room");
	uint8_t key[PL_E2E_KEY_LEN], rk[PL_E2E_RANDOM_LEN], blob[PL_E2E_SKEY_LEN], out[PL_E2E_KEY_LEN];
	memset(key, 0x42, sizeof key);
	memset(rk, 0x17, sizeof rk);
	CHECK_EQ(pl_e2e_skey_seal(blob, alice.sk, bob.pk, pl_e2e_room_scope("#tea"), 1, key, rk), 0);
	CHECK_EQ(pl_e2e_skey_open(out, bob.sk, alice.pk, pl_e2e_room_scope("#TEA"), 1, blob, sizeof blob), 0);
	CHECK_EQ(pl_e2e_skey_open(out, bob.sk, alice.pk, pl_e2e_room_scope("#coffee"), 1, blob, sizeof blob), -EBADMSG);
}

/* The keys a handshake agrees carry media one way and the other, and not across. */
static void test_keys_carry_media(void)
{
	struct run r;
	CHECK_EQ(handshake(&r, &alice, &bob, 11, 0x17, 0x27), 0);
	uint8_t hdr[16] = {2, 3}, frame[40], sealed[40 + PL_MEDIA_OVERHEAD], out[40];
	memset(frame, 0x5a, sizeof frame);
	test_case("keys: Alice's tx opens with Bob's rx, and the reverse");
	int n = pl_media_seal(sealed, sizeof sealed, r.ka.tx, 0, 1, hdr, sizeof hdr, frame, sizeof frame);
	CHECK_EQ(pl_media_open(out, sizeof out, r.kb.rx, hdr, sizeof hdr, sealed, (size_t)n, NULL, NULL), 40);
	CHECK_EQ(pl_media_open(out, sizeof out, r.kb.tx, hdr, sizeof hdr, sealed, (size_t)n, NULL, NULL), -EBADMSG);
	n = pl_media_seal(sealed, sizeof sealed, r.kb.tx, 0, 1, hdr, sizeof hdr, frame, sizeof frame);
	CHECK_EQ(pl_media_open(out, sizeof out, r.ka.rx, hdr, sizeof hdr, sealed, (size_t)n, NULL, NULL), 40);
	CHECK_EQ(pl_media_open(out, sizeof out, r.ka.tx, hdr, sizeof hdr, sealed, (size_t)n, NULL, NULL), -EBADMSG);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	dev_make(&alice, 0xa1);
	dev_make(&bob, 0xb0);
	dev_make(&carol, 0xc0);
	dev_make(&mallory, 0x66);
	test_handshake();
	test_layout();
	test_wire();
	test_bit_flips();
	test_replay();
	test_states();
	test_mitm();
	test_grind();
	test_low_order();
	test_skey();
	test_keys_carry_media();
	test_room_scope();
	return test_done();
}
