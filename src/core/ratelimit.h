/*
 * ratelimit: token buckets, as Mumble's messageburst/messagelimit: a burst of `burst` at once,
 * then `rate` per second. Time is passed in (milliseconds, any monotonic origin), so tests are
 * tables of (time, take) pairs.
 *
 * pl_limiter keeps one bucket per key (an account name, an IP address) in a fixed table: it never
 * grows, and when full it forgets the key touched longest ago, which can only ever be generous
 * to an attacker who has already been quiet the longest.
 */
#ifndef PL_RATELIMIT_H
#define PL_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pl_bucket {
	double tokens;
	uint64_t last_ms;
	bool primed;
};

/* Takes one token if there is one (refilling first); returns whether it did. */
bool pl_bucket_take(struct pl_bucket *b, uint64_t now_ms, double rate, double burst);
/* Whether a token is there, without taking it. */
bool pl_bucket_peek(struct pl_bucket *b, uint64_t now_ms, double rate, double burst);

#define PL_LIMITER_KEY_MAX 63

struct pl_limiter;

/* slots: the table size (rounded up to a power of two, at least 16). */
int pl_limiter_alloc(struct pl_limiter **lp, unsigned slots, double rate, double burst);
void pl_limiter_free(struct pl_limiter *l);
/* Whether key has a token left (without taking one). Unknown keys have a full bucket. */
bool pl_limiter_allows(struct pl_limiter *l, const char *key, uint64_t now_ms);
/* Takes a token from key's bucket (e.g. after a failed login); returns whether one was there. */
bool pl_limiter_take(struct pl_limiter *l, const char *key, uint64_t now_ms);

#endif
