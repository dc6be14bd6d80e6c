/*
 * vtalker: one remote talker as the audio thread plays it: its adaptive jitter buffer (core/ajb.h),
 * its decoder (media/mcodec.h), the time-scaler (media/tsm.h) and a FIFO of decoded samples that
 * the mixer drains in device-sized chunks. When the FIFO runs dry the talker asks its buffer for
 * the next frame, so each decision is taken when its sound is needed and not before.
 * Internal to the voice engine (client/vengine.c); no allocation after pl_vtalker_alloc.
 */
#ifndef PL_VTALKER_H
#define PL_VTALKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ajb.h"
#include "core/vframe.h"
#include "media/mcodec.h"

#define PL_VTALKER_FIFO 8192

struct pl_vtalker_counts {
	uint64_t played, lost, fec, red, concealed, late, dup, shrunk, stretched, skipped, received;
};

struct pl_vtalker {
	bool used;
	uint64_t id;
	uint64_t last_us;        /* the last packet */
	uint64_t heard_us;       /* the last frame with sound in it */
	bool plc_only;
	struct pl_ajb *jb;
	struct pl_mrx *rx;       /* the current format's decoder (owned by the codecs set) */
	int16_t fifo[PL_VTALKER_FIFO];
	size_t nfifo;
	int16_t dec[PL_MCODEC_MAX_SAMPLES], ts[PL_MCODEC_MAX_SAMPLES + 512];
	struct pl_vtalker_counts c;
	/* for reports */
	uint64_t rep_expected, rep_received; /* at the last report */
	uint64_t decode_ns, decode_n;
};

int pl_vtalker_alloc(struct pl_vtalker *t, uint32_t frame_us, uint32_t fixed_us, bool plc_only);
void pl_vtalker_free(struct pl_vtalker *t);
/* Takes the slot for a new sender. */
void pl_vtalker_start(struct pl_vtalker *t, uint64_t id, struct pl_mrx *rx);
/* A received AUDIO payload: its redundant copies then itself into the jitter buffer. */
void pl_vtalker_put(struct pl_vtalker *t, uint16_t seq, uint32_t ts, const struct pl_vframe_audio *a, uint64_t now_us);
/* Adds n samples of this talker to mix (decoding what it must); returns whether it was audible. */
bool pl_vtalker_mix(struct pl_vtalker *t, int32_t *mix, size_t n, uint64_t now_us);

#endif
