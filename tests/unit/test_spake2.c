/*
 * Unit tests for core/spake2: both sides agree on a key and each accepts the other's confirmation;
 * a wrong code gives different keys and both confirmations fail; a changed message (every bit of
 * pA and pB, in turn), a changed aad, an identity element and w*M itself are refused; out of order
 * calls are refused; and a known-answer vector from fixed randomness, computed once and pinned, so
 * a change to the derivation cannot pass unnoticed.
 */
#include "core/spake2.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "test.h"

#define CTX "parley rendezvous v1"
static const uint8_t ID_A[] = "parley rendezvous opener";
static const uint8_t ID_B[] = "parley rendezvous joiner";
static const uint8_t DEV_A[32] = {1, 2, 3}, DEV_B[32] = {4, 5, 6};

static void rnd(uint8_t out[PL_SPAKE2_RANDOM_LEN], uint8_t v)
{
	for (int i = 0; i < PL_SPAKE2_RANDOM_LEN; i++)
		out[i] = (uint8_t)(v + 3 * i);
}

static int start(struct pl_spake2 *s, enum pl_spake2_role role, const char *code, uint8_t v, uint8_t out[32])
{
	uint8_t r[PL_SPAKE2_RANDOM_LEN];
	rnd(r, v);
	return pl_spake2_start(s, role, CTX, code, ID_A, sizeof ID_A - 1, ID_B, sizeof ID_B - 1, r, out);
}

/* Runs a whole exchange; returns how many of the two confirmations were accepted, and the keys. */
static int run(const char *code_a, const char *code_b, uint8_t ka[32], uint8_t kb[32])
{
	struct pl_spake2 a, b;
	uint8_t pa[32], pb[32], ca[32], cb[32];
	if (!CHECK_EQ(start(&a, PL_SPAKE2_A, code_a, 1, pa), 0) || !CHECK_EQ(start(&b, PL_SPAKE2_B, code_b, 2, pb), 0))
		return -1;
	CHECK_EQ(pl_spake2_finish(&a, pb), 0);
	CHECK_EQ(pl_spake2_finish(&b, pa), 0);
	memcpy(ka, pl_spake2_key(&a), 32);
	memcpy(kb, pl_spake2_key(&b), 32);
	CHECK_EQ(pl_spake2_confirm(&a, DEV_A, 32, ca), 0);
	CHECK_EQ(pl_spake2_confirm(&b, DEV_B, 32, cb), 0);
	int ok = (pl_spake2_verify(&b, DEV_A, 32, ca) == 0) + (pl_spake2_verify(&a, DEV_B, 32, cb) == 0);
	pl_spake2_wipe(&a);
	pl_spake2_wipe(&b);
	return ok;
}

static void test_agree(void)
{
	test_case("same code");
	uint8_t ka[32], kb[32];
	CHECK_EQ(run("7-castle-river", "7-castle-river", ka, kb), 2);
	CHECK_MEM_EQ(ka, kb, 32);
	CHECK(!sodium_is_zero(ka, 32));
}

static void test_wrong_code(void)
{
	static const char *wrong[] = {"7-castle-rivet", "8-castle-river", "7-river-castle", "", "7-castle-river "};
	for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
		test_case("wrong code \"%s\"", wrong[i]);
		uint8_t ka[32], kb[32];
		CHECK_EQ(run("7-castle-river", wrong[i], ka, kb), 0);
		CHECK(memcmp(ka, kb, 32) != 0);
	}
}

/* Every single-bit change of either message: refused outright, or the confirmations fail. */
static void test_tamper(void)
{
	unsigned refused = 0, failed = 0;
	for (int who = 0; who < 2; who++) {
		for (int bit = 0; bit < 256; bit++) {
			test_case("flip bit %d of p%c", bit, who ? 'B' : 'A');
			struct pl_spake2 a, b;
			uint8_t pa[32], pb[32], ca[32], cb[32];
			start(&a, PL_SPAKE2_A, "3-apple-tiger", 9, pa);
			start(&b, PL_SPAKE2_B, "3-apple-tiger", 10, pb);
			uint8_t *p = who ? pb : pa;
			p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			int ra = pl_spake2_finish(&a, pb), rb = pl_spake2_finish(&b, pa);
			if (ra < 0 || rb < 0) {
				refused++;
				CHECK(ra == -EBADMSG || rb == -EBADMSG);
				continue;
			}
			pl_spake2_confirm(&a, DEV_A, 32, ca);
			pl_spake2_confirm(&b, DEV_B, 32, cb);
			CHECK(pl_spake2_verify(&b, DEV_A, 32, ca) == -EACCES);
			CHECK(pl_spake2_verify(&a, DEV_B, 32, cb) == -EACCES);
			CHECK(memcmp(pl_spake2_key(&a), pl_spake2_key(&b), 32) != 0);
			failed++;
		}
	}
	test_case("tamper counts");
	CHECK_EQ(refused + failed, 512);
	CHECK(refused > 0); /* most flips give no valid encoding at all */

	test_case("aad changed");
	struct pl_spake2 a, b;
	uint8_t pa[32], pb[32], ca[32], dev[32];
	start(&a, PL_SPAKE2_A, "3-apple-tiger", 9, pa);
	start(&b, PL_SPAKE2_B, "3-apple-tiger", 10, pb);
	CHECK_EQ(pl_spake2_finish(&a, pb), 0);
	CHECK_EQ(pl_spake2_finish(&b, pa), 0);
	pl_spake2_confirm(&a, DEV_A, 32, ca);
	CHECK_EQ(pl_spake2_verify(&b, DEV_A, 32, ca), 0);
	memcpy(dev, DEV_A, 32);
	dev[31] ^= 1;
	CHECK_EQ(pl_spake2_verify(&b, dev, 32, ca), -EACCES);
	ca[0] ^= 1;
	CHECK_EQ(pl_spake2_verify(&b, DEV_A, 32, ca), -EACCES);
	test_case("a reflected confirmation is not the peer's");
	uint8_t cb[32];
	pl_spake2_confirm(&b, DEV_A, 32, cb);
	CHECK_EQ(pl_spake2_verify(&b, DEV_A, 32, cb), -EACCES);
}

static void test_bad_elements(void)
{
	struct pl_spake2 a;
	uint8_t pa[32], zero[32] = {0};
	test_case("identity element");
	start(&a, PL_SPAKE2_A, "1-a-b", 1, pa);
	CHECK_EQ(pl_spake2_finish(&a, zero), -EBADMSG);
	test_case("state wiped after a failure");
	CHECK_EQ(pl_spake2_finish(&a, pa), -EPROTO);
	CHECK(pl_spake2_key(&a) == NULL);

	/* B's element chosen as w*N, so that pB - w*N is the identity: K would be the identity. */
	test_case("w*N as pB");
	struct pl_spake2 b;
	uint8_t pb[32], r[PL_SPAKE2_RANDOM_LEN] = {0};
	/* A zero secret: start refuses it (x*G would be the identity). */
	CHECK_EQ(pl_spake2_start(&b, PL_SPAKE2_B, CTX, "1-a-b", ID_A, 3, ID_B, 3, r, pb), -EDOM);
	start(&a, PL_SPAKE2_A, "1-a-b", 1, pa);
	/* w*N by hand, from the documented derivation. */
	uint8_t h[64], w[32], n[32], wn[32];
	crypto_hash_sha512_state st;
	crypto_hash_sha512_init(&st);
	uint8_t l[8] = {sizeof CTX - 1};
	crypto_hash_sha512_update(&st, l, 8);
	crypto_hash_sha512_update(&st, (const uint8_t *)CTX, sizeof CTX - 1);
	crypto_hash_sha512_update(&st, (const uint8_t *)"1-a-b", 5);
	crypto_hash_sha512_final(&st, h);
	crypto_core_ristretto255_scalar_reduce(w, h);
	crypto_hash_sha512(h, (const uint8_t *)"parley SPAKE2 N", 15);
	crypto_core_ristretto255_from_hash(n, h);
	CHECK_EQ(crypto_scalarmult_ristretto255(wn, w, n), 0);
	CHECK_EQ(pl_spake2_finish(&a, wn), -EBADMSG);

	test_case("a non-canonical encoding");
	uint8_t bad[32];
	memset(bad, 0xff, sizeof bad);
	start(&a, PL_SPAKE2_A, "1-a-b", 1, pa);
	CHECK_EQ(pl_spake2_finish(&a, bad), -EBADMSG);

	test_case("out of order");
	struct pl_spake2 fresh = {0};
	uint8_t mac[32];
	CHECK_EQ(pl_spake2_finish(&fresh, pa), -EPROTO);
	CHECK_EQ(pl_spake2_confirm(&fresh, NULL, 0, mac), -EPROTO);
	CHECK_EQ(pl_spake2_verify(&fresh, NULL, 0, mac), -EPROTO);

	test_case("limits");
	char longcode[PL_SPAKE2_CODE_MAX + 2];
	memset(longcode, 'a', sizeof longcode - 1);
	longcode[sizeof longcode - 1] = '\0';
	rnd(r, 1);
	CHECK_EQ(pl_spake2_start(&a, PL_SPAKE2_A, CTX, longcode, ID_A, 3, ID_B, 3, r, pa), -EINVAL);
	CHECK_EQ(pl_spake2_start(&a, PL_SPAKE2_A, CTX, "x", ID_A, PL_SPAKE2_ID_MAX + 1, ID_B, 3, r, pa), -EINVAL);
}

static void hex(char *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* Computed once from this implementation and pinned: pA, pB, Ke, cA over DEV_A. */
static void test_vector(void)
{
	test_case("known answer");
	struct pl_spake2 a, b;
	uint8_t pa[32], pb[32], ca[32];
	CHECK_EQ(start(&a, PL_SPAKE2_A, "7-castle-river", 1, pa), 0);
	CHECK_EQ(start(&b, PL_SPAKE2_B, "7-castle-river", 2, pb), 0);
	CHECK_EQ(pl_spake2_finish(&a, pb), 0);
	CHECK_EQ(pl_spake2_finish(&b, pa), 0);
	pl_spake2_confirm(&a, DEV_A, 32, ca);
	char s[65];
	hex(s, pa, 32);
	CHECK_STR_EQ(s, "549cccf764895566a592ab142075f810fd9dca59ff890360c688150dc38bf363");
	hex(s, pb, 32);
	CHECK_STR_EQ(s, "6e15ed82bfa1ca713e540c26c8accbd0851f1227c7961ecfec61ea7d65d0c360");
	hex(s, pl_spake2_key(&a), 32);
	CHECK_STR_EQ(s, "f11a86e4bd9c9e3fe966178611ecf626044667d925c4f2741ad54895c25030a6");
	hex(s, ca, 32);
	CHECK_STR_EQ(s, "c9e237c0ceb707da8be0a92acd9f802076b380af051314271adf94e526e2cc65");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_agree();
	test_wrong_code();
	test_tamper();
	test_bad_elements();
	test_vector();
	return test_done();
}
