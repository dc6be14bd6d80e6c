/*
 * Unit tests for core/dmsg: every message type round trips; every truncation, every extension by
 * a byte, a wrong magic, an unknown type and non-zero padding are refused; requests are padded
 * larger than any answer; sealed control messages open only under their key and whole; the
 * backoff doubles up to its cap.
 */
#include "core/dmsg.h"

#include <errno.h>
#include <sodium.h>

#include "test.h"

static void fill(struct pl_dmsg *m, uint8_t type)
{
	memset(m, 0, sizeof *m);
	m->type = type;
	m->call_id = 0x0123456789abcdefULL + type;
	snprintf(m->name, sizeof m->name, "alice's laptop");
	m->fmt = (struct pl_media_format){PL_CODEC_PCM, 16000, 2, PL_SF_I16, 160};
	m->status = PL_DMSG_INCALL;
	for (size_t i = 0; i < sizeof m->key; i++)
		m->key[i] = (uint8_t)(0x40 + i);
	m->hs_len = type == PL_DMSG_REVEAL ? PL_E2E_REVEAL_LEN : PL_E2E_OFFER_LEN;
	for (size_t i = 0; i < m->hs_len; i++)
		m->hs[i] = (uint8_t)(i * 3 + type);
}

static void test_roundtrips(void)
{
	static const struct { uint8_t type; size_t len; } cases[] = {
		{PL_DMSG_CALL, PL_DMSG_REQ_LEN},
		{PL_DMSG_RINGING, PL_DMSG_HDR},
		{PL_DMSG_ANSWER, PL_DMSG_HDR + 2 + 14 + PL_DMSG_FMT_LEN + PL_E2E_ANSWER_LEN},
		{PL_DMSG_REVEAL, PL_DMSG_HDR + PL_E2E_REVEAL_LEN},
		{PL_DMSG_DENY, PL_DMSG_HDR},
		{PL_DMSG_BUSY, PL_DMSG_HDR},
		{PL_DMSG_CANCEL, PL_DMSG_HDR},
		{PL_DMSG_STATUS_REQ, PL_DMSG_REQ_LEN},
		{PL_DMSG_STATUS_ANS, PL_DMSG_HDR + 2 + 14 + 1 + PL_DEVICE_KEY_LEN},
	};
	uint8_t buf[PL_DMSG_MAX + 16];
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct pl_dmsg m, d;
		fill(&m, cases[c].type);
		test_case("%s", pl_dmsg_type_name(cases[c].type));
		int n = pl_dmsg_encode(&m, buf, sizeof buf);
		if (!CHECK_EQ(n, (int)cases[c].len))
			continue;
		CHECK_EQ(buf[0], PL_DMSG_MAGIC);
		CHECK_EQ(buf[1], cases[c].type);
		if (!CHECK_EQ(pl_dmsg_decode(&d, buf, (size_t)n), 0))
			continue;
		CHECK_EQ(d.type, m.type);
		CHECK(d.call_id == m.call_id);
		if (m.type == PL_DMSG_CALL || m.type == PL_DMSG_ANSWER || m.type == PL_DMSG_STATUS_ANS)
			CHECK_STR_EQ(d.name, m.name);
		if (m.type == PL_DMSG_CALL || m.type == PL_DMSG_ANSWER)
			CHECK(pl_mformat_equal(&d.fmt, &m.fmt));
		if (m.type == PL_DMSG_CALL || m.type == PL_DMSG_ANSWER || m.type == PL_DMSG_REVEAL) {
			CHECK_EQ(d.hs_len, m.hs_len);
			CHECK_MEM_EQ(d.hs, m.hs, m.hs_len);
		}
		if (m.type == PL_DMSG_STATUS_ANS) {
			CHECK_EQ(d.status, PL_DMSG_INCALL);
			CHECK_MEM_EQ(d.key, m.key, sizeof m.key);
		}
		/* No answer is as large as a request (no amplification). */
		if (m.type != PL_DMSG_CALL && m.type != PL_DMSG_STATUS_REQ)
			CHECK(n < PL_DMSG_REQ_LEN);
		/* Every truncation, and one byte more, is refused. */
		for (int k = 0; k < n; k++)
			if (pl_dmsg_decode(&d, buf, (size_t)k) != -EBADMSG) {
				CHECK(!"a truncation decoded");
				break;
			}
		buf[n] = 0;
		CHECK_EQ(pl_dmsg_decode(&d, buf, (size_t)n + 1), -EBADMSG);
		/* Too small a buffer to encode into. */
		CHECK_EQ(pl_dmsg_encode(&m, buf, (size_t)n - 1), -EMSGSIZE);
	}
}

static void test_malformed(void)
{
	uint8_t buf[PL_DMSG_MAX];
	struct pl_dmsg m, d;
	fill(&m, PL_DMSG_CALL);
	int n = pl_dmsg_encode(&m, buf, sizeof buf);
	test_case("malformed");
	CHECK_EQ(n, PL_DMSG_REQ_LEN);
	buf[0] = 2; /* a voice packet's version */
	CHECK_EQ(pl_dmsg_decode(&d, buf, (size_t)n), -EBADMSG);
	buf[0] = PL_DMSG_MAGIC;
	buf[n - 1] = 1; /* padding not zero */
	CHECK_EQ(pl_dmsg_decode(&d, buf, (size_t)n), -EBADMSG);
	buf[n - 1] = 0;
	CHECK_EQ(pl_dmsg_decode(&d, buf, (size_t)n), 0);
	buf[1] = 0;
	CHECK_EQ(pl_dmsg_decode(&d, buf, (size_t)n), -EBADMSG);
	buf[1] = PL_DMSG_TYPE_MAX + 1;
	CHECK_EQ(pl_dmsg_decode(&d, buf, (size_t)n), -EBADMSG);
	buf[1] = PL_DMSG_CALL;
	buf[PL_DMSG_HDR + 2] = '\n'; /* a control character in the name */
	CHECK_EQ(pl_dmsg_decode(&d, buf, (size_t)n), -EBADMSG);
	buf[PL_DMSG_HDR + 2] = 'a';
	buf[PL_DMSG_HDR + 1] = 0; /* an empty name (the rest then misparses too) */
	buf[PL_DMSG_HDR] = 0;
	CHECK_EQ(pl_dmsg_decode(&d, buf, (size_t)n), -EBADMSG);

	/* Encoding refuses what it cannot say. */
	fill(&m, PL_DMSG_CALL);
	m.name[0] = '\0';
	CHECK_EQ(pl_dmsg_encode(&m, buf, sizeof buf), -EINVAL);
	memset(m.name, 'x', PL_DMSG_NAME_MAX);
	m.name[PL_DMSG_NAME_MAX] = '\0';
	CHECK_EQ(pl_dmsg_encode(&m, buf, sizeof buf), PL_DMSG_REQ_LEN);
	fill(&m, PL_DMSG_REVEAL);
	m.hs_len = PL_E2E_OFFER_LEN;
	CHECK_EQ(pl_dmsg_encode(&m, buf, sizeof buf), -EINVAL);
	fill(&m, PL_DMSG_SEALED);
	CHECK_EQ(pl_dmsg_encode(&m, buf, sizeof buf), -EINVAL);
	fill(&m, PL_DMSG_STATUS_ANS);
	uint8_t ans[PL_DMSG_MAX];
	n = pl_dmsg_encode(&m, ans, sizeof ans);
	ans[n - PL_DEVICE_KEY_LEN - 1] = 2; /* an unknown status */
	CHECK_EQ(pl_dmsg_decode(&d, ans, (size_t)n), -EBADMSG);
}

static void test_sealed(void)
{
	uint8_t media[PL_MEDIA_KEY_LEN], key[PL_MEDIA_KEY_LEN], other[PL_MEDIA_KEY_LEN];
	memset(media, 0x11, sizeof media);
	pl_dmsg_ctl_key(key, media);
	CHECK(memcmp(key, media, sizeof key) != 0);
	media[0] ^= 1;
	pl_dmsg_ctl_key(other, media);
	CHECK(memcmp(key, other, sizeof key) != 0);

	static const uint8_t types[] = {PL_DMSG_CONFIRM, PL_DMSG_KEEPALIVE, PL_DMSG_HANGUP, PL_DMSG_HANGUP_ACK,
					PL_DMSG_TEXT, PL_DMSG_TEXT_ACK};
	uint8_t buf[PL_DMSG_MAX + 8];
	for (size_t c = 0; c < sizeof types; c++) {
		test_case("sealed %u", types[c]);
		struct pl_dmsg_inner in = {.type = types[c], .text_id = 77 + (uint32_t)c};
		snprintf(in.text, sizeof in.text, "hello über the wire");
		int n = pl_dmsg_seal(buf, sizeof buf, 42, key, 5 + c, &in);
		if (!CHECK(n > PL_DMSG_HDR + PL_MEDIA_OVERHEAD))
			continue;
		struct pl_dmsg d;
		if (!CHECK_EQ(pl_dmsg_decode(&d, buf, (size_t)n), 0))
			continue;
		CHECK_EQ(d.type, PL_DMSG_SEALED);
		CHECK(d.call_id == 42);
		struct pl_dmsg_inner out;
		uint64_t counter = 0;
		CHECK_EQ(pl_dmsg_open(&out, &counter, buf, (size_t)n, key), 0);
		CHECK_EQ(out.type, types[c]);
		CHECK(counter == 5 + c);
		if (types[c] == PL_DMSG_TEXT || types[c] == PL_DMSG_TEXT_ACK)
			CHECK_EQ(out.text_id, in.text_id);
		if (types[c] == PL_DMSG_TEXT)
			CHECK_STR_EQ(out.text, in.text);
		/* Another key, any byte changed (the header too: the call id is covered), a truncation. */
		CHECK_EQ(pl_dmsg_open(&out, &counter, buf, (size_t)n, other), -EBADMSG);
		for (int i = 2; i < n; i++) {
			buf[i] ^= 0x20;
			int rc = pl_dmsg_open(&out, &counter, buf, (size_t)n, key);
			buf[i] ^= 0x20;
			if (rc != -EBADMSG) {
				CHECK(!"a changed byte opened");
				break;
			}
		}
		for (int k = 0; k < n; k++)
			if (pl_dmsg_open(&out, &counter, buf, (size_t)k, key) != -EBADMSG) {
				CHECK(!"a truncation opened");
				break;
			}
	}
	test_case("sealed refusals");
	struct pl_dmsg_inner in = {.type = PL_DMSG_TEXT};
	CHECK_EQ(pl_dmsg_seal(buf, sizeof buf, 1, key, 1, &in), -EINVAL); /* empty text */
	in.type = 0;
	CHECK_EQ(pl_dmsg_seal(buf, sizeof buf, 1, key, 1, &in), -EINVAL);
	in.type = PL_DMSG_KEEPALIVE;
	CHECK_EQ(pl_dmsg_seal(buf, sizeof buf, 1, key, 0, &in), -EINVAL); /* counter 0 */
	CHECK_EQ(pl_dmsg_seal(buf, 20, 1, key, 1, &in), -EMSGSIZE);
	memset(in.text, 'y', PL_DMSG_TEXT_MAX);
	in.text[PL_DMSG_TEXT_MAX] = '\0';
	in.type = PL_DMSG_TEXT;
	int n = pl_dmsg_seal(buf, sizeof buf, 1, key, 9, &in);
	CHECK_EQ(n, PL_DMSG_MAX);
	struct pl_dmsg_inner out;
	uint64_t counter;
	CHECK_EQ(pl_dmsg_open(&out, &counter, buf, (size_t)n, key), 0);
	CHECK_EQ(strlen(out.text), PL_DMSG_TEXT_MAX);
}

static void test_backoff(void)
{
	test_case("backoff");
	CHECK_EQ(pl_dmsg_backoff_ms(0), 250);
	CHECK_EQ(pl_dmsg_backoff_ms(1), 500);
	CHECK_EQ(pl_dmsg_backoff_ms(2), 1000);
	CHECK_EQ(pl_dmsg_backoff_ms(3), 2000);
	CHECK_EQ(pl_dmsg_backoff_ms(40), PL_DMSG_RETX_MAX_MS);
	CHECK_STR_EQ(pl_dmsg_type_name(PL_DMSG_SEALED), "SEALED");
	CHECK_STR_EQ(pl_dmsg_type_name(200), "?");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_roundtrips();
	test_malformed();
	test_sealed();
	test_backoff();
	return test_done();
}
