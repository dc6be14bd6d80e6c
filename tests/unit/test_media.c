/*
 * Unit tests for core/media: sealed voice payloads and the replay window.
 *
 * The payload's bytes are checked against libsodium's AEAD called by hand with the nonce and
 * associated data media.h documents; every bit of header and payload, flipped, is refused; the
 * replay window is a table of counter sequences with their verdicts, then a long random run
 * against a model that remembers every counter (a set, not a window).
 */
#include "core/media.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/vpkt.h"
#include "test.h"

static uint8_t key[32], key2[32];

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* A VOICE header as the client will send it. */
static void header(uint8_t h[PL_VPKT_HDR], uint64_t sender, uint16_t seq, uint32_t ts)
{
	struct pl_vpkt v = {.type = PL_VPKT_VOICE, .sender = sender, .seq = seq, .ts = ts};
	pl_vpkt_encode(&v, h, PL_VPKT_HDR);
}

static void test_round_trip(void)
{
	static const struct {
		size_t len;
		uint8_t key_id;
		uint64_t counter;
	} rows[] = {
		{0, 0, 1}, {1, 0, 2}, {20, 7, 1000}, {160, 255, 1ull << 32}, {1275, 1, UINT64_MAX},
	};
	static uint8_t frame[1275], sealed[1275 + PL_MEDIA_OVERHEAD], out[1275], want[1275 + 16];
	for (size_t i = 0; i < sizeof frame; i++)
		frame[i] = (uint8_t)(i * 7 + 3);
	uint8_t h[PL_VPKT_HDR];
	header(h, 0x0102030405060708ull, 0xbeef, 0xcafe0001);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		size_t len = rows[i].len;
		test_case("round trip: %zu bytes, key id %u, counter %llu", len, rows[i].key_id,
			  (unsigned long long)rows[i].counter);
		int n = pl_media_seal(sealed, sizeof sealed, key, rows[i].key_id, rows[i].counter, h, sizeof h, frame, len);
		if (!CHECK_EQ(n, len + PL_MEDIA_OVERHEAD))
			continue;
		/* The layout, and the AEAD by hand: nonce 00 00 00 | key id | counter, AD header |
		 * key id | counter. */
		CHECK_EQ(sealed[0], rows[i].key_id);
		uint8_t c8[8], nonce[12] = {0}, ad[PL_VPKT_HDR + 9];
		put64(c8, rows[i].counter);
		CHECK_MEM_EQ(sealed + 1, c8, 8);
		nonce[3] = rows[i].key_id;
		memcpy(nonce + 4, c8, 8);
		memcpy(ad, h, sizeof h);
		ad[16] = rows[i].key_id;
		memcpy(ad + 17, c8, 8);
		unsigned long long wl;
		crypto_aead_chacha20poly1305_ietf_encrypt(want, &wl, frame, len, ad, sizeof ad, NULL, nonce, key);
		CHECK_EQ(wl, len + 16);
		CHECK_MEM_EQ(sealed + 9, want, len + 16);

		uint8_t id = 0xaa;
		uint64_t c = 0;
		CHECK_EQ(pl_media_peek(sealed, (size_t)n, &id, &c), 0);
		CHECK_EQ(id, rows[i].key_id);
		CHECK_EQ(c, rows[i].counter);
		id = 0xaa, c = 0;
		CHECK_EQ(pl_media_open(out, sizeof out, key, h, sizeof h, sealed, (size_t)n, &id, &c), len);
		CHECK_MEM_EQ(out, frame, len);
		CHECK_EQ(id, rows[i].key_id);
		CHECK_EQ(c, rows[i].counter);
		CHECK_EQ(pl_media_open(out, sizeof out, key2, h, sizeof h, sealed, (size_t)n, &id, &c), -EBADMSG);
	}
}

static void test_tamper(void)
{
	uint8_t h[PL_VPKT_HDR], frame[60], pkt[PL_VPKT_HDR + 60 + PL_MEDIA_OVERHEAD], out[60];
	for (size_t i = 0; i < sizeof frame; i++)
		frame[i] = (uint8_t)i;
	header(h, 77, 12, 960);
	memcpy(pkt, h, sizeof h);
	int n = pl_media_seal(pkt + PL_VPKT_HDR, sizeof pkt - PL_VPKT_HDR, key, 9, 4242, h, sizeof h, frame, sizeof frame);
	CHECK_EQ(n, 60 + PL_MEDIA_OVERHEAD);
	size_t plen = (size_t)n;

	/* Header (16 bytes), key id (1), counter (8), ciphertext (60), tag (16). */
	static const struct {
		const char *what;
		size_t from, to;
	} parts[] = {
		{"header", 0, 16}, {"key id", 16, 17}, {"counter", 17, 25}, {"ciphertext", 25, 85}, {"tag", 85, 101},
	};
	for (size_t p = 0; p < sizeof parts / sizeof parts[0]; p++) {
		test_case("tamper: each flipped bit of the %s is refused", parts[p].what);
		unsigned accepted = 0, touched = 0;
		for (size_t bit = 8 * parts[p].from; bit < 8 * parts[p].to; bit++) {
			pkt[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			memset(out, 0xee, sizeof out);
			accepted += pl_media_open(out, sizeof out, key, pkt, PL_VPKT_HDR, pkt + PL_VPKT_HDR, plen, NULL, NULL) != -EBADMSG;
			for (size_t i = 0; i < sizeof out; i++)
				touched += out[i] != 0; /* a forgery leaves zeros, no plaintext */
			pkt[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		CHECK_EQ(accepted, 0);
		CHECK_EQ(touched, 0);
	}
	test_case("tamper: untouched, it opens");
	CHECK_EQ(pl_media_open(out, sizeof out, key, pkt, PL_VPKT_HDR, pkt + PL_VPKT_HDR, plen, NULL, NULL), 60);

	test_case("tamper: a shortened or lengthened payload is refused");
	for (size_t len = 0; len < plen; len++)
		CHECK_EQ(pl_media_open(out, sizeof out, key, pkt, PL_VPKT_HDR, pkt + PL_VPKT_HDR, len, NULL, NULL), -EBADMSG);
	uint8_t longer[sizeof pkt + 1], out2[61];
	memcpy(longer, pkt, sizeof pkt);
	longer[sizeof pkt] = 0;
	CHECK_EQ(pl_media_open(out2, sizeof out2, key, longer, PL_VPKT_HDR, longer + PL_VPKT_HDR, plen + 1, NULL, NULL), -EBADMSG);

	test_case("tamper: the header must be the one sealed: another sender, seq or ts fails");
	uint8_t h2[PL_VPKT_HDR];
	header(h2, 78, 12, 960);
	CHECK_EQ(pl_media_open(out, sizeof out, key, h2, sizeof h2, pkt + PL_VPKT_HDR, plen, NULL, NULL), -EBADMSG);
	header(h2, 77, 13, 960);
	CHECK_EQ(pl_media_open(out, sizeof out, key, h2, sizeof h2, pkt + PL_VPKT_HDR, plen, NULL, NULL), -EBADMSG);
	CHECK_EQ(pl_media_open(out, sizeof out, key, h, 15, pkt + PL_VPKT_HDR, plen, NULL, NULL), -EBADMSG);
	CHECK_EQ(pl_media_open(out, sizeof out, key, NULL, 0, pkt + PL_VPKT_HDR, plen, NULL, NULL), -EBADMSG);

	test_case("tamper: a frame sealed under another key id's key, relabelled, fails");
	uint8_t other[sizeof pkt];
	memcpy(other, pkt, sizeof pkt);
	n = pl_media_seal(other + PL_VPKT_HDR, sizeof other - PL_VPKT_HDR, key2, 10, 4242, h, sizeof h, frame, sizeof frame);
	other[PL_VPKT_HDR] = 9;
	CHECK_EQ(pl_media_open(out, sizeof out, key, h, sizeof h, other + PL_VPKT_HDR, (size_t)n, NULL, NULL), -EBADMSG);
	CHECK_EQ(pl_media_open(out, sizeof out, key2, h, sizeof h, other + PL_VPKT_HDR, (size_t)n, NULL, NULL), -EBADMSG);
}

static void test_limits(void)
{
	uint8_t h[PL_VPKT_HDR] = {0}, frame[10] = {0}, buf[64], out[10];
	uint8_t longh[PL_MEDIA_HDR_MAX + 1] = {0};
	uint8_t id;
	uint64_t c;
	test_case("limits: counter 0 is never sealed, never opened");
	CHECK_EQ(pl_media_seal(buf, sizeof buf, key, 0, 0, h, sizeof h, frame, sizeof frame), -EINVAL);
	int n = pl_media_seal(buf, sizeof buf, key, 0, 1, h, sizeof h, frame, sizeof frame);
	CHECK_EQ(n, 35);
	memset(buf + 1, 0, 8);
	CHECK_EQ(pl_media_peek(buf, (size_t)n, &id, &c), -EBADMSG);
	CHECK_EQ(pl_media_open(out, sizeof out, key, h, sizeof h, buf, (size_t)n, &id, &c), -EBADMSG);

	test_case("limits: capacity");
	CHECK_EQ(pl_media_seal(buf, 34, key, 0, 1, h, sizeof h, frame, sizeof frame), -EMSGSIZE);
	CHECK_EQ(pl_media_seal(buf, 35, key, 0, 1, h, sizeof h, frame, sizeof frame), 35);
	CHECK_EQ(pl_media_seal(buf, sizeof buf, key, 0, 1, h, sizeof h, frame, SIZE_MAX - 10), -EMSGSIZE);
	CHECK_EQ(pl_media_open(out, 9, key, h, sizeof h, buf, 35, &id, &c), -EMSGSIZE);
	CHECK_EQ(pl_media_open(out, 10, key, h, sizeof h, buf, 35, &id, &c), 10);
	test_case("limits: the associated header");
	CHECK_EQ(pl_media_seal(buf, sizeof buf, key, 0, 1, longh, sizeof longh, frame, sizeof frame), -EINVAL);
	CHECK_EQ(pl_media_open(out, sizeof out, key, longh, sizeof longh, buf, 35, &id, &c), -EINVAL);
	n = pl_media_seal(buf, sizeof buf, key, 0, 1, longh, PL_MEDIA_HDR_MAX, frame, sizeof frame);
	CHECK_EQ(pl_media_open(out, sizeof out, key, longh, PL_MEDIA_HDR_MAX, buf, (size_t)n, &id, &c), 10);
	n = pl_media_seal(buf, sizeof buf, key, 0, 1, NULL, 0, frame, sizeof frame);
	CHECK_EQ(pl_media_open(out, sizeof out, key, NULL, 0, buf, (size_t)n, &id, &c), 10);
	test_case("limits: peek on short payloads");
	CHECK_EQ(pl_media_peek(buf, PL_MEDIA_OVERHEAD - 1, &id, &c), -EBADMSG);
	CHECK_EQ(pl_media_peek(buf, 0, &id, &c), -EBADMSG);

	test_case("limits: sealing and opening in place");
	uint8_t pl[10 + PL_MEDIA_OVERHEAD];
	for (int i = 0; i < 10; i++)
		pl[PL_MEDIA_PREFIX + i] = (uint8_t)(0x30 + i);
	n = pl_media_seal(pl, sizeof pl, key, 4, 99, h, sizeof h, pl + PL_MEDIA_PREFIX, 10);
	CHECK_EQ(n, (int)sizeof pl);
	uint8_t copy[sizeof pl];
	memcpy(copy, pl, sizeof pl);
	CHECK_EQ(pl_media_open(out, sizeof out, key, h, sizeof h, copy, sizeof copy, &id, &c), 10);
	CHECK_EQ(out[0], 0x30);
	CHECK_EQ(out[9], 0x39);
	CHECK_EQ(pl_media_open(pl + PL_MEDIA_PREFIX, 10, key, h, sizeof h, pl, sizeof pl, &id, &c), 10);
	CHECK_MEM_EQ(pl + PL_MEDIA_PREFIX, out, 10);
}

/* A whole VOICE packet: seal, encode, decode, open with the received header bytes. */
static void test_packet(void)
{
	uint8_t frame[120], pay[120 + PL_MEDIA_OVERHEAD], pkt[PL_VPKT_MAX], h[PL_VPKT_HDR], out[120];
	memset(frame, 0x42, sizeof frame);
	header(h, 555, 1, 960);
	int n = pl_media_seal(pay, sizeof pay, key, 2, 1, h, sizeof h, frame, sizeof frame);
	struct pl_vpkt v = {.type = PL_VPKT_VOICE, .sender = 555, .seq = 1, .ts = 960, .payload = pay, .plen = (size_t)n};
	int len = pl_vpkt_encode(&v, pkt, sizeof pkt);
	test_case("packet: through the voice packet codec");
	struct pl_vpkt d;
	CHECK_EQ(pl_vpkt_decode(&d, pkt, (size_t)len), 0);
	CHECK_EQ(pl_media_open(out, sizeof out, key, pkt, PL_VPKT_HDR, d.payload, d.plen, NULL, NULL), 120);
	CHECK_MEM_EQ(out, frame, sizeof out);
}

/* --- the replay window --- */

/* What pl_replay_check says; BAD: it says 0, but the packet then fails authentication, so it
 * is not accepted. */
enum verdict { OK, DUP, OLD, BAD };
static const int verdict_rc[] = {[OK] = 0, [DUP] = -EALREADY, [OLD] = -ESTALE, [BAD] = 0};
#define END UINT64_C(0xdeadbeefdeadbeef)

struct step {
	uint64_t counter;
	enum verdict verdict;
};

static void test_replay_table(void)
{
	const uint64_t M = UINT64_MAX;
	static const struct {
		const char *name;
		struct step s[16];
	} rows[] = {
		{"in order", {{1, OK}, {2, OK}, {3, OK}, {4, OK}, {END, 0}}},
		{"counter 0 never", {{0, OLD}, {1, OK}, {0, OLD}, {END, 0}}},
		{"out of order inside the window", {{10, OK}, {5, OK}, {7, OK}, {6, OK}, {9, OK}, {8, OK}, {1, OK}, {END, 0}}},
		{"duplicates", {{5, OK}, {5, DUP}, {4, OK}, {4, DUP}, {5, DUP}, {6, OK}, {4, DUP}, {END, 0}}},
		{"the window's edge", {{1000, OK}, {808, OLD}, {809, OK}, {809, DUP}, {1001, OK}, {809, OLD}, {810, OK}, {END, 0}}},
		{"too old, never seen", {{300, OK}, {1, OLD}, {108, OLD}, {109, OK}, {END, 0}}},
		{"a big jump", {{1, OK}, {2, OK}, {1000000, OK}, {2, OLD}, {999999, OK}, {1000000, DUP}, {999808, OLD}, {999809, OK}, {END, 0}}},
		{"a jump of exactly one ring", {{1, OK}, {257, OK}, {1, OLD}, {66, OK}, {65, OLD}, {257, DUP}, {END, 0}}},
		{"block boundaries", {{63, OK}, {64, OK}, {127, OK}, {128, OK}, {191, OK}, {192, OK}, {255, OK}, {256, OK},
				      {64, OLD}, {63, OLD}, {65, OK}, {66, OK}, {65, DUP}, {END, 0}}},
		{"very large counters", {{M - 300, OK}, {M - 10, OK}, {M, OK}, {M - 191, OK}, {M - 192, OLD}, {M, DUP}, {M - 10, DUP}, {M - 1, OK}, {END, 0}}},
		{"a failed packet moves nothing", {{5, OK}, {1000, BAD}, {6, OK}, {1000, BAD}, {1000, OK}, {1000, DUP}, {END, 0}}},
		{"a failed packet marks nothing", {{5, OK}, {4, BAD}, {4, OK}, {4, DUP}, {END, 0}}},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct pl_replay w;
		pl_replay_init(&w);
		for (int j = 0; rows[i].s[j].counter != END; j++) {
			const struct step *s = &rows[i].s[j];
			int want = verdict_rc[s->verdict];
			test_case("replay: %s, step %d (counter %llu)", rows[i].name, j, (unsigned long long)s->counter);
			struct pl_replay before = w;
			CHECK_EQ(pl_replay_check(&w, s->counter), want);
			CHECK(memcmp(&before, &w, sizeof w) == 0);
			if (s->verdict == BAD)
				continue;
			CHECK_EQ(pl_replay_accept(&w, s->counter), want);
			if (want != OK)
				CHECK(memcmp(&before, &w, sizeof w) == 0);
		}
	}

	test_case("replay: two copies pass the check; the second accept refuses");
	struct pl_replay w;
	pl_replay_init(&w);
	CHECK_EQ(pl_replay_accept(&w, 3), 0);
	CHECK_EQ(pl_replay_check(&w, 7), 0);
	CHECK_EQ(pl_replay_check(&w, 7), 0);
	CHECK_EQ(pl_replay_accept(&w, 7), 0);
	CHECK_EQ(pl_replay_accept(&w, 7), -EALREADY);
	test_case("replay: accept without check refuses what is too old, and moves nothing");
	struct pl_replay before = w;
	CHECK_EQ(pl_replay_accept(&w, 0), -ESTALE);
	CHECK_EQ(pl_replay_accept(&w, 3), -EALREADY);
	CHECK(memcmp(&before, &w, sizeof w) == 0);
	test_case("replay: the window is at least 128 wide");
	CHECK(PL_REPLAY_WINDOW >= 128);
}

/* The model: every accepted counter in a set (a bitmap over the counters used), and the rule
 * as RFC 3711 states it. */
static void test_replay_model(void)
{
	enum { RANGE = 1 << 23 };
	uint8_t *seen = calloc(RANGE / 8, 1);
	if (!CHECK(seen != NULL))
		return;
	struct pl_replay w;
	pl_replay_init(&w);
	uint64_t top = 0, rng = 0x9e3779b97f4a7c15ull;
	unsigned wrong = 0, accepted = 0;
	test_case("replay: 100000 random packets against a model with perfect memory");
	for (int i = 0; i < 100000 && top < RANGE - 70000; i++) {
		uint64_t r = test_rand(&rng), k = r % 1024;
		int64_t d;
		if (k == 0)
			d = (int64_t)(r >> 10) % 70000; /* a jump, perhaps past the whole ring */
		else if (k < 16)
			d = (int64_t)(r >> 10) % 1000;
		else if (k < 256)
			d = (int64_t)(r >> 10) % 400 - 350; /* well behind, some too old */
		else
			d = (int64_t)(r >> 10) % 24 - 16; /* near the top: duplicates, reordering */
		uint64_t c = (int64_t)top + d < 0 ? 0 : (uint64_t)((int64_t)top + d);
		int want;
		if (c == 0)
			want = -ESTALE;
		else if (c > top)
			want = 0;
		else if (top - c >= PL_REPLAY_WINDOW)
			want = -ESTALE;
		else
			want = seen[c / 8] & (1u << (c % 8)) ? -EALREADY : 0;
		int got = pl_replay_check(&w, c);
		wrong += got != want;
		if (got != 0)
			continue;
		int auth = (r >> 60) != 0; /* one in sixteen fails authentication */
		if (!auth)
			continue;
		wrong += pl_replay_accept(&w, c) != 0;
		seen[c / 8] |= (uint8_t)(1u << (c % 8));
		if (c > top)
			top = c;
		accepted++;
	}
	CHECK_EQ(wrong, 0);
	CHECK(accepted > 50000 && top > 1000000);
	free(seen);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i, key2[i] = (uint8_t)(i + 1);
	test_round_trip();
	test_tamper();
	test_limits();
	test_packet();
	test_replay_table();
	test_replay_model();
	return test_done();
}
