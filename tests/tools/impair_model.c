/* impair_model: the proxy's decisions (impair_model.h). */
#include "impair_model.h"

#include <errno.h>

/* splitmix64: tiny, fast and good enough for test decisions; seeded runs repeat. */
static uint64_t next64(struct pl_impair *im)
{
	uint64_t z = (im->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double uniform(struct pl_impair *im)
{
	return (double)(next64(im) >> 11) * (1.0 / 9007199254740992.0);
}

static bool chance(struct pl_impair *im, double p)
{
	return p > 0 && uniform(im) < p;
}

static bool prob_ok(double p)
{
	return p >= 0 && p <= 1;
}

int pl_impair_init(struct pl_impair *im, const struct pl_impair_opts *o)
{
	if (!prob_ok(o->loss) || !prob_ok(o->ge_p) || !prob_ok(o->ge_r) || !prob_ok(o->ge_bad_loss) ||
	    !prob_ok(o->reorder) || !prob_ok(o->dup))
		return -EINVAL;
	*im = (struct pl_impair){.o = *o, .rng = o->seed};
	return 0;
}

static uint64_t departure(struct pl_impair *im, uint64_t now)
{
	const struct pl_impair_opts *o = &im->o;
	if (chance(im, o->reorder))
		return now;
	int64_t d = (int64_t)o->delay_us;
	if (o->jitter_us)
		d += (int64_t)(uniform(im) * (2.0 * o->jitter_us + 1)) - (int64_t)o->jitter_us;
	return d > 0 ? now + (uint64_t)d : now;
}

unsigned pl_impair_packet(struct pl_impair *im, uint64_t now_us, uint64_t due_us[2])
{
	const struct pl_impair_opts *o = &im->o;
	im->c.in++;
	/* The chain moves on every datagram, lost or not, so bursts keep their length whatever the
	 * random loss does. */
	if (o->ge_p > 0) {
		if (!im->bad && chance(im, o->ge_p)) {
			im->bad = true;
			im->c.bursts++;
		} else if (im->bad && chance(im, o->ge_r)) {
			im->bad = false;
		}
	}
	bool burst_lost = im->bad && chance(im, o->ge_bad_loss);
	if (chance(im, o->loss)) {
		im->c.lost_random++;
		return 0;
	}
	if (burst_lost) {
		im->c.lost_burst++;
		return 0;
	}
	unsigned n = chance(im, o->dup) ? 2 : 1;
	if (n == 2)
		im->c.dup++;
	for (unsigned i = 0; i < n; i++) {
		due_us[i] = departure(im, now_us);
		if (due_us[i] < im->last_due)
			im->c.reordered++;
		else
			im->last_due = due_us[i];
	}
	im->c.out += n;
	return n;
}
