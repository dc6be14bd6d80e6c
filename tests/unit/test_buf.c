/* Unit tests for core/buf: big-endian reads and writes, the sticky error flag, strings. */
#include "core/buf.h"

#include <errno.h>
#include <stdlib.h>

#include "test.h"

static void test_reader_ints(void)
{
	static const uint8_t b[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
				    0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
	struct pl_rd r;
	test_case("reader ints");
	pl_rd_init(&r, b, sizeof b);
	CHECK_EQ(pl_rd_u8(&r), 0x01);
	CHECK_EQ(pl_rd_u16(&r), 0x0203);
	CHECK_EQ(pl_rd_u32(&r), 0x04050607);
	CHECK(pl_rd_u64(&r) == 0x08090a0b0c0d0e0full);
	CHECK_EQ(pl_rd_left(&r), 0);
	CHECK_EQ(pl_rd_finish(&r), 0);

	static const uint8_t ff[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe};
	pl_rd_init(&r, ff, sizeof ff);
	CHECK(pl_rd_u64(&r) == 0xfffffffffffffffeull);
	CHECK_EQ(pl_rd_finish(&r), 0);

	CHECK_EQ(pl_be16(b), 0x0102);
	CHECK_EQ(pl_be32(ff), 0xffffffffu);
	uint8_t out[4];
	pl_put_be16(out, 0xabcd);
	CHECK_EQ(out[0], 0xab);
	CHECK_EQ(out[1], 0xcd);
	pl_put_be32(out, 0x80000001u);
	CHECK_EQ(pl_be32(out), 0x80000001u);
}

/* A read past the end returns zero, sets the flag, and no later read may succeed. */
static void test_reader_sticky(void)
{
	static const uint8_t b[] = {0xaa, 0xbb, 0xcc};
	struct pl_rd r;
	test_case("reader sticky error");
	pl_rd_init(&r, b, sizeof b);
	CHECK_EQ(pl_rd_u32(&r), 0);
	CHECK(r.err);
	CHECK_EQ(pl_rd_u8(&r), 0); /* a byte is there, but the flag is sticky */
	CHECK_EQ(pl_rd_left(&r), 0);
	CHECK_EQ(pl_rd_finish(&r), -EBADMSG);

	/* Each width, one byte short. */
	static const size_t widths[] = {1, 2, 4, 8};
	for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++) {
		uint8_t *p = malloc(widths[i]); /* exact-size heap block: a sanitizer sees over-reads */
		memset(p, 0x5a, widths[i]);
		test_case("reader short by one, width %zu", widths[i]);
		pl_rd_init(&r, p, widths[i] - 1);
		uint64_t v = widths[i] == 1 ? pl_rd_u8(&r) : widths[i] == 2 ? pl_rd_u16(&r)
			   : widths[i] == 4 ? pl_rd_u32(&r) : pl_rd_u64(&r);
		CHECK(v == 0);
		CHECK(r.err);
		CHECK_EQ(pl_rd_finish(&r), -EBADMSG);
		free(p);
	}

	/* Bytes: a failed read zeroes the destination rather than leaving stale data. */
	uint8_t dst[4] = {1, 2, 3, 4};
	test_case("reader bytes short");
	pl_rd_init(&r, b, sizeof b);
	pl_rd_bytes(&r, dst, sizeof dst);
	CHECK(r.err);
	CHECK(dst[0] == 0 && dst[1] == 0 && dst[2] == 0 && dst[3] == 0);

	test_case("reader trailing bytes");
	pl_rd_init(&r, b, sizeof b);
	CHECK_EQ(pl_rd_u16(&r), 0xaabb);
	CHECK_EQ(pl_rd_left(&r), 1);
	CHECK_EQ(pl_rd_finish(&r), -EBADMSG);

	test_case("reader empty");
	pl_rd_init(&r, b, 0);
	CHECK_EQ(pl_rd_finish(&r), 0);
	pl_rd_bytes(&r, dst, 0);
	CHECK_EQ(pl_rd_finish(&r), 0);
}

struct str_case {
	const char *name;
	const uint8_t *in;
	size_t len;
	size_t dstsz, max;
	bool ok;
	const char *want; /* when ok */
};

static void test_reader_str(void)
{
	static const uint8_t s_abc[] = {0x00, 0x03, 'a', 'b', 'c'};
	static const uint8_t s_empty[] = {0x00, 0x00};
	static const uint8_t s_nul_mid[] = {0x00, 0x03, 'a', 0x00, 'c'};
	static const uint8_t s_nul_end[] = {0x00, 0x03, 'a', 'b', 0x00};
	static const uint8_t s_short[] = {0x00, 0x04, 'a', 'b', 'c'};
	static const uint8_t s_huge[] = {0xff, 0xff, 'a', 'b', 'c'};
	static const uint8_t s_nolen[] = {0x00};
	static const uint8_t s_utf8[] = {0x00, 0x02, 0xc3, 0xa9};
	static const struct str_case cases[] = {
		{"exact", s_abc, sizeof s_abc, 8, 7, true, "abc"},
		{"at max", s_abc, sizeof s_abc, 4, 3, true, "abc"},
		{"empty", s_empty, sizeof s_empty, 4, 3, true, ""},
		{"utf-8 bytes", s_utf8, sizeof s_utf8, 4, 3, true, "\xc3\xa9"},
		{"over max", s_abc, sizeof s_abc, 8, 2, false, NULL},
		{"no room for NUL", s_abc, sizeof s_abc, 3, 7, false, NULL},
		{"NUL inside", s_nul_mid, sizeof s_nul_mid, 8, 7, false, NULL},
		{"NUL last", s_nul_end, sizeof s_nul_end, 8, 7, false, NULL},
		{"length past end", s_short, sizeof s_short, 8, 7, false, NULL},
		{"length 0xffff", s_huge, sizeof s_huge, 8, 7, false, NULL},
		{"half a length", s_nolen, sizeof s_nolen, 8, 7, false, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct str_case *c = &cases[i];
		char dst[16];
		memset(dst, 'Z', sizeof dst);
		struct pl_rd r;
		test_case("rd_str %s", c->name);
		pl_rd_init(&r, c->in, c->len);
		pl_rd_str(&r, dst, c->dstsz, c->max);
		if (c->ok) {
			CHECK(!r.err);
			CHECK_EQ(pl_rd_finish(&r), 0);
			CHECK_STR_EQ(dst, c->want);
		} else {
			CHECK(r.err);
			CHECK_EQ(pl_rd_finish(&r), -EBADMSG);
			CHECK_EQ(dst[0], '\0'); /* a failed read leaves an empty string, never garbage */
		}
		CHECK(dst[c->dstsz] == 'Z'); /* nothing written past dstsz */
	}
}

static void test_writer(void)
{
	uint8_t b[16];
	struct pl_wr w;
	test_case("writer ints");
	pl_wr_init(&w, b, sizeof b);
	pl_wr_u8(&w, 0x01);
	pl_wr_u16(&w, 0x0203);
	pl_wr_u32(&w, 0x04050607);
	pl_wr_u64(&w, 0x08090a0b0c0d0e0full);
	CHECK_EQ(pl_wr_finish(&w), 15);
	static const uint8_t want[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
	CHECK_MEM_EQ(b, want, sizeof want);

	/* Exactly full succeeds; one more byte fails, and the flag sticks. */
	test_case("writer full");
	memset(b, 0xee, sizeof b);
	pl_wr_init(&w, b, 4);
	pl_wr_u32(&w, 0xdeadbeef);
	CHECK_EQ(pl_wr_finish(&w), 4);
	pl_wr_u8(&w, 0x11);
	CHECK_EQ(pl_wr_finish(&w), -EMSGSIZE);
	CHECK_EQ(b[4], 0xee);
	pl_wr_bytes(&w, "", 0);
	CHECK_EQ(pl_wr_finish(&w), -EMSGSIZE);

	test_case("writer u64 does not fit 7");
	memset(b, 0xee, sizeof b);
	pl_wr_init(&w, b, 7);
	pl_wr_u64(&w, 1);
	CHECK_EQ(pl_wr_finish(&w), -EMSGSIZE);
	CHECK_EQ(b[0], 0xee); /* nothing partial */

	test_case("writer str");
	pl_wr_init(&w, b, sizeof b);
	pl_wr_str(&w, "hey", 3);
	pl_wr_str(&w, "", 0);
	CHECK_EQ(pl_wr_finish(&w), 7);
	static const uint8_t want_s[] = {0, 3, 'h', 'e', 'y', 0, 0};
	CHECK_MEM_EQ(b, want_s, sizeof want_s);

	test_case("writer str over max");
	pl_wr_init(&w, b, sizeof b);
	pl_wr_str(&w, "hey!", 3);
	CHECK_EQ(pl_wr_finish(&w), -EMSGSIZE);

	test_case("writer str over cap");
	pl_wr_init(&w, b, 4);
	pl_wr_str(&w, "hey", 3);
	CHECK_EQ(pl_wr_finish(&w), -EMSGSIZE);

	/* A string longer than a u16 can count must fail, whatever max the caller passed. */
	test_case("writer str over 65535");
	size_t big = 70000;
	char *s = malloc(big + 1);
	uint8_t *out = malloc(big + 2);
	memset(s, 'a', big);
	s[big] = '\0';
	pl_wr_init(&w, out, big + 2);
	pl_wr_str(&w, s, big);
	CHECK_EQ(pl_wr_finish(&w), -EMSGSIZE);
	free(s);
	free(out);
}

/* What the writer writes, the reader reads back. */
static void test_round_trip(void)
{
	uint8_t b[64];
	struct pl_wr w;
	struct pl_rd r;
	test_case("round trip");
	pl_wr_init(&w, b, sizeof b);
	pl_wr_u8(&w, 0xfe);
	pl_wr_u16(&w, 0xfffe);
	pl_wr_u32(&w, 0xfffffffeu);
	pl_wr_u64(&w, UINT64_MAX);
	pl_wr_str(&w, "#Lobby", 32);
	pl_wr_bytes(&w, "\x00\x01\x02", 3);
	int n = pl_wr_finish(&w);
	CHECK_EQ(n, 1 + 2 + 4 + 8 + 2 + 6 + 3);

	char room[33];
	uint8_t raw[3];
	pl_rd_init(&r, b, (size_t)n);
	CHECK_EQ(pl_rd_u8(&r), 0xfe);
	CHECK_EQ(pl_rd_u16(&r), 0xfffe);
	CHECK_EQ(pl_rd_u32(&r), 0xfffffffeu);
	CHECK(pl_rd_u64(&r) == UINT64_MAX);
	pl_rd_str(&r, room, sizeof room, 32);
	pl_rd_bytes(&r, raw, 3);
	CHECK_EQ(pl_rd_finish(&r), 0);
	CHECK_STR_EQ(room, "#Lobby");
	CHECK_MEM_EQ(raw, "\x00\x01\x02", 3);
}

int main(void)
{
	test_reader_ints();
	test_reader_sticky();
	test_reader_str();
	test_writer();
	test_round_trip();
	return test_done();
}
