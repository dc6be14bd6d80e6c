/*
 * impair_model: what the impairment proxy (impair.c) does to each datagram, decided without a
 * socket or a clock: the caller passes the arrival time, and a seeded generator makes the same
 * decisions on every run.
 *
 * Per datagram, in this order: random loss (Bernoulli, `loss`); bursty loss by a Gilbert-Elliott
 * chain (a good and a bad state; good -> bad with probability ge_p per datagram, bad -> good with
 * ge_r, a datagram lost with ge_bad_loss in the bad state and never in the good one: the long-run
 * loss is ge_bad_loss * ge_p / (ge_p + ge_r) and a burst lasts 1/ge_r datagrams on average);
 * duplication (`dup`: a second copy); then each copy's departure: `delay` plus a uniform jitter in
 * [-jitter, +jitter], never before it arrived, except that with probability `reorder` a datagram
 * skips the delay and leaves at once (netem's reordering). Copies leave in the order of their
 * departure times, so a jitter wider than the spacing of the datagrams reorders them too.
 */
#ifndef PL_IMPAIR_MODEL_H
#define PL_IMPAIR_MODEL_H

#include <stdbool.h>
#include <stdint.h>

struct pl_impair_opts {
	double loss;                      /* 0..1 */
	double ge_p, ge_r, ge_bad_loss;   /* 0..1 each; ge_p 0: no bursty loss */
	uint32_t delay_us, jitter_us;
	double reorder, dup;              /* 0..1 */
	uint64_t seed;
};

struct pl_impair_counts {
	uint64_t in;          /* datagrams given to pl_impair_packet */
	uint64_t out;         /* copies scheduled to leave (duplicates included) */
	uint64_t lost_random, lost_burst;
	uint64_t bursts;      /* times the chain went from good to bad */
	uint64_t dup;
	uint64_t reordered;   /* copies that leave before a copy scheduled earlier */
};

struct pl_impair {
	struct pl_impair_opts o;
	uint64_t rng;
	bool bad;
	uint64_t last_due;    /* the latest departure scheduled so far */
	struct pl_impair_counts c;
};

/* -EINVAL when a probability is outside 0..1. */
int pl_impair_init(struct pl_impair *im, const struct pl_impair_opts *o);

/* One datagram arriving at now_us: fills due_us with the departure time of each copy to send and
 * returns how many (0: lost; 1; 2: duplicated). */
unsigned pl_impair_packet(struct pl_impair *im, uint64_t now_us, uint64_t due_us[2]);

#endif
