#include "client/vtalker.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "media/dsp.h"
#include "media/tsm.h"

#define AUDIBLE_DB (-50.0f)

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int pl_vtalker_alloc(struct pl_vtalker *t, uint32_t frame_us, uint32_t fixed_us, bool plc_only)
{
	struct pl_ajb_config c;
	memset(t, 0, sizeof *t);
	pl_ajb_config_default(&c, frame_us);
	c.fixed_us = fixed_us;
	c.lookahead = !plc_only;
	t->plc_only = plc_only;
	return pl_ajb_alloc(&t->jb, &c);
}

void pl_vtalker_free(struct pl_vtalker *t)
{
	pl_ajb_free(t->jb);
	t->jb = NULL;
}

void pl_vtalker_start(struct pl_vtalker *t, uint64_t id, struct pl_mrx *rx)
{
	struct pl_ajb *jb = t->jb;
	bool plc = t->plc_only;
	memset(t, 0, offsetof(struct pl_vtalker, fifo));
	t->jb = jb;
	t->plc_only = plc;
	t->used = true;
	t->id = id;
	t->rx = rx;
	t->nfifo = 0;
	memset(&t->c, 0, sizeof t->c);
	t->rep_expected = t->rep_received = 0;
	t->decode_ns = t->decode_n = 0;
	pl_ajb_reset(jb);
	if (rx)
		pl_mrx_reset(rx);
}

static unsigned ajb_flags(uint8_t vflags)
{
	return (vflags & PL_VFRAME_SILENT ? PL_AJB_SILENT : 0) | (vflags & PL_VFRAME_END ? PL_AJB_END : 0);
}

void pl_vtalker_put(struct pl_vtalker *t, uint16_t seq, uint32_t ts, const struct pl_vframe_audio *a, uint64_t now)
{
	t->last_us = now;
	/* Opus says how long its frames are; a sender that changed its frame size resets the buffer. */
	uint32_t us = a->len ? pl_mrx_packet_us(t->rx, a->data, a->len) : 0;
	if (us && us != pl_ajb_frame_us(t->jb))
		pl_ajb_set_frame(t->jb, us);
	if (!t->plc_only)
		for (unsigned i = 0; i < a->nred; i++)
			pl_ajb_put(t->jb, (uint16_t)(seq - a->red[i].seq_back), ts - a->red[i].ts_back, PL_AJB_COPY,
				   a->red[i].data, a->red[i].len, now);
	int rc = pl_ajb_put(t->jb, seq, ts, ajb_flags(a->flags), a->data, a->len, now);
	if (rc == 0 || rc == -EALREADY)
		t->c.received += rc == 0;
}

static void append(struct pl_vtalker *t, const int16_t *pcm, size_t n)
{
	size_t room = PL_VTALKER_FIFO - t->nfifo;
	if (n > room)
		n = room;
	if (pcm)
		memcpy(t->fifo + t->nfifo, pcm, n * sizeof *pcm);
	else
		memset(t->fifo + t->nfifo, 0, n * sizeof *t->fifo);
	t->nfifo += n;
}

static size_t frame_samples(const struct pl_vtalker *t)
{
	return (size_t)pl_ajb_frame_us(t->jb) * 48 / 1000;
}

static void conceal(struct pl_vtalker *t, const uint8_t *next, size_t next_len)
{
	bool fec = false;
	int n = pl_mrx_conceal(t->rx, t->plc_only ? NULL : next, next_len, t->dec, PL_MCODEC_MAX_SAMPLES, &fec);
	if (n <= 0) {
		append(t, NULL, frame_samples(t));
		return;
	}
	if (fec)
		t->c.fec++;
	else
		t->c.concealed++;
	append(t, t->dec, (size_t)n);
}

/* One decision of the jitter buffer into the FIFO; false when the talker has nothing to play. */
static bool step(struct pl_vtalker *t, uint64_t now)
{
	struct pl_ajb_out o;
	enum pl_ajb_action a = pl_ajb_pop(t->jb, now, &o);
	switch (a) {
	case PL_AJB_NONE:
		return false;
	case PL_AJB_PAUSE:
		append(t, NULL, frame_samples(t));
		return true;
	case PL_AJB_LOST:
		t->c.lost++;
		conceal(t, o.next, o.next_len);
		return true;
	case PL_AJB_EXPAND:
		conceal(t, NULL, 0);
		return true;
	case PL_AJB_FRAME:
	case PL_AJB_SHRINK:
	case PL_AJB_STRETCH: {
		uint64_t t0 = mono_ns();
		int n = pl_mrx_decode(t->rx, o.data, o.len, t->dec, PL_MCODEC_MAX_SAMPLES);
		if (n <= 0) {
			conceal(t, NULL, 0);
			return true;
		}
		t->c.played++;
		if (o.flags & PL_AJB_COPY)
			t->c.red++;
		const int16_t *out = t->dec;
		size_t len = (size_t)n;
		if (a == PL_AJB_SHRINK) {
			len = pl_tsm_shrink(t->dec, len, t->ts);
			out = t->ts;
		} else if (a == PL_AJB_STRETCH) {
			len = pl_tsm_stretch(t->dec, len, t->ts);
			out = t->ts;
		}
		if (pl_dsp_level_db(out, len) > AUDIBLE_DB)
			t->heard_us = now;
		append(t, out, len);
		t->decode_ns += mono_ns() - t0;
		t->decode_n++;
		return true;
	}
	}
	return false;
}

bool pl_vtalker_mix(struct pl_vtalker *t, int32_t *mix, size_t n, uint64_t now)
{
	while (t->nfifo < n)
		if (!step(t, now))
			break;
	size_t k = t->nfifo < n ? t->nfifo : n;
	for (size_t i = 0; i < k; i++)
		mix[i] += t->fifo[i];
	t->nfifo -= k;
	memmove(t->fifo, t->fifo + k, t->nfifo * sizeof *t->fifo);
	return now - t->heard_us < 300000 && t->heard_us;
}
