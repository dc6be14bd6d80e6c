#include "core/names.h"

#include <string.h>
#include <strings.h>

/* Unicode's format characters (general category Cf: bidirectional overrides and isolates,
 * zero-width spaces and joiners, the BOM, tags...) and the invisible Hangul fillers. In a name
 * they let one user pass for another ("ali\u200Bce", or a right-to-left override that shows
 * "ecila" as "alice"), so names may not hold them. */
static bool invisible(unsigned c)
{
	static const struct { unsigned lo, hi; } ranges[] = {
		{0x00AD, 0x00AD}, {0x0600, 0x0605}, {0x061C, 0x061C}, {0x06DD, 0x06DD}, {0x070F, 0x070F},
		{0x0890, 0x0891}, {0x08E2, 0x08E2}, {0x115F, 0x1160}, {0x180E, 0x180E}, {0x200B, 0x200F},
		{0x202A, 0x202E}, {0x2060, 0x2064}, {0x2066, 0x206F}, {0x3164, 0x3164}, {0xFEFF, 0xFEFF},
		{0xFFA0, 0xFFA0}, {0xFFF9, 0xFFFB}, {0x110BD, 0x110BD}, {0x110CD, 0x110CD}, {0x13430, 0x1343F},
		{0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0001, 0xE0001}, {0xE0020, 0xE007F},
	};
	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
		if (c >= ranges[i].lo && c <= ranges[i].hi)
			return true;
	return false;
}

/* Valid UTF-8; with no_c1, also free of the C1 controls U+0080-U+009F, which terminals read as
 * escape sequences (U+009B is CSI), so a name or message cannot drive another user's terminal;
 * with no_invisible, also free of the characters invisible() lists. */
static bool utf8_scan(const char *s, size_t n, bool no_c1, bool no_invisible)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		unsigned c = p[i];
		size_t extra;
		unsigned min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			extra = 1, min = 0x80, c &= 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			extra = 2, min = 0x800, c &= 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			extra = 3, min = 0x10000, c &= 0x07;
		} else {
			return false;
		}
		if (extra > n - i - 1)
			return false;
		for (size_t k = 1; k <= extra; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			c = c << 6 | (p[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return false;
		if (no_c1 && c >= 0x80 && c <= 0x9f)
			return false;
		if (no_invisible && invisible(c))
			return false;
		i += extra + 1;
	}
	return true;
}

static bool utf8_check(const char *s, size_t n, bool no_c1)
{
	return utf8_scan(s, n, no_c1, false);
}

bool pl_utf8_valid(const char *s, size_t n)
{
	return utf8_check(s, n, false);
}

static bool name_chars_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c == 0x7f || c == '"' || c == ',')
			return false;
	}
	return utf8_scan(s, n, true, true);
}

bool pl_nick_valid(const char *s)
{
	size_t n = strlen(s);
	return n >= PL_NICK_MIN && n <= PL_NICK_MAX && s[0] != '#' && name_chars_ok(s, n);
}

bool pl_room_valid(const char *s)
{
	size_t n = strlen(s);
	return n >= 2 && n <= PL_ROOM_MAX && s[0] == '#' && name_chars_ok(s + 1, n - 1);
}

bool pl_text_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > PL_TEXT_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return utf8_check(s, n, true);
}

bool pl_line_valid(const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return utf8_check(s, n, true);
}

bool pl_group_name_valid(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n <= PL_GROUP_NAME_MAX && pl_line_valid(s);
}

static bool word_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool pl_text_mentions(const char *text, const char *nick)
{
	size_t n = strlen(nick);
	if (!n)
		return false;
	for (const char *p = text; *p; p++) {
		if (strncasecmp(p, nick, n) != 0)
			continue;
		bool before = p == text || !word_char((unsigned char)p[-1]);
		bool after = !word_char((unsigned char)p[n]);
		if (before && after)
			return true;
	}
	return false;
}

bool pl_text_action(const char **text)
{
	if (strncmp(*text, "/me ", 4) != 0 || !(*text)[4])
		return false;
	*text += 4;
	return true;
}
