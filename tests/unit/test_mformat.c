/*
 * Unit tests for core/mformat: every format of seed 004 (u8, i8, i16, i32, f32) at the rates and
 * chunk sizes parley takes, checked against the packet size; the typed form parsed, with what
 * was left out filled in; and the sentences a bad format gets.
 */
#include "core/mformat.h"

#include <string.h>

#include "test.h"

static void test_check(void)
{
	static const struct {
		struct pl_media_format f;
		bool ok;
		const char *why; /* part of the sentence */
	} t[] = {
		{{PL_CODEC_OPUS, 48000, 1, PL_SF_I16, 960}, true, NULL},
		{{PL_CODEC_OPUS, 48000, 2, PL_SF_I16, 120}, true, NULL},
		{{PL_CODEC_OPUS, 8000, 1, PL_SF_I16, 480}, true, NULL},
		{{PL_CODEC_OPUS, 48000, 1, PL_SF_I16, 1000}, false, "Opus chunk"},
		{{PL_CODEC_OPUS, 44100, 1, PL_SF_I16, 882}, false, "sample rate"},
		{{PL_CODEC_PCM, 8000, 1, PL_SF_U8, 160}, true, NULL},
		{{PL_CODEC_PCM, 16000, 1, PL_SF_I8, 320}, true, NULL},
		{{PL_CODEC_PCM, 16000, 2, PL_SF_I16, 160}, true, NULL},
		{{PL_CODEC_PCM, 24000, 1, PL_SF_I32, 240}, true, NULL},
		{{PL_CODEC_PCM, 48000, 1, PL_SF_F32, 240}, true, NULL},
		{{PL_CODEC_PCM, 48000, 1, PL_SF_I16, 960}, false, "1920 bytes"},
		{{PL_CODEC_PCM, 48000, 3, PL_SF_I16, 120}, false, "1 or 2 channels"},
		{{PL_CODEC_PCM, 48000, 1, 5, 120}, false, "sample format"},
		{{PL_CODEC_PCM, 48000, 1, PL_SF_I16, 100}, false, "2.5 to 60 ms"},
		{{2, 48000, 1, PL_SF_I16, 960}, false, "opus or pcm"},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char why[200] = "";
		test_case("check %zu", i);
		int rc = pl_mformat_check(&t[i].f, why, sizeof why);
		CHECK_EQ(rc == 0, t[i].ok);
		if (t[i].why)
			CHECK(strstr(why, t[i].why) != NULL);
	}
}

static void test_parse(void)
{
	static const struct {
		const char *in;
		struct pl_media_format want;
		const char *err;
	} t[] = {
		{"opus", {PL_CODEC_OPUS, 48000, 1, PL_SF_I16, 960}, NULL},
		{"opus:24000:2", {PL_CODEC_OPUS, 24000, 2, PL_SF_I16, 480}, NULL},
		{"opus:48000:1:10", {PL_CODEC_OPUS, 48000, 1, PL_SF_I16, 480}, NULL},
		{"pcm", {PL_CODEC_PCM, 16000, 1, PL_SF_I16, 320}, NULL},
		{"pcm:8000:1:u8:2.5", {PL_CODEC_PCM, 8000, 1, PL_SF_U8, 20}, NULL},
		{"pcm:16000:2:i8", {PL_CODEC_PCM, 16000, 2, PL_SF_I8, 320}, NULL},
		{"pcm:24000:1:i32:5", {PL_CODEC_PCM, 24000, 1, PL_SF_I32, 120}, NULL},
		{"pcm:48000:1:f32:5", {PL_CODEC_PCM, 48000, 1, PL_SF_F32, 240}, NULL},
		{"pcm:16000:1:10", {PL_CODEC_PCM, 16000, 1, PL_SF_I16, 160}, NULL},
		{"", {0}, "codec opus or pcm"},
		{"flac", {0}, "codec opus or pcm"},
		{"pcm:fast", {0}, "number of Hz"},
		{"pcm:16000:0", {0}, "1 or 2"},
		{"pcm:16000:1:i24", {0}, "sample format"},
		{"pcm:16000:1:i16:0", {0}, "2.5 to 60 ms"},
		{"pcm:16000:1:i16:20:9", {0}, "codec[:rate[:channels[:format[:ms]]]]"},
		{"opus:48000:1:10:7", {0}, "one part too many"},
		{"pcm:8000:1:i16:0.1", {0}, "whole number of samples"},
		{"pcm:48000:2:f32:20", {0}, "voice packet"},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct pl_media_format f;
		char why[200] = "";
		test_case("parse '%s'", t[i].in);
		int rc = pl_mformat_parse(t[i].in, &f, why, sizeof why);
		if (t[i].err) {
			CHECK(rc < 0);
			if (!CHECK(strstr(why, t[i].err) != NULL))
				fprintf(stderr, "  the sentence was: %s\n", why);
		} else if (CHECK_EQ(rc, 0)) {
			CHECK(pl_mformat_equal(&f, &t[i].want));
			/* Its canonical string reads back as the same format. */
			char str[64];
			struct pl_media_format back;
			pl_mformat_string(&f, str, sizeof str);
			CHECK_EQ(pl_mformat_parse(str, &back, why, sizeof why), 0);
			CHECK(pl_mformat_equal(&back, &f));
		}
	}
}

static void test_names(void)
{
	for (uint8_t sf = 0; sf <= PL_SF_MAX; sf++) {
		uint8_t back = 99;
		test_case("sample format %u named and read back", sf);
		CHECK_EQ(pl_mformat_sample_parse(pl_mformat_sample_name(sf), &back), 0);
		CHECK_EQ(back, sf);
		CHECK(pl_mformat_sample_bytes(sf) == (sf <= PL_SF_I8 ? 1u : sf == PL_SF_I16 ? 2u : 4u));
	}
	test_case("describe");
	char d[128];
	struct pl_media_format f = {PL_CODEC_PCM, 16000, 2, PL_SF_I16, 160};
	pl_mformat_describe(&f, d, sizeof d);
	CHECK_STR_EQ(d, "PCM i16 16000 Hz stereo, 10 ms (640 bytes a packet)");
	pl_mformat_string(&f, d, sizeof d);
	CHECK_STR_EQ(d, "pcm:16000:2:i16:10");
}

int main(void)
{
	test_check();
	test_parse();
	test_names();
	return test_done();
}
