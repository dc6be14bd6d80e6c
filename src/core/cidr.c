#include "core/cidr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void mask_to(uint8_t *a, unsigned len, unsigned bits)
{
	for (unsigned i = 0; i < len; i++) {
		unsigned keep = bits > i * 8 ? bits - i * 8 : 0;
		if (keep < 8)
			a[i] &= (uint8_t)(0xff00u >> keep);
	}
}

int pl_cidr_parse(struct pl_cidr *c, const char *text)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);
	if (n == 0 || n >= sizeof host)
		return -EINVAL;
	memcpy(host, text, n);
	host[n] = '\0';
	memset(c, 0, sizeof *c);
	unsigned max;
	if (inet_pton(AF_INET, host, c->addr) == 1) {
		c->family = 4;
		max = 32;
		c->bits = 32;
	} else if (inet_pton(AF_INET6, host, c->addr) == 1) {
		c->family = 6;
		max = 128;
		c->bits = 64;
	} else {
		return -EINVAL;
	}
	if (slash) {
		const char *b = slash + 1;
		char *end;
		if (*b < '0' || *b > '9')
			return -EINVAL;
		unsigned long v = strtoul(b, &end, 10);
		if (*end || v > max)
			return -EINVAL;
		c->bits = (uint8_t)v;
	}
	/* "::ffff:192.0.2.0/120" is 192.0.2.0/24: peers are matched as IPv4 when mapped, so kept as
	 * IPv6 it would match no one. A shorter prefix reaches past the mapped block and stays IPv6. */
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (c->family == 6 && !memcmp(c->addr, mapped, sizeof mapped) && (!slash || c->bits >= 96)) {
		memmove(c->addr, c->addr + 12, 4);
		memset(c->addr + 4, 0, 12);
		c->family = 4;
		c->bits = slash ? (uint8_t)(c->bits - 96) : 32;
	}
	mask_to(c->addr, c->family == 4 ? 4 : 16, c->bits);
	return 0;
}

static bool prefix_eq(const uint8_t *a, const uint8_t *net, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	if (memcmp(a, net, whole) != 0)
		return false;
	return rest == 0 || ((a[whole] ^ net[whole]) & (uint8_t)(0xff00u >> rest)) == 0;
}

bool pl_cidr_match(const struct pl_cidr *c, const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
		return c->family == 4 && prefix_eq((const uint8_t *)&s4->sin_addr, c->addr, c->bits);
	}
	if (sa->sa_family != AF_INET6)
		return false;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
	const uint8_t *a = s6->sin6_addr.s6_addr;
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return c->family == 4 && prefix_eq(a + 12, c->addr, c->bits);
	return c->family == 6 && prefix_eq(a, c->addr, c->bits);
}

void pl_cidr_fmt(const struct pl_cidr *c, char *buf, size_t sz)
{
	char host[INET6_ADDRSTRLEN];
	if (!inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, host, sizeof host))
		snprintf(host, sizeof host, "?");
	snprintf(buf, sz, "%s/%u", host, (unsigned)c->bits);
}
