/*
 * Unit tests for core/pcm: every sample format of seed note 004 (u8, i8, i16, i32, f32) round-trips
 * 16-bit samples within the format's precision, the bytes on the wire are little-endian as the
 * seed says, and malformed lengths and small buffers are refused.
 */
#include "core/pcm.h"

#include <errno.h>
#include <stdlib.h>

#include "test.h"

static const struct {
	uint8_t format;
	unsigned tol; /* how far a round trip may land from the sample: an 8-bit step at most */
} formats[] = {
	{PL_SF_U8, 255}, {PL_SF_I8, 255}, {PL_SF_I16, 0}, {PL_SF_I32, 0}, {PL_SF_F32, 0},
};

static void test_roundtrip(void)
{
	static int16_t in[70000], back[70000];
	static uint8_t wire[70000 * 4];
	size_t n = 0;
	for (long v = -32768; v <= 32767; v++)
		in[n++] = (int16_t)v;
	for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
		uint8_t fmt = formats[f].format;
		test_case("roundtrip %s", pl_mformat_sample_name(fmt));
		int w = pl_pcm_from_i16(fmt, in, n, wire, sizeof wire);
		if (!CHECK_EQ(w, (int)(n * pl_mformat_sample_bytes(fmt))))
			continue;
		CHECK_EQ(pl_pcm_to_i16(fmt, wire, (size_t)w, back, n), (int)n);
		unsigned worst = 0, bad = 0;
		for (size_t i = 0; i < n; i++) {
			unsigned d = (unsigned)abs(in[i] - back[i]);
			worst = d > worst ? d : worst;
			bad += d > formats[f].tol;
		}
		CHECK_EQ(bad, 0);
		CHECK(worst <= formats[f].tol);
		/* Silence stays silence, full scale stays near full scale. */
		int16_t z = 0, out;
		uint8_t b[4];
		pl_pcm_from_i16(fmt, &z, 1, b, sizeof b);
		pl_pcm_to_i16(fmt, b, pl_mformat_sample_bytes(fmt), &out, 1);
		CHECK_EQ(out, 0);
	}
}

static void test_wire_bytes(void)
{
	int16_t x = 0x1234;
	uint8_t b[4];
	test_case("little-endian bytes");
	CHECK_EQ(pl_pcm_from_i16(PL_SF_I16, &x, 1, b, 4), 2);
	CHECK(b[0] == 0x34 && b[1] == 0x12);
	CHECK_EQ(pl_pcm_from_i16(PL_SF_I32, &x, 1, b, 4), 4);
	CHECK(b[0] == 0 && b[1] == 0 && b[2] == 0x34 && b[3] == 0x12);
	CHECK_EQ(pl_pcm_from_i16(PL_SF_U8, &x, 1, b, 4), 1);
	CHECK_EQ(b[0], 0x92);
	CHECK_EQ(pl_pcm_from_i16(PL_SF_I8, &x, 1, b, 4), 1);
	CHECK_EQ(b[0], 0x12);
	CHECK_EQ(pl_pcm_from_i16(PL_SF_F32, &x, 1, b, 4), 4);
	float f = 0x1234 / 32768.0f;
	uint32_t v;
	memcpy(&v, &f, 4);
	CHECK(b[0] == (uint8_t)v && b[3] == (uint8_t)(v >> 24));
	/* u8's silence is 128, as in 8-bit WAV. */
	x = 0;
	pl_pcm_from_i16(PL_SF_U8, &x, 1, b, 4);
	CHECK_EQ(b[0], 128);
}

static void test_f32_edges(void)
{
	static const struct { float f; int16_t want; } cases[] = {
		{0.0f, 0}, {1.0f, 32767}, {-1.0f, -32768}, {2.5f, 32767}, {-7.0f, -32768}, {0.5f, 16384},
		{-0.5f, -16384}, {1e-9f, 0}, {__builtin_nanf(""), 0}, {__builtin_inff(), 32767}, {-__builtin_inff(), -32768},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint8_t b[4];
		uint32_t v;
		int16_t out = 99;
		test_case("f32 %g", (double)cases[i].f);
		memcpy(&v, &cases[i].f, 4);
		for (int k = 0; k < 4; k++)
			b[k] = (uint8_t)(v >> (8 * k));
		CHECK_EQ(pl_pcm_to_i16(PL_SF_F32, b, 4, &out, 1), 1);
		CHECK_EQ(out, cases[i].want);
	}
	/* i32 beyond 16 bits rounds to the nearest step and clips. */
	uint8_t b[4] = {0xff, 0xff, 0xff, 0x7f};
	int16_t out;
	test_case("i32 clip");
	pl_pcm_to_i16(PL_SF_I32, b, 4, &out, 1);
	CHECK_EQ(out, 32767);
}

static void test_errors(void)
{
	int16_t s[4] = {1, 2, 3, 4};
	uint8_t b[16];
	test_case("errors");
	CHECK_EQ(pl_pcm_from_i16(9, s, 4, b, sizeof b), -EINVAL);
	CHECK_EQ(pl_pcm_to_i16(9, b, 4, s, 4), -EINVAL);
	CHECK_EQ(pl_pcm_from_i16(PL_SF_I32, s, 4, b, 15), -EMSGSIZE);
	CHECK_EQ(pl_pcm_to_i16(PL_SF_I16, b, 3, s, 4), -EBADMSG);
	CHECK_EQ(pl_pcm_to_i16(PL_SF_F32, b, 6, s, 4), -EBADMSG);
	CHECK_EQ(pl_pcm_to_i16(PL_SF_I16, b, 10, s, 4), -EMSGSIZE);
	CHECK_EQ(pl_pcm_to_i16(PL_SF_I16, b, 0, s, 4), 0);
}

static void test_channels(void)
{
	int16_t mono[3] = {100, -200, 32767}, st[6], back[3];
	test_case("channels");
	pl_pcm_mono_to_stereo(mono, 3, st);
	CHECK(st[0] == 100 && st[1] == 100 && st[4] == 32767 && st[5] == 32767);
	pl_pcm_stereo_to_mono(st, 3, back);
	CHECK(memcmp(mono, back, sizeof mono) == 0);
	int16_t lr[2] = {-32768, 32767};
	pl_pcm_stereo_to_mono(lr, 1, back);
	CHECK_EQ(back[0], 0);
}

/* Every PCM format of seed 004 that fits a packet is one mformat accepts, and its chunk
 * converts into exactly pl_mformat_pcm_bytes. */
static void test_formats_fit(void)
{
	static const uint32_t rates[] = {8000, 12000, 16000, 24000, 48000};
	static int16_t pcm[2 * 2880];
	static uint8_t wire[2 * 2880 * 4];
	for (size_t r = 0; r < 5; r++)
		for (uint8_t ch = 1; ch <= 2; ch++)
			for (uint8_t fmt = 0; fmt <= PL_SF_MAX; fmt++) {
				struct pl_media_format f = {PL_CODEC_PCM, rates[r], ch, fmt, (uint16_t)(rates[r] / 100)};
				test_case("format %u Hz %u ch %s", rates[r], ch, pl_mformat_sample_name(fmt));
				size_t bytes = pl_mformat_pcm_bytes(&f);
				bool fits = bytes <= PL_MFORMAT_MAX_FRAME;
				CHECK_EQ(pl_mformat_check(&f, NULL, 0) == 0, fits);
				if (!fits)
					continue;
				size_t n = (size_t)f.chunk * ch;
				for (size_t i = 0; i < n; i++)
					pcm[i] = (int16_t)(i * 977);
				CHECK_EQ(pl_pcm_from_i16(fmt, pcm, n, wire, sizeof wire), (int)bytes);
			}
}

int main(void)
{
	test_roundtrip();
	test_wire_bytes();
	test_f32_edges();
	test_errors();
	test_channels();
	test_formats_fit();
	return test_done();
}
