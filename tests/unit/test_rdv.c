/*
 * Unit tests for core/rdv: every code made parses back to itself; what people type (case, spaces,
 * other separators) gives the canonical code; malformed codes are refused; the word list is sorted
 * and distinct (the lookup is a binary search); the datagram round-trips and nothing else decodes.
 */
#include "core/rdv.h"

#include <errno.h>
#include <string.h>

#include "test.h"

static void test_make_parse(void)
{
	test_case("words sorted and distinct");
	for (unsigned i = 1; i < PL_RDV_WORDS; i++)
		if (!CHECK(strcmp(pl_rdv_word(i - 1), pl_rdv_word(i)) < 0))
			break;
	unsigned bad = 0, longest = 0;
	for (unsigned i = 0; i < 65536; i += 7) {
		uint8_t r[PL_RDV_CODE_RANDOM] = {(uint8_t)(i >> 8), (uint8_t)i, (uint8_t)(i * 13),
						 (uint8_t)(i * 29 + 5)};
		char code[PL_RDV_CODE_MAX + 1], back[PL_RDV_CODE_MAX + 1];
		pl_rdv_code_make(code, sizeof code, r);
		if (strlen(code) > longest)
			longest = (unsigned)strlen(code);
		if (pl_rdv_code_parse(code, back, sizeof back) != 0 || strcmp(code, back) != 0)
			bad++;
	}
	test_case("made codes parse back");
	CHECK_EQ(bad, 0);
	CHECK(longest <= PL_RDV_CODE_MAX);
	uint8_t r0[PL_RDV_CODE_RANDOM] = {0, 0, 0, 255};
	char code[PL_RDV_CODE_MAX + 1];
	pl_rdv_code_make(code, sizeof code, r0);
	CHECK_STR_EQ(code, "1-acorn-zipper");
}

static void test_parse(void)
{
	static const struct { const char *in, *want; } ok[] = {
		{"7-castle-river", "7-castle-river"},
		{"  7 Castle RIVER \n", NULL},
		{"7 castle river", "7-castle-river"},
		{"7.castle_river", "7-castle-river"},
		{"7--castle  river", "7-castle-river"},
		{"99-zipper-acorn", "99-zipper-acorn"},
		{"-1-castle-river-", "1-castle-river"},
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		test_case("parse \"%s\"", ok[i].in);
		char out[PL_RDV_CODE_MAX + 1];
		int rc = pl_rdv_code_parse(ok[i].in, out, sizeof out);
		if (ok[i].want) {
			CHECK_EQ(rc, 0);
			CHECK_STR_EQ(out, ok[i].want);
		} else {
			CHECK_EQ(rc, -EINVAL); /* a newline is not a separator */
		}
	}
	static const char *bad[] = {"", "7", "7-castle", "7-castle-river-x", "0-castle-river", "100-castle-river",
				    "07-castle-river", "x-castle-river", "7-castel-river", "7-castle-rivers",
				    "7-castle-rïver", "7-castle-riverriverriver", "7-castle-river;"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		test_case("refuse \"%s\"", bad[i]);
		char out[PL_RDV_CODE_MAX + 1];
		CHECK_EQ(pl_rdv_code_parse(bad[i], out, sizeof out), -EINVAL);
	}
	test_case("small output");
	char tiny[8];
	CHECK_EQ(pl_rdv_code_parse("7-castle-river", tiny, sizeof tiny), -EINVAL);
}

static void test_dgram(void)
{
	uint8_t tok[PL_RDV_TOKEN_LEN], back[PL_RDV_TOKEN_LEN], d[PL_RDV_DGRAM_LEN + 1];
	for (int i = 0; i < PL_RDV_TOKEN_LEN; i++)
		tok[i] = (uint8_t)(0xA0 + i);
	test_case("datagram round trip");
	pl_rdv_dgram_encode(d, tok);
	CHECK_EQ(pl_rdv_dgram_decode(d, PL_RDV_DGRAM_LEN, back), 0);
	CHECK_MEM_EQ(tok, back, sizeof tok);
	CHECK(d[0] > 3 && d[0] != 2); /* neither STUN nor voice to pl_stun_classify */
	test_case("datagram truncated or long");
	for (size_t n = 0; n <= PL_RDV_DGRAM_LEN + 1; n++)
		if (n != PL_RDV_DGRAM_LEN)
			CHECK_EQ(pl_rdv_dgram_decode(d, n, back), -EBADMSG);
	test_case("datagram magic");
	for (int i = 0; i < 4; i++) {
		pl_rdv_dgram_encode(d, tok);
		d[i] ^= 0x20;
		CHECK_EQ(pl_rdv_dgram_decode(d, PL_RDV_DGRAM_LEN, back), -EBADMSG);
	}
}

int main(void)
{
	test_make_parse();
	test_parse();
	test_dgram();
	return test_done();
}
