#include "media/codec.h"

#include <errno.h>
#include <opus.h>
#include <stdlib.h>

struct pl_enc {
	OpusEncoder *op;
	int frame_samples, channels, bitrate;
};

struct pl_dec {
	OpusDecoder *op;
};

int pl_enc_alloc(struct pl_enc **ep, int bitrate)
{
	if (bitrate < 6000 || bitrate > 510000)
		return -EINVAL;
	struct pl_enc *e = calloc(1, sizeof *e);
	if (!e)
		return -ENOMEM;
	int err;
	e->op = opus_encoder_create(PL_RATE, PL_CHANNELS, OPUS_APPLICATION_VOIP, &err);
	if (err != OPUS_OK) {
		free(e);
		return -ENOMEM;
	}
	opus_encoder_ctl(e->op, OPUS_SET_BITRATE(bitrate));
	opus_encoder_ctl(e->op, OPUS_SET_COMPLEXITY(10));
	opus_encoder_ctl(e->op, OPUS_SET_INBAND_FEC(1));
	opus_encoder_ctl(e->op, OPUS_SET_PACKET_LOSS_PERC(10));
	opus_encoder_ctl(e->op, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
	e->frame_samples = PL_FRAME_SAMPLES;
	e->channels = PL_CHANNELS;
	e->bitrate = bitrate;
	*ep = e;
	return 0;
}

void pl_enc_opts_default(struct pl_enc_opts *o)
{
	o->bitrate = PL_BITRATE_DEFAULT;
	o->rate = PL_RATE;
	o->channels = PL_CHANNELS;
	o->frame_samples = PL_FRAME_SAMPLES;
	o->loss_pct = 0;
	o->fec = 1;
	o->dtx = 1;
	o->complexity = 10;
}

static int frame_ok(int rate, int n)
{
	/* 2.5, 5, 10, 20, 40, 60 ms */
	int q = rate / 400;
	return n == q || n == 2 * q || n == 4 * q || n == 8 * q || n == 16 * q || n == 24 * q;
}

int pl_enc_alloc_opts(struct pl_enc **ep, const struct pl_enc_opts *o)
{
	if (o->bitrate < 6000 || o->bitrate > 510000 || (o->channels != 1 && o->channels != 2) ||
	    (o->rate != 8000 && o->rate != 12000 && o->rate != 16000 && o->rate != 24000 && o->rate != 48000) ||
	    !frame_ok(o->rate, o->frame_samples) || o->loss_pct < 0 || o->loss_pct > 100 || o->complexity < 0 ||
	    o->complexity > 10)
		return -EINVAL;
	struct pl_enc *e = calloc(1, sizeof *e);
	if (!e)
		return -ENOMEM;
	int err;
	e->op = opus_encoder_create(o->rate, o->channels, OPUS_APPLICATION_VOIP, &err);
	if (err != OPUS_OK) {
		free(e);
		return -ENOMEM;
	}
	opus_encoder_ctl(e->op, OPUS_SET_BITRATE(o->bitrate));
	opus_encoder_ctl(e->op, OPUS_SET_COMPLEXITY(o->complexity));
	opus_encoder_ctl(e->op, OPUS_SET_INBAND_FEC(o->fec ? 1 : 0));
	opus_encoder_ctl(e->op, OPUS_SET_PACKET_LOSS_PERC(o->loss_pct));
	opus_encoder_ctl(e->op, OPUS_SET_DTX(o->dtx ? 1 : 0));
	opus_encoder_ctl(e->op, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
	e->frame_samples = o->frame_samples;
	e->channels = o->channels;
	e->bitrate = o->bitrate;
	*ep = e;
	return 0;
}

int pl_enc_encode(struct pl_enc *e, const int16_t *pcm, uint8_t *out, size_t cap)
{
	opus_int32 n = opus_encode(e->op, pcm, e->frame_samples, out,
				   (opus_int32)(cap > PL_OPUS_MAX_PACKET ? PL_OPUS_MAX_PACKET : cap));
	return n > 0 ? (int)n : -EIO;
}

int pl_enc_set_bitrate(struct pl_enc *e, int bitrate)
{
	if (bitrate < 6000 || bitrate > 510000)
		return -EINVAL;
	if (bitrate != e->bitrate)
		opus_encoder_ctl(e->op, OPUS_SET_BITRATE(bitrate));
	e->bitrate = bitrate;
	return 0;
}

int pl_enc_set_loss(struct pl_enc *e, int loss_pct)
{
	if (loss_pct < 0 || loss_pct > 100)
		return -EINVAL;
	opus_encoder_ctl(e->op, OPUS_SET_PACKET_LOSS_PERC(loss_pct));
	return 0;
}

int pl_enc_get_bitrate(const struct pl_enc *e)
{
	return e->bitrate;
}

int pl_enc_lookahead(const struct pl_enc *e)
{
	opus_int32 la = 0;
	opus_encoder_ctl(e->op, OPUS_GET_LOOKAHEAD(&la));
	opus_int32 rate = 48000;
	opus_encoder_ctl(e->op, OPUS_GET_SAMPLE_RATE(&rate));
	return (int)((int64_t)la * 48000 / (rate ? rate : 48000));
}

void pl_enc_free(struct pl_enc *e)
{
	if (!e)
		return;
	opus_encoder_destroy(e->op);
	free(e);
}

int pl_enc_frame(struct pl_enc *e, const int16_t pcm[PL_FRAME_SAMPLES], uint8_t *out, size_t cap)
{
	if (e->frame_samples != PL_FRAME_SAMPLES || e->channels != 1)
		return -EINVAL;
	opus_int32 n = opus_encode(e->op, pcm, PL_FRAME_SAMPLES, out,
				   (opus_int32)(cap > PL_OPUS_MAX_PACKET ? PL_OPUS_MAX_PACKET : cap));
	return n > 0 ? (int)n : -EIO;
}

int pl_dec_alloc(struct pl_dec **dp)
{
	struct pl_dec *d = calloc(1, sizeof *d);
	if (!d)
		return -ENOMEM;
	int err;
	d->op = opus_decoder_create(PL_RATE, PL_CHANNELS, &err);
	if (err != OPUS_OK) {
		free(d);
		return -ENOMEM;
	}
	*dp = d;
	return 0;
}

void pl_dec_free(struct pl_dec *d)
{
	if (!d)
		return;
	opus_decoder_destroy(d->op);
	free(d);
}

int pl_dec_frame(struct pl_dec *d, const uint8_t *pkt, size_t len, int16_t pcm[PL_FRAME_SAMPLES])
{
	if (!pkt || len == 0 || len > PL_OPUS_MAX_PACKET)
		return -EBADMSG;
	int n = opus_decode(d->op, pkt, (opus_int32)len, pcm, PL_FRAME_SAMPLES, 0);
	return n == PL_FRAME_SAMPLES ? n : -EBADMSG;
}

int pl_dec_conceal(struct pl_dec *d, const uint8_t *next, size_t next_len,
		   int16_t pcm[PL_FRAME_SAMPLES])
{
	int n;
	if (next && next_len > 0 && next_len <= PL_OPUS_MAX_PACKET)
		n = opus_decode(d->op, next, (opus_int32)next_len, pcm, PL_FRAME_SAMPLES, 1);
	else
		n = opus_decode(d->op, NULL, 0, pcm, PL_FRAME_SAMPLES, 0);
	return n == PL_FRAME_SAMPLES ? n : -EBADMSG;
}

int pl_dec_samples(const uint8_t *pkt, size_t len)
{
	if (!pkt || len == 0 || len > PL_OPUS_MAX_PACKET)
		return -EBADMSG;
	int n = opus_packet_get_nb_samples(pkt, (opus_int32)len, PL_RATE);
	return n > 0 ? n : -EBADMSG;
}

int pl_dec_decode(struct pl_dec *d, const uint8_t *pkt, size_t len, int16_t *pcm, size_t cap)
{
	if (!pkt || len == 0 || len > PL_OPUS_MAX_PACKET || cap > 5760)
		return -EBADMSG;
	int n = opus_decode(d->op, pkt, (opus_int32)len, pcm, (int)cap, 0);
	return n > 0 ? n : -EBADMSG;
}

int pl_dec_conceal_n(struct pl_dec *d, const uint8_t *next, size_t next_len, int16_t *pcm, int n, int *fec)
{
	int got = -1;
	*fec = 0;
	if (n <= 0 || n > 5760 || n % (PL_RATE / 400))
		return -EBADMSG;
	/* Only SILK and hybrid packets (TOC configurations 0-15) can carry in-band FEC; libopus 1.3
	 * cannot say whether one does, and conceals by PLC when it does not. */
	if (next && next_len > 0 && next_len <= PL_OPUS_MAX_PACKET && (next[0] >> 3) < 16) {
		got = opus_decode(d->op, next, (opus_int32)next_len, pcm, n, 1);
		*fec = got == n;
	}
	if (got != n)
		got = opus_decode(d->op, NULL, 0, pcm, n, 0);
	return got == n ? n : -EBADMSG;
}

void pl_enc_reset(struct pl_enc *e)
{
	opus_encoder_ctl(e->op, OPUS_RESET_STATE);
}

void pl_dec_reset(struct pl_dec *d)
{
	opus_decoder_ctl(d->op, OPUS_RESET_STATE);
}
