/* Unit tests for client/stunc's pure part: what parley --stun makes of a datagram that comes back. */
#include "client/stunc.h"

#include <errno.h>

#include "test.h"

static const uint8_t tid[12] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};
static const uint8_t other_tid[12] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 3};
static const struct pl_stun_addr v4 = {4, 40000, {203, 0, 113, 5}};
static const struct pl_stun_addr v6 = {6, 5060, {0x20, 0x01, 0x0d, 0xb8, [15] = 1}};

/* What a server might send: kind selects the shape. */
enum shape { XOR, MAPPED_ONLY, BOTH, NO_ADDR, ERROR_420, ERROR_CTRL, ERROR_NO_CODE, INDICATION, REQUEST, WRONG_TID,
	     CLASSIC, BAD_FP };

static size_t build(uint8_t *b, size_t cap, enum shape k, const struct pl_stun_addr *a)
{
	struct pl_stun_wr w;
	uint8_t cls = k == INDICATION ? PL_STUN_INDICATION : k == REQUEST ? PL_STUN_REQUEST
			: (k == ERROR_420 || k == ERROR_CTRL || k == ERROR_NO_CODE) ? PL_STUN_ERROR : PL_STUN_SUCCESS;
	uint16_t type = pl_stun_type(PL_STUN_BINDING, cls);
	if (k == CLASSIC) {
		static const uint8_t t16[16] = {1};
		pl_stun_wr_start_classic(&w, b, cap, type, t16);
	} else {
		pl_stun_wr_start(&w, b, cap, type, k == WRONG_TID ? other_tid : tid);
	}
	if (k == XOR || k == BOTH || k == INDICATION || k == REQUEST || k == WRONG_TID || k == BAD_FP)
		pl_stun_wr_addr(&w, PL_STUN_A_XOR_MAPPED_ADDRESS, a);
	if (k == MAPPED_ONLY || k == BOTH || k == CLASSIC)
		pl_stun_wr_addr(&w, PL_STUN_A_MAPPED_ADDRESS, k == BOTH ? &v6 : a); /* XOR wins over MAPPED */
	if (k == ERROR_420)
		pl_stun_wr_error(&w, 420, "Unknown Attribute");
	if (k == ERROR_CTRL)
		pl_stun_wr_error(&w, 500, "Server \x1b[2J Error");
	pl_stun_wr_fingerprint(&w);
	int n = pl_stun_wr_finish(&w);
	if (k == BAD_FP)
		b[n - 1] ^= 1;
	return (size_t)n;
}

struct parse_case {
	const char *name;
	enum shape k;
	const struct pl_stun_addr *a;
	int want;
	const char *err; /* the sentence, when want is -EPROTO */
};

int main(void)
{
	static const struct parse_case cases[] = {
		{"XOR-MAPPED-ADDRESS v4", XOR, &v4, 0, NULL},
		{"XOR-MAPPED-ADDRESS v6", XOR, &v6, 0, NULL},
		{"MAPPED-ADDRESS only", MAPPED_ONLY, &v4, 0, NULL},
		{"both: XOR wins", BOTH, &v4, 0, NULL},
		{"no address", NO_ADDR, &v4, -EPROTO, "the server answered without a mapped address"},
		{"error 420", ERROR_420, &v4, -EPROTO, "the server refused the request with error 420 (Unknown Attribute)"},
		{"error with control bytes", ERROR_CTRL, &v4, -EPROTO, "the server refused the request with error 500 (Server ?[2J Error)"},
		{"error without code", ERROR_NO_CODE, &v4, -EPROTO,
		 "the server answered with an error response that gives no error code"},
		{"indication", INDICATION, &v4, -EAGAIN, NULL},
		{"request", REQUEST, &v4, -EAGAIN, NULL},
		{"another transaction", WRONG_TID, &v4, -EAGAIN, NULL},
		{"RFC 3489 response", CLASSIC, &v4, -EAGAIN, NULL},
		{"bad fingerprint", BAD_FP, &v4, -EAGAIN, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct parse_case *c = &cases[i];
		uint8_t b[200];
		char err[200] = "";
		struct pl_stun_addr a = {0};
		test_case("parse %s", c->name);
		size_t n = build(b, sizeof b, c->k, c->a);
		CHECK_EQ(pl_stunc_parse(b, n, tid, &a, err, sizeof err), c->want);
		if (c->want == 0)
			CHECK(a.family == c->a->family && a.port == c->a->port && memcmp(a.ip, c->a->ip, 16) == 0);
		if (c->err)
			CHECK_STR_EQ(err, c->err);
	}
	test_case("voice packet");
	uint8_t voice[40] = {2, 1};
	struct pl_stun_addr a;
	char err[100];
	CHECK_EQ(pl_stunc_parse(voice, sizeof voice, tid, &a, err, sizeof err), -EAGAIN);
	CHECK_EQ(pl_stunc_parse(voice, 0, tid, &a, err, sizeof err), -EAGAIN);

	test_case("format");
	char s[64];
	pl_stunc_fmt(&v4, s, sizeof s);
	CHECK_STR_EQ(s, "203.0.113.5:40000");
	pl_stunc_fmt(&v6, s, sizeof s);
	CHECK_STR_EQ(s, "[2001:db8::1]:5060");
	return test_done();
}
