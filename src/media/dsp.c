#include "media/dsp.h"

#include <errno.h>
#include <math.h>
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000

struct pl_dsp {
	struct pl_dsp_opts o;
	SpeexEchoState *echo;
	SpeexPreprocessState *pre;
	unsigned hang_frames, hang_left;
	int16_t *tmp, *zero;
};

void pl_dsp_opts_default(struct pl_dsp_opts *o, unsigned frame)
{
	memset(o, 0, sizeof *o);
	o->frame = frame;
	o->tail_ms = 250;
	o->aec = o->ns = o->agc = true;
	o->ns_db = -25;
	o->agc_level = 8000;
	o->vad_db = -45;
	o->hang_ms = 400;
}

float pl_dsp_level_db(const int16_t *pcm, size_t n)
{
	double e = 0;
	for (size_t i = 0; i < n; i++)
		e += (double)pcm[i] * pcm[i];
	if (n == 0 || e <= 0)
		return -100.0f;
	double db = 10.0 * log10(e / (double)n / (32768.0 * 32768.0));
	return db < -100 ? -100.0f : (float)db;
}

static void configure(struct pl_dsp *d)
{
	int on = 1, off = 0;
	spx_int32_t v;
	speex_preprocess_ctl(d->pre, SPEEX_PREPROCESS_SET_DENOISE, d->o.ns ? &on : &off);
	v = d->o.ns_db;
	speex_preprocess_ctl(d->pre, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &v);
	speex_preprocess_ctl(d->pre, SPEEX_PREPROCESS_SET_AGC, d->o.agc ? &on : &off);
	float lvl = (float)d->o.agc_level;
	speex_preprocess_ctl(d->pre, SPEEX_PREPROCESS_SET_AGC_LEVEL, &lvl);
	/* Residual echo suppression: the canceller's estimate of what it left in. */
	speex_preprocess_ctl(d->pre, SPEEX_PREPROCESS_SET_ECHO_STATE, d->o.aec ? d->echo : NULL);
	v = -45;
	speex_preprocess_ctl(d->pre, SPEEX_PREPROCESS_SET_ECHO_SUPPRESS, &v);
	v = -15;
	speex_preprocess_ctl(d->pre, SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE, &v);
}

int pl_dsp_alloc(struct pl_dsp **dp, const struct pl_dsp_opts *o)
{
	if (o->frame == 0 || o->frame > 2880 || o->tail_ms < 50 || o->tail_ms > 1000)
		return -EINVAL;
	struct pl_dsp *d = calloc(1, sizeof *d);
	if (!d)
		return -ENOMEM;
	d->o = *o;
	int rate = RATE;
	d->echo = speex_echo_state_init((int)o->frame, (int)(o->tail_ms * (RATE / 1000)));
	d->pre = speex_preprocess_state_init((int)o->frame, RATE);
	d->tmp = calloc(o->frame, sizeof *d->tmp);
	d->zero = calloc(o->frame, sizeof *d->zero);
	if (!d->echo || !d->pre || !d->tmp || !d->zero) {
		pl_dsp_free(d);
		return -ENOMEM;
	}
	speex_echo_ctl(d->echo, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
	configure(d);
	d->hang_frames = o->hang_ms * (RATE / 1000) / o->frame;
	*dp = d;
	return 0;
}

void pl_dsp_free(struct pl_dsp *d)
{
	if (!d)
		return;
	if (d->echo)
		speex_echo_state_destroy(d->echo);
	if (d->pre)
		speex_preprocess_state_destroy(d->pre);
	free(d->tmp);
	free(d->zero);
	free(d);
}

void pl_dsp_enable(struct pl_dsp *d, bool aec, bool ns, bool agc)
{
	if (d->o.aec == aec && d->o.ns == ns && d->o.agc == agc)
		return;
	d->o.aec = aec;
	d->o.ns = ns;
	d->o.agc = agc;
	configure(d);
}

void pl_dsp_set_vad_db(struct pl_dsp *d, int vad_db)
{
	d->o.vad_db = vad_db;
}

void pl_dsp_process(struct pl_dsp *d, const int16_t *in, const int16_t *ref, int16_t *out, struct pl_dsp_result *r)
{
	unsigned n = d->o.frame;
	r->in_db = pl_dsp_level_db(in, n);
	const int16_t *x = in;
	if (d->o.aec) {
		speex_echo_cancellation(d->echo, in, ref ? ref : d->zero, d->tmp);
		x = d->tmp;
	}
	if (x != out)
		memcpy(out, x, n * sizeof *out);
	if (d->o.ns || d->o.agc || d->o.aec)
		speex_preprocess_run(d->pre, out);
	r->level_db = pl_dsp_level_db(out, n);
	if (r->level_db >= (float)d->o.vad_db)
		d->hang_left = d->hang_frames + 1;
	if (d->hang_left)
		d->hang_left--;
	r->voice = d->hang_left > 0;
}
