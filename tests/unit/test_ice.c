/*
 * test_ice: core/ice.h on a fake clock and a simulated network. Two agents exchange their
 * signalling (through the codec), then every datagram they write crosses simulated NATs: none (a
 * public host address), full cone (endpoint-independent mapping and filtering), port-restricted
 * cone (endpoint-independent mapping, address-and-port-dependent filtering) and symmetric (a random
 * public port per destination, address-and-port-dependent filtering), as Linux's masquerade
 * variants behave in the NAT lab (tests/integration/natlab.py). A block drops everything between
 * the two. Checked: every ordered pair of NAT kinds but symmetric-symmetric nominates a working
 * pair (media sent on it arrives); restricted-symmetric gets through by birthday probing within a
 * few rounds over seeds, within the probe budget; a block sends both back to the relay within
 * about a second, lifting it brings them back to direct; at 5 % loss a path is still found at once
 * and consent never gives it up; IPv6 host pairs beside IPv4; answers are never larger than requests;
 * unauthenticated requests get nothing; the candidate codec and RFC 8445's priorities.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/ice.h"
#include "net/stun_mi.h"
#include "test.h"

/* --- a seeded random source --- */

static uint64_t xs_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void xs_fill(void *arg, void *buf, size_t len)
{
	uint8_t *p = buf;
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(xs_next(arg) >> 24);
}

static uint64_t no_clock(void *arg)
{
	(void)arg;
	return 0; /* the agent must not read the clock: time is passed in */
}

/* --- the simulated network --- */

enum nat_kind { NAT_NONE, NAT_FULL, NAT_RESTRICTED, NAT_SYMMETRIC };
static const char *kind_name[] = {"none", "full cone", "port-restricted", "symmetric"};

#define MAPS 1024
#define PERMITS 4096
#define INFLIGHT 4096
#define LATENCY_MS 10
#define BASE_PORT 5000
#define PROBE_SOCKS 256

struct map {
	uint16_t in_port;       /* the host's socket */
	struct pl_stun_addr dst; /* symmetric: the destination it is for */
	uint16_t ext;
};

struct permit {
	uint16_t ext;
	struct pl_stun_addr remote;
};

struct side {
	enum nat_kind kind;
	struct pl_stun_addr host, pub; /* pub: the NAT's outside address (port unused) */
	bool has6;
	struct pl_stun_addr host6; /* a global IPv6 address: no NAT, no filter */
	struct map maps[MAPS];
	unsigned nmaps;
	struct permit permits[PERMITS];
	unsigned npermits;
	struct pl_ice *ice;
	uint64_t seed;
	struct pl_env env;
	/* what the agent said */
	int64_t direct_at, relay_at;
	unsigned ndirect, nrelay, nsocks;
	struct pl_ice_event last;
	unsigned media_in; /* "media" datagrams that arrived */
	unsigned answers_too_big;
};

struct pkt {
	uint64_t at;
	int to; /* side index */
	uint16_t sock;
	struct pl_stun_addr from;
	size_t len;
	uint8_t buf[PL_ICE_DGRAM_MAX];
};

struct net {
	struct side s[2];
	struct pkt q[INFLIGHT];
	unsigned nq;
	bool blocked;
	unsigned loss_pct; /* random loss, each datagram */
	uint64_t rng;
	uint64_t now;
	unsigned dropped;
};

static struct pl_stun_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	struct pl_stun_addr x = {.family = 4, .port = port};
	x.ip[0] = a, x.ip[1] = b, x.ip[2] = c, x.ip[3] = d;
	return x;
}

static bool ip_eq(const struct pl_stun_addr *a, const struct pl_stun_addr *b)
{
	return a->family == b->family && memcmp(a->ip, b->ip, a->family == 6 ? 16 : 4) == 0;
}

static bool port_used(const struct side *s, uint16_t p)
{
	for (unsigned i = 0; i < s->nmaps; i++)
		if (s->maps[i].ext == p)
			return true;
	return false;
}

/* The NAT's outbound translation: the public source address for (socket, destination). */
static bool nat_out(struct net *n, struct side *s, uint16_t in_port, const struct pl_stun_addr *dst,
		    struct pl_stun_addr *src)
{
	if (s->kind == NAT_NONE) {
		*src = s->host;
		src->port = in_port;
		return true;
	}
	struct map *m = NULL;
	for (unsigned i = 0; i < s->nmaps && !m; i++)
		if (s->maps[i].in_port == in_port && (s->kind != NAT_SYMMETRIC || pl_ice_addr_eq(&s->maps[i].dst, dst)))
			m = &s->maps[i];
	if (!m) {
		if (s->nmaps == MAPS)
			return false;
		m = &s->maps[s->nmaps];
		m->in_port = in_port;
		m->dst = *dst;
		uint16_t ext = in_port; /* cones keep the port (Linux does where it is free) */
		if (s->kind == NAT_SYMMETRIC || port_used(s, ext))
			do
				ext = (uint16_t)(1024 + xs_next(&n->rng) % (65536 - 1024));
			while (port_used(s, ext));
		m->ext = ext;
		s->nmaps++;
	}
	if (s->kind != NAT_FULL && s->npermits < PERMITS) {
		bool have = false;
		for (unsigned i = 0; i < s->npermits && !have; i++)
			have = s->permits[i].ext == m->ext && pl_ice_addr_eq(&s->permits[i].remote, dst);
		if (!have)
			s->permits[s->npermits++] = (struct permit){m->ext, *dst};
	}
	*src = s->pub;
	src->port = m->ext;
	return true;
}

/* The NAT's inbound side: the host socket a datagram to dst from src reaches, or -1. */
static int nat_in(struct side *s, const struct pl_stun_addr *dst, const struct pl_stun_addr *src)
{
	if (s->kind == NAT_NONE)
		return ip_eq(dst, &s->host) ? dst->port - BASE_PORT : -1;
	if (!ip_eq(dst, &s->pub))
		return -1;
	for (unsigned i = 0; i < s->nmaps; i++) {
		struct map *m = &s->maps[i];
		if (m->ext != dst->port)
			continue;
		if (s->kind == NAT_FULL)
			return m->in_port - BASE_PORT;
		for (unsigned k = 0; k < s->npermits; k++)
			if (s->permits[k].ext == m->ext && pl_ice_addr_eq(&s->permits[k].remote, src))
				return m->in_port - BASE_PORT;
		return -1;
	}
	return -1;
}

static void send_dgram(struct net *n, int from, uint16_t sock, const struct pl_stun_addr *to, const uint8_t *buf,
		       size_t len)
{
	struct side *a = &n->s[from];
	struct pl_stun_addr src;
	int dest = -1, in = -1;
	if (to->family == 6) { /* IPv6: end to end */
		if (!a->has6)
			return;
		src = a->host6;
		src.port = (uint16_t)(BASE_PORT + sock);
		for (int k = 0; k < 2; k++)
			if (n->s[k].has6 && ip_eq(to, &n->s[k].host6))
				dest = k, in = to->port - BASE_PORT;
	} else {
		if (!nat_out(n, a, (uint16_t)(BASE_PORT + sock), to, &src))
			return;
		for (int k = 0; k < 2; k++)
			if (ip_eq(to, n->s[k].kind == NAT_NONE ? &n->s[k].host : &n->s[k].pub))
				dest = k;
	}
	if (dest < 0 || dest == from || n->blocked || n->nq == INFLIGHT || len > PL_ICE_DGRAM_MAX ||
	    (n->loss_pct && xs_next(&n->rng) % 100 < n->loss_pct)) {
		n->dropped++;
		return;
	}
	if (to->family == 4)
		in = nat_in(&n->s[dest], to, &src);
	if (in < 0 || in > PROBE_SOCKS) {
		n->dropped++;
		return;
	}
	struct pkt *p = &n->q[n->nq++];
	p->at = n->now + LATENCY_MS;
	p->to = dest;
	p->sock = (uint16_t)in;
	p->from = src;
	p->len = len;
	memcpy(p->buf, buf, len);
}

static const uint8_t key_ab[] = "call key, caller to callee";
static const uint8_t key_ba[] = "call key, callee to caller";

static void side_init(struct net *n, int i, enum nat_kind kind, uint64_t seed, bool controlling, unsigned budget)
{
	struct side *s = &n->s[i];
	memset(s, 0, sizeof *s);
	s->kind = kind;
	s->direct_at = s->relay_at = -1;
	s->host = kind == NAT_NONE ? v4(198, 51, 100, (uint8_t)(10 + i), BASE_PORT)
				   : v4(192, 168, (uint8_t)(10 + 10 * i), 2, BASE_PORT);
	s->pub = v4(203, 0, 113, (uint8_t)(10 + 10 * i), 0);
	s->seed = seed * 2 + (uint64_t)i + 1;
	s->env = (struct pl_env){.mono_ms = no_clock, .wall_ms = no_clock, .random = xs_fill, .arg = &s->seed};
	struct pl_ice_config cfg = {
		.controlling = controlling,
		.env = &s->env,
		.hmac = pl_stun_hmac_sha1,
		.key_local = i == 0 ? key_ba : key_ab, /* A verifies what B signs, and B what A signs */
		.key_local_len = sizeof key_ab,
		.key_remote = i == 0 ? key_ab : key_ba,
		.key_remote_len = sizeof key_ab,
		.symmetric = kind == NAT_SYMMETRIC,
		.probe_socks = PROBE_SOCKS,
		.probe_budget = budget,
	};
	CHECK(pl_ice_new(&s->ice, &cfg) == 0);
	struct pl_ice_cand host = {.type = PL_ICE_HOST, .foundation = 1, .addr = s->host};
	CHECK(pl_ice_add_local(s->ice, &host) == 0);
	if (kind != NAT_NONE) { /* what parleyd's STUN answer would say */
		struct pl_stun_addr stun = v4(203, 0, 113, 1, 3478), srflx;
		nat_out(n, s, BASE_PORT, &stun, &srflx);
		struct pl_ice_cand c = {.type = PL_ICE_SRFLX, .foundation = 2, .addr = srflx};
		CHECK(pl_ice_add_local(s->ice, &c) == 0);
	}
	struct pl_ice_cand relay = {.type = PL_ICE_RELAY, .foundation = 3, .addr = v4(203, 0, 113, 1, 40000)};
	CHECK(pl_ice_add_local(s->ice, &relay) == 0);
}

/* Signalling: each side's description through the codec to the other. */
static void exchange(struct net *n)
{
	for (int i = 0; i < 2; i++) {
		struct pl_ice_desc d, r;
		uint8_t buf[PL_ICE_DESC_MAX];
		pl_ice_local_desc(n->s[i].ice, &d);
		int len = pl_ice_desc_encode(&d, buf, sizeof buf);
		CHECK(len > 0);
		CHECK(len > 0 && pl_ice_desc_decode(&r, buf, (size_t)len) == 0);
		CHECK(pl_ice_set_remote(n->s[1 - i].ice, &r) == 0);
	}
	pl_ice_start(n->s[0].ice, n->now);
	pl_ice_start(n->s[1].ice, n->now);
}

static void pump(struct net *n, int i)
{
	struct side *s = &n->s[i];
	struct pl_ice_tx tx;
	while (pl_ice_pop_tx(s->ice, &tx))
		send_dgram(n, i, tx.sock, &tx.to, tx.buf, tx.len);
	struct pl_ice_event ev;
	while (pl_ice_pop_event(s->ice, &ev)) {
		s->last = ev;
		if (ev.kind == PL_ICE_EV_DIRECT) {
			s->ndirect++;
			s->direct_at = (int64_t)n->now;
		} else if (ev.kind == PL_ICE_EV_RELAY) {
			s->nrelay++;
			s->relay_at = (int64_t)n->now;
		} else if (ev.kind == PL_ICE_EV_OPEN_SOCKS) {
			s->nsocks = ev.nsocks;
		}
	}
}

static void run_until(struct net *n, uint64_t end)
{
	for (; n->now < end; n->now++) {
		for (int i = 0; i < 2; i++) {
			if (pl_ice_next_ms(n->s[i].ice) <= n->now)
				pl_ice_tick(n->s[i].ice, n->now);
			pump(n, i);
		}
		unsigned k = 0;
		for (unsigned j = 0; j < n->nq; j++) {
			struct pkt *p = &n->q[j];
			if (p->at > n->now) {
				n->q[k++] = *p;
				continue;
			}
			struct side *s = &n->s[p->to];
			if (p->len == 5 && memcmp(p->buf, "media", 5) == 0) {
				s->media_in++;
				continue;
			}
			int rc = pl_ice_input(s->ice, p->sock, &p->from, p->buf, p->len, n->now);
			CHECK(rc == 1 || rc == -ENOENT);
			pl_ice_tick(s->ice, n->now);
			pump(n, p->to);
		}
		n->nq = k;
	}
}

static void net_free(struct net *n)
{
	pl_ice_free(n->s[0].ice);
	pl_ice_free(n->s[1].ice);
}

/* Media on the nominated pair, each way: does it arrive? */
static bool media_flows(struct net *n)
{
	for (int i = 0; i < 2; i++)
		if (n->s[i].last.kind != PL_ICE_EV_DIRECT)
			return false;
	unsigned before[2] = {n->s[0].media_in, n->s[1].media_in};
	for (int i = 0; i < 2; i++)
		send_dgram(n, i, n->s[i].last.sock, &n->s[i].last.remote, (const uint8_t *)"media", 5);
	run_until(n, n->now + 3 * LATENCY_MS);
	return n->s[0].media_in == before[0] + 1 && n->s[1].media_in == before[1] + 1;
}

static struct net *net_new(enum nat_kind ka, enum nat_kind kb, uint64_t seed)
{
	struct net *n = calloc(1, sizeof *n);
	n->rng = seed * 7919 + 17;
	side_init(n, 0, ka, seed, true, 0);
	side_init(n, 1, kb, seed, false, 0);
	exchange(n);
	return n;
}

/* --- the tests --- */

static void test_priorities(void)
{
	test_case("RFC 8445 priorities");
	CHECK_EQ(pl_ice_priority(PL_ICE_HOST, 65535), 2130706431u); /* (126 << 24) + (65535 << 8) + 255 */
	CHECK_EQ(pl_ice_priority(PL_ICE_SRFLX, 65535), 1694498815u);
	CHECK_EQ(pl_ice_priority(PL_ICE_RELAY, 0), 255u);
	CHECK(pl_ice_priority(PL_ICE_PRFLX, 1) > pl_ice_priority(PL_ICE_SRFLX, 65535));
	uint64_t g = 2130706431u, d = 1694498815u;
	CHECK(pl_ice_pair_priority(g, d) == ((d << 32) + 2 * g + 1));
	CHECK(pl_ice_pair_priority(d, g) == ((d << 32) + 2 * g));
	CHECK(pl_ice_pair_priority(5, 5) == ((5ull << 32) + 10));
}

static void test_codec(void)
{
	struct pl_ice_desc d = {.ufrag = "abcD+/12", .flags = PL_ICE_F_SYMMETRIC, .n = 3}, r;
	d.c[0] = (struct pl_ice_cand){PL_ICE_HOST, pl_ice_priority(PL_ICE_HOST, 65534), 1, v4(192, 168, 1, 2, 5000)};
	d.c[1] = (struct pl_ice_cand){PL_ICE_SRFLX, pl_ice_priority(PL_ICE_SRFLX, 65534), 2, v4(203, 0, 113, 7, 41000)};
	d.c[2].type = PL_ICE_HOST;
	d.c[2].priority = pl_ice_priority(PL_ICE_HOST, 65535);
	d.c[2].foundation = 0xdeadbeef;
	d.c[2].addr.family = 6;
	d.c[2].addr.port = 5000;
	d.c[2].addr.ip[0] = 0x20, d.c[2].addr.ip[1] = 0x01, d.c[2].addr.ip[15] = 1;
	uint8_t buf[PL_ICE_DESC_MAX];
	test_case("codec: round trip");
	int n = pl_ice_desc_encode(&d, buf, sizeof buf);
	CHECK_EQ(n, 3 + 8 + 1 + (4 + 4 + 8) * 2 + (4 + 16 + 8));
	CHECK(pl_ice_desc_decode(&r, buf, (size_t)n) == 0);
	CHECK(strcmp(r.ufrag, d.ufrag) == 0 && r.flags == d.flags && r.n == 3);
	for (int i = 0; i < 3; i++)
		CHECK(r.c[i].type == d.c[i].type && r.c[i].priority == d.c[i].priority &&
		      r.c[i].foundation == d.c[i].foundation && pl_ice_addr_eq(&r.c[i].addr, &d.c[i].addr));
	test_case("codec: every truncation is refused");
	for (int len = 0; len < n; len++)
		CHECK(pl_ice_desc_decode(&r, buf, (size_t)len) == -EBADMSG);
	test_case("codec: a byte too many");
	buf[n] = 0;
	CHECK(pl_ice_desc_decode(&r, buf, (size_t)n + 1) == -EBADMSG);
	test_case("codec: too small a buffer");
	CHECK(pl_ice_desc_encode(&d, buf, (size_t)n - 1) == -EMSGSIZE);

	struct {
		const char *name;
		size_t off;
		uint8_t val;
	} bad[] = {
		{"version 2", 0, 2},
		{"an unknown flag", 1, 0x80},
		{"a ufrag of 3", 2, 3},
		{"a ufrag past the end", 2, 200},
		{"a ufrag with a space", 3, ' '},
		{"17 candidates", 11, 17},
		{"type 4", 12, 4},
		{"family 5", 13, 5},
		{"port 0", 14, 0}, /* with the next byte below */
		{"address 0.0.0.0", 16, 0},
		{"multicast", 16, 224},
		{"priority 0", 20, 0},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		test_case("codec refuses %s", bad[i].name);
		uint8_t b[PL_ICE_DESC_MAX];
		memcpy(b, buf, (size_t)n);
		b[bad[i].off] = bad[i].val;
		if (strcmp(bad[i].name, "port 0") == 0)
			b[15] = 0;
		if (strcmp(bad[i].name, "address 0.0.0.0") == 0)
			b[17] = b[18] = b[19] = 0;
		if (strcmp(bad[i].name, "priority 0") == 0)
			b[21] = b[22] = b[23] = 0;
		CHECK(pl_ice_desc_decode(&r, b, (size_t)n) == -EBADMSG);
	}
	test_case("codec: encode refuses what decode would");
	struct pl_ice_desc e = d;
	strcpy(e.ufrag, "a b c d");
	CHECK(pl_ice_desc_encode(&e, buf, sizeof buf) == -EINVAL);
	e = d;
	e.c[0].addr.port = 0;
	CHECK(pl_ice_desc_encode(&e, buf, sizeof buf) == -EINVAL);
	test_case("addresses");
	struct pl_stun_addr a = v4(10, 1, 2, 3, 1), b = v4(172, 20, 0, 1, 1), c = v4(8, 8, 8, 8, 1);
	CHECK(pl_ice_addr_private(&a) && pl_ice_addr_private(&b) && !pl_ice_addr_private(&c));
	struct pl_stun_addr bc = v4(255, 255, 255, 255, 9);
	CHECK(!pl_ice_addr_usable(&bc) && pl_ice_addr_usable(&c));
}

/* Every ordered pair of NAT kinds: direct wherever one side is not symmetric or both can punch. */
static void test_pairs(void)
{
	for (int ka = 0; ka < 4; ka++)
		for (int kb = 0; kb < 4; kb++) {
			test_case("A %s (controlling) / B %s", kind_name[ka], kind_name[kb]);
			bool symsym = ka == NAT_SYMMETRIC && kb == NAT_SYMMETRIC;
			bool bday = (ka == NAT_SYMMETRIC && kb == NAT_RESTRICTED) ||
				    (ka == NAT_RESTRICTED && kb == NAT_SYMMETRIC);
			if (bday)
				continue; /* test_birthday, over seeds */
			struct net *n = net_new(ka, kb, 1);
			run_until(n, 3000);
			if (symsym) {
				CHECK_EQ(n->s[0].ndirect + n->s[1].ndirect, 0);
				CHECK(pl_ice_path(n->s[0].ice) == PL_ICE_PATH_RELAY);
				CHECK_EQ(pl_ice_stats(n->s[0].ice)->probes_sent, 0);
				CHECK_EQ(pl_ice_stats(n->s[1].ice)->probes_sent, 0);
			} else {
				CHECK(n->s[0].ndirect >= 1 && n->s[1].ndirect >= 1);
				/* Checks paced at Ta, a nomination wait: well under a second of fake time. */
				CHECK(n->s[0].direct_at >= 0 && n->s[0].direct_at < 600);
				CHECK(n->s[1].direct_at >= 0 && n->s[1].direct_at < 600);
				CHECK(media_flows(n));
				enum pl_ice_path want = ka == NAT_NONE && kb == NAT_NONE ? PL_ICE_PATH_DIRECT
											 : PL_ICE_PATH_PUNCHED;
				if (kb == NAT_NONE)
					CHECK_EQ(n->s[0].last.path, PL_ICE_PATH_DIRECT);
				else
					CHECK_EQ(n->s[0].last.path, want);
				CHECK(n->s[0].last.rtt_ms >= 2 * LATENCY_MS && n->s[0].last.rtt_ms < 200);
				/* Still direct two seconds later: consent answered all along. */
				run_until(n, n->now + 2000);
				CHECK_EQ(n->s[0].nrelay + n->s[1].nrelay, 0);
				CHECK(pl_ice_path(n->s[0].ice) != PL_ICE_PATH_RELAY);
			}
			net_free(n);
			free(n);
		}
}

/* Port-restricted and symmetric: ordinary checks cannot get through; birthday probing does. */
static void test_birthday(void)
{
	for (int order = 0; order < 2; order++) {
		enum nat_kind ka = order ? NAT_SYMMETRIC : NAT_RESTRICTED, kb = order ? NAT_RESTRICTED : NAT_SYMMETRIC;
		unsigned through = 0, seeds = 10, first_round = 0;
		for (uint64_t seed = 1; seed <= seeds; seed++) {
			test_case("birthday: A %s / B %s, seed %llu", kind_name[ka], kind_name[kb],
				  (unsigned long long)seed);
			struct net *n = net_new(ka, kb, seed);
			/* Three rounds: each about a second of probing, 1.7 s for the last checks to fail,
			 * then PL_ICE_BDAY_RETRY_MS of waiting (it was 3 s, then 6 s). */
			uint64_t end = 3 * (1000 + 1700 + PL_ICE_BDAY_RETRY_MS) + 500;
			while (n->now < end && !(n->s[0].ndirect && n->s[1].ndirect))
				run_until(n, n->now + 100);
			int easy = ka == NAT_SYMMETRIC ? 1 : 0;
			const struct pl_ice_stats *se = pl_ice_stats(n->s[easy].ice);
			const struct pl_ice_stats *sh = pl_ice_stats(n->s[1 - easy].ice);
			CHECK(se->bday_rounds >= 1 && sh->bday_rounds >= 1);
			CHECK(se->probes_sent <= se->bday_rounds * PL_ICE_PROBE_BUDGET);
			CHECK(sh->hard_probes_sent <= sh->bday_rounds * 2 * PROBE_SOCKS);
			CHECK_EQ(sh->probes_sent, 0);
			CHECK_EQ(n->s[1 - easy].nsocks, PROBE_SOCKS);
			if (n->s[0].ndirect && n->s[1].ndirect) {
				through++;
				first_round += se->bday_rounds == 1;
				/* A round is about 1.1 s of probing; one that missed costs its checks' 1.7 s
				 * and PL_ICE_BDAY_RETRY_MS more (it cost 3 s, then 6 s, of waiting). */
				int64_t at = n->s[0].direct_at > n->s[1].direct_at ? n->s[0].direct_at : n->s[1].direct_at;
				CHECK(at <= 1100 + (int64_t)(se->bday_rounds - 1) * (1100 + 1700 + PL_ICE_BDAY_RETRY_MS));
				CHECK(media_flows(n));
				CHECK_EQ(n->s[0].last.path, PL_ICE_PATH_PUNCHED);
			}
			printf("birthday A %s / B %s seed %llu: %s after %u round(s) (%.1f s), %u probes, %u hard sends\n",
			       kind_name[ka], kind_name[kb], (unsigned long long)seed,
			       n->s[0].ndirect && n->s[1].ndirect ? "direct" : "relay", se->bday_rounds,
			       (double)(n->s[0].direct_at > n->s[1].direct_at ? n->s[0].direct_at : n->s[1].direct_at) / 1000.0,
			       se->probes_sent, sh->hard_probes_sent);
			net_free(n);
			free(n);
		}
		test_case("birthday: A %s / B %s over %u seeds", kind_name[ka], kind_name[kb], seeds);
		/* 1 - e^(-256*256/64512) = 64 % a round; within three rounds 95 %. */
		CHECK(through >= seeds - 2);
		CHECK(first_round >= 3);
	}
}

/* 5 % random loss: still direct within a second, and consent (five answers missed in a row) does
 * not give up a working path for 30 s. */
static void test_loss(void)
{
	for (uint64_t seed = 1; seed <= 3; seed++) {
		test_case("5 %% loss, seed %llu", (unsigned long long)seed);
		struct net *n = calloc(1, sizeof *n);
		n->rng = seed * 31;
		n->loss_pct = 5;
		side_init(n, 0, NAT_RESTRICTED, seed, true, 0);
		side_init(n, 1, NAT_RESTRICTED, seed, false, 0);
		exchange(n);
		run_until(n, 30000);
		for (int i = 0; i < 2; i++) {
			CHECK(n->s[i].ndirect >= 1 && n->s[i].direct_at >= 0 && n->s[i].direct_at < 1000);
			CHECK_EQ(n->s[i].nrelay, 0);
		}
		net_free(n);
		free(n);
	}
}

/* IPv4 behind NATs and global IPv6 on both sides: both families are checked, and the IPv6 host
 * pair (the higher priority: local preference 65535 against 65534) is the one nominated. */
static void test_ipv6(void)
{
	test_case("IPv6 beside IPv4");
	struct net *n = calloc(1, sizeof *n);
	n->rng = 11;
	side_init(n, 0, NAT_RESTRICTED, 11, true, 0);
	side_init(n, 1, NAT_SYMMETRIC, 11, false, 0);
	for (int i = 0; i < 2; i++) {
		struct side *s = &n->s[i];
		s->has6 = true;
		s->host6 = (struct pl_stun_addr){.family = 6, .port = BASE_PORT};
		s->host6.ip[0] = 0x20, s->host6.ip[1] = 0x01, s->host6.ip[2] = 0x0d, s->host6.ip[3] = 0xb8;
		s->host6.ip[5] = (uint8_t)(i + 1), s->host6.ip[15] = 2;
		struct pl_ice_cand c = {.type = PL_ICE_HOST, .foundation = 6, .addr = s->host6};
		CHECK(pl_ice_add_local(s->ice, &c) == 0);
	}
	exchange(n);
	run_until(n, 1000);
	for (int i = 0; i < 2; i++) {
		CHECK(n->s[i].ndirect >= 1 && n->s[i].last.kind == PL_ICE_EV_DIRECT);
		CHECK(n->s[i].last.remote.family == 6 && pl_ice_addr_eq(&n->s[i].last.remote, &n->s[1 - i].host6));
		CHECK_EQ(n->s[i].last.path, PL_ICE_PATH_DIRECT); /* a global address: no NAT on the way */
	}
	CHECK(media_flows(n));
	net_free(n);
	free(n);
}

/* A drop-all block: back to the relay within about a second; lifted: direct again by itself. */
static void test_block(void)
{
	test_case("block and unblock");
	struct net *n = net_new(NAT_RESTRICTED, NAT_FULL, 3);
	run_until(n, 1000);
	CHECK(n->s[0].ndirect == 1 && n->s[1].ndirect == 1);
	/* Consent answers keep coming: their age stays within an interval and a round trip. */
	CHECK(pl_ice_consent_age(n->s[0].ice, n->now) <= PL_ICE_CONSENT_INTERVAL_MS + 100);
	uint64_t t_block = n->now;
	n->blocked = true;
	run_until(n, t_block + 600);
	/* Cut off: the age climbs (a caller hedges on it) before the pair is given up. */
	CHECK(pl_ice_consent_age(n->s[0].ice, n->now) >= 600 - PL_ICE_CONSENT_INTERVAL_MS);
	CHECK_EQ(n->s[0].nrelay, 0);
	run_until(n, t_block + 2000);
	CHECK_EQ(pl_ice_consent_age(n->s[0].ice, n->now), 0); /* given up: nothing nominated */
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(n->s[i].nrelay, 1);
		CHECK(n->s[i].relay_at >= (int64_t)t_block + PL_ICE_CONSENT_TIMEOUT_MS - PL_ICE_CONSENT_INTERVAL_MS);
		CHECK(n->s[i].relay_at <= (int64_t)t_block + PL_ICE_CONSENT_TIMEOUT_MS + PL_ICE_CONSENT_INTERVAL_MS);
		CHECK(n->s[i].last.kind == PL_ICE_EV_RELAY && pl_ice_path(n->s[i].ice) == PL_ICE_PATH_RELAY);
	}
	/* Blocked for a while: retries fail, and cost only a bounded number of checks. */
	unsigned before = pl_ice_stats(n->s[0].ice)->checks_sent;
	run_until(n, n->now + 10000);
	CHECK_EQ(n->s[0].ndirect, 1);
	unsigned during = pl_ice_stats(n->s[0].ice)->checks_sent - before;
	CHECK(during <= 5 * PL_ICE_CHECK_TRIES * 10000 / PL_ICE_RETRY_MS);
	/* Blocked for ten minutes: the wait between rounds has doubled up to its cap. */
	before = pl_ice_stats(n->s[0].ice)->checks_sent;
	run_until(n, n->now + 600000);
	during = pl_ice_stats(n->s[0].ice)->checks_sent - before;
	CHECK(during <= 5 * PL_ICE_CHECK_TRIES * (600000 / PL_ICE_RETRY_MAX_MS + 1));
	CHECK(during >= 600000 / PL_ICE_RETRY_MAX_MS / 2); /* still trying */
	uint64_t t_unblock = n->now;
	n->blocked = false;
	run_until(n, n->now + PL_ICE_RETRY_MAX_MS + 2000);
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(n->s[i].ndirect, 2);
		CHECK(n->s[i].direct_at > (int64_t)t_unblock &&
		      n->s[i].direct_at <= (int64_t)t_unblock + PL_ICE_RETRY_MAX_MS + 1000);
	}
	/* Direct again, and a later fallback comes back as soon as the first did (the wait was reset). */
	n->blocked = true;
	run_until(n, n->now + 1500);
	CHECK_EQ(n->s[0].nrelay, 2);
	uint64_t t_relay = (uint64_t)n->s[0].relay_at;
	n->blocked = false;
	run_until(n, t_relay + PL_ICE_RETRY_MS + 1000);
	CHECK_EQ(n->s[0].ndirect, 3);
	CHECK(media_flows(n));
	net_free(n);
	free(n);
}

/* Blocked from the start: no direct path, no event, and the relay it stays. */
static void test_blocked_from_start(void)
{
	test_case("blocked from the start");
	struct net *n = calloc(1, sizeof *n);
	n->rng = 99;
	side_init(n, 0, NAT_FULL, 9, true, 0);
	side_init(n, 1, NAT_NONE, 9, false, 0);
	n->blocked = true;
	exchange(n);
	run_until(n, 5000);
	CHECK_EQ(n->s[0].ndirect + n->s[1].ndirect + n->s[0].nrelay + n->s[1].nrelay, 0);
	CHECK(pl_ice_path(n->s[0].ice) == PL_ICE_PATH_RELAY);
	CHECK(pl_ice_next_ms(n->s[0].ice) != UINT64_MAX); /* it will try again */
	net_free(n);
	free(n);
}

/* Both think they are controlling: the tie-breaker settles it, and the call still goes direct. */
static void test_role_conflict(void)
{
	test_case("role conflict");
	struct net *n = calloc(1, sizeof *n);
	n->rng = 5;
	side_init(n, 0, NAT_FULL, 4, true, 0);
	side_init(n, 1, NAT_FULL, 4, true, 0);
	exchange(n);
	run_until(n, 2000);
	CHECK(pl_ice_controlling(n->s[0].ice) != pl_ice_controlling(n->s[1].ice));
	CHECK(pl_ice_stats(n->s[0].ice)->role_conflicts + pl_ice_stats(n->s[1].ice)->role_conflicts >= 1);
	CHECK(n->s[0].ndirect >= 1 && n->s[1].ndirect >= 1);
	CHECK(media_flows(n));
	net_free(n);
	free(n);
}

/* What an agent answers: nothing to the unauthenticated, never more than it was sent. */
static void test_answers(void)
{
	struct net *n = net_new(NAT_NONE, NAT_NONE, 6);
	struct side *a = &n->s[0], *b = &n->s[1];
	struct pl_ice_tx tx, ans;
	test_case("a real check is answered, no larger than it");
	pl_ice_tick(a->ice, 0);
	CHECK(pl_ice_pop_tx(a->ice, &tx));
	struct pl_stun_addr from = a->host;
	CHECK_EQ(pl_ice_input(b->ice, 0, &from, tx.buf, tx.len, 1), 1);
	CHECK(pl_ice_pop_tx(b->ice, &ans));
	CHECK(ans.len <= tx.len && pl_ice_addr_eq(&ans.to, &from));
	struct pl_stun_msg m;
	CHECK(pl_stun_decode(&m, ans.buf, ans.len) == 0 && m.cls == PL_STUN_SUCCESS && m.has_xor_mapped &&
	      pl_ice_addr_eq(&m.xor_mapped, &from));
	while (pl_ice_pop_tx(b->ice, &ans))
		;
	test_case("a check under the wrong key gets nothing");
	uint8_t bad[PL_ICE_DGRAM_MAX];
	memcpy(bad, tx.buf, tx.len);
	bad[tx.len - 20] ^= 1; /* inside MESSAGE-INTEGRITY; FINGERPRINT redone below */
	struct pl_stun_msg bm;
	CHECK(pl_stun_decode(&bm, bad, tx.len) == -EBADMSG); /* the fingerprint no longer matches */
	uint32_t crc = pl_stun_crc32(0, bad, tx.len - 8) ^ PL_STUN_FINGERPRINT_XOR;
	bad[tx.len - 4] = (uint8_t)(crc >> 24), bad[tx.len - 3] = (uint8_t)(crc >> 16);
	bad[tx.len - 2] = (uint8_t)(crc >> 8), bad[tx.len - 1] = (uint8_t)crc;
	CHECK_EQ(pl_ice_input(b->ice, 0, &from, bad, tx.len, 2), -EACCES);
	CHECK(!pl_ice_pop_tx(b->ice, &ans));
	test_case("a check for another agent (USERNAME) gets nothing");
	struct net *o = net_new(NAT_NONE, NAT_NONE, 7);
	pl_ice_tick(o->s[0].ice, 0);
	CHECK(pl_ice_pop_tx(o->s[0].ice, &tx));
	CHECK_EQ(pl_ice_input(b->ice, 0, &from, tx.buf, tx.len, 3), -EACCES);
	CHECK(!pl_ice_pop_tx(b->ice, &ans));
	CHECK(pl_ice_stats(b->ice)->refused == 2);
	net_free(o);
	free(o);
	test_case("not STUN: media; STUN not ours; malformed");
	uint8_t voice[24] = {2, 0, 0, 1};
	CHECK_EQ(pl_ice_input(b->ice, 0, &from, voice, sizeof voice, 4), 0);
	uint8_t resp[PL_ICE_DGRAM_MAX];
	struct pl_stun_wr w;
	uint8_t tid[12] = "not-one-ours";
	pl_stun_wr_start(&w, resp, sizeof resp, pl_stun_type(PL_STUN_BINDING, PL_STUN_SUCCESS), tid);
	pl_stun_wr_addr(&w, PL_STUN_A_XOR_MAPPED_ADDRESS, &from);
	int rl = pl_stun_wr_finish(&w);
	CHECK(rl > 0 && pl_ice_input(b->ice, 0, &from, resp, (size_t)rl, 5) == -ENOENT);
	resp[3] = 4; /* a length that does not match */
	CHECK(pl_ice_input(b->ice, 0, &from, resp, (size_t)rl, 5) == -EBADMSG);
	test_case("a socket the agent never asked for");
	CHECK(pl_ice_input(b->ice, PROBE_SOCKS + 1, &from, tx.buf, tx.len, 6) == -ENOENT);
	net_free(n);
	free(n);
}

static void test_config(void)
{
	test_case("config checks");
	struct pl_ice *ice;
	uint64_t seed = 1;
	struct pl_env env = {.mono_ms = no_clock, .wall_ms = no_clock, .random = xs_fill, .arg = &seed};
	struct pl_ice_config cfg = {.env = &env, .hmac = pl_stun_hmac_sha1, .key_local = key_ab,
				    .key_local_len = sizeof key_ab, .key_remote = key_ba,
				    .key_remote_len = sizeof key_ba};
	struct pl_ice_config c = cfg;
	c.hmac = NULL;
	CHECK(pl_ice_new(&ice, &c) == -EINVAL);
	c = cfg;
	c.key_local_len = PL_ICE_KEY_MAX + 1;
	CHECK(pl_ice_new(&ice, &c) == -EINVAL);
	c = cfg;
	c.probe_socks = PL_ICE_PROBE_SOCKS_MAX + 1;
	CHECK(pl_ice_new(&ice, &c) == -EINVAL);
	CHECK(pl_ice_new(&ice, &cfg) == 0);
	struct pl_ice_cand prflx = {.type = PL_ICE_PRFLX, .addr = v4(1, 2, 3, 4, 5)};
	CHECK(pl_ice_add_local(ice, &prflx) == -EINVAL);
	struct pl_ice_cand zero = {.type = PL_ICE_HOST, .addr = v4(0, 0, 0, 0, 5)};
	CHECK(pl_ice_add_local(ice, &zero) == -EINVAL);
	struct pl_ice_cand h = {.type = PL_ICE_HOST, .addr = v4(10, 0, 0, 1, 5)};
	for (int i = 0; i < PL_ICE_MAX_CANDS; i++)
		CHECK(pl_ice_add_local(ice, &h) == 0);
	CHECK(pl_ice_add_local(ice, &h) == -ENOSPC);
	struct pl_ice_desc d;
	pl_ice_local_desc(ice, &d);
	CHECK(strlen(d.ufrag) == PL_ICE_UFRAG_LEN && d.n == PL_ICE_MAX_CANDS && d.c[0].priority != 0);
	CHECK(pl_ice_next_ms(ice) == UINT64_MAX); /* not started */
	pl_ice_free(ice);
}

/* Each side with a global IPv6 address beside its IPv4 one (no NAT on either). */
static struct net *net_dual(uint64_t seed)
{
	struct net *n = calloc(1, sizeof *n);
	n->rng = seed;
	side_init(n, 0, NAT_NONE, seed, true, 0);
	side_init(n, 1, NAT_NONE, seed, false, 0);
	for (int i = 0; i < 2; i++) {
		struct side *s = &n->s[i];
		s->has6 = true;
		s->host6 = (struct pl_stun_addr){.family = 6, .port = BASE_PORT};
		s->host6.ip[0] = 0xfd, s->host6.ip[1] = 0x99, s->host6.ip[15] = (uint8_t)(i + 2);
		struct pl_ice_cand c = {.type = PL_ICE_HOST, .foundation = 4, .addr = s->host6};
		CHECK(pl_ice_add_local(s->ice, &c) == 0);
	}
	exchange(n);
	return n;
}

/* Side i's description to the other side again, through the codec, as a trickled update. */
static int resend(struct net *n, int i)
{
	struct pl_ice_desc d, r;
	uint8_t buf[PL_ICE_DESC_MAX];
	pl_ice_local_desc(n->s[i].ice, &d);
	int len = pl_ice_desc_encode(&d, buf, sizeof buf);
	if (len <= 0 || pl_ice_desc_decode(&r, buf, (size_t)len) != 0)
		return -EBADMSG;
	return pl_ice_update_remote(n->s[1 - i].ice, &r, n->now);
}

/* An address goes during a call and another comes: the side it was on drops the path at once
 * (the caller saw its interfaces change), the peer too when the new description reaches it, and
 * both are direct again on the new address within a round of checks. */
static void test_regather(void)
{
	test_case("the nominated pair's address goes, another comes");
	struct net *n = net_dual(21);
	run_until(n, 1000);
	for (int i = 0; i < 2; i++)
		CHECK(n->s[i].ndirect == 1 && n->s[i].last.remote.family == 6); /* ULA over IPv4: IPv6 wins */
	CHECK(media_flows(n));
	struct side *a = &n->s[0], *b = &n->s[1];
	struct pl_stun_addr old = a->host6;
	a->host6.ip[15] = 9; /* the kernel now sends from the new one */
	CHECK_EQ(pl_ice_remove_local(a->ice, &old), 0);
	CHECK_EQ(pl_ice_remove_local(a->ice, &old), -ENOENT);
	struct pl_ice_cand c = {.type = PL_ICE_HOST, .foundation = 4, .addr = a->host6};
	CHECK(pl_ice_add_local(a->ice, &c) == 0);
	uint64_t t0 = n->now;
	pl_ice_locals_changed(a->ice, true, n->now);
	pump(n, 0);
	CHECK(a->nrelay == 1 && a->relay_at == (int64_t)t0 && a->last.kind == PL_ICE_EV_RELAY);
	run_until(n, t0 + LATENCY_MS); /* the description crosses the server */
	CHECK_EQ(resend(n, 0), 0);
	pump(n, 1);
	CHECK(b->nrelay == 1 && b->last.kind == PL_ICE_EV_RELAY); /* its path went with the address */
	run_until(n, t0 + 1000);
	for (int i = 0; i < 2; i++)
		CHECK(n->s[i].ndirect == 2 && n->s[i].direct_at < (int64_t)t0 + 500 && n->s[i].last.remote.family == 6);
	CHECK(pl_ice_addr_eq(&b->last.remote, &a->host6));
	CHECK(media_flows(n));
	/* The description again with nothing new: the path stays. */
	CHECK_EQ(resend(n, 0), 0);
	run_until(n, n->now + 1000);
	CHECK(b->nrelay == 1 && b->ndirect == 2);

	test_case("an address the path does not use goes");
	unsigned relays = a->nrelay;
	struct pl_stun_addr v4old = a->host;
	CHECK_EQ(pl_ice_remove_local(a->ice, &v4old), 0);
	pl_ice_locals_changed(a->ice, false, n->now);
	CHECK_EQ(resend(n, 0), 0);
	run_until(n, n->now + 3000);
	CHECK(a->nrelay == relays && b->nrelay == 1); /* IPv6 carries on */
	struct pl_ice_desc d;
	pl_ice_local_desc(a->ice, &d);
	bool named = false;
	for (unsigned i = 0; i < d.n; i++)
		named |= pl_ice_addr_eq(&d.c[i].addr, &v4old);
	CHECK(!named);
	CHECK(media_flows(n));

	test_case("an update under another ufrag, or before the first description");
	pl_ice_local_desc(a->ice, &d);
	d.ufrag[0] = d.ufrag[0] == 'x' ? 'y' : 'x';
	CHECK_EQ(pl_ice_update_remote(b->ice, &d, n->now), -EINVAL);
	struct net *m = calloc(1, sizeof *m);
	side_init(m, 0, NAT_NONE, 3, true, 0);
	side_init(m, 1, NAT_NONE, 3, false, 0);
	pl_ice_local_desc(m->s[0].ice, &d);
	CHECK_EQ(pl_ice_update_remote(m->s[1].ice, &d, 0), -EINVAL);
	net_free(m);
	free(m);
	net_free(n);
	free(n);
}

/* The peer's update drops one of its addresses that no pair is nominated on, and the last host
 * candidate of a family going takes that family's pairs with it. */
static void test_regather_family(void)
{
	test_case("the whole family the path used goes");
	struct net *n = net_dual(23);
	run_until(n, 1000);
	struct side *a = &n->s[0], *b = &n->s[1];
	CHECK(a->ndirect == 1 && a->last.remote.family == 6);
	struct pl_stun_addr old6 = b->host6;
	b->has6 = false; /* side 1's IPv6 is gone altogether */
	CHECK_EQ(pl_ice_remove_local(b->ice, &old6), 0);
	pl_ice_locals_changed(b->ice, true, n->now);
	CHECK_EQ(resend(n, 1), 0);
	pump(n, 0);
	pump(n, 1);
	CHECK(a->nrelay == 1 && b->nrelay == 1);
	run_until(n, n->now + 1000);
	for (int i = 0; i < 2; i++)
		CHECK(n->s[i].ndirect == 2 && n->s[i].last.remote.family == 4); /* IPv4 takes over */
	CHECK(media_flows(n));
	net_free(n);
	free(n);
}

/* The description of the new address comes late (paced by the client): the peer meets it in
 * checks first, as peer-reflexive, goes direct to it, and says the path's kind again when the
 * description names it. */
static void test_regather_late_desc(void)
{
	test_case("the new address met before its description");
	struct net *n = net_dual(25);
	run_until(n, 1000);
	struct side *a = &n->s[0], *b = &n->s[1];
	CHECK(b->ndirect == 1 && b->last.path == PL_ICE_PATH_LAN);
	struct pl_stun_addr old = a->host6;
	a->host6.ip[15] = 7;
	CHECK_EQ(pl_ice_remove_local(a->ice, &old), 0);
	struct pl_ice_cand c = {.type = PL_ICE_HOST, .foundation = 4, .addr = a->host6};
	CHECK(pl_ice_add_local(a->ice, &c) == 0);
	pl_ice_locals_changed(a->ice, true, n->now);
	run_until(n, n->now + 1000);
	CHECK(a->ndirect == 2 && b->ndirect == 2 && b->nrelay == 0); /* b moved straight over */
	CHECK(pl_ice_addr_eq(&b->last.remote, &a->host6) && b->last.path == PL_ICE_PATH_PUNCHED);
	CHECK(media_flows(n));
	CHECK_EQ(resend(n, 0), 0);
	pump(n, 1);
	CHECK(b->ndirect == 3 && b->last.path == PL_ICE_PATH_LAN && pl_ice_addr_eq(&b->last.remote, &a->host6));
	CHECK_EQ(b->nrelay, 0);
	net_free(n);
	free(n);
}

/* Which interface addresses make host candidates, and the difference of two sets of them. */
static void test_host_addrs(void)
{
	struct {
		const char *name;
		struct pl_stun_addr a;
		bool lo_only, want;
	} rows[] = {
		{"IPv4 private", v4(192, 168, 1, 2, 5000), false, true},
		{"IPv4 loopback, server elsewhere", v4(127, 0, 0, 1, 5000), false, false},
		{"IPv4 loopback, server on loopback", v4(127, 0, 0, 1, 5000), true, true},
		{"IPv4 private, server on loopback", v4(10, 0, 0, 1, 5000), true, false},
		{"IPv4 no port", v4(10, 0, 0, 1, 0), false, false},
		{"IPv6 global", {.family = 6, .port = 5000, .ip = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}}, false, true},
		{"IPv6 ULA", {.family = 6, .port = 5000, .ip = {0xfd, 0x12, [15] = 1}}, false, true},
		{"IPv6 link-local", {.family = 6, .port = 5000, .ip = {0xfe, 0x80, [15] = 1}}, false, false},
		{"IPv6 loopback, server on loopback", {.family = 6, .port = 5000, .ip = {[15] = 1}}, true, true},
		{"IPv6 loopback, server elsewhere", {.family = 6, .port = 5000, .ip = {[15] = 1}}, false, false},
		{"IPv6 v4-mapped", {.family = 6, .port = 5000, .ip = {[10] = 0xff, [11] = 0xff, 10, 0, 0, 1}}, false,
		 false},
		{"IPv6 multicast", {.family = 6, .port = 5000, .ip = {0xff, 0x02, [15] = 1}}, false, false},
		{"no family", {.family = 5, .port = 5000, .ip = {1}}, false, false},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		test_case("host candidate: %s", rows[i].name);
		CHECK_EQ(pl_ice_host_wanted(&rows[i].a, rows[i].lo_only), rows[i].want);
	}
	test_case("address sets");
	struct pl_stun_addr x = v4(10, 0, 0, 1, 5000), y = v4(10, 0, 0, 2, 5000), z = rows[6].a, y2 = y;
	y2.port = 5001;
	struct pl_stun_addr old[] = {x, y, z}, cur[] = {z, y2, x, y2}, rem[4], add[4];
	unsigned nr, na;
	CHECK(pl_ice_addrs_diff(old, 3, cur, 4, rem, &nr, add, &na));
	CHECK(nr == 1 && pl_ice_addr_eq(&rem[0], &y));
	CHECK(na == 1 && pl_ice_addr_eq(&add[0], &y2)); /* once, though listed twice */
	CHECK(!pl_ice_addrs_diff(old, 3, old, 3, rem, &nr, add, &na) && nr == 0 && na == 0);
	CHECK(pl_ice_addrs_diff(old, 3, NULL, 0, rem, &nr, add, &na) && nr == 3 && na == 0);
	CHECK(pl_ice_addrs_diff(NULL, 0, old, 2, rem, &nr, add, &na) && nr == 0 && na == 2);
}

int main(void)
{
	test_priorities();
	test_codec();
	test_config();
	test_answers();
	test_pairs();
	test_birthday();
	test_ipv6();
	test_loss();
	test_block();
	test_blocked_from_start();
	test_role_conflict();
	test_regather();
	test_regather_family();
	test_regather_late_desc();
	test_host_addrs();
	return test_done();
}
