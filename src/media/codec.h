/*
 * codec: parley's voice codec settings around libopus, in one place so the client and the test
 * tools encode identically: 48 kHz mono, 20 ms frames, VoIP mode, in-band FEC on.
 * Encoder and decoder are allocated once per stream; encode and decode never allocate.
 *
 * The audio engine's encoder (pl_enc_alloc_opts) also takes its frame length (2.5 to 60 ms), its
 * input rate and channels (a call's negotiated format), discontinuous transmission (in silence
 * Opus makes packets of 1-2 bytes that need not be sent: pl_enc_dtx_frame says so), and changes
 * of bitrate and expected loss while it runs (the receivers' reports drive them). Decoders always
 * decode to 48 kHz mono, whatever the sender's rate and channels.
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

struct pl_enc_opts {
	int bitrate;        /* bit/s */
	int rate;           /* input Hz: 8000, 12000, 16000, 24000 or 48000 */
	int channels;       /* 1 or 2 */
	int frame_samples;  /* per channel, at rate: 2.5, 5, 10, 20, 40 or 60 ms */
	int loss_pct;       /* expected loss, 0-100: how much in-band FEC to spend */
	int fec, dtx;       /* in-band FEC, discontinuous transmission */
	int complexity;     /* 0-10 */
};
void pl_enc_opts_default(struct pl_enc_opts *o);
int pl_enc_alloc_opts(struct pl_enc **ep, const struct pl_enc_opts *o);
/* Encodes one frame of o->frame_samples x channels interleaved samples; returns the length. */
int pl_enc_encode(struct pl_enc *e, const int16_t *pcm, uint8_t *out, size_t cap);
/* A packet DTX made for silence (1 or 2 bytes): nothing a receiver needs. */
static inline int pl_enc_dtx_frame(int len) { return len > 0 && len <= 2; }
int pl_enc_set_bitrate(struct pl_enc *e, int bitrate);
int pl_enc_set_loss(struct pl_enc *e, int loss_pct);
int pl_enc_get_bitrate(const struct pl_enc *e);
/* The encoder's lookahead, in 48 kHz samples (Opus's algorithmic delay beyond the frame). */
int pl_enc_lookahead(const struct pl_enc *e);

int pl_dec_alloc(struct pl_dec **dp);
void pl_dec_free(struct pl_dec *d);
/* Decodes one packet into 960 samples; returns 960 or -EBADMSG for a packet Opus rejects. */
int pl_dec_frame(struct pl_dec *d, const uint8_t *pkt, size_t len, int16_t pcm[PL_FRAME_SAMPLES]);
/* Fills a lost frame: from the in-band FEC of next (the following packet) when given, else by
 * packet-loss concealment. Returns 960, or -EBADMSG. */
int pl_dec_conceal(struct pl_dec *d, const uint8_t *next, size_t next_len,
		   int16_t pcm[PL_FRAME_SAMPLES]);

/* Forgets the encoder's state (OPUS_RESET_STATE): what follows encodes as by a fresh encoder with
 * the same settings. Does not allocate. */
void pl_enc_reset(struct pl_enc *e);
/* Forgets the decoder's state (a new stream); does not allocate. */
void pl_dec_reset(struct pl_dec *d);
/* Any duration: the samples (48 kHz mono) the packet holds, or -EBADMSG. */
int pl_dec_samples(const uint8_t *pkt, size_t len);
/* Decodes a packet of any duration into pcm (cap samples); returns the samples, or -EBADMSG. */
int pl_dec_decode(struct pl_dec *d, const uint8_t *pkt, size_t len, int16_t *pcm, size_t cap);
/* Conceals n samples (a multiple of 2.5 ms): from next's in-band FEC when given and it is a
 * SILK or hybrid packet (the kinds that carry FEC), else by packet-loss concealment. *fec says
 * which was tried. Returns n, or -EBADMSG. */
int pl_dec_conceal_n(struct pl_dec *d, const uint8_t *next, size_t next_len, int16_t *pcm, int n, int *fec);

#endif
