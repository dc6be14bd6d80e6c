#include "core/buf.h"

#include <errno.h>
#include <string.h>

void pl_rd_init(struct pl_rd *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->pos = 0;
	r->err = false;
}

static const uint8_t *take(struct pl_rd *r, size_t n)
{
	if (r->err || n > r->len - r->pos) {
		r->err = true;
		return NULL;
	}
	const uint8_t *at = r->p + r->pos;
	r->pos += n;
	return at;
}

uint8_t pl_rd_u8(struct pl_rd *r)
{
	const uint8_t *p = take(r, 1);
	return p ? p[0] : 0;
}

uint16_t pl_rd_u16(struct pl_rd *r)
{
	const uint8_t *p = take(r, 2);
	return p ? pl_be16(p) : 0;
}

uint32_t pl_rd_u32(struct pl_rd *r)
{
	const uint8_t *p = take(r, 4);
	return p ? pl_be32(p) : 0;
}

uint64_t pl_rd_u64(struct pl_rd *r)
{
	const uint8_t *p = take(r, 8);
	return p ? (uint64_t)pl_be32(p) << 32 | pl_be32(p + 4) : 0;
}

void pl_rd_bytes(struct pl_rd *r, void *dst, size_t n)
{
	const uint8_t *p = take(r, n);
	if (p)
		memcpy(dst, p, n);
	else
		memset(dst, 0, n);
}

void pl_rd_str(struct pl_rd *r, char *dst, size_t dstsz, size_t max)
{
	dst[0] = '\0';
	size_t n = pl_rd_u16(r);
	if (r->err)
		return;
	if (n > max || n >= dstsz) {
		r->err = true;
		return;
	}
	const uint8_t *p = take(r, n);
	if (!p)
		return;
	if (memchr(p, '\0', n)) {
		r->err = true;
		return;
	}
	memcpy(dst, p, n);
	dst[n] = '\0';
}

size_t pl_rd_left(const struct pl_rd *r)
{
	return r->err ? 0 : r->len - r->pos;
}

int pl_rd_finish(const struct pl_rd *r)
{
	return (r->err || r->pos != r->len) ? -EBADMSG : 0;
}

void pl_wr_init(struct pl_wr *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->cap = cap;
	w->pos = 0;
	w->err = false;
}

static uint8_t *put(struct pl_wr *w, size_t n)
{
	if (w->err || n > w->cap - w->pos) {
		w->err = true;
		return NULL;
	}
	uint8_t *at = w->p + w->pos;
	w->pos += n;
	return at;
}

void pl_wr_u8(struct pl_wr *w, uint8_t v)
{
	uint8_t *p = put(w, 1);
	if (p)
		p[0] = v;
}

void pl_wr_u16(struct pl_wr *w, uint16_t v)
{
	uint8_t *p = put(w, 2);
	if (p)
		pl_put_be16(p, v);
}

void pl_wr_u32(struct pl_wr *w, uint32_t v)
{
	uint8_t *p = put(w, 4);
	if (p)
		pl_put_be32(p, v);
}

void pl_wr_u64(struct pl_wr *w, uint64_t v)
{
	uint8_t *p = put(w, 8);
	if (p) {
		pl_put_be32(p, (uint32_t)(v >> 32));
		pl_put_be32(p + 4, (uint32_t)v);
	}
}

void pl_wr_bytes(struct pl_wr *w, const void *src, size_t n)
{
	uint8_t *p = put(w, n);
	if (p && n)
		memcpy(p, src, n);
}

void pl_wr_str(struct pl_wr *w, const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n > max || n > UINT16_MAX) {
		w->err = true;
		return;
	}
	pl_wr_u16(w, (uint16_t)n);
	pl_wr_bytes(w, s, n);
}

int pl_wr_finish(const struct pl_wr *w)
{
	if (w->err)
		return -EMSGSIZE;
	return (int)w->pos;
}
