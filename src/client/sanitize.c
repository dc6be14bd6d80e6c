#include "client/sanitize.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int32_t pl_utf8_next(const char *s, size_t len, size_t *n)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char c = p[0], lo = 0x80, hi = 0xBF;
	unsigned need;
	int32_t cp;
	*n = 1;
	if (c < 0x80)
		return c;
	/* The well-formed sequences of Unicode's table 3-7: the second byte's range depends on the
	 * first, which rules out overlongs, surrogates and code points past U+10FFFF. */
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		cp = c & 0x0F;
		lo = c == 0xE0 ? 0xA0 : 0x80;
		hi = c == 0xED ? 0x9F : 0xBF;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		cp = c & 0x07;
		lo = c == 0xF0 ? 0x90 : 0x80;
		hi = c == 0xF4 ? 0x8F : 0xBF;
	} else {
		return -1;
	}
	for (unsigned i = 1; i <= need; i++) {
		if (i >= len || p[i] < lo || p[i] > hi)
			return -1; /* *n covers the valid prefix, replaced as one */
		cp = cp << 6 | (p[i] & 0x3F);
		lo = 0x80;
		hi = 0xBF;
		*n = i + 1;
	}
	return cp;
}

static size_t filter(char *dst, size_t dstsz, const char *src, size_t len, bool term)
{
	size_t o = 0, i = 0;
	if (dstsz == 0)
		return 0;
	while (i < len) {
		size_t n, outn;
		char rep[16];
		const char *out = rep;
		int32_t cp = pl_utf8_next(src + i, len - i, &n);
		if (cp < 0) {
			out = "\xEF\xBF\xBD";
			outn = 3;
		} else if (!term || (cp >= 0x20 && cp < 0x7F) || cp > 0x9F) {
			out = src + i;
			outn = n;
		} else if (cp == '\t') {
			out = " ";
			outn = 1;
		} else if (cp < 0x20) {
			rep[0] = '^';
			rep[1] = (char)(cp + 0x40);
			outn = 2;
		} else if (cp == 0x7F) {
			out = "^?";
			outn = 2;
		} else {
			outn = (size_t)snprintf(rep, sizeof rep, "<U+%04X>", (unsigned)cp);
		}
		if (o + outn >= dstsz)
			break;
		memcpy(dst + o, out, outn);
		o += outn;
		i += n;
	}
	dst[o] = '\0';
	return o;
}

size_t pl_term_safe(char *dst, size_t dstsz, const char *src, size_t len)
{
	return filter(dst, dstsz, src, len, true);
}

size_t pl_utf8_repair(char *dst, size_t dstsz, const char *src, size_t len)
{
	return filter(dst, dstsz, src, len, false);
}
