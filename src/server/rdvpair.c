#include "server/rdvpair.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "core/hmap.h"
#include "net/addr.h"

/* Token buckets in thousandths, so that a rate a second is a refill a ms (as relay.c counts). */
#define UNIT 1000u
#define REFILL_CAP_MS 10000000u

union sa_any {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

struct end {
	struct pair *pair;
	union sa_any addr;
	socklen_t len;
	bool have_local;           /* a datagram from it has come: local is where it arrived */
	struct pl_udp_local local;
	uint64_t refill_ms, pkt_tokens, byte_tokens;
};

struct pair {
	bool used;
	uint64_t seen_ms; /* the last datagram either side sent through it (or its start) */
	struct end end[2];
};

/* Pairs by either side's address: a lookup per datagram costs the same with one pair or many. */
#define KEY_LEN 18 /* the address as IPv6 (IPv4 mapped), then the port */
_Static_assert(PL_RDVPAIR_HASH_KEY == PL_HMAP_HASH_KEY, "the index's hash key");
_Static_assert(KEY_LEN <= PL_HMAP_KEY_MAX, "an address key");

struct pl_rdvpairs {
	struct pair *p;
	struct pl_hmap *index; /* address key -> struct end */
	unsigned cap, n;
	unsigned packet_rate, packet_burst, byte_rate, byte_burst;
};

static size_t addr_key(uint8_t key[PL_HMAP_KEY_MAX], const struct sockaddr *a)
{
	memset(key, 0, KEY_LEN);
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)a;
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &s->sin_addr, 4);
		memcpy(key + 16, &s->sin_port, 2);
	} else {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)a;
		memcpy(key, &s->sin6_addr, 16);
		memcpy(key + 16, &s->sin6_port, 2);
	}
	return KEY_LEN;
}

static struct end *find(const struct pl_rdvpairs *p, const struct sockaddr *a)
{
	uint8_t key[PL_HMAP_KEY_MAX];
	if (a->sa_family != AF_INET && a->sa_family != AF_INET6)
		return NULL;
	return pl_hmap_get(p->index, key, addr_key(key, a));
}

int pl_rdvpairs_alloc(struct pl_rdvpairs **pp, unsigned cap, const uint8_t hash_key[PL_RDVPAIR_HASH_KEY],
		      unsigned packet_rate, unsigned packet_burst, unsigned byte_rate, unsigned byte_burst)
{
	if (!cap || cap > (1u << 20))
		return -EINVAL;
	struct pl_rdvpairs *p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	p->p = calloc(cap, sizeof *p->p);
	if (!p->p || pl_hmap_alloc(&p->index, 2 * cap, hash_key) < 0) {
		pl_rdvpairs_free(p);
		return -ENOMEM;
	}
	p->cap = cap;
	pl_rdvpairs_set_budgets(p, packet_rate, packet_burst, byte_rate, byte_burst);
	*pp = p;
	return 0;
}

void pl_rdvpairs_free(struct pl_rdvpairs *p)
{
	if (!p)
		return;
	pl_hmap_free(p->index);
	free(p->p);
	free(p);
}

void pl_rdvpairs_set_budgets(struct pl_rdvpairs *p, unsigned packet_rate, unsigned packet_burst, unsigned byte_rate,
			     unsigned byte_burst)
{
	p->packet_rate = packet_rate;
	p->packet_burst = packet_burst;
	p->byte_rate = byte_rate;
	p->byte_burst = byte_burst;
}

unsigned pl_rdvpairs_count(const struct pl_rdvpairs *p)
{
	return p->n;
}

static void drop_pair(struct pl_rdvpairs *p, struct pair *x)
{
	uint8_t key[PL_HMAP_KEY_MAX];
	for (int k = 0; k < 2; k++)
		pl_hmap_del(p->index, key, addr_key(key, &x->end[k].addr.sa));
	memset(x, 0, sizeof *x);
	p->n--;
}

static void set_end(struct pl_rdvpairs *p, struct end *e, const struct sockaddr *a, uint64_t now)
{
	memset(e, 0, sizeof *e);
	e->len = pl_sockaddr_len(a);
	memcpy(&e->addr, a, e->len);
	e->refill_ms = now;
	e->pkt_tokens = (uint64_t)p->packet_burst * UNIT;
	e->byte_tokens = (uint64_t)p->byte_burst * UNIT;
}

int pl_rdvpairs_add(struct pl_rdvpairs *p, const struct sockaddr *a, const struct sockaddr *b, uint64_t now)
{
	if (a->sa_family != b->sa_family || (a->sa_family != AF_INET && a->sa_family != AF_INET6) || pl_addr_eq(a, b))
		return -EINVAL;
	/* A pair either address was in ends: an address is in one pair at most. */
	struct end *e;
	while ((e = find(p, a)) || (e = find(p, b)))
		drop_pair(p, e->pair);
	/* Rare (a rendezvous whose punching failed), so a walk is fine here: a free slot, forgetting
	 * idle pairs on the way, else the pair idle longest. */
	struct pair *slot = NULL, *oldest = NULL;
	for (unsigned i = 0; i < p->cap; i++) {
		struct pair *x = &p->p[i];
		if (x->used && now - x->seen_ms > PL_RDVPAIR_IDLE_MS)
			drop_pair(p, x);
		if (!x->used) {
			if (!slot)
				slot = x;
		} else if (!oldest || x->seen_ms < oldest->seen_ms) {
			oldest = x;
		}
	}
	if (!slot) {
		drop_pair(p, oldest); /* cap >= 1, so a full table has an oldest */
		slot = oldest;
	}
	memset(slot, 0, sizeof *slot);
	slot->used = true;
	slot->seen_ms = now;
	uint8_t key[PL_HMAP_KEY_MAX];
	for (int k = 0; k < 2; k++) {
		set_end(p, &slot->end[k], k ? b : a, now);
		slot->end[k].pair = slot;
		if (pl_hmap_put(p->index, key, addr_key(key, k ? b : a), &slot->end[k]) < 0) {
			/* Not reached: the index holds room for two keys a pair. */
			if (k)
				pl_hmap_del(p->index, key, addr_key(key, a));
			memset(slot, 0, sizeof *slot);
			return -ENOSPC;
		}
	}
	p->n++;
	return 0;
}

static uint64_t refilled(uint64_t tokens, uint64_t ms, unsigned rate, unsigned burst)
{
	uint64_t cap = (uint64_t)burst * UNIT;
	tokens += (ms > REFILL_CAP_MS ? REFILL_CAP_MS : ms) * rate;
	return tokens > cap ? cap : tokens;
}

static bool within_budget(struct pl_rdvpairs *p, struct end *e, size_t len, uint64_t now)
{
	if (now > e->refill_ms) {
		uint64_t ms = now - e->refill_ms;
		e->pkt_tokens = refilled(e->pkt_tokens, ms, p->packet_rate, p->packet_burst);
		e->byte_tokens = refilled(e->byte_tokens, ms, p->byte_rate, p->byte_burst);
		e->refill_ms = now;
	}
	uint64_t bytes = (uint64_t)len * UNIT;
	if (e->pkt_tokens < UNIT || e->byte_tokens < bytes)
		return false;
	e->pkt_tokens -= UNIT;
	e->byte_tokens -= bytes;
	return true;
}

int pl_rdvpairs_route(struct pl_rdvpairs *p, const struct sockaddr *from, const struct pl_udp_local *local,
		      size_t len, uint64_t now, const struct sockaddr **to, socklen_t *tolen,
		      const struct pl_udp_local **tolocal)
{
	struct end *e = p->n ? find(p, from) : NULL;
	if (!e)
		return 0;
	struct pair *x = e->pair;
	struct end *o = &x->end[e == &x->end[0]];
	if (now - x->seen_ms > PL_RDVPAIR_IDLE_MS) {
		drop_pair(p, x);
		return 0;
	}
	e->local = *local;
	e->have_local = true;
	if (!within_budget(p, e, len, now))
		return -1;
	x->seen_ms = now;
	*to = &o->addr.sa;
	*tolen = o->len;
	/* To the other side from where its own datagrams arrive; until one has, from where this one
	 * did (parleyd listening on one address: the same). */
	*tolocal = o->have_local ? &o->local : &e->local;
	return 1;
}
