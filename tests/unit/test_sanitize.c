/*
 * Unit tests for client/sanitize: what a terminal and a JSON writer get of hostile strings. A table
 * of cases with the exact output of both filters (escape sequences, CSI as U+009B, BEL, DEL, line
 * breaks, invalid UTF-8 of every kind, and text that must pass untouched: CJK, emoji, U+00A0,
 * U+FFFD itself); then properties over random bytes: the terminal output holds no control
 * character and is valid UTF-8, filtering again changes nothing, and a short buffer cuts the output
 * at a character boundary.
 */
#include "client/sanitize.h"

#include <stdlib.h>

#include "core/names.h"
#include "test.h"

#define FFFD "\xef\xbf\xbd"

struct case_ {
	const char *why;
	const char *in;
	size_t len; /* 0: strlen(in) */
	const char *term, *utf8;
};

/* Bytes are written in octal where a hex escape would swallow the letter after it. */
static const struct case_ cases[] = {
	{"plain ASCII", "hello, world", 0, "hello, world", "hello, world"},
	{"empty", "", 0, "", ""},
	{"ESC [2J clears the screen", "a\x1b[2Jb", 0, "a^[[2Jb", "a\x1b[2Jb"},
	{"OSC 0 sets the title", "\x1b]0;owned\x07", 0, "^[]0;owned^G", "\x1b]0;owned\x07"},
	{"CSI as U+009B", "x\302\233" "31mred", 0, "x<U+009B>31mred", "x\302\233" "31mred"},
	{"first and last C1", "\xc2\x80|\xc2\x9f", 0, "<U+0080>|<U+009F>", "\xc2\x80|\xc2\x9f"},
	{"BEL", "ding\a", 0, "ding^G", "ding\a"},
	{"DEL", "a\x7f" "b", 0, "a^?b", "a\x7f" "b"},
	{"newline and carriage return", "one\r\ntwo", 0, "one^M^Jtwo", "one\r\ntwo"},
	{"tab is a space", "a\tb", 0, "a b", "a\tb"},
	{"NUL inside", "a\0b", 3, "a^@b", "a\0b"},
	{"0x1f", "\x1f", 0, "^_", "\x1f"},
	{"U+00A0 is past C1", "a\xc2\xa0" "b", 0, "a\xc2\xa0" "b", "a\xc2\xa0" "b"},
	{"CJK untouched", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 0, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
	 "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"},
	{"emoji untouched", "\xf0\x9f\x98\x80 ok", 0, "\xf0\x9f\x98\x80 ok", "\xf0\x9f\x98\x80 ok"},
	{"U+FFFD untouched", FFFD, 0, FFFD, FFFD},
	{"highest code point", "\xf4\x8f\xbf\xbf", 0, "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"},
	{"a stray byte 0xff", "a\xff" "b", 0, "a" FFFD "b", "a" FFFD "b"},
	{"a lone continuation", "\x80", 0, FFFD, FFFD},
	{"C1 as a lone byte (Latin-1 CSI)", "\x9b" "2J", 0, FFFD "2J", FFFD "2J"},
	{"truncated 3-byte: one U+FFFD", "\xe6\x97", 0, FFFD, FFFD},
	{"truncated 3-byte then ASCII", "\xe6\x97" "A", 0, FFFD "A", FFFD "A"},
	{"truncated 4-byte", "\xf0\x9f\x98", 0, FFFD, FFFD},
	{"overlong '/'", "\xc0\xaf", 0, FFFD FFFD, FFFD FFFD},
	{"overlong 3-byte", "\xe0\x80\xaf", 0, FFFD FFFD FFFD, FFFD FFFD FFFD},
	{"overlong ESC does not become ESC", "\xc1\x9b", 0, FFFD FFFD, FFFD FFFD},
	{"surrogate", "\xed\xa0\x80", 0, FFFD FFFD FFFD, FFFD FFFD FFFD},
	{"above U+10FFFF", "\xf4\x90\x80\x80", 0, FFFD FFFD FFFD FFFD, FFFD FFFD FFFD FFFD},
	{"5-byte form", "\xf8\x88", 0, FFFD FFFD, FFFD FFFD},
	{"ESC split by invalid byte", "\x1b\xff[2J", 0, "^[" FFFD "[2J", "\x1b" FFFD "[2J"},
};

static void table(void)
{
	char out[256];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct case_ *c = &cases[i];
		size_t len = c->len ? c->len : strlen(c->in);
		test_case("%s", c->why);
		size_t n = pl_term_safe(out, sizeof out, c->in, len);
		CHECK_STR_EQ(out, c->term);
		CHECK_EQ(n, strlen(c->term));
		n = pl_utf8_repair(out, sizeof out, c->in, len);
		CHECK_EQ(n, c->len ? c->len : strlen(c->utf8));
		CHECK_MEM_EQ(out, c->utf8, n);
	}
}

/* pl_utf8_next: lengths of valid characters and of the invalid prefixes one U+FFFD replaces. */
static void next(void)
{
	static const struct {
		const char *s;
		int32_t cp;
		size_t n;
	} t[] = {
		{"A", 'A', 1},       {"\xc3\xa9", 0xe9, 2},           {"\xe2\x82\xac", 0x20ac, 3},
		{"\xf0\x9f\x98\x80", 0x1f600, 4}, {"\xc2\x9b", 0x9b, 2}, {"\xe2\x82", -1, 2},
		{"\xe2\x82" "A", -1, 2}, {"\xe0\x80", -1, 1},          {"\xed\xa0\x80", -1, 1},
		{"\xf4\x90", -1, 1}, {"\xff", -1, 1},                  {"\x80\x80", -1, 1},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		size_t n;
		test_case("pl_utf8_next #%zu", i);
		CHECK_EQ(pl_utf8_next(t[i].s, strlen(t[i].s), &n), t[i].cp);
		CHECK_EQ(n, t[i].n);
	}
}

static bool has_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			return true;
	return false;
}

/* Random bytes, weighted towards the interesting ones. */
static void random_inputs(void)
{
	static const unsigned char pick[] = {0x1b, 0x9b, 0xc2, 0x07, 0x7f, 0x00, 0x0a, '[', 'a', 0xe6, 0x97,
					     0xa5, 0xf0, 0x9f, 0x98, 0x80, 0xed, 0xa0, 0xff, 0xc0};
	uint64_t seed = 0x5eed;
	char in[64], out[PL_TERM_SAFE_SIZE(64)], again[PL_TERM_SAFE_SIZE(sizeof out)], rep[PL_UTF8_REPAIR_SIZE(64)];
	unsigned bad = 0;
	test_case("random inputs");
	for (int k = 0; k < 200000; k++) {
		size_t len = test_rand(&seed) % sizeof in;
		for (size_t i = 0; i < len; i++) {
			uint64_t r = test_rand(&seed);
			in[i] = (char)(r & 1 ? pick[(r >> 1) % sizeof pick] : (r >> 8) & 0xff);
		}
		size_t n = pl_term_safe(out, sizeof out, in, len);
		size_t m = pl_term_safe(again, sizeof again, out, n);
		size_t r = pl_utf8_repair(rep, sizeof rep, in, len);
		if (n != strlen(out) || has_control(out) || !pl_utf8_valid(out, n) || m != n || memcmp(again, out, n) ||
		    !pl_utf8_valid(rep, r))
			bad++;
		/* A buffer too small cuts at a character: still valid, still a prefix. */
		char small[10];
		size_t s = pl_term_safe(small, sizeof small, in, len);
		if (s >= sizeof small || !pl_utf8_valid(small, s) || memcmp(small, out, s) || has_control(small))
			bad++;
	}
	CHECK_EQ(bad, 0);
}

static void worst_case(void)
{
	/* The size macros hold the longest outputs: a run of 2-byte C1s, and of stray bytes. */
	char c1[40], stray[40];
	for (size_t i = 0; i < sizeof c1; i += 2) {
		c1[i] = (char)0xc2;
		c1[i + 1] = (char)0x9b;
	}
	memset(stray, 0xff, sizeof stray);
	char out[PL_TERM_SAFE_SIZE(40)];
	test_case("worst case");
	CHECK_EQ(pl_term_safe(out, sizeof out, c1, sizeof c1), 4 * sizeof c1);
	CHECK_EQ(pl_term_safe(out, sizeof out, stray, sizeof stray), 3 * sizeof stray);
	char rep[PL_UTF8_REPAIR_SIZE(40)];
	CHECK_EQ(pl_utf8_repair(rep, sizeof rep, stray, sizeof stray), 3 * sizeof stray);
	CHECK_EQ(pl_term_safe(out, 1, c1, sizeof c1), 0);
	CHECK_EQ(out[0], '\0');
}

int main(void)
{
	table();
	next();
	random_inputs();
	worst_case();
	return test_done();
}
