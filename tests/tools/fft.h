/*
 * fft: in-place iterative radix-2 complex FFT in double precision, written for audiocmp.
 * A plan holds the twiddle table for one power-of-two size and is reused for every transform of
 * that size. No dependencies beyond libm.
 */
#ifndef PL_TOOLS_FFT_H
#define PL_TOOLS_FFT_H

#include <stddef.h>

struct fft_cpx {
	double re;
	double im;
};

struct fft_plan;

/* Returns a plan for n points (n a power of two, 2..2^30), or NULL when n is not a power of two
 * or memory runs out. */
struct fft_plan *fft_plan_new(size_t n);
void fft_plan_free(struct fft_plan *p);
size_t fft_plan_size(const struct fft_plan *p);

/* Forward transform, X[k] = sum_n x[n] exp(-2 pi i k n / N), in place. */
void fft_forward(const struct fft_plan *p, struct fft_cpx *x);
/* Inverse transform including the 1/N scale, so fft_inverse(fft_forward(x)) == x. */
void fft_inverse(const struct fft_plan *p, struct fft_cpx *x);

/* The smallest power of two >= n (1 for n == 0), or 0 if that does not fit in size_t. */
size_t fft_next_pow2(size_t n);

#endif
