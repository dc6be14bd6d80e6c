/*
 * voice: the event loop's half of the voice engine (client/voice.h tells the whole story; the
 * audio thread's half is client/vengine.c). Here: the UDP socket and the server's proof of our
 * address, sealing and opening media in a call, the replay windows, recordings and files, and the
 * sound devices' lifetime. Nothing here runs on the audio thread; the two halves meet in vengine's
 * rings.
 */
#include "client/voice.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/vengine.h"
#include "core/media.h"
#include "core/vpkt.h"
#include "media/codec.h"
#include "media/wav.h"
#include "net/addr.h"
#include "net/udp.h"

#include "client/voice_int.h"


static void drain_events(struct pl_voice *v);
static void drain_rec(struct pl_voice *v);

/* The audio thread's clock (media/audio.h's devices stamp callbacks with CLOCK_MONOTONIC in
 * microseconds): arrival times must be in it, not in the event loop's injectable clock. */
static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void arm_ms(struct event *e, unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	evtimer_add(e, &tv);
}

static void notice(struct pl_voice *v, const char *sentence)
{
	if (v->ev.notice)
		v->ev.notice(sentence, v->arg);
}

/* Commands go to the audio thread through a ring the thread drains every 5-20 ms; one that does
 * not fit (64 waiting: the thread has stopped) is dropped with the rest of what it would do. */
static bool cmd(struct pl_voice *v, const struct pl_ve_cmd *c)
{
	return pl_spsc_push(pl_vengine_cmd(v->eng), c);
}

static void cmd_a(struct pl_voice *v, uint8_t kind, int a)
{
	struct pl_ve_cmd c = {.kind = kind, .a = a};
	cmd(v, &c);
}

/* --- proving our address: BIND, CHALLENGE, CONFIRM --- */

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

void pl_voice_rebind(struct pl_voice *v)
{
	if (!v->bind_timer)
		return;
	evtimer_del(v->bind_timer);
	on_bind_timer(-1, 0, v);
}

void voice_start_file(struct pl_voice *v)
{
	struct pl_ve_cmd stop = {.kind = PL_VE_FILE_STOP};
	struct pl_ve_cmd c = {.kind = PL_VE_FILE, .p = v->pending, .n = v->pending_n};
	if (cmd(v, &stop) && cmd(v, &c)) {
		v->pending = NULL;
		v->pending_n = 0;
	}
}

/* Answers a CHALLENGE to one of our BINDs with a CONFIRM (once per counter, so a flood of copies
 * costs one answer each at most); a BIND_ACK means our address is proven. */
static void on_bind_reply(struct pl_voice *v, const struct pl_vpkt *p)
{
	uint64_t counter = pl_vpkt_counter(p);
	if (p->sender != v->session || counter == 0 || counter > v->bind_counter) {
		v->dropped++;
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
	if (v->pending)
		voice_start_file(v);
	if (!v->ever_bound) {
		v->ever_bound = true;
		if (v->ev.bound)
			v->ev.bound(v->arg);
	}
}

/* --- end to end --- */

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
	if (!k)
		return -ENOKEY; /* under a key we do not have (yet): it may be on its way */
	if (pl_replay_check(&k->win, counter) < 0) {
		v->replayed++;
		return -EALREADY;
	}
	int n = pl_media_open(out, cap, k->key, raw, PL_VPKT_HDR, p->payload, p->plen, NULL, NULL);
	if (n < 0) {
		v->tampered++;
		return -EBADMSG;
	}
	if (pl_replay_accept(&k->win, counter) < 0) {
		v->replayed++;
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

void pl_voice_clear_tx_key(struct pl_voice *v)
{
	pl_voice_set_tx_key(v, 0, NULL);
}

int pl_voice_set_rx_key(struct pl_voice *v, uint64_t sender, uint8_t key_id, const uint8_t key[32])
{
	/* A sender keeps its two newest keys (packets under the one before a change may still come);
	 * the slot that only expected it, or its older key, makes way. A key id that comes back
	 * (after 256 keys) replaces its old slot. */
	struct rx_key *slot = NULL, *oldest = NULL, *free_slot = NULL;
	unsigned nmine = 0;
	for (unsigned i = 0; i < RX_KEYS; i++) {
		struct rx_key *k = &v->rx_keys[i];
		if (k->sender == sender && (!k->has_key || k->id == key_id)) {
			slot = k;
		} else if (k->sender == sender) {
			nmine++;
			if (!oldest || k->since < oldest->since)
				oldest = k;
		} else if (!k->sender && !free_slot) {
			free_slot = k;
		}
	}
	if (!slot)
		slot = nmine >= 2 ? oldest : free_slot;
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
	struct pl_ve_cmd c = {.kind = PL_VE_FORGET, .id = sender};
	cmd(v, &c);
}

void pl_voice_require_keys(struct pl_voice *v, bool on)
{
	v->require_keys = on;
}

/* --- receiving --- */

/* One datagram from from; hook: hand what is not the engine's to the datagram hook. */
static void rx_dgram(struct pl_voice *v, const uint8_t *buf, size_t len, const struct sockaddr *from,
		     socklen_t fromlen, uint64_t now, bool hook)
{
	struct pl_spsc *ring = pl_vengine_rx(v->eng);
	struct pl_vpkt p;
	bool relay = v->has_server && pl_addr_eq(from, (struct sockaddr *)&v->server);
	bool peer = !relay && v->has_peer && pl_addr_eq(from, (struct sockaddr *)&v->peer);
	if ((!relay && !peer) || pl_vpkt_decode(&p, buf, len) != 0 || (peer && p.type != PL_VPKT_VOICE)) {
		/* Not ours: STUN, signalling, or noise. */
		if (!hook || !v->hook || !v->hook(v->hook_arg, buf, len, from, fromlen))
			v->dropped++;
		return;
	}
	if (relay && (p.type == PL_VPKT_CHALLENGE || p.type == PL_VPKT_BIND_ACK)) {
		on_bind_reply(v, &p);
		return;
	}
	if (peer)
		p.sender = v->peer_id; /* the address is who it is; the seal covers the header */
	if (p.type != PL_VPKT_VOICE || p.sender == v->session) {
		v->dropped++;
		return;
	}
	struct pl_ve_rx *it = &v->rxi;
	int opened = open_media(v, &p, buf, it->data, sizeof it->data);
	if (opened == -ENOKEY && p.plen == PL_VFRAME_REPORT_LEN && p.payload[0] == PL_VFRAME_REPORT) {
		/* A receiver's report from a member who never talked, so has no key to
		 * seal it with: loss and jitter figures, never sound, so taken in clear. */
		memcpy(it->data, p.payload, p.plen);
		opened = (int)p.plen;
	} else if (opened == -ENOKEY) {
		v->dropped++;
		return;
	}
	if (opened == -EBADMSG || opened == -EALREADY)
		return; /* counted: tampered, replayed, or in clear from a keyed sender */
	if (opened == -ENOENT) {
		if (v->require_keys || p.plen > sizeof it->data) {
			v->dropped++;
			return;
		}
		memcpy(it->data, p.payload, p.plen);
		opened = (int)p.plen;
	}
	if (opened == 0 || it->data[0] != PL_VFRAME_REPORT)
		v->received++; /* as sent: the audio thread drops what does not parse */
	it->sender = p.sender;
	it->arrival_us = now;
	it->ts = p.ts;
	it->seq = p.seq;
	it->len = (uint16_t)opened;
	if (!pl_spsc_push(ring, it))
		v->dropped++; /* the audio thread is not draining: no device pace */
}

static void on_udp(evutil_socket_t fd, short what, void *arg)
{
	struct pl_voice *v = arg;
	for (;;) {
		int n = pl_udp_recv(v->fd, &v->rx);
		if (n <= 0)
			return;
		uint64_t now = mono_us();
		for (int i = 0; i < n; i++)
			rx_dgram(v, v->rx.buf[i], v->rx.msgs[i].msg_len, (struct sockaddr *)&v->rx.from[i],
				 v->rx.msgs[i].msg_hdr.msg_namelen, now, true);
		if (n < PL_UDP_RX_BATCH)
			return;
	}
}

void pl_voice_input(struct pl_voice *v, const uint8_t *buf, size_t len, const struct sockaddr *from,
		    socklen_t fromlen)
{
	rx_dgram(v, buf, len, from, fromlen, mono_us(), false);
}

/* --- sending: what the audio thread encoded, sealed when a call has a key, in batches --- */

static void dump_frame(struct pl_voice *v, const struct pl_ve_tx *t)
{
	if (!v->dump || !t->media_len)
		return;
	uint8_t len[2] = {(uint8_t)(t->media_len >> 8), (uint8_t)t->media_len};
	fwrite(len, 1, 2, v->dump);
	fwrite(t->data + t->media_off, 1, t->media_len, v->dump);
	fflush(v->dump);
}

/* Makes the datagram of one payload into buf; its length, or -1. */
static int make_packet(struct pl_voice *v, const struct pl_ve_tx *t, uint8_t *buf, size_t cap)
{
	/* Sealed, the payload is the frame and PL_MEDIA_OVERHEAD more; the header is encoded first,
	 * with room for it, since the seal covers the header too. */
	size_t plen = t->len + (v->tx_keyed ? PL_MEDIA_OVERHEAD : 0);
	struct pl_vpkt p = {.type = PL_VPKT_VOICE, .sender = v->session, .seq = t->seq, .ts = t->ts,
			    .payload = v->tx_keyed ? v->zeros : t->data, .plen = plen};
	int n = pl_vpkt_encode(&p, buf, cap);
	if (n > 0 && v->tx_keyed &&
	    pl_media_seal(buf + PL_VPKT_HDR, cap - PL_VPKT_HDR, v->tx_key, v->tx_key_id, ++v->tx_counter, buf,
			  PL_VPKT_HDR, t->data, t->len) < 0)
		n = -1;
	return n;
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct pl_voice *v = arg;
	uint64_t cnt;
	ssize_t r = read(fd, &cnt, sizeof cnt); /* clears the eventfd; the ring says what there is */
	(void)r;
	struct pl_spsc *ring = pl_vengine_tx(v->eng);
	unsigned k = 0;
	/* Where media goes is decided per packet, so a switch between relay and peer loses nothing. */
	const struct sockaddr *to = v->has_peer ? (struct sockaddr *)&v->peer : (struct sockaddr *)&v->server;
	socklen_t tolen = v->has_peer ? v->peer_len : v->server_len;
	while (pl_spsc_pop(ring, &v->txi)) {
		if (!v->has_peer && (!v->has_server || !v->bound))
			continue; /* the server would drop it: our address is not proven (yet, or any more) */
		dump_frame(v, &v->txi);
		int n = make_packet(v, &v->txi, v->pkts[k], sizeof v->pkts[k]);
		if (n <= 0) {
			v->dropped++;
			continue;
		}
		if (v->has_peer && v->peer_fd >= 0) /* a probe socket won: media to the peer leaves from it */
			sendto(v->peer_fd, v->pkts[k], (size_t)n, MSG_DONTWAIT, to, tolen);
		else
			pl_udp_tx_add(&v->tx, v->fd, v->pkts[k], (size_t)n, to, tolen, NULL);
		if (v->has_peer && v->hedge && v->has_server && v->bound)
			pl_udp_tx_add(&v->tx, v->fd, v->pkts[k], (size_t)n, (struct sockaddr *)&v->server, v->server_len,
				      NULL);
		if (++k == TX_BATCH) {
			pl_udp_tx_flush(&v->tx, v->fd);
			k = 0;
		}
	}
	if (k)
		pl_udp_tx_flush(&v->tx, v->fd);
}

/* --- what the audio thread tells --- */

static void write_stats_line(struct pl_voice *v)
{
	struct pl_voice_stats st;
	pl_voice_stats(v, &st);
	const struct pl_voice_stats *s = &st;
	fprintf(v->stats,
		"{\"t_ms\":%llu,\"sent\":%llu,\"received\":%llu,\"played\":%llu,\"lost\":%llu,\"fec\":%llu,"
		"\"red_recovered\":%llu,\"concealed\":%llu,\"late\":%llu,\"tampered\":%llu,\"replayed\":%llu,"
		"\"bitrate\":%u,\"tx_kbps\":%.1f,\"redundancy\":%u,\"remote_loss\":%.2f,\"rx_loss\":%.2f,"
		"\"jitter_ms\":%.1f,\"jb_target_ms\":%.1f,\"lat_capture\":%.1f,\"lat_encode\":%.2f,"
		"\"lat_network\":%.1f,\"lat_jitter\":%.1f,\"lat_playout\":%.1f,\"lat_total\":%.1f,\"cpu_pct\":%.2f}\n",
		(unsigned long long)pl_env_mono_ms(v->env), (unsigned long long)s->sent,
		(unsigned long long)s->received, (unsigned long long)s->played, (unsigned long long)s->lost,
		(unsigned long long)s->concealed_fec, (unsigned long long)s->red_recovered,
		(unsigned long long)s->concealed, (unsigned long long)s->late,
		(unsigned long long)s->tampered, (unsigned long long)s->replayed,
		s->bitrate, s->tx_kbps, s->redundancy, s->remote_loss, s->rx_loss, s->jitter_ms, s->jb_target_ms,
		s->lat_capture, s->lat_encode, s->lat_network, s->lat_jitter, s->lat_playout, s->lat_total,
		s->cpu_pct);
	fflush(v->stats);
}

static int open_audio(struct pl_voice *v, const char *in, const char *out, char *err, size_t errsz);

static void drain_events(struct pl_voice *v)
{
	struct pl_ve_ev e;
	while (pl_spsc_pop(pl_vengine_ev(v->eng), &e)) {
		switch (e.kind) {
		case PL_VE_SNAPSHOT:
			v->st = e.st;
			break;
		case PL_VE_FILE_DONE:
			free(e.p);
			if (v->ev.send_done)
				v->ev.send_done(e.n, v->arg);
			break;
		case PL_VE_FREE:
			pl_ve_codecs_free(e.p);
			break;
		case PL_VE_FAILED: {
			/* The device went away: keep the engine's pace with the clock, so calls, rooms and
			 * recordings go on without sound, and say so. */
			char err[256], s[512];
			pl_audio_close(v->audio);
			v->audio = NULL;
			snprintf(s, sizeof s,
				 "The sound device stopped (%s); voice goes on without it. Choose another "
				 "(/devices sound, /input, /output), or restart the sound server.",
				 strerror(e.err < 0 ? -e.err : e.err));
			notice(v, s);
			if (open_audio(v, "", "", err, sizeof err) < 0)
				notice(v, err);
			break;
		}
		}
	}
}

static void drain_rec(struct pl_voice *v)
{
	struct pl_ve_rec r;
	while (pl_spsc_pop(pl_vengine_rec(v->eng), &r)) {
		if (!v->rec)
			continue; /* played before the recording stopped, after it was closed */
		if (pl_wav_write(v->rec, r.pcm, r.n) < 0) {
			notice(v, "Cannot write the recording (is the disk full?); it stops here.");
			pl_voice_stop_record(v);
			continue;
		}
		v->rec_samples += r.n;
	}
}

static void on_poll(evutil_socket_t fd, short what, void *arg)
{
	struct pl_voice *v = arg;
	if (v->audio) {
		uint32_t in_us, out_us;
		pl_audio_latency(v->audio, &in_us, &out_us);
		pl_vengine_set_device_latency(v->eng, in_us, out_us);
	}
	drain_events(v);
	drain_rec(v);
	uint64_t now = pl_env_mono_ms(v->env);
	if (v->stats && now - v->stats_at_ms >= 1000) {
		v->stats_at_ms = now;
		write_stats_line(v);
	}
}

/* --- the sound devices --- */

static bool given(const char *s)
{
	return s && *s;
}

/* Opens the devices (none: the clock backend) and starts the audio thread on the engine. */
static int open_audio(struct pl_voice *v, const char *in, const char *out, char *err, size_t errsz)
{
	struct pl_audio_opts o = {
		.input = in, .output = out, .frame = v->vc.frame, .chunk = OUT_CHUNK, .out_ms = v->cfg.out_ms,
		.echo = v->cfg.echo, .app_name = "parley",
	};
	static const struct pl_audio_cb cb0 = {pl_vengine_capture, pl_vengine_playback, pl_vengine_failed, NULL};
	struct pl_audio_cb cb = cb0;
	cb.arg = v->eng;
	/* The capture mixes a file into what a microphone hears, and processes the sum; with no
	 * microphone a file goes out as it is. */
	v->vc.mic = given(in) || v->cfg.echo.on;
	pl_vengine_set_mic(v->eng, v->vc.mic); /* no audio thread runs here */
	int rc = pl_audio_open(&v->audio, &o, &cb, err, errsz);
	if (rc < 0)
		v->audio = NULL;
	return rc;
}

/* --- lifetime --- */

void pl_voice_config_default(struct pl_voice_config *c)
{
	memset(c, 0, sizeof *c);
	c->frame_ms = 20;
	c->aec = c->ns = c->agc = true;
	c->vad_db = -45;
	/* Voice activation: a client that hears nothing sends nothing (a room stays quiet). */
	c->mode = PL_VOICE_VAD;
	c->out_ms = 20; /* the speaker's buffer to start with (media/audio_pulse.c grows it after underruns) */
	c->bitrate = PL_BITRATE_DEFAULT;
	/* Voice activation already stops sending in silence; DTX is for the continuous mode. */
	c->dtx = false;
}

int pl_voice_alloc(struct pl_voice **vp, struct event_base *base, const struct pl_env *env,
		   const struct sockaddr *server, uint64_t session, const uint8_t key[PL_VOICE_KEY_LEN],
		   const struct pl_voice_config *cfg, const struct pl_voice_events *ev, void *arg,
		   char *err, size_t errsz)
{
	if (cfg->frame_ms != 10 && cfg->frame_ms != 20) {
		snprintf(err, errsz, "Voice frames are 10 or 20 ms, not %u.", cfg->frame_ms);
		return -EINVAL;
	}
	struct pl_voice *v = calloc(1, sizeof *v);
	if (!v)
		return -ENOMEM;
	v->fd = -1;
	v->peer_fd = -1;
	v->base = base;
	v->env = env;
	v->ev = *ev;
	v->arg = arg;
	v->cfg = *cfg;
	v->session = session;
	if (key)
		memcpy(v->key, key, PL_VOICE_KEY_LEN);
	v->vc = (struct pl_vengine_config){
		.frame = cfg->frame_ms * 48, .jitter_fixed_ms = cfg->jitter_fixed_ms, .plc_only = cfg->plc_only,
		.aec = cfg->aec, .ns = cfg->ns, .agc = cfg->agc, .vad_db = cfg->vad_db, .mode = cfg->mode,
		.bitrate = cfg->bitrate, .dtx = cfg->dtx, .self = session,
		.mic = given(cfg->input) || cfg->echo.on,
	};
	pl_mformat_default(&v->fmt);
	v->fmt.chunk = (uint16_t)(cfg->frame_ms * 48);
	snprintf(v->in_dev, sizeof v->in_dev, "%s", cfg->input);
	snprintf(v->out_dev, sizeof v->out_dev, "%s", cfg->output);
	struct pl_ve_codecs *k = NULL;
	int rc = pl_ve_codecs_alloc(&k, &v->fmt, &v->vc);
	if (rc == 0 && (rc = pl_vengine_alloc(&v->eng, &v->vc, k)) < 0)
		pl_ve_codecs_free(k);
	if (rc < 0) {
		snprintf(err, errsz, "Cannot start the voice engine (%s).", strerror(-rc));
		free(v);
		return rc;
	}
	const char *dump = getenv("PARLEY_VOICE_DUMP");
	if (dump && *dump)
		v->dump = fopen(dump, "ab");
	if (cfg->stats_file[0] && !(v->stats = fopen(cfg->stats_file, "a"))) {
		snprintf(err, errsz, "Cannot write voice statistics to %s (%s).", cfg->stats_file, strerror(errno));
		pl_voice_free(v);
		return -EIO;
	}
	if (server) {
		v->has_server = true;
		v->server_len = pl_sockaddr_len(server);
		memcpy(&v->server, server, v->server_len);
		v->fd = pl_udp_socket_for(server, err, errsz);
	} else {
		v->bound = true; /* nothing to prove to anyone: a file talked with starts at once */
		uint16_t port;
		v->fd = pl_udp_bind(cfg->bind_addr, cfg->bind_port, &port, err, errsz);
	}
	if (v->fd < 0) {
		pl_voice_free(v);
		return -EIO;
	}
	struct sockaddr_storage self;
	socklen_t selflen = sizeof self;
	if (getsockname(v->fd, (struct sockaddr *)&self, &selflen) == 0)
		v->fd_family = self.ss_family;
	v->bind_timer = evtimer_new(base, on_bind_timer, v);
	v->poll = event_new(base, -1, EV_PERSIST, on_poll, v);
	v->rx_ev = event_new(base, v->fd, EV_READ | EV_PERSIST, on_udp, v);
	v->wake_ev = event_new(base, pl_vengine_wakefd(v->eng), EV_READ | EV_PERSIST, on_wake, v);
	if (!v->bind_timer || !v->poll || !v->rx_ev || !v->wake_ev) {
		pl_voice_free(v);
		return -ENOMEM;
	}
	event_add(v->rx_ev, NULL);
	event_add(v->wake_ev, NULL);
	struct timeval tv = {0, POLL_MS * 1000};
	event_add(v->poll, &tv);
	char aerr[256];
	if (open_audio(v, v->in_dev, v->out_dev, aerr, sizeof aerr) < 0) {
		/* No sound server, or no such device: voice goes on without it, and the person is told. */
		char s[512];
		snprintf(s, sizeof s, "%s Voice goes on without sound devices.", aerr);
		notice(v, s);
		if (open_audio(v, "", "", aerr, sizeof aerr) < 0) {
			snprintf(err, errsz, "%s", aerr);
			pl_voice_free(v);
			return -EIO;
		}
	}
	if (v->has_server) {
		send_bind(v);
		arm_ms(v->bind_timer, BIND_RETRY_MS);
	}
	*vp = v;
	return 0;
}

void pl_voice_free(struct pl_voice *v)
{
	if (!v)
		return;
	pl_audio_close(v->audio); /* no callback runs after this: the rings are the loop's alone */
	if (v->eng) {
		drain_events(v);
		drain_rec(v);
	}
	if (v->bind_timer)
		event_free(v->bind_timer);
	if (v->poll)
		event_free(v->poll);
	if (v->rx_ev)
		event_free(v->rx_ev);
	if (v->wake_ev)
		event_free(v->wake_ev);
	if (v->fd >= 0)
		close(v->fd);
	pl_voice_stop_record(v);
	if (v->eng) {
		/* A file still being talked with: its samples are the loop's to free. */
		struct pl_ve_cmd c = {.kind = PL_VE_FILE_STOP};
		v->ev.send_done = NULL; /* freed, not finished: nobody is told */
		if (cmd(v, &c)) {
			pl_vengine_capture(NULL, 0, 0, v->eng); /* the thread is gone: run the command here */
			drain_events(v);
		}
	}
	pl_vengine_free(v->eng);
	free(v->pending);
	if (v->dump)
		fclose(v->dump);
	if (v->stats)
		fclose(v->stats);
	sodium_memzero(v->tx_key, sizeof v->tx_key);
	sodium_memzero(v->rx_keys, sizeof v->rx_keys);
	free(v);
}

/* --- files --- */

int pl_voice_send_file(struct pl_voice *v, const char *path, char *err, size_t errsz)
{
	struct pl_wav *w;
	int rc = pl_wav_open_read(&w, path, err, errsz);
	if (rc < 0)
		return rc;
	long frames = pl_wav_frames(w);
	if (frames <= 0 || frames > (long)FILE_MAX_S * 48000) {
		snprintf(err, errsz, "The audio file %s is %s; give one of up to an hour.", path,
			 frames <= 0 ? "empty" : "too long");
		pl_wav_close(w);
		return -EINVAL;
	}
	int16_t *pcm = malloc((size_t)frames * sizeof *pcm);
	long got = pcm ? pl_wav_read(w, pcm, (size_t)frames) : -ENOMEM;
	pl_wav_close(w);
	if (got <= 0) {
		snprintf(err, errsz, "Cannot read the audio file %s.", path);
		free(pcm);
		return got < 0 ? (int)got : -EIO;
	}
	free(v->pending);
	v->pending = pcm;
	v->pending_n = (size_t)got;
	if (v->bound || v->has_peer) /* a direct peer takes it whether the relay knows us or not */
		voice_start_file(v);
	return 0;
}

int pl_voice_record(struct pl_voice *v, const char *path, char *err, size_t errsz)
{
	struct pl_wav *w;
	int rc = pl_wav_open_write(&w, path, err, errsz);
	if (rc < 0)
		return rc;
	pl_voice_stop_record(v);
	drain_rec(v); /* what was played before now is not part of it */
	v->rec = w;
	v->rec_samples = 0;
	cmd_a(v, PL_VE_RECORD, 1);
	return 0;
}

void pl_voice_stop_record(struct pl_voice *v)
{
	if (!v->rec)
		return;
	if (v->eng) {
		cmd_a(v, PL_VE_RECORD, 0);
		drain_rec(v);
	}
	pl_wav_close(v->rec);
	v->rec = NULL;
}

void pl_voice_stats(const struct pl_voice *v, struct pl_voice_stats *st)
{
	*st = v->st;
	st->tampered += v->tampered;
	st->replayed += v->replayed;
	st->dropped += v->dropped;
	st->received = v->received;
	st->recorded_frames = v->rec_samples / PL_FRAME_SAMPLES;
	snprintf(st->backend, sizeof st->backend, "%s", pl_voice_backend(v));
	pl_voice_devices(v, st->input, sizeof st->input, st->output, sizeof st->output);
}

/* --- the person's controls --- */

void pl_voice_set_mute(struct pl_voice *v, bool on)
{
	cmd_a(v, PL_VE_MUTE, on);
	v->st.muted = on;
}

void pl_voice_set_deafen(struct pl_voice *v, bool on)
{
	cmd_a(v, PL_VE_DEAFEN, on);
	v->st.deafened = on;
}

void pl_voice_set_ptt(struct pl_voice *v, bool on)
{
	cmd_a(v, PL_VE_PTT, on);
	v->st.ptt = on;
}

void pl_voice_set_mode(struct pl_voice *v, uint8_t mode)
{
	cmd_a(v, PL_VE_MODE, mode);
	v->st.mode = mode;
}

void pl_voice_set_vad_db(struct pl_voice *v, int db)
{
	cmd_a(v, PL_VE_VAD_DB, db);
}

void pl_voice_set_processing(struct pl_voice *v, bool aec, bool ns, bool agc)
{
	struct pl_ve_cmd c = {.kind = PL_VE_DSP, .a = aec, .b = ns, .c = agc};
	cmd(v, &c);
}

int pl_voice_set_devices(struct pl_voice *v, const char *input, const char *output, char *err, size_t errsz)
{
	char in[256], out[256];
	snprintf(in, sizeof in, "%s", input ? input : v->in_dev);
	snprintf(out, sizeof out, "%s", output ? output : v->out_dev);
	pl_audio_close(v->audio);
	v->audio = NULL;
	int rc = open_audio(v, in, out, err, errsz);
	if (rc == 0) {
		snprintf(v->in_dev, sizeof v->in_dev, "%s", in);
		snprintf(v->out_dev, sizeof v->out_dev, "%s", out);
		return 0;
	}
	char aerr[256];
	v->in_dev[0] = v->out_dev[0] = '\0';
	if (open_audio(v, "", "", aerr, sizeof aerr) < 0)
		notice(v, aerr);
	return rc;
}

void pl_voice_devices(const struct pl_voice *v, char *in, size_t insz, char *out, size_t outsz)
{
	if (v->audio) {
		pl_audio_devices(v->audio, in, insz, out, outsz);
	} else {
		snprintf(in, insz, "%s", "");
		snprintf(out, outsz, "%s", "");
	}
}

const char *pl_voice_backend(const struct pl_voice *v)
{
	return v->audio ? pl_audio_backend(v->audio) : "none";
}

/* --- the format of a call --- */

int pl_voice_set_format(struct pl_voice *v, const struct pl_media_format *f, char *err, size_t errsz)
{
	struct pl_media_format want;
	if (f) {
		want = *f;
	} else {
		pl_mformat_default(&want);
		want.chunk = (uint16_t)(v->cfg.frame_ms * 48);
	}
	if (pl_mformat_equal(&want, &v->fmt))
		return 0;
	char why[200];
	if (pl_mformat_check(&want, why, sizeof why) < 0) {
		snprintf(err, errsz, "The voice engine cannot carry that format: %s", why);
		return -EINVAL;
	}
	struct pl_ve_codecs *k;
	int rc = pl_ve_codecs_alloc(&k, &want, &v->vc);
	if (rc < 0) {
		char d[128];
		pl_mformat_describe(&want, d, sizeof d);
		snprintf(err, errsz, "The voice engine cannot carry %s (%s).", d,
			 rc == -EINVAL ? "a packet longer than 60 ms, or a rate Opus does not take" : strerror(-rc));
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	struct pl_ve_cmd c = {.kind = PL_VE_CODECS, .p = k};
	if (!cmd(v, &c)) {
		pl_ve_codecs_free(k);
		snprintf(err, errsz, "The voice engine is not answering; the call's format could not be set.");
		return -EAGAIN;
	}
	v->fmt = want;
	return 0;
}

/* --- peers --- */
