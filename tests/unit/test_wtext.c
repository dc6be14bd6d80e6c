/* Unit tests for client/wtext: decoding for the screen, wrapping between words, nicknames found. */
#include "client/wtext.h"

#include <locale.h>
#include <string.h>

#include "test.h"

static void test_nick_span(void)
{
	static const struct {
		const wchar_t *line;
		size_t ns, ne; /* 0, 0: none */
	} cases[] = {
		{L"09:14 <dave> tea?", 7, 11},
		{L"(history) 09:14 <Carol> hi", 17, 22},
		{L"09:14 * carol pours the tea", 0, 0},
		{L"09:14 <> empty", 0, 0},
		{L"09:14 <no end here", 0, 0},
		{L"dave joined #tea", 0, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t ns, ne;
		test_case("nick span %zu", i);
		uint32_t h = pl_wtext_nick_span(cases[i].line, wcslen(cases[i].line), &ns, &ne);
		CHECK_EQ(ns, cases[i].ns);
		CHECK_EQ(ne, cases[i].ne);
		CHECK_EQ(h != 0, cases[i].ne != 0);
	}
	test_case("a nickname's hash is the same whatever its case, and differs between nicknames");
	size_t a, b;
	uint32_t h1 = pl_wtext_nick_span(L"<Dave> x", 8, &a, &b), h2 = pl_wtext_nick_span(L"<dave> y", 8, &a, &b);
	uint32_t h3 = pl_wtext_nick_span(L"<carol> y", 9, &a, &b);
	CHECK_EQ(h1, h2);
	CHECK(h1 != h3);
}

static void test_rows(void)
{
	test_case("a line wraps after the last space that fits, never inside a word");
	const wchar_t *s = L"the quick brown fox";
	size_t end, next = pl_wtext_row_next(s, wcslen(s), 0, 12, &end);
	CHECK_EQ(end, 10); /* "the quick " */
	CHECK_EQ(next, 10);
	CHECK_EQ(pl_wtext_rows(s, wcslen(s), 12), 2);
	CHECK_EQ(pl_wtext_rows(s, wcslen(s), 40), 1);
	wchar_t out[64];
	test_case("decoding makes controls visible");
	size_t n = pl_wtext_decode("a\x1b[2Jb", 6, out, 64);
	CHECK(n > 3 && out[0] == L'a' && wcschr(out, 0x1b) == NULL);
}

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	test_nick_span();
	test_rows();
	return test_done();
}
