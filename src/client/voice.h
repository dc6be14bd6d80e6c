/*
 * voice: the client's audio engine for the walking skeleton: WAV file in as the microphone, WAV
 * file out as the speaker, Opus 20 ms frames over UDP to the server's relay.
 *
 * It proves its UDP address to the server with BIND and answers the server's CHALLENGE with a
 * CONFIRM (BIND resent until BIND_ACK; then every 10 s, to hold the server's binding and NAT
 * mappings open; and again, through a CHALLENGE, when the BIND_ACKs stop). It paces sending and
 * playout on the monotonic clock (so neither drifts with timer jitter), keeps a jitter buffer and
 * decoder per remote talker, and mixes them. All buffers are made at start and when a new talker
 * appears; nothing is allocated per packet. In a call it seals what it sends and opens what it
 * receives (core/media.h). Test hook: PARLEY_VOICE_DUMP=FILE writes each Opus frame sent, before
 * sealing, as a u16 big-endian length and the frame.
 */
#ifndef PL_VOICE_H
#define PL_VOICE_H

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/env.h"
#include "core/mformat.h"
#include "core/msg.h"

#define PL_VOICE_TALKERS 16

struct pl_voice;

struct pl_voice_events {
	void (*bound)(void *arg);                      /* the server first acknowledged our BIND */
	void (*send_done)(uint64_t frames, void *arg); /* the microphone file is used up */
};

struct pl_voice_stats {
	uint64_t sent, received, played, lost, concealed_fec, late, dropped;
	uint64_t tampered; /* sealed packets that did not open (wrong key, changed bytes) */
	uint64_t replayed; /* sealed packets seen before, or too old for the replay window */
	uint64_t recorded_frames;
};

int pl_voice_alloc(struct pl_voice **vp, struct event_base *base, const struct pl_env *env,
		   const struct sockaddr *server, uint64_t session, const uint8_t key[PL_VOICE_KEY_LEN],
		   unsigned jitter_frames, const struct pl_voice_events *ev, void *arg,
		   char *err, size_t errsz);
/* Finishes the recording (a valid WAV) and frees everything. */
void pl_voice_free(struct pl_voice *v);

/* Starts sending the WAV file (48 kHz mono) in real time, once bound. */
int pl_voice_send_file(struct pl_voice *v, const char *path, char *err, size_t errsz);
/* Starts writing what is heard, mixed, to a WAV file, one frame per 20 ms from now on. */
int pl_voice_record(struct pl_voice *v, const char *path, char *err, size_t errsz);
void pl_voice_stop_record(struct pl_voice *v);
void pl_voice_stats(const struct pl_voice *v, struct pl_voice_stats *st);

/*
 * Calls (driven by the call signalling):
 *
 * With a tx key every frame sent is sealed under it (core/media.h), its counter starting at 1 (a
 * new key, or the same key set again, starts over: the caller must never set one key twice).
 * Cleared (key NULL), frames go in clear (room voice).
 *
 * With an rx key for a sender, that sender's payloads are opened with the key their key id names
 * and checked against a replay window per (sender, key id); one that does not open counts as
 * tampered, one seen before (or too old) as replayed; neither is played. A sender with a key never
 * gets a clear payload accepted.
 */
void pl_voice_set_tx_key(struct pl_voice *v, uint8_t key_id, const uint8_t key[32]);
/* -ENOSPC when PL_VOICE_RX_KEYS (sender, key id) pairs already have keys. */
#define PL_VOICE_RX_KEYS 64
int pl_voice_set_rx_key(struct pl_voice *v, uint64_t sender, uint8_t key_id, const uint8_t key[32]);
void pl_voice_forget_sender(struct pl_voice *v, uint64_t sender);
/* From now on the sender's payloads must open: until a key for it is set they are dropped, never
 * played as they are (room voice from a member with a device key). -ENOSPC as set_rx_key. */
int pl_voice_expect_sealed(struct pl_voice *v, uint64_t sender);
/* The format of a call; NULL: the default (Opus 48 kHz mono, 20 ms). -EINVAL with a sentence in
 * err for a format this engine cannot carry. */
int pl_voice_set_format(struct pl_voice *v, const struct pl_media_format *f, char *err, size_t errsz);

#endif
