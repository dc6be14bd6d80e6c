#include "core/ajb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/vpkt.h"

#define TS_RATE 48000
#define LOSS_MEMORY_US 10000000 /* lookahead stays this long after the last gap */
#define HISTORY_MIN_KEEP 8      /* delays kept however old, so a pause does not forget all */
#define MAX_SKIPS_PER_POP 2
/* The band around the target inside which nothing is time-scaled: half a frame, and never under
 * 10 ms, since playout decides in device chunks of 5 ms and a sender of short packets (10 ms PCM
 * from 20 ms captures) sends them in pairs. */
#define HI_MIN_US 10000
/* Running dry in a spurt more than once is evidence the target is too low: a network or host that
 * stalls now and then (a Wi-Fi scan, a busy hypervisor) will stall again. From the second stall
 * within PEAK_PERIOD_US of the one before, the target is held at least at the delay the
 * concealments left, a floor that sinks by PEAK_DECAY_US_PER_S (so the stalls are not undone by
 * compressing the next seconds of speech, yet the delay comes back down when they stop). A single
 * stall raises nothing: the percentile already holds its late frames for a window, and holding a
 * frame more for ten seconds after one hiccup is what kept a clean call's delay a frame high. As
 * NetEQ's peak detector does (two peaks at most 10 s apart). */
#define PEAK_PERIOD_US 10000000
#define PEAK_DECAY_US_PER_S 2000
/* With loss, the next frame must be at hand when one is missing (FEC and redundancy are in it):
 * the target holds a frame more, and this much on top, since playout asks in device chunks (5 ms)
 * and may ask a little after the frame's time; and the buffer is kept at the target from below,
 * stretching speech if need be, rather than anywhere in the band under it. */
#define LOOKAHEAD_SLACK_US 5000

struct slot {
	bool full;
	uint8_t flags;
	uint16_t seq;
	uint16_t len;
	uint32_t ts;
	uint8_t data[PL_AJB_FRAME_MAX];
};

struct delay_rec {
	int64_t d_us;       /* arrival - timestamp */
	uint64_t at_us;     /* arrival */
};

struct pl_ajb {
	struct pl_ajb_config c;
	uint32_t frame_ts;  /* one frame in 48 kHz samples */
	uint32_t hi_us;     /* shrink above target + this */
	uint32_t play_us;   /* the playout side's unevenness (pl_ajb_set_playout_jitter) */
	uint32_t peak_us;   /* the floor after running dry, as of peak_at */
	uint64_t peak_at;
	uint32_t stall_us;  /* the last stall's floor, and when: a second one within PEAK_PERIOD_US */
	uint64_t stall_at;  /* sets the floor (0: none yet) */

	bool started;
	uint16_t next;      /* started: the next period's sequence number */
	uint16_t lowest;    /* not started: the lowest queued */
	unsigned count;
	unsigned idle;      /* empty periods in a row */
	bool have_played;
	uint32_t last_ts;   /* ts of the last frame played or concealed */
	uint64_t played_bits; /* bit i: the frame of seq next-1-i was played (not lost) */

	/* The timestamp, unwrapped from 32 bits around the newest own packet's. */
	bool have_ts;
	uint32_t ref_ts;
	int64_t ref_ext;

	bool have_seq;
	int64_t first_ext_seq, high_ext_seq;
	uint64_t last_gap_us;
	bool gap_seen;

	struct delay_rec hist[PL_AJB_HISTORY];
	unsigned h_head, h_n;  /* oldest at h_head */
	int64_t min_d;
	int64_t scratch[PL_AJB_HISTORY];

	struct pl_ajb_stats st;
	struct slot slots[PL_AJB_SLOTS];
};

static void clear(struct pl_ajb *jb);

void pl_ajb_config_default(struct pl_ajb_config *c, uint32_t frame_us)
{
	memset(c, 0, sizeof *c);
	c->frame_us = frame_us;
	c->min_us = 0;
	c->max_us = 300000;
	c->window_ms = 2000;
	c->percentile = 97;
	c->margin_us = 2000;
	c->lookahead = true;
}

int pl_ajb_alloc(struct pl_ajb **jbp, const struct pl_ajb_config *c)
{
	uint64_t span = (uint64_t)c->frame_us * (PL_AJB_SLOTS / 2);
	if (c->frame_us < 2500 || c->frame_us > 60000 || c->percentile < 1 || c->percentile > 100 ||
	    c->max_us < c->min_us || c->max_us > span || c->fixed_us > span || c->window_ms == 0)
		return -EINVAL;
	struct pl_ajb *jb = calloc(1, sizeof *jb);
	if (!jb)
		return -ENOMEM;
	jb->c = *c;
	jb->frame_ts = (uint32_t)((uint64_t)c->frame_us * TS_RATE / 1000000);
	jb->hi_us = c->frame_us / 2 > HI_MIN_US ? c->frame_us / 2 : HI_MIN_US;
	pl_ajb_reset(jb);
	*jbp = jb;
	return 0;
}

void pl_ajb_free(struct pl_ajb *jb)
{
	free(jb);
}

void pl_ajb_reset(struct pl_ajb *jb)
{
	struct pl_ajb_config c = jb->c;
	uint32_t frame_ts = jb->frame_ts, hi = jb->hi_us, play = jb->play_us;
	for (unsigned i = 0; i < PL_AJB_SLOTS; i++)
		jb->slots[i].full = false;
	size_t off = offsetof(struct pl_ajb, slots);
	memset(jb, 0, off);
	jb->c = c;
	jb->frame_ts = frame_ts;
	jb->hi_us = hi;
	jb->play_us = play;
	jb->st.target_us = c.fixed_us ? c.fixed_us : c.min_us;
}

int pl_ajb_set_frame(struct pl_ajb *jb, uint32_t frame_us)
{
	if (frame_us == jb->c.frame_us)
		return 0;
	uint64_t span = (uint64_t)frame_us * (PL_AJB_SLOTS / 2);
	if (frame_us < 2500 || frame_us > 60000)
		return -EINVAL;
	if (jb->c.max_us > span) /* shorter frames: fewer milliseconds fit the slots */
		jb->c.max_us = (uint32_t)span;
	if (jb->c.fixed_us > span)
		jb->c.fixed_us = (uint32_t)span;
	if (jb->c.min_us > jb->c.max_us)
		jb->c.min_us = jb->c.max_us;
	jb->c.frame_us = frame_us;
	jb->frame_ts = (uint32_t)((uint64_t)frame_us * TS_RATE / 1000000);
	jb->hi_us = frame_us / 2 > HI_MIN_US ? frame_us / 2 : HI_MIN_US;
	clear(jb);
	return 0;
}

uint32_t pl_ajb_frame_us(const struct pl_ajb *jb)
{
	return jb->c.frame_us;
}

/* --- time --- */

static int64_t ts_ext(const struct pl_ajb *jb, uint32_t ts)
{
	return jb->ref_ext + (int32_t)(ts - jb->ref_ts);
}

static int64_t ts_us(int64_t ext)
{
	return ext * 1000000 / TS_RATE;
}

/* D: how much later than the fastest recent frame's pace the frame of ts is being played. */
static int64_t delay_of(const struct pl_ajb *jb, uint32_t ts, uint64_t now)
{
	if (jb->h_n == 0)
		return jb->st.target_us; /* nothing measured: as if due */
	return (int64_t)now - ts_us(ts_ext(jb, ts)) - jb->min_d;
}

static bool lossy(const struct pl_ajb *jb, uint64_t now)
{
	return jb->gap_seen && now - jb->last_gap_us < LOSS_MEMORY_US;
}

static void set_target(struct pl_ajb *jb, uint64_t now)
{
	if (jb->c.fixed_us) {
		jb->st.target_us = jb->c.fixed_us;
		return;
	}
	uint64_t t = (uint64_t)jb->st.jitter_us + jb->c.margin_us + jb->play_us;
	uint64_t sunk = now > jb->peak_at ? (now - jb->peak_at) * PEAK_DECAY_US_PER_S / 1000000 : 0;
	if (jb->peak_us > sunk && t < jb->peak_us - sunk)
		t = jb->peak_us - sunk;
	if (t < jb->c.min_us)
		t = jb->c.min_us;
	if (jb->c.lookahead && lossy(jb, now))
		t += jb->c.frame_us + LOOKAHEAD_SLACK_US;
	if (t > jb->c.max_us)
		t = jb->c.max_us;
	jb->st.target_us = (uint32_t)t;
}

/* k-th smallest of a[0..n) (quickselect with a three-way partition, so the many equal delays of
 * a clean network cost one pass; a is scratch). */
static int64_t kth(int64_t *a, unsigned n, unsigned k)
{
	unsigned lo = 0, hi = n; /* [lo, hi) */
	while (hi - lo > 1) {
		int64_t pivot = a[lo + (hi - lo) / 2];
		unsigned lt = lo, i = lo, gt = hi; /* [lo,lt) < pivot, [lt,i) == pivot, [gt,hi) > pivot */
		while (i < gt) {
			int64_t v = a[i];
			if (v < pivot) {
				a[i++] = a[lt];
				a[lt++] = v;
			} else if (v > pivot) {
				a[i] = a[--gt];
				a[gt] = v;
			} else {
				i++;
			}
		}
		if (k < lt)
			hi = lt;
		else if (k >= gt)
			lo = gt;
		else
			return pivot;
	}
	return a[k];
}

/* An own packet arrived: its delay joins the window, old ones leave, the percentile and target
 * follow. */
static void measure(struct pl_ajb *jb, uint32_t ts, uint64_t now)
{
	if (!jb->have_ts) {
		jb->have_ts = true;
		jb->ref_ts = ts;
		jb->ref_ext = 0;
	}
	int64_t ext = ts_ext(jb, ts);
	if (ext > jb->ref_ext) {
		jb->ref_ext = ext;
		jb->ref_ts = ts;
	}
	int64_t d = (int64_t)now - ts_us(ext);
	/* A sender that restarted its clock, or a jump of more than 10 s: start measuring afresh. */
	if (jb->h_n && (d - jb->min_d > 10000000 || d - jb->min_d < -10000000))
		jb->h_n = 0;
	if (jb->h_n == PL_AJB_HISTORY) {
		jb->h_head = (jb->h_head + 1) % PL_AJB_HISTORY;
		jb->h_n--;
	}
	jb->hist[(jb->h_head + jb->h_n) % PL_AJB_HISTORY] = (struct delay_rec){d, now};
	jb->h_n++;
	uint64_t window = (uint64_t)jb->c.window_ms * 1000;
	while (jb->h_n > HISTORY_MIN_KEEP && now - jb->hist[jb->h_head].at_us > window) {
		jb->h_head = (jb->h_head + 1) % PL_AJB_HISTORY;
		jb->h_n--;
	}
	int64_t mn = INT64_MAX;
	for (unsigned i = 0; i < jb->h_n; i++) {
		int64_t v = jb->hist[(jb->h_head + i) % PL_AJB_HISTORY].d_us;
		if (v < mn)
			mn = v;
	}
	jb->min_d = mn;
	for (unsigned i = 0; i < jb->h_n; i++)
		jb->scratch[i] = jb->hist[(jb->h_head + i) % PL_AJB_HISTORY].d_us - mn;
	unsigned k = (unsigned)(((uint64_t)(jb->h_n - 1) * jb->c.percentile + 99) / 100);
	int64_t p = kth(jb->scratch, jb->h_n, k);
	jb->st.jitter_us = p > UINT32_MAX ? UINT32_MAX : (uint32_t)p;
	set_target(jb, now);
}

/* --- storing --- */

static void clear(struct pl_ajb *jb)
{
	for (unsigned i = 0; i < PL_AJB_SLOTS; i++)
		jb->slots[i].full = false;
	jb->count = 0;
	jb->started = false;
	jb->idle = 0;
}

/* Evidence of loss (not of reordering, which a gap in sequence numbers cannot tell from it): a
 * frame given up as LOST, or a hole that only a redundant copy filled. */
static void saw_loss(struct pl_ajb *jb, uint64_t now)
{
	jb->gap_seen = true;
	jb->last_gap_us = now;
}

static void track_seq(struct pl_ajb *jb, uint16_t seq, uint32_t ts, uint64_t now)
{
	if (!jb->have_seq) {
		jb->have_seq = true;
		jb->first_ext_seq = jb->high_ext_seq = seq;
	} else {
		int64_t ext = jb->high_ext_seq + pl_seq_diff(seq, (uint16_t)jb->high_ext_seq);
		if (ext < jb->first_ext_seq)
			jb->first_ext_seq = ext;
		if (ext <= jb->high_ext_seq)
			return;
		jb->high_ext_seq = ext;
	}
	jb->st.highest_seq = seq;
	jb->st.highest_ts = ts;
	jb->st.highest_at_us = now;
}

int pl_ajb_put(struct pl_ajb *jb, uint16_t seq, uint32_t ts, unsigned flags, const uint8_t *data, size_t len,
	       uint64_t now)
{
	bool own = !(flags & PL_AJB_COPY);
	if (len > PL_AJB_FRAME_MAX || (len == 0 && !(flags & PL_AJB_END)))
		return -EINVAL;
	if (own)
		track_seq(jb, seq, ts, now);

	if (jb->started || jb->count > 0) {
		uint16_t base = jb->started ? jb->next : jb->lowest;
		int d = pl_seq_diff(seq, base);
		if (jb->started && d < 0 && d >= -64 && (jb->played_bits >> (-d - 1) & 1)) {
			if (own)
				jb->st.dup++; /* a copy of a frame played already */
			return -EALREADY;
		}
		if (jb->started && d < 0) {
			if (own && d > -PL_AJB_SLOTS * 4) {
				jb->st.late++;
				measure(jb, ts, now); /* late frames are what the target must learn from */
			} else if (own) { /* from far behind: the sender restarted */
				clear(jb);
				jb->st.resyncs++;
				goto store;
			}
			return -ETIME;
		}
		if (!jb->started && d < 0) {
			if (pl_seq_diff(base, seq) >= PL_AJB_SLOTS) {
				if (!own)
					return -ETIME;
				clear(jb);
				jb->st.resyncs++;
			}
		} else if (d >= PL_AJB_SLOTS) {
			if (!own)
				return -ETIME;
			clear(jb);
			jb->st.resyncs++;
		}
	}
store:;
	struct slot *s = &jb->slots[seq % PL_AJB_SLOTS];
	if (s->full) {
		if (s->seq == seq) {
			if (own && !(s->flags & PL_AJB_COPY)) {
				jb->st.dup++;
				return -EALREADY;
			}
			if (!own)
				return -EALREADY;
			/* The own packet of a frame held as a copy: the same bytes (RED copies are
			 * verbatim); it counts as received. */
			s->flags = (uint8_t)flags;
			jb->st.received++;
			measure(jb, ts, now);
			return 0;
		}
		if (!own)
			return -ETIME;
		clear(jb);
		jb->st.resyncs++;
	}
	s->full = true;
	s->seq = seq;
	s->ts = ts;
	s->flags = (uint8_t)flags;
	s->len = (uint16_t)len;
	if (len)
		memcpy(s->data, data, len);
	if (!jb->started && (jb->count == 0 || pl_seq_diff(seq, jb->lowest) < 0))
		jb->lowest = seq;
	jb->count++;
	if (!own)
		saw_loss(jb, now);
	if (own) {
		jb->st.received++;
		measure(jb, ts, now);
	}
	return 0;
}

/* --- playing --- */

static struct slot *at(struct pl_ajb *jb, uint16_t seq)
{
	struct slot *s = &jb->slots[seq % PL_AJB_SLOTS];
	return s->full && s->seq == seq ? s : NULL;
}

/* The timestamp the frame of seq has or would have: from the nearest later frame queued, else
 * one frame after the last played. */
static uint32_t ts_for(struct pl_ajb *jb, uint16_t seq)
{
	for (unsigned k = 1; k < PL_AJB_SLOTS; k++) {
		struct slot *s = at(jb, (uint16_t)(seq + k));
		if (s)
			return s->ts - k * jb->frame_ts;
	}
	return jb->last_ts + jb->frame_ts;
}

static void take(struct pl_ajb *jb, struct slot *s)
{
	s->full = false;
	jb->count--;
	jb->next++;
	jb->played_bits = jb->played_bits << 1 | 1;
	jb->last_ts = s->ts;
	jb->have_played = true;
}

static enum pl_ajb_action play(struct pl_ajb *jb, struct slot *s, int64_t d, enum pl_ajb_action a,
			       struct pl_ajb_out *out, uint64_t now)
{
	if (jb->idle && !jb->c.fixed_us) {
		/* The spurt went on after running dry: the frame was late, and the delay grew by what was
		 * concealed. From the second such stall in PEAK_PERIOD_US the target follows the higher
		 * of the two (PEAK_DECAY_US_PER_S). A stream that just ended without END never gets
		 * here. */
		uint64_t floor = (uint64_t)jb->st.target_us + (uint64_t)jb->idle * jb->c.frame_us;
		if (floor > jb->c.max_us)
			floor = jb->c.max_us;
		if (jb->stall_at && now - jb->stall_at <= PEAK_PERIOD_US) {
			jb->peak_us = (uint32_t)(floor > jb->stall_us ? floor : jb->stall_us);
			jb->peak_at = now;
		}
		jb->stall_us = (uint32_t)floor;
		jb->stall_at = now ? now : 1;
	}
	out->data = s->data;
	out->len = s->len;
	out->flags = s->flags;
	out->seq = s->seq;
	take(jb, s);
	jb->idle = 0;
	jb->st.played++;
	if (s->flags & PL_AJB_COPY)
		jb->st.from_copy++;
	jb->st.delay_us = d < 0 ? 0 : d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
	jb->st.delay_sum_us += jb->st.delay_us;
	jb->st.delay_n++;
	if (a == PL_AJB_SHRINK)
		jb->st.shrunk++;
	else if (a == PL_AJB_STRETCH)
		jb->st.stretched++;
	return a;
}

static void stop(struct pl_ajb *jb)
{
	jb->started = false;
	jb->idle = 0;
	/* What is still queued starts the next spurt. */
	for (unsigned k = 0; k < PL_AJB_SLOTS && jb->count; k++)
		if (at(jb, (uint16_t)(jb->next + k))) {
			jb->lowest = (uint16_t)(jb->next + k);
			break;
		}
}

/* The buffer ran dry in a spurt and concealed idle periods while it waited for frame next. If
 * what came since is a later frame, the awaited frames were lost, not late, and the periods
 * already concealed stand for them: they are given up (as LOST, already concealed) up to that
 * many, rather than concealed once more and everything after them played a frame later each
 * (which would then be shrunk back: loss read as lateness). A redundant copy of an awaited frame
 * that came with a later packet is given up the same way: it came late only because its own
 * packet was lost. A late frame's own packet is real lateness and is played, as before. */
static void cover_concealed(struct pl_ajb *jb, uint64_t now)
{
	while (jb->started && jb->idle > 0) {
		struct slot *s = at(jb, jb->next);
		if (s && (!(s->flags & PL_AJB_COPY) || jb->count < 2))
			return; /* its own packet came (late), or the copy is all there is */
		if (!s && jb->count == 0)
			return; /* still waiting */
		if (s) {
			s->full = false;
			jb->count--;
			jb->last_ts = s->ts;
		} else {
			jb->last_ts = ts_for(jb, jb->next);
		}
		jb->next++;
		jb->played_bits <<= 1;
		jb->idle--;
		jb->st.lost++;
		jb->st.covered++;
		saw_loss(jb, now);
	}
}

enum pl_ajb_action pl_ajb_pop(struct pl_ajb *jb, uint64_t now, struct pl_ajb_out *out)
{
	memset(out, 0, sizeof *out);
	bool fixed = jb->c.fixed_us != 0;
	int64_t target = jb->st.target_us;
	if (!fixed)
		set_target(jb, now), target = jb->st.target_us;

	if (!jb->started) {
		if (jb->count == 0)
			return PL_AJB_NONE;
		struct slot *s = at(jb, jb->lowest);
		if (!s) /* cannot happen: lowest is queued */
			return PL_AJB_NONE;
		bool enough = (uint64_t)jb->count * jb->c.frame_us >= (uint64_t)target + jb->c.frame_us;
		if (delay_of(jb, s->ts, now) < target && !enough)
			return PL_AJB_NONE;
		jb->started = true;
		jb->next = jb->lowest;
		jb->idle = 0;
	}

	if (!fixed)
		cover_concealed(jb, now);

	for (unsigned skips = 0;; skips++) {
		struct slot *s = at(jb, jb->next);
		if (!s)
			break;
		int64_t d = delay_of(jb, s->ts, now);
		if (s->flags & PL_AJB_END) {
			take(jb, s);
			stop(jb);
			return PL_AJB_NONE;
		}
		if (fixed)
			return play(jb, s, d, PL_AJB_FRAME, out, now);
		bool silent = s->flags & PL_AJB_SILENT;
		int64_t band = (int64_t)jb->hi_us + jb->play_us;
		if (d > target + band) {
			if (silent && skips < MAX_SKIPS_PER_POP && at(jb, (uint16_t)(jb->next + 1))) {
				take(jb, s);
				jb->st.skipped_silent++;
				continue;
			}
			if (!silent)
				return play(jb, s, d, PL_AJB_SHRINK, out, now);
		} else if (d < target) {
			if (silent) {
				jb->st.paused++;
				jb->idle = 0;
				return PL_AJB_PAUSE;
			}
			/* Speech is stretched only below the same band the buffer shrinks above: a clean
			 * stream, whose target moves by a millisecond or two, is never time-scaled. With
			 * loss it is held at the target, so that the lookahead is really there. */
			int64_t below = jb->c.lookahead && lossy(jb, now) ? 0 : band;
			if (d + below < target)
				return play(jb, s, d, PL_AJB_STRETCH, out, now);
		}
		return play(jb, s, d, PL_AJB_FRAME, out, now);
	}

	/* The frame of this period is missing. */
	uint16_t seq = jb->next;
	out->seq = seq;
	if (jb->count == 0) {
		if (++jb->idle >= PL_AJB_IDLE_STOP) {
			if (fixed) /* the periods before this one were the spurt's end, not losses */
				jb->st.lost -= PL_AJB_IDLE_STOP - 1;
			stop(jb);
			return PL_AJB_NONE;
		}
		if (fixed) {
			jb->st.lost++;
			jb->played_bits <<= 1;
			jb->next++;
			jb->last_ts += jb->frame_ts;
			return PL_AJB_LOST;
		}
		jb->st.expanded++;
		return PL_AJB_EXPAND;
	}
	uint32_t ts = ts_for(jb, seq);
	if (!fixed && delay_of(jb, ts, now) < target) {
		jb->st.expanded++;
		return PL_AJB_EXPAND; /* reordered, perhaps: its time has not come */
	}
	jb->idle = 0;
	jb->st.lost++;
	jb->played_bits <<= 1;
	jb->next++;
	jb->last_ts = ts;
	saw_loss(jb, now);
	struct slot *n = at(jb, jb->next);
	if (n && n->len && !(n->flags & PL_AJB_END)) {
		out->next = n->data;
		out->next_len = n->len;
	}
	return PL_AJB_LOST;
}

void pl_ajb_set_playout_jitter(struct pl_ajb *jb, uint32_t us)
{
	jb->play_us = us;
}

bool pl_ajb_playing(const struct pl_ajb *jb)
{
	return jb->started;
}

unsigned pl_ajb_depth(const struct pl_ajb *jb)
{
	return jb->count;
}

void pl_ajb_stats(const struct pl_ajb *jb, struct pl_ajb_stats *st)
{
	*st = jb->st;
	st->expected = jb->have_seq ? (uint64_t)(jb->high_ext_seq - jb->first_ext_seq + 1) : 0;
}
