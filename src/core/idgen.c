#include "core/idgen.h"

#include <sodium.h>
#include <string.h>

void pl_idgen_init(struct pl_idgen *g, const uint8_t key[PL_IDGEN_KEY])
{
	g->counter = 0;
	memcpy(g->key, key, PL_IDGEN_KEY);
}

static uint32_t round_fn(const uint8_t key[PL_IDGEN_KEY], unsigned round, uint32_t half)
{
	uint8_t in[5] = {(uint8_t)round, (uint8_t)(half >> 24), (uint8_t)(half >> 16), (uint8_t)(half >> 8), (uint8_t)half};
	uint8_t h[crypto_shorthash_BYTES];
	crypto_shorthash(h, in, sizeof in, key);
	return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

uint64_t pl_idgen_permute(const uint8_t key[PL_IDGEN_KEY], uint64_t x)
{
	uint32_t l = (uint32_t)(x >> 32), r = (uint32_t)x;
	for (unsigned i = 0; i < 4; i++) {
		uint32_t t = l ^ round_fn(key, i, r);
		l = r;
		r = t;
	}
	return (uint64_t)l << 32 | r;
}

uint64_t pl_idgen_next(struct pl_idgen *g)
{
	uint64_t id;
	do
		id = pl_idgen_permute(g->key, g->counter++);
	while (id == 0);
	return id;
}
