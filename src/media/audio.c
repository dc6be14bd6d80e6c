/* audio: the backend choice, and the clock backend (no device). audio_pulse.c has PulseAudio. */
#include "media/audio.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "media/audio_impl.h"

#define ECHO_TAPS 32
#define ECHO_HIST 65536 /* played samples kept for the echo path: 1.36 s, a power of two */

struct clock_dev {
	struct pl_audio base;
	pthread_t thread;
	bool started;
	atomic_bool stop;
	int16_t *cap, *play;
	/* the echo path */
	int16_t *hist;
	uint64_t played; /* samples played so far (index into hist) */
	uint64_t captured;
	unsigned taps;
	uint32_t tap_delay[ECHO_TAPS];
	float tap_gain[ECHO_TAPS];
};

uint64_t pl_audio_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s;
}

/* A sparse decaying impulse response: the direct echo at delay_ms, then reflections spread over
 * tail_ms whose gains fall 60 dB over the tail, with random signs. */
static void echo_design(struct clock_dev *c, const struct pl_echo_sim *e)
{
	uint32_t seed = e->seed ? e->seed : 1;
	double g0 = pow(10.0, e->gain_db / 20.0);
	c->taps = ECHO_TAPS;
	for (unsigned i = 0; i < ECHO_TAPS; i++) {
		double at = i == 0 ? 0.0 : (double)e->tail_ms * ((double)(lcg(&seed) >> 8) / (1 << 24));
		double g = g0 * pow(10.0, -3.0 * at / (e->tail_ms ? e->tail_ms : 1)) * (i == 0 ? 1.0 : 0.5);
		if (i && (lcg(&seed) >> 31))
			g = -g;
		c->tap_delay[i] = (uint32_t)((e->delay_ms + at) * 48.0);
		c->tap_gain[i] = (float)g;
	}
}

static void echo_add(struct clock_dev *c, int16_t *pcm, size_t n)
{
	for (size_t j = 0; j < n; j++) {
		uint64_t t = c->captured + j;
		float acc = pcm[j];
		for (unsigned i = 0; i < c->taps; i++) {
			uint64_t d = c->tap_delay[i];
			if (t >= d && t - d < c->played && c->played - (t - d) <= ECHO_HIST)
				acc += c->tap_gain[i] * c->hist[(t - d) & (ECHO_HIST - 1)];
		}
		pcm[j] = (int16_t)(acc > 32767 ? 32767 : acc < -32768 ? -32768 : acc);
	}
}

static void *clock_main(void *arg)
{
	struct clock_dev *c = arg;
	struct pl_audio *a = &c->base;
	unsigned chunk = a->o.chunk, frame = a->o.frame;
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	uint64_t chunks = 0, per_frame = frame / chunk;
	while (!atomic_load(&c->stop)) {
		/* Playback runs one chunk ahead of time, as a device's buffer does. */
		a->cb.playback(c->play, chunk, pl_audio_now_us(), a->cb.arg);
		if (c->hist) {
			for (unsigned i = 0; i < chunk; i++)
				c->hist[(c->played + i) & (ECHO_HIST - 1)] = c->play[i];
			c->played += chunk;
		}
		chunks++;
		next.tv_nsec += (long)chunk * 1000000000L / 48000;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		if (chunks % per_frame == 0) {
			memset(c->cap, 0, frame * sizeof *c->cap);
			if (c->hist)
				echo_add(c, c->cap, frame);
			c->captured += frame;
			a->cb.capture(c->cap, frame, pl_audio_now_us(), a->cb.arg);
		}
	}
	return NULL;
}

static void clock_close(struct pl_audio *a)
{
	struct clock_dev *c = (struct clock_dev *)a;
	if (c->started) {
		atomic_store(&c->stop, true);
		pthread_join(c->thread, NULL);
	}
	free(c->cap);
	free(c->play);
	free(c->hist);
	free(c);
}

static int clock_open(struct pl_audio **ap, const struct pl_audio_opts *o, const struct pl_audio_cb *cb, char *err,
		      size_t errsz)
{
	struct clock_dev *c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->base.o = *o;
	c->base.cb = *cb;
	c->base.close = clock_close;
	snprintf(c->base.backend, sizeof c->base.backend, "none");
	atomic_init(&c->stop, false);
	c->cap = calloc(o->frame, sizeof *c->cap);
	c->play = calloc(o->chunk, sizeof *c->play);
	if (o->echo.on)
		c->hist = calloc(ECHO_HIST, sizeof *c->hist);
	if (!c->cap || !c->play || (o->echo.on && !c->hist)) {
		clock_close(&c->base);
		return -ENOMEM;
	}
	if (o->echo.on)
		echo_design(c, &o->echo);
	if (pthread_create(&c->thread, NULL, clock_main, c) != 0) {
		snprintf(err, errsz, "Cannot start the audio thread.");
		clock_close(&c->base);
		return -EAGAIN;
	}
	pthread_setname_np(c->thread, "pl-audio");
	c->started = true;
	*ap = &c->base;
	return 0;
}

static bool given(const char *s)
{
	return s && *s;
}

int pl_audio_open(struct pl_audio **ap, const struct pl_audio_opts *o, const struct pl_audio_cb *cb, char *err,
		  size_t errsz)
{
	if (o->frame == 0 || o->chunk == 0 || o->frame % o->chunk)
		return -EINVAL;
	if (given(o->input) || given(o->output))
		return pl_audio_pulse_open(ap, o, cb, err, errsz);
	return clock_open(ap, o, cb, err, errsz);
}

void pl_audio_close(struct pl_audio *a)
{
	if (a)
		a->close(a);
}

void pl_audio_latency(const struct pl_audio *a, uint32_t *in_us, uint32_t *out_us)
{
	*in_us = atomic_load(&a->in_us);
	*out_us = atomic_load(&a->out_us);
}

const char *pl_audio_backend(const struct pl_audio *a)
{
	return a->backend;
}

void pl_audio_devices(const struct pl_audio *a, char *in, size_t insz, char *out, size_t outsz)
{
	snprintf(in, insz, "%s", a->in_name);
	snprintf(out, outsz, "%s", a->out_name);
}
