/* Unit tests for core/vpkt: the UDP voice packet, and the MACs of BIND and CONFIRM. */
#include "core/vpkt.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>

#include "core/buf.h"
#include "test.h"

/* Decodes from an exact-size heap copy, so a sanitizer build catches any read past len. The
 * decoded payload pointer is rebased onto the caller's buffer. */
static int decode_copy(struct pl_vpkt *v, const uint8_t *p, size_t len)
{
	uint8_t *c = malloc(len ? len : 1);
	if (len)
		memcpy(c, p, len);
	int rc = pl_vpkt_decode(v, c, len);
	if (rc == 0)
		v->payload = p + (v->payload - c);
	free(c);
	return rc;
}

static uint64_t be64(const uint8_t *p) { return (uint64_t)pl_be32(p) << 32 | pl_be32(p + 4); }

struct rt_case {
	const char *name;
	uint8_t type;
	uint64_t sender;
	uint16_t seq;
	uint32_t ts;
	size_t plen;
};

static void test_round_trip(void)
{
	static const struct rt_case cases[] = {
		{"voice 1 byte", PL_VPKT_VOICE, 1, 0, 0, 1},
		{"voice 20 ms at 24 kbit/s", PL_VPKT_VOICE, 0xdeadbeefcafef00dull, 12345, 960u * 12345, 60},
		{"voice largest opus", PL_VPKT_VOICE, UINT64_MAX, 65535, 0xffffffffu, PL_VPKT_MAX_PAYLOAD},
		{"voice sender above 2^32", PL_VPKT_VOICE, 0x100000000ull, 1, 960, 3},
		{"bind", PL_VPKT_BIND, 7, 0, 0, PL_VBIND_PAYLOAD},
		{"bind ack", PL_VPKT_BIND_ACK, 7, 1, 2, PL_VACK_PAYLOAD},
		{"challenge", PL_VPKT_CHALLENGE, 0x8000000000000001ull, 0, 0, PL_VCHALLENGE_PAYLOAD},
		{"confirm", PL_VPKT_CONFIRM, 0x0123456789abcdefull, 0, 0, PL_VCONFIRM_PAYLOAD},
	};
	static uint8_t payload[PL_VPKT_MAX_PAYLOAD], buf[PL_VPKT_MAX + 16];
	for (size_t i = 0; i < sizeof payload; i++)
		payload[i] = (uint8_t)(i * 131 + 7);

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct rt_case *c = &cases[i];
		struct pl_vpkt v = {c->type, c->sender, c->seq, c->ts, payload, c->plen}, d;
		test_case("round trip %s", c->name);
		int n = pl_vpkt_encode(&v, buf, sizeof buf);
		if (!CHECK_EQ(n, PL_VPKT_HDR + c->plen))
			continue;
		CHECK_EQ(buf[0], PL_VPKT_VERSION);
		CHECK_EQ(buf[1], c->type);
		CHECK(be64(buf + 2) == c->sender);
		CHECK_EQ(pl_be16(buf + 10), c->seq);
		CHECK_EQ(pl_be32(buf + 12), c->ts);
		memset(&d, 0xa5, sizeof d);
		if (!CHECK_EQ(decode_copy(&d, buf, (size_t)n), 0))
			continue;
		CHECK_EQ(d.type, c->type);
		CHECK(d.sender == c->sender);
		CHECK_EQ(d.seq, c->seq);
		CHECK_EQ(d.ts, c->ts);
		CHECK_EQ(d.plen, c->plen);
		CHECK(d.payload == buf + PL_VPKT_HDR);
		CHECK_MEM_EQ(d.payload, payload, c->plen);

		/* Exactly enough room works; one byte less does not, and writes nothing. */
		uint8_t *exact = malloc((size_t)n);
		CHECK_EQ(pl_vpkt_encode(&v, exact, (size_t)n), n);
		CHECK_MEM_EQ(exact, buf, (size_t)n);
		free(exact);
		memset(buf, 0xee, sizeof buf);
		CHECK_EQ(pl_vpkt_encode(&v, buf, (size_t)n - 1), -EMSGSIZE);
		CHECK_EQ(buf[0], 0xee);
	}
}

static void test_golden(void)
{
	static const uint8_t pay[] = {0xfc, 0xff, 0xfe};
	struct pl_vpkt v = {PL_VPKT_VOICE, 0x0011223344556677ull, 0x1234, 0x000003c0, pay, sizeof pay};
	static const uint8_t want[] = {0x02, 0x03, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
				       0x12, 0x34, 0x00, 0x00, 0x03, 0xc0, 0xfc, 0xff, 0xfe};
	uint8_t buf[64];
	test_case("golden voice");
	CHECK_EQ(pl_vpkt_encode(&v, buf, sizeof buf), sizeof want);
	CHECK_MEM_EQ(buf, want, sizeof want);
	struct pl_vpkt d;
	test_case("golden voice decodes");
	if (CHECK_EQ(decode_copy(&d, want, sizeof want), 0)) {
		CHECK(d.sender == 0x0011223344556677ull);
		CHECK_EQ(d.seq, 0x1234);
		CHECK_EQ(d.ts, 0x3c0);
	}

	/* A CHALLENGE has no MAC: its bytes follow from the layout alone. */
	static const uint8_t cookie[PL_VCOOKIE_LEN] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
						       0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
	static const uint8_t want_ch[] = {
		0x02, 0x04, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
		0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
	};
	test_case("golden challenge");
	CHECK_EQ(pl_vchallenge_make(buf, sizeof buf, 0x0102030405060708ull, 0x0000000100000002ull, cookie),
		 sizeof want_ch);
	CHECK_MEM_EQ(buf, want_ch, sizeof want_ch);
	if (CHECK_EQ(decode_copy(&d, want_ch, sizeof want_ch), 0)) {
		CHECK_EQ(d.type, PL_VPKT_CHALLENGE);
		CHECK(pl_vpkt_counter(&d) == 0x0000000100000002ull);
		CHECK_MEM_EQ(d.payload + 8, cookie, PL_VCOOKIE_LEN);
	}
	/* The relay answers a BIND from an unproven address with one CHALLENGE: never larger. */
	test_case("challenge is no larger than the bind");
	CHECK(PL_VPKT_HDR + PL_VCHALLENGE_PAYLOAD <= PL_VPKT_HDR + PL_VBIND_PAYLOAD);

	static const uint8_t want_ack[] = {
		0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
	};
	test_case("golden bind ack");
	CHECK_EQ(pl_vack_make(buf, sizeof buf, 42, UINT64_MAX - 1), sizeof want_ack);
	CHECK_MEM_EQ(buf, want_ack, sizeof want_ack);
	if (CHECK_EQ(decode_copy(&d, want_ack, sizeof want_ack), 0))
		CHECK(pl_vpkt_counter(&d) == UINT64_MAX - 1);

	test_case("counted packets into too little");
	memset(buf, 0xee, sizeof buf);
	CHECK_EQ(pl_vack_make(buf, sizeof want_ack - 1, 42, 1), -EMSGSIZE);
	CHECK_EQ(pl_vchallenge_make(buf, sizeof want_ch - 1, 42, 1, cookie), -EMSGSIZE);
	CHECK_EQ(buf[0], 0xee);
}

struct bad_case {
	const char *name;
	uint8_t version, type;
	size_t plen;
};

static void test_decode_bad(void)
{
	static uint8_t buf[PL_VPKT_MAX + 64];

	/* Shorter than the header, at every length. */
	memset(buf, 0, sizeof buf);
	buf[0] = PL_VPKT_VERSION;
	buf[1] = PL_VPKT_VOICE;
	for (size_t len = 0; len < PL_VPKT_HDR; len++) {
		struct pl_vpkt v;
		test_case("short %zu", len);
		CHECK_EQ(decode_copy(&v, buf, len), -EBADMSG);
	}

	static const struct bad_case cases[] = {
		{"voice oversized", PL_VPKT_VERSION, PL_VPKT_VOICE, PL_VPKT_MAX_PAYLOAD + 1},
		{"voice far oversized", PL_VPKT_VERSION, PL_VPKT_VOICE, PL_VPKT_MAX_PAYLOAD + 60},
		{"voice empty", PL_VPKT_VERSION, PL_VPKT_VOICE, 0},
		{"version 0", 0, PL_VPKT_VOICE, 10},
		{"version 1", 1, PL_VPKT_VOICE, 10},
		{"version 1 bind", 1, PL_VPKT_BIND, PL_VBIND_PAYLOAD},
		{"version 3", 3, PL_VPKT_VOICE, 10},
		{"version 0xff", 0xff, PL_VPKT_VOICE, 10},
		{"type 0", PL_VPKT_VERSION, 0, 10},
		{"type 6", PL_VPKT_VERSION, 6, 10},
		{"type 0xff", PL_VPKT_VERSION, 0xff, 10},
		{"type 0 empty", PL_VPKT_VERSION, 0, 0},
		{"bind short", PL_VPKT_VERSION, PL_VPKT_BIND, PL_VBIND_PAYLOAD - 1},
		{"bind long", PL_VPKT_VERSION, PL_VPKT_BIND, PL_VBIND_PAYLOAD + 1},
		{"bind empty", PL_VPKT_VERSION, PL_VPKT_BIND, 0},
		{"bind ack short", PL_VPKT_VERSION, PL_VPKT_BIND_ACK, 7},
		{"bind ack long", PL_VPKT_VERSION, PL_VPKT_BIND_ACK, 9},
		{"bind ack empty", PL_VPKT_VERSION, PL_VPKT_BIND_ACK, 0},
		{"challenge short", PL_VPKT_VERSION, PL_VPKT_CHALLENGE, PL_VCHALLENGE_PAYLOAD - 1},
		{"challenge long", PL_VPKT_VERSION, PL_VPKT_CHALLENGE, PL_VCHALLENGE_PAYLOAD + 1},
		{"challenge empty", PL_VPKT_VERSION, PL_VPKT_CHALLENGE, 0},
		{"challenge oversized", PL_VPKT_VERSION, PL_VPKT_CHALLENGE, PL_VPKT_MAX_PAYLOAD + 1},
		{"confirm short", PL_VPKT_VERSION, PL_VPKT_CONFIRM, PL_VCONFIRM_PAYLOAD - 1},
		{"confirm long", PL_VPKT_VERSION, PL_VPKT_CONFIRM, PL_VCONFIRM_PAYLOAD + 1},
		{"confirm empty", PL_VPKT_VERSION, PL_VPKT_CONFIRM, 0},
		{"confirm as bind size", PL_VPKT_VERSION, PL_VPKT_CONFIRM, PL_VBIND_PAYLOAD},
		{"bind as confirm size", PL_VPKT_VERSION, PL_VPKT_BIND, PL_VCONFIRM_PAYLOAD},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct bad_case *c = &cases[i];
		struct pl_vpkt v;
		memset(buf, 0x42, sizeof buf);
		buf[0] = c->version;
		buf[1] = c->type;
		test_case("decode %s", c->name);
		CHECK_EQ(decode_copy(&v, buf, PL_VPKT_HDR + c->plen), -EBADMSG);
	}

	/* The boundaries that must pass. */
	struct pl_vpkt v;
	buf[0] = PL_VPKT_VERSION;
	buf[1] = PL_VPKT_VOICE;
	test_case("voice at max");
	CHECK_EQ(decode_copy(&v, buf, PL_VPKT_MAX), 0);
	CHECK_EQ(v.plen, PL_VPKT_MAX_PAYLOAD);
}

static void test_encode_bad(void)
{
	static uint8_t payload[PL_VPKT_MAX_PAYLOAD + 1], buf[PL_VPKT_MAX + 64];
	struct pl_vpkt v = {PL_VPKT_VOICE, 1, 2, 3, payload, PL_VPKT_MAX_PAYLOAD + 1};
	test_case("encode oversized payload");
	CHECK_EQ(pl_vpkt_encode(&v, buf, sizeof buf), -EINVAL);
	test_case("encode NULL payload");
	v.plen = 5;
	v.payload = NULL;
	CHECK_EQ(pl_vpkt_encode(&v, buf, sizeof buf), -EINVAL);
	test_case("encode header into too little");
	v.plen = 0;
	CHECK_EQ(pl_vpkt_encode(&v, buf, PL_VPKT_HDR - 1), -EMSGSIZE);
	CHECK_EQ(pl_vpkt_encode(&v, buf, 0), -EMSGSIZE);
}

static const uint8_t key_a[32] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
				  16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};

/*
 * A BIND for sender 0x0102030405060708, counter 0x0000000100000002, key 00 01 .. 1f, computed
 * outside parley (Python's hmac module): HMAC-SHA-256 over the 16-byte header and the 8-byte
 * counter, truncated to 16 bytes.
 */
static const uint8_t golden_bind[] = {
	0x02, 0x01, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
	0xb6, 0x78, 0x74, 0xa9, 0x85, 0x44, 0xcb, 0xc4, 0xb4, 0xb1, 0xf5, 0x7c, 0x71, 0x9a, 0xd8, 0x7e,
};

static int check_bind(const uint8_t *raw, size_t len, const uint8_t *key, uint64_t *counter)
{
	struct pl_vpkt v;
	int rc = pl_vpkt_decode(&v, raw, len);
	if (rc)
		return rc;
	return pl_vbind_check(&v, raw, key, counter);
}

static void test_bind(void)
{
	uint8_t buf[64];
	uint64_t counter = 0;

	test_case("bind golden make");
	CHECK_EQ(pl_vbind_make(buf, sizeof buf, 0x0102030405060708ull, 0x0000000100000002ull, key_a),
		 sizeof golden_bind);
	CHECK_MEM_EQ(buf, golden_bind, sizeof golden_bind);
	test_case("bind golden check");
	CHECK_EQ(check_bind(golden_bind, sizeof golden_bind, key_a, &counter), 0);
	CHECK(counter == 0x0000000100000002ull);

	static const uint64_t counters[] = {0, 1, 0xffffffffull, 0x100000000ull, UINT64_MAX};
	for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++) {
		test_case("bind counter %" PRIu64, counters[i]);
		int n = pl_vbind_make(buf, sizeof buf, 0xcafe000100000001ull, counters[i], key_a);
		if (!CHECK_EQ(n, PL_VPKT_HDR + PL_VBIND_PAYLOAD))
			continue;
		counter = 12345;
		CHECK_EQ(check_bind(buf, (size_t)n, key_a, &counter), 0);
		CHECK(counter == counters[i]);
	}

	int n = pl_vbind_make(buf, sizeof buf, 0xcafe000100000001ull, 77, key_a);

	test_case("bind wrong key");
	uint8_t key_b[32];
	memcpy(key_b, key_a, 32);
	key_b[31] ^= 0x01;
	counter = 999;
	CHECK_EQ(check_bind(buf, (size_t)n, key_b, &counter), -EBADMSG);
	CHECK(counter == 999); /* untouched on failure */
	uint8_t zero_key[32] = {0};
	CHECK_EQ(check_bind(buf, (size_t)n, zero_key, &counter), -EBADMSG);

	/* Every single flipped bit, anywhere in the packet, is refused (by decode or by the MAC). */
	size_t accepted = 0;
	for (size_t bit = 0; bit < (size_t)n * 8; bit++) {
		uint8_t f[64];
		memcpy(f, buf, (size_t)n);
		f[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (check_bind(f, (size_t)n, key_a, &counter) == 0 && accepted++ == 0) {
			test_case("bind flipped bit %zu", bit);
			CHECK(!"a BIND with a flipped bit was accepted");
		}
	}
	test_case("bind flipped bits");
	CHECK_EQ(accepted, 0);

	/* A valid BIND re-addressed to another session: the MAC covers the sender. */
	test_case("bind changed sender");
	uint8_t f[64];
	memcpy(f, buf, (size_t)n);
	f[9] ^= 0x03; /* the sender's lowest byte */
	CHECK_EQ(check_bind(f, (size_t)n, key_a, &counter), -EBADMSG);

	/* A replay with a raised counter but the old MAC. */
	test_case("bind changed counter");
	memcpy(f, buf, (size_t)n);
	f[PL_VPKT_HDR + 7] = 78;
	CHECK_EQ(check_bind(f, (size_t)n, key_a, &counter), -EBADMSG);
	/* ... and in the counter's high half, which a 32-bit counter would not cover. */
	memcpy(f, buf, (size_t)n);
	f[PL_VPKT_HDR] ^= 0x80;
	CHECK_EQ(check_bind(f, (size_t)n, key_a, &counter), -EBADMSG);

	/* The MAC bytes of one BIND pasted onto another. */
	test_case("bind MAC from another packet");
	uint8_t other[64];
	pl_vbind_make(other, sizeof other, 0xcafe000100000001ull, 78, key_a);
	memcpy(other + PL_VPKT_HDR + 8, buf + PL_VPKT_HDR + 8, PL_VBIND_MAC_LEN);
	CHECK_EQ(check_bind(other, (size_t)n, key_a, &counter), -EBADMSG);

	/* A packet of another type is never a valid BIND, even with a valid-looking body. */
	test_case("bind check on other types");
	struct pl_vpkt v;
	memcpy(f, buf, (size_t)n);
	f[1] = PL_VPKT_VOICE;
	CHECK_EQ(pl_vpkt_decode(&v, f, (size_t)n), 0);
	CHECK_EQ(pl_vbind_check(&v, f, key_a, &counter), -EBADMSG);

	/* Even with a MAC made with the right key over its own header, a VOICE is not a BIND. */
	test_case("bind check on a keyed VOICE");
	memcpy(f, buf, (size_t)n);
	f[1] = PL_VPKT_VOICE;
	uint8_t full[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256(full, f, PL_VPKT_HDR + 8, key_a);
	memcpy(f + PL_VPKT_HDR + 8, full, PL_VBIND_MAC_LEN);
	CHECK_EQ(pl_vpkt_decode(&v, f, (size_t)n), 0);
	CHECK_EQ(pl_vbind_check(&v, f, key_a, &counter), -EBADMSG);

	test_case("bind make into too little");
	memset(f, 0xee, sizeof f);
	CHECK_EQ(pl_vbind_make(f, (size_t)n - 1, 1, 1, key_a), -EMSGSIZE);
	CHECK_EQ(f[0], 0xee);
}

/*
 * A CONFIRM for sender 0x0102030405060708, counter 0x0000000100000002, cookie a0 a1 .. af, key
 * 00 01 .. 1f, computed outside parley (Python's hmac module): HMAC-SHA-256 over the header, the
 * counter and the cookie (40 bytes), truncated to 16 bytes.
 */
static const uint8_t golden_confirm[] = {
	0x02, 0x05, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
	0x00, 0x32, 0xa0, 0x0d, 0x4f, 0x19, 0xf7, 0x4b, 0x49, 0x7f, 0xcd, 0x49, 0xc0, 0x66, 0x48, 0x1a,
};

static int check_confirm(const uint8_t *raw, size_t len, const uint8_t *key, uint64_t *counter,
			 const uint8_t **cookie)
{
	struct pl_vpkt v;
	int rc = pl_vpkt_decode(&v, raw, len);
	if (rc)
		return rc;
	return pl_vconfirm_check(&v, raw, key, counter, cookie);
}

static void test_confirm(void)
{
	uint8_t buf[64], f[64];
	uint64_t counter = 0;
	const uint8_t *cookie = NULL;
	const uint8_t *want_cookie = golden_confirm + PL_VPKT_HDR + 8;

	test_case("confirm golden make");
	CHECK_EQ(pl_vconfirm_make(buf, sizeof buf, 0x0102030405060708ull, 0x0000000100000002ull, want_cookie,
				  key_a), sizeof golden_confirm);
	CHECK_MEM_EQ(buf, golden_confirm, sizeof golden_confirm);
	test_case("confirm golden check");
	if (CHECK_EQ(check_confirm(golden_confirm, sizeof golden_confirm, key_a, &counter, &cookie), 0)) {
		CHECK(counter == 0x0000000100000002ull);
		CHECK(cookie == want_cookie);
	}

	int n = pl_vconfirm_make(buf, sizeof buf, 0xfeed000000000001ull, 9, want_cookie, key_a);
	test_case("confirm wrong key");
	uint8_t key_b[32];
	memcpy(key_b, key_a, 32);
	key_b[0] ^= 0x80;
	counter = 999;
	cookie = NULL;
	CHECK_EQ(check_confirm(buf, (size_t)n, key_b, &counter, &cookie), -EBADMSG);
	CHECK(counter == 999 && cookie == NULL); /* untouched on failure */

	/* Every flipped bit is refused: the MAC covers the header, the counter and the cookie. */
	size_t accepted = 0;
	for (size_t bit = 0; bit < (size_t)n * 8; bit++) {
		memcpy(f, buf, (size_t)n);
		f[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (check_confirm(f, (size_t)n, key_a, &counter, &cookie) == 0 && accepted++ == 0) {
			test_case("confirm flipped bit %zu", bit);
			CHECK(!"a CONFIRM with a flipped bit was accepted");
		}
	}
	test_case("confirm flipped bits");
	CHECK_EQ(accepted, 0);

	/* A BIND's MAC, made with the right key, does not make a CONFIRM: the type byte differs. */
	test_case("confirm check on a BIND");
	uint8_t b[64];
	int bn = pl_vbind_make(b, sizeof b, 0xfeed000000000001ull, 9, key_a);
	struct pl_vpkt v;
	CHECK_EQ(pl_vpkt_decode(&v, b, (size_t)bn), 0);
	CHECK_EQ(pl_vconfirm_check(&v, b, key_a, &counter, &cookie), -EBADMSG);
	test_case("bind check on a CONFIRM");
	CHECK_EQ(pl_vpkt_decode(&v, buf, (size_t)n), 0);
	CHECK_EQ(pl_vbind_check(&v, buf, key_a, &counter), -EBADMSG);
	/* A CONFIRM re-typed as something else of its size does not decode at all. */
	test_case("confirm retyped");
	memcpy(f, buf, (size_t)n);
	f[1] = PL_VPKT_BIND;
	CHECK_EQ(pl_vpkt_decode(&v, f, (size_t)n), -EBADMSG);

	test_case("confirm make into too little");
	memset(f, 0xee, sizeof f);
	CHECK_EQ(pl_vconfirm_make(f, (size_t)n - 1, 1, 1, want_cookie, key_a), -EMSGSIZE);
	CHECK_EQ(f[0], 0xee);
}

/* Random datagrams of every length: each is refused or decodes to fields that re-encode to the
 * same bytes, and sanitizers see every read. Seeded, so a failure repeats. */
static void test_garbage(void)
{
	static uint8_t buf[PL_VPKT_MAX + 64], enc[PL_VPKT_MAX + 64];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned ok = 0, bad = 0, mismatch = 0;
	for (int iter = 0; iter < 20000; iter++) {
		size_t len = (size_t)(iter % (PL_VPKT_MAX + 40));
		for (size_t i = 0; i < len; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = (uint8_t)x;
		}
		/* Half of them get a plausible version and type, so the size checks are reached. */
		if (len >= 2 && (iter / 7) % 2) {
			buf[0] = PL_VPKT_VERSION;
			buf[1] = (uint8_t)(1 + iter % 6);
		}
		struct pl_vpkt v;
		if (decode_copy(&v, buf, len) != 0) {
			bad++;
			continue;
		}
		ok++;
		int n = pl_vpkt_encode(&v, enc, sizeof enc);
		if (n != (int)len || memcmp(enc, buf, len) != 0)
			mismatch++;
	}
	test_case("garbage");
	CHECK(ok > 0 && bad > 0);
	CHECK_EQ(mismatch, 0);
}

static void test_seq_diff(void)
{
	static const struct { uint16_t a, b; int want; } cases[] = {
		{1, 0, 1}, {0, 1, -1}, {5, 5, 0}, {0, 65535, 1}, {65535, 0, -1},
		{10, 65530, 16}, {65530, 10, -16}, {0x7fff, 0, 32767}, {0x8000, 0, -32768},
		{0, 0x8001, 32767},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		test_case("seq_diff(%u, %u)", cases[i].a, cases[i].b);
		CHECK_EQ(pl_seq_diff(cases[i].a, cases[i].b), cases[i].want);
	}
}

int main(void)
{
	test_round_trip();
	test_golden();
	test_decode_bad();
	test_encode_bad();
	test_bind();
	test_confirm();
	test_garbage();
	test_seq_diff();
	return test_done();
}
