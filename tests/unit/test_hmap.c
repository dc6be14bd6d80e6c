/*
 * Unit tests for core/hmap: a table of operations checked step by step, then a long random run
 * checked against a plain array model (every get, put and delete, with deletions that must shift
 * entries back within and across the table's wrap-around), and the capacity bound.
 */
#include "core/hmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

static const uint8_t hash_key[PL_HMAP_HASH_KEY] = "0123456789abcdef";

enum op { PUT, GET, DEL };

static void test_table(void)
{
	static int vals[8];
	static const struct {
		enum op op;
		const char *key;
		int val; /* index into vals; -1: NULL */
		int want; /* put: return code; get/del: value index, -1 NULL */
	} t[] = {
		{GET, "alice", -1, -1},
		{PUT, "alice", 0, 0},
		{GET, "alice", -1, 0},
		{PUT, "alice", 1, 0},   /* replaces */
		{GET, "alice", -1, 1},
		{PUT, "bob", 2, 0},
		{PUT, "carol", 3, 0},
		{PUT, "dave", 4, 0},
		{PUT, "erin", 5, -ENOSPC}, /* max 4 */
		{GET, "erin", -1, -1},
		{DEL, "bob", -1, 2},
		{DEL, "bob", -1, -1},
		{GET, "bob", -1, -1},
		{GET, "carol", -1, 3},
		{PUT, "erin", 5, 0},    /* room again */
		{GET, "erin", -1, 5},
		{PUT, "", 6, -EINVAL},
		{PUT, "0123456789abcdef0123456789abcdefX", 6, -EINVAL}, /* 33 bytes */
		{PUT, "0123456789abcdef0123456789abcdef", 6, -ENOSPC},  /* 32 bytes: valid, but full */
	};
	struct pl_hmap *m;
	CHECK_EQ(pl_hmap_alloc(&m, 4, hash_key), 0);
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		test_case("step %zu: %s %s", i, t[i].op == PUT ? "put" : t[i].op == GET ? "get" : "del", t[i].key);
		size_t n = strlen(t[i].key);
		void *want = t[i].want < 0 ? NULL : &vals[t[i].want];
		if (t[i].op == PUT)
			CHECK_EQ(pl_hmap_put(m, t[i].key, n, &vals[t[i].val]), t[i].want);
		else if (t[i].op == GET)
			CHECK(pl_hmap_get(m, t[i].key, n) == want);
		else
			CHECK(pl_hmap_del(m, t[i].key, n) == want);
	}
	test_case("count");
	CHECK_EQ(pl_hmap_count(m), 4);
	pl_hmap_free(m);
}

/* Against a model: random ids put, got and deleted many times over a small table, so runs of
 * collisions form, wrap around the end and get broken up by deletions. */
static void test_model(void)
{
	enum { MAX = 50, KEYS = 120, STEPS = 200000 };
	static int vals[KEYS];
	void *model[KEYS] = {0};
	unsigned count = 0;
	struct pl_hmap *m;
	CHECK_EQ(pl_hmap_alloc(&m, MAX, hash_key), 0);
	uint64_t rng = 42;
	unsigned long bad = 0;
	for (int step = 0; step < STEPS; step++) {
		unsigned k = (unsigned)(test_rand(&rng) % KEYS), op = (unsigned)(test_rand(&rng) % 3);
		uint8_t key[PL_HMAP_KEY_MAX];
		size_t n = pl_hmap_key_u64(key, 0x1000000000ull * k + 7);
		bool ok = true;
		if (op == 0) {
			int rc = pl_hmap_put(m, key, n, &vals[k]);
			int want = model[k] || count < MAX ? 0 : -ENOSPC;
			ok = rc == want;
			if (rc == 0 && !model[k])
				count++;
			if (rc == 0)
				model[k] = &vals[k];
		} else if (op == 1) {
			ok = pl_hmap_get(m, key, n) == model[k];
		} else {
			ok = pl_hmap_del(m, key, n) == model[k];
			if (model[k])
				count--;
			model[k] = NULL;
		}
		if (!ok || pl_hmap_count(m) != count) {
			if (bad++ < 3) {
				test_case("model step %d op %u key %u", step, op, k);
				CHECK(ok);
				CHECK_EQ(pl_hmap_count(m), count);
			}
		}
	}
	/* Everything the model holds is found, everything else is not. */
	for (unsigned k = 0; k < KEYS; k++) {
		uint8_t key[PL_HMAP_KEY_MAX];
		size_t n = pl_hmap_key_u64(key, 0x1000000000ull * k + 7);
		if (pl_hmap_get(m, key, n) != model[k])
			bad++;
	}
	test_case("model: %d random steps", STEPS);
	CHECK_EQ(bad, 0);
	pl_hmap_free(m);
}

static void test_keys(void)
{
	uint8_t a[PL_HMAP_KEY_MAX], b[PL_HMAP_KEY_MAX];
	test_case("folded keys ignore ASCII case only");
	size_t na = pl_hmap_key_fold(a, "Alice"), nb = pl_hmap_key_fold(b, "aLICE");
	CHECK_EQ(na, 5);
	CHECK(na == nb && memcmp(a, b, na) == 0);
	nb = pl_hmap_key_fold(b, "\xc3\x89lise"); /* non-ASCII bytes stay as they are */
	CHECK_MEM_EQ(b, "\xc3\x89lise", nb);
	test_case("u64 keys are big-endian bytes");
	CHECK_EQ(pl_hmap_key_u64(a, 0x0102030405060708ull), 8);
	CHECK_MEM_EQ(a, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
}

int main(void)
{
	test_table();
	test_model();
	test_keys();
	return test_done();
}
