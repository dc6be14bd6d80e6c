#include "media/wav.h"

#include <errno.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "media/codec.h"

struct pl_wav {
	SNDFILE *sf;
	SF_INFO info;
};

int pl_wav_open_read(struct pl_wav **wp, const char *path, char *err, size_t errsz)
{
	struct pl_wav *w = calloc(1, sizeof *w);
	if (!w)
		return -ENOMEM;
	w->sf = sf_open(path, SFM_READ, &w->info);
	if (!w->sf) {
		bool missing = access(path, R_OK) != 0;
		snprintf(err, errsz, "Cannot read the audio file %s (%s); %s", path,
			 missing ? strerror(errno) : "not a sound file libsndfile knows",
			 missing ? "check the path." : "give a 48 kHz mono WAV file.");
		free(w);
		return missing ? -ENOENT : -EINVAL;
	}
	if (w->info.samplerate != PL_RATE || w->info.channels != PL_CHANNELS) {
		snprintf(err, errsz,
			 "The audio file %s is %d Hz with %d channel(s); parley needs 48000 Hz mono. "
			 "Convert it, e.g.: sox %s -r 48000 -c 1 -b 16 out.wav",
			 path, w->info.samplerate, w->info.channels, path);
		sf_close(w->sf);
		free(w);
		return -EINVAL;
	}
	*wp = w;
	return 0;
}

int pl_wav_open_write(struct pl_wav **wp, const char *path, char *err, size_t errsz)
{
	struct pl_wav *w = calloc(1, sizeof *w);
	if (!w)
		return -ENOMEM;
	w->info.samplerate = PL_RATE;
	w->info.channels = PL_CHANNELS;
	w->info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
	w->sf = sf_open(path, SFM_WRITE, &w->info);
	if (!w->sf) {
		snprintf(err, errsz, "Cannot create the audio file %s: %s. Check that its folder exists and is writable.",
			 path, sf_strerror(NULL));
		free(w);
		return -EIO;
	}
	*wp = w;
	return 0;
}

long pl_wav_read(struct pl_wav *w, int16_t *pcm, size_t n)
{
	sf_count_t got = sf_readf_short(w->sf, pcm, (sf_count_t)n);
	return got < 0 ? -EIO : (long)got;
}

int pl_wav_write(struct pl_wav *w, const int16_t *pcm, size_t n)
{
	return sf_writef_short(w->sf, pcm, (sf_count_t)n) == (sf_count_t)n ? 0 : -EIO;
}

long pl_wav_frames(const struct pl_wav *w)
{
	return (long)w->info.frames;
}

int pl_wav_close(struct pl_wav *w)
{
	if (!w)
		return 0;
	int rc = sf_close(w->sf) == 0 ? 0 : -EIO;
	free(w);
	return rc;
}
