/* Unit tests for server/stund: what parleyd's STUN service answers, how large, and its budgets, on
 * a clock the test sets. */
#include "server/stund.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>

#include "core/buf.h"
#include "core/env.h"
#include "test.h"

static const uint8_t tid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
static const uint8_t tid16[16] = {0xa0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static struct sockaddr_storage v4(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	inet_pton(AF_INET, ip, &s->sin_addr);
	return ss;
}

static struct sockaddr_storage v6(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
	s->sin6_family = AF_INET6;
	s->sin6_port = htons(port);
	inet_pton(AF_INET6, ip, &s->sin6_addr);
	return ss;
}

static void fake_random(void *arg, void *buf, size_t len) { memset(buf, 7, len); }
static uint64_t fake_ms(void *arg) { return 0; }
static const struct pl_env env = {fake_ms, fake_ms, fake_random, NULL};

/* A request: kind 0 plain, 1 with FINGERPRINT, 2 RFC 3489, 3 with PADDING and FINGERPRINT. */
static size_t request(uint8_t *b, size_t cap, int kind)
{
	struct pl_stun_wr w;
	uint16_t type = pl_stun_type(PL_STUN_BINDING, PL_STUN_REQUEST);
	if (kind == 2)
		pl_stun_wr_start_classic(&w, b, cap, type, tid16);
	else
		pl_stun_wr_start(&w, b, cap, type, tid);
	static const uint8_t zeros[400];
	if (kind == 3)
		pl_stun_wr_attr(&w, PL_STUN_A_PADDING, zeros, sizeof zeros);
	if (kind == 1 || kind == 3)
		pl_stun_wr_fingerprint(&w);
	return (size_t)pl_stun_wr_finish(&w);
}

struct answer_case {
	const char *name;
	int kind;
	bool ipv6, mapped_v4; /* source IPv6; an IPv4-mapped IPv6 source */
	size_t want_len;
};

static void test_answers(void)
{
	static const struct answer_case cases[] = {
		{"plain", 0, false, false, 32},
		{"fingerprint", 1, false, false, 40},
		{"RFC 3489", 2, false, false, 32},
		{"padding and fingerprint", 3, false, false, 40},
		{"plain from IPv6", 0, true, false, 44},
		{"fingerprint from IPv6", 1, true, false, 52},
		{"RFC 3489 from IPv6", 2, true, false, 44},
		{"plain from IPv4-mapped IPv6", 0, true, true, 32},
	};
	struct pl_stund_opts o = {100, 100, 1000, 1000};
	struct pl_stund *s;
	if (!CHECK_EQ(pl_stund_alloc(&s, 64, &o, &env), 0))
		return;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct answer_case *c = &cases[i];
		uint8_t req[600], out[PL_STUND_RESPONSE_MAX];
		test_case("answer %s", c->name);
		size_t len = request(req, sizeof req, c->kind);
		struct sockaddr_storage from = c->mapped_v4 ? v6("::ffff:192.0.2.7", 40000)
					       : c->ipv6    ? v6("2001:db8::7", 40000)
							    : v4("192.0.2.7", 40000);
		size_t n = pl_stund_answer(s, 0, req, len, (struct sockaddr *)&from, out, sizeof out);
		if (!CHECK_EQ(n, c->want_len))
			continue;
		size_t extra = c->ipv6 && !c->mapped_v4 ? PL_STUN_ADDR_ATTR_V6 : PL_STUN_ADDR_ATTR_V4;
		CHECK(n <= len + extra);
		struct pl_stun_msg m;
		if (!CHECK_EQ(pl_stun_decode(&m, out, n), 0))
			continue;
		CHECK_EQ(m.type, 0x0101);
		CHECK_EQ(m.classic, c->kind == 2);
		CHECK_MEM_EQ(m.tid, c->kind == 2 ? tid16 : tid, c->kind == 2 ? 16 : 12);
		CHECK_EQ(m.has_fingerprint, c->kind == 1 || c->kind == 3);
		CHECK(!m.software);
		const struct pl_stun_addr *a = c->kind == 2 ? &m.mapped : &m.xor_mapped;
		CHECK(c->kind == 2 ? m.has_mapped && !m.has_xor_mapped : m.has_xor_mapped && !m.has_mapped);
		CHECK_EQ(a->port, 40000);
		if (c->ipv6 && !c->mapped_v4) {
			CHECK_EQ(a->family, 6);
			CHECK(a->ip[0] == 0x20 && a->ip[1] == 0x01 && a->ip[15] == 7);
		} else {
			CHECK_EQ(a->family, 4);
			CHECK(a->ip[0] == 192 && a->ip[1] == 0 && a->ip[2] == 2 && a->ip[3] == 7);
		}
	}
	struct pl_stund_counters n;
	pl_stund_counters(s, &n);
	CHECK_EQ(n.answered, sizeof cases / sizeof cases[0]);
	pl_stund_free(s);
}

/* Each refusal reason, once. */
static void test_refusals(void)
{
	struct pl_stund_opts o = {100, 100, 1000, 1000};
	struct pl_stund *s;
	if (!CHECK_EQ(pl_stund_alloc(&s, 64, &o, &env), 0))
		return;
	struct sockaddr_storage from = v4("198.51.100.1", 5000);
	uint8_t b[200], out[PL_STUND_RESPONSE_MAX];
	struct pl_stun_wr w;
	struct {
		const char *name;
		uint16_t type;
		uint16_t attr;
		uint32_t val;
		enum pl_stund_refusal why;
	} cases[] = {
		{"indication", pl_stun_type(PL_STUN_BINDING, PL_STUN_INDICATION), 0, 0, PL_STUND_NOT_REQUEST},
		{"success response", pl_stun_type(PL_STUN_BINDING, PL_STUN_SUCCESS), 0, 0, PL_STUND_NOT_REQUEST},
		{"error response", pl_stun_type(PL_STUN_BINDING, PL_STUN_ERROR), 0, 0, PL_STUND_NOT_REQUEST},
		{"Allocate", pl_stun_type(0x003, PL_STUN_REQUEST), 0, 0, PL_STUND_NOT_REQUEST},
		{"unknown required attribute", 0x0001, 0x7abc, 0, PL_STUND_UNKNOWN},
		{"RESPONSE-PORT", 0x0001, PL_STUN_A_RESPONSE_PORT, 0x12340000, PL_STUND_ELSEWHERE},
		{"CHANGE-REQUEST port", 0x0001, PL_STUN_A_CHANGE_REQUEST, 2, PL_STUND_ELSEWHERE},
		{"CHANGE-REQUEST address", 0x0001, PL_STUN_A_CHANGE_REQUEST, 4, PL_STUND_ELSEWHERE},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		test_case("refuse %s", cases[i].name);
		pl_stun_wr_start(&w, b, sizeof b, cases[i].type, tid);
		if (cases[i].attr) {
			uint8_t v[4];
			pl_put_be32(v, cases[i].val);
			pl_stun_wr_attr(&w, cases[i].attr, v, 4);
		}
		int len = pl_stun_wr_finish(&w);
		struct pl_stund_counters before, after;
		pl_stund_counters(s, &before);
		CHECK_EQ(pl_stund_answer(s, 0, b, (size_t)len, (struct sockaddr *)&from, out, sizeof out), 0);
		pl_stund_counters(s, &after);
		CHECK_EQ(after.refused[cases[i].why], before.refused[cases[i].why] + 1);
	}
	test_case("refuse malformed");
	size_t len = request(b, sizeof b, 1);
	b[len - 1] ^= 1; /* the fingerprint */
	CHECK_EQ(pl_stund_answer(s, 0, b, len, (struct sockaddr *)&from, out, sizeof out), 0);
	b[0] = 2; /* a voice packet's first byte */
	CHECK_EQ(pl_stund_answer(s, 0, b, len, (struct sockaddr *)&from, out, sizeof out), 0);
	CHECK_EQ(pl_stund_answer(s, 0, b, 0, (struct sockaddr *)&from, out, sizeof out), 0);
	struct pl_stund_counters n;
	pl_stund_counters(s, &n);
	CHECK_EQ(n.refused[PL_STUND_MALFORMED], 3);
	CHECK_EQ(n.answered, 0);
	CHECK_STR_EQ(pl_stund_refusal_label(PL_STUND_SOURCE_RATE), "source_rate");
	pl_stund_free(s);
}

/* Budgets on the test's clock: a source gets its burst, then its rate; another source is not
 * held by it; the global bucket holds everyone; a new rate applies. */
static void test_budgets(void)
{
	struct pl_stund_opts o = {2, 5, 10, 10};
	struct pl_stund *s;
	if (!CHECK_EQ(pl_stund_alloc(&s, 64, &o, &env), 0))
		return;
	uint8_t req[64], out[PL_STUND_RESPONSE_MAX];
	size_t len = request(req, sizeof req, 0);
	struct sockaddr_storage a = v4("203.0.113.1", 1), a2 = v4("203.0.113.1", 2), b = v4("203.0.113.2", 1);
	struct sockaddr_storage p1 = v6("2001:db8:1:2::1", 1), p2 = v6("2001:db8:1:2:ffff::9", 1);
	int got = 0;
	test_case("burst per source");
	for (int i = 0; i < 20; i++)
		got += pl_stund_answer(s, 1000, req, len, (struct sockaddr *)(i % 2 ? &a : &a2), out, sizeof out) > 0;
	CHECK_EQ(got, 5); /* the port does not matter: one address */
	CHECK(pl_stund_answer(s, 1000, req, len, (struct sockaddr *)&b, out, sizeof out) > 0);
	test_case("rate per source");
	CHECK_EQ(pl_stund_answer(s, 1499, req, len, (struct sockaddr *)&a, out, sizeof out), 0);
	CHECK(pl_stund_answer(s, 1500, req, len, (struct sockaddr *)&a, out, sizeof out) > 0); /* 2/s: one per 500 ms */
	CHECK_EQ(pl_stund_answer(s, 1500, req, len, (struct sockaddr *)&a, out, sizeof out), 0);
	test_case("one IPv6 /64 is one source");
	got = 0;
	for (int i = 0; i < 6; i++)
		got += pl_stund_answer(s, 1500, req, len, (struct sockaddr *)(i % 2 ? &p1 : &p2), out, sizeof out) > 0;
	/* Two addresses in one /64 share a burst of 5: the sixth is refused. (The global bucket had
	 * 10 - 5 - 1 = 4 at 1000 ms, 9 after 500 ms at 10/s, 8 after the answer at 1500, 3 now.) */
	CHECK_EQ(got, 5);
	test_case("global budget");
	got = 0;
	for (int i = 0; i < 40; i++) {
		struct sockaddr_storage x = v4("10.0.0.1", 1);
		((struct sockaddr_in *)&x)->sin_addr.s_addr = htonl(0x0a000001u + (uint32_t)i);
		got += pl_stund_answer(s, 1500, req, len, (struct sockaddr *)&x, out, sizeof out) > 0;
	}
	CHECK_EQ(got, 3); /* 40 new addresses, each with a full burst: the 3 global tokens left */
	struct pl_stund_counters n;
	pl_stund_counters(s, &n);
	CHECK_EQ(n.refused[PL_STUND_GLOBAL_RATE], 37);
	CHECK_EQ(n.refused[PL_STUND_SOURCE_RATE], 15 + 2 + 1);
	CHECK_EQ(n.answered, 5 + 1 + 1 + 5 + 3);
	test_case("new rates");
	struct pl_stund_opts o2 = {1000, 1000, 1000, 1000};
	pl_stund_set_rates(s, &o2);
	CHECK(pl_stund_answer(s, 3000, req, len, (struct sockaddr *)&a, out, sizeof out) > 0);
	struct pl_stund_opts bad = {0, 1, 1, 1};
	CHECK_EQ(pl_stund_alloc(&(struct pl_stund *){NULL}, 64, &bad, &env), -EINVAL);
	pl_stund_free(s);
}

int main(void)
{
	test_answers();
	test_refusals();
	test_budgets();
	return test_done();
}
