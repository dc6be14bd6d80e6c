/* wtext: see wtext.h. */
#include "client/wtext.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "client/sanitize.h"
#include "core/names.h"

/* Everything the TUI draws passes here, so nothing a server sends (a room name, a nickname, a
 * line) can drive the terminal: s is first made terminal-safe (client/sanitize.h, controls shown
 * as ^[ or <U+009B>), then decoded in the locale. Every character it returns has a width of 0, 1
 * or 2: anything else the terminal cannot show becomes '?'. At most cap - 1 characters, then a 0;
 * PL_TERM_SAFE_SIZE(n) always holds them all. */
size_t pl_wtext_decode(const char *in, size_t len, wchar_t *out, size_t cap)
{
	char small[1024], *s = small;
	size_t sz = PL_TERM_SAFE_SIZE(len);
	out[0] = 0;
	if (sz > sizeof small && !(s = malloc(sz)))
		return 0;
	size_t n = pl_term_safe(s, sz, in, len);
	mbstate_t st;
	size_t i = 0, k = 0;
	memset(&st, 0, sizeof st);
	while (i < n && k + 1 < cap) {
		wchar_t c;
		size_t r = mbrtowc(&c, s + i, n - i, &st);
		if (r == 0)
			break;
		if (r == (size_t)-1 || r == (size_t)-2) {
			c = 0xFFFD;
			r = 1;
			memset(&st, 0, sizeof st);
		}
		i += r;
		if (c == L'\t')
			c = L' ';
		else if (wcwidth(c) < 0)
			c = L'?';
		out[k++] = c;
	}
	out[k] = 0;
	if (s != small)
		free(s);
	return k;
}

size_t pl_wtext_encode(const wchar_t *w, size_t n, char *out, size_t cap)
{
	mbstate_t st;
	size_t k = 0;
	memset(&st, 0, sizeof st);
	for (size_t i = 0; i < n; i++) {
		char mb[MB_LEN_MAX];
		size_t r = wcrtomb(mb, w[i], &st);
		if (r == (size_t)-1)
			continue;
		if (k + r >= cap)
			break;
		memcpy(out + k, mb, r);
		k += r;
	}
	out[k] = '\0';
	return k;
}

int pl_wtext_cw(wchar_t c)
{
	int w = wcwidth(c);
	return w < 0 ? 1 : w;
}

int pl_wtext_width(const wchar_t *s, unsigned from, unsigned to)
{
	int w = 0;
	for (unsigned i = from; i < to; i++)
		w += pl_wtext_cw(s[i]);
	return w;
}

/* One screen row of s from i: sets *end to where it ends and returns where the next row starts.
 * Breaks after the last space that fits, as a person would; a word longer than the row is cut. */
size_t pl_wtext_row_next(const wchar_t *s, size_t n, size_t i, int w, size_t *end)
{
	size_t j = i, brk = 0;
	int col = 0;
	while (j < n && col + pl_wtext_cw(s[j]) <= w) {
		col += pl_wtext_cw(s[j]);
		if (s[j] == L' ')
			brk = j + 1;
		j++;
	}
	if (j == i && j < n)
		j++; /* a character wider than the row: shown anyway, so every row moves on */
	*end = j;
	if (j < n && s[j] == L' ')
		return j + 1;
	if (j < n && brk > i)
		*end = j = brk;
	return j;
}

int pl_wtext_rows(const wchar_t *s, size_t n, int w)
{
	int rows = 1;
	size_t end, i = pl_wtext_row_next(s, n, 0, w, &end);
	while (i < n) {
		i = pl_wtext_row_next(s, n, i, w, &end);
		rows++;
	}
	return rows;
}

uint32_t pl_wtext_nick_span(const wchar_t *s, size_t n, size_t *ns, size_t *ne)
{
	*ns = *ne = 0;
	size_t i = 0;
	while (i < n && i < 48 && s[i] != L'<')
		i++;
	size_t j = i + 1;
	while (j < n && j < i + 2 + PL_NICK_MAX && s[j] != L'>')
		j++;
	if (i >= n || j >= n || s[j] != L'>' || j == i + 1)
		return 0;
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t k = i + 1; k < j; k++)
		h = (h ^ (uint32_t)towlower((wint_t)s[k])) * 16777619u;
	*ns = i + 1;
	*ne = j;
	return h ? h : 1;
}
