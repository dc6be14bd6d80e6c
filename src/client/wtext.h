/*
 * wtext: the terminal UI's text, between UTF-8 and the wide characters a terminal shows: decoding
 * made terminal-safe first (client/sanitize.h), encoding back, widths, and where a line wraps.
 * Pure (the locale aside): no screen, no state.
 */
#ifndef PL_WTEXT_H
#define PL_WTEXT_H

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

/* in (len bytes of UTF-8 from anywhere) as characters a terminal can show, each 0 to 2 columns
 * wide: made terminal-safe, decoded in the locale, '?' for what cannot be shown. At most cap - 1
 * characters, then a 0; PL_TERM_SAFE_SIZE(len) always holds them all. Returns the count. */
size_t pl_wtext_decode(const char *in, size_t len, wchar_t *out, size_t cap);
/* n characters back to the locale's bytes in out (at most cap - 1, then a NUL); returns the bytes. */
size_t pl_wtext_encode(const wchar_t *w, size_t n, char *out, size_t cap);
/* A character's columns (1 for one wcwidth does not know). */
int pl_wtext_cw(wchar_t c);
/* The columns of s[from..to). */
int pl_wtext_width(const wchar_t *s, unsigned from, unsigned to);
/* One screen row of s (n characters) from i, w columns wide: sets *end to where the row ends and
 * returns where the next starts. Breaks after the last space that fits, as a person would; a word
 * longer than the row is cut. */
size_t pl_wtext_row_next(const wchar_t *s, size_t n, size_t i, int w, size_t *end);
/* How many rows of w columns s takes. */
int pl_wtext_rows(const wchar_t *s, size_t n, int w);

/* A chat line's "<nick>" (its '<' within the first 48 characters): sets [*ns, *ne) to the nickname
 * and returns a hash of it, case aside, so a nickname gets the same colour wherever it shows (as
 * irssi colours nicks); 0 with *ns == *ne when the line has none. */
uint32_t pl_wtext_nick_span(const wchar_t *s, size_t n, size_t *ns, size_t *ne);

#endif
