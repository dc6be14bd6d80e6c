/*
 * Unit tests for core/vframe: AUDIO frames with 0-2 redundant copies and flags, REPORTs, the
 * exact bytes of both, copies left out when they do not fit, and every malformed payload refused.
 */
#include "core/vframe.h"

#include <errno.h>

#include "test.h"

static void test_audio_roundtrip(void)
{
	static uint8_t p[PL_VFRAME_MAX_MEDIA], r1[300], r2[40], buf[PL_VFRAME_MAX + 10];
	for (size_t i = 0; i < sizeof p; i++)
		p[i] = (uint8_t)(i * 7);
	memset(r1, 0xa1, sizeof r1);
	memset(r2, 0xb2, sizeof r2);
	static const struct { const char *name; size_t plen; unsigned nred; uint8_t flags; } cases[] = {
		{"plain", 60, 0, 0}, {"one copy", 60, 1, 0}, {"two copies", 60, 2, PL_VFRAME_SILENT},
		{"end, empty", 0, 0, PL_VFRAME_END}, {"largest", PL_VFRAME_MAX_MEDIA, 0, 0},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		test_case("audio %s", cases[c].name);
		struct pl_vframe_audio a = {.flags = cases[c].flags, .nred = cases[c].nred, .data = p, .len = cases[c].plen};
		a.red[0] = (struct pl_vframe_red){2, 1920, r1, sizeof r1};
		a.red[1] = (struct pl_vframe_red){1, 960, r2, sizeof r2};
		int n = pl_vframe_audio_encode(buf, sizeof buf, &a);
		size_t want = 2 + cases[c].plen + (cases[c].nred ? 5 + sizeof r1 : 0) + (cases[c].nred > 1 ? 5 + sizeof r2 : 0);
		if (!CHECK_EQ(n, (int)want))
			continue;
		CHECK_EQ(pl_vframe_kind(buf, (size_t)n), PL_VFRAME_AUDIO);
		struct pl_vframe_audio d;
		if (!CHECK_EQ(pl_vframe_audio_decode(&d, buf, (size_t)n), 0))
			continue;
		CHECK_EQ(d.flags, cases[c].flags);
		CHECK_EQ(d.nred, cases[c].nred);
		CHECK_EQ(d.len, cases[c].plen);
		CHECK(d.len == 0 || memcmp(d.data, p, d.len) == 0);
		for (unsigned i = 0; i < d.nred; i++) {
			CHECK_EQ(d.red[i].seq_back, a.red[i].seq_back);
			CHECK_EQ(d.red[i].ts_back, a.red[i].ts_back);
			CHECK_EQ(d.red[i].len, a.red[i].len);
			CHECK(memcmp(d.red[i].data, a.red[i].data, d.red[i].len) == 0);
		}
	}
}

static void test_audio_bytes(void)
{
	uint8_t p[3] = {1, 2, 3}, r[2] = {9, 8}, buf[64];
	struct pl_vframe_audio a = {.flags = PL_VFRAME_SILENT, .nred = 1, .data = p, .len = 3};
	a.red[0] = (struct pl_vframe_red){1, 0x0102, r, 2};
	static const uint8_t want[] = {1, 0x05, 1, 0x01, 0x02, 0x00, 0x02, 9, 8, 1, 2, 3};
	test_case("audio bytes");
	CHECK_EQ(pl_vframe_audio_encode(buf, sizeof buf, &a), (int)sizeof want);
	CHECK(memcmp(buf, want, sizeof want) == 0);
}

/* Copies that do not fit go, oldest first; the primary always goes. */
static void test_audio_fit(void)
{
	static uint8_t p[1200], r1[200], r2[50], buf[PL_VFRAME_MAX];
	struct pl_vframe_audio a = {.nred = 2, .data = p, .len = sizeof p}, d;
	a.red[0] = (struct pl_vframe_red){2, 1920, r1, sizeof r1};
	a.red[1] = (struct pl_vframe_red){1, 960, r2, sizeof r2};
	test_case("fit");
	int n = pl_vframe_audio_encode(buf, sizeof buf, &a);
	CHECK_EQ(n, 2 + 5 + 50 + 1200);
	CHECK_EQ(pl_vframe_audio_decode(&d, buf, (size_t)n), 0);
	CHECK_EQ(d.nred, 1);
	CHECK_EQ(d.red[0].len, 50);
	CHECK_EQ(pl_vframe_audio_encode(buf, 100, &a), -EMSGSIZE);
	a.len = 90;
	CHECK_EQ(pl_vframe_audio_encode(buf, 100, &a), 92);
}

static void test_audio_bad(void)
{
	uint8_t p[4] = {0}, buf[64];
	struct pl_vframe_audio a = {.nred = 1, .data = p, .len = 4}, d;
	test_case("audio bad input");
	a.red[0] = (struct pl_vframe_red){0, 960, p, 4};
	CHECK_EQ(pl_vframe_audio_encode(buf, sizeof buf, &a), -EINVAL); /* seq_back 0 */
	a.red[0] = (struct pl_vframe_red){1, 960, p, 0};
	CHECK_EQ(pl_vframe_audio_encode(buf, sizeof buf, &a), -EINVAL); /* empty copy */
	a.nred = 3;
	CHECK_EQ(pl_vframe_audio_encode(buf, sizeof buf, &a), -EINVAL);
	a.nred = 0;
	a.flags = 0x80;
	CHECK_EQ(pl_vframe_audio_encode(buf, sizeof buf, &a), -EINVAL);

	static const struct { const char *name; uint8_t b[12]; size_t len; } bad[] = {
		{"empty", {0}, 0},
		{"kind only", {1}, 1},
		{"report kind", {2, 0}, 2},
		{"unknown flag", {1, 0x10, 5}, 3},
		{"three copies", {1, 0x03, 1, 0, 0, 0, 1, 5}, 8},
		{"entry cut", {1, 0x01, 1, 0, 0}, 5},
		{"copy past end", {1, 0x01, 1, 0, 0, 0, 9, 5, 5}, 9},
		{"copy empty", {1, 0x01, 1, 0, 0, 0, 0, 5}, 8},
		{"seq_back 0", {1, 0x01, 0, 0, 0, 0, 1, 5}, 8},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		test_case("audio decode %s", bad[i].name);
		CHECK_EQ(pl_vframe_audio_decode(&d, bad[i].b, bad[i].len), -EBADMSG);
	}
	test_case("kinds");
	CHECK_EQ(pl_vframe_kind(buf, 0), -EBADMSG);
	uint8_t k = 7;
	CHECK_EQ(pl_vframe_kind(&k, 1), -EBADMSG);
	static uint8_t big[PL_VFRAME_MAX + 1] = {1, 0};
	CHECK_EQ(pl_vframe_audio_decode(&d, big, sizeof big), -EBADMSG);
	CHECK_EQ(pl_vframe_audio_decode(&d, big, sizeof big - 1), 0);
}

static void test_report(void)
{
	struct pl_vframe_report r = {0x0102030405060708ull, 0xabcd, 0x11223344, 250, 1234, 17, 40, 99999}, d;
	uint8_t buf[40];
	static const uint8_t want[PL_VFRAME_REPORT_LEN] = {
		2, 1, 2, 3, 4, 5, 6, 7, 8, 0xab, 0xcd, 0x11, 0x22, 0x33, 0x44, 0, 250, 0x04, 0xd2, 0, 17, 0, 40,
		0, 0x01, 0x86, 0x9f};
	test_case("report");
	CHECK_EQ(pl_vframe_report_encode(buf, sizeof buf, &r), PL_VFRAME_REPORT_LEN);
	CHECK(memcmp(buf, want, sizeof want) == 0);
	CHECK_EQ(pl_vframe_kind(buf, PL_VFRAME_REPORT_LEN), PL_VFRAME_REPORT);
	CHECK_EQ(pl_vframe_report_decode(&d, buf, PL_VFRAME_REPORT_LEN), 0);
	CHECK(d.about == r.about && d.highest_seq == r.highest_seq && d.last_ts == r.last_ts &&
	      d.since_ms == r.since_ms && d.loss_e4 == r.loss_e4 && d.jitter_ms == r.jitter_ms &&
	      d.buffer_ms == r.buffer_ms && d.lost_total == r.lost_total);
	CHECK_EQ(pl_vframe_report_decode(&d, buf, PL_VFRAME_REPORT_LEN - 1), -EBADMSG);
	CHECK_EQ(pl_vframe_report_encode(buf, PL_VFRAME_REPORT_LEN - 1, &r), -EMSGSIZE);
	buf[17] = 0x27;
	buf[18] = 0x11; /* 10001 */
	CHECK_EQ(pl_vframe_report_decode(&d, buf, PL_VFRAME_REPORT_LEN), -EBADMSG);
	buf[0] = 1;
	buf[17] = 0;
	CHECK_EQ(pl_vframe_report_decode(&d, buf, PL_VFRAME_REPORT_LEN), -EBADMSG);
}

int main(void)
{
	test_audio_roundtrip();
	test_audio_bytes();
	test_audio_fit();
	test_audio_bad();
	test_report();
	return test_done();
}
