/*
 * wav: WAV files as the client's microphone and speaker when there is no sound device, through
 * libsndfile. Files are 48 kHz mono; reading converts any sample format to 16-bit.
 */
#ifndef PL_WAV_H
#define PL_WAV_H

#include <stddef.h>
#include <stdint.h>

struct pl_wav;

/* Opens a WAV for reading. On failure returns -errno-style code and writes a sentence for a
 * person into err (e.g. the file is 22050 Hz and how to convert it). */
int pl_wav_open_read(struct pl_wav **wp, const char *path, char *err, size_t errsz);
/* Creates a 48 kHz mono 16-bit WAV. */
int pl_wav_open_write(struct pl_wav **wp, const char *path, char *err, size_t errsz);
/* Returns the samples read (0 at the end), or -EIO. */
long pl_wav_read(struct pl_wav *w, int16_t *pcm, size_t n);
/* Returns 0 or -EIO. */
int pl_wav_write(struct pl_wav *w, const int16_t *pcm, size_t n);
/* Frames in the file (for reading). */
long pl_wav_frames(const struct pl_wav *w);
/* Finishes the header and closes; returns 0 or -EIO. */
int pl_wav_close(struct pl_wav *w);

#endif
