/*
 * idgen: 64-bit ids for clients that are unpredictable and never repeat. Each id is a counter run
 * through a keyed permutation of the 64-bit space (a 4-round Feistel network with SipHash as its
 * round function): distinct counters give distinct ids by construction, so an id cannot come back
 * however many connections a server sees, and without the random key nobody can tell the next
 * id or the order of two ids. 0 is never given out.
 */
#ifndef PL_IDGEN_H
#define PL_IDGEN_H

#include <stdint.h>

#define PL_IDGEN_KEY 16

struct pl_idgen {
	uint64_t counter;
	uint8_t key[PL_IDGEN_KEY];
};

void pl_idgen_init(struct pl_idgen *g, const uint8_t key[PL_IDGEN_KEY]);
uint64_t pl_idgen_next(struct pl_idgen *g);
/* The permutation itself, for tests: a bijection of the 64-bit values under key. */
uint64_t pl_idgen_permute(const uint8_t key[PL_IDGEN_KEY], uint64_t x);

#endif
