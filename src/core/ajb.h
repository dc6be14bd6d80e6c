/*
 * ajb: the adaptive jitter buffer of one sender's stream (one per talker), after WebRTC's NetEQ.
 *
 * Time is the caller's: every call takes `now` in microseconds, and the buffer reads no clock, so
 * its tests run whole conversations on a fake clock. Frames are put as they arrive (sequence
 * number, 48 kHz timestamp, flags); the playout side pops one frame whenever its output runs dry,
 * and the buffer answers what to play: the frame, the frame time-compressed or stretched, a
 * concealment, or nothing.
 *
 * The target. Each arriving frame's delay d = arrival - timestamp (in a clock the sender does not
 * share: only differences mean anything) is kept for window_ms; its relative delay is d minus the
 * smallest d in the window, i.e. how much later than the fastest recent frame it came. The target
 * is the 97th percentile of those (NetEQ's choice) plus a small margin, one frame more while
 * there is loss (so the next packet is at hand when a frame is missing: Opus FEC and redundancy
 * need it), within [min_us, max_us]. On a clean network it is a few milliseconds, under a frame.
 *
 * The buffer's own delay D of a frame is its age at playout minus that of the fastest frame.
 * When D is above the target by more than half a frame (10 ms at least), the buffer shrinks: a
 * frame the sender marked silent is skipped; speech is answered SHRINK, and the caller plays it a
 * pitch period shorter. When D is below the target, a silent frame is answered PAUSE (play
 * silence, the frame waits), and speech below it by more than that band STRETCH (play it a pitch
 * period longer): inside the band speech plays as it is, so a clean stream is never time-scaled.
 * No frame that arrived in time is ever thrown away unless the sender marked it silent.
 *
 * Missing frames. A frame missing while later ones are queued is LOST once its time has come
 * (the caller conceals it, from the next frame's FEC when offered). An empty buffer inside a
 * talk spurt is EXPAND: the caller conceals, and the frame is still awaited, so a late frame is
 * played rather than dropped and the delay grows by what was concealed; when the spurt goes on,
 * running dry showed the target was too low, so the target is held at that delay and sinks back
 * by 2 ms a second (one stall is not undone at once by compressing the speech that follows). But
 * when what comes next is a later frame (or a redundant copy of the awaited one, riding in a later
 * packet), the awaited frame was lost, not late: the periods concealed already stand for it, it is
 * counted LOST, and the later frame plays at its own time, so loss neither raises the target nor
 * makes the buffer time-scale. A frame the sender marked END ends the spurt; so do IDLE_STOP
 * empty periods in a row. A fixed target (fixed_us) turns adaptation and time-scaling off and
 * treats an empty buffer as loss, as a plain fixed buffer does: the reference the benchmarks
 * compare against.
 *
 * Nothing allocates after pl_ajb_alloc; put and pop are O(window) at most.
 */
#ifndef PL_AJB_H
#define PL_AJB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PL_AJB_SLOTS 64        /* frames held at once: 1.28 s of 20 ms frames */
#define PL_AJB_FRAME_MAX 1275
#define PL_AJB_HISTORY 512     /* arrival delays kept for the percentile */
#define PL_AJB_IDLE_STOP 5     /* empty periods in a row that end a talk spurt */

/* put flags */
#define PL_AJB_SILENT 0x01 /* the sender's voice detector heard no speech in it */
#define PL_AJB_END 0x02    /* the last frame of a talk spurt */
#define PL_AJB_COPY 0x04   /* a redundant copy (RED), not the frame's own packet */

struct pl_ajb_config {
	uint32_t frame_us;   /* one frame's duration (20000 for 20 ms) */
	uint32_t min_us;     /* the lowest target */
	uint32_t max_us;     /* the highest target (at most the slots' span) */
	uint32_t fixed_us;   /* non-zero: this fixed target, no adaptation, no time-scaling */
	uint32_t window_ms;  /* how long an arrival delay counts in the percentile */
	unsigned percentile; /* 1-100 (97) */
	uint32_t margin_us;  /* added to the percentile */
	bool lookahead;      /* one frame more while there is loss, so FEC and RED can work */
};

/* A sensible adaptive configuration for frames of frame_us. */
void pl_ajb_config_default(struct pl_ajb_config *c, uint32_t frame_us);

enum pl_ajb_action {
	PL_AJB_NONE,    /* nothing to play: not started, waiting for the target, or the spurt ended */
	PL_AJB_FRAME,   /* play data */
	PL_AJB_SHRINK,  /* play data a little shorter (the buffer is above its target) */
	PL_AJB_STRETCH, /* play data a little longer (below its target) */
	PL_AJB_PAUSE,   /* play one frame of silence; the next frame (silent) waits */
	PL_AJB_LOST,    /* conceal this frame; next/next_len: the following frame, for FEC, or NULL */
	PL_AJB_EXPAND,  /* the buffer ran dry in a spurt: conceal one frame and keep waiting */
};

struct pl_ajb_out {
	const uint8_t *data; /* FRAME, SHRINK, STRETCH: the frame */
	size_t len;
	const uint8_t *next; /* LOST: the next frame when it is queued (for FEC) */
	size_t next_len;
	unsigned flags;      /* the frame's put flags (PL_AJB_COPY: it came from a redundant copy) */
	uint16_t seq;        /* the frame's (or the lost frame's) sequence number */
};

struct pl_ajb_stats {
	uint64_t received;    /* own packets stored (not copies, duplicates or late ones) */
	uint64_t played;      /* FRAME, SHRINK and STRETCH */
	uint64_t from_copy;   /* of those, frames that came only as a redundant copy */
	uint64_t lost;        /* LOST */
	uint64_t expanded;    /* EXPAND */
	uint64_t covered;     /* of lost: frames given up after EXPAND had concealed their period */
	uint64_t late;        /* own packets that came after their time */
	uint64_t dup, resyncs;
	uint64_t shrunk, stretched, skipped_silent, paused;
	uint32_t target_us;   /* the target now */
	uint32_t jitter_us;   /* the percentile of relative delay now */
	uint32_t delay_us;    /* D of the last frame played */
	uint64_t delay_sum_us, delay_n; /* for the mean D of the frames played */
	uint16_t highest_seq; /* of own packets received */
	uint32_t highest_ts;  /* ts of the newest own packet */
	uint64_t highest_at_us; /* when it arrived */
	uint64_t expected;    /* own packets the sequence numbers say were sent since the first */
};

struct pl_ajb;

/* -EINVAL for a configuration out of range, -ENOMEM. */
int pl_ajb_alloc(struct pl_ajb **jbp, const struct pl_ajb_config *c);
void pl_ajb_free(struct pl_ajb *jb);
/* Forgets every frame and measurement (a new talker in this slot); keeps the configuration. */
void pl_ajb_reset(struct pl_ajb *jb);

/* The frames' duration changed (the sender chose another frame size): takes it, forgetting the
 * frames held. -EINVAL when out of range (the old one is kept). */
int pl_ajb_set_frame(struct pl_ajb *jb, uint32_t frame_us);
uint32_t pl_ajb_frame_us(const struct pl_ajb *jb);

/* Stores a frame that arrived at now. Returns 0; -EALREADY for one held or played already (a
 * duplicate, or a copy of a frame that came); -ETIME for one whose time has passed (stats.late
 * counts own packets only); -EINVAL for an oversized frame, or an empty one without END. */
int pl_ajb_put(struct pl_ajb *jb, uint16_t seq, uint32_t ts, unsigned flags, const uint8_t *data, size_t len,
	       uint64_t now_us);

/* One playout decision, when the caller's output needs the next frame. Pointers in out stay
 * valid until the next call into jb. */
enum pl_ajb_action pl_ajb_pop(struct pl_ajb *jb, uint64_t now_us, struct pl_ajb_out *out);

/* How unevenly the playout side asks for frames, microseconds: a sound device that pulls 20 ms
 * at once and then nothing for 20 ms needs that much more in the buffer, or it runs dry between
 * arrivals. Added to the target, and to the band inside which nothing is time-scaled (the pops'
 * own unevenness is not the buffer's delay moving). 0 by default; ignored with a fixed target. */
void pl_ajb_set_playout_jitter(struct pl_ajb *jb, uint32_t us);

/* Whether a talk spurt is being played (so the talker is talking). */
bool pl_ajb_playing(const struct pl_ajb *jb);
unsigned pl_ajb_depth(const struct pl_ajb *jb);
void pl_ajb_stats(const struct pl_ajb *jb, struct pl_ajb_stats *st);

#endif
