#include "media/codec.h"

#include <errno.h>
#include <opus.h>
#include <stdlib.h>

struct pl_enc {
	OpusEncoder *op;
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
	*ep = e;
	return 0;
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
