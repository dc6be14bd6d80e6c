/*
 * Unit tests for core/names: nicknames, rooms, chat text, one-line fields, group names, and the
 * UTF-8 validator under them. The validator is checked exhaustively against a reference written
 * from the Unicode Standard's table of well-formed byte sequences (Table 3-7), for every 1-, 2-
 * and 3-byte input and a large slice of 4-byte ones; the character rules for every code point.
 */
#include "core/names.h"

#include <stdlib.h>

#include "test.h"

struct name_case {
	const char *why;
	const char *s;
	bool ok;
};

/* Bytes are written in octal where a hex escape would swallow the letter after it. */
static const struct name_case nicks[] = {
	{"two bytes", "al", true},
	{"plain", "alice", true},
	{"digits and underscore", "bob_2", true},
	{"punctuation", "O'Brien-Smith.jr", true},
	{"'#' not leading", "a#b", true},
	{"utf-8 2-byte", "Zo\xc3\xab", true},
	{"one 2-byte character is two bytes", "\xc3\xa9", true},
	{"utf-8 3-byte", "\xe6\x97\xa5\xe6\x9c\xac", true},
	{"utf-8 4-byte", "\360\237\246\212fox", true},
	{"32 bytes", "abcdefghijklmnopqrstuvwxyz012345", true},
	{"32 bytes of utf-8", "\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5"
			      "\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5xy", true},
	{"U+FFFD", "a\xef\xbf\xbd", true},
	{"highest code point", "a\xf4\x8f\xbf\xbf", true},
	{"empty", "", false},
	{"one byte", "a", false},
	{"a lone '#'", "#", false},
	{"33 bytes", "abcdefghijklmnopqrstuvwxyz0123456", false},
	{"33 bytes of utf-8", "\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5"
			      "\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5xyz", false},
	{"space inside", "al ice", false},
	{"leading space", " alice", false},
	{"trailing space", "alice ", false},
	{"double quote", "al\"ice", false},
	{"comma", "al,ice", false},
	{"leading '#'", "#alice", false},
	{"tab", "al\tice", false},
	{"newline", "alice\n", false},
	{"escape", "\x1b[31mred", false},
	{"DEL", "al\x7fice", false},
	{"0x01", "\001ab", false},
	{"zero-width space inside", "ali\xe2\x80\x8b" "ce", false},
	{"zero-width joiner", "al\xe2\x80\x8dice", false},
	{"right-to-left override", "\xe2\x80\xae" "ecila", false},
	{"first strong isolate", "al\xe2\x81\xa8ice", false},
	{"byte order mark", "\xef\xbb\xbf" "alice", false},
	{"soft hyphen", "al\xc2\xadice", false},
	{"Hangul filler", "al\xe3\x85\xa4ice", false},
	{"tag character", "alice\xf3\xa0\x81\x81", false},
	{"invalid byte 0xff", "al\xff", false},
	{"invalid byte 0xfe", "\376ab", false},
	{"lone continuation", "a\200b", false},
	{"truncated 2-byte", "ab\xc3", false},
	{"truncated 3-byte", "ab\xe6\x97", false},
	{"truncated 4-byte", "ab\xf0\x9f\xa6", false},
	{"overlong '/' 2 bytes", "a\xc0\xaf", false},
	{"overlong NUL 2 bytes", "a\xc0\x80", false},
	{"overlong 0x7f 2 bytes", "a\xc1\xbf", false},
	{"overlong '/' 3 bytes", "a\xe0\x80\xaf", false},
	{"overlong U+07FF 3 bytes", "a\xe0\x9f\xbf", false},
	{"overlong '/' 4 bytes", "a\xf0\x80\x80\xaf", false},
	{"overlong U+FFFF 4 bytes", "a\xf0\x8f\xbf\xbf", false},
	{"high surrogate", "a\xed\xa0\x80", false},
	{"low surrogate", "a\xed\xbf\xbf", false},
	{"surrogate pair as CESU-8", "\xed\xa0\xbd\xed\xb8\x80", false},
	{"above U+10FFFF", "a\xf4\x90\x80\x80", false},
	{"lead 0xf5", "a\xf5\x80\x80\x80", false},
	{"5-byte form", "a\xf8\x88\x80\x80\x80", false},
	/* C1 controls: U+009B is CSI, which terminals act on, so a name could drive another
	 * user's terminal. */
	{"C1 control U+0080", "al\xc2\x80", false},
	{"C1 control U+0085 (NEL)", "al\xc2\x85ice", false},
	{"U+00A0 is past C1", "al\xc2\xa0", true},
	{"C1 control U+009B (CSI)", "\302\23331mred", false},
};

static const struct name_case rooms[] = {
	{"lobby", PL_LOBBY, true},
	{"shortest", "#a", true},
	{"punctuation", "#dev-team.eu", true},
	{"utf-8", "#\303\274ber", true},
	{"32 bytes", "#abcdefghijklmnopqrstuvwxyz01234", true},
	{"empty", "", false},
	{"only '#'", "#", false},
	{"no '#'", "Lobby", false},
	{"'#' not first", "L#obby", false},
	{"33 bytes", "#abcdefghijklmnopqrstuvwxyz012345", false},
	{"space", "#a b", false},
	{"trailing space", "#ab ", false},
	{"comma", "#a,b", false},
	{"double quote", "#a\"b", false},
	{"control", "#a\x01", false},
	{"DEL", "#a\x7f", false},
	{"bad utf-8", "#a\xff", false},
	{"overlong", "#a\xc0\x80", false},
	{"surrogate", "#a\xed\xa0\x80", false},
	{"C1 control U+0085 (NEL)", "#a\xc2\x85", false},
};

static const struct name_case texts[] = {
	{"plain", "hello", true},
	{"one byte", "x", true},
	{"spaces and punctuation", "Hello, \"world\"! #Lobby 100% @bob", true},
	{"tab is allowed", "a\tb", true},
	{"utf-8", "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80 \xe6\x97\xa5\xe6\x9c\xac", true},
	{"empty", "", false},
	{"newline", "a\nb", false},
	{"carriage return", "a\rb", false},
	{"escape sequence", "\x1b[2J", false},
	{"bell", "ding\x07", false},
	{"DEL", "a\x7f", false},
	{"bad utf-8", "a\xff", false},
	{"truncated utf-8", "a\xe2\x9c", false},
	{"overlong", "a\xc0\xbc", false},
	{"surrogate", "a\xed\xb0\x80", false},
	{"C1 control U+009B (CSI)", "\302\2332J", false},
};

static const struct name_case lines[] = {
	{"empty is allowed", "", true},
	{"real name", "Alice Liddell", true},
	{"quotes and commas", "\"Bob\", Jr.", true},
	{"utf-8", "Zo\xc3\xab \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80", true},
	{"leading '#'", "#1 fan", true},
	{"tab", "a\tb", false},
	{"newline", "a\nb", false},
	{"escape", "\x1b[2J", false},
	{"DEL", "a\x7f", false},
	{"C1 control U+009B (CSI)", "\302\2332J", false},
	{"bad utf-8", "a\xff", false},
	{"overlong", "a\xc0\xa0", false},
	{"surrogate", "a\xed\xa0\x80", false},
};

static const struct name_case group_names[] = {
	{"plain", "book club", true},
	{"one byte", "g", true},
	{"48 bytes", "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuv", true},
	{"utf-8", "Lesekreis M\303\274nchen", true},
	{"empty", "", false},
	{"49 bytes", "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvw", false},
	{"tab", "a\tb", false},
	{"newline", "a\n", false},
	{"C1 control", "a\xc2\x9b", false},
	{"bad utf-8", "\xfe", false},
};

static void run_table(const char *what, const struct name_case *t, size_t n, bool (*fn)(const char *))
{
	for (size_t i = 0; i < n; i++) {
		test_case("%s: %s", what, t[i].why);
		CHECK_EQ(fn(t[i].s), t[i].ok);
	}
}

static void test_text_lengths(void)
{
	char *s = malloc(PL_TEXT_MAX + 2);
	memset(s, 'a', PL_TEXT_MAX + 1);
	s[PL_TEXT_MAX] = '\0';
	test_case("text at %d bytes", PL_TEXT_MAX);
	CHECK(pl_text_valid(s));
	s[PL_TEXT_MAX] = 'a';
	s[PL_TEXT_MAX + 1] = '\0';
	test_case("text at %d bytes", PL_TEXT_MAX + 1);
	CHECK(!pl_text_valid(s));

	/* 1333 three-byte characters and one byte: 4000 bytes, fewer characters. */
	for (int i = 0; i < 1333; i++)
		memcpy(s + 3 * i, "\xe2\x82\xac", 3);
	s[3999] = '.';
	s[4000] = '\0';
	test_case("text of 4000 bytes of utf-8");
	CHECK(pl_text_valid(s));
	/* Cut in the middle of a character at the limit. */
	s[3999] = '\xe2';
	test_case("text ending in a partial character");
	CHECK(!pl_text_valid(s));
	free(s);
}

/* --- UTF-8, exhaustively --- */

/* The Unicode Standard, Table 3-7: well-formed UTF-8 byte sequences, row by row. */
static bool ref_utf8_valid(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = p[i];
		size_t need;
		uint8_t lo = 0x80, hi = 0xbf; /* range of the second byte */
		if (c <= 0x7f) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
		} else if (c == 0xe0) {
			need = 2, lo = 0xa0;
		} else if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef) {
			need = 2;
		} else if (c == 0xed) {
			need = 2, hi = 0x9f;
		} else if (c == 0xf0) {
			need = 3, lo = 0x90;
		} else if (c >= 0xf1 && c <= 0xf3) {
			need = 3;
		} else if (c == 0xf4) {
			need = 3, hi = 0x8f;
		} else {
			return false;
		}
		if (n - i - 1 < need)
			return false;
		if (p[i + 1] < lo || p[i + 1] > hi)
			return false;
		for (size_t k = 2; k <= need; k++)
			if (p[i + k] < 0x80 || p[i + k] > 0xbf)
				return false;
		i += need + 1;
	}
	return true;
}

static unsigned long utf8_mismatches;

static void compare_utf8(const uint8_t *p, size_t n)
{
	bool want = ref_utf8_valid(p, n);
	if (pl_utf8_valid((const char *)p, n) == want)
		return;
	if (utf8_mismatches++ < 5) {
		char hex[3 * 8 + 1] = "";
		for (size_t i = 0; i < n; i++)
			snprintf(hex + 3 * i, 4, "%02x ", p[i]);
		test_case("utf8 %s", hex);
		CHECK_EQ(pl_utf8_valid((const char *)p, n), want);
	}
}

static void test_utf8_exhaustive(void)
{
	uint8_t b[4];
	for (unsigned x = 0; x < 0x100; x++) {
		b[0] = (uint8_t)x;
		compare_utf8(b, 1);
	}
	for (unsigned x = 0; x < 0x10000; x++) {
		b[0] = (uint8_t)(x >> 8);
		b[1] = (uint8_t)x;
		compare_utf8(b, 2);
	}
	for (unsigned x = 0; x < 0x1000000; x++) {
		b[0] = (uint8_t)(x >> 16);
		b[1] = (uint8_t)(x >> 8);
		b[2] = (uint8_t)x;
		compare_utf8(b, 3);
	}
	/* Four bytes: every first and second byte, the boundary values for the last two. */
	static const uint8_t edge[] = {0x00, 0x41, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xf4, 0xff};
	for (unsigned x = 0; x < 0x10000; x++)
		for (size_t k = 0; k < sizeof edge; k++)
			for (size_t j = 0; j < sizeof edge; j++) {
				b[0] = (uint8_t)(x >> 8);
				b[1] = (uint8_t)x;
				b[2] = edge[k];
				b[3] = edge[j];
				compare_utf8(b, 4);
			}
	test_case("utf8 exhaustive");
	CHECK_EQ(utf8_mismatches, 0);
}

/* Every code point, encoded by hand: valid exactly when it is not a surrogate. */
static void test_utf8_code_points(void)
{
	unsigned long bad = 0;
	for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
		uint8_t b[4];
		size_t n;
		if (cp < 0x80) {
			b[0] = (uint8_t)cp, n = 1;
		} else if (cp < 0x800) {
			b[0] = (uint8_t)(0xc0 | cp >> 6), b[1] = (uint8_t)(0x80 | (cp & 0x3f)), n = 2;
		} else if (cp < 0x10000) {
			b[0] = (uint8_t)(0xe0 | cp >> 12), b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
			b[2] = (uint8_t)(0x80 | (cp & 0x3f)), n = 3;
		} else {
			b[0] = (uint8_t)(0xf0 | cp >> 18), b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
			b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f)), b[3] = (uint8_t)(0x80 | (cp & 0x3f));
			n = 4;
		}
		bool want = cp < 0xd800 || cp > 0xdfff;
		if (pl_utf8_valid((const char *)b, n) != want && bad++ == 0) {
			test_case("utf8 U+%04X", (unsigned)cp);
			CHECK(!"wrong verdict");
		}
		/* And with n one short, every multi-byte form is incomplete. */
		if (n > 1 && pl_utf8_valid((const char *)b, n - 1) && bad++ == 0) {
			test_case("utf8 U+%04X cut short", (unsigned)cp);
			CHECK(!"accepted a partial character");
		}
	}
	test_case("utf8 every code point");
	CHECK_EQ(bad, 0);

	test_case("utf8 explicit length");
	CHECK(pl_utf8_valid("", 0));
	CHECK(pl_utf8_valid("\xff", 0));      /* n bounds the check, not a NUL */
	CHECK(pl_utf8_valid("a\0b", 3));      /* NUL is valid UTF-8; the name rules reject it */
	CHECK(!pl_utf8_valid("\xc3\xa9", 1));
}

/* General category Cf in UnicodeData.txt (Unicode 15), and the Hangul fillers that render as
 * nothing: what a nickname may not hold. */
static bool format_char(uint32_t cp)
{
	static const uint32_t cf[][2] = {
		{0xAD, 0xAD}, {0x600, 0x605}, {0x61C, 0x61C}, {0x6DD, 0x6DD}, {0x70F, 0x70F}, {0x890, 0x891},
		{0x8E2, 0x8E2}, {0x180E, 0x180E}, {0x200B, 0x200F}, {0x202A, 0x202E}, {0x2060, 0x2064},
		{0x2066, 0x206F}, {0xFEFF, 0xFEFF}, {0xFFF9, 0xFFFB}, {0x110BD, 0x110BD}, {0x110CD, 0x110CD},
		{0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0001, 0xE0001}, {0xE0020, 0xE007F},
		{0x115F, 0x1160}, {0x3164, 0x3164}, {0xFFA0, 0xFFA0},
	};
	for (size_t i = 0; i < sizeof cf / sizeof cf[0]; i++)
		if (cp >= cf[i][0] && cp <= cf[i][1])
			return true;
	return false;
}

/*
 * The character rules, for every code point but U+0000 (which ends a C string): encoded on its
 * own as text and as a line, and after "a" as a nickname (so the name is long enough and does
 * not start with it). Control characters are C0 (below U+0020), DEL and C1 (U+0080-U+009F).
 */
static void test_rules_by_code_point(void)
{
	unsigned long bad = 0;
	for (uint32_t cp = 1; cp <= 0x10ffff; cp++) {
		char b[8];
		size_t n;
		if (cp < 0x80) {
			b[0] = (char)cp, n = 1;
		} else if (cp < 0x800) {
			b[0] = (char)(0xc0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
		} else if (cp < 0x10000) {
			b[0] = (char)(0xe0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
			b[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
		} else {
			b[0] = (char)(0xf0 | cp >> 18), b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
			b[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), b[3] = (char)(0x80 | (cp & 0x3f));
			n = 4;
		}
		b[n] = '\0';
		bool surrogate = cp >= 0xd800 && cp <= 0xdfff;
		bool control = cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f);
		bool text = !surrogate && (!control || cp == '\t');
		bool line = !surrogate && !control;
		bool nick = line && cp != ' ' && cp != '"' && cp != ',' && !format_char(cp);
		char nb[9] = "a";
		memcpy(nb + 1, b, n + 1);
		bool got_text = pl_text_valid(b), got_line = pl_line_valid(b), got_nick = pl_nick_valid(nb);
		if ((got_text != text || got_line != line || got_nick != nick) && bad++ < 5) {
			test_case("U+%04X", (unsigned)cp);
			CHECK_EQ(got_text, text);
			CHECK_EQ(got_line, line);
			CHECK_EQ(got_nick, nick);
		}
	}
	test_case("rules by code point");
	CHECK_EQ(bad, 0);
}

static void test_mentions(void)
{
	static const struct {
		const char *text, *nick;
		bool want;
	} cases[] = {
		{"alice: tea?", "alice", true},
		{"tea, Alice?", "alice", true},
		{"ALICE", "alice", true},
		{"hi @alice!", "alice", true},
		{"alice's cup", "alice", true},
		{"malice aforethought", "alice", false},
		{"alicea", "alice", false},
		{"alice_b was here", "alice", false},
		{"alice-b was here", "alice", false},
		{"ali ce", "alice", false},
		{"", "alice", false},
		{"alice", "", false},
		{"bob and alice", "alice", true},
		{"zo\xc3\xab!", "zo\xc3\xab", true},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		test_case("mention of '%s' in '%s'", cases[i].nick, cases[i].text);
		CHECK_EQ(pl_text_mentions(cases[i].text, cases[i].nick), cases[i].want);
	}
	test_case("actions");
	const char *t = "/me waves";
	CHECK(pl_text_action(&t) && strcmp(t, "waves") == 0);
	const char *u = "/me", *v = "/mean it", *w = "hi /me x", *x = "/me ";
	CHECK(!pl_text_action(&u) && !pl_text_action(&v) && !pl_text_action(&w) && !pl_text_action(&x));
	CHECK(strcmp(v, "/mean it") == 0);
}

int main(void)
{
	test_mentions();
	run_table("nick", nicks, sizeof nicks / sizeof nicks[0], pl_nick_valid);
	run_table("room", rooms, sizeof rooms / sizeof rooms[0], pl_room_valid);
	run_table("text", texts, sizeof texts / sizeof texts[0], pl_text_valid);
	run_table("line", lines, sizeof lines / sizeof lines[0], pl_line_valid);
	run_table("group name", group_names, sizeof group_names / sizeof group_names[0],
		  pl_group_name_valid);
	test_rules_by_code_point();
	test_text_lengths();
	test_utf8_exhaustive();
	test_utf8_code_points();
	return test_done();
}
