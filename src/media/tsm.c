#include "media/tsm.h"

#include <math.h>
#include <string.h>

size_t pl_tsm_lag(const int16_t *in, size_t n)
{
	size_t max = n / 2 < PL_TSM_MAX_LAG ? n / 2 : PL_TSM_MAX_LAG;
	if (max < PL_TSM_MIN_LAG)
		return max;
	/* Normalised correlation of the frame's start with itself a lag later, over one max lag's
	 * window; coarse (every 2nd lag, every 2nd sample) then refined around the best. */
	size_t win = max, best = max;
	double bestc = -2.0;
	for (int pass = 0; pass < 2; pass++) {
		size_t lo = pass ? (best > PL_TSM_MIN_LAG + 2 ? best - 2 : PL_TSM_MIN_LAG) : PL_TSM_MIN_LAG;
		size_t hi = pass ? (best + 2 < max ? best + 2 : max) : max;
		size_t step = pass ? 1 : 2;
		for (size_t lag = lo; lag <= hi; lag += step) {
			double xy = 0, xx = 0, yy = 0;
			for (size_t i = 0; i < win && i + lag < n; i += 2) {
				double x = in[i], y = in[i + lag];
				xy += x * y;
				xx += x * x;
				yy += y * y;
			}
			double c = xx > 0 && yy > 0 ? xy / sqrt(xx * yy) : 0;
			if (c > bestc) {
				bestc = c;
				best = lag;
			}
		}
	}
	return best;
}

/* out[0..lag) = in[0..lag) fading out overlapped with in[lag..2 lag) fading in: the seam. */
static void overlap(const int16_t *a, const int16_t *b, size_t lag, int16_t *out)
{
	for (size_t i = 0; i < lag; i++) {
		double w = (double)(i + 1) / (double)(lag + 1);
		double v = a[i] * (1.0 - w) + b[i] * w;
		out[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : lrint(v));
	}
}

size_t pl_tsm_shrink(const int16_t *in, size_t n, int16_t *out)
{
	size_t lag = pl_tsm_lag(in, n);
	if (lag < PL_TSM_MIN_LAG || 2 * lag > n) {
		memcpy(out, in, n * sizeof *in);
		return n;
	}
	/* in[0..lag) and in[lag..2lag) become one period: starts as in[0], ends as in[2lag-1]. */
	overlap(in, in + lag, lag, out);
	memcpy(out + lag, in + 2 * lag, (n - 2 * lag) * sizeof *in);
	return n - lag;
}

size_t pl_tsm_stretch(const int16_t *in, size_t n, int16_t *out)
{
	size_t lag = pl_tsm_lag(in, n);
	if (lag < PL_TSM_MIN_LAG || 2 * lag > n) {
		memcpy(out, in, n * sizeof *in);
		return n;
	}
	/* in[0..lag), then a period that fades from in[lag..2lag) into in[0..lag), then in[lag..n):
	 * one period more, joined where the signal repeats itself. */
	memcpy(out, in, lag * sizeof *in);
	overlap(in + lag, in, lag, out + lag);
	memcpy(out + 2 * lag, in + lag, (n - lag) * sizeof *in);
	return n + lag;
}
