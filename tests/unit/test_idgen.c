/*
 * Unit tests for core/idgen: the permutation is a bijection (checked by inverting it with the
 * Feistel rounds run backwards, written here from the construction, not taken from idgen.c), ids
 * do not repeat over a long run, never include 0, differ between keys, and look unordered.
 */
#include "core/idgen.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

static uint32_t f(const uint8_t key[PL_IDGEN_KEY], unsigned round, uint32_t half)
{
	uint8_t in[5] = {(uint8_t)round, (uint8_t)(half >> 24), (uint8_t)(half >> 16), (uint8_t)(half >> 8), (uint8_t)half};
	uint8_t h[crypto_shorthash_BYTES];
	crypto_shorthash(h, in, sizeof in, key);
	return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

/* The four rounds undone: (l, r) before a round is (r' ^ f(l'), l') of the pair after it. */
static uint64_t inverse(const uint8_t key[PL_IDGEN_KEY], uint64_t y)
{
	uint32_t l = (uint32_t)(y >> 32), r = (uint32_t)y;
	for (int i = 3; i >= 0; i--) {
		uint32_t prev_r = l;
		uint32_t prev_l = r ^ f(key, (unsigned)i, prev_r);
		l = prev_l;
		r = prev_r;
	}
	return (uint64_t)l << 32 | r;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	uint8_t key[PL_IDGEN_KEY] = "parley-id-key-1", key2[PL_IDGEN_KEY] = "parley-id-key-2";

	test_case("the permutation inverts");
	uint64_t rng = 7;
	unsigned long bad = 0;
	for (int i = 0; i < 100000; i++) {
		uint64_t x = test_rand(&rng);
		if (inverse(key, pl_idgen_permute(key, x)) != x)
			bad++;
	}
	CHECK_EQ(bad, 0);

	enum { N = 1 << 20 };
	uint64_t *ids = malloc(N * sizeof *ids);
	struct pl_idgen g;
	pl_idgen_init(&g, key);
	unsigned zeros = 0, ascending = 0;
	for (int i = 0; i < N; i++) {
		ids[i] = pl_idgen_next(&g);
		zeros += ids[i] == 0;
		ascending += i > 0 && ids[i] > ids[i - 1];
	}
	test_case("2^20 ids: none repeats, none is 0");
	qsort(ids, N, sizeof *ids, cmp);
	unsigned dups = 0;
	for (int i = 1; i < N; i++)
		dups += ids[i] == ids[i - 1];
	CHECK_EQ(dups, 0);
	CHECK_EQ(zeros, 0);
	test_case("ids look unordered (about half rise): %u of %d", ascending, N - 1);
	CHECK(ascending > N / 2 - N / 50 && ascending < N / 2 + N / 50);
	free(ids);

	test_case("another key, other ids");
	struct pl_idgen g2;
	pl_idgen_init(&g, key);
	pl_idgen_init(&g2, key2);
	unsigned same = 0;
	for (int i = 0; i < 1000; i++)
		same += pl_idgen_next(&g) == pl_idgen_next(&g2);
	CHECK_EQ(same, 0);
	return test_done();
}
