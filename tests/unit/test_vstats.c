/*
 * Unit tests for client/vstats: the /stats readout says where the delay goes part by part (and
 * which parts are not known yet), what arrived and what was rebuilt, what is sent and how, and the
 * devices, from a snapshot.
 */
#include "client/vstats.h"

#include <string.h>

#include "test.h"

static struct pl_voice_stats sample(void)
{
	struct pl_voice_stats st;
	memset(&st, 0, sizeof st);
	st.sent = 1098;
	st.received = 1100;
	st.played = 1096;
	st.lost = 12;
	st.concealed_fec = 9;
	st.red_recovered = 2;
	st.concealed = 3;
	st.late = 1;
	st.dup = 4;
	st.shrunk = 5;
	st.stretched = 6;
	st.skipped_silent = 7;
	st.tampered = 8;
	st.replayed = 10;
	st.dropped = 11;
	st.reports_received = 20;
	st.bitrate = 24000;
	st.tx_kbps = 26.14;
	st.redundancy = 1;
	st.expected_loss = 10;
	st.remote_loss = 9.96;
	st.rx_loss = 1.04;
	st.jitter_ms = 3.42;
	st.jb_target_ms = 9.0;
	st.lat_capture = 20.12;
	st.lat_encode = 0.75;
	st.lat_network = 2.8;
	st.lat_jitter = 11.5;
	st.lat_playout = 19.61;
	st.lat_total = 54.78;
	st.cpu_pct = 4.12;
	st.level_db = -31.6f;
	snprintf(st.backend, sizeof st.backend, "pulse");
	snprintf(st.input, sizeof st.input, "mic.monitor");
	snprintf(st.output, sizeof st.output, "spk");
	return st;
}

static void test_full(void)
{
	test_case("a call's readout");
	struct pl_voice_stats st = sample();
	char l[PL_VSTATS_LINES][PL_VSTATS_LINE];
	CHECK_EQ(pl_vstats_lines(&st, l), 5);
	CHECK_STR_EQ(l[0], "Delay, mouth to ear: 54.8 ms = capture 20.1 + encode 0.8 + network 2.8 (one way) + "
			   "jitter buffer 11.5 + playout 19.6.");
	CHECK_STR_EQ(l[1], "Receiving: 1100 packets, 1096 frames played; 12 lost (9 rebuilt by FEC, 2 by redundancy), "
			   "3 concealed, 1 late, 4 duplicates; loss 1.0%, jitter 3.4 ms, buffer target 9.0 ms.");
	CHECK_STR_EQ(l[2], "Sending: 1098 packets at 26.1 kbit/s (encoder 24.0), 1 earlier frame in each packet, FEC "
			   "for 10% loss; the far end reports 10.0% loss (20 reports).");
	CHECK_STR_EQ(l[3], "Time-scaling: 5 frames shortened, 6 stretched, 7 silent ones skipped. Dropped: 8 tampered, "
			   "10 replayed, 11 other.");
	CHECK_STR_EQ(l[4], "Audio: pulse, in mic.monitor, out spk; the audio thread takes 4.1% of a core; level -32 dBFS.");
	test_case("redundancy in the plural, and none");
	st.redundancy = 2;
	pl_vstats_lines(&st, l);
	CHECK(strstr(l[2], ", 2 earlier frames in each packet,") != NULL);
	st.redundancy = 0;
	pl_vstats_lines(&st, l);
	CHECK(strstr(l[2], ", no redundancy,") != NULL);
}

static void test_unknown(void)
{
	test_case("before the far end has reported");
	struct pl_voice_stats st = sample();
	st.lat_network = -1;
	st.lat_total = 51.98;
	char l[PL_VSTATS_LINES][PL_VSTATS_LINE];
	pl_vstats_lines(&st, l);
	CHECK_STR_EQ(l[0], "Delay, mouth to ear: at least 52.0 ms = capture 20.1 + encode 0.8 + network ? (one way) + "
			   "jitter buffer 11.5 + playout 19.6 (? is not measured yet: the network's share needs the far "
			   "end's reports).");
	test_case("before the buffer has a delay either");
	st.lat_jitter = -1;
	st.lat_total = 40.47;
	pl_vstats_lines(&st, l);
	CHECK_STR_EQ(l[0], "Delay, mouth to ear: at least 40.5 ms = capture 20.1 + encode 0.8 + network ? (one way) + "
			   "jitter buffer ? + playout 19.6 (? is not measured yet: the network's share needs the far "
			   "end's reports).");
	test_case("no sound device");
	snprintf(st.backend, sizeof st.backend, "none");
	st.cpu_pct = 0.5;
	CHECK_EQ(pl_vstats_lines(&st, l), 5);
	CHECK_STR_EQ(l[4], "Audio: no sound device; the audio thread takes 0.5% of a core.");
	st.backend[0] = '\0';
	pl_vstats_lines(&st, l);
	CHECK_STR_EQ(l[4], "Audio: no sound device; the audio thread takes 0.5% of a core.");
}

int main(void)
{
	test_full();
	test_unknown();
	return test_done();
}
