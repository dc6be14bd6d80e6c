#include "core/pcm.h"

#include <errno.h>
#include <math.h> /* isnan, a macro: the core links no libm */
#include <string.h>

static int16_t clip16(long v)
{
	return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
}

/* The nearest 8-bit step of x (its top byte, rounded), kept in range. */
static int8_t to8(int16_t x)
{
	long v = ((long)x + 128) >> 8;
	return (int8_t)(v > 127 ? 127 : v);
}

int pl_pcm_from_i16(uint8_t format, const int16_t *in, size_t n, uint8_t *out, size_t cap)
{
	unsigned sb = pl_mformat_sample_bytes(format);
	if (sb == 0)
		return -EINVAL;
	if (n > cap / sb)
		return -EMSGSIZE;
	for (size_t i = 0; i < n; i++) {
		int16_t x = in[i];
		switch (format) {
		case PL_SF_U8: out[i] = (uint8_t)(to8(x) + 128); break;
		case PL_SF_I8: out[i] = (uint8_t)to8(x); break;
		case PL_SF_I16:
			out[2 * i] = (uint8_t)x;
			out[2 * i + 1] = (uint8_t)((uint16_t)x >> 8);
			break;
		case PL_SF_I32: {
			uint32_t v = (uint32_t)(int32_t)x << 16;
			for (int b = 0; b < 4; b++)
				out[4 * i + (size_t)b] = (uint8_t)(v >> (8 * b));
			break;
		}
		case PL_SF_F32: {
			float f = (float)x / 32768.0f;
			uint32_t v;
			memcpy(&v, &f, 4);
			for (int b = 0; b < 4; b++)
				out[4 * i + (size_t)b] = (uint8_t)(v >> (8 * b));
			break;
		}
		}
	}
	return (int)(n * sb);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int pl_pcm_to_i16(uint8_t format, const uint8_t *in, size_t len, int16_t *out, size_t cap)
{
	unsigned sb = pl_mformat_sample_bytes(format);
	if (sb == 0)
		return -EINVAL;
	if (len % sb)
		return -EBADMSG;
	size_t n = len / sb;
	if (n > cap)
		return -EMSGSIZE;
	for (size_t i = 0; i < n; i++) {
		switch (format) {
		case PL_SF_U8: out[i] = (int16_t)(((int)in[i] - 128) * 256); break;
		case PL_SF_I8: out[i] = (int16_t)((int8_t)in[i] * 256); break;
		case PL_SF_I16: out[i] = (int16_t)(uint16_t)(in[2 * i] | in[2 * i + 1] << 8); break;
		case PL_SF_I32: {
			/* Rounded to the nearest 16-bit step, not truncated. */
			int64_t v = (int32_t)le32(in + 4 * i);
			out[i] = clip16((long)((v + 32768) >> 16));
			break;
		}
		case PL_SF_F32: {
			uint32_t v = le32(in + 4 * i);
			float f;
			memcpy(&f, &v, 4);
			out[i] = isnan(f) ? 0 : f >= 1.0f ? 32767 : f <= -1.0f ? -32768 : clip16((long)(f * 32768.0f + (f >= 0 ? 0.5f : -0.5f)));
			break;
		}
		}
	}
	return (int)n;
}

void pl_pcm_mono_to_stereo(const int16_t *in, size_t n, int16_t *out)
{
	for (size_t i = 0; i < n; i++)
		out[2 * i] = out[2 * i + 1] = in[i];
}

void pl_pcm_stereo_to_mono(const int16_t *in, size_t n, int16_t *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (int16_t)(((int32_t)in[2 * i] + in[2 * i + 1]) / 2);
}
