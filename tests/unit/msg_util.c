#include "msg_util.h"

#include <stdlib.h>
#include <string.h>

/* Exactly n bytes of valid UTF-8: as many copies of unit as fit, then ASCII padding. */
void fill_str(char *dst, size_t n, const char *unit)
{
	size_t u = strlen(unit), i = 0;
	while (i + u <= n) {
		memcpy(dst + i, unit, u);
		i += u;
	}
	while (i < n)
		dst[i++] = 'x';
	dst[n] = '\0';
}

/* n bytes that start like a PNG file; the rest varied, NULs included. */
uint16_t fill_picture(uint8_t *p, size_t n)
{
	static const uint8_t png[] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
	for (size_t i = 0; i < n; i++)
		p[i] = i < sizeof png ? png[i] : (uint8_t)(i * 251 + (i >> 8));
	return (uint16_t)n;
}


/* The first of the n fields f in which the structs at a and b differ, or NULL. */
static const char *diff_fields(const struct pl_msg_field *f, unsigned n, const uint8_t *a,
			       const uint8_t *b)
{
	for (unsigned k = 0; k < n; k++, f++) {
		const uint8_t *pa = a + f->off, *pb = b + f->off;
		uint16_t count;
		switch (f->kind) {
		case PL_FIELD_ABSENT:
			break; /* test_msg checks these are zero after a decode */
		case PL_FIELD_STR:
			if (strcmp((const char *)pa, (const char *)pb) != 0)
				return f->name;
			break;
		case PL_FIELD_BYTES:
		case PL_FIELD_LIST:
			if (memcmp(pa, pb, sizeof count) != 0)
				return f->name;
			memcpy(&count, pa, sizeof count);
			if (count > f->max)
				return f->name;
			if (f->kind == PL_FIELD_BYTES) {
				if (memcmp(a + f->data, b + f->data, count) != 0)
					return f->name;
				break;
			}
			for (unsigned i = 0; i < count; i++) {
				size_t at = f->data + (size_t)i * f->stride;
				const char *d = diff_fields(f->entry, f->nentry, a + at, b + at);
				if (d)
					return d;
			}
			break;
		default: /* integers and fixed bytes: the member's bytes */
			if (memcmp(pa, pb, f->size) != 0)
				return f->name;
			break;
		}
	}
	return NULL;
}

/* The first field in which a and b differ, or NULL; walks a's description, so it compares what
 * the wire carries and nothing else. */
const char *msg_diff(const struct pl_msg *a, const struct pl_msg *b)
{
	if (a->type != b->type)
		return "type";
	const struct pl_msg_desc *d = pl_msg_describe(a->type);
	if (!d)
		return "a type the codec does not describe";
	return diff_fields(d->fields, d->nfields, (const uint8_t *)a, (const uint8_t *)b);
}

static void fill_fields(const struct pl_msg_field *f, unsigned n, uint8_t *base, bool max,
			unsigned seed)
{
	for (unsigned k = 0; k < n; k++, f++) {
		uint8_t *at = base + f->off;
		uint16_t count;
		switch (f->kind) {
		case PL_FIELD_U8:
		case PL_FIELD_U16:
		case PL_FIELD_U32:
		case PL_FIELD_U64:
			memset(at, max ? 0xff : 0, f->size);
			break;
		case PL_FIELD_ENUM:
		case PL_FIELD_FLAGS:
			*at = max ? (uint8_t)f->max : 0;
			break;
		case PL_FIELD_STR:
			/* Two-byte UTF-8 and ASCII padding; the first letter differs between list entries. */
			fill_str((char *)at, max ? f->max : 0, "t\xc3\xa9");
			if (max && f->max > 0)
				at[0] = (uint8_t)('A' + seed % 26);
			break;
		case PL_FIELD_FIXED:
			for (size_t i = 0; i < f->size; i++)
				at[i] = max ? (uint8_t)(i * 37 + 1 + seed) : 0;
			break;
		case PL_FIELD_BYTES:
			count = max ? fill_picture(base + f->data, f->max) : 0;
			memcpy(at, &count, sizeof count);
			break;
		case PL_FIELD_LIST:
			count = max ? (uint16_t)f->max : 0;
			memcpy(at, &count, sizeof count);
			for (unsigned i = 0; i < count; i++)
				fill_fields(f->entry, f->nentry, base + f->data + (size_t)i * f->stride,
					    max, i);
			break;
		case PL_FIELD_ABSENT:
			break;
		}
	}
}

void fill_from_desc(struct pl_msg *m, bool max)
{
	const struct pl_msg_desc *d = pl_msg_describe(m->type);
	if (d)
		fill_fields(d->fields, d->nfields, (uint8_t *)m, max, 0);
}

/* Decodes from an exact-size heap copy, so a sanitizer build catches any read past len. */
int decode_copy(struct pl_msg *m, uint16_t type, const uint8_t *p, size_t len)
{
	uint8_t *c = malloc(len ? len : 1);
	if (len)
		memcpy(c, p, len);
	int rc = pl_msg_decode(m, type, c, len);
	free(c);
	return rc;
}

struct pl_msg *new_msg(void)
{
	return calloc(1, sizeof(struct pl_msg));
}

void put_int(uint8_t *p, size_t *n, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--)
		p[(*n)++] = (uint8_t)(v >> (8 * i));
}
