/* Unit tests for core/frame: the u32 length + u16 type envelope and pl_frame_peek. */
#include "core/frame.h"

#include <errno.h>
#include <stdlib.h>

#include "core/buf.h"
#include "test.h"

struct peek_case {
	const char *name;
	uint32_t len_field; /* written big-endian at offset 0 */
	size_t avail;       /* bytes the receiver has so far */
	size_t max;
	int want;
};

static void test_peek_table(void)
{
	static const struct peek_case cases[] = {
		/* need more: not even a length yet */
		{"empty", 6, 0, 16384, 0},
		{"1 byte", 6, 1, 16384, 0},
		{"3 bytes", 6, 3, 16384, 0},
		/* need more: a length, but not the whole frame */
		{"header only", 10, 6, 16384, 0},
		{"length only", 6, 4, 16384, 0},
		{"one short", 100, 99, 16384, 0},
		{"max one short", 16384, 16383, 16384, 0},
		/* exact */
		{"bare header", 6, 6, 16384, 6},
		{"exact", 100, 100, 16384, 100},
		{"more behind it", 100, 250, 16384, 100},
		{"exactly max", 16384, 16384, 16384, 16384},
		{"hard max", 65536, 65536, 65536, 65536},
		{"tiny max", 6, 6, 6, 6},
		/* too small: the length counts the header, so below 6 is malformed */
		{"length 0", 0, 4, 16384, -EBADMSG},
		{"length 1", 1, 4, 16384, -EBADMSG},
		{"length 5", 5, 4, 16384, -EBADMSG},
		{"length 5 with bytes", 5, 64, 16384, -EBADMSG},
		/* too big: rejected from the length alone, before the payload is buffered */
		{"max + 1", 16385, 4, 16384, -EMSGSIZE},
		{"max + 1 complete", 16385, 16385, 16384, -EMSGSIZE},
		{"configured small", 101, 4, 100, -EMSGSIZE},
		{"hard max + 1", 65537, 4, 1u << 20, -EMSGSIZE},
		{"huge", 0x7fffffffu, 4, SIZE_MAX, -EMSGSIZE},
		{"all ones", 0xffffffffu, 4, SIZE_MAX, -EMSGSIZE},
		{"sign bit", 0x80000006u, 4, SIZE_MAX, -EMSGSIZE},
		{"max below header", 6, 6, 5, -EMSGSIZE},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct peek_case *c = &cases[i];
		test_case("peek %s", c->name);
		/* An exact-size heap block with the avail bytes, so reading past avail is caught. */
		size_t sz = c->avail ? c->avail : 1;
		uint8_t *b = malloc(sz);
		memset(b, 0xa5, sz);
		uint8_t hdr[4];
		pl_put_be32(hdr, c->len_field);
		memcpy(b, hdr, c->avail < 4 ? c->avail : 4);
		CHECK_EQ(pl_frame_peek(b, c->avail, c->max), c->want);
		free(b);
	}
}

/* A stream of back-to-back frames is cut at the right places, fed one byte at a time. */
static void test_peek_stream(void)
{
	uint8_t stream[64];
	size_t n = 0;
	static const size_t plens[] = {0, 5, 1, 12};
	for (size_t i = 0; i < 4; i++) {
		pl_frame_put_hdr(stream + n, (uint16_t)(0x8000 + i), plens[i]);
		memset(stream + n + PL_FRAME_HDR, (int)i, plens[i]);
		n += PL_FRAME_HDR + plens[i];
	}
	size_t off = 0, frames = 0;
	test_case("stream");
	for (size_t have = 0; have <= n; have++) {
		int r;
		while ((r = pl_frame_peek(stream + off, have - off, PL_FRAME_MAX_DEFAULT)) > 0) {
			CHECK_EQ(r, PL_FRAME_HDR + plens[frames]);
			CHECK_EQ(pl_be16(stream + off + 4), 0x8000 + frames);
			CHECK(have - off >= (size_t)r);
			off += (size_t)r;
			frames++;
		}
		CHECK_EQ(r, 0);
	}
	CHECK_EQ(frames, 4);
	CHECK_EQ(off, n);
}

static void test_put_hdr(void)
{
	uint8_t b[8];
	memset(b, 0xee, sizeof b);
	test_case("put_hdr");
	pl_frame_put_hdr(b, 0x8009, 0x1234);
	static const uint8_t want[] = {0x00, 0x00, 0x12, 0x3a, 0x80, 0x09, 0xee};
	CHECK_MEM_EQ(b, want, sizeof want);

	pl_frame_put_hdr(b, 0x0001, 0);
	CHECK_EQ(pl_frame_peek(b, PL_FRAME_HDR, PL_FRAME_MAX_DEFAULT), PL_FRAME_HDR);
	CHECK_EQ(pl_be16(b + 4), 0x0001);
}

int main(void)
{
	test_peek_table();
	test_peek_stream();
	test_put_hdr();
	return test_done();
}
