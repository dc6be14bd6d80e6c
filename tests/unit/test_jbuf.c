/*
 * Unit tests for core/jbuf. The buffer reads no clock: a scenario is a list of puts and pops, one
 * pop per frame period, and the table says what each must return. Every frame's bytes carry its
 * sequence number, so a pop is checked for *which* frame came out, not only that one did.
 * A randomised simulation (jitter, loss, duplicates, wraparound) checks the invariants at scale.
 */
#include "core/jbuf.h"

#include <errno.h>
#include <stdlib.h>

#include "core/vpkt.h"
#include "test.h"

_Static_assert(PL_JBUF_IDLE_STOP == 5, "the idle scenarios below spell out 5 empty periods");

/* The frame for seq: its length varies with seq, its first two bytes are seq. */
static size_t frame_of(uint16_t seq, uint8_t *out)
{
	size_t len = 2 + seq % 11;
	out[0] = (uint8_t)(seq >> 8);
	out[1] = (uint8_t)seq;
	for (size_t i = 2; i < len; i++)
		out[i] = (uint8_t)(seq * 7 + i);
	return len;
}

static bool is_frame(uint16_t seq, const uint8_t *data, size_t len)
{
	uint8_t want[16];
	size_t n = frame_of(seq, want);
	return data && len == n && memcmp(data, want, n) == 0;
}

enum op_kind { OP_END, OP_PUT, OP_POP, OP_DEPTH, OP_RESYNCS };

struct op {
	enum op_kind kind;
	int a; /* PUT: seq. POP: status. DEPTH/RESYNCS: the value. */
	int b; /* PUT: wanted return. POP: seq of the frame (FRAME) or FEC frame (LOST), -1: none */
};

#define P(s) {OP_PUT, s, 0}
#define PE(s, e) {OP_PUT, s, e}
#define F(s) {OP_POP, PL_JBUF_FRAME, s}
#define L(s) {OP_POP, PL_JBUF_LOST, s}
#define LN {OP_POP, PL_JBUF_LOST, -1}
#define S {OP_POP, PL_JBUF_SILENT, -1}
#define D(n) {OP_DEPTH, n, 0}
#define R(n) {OP_RESYNCS, n, 0}
#define END {OP_END, 0, 0}

struct scenario {
	const char *name;
	unsigned target;
	struct op ops[40];
};

static const struct scenario scenarios[] = {
	{"in order, playout after target frames", 3,
	 {P(100), S, P(101), S, P(102), F(100), P(103), F(101), P(104), F(102), F(103), F(104),
	  D(0), END}},
	{"target 1 plays at once", 1, {S, P(7), F(7), P(8), F(8), END}},
	{"cushion counts queued frames, not puts", 3,
	 {P(5), PE(5, -EALREADY), PE(5, -EALREADY), S, P(6), S, P(7), F(5), END}},
	{"reordered before start", 3, {P(12), P(10), S, P(11), F(10), F(11), F(12), END}},
	{"reordered after start", 2,
	 {P(0), P(1), F(0), P(3), P(2), F(1), F(2), F(3), END}},
	{"reordered across the window", 2,
	 {P(0), P(1), F(0), P(60), P(30), P(2), D(4), F(1), F(2), LN, D(2), END}},
	/* 97 makes the queue span 67 > PL_JBUF_SLOTS, so 163 shares the slot of 99: the loss of
	 * 98 must not offer it as 99's frame. */
	{"FEC only offers the very next seq", 3,
	 {P(100), P(163), P(97), F(97), LN, L(100), F(100), END}},
	{"a loss offers the next frame for FEC", 2,
	 {P(0), P(1), F(0), P(3), F(1), L(3), F(3), END}},
	{"a loss without the next frame", 2,
	 {P(0), P(1), F(0), P(4), F(1), LN, L(4), F(4), END}},
	{"two losses in a row", 2,
	 {P(0), P(1), F(0), P(2), P(5), F(1), F(2), LN, L(5), F(5), END}},
	{"duplicates", 2,
	 {P(5), PE(5, -EALREADY), P(6), F(5), PE(6, -EALREADY), D(1), F(6), END}},
	{"late frames", 2,
	 {P(5), P(6), F(5), PE(5, -ETIME), PE(4, -ETIME), PE(65535, -ETIME), F(6), P(8), L(8),
	  PE(7, -ETIME), F(8), PE(64545, -ETIME) /* 1000 behind */, END}},
	{"wraparound 65535 -> 0", 2,
	 {P(65534), P(65535), F(65534), P(0), F(65535), P(1), F(0), F(1), D(0), END}},
	{"wraparound, reordered before start", 3,
	 {P(0), P(65535), P(65534), F(65534), F(65535), F(0), P(2), L(2), F(2), END}},
	{"loss across the wrap", 2,
	 {P(65534), P(65535), F(65534), P(1), F(65535), L(1), F(1), PE(0, -ETIME), END}},
	{"late across the wrap", 2,
	 {P(0), P(1), F(0), PE(65535, -ETIME), PE(65500, -ETIME), F(1), END}},
	{"stops after IDLE_STOP empty periods, restarts with a fresh cushion", 2,
	 {P(0), P(1), F(0), F(1), LN, LN, LN, LN, S, S, S, D(0),
	  P(50), S, P(51), F(50), P(52), F(51), F(52), END}},
	{"a gap shorter than IDLE_STOP keeps playing", 2,
	 {P(0), P(1), F(0), F(1), LN, LN, LN, P(5), F(5), P(6), F(6), END}},
	{"a frame during the idle run is offered for FEC", 2,
	 {P(0), P(1), F(0), F(1), LN, LN, LN, P(6), L(6), F(6), END}},
	{"far-ahead frame resyncs after start", 2,
	 {P(10), P(11), F(10), R(0), P(75), R(1), D(1), S, P(76), F(75), F(76), END}},
	{"the last seq of the window does not resync", 2,
	 {P(10), P(11), F(10), P(74), R(0), D(2), F(11), LN, END}},
	{"far-ahead frame resyncs before start", 3,
	 {P(100), P(164), R(1), D(1), P(165), S, P(166), F(164), F(165), F(166), END}},
	{"far-behind frame resyncs before start", 2,
	 {P(1000), P(936), R(1), D(1), P(937), F(936), F(937), END}},
	{"behind but inside the window before start", 2,
	 {P(1000), P(937), R(0), D(2), F(937), LN, END}},
	{"far-ahead across the wrap", 2,
	 {P(65530), P(65531), F(65530), P(65531 + 64 - 65536), R(1), D(1), END}},
	{"half the sequence space away resyncs, not late", 2,
	 {P(0), P(1), F(0), P(32768), R(1), D(1), END}},
};

static void run_scenario(const struct scenario *sc)
{
	struct pl_jbuf *jb = NULL;
	test_case("%s: alloc", sc->name);
	if (!CHECK_EQ(pl_jbuf_alloc(&jb, sc->target), 0))
		return;
	for (int i = 0; sc->ops[i].kind != OP_END; i++) {
		const struct op *op = &sc->ops[i];
		test_case("%s: op %d", sc->name, i);
		switch (op->kind) {
		case OP_PUT: {
			uint8_t f[16];
			size_t len = frame_of((uint16_t)op->a, f);
			CHECK_EQ(pl_jbuf_put(jb, (uint16_t)op->a, f, len), op->b);
			break;
		}
		case OP_POP: {
			const uint8_t *data = (const uint8_t *)"junk";
			size_t len = 12345;
			enum pl_jbuf_status st = pl_jbuf_pop(jb, &data, &len);
			if (!CHECK_EQ(st, op->a))
				break;
			if (op->b >= 0) /* FRAME, or LOST with this frame offered for FEC */
				CHECK(is_frame((uint16_t)op->b, data, len));
			else /* SILENT, or LOST with nothing to offer */
				CHECK(data == NULL && len == 0);
			break;
		}
		case OP_DEPTH:
			CHECK_EQ(pl_jbuf_depth(jb), op->a);
			break;
		case OP_RESYNCS: {
			struct pl_jbuf_stats st;
			pl_jbuf_stats(jb, &st);
			CHECK_EQ(st.resyncs, op->a);
			break;
		}
		case OP_END:
			break;
		}
	}
	pl_jbuf_free(jb);
}

static void test_scenarios(void)
{
	for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
		run_scenario(&scenarios[i]);
}

static void test_stats(void)
{
	struct pl_jbuf *jb;
	uint8_t f[16];
	const uint8_t *data;
	size_t len;
	test_case("stats");
	if (!CHECK_EQ(pl_jbuf_alloc(&jb, 2), 0))
		return;
	static const uint16_t puts[] = {0, 1, 3, 3, 4};
	for (size_t i = 0; i < 5; i++)
		pl_jbuf_put(jb, puts[i], f, frame_of(puts[i], f));
	CHECK_EQ(pl_jbuf_pop(jb, &data, &len), PL_JBUF_FRAME); /* 0 */
	CHECK_EQ(pl_jbuf_pop(jb, &data, &len), PL_JBUF_FRAME); /* 1 */
	CHECK_EQ(pl_jbuf_pop(jb, &data, &len), PL_JBUF_LOST);  /* 2 */
	CHECK_EQ(pl_jbuf_put(jb, 2, f, frame_of(2, f)), -ETIME);
	CHECK_EQ(pl_jbuf_pop(jb, &data, &len), PL_JBUF_FRAME); /* 3 */
	CHECK_EQ(pl_jbuf_pop(jb, &data, &len), PL_JBUF_FRAME); /* 4 */
	struct pl_jbuf_stats st;
	pl_jbuf_stats(jb, &st);
	CHECK_EQ(st.played, 4);
	CHECK_EQ(st.lost, 1);
	CHECK_EQ(st.late, 1);
	CHECK_EQ(st.dup, 1);
	CHECK_EQ(st.resyncs, 0);
	pl_jbuf_free(jb);
}

/* Frames that would stretch the queue past the ring before playout starts restart it, counted,
 * rather than silently overwrite a queued frame. */
static void test_prestart_overflow(void)
{
	struct pl_jbuf *jb = NULL;
	uint8_t f[16];
	test_case("prestart overflow");
	if (!CHECK_EQ(pl_jbuf_alloc(&jb, 3), 0))
		return;
	CHECK_EQ(pl_jbuf_put(jb, 100, f, frame_of(100, f)), 0);
	CHECK_EQ(pl_jbuf_put(jb, 163, f, frame_of(163, f)), 0);
	CHECK_EQ(pl_jbuf_put(jb, 99, f, frame_of(99, f)), 0); /* 99 and 163 share a slot */
	struct pl_jbuf_stats st;
	pl_jbuf_stats(jb, &st);
	CHECK_EQ(st.resyncs, 1);
	CHECK_EQ(pl_jbuf_depth(jb), 1); /* only 99: the queue started over */
	pl_jbuf_free(jb);
}

/* A talk spurt that simply ends is not loss: five frames, then silence, count no loss. */
static void test_spurt_end_not_lost(void)
{
	struct pl_jbuf *jb = NULL;
	uint8_t f[16];
	const uint8_t *data;
	size_t len;
	test_case("spurt end");
	if (!CHECK_EQ(pl_jbuf_alloc(&jb, 2), 0))
		return;
	for (uint16_t q = 0; q < 5; q++)
		pl_jbuf_put(jb, q, f, frame_of(q, f));
	unsigned frames = 0, silent = 0;
	for (int i = 0; i < 5 + PL_JBUF_IDLE_STOP + 3; i++) {
		enum pl_jbuf_status r = pl_jbuf_pop(jb, &data, &len);
		frames += r == PL_JBUF_FRAME;
		silent += r == PL_JBUF_SILENT;
	}
	struct pl_jbuf_stats st;
	pl_jbuf_stats(jb, &st);
	CHECK_EQ(frames, 5);
	CHECK_EQ(silent, 4); /* the stop, then three idle periods */
	CHECK_EQ(st.lost, 0);
	pl_jbuf_free(jb);
}

static void test_put_sizes(void)
{
	struct pl_jbuf *jb;
	static uint8_t big[PL_JBUF_FRAME_MAX + 1];
	const uint8_t *data;
	size_t len;
	test_case("put sizes");
	if (!CHECK_EQ(pl_jbuf_alloc(&jb, 1), 0))
		return;
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)(i * 13);
	CHECK_EQ(pl_jbuf_put(jb, 1, big, 0), -EINVAL);
	CHECK_EQ(pl_jbuf_put(jb, 1, big, PL_JBUF_FRAME_MAX + 1), -EINVAL);
	CHECK_EQ(pl_jbuf_depth(jb), 0);
	CHECK_EQ(pl_jbuf_put(jb, 1, big, PL_JBUF_FRAME_MAX), 0);
	CHECK_EQ(pl_jbuf_pop(jb, &data, &len), PL_JBUF_FRAME);
	CHECK_EQ(len, PL_JBUF_FRAME_MAX);
	CHECK(data && memcmp(data, big, PL_JBUF_FRAME_MAX) == 0);
	CHECK_EQ(pl_jbuf_put(jb, 2, big, 1), 0);
	CHECK_EQ(pl_jbuf_pop(jb, &data, &len), PL_JBUF_FRAME);
	CHECK_EQ(len, 1);
	pl_jbuf_free(jb);
}

static void test_alloc(void)
{
	static const struct { unsigned target; int want; } cases[] = {
		{0, -EINVAL}, {1, 0}, {PL_JBUF_SLOTS / 2 - 1, 0}, {PL_JBUF_SLOTS / 2, -EINVAL},
		{PL_JBUF_SLOTS, -EINVAL}, {1000000, -EINVAL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct pl_jbuf *jb = NULL;
		test_case("alloc target %u", cases[i].target);
		int rc = pl_jbuf_alloc(&jb, cases[i].target);
		CHECK_EQ(rc, cases[i].want);
		if (rc == 0) {
			CHECK(jb != NULL);
			CHECK_EQ(pl_jbuf_depth(jb), 0);
			pl_jbuf_free(jb);
		}
	}
}

/* --- simulation --- */

struct arrival {
	uint32_t tick;
	uint32_t order; /* random tie-break among arrivals of one tick */
	uint32_t idx;   /* frame index from the start of the stream */
};

static int cmp_arrival(const void *a, const void *b)
{
	const struct arrival *x = a, *y = b;
	if (x->tick != y->tick)
		return x->tick < y->tick ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

struct sim {
	const char *name;
	uint64_t seed;
	uint16_t first_seq;
	uint32_t frames;
	unsigned target, jitter; /* jitter < target: every frame arrives before its period */
	unsigned loss_pct, dup_pct;
};

/*
 * Frame i is sent at tick i and arrives at i + U(0, jitter), perhaps twice, perhaps never (never
 * more than two lost in a row). Each tick delivers its arrivals, then pops once. With jitter
 * below the target cushion, every frame that arrives is played exactly once, in order; each
 * missing one costs exactly one LOST, whose FEC frame (if any) is the next one.
 */
static void run_sim(const struct sim *s)
{
	uint64_t seed = s->seed;
	size_t cap = (size_t)s->frames * 2;
	struct arrival *arr = calloc(cap, sizeof *arr);
	bool *dropped = calloc(s->frames, sizeof *dropped);
	unsigned *played = calloc(s->frames, sizeof *played);
	unsigned *puts = calloc(s->frames, sizeof *puts);
	size_t n = 0;
	unsigned run = 0;
	for (uint32_t i = 0; i < s->frames; i++) {
		bool drop = i > 0 && run < 2 && test_rand(&seed) % 100 < s->loss_pct;
		run = drop ? run + 1 : 0;
		dropped[i] = drop;
		if (drop)
			continue;
		unsigned copies = test_rand(&seed) % 100 < s->dup_pct ? 2 : 1;
		for (unsigned c = 0; c < copies; c++) {
			arr[n].tick = i + (uint32_t)(test_rand(&seed) % (s->jitter + 1));
			arr[n].order = (uint32_t)test_rand(&seed);
			arr[n].idx = i;
			n++;
		}
	}
	qsort(arr, n, sizeof *arr, cmp_arrival);

	struct pl_jbuf *jb;
	test_case("sim %s: alloc", s->name);
	if (!CHECK_EQ(pl_jbuf_alloc(&jb, s->target), 0))
		goto out;

	size_t a = 0;
	long last_played = -1;
	unsigned bad_put = 0, bad_order = 0, bad_lost = 0, bad_fec = 0, bad_silent = 0;
	unsigned lost_returns = 0, played_returns = 0, want_late = 0, want_dup = 0;
	/* Long enough for the cushion (reached late under heavy loss) to drain, and the idle run. */
	uint32_t end = s->frames + s->jitter + 4 * s->target + 2 * PL_JBUF_IDLE_STOP + 16;
	for (uint32_t tick = 0; tick < end; tick++) {
		for (; a < n && arr[a].tick == tick; a++) {
			uint16_t seq = (uint16_t)(s->first_seq + arr[a].idx);
			uint8_t f[16];
			int rc = pl_jbuf_put(jb, seq, f, frame_of(seq, f));
			/* A first copy is stored; a second one is a duplicate, or late once played. */
			int want = puts[arr[a].idx]++ == 0 ? 0 : played[arr[a].idx] ? -ETIME : -EALREADY;
			want_late += want == -ETIME;
			want_dup += want == -EALREADY;
			bool ok = rc == want;
			if (!ok && bad_put++ == 0) {
				test_case("sim %s: put idx %u at tick %u", s->name, arr[a].idx, tick);
				CHECK(ok);
			}
		}
		const uint8_t *data;
		size_t len;
		enum pl_jbuf_status st = pl_jbuf_pop(jb, &data, &len);
		if (st == PL_JBUF_FRAME) {
			played_returns++;
			uint16_t seq = (uint16_t)((data[0] << 8) | data[1]);
			uint32_t idx = (uint16_t)(seq - s->first_seq);
			bool ok = idx < s->frames && is_frame(seq, data, len) && (long)idx > last_played;
			if (ok) {
				/* Everything skipped since the last frame was lost, not delayed. */
				for (long k = last_played + 1; k < (long)idx && last_played >= 0; k++)
					ok &= dropped[k];
				played[idx]++;
				last_played = idx;
			}
			if (!ok && bad_order++ == 0) {
				test_case("sim %s: frame seq %u at tick %u", s->name, seq, tick);
				CHECK(ok);
			}
		} else if (st == PL_JBUF_LOST) {
			long idx = last_played + 1;
			if (idx < (long)s->frames) {
				lost_returns++;
				/* Only a dropped frame may be reported lost while the stream runs. */
				if (last_played < 0 || !dropped[idx]) {
					if (bad_lost++ == 0) {
						test_case("sim %s: LOST at tick %u (idx %ld)", s->name, tick, idx);
						CHECK(!"LOST for a frame that arrived in time");
					}
				}
				if (data && !(idx + 1 < (long)s->frames &&
					      is_frame((uint16_t)(s->first_seq + idx + 1), data, len))) {
					if (bad_fec++ == 0) {
						test_case("sim %s: FEC at tick %u", s->name, tick);
						CHECK(!"LOST offered a frame other than the next");
					}
				}
				last_played = idx; /* the period passed */
			}
		} else if (last_played >= 0 && last_played + 1 < (long)s->frames) {
			if (bad_silent++ == 0) {
				test_case("sim %s: SILENT mid-stream at tick %u", s->name, tick);
				CHECK(!"SILENT in the middle of a talk spurt");
			}
		}
	}

	test_case("sim %s: totals", s->name);
	unsigned missing = 0, twice = 0, delivered = 0;
	uint32_t first = 0;
	while (first < s->frames && dropped[first])
		first++;
	for (uint32_t i = 0; i < s->frames; i++) {
		if (dropped[i])
			continue;
		delivered++;
		missing += played[i] == 0;
		twice += played[i] > 1;
	}
	CHECK_EQ(bad_put, 0);
	CHECK_EQ(bad_order, 0);
	CHECK_EQ(bad_lost, 0);
	CHECK_EQ(bad_fec, 0);
	CHECK_EQ(bad_silent, 0);
	CHECK_EQ(missing, 0);
	CHECK_EQ(twice, 0);
	CHECK_EQ(played_returns, delivered);
	CHECK_EQ(lost_returns, s->frames - delivered - first);
	struct pl_jbuf_stats st;
	pl_jbuf_stats(jb, &st);
	CHECK_EQ(st.played, delivered);
	CHECK_EQ(st.resyncs, 0);
	CHECK_EQ(st.late, want_late); /* only second copies: no first copy misses its period */
	CHECK_EQ(st.dup, want_dup);
	/* The silent end of the stream is not counted as loss; neither, then, can the stream's own
	 * last frames be if they were dropped, since nothing tells them from the end. */
	unsigned trailing = 0;
	while (trailing < s->frames && dropped[s->frames - 1 - trailing])
		trailing++;
	CHECK_EQ(st.lost, lost_returns - trailing);
	CHECK_EQ(pl_jbuf_depth(jb), 0);
	pl_jbuf_free(jb);
out:
	free(arr);
	free(dropped);
	free(played);
	free(puts);
}

static void test_sims(void)
{
	static const struct sim sims[] = {
		{"clean", 1, 1000, 3000, 3, 0, 0, 0},
		{"jitter", 2, 0, 3000, 3, 2, 0, 0},
		{"jitter through the wrap", 3, 64000, 5000, 4, 3, 0, 0},
		{"jitter, loss, duplicates", 4, 65000, 5000, 3, 2, 10, 5},
		{"heavy loss, big cushion", 5, 12345, 5000, 20, 19, 30, 10},
		{"no jitter, loss", 6, 65535, 3000, 1, 0, 20, 20},
	};
	for (size_t i = 0; i < sizeof sims / sizeof sims[0]; i++)
		run_sim(&sims[i]);
}

int main(void)
{
	test_scenarios();
	test_stats();
	test_put_sizes();
	test_prestart_overflow();
	test_spurt_end_not_lost();
	test_alloc();
	test_sims();
	return test_done();
}
