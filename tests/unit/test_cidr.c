/*
 * Unit tests for core/cidr: a table of ranges as typed by an admin (bare addresses, prefixes,
 * bad input) with the canonical form each prints as, and a table of peers each range must and
 * must not match, IPv4-mapped IPv6 peers included.
 */
#include "core/cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "test.h"

static const struct {
	const char *in, *out; /* out NULL: refused */
} parses[] = {
	{"192.0.2.7", "192.0.2.7/32"},
	{"192.0.2.7/24", "192.0.2.0/24"},
	{"10.1.2.3/8", "10.0.0.0/8"},
	{"0.0.0.0/0", "0.0.0.0/0"},
	{"192.0.2.7/32", "192.0.2.7/32"},
	{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
	{"2001:db8::1/128", "2001:db8::1/128"},
	{"2001:db8:abcd::/33", "2001:db8:8000::/33"},
	{"::/0", "::/0"},
	{"192.0.2.7/33", NULL},
	{"2001:db8::/129", NULL},
	{"192.0.2.7/", NULL},
	{"192.0.2.7/-1", NULL},
	{"192.0.2.7/24x", NULL},
	{"/24", NULL},
	{"", NULL},
	{"alice", NULL},
	{"192.0.2", NULL},
	{"192.0.2.256", NULL},
	{"2001:db8::g", NULL},
	/* Found by fuzz_cidr: an IPv4-mapped range stayed IPv6 and so matched no peer at all. */
	{"::ffff:192.0.2.7", "192.0.2.7/32"},
	{"::ffff:192.0.2.0/120", "192.0.2.0/24"},
	{"::ffff:192.0.2.7/96", "0.0.0.0/0"},
	{"::ffff:192.0.2.7/95", "::fffe:0:0/95"},
};

static struct sockaddr_storage peer(const char *ip)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1)
		s4->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1)
		s6->sin6_family = AF_INET6;
	return ss;
}

static const struct {
	const char *range, *peer;
	bool match;
} matches[] = {
	{"192.0.2.7", "192.0.2.7", true},
	{"192.0.2.7", "192.0.2.8", false},
	{"192.0.2.0/24", "192.0.2.255", true},
	{"192.0.2.0/24", "192.0.3.0", false},
	{"192.0.2.0/23", "192.0.3.9", true},
	{"192.0.2.0/25", "192.0.2.128", false},
	{"0.0.0.0/0", "203.0.113.1", true},
	{"192.0.2.7", "::ffff:192.0.2.7", true},
	{"192.0.2.0/24", "::ffff:192.0.3.1", false},
	{"192.0.2.7", "2001:db8::1", false},
	{"2001:db8:1:2::5", "2001:db8:1:2:ffff::1", true},
	{"2001:db8:1:2::5", "2001:db8:1:3::5", false},
	{"2001:db8::1/128", "2001:db8::1", true},
	{"2001:db8::1/128", "2001:db8::2", false},
	{"2001:db8::/33", "2001:db8:7fff::1", true},
	{"2001:db8::/33", "2001:db8:8000::1", false},
	{"::/0", "2001:db8::1", true},
	{"::/0", "192.0.2.1", false},
	{"2001:db8::/32", "::ffff:192.0.2.1", false},
	{"::ffff:192.0.2.0/120", "::ffff:192.0.2.200", true},
	{"::ffff:192.0.2.0/120", "192.0.2.200", true},
	{"::ffff:192.0.2.0/120", "192.0.3.1", false},
	{"::ffff:192.0.2.7", "::ffff:192.0.2.7", true},
	{"::ffff:192.0.2.7", "192.0.2.8", false},
};

int main(void)
{
	for (size_t i = 0; i < sizeof parses / sizeof parses[0]; i++) {
		struct pl_cidr c;
		test_case("parse '%s'", parses[i].in);
		int rc = pl_cidr_parse(&c, parses[i].in);
		if (!parses[i].out) {
			CHECK(rc < 0);
			continue;
		}
		if (!CHECK_EQ(rc, 0))
			continue;
		char buf[PL_CIDR_STR];
		pl_cidr_fmt(&c, buf, sizeof buf);
		CHECK_STR_EQ(buf, parses[i].out);
		struct pl_cidr again;
		CHECK_EQ(pl_cidr_parse(&again, buf), 0);
		CHECK(memcmp(&again, &c, sizeof c) == 0);
	}
	for (size_t i = 0; i < sizeof matches / sizeof matches[0]; i++) {
		struct pl_cidr c;
		test_case("'%s' against %s", matches[i].range, matches[i].peer);
		if (!CHECK_EQ(pl_cidr_parse(&c, matches[i].range), 0))
			continue;
		struct sockaddr_storage ss = peer(matches[i].peer);
		CHECK_EQ(pl_cidr_match(&c, (struct sockaddr *)&ss), matches[i].match);
	}
	return test_done();
}
