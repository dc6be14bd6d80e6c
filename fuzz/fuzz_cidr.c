/*
 * fuzz_cidr: the ban ranges' parser and matcher (core/cidr.h). The input up to its first NUL byte
 * (or all of it) is the text pl_cidr_parse reads; what follows the NUL is a list of peers, 17 bytes
 * each: a byte whose bit 0 picks IPv4 (the next 4 bytes) or IPv6 (the next 16), bit 1 an IPv4 peer
 * seen as an IPv4-mapped IPv6 address, then the 16 address bytes.
 *
 * Invariants: the parser agrees with a reference written here from the header's words (inet_pton on
 * the text before the first '/', then decimal digits only, within 32 or 128; a bare IPv4 address
 * is its /32, a bare IPv6 one its /64; an IPv4-mapped IPv6 range of /96 or longer is the IPv4 range
 * it maps) on whether the text is a range and on the network it names. A parsed range has its
 * family 4 or 6, its prefix in range, the bits past the prefix zero; it matches its own network
 * address, as a plain address and (IPv4) as an IPv4-mapped one; its canonical form fits
 * PL_CIDR_STR and parses back to the same range. For every peer, and for the network address with
 * single bits flipped, pl_cidr_match agrees with a bit-by-bit comparison done here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "core/cidr.h"
#include "fuzz.h"

/* The reference: returns false when text is no range. */
static bool ref_parse(const char *text, struct pl_cidr *c)
{
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);
	char *host = strndup(text, n);
	uint8_t a[16] = {0};
	unsigned family, bits, max;
	if (inet_pton(AF_INET, host, a) == 1)
		family = 4, max = 32, bits = 32;
	else if (inet_pton(AF_INET6, host, a) == 1)
		family = 6, max = 128, bits = 64;
	else
		family = 0, max = 0, bits = 0;
	free(host);
	if (!family)
		return false;
	if (slash) {
		const char *b = slash + 1;
		if (!*b)
			return false;
		unsigned long v = 0;
		for (; *b; b++) {
			if (*b < '0' || *b > '9')
				return false;
			v = v * 10 + (unsigned long)(*b - '0');
			if (v > 1000)
				v = 1000; /* saturates: out of range either way */
		}
		if (v > max)
			return false;
		bits = (unsigned)v;
	}
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (family == 6 && !memcmp(a, mapped, 12) && (!slash || bits >= 96)) {
		memmove(a, a + 12, 4);
		memset(a + 4, 0, 12);
		family = 4;
		bits = slash ? bits - 96 : 32;
	}
	memset(c, 0, sizeof *c);
	c->family = (uint8_t)family;
	c->bits = (uint8_t)bits;
	for (unsigned i = 0; i < bits; i++)
		if (a[i / 8] & (0x80u >> (i % 8)))
			c->addr[i / 8] |= (uint8_t)(0x80u >> (i % 8));
	return true;
}

static bool bit(const uint8_t *a, unsigned i)
{
	return a[i / 8] & (0x80u >> (i % 8));
}

/* The reference matcher: family (with IPv4-mapped peers as IPv4) and then bit by bit. */
static bool ref_match(const struct pl_cidr *c, unsigned family, const uint8_t *a)
{
	if (family != c->family)
		return false;
	for (unsigned i = 0; i < c->bits; i++)
		if (bit(a, i) != bit(c->addr, i))
			return false;
	return true;
}

/* Checks pl_cidr_match for the peer with the address a (4 or 16 bytes) against the reference; an
 * IPv4 peer also as an IPv4-mapped IPv6 one. */
static void check_peer(const struct pl_cidr *c, unsigned family, const uint8_t *a)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	bool want = ref_match(c, family, a);
	if (family == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a, 4);
		FUZZ_CHECK(pl_cidr_match(c, (struct sockaddr *)&ss) == want);
		memset(&ss, 0, sizeof ss);
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_addr.s6_addr[10] = s6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(s6->sin6_addr.s6_addr + 12, a, 4);
		FUZZ_CHECK(pl_cidr_match(c, (struct sockaddr *)&ss) == want);
	} else {
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		if (!memcmp(a, mapped, 12)) { /* an IPv4 peer really */
			check_peer(c, 4, a + 12);
			return;
		}
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		memcpy(s6->sin6_addr.s6_addr, a, 16);
		FUZZ_CHECK(pl_cidr_match(c, (struct sockaddr *)&ss) == want);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t tlen = nul ? (size_t)(nul - data) : size;
	char *text = strndup((const char *)data, tlen);
	struct pl_cidr c, r, back;
	memset(&c, 0xa5, sizeof c);
	int rc = pl_cidr_parse(&c, text);
	bool ok = ref_parse(text, &r);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	FUZZ_CHECK((rc == 0) == ok);
	if (rc == 0) {
		FUZZ_CHECK(c.family == 4 || c.family == 6);
		unsigned len = c.family == 4 ? 4 : 16;
		FUZZ_CHECK(c.bits <= len * 8);
		for (unsigned i = c.bits; i < 128; i++)
			FUZZ_CHECK(!bit(c.addr, i));
		FUZZ_CHECK(c.family == r.family && c.bits == r.bits && !memcmp(c.addr, r.addr, 16));

		/* Its own network, and its neighbours one bit away. */
		struct sockaddr_storage own;
		memset(&own, 0, sizeof own);
		if (c.family == 4) {
			((struct sockaddr_in *)&own)->sin_family = AF_INET;
			memcpy(&((struct sockaddr_in *)&own)->sin_addr, c.addr, 4);
		} else {
			((struct sockaddr_in6 *)&own)->sin6_family = AF_INET6;
			memcpy(((struct sockaddr_in6 *)&own)->sin6_addr.s6_addr, c.addr, 16);
		}
		FUZZ_CHECK(pl_cidr_match(&c, (struct sockaddr *)&own));
		check_peer(&c, c.family, c.addr);
		FUZZ_CHECK(ref_match(&c, c.family, c.addr));
		for (unsigned i = 0; i < len * 8; i++) {
			uint8_t a[16];
			memcpy(a, c.addr, 16);
			a[i / 8] ^= (uint8_t)(0x80u >> (i % 8));
			check_peer(&c, c.family, a);
		}

		char s[PL_CIDR_STR + 8];
		memset(s, 'x', sizeof s);
		pl_cidr_fmt(&c, s, PL_CIDR_STR);
		FUZZ_CHECK(memchr(s, '\0', PL_CIDR_STR) != NULL);
		FUZZ_CHECK(pl_cidr_parse(&back, s) == 0);
		FUZZ_CHECK(back.family == c.family && back.bits == c.bits && !memcmp(back.addr, c.addr, 16));

		/* The peers after the NUL. */
		for (size_t off = tlen + 1; nul && off + 17 <= size; off += 17) {
			const uint8_t *p = data + off;
			check_peer(&c, p[0] & 1 ? 4 : 6, p + 1);
		}
	}
	fuzz_sink = (uintptr_t)rc;
	free(text);
	return 0;
}
