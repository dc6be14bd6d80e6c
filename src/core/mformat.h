/*
 * mformat: the media format of a call, as seed note 004 negotiates it: a codec (Opus, or PCM
 * carried as raw samples), and for PCM the sample rate, channel count, sample format and chunk
 * size (samples per channel in one packet). Pure: what a format is, whether it is valid and fits a
 * voice packet, and its names for people and for JSON.
 */
#ifndef PL_MFORMAT_H
#define PL_MFORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pl_codec { PL_CODEC_OPUS = 0, PL_CODEC_PCM = 1 };
#define PL_CODEC_MAX PL_CODEC_PCM

/* Seed 004's format type values. PCM samples are little-endian on the wire. */
enum pl_sample_format { PL_SF_U8 = 0, PL_SF_I8 = 1, PL_SF_I16 = 2, PL_SF_I32 = 3, PL_SF_F32 = 4 };
#define PL_SF_MAX PL_SF_F32

struct pl_media_format {
	uint8_t codec;    /* enum pl_codec */
	uint32_t rate;    /* Hz: 8000, 12000, 16000, 24000 or 48000 (what Opus and the resampler take) */
	uint8_t channels; /* 1 or 2 */
	uint8_t format;   /* enum pl_sample_format (PCM; Opus calls carry i16 before encoding) */
	uint16_t chunk;   /* samples per channel per packet: 2.5 to 60 ms at the rate */
};

/* The largest media frame a voice packet carries once sealed (core/media.h adds 25 bytes). */
#define PL_MFORMAT_MAX_FRAME 1275

/* parley's default offer: Opus, 48 kHz mono, 20 ms. */
void pl_mformat_default(struct pl_media_format *f);
/* 0 when f is a format parley can send, else -EINVAL with a sentence in why (may be NULL). */
int pl_mformat_check(const struct pl_media_format *f, char *why, size_t whysz);
/* Bytes of one sample of one channel in that sample format (1, 2 or 4). */
unsigned pl_mformat_sample_bytes(uint8_t format);
/* Bytes of one packet's frame for PCM (chunk x channels x sample bytes). */
size_t pl_mformat_pcm_bytes(const struct pl_media_format *f);
/* "opus", "pcm"; "u8", "i8", "i16", "i32", "f32"; or "?" */
const char *pl_mformat_codec_name(uint8_t codec);
const char *pl_mformat_sample_name(uint8_t format);
/* From those names: 0, or -EINVAL. */
int pl_mformat_codec_parse(const char *s, uint8_t *codec);
int pl_mformat_sample_parse(const char *s, uint8_t *format);
/* "Opus 48000 Hz mono, 20 ms" or "PCM i16 16000 Hz stereo, 10 ms (640 bytes a packet)". */
void pl_mformat_describe(const struct pl_media_format *f, char *out, size_t sz);
/* The form pl_mformat_parse reads back: "pcm:16000:1:i16:10", "opus:48000:1:i16:20". */
void pl_mformat_string(const struct pl_media_format *f, char *out, size_t sz);
bool pl_mformat_equal(const struct pl_media_format *a, const struct pl_media_format *b);
/* Reads what a person types: "codec[:rate[:channels[:format[:ms]]]]", e.g. "opus",
 * "opus:24000:2", "pcm:16000:1:i16:10", "pcm:8000:1:u8:2.5". Left out: 48000 Hz for Opus and
 * 16000 for PCM, mono, i16, 20 ms. 0, or -EINVAL with a sentence in why; the result is checked
 * (pl_mformat_check). */
int pl_mformat_parse(const char *s, struct pl_media_format *f, char *why, size_t whysz);

#endif
