/* Unit tests for core/stun (the STUN codec) with RFC 5769's test vectors, and net/stun_mi (the
 * HMAC-SHA1 and long-term key MESSAGE-INTEGRITY needs, from OpenSSL). */
#include "core/stun.h"

#include <errno.h>
#include <stdlib.h>

#include "core/buf.h"
#include "net/stun_mi.h"
#include "test.h"

/* Decodes from an exact-size heap copy, so a sanitizer build catches any read past len. Pointers
 * into the message are rebased onto p. */
static int decode_copy(struct pl_stun_msg *m, const uint8_t *p, size_t len)
{
	uint8_t *c = malloc(len ? len : 1);
	if (len)
		memcpy(c, p, len);
	int rc = pl_stun_decode(m, c, len);
	if (m->software)
		m->software = p + (m->software - c);
	if (m->reason)
		m->reason = p + (m->reason - c);
	free(c);
	return rc;
}

/* --- RFC 5769 --- */

static const uint8_t tid[12] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};
static const char short_term_password[] = "VOkJxbRl1RmTxUk/WvJxBt";

/* 2.1 Sample Request */
static const uint8_t sample_request[] = {
	0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
	0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
	0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
	0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09,
	0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14,
	0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
	0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};

/* 2.2 Sample IPv4 Response */
static const uint8_t sample_v4_response[] = {
	0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
	0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
	0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
	0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9,
	0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

/* 2.3 Sample IPv6 Response */
static const uint8_t sample_v6_response[] = {
	0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
	0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
	0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
	0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14,
	0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75,
	0xbf, 0xe3, 0xed, 0x41, 0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};

/* 2.4 Sample Request with Long-Term Authentication */
static const uint8_t ltc_tid[12] = {0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e};
static const uint8_t sample_ltc_request[] = {
	0x00, 0x01, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42, 0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72, 0xc0,
	0x29, 0xda, 0x41, 0x2e, 0x00, 0x06, 0x00, 0x12, 0xe3, 0x83, 0x9e, 0xe3, 0x83, 0x88, 0xe3, 0x83,
	0xaa, 0xe3, 0x83, 0x83, 0xe3, 0x82, 0xaf, 0xe3, 0x82, 0xb9, 0x00, 0x00, 0x00, 0x15, 0x00, 0x1c,
	0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39, 0x35, 0x34, 0x64, 0x36, 0x4f, 0x4c, 0x33, 0x34,
	0x6f, 0x4c, 0x39, 0x46, 0x53, 0x54, 0x76, 0x79, 0x36, 0x34, 0x73, 0x41, 0x00, 0x14, 0x00, 0x0b,
	0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00, 0x00, 0x08, 0x00, 0x14,
	0xf6, 0x70, 0x24, 0x65, 0x6d, 0xd6, 0x4a, 0x3e, 0x02, 0xb8, 0xe0, 0x71, 0x2e, 0x85, 0xc9, 0xa2,
	0x8c, 0xa8, 0x96, 0x66,
};
/* "<U+30DE><U+30C8><U+30EA><U+30C3><U+30AF><U+30B9>"; the password "The<U+00AD>M<U+00AA>tr<U+2168>"
 * is "TheMatrIX" after SASLprep. */
static const char ltc_username[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";
static const char ltc_nonce[] = "f//499k954d6OL34oL9FSTvy64sA";
static const char ltc_realm[] = "example.org";

static const struct pl_stun_addr v4_addr = {4, 32853, {192, 0, 2, 1}};
static const struct pl_stun_addr v6_addr = {6, 32853, {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78, 0x00, 0x11,
						       0x22, 0x33, 0x44, 0x55, 0x66, 0x77}};

static bool addr_eq(const struct pl_stun_addr *a, const struct pl_stun_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	       memcmp(a->ip, b->ip, a->family == 6 ? 16 : 4) == 0;
}

static void test_crc32(void)
{
	test_case("crc32");
	CHECK_EQ(pl_stun_crc32(0, (const uint8_t *)"123456789", 9), 0xcbf43926u); /* the standard check value */
	CHECK_EQ(pl_stun_crc32(0, NULL, 0), 0);
	/* The table against the bitwise definition, over bytes that reach every entry. */
	uint8_t data[1024];
	uint64_t st = 7;
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)test_rand(&st);
	uint32_t crc = 0xffffffffu;
	for (size_t i = 0; i < sizeof data; i++) {
		crc ^= data[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	CHECK_EQ(pl_stun_crc32(0, data, sizeof data), ~crc);
	CHECK_EQ(pl_stun_crc32(pl_stun_crc32(0, data, 100), data + 100, sizeof data - 100), ~crc);
}

static void test_sample_request(void)
{
	struct pl_stun_msg m;
	test_case("RFC 5769 2.1 sample request");
	if (!CHECK_EQ(decode_copy(&m, sample_request, sizeof sample_request), 0))
		return;
	CHECK_EQ(m.method, PL_STUN_BINDING);
	CHECK_EQ(m.cls, PL_STUN_REQUEST);
	CHECK_EQ(m.type, 0x0001);
	CHECK(!m.classic);
	CHECK_MEM_EQ(m.tid, tid, sizeof tid);
	CHECK_EQ(m.len, sizeof sample_request);
	CHECK(m.software && m.software_len == 16 && memcmp(m.software, "STUN test client", 16) == 0);
	CHECK(m.has_fingerprint);
	CHECK_EQ(m.integrity_off, 76);
	CHECK_EQ(m.nunknown, 0);
	CHECK(!m.has_mapped && !m.has_xor_mapped && !m.asks_elsewhere);
	CHECK_EQ(pl_stun_check_integrity(&m, sample_request, pl_stun_hmac_sha1, (const uint8_t *)short_term_password,
					 strlen(short_term_password)), 0);
	CHECK_EQ(pl_stun_check_integrity(&m, sample_request, pl_stun_hmac_sha1, (const uint8_t *)"wrong", 5),
		 -EBADMSG);

	/* The writer makes it byte for byte, with the vector's space padding. */
	uint8_t buf[200];
	struct pl_stun_wr w;
	pl_stun_wr_start(&w, buf, sizeof buf, pl_stun_type(PL_STUN_BINDING, PL_STUN_REQUEST), tid);
	w.pad = 0x20;
	pl_stun_wr_attr(&w, PL_STUN_A_SOFTWARE, "STUN test client", 16);
	pl_stun_wr_attr(&w, PL_STUN_A_PRIORITY, "\x6e\x00\x01\xff", 4);
	pl_stun_wr_attr(&w, PL_STUN_A_ICE_CONTROLLED, "\x93\x2f\xf9\xb1\x51\x26\x3b\x36", 8);
	pl_stun_wr_attr(&w, PL_STUN_A_USERNAME, "evtj:h6vY", 9);
	pl_stun_wr_integrity(&w, pl_stun_hmac_sha1, (const uint8_t *)short_term_password, strlen(short_term_password));
	pl_stun_wr_fingerprint(&w);
	if (CHECK_EQ(pl_stun_wr_finish(&w), sizeof sample_request))
		CHECK_MEM_EQ(buf, sample_request, sizeof sample_request);
}

static void test_sample_response(const char *name, const uint8_t *vec, size_t len, const struct pl_stun_addr *want)
{
	struct pl_stun_msg m;
	test_case("RFC 5769 %s", name);
	if (!CHECK_EQ(decode_copy(&m, vec, len), 0))
		return;
	CHECK_EQ(m.method, PL_STUN_BINDING);
	CHECK_EQ(m.cls, PL_STUN_SUCCESS);
	CHECK_EQ(m.type, 0x0101);
	CHECK(m.has_xor_mapped && addr_eq(&m.xor_mapped, want));
	CHECK(!m.has_mapped);
	CHECK(m.software && m.software_len == 11 && memcmp(m.software, "test vector", 11) == 0);
	CHECK(m.has_fingerprint);
	CHECK_EQ(pl_stun_check_integrity(&m, vec, pl_stun_hmac_sha1, (const uint8_t *)short_term_password,
					 strlen(short_term_password)), 0);

	uint8_t buf[200];
	struct pl_stun_wr w;
	pl_stun_wr_start(&w, buf, sizeof buf, pl_stun_type(PL_STUN_BINDING, PL_STUN_SUCCESS), tid);
	w.pad = 0x20;
	pl_stun_wr_attr(&w, PL_STUN_A_SOFTWARE, "test vector", 11);
	pl_stun_wr_addr(&w, PL_STUN_A_XOR_MAPPED_ADDRESS, want);
	pl_stun_wr_integrity(&w, pl_stun_hmac_sha1, (const uint8_t *)short_term_password, strlen(short_term_password));
	pl_stun_wr_fingerprint(&w);
	if (CHECK_EQ(pl_stun_wr_finish(&w), len))
		CHECK_MEM_EQ(buf, vec, len);
}

static void test_sample_ltc(void)
{
	struct pl_stun_msg m;
	uint8_t key[16];
	test_case("RFC 5769 2.4 long-term credentials");
	if (!CHECK_EQ(decode_copy(&m, sample_ltc_request, sizeof sample_ltc_request), 0))
		return;
	CHECK_EQ(m.cls, PL_STUN_REQUEST);
	CHECK_MEM_EQ(m.tid, ltc_tid, sizeof ltc_tid);
	CHECK(!m.has_fingerprint);
	CHECK_EQ(m.nunknown, 0);
	CHECK_EQ(pl_stun_longterm_key(key, ltc_username, ltc_realm, "TheMatrIX"), 0);
	CHECK_EQ(pl_stun_check_integrity(&m, sample_ltc_request, pl_stun_hmac_sha1, key, sizeof key), 0);
	CHECK_EQ(pl_stun_check_integrity(&m, sample_ltc_request, pl_stun_hmac_sha1,
					 (const uint8_t *)"TheMatrIX", 9), -EBADMSG);

	uint8_t buf[200];
	struct pl_stun_wr w;
	pl_stun_wr_start(&w, buf, sizeof buf, pl_stun_type(PL_STUN_BINDING, PL_STUN_REQUEST), ltc_tid);
	pl_stun_wr_attr(&w, PL_STUN_A_USERNAME, ltc_username, strlen(ltc_username));
	pl_stun_wr_attr(&w, PL_STUN_A_NONCE, ltc_nonce, strlen(ltc_nonce));
	pl_stun_wr_attr(&w, PL_STUN_A_REALM, ltc_realm, strlen(ltc_realm));
	pl_stun_wr_integrity(&w, pl_stun_hmac_sha1, key, sizeof key);
	if (CHECK_EQ(pl_stun_wr_finish(&w), sizeof sample_ltc_request))
		CHECK_MEM_EQ(buf, sample_ltc_request, sizeof sample_ltc_request);
}

/* --- malformed input --- */

/* A copy of a vector with edits, for the table below. */
struct bad_case {
	const char *name;
	size_t len;       /* bytes of the base to use (0: all) */
	int at, val;      /* set byte at to val (at < 0: no edit) */
	int at2, val2;
};

static void test_malformed(void)
{
	/* Every proper prefix of a valid message fails. */
	struct pl_stun_msg m;
	for (size_t n = 0; n < sizeof sample_request; n++) {
		test_case("truncated to %zu bytes", n);
		CHECK_EQ(decode_copy(&m, sample_request, n), -EBADMSG);
	}
	/* Base: the IPv4 response vector (ends in FINGERPRINT, so any edit outside the length field
	 * that the checks below do not catch would be caught by the CRC: each case edits with care). */
	static const struct bad_case cases[] = {
		{"top bit set", 0, 0, 0x81, -1, 0},
		{"second bit set", 0, 0, 0x41, -1, 0},
		{"length not a multiple of 4", 0, 3, 0x3d, -1, 0},
		{"length 4 too long", 0, 3, 0x40, -1, 0},
		{"length 4 too short", 0, 3, 0x38, -1, 0},
		{"length zero with attributes", 0, 3, 0x00, -1, 0},
		{"bad fingerprint", 0, 79, 0x97, -1, 0},
		{"body bit flipped under the fingerprint", 0, 30, 0x41, -1, 0},
		{"fingerprint of length 8", 0, 75, 0x08, -1, 0},
		/* SOFTWARE's length 11 -> 13: its value and padding (16 bytes) then overlap the next
		 * attribute: caught by the fingerprint; 12 + 4 + ... -> over the end with 0xff. */
		{"attribute past the end", 0, 23, 0xff, -1, 0},
		{"attribute length 0xffff", 0, 22, 0xff, 23, 0xff},
		{"XOR-MAPPED-ADDRESS family 3", 0, 41, 0x03, -1, 0},
		{"XOR-MAPPED-ADDRESS family 2 with 4 bytes", 0, 41, 0x02, -1, 0},
		{"MESSAGE-INTEGRITY of length 16", 0, 51, 0x10, -1, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct bad_case *c = &cases[i];
		uint8_t b[sizeof sample_v4_response];
		size_t n = c->len ? c->len : sizeof b;
		memcpy(b, sample_v4_response, sizeof b);
		if (c->at >= 0)
			b[c->at] = (uint8_t)c->val;
		if (c->at2 >= 0)
			b[c->at2] = (uint8_t)c->val2;
		test_case("malformed: %s", c->name);
		CHECK_EQ(decode_copy(&m, b, n), -EBADMSG);
	}

	/* Built by hand, without a fingerprint, so that only the rule under test is broken. */
	uint8_t b[64];
	test_case("malformed: padding past the end");
	memcpy(b, sample_request, 20);
	b[2] = 0, b[3] = 16; /* 16 bytes of body: an attribute of 9 bytes (13 used, 16 with padding) */
	pl_put_be16(b + 20, PL_STUN_A_USERNAME);
	pl_put_be16(b + 22, 9);
	memcpy(b + 24, "evtj:h6vY\0\0\0", 12);
	CHECK_EQ(decode_copy(&m, b, 36), 0);
	b[3] = 12; /* the padding is missing: 12 + 20 = 32 bytes, the attribute needs 16 */
	CHECK_EQ(decode_copy(&m, b, 32), -EBADMSG);
	b[3] = 16; /* a 3-byte attribute header at the end */
	CHECK_EQ(decode_copy(&m, b, 36), 0);

	test_case("malformed: attribute after FINGERPRINT");
	struct pl_stun_wr w;
	pl_stun_wr_start(&w, b, sizeof b, pl_stun_type(PL_STUN_BINDING, PL_STUN_REQUEST), tid);
	pl_stun_wr_fingerprint(&w);
	int n = pl_stun_wr_finish(&w);
	CHECK_EQ(n, 28);
	pl_put_be16(b + 28, PL_STUN_A_SOFTWARE);
	pl_put_be16(b + 30, 0);
	pl_put_be16(b + 2, 12); /* the fingerprint no longer matches either; both rules reject it */
	CHECK_EQ(decode_copy(&m, b, 32), -EBADMSG);

	test_case("malformed: ERROR-CODE class 7 and number 100");
	pl_stun_wr_start(&w, b, sizeof b, pl_stun_type(PL_STUN_BINDING, PL_STUN_ERROR), tid);
	pl_stun_wr_error(&w, 400, "Bad");
	n = pl_stun_wr_finish(&w);
	if (CHECK_EQ(n, 32)) {
		CHECK_EQ(decode_copy(&m, b, 32), 0);
		b[26] = 7;
		CHECK_EQ(decode_copy(&m, b, 32), -EBADMSG);
		b[26] = 4, b[27] = 100;
		CHECK_EQ(decode_copy(&m, b, 32), -EBADMSG);
	}

	test_case("malformed: CHANGE-REQUEST of 8 bytes");
	pl_stun_wr_start(&w, b, sizeof b, pl_stun_type(PL_STUN_BINDING, PL_STUN_REQUEST), tid);
	pl_stun_wr_attr(&w, PL_STUN_A_CHANGE_REQUEST, "\0\0\0\0\0\0\0\0", 8);
	CHECK_EQ(decode_copy(&m, b, (size_t)pl_stun_wr_finish(&w)), -EBADMSG);
}

/* Unknown comprehension-required attributes decode, and are listed for the caller to refuse. */
static void test_unknown(void)
{
	uint8_t b[200];
	struct pl_stun_wr w;
	struct pl_stun_msg m;
	test_case("unknown attributes");
	pl_stun_wr_start(&w, b, sizeof b, pl_stun_type(PL_STUN_BINDING, PL_STUN_REQUEST), tid);
	pl_stun_wr_attr(&w, 0x7fff, "x", 1);          /* required, unknown */
	pl_stun_wr_attr(&w, 0x8fff, "y", 1);          /* optional, unknown: fine */
	pl_stun_wr_attr(&w, PL_STUN_A_PADDING, NULL, 0); /* known */
	pl_stun_wr_attr(&w, 0x0030, "zz", 2);         /* required, unknown */
	pl_stun_wr_fingerprint(&w);
	int n = pl_stun_wr_finish(&w);
	if (!CHECK(n > 0) || !CHECK_EQ(decode_copy(&m, b, (size_t)n), 0))
		return;
	CHECK_EQ(m.nunknown, 2);
	CHECK_EQ(m.unknown[0], 0x7fff);
	CHECK_EQ(m.unknown[1], 0x0030);
	CHECK(m.has_fingerprint);

	test_case("more unknown attributes than are listed");
	pl_stun_wr_start(&w, b, sizeof b, pl_stun_type(PL_STUN_BINDING, PL_STUN_REQUEST), tid);
	for (int i = 0; i < PL_STUN_UNKNOWN_MAX + 3; i++)
		pl_stun_wr_attr(&w, (uint16_t)(0x0100 + i), NULL, 0);
	n = pl_stun_wr_finish(&w);
	if (CHECK(n > 0) && CHECK_EQ(decode_copy(&m, b, (size_t)n), 0)) {
		CHECK_EQ(m.nunknown, PL_STUN_UNKNOWN_MAX + 3);
		CHECK_EQ(m.unknown[PL_STUN_UNKNOWN_MAX - 1], 0x0100 + PL_STUN_UNKNOWN_MAX - 1);
	}

	test_case("requests to answer elsewhere");
	pl_stun_wr_start(&w, b, sizeof b, pl_stun_type(PL_STUN_BINDING, PL_STUN_REQUEST), tid);
	pl_stun_wr_attr(&w, PL_STUN_A_RESPONSE_PORT, "\x12\x34\0\0", 4);
	pl_stun_wr_attr(&w, PL_STUN_A_CHANGE_REQUEST, "\0\0\0\x06", 4);
	n = pl_stun_wr_finish(&w);
	if (CHECK(n > 0) && CHECK_EQ(decode_copy(&m, b, (size_t)n), 0)) {
		CHECK(m.asks_elsewhere);
		CHECK(m.has_change && m.change_flags == 6);
		CHECK_EQ(m.nunknown, 0);
	}

	test_case("attributes after MESSAGE-INTEGRITY are not read");
	pl_stun_wr_start(&w, b, sizeof b, pl_stun_type(PL_STUN_BINDING, PL_STUN_REQUEST), tid);
	pl_stun_wr_integrity(&w, pl_stun_hmac_sha1, (const uint8_t *)"k", 1);
	pl_stun_wr_attr(&w, 0x7fff, NULL, 0);
	pl_stun_wr_attr(&w, PL_STUN_A_SOFTWARE, "late", 4);
	n = pl_stun_wr_finish(&w);
	if (CHECK(n > 0) && CHECK_EQ(decode_copy(&m, b, (size_t)n), 0)) {
		CHECK_EQ(m.nunknown, 0);
		CHECK(!m.software);
		CHECK_EQ(m.integrity_off, 20);
		/* The HMAC covers up to MESSAGE-INTEGRITY only: what follows may change. */
		CHECK_EQ(pl_stun_check_integrity(&m, b, pl_stun_hmac_sha1, (const uint8_t *)"k", 1), 0);
	}
}

/* --- round trips --- */

struct rt_case {
	const char *name;
	uint8_t cls;
	bool classic, xor_addr, mapped, fingerprint;
	const struct pl_stun_addr *addr;
	const char *software;
	unsigned error;
};

static void test_round_trip(void)
{
	static const uint8_t tid16[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	static const struct pl_stun_addr lo = {4, 40000, {127, 0, 0, 1}};
	static const struct pl_stun_addr v6 = {6, 1, {0xfe, 0x80, [15] = 1}};
	static const struct pl_stun_addr v6max = {6, 65535, {[0 ... 15] = 0xff}};
	static const struct rt_case cases[] = {
		{"plain request", PL_STUN_REQUEST, false, false, false, false, NULL, NULL, 0},
		{"request with fingerprint", PL_STUN_REQUEST, false, false, false, true, NULL, "parley", 0},
		{"classic request", PL_STUN_REQUEST, true, false, false, false, NULL, NULL, 0},
		{"response v4", PL_STUN_SUCCESS, false, true, false, false, &lo, NULL, 0},
		{"response v4 both, fingerprint", PL_STUN_SUCCESS, false, true, true, true, &lo, NULL, 0},
		{"response v6", PL_STUN_SUCCESS, false, true, true, true, &v6, NULL, 0},
		{"response v6 all ones", PL_STUN_SUCCESS, false, true, false, false, &v6max, NULL, 0},
		{"classic response", PL_STUN_SUCCESS, true, false, true, false, &lo, NULL, 0},
		{"classic response v6", PL_STUN_SUCCESS, true, false, true, false, &v6, NULL, 0},
		{"error 420", PL_STUN_ERROR, false, false, false, true, NULL, NULL, 420},
		{"error 300", PL_STUN_ERROR, false, false, false, false, NULL, "x", 300},
		{"error 699", PL_STUN_ERROR, false, false, false, false, NULL, NULL, 699},
		{"indication", PL_STUN_INDICATION, false, false, false, true, NULL, NULL, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct rt_case *c = &cases[i];
		uint8_t b[300];
		struct pl_stun_wr w;
		struct pl_stun_msg m;
		test_case("round trip %s", c->name);
		uint16_t type = pl_stun_type(PL_STUN_BINDING, c->cls);
		if (c->classic)
			pl_stun_wr_start_classic(&w, b, sizeof b, type, tid16);
		else
			pl_stun_wr_start(&w, b, sizeof b, type, tid);
		if (c->xor_addr)
			pl_stun_wr_addr(&w, PL_STUN_A_XOR_MAPPED_ADDRESS, c->addr);
		if (c->mapped)
			pl_stun_wr_addr(&w, PL_STUN_A_MAPPED_ADDRESS, c->addr);
		if (c->error)
			pl_stun_wr_error(&w, c->error, "Unknown Attribute");
		if (c->software)
			pl_stun_wr_attr(&w, PL_STUN_A_SOFTWARE, c->software, strlen(c->software));
		if (c->fingerprint)
			pl_stun_wr_fingerprint(&w);
		int n = pl_stun_wr_finish(&w);
		if (!CHECK(n >= PL_STUN_HDR) || !CHECK_EQ(n % 4, 0))
			continue;
		if (!CHECK_EQ(decode_copy(&m, b, (size_t)n), 0))
			continue;
		CHECK_EQ(pl_stun_classify(b, (size_t)n), c->classic ? PL_DGRAM_STUN_CLASSIC : PL_DGRAM_STUN);
		CHECK_EQ(m.type, type);
		CHECK_EQ(m.method, PL_STUN_BINDING);
		CHECK_EQ(m.cls, c->cls);
		CHECK_EQ(m.classic, c->classic);
		CHECK_MEM_EQ(m.tid, c->classic ? tid16 : tid, c->classic ? 16 : 12);
		CHECK_EQ(m.has_xor_mapped, c->xor_addr);
		CHECK_EQ(m.has_mapped, c->mapped);
		if (c->xor_addr)
			CHECK(addr_eq(&m.xor_mapped, c->addr));
		if (c->mapped)
			CHECK(addr_eq(&m.mapped, c->addr));
		CHECK_EQ(m.has_fingerprint, c->fingerprint);
		CHECK_EQ(m.has_error, c->error != 0);
		if (c->error) {
			CHECK_EQ(m.error_code, c->error);
			CHECK(m.reason_len == 17 && memcmp(m.reason, "Unknown Attribute", 17) == 0);
		}
		if (c->software)
			CHECK(m.software_len == strlen(c->software) && memcmp(m.software, c->software, m.software_len) == 0);
		/* The exact sizes the server's size rule rests on. */
		size_t want = PL_STUN_HDR + (c->fingerprint ? 8 : 0) + (c->error ? 4 + 24 : 0) /* 4 + 17 bytes of reason, padded */ +
			      (c->software ? 4 + ((strlen(c->software) + 3) & ~3u) : 0);
		size_t a = c->addr && c->addr->family == 6 ? PL_STUN_ADDR_ATTR_V6 : PL_STUN_ADDR_ATTR_V4;
		want += (c->xor_addr ? a : 0) + (c->mapped ? a : 0);
		CHECK_EQ(n, want);
	}

	/* Every method number survives the type's bit shuffle. */
	test_case("method and class bits");
	bool all = true;
	for (unsigned method = 0; method < 0x1000 && all; method++)
		for (uint8_t cls = 0; cls < 4; cls++) {
			uint8_t b[PL_STUN_HDR];
			struct pl_stun_wr w;
			struct pl_stun_msg m;
			pl_stun_wr_start(&w, b, sizeof b, pl_stun_type((uint16_t)method, cls), tid);
			all = all && pl_stun_wr_finish(&w) == PL_STUN_HDR && pl_stun_decode(&m, b, sizeof b) == 0 &&
			      m.method == method && m.cls == cls;
		}
	CHECK(all);
}

static void test_writer_errors(void)
{
	uint8_t b[64];
	struct pl_stun_wr w;
	static const uint8_t cookie_tid[16] = {0x21, 0x12, 0xa4, 0x42};
	test_case("writer errors");
	pl_stun_wr_start(&w, b, 19, 0x0001, tid);
	CHECK_EQ(pl_stun_wr_finish(&w), -EMSGSIZE);
	pl_stun_wr_start(&w, b, 31, 0x0001, tid);
	pl_stun_wr_addr(&w, PL_STUN_A_XOR_MAPPED_ADDRESS, &v4_addr); /* needs 32 */
	CHECK_EQ(pl_stun_wr_finish(&w), -EMSGSIZE);
	pl_stun_wr_start(&w, b, sizeof b, 0x4001, tid);
	CHECK_EQ(pl_stun_wr_finish(&w), -EINVAL);
	pl_stun_wr_start(&w, b, sizeof b, 0x0001, tid);
	pl_stun_wr_fingerprint(&w);
	pl_stun_wr_attr(&w, PL_STUN_A_SOFTWARE, "x", 1);
	CHECK_EQ(pl_stun_wr_finish(&w), -EINVAL);
	pl_stun_wr_start_classic(&w, b, sizeof b, 0x0101, cookie_tid);
	CHECK_EQ(pl_stun_wr_finish(&w), -EINVAL);
	static const uint8_t tid16[16] = {9};
	pl_stun_wr_start_classic(&w, b, sizeof b, 0x0101, tid16);
	pl_stun_wr_addr(&w, PL_STUN_A_XOR_MAPPED_ADDRESS, &v4_addr);
	CHECK_EQ(pl_stun_wr_finish(&w), -EINVAL);
	pl_stun_wr_start(&w, b, sizeof b, 0x0111, tid);
	pl_stun_wr_error(&w, 700, "x");
	CHECK_EQ(pl_stun_wr_finish(&w), -EINVAL);
	struct pl_stun_addr bad = {5, 1, {0}};
	pl_stun_wr_start(&w, b, sizeof b, 0x0101, tid);
	pl_stun_wr_addr(&w, PL_STUN_A_MAPPED_ADDRESS, &bad);
	CHECK_EQ(pl_stun_wr_finish(&w), -EINVAL);
}

struct class_case {
	const char *name;
	uint8_t first;
	bool cookie;
	size_t len;
	enum pl_dgram_kind want;
};

static void test_classify(void)
{
	static const struct class_case cases[] = {
		{"voice packet", 2, false, 40, PL_DGRAM_VOICE},
		{"voice packet with the cookie where its sender is", 2, true, 40, PL_DGRAM_VOICE},
		{"short voice packet", 2, false, 1, PL_DGRAM_VOICE},
		{"STUN request", 0, true, 20, PL_DGRAM_STUN},
		{"STUN response", 1, true, 32, PL_DGRAM_STUN},
		{"STUN first byte 3", 3, true, 20, PL_DGRAM_STUN},
		{"STUN, 19 bytes", 0, true, 19, PL_DGRAM_OTHER},
		{"RFC 3489 request", 0, false, 20, PL_DGRAM_STUN_CLASSIC},
		{"RFC 3489 response", 1, false, 32, PL_DGRAM_STUN_CLASSIC},
		{"first byte 3 without the cookie", 3, false, 20, PL_DGRAM_OTHER},
		{"first byte 4 with the cookie", 4, true, 20, PL_DGRAM_OTHER},
		{"DTLS", 22, true, 40, PL_DGRAM_OTHER},
		{"RTP", 0x80, true, 40, PL_DGRAM_OTHER},
		{"empty", 0, false, 0, PL_DGRAM_OTHER},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct class_case *c = &cases[i];
		uint8_t b[64] = {0};
		b[0] = c->first;
		if (c->cookie)
			pl_put_be32(b + 4, PL_STUN_COOKIE);
		test_case("classify %s", c->name);
		CHECK_EQ(pl_stun_classify(b, c->len), c->want);
	}
	test_case("classify the RFC 5769 vectors");
	CHECK_EQ(pl_stun_classify(sample_request, sizeof sample_request), PL_DGRAM_STUN);
	CHECK_EQ(pl_stun_classify(sample_v6_response, sizeof sample_v6_response), PL_DGRAM_STUN);
}

int main(void)
{
	test_crc32();
	test_sample_request();
	test_sample_response("2.2 IPv4 response", sample_v4_response, sizeof sample_v4_response, &v4_addr);
	test_sample_response("2.3 IPv6 response", sample_v6_response, sizeof sample_v6_response, &v6_addr);
	test_sample_ltc();
	test_malformed();
	test_unknown();
	test_round_trip();
	test_writer_errors();
	test_classify();
	return test_done();
}
