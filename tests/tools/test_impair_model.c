/* The impairment proxy's decisions (impair_model.h) on fixed seeds and a made-up clock. */
#include <errno.h>
#include <math.h>

#include "../unit/test.h"
#include "impair_model.h"

#define N 200000
#define STEP_US 20000 /* one datagram per 20 ms frame */

struct run {
	uint64_t lost, copies, runs, run_len_sum, max_late_us, min_due_gap_us;
	bool early; /* a copy scheduled before it arrived */
};

/* Feeds n datagrams 20 ms apart; loss runs are counted as consecutive lost datagrams. */
static struct run feed(struct pl_impair *im, unsigned n, uint8_t *lost_map)
{
	struct run r = {0};
	uint64_t run = 0;
	for (unsigned i = 0; i < n; i++) {
		uint64_t now = 1000000 + (uint64_t)i * STEP_US, due[2];
		unsigned k = pl_impair_packet(im, now, due);
		if (lost_map)
			lost_map[i] = k == 0;
		if (k == 0) {
			r.lost++;
			run++;
			continue;
		}
		if (run) {
			r.runs++;
			r.run_len_sum += run;
			run = 0;
		}
		r.copies += k;
		for (unsigned j = 0; j < k; j++) {
			if (due[j] < now)
				r.early = true;
			else if (due[j] - now > r.max_late_us)
				r.max_late_us = due[j] - now;
		}
	}
	return r;
}

static void test_passthrough(void)
{
	test_case("no impairment");
	struct pl_impair im;
	struct pl_impair_opts o = {.seed = 7};
	CHECK_EQ(pl_impair_init(&im, &o), 0);
	struct run r = feed(&im, 1000, NULL);
	CHECK_EQ(r.lost, 0);
	CHECK_EQ(r.copies, 1000);
	CHECK_EQ(r.max_late_us, 0);
	CHECK(!r.early);
	CHECK_EQ(im.c.in, 1000);
	CHECK_EQ(im.c.out, 1000);
	CHECK_EQ(im.c.reordered, 0);
}

static void test_bad_opts(void)
{
	static const struct pl_impair_opts bad[] = {
		{.loss = -0.1}, {.loss = 1.5}, {.ge_p = 2}, {.ge_r = -1}, {.ge_bad_loss = 1.01}, {.reorder = 3}, {.dup = -2},
	};
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		test_case("bad options row %u", i);
		struct pl_impair im;
		CHECK_EQ(pl_impair_init(&im, &bad[i]), -EINVAL);
	}
}

/* Random and bursty loss of the same 10% average: the averages match, the bursts do not. */
static void test_loss(void)
{
	static uint8_t m1[N], m2[N];
	struct pl_impair a, b;
	struct pl_impair_opts ro = {.loss = 0.10, .seed = 42};
	/* p/(p+r) = 0.1 with r = 0.25: bursts of 4 datagrams on average */
	struct pl_impair_opts go = {.ge_p = 0.25 / 9, .ge_r = 0.25, .ge_bad_loss = 1.0, .seed = 42};
	CHECK_EQ(pl_impair_init(&a, &ro), 0);
	CHECK_EQ(pl_impair_init(&b, &go), 0);
	struct run ra = feed(&a, N, m1), rb = feed(&b, N, m2);
	double la = (double)ra.lost / N, lb = (double)rb.lost / N;
	double bla = (double)ra.run_len_sum / (double)ra.runs, blb = (double)rb.run_len_sum / (double)rb.runs;
	printf("random: loss %.4f, mean run %.2f; bursty: loss %.4f, mean run %.2f, bursts %llu\n", la, bla, lb, blb,
	       (unsigned long long)b.c.bursts);
	test_case("random loss 10%%");
	CHECK(fabs(la - 0.10) < 0.005);
	CHECK_EQ(a.c.lost_random, ra.lost);
	CHECK_EQ(a.c.lost_burst, 0);
	CHECK(bla > 1.0 && bla < 1.25); /* geometric: 1/(1-0.1) = 1.11 */
	test_case("Gilbert-Elliott loss 10%%");
	CHECK(fabs(lb - 0.10) < 0.01);
	CHECK_EQ(b.c.lost_burst, rb.lost);
	CHECK(blb > 3.5 && blb < 4.5); /* 1/r = 4 */
	CHECK(b.c.bursts > 0 && fabs((double)b.c.bursts / (N * 0.9) - go.ge_p) < 0.003);
	test_case("bad state loses H of its datagrams");
	struct pl_impair h;
	struct pl_impair_opts ho = go;
	ho.ge_bad_loss = 0.5;
	CHECK_EQ(pl_impair_init(&h, &ho), 0);
	struct run rh = feed(&h, N, NULL);
	CHECK(fabs((double)rh.lost / N - 0.05) < 0.008);
}

/* The same seed makes the same decisions; another seed other ones. */
static void test_repeat(void)
{
	static uint8_t m1[20000], m2[20000], m3[20000];
	struct pl_impair_opts o = {.loss = 0.05, .ge_p = 0.02, .ge_r = 0.3, .ge_bad_loss = 1, .jitter_us = 20000,
				   .delay_us = 20000, .reorder = 0.01, .dup = 0.01, .seed = 99};
	struct pl_impair a, b, c;
	pl_impair_init(&a, &o);
	pl_impair_init(&b, &o);
	o.seed = 100;
	pl_impair_init(&c, &o);
	struct run ra = feed(&a, 20000, m1), rb = feed(&b, 20000, m2), rc = feed(&c, 20000, m3);
	test_case("same seed");
	CHECK_MEM_EQ(m1, m2, sizeof m1);
	CHECK_EQ(ra.copies, rb.copies);
	CHECK_EQ(a.c.reordered, b.c.reordered);
	CHECK_EQ(ra.max_late_us, rb.max_late_us);
	test_case("another seed");
	CHECK(memcmp(m1, m3, sizeof m1) != 0);
	(void)rc;
}

/* Delay and jitter: every copy leaves within [delay - jitter, delay + jitter] of its arrival, and a
 * jitter wider than the 20 ms spacing reorders; a narrow one cannot. */
static void test_jitter(void)
{
	static const struct {
		uint32_t delay, jitter;
		bool reorders;
	} rows[] = {
		{20000, 20000, true}, {30000, 5000, false}, {50000, 0, false},
		{0, 20000, false}, /* clamped at 0: a 20 ms spread, no wider than the spacing */
		{10000, 15000, true},
	};
	for (unsigned i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		test_case("delay %u us, jitter %u us", rows[i].delay, rows[i].jitter);
		struct pl_impair im;
		struct pl_impair_opts o = {.delay_us = rows[i].delay, .jitter_us = rows[i].jitter, .seed = 5};
		pl_impair_init(&im, &o);
		uint64_t lo = UINT64_MAX, hi = 0;
		for (unsigned k = 0; k < 5000; k++) {
			uint64_t now = 1000000 + (uint64_t)k * STEP_US, due[2];
			CHECK_EQ(pl_impair_packet(&im, now, due), 1);
			uint64_t d = due[0] - now;
			CHECK(due[0] >= now);
			lo = d < lo ? d : lo;
			hi = d > hi ? d : hi;
		}
		uint64_t want_lo = rows[i].delay > rows[i].jitter ? rows[i].delay - rows[i].jitter : 0;
		CHECK(lo >= want_lo && lo < want_lo + 1000);
		CHECK(hi <= rows[i].delay + rows[i].jitter && hi + 1000 > rows[i].delay + rows[i].jitter);
		CHECK_EQ(im.c.reordered > 0, rows[i].reorders);
	}
}

/* Duplicates and netem's reordering: a reordered datagram leaves at once, ahead of delayed ones. */
static void test_dup_reorder(void)
{
	struct pl_impair im;
	struct pl_impair_opts o = {.dup = 0.1, .seed = 3};
	pl_impair_init(&im, &o);
	struct run r = feed(&im, 10000, NULL);
	test_case("10%% duplicated");
	CHECK(fabs((double)im.c.dup / 10000 - 0.1) < 0.01);
	CHECK_EQ(r.copies, 10000 + im.c.dup);
	CHECK_EQ(im.c.out, r.copies);

	test_case("5%% skip a 100 ms delay");
	struct pl_impair_opts q = {.delay_us = 100000, .reorder = 0.05, .seed = 3};
	pl_impair_init(&im, &q);
	unsigned at_once = 0;
	for (unsigned k = 0; k < 10000; k++) {
		uint64_t now = 1000000 + (uint64_t)k * STEP_US, due[2];
		pl_impair_packet(&im, now, due);
		at_once += due[0] == now;
	}
	CHECK(fabs(at_once / 10000.0 - 0.05) < 0.01);
	/* Each one leaves ahead of the four before it (100 ms of 20 ms spacing), after warm-up. */
	CHECK(im.c.reordered >= at_once - 5 && im.c.reordered <= at_once);
}

int main(void)
{
	test_passthrough();
	test_bad_opts();
	test_loss();
	test_repeat();
	test_jitter();
	test_dup_reorder();
	return test_done();
}
