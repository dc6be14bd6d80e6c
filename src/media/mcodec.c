#include "media/mcodec.h"

#include <errno.h>
#include <speex/speex_resampler.h>
#include <stdlib.h>
#include <string.h>

#include "core/pcm.h"

#define RATE 48000
#define FIFO_MAX (2 * PL_MCODEC_MAX_SAMPLES) /* at the codec's rate, mono */
#define RESAMPLE_QUALITY 5

struct pl_mtx {
	struct pl_media_format f;
	struct pl_enc *enc;           /* Opus; NULL for PCM */
	SpeexResamplerState *rs;      /* 48 kHz -> rate, or NULL */
	int16_t fifo[FIFO_MAX];       /* mono at rate */
	size_t nfifo;
	int16_t tmp[FIFO_MAX], st[2 * PL_MCODEC_MAX_SAMPLES];
};

struct pl_mrx {
	struct pl_media_format f;
	struct pl_dec *dec;           /* Opus; NULL for PCM */
	SpeexResamplerState *rs;      /* rate -> 48 kHz, or NULL */
	uint32_t frame_us;
	int last_n;                   /* samples of the last frame out */
	int16_t last[PL_MCODEC_MAX_SAMPLES];
	int16_t in[2 * PL_MCODEC_MAX_SAMPLES], mono[PL_MCODEC_MAX_SAMPLES];
};

static uint32_t chunk_us(const struct pl_media_format *f)
{
	return (uint32_t)((uint64_t)f->chunk * 1000000 / f->rate);
}

int pl_mtx_alloc(struct pl_mtx **tp, const struct pl_media_format *f, const struct pl_enc_opts *eo)
{
	if (pl_mformat_check(f, NULL, 0) < 0 || (uint64_t)f->chunk * RATE / f->rate > PL_MCODEC_MAX_SAMPLES)
		return -EINVAL;
	struct pl_mtx *t = calloc(1, sizeof *t);
	if (!t)
		return -ENOMEM;
	t->f = *f;
	int rc = 0;
	if (f->codec == PL_CODEC_OPUS) {
		struct pl_enc_opts o = *eo;
		o.rate = (int)f->rate;
		o.channels = f->channels;
		o.frame_samples = f->chunk;
		rc = pl_enc_alloc_opts(&t->enc, &o);
	}
	if (rc == 0 && f->rate != RATE) {
		int err;
		t->rs = speex_resampler_init(1, RATE, f->rate, RESAMPLE_QUALITY, &err);
		if (!t->rs)
			rc = -ENOMEM;
		else
			speex_resampler_skip_zeros(t->rs);
	}
	if (rc < 0) {
		pl_mtx_free(t);
		return rc;
	}
	*tp = t;
	return 0;
}

void pl_mtx_free(struct pl_mtx *t)
{
	if (!t)
		return;
	pl_enc_free(t->enc);
	if (t->rs)
		speex_resampler_destroy(t->rs);
	free(t);
}

struct pl_enc *pl_mtx_enc(struct pl_mtx *t)
{
	return t->enc;
}

void pl_mtx_reset(struct pl_mtx *t)
{
	t->nfifo = 0;
	if (t->enc)
		pl_enc_reset(t->enc);
	if (t->rs) {
		speex_resampler_reset_mem(t->rs);
		speex_resampler_skip_zeros(t->rs);
	}
}

uint32_t pl_mtx_ts_step(const struct pl_mtx *t)
{
	return (uint32_t)((uint64_t)t->f.chunk * RATE / t->f.rate);
}

void pl_mtx_push(struct pl_mtx *t, const int16_t *pcm, size_t n)
{
	const int16_t *src = pcm;
	spx_uint32_t out_n = (spx_uint32_t)n;
	if (t->rs) {
		spx_uint32_t in_n = (spx_uint32_t)n;
		out_n = (spx_uint32_t)(FIFO_MAX - t->nfifo < FIFO_MAX ? FIFO_MAX - t->nfifo : 0);
		if (out_n > sizeof t->tmp / sizeof t->tmp[0])
			out_n = sizeof t->tmp / sizeof t->tmp[0];
		speex_resampler_process_int(t->rs, 0, pcm, &in_n, t->tmp, &out_n);
		src = t->tmp;
	}
	size_t room = FIFO_MAX - t->nfifo;
	size_t k = out_n < room ? out_n : room; /* a FIFO that overflows drops the newest samples */
	memcpy(t->fifo + t->nfifo, src, k * sizeof *src);
	t->nfifo += k;
}

int pl_mtx_pull(struct pl_mtx *t, uint8_t *out, size_t cap, bool *dtx)
{
	*dtx = false;
	size_t chunk = t->f.chunk;
	if (t->nfifo < chunk)
		return 0;
	const int16_t *pcm = t->fifo;
	if (t->f.channels == 2) {
		pl_pcm_mono_to_stereo(t->fifo, chunk, t->st);
		pcm = t->st;
	}
	int n;
	if (t->enc) {
		n = pl_enc_encode(t->enc, pcm, out, cap);
		*dtx = pl_enc_dtx_frame(n);
	} else {
		n = pl_pcm_from_i16(t->f.format, pcm, chunk * t->f.channels, out, cap);
	}
	t->nfifo -= chunk;
	memmove(t->fifo, t->fifo + chunk, t->nfifo * sizeof *t->fifo);
	return n > 0 ? n : -EIO;
}

int pl_mrx_alloc(struct pl_mrx **rp, const struct pl_media_format *f)
{
	if (pl_mformat_check(f, NULL, 0) < 0 || (uint64_t)f->chunk * RATE / f->rate > PL_MCODEC_MAX_SAMPLES)
		return -EINVAL;
	struct pl_mrx *r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	r->f = *f;
	r->frame_us = chunk_us(f);
	int rc = 0;
	if (f->codec == PL_CODEC_OPUS) {
		rc = pl_dec_alloc(&r->dec);
	} else if (f->rate != RATE) {
		int err;
		r->rs = speex_resampler_init(1, f->rate, RATE, RESAMPLE_QUALITY, &err);
		if (!r->rs)
			rc = -ENOMEM;
		else
			speex_resampler_skip_zeros(r->rs);
	}
	if (rc < 0) {
		pl_mrx_free(r);
		return rc;
	}
	*rp = r;
	return 0;
}

void pl_mrx_free(struct pl_mrx *r)
{
	if (!r)
		return;
	pl_dec_free(r->dec);
	if (r->rs)
		speex_resampler_destroy(r->rs);
	free(r);
}

void pl_mrx_reset(struct pl_mrx *r)
{
	if (r->dec)
		pl_dec_reset(r->dec);
	if (r->rs)
		speex_resampler_reset_mem(r->rs);
	r->frame_us = chunk_us(&r->f);
	r->last_n = 0;
}

uint32_t pl_mrx_frame_us(const struct pl_mrx *r)
{
	return r->frame_us;
}

uint32_t pl_mrx_packet_us(const struct pl_mrx *r, const uint8_t *data, size_t len)
{
	if (!r->dec)
		return chunk_us(&r->f);
	int n = pl_dec_samples(data, len);
	return n > 0 ? (uint32_t)((uint64_t)n * 1000000 / RATE) : 0;
}

int pl_mrx_decode(struct pl_mrx *r, const uint8_t *data, size_t len, int16_t *pcm, size_t cap)
{
	int n;
	if (cap < PL_MCODEC_MAX_SAMPLES)
		return -EINVAL;
	if (r->dec) {
		n = pl_dec_decode(r->dec, data, len, pcm, PL_MCODEC_MAX_SAMPLES);
		if (n > 0)
			r->frame_us = (uint32_t)((uint64_t)n * 1000000 / RATE);
	} else {
		int got = pl_pcm_to_i16(r->f.format, data, len, r->in, sizeof r->in / sizeof r->in[0]);
		if (got < 0 || (size_t)got != (size_t)r->f.chunk * r->f.channels)
			return -EBADMSG;
		const int16_t *m = r->in;
		if (r->f.channels == 2) {
			pl_pcm_stereo_to_mono(r->in, r->f.chunk, r->mono);
			m = r->mono;
		}
		if (r->rs) {
			spx_uint32_t in_n = r->f.chunk, out_n = PL_MCODEC_MAX_SAMPLES;
			speex_resampler_process_int(r->rs, 0, m, &in_n, pcm, &out_n);
			n = (int)out_n;
		} else {
			memcpy(pcm, m, (size_t)r->f.chunk * sizeof *pcm);
			n = r->f.chunk;
		}
	}
	if (n > 0) {
		memcpy(r->last, pcm, (size_t)n * sizeof *pcm);
		r->last_n = n;
	}
	return n > 0 ? n : -EBADMSG;
}

int pl_mrx_conceal(struct pl_mrx *r, const uint8_t *next, size_t next_len, int16_t *pcm, size_t cap, bool *fec)
{
	*fec = false;
	int n = (int)((uint64_t)r->frame_us * RATE / 1000000);
	if (n <= 0 || (size_t)n > cap || n > PL_MCODEC_MAX_SAMPLES)
		return -EINVAL;
	if (r->dec) {
		int f = 0;
		n = pl_dec_conceal_n(r->dec, next, next_len, pcm, n, &f);
		*fec = f;
		return n;
	}
	/* PCM has no concealment of its own: the last frame again, fading to silence. */
	for (int i = 0; i < n; i++) {
		int32_t s = i < r->last_n ? r->last[i] : 0;
		pcm[i] = (int16_t)(s * (n - i) / n);
	}
	memset(r->last, 0, sizeof r->last);
	return n;
}
