/*
 * dsp: the microphone's processing before encoding, through speexdsp: acoustic echo cancellation
 * with what the speaker played as the reference (speex's MDF canceller; a tail of tail_ms), noise
 * suppression and automatic gain (speex's preprocessor, which also takes the canceller's residual
 * echo estimate and suppresses what it left), and a level meter with a voice detector (the level
 * against a threshold, with a hangover so word gaps do not cut speech).
 *
 * One frame size for its life (frame samples at 48 kHz mono). Everything is allocated by
 * pl_dsp_alloc; pl_dsp_process does not allocate, lock or block: it runs on the audio thread.
 */
#ifndef PL_DSP_H
#define PL_DSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pl_dsp_opts {
	unsigned frame;    /* samples per frame at 48 kHz (480 or 960) */
	unsigned tail_ms;  /* echo canceller's filter length (>= 200) */
	bool aec, ns, agc;
	int ns_db;         /* noise suppression, dB (negative) */
	int agc_level;     /* AGC target RMS, 16-bit units */
	int vad_db;        /* voice detector threshold, dBFS of the processed frame's RMS */
	unsigned hang_ms;  /* voice detector hangover */
};

struct pl_dsp_result {
	float level_db;    /* RMS of the processed frame, dBFS (-100 for digital silence) */
	float in_db;       /* RMS of the raw microphone frame */
	bool voice;        /* the voice detector, hangover included */
};

struct pl_dsp;

void pl_dsp_opts_default(struct pl_dsp_opts *o, unsigned frame);
/* -EINVAL for bad options, -ENOMEM. */
int pl_dsp_alloc(struct pl_dsp **dp, const struct pl_dsp_opts *o);
void pl_dsp_free(struct pl_dsp *d);

/* Processes one captured frame into out (may equal in). ref: the frame's worth of what the
 * speaker played, aligned as the playout path fed it, or NULL (nothing played: the canceller
 * learns nothing, and is passed silence). */
void pl_dsp_process(struct pl_dsp *d, const int16_t *in, const int16_t *ref, int16_t *out,
		    struct pl_dsp_result *r);

/* Turns stages on or off while running (from the audio thread); the canceller keeps what it
 * learned. */
void pl_dsp_enable(struct pl_dsp *d, bool aec, bool ns, bool agc);
void pl_dsp_set_vad_db(struct pl_dsp *d, int vad_db);

/* RMS of n samples in dBFS (-100 for silence). */
float pl_dsp_level_db(const int16_t *pcm, size_t n);

#endif
