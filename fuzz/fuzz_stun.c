/*
 * fuzz_stun: pl_stun_classify and pl_stun_decode on arbitrary datagrams. Whatever decodes must
 * keep its pointers inside the input, and must re-encode consistently: the message built by
 * pl_stun_wr from the decoded fields (type, transaction id, addresses, SOFTWARE, ERROR-CODE,
 * FINGERPRINT) decodes to the same fields. MESSAGE-INTEGRITY is checked and written with a
 * stand-in HMAC (keyed BLAKE2b, truncated: the core has no SHA-1), which exercises the spans the
 * HMAC covers, the header rewrite included; a message written with it must verify.
 */
#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "core/stun.h"
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

static const uint8_t key[16] = "parley-fuzz-key";

static int addr_eq(const struct pl_stun_addr *a, const struct pl_stun_addr *b)
{
	return a->family == b->family && a->port == b->port && memcmp(a->ip, b->ip, a->family == 6 ? 16 : 4) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t enc[4096];
	struct pl_stun_msg m, d;

	enum pl_dgram_kind kind = pl_stun_classify(data, size);
	FUZZ_CHECK(kind <= PL_DGRAM_OTHER);
	int rc = pl_stun_decode(&m, data, size);
	fuzz_sink = (uintptr_t)rc ^ (uintptr_t)kind;
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	if (rc != 0)
		return 0;

	/* What decoded is a whole message whose pointers stay inside it. */
	FUZZ_CHECK(size >= PL_STUN_HDR && size % 4 == 0 && m.len == size);
	/* The demultiplexing rule against what decoded: byte 2 is always voice; the cookie makes
	 * 0, 1 and 3 STUN; without it, 0 and 1 are RFC 3489 STUN; the rest of 0-63 is neither. */
	enum pl_dgram_kind want = data[0] == 2 ? PL_DGRAM_VOICE
				  : !m.classic && data[0] <= 3 ? PL_DGRAM_STUN
				  : m.classic && data[0] <= 1 ? PL_DGRAM_STUN_CLASSIC
							      : PL_DGRAM_OTHER;
	FUZZ_CHECK(kind == want);
	FUZZ_CHECK(!m.software || (m.software >= data + PL_STUN_HDR && m.software + m.software_len <= data + size));
	FUZZ_CHECK(!m.reason || (m.reason >= data + PL_STUN_HDR && m.reason + m.reason_len <= data + size));
	FUZZ_CHECK(m.integrity_off == 0 || (m.integrity_off >= PL_STUN_HDR && m.integrity_off + 24 <= size));
	FUZZ_CHECK(!m.has_error || (m.error_code >= 300 && m.error_code <= 699));
	FUZZ_CHECK(!m.has_xor_mapped || !m.classic);
	FUZZ_CHECK(m.type == pl_stun_type(m.method, m.cls));
	int mi = pl_stun_check_integrity(&m, data, fake_hmac, key, sizeof key);
	FUZZ_CHECK(mi == 0 || mi == -EBADMSG || (mi == -ENOENT && !m.integrity_off));
	fuzz_sink = (uintptr_t)mi;

	/* Re-encode the fields the codec understood, then decode that. */
	struct pl_stun_wr w;
	if (m.classic)
		pl_stun_wr_start_classic(&w, enc, sizeof enc, m.type, m.tid);
	else
		pl_stun_wr_start(&w, enc, sizeof enc, m.type, m.tid);
	if (m.has_xor_mapped)
		pl_stun_wr_addr(&w, PL_STUN_A_XOR_MAPPED_ADDRESS, &m.xor_mapped);
	if (m.has_mapped)
		pl_stun_wr_addr(&w, PL_STUN_A_MAPPED_ADDRESS, &m.mapped);
	if (m.software)
		pl_stun_wr_attr(&w, PL_STUN_A_SOFTWARE, m.software, m.software_len);
	if (m.has_error) {
		char reason[PL_STUN_REASON_MAX + 1];
		size_t n = 0;
		for (size_t i = 0; i < m.reason_len; i++)
			if (m.reason[i]) /* the writer takes a C string */
				reason[n++] = (char)m.reason[i];
		reason[n] = '\0';
		pl_stun_wr_error(&w, m.error_code, reason);
	}
	if (m.has_change) {
		uint8_t v[4] = {(uint8_t)(m.change_flags >> 24), (uint8_t)(m.change_flags >> 16),
				(uint8_t)(m.change_flags >> 8), (uint8_t)m.change_flags};
		pl_stun_wr_attr(&w, PL_STUN_A_CHANGE_REQUEST, v, 4);
	}
	if (m.integrity_off)
		pl_stun_wr_integrity(&w, fake_hmac, key, sizeof key);
	if (m.has_fingerprint)
		pl_stun_wr_fingerprint(&w);
	int n = pl_stun_wr_finish(&w);
	/* A classic tid that happens to start with the cookie cannot be written as classic; nothing
	 * else decoded can fail to encode into 4 KiB. */
	FUZZ_CHECK(n > 0 || (m.classic && n == -EINVAL));
	if (n <= 0)
		return 0;
	/* Only what the input held, each at most once: never longer than the input. */
	FUZZ_CHECK((size_t)n <= size);
	FUZZ_CHECK(pl_stun_decode(&d, enc, (size_t)n) == 0);
	FUZZ_CHECK(d.type == m.type && d.classic == m.classic && memcmp(d.tid, m.tid, sizeof m.tid) == 0);
	FUZZ_CHECK(d.has_mapped == m.has_mapped && (!m.has_mapped || addr_eq(&d.mapped, &m.mapped)));
	FUZZ_CHECK(d.has_xor_mapped == m.has_xor_mapped && (!m.has_xor_mapped || addr_eq(&d.xor_mapped, &m.xor_mapped)));
	FUZZ_CHECK(d.software_len == m.software_len && (!m.software || memcmp(d.software, m.software, m.software_len) == 0));
	FUZZ_CHECK(d.has_error == m.has_error && d.error_code == m.error_code);
	FUZZ_CHECK(d.has_change == m.has_change && d.change_flags == m.change_flags);
	FUZZ_CHECK(d.has_fingerprint == m.has_fingerprint && d.nunknown == 0 && !d.asks_elsewhere);
	FUZZ_CHECK(!m.integrity_off || pl_stun_check_integrity(&d, enc, fake_hmac, key, sizeof key) == 0);
	return 0;
}
