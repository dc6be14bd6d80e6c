#include "core/hmap.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	void *val; /* NULL: empty */
	uint32_t hash;
	uint8_t klen;
	uint8_t key[PL_HMAP_KEY_MAX];
};

struct pl_hmap {
	unsigned mask, max, count;
	uint8_t hash_key[PL_HMAP_HASH_KEY];
	struct slot *s;
};

int pl_hmap_alloc(struct pl_hmap **mp, unsigned max, const uint8_t hash_key[PL_HMAP_HASH_KEY])
{
	if (max == 0 || max > (1u << 28))
		return -EINVAL;
	unsigned n = 16;
	while (n < 2 * max)
		n <<= 1;
	struct pl_hmap *m = calloc(1, sizeof *m);
	if (!m || !(m->s = calloc(n, sizeof *m->s))) {
		free(m);
		return -ENOMEM;
	}
	m->mask = n - 1;
	m->max = max;
	memcpy(m->hash_key, hash_key, PL_HMAP_HASH_KEY);
	*mp = m;
	return 0;
}

void pl_hmap_free(struct pl_hmap *m)
{
	if (!m)
		return;
	free(m->s);
	free(m);
}

static uint32_t hash(const struct pl_hmap *m, const void *key, size_t klen)
{
	uint8_t h[crypto_shorthash_BYTES];
	crypto_shorthash(h, key, klen, m->hash_key);
	return (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
}

/* The slot holding key, or the empty slot where it would go. */
static struct slot *find(const struct pl_hmap *m, const void *key, size_t klen, uint32_t h)
{
	for (unsigned i = h & m->mask;; i = (i + 1) & m->mask) {
		struct slot *x = &m->s[i];
		if (!x->val || (x->hash == h && x->klen == klen && memcmp(x->key, key, klen) == 0))
			return x;
	}
}

void *pl_hmap_get(const struct pl_hmap *m, const void *key, size_t klen)
{
	if (klen == 0 || klen > PL_HMAP_KEY_MAX)
		return NULL;
	return find(m, key, klen, hash(m, key, klen))->val;
}

int pl_hmap_put(struct pl_hmap *m, const void *key, size_t klen, void *val)
{
	if (klen == 0 || klen > PL_HMAP_KEY_MAX || !val)
		return -EINVAL;
	uint32_t h = hash(m, key, klen);
	struct slot *x = find(m, key, klen, h);
	if (!x->val) {
		if (m->count >= m->max)
			return -ENOSPC;
		m->count++;
		x->hash = h;
		x->klen = (uint8_t)klen;
		memcpy(x->key, key, klen);
	}
	x->val = val;
	return 0;
}

void *pl_hmap_del(struct pl_hmap *m, const void *key, size_t klen)
{
	if (klen == 0 || klen > PL_HMAP_KEY_MAX)
		return NULL;
	struct slot *x = find(m, key, klen, hash(m, key, klen));
	void *val = x->val;
	if (!val)
		return NULL;
	m->count--;
	/* Backward shift: move later entries of the run into the hole when their home slot allows,
	 * so every entry stays reachable from its home without tombstones. */
	unsigned hole = (unsigned)(x - m->s);
	for (unsigned j = (hole + 1) & m->mask; m->s[j].val; j = (j + 1) & m->mask) {
		unsigned home = m->s[j].hash & m->mask;
		/* j's entry may move to hole unless its home lies cyclically in (hole, j]. */
		bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
		if (!stays) {
			m->s[hole] = m->s[j];
			hole = j;
		}
	}
	memset(&m->s[hole], 0, sizeof m->s[hole]);
	return val;
}

unsigned pl_hmap_count(const struct pl_hmap *m) { return m->count; }

size_t pl_hmap_key_u64(uint8_t key[PL_HMAP_KEY_MAX], uint64_t v)
{
	for (int i = 0; i < 8; i++)
		key[i] = (uint8_t)(v >> (56 - 8 * i));
	return 8;
}

size_t pl_hmap_key_fold(uint8_t key[PL_HMAP_KEY_MAX], const char *s)
{
	size_t i = 0;
	for (; s[i] && i < PL_HMAP_KEY_MAX; i++)
		key[i] = (uint8_t)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] - 'A' + 'a' : s[i]);
	return i;
}
