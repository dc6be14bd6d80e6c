/*
 * mcodec: a stream's codec for the format a room or call uses (core/mformat.h), between the
 * engine's 48 kHz mono frames and the media frames a VOICE packet carries: Opus (at the format's
 * rate and channels, with DTX, FEC and run-time bitrate and loss settings), or PCM in any of seed
 * 004's sample formats, resampled with speexdsp when the rate is not 48 kHz and duplicated to two
 * channels for stereo. The chunk (a packet's duration) need not be the engine's frame: the
 * sending side collects samples in a FIFO and makes a packet whenever a chunk is full.
 *
 * Everything is allocated by the _alloc functions; push, pull, decode and conceal never allocate
 * or block (the audio thread calls them).
 */
#ifndef PL_MCODEC_H
#define PL_MCODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mformat.h"
#include "media/codec.h"

#define PL_MCODEC_MAX_SAMPLES 2880 /* 60 ms at 48 kHz: the longest frame out of a decoder */

struct pl_mtx;
struct pl_mrx;

/* eo: the Opus settings (bitrate, FEC, DTX, loss) for an Opus format; its rate, channels and
 * frame are the format's. */
int pl_mtx_alloc(struct pl_mtx **tp, const struct pl_media_format *f, const struct pl_enc_opts *eo);
void pl_mtx_free(struct pl_mtx *t);
/* Takes n samples of 48 kHz mono (n <= PL_MCODEC_MAX_SAMPLES). */
void pl_mtx_push(struct pl_mtx *t, const int16_t *pcm, size_t n);
/* When a whole chunk is waiting, encodes it into out and returns its length (> 0), or 0 when
 * no chunk is ready; *dtx: an Opus DTX packet (silence, need not be sent); -EIO on an encoder
 * failure (the chunk is dropped). */
int pl_mtx_pull(struct pl_mtx *t, uint8_t *out, size_t cap, bool *dtx);
/* Starts a new stream: forgets the samples waiting in the FIFO and the encoder's and resampler's
 * state, so what follows encodes as by a fresh codec (a file talked with matches its own encode). */
void pl_mtx_reset(struct pl_mtx *t);
/* A packet's duration in 48 kHz timestamp units (chunk * 48000 / rate). */
uint32_t pl_mtx_ts_step(const struct pl_mtx *t);
/* The Opus encoder, to change bitrate and expected loss (NULL for PCM). */
struct pl_enc *pl_mtx_enc(struct pl_mtx *t);

int pl_mrx_alloc(struct pl_mrx **rp, const struct pl_media_format *f);
void pl_mrx_free(struct pl_mrx *r);
/* A new stream from another sender: forget decoder and resampler state. */
void pl_mrx_reset(struct pl_mrx *r);
/* Nominal frame duration in microseconds (the format's chunk; for Opus updated by each packet). */
uint32_t pl_mrx_frame_us(const struct pl_mrx *r);
/* The duration of a received frame in microseconds (Opus: what its header says), or 0 when
 * it cannot be told. */
uint32_t pl_mrx_packet_us(const struct pl_mrx *r, const uint8_t *data, size_t len);
/* Decodes a frame into pcm (48 kHz mono, cap >= PL_MCODEC_MAX_SAMPLES); returns the samples, or
 * -EBADMSG. */
int pl_mrx_decode(struct pl_mrx *r, const uint8_t *data, size_t len, int16_t *pcm, size_t cap);
/* Conceals one frame: Opus from next's FEC or by PLC, PCM by fading the last frame out.
 * *fec: next's FEC was used. Returns the samples. */
int pl_mrx_conceal(struct pl_mrx *r, const uint8_t *next, size_t next_len, int16_t *pcm, size_t cap, bool *fec);

#endif
