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

/* The peers' messages: what rdvc sends, byte for byte as PROTOCOL.md 20.3 and 20.4 give them. */
static void test_peer_messages(void)
{
	uint8_t elem[PL_RDV_ELEM_LEN], key[PL_RDV_KEY_LEN], mac[PL_RDV_MAC_LEN];
	for (int i = 0; i < 32; i++)
		elem[i] = (uint8_t)(0x20 + i), key[i] = (uint8_t)(0x40 + i), mac[i] = (uint8_t)(0x60 + i);
	uint8_t e[PL_RDV_X_ELEM_LEN + 1], c[PL_RDV_X_CONFIRM_LEN + 1];
	struct pl_rdv_x x;
	test_case("key exchange: the element");
	pl_rdv_x_elem(e, elem);
	CHECK_EQ(e[0], 0x01);
	CHECK_EQ(pl_rdv_x_decode(e, PL_RDV_X_ELEM_LEN, &x), 0);
	CHECK(x.type == PL_RDV_X_ELEM && x.elem == e + 1 && x.key == NULL);
	CHECK_MEM_EQ(x.elem, elem, sizeof elem);
	test_case("key exchange: the confirmation");
	pl_rdv_x_confirm(c, key, mac);
	CHECK(c[0] == 0x02 && PL_RDV_X_CONFIRM_LEN == 65);
	CHECK_EQ(pl_rdv_x_decode(c, PL_RDV_X_CONFIRM_LEN, &x), 0);
	CHECK(x.type == PL_RDV_X_CONFIRM && x.elem == NULL);
	CHECK_MEM_EQ(x.key, key, sizeof key);
	CHECK_MEM_EQ(x.mac, mac, sizeof mac);
	test_case("key exchange: a length or type that is neither");
	CHECK_EQ(pl_rdv_x_decode(e, PL_RDV_X_ELEM_LEN + 1, &x), -EBADMSG);
	CHECK_EQ(pl_rdv_x_decode(e, PL_RDV_X_ELEM_LEN - 1, &x), -EBADMSG);
	CHECK_EQ(pl_rdv_x_decode(c, PL_RDV_X_CONFIRM_LEN - 1, &x), -EBADMSG);
	CHECK_EQ(pl_rdv_x_decode(e, 0, &x), -EBADMSG);
	e[0] = 0x02; /* a confirmation's type at an element's length */
	CHECK_EQ(pl_rdv_x_decode(e, PL_RDV_X_ELEM_LEN, &x), -EBADMSG);
	c[0] = 0x03;
	CHECK_EQ(pl_rdv_x_decode(c, PL_RDV_X_CONFIRM_LEN, &x), -EBADMSG);

	uint8_t tag[PL_RDV_TAG_LEN], nonce[PL_RDV_TAG_LEN], t2[PL_RDV_TAG_LEN], n2[PL_RDV_TAG_LEN];
	uint8_t p[PL_RDV_PUNCH_LEN + 1];
	for (int i = 0; i < PL_RDV_TAG_LEN; i++)
		tag[i] = (uint8_t)(0x70 + i), nonce[i] = (uint8_t)(0x80 + i);
	test_case("PUNCH round trip");
	pl_rdv_punch_encode(p, tag, nonce);
	CHECK(PL_RDV_PUNCH_LEN == 36 && p[0] == 0x50 && p[1] == 'P' && p[2] == 'U' && p[3] == 'N');
	CHECK_EQ(pl_rdv_punch_decode(p, PL_RDV_PUNCH_LEN, t2, n2), 0);
	CHECK_MEM_EQ(t2, tag, sizeof tag);
	CHECK_MEM_EQ(n2, nonce, sizeof nonce);
	test_case("PUNCH truncated, long or with another magic");
	for (size_t n = 0; n <= PL_RDV_PUNCH_LEN + 1; n++)
		if (n != PL_RDV_PUNCH_LEN)
			CHECK_EQ(pl_rdv_punch_decode(p, n, t2, n2), -EBADMSG);
	for (int i = 0; i < 4; i++) {
		pl_rdv_punch_encode(p, tag, nonce);
		p[i] ^= 0x01;
		CHECK_EQ(pl_rdv_punch_decode(p, PL_RDV_PUNCH_LEN, t2, n2), -EBADMSG);
	}
}

int main(void)
{
	test_make_parse();
	test_peer_messages();
	test_parse();
	test_dgram();
	return test_done();
}
