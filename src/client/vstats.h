/*
 * vstats: what the voice engine tells the rest of the client about itself: counters, the latency
 * breakdown and the live state the terminal UI shows (level, mute, who is talking). The audio
 * thread publishes a snapshot of it ten times a second; the event loop keeps the latest.
 * vstats.c writes it out for a person (/stats).
 */
#ifndef PL_VSTATS_H
#define PL_VSTATS_H

#include <stdbool.h>
#include <stdint.h>

#define PL_VOICE_TALKERS 16

enum pl_voice_mode {
	PL_VOICE_CONTINUOUS, /* always transmit */
	PL_VOICE_VAD,        /* transmit while the voice detector hears speech (voice activation) */
	PL_VOICE_PTT,        /* transmit while push-to-talk is on */
};

struct pl_voice_stats {
	/* packets and frames */
	uint64_t sent;            /* audio packets sent */
	uint64_t received;        /* audio packets received from others */
	uint64_t played;          /* frames played */
	uint64_t lost;            /* frames missing when due (before any recovery) */
	uint64_t concealed_fec;   /* lost frames rebuilt from the next packet's in-band FEC */
	uint64_t red_recovered;   /* lost frames that came only as a redundant copy (RED) */
	uint64_t concealed;       /* frames of packet-loss concealment (lost, or the buffer ran dry) */
	uint64_t late, dup, dropped;
	uint64_t shrunk, stretched, skipped_silent; /* the jitter buffer's time-scaling */
	uint64_t tampered;        /* sealed packets that did not open (wrong key, changed bytes) */
	uint64_t replayed;        /* sealed packets seen before, or too old for the replay window */
	uint64_t reports_sent, reports_received;
	uint64_t recorded_frames; /* 20 ms frames written to the recording */
	/* sending */
	unsigned bitrate;         /* the encoder's target, bit/s */
	double tx_kbps;           /* what was sent over the last second, payloads, kbit/s */
	unsigned redundancy;      /* copies of earlier frames in each packet (RED), 0-2 */
	unsigned expected_loss;   /* % the encoder spends in-band FEC for */
	double remote_loss;       /* % the receivers report of our packets (the worst) */
	/* receiving */
	double rx_loss;           /* % of our talkers' packets that never came (the worst talker) */
	double jitter_ms;         /* 97th percentile of arrival-delay variation (the worst talker) */
	double jb_target_ms;      /* the jitter buffer's target (the worst talker) */
	double play_jitter_ms;    /* how unevenly the speaker asks for sound (part of the target) */
	/* where the delay goes, ms (-1: not known yet) */
	double lat_capture, lat_encode, lat_network, lat_jitter, lat_playout, lat_total;
	double cpu_pct;           /* the audio thread's processing, % of one core */
	/* the live state */
	float level_db;           /* the microphone after processing, dBFS */
	bool voice;               /* the voice detector hears speech */
	bool transmitting;
	bool muted, deafened, ptt;
	uint8_t mode;             /* enum pl_voice_mode */
	bool device_ok;           /* a sound device is open (or none was asked for) */
	unsigned ntalking;
	uint64_t talking[PL_VOICE_TALKERS]; /* sessions heard in the last 300 ms */
	/* the devices, as the event loop knows them (not in the audio thread's snapshots) */
	char backend[8];          /* "pulse", or "none" (no sound device) */
	char input[128], output[128]; /* the devices open, "" for none */
};

#define PL_VSTATS_LINES 5   /* the /stats readout's lines */
#define PL_VSTATS_LINE 512

/* The /stats readout (client/vstats.c): where the delay goes (each part, "?" while not known),
 * what arrives and what was made of what did not, what is sent and how, time-scaling and drops,
 * and the audio devices and thread. Writes the lines into out; returns how many. */
int pl_vstats_lines(const struct pl_voice_stats *st, char out[][PL_VSTATS_LINE]);

#endif
