/*
 * env: the effects of the outside world that parley's logic needs, passed in rather than called
 * directly, so a test can run the same logic on a fake clock with a seeded random source.
 */
#ifndef PL_ENV_H
#define PL_ENV_H

#include <stddef.h>
#include <stdint.h>

struct pl_env {
	uint64_t (*mono_ms)(void *arg); /* monotonic milliseconds */
	uint64_t (*wall_ms)(void *arg); /* milliseconds since the Unix epoch */
	void (*random)(void *arg, void *buf, size_t len);
	void *arg;
};

/* The real clock and libsodium's CSPRNG. */
const struct pl_env *pl_env_system(void);

static inline uint64_t pl_env_mono_ms(const struct pl_env *e) { return e->mono_ms(e->arg); }
static inline uint64_t pl_env_wall_ms(const struct pl_env *e) { return e->wall_ms(e->arg); }
static inline void pl_env_random(const struct pl_env *e, void *buf, size_t len) { e->random(e->arg, buf, len); }

#endif
