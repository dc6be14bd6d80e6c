/*
 * ratelimit: token buckets, as Mumble's messageburst/messagelimit: a burst of `burst` at once,
 * then `rate` per second. Time is passed in (milliseconds, any monotonic origin), so tests are
 * tables of (time, take) pairs.
 *
 * pl_limiter keeps one bucket per key (an account name, an IP address) in a fixed table that never
 * grows. Keys are placed with a keyed hash (SipHash, key chosen at random by the caller), so nobody
 * can compute keys that land beside a victim's; when a key's neighbourhood is full, a bucket that
 * has refilled is forgotten first (forgetting it changes nothing), then the one touched longest ago.
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

#define PL_LIMITER_HASH_KEY 16

/* slots: the table size (rounded up to a power of two, at least 16); hash_key: random bytes.
 * Keys compare without ASCII case and count only up to PL_LIMITER_KEY_MAX bytes. */
int pl_limiter_alloc(struct pl_limiter **lp, unsigned slots, double rate, double burst,
		     const uint8_t hash_key[PL_LIMITER_HASH_KEY]);
void pl_limiter_free(struct pl_limiter *l);
/* New rate and burst for every key (a config reload); buckets above the new burst are capped at
 * their next use. */
void pl_limiter_set(struct pl_limiter *l, double rate, double burst);
/* Whether key has a token left (without taking one). Unknown keys have a full bucket. */
bool pl_limiter_allows(struct pl_limiter *l, const char *key, uint64_t now_ms);
/* Takes a token from key's bucket (e.g. when a login is submitted); returns whether one was there. */
bool pl_limiter_take(struct pl_limiter *l, const char *key, uint64_t now_ms);
/* Gives back a token taken earlier (the login succeeded), up to the burst. */
void pl_limiter_give(struct pl_limiter *l, const char *key, uint64_t now_ms);

#endif
