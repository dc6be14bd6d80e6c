/*
 * Unit tests for client/vmeter: the microphone meter's text for each state and level, and the
 * talking set by name (named from members and calls, unnamed sessions by number, sorted, reported
 * only when it changes).
 */
#include "client/vmeter.h"

#include "test.h"

static void test_meter(void)
{
	struct pl_voice_stats st;
	char out[96];
	memset(&st, 0, sizeof st);
	test_case("meter levels");
	st.mode = PL_VOICE_VAD;
	st.level_db = -90;
	pl_vmeter_format(&st, out, sizeof out);
	CHECK_STR_EQ(out, "mic [        ] vad");
	st.level_db = -30; /* half way from -60 to 0 */
	pl_vmeter_format(&st, out, sizeof out);
	CHECK_STR_EQ(out, "mic [====    ] vad");
	st.level_db = 3;
	st.transmitting = true;
	pl_vmeter_format(&st, out, sizeof out);
	CHECK_STR_EQ(out, "mic [========] sending");
	test_case("meter states");
	st.mode = PL_VOICE_PTT;
	st.transmitting = false;
	st.level_db = -52.5;
	pl_vmeter_format(&st, out, sizeof out);
	CHECK_STR_EQ(out, "mic [=       ] ptt: /ptt to talk");
	st.ptt = true;
	pl_vmeter_format(&st, out, sizeof out);
	CHECK_STR_EQ(out, "mic [=       ] ptt: talking");
	st.mode = PL_VOICE_CONTINUOUS;
	pl_vmeter_format(&st, out, sizeof out);
	CHECK_STR_EQ(out, "mic [=       ] idle");
	st.muted = true;
	pl_vmeter_format(&st, out, sizeof out);
	CHECK_STR_EQ(out, "muted");
	st.deafened = true;
	pl_vmeter_format(&st, out, sizeof out);
	CHECK_STR_EQ(out, "deafened");
	char small[6];
	st.muted = st.deafened = false;
	pl_vmeter_format(&st, small, sizeof small);
	CHECK_STR_EQ(small, "mic ["); /* cut, never overrun */
}

static void test_talking(void)
{
	static struct pl_vmeter m;
	struct pl_voice_stats st;
	memset(&st, 0, sizeof st);
	pl_vmeter_init(&m);
	test_case("names");
	pl_vmeter_name(&m, 0x1111, "zoe");
	pl_vmeter_name(&m, 0x2222, "Bob");
	pl_vmeter_name(&m, 0, "nobody"); /* session 0 names no one */
	CHECK_STR_EQ(pl_vmeter_nick(&m, 0x1111), "zoe");
	CHECK(pl_vmeter_nick(&m, 0) == NULL);
	pl_vmeter_name(&m, 0x1111, "zoe2"); /* renamed, not added twice */
	CHECK_EQ(m.n, 2);
	CHECK_STR_EQ(pl_vmeter_nick(&m, 0x1111), "zoe2");

	test_case("talking set");
	CHECK(!pl_vmeter_talking(&m, &st)); /* nobody, as before */
	st.ntalking = 3;
	st.talking[0] = 0x1111, st.talking[1] = 0x2222, st.talking[2] = 123456789;
	CHECK(pl_vmeter_talking(&m, &st));
	CHECK_EQ(m.ntalking, 3);
	CHECK_STR_EQ(m.talking[0], "#6789"); /* unnamed: the session's low digits; sorted first */
	CHECK_STR_EQ(m.talking[1], "Bob");   /* case-insensitive order */
	CHECK_STR_EQ(m.talking[2], "zoe2");
	st.talking[0] = 123456789, st.talking[2] = 0x1111; /* the same set in another order */
	CHECK(!pl_vmeter_talking(&m, &st));
	st.ntalking = 1;
	CHECK(pl_vmeter_talking(&m, &st));
	CHECK_EQ(m.ntalking, 1);
	pl_vmeter_unname(&m, 0x2222);
	CHECK(pl_vmeter_nick(&m, 0x2222) == NULL);
	st.ntalking = 0;
	CHECK(pl_vmeter_talking(&m, &st));
	CHECK_EQ(m.ntalking, 0);

	test_case("a full table forgets the oldest name");
	pl_vmeter_init(&m);
	for (uint64_t s = 1; s <= PL_VMETER_NAMES + 1; s++) {
		char nick[16];
		snprintf(nick, sizeof nick, "n%llu", (unsigned long long)s);
		pl_vmeter_name(&m, s, nick);
	}
	CHECK_EQ(m.n, PL_VMETER_NAMES);
	CHECK(pl_vmeter_nick(&m, 1) == NULL);
	CHECK_STR_EQ(pl_vmeter_nick(&m, 2), "n2");
	CHECK_STR_EQ(pl_vmeter_nick(&m, PL_VMETER_NAMES + 1), "n513");
}

int main(void)
{
	test_meter();
	test_talking();
	return test_done();
}
