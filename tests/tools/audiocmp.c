/*
 * audiocmp: judges whether a voice path delivered the speech it was given.
 *
 *   audiocmp --ref REF.wav --test TEST.wav [--opus-ref] [--min-segsnr DB] [--max-lsd DB]
 *            [--max-delay-ms MS] [--track-ms MS]
 *   audiocmp --opus-roundtrip IN.wav OUT.wav
 *
 * TEST is aligned to REF by an FFT cross-correlation (TEST delayed by -100 ms .. MS, default
 * 3000 ms), then compared over REF's length with segmental SNR and log-spectral distance
 * (Quackenbush, Barnwell & Clements 1988) on 20 ms frames where REF is active. One JSON line goes
 * to stdout. Exit 0: every given threshold holds; 1: one fails; 2: usage or file error.
 *
 * --track-ms follows a delay that changes during the recording, as an adaptive jitter buffer's
 * does when it time-scales speech or conceals a frame to grow: after the global alignment, each
 * 200 ms segment of REF is aligned on its own, within MS of the previous segment's delay (the
 * first's: of the global one), by normalised correlation (a coarse search every 8 samples, then
 * every sample around the best); segments where REF is quiet keep the delay before them. The
 * metrics are then measured on that piecewise-aligned TEST, so they judge the sound rather than
 * where in time it landed (as PESQ and POLQA align utterances apart). The JSON adds the range of
 * the delays used. A delay that moved inside a segment still costs that segment.
 *
 * --opus-ref first passes REF through parley's codec as a sender does (960-sample frames, the last
 * zero-padded, PL_BITRATE_DEFAULT), so REF becomes the loss-free decode of the stream the receiver
 * under test got. --opus-roundtrip writes that decode to OUT.wav (for self-tests).
 *
 * Both files must be 48 kHz mono WAV (src/media/wav.h).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fft.h"
#include "media/codec.h"
#include "media/wav.h"

#define EXIT_PASS 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

#define FRAME PL_FRAME_SAMPLES            /* 20 ms at 48 kHz */
#define MIN_LAG_MS 100.0                  /* TEST may lead REF by up to this much */
#define DEFAULT_MAX_DELAY_MS 3000.0
#define MAX_MAX_DELAY_MS 60000.0
#define MAX_REF_SECONDS 120               /* keeps the correlation FFT under 2^24 points */
#define SEGSNR_MIN_DB (-10.0)
#define SEGSNR_MAX_DB 35.0
#define ACTIVE_RANGE_DB 40.0              /* active: frame energy within this of the loudest */
#define LSD_FFT 1024
#define LSD_FLOOR_DB 60.0                 /* spectral floor below REF's loudest frame, see below */
#define TRACK_SEG (10 * FRAME)            /* --track-ms: segments aligned apart, 200 ms */
#define TRACK_COARSE 8                    /* the coarse search's step, samples */
#define MAX_TRACK_MS 200.0

struct opts {
	const char *ref;
	const char *test;
	int opus_ref;
	int have_min_segsnr, have_max_lsd, have_max_delay;
	double min_segsnr, max_lsd, max_delay_ms, track_ms;
};

struct audio {
	int16_t *pcm;
	size_t n;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: audiocmp --ref REF.wav --test TEST.wav [--opus-ref] [--min-segsnr DB]\n"
		"                [--max-lsd DB] [--max-delay-ms MS]\n"
		"       audiocmp --opus-roundtrip IN.wav OUT.wav\n"
		"\n"
		"Aligns TEST (a recording of what a voice path delivered) to REF by FFT\n"
		"cross-correlation over lags -%.0f ms .. MS (default %.0f ms; TEST later than REF is\n"
		"positive), then measures segmental SNR (20 ms frames, clamped to [%.0f, %.0f] dB) and\n"
		"log-spectral distance over the frames where REF is within %.0f dB of its loudest frame.\n"
		"Prints one JSON line:\n"
		"  {\"delay_samples\":..,\"delay_ms\":..,\"correlation\":..,\"segsnr_db\":..,\"lsd_db\":..,\n"
		"   \"frames\":..,\"pass\":true|false}\n"
		"\n"
		"  --opus-ref         compare against REF as parley's Opus codec decodes it (20 ms frames,\n"
		"                     %d bit/s), i.e. what a loss-free receiver plays\n"
		"  --min-segsnr DB    fail when segSNR is below DB\n"
		"  --max-lsd DB       fail when LSD is above DB\n"
		"  --max-delay-ms MS  search delays up to MS (a longer delay cannot be found and the\n"
		"                     path then fails on segSNR/LSD)\n"
		"  --track-ms MS      align each 200 ms segment apart, within MS of the one before: for a\n"
		"                     path whose delay changes (time-scaling); adds lag_min_ms, lag_max_ms\n"
		"  --opus-roundtrip IN OUT  write IN encoded and decoded by parley's codec to OUT\n"
		"\n"
		"Files are 48 kHz mono WAV. Exit status: 0 all thresholds hold, 1 one fails,\n"
		"2 usage or file error.\n",
		MIN_LAG_MS, DEFAULT_MAX_DELAY_MS, SEGSNR_MIN_DB, SEGSNR_MAX_DB, ACTIVE_RANGE_DB,
		PL_BITRATE_DEFAULT);
}

static int parse_num(const char *opt, const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = s ? strtod(s, &end) : 0.0;
	if (!s || end == s || *end != '\0' || errno != 0 || !isfinite(v)) {
		fprintf(stderr, "audiocmp: %s needs a number after it (got %s%s%s). "
			"Run audiocmp --help for the options.\n",
			opt, s ? "\"" : "nothing", s ? s : "", s ? "\"" : "");
		return -1;
	}
	*out = v;
	return 0;
}

static int read_audio(const char *path, const char *what, struct audio *a)
{
	char err[512] = "";
	struct pl_wav *w;
	if (pl_wav_open_read(&w, path, err, sizeof err) != 0) {
		fprintf(stderr, "audiocmp: %s: %s\n", what, err);
		return -1;
	}
	size_t cap = 48000, n = 0;
	long frames = pl_wav_frames(w);
	if (frames > 0 && frames < 48000L * 3600)
		cap = (size_t)frames + 1;
	int16_t *pcm = malloc(cap * sizeof *pcm);
	for (;;) {
		if (!pcm) {
			fprintf(stderr, "audiocmp: out of memory reading %s %s.\n", what, path);
			pl_wav_close(w);
			return -1;
		}
		if (n == cap) {
			if (cap > (size_t)48000 * 3600) {
				fprintf(stderr, "audiocmp: %s %s is longer than an hour; give a shorter "
					"recording.\n", what, path);
				free(pcm);
				pl_wav_close(w);
				return -1;
			}
			int16_t *bigger = realloc(pcm, 2 * cap * sizeof *pcm);
			if (!bigger)
				free(pcm);
			pcm = bigger;
			cap *= 2;
			continue;
		}
		long got = pl_wav_read(w, pcm + n, cap - n);
		if (got < 0) {
			fprintf(stderr, "audiocmp: reading %s %s failed part way; check that the file "
				"is a complete WAV.\n", what, path);
			free(pcm);
			pl_wav_close(w);
			return -1;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	pl_wav_close(w);
	a->pcm = pcm;
	a->n = n;
	return 0;
}

/* REF through parley's codec as a sender and a loss-free receiver do it: consecutive 960-sample
 * frames, the last zero-padded, each encoded and the packet decoded. The result is a whole number
 * of frames long. Returns 0, or -1 with a sentence on stderr. */
static int opus_roundtrip(const struct audio *in, struct audio *out, size_t *bytes)
{
	struct pl_enc *enc = NULL;
	struct pl_dec *dec = NULL;
	size_t nfr = (in->n + FRAME - 1) / FRAME;
	int16_t *pcm = malloc((nfr ? nfr : 1) * FRAME * sizeof *pcm);
	int rc = -1;
	*bytes = 0;
	if (!pcm || pl_enc_alloc(&enc, PL_BITRATE_DEFAULT) != 0 || pl_dec_alloc(&dec) != 0) {
		fprintf(stderr, "audiocmp: cannot set up the Opus encoder and decoder (out of "
			"memory?).\n");
		goto out;
	}
	for (size_t f = 0; f < nfr; f++) {
		int16_t frame[FRAME];
		uint8_t pkt[PL_OPUS_MAX_PACKET];
		size_t off = f * FRAME, have = in->n - off < FRAME ? in->n - off : FRAME;
		memcpy(frame, in->pcm + off, have * sizeof *frame);
		memset(frame + have, 0, (FRAME - have) * sizeof *frame);
		int len = pl_enc_frame(enc, frame, pkt, sizeof pkt);
		if (len <= 0) {
			fprintf(stderr, "audiocmp: the Opus encoder failed on frame %zu.\n", f);
			goto out;
		}
		*bytes += (size_t)len;
		if (pl_dec_frame(dec, pkt, (size_t)len, pcm + off) != FRAME) {
			fprintf(stderr, "audiocmp: the Opus decoder rejected packet %zu (%d bytes).\n",
				f, len);
			goto out;
		}
	}
	out->pcm = pcm;
	out->n = nfr * FRAME;
	pcm = NULL;
	rc = 0;
out:
	free(pcm);
	pl_enc_free(enc);
	pl_dec_free(dec);
	return rc;
}

static int cmd_roundtrip(const char *inpath, const char *outpath)
{
	struct audio in, out;
	size_t bytes;
	if (read_audio(inpath, "input", &in) != 0)
		return EXIT_USAGE;
	if (in.n == 0) {
		fprintf(stderr, "audiocmp: input %s has no samples; give a WAV with speech in it.\n",
			inpath);
		free(in.pcm);
		return EXIT_USAGE;
	}
	int rc = opus_roundtrip(&in, &out, &bytes);
	free(in.pcm);
	if (rc != 0)
		return EXIT_USAGE;
	char err[512] = "";
	struct pl_wav *w;
	if (pl_wav_open_write(&w, outpath, err, sizeof err) != 0) {
		fprintf(stderr, "audiocmp: output: %s\n", err);
		free(out.pcm);
		return EXIT_USAGE;
	}
	rc = pl_wav_write(w, out.pcm, out.n);
	if (pl_wav_close(w) != 0)
		rc = -1;
	if (rc != 0) {
		fprintf(stderr, "audiocmp: writing %s failed; check the disk has space.\n", outpath);
		free(out.pcm);
		return EXIT_USAGE;
	}
	size_t nfr = out.n / FRAME;
	printf("{\"frames\":%zu,\"samples\":%zu,\"bytes\":%zu,\"kbps\":%.2f}\n", nfr, out.n, bytes,
	       (double)bytes * 8.0 / ((double)nfr * PL_FRAME_MS));
	free(out.pcm);
	return EXIT_PASS;
}

static double *to_double(const struct audio *a, size_t n)
{
	double *x = calloc(n ? n : 1, sizeof *x);
	if (!x)
		return NULL;
	for (size_t i = 0; i < a->n && i < n; i++)
		x[i] = a->pcm[i] / 32768.0;
	return x;
}

/*
 * Finds the lag d in [minlag, maxlag] maximising c[d] = sum_n ref[n] test[n + d] with one complex
 * FFT: ref in the real part, test in the imaginary part, the two spectra separated by conjugate
 * symmetry, then conj(R) T transformed back. The FFT is at least lr + lt - 1 points long, so the
 * circular correlation equals the linear one at every lag. *corr gets the normalised correlation
 * at the chosen lag: c[d] over the root of the energies of the overlapping parts.
 * Returns 0, or -1 when memory runs out.
 */
static int align(const double *ref, size_t lr, const double *test, size_t lt, long minlag,
		 long maxlag, long *lag, double *corr)
{
	/* test samples past lr + maxlag never meet ref at an allowed lag */
	size_t lt_eff = lt;
	if (lt_eff > lr + (size_t)maxlag)
		lt_eff = lr + (size_t)maxlag;
	size_t n = fft_next_pow2(lr + lt_eff);
	if (n < 2)
		n = 2;
	struct fft_plan *plan = fft_plan_new(n);
	struct fft_cpx *x = calloc(n, sizeof *x);
	double *pre = calloc(lr + 1, sizeof *pre), *pte = calloc(lt_eff + 1, sizeof *pte);
	if (!plan || !x || !pre || !pte) {
		fft_plan_free(plan);
		free(x);
		free(pre);
		free(pte);
		return -1;
	}
	for (size_t i = 0; i < lr; i++) {
		x[i].re = ref[i];
		pre[i + 1] = pre[i] + ref[i] * ref[i];
	}
	for (size_t i = 0; i < lt_eff; i++) {
		x[i].im = test[i];
		pte[i + 1] = pte[i] + test[i] * test[i];
	}
	fft_forward(plan, x);
	/* bins 0 and n/2 pair with themselves: R and T are real there */
	x[0].re = x[0].re * x[0].im;
	x[0].im = 0;
	x[n / 2].re = x[n / 2].re * x[n / 2].im;
	x[n / 2].im = 0;
	for (size_t k = 1; k < n / 2; k++) {
		struct fft_cpx a = x[k], b = x[n - k];
		/* R = (a + conj b) / 2, T = (a - conj b) / 2i */
		double rr = 0.5 * (a.re + b.re), ri = 0.5 * (a.im - b.im);
		double dr = a.re - b.re, di = a.im + b.im; /* a - conj b */
		double tr = 0.5 * di, ti = -0.5 * dr;        /* (dr + i di) / 2i */
		/* C = conj(R) T */
		double cr = rr * tr + ri * ti, ci = rr * ti - ri * tr;
		x[k].re = cr;
		x[k].im = ci;
		x[n - k].re = cr;
		x[n - k].im = -ci;
	}
	fft_inverse(plan, x);

	long lo = minlag, hi = maxlag;
	if (lo < -(long)lr + 1)
		lo = -(long)lr + 1;
	if (hi > (long)lt_eff - 1)
		hi = (long)lt_eff - 1;
	long best = 0;
	double bestc = -INFINITY;
	if (pte[lt_eff] > 0) {
		for (long d = lo; d <= hi; d++) {
			double c = x[d >= 0 ? (size_t)d : n - (size_t)(-d)].re;
			if (c > bestc) {
				bestc = c;
				best = d;
			}
		}
	}
	if (!(bestc > 0))
		best = 0; /* nothing correlates: compare unshifted */
	double c = x[best >= 0 ? (size_t)best : n - (size_t)(-best)].re;
	/* overlap: ref[n0, n1) against test[n0 + d, n1 + d) */
	long n0 = best < 0 ? -best : 0;
	long n1 = (long)lr < (long)lt_eff - best ? (long)lr : (long)lt_eff - best;
	double er = 0, et = 0;
	if (n1 > n0) {
		er = pre[n1] - pre[n0];
		et = pte[n1 + best] - pte[n0 + best];
	}
	*lag = best;
	*corr = er > 0 && et > 0 ? c / sqrt(er * et) : 0.0;
	if (*corr > 1.0)
		*corr = 1.0; /* rounding */
	if (*corr < -1.0)
		*corr = -1.0;
	fft_plan_free(plan);
	free(x);
	free(pre);
	free(pte);
	return 0;
}

struct metrics {
	double segsnr_db, lsd_db;
	size_t frames;
};

/* ref and aligned test are both lr samples long. */
static int measure(const double *ref, const double *tst, size_t lr, struct metrics *m)
{
	size_t nfr = lr / FRAME;
	double *energy = calloc(nfr ? nfr : 1, sizeof *energy);
	struct fft_plan *plan = fft_plan_new(LSD_FFT);
	struct fft_cpx *xr = calloc(LSD_FFT, sizeof *xr), *xt = calloc(LSD_FFT, sizeof *xt);
	double win[FRAME];
	int rc = -1;
	if (!energy || !plan || !xr || !xt)
		goto out;

	double emax = 0;
	for (size_t f = 0; f < nfr; f++) {
		double e = 0;
		for (size_t i = 0; i < FRAME; i++)
			e += ref[f * FRAME + i] * ref[f * FRAME + i];
		energy[f] = e;
		if (e > emax)
			emax = e;
	}
	double ethresh = emax * pow(10.0, -ACTIVE_RANGE_DB / 10.0);

	/* Periodic Hann window. Its mean square is 3/8, so by Parseval a frame of energy E has a
	 * mean power of 3E/8 per bin over the LSD_FFT bins. The floor added to every bin of both
	 * spectra sits LSD_FLOOR_DB below that level for REF's loudest frame: content that far below
	 * the loudest speech counts as silence, so empty bands (above espeak's 11 kHz, above Opus's
	 * coded bandwidth) do not turn noise-against-noise into large distances. Measured on espeak
	 * speech against its Opus decode: a 80 dB floor gave 1.4 dB LSD for a 44.1 kHz resampling
	 * round trip and 1.6 dB for a 1 dB gain change; 60 dB gives 0.06 and 0.57, while a wrong
	 * sentence still scores about 15 dB and white noise 37-50 dB. Hiss at -75 dBFS in bands
	 * REF leaves empty still costs about 2 dB: LSD judges spectra, segSNR judges waveforms. */
	for (size_t i = 0; i < FRAME; i++)
		win[i] = 0.5 - 0.5 * cos(2.0 * 3.14159265358979323846 * (double)i / FRAME);
	double floor_pw = 0.375 * emax * pow(10.0, -LSD_FLOOR_DB / 10.0);
	if (!(floor_pw > 0))
		floor_pw = 1e-30;

	double snr_sum = 0, lsd_sum = 0;
	size_t active = 0;
	for (size_t f = 0; f < nfr; f++) {
		if (!(energy[f] > 0) || energy[f] < ethresh)
			continue;
		const double *r = ref + f * FRAME, *t = tst + f * FRAME;
		double en = 0;
		for (size_t i = 0; i < FRAME; i++)
			en += (r[i] - t[i]) * (r[i] - t[i]);
		double snr = en > 0 ? 10.0 * log10(energy[f] / en) : SEGSNR_MAX_DB;
		if (snr > SEGSNR_MAX_DB)
			snr = SEGSNR_MAX_DB;
		if (snr < SEGSNR_MIN_DB)
			snr = SEGSNR_MIN_DB;
		snr_sum += snr;

		memset(xr, 0, LSD_FFT * sizeof *xr);
		memset(xt, 0, LSD_FFT * sizeof *xt);
		for (size_t i = 0; i < FRAME; i++) {
			xr[i].re = r[i] * win[i];
			xt[i].re = t[i] * win[i];
		}
		fft_forward(plan, xr);
		fft_forward(plan, xt);
		double d2 = 0;
		for (size_t k = 0; k <= LSD_FFT / 2; k++) {
			double pr = xr[k].re * xr[k].re + xr[k].im * xr[k].im + floor_pw;
			double pt = xt[k].re * xt[k].re + xt[k].im * xt[k].im + floor_pw;
			double d = 10.0 * log10(pr / pt);
			d2 += d * d;
		}
		lsd_sum += sqrt(d2 / (LSD_FFT / 2 + 1));
		active++;
	}
	m->frames = active;
	m->segsnr_db = active ? snr_sum / (double)active : SEGSNR_MIN_DB;
	m->lsd_db = active ? lsd_sum / (double)active : 0.0;
	rc = 0;
out:
	free(energy);
	fft_plan_free(plan);
	free(xr);
	free(xt);
	return rc;
}

/* Normalised correlation of ref[0..n) with t[l..l+n) (zeros outside t). */
static double ncorr(const double *ref, const double *t, size_t lt, size_t n, long l)
{
	double rt = 0, rr = 0, tt = 0;
	for (size_t i = 0; i < n; i++) {
		long j = l + (long)i;
		double x = j >= 0 && (size_t)j < lt ? t[j] : 0.0;
		rt += ref[i] * x;
		rr += ref[i] * ref[i];
		tt += x * x;
	}
	return rr > 0 && tt > 0 ? rt / sqrt(rr * tt) : 0.0;
}

/* --track-ms: ta gets TEST piecewise aligned to REF, segment by segment (see the top). */
static void track(const double *r, size_t lr, const double *t, size_t lt, long lag, long w, double *ta,
		  long *lag_min, long *lag_max)
{
	double emax = 0;
	for (size_t s = 0; s < lr; s += TRACK_SEG) {
		size_t n = lr - s < TRACK_SEG ? lr - s : TRACK_SEG;
		double e = 0;
		for (size_t i = 0; i < n; i++)
			e += r[s + i] * r[s + i];
		emax = e > emax ? e : emax;
	}
	double quiet = emax * pow(10.0, -ACTIVE_RANGE_DB / 10.0);
	long cur = lag;
	*lag_min = *lag_max = lag;
	for (size_t s = 0; s < lr; s += TRACK_SEG) {
		size_t n = lr - s < TRACK_SEG ? lr - s : TRACK_SEG;
		double e = 0;
		for (size_t i = 0; i < n; i++)
			e += r[s + i] * r[s + i];
		if (e > quiet) {
			long best = cur;
			double bc = -2;
			for (long l = cur - w; l <= cur + w; l += TRACK_COARSE) {
				double c = ncorr(r + s, t, lt, n, (long)s + l);
				if (c > bc)
					bc = c, best = l;
			}
			long c0 = best;
			for (long l = c0 - TRACK_COARSE; l <= c0 + TRACK_COARSE; l++) {
				double c = ncorr(r + s, t, lt, n, (long)s + l);
				if (c > bc)
					bc = c, best = l;
			}
			cur = best;
			*lag_min = cur < *lag_min ? cur : *lag_min;
			*lag_max = cur > *lag_max ? cur : *lag_max;
		}
		for (size_t i = 0; i < n; i++) {
			long j = (long)(s + i) + cur;
			ta[s + i] = j >= 0 && (size_t)j < lt ? t[j] : 0.0;
		}
	}
}

static int cmd_compare(const struct opts *o)
{
	struct audio ref = {0}, test = {0};
	double *r = NULL, *t = NULL, *ta = NULL;
	int rc = EXIT_USAGE;

	if (read_audio(o->ref, "REF", &ref) != 0 || read_audio(o->test, "TEST", &test) != 0)
		goto out;
	if (ref.n > (size_t)MAX_REF_SECONDS * PL_RATE) {
		fprintf(stderr, "audiocmp: REF %s is %.1f s long; the limit is %d s. Compare shorter "
			"passages.\n", o->ref, (double)ref.n / PL_RATE, MAX_REF_SECONDS);
		goto out;
	}
	if (o->opus_ref) {
		struct audio dec;
		size_t bytes;
		if (ref.n == 0) {
			fprintf(stderr, "audiocmp: REF %s has no samples; give a WAV with speech in it.\n",
				o->ref);
			goto out;
		}
		if (opus_roundtrip(&ref, &dec, &bytes) != 0)
			goto out;
		free(ref.pcm);
		ref = dec;
	}
	if (ref.n < FRAME) {
		fprintf(stderr, "audiocmp: REF %s has %zu samples, less than one 20 ms frame (%d); "
			"give a longer reference.\n", o->ref, ref.n, FRAME);
		goto out;
	}

	size_t lr = ref.n - ref.n % FRAME; /* whole frames only */
	r = to_double(&ref, lr);
	t = to_double(&test, test.n);
	ta = calloc(lr, sizeof *ta);
	if (!r || !t || !ta) {
		fprintf(stderr, "audiocmp: out of memory.\n");
		goto out;
	}

	double max_delay_ms = o->have_max_delay ? o->max_delay_ms : DEFAULT_MAX_DELAY_MS;
	long maxlag = (long)floor(max_delay_ms * PL_RATE / 1000.0);
	long minlag = -(long)(MIN_LAG_MS * PL_RATE / 1000.0);
	long lag;
	double corr;
	if (align(r, lr, t, test.n, minlag, maxlag, &lag, &corr) != 0) {
		fprintf(stderr, "audiocmp: out of memory for the cross-correlation; compare shorter "
			"files.\n");
		goto out;
	}
	long lag_min = lag, lag_max = lag;
	if (o->track_ms > 0) {
		track(r, lr, t, test.n, lag, (long)(o->track_ms * PL_RATE / 1000.0), ta, &lag_min, &lag_max);
	} else {
		for (size_t i = 0; i < lr; i++) {
			long j = (long)i + lag;
			ta[i] = j >= 0 && (size_t)j < test.n ? t[j] : 0.0;
		}
	}
	struct metrics m;
	if (measure(r, ta, lr, &m) != 0) {
		fprintf(stderr, "audiocmp: out of memory.\n");
		goto out;
	}
	if (m.frames == 0) {
		fprintf(stderr, "audiocmp: REF %s is silent (no 20 ms frame has any energy); give a "
			"reference with speech in it.\n", o->ref);
		goto out;
	}
	if (test.n == 0)
		fprintf(stderr, "audiocmp: TEST %s has no samples: the path delivered nothing.\n",
			o->test);

	/* no "-0.00" in the output */
	if (fabs(m.segsnr_db) < 0.005)
		m.segsnr_db = 0.0;
	if (fabs(m.lsd_db) < 0.0005)
		m.lsd_db = 0.0;
	double delay_ms = (double)lag * 1000.0 / PL_RATE;
	int pass = 1;
	if (o->have_min_segsnr && !(m.segsnr_db >= o->min_segsnr))
		pass = 0;
	if (o->have_max_lsd && !(m.lsd_db <= o->max_lsd))
		pass = 0;
	if (o->have_max_delay && !(delay_ms <= o->max_delay_ms))
		pass = 0;
	char tracked[96] = "";
	if (o->track_ms > 0)
		snprintf(tracked, sizeof tracked, "\"lag_min_ms\":%.3f,\"lag_max_ms\":%.3f,",
			 (double)lag_min * 1000.0 / PL_RATE, (double)lag_max * 1000.0 / PL_RATE);
	printf("{\"delay_samples\":%ld,\"delay_ms\":%.3f,\"correlation\":%.4f,\"segsnr_db\":%.2f,"
	       "\"lsd_db\":%.3f,\"frames\":%zu,%s\"pass\":%s}\n",
	       lag, delay_ms, corr, m.segsnr_db, m.lsd_db, m.frames, tracked, pass ? "true" : "false");
	fflush(stdout);
	rc = pass ? EXIT_PASS : EXIT_FAIL;
out:
	free(ref.pcm);
	free(test.pcm);
	free(r);
	free(t);
	free(ta);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return EXIT_PASS;
		} else if (!strcmp(a, "--opus-roundtrip")) {
			if (argc != 4 || i != 1) {
				fprintf(stderr, "audiocmp: --opus-roundtrip takes exactly an input and an "
					"output WAV: audiocmp --opus-roundtrip IN.wav OUT.wav\n");
				return EXIT_USAGE;
			}
			return cmd_roundtrip(argv[2], argv[3]);
		} else if (!strcmp(a, "--ref") || !strcmp(a, "--test")) {
			if (!v) {
				fprintf(stderr, "audiocmp: %s needs a WAV file after it.\n", a);
				return EXIT_USAGE;
			}
			if (a[2] == 'r')
				o.ref = v;
			else
				o.test = v;
			i++;
		} else if (!strcmp(a, "--opus-ref")) {
			o.opus_ref = 1;
		} else if (!strcmp(a, "--min-segsnr")) {
			if (parse_num(a, v, &o.min_segsnr) != 0)
				return EXIT_USAGE;
			o.have_min_segsnr = 1;
			i++;
		} else if (!strcmp(a, "--max-lsd")) {
			if (parse_num(a, v, &o.max_lsd) != 0)
				return EXIT_USAGE;
			o.have_max_lsd = 1;
			i++;
		} else if (!strcmp(a, "--max-delay-ms")) {
			if (parse_num(a, v, &o.max_delay_ms) != 0)
				return EXIT_USAGE;
			if (o.max_delay_ms < 0 || o.max_delay_ms > MAX_MAX_DELAY_MS) {
				fprintf(stderr, "audiocmp: --max-delay-ms must be between 0 and %.0f.\n",
					MAX_MAX_DELAY_MS);
				return EXIT_USAGE;
			}
			o.have_max_delay = 1;
			i++;
		} else if (!strcmp(a, "--track-ms")) {
			if (parse_num(a, v, &o.track_ms) != 0)
				return EXIT_USAGE;
			if (!(o.track_ms > 0 && o.track_ms <= MAX_TRACK_MS)) {
				fprintf(stderr, "audiocmp: --track-ms must be above 0 and at most %.0f.\n", MAX_TRACK_MS);
				return EXIT_USAGE;
			}
			i++;
		} else {
			fprintf(stderr, "audiocmp: unknown argument \"%s\". Run audiocmp --help for the "
				"options.\n", a);
			return EXIT_USAGE;
		}
	}
	if (!o.ref || !o.test) {
		fprintf(stderr, "audiocmp: give both --ref REF.wav and --test TEST.wav "
			"(audiocmp --help explains).\n");
		return EXIT_USAGE;
	}
	return cmd_compare(&o);
}
