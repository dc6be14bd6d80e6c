#include "core/mformat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const codecs[] = {"opus", "pcm"};
static const char *const samples[] = {"u8", "i8", "i16", "i32", "f32"};

void pl_mformat_default(struct pl_media_format *f)
{
	memset(f, 0, sizeof *f);
	f->codec = PL_CODEC_OPUS;
	f->rate = 48000;
	f->channels = 1;
	f->format = PL_SF_I16;
	f->chunk = 960;
}

unsigned pl_mformat_sample_bytes(uint8_t format)
{
	switch (format) {
	case PL_SF_U8:
	case PL_SF_I8: return 1;
	case PL_SF_I16: return 2;
	case PL_SF_I32:
	case PL_SF_F32: return 4;
	default: return 0;
	}
}

size_t pl_mformat_pcm_bytes(const struct pl_media_format *f)
{
	return (size_t)f->chunk * f->channels * pl_mformat_sample_bytes(f->format);
}

static bool rate_ok(uint32_t r)
{
	return r == 8000 || r == 12000 || r == 16000 || r == 24000 || r == 48000;
}

int pl_mformat_check(const struct pl_media_format *f, char *why, size_t whysz)
{
	const char *w = NULL;
	char buf[160];
	/* Chunks from 2.5 to 60 ms, Opus's frame sizes' range; for Opus one of its own sizes. */
	unsigned min = f->rate / 400, max = f->rate / 1000 * 60;
	if (f->codec > PL_CODEC_MAX)
		w = "the codec must be opus or pcm";
	else if (!rate_ok(f->rate))
		w = "the sample rate must be 8000, 12000, 16000, 24000 or 48000 Hz";
	else if (f->channels != 1 && f->channels != 2)
		w = "there must be 1 or 2 channels";
	else if (f->format > PL_SF_MAX)
		w = "the sample format must be u8, i8, i16, i32 or f32";
	else if (f->chunk < min || f->chunk > max)
		w = "a chunk is 2.5 to 60 ms of samples";
	else if (f->codec == PL_CODEC_OPUS && f->chunk != min && f->chunk != 2 * min && f->chunk != 4 * min &&
		 f->chunk != 8 * min && f->chunk != 16 * min && f->chunk != 24 * min)
		w = "an Opus chunk is 2.5, 5, 10, 20, 40 or 60 ms";
	else if (f->codec == PL_CODEC_PCM && pl_mformat_pcm_bytes(f) > PL_MFORMAT_MAX_FRAME) {
		snprintf(buf, sizeof buf, "a PCM chunk is %zu bytes, more than the %d a voice packet carries; "
			 "use a smaller chunk or sample format", pl_mformat_pcm_bytes(f), PL_MFORMAT_MAX_FRAME);
		w = buf;
	}
	if (w && why)
		snprintf(why, whysz, "%s", w);
	return w ? -EINVAL : 0;
}

const char *pl_mformat_codec_name(uint8_t codec) { return codec <= PL_CODEC_MAX ? codecs[codec] : "?"; }
const char *pl_mformat_sample_name(uint8_t format) { return format <= PL_SF_MAX ? samples[format] : "?"; }

int pl_mformat_codec_parse(const char *s, uint8_t *codec)
{
	for (uint8_t i = 0; i <= PL_CODEC_MAX; i++)
		if (strcmp(s, codecs[i]) == 0)
			return *codec = i, 0;
	return -EINVAL;
}

int pl_mformat_sample_parse(const char *s, uint8_t *format)
{
	for (uint8_t i = 0; i <= PL_SF_MAX; i++)
		if (strcmp(s, samples[i]) == 0)
			return *format = i, 0;
	return -EINVAL;
}

void pl_mformat_describe(const struct pl_media_format *f, char *out, size_t sz)
{
	double ms = f->rate ? 1000.0 * f->chunk / f->rate : 0;
	const char *ch = f->channels == 2 ? "stereo" : "mono";
	if (f->codec == PL_CODEC_OPUS)
		snprintf(out, sz, "Opus %u Hz %s, %g ms", f->rate, ch, ms);
	else
		snprintf(out, sz, "PCM %s %u Hz %s, %g ms (%zu bytes a packet)", pl_mformat_sample_name(f->format), f->rate,
			 ch, ms, pl_mformat_pcm_bytes(f));
}

void pl_mformat_string(const struct pl_media_format *f, char *out, size_t sz)
{
	double ms = f->rate ? 1000.0 * f->chunk / f->rate : 0;
	snprintf(out, sz, "%s:%u:%u:%s:%g", pl_mformat_codec_name(f->codec), f->rate, f->channels,
		 pl_mformat_sample_name(f->format), ms);
}

int pl_mformat_parse(const char *s, struct pl_media_format *f, char *why, size_t whysz)
{
	char buf[64], *save = NULL;
	if (strlen(s) >= sizeof buf) {
		snprintf(why, whysz, "a media format is codec[:rate[:channels[:format[:ms]]]], like pcm:16000:1:i16:20");
		return -EINVAL;
	}
	snprintf(buf, sizeof buf, "%s", s);
	pl_mformat_default(f);
	char *part[5] = {0};
	int n = 0;
	for (char *p = strtok_r(buf, ":", &save); p && n < 6; p = strtok_r(NULL, ":", &save))
		if (n < 5)
			part[n++] = p;
		else
			n++;
	double ms = 20;
	char *end;
	if (n == 0 || n > 5 || pl_mformat_codec_parse(part[0], &f->codec) < 0) {
		snprintf(why, whysz, "a media format is codec[:rate[:channels[:format[:ms]]]] with codec opus or pcm, "
			 "like pcm:16000:1:i16:20, not '%.40s'", s);
		return -EINVAL;
	}
	f->rate = f->codec == PL_CODEC_PCM ? 16000 : 48000;
	if (n > 1) {
		unsigned long r = strtoul(part[1], &end, 10);
		if (*end || r > UINT32_MAX) {
			snprintf(why, whysz, "the sample rate must be a number of Hz, not '%.20s'", part[1]);
			return -EINVAL;
		}
		f->rate = (uint32_t)r;
	}
	if (n > 2) {
		unsigned long c = strtoul(part[2], &end, 10);
		if (*end || c < 1 || c > 2) {
			snprintf(why, whysz, "the channels must be 1 or 2, not '%.20s'", part[2]);
			return -EINVAL;
		}
		f->channels = (uint8_t)c;
	}
	/* After the channels: the sample format, the chunk's ms, or both in that order (an Opus
	 * format needs no sample format: "opus:48000:1:10"). */
	int k = 3;
	if (n > k && pl_mformat_sample_parse(part[k], &f->format) == 0)
		k++;
	if (n > k) {
		ms = strtod(part[k], &end);
		if (*end || !(ms > 0 && ms <= 60)) {
			snprintf(why, whysz, k == 3 ? "after the channels come the sample format (u8, i8, i16, i32 or f32) "
						     "and the chunk in ms, not '%.20s'"
						   : "the chunk must be 2.5 to 60 ms, not '%.20s'", part[k]);
			return -EINVAL;
		}
		k++;
	}
	if (n > k) {
		snprintf(why, whysz, "'%.20s' is one part too many: codec[:rate[:channels[:format[:ms]]]]", part[k]);
		return -EINVAL;
	}
	double chunk = ms * f->rate / 1000.0;
	if (chunk < 1 || chunk > 65535 || chunk != (double)(uint32_t)chunk) {
		snprintf(why, whysz, "%g ms is not a whole number of samples at %u Hz", ms, f->rate);
		return -EINVAL;
	}
	f->chunk = (uint16_t)chunk;
	return pl_mformat_check(f, why, whysz);
}

bool pl_mformat_equal(const struct pl_media_format *a, const struct pl_media_format *b)
{
	return a->codec == b->codec && a->rate == b->rate && a->channels == b->channels && a->format == b->format &&
	       a->chunk == b->chunk;
}
