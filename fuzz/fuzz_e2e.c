/*
 * fuzz_e2e: the end-to-end call crypto (core/e2e.h, core/media.h) on arbitrary bytes. The first
 * byte, modulo 6, picks what the rest is:
 *
 *   0 OFFER   decoded, then answered by a fixed callee
 *   1 ANSWER  decoded, then revealed to by a fixed caller awaiting it
 *   2 REVEAL  decoded, then finished by a fixed callee awaiting it
 *   3 MEDIA   a 16-byte header then a sealed payload, peeked and opened under a fixed key
 *   4 REPLAY  a run of 3-byte packets (flags, i16 delta) through the replay window, each verdict
 *             compared with a model that remembers every counter
 *   5 SKEY    scope (u64), key id (u8), then a sealed sender key, opened by a fixed recipient
 *
 * The keys and "random" bytes are fixed, from one handshake made at start, so the seeds (valid
 * messages of that handshake) take mutations past the decoders into the signature, commit and
 * tag checks. Only the party holding a key can make bytes that pass them, so whatever passes
 * must be exactly the seed's genuine message; anything else passing is a forgery, and aborts.
 *
 * The seeds come from this file too: build it with -DFUZZ_E2E_GEN_SEEDS and no libFuzzer, and
 * run it with the corpus directory (see the end of the file).
 */
#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "core/e2e.h"
#include "core/media.h"
#include "fuzz.h"

enum { M_OFFER, M_ANSWER, M_REVEAL, M_MEDIA, M_REPLAY, M_SKEY, M_COUNT };

#define CALL_ID UINT64_C(0x0123456789abcdef)
#define SCOPE UINT64_C(0x5c09e)
#define KEY_ID 3

static struct {
	int ready;
	uint8_t apk[32], ask[64], bpk[32], bsk[64];
	uint8_t offer[PL_E2E_OFFER_LEN], answer[PL_E2E_ANSWER_LEN], reveal[PL_E2E_REVEAL_LEN];
	struct pl_e2e_state caller, callee; /* awaiting the ANSWER, awaiting the REVEAL */
	struct pl_e2e_keys ka, kb;
	uint8_t media_key[32], skey[PL_E2E_SKEY_LEN];
} fx;

static void fixtures(void)
{
	if (fx.ready)
		return;
	FUZZ_CHECK(sodium_init() >= 0);
	uint8_t seed[32], ra[32], rb[32];
	struct pl_e2e_offer o;
	struct pl_e2e_answer a;
	struct pl_e2e_reveal r;
	struct pl_e2e_state st;
	memset(seed, 0xa1, sizeof seed);
	crypto_sign_seed_keypair(fx.apk, fx.ask, seed);
	memset(seed, 0xb0, sizeof seed);
	crypto_sign_seed_keypair(fx.bpk, fx.bsk, seed);
	for (int i = 0; i < 32; i++)
		ra[i] = (uint8_t)(0x10 + i), rb[i] = (uint8_t)(0x20 + i), fx.media_key[i] = (uint8_t)i;
	FUZZ_CHECK(pl_e2e_offer(&o, &fx.caller, fx.ask, CALL_ID, ra) == 0);
	FUZZ_CHECK(pl_e2e_answer(&a, &fx.callee, fx.bsk, &o, rb) == 0);
	st = fx.caller;
	FUZZ_CHECK(pl_e2e_reveal(&r, &st, fx.ask, &a, &fx.ka) == 0);
	st = fx.callee;
	FUZZ_CHECK(pl_e2e_finish(&st, &r, &fx.kb) == 0);
	pl_e2e_offer_encode(fx.offer, &o);
	pl_e2e_answer_encode(fx.answer, &a);
	pl_e2e_reveal_encode(fx.reveal, &r);
	FUZZ_CHECK(pl_e2e_skey_seal(fx.skey, fx.ask, fx.bpk, SCOPE, KEY_ID, fx.media_key, rb) == 0);
	fx.ready = 1;
}

static int same(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

static void run_offer(const uint8_t *p, size_t n)
{
	struct pl_e2e_offer o;
	struct pl_e2e_answer out;
	struct pl_e2e_state st;
	uint8_t rb[32] = {1};
	int rc = pl_e2e_offer_decode(&o, p, n);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	FUZZ_CHECK((rc == 0) == (n == PL_E2E_OFFER_LEN));
	if (rc != 0)
		return;
	uint8_t again[PL_E2E_OFFER_LEN];
	FUZZ_CHECK(pl_e2e_offer_encode(again, &o) == PL_E2E_OFFER_LEN && memcmp(again, p, n) == 0);
	rc = pl_e2e_answer(&out, &st, fx.bsk, &o, rb);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	FUZZ_CHECK(rc != 0 || same(p, n, fx.offer, sizeof fx.offer));
	pl_e2e_abort(&st);
}

static void run_answer(const uint8_t *p, size_t n)
{
	struct pl_e2e_answer a;
	struct pl_e2e_reveal out;
	struct pl_e2e_keys k;
	struct pl_e2e_state st = fx.caller;
	int rc = pl_e2e_answer_decode(&a, p, n);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	FUZZ_CHECK((rc == 0) == (n == PL_E2E_ANSWER_LEN));
	if (rc != 0)
		return;
	uint8_t again[PL_E2E_ANSWER_LEN];
	FUZZ_CHECK(pl_e2e_answer_encode(again, &a) == PL_E2E_ANSWER_LEN && memcmp(again, p, n) == 0);
	rc = pl_e2e_reveal(&out, &st, fx.ask, &a, &k);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	if (rc == 0) {
		FUZZ_CHECK(same(p, n, fx.answer, sizeof fx.answer));
		FUZZ_CHECK(memcmp(&k, &fx.ka, sizeof k) == 0);
	}
	fuzz_sink = k.tx[0];
}

static void run_reveal(const uint8_t *p, size_t n)
{
	struct pl_e2e_reveal r;
	struct pl_e2e_keys k;
	struct pl_e2e_state st = fx.callee;
	int rc = pl_e2e_reveal_decode(&r, p, n);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	FUZZ_CHECK((rc == 0) == (n == PL_E2E_REVEAL_LEN));
	if (rc != 0)
		return;
	uint8_t again[PL_E2E_REVEAL_LEN];
	FUZZ_CHECK(pl_e2e_reveal_encode(again, &r) == PL_E2E_REVEAL_LEN && memcmp(again, p, n) == 0);
	rc = pl_e2e_finish(&st, &r, &k);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	if (rc == 0) {
		FUZZ_CHECK(same(p, n, fx.reveal, sizeof fx.reveal));
		FUZZ_CHECK(memcmp(&k, &fx.kb, sizeof k) == 0);
	}
	FUZZ_CHECK(st.phase == 0);
}

static void run_media(const uint8_t *p, size_t n)
{
	enum { FRAME_MAX = 4096 }; /* more than libFuzzer's longest input */
	static uint8_t out[FRAME_MAX], again[FRAME_MAX + PL_MEDIA_OVERHEAD];
	if (n < 16 || n - 16 > sizeof again)
		return;
	const uint8_t *hdr = p, *pay = p + 16;
	size_t len = n - 16;
	uint8_t id = 0, pid = 0;
	uint64_t c = 0, pc = 0;
	int peek = pl_media_peek(pay, len, &pid, &pc);
	FUZZ_CHECK(peek == 0 || peek == -EBADMSG);
	int rc = pl_media_open(out, sizeof out, fx.media_key, hdr, 16, pay, len, &id, &c);
	fuzz_sink = (uintptr_t)rc;
	FUZZ_CHECK(rc >= 0 || rc == -EBADMSG);
	if (rc < 0)
		return;
	/* Only the key's holder seals: what opens is exactly what sealing gives back. */
	FUZZ_CHECK(peek == 0 && id == pid && c == pc && c != 0);
	FUZZ_CHECK((size_t)rc + PL_MEDIA_OVERHEAD == len);
	int m = pl_media_seal(again, sizeof again, fx.media_key, id, c, hdr, 16, out, (size_t)rc);
	FUZZ_CHECK(m >= 0 && (size_t)m == len && memcmp(again, pay, len) == 0);
}

/* Each packet is 3 bytes: flags, then a big-endian i16 delta. flags & 3 picks the counter: 0
 * top + delta, 1 top + delta * 1024 (jumps), 2 UINT64_MAX - |delta| (very large), 3 |delta|
 * (small, absolute). flags & 4: the packet fails authentication, so it is checked only. */
static void run_replay(const uint8_t *p, size_t n)
{
	enum { MAX_OPS = 512 };
	static uint64_t seen[MAX_OPS];
	size_t nseen = 0;
	uint64_t top = 0;
	struct pl_replay w;
	pl_replay_init(&w);
	for (size_t i = 0; i + 3 <= n && i / 3 < MAX_OPS; i += 3) {
		int16_t d = (int16_t)(uint16_t)(p[i + 1] << 8 | p[i + 2]);
		uint64_t ad = d < 0 ? (uint64_t)(-(int64_t)d) : (uint64_t)d, c;
		switch (p[i] & 3) {
		case 0:
		case 1: {
			uint64_t step = (p[i] & 3) ? ad * 1024 : ad;
			if (d < 0)
				c = top > step ? top - step : 0;
			else
				c = UINT64_MAX - top < step ? UINT64_MAX : top + step;
			break;
		}
		case 2:
			c = UINT64_MAX - ad;
			break;
		default:
			c = ad;
			break;
		}
		int want;
		if (c == 0)
			want = -ESTALE;
		else if (c > top)
			want = 0;
		else if (top - c >= PL_REPLAY_WINDOW)
			want = -ESTALE;
		else {
			want = 0;
			for (size_t j = 0; j < nseen; j++)
				if (seen[j] == c)
					want = -EALREADY;
		}
		int got = pl_replay_check(&w, c);
		FUZZ_CHECK(got == want);
		if (got != 0 || (p[i] & 4))
			continue;
		FUZZ_CHECK(pl_replay_accept(&w, c) == 0);
		FUZZ_CHECK(pl_replay_accept(&w, c) == -EALREADY);
		seen[nseen++] = c;
		if (c > top)
			top = c;
		FUZZ_CHECK(w.top == top);
	}
}

static void run_skey(const uint8_t *p, size_t n)
{
	if (n < 9)
		return;
	uint64_t scope = 0;
	for (int i = 0; i < 8; i++)
		scope = scope << 8 | p[i];
	uint8_t key[32];
	int rc = pl_e2e_skey_open(key, fx.bsk, fx.apk, scope, p[8], p + 9, n - 9);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	if (rc == 0) {
		FUZZ_CHECK(scope == SCOPE && p[8] == KEY_ID && same(p + 9, n - 9, fx.skey, sizeof fx.skey));
		FUZZ_CHECK(memcmp(key, fx.media_key, sizeof key) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fixtures();
	if (size < 1)
		return 0;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	switch (data[0] % M_COUNT) {
	case M_OFFER: run_offer(p, n); break;
	case M_ANSWER: run_answer(p, n); break;
	case M_REVEAL: run_reveal(p, n); break;
	case M_MEDIA: run_media(p, n); break;
	case M_REPLAY: run_replay(p, n); break;
	default: run_skey(p, n); break;
	}
	return 0;
}

#ifdef FUZZ_E2E_GEN_SEEDS
/*
 * Writes the seed corpus. From the repository's top:
 *
 *   cc -std=gnu11 -DFUZZ_E2E_GEN_SEEDS -Isrc -Ifuzz fuzz/fuzz_e2e.c src/core/e2e.c \
 *      src/core/media.c src/core/buf.c -lsodium -o /tmp/gen_e2e && /tmp/gen_e2e fuzz/corpus/fuzz_e2e
 *
 * Each seed is replayed through LLVMFuzzerTestOneInput as it is written, so a seed that trips an
 * invariant is never committed.
 */
#include <stdio.h>

static const char *dir;

static void seed(const char *name, uint8_t mode, const uint8_t *body, size_t len)
{
	static uint8_t buf[4096];
	char path[512];
	FUZZ_CHECK(len + 1 <= sizeof buf);
	buf[0] = mode;
	memcpy(buf + 1, body, len);
	LLVMFuzzerTestOneInput(buf, len + 1);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	FUZZ_CHECK(f != NULL);
	FUZZ_CHECK(fwrite(buf, 1, len + 1, f) == len + 1);
	FUZZ_CHECK(fclose(f) == 0);
}

static void media_seed(const char *name, uint8_t key_id, uint64_t counter, size_t flen, int flip)
{
	uint8_t pkt[16 + 400 + PL_MEDIA_OVERHEAD], frame[400];
	for (size_t i = 0; i < 16; i++)
		pkt[i] = (uint8_t)(i == 0 ? 2 : i == 1 ? 3 : i * 17);
	for (size_t i = 0; i < flen; i++)
		frame[i] = (uint8_t)(i * 5 + 1);
	int n = pl_media_seal(pkt + 16, sizeof pkt - 16, fx.media_key, key_id, counter, pkt, 16, frame, flen);
	FUZZ_CHECK(n > 0);
	if (flip)
		pkt[16 + (size_t)n - 1] ^= 1;
	seed(name, M_MEDIA, pkt, 16 + (size_t)n);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	fixtures();
	seed("offer", M_OFFER, fx.offer, sizeof fx.offer);
	seed("offer_short.bad", M_OFFER, fx.offer, sizeof fx.offer - 1);
	seed("answer", M_ANSWER, fx.answer, sizeof fx.answer);
	seed("answer_from_offer.bad", M_ANSWER, fx.offer, sizeof fx.offer); /* as long; the sig fails */
	seed("reveal", M_REVEAL, fx.reveal, sizeof fx.reveal);
	uint8_t other[PL_E2E_REVEAL_LEN];
	memcpy(other, fx.reveal, sizeof other);
	other[8] ^= 0x40; /* another ephemeral key: the commit fails */
	seed("reveal_commit.bad", M_REVEAL, other, sizeof other);

	media_seed("media_empty", 0, 1, 0, 0);
	media_seed("media_20", 1, 2, 20, 0);
	media_seed("media_160", 7, 1000, 160, 0);
	media_seed("media_400_big_counter", 255, UINT64_MAX, 400, 0);
	media_seed("media_tag.bad", 1, 3, 20, 1);
	uint8_t zero[16 + PL_MEDIA_OVERHEAD] = {2, 3};
	seed("media_counter0.bad", M_MEDIA, zero, sizeof zero);

	/* flags, delta: in order, out of order, duplicates, too old, jumps, very large counters */
	static const uint8_t in_order[] = {0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1};
	static const uint8_t reorder[] = {0, 0, 10, 0, 0xff, 0xfb, 0, 0, 2, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0};
	static const uint8_t old[] = {0, 0x03, 0xe8, 0, 0xff, 0x40, 0, 0xff, 0x41, 0, 0xff, 0x3f, 3, 0, 1};
	static const uint8_t jumps[] = {0, 0, 5, 1, 0x7f, 0xff, 0, 0xff, 0xff, 1, 0, 1, 3, 0, 5, 4, 0, 9, 0, 0, 9};
	static const uint8_t large[] = {2, 0, 100, 2, 0, 0, 2, 0, 191, 2, 0, 192, 2, 0, 0, 0, 0, 1, 0, 0xff, 0xff};
	seed("replay_in_order", M_REPLAY, in_order, sizeof in_order);
	seed("replay_reorder", M_REPLAY, reorder, sizeof reorder);
	seed("replay_old", M_REPLAY, old, sizeof old);
	seed("replay_jumps_failed_auth", M_REPLAY, jumps, sizeof jumps);
	seed("replay_large", M_REPLAY, large, sizeof large);

	uint8_t sk[9 + PL_E2E_SKEY_LEN] = {0, 0, 0, 0, 0, 0x05, 0xc0, 0x9e, KEY_ID};
	memcpy(sk + 9, fx.skey, sizeof fx.skey);
	seed("skey", M_SKEY, sk, sizeof sk);
	sk[8] ^= 1;
	seed("skey_key_id.bad", M_SKEY, sk, sizeof sk);
	return 0;
}
#endif
