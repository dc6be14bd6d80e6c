#include "core/vframe.h"

#include <errno.h>
#include <string.h>

#include "core/buf.h"
#include "core/mformat.h"
#include "core/media.h"
#include "core/vpkt.h"

_Static_assert(PL_VFRAME_MAX_MEDIA == PL_MFORMAT_MAX_FRAME, "one largest media frame");
_Static_assert(PL_VPKT_MAX_PAYLOAD == PL_VFRAME_MAX + PL_MEDIA_OVERHEAD, "a sealed frame fits a VOICE packet");

#define FLAG_RED_MASK 0x03
#define FLAGS_KNOWN (FLAG_RED_MASK | PL_VFRAME_SILENT | PL_VFRAME_END)

int pl_vframe_kind(const uint8_t *buf, size_t len)
{
	if (len == 0 || (buf[0] != PL_VFRAME_AUDIO && buf[0] != PL_VFRAME_REPORT))
		return -EBADMSG;
	return buf[0];
}

int pl_vframe_audio_encode(uint8_t *buf, size_t cap, const struct pl_vframe_audio *a)
{
	if (a->len > PL_VFRAME_MAX_MEDIA || (a->len && !a->data) || a->nred > PL_VFRAME_RED_MAX ||
	    (a->flags & ~(PL_VFRAME_SILENT | PL_VFRAME_END)))
		return -EINVAL;
	for (unsigned i = 0; i < a->nred; i++)
		if (a->red[i].len == 0 || a->red[i].len > PL_VFRAME_MAX_MEDIA || !a->red[i].data ||
		    a->red[i].seq_back == 0)
			return -EINVAL;
	if (cap > PL_VFRAME_MAX)
		cap = PL_VFRAME_MAX;
	if (PL_VFRAME_HDR + a->len > cap)
		return -EMSGSIZE;
	/* Leave out the oldest copies until the rest fit. */
	unsigned first = 0;
	for (;;) {
		size_t need = PL_VFRAME_HDR + a->len;
		for (unsigned i = first; i < a->nred; i++)
			need += PL_VFRAME_RED_ENTRY + a->red[i].len;
		if (need <= cap)
			break;
		first++;
	}
	unsigned n = a->nred - first;
	size_t pos = 0;
	buf[pos++] = PL_VFRAME_AUDIO;
	buf[pos++] = (uint8_t)(n | a->flags);
	for (unsigned i = first; i < a->nred; i++) {
		buf[pos] = a->red[i].seq_back;
		pl_put_be16(buf + pos + 1, a->red[i].ts_back);
		pl_put_be16(buf + pos + 3, (uint16_t)a->red[i].len);
		pos += PL_VFRAME_RED_ENTRY;
	}
	for (unsigned i = first; i < a->nred; i++) {
		memcpy(buf + pos, a->red[i].data, a->red[i].len);
		pos += a->red[i].len;
	}
	if (a->len)
		memcpy(buf + pos, a->data, a->len);
	return (int)(pos + a->len);
}

int pl_vframe_audio_decode(struct pl_vframe_audio *a, const uint8_t *buf, size_t len)
{
	memset(a, 0, sizeof *a);
	if (len < PL_VFRAME_HDR || len > PL_VFRAME_MAX || buf[0] != PL_VFRAME_AUDIO || (buf[1] & ~FLAGS_KNOWN))
		return -EBADMSG;
	unsigned n = buf[1] & FLAG_RED_MASK;
	if (n > PL_VFRAME_RED_MAX)
		return -EBADMSG;
	size_t pos = PL_VFRAME_HDR;
	if (len - pos < (size_t)n * PL_VFRAME_RED_ENTRY)
		return -EBADMSG;
	size_t data = pos + (size_t)n * PL_VFRAME_RED_ENTRY;
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *e = buf + pos + (size_t)i * PL_VFRAME_RED_ENTRY;
		size_t l = pl_be16(e + 3);
		if (e[0] == 0 || l == 0 || l > len - data)
			return -EBADMSG;
		a->red[i].seq_back = e[0];
		a->red[i].ts_back = pl_be16(e + 1);
		a->red[i].data = buf + data;
		a->red[i].len = l;
		data += l;
	}
	a->nred = n;
	a->flags = buf[1] & (PL_VFRAME_SILENT | PL_VFRAME_END);
	a->data = buf + data;
	a->len = len - data;
	return 0;
}

int pl_vframe_report_encode(uint8_t *buf, size_t cap, const struct pl_vframe_report *r)
{
	struct pl_wr w;
	pl_wr_init(&w, buf, cap);
	pl_wr_u8(&w, PL_VFRAME_REPORT);
	pl_wr_u64(&w, r->about);
	pl_wr_u16(&w, r->highest_seq);
	pl_wr_u32(&w, r->last_ts);
	pl_wr_u16(&w, r->since_ms);
	pl_wr_u16(&w, r->loss_e4 > 10000 ? 10000 : r->loss_e4);
	pl_wr_u16(&w, r->jitter_ms);
	pl_wr_u16(&w, r->buffer_ms);
	pl_wr_u32(&w, r->lost_total);
	return pl_wr_finish(&w) < 0 ? -EMSGSIZE : (int)w.pos;
}

int pl_vframe_report_decode(struct pl_vframe_report *r, const uint8_t *buf, size_t len)
{
	struct pl_rd rd;
	pl_rd_init(&rd, buf, len);
	uint8_t kind = pl_rd_u8(&rd);
	r->about = pl_rd_u64(&rd);
	r->highest_seq = pl_rd_u16(&rd);
	r->last_ts = pl_rd_u32(&rd);
	r->since_ms = pl_rd_u16(&rd);
	r->loss_e4 = pl_rd_u16(&rd);
	r->jitter_ms = pl_rd_u16(&rd);
	r->buffer_ms = pl_rd_u16(&rd);
	r->lost_total = pl_rd_u32(&rd);
	if (pl_rd_finish(&rd) < 0 || kind != PL_VFRAME_REPORT || r->loss_e4 > 10000)
		return -EBADMSG;
	return 0;
}
