#include "client/voice.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/jbuf.h"
#include "core/media.h"
#include "core/vpkt.h"
#include "media/codec.h"
#include "media/wav.h"
#include "net/addr.h"
#include "net/udp.h"

#define BIND_RETRY_MS 250
/* Well inside the server's voice_binding_timeout (30 s by default), and a NAT's UDP timeout. */
#define BIND_KEEPALIVE_MS 10000
/* A keepalive BIND unanswered this long means the server forgot our address (or the path
 * changed): bind again, through a CHALLENGE, at the retry pace. */
#define BIND_ACK_LATE_MS 2000
#define TICK_MS 5            /* the pacing timer; frames are due every PL_FRAME_MS */
#define MAX_CATCHUP 10       /* frames made up at once after a stall, beyond that skipped */
#define TALKER_IDLE_MS 10000 /* a talker silent this long frees its slot for another */
#define RX_KEYS PL_VOICE_RX_KEYS

/* A key to open one sender's media with, and its replay window (core/media.h). */
struct rx_key {
	uint64_t sender; /* 0: free */
	bool has_key;    /* false: the sender's packets must open, and its key has not come yet */
	uint8_t id;
	uint64_t since;  /* when it was set: the older of a sender's two keys makes way */
	uint8_t key[PL_MEDIA_KEY_LEN];
	struct pl_replay win;
};

struct talker {
	uint64_t id;
	bool used;
	uint64_t last_ms;
	struct pl_jbuf *jb;
	struct pl_dec *dec;
};

struct pl_voice {
	struct event_base *base;
	const struct pl_env *env;
	struct pl_voice_events ev;
	void *arg;
	unsigned jitter_frames;

	int fd;
	struct sockaddr_storage server;
	socklen_t server_len;
	uint64_t session;
	uint8_t key[PL_VOICE_KEY_LEN];
	uint64_t bind_counter; /* the last BIND's */
	uint64_t confirmed;    /* the counter of the last CHALLENGE answered */
	bool bound, ever_bound, awaiting_ack;
	struct event *bind_timer, *tick;
	struct event *rx_ev;
	struct pl_udp_rx rx;

	/* microphone */
	struct pl_wav *mic;
	struct pl_enc *enc;
	bool sending, send_pending; /* pending: waits for the BIND_ACK, or the server would drop it */
	uint64_t send_t0, send_frames;
	uint16_t seq;
	uint32_t ts;

	/* speaker */
	struct pl_wav *rec;
	uint64_t play_t0, play_frames;
	struct talker talkers[PL_VOICE_TALKERS];

	/* End to end (a call): what seals our media, and what opens each sender's. A sender with a
	 * key is never heard in clear. */
	bool tx_keyed;
	uint8_t tx_key[PL_MEDIA_KEY_LEN], tx_key_id;
	uint64_t tx_counter;
	struct rx_key rx_keys[RX_KEYS];
	uint64_t rx_key_clock;
	struct pl_media_format fmt;
	FILE *dump; /* PARLEY_VOICE_DUMP: every frame sent, before sealing, for tests */

	struct pl_voice_stats st;
	uint64_t retired_lost; /* losses of talkers whose slot was given to another */
	int16_t pcm[PL_FRAME_SAMPLES], tmp[PL_FRAME_SAMPLES];
	int32_t mix[PL_FRAME_SAMPLES];
	uint8_t pkt[PL_VPKT_MAX];
	uint8_t zeros[PL_VPKT_MAX_PAYLOAD], opened[PL_VPKT_MAX_PAYLOAD];
};

static int open_media(struct pl_voice *v, const struct pl_vpkt *p, const uint8_t *raw, uint8_t *out,
		      size_t cap);


static void arm_ms(struct event *e, unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	evtimer_add(e, &tv);
}

static void send_bind(struct pl_voice *v)
{
	uint8_t buf[PL_VPKT_HDR + PL_VBIND_PAYLOAD];
	int n = pl_vbind_make(buf, sizeof buf, v->session, ++v->bind_counter, v->key);
	if (n > 0)
		sendto(v->fd, buf, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&v->server, v->server_len);
}

/* Unbound: a BIND every BIND_RETRY_MS. Bound: a keepalive BIND BIND_KEEPALIVE_MS after the last
 * BIND_ACK; if its BIND_ACK is not back within BIND_ACK_LATE_MS, the server has forgotten our
 * address (or the path changed), and we are unbound again until a BIND_ACK comes (after a
 * CHALLENGE, which on_udp answers whenever one comes). */
static void on_bind_timer(evutil_socket_t fd, short what, void *arg)
{
	struct pl_voice *v = arg;
	if (v->bound && v->awaiting_ack)
		v->bound = false;
	send_bind(v);
	if (v->bound) {
		v->awaiting_ack = true;
		arm_ms(v->bind_timer, BIND_ACK_LATE_MS);
	} else {
		arm_ms(v->bind_timer, BIND_RETRY_MS);
	}
}

static void start_sending(struct pl_voice *v)
{
	v->sending = true;
	v->send_t0 = pl_env_mono_ms(v->env);
	v->send_frames = 0;
}

/* --- receive --- */

static struct talker *talker_for(struct pl_voice *v, uint64_t id, uint64_t now)
{
	struct talker *free_slot = NULL, *idle = NULL;
	for (int i = 0; i < PL_VOICE_TALKERS; i++) {
		struct talker *t = &v->talkers[i];
		if (t->used && t->id == id)
			return t;
		if (!t->used && !free_slot)
			free_slot = t;
		if (t->used && now - t->last_ms > TALKER_IDLE_MS && !idle)
			idle = t;
	}
	struct talker *t = free_slot ? free_slot : idle;
	if (!t)
		return NULL;
	/* A new talker: fresh buffer and decoder (allocation per talker, not per packet). The old
	 * talker's losses stay counted. */
	if (t->jb) {
		struct pl_jbuf_stats js;
		pl_jbuf_stats(t->jb, &js);
		v->retired_lost += js.lost;
	}
	pl_jbuf_free(t->jb);
	pl_dec_free(t->dec);
	t->jb = NULL;
	t->dec = NULL;
	t->used = false;
	if (pl_jbuf_alloc(&t->jb, v->jitter_frames) < 0 || pl_dec_alloc(&t->dec) < 0)
		return NULL;
	t->used = true;
	t->id = id;
	return t;
}

/* Answers a CHALLENGE to one of our BINDs with a CONFIRM (once per counter, so a flood of copies
 * costs one answer each at most); a BIND_ACK means our address is proven. */
static void on_bind_reply(struct pl_voice *v, const struct pl_vpkt *p)
{
	uint64_t counter = pl_vpkt_counter(p);
	if (p->sender != v->session || counter == 0 || counter > v->bind_counter) {
		v->st.dropped++;
		return;
	}
	if (p->type == PL_VPKT_CHALLENGE) {
		if (counter <= v->confirmed)
			return;
		v->confirmed = counter;
		uint8_t buf[PL_VPKT_HDR + PL_VCONFIRM_PAYLOAD];
		int n = pl_vconfirm_make(buf, sizeof buf, v->session, counter, p->payload + 8, v->key);
		if (n > 0)
			sendto(v->fd, buf, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&v->server, v->server_len);
		return;
	}
	v->bound = true;
	v->awaiting_ack = false;
	evtimer_del(v->bind_timer);
	arm_ms(v->bind_timer, BIND_KEEPALIVE_MS);
	if (v->send_pending) {
		v->send_pending = false;
		start_sending(v);
	}
	if (!v->ever_bound) {
		v->ever_bound = true;
		if (v->ev.bound)
			v->ev.bound(v->arg);
	}
}

static void on_udp(evutil_socket_t fd, short what, void *arg)
{
	struct pl_voice *v = arg;
	uint64_t now = pl_env_mono_ms(v->env);
	for (;;) {
		int n = pl_udp_recv(v->fd, &v->rx);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++) {
			struct pl_vpkt p;
			if (!pl_addr_eq((struct sockaddr *)&v->rx.from[i], (struct sockaddr *)&v->server) ||
			    pl_vpkt_decode(&p, v->rx.buf[i], v->rx.msgs[i].msg_len) != 0) {
				v->st.dropped++;
				continue;
			}
			if (p.type == PL_VPKT_CHALLENGE || p.type == PL_VPKT_BIND_ACK) {
				on_bind_reply(v, &p);
				continue;
			}
			if (p.type != PL_VPKT_VOICE || p.sender == v->session) {
				v->st.dropped++;
				continue;
			}
			v->st.received++;
			const uint8_t *frame = p.payload;
			size_t flen = p.plen;
			int opened = open_media(v, &p, v->rx.buf[i], v->opened, sizeof v->opened);
			if (opened == -EBADMSG || opened == -EALREADY) {
				continue; /* counted: tampered, replayed, or in clear from a keyed sender */
			} else if (opened >= 0) {
				frame = v->opened;
				flen = (size_t)opened;
			}
			struct talker *t = talker_for(v, p.sender, now);
			if (!t) {
				v->st.dropped++;
				continue;
			}
			t->last_ms = now;
			if (pl_jbuf_put(t->jb, p.seq, frame, flen) == -ETIME)
				v->st.late++;
		}
		if (n < PL_UDP_RX_BATCH)
			return;
	}
}

/* --- the 20 ms frame clock --- */

static void send_frame(struct pl_voice *v)
{
	long got = pl_wav_read(v->mic, v->pcm, PL_FRAME_SAMPLES);
	if (got <= 0) {
		v->sending = false;
		pl_wav_close(v->mic);
		v->mic = NULL;
		if (v->ev.send_done)
			v->ev.send_done(v->send_frames, v->arg);
		return;
	}
	if (got < PL_FRAME_SAMPLES)
		memset(v->pcm + got, 0, (size_t)(PL_FRAME_SAMPLES - got) * sizeof v->pcm[0]);
	uint8_t opus[PL_OPUS_MAX_PACKET];
	int olen = pl_enc_frame(v->enc, v->pcm, opus, sizeof opus);
	if (olen > 0 && v->dump) {
		uint8_t len[2] = {(uint8_t)(olen >> 8), (uint8_t)olen};
		fwrite(len, 1, 2, v->dump);
		fwrite(opus, 1, (size_t)olen, v->dump);
		fflush(v->dump);
	}
	if (olen > 0) {
		/* Sealed, the payload is the frame and PL_MEDIA_OVERHEAD more; the header is encoded
		 * first, with room for it, since the seal covers the header too. */
		size_t plen = (size_t)olen + (v->tx_keyed ? PL_MEDIA_OVERHEAD : 0);
		struct pl_vpkt p = {.type = PL_VPKT_VOICE, .sender = v->session, .seq = v->seq,
				    .ts = v->ts, .payload = v->tx_keyed ? v->zeros : opus, .plen = plen};
		int n = pl_vpkt_encode(&p, v->pkt, sizeof v->pkt);
		if (n > 0 && v->tx_keyed &&
		    pl_media_seal(v->pkt + PL_VPKT_HDR, sizeof v->pkt - PL_VPKT_HDR, v->tx_key, v->tx_key_id,
				  ++v->tx_counter, v->pkt, PL_VPKT_HDR, opus, (size_t)olen) < 0)
			n = -1;
		if (n > 0 && sendto(v->fd, v->pkt, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&v->server,
				    v->server_len) == n)
			v->st.sent++;
	}
	v->seq++;
	v->ts += PL_FRAME_SAMPLES;
}

/* Opens a VOICE payload from a sender we hold keys for: the frame's length (into out), -ENOENT
 * for a sender we hold none for (its payload is clear: room voice), -EBADMSG or -EALREADY when it
 * must be dropped (counted as tampered or replayed). */
static int open_media(struct pl_voice *v, const struct pl_vpkt *p, const uint8_t *raw, uint8_t *out, size_t cap)
{
	uint8_t key_id;
	uint64_t counter;
	bool keyed = false;
	struct rx_key *k = NULL;
	int peeked = pl_media_peek(p->payload, p->plen, &key_id, &counter);
	for (unsigned i = 0; i < RX_KEYS; i++) {
		if (v->rx_keys[i].sender != p->sender)
			continue;
		keyed = true;
		if (peeked == 0 && v->rx_keys[i].has_key && v->rx_keys[i].id == key_id)
			k = &v->rx_keys[i];
	}
	if (!keyed)
		return -ENOENT;
	if (!k) {
		v->st.dropped++; /* under a key we do not have (yet): it may be on its way */
		return -EBADMSG;
	}
	if (pl_replay_check(&k->win, counter) < 0) {
		v->st.replayed++;
		return -EALREADY;
	}
	int n = pl_media_open(out, cap, k->key, raw, PL_VPKT_HDR, p->payload, p->plen, NULL, NULL);
	if (n < 0) {
		v->st.tampered++;
		return -EBADMSG;
	}
	if (pl_replay_accept(&k->win, counter) < 0) {
		v->st.replayed++;
		return -EALREADY;
	}
	return n;
}

void pl_voice_set_tx_key(struct pl_voice *v, uint8_t key_id, const uint8_t key[32])
{
	v->tx_keyed = key != NULL;
	if (key) {
		memcpy(v->tx_key, key, sizeof v->tx_key);
		v->tx_key_id = key_id;
		v->tx_counter = 0; /* a new key: its counter starts again at 1 */
	} else {
		sodium_memzero(v->tx_key, sizeof v->tx_key);
	}
}

int pl_voice_set_rx_key(struct pl_voice *v, uint64_t sender, uint8_t key_id, const uint8_t key[32])
{
	/* A sender keeps its two newest keys (packets under the one before a change may still come);
	 * the slot that only expected it, or its older key, makes way. */
	struct rx_key *slot = NULL, *mine = NULL, *free_slot = NULL;
	unsigned nmine = 0;
	for (unsigned i = 0; i < RX_KEYS; i++) {
		struct rx_key *k = &v->rx_keys[i];
		if (k->sender == sender && (!k->has_key || k->id == key_id))
			slot = k;
		else if (k->sender == sender && ++nmine && (!mine || k->since < mine->since))
			mine = k;
		else if (!k->sender && !free_slot)
			free_slot = k;
	}
	if (!slot)
		slot = nmine >= 2 ? mine : free_slot;
	if (!slot)
		return -ENOSPC;
	slot->sender = sender;
	slot->id = key_id;
	slot->has_key = true;
	slot->since = ++v->rx_key_clock;
	memcpy(slot->key, key, sizeof slot->key);
	pl_replay_init(&slot->win);
	return 0;
}

int pl_voice_expect_sealed(struct pl_voice *v, uint64_t sender)
{
	struct rx_key *free_slot = NULL;
	for (unsigned i = 0; i < RX_KEYS; i++) {
		if (v->rx_keys[i].sender == sender)
			return 0;
		if (!v->rx_keys[i].sender && !free_slot)
			free_slot = &v->rx_keys[i];
	}
	if (!free_slot)
		return -ENOSPC;
	free_slot->sender = sender;
	free_slot->has_key = false;
	return 0;
}

void pl_voice_forget_sender(struct pl_voice *v, uint64_t sender)
{
	for (unsigned i = 0; i < RX_KEYS; i++)
		if (v->rx_keys[i].sender == sender)
			sodium_memzero(&v->rx_keys[i], sizeof v->rx_keys[i]);
}

int pl_voice_set_format(struct pl_voice *v, const struct pl_media_format *f, char *err, size_t errsz)
{
	struct pl_media_format d;
	pl_mformat_default(&d);
	if (f && (f->codec != d.codec || f->rate != d.rate || f->channels != d.channels || f->chunk != d.chunk)) {
		char want[64];
		pl_mformat_string(f, want, sizeof want);
		snprintf(err, errsz, "this client can only carry Opus 48000 Hz mono in 20 ms frames, not %s", want);
		return -EINVAL;
	}
	v->fmt = d;
	return 0;
}

static void play_frame(struct pl_voice *v)
{
	memset(v->mix, 0, sizeof v->mix);
	for (int i = 0; i < PL_VOICE_TALKERS; i++) {
		struct talker *t = &v->talkers[i];
		if (!t->used)
			continue;
		const uint8_t *data;
		size_t len;
		int rc = -1;
		switch (pl_jbuf_pop(t->jb, &data, &len)) {
		case PL_JBUF_FRAME:
			rc = pl_dec_frame(t->dec, data, len, v->tmp);
			v->st.played++;
			break;
		case PL_JBUF_LOST:
			rc = pl_dec_conceal(t->dec, data, len, v->tmp);
			if (data)
				v->st.concealed_fec++;
			break;
		case PL_JBUF_SILENT:
			break;
		}
		if (rc == PL_FRAME_SAMPLES)
			for (int k = 0; k < PL_FRAME_SAMPLES; k++)
				v->mix[k] += v->tmp[k];
	}
	for (int k = 0; k < PL_FRAME_SAMPLES; k++) {
		int32_t s = v->mix[k];
		v->pcm[k] = (int16_t)(s > 32767 ? 32767 : s < -32768 ? -32768 : s);
	}
	if (v->rec && pl_wav_write(v->rec, v->pcm, PL_FRAME_SAMPLES) == 0)
		v->st.recorded_frames++;
}

/* Runs fn for every frame due since t0 by the monotonic clock; after a long stall, frames beyond
 * MAX_CATCHUP are skipped rather than sent in a burst. */
static void run_due(struct pl_voice *v, uint64_t now, uint64_t t0, uint64_t *done, void (*fn)(struct pl_voice *),
		    bool *active)
{
	uint64_t due = (now - t0) / PL_FRAME_MS + 1;
	if (due > *done + MAX_CATCHUP)
		*done = due - MAX_CATCHUP;
	while (*active && *done < due) {
		fn(v);
		(*done)++;
	}
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct pl_voice *v = arg;
	uint64_t now = pl_env_mono_ms(v->env);
	bool playing = true;
	if (v->sending)
		run_due(v, now, v->send_t0, &v->send_frames, send_frame, &v->sending);
	run_due(v, now, v->play_t0, &v->play_frames, play_frame, &playing);
}

/* --- lifetime --- */

int pl_voice_alloc(struct pl_voice **vp, struct event_base *base, const struct pl_env *env,
		   const struct sockaddr *server, uint64_t session, const uint8_t key[PL_VOICE_KEY_LEN],
		   unsigned jitter_frames, const struct pl_voice_events *ev, void *arg,
		   char *err, size_t errsz)
{
	struct pl_voice *v = calloc(1, sizeof *v);
	if (!v)
		return -ENOMEM;
	v->base = base;
	v->env = env;
	v->ev = *ev;
	v->arg = arg;
	v->jitter_frames = jitter_frames;
	v->session = session;
	memcpy(v->key, key, PL_VOICE_KEY_LEN);
	pl_mformat_default(&v->fmt);
	const char *dump = getenv("PARLEY_VOICE_DUMP");
	if (dump && *dump)
		v->dump = fopen(dump, "ab");
	v->server_len = pl_sockaddr_len(server);
	memcpy(&v->server, server, v->server_len);
	v->fd = pl_udp_socket_for(server, err, errsz);
	if (v->fd < 0) {
		free(v);
		return -EIO;
	}
	v->bind_timer = evtimer_new(base, on_bind_timer, v);
	v->tick = event_new(base, -1, EV_PERSIST, on_tick, v);
	v->rx_ev = event_new(base, v->fd, EV_READ | EV_PERSIST, on_udp, v);
	if (!v->bind_timer || !v->tick || !v->rx_ev) {
		pl_voice_free(v);
		return -ENOMEM;
	}
	event_add(v->rx_ev, NULL);
	struct timeval tv = {0, TICK_MS * 1000};
	event_add(v->tick, &tv);
	v->play_t0 = pl_env_mono_ms(env);
	send_bind(v);
	arm_ms(v->bind_timer, BIND_RETRY_MS);
	*vp = v;
	return 0;
}

void pl_voice_free(struct pl_voice *v)
{
	if (!v)
		return;
	if (v->bind_timer)
		event_free(v->bind_timer);
	if (v->tick)
		event_free(v->tick);
	if (v->rx_ev)
		event_free(v->rx_ev);
	if (v->fd >= 0)
		close(v->fd);
	pl_wav_close(v->mic);
	pl_wav_close(v->rec);
	pl_enc_free(v->enc);
	if (v->dump)
		fclose(v->dump);
	for (int i = 0; i < PL_VOICE_TALKERS; i++) {
		pl_jbuf_free(v->talkers[i].jb);
		pl_dec_free(v->talkers[i].dec);
	}
	sodium_memzero(v->tx_key, sizeof v->tx_key);
	sodium_memzero(v->rx_keys, sizeof v->rx_keys);
	free(v);
}

int pl_voice_send_file(struct pl_voice *v, const char *path, char *err, size_t errsz)
{
	struct pl_wav *w;
	int rc = pl_wav_open_read(&w, path, err, errsz);
	if (rc < 0)
		return rc;
	/* A fresh encoder for each talk: each file is encoded as if alone, as a reference decode is. */
	pl_enc_free(v->enc);
	v->enc = NULL;
	if ((rc = pl_enc_alloc(&v->enc, PL_BITRATE_DEFAULT)) < 0) {
		snprintf(err, errsz, "Cannot start the Opus encoder.");
		pl_wav_close(w);
		return rc;
	}
	pl_wav_close(v->mic);
	v->mic = w;
	if (v->bound)
		start_sending(v);
	else
		v->send_pending = true;
	return 0;
}

int pl_voice_record(struct pl_voice *v, const char *path, char *err, size_t errsz)
{
	struct pl_wav *w;
	int rc = pl_wav_open_write(&w, path, err, errsz);
	if (rc < 0)
		return rc;
	pl_wav_close(v->rec);
	v->rec = w;
	return 0;
}

void pl_voice_stop_record(struct pl_voice *v)
{
	pl_wav_close(v->rec);
	v->rec = NULL;
}

void pl_voice_stats(const struct pl_voice *v, struct pl_voice_stats *st)
{
	*st = v->st;
	/* Loss as the jitter buffers count it: inside talk spurts, not their silent ends. */
	st->lost = v->retired_lost;
	for (int i = 0; i < PL_VOICE_TALKERS; i++) {
		if (!v->talkers[i].jb)
			continue;
		struct pl_jbuf_stats js;
		pl_jbuf_stats(v->talkers[i].jb, &js);
		st->lost += js.lost;
	}
}
