/*
 * fuzz_ice: core/ice.h's two decoders of peer bytes. The first byte picks one:
 *   0: a signalling description (pl_ice_desc_decode). What decodes re-encodes to the same bytes
 *      (the form is canonical), and every candidate in it is usable.
 *   1: datagrams into a started agent (pl_ice_input): then records of u8 socket, u16 length, bytes,
 *      each arriving 7 ms after the last from 192.0.2.1:5000 (the peer's host candidate) and
 *      followed by a tick. Whatever the agent writes fits PL_ICE_DGRAM_MAX, and an answer is
 *      never larger than the datagram it answers (no amplification).
 * MESSAGE-INTEGRITY uses fuzz_stun's stand-in HMAC (keyed BLAKE2b, 20 bytes: the core has no
 * SHA-1), so seeds from gen_corpus.py carry valid checks. The agent's random source gives zeros:
 * its ufrag is "AAAAAAAA"; the peer's is "BBBBBBBB"; the agent's key is "fuzz-ice-key-local".
 */
#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "core/ice.h"
#include "fuzz.h"

static void fake_hmac(uint8_t out[PL_STUN_MI_LEN], const uint8_t *key, size_t keylen, const uint8_t hdr[PL_STUN_HDR],
		      const uint8_t *body, size_t bodylen)
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, key, keylen < crypto_generichash_KEYBYTES_MIN ? 0 : keylen, PL_STUN_MI_LEN);
	crypto_generichash_update(&st, hdr, PL_STUN_HDR);
	crypto_generichash_update(&st, body, bodylen);
	crypto_generichash_final(&st, out, PL_STUN_MI_LEN);
}

static uint64_t zero_clock(void *arg)
{
	(void)arg;
	return 0;
}

static void zero_random(void *arg, void *buf, size_t len)
{
	(void)arg;
	memset(buf, 0, len);
}

static const struct pl_env env = {zero_clock, zero_clock, zero_random, NULL};
static const uint8_t key_local[] = "fuzz-ice-key-local", key_remote[] = "fuzz-ice-key-remote";

static struct pl_stun_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	struct pl_stun_addr x = {.family = 4, .port = port};
	x.ip[0] = a, x.ip[1] = b, x.ip[2] = c, x.ip[3] = d;
	return x;
}

static void desc(const uint8_t *data, size_t size)
{
	struct pl_ice_desc d;
	static uint8_t enc[PL_ICE_DESC_MAX];
	int rc = pl_ice_desc_decode(&d, data, size);
	fuzz_sink = (uintptr_t)rc;
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	if (rc)
		return;
	FUZZ_CHECK(d.n <= PL_ICE_MAX_CANDS && strlen(d.ufrag) >= PL_ICE_UFRAG_MIN);
	for (unsigned i = 0; i < d.n; i++)
		FUZZ_CHECK(pl_ice_addr_usable(&d.c[i].addr) && d.c[i].priority != 0);
	int n = pl_ice_desc_encode(&d, enc, sizeof enc);
	FUZZ_CHECK(n > 0 && (size_t)n == size && memcmp(enc, data, size) == 0);
}

static void agent(const uint8_t *data, size_t size)
{
	struct pl_ice_config cfg = {.controlling = false, .env = &env, .hmac = fake_hmac, .key_local = key_local,
				    .key_local_len = sizeof key_local, .key_remote = key_remote,
				    .key_remote_len = sizeof key_remote, .symmetric = true, .probe_socks = 2,
				    .probe_budget = 16};
	struct pl_ice *ice;
	FUZZ_CHECK(pl_ice_new(&ice, &cfg) == 0);
	struct pl_ice_cand host = {.type = PL_ICE_HOST, .addr = v4(10, 0, 0, 2, 5000)};
	FUZZ_CHECK(pl_ice_add_local(ice, &host) == 0);
	struct pl_ice_desc r = {.ufrag = "BBBBBBBB", .n = 2};
	r.c[0] = (struct pl_ice_cand){PL_ICE_HOST, pl_ice_priority(PL_ICE_HOST, 65534), 1, v4(192, 0, 2, 1, 5000)};
	r.c[1] = (struct pl_ice_cand){PL_ICE_SRFLX, pl_ice_priority(PL_ICE_SRFLX, 65534), 2, v4(198, 51, 100, 1, 6000)};
	FUZZ_CHECK(pl_ice_set_remote(ice, &r) == 0);
	uint64_t now = 1000;
	pl_ice_start(ice, now);
	pl_ice_tick(ice, now); /* a check to the peer's host candidate is in flight */
	struct pl_stun_addr from = r.c[0].addr;
	size_t off = 0;
	struct pl_ice_tx tx;
	struct pl_ice_event ev;
	while (pl_ice_pop_tx(ice, &tx))
		FUZZ_CHECK(tx.len <= PL_ICE_DGRAM_MAX);
	while (size - off >= 3) {
		uint16_t sock = data[off];
		size_t n = (size_t)data[off + 1] << 8 | data[off + 2];
		off += 3;
		if (n > size - off)
			n = size - off;
		now += 7;
		int rc = pl_ice_input(ice, sock, &from, data + off, n, now);
		fuzz_sink = (uintptr_t)rc;
		FUZZ_CHECK(rc == 0 || rc == 1 || rc == -ENOENT || rc == -EBADMSG || rc == -EACCES || rc == -EPROTO);
		/* What answers this datagram is queued first, before any tick. */
		while (pl_ice_pop_tx(ice, &tx)) {
			struct pl_stun_msg m;
			FUZZ_CHECK(tx.len <= PL_ICE_DGRAM_MAX && pl_stun_decode(&m, tx.buf, tx.len) == 0);
			if (m.cls == PL_STUN_SUCCESS || m.cls == PL_STUN_ERROR)
				FUZZ_CHECK(tx.len <= n && pl_ice_addr_eq(&tx.to, &from));
		}
		off += n;
		pl_ice_tick(ice, now);
		while (pl_ice_pop_tx(ice, &tx))
			FUZZ_CHECK(tx.len <= PL_ICE_DGRAM_MAX && tx.sock <= cfg.probe_socks);
		while (pl_ice_pop_event(ice, &ev))
			FUZZ_CHECK(ev.kind >= PL_ICE_EV_DIRECT && ev.kind <= PL_ICE_EV_OPEN_SOCKS);
		FUZZ_CHECK(pl_ice_next_ms(ice) > 0);
	}
	pl_ice_free(ice);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] == 0)
		desc(data + 1, size - 1);
	else if (data[0] == 1)
		agent(data + 1, size - 1);
	return 0;
}
