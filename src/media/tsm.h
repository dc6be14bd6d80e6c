/*
 * tsm: time-scale modification of one decoded frame, for the adaptive jitter buffer (core/ajb.h):
 * shrink plays a frame shorter by one pitch period, stretch longer by one, so the buffer's delay
 * moves without dropping speech or inserting gaps. The period is the lag of best normalised
 * autocorrelation in 2.5-10 ms (voices from 100 to 400 Hz); the seam is an overlap-add over one
 * period, so the waveform stays continuous at both ends. Unvoiced or quiet frames, which have no
 * period, are cut or extended by half a frame's worth at most the same way. The output starts and
 * ends with the input's first and last samples' neighbourhood, so frames still join seamlessly.
 * Pure arithmetic on the caller's buffers; no allocation.
 */
#ifndef PL_TSM_H
#define PL_TSM_H

#include <stddef.h>
#include <stdint.h>

#define PL_TSM_MIN_LAG 120 /* 2.5 ms at 48 kHz */
#define PL_TSM_MAX_LAG 480 /* 10 ms */

/* Writes in (n samples) shortened into out; returns the new length (n when the frame is too
 * short to shrink). out must hold n samples and not overlap in. */
size_t pl_tsm_shrink(const int16_t *in, size_t n, int16_t *out);
/* Writes in lengthened into out (which holds n + PL_TSM_MAX_LAG); returns the new length. */
size_t pl_tsm_stretch(const int16_t *in, size_t n, int16_t *out);
/* The lag (samples) pl_tsm_* would use for in: PL_TSM_MIN_LAG..max, where max is n / 2 capped. */
size_t pl_tsm_lag(const int16_t *in, size_t n);

#endif
