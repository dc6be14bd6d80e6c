/*
 * sanitize: strings from the network made safe for where they go. A server (or anyone whose name
 * or text it relays) can put terminal escape sequences, line breaks and invalid UTF-8 in any
 * string; printed raw they would clear the screen, set the window title, fake lines or worse.
 *
 * For a terminal, pl_term_safe makes every control character visible: C0 controls in caret
 * notation (ESC is ^[, NUL ^@, LF ^J) except tab, which becomes a space; DEL is ^?; C1 controls
 * (U+0080-U+009F, CSI is U+009B) become <U+009B>; invalid UTF-8 becomes U+FFFD. For JSON,
 * pl_utf8_repair only replaces invalid UTF-8 (the JSON writer escapes controls itself).
 * Pure functions over buffers; the client's output paths (client/ui.c, client/tui.c) call them.
 */
#ifndef PL_SANITIZE_H
#define PL_SANITIZE_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of output (NUL included) that always hold the result for n bytes of input. */
#define PL_TERM_SAFE_SIZE(n) (4 * (size_t)(n) + 1)  /* a 2-byte C1 control becomes 8 bytes */
#define PL_UTF8_REPAIR_SIZE(n) (3 * (size_t)(n) + 1) /* a stray byte becomes U+FFFD's 3 */

/* Writes src[0..len) to dst as text a terminal shows and does not obey, NUL-terminated. Output
 * that does not fit dstsz is cut at a character. Returns the length written (without the NUL). */
size_t pl_term_safe(char *dst, size_t dstsz, const char *src, size_t len);

/* Writes src[0..len) to dst as valid UTF-8: each invalid sequence (its longest invalid prefix, as
 * Unicode recommends) becomes U+FFFD; all else is copied. NUL-terminated; cut as above. */
size_t pl_utf8_repair(char *dst, size_t dstsz, const char *src, size_t len);

/* The code point at s[0..len) (len > 0), its length in *n; or -1 for an invalid sequence, with *n
 * the bytes one U+FFFD replaces (at least 1). Overlongs, surrogates and values past U+10FFFF are
 * invalid. */
int32_t pl_utf8_next(const char *s, size_t len, size_t *n);

#endif
