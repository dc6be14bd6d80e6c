#include "server/rdvpair.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

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

struct pl_rdvpairs {
	struct pair *p;
	unsigned cap, n;
	unsigned packet_rate, packet_burst, byte_rate, byte_burst;
};

int pl_rdvpairs_alloc(struct pl_rdvpairs **pp, unsigned cap, unsigned packet_rate, unsigned packet_burst,
		      unsigned byte_rate, unsigned byte_burst)
{
	if (!cap || cap > (1u << 20))
		return -EINVAL;
	struct pl_rdvpairs *p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	p->p = calloc(cap, sizeof *p->p);
	if (!p->p) {
		free(p);
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
	memset(x, 0, sizeof *x);
	p->n--;
}

static bool set_end(struct pl_rdvpairs *p, struct end *e, const struct sockaddr *a, uint64_t now)
{
	if (a->sa_family != AF_INET && a->sa_family != AF_INET6)
		return false;
	memset(e, 0, sizeof *e);
	e->len = pl_sockaddr_len(a);
	memcpy(&e->addr, a, e->len);
	e->refill_ms = now;
	e->pkt_tokens = (uint64_t)p->packet_burst * UNIT;
	e->byte_tokens = (uint64_t)p->byte_burst * UNIT;
	return true;
}

int pl_rdvpairs_add(struct pl_rdvpairs *p, const struct sockaddr *a, const struct sockaddr *b, uint64_t now)
{
	if (a->sa_family != b->sa_family || pl_addr_eq(a, b))
		return -EINVAL;
	struct pair *slot = NULL, *oldest = NULL;
	for (unsigned i = 0; i < p->cap; i++) {
		struct pair *x = &p->p[i];
		if (!x->used) {
			if (!slot)
				slot = x;
			continue;
		}
		bool stale = now - x->seen_ms > PL_RDVPAIR_IDLE_MS;
		for (int k = 0; k < 2 && !stale; k++)
			stale = pl_addr_eq(&x->end[k].addr.sa, a) || pl_addr_eq(&x->end[k].addr.sa, b);
		if (stale) {
			drop_pair(p, x);
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
	struct pair x = {.used = true, .seen_ms = now};
	if (!set_end(p, &x.end[0], a, now) || !set_end(p, &x.end[1], b, now))
		return -EINVAL;
	*slot = x;
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
	for (unsigned i = 0; i < p->cap && p->n; i++) {
		struct pair *x = &p->p[i];
		if (!x->used)
			continue;
		for (int k = 0; k < 2; k++) {
			struct end *e = &x->end[k], *o = &x->end[!k];
			if (!pl_addr_eq(from, &e->addr.sa))
				continue;
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
			/* To the other side from where its own datagrams arrive; until one has, from where
			 * this one did (parleyd listening on one address: the same). */
			*tolocal = o->have_local ? &o->local : &e->local;
			return 1;
		}
	}
	return 0;
}
