#include "core/ratelimit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
	struct entry *e;
};

#define PROBE 8 /* slots looked at per key */

int pl_limiter_alloc(struct pl_limiter **lp, unsigned slots, double rate, double burst)
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
	*lp = l;
	return 0;
}

void pl_limiter_free(struct pl_limiter *l)
{
	if (!l)
		return;
	free(l->e);
	free(l);
}

/* FNV-1a over the ASCII-folded key: "Alice" and "alice" share a bucket. */
static uint32_t hash(const char *k)
{
	uint32_t h = 2166136261u;
	for (; *k; k++) {
		unsigned char c = (unsigned char)*k;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		h = (h ^ c) * 16777619u;
	}
	return h;
}

/* The entry of key, or NULL when absent; with create, the entry made for it (evicting). */
static struct entry *find(struct pl_limiter *l, const char *key, bool create)
{
	uint32_t h = hash(key);
	struct entry *victim = NULL;
	for (unsigned i = 0; i < PROBE; i++) {
		struct entry *e = &l->e[(h + i) & l->mask];
		if (e->used && strcasecmp(e->key, key) == 0)
			return e;
		if (!victim || (victim->used && (!e->used || e->b.last_ms < victim->b.last_ms)))
			victim = e;
	}
	if (!create)
		return NULL;
	memset(victim, 0, sizeof *victim);
	victim->used = true;
	strncpy(victim->key, key, PL_LIMITER_KEY_MAX);
	return victim;
}

bool pl_limiter_allows(struct pl_limiter *l, const char *key, uint64_t now_ms)
{
	struct entry *e = find(l, key, false);
	return !e || pl_bucket_peek(&e->b, now_ms, l->rate, l->burst);
}

bool pl_limiter_take(struct pl_limiter *l, const char *key, uint64_t now_ms)
{
	struct entry *e = find(l, key, true);
	return pl_bucket_take(&e->b, now_ms, l->rate, l->burst);
}
