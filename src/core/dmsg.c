#include "core/dmsg.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "core/buf.h"

_Static_assert(PL_E2E_OFFER_LEN == PL_E2E_ANSWER_LEN && PL_E2E_REVEAL_LEN < PL_E2E_OFFER_LEN, "hs holds each");
/* Every answer is smaller than a padded request: STATUS_ANS is the largest answer to one. */
_Static_assert(PL_DMSG_HDR + 2 + PL_DMSG_NAME_MAX + 1 + PL_DEVICE_KEY_LEN < PL_DMSG_REQ_LEN, "no amplification");
_Static_assert(PL_DMSG_HDR + 2 + PL_DMSG_NAME_MAX + PL_DMSG_FMT_LEN + PL_E2E_ANSWER_LEN < PL_DMSG_REQ_LEN,
	       "no amplification");
_Static_assert(PL_DMSG_HDR + 2 + PL_DMSG_NAME_MAX + PL_DMSG_FMT_LEN + PL_E2E_OFFER_LEN <= PL_DMSG_REQ_LEN,
	       "a CALL fits its padding");

static const char *const type_names[] = {"?", "CALL", "RINGING", "ANSWER", "REVEAL", "DENY", "BUSY", "CANCEL",
					 "STATUS_REQ", "STATUS_ANS", "SEALED"};

const char *pl_dmsg_type_name(uint8_t type)
{
	return type <= PL_DMSG_TYPE_MAX ? type_names[type] : "?";
}

unsigned pl_dmsg_backoff_ms(unsigned attempt)
{
	unsigned ms = PL_DMSG_RETX_FIRST_MS;
	for (unsigned i = 0; i < attempt && ms < PL_DMSG_RETX_MAX_MS; i++)
		ms *= 2;
	return ms < PL_DMSG_RETX_MAX_MS ? ms : PL_DMSG_RETX_MAX_MS;
}

/* A name: 1..PL_DMSG_NAME_MAX bytes, no control characters (the UI makes the rest safe). */
static bool name_ok(const char *s, size_t n)
{
	if (n == 0 || n > PL_DMSG_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static void wr_fmt(struct pl_wr *w, const struct pl_media_format *f)
{
	pl_wr_u8(w, f->codec);
	pl_wr_u32(w, f->rate);
	pl_wr_u8(w, f->channels);
	pl_wr_u8(w, f->format);
	pl_wr_u16(w, f->chunk);
}

static void rd_fmt(struct pl_rd *r, struct pl_media_format *f)
{
	f->codec = pl_rd_u8(r);
	f->rate = pl_rd_u32(r);
	f->channels = pl_rd_u8(r);
	f->format = pl_rd_u8(r);
	f->chunk = pl_rd_u16(r);
}

static size_t hs_len_of(uint8_t type)
{
	return type == PL_DMSG_CALL ? PL_E2E_OFFER_LEN : type == PL_DMSG_ANSWER ? PL_E2E_ANSWER_LEN : PL_E2E_REVEAL_LEN;
}

int pl_dmsg_encode(const struct pl_dmsg *m, uint8_t *buf, size_t cap)
{
	struct pl_wr w;
	pl_wr_init(&w, buf, cap);
	pl_wr_u8(&w, PL_DMSG_MAGIC);
	pl_wr_u8(&w, m->type);
	pl_wr_u64(&w, m->call_id);
	switch (m->type) {
	case PL_DMSG_CALL:
	case PL_DMSG_ANSWER:
	case PL_DMSG_STATUS_ANS:
		if (!name_ok(m->name, strnlen(m->name, sizeof m->name)))
			return -EINVAL;
		pl_wr_str(&w, m->name, PL_DMSG_NAME_MAX);
		if (m->type == PL_DMSG_STATUS_ANS) {
			pl_wr_u8(&w, m->status);
			pl_wr_bytes(&w, m->key, sizeof m->key);
			break;
		}
		/* CALL and ANSWER go on with the format and the handshake */
		wr_fmt(&w, &m->fmt);
		__attribute__((fallthrough));
	case PL_DMSG_REVEAL:
		if (m->hs_len != hs_len_of(m->type))
			return -EINVAL;
		pl_wr_bytes(&w, m->hs, m->hs_len);
		break;
	case PL_DMSG_RINGING:
	case PL_DMSG_DENY:
	case PL_DMSG_BUSY:
	case PL_DMSG_CANCEL:
	case PL_DMSG_STATUS_REQ:
		break;
	default: /* SEALED is made by pl_dmsg_seal */
		return -EINVAL;
	}
	if (m->type == PL_DMSG_CALL || m->type == PL_DMSG_STATUS_REQ) {
		if (!w.err && w.pos > PL_DMSG_REQ_LEN)
			return -EINVAL;
		while (!w.err && w.pos < PL_DMSG_REQ_LEN)
			pl_wr_u8(&w, 0);
	}
	return pl_wr_finish(&w);
}

int pl_dmsg_decode(struct pl_dmsg *m, const uint8_t *buf, size_t len)
{
	memset(m, 0, sizeof *m);
	struct pl_rd r;
	pl_rd_init(&r, buf, len);
	if (pl_rd_u8(&r) != PL_DMSG_MAGIC)
		return -EBADMSG;
	m->type = pl_rd_u8(&r);
	m->call_id = pl_rd_u64(&r);
	if (r.err)
		return -EBADMSG;
	bool padded = m->type == PL_DMSG_CALL || m->type == PL_DMSG_STATUS_REQ;
	if (padded && len != PL_DMSG_REQ_LEN)
		return -EBADMSG;
	switch (m->type) {
	case PL_DMSG_CALL:
	case PL_DMSG_ANSWER:
	case PL_DMSG_STATUS_ANS:
		pl_rd_str(&r, m->name, sizeof m->name, PL_DMSG_NAME_MAX);
		if (r.err || !name_ok(m->name, strlen(m->name)))
			return -EBADMSG;
		if (m->type == PL_DMSG_STATUS_ANS) {
			m->status = pl_rd_u8(&r);
			pl_rd_bytes(&r, m->key, sizeof m->key);
			if (m->status > PL_DMSG_INCALL)
				return -EBADMSG;
			break;
		}
		rd_fmt(&r, &m->fmt);
		__attribute__((fallthrough));
	case PL_DMSG_REVEAL:
		m->hs_len = hs_len_of(m->type);
		pl_rd_bytes(&r, m->hs, m->hs_len);
		break;
	case PL_DMSG_RINGING:
	case PL_DMSG_DENY:
	case PL_DMSG_BUSY:
	case PL_DMSG_CANCEL:
	case PL_DMSG_STATUS_REQ:
		break;
	case PL_DMSG_SEALED:
		/* The key id, counter and tag at least; the inner type's byte too. */
		if (pl_rd_left(&r) < PL_MEDIA_OVERHEAD + 1)
			return -EBADMSG;
		m->sealed = buf + PL_DMSG_HDR;
		m->sealed_len = len - PL_DMSG_HDR;
		return 0;
	default:
		return -EBADMSG;
	}
	if (r.err)
		return -EBADMSG;
	if (padded) {
		while (pl_rd_left(&r))
			if (pl_rd_u8(&r) != 0)
				return -EBADMSG;
	}
	return pl_rd_finish(&r);
}

void pl_dmsg_ctl_key(uint8_t out[PL_MEDIA_KEY_LEN], const uint8_t media_key[PL_MEDIA_KEY_LEN])
{
	static const char label[] = "parley direct control v1";
	crypto_generichash(out, PL_MEDIA_KEY_LEN, (const uint8_t *)label, sizeof label - 1, media_key,
			   PL_MEDIA_KEY_LEN);
}

/* The inner message's bytes into w. */
static void wr_inner(struct pl_wr *w, const struct pl_dmsg_inner *in)
{
	pl_wr_u8(w, in->type);
	if (in->type == PL_DMSG_TEXT || in->type == PL_DMSG_TEXT_ACK)
		pl_wr_u32(w, in->text_id);
	if (in->type == PL_DMSG_TEXT)
		pl_wr_str(w, in->text, PL_DMSG_TEXT_MAX);
}

int pl_dmsg_seal(uint8_t *buf, size_t cap, uint64_t call_id, const uint8_t key[PL_MEDIA_KEY_LEN], uint64_t counter,
		 const struct pl_dmsg_inner *in)
{
	if (in->type < PL_DMSG_CONFIRM || in->type > PL_DMSG_INNER_MAX || counter == 0)
		return -EINVAL;
	size_t tlen = in->type == PL_DMSG_TEXT ? strnlen(in->text, sizeof in->text) : 0;
	if (in->type == PL_DMSG_TEXT && (tlen == 0 || tlen > PL_DMSG_TEXT_MAX))
		return -EINVAL;
	uint8_t plain[1 + 4 + 2 + PL_DMSG_TEXT_MAX];
	struct pl_wr w;
	pl_wr_init(&w, plain, sizeof plain);
	wr_inner(&w, in);
	int plen = pl_wr_finish(&w);
	if (plen < 0)
		return -EINVAL;
	if (cap < PL_DMSG_HDR)
		return -EMSGSIZE;
	pl_wr_init(&w, buf, PL_DMSG_HDR);
	pl_wr_u8(&w, PL_DMSG_MAGIC);
	pl_wr_u8(&w, PL_DMSG_SEALED);
	pl_wr_u64(&w, call_id);
	int n = pl_media_seal(buf + PL_DMSG_HDR, cap - PL_DMSG_HDR, key, 0, counter, buf, PL_DMSG_HDR, plain,
			      (size_t)plen);
	sodium_memzero(plain, sizeof plain);
	return n < 0 ? n : PL_DMSG_HDR + n;
}

int pl_dmsg_open(struct pl_dmsg_inner *in, uint64_t *counter, const uint8_t *buf, size_t len,
		 const uint8_t key[PL_MEDIA_KEY_LEN])
{
	memset(in, 0, sizeof *in);
	if (len < PL_DMSG_HDR + PL_MEDIA_OVERHEAD + 1 || buf[0] != PL_DMSG_MAGIC || buf[1] != PL_DMSG_SEALED)
		return -EBADMSG;
	uint8_t plain[1 + 4 + 2 + PL_DMSG_TEXT_MAX];
	uint8_t key_id;
	int n = pl_media_open(plain, sizeof plain, key, buf, PL_DMSG_HDR, buf + PL_DMSG_HDR, len - PL_DMSG_HDR,
			      &key_id, counter);
	if (n < 0 || key_id != 0)
		return -EBADMSG;
	struct pl_rd r;
	pl_rd_init(&r, plain, (size_t)n);
	in->type = pl_rd_u8(&r);
	if (in->type == PL_DMSG_TEXT || in->type == PL_DMSG_TEXT_ACK)
		in->text_id = pl_rd_u32(&r);
	if (in->type == PL_DMSG_TEXT) {
		pl_rd_str(&r, in->text, sizeof in->text, PL_DMSG_TEXT_MAX);
		if (!r.err && !in->text[0])
			r.err = true;
	}
	int rc = in->type < PL_DMSG_CONFIRM || in->type > PL_DMSG_INNER_MAX ? -EBADMSG : pl_rd_finish(&r);
	sodium_memzero(plain, sizeof plain);
	if (rc < 0)
		memset(in, 0, sizeof *in);
	return rc;
}
