/* Unit tests for core/ratelimit: token buckets on a passed-in clock, and the keyed limiter. */
#include "core/ratelimit.h"

#include <errno.h>
#include <stdlib.h>

#include "test.h"

enum { TAKE, PEEK };

struct step {
	uint64_t t_ms;
	int op;
	bool want;
};

struct bucket_case {
	const char *name;
	double rate, burst;
	struct step steps[16];
	int n;
};

static const struct bucket_case bucket_cases[] = {
	{"burst then empty", 2, 3,
	 {{0, TAKE, true}, {0, TAKE, true}, {0, TAKE, true}, {0, TAKE, false}, {0, PEEK, false}}, 5},
	{"refills at rate", 2, 3,
	 {{1000, TAKE, true}, {1000, TAKE, true}, {1000, TAKE, true}, {1400, TAKE, false},
	  {1501, TAKE, true}, {1501, TAKE, false}, {2002, PEEK, true}, {2002, TAKE, true},
	  {2002, TAKE, false}}, 9},
	{"peek does not take", 1, 1,
	 {{0, PEEK, true}, {0, PEEK, true}, {0, TAKE, true}, {0, PEEK, false}}, 4},
	{"refill stops at burst", 10, 2,
	 {{0, TAKE, true}, {0, TAKE, true}, {100000, TAKE, true}, {100000, TAKE, true},
	  {100000, TAKE, false}}, 5},
	{"rate 0 never refills", 0, 1,
	 {{0, TAKE, true}, {1000000, TAKE, false}, {UINT64_MAX / 2, TAKE, false}}, 3},
	{"a clock going back neither refills nor breaks", 1, 1,
	 {{10000, TAKE, true}, {5000, TAKE, false}, {9999, TAKE, false}, {10999, TAKE, false},
	  {11001, TAKE, true}}, 5},
	{"first use at any time starts full", 1, 2,
	 {{UINT64_MAX - 10, TAKE, true}, {UINT64_MAX - 10, TAKE, true},
	  {UINT64_MAX - 10, TAKE, false}}, 3},
	{"fractional rate", 0.5, 1,
	 {{0, TAKE, true}, {1999, TAKE, false}, {2001, TAKE, true}}, 3},
};

static void test_buckets(void)
{
	for (size_t i = 0; i < sizeof bucket_cases / sizeof bucket_cases[0]; i++) {
		const struct bucket_case *c = &bucket_cases[i];
		struct pl_bucket b = {0};
		for (int k = 0; k < c->n; k++) {
			const struct step *s = &c->steps[k];
			test_case("bucket %s: step %d", c->name, k);
			bool got = s->op == TAKE ? pl_bucket_take(&b, s->t_ms, c->rate, c->burst)
						 : pl_bucket_peek(&b, s->t_ms, c->rate, c->burst);
			CHECK_EQ(got, s->want);
		}
	}
}

static const uint8_t hash_key[PL_LIMITER_HASH_KEY] = "0123456789abcdef";

/* Keys longer than PL_LIMITER_KEY_MAX count by their first PL_LIMITER_KEY_MAX bytes: they are
 * still limited (they were once stored cut but looked up whole, and so never found). */
static void test_limiter_long_key(void)
{
	struct pl_limiter *l = NULL;
	test_case("limiter long key: alloc");
	if (!CHECK_EQ(pl_limiter_alloc(&l, 16, 0, 1, hash_key), 0))
		return;
	char key[PL_LIMITER_KEY_MAX + 20];
	memset(key, 'x', sizeof key - 1);
	key[sizeof key - 1] = '\0';
	test_case("limiter long key: limited");
	CHECK(pl_limiter_take(l, key, 0));
	CHECK(!pl_limiter_take(l, key, 0));
	CHECK(!pl_limiter_allows(l, key, 0));
	pl_limiter_free(l);
}

static void test_limiter(void)
{
	struct pl_limiter *l = NULL;
	test_case("limiter alloc");
	if (!CHECK_EQ(pl_limiter_alloc(&l, 100, 1, 2, hash_key), 0))
		return;

	test_case("limiter unknown key");
	CHECK(pl_limiter_allows(l, "alice", 0));
	CHECK(pl_limiter_allows(l, "alice", 0)); /* asking takes nothing */

	test_case("limiter per key");
	CHECK(pl_limiter_take(l, "alice", 0));
	CHECK(pl_limiter_allows(l, "alice", 0));
	CHECK(pl_limiter_take(l, "alice", 0));
	CHECK(!pl_limiter_allows(l, "alice", 0));
	CHECK(!pl_limiter_take(l, "alice", 0));
	CHECK(pl_limiter_allows(l, "bob", 0));
	CHECK(pl_limiter_allows(l, "192.0.2.1", 0));

	test_case("limiter folds ASCII case");
	CHECK(!pl_limiter_allows(l, "ALICE", 0));
	CHECK(!pl_limiter_allows(l, "Alice", 0));

	test_case("limiter refills");
	CHECK(!pl_limiter_allows(l, "alice", 999));
	CHECK(pl_limiter_allows(l, "alice", 1001));
	CHECK(pl_limiter_take(l, "alice", 1001));
	CHECK(!pl_limiter_take(l, "alice", 1001));

	/* Keys up to PL_LIMITER_KEY_MAX bytes are told apart by every byte. */
	char k1[PL_LIMITER_KEY_MAX + 1], k2[PL_LIMITER_KEY_MAX + 1];
	memset(k1, 'k', PL_LIMITER_KEY_MAX);
	k1[PL_LIMITER_KEY_MAX] = '\0';
	memcpy(k2, k1, sizeof k1);
	k2[PL_LIMITER_KEY_MAX - 1] = 'j';
	test_case("limiter key of %d bytes", PL_LIMITER_KEY_MAX);
	CHECK(pl_limiter_take(l, k1, 5000));
	CHECK(pl_limiter_take(l, k1, 5000));
	CHECK(!pl_limiter_take(l, k1, 5000));
	CHECK(pl_limiter_allows(l, k2, 5000));
	pl_limiter_free(l);

	test_case("limiter free NULL");
	pl_limiter_free(NULL);
}

/* A full table forgets old keys, never the one just used, and never grows. */
static void test_limiter_full(void)
{
	struct pl_limiter *l = NULL;
	test_case("limiter full: alloc");
	if (!CHECK_EQ(pl_limiter_alloc(&l, 16, 0, 1, hash_key), 0)) /* no refill: a used key stays empty */
		return;
	size_t bad = 0;
	char prev[32] = "";
	for (unsigned i = 0; i < 20000; i++) {
		char key[32];
		snprintf(key, sizeof key, "user%u", i);
		bool took = pl_limiter_take(l, key, i);
		/* A new key starts full; the key used just before is still empty. */
		bool ok = took && !pl_limiter_allows(l, key, i) && (!prev[0] || !pl_limiter_allows(l, prev, i));
		if (!ok && bad++ == 0) {
			test_case("limiter full: key %u", i);
			CHECK(ok);
		}
		memcpy(prev, key, sizeof key);
	}
	test_case("limiter full");
	CHECK_EQ(bad, 0);
	pl_limiter_free(l);
}

int main(void)
{
	test_buckets();
	test_limiter();
	test_limiter_full();
	test_limiter_long_key();
	return test_done();
}
