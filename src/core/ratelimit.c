#include "core/ratelimit.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static void refill(struct pl_bucket *b, uint64_t now_ms, double rate, double burst)
{
	if (!b->primed) {
		b->tokens = burst;
		b->last_ms = now_ms;
		b->primed = true;
		return;
	}
	if (now_ms > b->last_ms) {
		b->tokens += (double)(now_ms - b->last_ms) * rate / 1000.0;
		if (b->tokens > burst)
			b->tokens = burst;
		b->last_ms = now_ms;
	}
}

bool pl_bucket_take(struct pl_bucket *b, uint64_t now_ms, double rate, double burst)
{
	refill(b, now_ms, rate, burst);
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}

bool pl_bucket_peek(struct pl_bucket *b, uint64_t now_ms, double rate, double burst)
{
	refill(b, now_ms, rate, burst);
	return b->tokens >= 1.0;
}

struct entry {
	char key[PL_LIMITER_KEY_MAX + 1];
	struct pl_bucket b;
	bool used;
};

struct pl_limiter {
	unsigned mask;
	double rate, burst;
	uint8_t hash_key[PL_LIMITER_HASH_KEY];
	struct entry *e;
};

#define PROBE 8 /* slots looked at per key */

int pl_limiter_alloc(struct pl_limiter **lp, unsigned slots, double rate, double burst,
		     const uint8_t hash_key[PL_LIMITER_HASH_KEY])
{
	unsigned n = 16;
	while (n < slots && n < (1u << 24))
		n <<= 1;
	struct pl_limiter *l = calloc(1, sizeof *l);
	if (!l || !(l->e = calloc(n, sizeof *l->e))) {
		free(l);
		return -ENOMEM;
	}
	l->mask = n - 1;
	l->rate = rate;
	l->burst = burst;
	memcpy(l->hash_key, hash_key, PL_LIMITER_HASH_KEY);
	*lp = l;
	return 0;
}

void pl_limiter_set(struct pl_limiter *l, double rate, double burst)
{
	l->rate = rate;
	l->burst = burst;
}

void pl_limiter_free(struct pl_limiter *l)
{
	if (!l)
		return;
	free(l->e);
	free(l);
}

/* The key as stored: ASCII case folded, cut at PL_LIMITER_KEY_MAX bytes, so that hashing,
 * comparing and storing all see the same bytes. */
static void fold(char out[PL_LIMITER_KEY_MAX + 1], const char *k)
{
	size_t i = 0;
	for (; k[i] && i < PL_LIMITER_KEY_MAX; i++)
		out[i] = (k[i] >= 'A' && k[i] <= 'Z') ? (char)(k[i] - 'A' + 'a') : k[i];
	out[i] = '\0';
}

static uint32_t hash(const struct pl_limiter *l, const char *folded)
{
	uint8_t h[crypto_shorthash_BYTES];
	crypto_shorthash(h, (const unsigned char *)folded, strlen(folded), l->hash_key);
	return (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
}

/* The entry of key, or NULL when absent; with create, the entry made for it. */
static struct entry *find(struct pl_limiter *l, const char *key, uint64_t now_ms, bool create)
{
	char k[PL_LIMITER_KEY_MAX + 1];
	fold(k, key);
	uint32_t h = hash(l, k);
	struct entry *victim = NULL;
	int victim_rank = 3; /* 0 unused, 1 refilled, 2 in use (then oldest first) */
	for (unsigned i = 0; i < PROBE; i++) {
		struct entry *e = &l->e[(h + i) & l->mask];
		if (e->used && strcmp(e->key, k) == 0)
			return e;
		/* Ranked on a copy: refilling in place would touch last_ms, the age we compare. */
		struct pl_bucket b = e->b;
		int rank = !e->used ? 0 : pl_bucket_peek(&b, now_ms, l->rate, l->burst) && b.tokens >= l->burst ? 1 : 2;
		if (rank < victim_rank || (rank == victim_rank && rank == 2 && e->b.last_ms < victim->b.last_ms)) {
			victim = e;
			victim_rank = rank;
		}
	}
	if (!create)
		return NULL;
	memset(victim, 0, sizeof *victim);
	victim->used = true;
	memcpy(victim->key, k, strlen(k) + 1);
	return victim;
}

bool pl_limiter_allows(struct pl_limiter *l, const char *key, uint64_t now_ms)
{
	struct entry *e = find(l, key, now_ms, false);
	return !e || pl_bucket_peek(&e->b, now_ms, l->rate, l->burst);
}

bool pl_limiter_take(struct pl_limiter *l, const char *key, uint64_t now_ms)
{
	struct entry *e = find(l, key, now_ms, true);
	return pl_bucket_take(&e->b, now_ms, l->rate, l->burst);
}

void pl_limiter_give(struct pl_limiter *l, const char *key, uint64_t now_ms)
{
	struct entry *e = find(l, key, now_ms, false);
	if (!e)
		return; /* forgotten: its bucket counts as full already */
	pl_bucket_peek(&e->b, now_ms, l->rate, l->burst); /* refill first, so the cap applies */
	e->b.tokens = e->b.tokens + 1.0 > l->burst ? l->burst : e->b.tokens + 1.0;
}
