/*
 * hmap: a fixed-capacity hash map from short byte keys (at most PL_HMAP_KEY_MAX bytes) to pointers,
 * made once and never grown, for the server's indexes: sessions by id, by nickname, connection
 * counts by address. Keys are placed with SipHash under a random key, so nobody can choose keys
 * that pile up in one place; collisions are resolved by linear probing and deletion shifts entries
 * back, so lookups never walk over tombstones. No allocation after pl_hmap_alloc.
 */
#ifndef PL_HMAP_H
#define PL_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PL_HMAP_KEY_MAX 32
#define PL_HMAP_HASH_KEY 16

struct pl_hmap;

/* Room for at least max entries (the table is a power of two at least twice that). */
int pl_hmap_alloc(struct pl_hmap **mp, unsigned max, const uint8_t hash_key[PL_HMAP_HASH_KEY]);
void pl_hmap_free(struct pl_hmap *m);
/* The value of key, or NULL. */
void *pl_hmap_get(const struct pl_hmap *m, const void *key, size_t klen);
/* Sets key's value (val not NULL). 0, -EINVAL for an empty or too long key, -ENOSPC when the map
 * holds max entries already. */
int pl_hmap_put(struct pl_hmap *m, const void *key, size_t klen, void *val);
/* Removes key; returns its value, or NULL when it was not there. */
void *pl_hmap_del(struct pl_hmap *m, const void *key, size_t klen);
unsigned pl_hmap_count(const struct pl_hmap *m);

/* Keys for the two common cases: a 64-bit id, and a nickname with ASCII case folded (nicknames
 * compare without case); each returns the key length. */
size_t pl_hmap_key_u64(uint8_t key[PL_HMAP_KEY_MAX], uint64_t v);
size_t pl_hmap_key_fold(uint8_t key[PL_HMAP_KEY_MAX], const char *s);

#endif
