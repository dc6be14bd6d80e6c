/*
 * vengine: the audio-thread half of the voice engine (client/voice.h tells the whole story).
 *
 * It is called only from the sound device's thread (media/audio.h callbacks), owns everything it
 * touches there, and talks to the event loop through five rings: rx (received payloads, opened),
 * tx (payloads to seal and send; an eventfd wakes the loop), cmd (the person's controls, files,
 * formats), ev (snapshots and happenings) and rec (what was played, for a recording). Everything
 * is allocated by pl_vengine_alloc or, for a new format, by the event loop before it is handed
 * over; the callbacks allocate, lock and log nothing.
 *
 * Internal to the client: voice.c is its only user.
 */
#ifndef PL_VENGINE_H
#define PL_VENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/vstats.h"
#include "core/mformat.h"
#include "core/spsc.h"
#include "core/vframe.h"

struct pl_mtx;
struct pl_mrx;

struct pl_ve_rx {
	uint64_t sender;
	uint64_t arrival_us;
	uint32_t ts;
	uint16_t seq;
	uint16_t len;
	uint8_t data[PL_VFRAME_MAX];
};

struct pl_ve_tx {
	uint16_t seq;      /* 0 for a report */
	uint32_t ts;
	uint16_t len;
	uint16_t media_off, media_len; /* the primary media frame inside data (the dump's record) */
	uint8_t data[PL_VFRAME_MAX];
};

#define PL_VE_REC_CHUNK 256
struct pl_ve_rec {
	uint16_t n;
	int16_t pcm[PL_VE_REC_CHUNK];
};

/* The codec objects of one format, made by the event loop and handed to the audio thread. */
struct pl_ve_codecs {
	struct pl_media_format fmt;
	struct pl_mtx *tx;
	struct pl_mrx *rx[PL_VOICE_TALKERS];
};

enum pl_ve_cmd_kind {
	PL_VE_MUTE, PL_VE_DEAFEN, PL_VE_PTT, PL_VE_MODE, PL_VE_VAD_DB, PL_VE_DSP, PL_VE_FILE, PL_VE_FILE_STOP,
	PL_VE_RECORD, PL_VE_CODECS, PL_VE_FORGET,
};

struct pl_ve_cmd {
	uint8_t kind;
	int a, b, c;
	uint64_t id;
	void *p;   /* FILE: the samples (the audio thread reads, the loop frees after FILE_DONE); CODECS */
	size_t n;
};

enum pl_ve_ev_kind {
	PL_VE_SNAPSHOT,  /* st */
	PL_VE_FILE_DONE, /* n: frames sent; p: the samples to free */
	PL_VE_FAILED,    /* the device failed: err */
	PL_VE_FREE,      /* p: a struct pl_ve_codecs the audio thread no longer uses */
};

struct pl_ve_ev {
	uint8_t kind;
	int err;
	uint64_t n;
	void *p;
	struct pl_voice_stats st;
};

struct pl_vengine_config {
	unsigned frame;          /* capture frame, samples at 48 kHz (480 or 960) */
	unsigned jitter_fixed_ms;
	bool plc_only;
	bool aec, ns, agc;
	int vad_db;
	uint8_t mode;
	unsigned bitrate;
	bool dtx;
	uint64_t self;           /* our session: reports about it are ours */
	bool mic;                /* capture is a real microphone (or a simulated echo path); without one a
	                          * file talked with is sent unprocessed, exactly its samples */
};

struct pl_vengine;

/* codecs: the first format's (the engine takes them). */
int pl_vengine_alloc(struct pl_vengine **ep, const struct pl_vengine_config *c, struct pl_ve_codecs *codecs);
void pl_vengine_free(struct pl_vengine *e);

/* Makes the codec objects for a format (on the event loop); pl_ve_codecs_free frees them. */
int pl_ve_codecs_alloc(struct pl_ve_codecs **cp, const struct pl_media_format *f, const struct pl_vengine_config *c);
void pl_ve_codecs_free(struct pl_ve_codecs *c);

struct pl_spsc *pl_vengine_rx(struct pl_vengine *e);
struct pl_spsc *pl_vengine_tx(struct pl_vengine *e);
struct pl_spsc *pl_vengine_cmd(struct pl_vengine *e);
struct pl_spsc *pl_vengine_ev(struct pl_vengine *e);
struct pl_spsc *pl_vengine_rec(struct pl_vengine *e);
/* Readable when tx has items (an eventfd). */
int pl_vengine_wakefd(const struct pl_vengine *e);
/* The device's latencies, for the snapshot (the event loop reads the device's atomics). */
void pl_vengine_set_device_latency(struct pl_vengine *e, uint32_t in_us, uint32_t out_us);

/* Whether capture is a real microphone (pl_vengine_config.mic). Only while no audio thread runs
 * the engine (between closing one device and opening the next). */
void pl_vengine_set_mic(struct pl_vengine *e, bool mic);

/* The device callbacks (media/audio.h); arg is the engine. */
void pl_vengine_capture(const int16_t *pcm, size_t n, uint64_t now_us, void *arg);
void pl_vengine_playback(int16_t *out, size_t n, uint64_t now_us, void *arg);
void pl_vengine_failed(int err, void *arg);

#endif
