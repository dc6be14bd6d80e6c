/*
 * buf: explicit, bounds-checked big-endian reads and writes over a byte buffer.
 *
 * Every wire codec in parley reads fields one by one through a pl_rd and writes them through a
 * pl_wr; nothing is ever cast onto packet bytes. Both carry a sticky error flag, so a decoder can
 * read a whole message and check once at the end: a read past the end returns zero and sets the
 * flag, and nothing after it can clear it.
 */
#ifndef PL_BUF_H
#define PL_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pl_rd {
	const uint8_t *p;
	size_t len;
	size_t pos;
	bool err;
};

struct pl_wr {
	uint8_t *p;
	size_t cap;
	size_t pos;
	bool err;
};

void pl_rd_init(struct pl_rd *r, const uint8_t *p, size_t len);
uint8_t pl_rd_u8(struct pl_rd *r);
uint16_t pl_rd_u16(struct pl_rd *r);
uint32_t pl_rd_u32(struct pl_rd *r);
uint64_t pl_rd_u64(struct pl_rd *r);
void pl_rd_bytes(struct pl_rd *r, void *dst, size_t n);
/* A u16 length then that many bytes, copied into dst (size dstsz) and NUL-terminated. Sets the
 * error flag when the length exceeds max (max < dstsz), the remaining bytes, or the bytes
 * contain a NUL. */
void pl_rd_str(struct pl_rd *r, char *dst, size_t dstsz, size_t max);
size_t pl_rd_left(const struct pl_rd *r);
/* 0 when every read succeeded and the buffer was consumed exactly; -EBADMSG otherwise. */
int pl_rd_finish(const struct pl_rd *r);

void pl_wr_init(struct pl_wr *w, uint8_t *p, size_t cap);
void pl_wr_u8(struct pl_wr *w, uint8_t v);
void pl_wr_u16(struct pl_wr *w, uint16_t v);
void pl_wr_u32(struct pl_wr *w, uint32_t v);
void pl_wr_u64(struct pl_wr *w, uint64_t v);
void pl_wr_bytes(struct pl_wr *w, const void *src, size_t n);
/* A u16 length then the string's bytes; sets the error flag past max bytes. */
void pl_wr_str(struct pl_wr *w, const char *s, size_t max);
/* The number of bytes written, or -EMSGSIZE / -EINVAL when a write failed. */
int pl_wr_finish(const struct pl_wr *w);

static inline uint16_t pl_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t pl_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void pl_put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void pl_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

#endif
