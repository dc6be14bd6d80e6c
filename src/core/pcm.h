/*
 * pcm: raw samples as a PCM call carries them (core/mformat.h: u8, i8, i16, i32 or f32, all
 * little-endian, channels interleaved), to and from the 16-bit samples parley's audio engine works
 * in. Pure functions over buffers, no allocation: they run per packet on the audio thread.
 *
 * Precision: i16 and i32 and f32 carry every 16-bit sample exactly; u8 and i8 keep its top 8 bits
 * (a round trip rounds to the nearest 8-bit step, so lands within 128 of the sample, or 255 at
 * the top, where the nearest step is out of range). u8 is offset binary
 * (128 is silence), as WAV's 8-bit samples are. f32 is full scale at +-1.0; values beyond it, and
 * NaN, come back clipped (NaN as silence).
 */
#ifndef PL_PCM_H
#define PL_PCM_H

#include <stddef.h>
#include <stdint.h>

#include "core/mformat.h"

/* Writes n interleaved samples (frames x channels) of in as format into out. Returns the bytes
 * written, -EMSGSIZE when out (cap bytes) is too small, -EINVAL for an unknown format. */
int pl_pcm_from_i16(uint8_t format, const int16_t *in, size_t n, uint8_t *out, size_t cap);

/* Reads len bytes of format into out (cap samples). Returns the samples read, -EBADMSG when len
 * is not a whole number of samples, -EMSGSIZE when out is too small, -EINVAL for an unknown
 * format. */
int pl_pcm_to_i16(uint8_t format, const uint8_t *in, size_t len, int16_t *out, size_t cap);

/* Channel layouts: mono to interleaved stereo (each sample twice) and back (the mean of the two).
 * n is frames; in and out must not overlap. */
void pl_pcm_mono_to_stereo(const int16_t *in, size_t n, int16_t *out);
void pl_pcm_stereo_to_mono(const int16_t *in, size_t n, int16_t *out);

#endif
