/*
 * voice_int: what the event loop's half of the voice engine shares between its files (voice.c:
 * the socket, the server's proof of address, keys, recordings and devices; voice_path.c: the
 * peer path a call's direct connection uses). Internal; nothing else includes it.
 */
#ifndef PL_CLIENT_VOICE_INT_H
#define PL_CLIENT_VOICE_INT_H

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "client/vengine.h"
#include "client/voice.h"
#include "core/media.h"
#include "net/udp.h"

#define BIND_RETRY_MS 250
/* Well inside the server's voice_binding_timeout (30 s by default), and a NAT's UDP timeout. */
#define BIND_KEEPALIVE_MS 10000
/* A keepalive BIND unanswered this long means the server forgot our address (or the path
 * changed): bind again, through a CHALLENGE, at the retry pace. */
#define BIND_ACK_LATE_MS 2000
#define POLL_MS 20           /* snapshots, recordings and events from the audio thread */
#define RX_KEYS PL_VOICE_RX_KEYS
#define TX_BATCH 32          /* datagrams sent with one sendmmsg */
#define FILE_MAX_S 3600      /* a file talked with is loaded whole: an hour at most */
#define OUT_CHUNK 240        /* playback pulled in 5 ms chunks */

/* A key to open one sender's media with, and its replay window (core/media.h). */
struct rx_key {
	uint64_t sender; /* 0: free */
	bool has_key;    /* false: the sender's packets must open, and its key has not come yet */
	uint8_t id;
	uint64_t since;  /* when it was set: the older of a sender's two keys makes way */
	uint8_t key[PL_MEDIA_KEY_LEN];
	struct pl_replay win;
};

struct pl_voice {
	struct event_base *base;
	const struct pl_env *env;
	struct pl_voice_events ev;
	void *arg;
	struct pl_voice_config cfg;
	struct pl_vengine_config vc;

	int fd;
	sa_family_t fd_family;
	bool has_server; /* false: direct mode, no relay */
	struct sockaddr_storage server;
	socklen_t server_len;
	/* A peer media goes to instead of the relay (pl_voice_set_peer), and who else may talk here. */
	bool has_peer, hedge; /* hedge: to the relay as well (pl_voice_set_hedge) */
	int peer_fd;          /* -1: the voice socket; else the probe socket media to the peer leaves from */
	struct sockaddr_storage peer;
	socklen_t peer_len;
	uint64_t peer_id;
	pl_voice_dgram_fn hook;
	void *hook_arg;
	uint64_t session;
	uint8_t key[PL_VOICE_KEY_LEN];
	uint64_t bind_counter; /* the last BIND's */
	uint64_t confirmed;    /* the counter of the last CHALLENGE answered */
	bool bound, ever_bound, awaiting_ack;
	struct event *bind_timer, *poll, *rx_ev, *wake_ev;
	struct pl_udp_rx rx;
	struct pl_udp_tx tx;

	/* the audio thread's half, and the devices that call it */
	struct pl_vengine *eng;
	struct pl_audio *audio;
	char in_dev[256], out_dev[256]; /* what was asked for */
	struct pl_media_format fmt;     /* what the engine carries now */

	/* a file to talk with: loaded whole, handed to the audio thread, freed after FILE_DONE */
	int16_t *pending;      /* waits for the BIND_ACK, or the server would drop it */
	size_t pending_n;

	/* the recording */
	struct pl_wav *rec;
	uint64_t rec_samples;

	/* End to end (a call): what seals our media, and what opens each sender's. A sender with a
	 * key is never heard in clear. */
	bool tx_keyed, require_keys;
	uint8_t tx_key[PL_MEDIA_KEY_LEN], tx_key_id;
	uint64_t tx_counter;
	struct rx_key rx_keys[RX_KEYS];
	uint64_t rx_key_clock;
	FILE *dump; /* PARLEY_VOICE_DUMP: every frame sent, before sealing, for tests */
	FILE *stats; /* cfg.stats_file */
	uint64_t stats_at_ms;

	struct pl_voice_stats st;      /* the audio thread's latest snapshot */
	uint64_t tampered, replayed, dropped; /* the event loop's own */
	uint64_t received;   /* audio packets from others accepted (opened, or clear from an unkeyed sender) */
	struct pl_ve_rx rxi;
	struct pl_ve_tx txi;
	uint8_t pkts[TX_BATCH][PL_VPKT_MAX];
	uint8_t zeros[PL_VPKT_MAX_PAYLOAD];
};

/* voice.c: hands the file waiting for the BIND_ACK to the audio thread. */
void voice_start_file(struct pl_voice *v);

#endif
