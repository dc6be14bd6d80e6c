/*
 * audio: the sound devices under the voice engine, each running an audio thread of its own that
 * calls the engine back: capture() with every captured frame, playback() whenever the device needs
 * samples. Both run on that thread, never at once, and must not block; the engine hands frames to
 * and from the event loop through lock-free rings.
 *
 * Backends:
 *   - PulseAudio (libpulse's threaded main loop; PipeWire's pulse server works the same): the
 *     default devices or named ones, capture in whole frames, playback pulled in small chunks
 *     against a short device buffer, so the jitter buffer decides as late as it can;
 *   - a clock: no device, a thread that asks for playback and delivers silent capture at the
 *     device pace, for headless use (WAV files in and out go through the engine) and tests; it
 *     can also play an echo path (a delay and a decaying impulse response) from what it plays into
 *     what it captures, for the echo canceller's tests.
 *
 * Samples are 48 kHz mono 16-bit everywhere; devices of other layouts are converted by the sound
 * server. A device that fails (the server stops, a USB headset is pulled) is reported once
 * through failed() from the audio thread, and its thread stops calling back.
 */
#ifndef PL_AUDIO_H
#define PL_AUDIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pl_audio_cb {
	void (*capture)(const int16_t *pcm, size_t n, uint64_t now_us, void *arg);
	void (*playback)(int16_t *out, size_t n, uint64_t now_us, void *arg);
	void (*failed)(int err, void *arg);
	void *arg;
};

/* An echo path for the clock backend: what is played comes back into the capture gain_db lower,
 * delay_ms later, spread over tail_ms by a decaying set of reflections (seeded, so runs repeat). */
struct pl_echo_sim {
	bool on;
	unsigned delay_ms, tail_ms;
	double gain_db;
	uint32_t seed;
};

struct pl_audio_opts {
	/* NULL or "" for none (no capture / discard playback), "default" for the sound server's
	 * default, else a device name as pl_audio_list gives it. Both none: the clock backend. */
	const char *input, *output;
	unsigned frame;        /* capture frame, samples (480 or 960) */
	unsigned chunk;        /* playback granularity, samples (240: 5 ms) */
	unsigned out_ms;       /* playback buffer the device keeps to start with (PulseAudio's tlength; grown after underruns) */
	struct pl_echo_sim echo;
	const char *app_name;  /* what the sound server shows */
};

struct pl_audio;

/* Opens the devices and starts the audio thread. On failure returns -errno with a sentence for a
 * person in err (no sound server; no such device). */
int pl_audio_open(struct pl_audio **ap, const struct pl_audio_opts *o, const struct pl_audio_cb *cb, char *err,
		  size_t errsz);
/* Stops the thread (no callback runs after it returns) and closes the devices. */
void pl_audio_close(struct pl_audio *a);
/* What the device adds, measured by the sound server now: capture (from the microphone to the
 * callback) and playback (from the callback to the speaker), microseconds. */
void pl_audio_latency(const struct pl_audio *a, uint32_t *in_us, uint32_t *out_us);
/* "pulse" or "none"; and the devices really opened ("" when none). */
const char *pl_audio_backend(const struct pl_audio *a);
void pl_audio_devices(const struct pl_audio *a, char *in, size_t insz, char *out, size_t outsz);

struct pl_audio_dev {
	bool input;            /* a source (microphone or monitor) or a sink (speaker) */
	bool is_default;
	char name[128];        /* what --input / --output take */
	char desc[128];        /* what a person reads */
};

/* Lists the sound server's sources and sinks into out (at most cap); returns how many, or -errno
 * with a sentence in err. Blocks for at most about two seconds. */
int pl_audio_list(struct pl_audio_dev *out, size_t cap, char *err, size_t errsz);

#endif
