#include "core/env.h"

#include <sodium.h>
#include <time.h>

static uint64_t ms_of(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t sys_mono(void *arg) { return ms_of(CLOCK_MONOTONIC); }
static uint64_t sys_wall(void *arg) { return ms_of(CLOCK_REALTIME); }
static void sys_random(void *arg, void *buf, size_t len) { randombytes_buf(buf, len); }

static const struct pl_env sys_env = {sys_mono, sys_wall, sys_random, NULL};

const struct pl_env *pl_env_system(void)
{
	return &sys_env;
}
