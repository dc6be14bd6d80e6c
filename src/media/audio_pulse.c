/*
 * audio_pulse: the PulseAudio backend of media/audio.h (PipeWire's pulse server answers the same
 * protocol). Its audio thread is libpulse's threaded main loop: the read and write callbacks of the
 * two streams call the engine. Capture is read in 5 ms fragments and handed on in whole frames;
 * playback is asked for in chunks (minreq) against a short device buffer (tlength, grown after an
 * underrun), so what plays is decided as late as possible.
 * With only one of the two devices, the other's pace drives the missing side (capture of silence,
 * or playback that goes nowhere), so the engine's clock always runs.
 */
#include <errno.h>
#include <pulse/pulseaudio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "media/audio.h"
#include "media/audio_impl.h"

struct pulse_dev {
	struct pl_audio base;
	pa_threaded_mainloop *ml;
	pa_context *ctx;
	pa_stream *rec, *play;
	bool failed;
	int16_t *cap;   /* a capture frame being filled */
	size_t ncap;
	int16_t *scratch; /* playback for nowhere, or silence for capture */
	unsigned out_ms;  /* the speaker's buffer now: o->out_ms, grown after underruns */
};

/* The speaker's buffer starts as short as asked (the delay is the point) and grows by OUT_STEP_MS
 * each time the sound server ran out of sound to play, up to OUT_MAX_MS: a busy machine pays with
 * delay rather than with clicks, and a quiet one keeps the short buffer. */
#define OUT_STEP_MS 10
#define OUT_MAX_MS 80

static void fail_once(struct pulse_dev *p, int err)
{
	if (p->failed)
		return;
	p->failed = true;
	if (p->base.cb.failed)
		p->base.cb.failed(err, p->base.cb.arg);
}

static void ctx_state(pa_context *c, void *arg)
{
	struct pulse_dev *p = arg;
	pa_context_state_t s = pa_context_get_state(c);
	if (s == PA_CONTEXT_FAILED || s == PA_CONTEXT_TERMINATED)
		fail_once(p, -EPIPE);
	pa_threaded_mainloop_signal(p->ml, 0);
}

static void stream_state(pa_stream *s, void *arg)
{
	struct pulse_dev *p = arg;
	pa_stream_state_t st = pa_stream_get_state(s);
	if (st == PA_STREAM_FAILED || st == PA_STREAM_TERMINATED)
		fail_once(p, -ENODEV);
	pa_threaded_mainloop_signal(p->ml, 0);
}

static void measure(struct pulse_dev *p)
{
	pa_usec_t us;
	int neg;
	if (p->rec && pa_stream_get_latency(p->rec, &us, &neg) == 0)
		atomic_store(&p->base.in_us, neg ? 0 : (uint32_t)(us > UINT32_MAX ? UINT32_MAX : us));
	if (p->play && pa_stream_get_latency(p->play, &us, &neg) == 0)
		atomic_store(&p->base.out_us, neg ? 0 : (uint32_t)(us > UINT32_MAX ? UINT32_MAX : us));
}

/* A whole frame captured: to the engine; without a speaker, playback is pulled here too. */
static void frame_done(struct pulse_dev *p)
{
	uint64_t now = pl_audio_now_us();
	p->base.cb.capture(p->cap, p->base.o.frame, now, p->base.cb.arg);
	if (!p->play)
		p->base.cb.playback(p->scratch, p->base.o.frame, now, p->base.cb.arg);
	p->ncap = 0;
}

static void on_read(pa_stream *s, size_t nbytes, void *arg)
{
	struct pulse_dev *p = arg;
	measure(p);
	while (pa_stream_readable_size(s) > 0) {
		const void *data;
		size_t len;
		if (pa_stream_peek(s, &data, &len) < 0) {
			fail_once(p, -EIO);
			return;
		}
		if (len == 0)
			break;
		size_t n = len / 2, off = 0;
		while (off < n) {
			size_t k = p->base.o.frame - p->ncap;
			if (k > n - off)
				k = n - off;
			if (data)
				memcpy(p->cap + p->ncap, (const int16_t *)data + off, k * 2);
			else /* a hole in the stream: silence */
				memset(p->cap + p->ncap, 0, k * 2);
			p->ncap += k;
			off += k;
			if (p->ncap == p->base.o.frame)
				frame_done(p);
		}
		pa_stream_drop(s);
	}
}

static void on_underflow(pa_stream *s, void *arg)
{
	struct pulse_dev *p = arg;
	if (p->out_ms >= OUT_MAX_MS)
		return;
	p->out_ms += OUT_STEP_MS;
	const pa_buffer_attr *cur = pa_stream_get_buffer_attr(s);
	if (!cur)
		return;
	pa_buffer_attr ba = *cur;
	ba.tlength = (uint32_t)(p->out_ms * 48 * 2);
	pa_operation *op = pa_stream_set_buffer_attr(s, &ba, NULL, NULL);
	if (op)
		pa_operation_unref(op);
}

static void on_write(pa_stream *s, size_t nbytes, void *arg)
{
	struct pulse_dev *p = arg;
	measure(p);
	while (nbytes >= 2) {
		void *buf;
		size_t len = nbytes;
		size_t cb = (size_t)p->base.o.chunk * 2;
		if (len > cb)
			len = cb;
		if (pa_stream_begin_write(s, &buf, &len) < 0 || len < 2) {
			fail_once(p, -EIO);
			return;
		}
		len &= ~(size_t)1;
		if (len > cb)
			len = cb;
		size_t n = len / 2;
		uint64_t now = pl_audio_now_us();
		p->base.cb.playback(buf, n, now, p->base.cb.arg);
		if (!p->rec) { /* without a microphone, capture silence at the speaker's pace */
			p->ncap += n;
			while (p->ncap >= p->base.o.frame) {
				memset(p->cap, 0, p->base.o.frame * 2);
				p->base.cb.capture(p->cap, p->base.o.frame, now, p->base.cb.arg);
				p->ncap -= p->base.o.frame;
			}
		}
		if (pa_stream_write(s, buf, len, NULL, 0, PA_SEEK_RELATIVE) < 0) {
			fail_once(p, -EIO);
			return;
		}
		nbytes -= len;
	}
}

static void pulse_close(struct pl_audio *a)
{
	struct pulse_dev *p = (struct pulse_dev *)a;
	if (p->ml) {
		pa_threaded_mainloop_lock(p->ml);
		p->failed = true; /* no failure reports for our own closing */
		if (p->rec) {
			pa_stream_set_read_callback(p->rec, NULL, NULL);
			pa_stream_disconnect(p->rec);
			pa_stream_unref(p->rec);
		}
		if (p->play) {
			pa_stream_set_write_callback(p->play, NULL, NULL);
			pa_stream_set_underflow_callback(p->play, NULL, NULL);
			pa_stream_disconnect(p->play);
			pa_stream_unref(p->play);
		}
		if (p->ctx) {
			pa_context_disconnect(p->ctx);
			pa_context_unref(p->ctx);
		}
		pa_threaded_mainloop_unlock(p->ml);
		pa_threaded_mainloop_stop(p->ml);
		pa_threaded_mainloop_free(p->ml);
	}
	free(p->cap);
	free(p->scratch);
	free(p);
}

static const char *dev_or_null(const char *name)
{
	return !name || !*name || !strcmp(name, "default") ? NULL : name;
}

static int wait_ready(struct pulse_dev *p, pa_stream *s)
{
	for (;;) {
		pa_stream_state_t st = pa_stream_get_state(s);
		if (st == PA_STREAM_READY)
			return 0;
		if (st == PA_STREAM_FAILED || st == PA_STREAM_TERMINATED)
			return -ENODEV;
		pa_threaded_mainloop_wait(p->ml);
	}
}

static pa_stream *new_stream(struct pulse_dev *p, bool rec, char *err, size_t errsz)
{
	const struct pl_audio_opts *o = &p->base.o;
	pa_sample_spec ss = {PA_SAMPLE_S16LE, 48000, 1};
	pa_stream *s = pa_stream_new(p->ctx, rec ? "microphone" : "speaker", &ss, NULL);
	if (!s) {
		snprintf(err, errsz, "The sound server refused a new stream: %s.", pa_strerror(pa_context_errno(p->ctx)));
		return NULL;
	}
	pa_stream_set_state_callback(s, stream_state, p);
	pa_buffer_attr ba;
	memset(&ba, 0xff, sizeof ba); /* (uint32_t)-1: the server's choice */
	pa_stream_flags_t fl = PA_STREAM_ADJUST_LATENCY | PA_STREAM_AUTO_TIMING_UPDATE | PA_STREAM_INTERPOLATE_TIMING;
	const char *dev = dev_or_null(rec ? o->input : o->output);
	int rc;
	if (rec) {
		/* Small fragments (5 ms), assembled into frames here: asked for a whole frame at a
		 * time, the sound server delivered 20 ms frames in bursts, which the far end's jitter
		 * buffer measured as 18 ms of jitter on a clean loopback (0.7 ms now). */
		ba.fragsize = o->chunk * 2;
		pa_stream_set_read_callback(s, on_read, p);
		rc = pa_stream_connect_record(s, dev, &ba, fl);
	} else {
		ba.tlength = (uint32_t)(o->out_ms * 48 * 2);
		ba.minreq = o->chunk * 2;
		ba.prebuf = o->chunk * 2;
		pa_stream_set_write_callback(s, on_write, p);
		pa_stream_set_underflow_callback(s, on_underflow, p);
		p->out_ms = o->out_ms;
		rc = pa_stream_connect_playback(s, dev, &ba, fl, NULL, NULL);
	}
	if (rc < 0 || wait_ready(p, s) < 0) {
		int e = pa_context_errno(p->ctx);
		snprintf(err, errsz, "Cannot open the %s %s%s%s: %s. /devices sound lists the devices the sound server has.",
			 rec ? "microphone" : "speaker", dev ? "\"" : "", dev ? dev : "(the default device)", dev ? "\"" : "",
			 e == PA_ERR_NOENTITY ? "there is no such device" : pa_strerror(e));
		pa_stream_set_state_callback(s, NULL, NULL);
		pa_stream_set_read_callback(s, NULL, NULL);
		pa_stream_set_write_callback(s, NULL, NULL);
		pa_stream_set_underflow_callback(s, NULL, NULL);
		pa_stream_disconnect(s);
		pa_stream_unref(s);
		return NULL;
	}
	const char *name = pa_stream_get_device_name(s);
	snprintf(rec ? p->base.in_name : p->base.out_name, sizeof p->base.in_name, "%s", name ? name : "?");
	return s;
}

static int connect_ctx(pa_context *ctx, pa_threaded_mainloop *ml, char *err, size_t errsz)
{
	if (pa_context_connect(ctx, NULL, PA_CONTEXT_NOAUTOSPAWN, NULL) < 0)
		goto fail;
	for (;;) {
		pa_context_state_t s = pa_context_get_state(ctx);
		if (s == PA_CONTEXT_READY)
			return 0;
		if (!PA_CONTEXT_IS_GOOD(s))
			goto fail;
		pa_threaded_mainloop_wait(ml);
	}
fail:
	snprintf(err, errsz, "No sound server answers (PulseAudio or PipeWire: %s), so there is no microphone or "
		 "speaker; voice works without them. Start the sound server, or talk and listen through WAV files "
		 "(/voice FILE.wav, /record FILE.wav).", pa_strerror(pa_context_errno(ctx)));
	return -ENOENT;
}

int pl_audio_pulse_open(struct pl_audio **ap, const struct pl_audio_opts *o, const struct pl_audio_cb *cb, char *err,
			size_t errsz)
{
	struct pulse_dev *p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	p->base.o = *o;
	p->base.cb = *cb;
	p->base.close = pulse_close;
	snprintf(p->base.backend, sizeof p->base.backend, "pulse");
	p->cap = calloc(o->frame, sizeof *p->cap);
	p->scratch = calloc(o->frame > o->chunk ? o->frame : o->chunk, sizeof *p->scratch);
	p->ml = pa_threaded_mainloop_new();
	if (!p->cap || !p->scratch || !p->ml) {
		pulse_close(&p->base);
		return -ENOMEM;
	}
	p->ctx = pa_context_new(pa_threaded_mainloop_get_api(p->ml), o->app_name ? o->app_name : "parley");
	if (!p->ctx) {
		pulse_close(&p->base);
		return -ENOMEM;
	}
	pa_context_set_state_callback(p->ctx, ctx_state, p);
	int rc = 0;
	pa_threaded_mainloop_lock(p->ml);
	p->failed = true; /* failures while opening are errors returned, not reports */
	if (pa_threaded_mainloop_start(p->ml) < 0) {
		snprintf(err, errsz, "Cannot start the sound thread.");
		rc = -EAGAIN;
	} else {
		pa_threaded_mainloop_set_name(p->ml, "pl-audio");
		rc = connect_ctx(p->ctx, p->ml, err, errsz);
	}
	bool in = o->input && *o->input, out = o->output && *o->output;
	if (rc == 0 && in && !(p->rec = new_stream(p, true, err, errsz)))
		rc = -ENODEV;
	if (rc == 0 && out && !(p->play = new_stream(p, false, err, errsz)))
		rc = -ENODEV;
	if (rc == 0)
		p->failed = false;
	pa_threaded_mainloop_unlock(p->ml);
	if (rc < 0) {
		pulse_close(&p->base);
		return rc;
	}
	*ap = &p->base;
	return 0;
}

/* --- listing --- */

struct listing {
	struct pl_audio_dev *out;
	size_t cap, n;
	int pending;
	char def_sink[128], def_source[128];
};

static void add_dev(struct listing *l, bool input, const char *name, const char *desc)
{
	if (l->n >= l->cap)
		return;
	struct pl_audio_dev *d = &l->out[l->n++];
	d->input = input;
	snprintf(d->name, sizeof d->name, "%s", name ? name : "");
	snprintf(d->desc, sizeof d->desc, "%s", desc ? desc : "");
	d->is_default = !strcmp(d->name, input ? l->def_source : l->def_sink);
}

static void on_sink(pa_context *c, const pa_sink_info *i, int eol, void *arg)
{
	struct listing *l = arg;
	if (eol)
		l->pending--;
	else
		add_dev(l, false, i->name, i->description);
}

static void on_source(pa_context *c, const pa_source_info *i, int eol, void *arg)
{
	struct listing *l = arg;
	if (eol)
		l->pending--;
	else
		add_dev(l, true, i->name, i->description);
}

static void on_server(pa_context *c, const pa_server_info *i, void *arg)
{
	struct listing *l = arg;
	snprintf(l->def_sink, sizeof l->def_sink, "%s", i && i->default_sink_name ? i->default_sink_name : "");
	snprintf(l->def_source, sizeof l->def_source, "%s", i && i->default_source_name ? i->default_source_name : "");
	l->pending--;
	pa_operation *o1 = pa_context_get_sink_info_list(c, on_sink, l);
	pa_operation *o2 = pa_context_get_source_info_list(c, on_source, l);
	l->pending += (o1 != NULL) + (o2 != NULL);
	if (o1)
		pa_operation_unref(o1);
	if (o2)
		pa_operation_unref(o2);
}

int pl_audio_list(struct pl_audio_dev *out, size_t cap, char *err, size_t errsz)
{
	pa_mainloop *ml = pa_mainloop_new();
	if (!ml)
		return -ENOMEM;
	pa_context *ctx = pa_context_new(pa_mainloop_get_api(ml), "parley");
	struct listing l = {out, cap, 0, 0, "", ""};
	int rc = -ETIMEDOUT;
	if (!ctx || pa_context_connect(ctx, NULL, PA_CONTEXT_NOAUTOSPAWN, NULL) < 0) {
		rc = -ENOENT;
		goto out;
	}
	bool asked = false;
	for (int ms = 0; ms < 2000; ms++) {
		while (pa_mainloop_iterate(ml, 0, NULL) > 0)
			;
		pa_context_state_t s = pa_context_get_state(ctx);
		if (!PA_CONTEXT_IS_GOOD(s)) {
			rc = -ENOENT;
			break;
		}
		if (s == PA_CONTEXT_READY && !asked) {
			asked = true;
			l.pending = 1;
			pa_operation *o = pa_context_get_server_info(ctx, on_server, &l);
			if (o)
				pa_operation_unref(o);
			else
				break;
		}
		if (asked && l.pending == 0) {
			rc = (int)l.n;
			break;
		}
		usleep(1000);
	}
out:
	if (rc == -ENOENT)
		snprintf(err, errsz, "No sound server answers (PulseAudio or PipeWire), so there are no sound devices "
			 "to list; voice works through WAV files without one.");
	else if (rc == -ETIMEDOUT)
		snprintf(err, errsz, "The sound server did not answer within two seconds; try /devices sound again.");
	if (ctx) {
		pa_context_disconnect(ctx);
		pa_context_unref(ctx);
	}
	pa_mainloop_free(ml);
	return rc;
}
