/*
 * voice: the client's audio engine, one for room voice and calls alike.
 *
 * Threads. The event loop's side (client/voice.c) owns the UDP socket: it proves the address to
 * the server (BIND, CHALLENGE, CONFIRM), seals what it sends and opens what it receives when keys
 * are set (core/media.h), drops forgeries and replays, and writes recordings. The audio side
 * (client/vengine.c) runs on the sound device's thread (media/audio.h): capture, echo
 * cancellation, noise suppression and gain (media/dsp.h), voice activation, push-to-talk and mute,
 * encoding with redundancy, and per talker an adaptive jitter buffer (core/ajb.h), decoding,
 * concealment and time-scaling, then mixing and playout. The two meet only in lock-free rings
 * (core/spsc.h): received frames one way, frames to send the other, commands and snapshots; the
 * audio thread never waits for the network, the disk or the UI, and allocates nothing per frame.
 *
 * Wire. Every VOICE payload is a core/vframe.h frame: audio (with up to two redundant copies of
 * earlier frames when the receivers report loss) or a receiver's report. With a tx key each
 * payload is sealed with pl_media_seal under a counter that starts at 1; from a sender with rx
 * keys only payloads that open, once each, are played.
 *
 * Test hooks: PARLEY_VOICE_DUMP=FILE appends each media frame sent (the primary frame, without
 * its redundant copies), before sealing, to FILE as records of a u16 length (big-endian) and the
 * frame's bytes (the format tests/integration/test_calls.py reads).
 */
#ifndef PL_VOICE_H
#define PL_VOICE_H

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "client/vstats.h"
#include "core/env.h"
#include "core/mformat.h"
#include "core/msg.h"
#include "media/audio.h"

struct pl_voice;

struct pl_voice_events {
	void (*bound)(void *arg);                      /* the server first acknowledged our BIND */
	void (*send_done)(uint64_t frames, void *arg); /* the file being sent is used up */
	void (*notice)(const char *sentence, void *arg); /* a device went away, and the like */
};

/* How the engine starts; every field has a default from pl_voice_config_default. */
struct pl_voice_config {
	char input[256], output[256]; /* sound devices (media/audio.h): "" none, "default", a name */
	unsigned frame_ms;            /* 10 or 20 */
	unsigned jitter_fixed_ms;     /* non-zero: a fixed jitter buffer of this delay, no adaptation */
	bool plc_only;                /* no FEC or redundancy, sent or used: the plain Opus reference */
	bool aec, ns, agc;            /* microphone processing (media/dsp.h) */
	int vad_db;                   /* voice activation threshold, dBFS */
	uint8_t mode;                 /* enum pl_voice_mode */
	unsigned out_ms;              /* the speaker's buffer */
	unsigned bitrate;             /* bit/s */
	bool dtx;
	struct pl_echo_sim echo;      /* tests: an echo path from speaker to microphone (no devices) */
	char stats_file[1024];        /* a JSON line of statistics every second, or "" */
	/* With no server (pl_voice_alloc's server NULL): the local address and port the socket is
	 * bound to; "" is every interface (IPv6 and IPv4 both where the machine has IPv6), port 0 an
	 * ephemeral one (pl_voice_local_port tells which). Ignored with a server. */
	char bind_addr[64];
	uint16_t bind_port;
};
void pl_voice_config_default(struct pl_voice_config *c);

/* Starts the engine and the audio thread. A sound device that cannot be opened is no error: the
 * engine runs without it and events.notice says why.
 *
 * server NULL: no server at all (direct mode, client/direct.h): no BIND, the socket is bound to
 * cfg->bind_addr and cfg->bind_port, key may be NULL, session is this engine's own sender id (a
 * random one), and media goes only to a peer set with pl_voice_set_peer. */
int pl_voice_alloc(struct pl_voice **vp, struct event_base *base, const struct pl_env *env,
		   const struct sockaddr *server, uint64_t session, const uint8_t key[PL_VOICE_KEY_LEN],
		   const struct pl_voice_config *cfg, const struct pl_voice_events *ev, void *arg,
		   char *err, size_t errsz);
/* Stops the audio thread, finishes the recording (a valid WAV) and frees everything. */
void pl_voice_free(struct pl_voice *v);

/* Talks with a WAV file (48 kHz mono), mixed into the microphone, once bound. */
int pl_voice_send_file(struct pl_voice *v, const char *path, char *err, size_t errsz);
/* Writes what is heard, mixed, to a WAV file from now on. */
int pl_voice_record(struct pl_voice *v, const char *path, char *err, size_t errsz);
void pl_voice_stop_record(struct pl_voice *v);
/* The latest snapshot, with the event loop's own counters (tampered, replayed) added. */
void pl_voice_stats(const struct pl_voice *v, struct pl_voice_stats *st);

/* The person's controls. */
void pl_voice_set_mute(struct pl_voice *v, bool on);
void pl_voice_set_deafen(struct pl_voice *v, bool on); /* deafened is muted too, as in Mumble */
void pl_voice_set_ptt(struct pl_voice *v, bool on);    /* push-to-talk held (a toggle in a terminal) */
void pl_voice_set_mode(struct pl_voice *v, uint8_t mode);
void pl_voice_set_vad_db(struct pl_voice *v, int db);
void pl_voice_set_processing(struct pl_voice *v, bool aec, bool ns, bool agc);
/* Reopens the sound devices (NULL keeps one as it is). Returns 0, or -errno with a sentence; the
 * engine keeps running without devices then. */
int pl_voice_set_devices(struct pl_voice *v, const char *input, const char *output, char *err, size_t errsz);
void pl_voice_devices(const struct pl_voice *v, char *in, size_t insz, char *out, size_t outsz);
const char *pl_voice_backend(const struct pl_voice *v);

/*
 * Calls (driven by the call signalling):
 *
 * With a tx key every payload sent is sealed under it, its counter starting at 1 (a new key, or
 * the same key set again, starts over: the caller must never set one key twice). Cleared, payloads
 * go in clear (room voice today).
 *
 * With an rx key for a sender, that sender's payloads are opened with the key their key id names
 * and checked against a replay window per (sender, key id); one that does not open counts as
 * tampered, one seen before (or too old) as replayed; neither is played. A sender with a key never
 * gets a clear payload accepted. require_keys makes every sender without a key refused as well.
 */
void pl_voice_set_tx_key(struct pl_voice *v, uint8_t key_id, const uint8_t key[32]);
void pl_voice_clear_tx_key(struct pl_voice *v);
/* -ENOSPC when PL_VOICE_RX_KEYS senders already have keys. */
#define PL_VOICE_RX_KEYS 64
int pl_voice_set_rx_key(struct pl_voice *v, uint64_t sender, uint8_t key_id, const uint8_t key[32]);
void pl_voice_forget_sender(struct pl_voice *v, uint64_t sender);
/* From now on the sender's payloads must open: until a key for it is set they are dropped (counted
 * in dropped), never played as they are (room voice from a member with a device key). -ENOSPC as
 * set_rx_key. */
int pl_voice_expect_sealed(struct pl_voice *v, uint64_t sender);
void pl_voice_require_keys(struct pl_voice *v, bool on);
/* The format of a call (Opus, or PCM as negotiated); the default is Opus 48 kHz mono with the
 * engine's frame. Applies to what is sent and to every sender heard. -EINVAL with a sentence in err
 * for a format the engine cannot carry. */
int pl_voice_set_format(struct pl_voice *v, const struct pl_media_format *f, char *err, size_t errsz);

/*
 * Peers (direct mode, hole punching): media straight to another client instead of the relay.
 *
 * pl_voice_set_peer: from now on what is sent goes to peer (not the relay), and VOICE packets
 * from peer are taken as sender peer_id whatever their header says (set peer_id's rx key with
 * pl_voice_set_rx_key; the seal still covers the header as it came). Packets from the relay are
 * still taken, so a switch loses nothing in flight either way; the audio thread does not notice.
 * pl_voice_set_peer(v, NULL, 0, 0) returns to the relay. 0, or -EINVAL for an address of no
 * family the socket can reach (an IPv6 peer on an IPv4 socket).
 */
int pl_voice_set_peer(struct pl_voice *v, const struct sockaddr *peer, socklen_t len, uint64_t peer_id);
/* Birthday probing (client/callpath.c): media to the peer leaves from fd, a probe socket the caller
 * owns, instead of the voice socket (-1: the voice socket again; setting no peer resets it). What
 * arrives on that socket the caller hands to pl_voice_input (a peer's packet is taken as on the
 * voice socket; anything else is counted as dropped). */
void pl_voice_set_peer_fd(struct pl_voice *v, int fd);
/* A call's second host socket (client/callpath.c: one of the other family than the voice socket's):
 * pl_voice_set_peer with the peer reached from fd, whose family the peer's address has (any, then:
 * an IPv6 peer beside an IPv4 voice socket); fd -1 is pl_voice_set_peer itself. What arrives on fd
 * the caller hands to pl_voice_input. 0 or -EINVAL. */
int pl_voice_set_peer_via(struct pl_voice *v, int fd, const struct sockaddr *peer, socklen_t len, uint64_t peer_id);
void pl_voice_input(struct pl_voice *v, const uint8_t *buf, size_t len, const struct sockaddr *from,
		    socklen_t fromlen);
/* While a peer is set: on, each packet goes to the relay as well (a direct path that stopped
 * answering, not yet given up: the receiver's replay window drops the second copy); off, to the
 * peer alone. Setting no peer turns it off. */
/* This device's addresses changed (client/callpath.c): the relay may no longer know the address
 * our packets come from. A BIND now, as the keepalive would send later, so the address is proven
 * again (CHALLENGE, CONFIRM) within a round trip rather than up to BIND_KEEPALIVE_MS later. */
void pl_voice_rebind(struct pl_voice *v);
void pl_voice_set_hedge(struct pl_voice *v, bool on);
/* Every datagram on the voice socket that is not for the engine (not a packet from the relay or
 * the peer that decodes as a voice packet: STUN, by RFC 7983's first-byte demultiplexing, or
 * direct-mode signalling, core/dmsg.h) goes to fn, which returns whether it took it (if not, it
 * is counted as dropped). NULL removes the hook. The buffer is the engine's: copy what is kept. */
typedef bool (*pl_voice_dgram_fn)(void *arg, const uint8_t *buf, size_t len, const struct sockaddr *from,
				  socklen_t fromlen);
void pl_voice_set_dgram_hook(struct pl_voice *v, pl_voice_dgram_fn fn, void *arg);
/* Sends one datagram from the voice socket (the NAT binding the media uses: what hole punching
 * needs). An IPv4 address is sent v4-mapped on an IPv6 socket. 0, or -errno. */
int pl_voice_sendto(struct pl_voice *v, const void *buf, size_t len, const struct sockaddr *to, socklen_t tolen);
/* The local port of the voice socket. */
uint16_t pl_voice_local_port(const struct pl_voice *v);

#endif
