/*
 * jbuf: a per-sender jitter buffer for Opus frames of fixed duration.
 *
 * The playout clock is the caller's: it calls pl_jbuf_pop once per frame period, and the buffer
 * never reads a clock of its own, so its tests are tables of puts and pops. Playout starts once
 * `target` frames are queued (the fixed delay that absorbs jitter), and stops again after a run
 * of empty periods (the talker went quiet), so the next talk spurt gets the same cushion.
 *
 * This is the simple, fixed-delay buffer of the walking skeleton; the adaptive one replaces the
 * target policy, not this interface. No allocation after pl_jbuf_alloc.
 */
#ifndef PL_JBUF_H
#define PL_JBUF_H

#include <stddef.h>
#include <stdint.h>

#define PL_JBUF_SLOTS 64     /* 1.28 s of 20 ms frames */
#define PL_JBUF_FRAME_MAX 1275
#define PL_JBUF_IDLE_STOP 5  /* empty periods in a row after which playout stops */

struct pl_jbuf;

enum pl_jbuf_status {
	PL_JBUF_SILENT, /* nothing to play: not started yet, or the talker stopped */
	PL_JBUF_FRAME,  /* *data, *len: the frame for this period */
	PL_JBUF_LOST,   /* this period's frame is missing; *data is the next frame (for FEC) or NULL */
};

struct pl_jbuf_stats {
	uint64_t played;
	uint64_t lost;    /* periods with no frame inside a talk spurt (the spurt's silent end is not counted) */
	uint64_t late, dup, resyncs;
};

int pl_jbuf_alloc(struct pl_jbuf **jbp, unsigned target);
void pl_jbuf_free(struct pl_jbuf *jb);

/* Returns 0 when stored, -EALREADY for a duplicate, -ETIME for a frame whose period has been
 * played, -EINVAL for an empty or oversized frame. A frame far ahead of playout, or one that
 * would stretch the queue past PL_JBUF_SLOTS before playout starts, restarts it (stats.resyncs). */
int pl_jbuf_put(struct pl_jbuf *jb, uint16_t seq, const uint8_t *data, size_t len);

/* One frame period. Pointers stay valid until the next call into jb. */
enum pl_jbuf_status pl_jbuf_pop(struct pl_jbuf *jb, const uint8_t **data, size_t *len);

/* Frames queued now. */
unsigned pl_jbuf_depth(const struct pl_jbuf *jb);
void pl_jbuf_stats(const struct pl_jbuf *jb, struct pl_jbuf_stats *st);

#endif
