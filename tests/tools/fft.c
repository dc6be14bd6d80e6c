#include "fft.h"

#include <math.h>
#include <stdlib.h>

#define FFT_PI 3.14159265358979323846264338327950288

struct fft_plan {
	size_t n;
	unsigned log2n;
	struct fft_cpx *tw; /* tw[k] = exp(-2 pi i k / n), k < n/2 */
};

size_t fft_next_pow2(size_t n)
{
	size_t p = 1;
	while (p < n) {
		if (p > ((size_t)-1) / 2)
			return 0;
		p <<= 1;
	}
	return p;
}

struct fft_plan *fft_plan_new(size_t n)
{
	if (n < 2 || (n & (n - 1)) != 0 || n > ((size_t)1 << 30))
		return NULL;
	struct fft_plan *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->n = n;
	while (((size_t)1 << p->log2n) < n)
		p->log2n++;
	p->tw = malloc((n / 2) * sizeof *p->tw);
	if (!p->tw) {
		free(p);
		return NULL;
	}
	/* Each twiddle straight from cos/sin (no recurrence), so large sizes keep full precision;
	 * the quarter-wave symmetry halves the libm calls. */
	size_t half = n / 2, quarter = n / 4;
	for (size_t k = 0; k < half; k++) {
		if (quarter > 0 && k > quarter) {
			/* exp(-i(pi/2 + a)) = -i exp(-ia): use the entry quarter-wave earlier */
			const struct fft_cpx *q = &p->tw[k - quarter];
			p->tw[k].re = q->im;
			p->tw[k].im = -q->re;
		} else {
			double a = -2.0 * FFT_PI * (double)k / (double)n;
			p->tw[k].re = cos(a);
			p->tw[k].im = sin(a);
		}
	}
	return p;
}

void fft_plan_free(struct fft_plan *p)
{
	if (!p)
		return;
	free(p->tw);
	free(p);
}

size_t fft_plan_size(const struct fft_plan *p)
{
	return p->n;
}

static void bit_reverse(struct fft_cpx *x, size_t n)
{
	for (size_t i = 1, j = 0; i < n; i++) {
		size_t bit = n >> 1;
		for (; j & bit; bit >>= 1)
			j ^= bit;
		j |= bit;
		if (i < j) {
			struct fft_cpx t = x[i];
			x[i] = x[j];
			x[j] = t;
		}
	}
}

static void transform(const struct fft_plan *p, struct fft_cpx *x, int inverse)
{
	size_t n = p->n;
	bit_reverse(x, n);
	for (size_t len = 2; len <= n; len <<= 1) {
		size_t halflen = len / 2, step = n / len;
		for (size_t start = 0; start < n; start += len) {
			struct fft_cpx *a = x + start, *b = x + start + halflen;
			for (size_t k = 0; k < halflen; k++) {
				double wr = p->tw[k * step].re;
				double wi = inverse ? -p->tw[k * step].im : p->tw[k * step].im;
				double tr = b[k].re * wr - b[k].im * wi;
				double ti = b[k].re * wi + b[k].im * wr;
				b[k].re = a[k].re - tr;
				b[k].im = a[k].im - ti;
				a[k].re += tr;
				a[k].im += ti;
			}
		}
	}
}

void fft_forward(const struct fft_plan *p, struct fft_cpx *x)
{
	transform(p, x, 0);
}

void fft_inverse(const struct fft_plan *p, struct fft_cpx *x)
{
	transform(p, x, 1);
	double s = 1.0 / (double)p->n;
	for (size_t i = 0; i < p->n; i++) {
		x[i].re *= s;
		x[i].im *= s;
	}
}
