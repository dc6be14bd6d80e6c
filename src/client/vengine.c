#include "client/vengine.h"

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "client/vtalker.h"
#include "media/dsp.h"
#include "media/mcodec.h"

#define RX_ITEMS 256
#define TX_ITEMS 128
#define CMD_ITEMS 64
#define EV_ITEMS 64
#define REC_ITEMS 2048      /* 2048 x 256 samples: 10 s of playout */
#define REF_MAX 16384       /* the echo canceller's reference FIFO, a power of two */
#define MIX_MAX 2880
#define SNAPSHOT_US 100000
#define REPORT_US 1000000
#define TALKER_IDLE_US 10000000
#define REPORT_MEMORY_US 5000000
#define SENT_AT 128          /* send times remembered for round trips, a power of two */
/* Redundancy: on at this loss (%), two copies at the second, off again below the third. */
#define RED_ON 5.0
#define RED_TWO 15.0
#define RED_OFF 2.0
#define LOSS_PCT_MAX 30
/* The in-band FEC budget never goes below parley's codec default (media/codec.h's 10%): a first
 * loss is covered before any report says so, and a clean stream encodes as the reference does. */
#define LOSS_PCT_MIN 10

struct reporter {
	uint64_t id;
	double loss;  /* % */
	uint64_t at;
};

struct sent_rec {
	uint32_t ts;
	uint64_t at;
};

struct pl_vengine {
	struct pl_vengine_config c;
	struct pl_spsc rx, tx, cmd, ev, rec;
	int wakefd;
	struct pl_ve_codecs *codecs;
	struct pl_ve_codecs *to_free[4]; /* waiting for room in the ev ring */
	struct pl_ve_rx rxi;
	struct pl_dsp *dsp;
	struct pl_vtalker talkers[PL_VOICE_TALKERS];
	_Atomic uint32_t dev_in_us, dev_out_us;

	/* controls */
	bool muted, deafened, ptt, recording, aec, ns, agc;
	uint8_t mode;

	/* a file talking */
	const int16_t *file;
	size_t file_n, file_pos;
	uint64_t file_frames;

	/* sending */
	uint16_t seq;
	uint32_t ts_next;
	bool in_spurt;       /* the last packet sent was audio, not END */
	uint8_t hist[PL_VFRAME_RED_MAX][PL_VFRAME_MAX_MEDIA];
	size_t hist_len[PL_VFRAME_RED_MAX];
	uint16_t hist_seq[PL_VFRAME_RED_MAX];
	uint32_t hist_ts[PL_VFRAME_RED_MAX];
	unsigned nhist;      /* newest at [0] */
	unsigned red, expected_loss, bitrate;
	struct pl_ve_tx item;
	uint8_t media[PL_VFRAME_MAX_MEDIA];

	/* what receivers say of us */
	struct reporter reporters[PL_VOICE_TALKERS];
	struct sent_rec sent_at[SENT_AT];
	unsigned sent_i;
	double rtt_ms;
	uint64_t last_report_us;

	/* the device's pace: how far ahead of real time it asks for samples, and the range of that */
	uint64_t play_t0, play_samples, play_last;
	double lead_hi, lead_lo, lead_avg;

	/* the echo canceller's reference: what was played, in order */
	int16_t ref[REF_MAX];
	size_t ref_head, ref_n;

	int16_t cap[MIX_MAX], refbuf[MIX_MAX], proc[MIX_MAX], out16[MIX_MAX];
	int32_t mix[MIX_MAX];

	/* statistics */
	struct pl_voice_stats st;
	struct pl_dsp_result dsp_r;
	uint64_t last_snap_us, window_us, tx_bytes, busy_ns, enc_ns, enc_n;
	uint64_t jb_delay_sum, jb_delay_n;
	double fifo_ms_sum;
	uint64_t fifo_n;
	uint64_t retired[11];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --- lifetime --- */

int pl_ve_codecs_alloc(struct pl_ve_codecs **cp, const struct pl_media_format *f, const struct pl_vengine_config *c)
{
	struct pl_ve_codecs *k = calloc(1, sizeof *k);
	if (!k)
		return -ENOMEM;
	k->fmt = *f;
	struct pl_enc_opts eo;
	pl_enc_opts_default(&eo);
	eo.bitrate = (int)c->bitrate;
	eo.dtx = c->dtx;
	eo.fec = !c->plc_only;
	eo.loss_pct = c->plc_only ? 0 : LOSS_PCT_MIN;
	int rc = pl_mtx_alloc(&k->tx, f, &eo);
	for (int i = 0; rc == 0 && i < PL_VOICE_TALKERS; i++)
		rc = pl_mrx_alloc(&k->rx[i], f);
	if (rc < 0) {
		pl_ve_codecs_free(k);
		return rc;
	}
	*cp = k;
	return 0;
}

void pl_ve_codecs_free(struct pl_ve_codecs *k)
{
	if (!k)
		return;
	pl_mtx_free(k->tx);
	for (int i = 0; i < PL_VOICE_TALKERS; i++)
		pl_mrx_free(k->rx[i]);
	free(k);
}

int pl_vengine_alloc(struct pl_vengine **ep, const struct pl_vengine_config *c, struct pl_ve_codecs *codecs)
{
	if (c->frame == 0 || c->frame > MIX_MAX)
		return -EINVAL;
	struct pl_vengine *e = calloc(1, sizeof *e);
	if (!e)
		return -ENOMEM;
	e->c = *c;
	e->wakefd = -1;
	int rc = -ENOMEM;
	if (pl_spsc_init(&e->rx, RX_ITEMS, sizeof(struct pl_ve_rx)) < 0 ||
	    pl_spsc_init(&e->tx, TX_ITEMS, sizeof(struct pl_ve_tx)) < 0 ||
	    pl_spsc_init(&e->cmd, CMD_ITEMS, sizeof(struct pl_ve_cmd)) < 0 ||
	    pl_spsc_init(&e->ev, EV_ITEMS, sizeof(struct pl_ve_ev)) < 0 ||
	    pl_spsc_init(&e->rec, REC_ITEMS, sizeof(struct pl_ve_rec)) < 0)
		goto fail;
	e->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (e->wakefd < 0) {
		rc = -errno;
		goto fail;
	}
	struct pl_dsp_opts d;
	pl_dsp_opts_default(&d, c->frame);
	d.aec = c->aec;
	d.ns = c->ns;
	d.agc = c->agc;
	d.vad_db = c->vad_db;
	if ((rc = pl_dsp_alloc(&e->dsp, &d)) < 0)
		goto fail;
	uint32_t frame_us = (uint32_t)((uint64_t)codecs->fmt.chunk * 1000000 / codecs->fmt.rate);
	for (int i = 0; i < PL_VOICE_TALKERS; i++)
		if ((rc = pl_vtalker_alloc(&e->talkers[i], frame_us, c->jitter_fixed_ms * 1000, c->plc_only)) < 0)
			goto fail;
	e->codecs = codecs;
	for (int i = 0; i < PL_VOICE_TALKERS; i++)
		e->talkers[i].rx = codecs->rx[i];
	e->mode = c->mode;
	e->aec = c->aec;
	e->ns = c->ns;
	e->agc = c->agc;
	e->bitrate = c->bitrate;
	e->expected_loss = c->plc_only ? 0 : LOSS_PCT_MIN;
	e->rtt_ms = -1;
	atomic_init(&e->dev_in_us, 0);
	atomic_init(&e->dev_out_us, 0);
	*ep = e;
	return 0;
fail:
	e->codecs = NULL; /* the caller still owns them on failure */
	pl_vengine_free(e);
	return rc;
}

void pl_vengine_free(struct pl_vengine *e)
{
	if (!e)
		return;
	struct pl_ve_ev ev;
	while (e->ev.slots && pl_spsc_pop(&e->ev, &ev))
		if (ev.kind == PL_VE_FREE)
			pl_ve_codecs_free(ev.p);
	pl_spsc_destroy(&e->rx);
	pl_spsc_destroy(&e->tx);
	pl_spsc_destroy(&e->cmd);
	pl_spsc_destroy(&e->ev);
	pl_spsc_destroy(&e->rec);
	if (e->wakefd >= 0)
		close(e->wakefd);
	pl_dsp_free(e->dsp);
	for (int i = 0; i < PL_VOICE_TALKERS; i++)
		pl_vtalker_free(&e->talkers[i]);
	pl_ve_codecs_free(e->codecs);
	for (int i = 0; i < 4; i++)
		pl_ve_codecs_free(e->to_free[i]);
	free(e);
}

struct pl_spsc *pl_vengine_rx(struct pl_vengine *e) { return &e->rx; }
struct pl_spsc *pl_vengine_tx(struct pl_vengine *e) { return &e->tx; }
struct pl_spsc *pl_vengine_cmd(struct pl_vengine *e) { return &e->cmd; }
struct pl_spsc *pl_vengine_ev(struct pl_vengine *e) { return &e->ev; }
struct pl_spsc *pl_vengine_rec(struct pl_vengine *e) { return &e->rec; }
int pl_vengine_wakefd(const struct pl_vengine *e) { return e->wakefd; }

void pl_vengine_set_device_latency(struct pl_vengine *e, uint32_t in_us, uint32_t out_us)
{
	atomic_store(&e->dev_in_us, in_us);
	atomic_store(&e->dev_out_us, out_us);
}

void pl_vengine_set_mic(struct pl_vengine *e, bool mic)
{
	e->c.mic = mic;
}

static void post(struct pl_vengine *e, const struct pl_ve_ev *ev)
{
	pl_spsc_push(&e->ev, ev); /* a full ring drops a snapshot; the loop drains it every 20 ms */
}

/* --- commands --- */

static void retire_talker(struct pl_vengine *e, struct pl_vtalker *t)
{
	/* Its counts stay in the totals. */
	uint64_t *r = e->retired;
	r[0] += t->c.played, r[1] += t->c.lost, r[2] += t->c.fec, r[3] += t->c.red, r[4] += t->c.concealed;
	struct pl_ajb_stats js;
	pl_ajb_stats(t->jb, &js);
	r[5] += js.late, r[6] += js.dup, r[7] += js.shrunk, r[8] += js.stretched, r[9] += js.skipped_silent;
	r[10] += t->c.received;
	t->used = false;
}

static void swap_codecs(struct pl_vengine *e, struct pl_ve_codecs *k)
{
	struct pl_ve_codecs *old = e->codecs;
	e->codecs = k;
	for (int i = 0; i < PL_VOICE_TALKERS; i++) {
		struct pl_vtalker *t = &e->talkers[i];
		if (t->used)
			retire_talker(e, t);
		t->rx = k->rx[i];
		pl_ajb_set_frame(t->jb, (uint32_t)((uint64_t)k->fmt.chunk * 1000000 / k->fmt.rate));
	}
	e->nhist = 0;
	e->in_spurt = false;
	e->red = 0;
	e->expected_loss = e->c.plc_only ? 0 : LOSS_PCT_MIN;
	e->bitrate = e->c.bitrate;
	for (int i = 0; i < 4; i++)
		if (!e->to_free[i]) {
			e->to_free[i] = old;
			return;
		}
	e->to_free[0] = old; /* four format changes unanswered: cannot happen, the loop drains every 20 ms */
}

static void drain_cmds(struct pl_vengine *e)
{
	struct pl_ve_cmd c;
	for (int i = 0; i < 4; i++)
		if (e->to_free[i]) {
			struct pl_ve_ev ev = {.kind = PL_VE_FREE, .p = e->to_free[i]};
			if (pl_spsc_push(&e->ev, &ev))
				e->to_free[i] = NULL;
		}
	while (pl_spsc_pop(&e->cmd, &c)) {
		switch (c.kind) {
		case PL_VE_MUTE: e->muted = c.a; break;
		case PL_VE_DEAFEN: e->deafened = c.a; break;
		case PL_VE_PTT: e->ptt = c.a; break;
		case PL_VE_MODE: e->mode = (uint8_t)c.a; break;
		case PL_VE_VAD_DB: pl_dsp_set_vad_db(e->dsp, c.a); break;
		case PL_VE_DSP:
			e->aec = c.a, e->ns = c.b, e->agc = c.c;
			pl_dsp_enable(e->dsp, c.a, c.b, c.c);
			break;
		case PL_VE_FILE:
			/* Each talk starts a fresh stream: the same file sent twice encodes the same. */
			pl_mtx_reset(e->codecs->tx);
			e->file = c.p;
			e->file_n = c.n;
			e->file_pos = 0;
			e->file_frames = 0;
			break;
		case PL_VE_FILE_STOP:
			if (e->file) {
				struct pl_ve_ev ev = {.kind = PL_VE_FILE_DONE, .n = e->file_frames, .p = (void *)e->file};
				post(e, &ev);
				e->file = NULL;
			}
			break;
		case PL_VE_RECORD: e->recording = c.a; break;
		case PL_VE_CODECS: swap_codecs(e, c.p); break;
		case PL_VE_FORGET:
			for (int i = 0; i < PL_VOICE_TALKERS; i++)
				if (e->talkers[i].used && e->talkers[i].id == c.id)
					retire_talker(e, &e->talkers[i]);
			break;
		}
	}
}

/* --- sending --- */

static void wake(struct pl_vengine *e)
{
	uint64_t one = 1;
	ssize_t w = write(e->wakefd, &one, sizeof one); /* non-blocking; a full counter is awake anyway */
	(void)w;
}

/* audio: counts in the bitrate shown (reports do not). */
static void push_tx(struct pl_vengine *e, bool audio)
{
	if (pl_spsc_push(&e->tx, &e->item)) {
		if (audio)
			e->tx_bytes += e->item.len;
		wake(e);
	} else {
		e->st.dropped++;
	}
}

static void send_audio(struct pl_vengine *e, const uint8_t *media, size_t len, uint8_t flags)
{
	struct pl_vframe_audio a = {.flags = flags, .data = media, .len = len};
	/* Redundant copies, oldest first: verbatim earlier packets, as WebRTC's audio RED. */
	for (unsigned k = e->red < e->nhist ? e->red : e->nhist; k > 0; k--) {
		unsigned i = k - 1;
		uint16_t sb = (uint16_t)(e->seq - e->hist_seq[i]);
		uint32_t tb = e->ts_next - e->hist_ts[i];
		if (sb == 0 || sb > 255 || tb > 65535 || !e->hist_len[i])
			continue;
		a.red[a.nred++] = (struct pl_vframe_red){(uint8_t)sb, (uint16_t)tb, e->hist[i], e->hist_len[i]};
	}
	int n = pl_vframe_audio_encode(e->item.data, sizeof e->item.data, &a);
	if (n < 0)
		return;
	e->item.seq = e->seq;
	e->item.ts = e->ts_next;
	e->item.len = (uint16_t)n;
	e->item.media_off = (uint16_t)(n - (int)len);
	e->item.media_len = (uint16_t)len;
	push_tx(e, true);
	e->sent_at[e->sent_i++ & (SENT_AT - 1)] = (struct sent_rec){e->ts_next, mono_ns() / 1000};
	if (len && !(flags & PL_VFRAME_END)) {
		for (unsigned i = PL_VFRAME_RED_MAX - 1; i > 0; i--) {
			memcpy(e->hist[i], e->hist[i - 1], e->hist_len[i - 1]);
			e->hist_len[i] = e->hist_len[i - 1];
			e->hist_seq[i] = e->hist_seq[i - 1];
			e->hist_ts[i] = e->hist_ts[i - 1];
		}
		memcpy(e->hist[0], media, len);
		e->hist_len[0] = len;
		e->hist_seq[0] = e->seq;
		e->hist_ts[0] = e->ts_next;
		if (e->nhist < PL_VFRAME_RED_MAX)
			e->nhist++;
		e->st.sent++;
	}
	e->seq++;
	e->in_spurt = !(flags & PL_VFRAME_END);
}

static void send_end(struct pl_vengine *e)
{
	if (e->in_spurt)
		send_audio(e, NULL, 0, PL_VFRAME_END);
	e->nhist = 0;
}

static bool want_tx(struct pl_vengine *e, bool voice)
{
	if (e->muted || e->deafened)
		return false;
	if (e->file)
		return true; /* a file sent is sent whole */
	return e->mode == PL_VOICE_CONTINUOUS || (e->mode == PL_VOICE_VAD && voice) || (e->mode == PL_VOICE_PTT && e->ptt);
}

static const int16_t *ref_pop(struct pl_vengine *e, size_t n)
{
	/* Far behind (capture stalled): keep only a frame, so the reference does not lag the echo. */
	while (e->ref_n > 4 * n + 1024) {
		e->ref_head = (e->ref_head + n) & (REF_MAX - 1);
		e->ref_n -= n;
	}
	if (e->ref_n < n)
		return NULL;
	for (size_t i = 0; i < n; i++)
		e->refbuf[i] = e->ref[(e->ref_head + i) & (REF_MAX - 1)];
	e->ref_head = (e->ref_head + n) & (REF_MAX - 1);
	e->ref_n -= n;
	return e->refbuf;
}

static void ref_push(struct pl_vengine *e, const int16_t *pcm, size_t n)
{
	for (size_t i = 0; i < n && e->ref_n < REF_MAX; i++, e->ref_n++)
		e->ref[(e->ref_head + e->ref_n) & (REF_MAX - 1)] = pcm[i];
}

void pl_vengine_capture(const int16_t *pcm, size_t n, uint64_t now, void *arg)
{
	struct pl_vengine *e = arg;
	uint64_t t0 = mono_ns();
	drain_cmds(e);
	if (n != e->c.frame)
		return; /* devices deliver whole frames (media/audio.h) */
	memcpy(e->cap, pcm, n * sizeof *pcm);
	if (e->file) {
		size_t k = e->file_n - e->file_pos < n ? e->file_n - e->file_pos : n;
		for (size_t i = 0; i < k; i++) {
			int32_t s = e->cap[i] + e->file[e->file_pos + i];
			e->cap[i] = (int16_t)(s > 32767 ? 32767 : s < -32768 ? -32768 : s);
		}
		e->file_pos += k;
		e->file_frames++;
	}
	const int16_t *ref = ref_pop(e, n);
	if (e->file && !e->c.mic) {
		/* A file and no microphone: the file is the whole signal, already clean; it goes out as
		 * it is (a test compares it with the file's own encode). */
		memcpy(e->proc, e->cap, n * sizeof *e->cap);
		e->dsp_r.in_db = e->dsp_r.level_db = pl_dsp_level_db(e->proc, n);
		e->dsp_r.voice = true; /* sent whole, and never marked silent for a receiver to skip */
	} else {
		pl_dsp_process(e->dsp, e->cap, ref, e->proc, &e->dsp_r);
	}
	bool tx = want_tx(e, e->dsp_r.voice);
	e->st.transmitting = tx;
	struct pl_mtx *mtx = e->codecs->tx;
	uint32_t step = pl_mtx_ts_step(mtx);
	if (tx) {
		pl_mtx_push(mtx, e->proc, n);
		for (;;) {
			bool dtx;
			int len = pl_mtx_pull(mtx, e->media, sizeof e->media, &dtx);
			if (len == 0)
				break;
			if (len > 0 && dtx && e->c.dtx)
				send_end(e); /* silence: nothing to send but, once, the spurt's end */
			else if (len > 0)
				send_audio(e, e->media, (size_t)len, e->dsp_r.voice ? 0 : PL_VFRAME_SILENT);
			e->ts_next += step;
		}
	} else {
		send_end(e);
		e->ts_next += (uint32_t)n;
	}
	if (e->file && e->file_pos >= e->file_n) {
		struct pl_ve_ev ev = {.kind = PL_VE_FILE_DONE, .n = e->file_frames, .p = (void *)e->file};
		post(e, &ev);
		e->file = NULL;
	}
	uint64_t dt = mono_ns() - t0;
	e->enc_ns += dt;
	e->enc_n++;
	e->busy_ns += dt;
}

/* --- receiving --- */

static struct pl_vtalker *talker_for(struct pl_vengine *e, uint64_t id, uint64_t now)
{
	struct pl_vtalker *free_slot = NULL, *idle = NULL;
	for (int i = 0; i < PL_VOICE_TALKERS; i++) {
		struct pl_vtalker *t = &e->talkers[i];
		if (t->used && t->id == id)
			return t;
		if (!t->used && !free_slot)
			free_slot = t;
		if (t->used && now - t->last_us > TALKER_IDLE_US && !idle)
			idle = t;
	}
	struct pl_vtalker *t = free_slot ? free_slot : idle;
	if (!t)
		return NULL;
	if (t->used)
		retire_talker(e, t);
	pl_vtalker_start(t, id, t->rx);
	return t;
}

/* What the receivers of our voice report decides how much we spend against loss. */
static void adapt(struct pl_vengine *e, uint64_t now)
{
	double loss = 0;
	for (int i = 0; i < PL_VOICE_TALKERS; i++)
		if (e->reporters[i].id && now - e->reporters[i].at < REPORT_MEMORY_US && e->reporters[i].loss > loss)
			loss = e->reporters[i].loss;
	e->st.remote_loss = loss;
	if (e->c.plc_only)
		return;
	struct pl_enc *enc = pl_mtx_enc(e->codecs->tx);
	unsigned el = (unsigned)ceil(loss);
	if (el > LOSS_PCT_MAX)
		el = LOSS_PCT_MAX;
	if (el < LOSS_PCT_MIN)
		el = LOSS_PCT_MIN;
	if (enc && el != e->expected_loss)
		pl_enc_set_loss(enc, (int)el);
	e->expected_loss = el;
	if (!enc)
		return; /* PCM: nothing to tune */
	if (loss >= RED_TWO)
		e->red = 2;
	else if (loss >= RED_ON)
		e->red = e->red > 1 ? e->red : 1;
	else if (loss < RED_OFF)
		e->red = 0;
	/* With copies in every packet, a lower primary rate keeps the total near 1.3-1.5x. */
	unsigned br = e->red == 2 ? e->c.bitrate * 2 / 3 : e->red == 1 ? e->c.bitrate * 5 / 6 : e->c.bitrate;
	if (br != e->bitrate && pl_enc_set_bitrate(enc, (int)br) == 0)
		e->bitrate = br;
}

static void on_report(struct pl_vengine *e, uint64_t from, const struct pl_vframe_report *r, uint64_t now)
{
	if (r->about != e->c.self)
		return;
	e->st.reports_received++;
	struct reporter *slot = NULL;
	for (int i = 0; i < PL_VOICE_TALKERS && !slot; i++)
		if (e->reporters[i].id == from)
			slot = &e->reporters[i];
	for (int i = 0; i < PL_VOICE_TALKERS && !slot; i++)
		if (!e->reporters[i].id || now - e->reporters[i].at > REPORT_MEMORY_US)
			slot = &e->reporters[i];
	if (slot)
		*slot = (struct reporter){from, r->loss_e4 / 100.0, now};
	/* The round trip: when we sent ts, less how long the receiver held it. */
	for (unsigned i = 0; i < SENT_AT; i++) {
		const struct sent_rec *s = &e->sent_at[i];
		if (s->at && s->ts == r->last_ts) {
			int64_t rtt = (int64_t)now - (int64_t)s->at - (int64_t)r->since_ms * 1000;
			if (rtt >= 0) {
				double ms = rtt / 1000.0;
				e->rtt_ms = e->rtt_ms < 0 ? ms : 0.8 * e->rtt_ms + 0.2 * ms;
			}
			break;
		}
	}
	adapt(e, now);
}

static void drain_rx(struct pl_vengine *e, uint64_t now)
{
	struct pl_ve_rx *itp = &e->rxi;
	while (pl_spsc_pop(&e->rx, itp)) {
		int kind = pl_vframe_kind(itp->data, itp->len);
		if (kind == PL_VFRAME_REPORT) {
			struct pl_vframe_report r;
			if (pl_vframe_report_decode(&r, itp->data, itp->len) == 0)
				on_report(e, itp->sender, &r, now);
			continue;
		}
		struct pl_vframe_audio a;
		if (kind != PL_VFRAME_AUDIO || pl_vframe_audio_decode(&a, itp->data, itp->len) < 0) {
			e->st.dropped++;
			continue;
		}
		struct pl_vtalker *t = talker_for(e, itp->sender, now);
		if (!t) {
			e->st.dropped++;
			continue;
		}
		if (a.len)
			e->st.received++;
		pl_vtalker_put(t, itp->seq, itp->ts, &a, itp->arrival_us ? itp->arrival_us : now);
	}
}

/* Once a second, a report to each talker heard lately: loss and jitter of its stream. */
static void send_reports(struct pl_vengine *e, uint64_t now)
{
	if (now - e->last_report_us < REPORT_US)
		return;
	e->last_report_us = now;
	for (int i = 0; i < PL_VOICE_TALKERS; i++) {
		struct pl_vtalker *t = &e->talkers[i];
		if (!t->used || now - t->last_us > 2 * REPORT_US)
			continue;
		struct pl_ajb_stats js;
		pl_ajb_stats(t->jb, &js);
		uint64_t de = js.expected - t->rep_expected, dr = js.received - t->rep_received;
		t->rep_expected = js.expected;
		t->rep_received = js.received;
		double lossf = de && dr < de ? (double)(de - dr) / (double)de : 0.0;
		struct pl_vframe_report r = {
			.about = t->id,
			.highest_seq = js.highest_seq,
			.last_ts = js.highest_ts,
			.since_ms = (uint16_t)((now - js.highest_at_us) / 1000 > 65535 ? 65535 : (now - js.highest_at_us) / 1000),
			.loss_e4 = (uint16_t)(lossf * 10000.0 + 0.5),
			.jitter_ms = (uint16_t)(js.jitter_us / 1000),
			.buffer_ms = (uint16_t)(js.delay_us / 1000 > 65535 ? 65535 : js.delay_us / 1000),
			.lost_total = (uint32_t)(js.expected > js.received ? js.expected - js.received : 0),
		};
		int n = pl_vframe_report_encode(e->item.data, sizeof e->item.data, &r);
		if (n < 0)
			continue;
		e->item.seq = 0;
		e->item.ts = 0;
		e->item.len = (uint16_t)n;
		e->item.media_off = e->item.media_len = 0;
		push_tx(e, false);
		e->st.reports_sent++;
	}
}

/* --- the snapshot --- */

static void snapshot(struct pl_vengine *e, uint64_t now)
{
	struct pl_voice_stats *s = &e->st;
	uint64_t *r = e->retired;
	s->played = r[0], s->lost = r[1], s->concealed_fec = r[2], s->red_recovered = r[3], s->concealed = r[4];
	s->late = r[5], s->dup = r[6], s->shrunk = r[7], s->stretched = r[8], s->skipped_silent = r[9];
	s->rx_loss = s->jitter_ms = s->jb_target_ms = 0;
	double jb_ms = -1;
	uint64_t dec_ns = 0, dec_n = 0;
	for (int i = 0; i < PL_VOICE_TALKERS; i++) {
		struct pl_vtalker *t = &e->talkers[i];
		if (!t->used)
			continue;
		struct pl_ajb_stats js;
		pl_ajb_stats(t->jb, &js);
		s->played += t->c.played, s->lost += t->c.lost, s->concealed_fec += t->c.fec;
		s->red_recovered += t->c.red, s->concealed += t->c.concealed;
		s->late += js.late, s->dup += js.dup, s->shrunk += js.shrunk, s->stretched += js.stretched;
		s->skipped_silent += js.skipped_silent;
		dec_ns += t->decode_ns, dec_n += t->decode_n;
		if (now - t->last_us > 2 * REPORT_US)
			continue;
		double loss = js.expected ? 100.0 * (double)(js.expected > js.received ? js.expected - js.received : 0) /
						  (double)js.expected : 0;
		if (loss > s->rx_loss)
			s->rx_loss = loss;
		if (js.jitter_us / 1000.0 > s->jitter_ms)
			s->jitter_ms = js.jitter_us / 1000.0;
		if (js.target_us / 1000.0 > s->jb_target_ms)
			s->jb_target_ms = js.target_us / 1000.0;
		if (js.delay_n) {
			double d = js.delay_us / 1000.0 + (double)t->nfifo / 48.0;
			if (d > jb_ms)
				jb_ms = d;
		}
	}
	s->play_jitter_ms = e->lead_hi - e->lead_lo;
	s->bitrate = e->bitrate;
	s->redundancy = e->red;
	s->expected_loss = e->expected_loss;
	s->level_db = e->dsp_r.level_db;
	s->voice = e->dsp_r.voice;
	s->muted = e->muted;
	s->deafened = e->deafened;
	s->ptt = e->ptt;
	s->mode = e->mode;
	double frame_ms = e->c.frame / 48.0;
	s->lat_capture = frame_ms + atomic_load(&e->dev_in_us) / 1000.0;
	s->lat_encode = e->enc_n ? (double)e->enc_ns / (double)e->enc_n / 1e6 : 0;
	s->lat_network = e->rtt_ms >= 0 ? e->rtt_ms / 2 : -1;
	s->lat_jitter = jb_ms;
	s->lat_playout = atomic_load(&e->dev_out_us) / 1000.0 + (dec_n ? (double)dec_ns / (double)dec_n / 1e6 : 0);
	s->lat_total = s->lat_capture + s->lat_encode + (s->lat_network > 0 ? s->lat_network : 0) +
		       (jb_ms > 0 ? jb_ms : 0) + s->lat_playout;
	if (now - e->window_us >= 1000000) {
		double secs = (double)(now - e->window_us) / 1e6;
		if (e->window_us) {
			s->tx_kbps = (double)e->tx_bytes * 8 / 1000.0 / secs;
			s->cpu_pct = (double)e->busy_ns / 1e9 / secs * 100.0;
		}
		e->window_us = now;
		e->tx_bytes = 0;
		e->busy_ns = 0;
	}
	struct pl_ve_ev ev = {.kind = PL_VE_SNAPSHOT, .st = *s};
	post(e, &ev);
}

/* A sound server may ask for playout in bursts (20 ms at once, then nothing for 20 ms): the lead
 * of the samples asked for over real time swings by that much, and the jitter buffers must hold
 * it on top of the network's jitter. The swing is measured around the lead's own slow average,
 * so that a device that stalls now and then (an underrun asks for nothing while it lasts) moves
 * the average instead of adding up into an ever wider range; the range is tracked by two peak
 * followers that creep toward each other by LEAD_DECAY per second, so a device that settles is
 * believed again. */
#define LEAD_WARMUP_US 500000 /* a stream's first requests fill the device's buffer: not a pace */
#define LEAD_DECAY 2.0        /* ms per second */
#define LEAD_AVG_S 1.0        /* the average's time constant */

static void track_lead(struct pl_vengine *e, size_t n, uint64_t now)
{
	if (!e->play_t0 || now < e->play_last || now - e->play_last > 1000000) {
		e->play_t0 = now; /* the start, or the device stalled: a new pace */
		e->play_samples = 0;
	}
	double lead = (double)e->play_samples * 1000.0 / 48000.0 - (double)(now - e->play_t0) / 1000.0;
	double dt = (double)(now - e->play_last) / 1e6;
	e->play_last = now;
	e->play_samples += n;
	if (now - e->play_t0 < LEAD_WARMUP_US) {
		e->lead_avg = lead;
		e->lead_hi = e->lead_lo = 0;
		return;
	}
	e->lead_avg += (lead - e->lead_avg) * (dt / (LEAD_AVG_S + dt));
	double dev = lead - e->lead_avg;
	e->lead_hi = dev > e->lead_hi ? dev : e->lead_hi - LEAD_DECAY * dt;
	e->lead_lo = dev < e->lead_lo ? dev : e->lead_lo + LEAD_DECAY * dt;
	if (e->lead_hi < e->lead_lo)
		e->lead_hi = e->lead_lo = (e->lead_hi + e->lead_lo) / 2;
}

void pl_vengine_playback(int16_t *out, size_t n, uint64_t now, void *arg)
{
	struct pl_vengine *e = arg;
	uint64_t t0 = mono_ns();
	drain_cmds(e);
	drain_rx(e, now);
	track_lead(e, n, now);
	uint32_t play_us = (uint32_t)((e->lead_hi - e->lead_lo) * 1000.0);
	if (n > MIX_MAX)
		n = MIX_MAX;
	memset(e->mix, 0, n * sizeof *e->mix);
	e->st.ntalking = 0;
	for (int i = 0; i < PL_VOICE_TALKERS; i++) {
		struct pl_vtalker *t = &e->talkers[i];
		if (t->used)
			pl_ajb_set_playout_jitter(t->jb, play_us);
		if (t->used && pl_vtalker_mix(t, e->mix, n, now))
			e->st.talking[e->st.ntalking++] = t->id;
	}
	for (size_t i = 0; i < n; i++) {
		int32_t s = e->deafened ? 0 : e->mix[i];
		out[i] = (int16_t)(s > 32767 ? 32767 : s < -32768 ? -32768 : s);
	}
	ref_push(e, out, n);
	if (e->recording)
		for (size_t off = 0; off < n; off += PL_VE_REC_CHUNK) {
			struct pl_ve_rec r;
			r.n = (uint16_t)(n - off < PL_VE_REC_CHUNK ? n - off : PL_VE_REC_CHUNK);
			memcpy(r.pcm, out + off, r.n * sizeof *out);
			pl_spsc_push(&e->rec, &r);
		}
	send_reports(e, now);
	e->busy_ns += mono_ns() - t0;
	if (now - e->last_snap_us >= SNAPSHOT_US) {
		e->last_snap_us = now;
		snapshot(e, now);
	}
}

void pl_vengine_failed(int err, void *arg)
{
	struct pl_vengine *e = arg;
	struct pl_ve_ev ev = {.kind = PL_VE_FAILED, .err = err};
	post(e, &ev);
}
