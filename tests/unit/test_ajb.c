/*
 * Unit tests for core/ajb, the adaptive jitter buffer, on a fake clock.
 *
 * Scripted cases check single decisions (reordering, duplicates, copies, END, wraparound). The
 * simulations play whole streams: a sender makes a 20 ms frame every 20 ms, the network delays
 * each by a base delay plus jitter (seeded), loses, duplicates or reorders some, and a fake sound
 * card takes 5 ms of samples every 5 ms from a FIFO that pops the buffer whenever it runs dry
 * (SHRINK gives a frame 5 ms short, STRETCH 5 ms long, as the time-scaler does at most). The
 * checks: the target rises under jitter and falls after it; no frame that arrived in time is
 * dropped while speech plays (only late frames are missing, and only frames the sender marked
 * silent are skipped); frames come out in order, each once; a clean stream is never time-scaled;
 * loss on a jitter-free path, with redundant copies (RED) riding in later packets, singly or in
 * bursts, neither raises the target past one frame of lookahead nor makes the buffer time-scale
 * (a loss is not lateness); a single network stall raises the target only while its late frames
 * are in the window, and stalls that recur hold it at their height;
 * and a sound card that pulls 40 ms at once, once the buffer is told so, plays a clean stream
 * without running dry (untold, it conceals and shrinks all along).
 */
#include "core/ajb.h"

#include <errno.h>
#include <stdlib.h>

#include "test.h"

#define FRAME_US 20000
#define CHUNK_US 5000
#define FRAME_TS 960

static size_t frame_of(uint16_t seq, uint8_t *out)
{
	size_t len = 3 + seq % 7;
	out[0] = (uint8_t)(seq >> 8);
	out[1] = (uint8_t)seq;
	for (size_t i = 2; i < len; i++)
		out[i] = (uint8_t)(seq * 3 + i);
	return len;
}

static bool is_frame(uint16_t seq, const uint8_t *d, size_t len)
{
	uint8_t want[16];
	size_t n = frame_of(seq, want);
	return d && len == n && memcmp(d, want, n) == 0;
}

static struct pl_ajb *make(uint32_t fixed_us)
{
	struct pl_ajb_config c;
	struct pl_ajb *jb = NULL;
	pl_ajb_config_default(&c, FRAME_US);
	c.fixed_us = fixed_us;
	CHECK_EQ(pl_ajb_alloc(&jb, &c), 0);
	return jb;
}

static int put(struct pl_ajb *jb, uint16_t seq, unsigned flags, uint64_t now)
{
	uint8_t f[16];
	size_t len = frame_of(seq, f);
	return pl_ajb_put(jb, seq, (uint32_t)seq * FRAME_TS, flags, f, flags & PL_AJB_END ? 0 : len, now);
}

/* --- scripted cases --- */

static void test_config(void)
{
	struct pl_ajb_config c;
	struct pl_ajb *jb = NULL;
	test_case("config");
	pl_ajb_config_default(&c, FRAME_US);
	c.frame_us = 1000;
	CHECK_EQ(pl_ajb_alloc(&jb, &c), -EINVAL);
	pl_ajb_config_default(&c, FRAME_US);
	c.percentile = 0;
	CHECK_EQ(pl_ajb_alloc(&jb, &c), -EINVAL);
	pl_ajb_config_default(&c, FRAME_US);
	c.max_us = FRAME_US * PL_AJB_SLOTS;
	CHECK_EQ(pl_ajb_alloc(&jb, &c), -EINVAL);
	pl_ajb_config_default(&c, FRAME_US);
	CHECK_EQ(pl_ajb_alloc(&jb, &c), 0);
	uint8_t big[PL_AJB_FRAME_MAX + 1] = {0};
	CHECK_EQ(pl_ajb_put(jb, 1, 0, 0, big, sizeof big, 0), -EINVAL);
	CHECK_EQ(pl_ajb_put(jb, 1, 0, 0, big, 0, 0), -EINVAL);
	CHECK_EQ(pl_ajb_put(jb, 1, 0, 0, big, PL_AJB_FRAME_MAX, 0), 0);
	pl_ajb_free(jb);
}

/* A clean stream starts at once: the first frame plays as soon as it is due. */
static void test_starts_low(void)
{
	struct pl_ajb *jb = make(0);
	struct pl_ajb_out o;
	test_case("starts low");
	CHECK_EQ(pl_ajb_pop(jb, 0, &o), PL_AJB_NONE);
	CHECK_EQ(put(jb, 100, 0, 1000), 0);
	CHECK_EQ(pl_ajb_pop(jb, 1000, &o), PL_AJB_NONE); /* due at the margin (2 ms) */
	enum pl_ajb_action a = pl_ajb_pop(jb, 3500, &o);
	CHECK(a == PL_AJB_FRAME || a == PL_AJB_STRETCH);
	CHECK(is_frame(100, o.data, o.len));
	struct pl_ajb_stats st;
	pl_ajb_stats(jb, &st);
	CHECK(st.target_us < FRAME_US);
	pl_ajb_free(jb);
}

static void test_reorder_dup(void)
{
	struct pl_ajb *jb = make(0);
	struct pl_ajb_out o;
	test_case("reorder and duplicates");
	/* 0, 2, 1 arrive together: played 0, 1, 2. */
	CHECK_EQ(put(jb, 0, 0, 0), 0);
	CHECK_EQ(put(jb, 2, 0, 0), 0);
	CHECK_EQ(put(jb, 1, 0, 0), 0);
	CHECK_EQ(put(jb, 1, 0, 0), -EALREADY);
	uint64_t t = 50000;
	for (uint16_t want = 0; want < 3; want++, t += FRAME_US) {
		enum pl_ajb_action a = pl_ajb_pop(jb, t, &o);
		CHECK(a == PL_AJB_FRAME || a == PL_AJB_SHRINK || a == PL_AJB_STRETCH);
		CHECK(is_frame(want, o.data, o.len));
	}
	CHECK_EQ(put(jb, 2, 0, t), -EALREADY); /* played: a duplicate, however late */
	struct pl_ajb_stats st;
	pl_ajb_stats(jb, &st);
	CHECK_EQ(st.dup, 2);
	CHECK_EQ(st.late, 0);
	CHECK_EQ(st.received, 3);
	CHECK_EQ(st.played, 3);
	pl_ajb_free(jb);
}

/* A missing frame with the next one queued is LOST once its time is up, and offers the next
 * for FEC; an empty buffer is EXPAND and the frame that then comes is played, not dropped. */
static void test_lost_and_expand(void)
{
	struct pl_ajb *jb = make(0);
	struct pl_ajb_out o;
	test_case("lost and expand");
	uint64_t t = 0;
	for (uint16_t s = 0; s < 3; s++, t += FRAME_US) {
		put(jb, s, 0, t);
		pl_ajb_pop(jb, t + 3000, &o);
	}
	/* 3 is lost; 4 arrives on time. */
	put(jb, 4, 0, t + FRAME_US);
	CHECK_EQ(pl_ajb_pop(jb, t + FRAME_US + 3000, &o), PL_AJB_LOST);
	CHECK_EQ(o.seq, 3);
	CHECK(is_frame(4, o.next, o.next_len));
	CHECK(pl_ajb_pop(jb, t + 2 * FRAME_US + 3000, &o) != PL_AJB_LOST);
	CHECK(is_frame(4, o.data, o.len));
	/* Nothing queued now: EXPAND, and 5 arriving late is still played. */
	t += 3 * FRAME_US;
	CHECK_EQ(pl_ajb_pop(jb, t + 3000, &o), PL_AJB_EXPAND);
	CHECK_EQ(put(jb, 5, 0, t + 10000), 0);
	enum pl_ajb_action a = pl_ajb_pop(jb, t + FRAME_US + 3000, &o);
	CHECK(a == PL_AJB_FRAME || a == PL_AJB_SHRINK || a == PL_AJB_STRETCH);
	CHECK(is_frame(5, o.data, o.len));
	struct pl_ajb_stats st;
	pl_ajb_stats(jb, &st);
	CHECK_EQ(st.lost, 1);
	CHECK_EQ(st.expanded, 1);
	CHECK_EQ(st.late, 0);
	CHECK_EQ(st.expected, 6);
	CHECK_EQ(st.received, 5);
	/* A gap was seen: the target keeps a frame of lookahead for FEC. */
	CHECK(st.target_us >= FRAME_US);
	pl_ajb_free(jb);
}

/* A redundant copy fills a hole; the frame's own packet after it is no duplicate. */
static void test_copies(void)
{
	struct pl_ajb *jb = make(0);
	struct pl_ajb_out o;
	test_case("redundant copies");
	put(jb, 10, 0, 0);
	put(jb, 12, 0, 0);
	CHECK_EQ(put(jb, 11, PL_AJB_COPY, 0), 0);
	CHECK_EQ(put(jb, 11, PL_AJB_COPY, 0), -EALREADY);
	CHECK_EQ(put(jb, 10, PL_AJB_COPY, 0), -EALREADY);
	uint64_t t = 40000;
	pl_ajb_pop(jb, t, &o);
	CHECK(is_frame(10, o.data, o.len));
	pl_ajb_pop(jb, t + FRAME_US, &o);
	CHECK(is_frame(11, o.data, o.len));
	CHECK(o.flags & PL_AJB_COPY);
	CHECK_EQ(put(jb, 11, PL_AJB_COPY, t), -EALREADY);
	struct pl_ajb_stats st;
	pl_ajb_stats(jb, &st);
	CHECK_EQ(st.from_copy, 1);
	CHECK_EQ(st.received, 2);
	CHECK_EQ(st.dup, 0);
	CHECK_EQ(st.late, 0); /* copies are never late: they come after their frame by design */
	/* A copy then its own packet: received, not a duplicate. */
	CHECK_EQ(put(jb, 14, PL_AJB_COPY, t), 0);
	CHECK_EQ(put(jb, 14, 0, t), 0);
	pl_ajb_stats(jb, &st);
	CHECK_EQ(st.received, 3);
	CHECK_EQ(st.dup, 0);
	pl_ajb_free(jb);
}

/* END ends the spurt: no loss, no concealment, and the next spurt starts afresh. */
static void test_end(void)
{
	struct pl_ajb *jb = make(0);
	struct pl_ajb_out o;
	test_case("end of spurt");
	uint64_t t = 0;
	for (uint16_t s = 0; s < 4; s++, t += FRAME_US) {
		put(jb, s, s == 3 ? PL_AJB_END : 0, t);
		pl_ajb_pop(jb, t + 3000, &o);
	}
	CHECK(!pl_ajb_playing(jb));
	for (int i = 0; i < 20; i++, t += FRAME_US)
		CHECK_EQ(pl_ajb_pop(jb, t, &o), PL_AJB_NONE);
	/* The sender's clock ran on while it was silent (ts jumps, seq does not). */
	uint8_t f[16];
	size_t len = frame_of(4, f);
	CHECK_EQ(pl_ajb_put(jb, 4, (4 + 20) * FRAME_TS, 0, f, len, t), 0);
	enum pl_ajb_action a = pl_ajb_pop(jb, t + 3000, &o);
	CHECK(a == PL_AJB_FRAME || a == PL_AJB_STRETCH);
	CHECK(is_frame(4, o.data, o.len));
	struct pl_ajb_stats st;
	pl_ajb_stats(jb, &st);
	CHECK_EQ(st.lost, 0);
	CHECK_EQ(st.expanded, 0);
	pl_ajb_free(jb);
}

/* Sequence numbers and timestamps wrap. */
static void test_wrap(void)
{
	struct pl_ajb *jb = make(0);
	struct pl_ajb_out o;
	test_case("wraparound");
	uint64_t t = 0;
	uint16_t seq = 65530;
	uint32_t ts = 0xffffffffu - 3 * FRAME_TS;
	unsigned played = 0;
	for (int i = 0; i < 12; i++, seq++, ts += FRAME_TS, t += FRAME_US) {
		uint8_t f[16];
		size_t len = frame_of(seq, f);
		CHECK_EQ(pl_ajb_put(jb, seq, ts, 0, f, len, t), 0);
		enum pl_ajb_action a = pl_ajb_pop(jb, t + 3000, &o);
		if (a == PL_AJB_FRAME || a == PL_AJB_STRETCH || a == PL_AJB_SHRINK)
			played += is_frame(seq, o.data, o.len);
	}
	CHECK_EQ(played, 12);
	struct pl_ajb_stats st;
	pl_ajb_stats(jb, &st);
	CHECK_EQ(st.lost + st.expanded + st.late, 0);
	CHECK(st.target_us < FRAME_US);
	pl_ajb_free(jb);
}

/* --- simulations --- */

struct sim {
	const char *name;
	unsigned seed, frames;
	uint16_t first_seq;
	uint32_t fixed_us;
	/* jitter: frames [j0, j1) get 0..jit_us extra delay, uniform */
	unsigned j0, j1;
	uint32_t jit_us;
	unsigned loss_pct, dup_pct;
	/* frames [s0, s1) are marked silent by the sender */
	unsigned s0, s1;
	/* the sound card takes pull_us of samples at once, every pull_us (0: CHUNK_US), as a sound
	 * server that pulls in bursts does; tell: the buffer is told of it (pl_ajb_set_playout_jitter) */
	uint32_t pull_us;
	bool tell;
	/* each packet also carries copies of the red frames before it (RED), put after it */
	unsigned red;
	/* loss in bursts: a loss starts a burst of burst frames (loss_pct is then the chance a
	 * burst starts) */
	unsigned burst;
	/* network stalls: from frame st0's time, every st_every frames (0: once), st_n of them, the
	 * path holds every packet for stall_us and then lets them all through */
	unsigned st0, st_every, st_n;
	uint32_t stall_us;
	unsigned probe; /* the target is also read at this frame's time (0: not) */
};

struct arrival {
	uint64_t at;
	unsigned idx;
};

static int by_time(const void *a, const void *b)
{
	const struct arrival *x = a, *y = b;
	return x->at < y->at ? -1 : x->at > y->at ? 1 : (int)x->idx - (int)y->idx;
}

static uint32_t rnd(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

struct sim_result {
	uint32_t target_before, target_peak, target_after, target_probe;
	unsigned late_dup, late_after_adapt, missing_in_time, skipped_speech, out_of_order, twice;
	unsigned copies_used; /* copies of lost frames taken in (not necessarily played in time) */
	struct pl_ajb_stats st;
};

static void run_sim(const struct sim *s, struct sim_result *r)
{
	memset(r, 0, sizeof *r);
	struct pl_ajb *jb = make(s->fixed_us);
	unsigned n = s->frames;
	struct arrival *arr = calloc(2 * n, sizeof *arr);
	uint8_t *dropped = calloc(n, 1), *played = calloc(n, 1), *late = calloc(n, 1);
	uint8_t *skipped = calloc(n, 1);
	if (!jb || !arr || !dropped || !played || !late || !skipped)
		goto out;
	uint32_t seed = s->seed;
	unsigned na = 0;
	const uint64_t base = 5000; /* one-way delay */
	unsigned in_burst = 0;
	for (unsigned k = 0; k < n; k++) {
		if (in_burst || rnd(&seed) % 100 < s->loss_pct) {
			in_burst = in_burst ? in_burst - 1 : (s->burst ? s->burst - 1 : 0);
			dropped[k] = 1;
			continue;
		}
		uint64_t j = k >= s->j0 && k < s->j1 ? rnd(&seed) % (s->jit_us + 1) : rnd(&seed) % 300;
		uint64_t at = (uint64_t)k * FRAME_US + base + j;
		for (unsigned i = 0; i < s->st_n; i++) {
			uint64_t from = (uint64_t)(s->st0 + i * s->st_every) * FRAME_US;
			if (at >= from && at < from + s->stall_us)
				at = from + s->stall_us;
		}
		arr[na++] = (struct arrival){at, k};
		if (rnd(&seed) % 100 < s->dup_pct)
			arr[na++] = (struct arrival){at + rnd(&seed) % 30000, k};
	}
	qsort(arr, na, sizeof *arr, by_time);

	long fifo = 0, last = -1;
	unsigned a = 0;
	uint64_t end = (uint64_t)n * FRAME_US + 2000000;
	const long step = s->pull_us ? (long)s->pull_us : CHUNK_US;
	if (s->tell)
		pl_ajb_set_playout_jitter(jb, (uint32_t)step);
	for (uint64_t t = 1234; t < end; t += (uint64_t)step) {
		for (; a < na && arr[a].at <= t; a++) {
			unsigned k = arr[a].idx;
			unsigned fl = k >= s->s0 && k < s->s1 ? PL_AJB_SILENT : 0;
			uint16_t seq = (uint16_t)(s->first_seq + k);
			uint8_t f[16];
			size_t len = frame_of(seq, f);
			int rc = pl_ajb_put(jb, seq, k * FRAME_TS + 777, fl, f, len, arr[a].at);
			if (rc == -ETIME && !played[k])
				late[k] = 1;
			if (rc == -ETIME && played[k])
				r->late_dup++; /* a copy of a played frame must be a duplicate */
			for (unsigned c = 1; c <= s->red && c <= k; c++) {
				unsigned kc = k - c;
				uint16_t sc = (uint16_t)(s->first_seq + kc);
				len = frame_of(sc, f);
				unsigned flc = PL_AJB_COPY | (kc >= s->s0 && kc < s->s1 ? PL_AJB_SILENT : 0);
				if (pl_ajb_put(jb, sc, kc * FRAME_TS + 777, flc, f, len, arr[a].at) == 0 && dropped[kc])
					r->copies_used++;
			}
		}
		while (fifo < step) {
			struct pl_ajb_out o;
			enum pl_ajb_action act = pl_ajb_pop(jb, t, &o);
			long got = FRAME_US;
			if (act == PL_AJB_FRAME || act == PL_AJB_SHRINK || act == PL_AJB_STRETCH) {
				unsigned k = (uint16_t)(o.seq - s->first_seq);
				if (!is_frame(o.seq, o.data, o.len) || k >= n)
					r->out_of_order++;
				else {
					if ((long)k <= last)
						r->out_of_order++;
					/* Everything skipped since the last frame must turn out lost, late or
					 * silent (judged at the end: a frame given up as lost that then
					 * arrives is late, as put says). */
					for (long q = last + 1; q < (long)k; q++)
						skipped[q] = 1;
					r->twice += played[k]++;
					last = k;
				}
				got = act == PL_AJB_SHRINK ? FRAME_US - 5000 : act == PL_AJB_STRETCH ? FRAME_US + 5000 : FRAME_US;
			} else if (act == PL_AJB_LOST) {
				last = (uint16_t)(o.seq - s->first_seq);
			} else if (act == PL_AJB_NONE) {
				got = step;
			}
			fifo += got;
		}
		fifo -= step;
		/* Targets at three moments: before the jitter, at its height, long after. */
		struct pl_ajb_stats st;
		pl_ajb_stats(jb, &st);
		uint64_t tj0 = (uint64_t)s->j0 * FRAME_US, tj1 = (uint64_t)s->j1 * FRAME_US;
		if (t < tj0)
			r->target_before = st.target_us;
		if (t >= tj0 && t < tj1 && st.target_us > r->target_peak)
			r->target_peak = st.target_us;
		if (t >= tj1)
			r->target_after = st.target_us;
		if (s->probe && t < (uint64_t)s->probe * FRAME_US)
			r->target_probe = st.target_us;
	}
	for (unsigned k = 0; k < n; k++) {
		if (late[k] && k >= s->j0 + 100 && k < s->j1)
			r->late_after_adapt++;
		if (!dropped[k] && !late[k] && !played[k] && !(k >= s->s0 && k < s->s1))
			r->missing_in_time++;
		if (skipped[k] && !dropped[k] && !late[k] && !(k >= s->s0 && k < s->s1))
			r->skipped_speech++;
	}
	pl_ajb_stats(jb, &r->st);
out:
	pl_ajb_free(jb);
	free(arr);
	free(dropped);
	free(played);
	free(late);
	free(skipped);
}

static void report(const struct sim *s, const struct sim_result *r)
{
	fprintf(stderr,
		"%-28s target before %5.1f peak %5.1f after %5.1f ms; mean delay %5.1f ms; played %llu "
		"lost %llu (covered %llu) expanded %llu late %llu shrunk %llu stretched %llu skipped %llu "
		"from copies %llu\n",
		s->name, r->target_before / 1000.0, r->target_peak / 1000.0, r->target_after / 1000.0,
		r->st.delay_n ? (double)r->st.delay_sum_us / r->st.delay_n / 1000.0 : 0.0,
		(unsigned long long)r->st.played, (unsigned long long)r->st.lost, (unsigned long long)r->st.covered,
		(unsigned long long)r->st.expanded, (unsigned long long)r->st.late,
		(unsigned long long)r->st.shrunk, (unsigned long long)r->st.stretched,
		(unsigned long long)r->st.skipped_silent, (unsigned long long)r->st.from_copy);
}

static void test_sims(void)
{
	static const struct sim clean = {"clean", 1, 3000, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, 0, 0, 0, 0, 0, 0, 0};
	static const struct sim jitter = {"40 ms jitter, then clean", 2, 4000, 65000, 0, 500, 2000, 40000, 0, 0, 0, 0, 0, false, 0, 0, 0, 0, 0, 0, 0};
	static const struct sim silent = {"jitter, silence to shrink in", 3, 4000, 7, 0, 500, 2000, 40000, 0, 0,
					  2000, 2400, 0, false, 0, 0, 0, 0, 0, 0, 0};
	static const struct sim loss = {"10% loss, duplicates", 4, 3000, 30000, 0, 0, 3000, 3000, 10, 5, 0, 0, 0, false, 0, 0, 0, 0, 0, 0, 0};
	static const struct sim fixed = {"fixed 60 ms", 5, 3000, 0, 60000, 0, 3000, 10000, 5, 0, 0, 0, 0, false, 0, 0, 0, 0, 0, 0, 0};
	static const struct sim bursty = {"device pulls 40 ms, told", 6, 3000, 9, 0, 0, 0, 0, 0, 0, 0, 0, 40000, true, 0, 0, 0, 0, 0, 0, 0};
	static const struct sim untold = {"device pulls 40 ms, untold", 6, 3000, 9, 0, 0, 0, 0, 0, 0, 0, 0, 40000, false, 0, 0, 0, 0, 0, 0, 0};
	struct sim_result r;

	run_sim(&clean, &r);
	report(&clean, &r);
	test_case("sim clean");
	CHECK(r.target_after <= 5000);
	CHECK(r.st.delay_sum_us / (r.st.delay_n ? r.st.delay_n : 1) < 15000);
	CHECK_EQ(r.st.played, 3000);
	CHECK_EQ(r.st.lost + r.st.late, 0);
	CHECK(r.st.expanded < PL_AJB_IDLE_STOP); /* only after the stream's last frame */
	CHECK_EQ(r.out_of_order + r.twice + r.skipped_speech + r.missing_in_time, 0);
	CHECK_EQ(r.st.shrunk + r.st.stretched + r.st.skipped_silent, 0); /* a clean stream plays as sent */

	run_sim(&jitter, &r);
	report(&jitter, &r);
	test_case("sim jitter");
	CHECK(r.target_before <= 5000);
	CHECK(r.target_peak >= 35000);     /* follows the 97th percentile of 0-40 ms */
	CHECK(r.target_after <= 5000);     /* and falls when the jitter ends */
	CHECK_EQ(r.late_after_adapt, 0);   /* once adapted, nothing comes too late */
	CHECK_EQ(r.skipped_speech, 0);     /* speech is never thrown away to shrink */
	CHECK_EQ(r.missing_in_time, 0);
	CHECK_EQ(r.out_of_order + r.twice, 0);
	CHECK(r.st.shrunk > 0);            /* it shrank by compressing speech */
	CHECK_EQ(r.st.skipped_silent, 0);

	run_sim(&silent, &r);
	report(&silent, &r);
	test_case("sim silence");
	CHECK(r.target_after <= 5000);
	CHECK(r.st.skipped_silent > 0);    /* shrank by skipping silence... */
	CHECK_EQ(r.skipped_speech, 0);     /* ...and never speech */
	CHECK_EQ(r.missing_in_time, 0);
	CHECK_EQ(r.out_of_order + r.twice, 0);

	run_sim(&loss, &r);
	report(&loss, &r);
	test_case("sim loss");
	CHECK_EQ(r.out_of_order + r.twice + r.skipped_speech + r.missing_in_time, 0);
	CHECK(r.st.dup > 0);
	CHECK_EQ(r.late_dup, 0);
	CHECK(r.target_after >= FRAME_US); /* lookahead for FEC while there is loss */
	CHECK(r.st.lost >= 250 && r.st.lost <= 350);
	CHECK(r.st.expanded <= r.st.lost / 5); /* only where a loss left nothing queued behind it */

	/* Loss with no jitter at all, each packet carrying a copy of the frame before (RED) or two:
	 * losses must not read as lateness. The target keeps one frame of lookahead and no more, the
	 * buffer does not time-scale (a stretch or two where the lookahead first builds up), and the
	 * copies come in time to be played. */
	static const struct sim red10 = {"10% loss, RED, no jitter", 7, 3000, 500, 0, 0, 3000, 0, 10, 0, 0, 0, 0,
					 false, 1, 0, 0, 0, 0, 0, 0};
	static const struct sim burst = {"bursts of 3, 2 copies", 8, 3000, 900, 0, 0, 3000, 0, 4, 0, 0, 0, 0,
					 false, 2, 3, 0, 0, 0, 0, 0};
	run_sim(&red10, &r);
	report(&red10, &r);
	test_case("sim loss with RED, no jitter");
	CHECK_EQ(r.out_of_order + r.twice + r.skipped_speech + r.missing_in_time, 0);
	CHECK(r.target_peak <= FRAME_US + 10000);
	CHECK(r.target_after <= FRAME_US + 10000);
	CHECK(r.st.shrunk + r.st.stretched <= 10); /* 114 before losses stopped reading as lateness */
	CHECK(r.st.from_copy >= r.copies_used * 9 / 10);
	CHECK(r.st.lost < r.copies_used / 5); /* nearly every loss came back from a copy in time */
	run_sim(&burst, &r);
	report(&burst, &r);
	test_case("sim bursty loss with RED, no jitter");
	CHECK_EQ(r.out_of_order + r.twice + r.skipped_speech + r.missing_in_time, 0);
	CHECK(r.target_peak <= FRAME_US + 10000);
	CHECK(r.st.shrunk + r.st.stretched <= 20); /* 741 before */
	CHECK(r.st.covered > 0); /* the bursts' first frames, concealed before a copy could come */

	run_sim(&fixed, &r);
	report(&fixed, &r);
	test_case("sim fixed");
	CHECK_EQ(r.target_peak, 60000);
	CHECK_EQ(r.target_after, 60000);
	CHECK_EQ(r.st.shrunk + r.st.stretched + r.st.skipped_silent + r.st.expanded, 0);
	CHECK_EQ(r.out_of_order + r.twice + r.skipped_speech + r.missing_in_time, 0);
	CHECK_EQ(r.st.played + r.st.lost, 3000);

	/* A single stall of 50 ms on a clean path: it is concealed, the late frames raise the target
	 * while the window holds them, and then the target comes back down (it used to stay a frame
	 * or two high for the next ten seconds). Stalls every 3 s: from the second the target holds
	 * the stall's height, so the later ones are not concealed. */
	static const struct sim once = {"one 50 ms stall", 9, 3000, 300, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, 0, 0,
					1000, 0, 1, 50000, 1000 + 200};
	static const struct sim often = {"a 50 ms stall every 3 s", 10, 3000, 300, 0, 0, 0, 0, 0, 0, 0, 0, 0, false,
					 0, 0, 500, 150, 12, 50000, 500 + 5 * 150 - 5};
	run_sim(&once, &r);
	report(&once, &r);
	fprintf(stderr, "  target 4 s after the stall %.1f ms\n", r.target_probe / 1000.0);
	test_case("sim one stall");
	CHECK_EQ(r.out_of_order + r.twice + r.skipped_speech + r.missing_in_time, 0);
	CHECK(r.st.expanded >= 2);          /* the stall was concealed */
	CHECK(r.target_probe <= 5000);      /* and the target came back down */
	unsigned once_expanded = (unsigned)r.st.expanded;
	run_sim(&often, &r);
	report(&often, &r);
	fprintf(stderr, "  target just before the 6th stall %.1f ms\n", r.target_probe / 1000.0);
	test_case("sim stalls every 3 s");
	CHECK_EQ(r.out_of_order + r.twice + r.skipped_speech + r.missing_in_time, 0);
	CHECK(r.target_probe >= 40000);     /* held at the stalls' height between them */
	CHECK(r.st.expanded < 4 * once_expanded); /* twelve stalls, not twelve times concealed */

	/* A sound server that takes 40 ms at once asks for frames up to 40 ms before their time: the
	 * buffer must hold that on top of the network's jitter, or it runs dry between arrivals. */
	run_sim(&untold, &r);
	report(&untold, &r);
	unsigned untold_expanded = (unsigned)r.st.expanded;
	run_sim(&bursty, &r);
	report(&bursty, &r);
	test_case("sim bursty playout");
	CHECK_EQ(r.st.played, 3000);
	CHECK_EQ(r.st.lost + r.st.late, 0);
	CHECK(r.st.expanded < PL_AJB_IDLE_STOP); /* only after the stream's last frame */
	CHECK_EQ(r.st.shrunk + r.st.stretched + r.st.skipped_silent, 0); /* the pulls' unevenness is no delay */
	CHECK_EQ(r.out_of_order + r.twice + r.skipped_speech + r.missing_in_time, 0);
	CHECK(r.target_after >= 40000);
	CHECK(untold_expanded > r.st.expanded); /* untold, it conceals */
}

int main(void)
{
	test_config();
	test_starts_low();
	test_reorder_dup();
	test_lost_and_expand();
	test_copies();
	test_end();
	test_wrap();
	test_sims();
	return test_done();
}
