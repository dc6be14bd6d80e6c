/*
 * codec: parley's voice codec settings around libopus, in one place so the client and the test
 * tools encode identically: 48 kHz mono, 20 ms frames, VoIP mode, in-band FEC on.
 * Encoder and decoder are allocated once per stream; encode and decode never allocate.
 */
#ifndef PL_CODEC_H
#define PL_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define PL_RATE 48000
#define PL_CHANNELS 1
#define PL_FRAME_MS 20
#define PL_FRAME_SAMPLES (PL_RATE / 1000 * PL_FRAME_MS) /* 960 */
#define PL_BITRATE_DEFAULT 24000
#define PL_OPUS_MAX_PACKET 1275

struct pl_enc;
struct pl_dec;

/* Returns 0 or -EINVAL/-ENOMEM. bitrate in bit/s (6000..510000). */
int pl_enc_alloc(struct pl_enc **ep, int bitrate);
void pl_enc_free(struct pl_enc *e);
/* Encodes one 20 ms frame; returns the packet length (> 0) or -EIO. */
int pl_enc_frame(struct pl_enc *e, const int16_t pcm[PL_FRAME_SAMPLES], uint8_t *out, size_t cap);

int pl_dec_alloc(struct pl_dec **dp);
void pl_dec_free(struct pl_dec *d);
/* Decodes one packet into 960 samples; returns 960 or -EBADMSG for a packet Opus rejects. */
int pl_dec_frame(struct pl_dec *d, const uint8_t *pkt, size_t len, int16_t pcm[PL_FRAME_SAMPLES]);
/* Fills a lost frame: from the in-band FEC of next (the following packet) when given, else by
 * packet-loss concealment. Returns 960, or -EBADMSG. */
int pl_dec_conceal(struct pl_dec *d, const uint8_t *next, size_t next_len,
		   int16_t pcm[PL_FRAME_SAMPLES]);

#endif
