/*
 * Unit test for server/rdvpair: the relay table for rendezvous whose punching failed, on a clock
 * the test turns by hand. Each side's datagrams go to the other and nowhere else; strangers are
 * not routed; the budgets drop what is over them and refill with time; an idle pair is forgotten;
 * a new pair replaces one either address was in; a full table drops the pair idle longest; the
 * reply leaves from where the other side's datagrams arrive.
 */
#include "server/rdvpair.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "net/addr.h"
#include "test.h"

static struct sockaddr_in v4(const char *ip, uint16_t port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static struct pl_udp_local at(const char *ip)
{
	struct pl_udp_local l;
	memset(&l, 0, sizeof l);
	l.family = AF_INET;
	inet_pton(AF_INET, ip, &l.addr.v4);
	return l;
}

/* Routes a datagram of len bytes from f at now; returns route's result and where it went. */
static int route(struct pl_rdvpairs *p, const struct sockaddr_in *f, const struct pl_udp_local *loc, size_t len,
		 uint64_t now, struct sockaddr_in *to, const struct pl_udp_local **tl)
{
	const struct sockaddr *t = NULL;
	socklen_t tlen = 0;
	*tl = NULL;
	int k = pl_rdvpairs_route(p, (const struct sockaddr *)f, loc, len, now, &t, &tlen, tl);
	memset(to, 0, sizeof *to);
	if (k == 1 && tlen == sizeof *to)
		memcpy(to, t, sizeof *to);
	return k;
}

int main(void)
{
	struct pl_rdvpairs *p;
	uint8_t hk[PL_RDVPAIR_HASH_KEY] = {1, 2, 3};
	struct sockaddr_in a = v4("203.0.113.10", 40000), b = v4("203.0.113.20", 50000), c = v4("198.51.100.7", 4000),
			   to;
	struct pl_udp_local la = at("192.0.2.1"), lb = at("192.0.2.2");
	const struct pl_udp_local *tl;

	test_case("alloc");
	CHECK_EQ(pl_rdvpairs_alloc(&p, 0, hk, 10, 10, 1000, 1000), -EINVAL);
	CHECK_EQ(pl_rdvpairs_alloc(&p, 2, hk, 10, 5, 100000, 2000), 0);
	CHECK_EQ(pl_rdvpairs_count(p), 0);
	CHECK_EQ(route(p, &a, &la, 100, 0, &to, &tl), 0);

	test_case("add");
	CHECK_EQ(pl_rdvpairs_add(p, (struct sockaddr *)&a, (struct sockaddr *)&a, 0), -EINVAL);
	CHECK_EQ(pl_rdvpairs_add(p, (struct sockaddr *)&a, (struct sockaddr *)&b, 0), 0);
	CHECK_EQ(pl_rdvpairs_count(p), 1);

	test_case("each side to the other, from where the other's datagrams arrive");
	CHECK_EQ(route(p, &a, &la, 100, 1, &to, &tl), 1);
	CHECK(pl_addr_eq((struct sockaddr *)&to, (struct sockaddr *)&b));
	CHECK(tl && tl->addr.v4.s_addr == la.addr.v4.s_addr); /* b has sent nothing yet */
	CHECK_EQ(route(p, &b, &lb, 100, 2, &to, &tl), 1);
	CHECK(pl_addr_eq((struct sockaddr *)&to, (struct sockaddr *)&a));
	CHECK(tl && tl->addr.v4.s_addr == la.addr.v4.s_addr);
	CHECK_EQ(route(p, &a, &la, 100, 3, &to, &tl), 1);
	CHECK(tl && tl->addr.v4.s_addr == lb.addr.v4.s_addr);

	test_case("a stranger, or a side's address with another port, is not routed");
	CHECK_EQ(route(p, &c, &la, 100, 4, &to, &tl), 0);
	struct sockaddr_in a2 = v4("203.0.113.10", 40001);
	CHECK_EQ(route(p, &a2, &la, 100, 4, &to, &tl), 0);

	test_case("budgets: 5 datagrams at once (2 were sent), then 10 a second; bytes likewise");
	int ok = 0, dropped = 0;
	for (int i = 0; i < 10; i++) {
		int k = route(p, &a, &la, 10, 5, &to, &tl);
		ok += k == 1;
		dropped += k == -1;
	}
	CHECK_EQ(ok, 3);
	CHECK_EQ(dropped, 7);
	CHECK_EQ(route(p, &b, &lb, 10, 5, &to, &tl), 1); /* the other side has its own */
	CHECK_EQ(route(p, &a, &la, 10, 105, &to, &tl), 1); /* 100 ms: one more */
	CHECK_EQ(route(p, &a, &la, 10, 105, &to, &tl), -1);
	CHECK_EQ(route(p, &a, &la, 2001, 2000, &to, &tl), -1); /* larger than the byte burst */
	CHECK_EQ(route(p, &a, &la, 1500, 2000, &to, &tl), 1);

	test_case("idle: forgotten after PL_RDVPAIR_IDLE_MS with nothing through it");
	uint64_t last = 2000;
	CHECK_EQ(route(p, &b, &lb, 10, last + PL_RDVPAIR_IDLE_MS, &to, &tl), 1);
	last += PL_RDVPAIR_IDLE_MS;
	CHECK_EQ(route(p, &a, &la, 10, last + PL_RDVPAIR_IDLE_MS + 1, &to, &tl), 0);
	CHECK_EQ(pl_rdvpairs_count(p), 0);
	CHECK_EQ(route(p, &b, &lb, 10, last + PL_RDVPAIR_IDLE_MS + 2, &to, &tl), 0);

	test_case("a new pair replaces one either address was in");
	uint64_t t0 = 1000000;
	CHECK_EQ(pl_rdvpairs_add(p, (struct sockaddr *)&a, (struct sockaddr *)&b, t0), 0);
	CHECK_EQ(pl_rdvpairs_add(p, (struct sockaddr *)&c, (struct sockaddr *)&b, t0 + 1), 0);
	CHECK_EQ(pl_rdvpairs_count(p), 1);
	CHECK_EQ(route(p, &a, &la, 10, t0 + 2, &to, &tl), 0);
	CHECK_EQ(route(p, &b, &lb, 10, t0 + 2, &to, &tl), 1);
	CHECK(pl_addr_eq((struct sockaddr *)&to, (struct sockaddr *)&c));

	test_case("a full table drops the pair idle longest");
	struct sockaddr_in d = v4("198.51.100.8", 5000), e = v4("198.51.100.9", 6000), f = v4("198.51.100.10", 7000);
	CHECK_EQ(pl_rdvpairs_add(p, (struct sockaddr *)&a, (struct sockaddr *)&d, t0 + 3), 0);
	CHECK_EQ(pl_rdvpairs_count(p), 2);
	CHECK_EQ(route(p, &c, &la, 10, t0 + 10, &to, &tl), 1); /* c-b used lately; a-d idle since t0 + 3 */
	CHECK_EQ(pl_rdvpairs_add(p, (struct sockaddr *)&e, (struct sockaddr *)&f, t0 + 11), 0);
	CHECK_EQ(pl_rdvpairs_count(p), 2);
	CHECK_EQ(route(p, &a, &la, 10, t0 + 12, &to, &tl), 0);
	CHECK_EQ(route(p, &b, &lb, 10, t0 + 12, &to, &tl), 1);
	CHECK_EQ(route(p, &f, &lb, 10, t0 + 12, &to, &tl), 1);
	CHECK(pl_addr_eq((struct sockaddr *)&to, (struct sockaddr *)&e));

	test_case("IPv6");
	struct sockaddr_in6 x6, y6;
	memset(&x6, 0, sizeof x6);
	x6.sin6_family = AF_INET6;
	x6.sin6_port = htons(1000);
	inet_pton(AF_INET6, "2001:db8::1", &x6.sin6_addr);
	y6 = x6;
	y6.sin6_port = htons(2000);
	CHECK_EQ(pl_rdvpairs_add(p, (struct sockaddr *)&x6, (struct sockaddr *)&y6, t0 + 20), 0);
	const struct sockaddr *t6 = NULL;
	socklen_t l6 = 0;
	CHECK_EQ(pl_rdvpairs_route(p, (struct sockaddr *)&y6, &la, 10, t0 + 21, &t6, &l6, &tl), 1);
	CHECK(t6 && l6 == sizeof x6 && pl_addr_eq(t6, (struct sockaddr *)&x6));
	CHECK_EQ(pl_rdvpairs_add(p, (struct sockaddr *)&x6, (struct sockaddr *)&a, t0 + 22), -EINVAL);

	pl_rdvpairs_free(p);

	test_case("many pairs: each datagram finds its own pair's other side");
	CHECK_EQ(pl_rdvpairs_alloc(&p, 300, hk, 10, 5, 100000, 2000), 0);
	for (unsigned i = 0; i < 300; i++) {
		struct sockaddr_in x = v4("203.0.113.10", (uint16_t)(1000 + i)), y = v4("203.0.113.20", (uint16_t)(1000 + i));
		CHECK_EQ(pl_rdvpairs_add(p, (struct sockaddr *)&x, (struct sockaddr *)&y, 5), 0);
	}
	CHECK_EQ(pl_rdvpairs_count(p), 300);
	unsigned right = 0;
	for (unsigned i = 0; i < 300; i++) {
		struct sockaddr_in y = v4("203.0.113.20", (uint16_t)(1000 + i)), x = v4("203.0.113.10", (uint16_t)(1000 + i));
		right += route(p, &y, &lb, 10, 6, &to, &tl) == 1 && pl_addr_eq((struct sockaddr *)&to, (struct sockaddr *)&x);
	}
	CHECK_EQ(right, 300);
	struct sockaddr_in6 m6;
	memset(&m6, 0, sizeof m6);
	m6.sin6_family = AF_INET6;
	m6.sin6_port = htons(1007);
	inet_pton(AF_INET6, "::ffff:203.0.113.10", &m6.sin6_addr);
	const struct sockaddr *tm = NULL;
	socklen_t lm = 0;
	CHECK_EQ(pl_rdvpairs_route(p, (struct sockaddr *)&m6, &la, 10, 7, &tm, &lm, &tl), 1); /* IPv4-mapped: the same */
	pl_rdvpairs_free(p);
	return test_done();
}
