/*
 * gen_msg_seeds: the fuzz_msg seeds and dictionary entries that follow from the codec's own
 * description of each message (core/msg.h), so a new message or a changed bound reaches the
 * fuzzer without anyone writing a seed for it. gen_corpus.py compiles and runs it; it is not a
 * fuzz target.
 *
 *   gen_msg_seeds seeds CORPUS_DIR DICT_FILE
 *       writes, for every type, desc-<type>-min and desc-<type>-max (every field at its minimum
 *       or its maximum) and, for every bounded field, desc-<type>-<field>-over.bad (that one bound
 *       broken); then DICT_FILE: the types, and each bound and one past it. Prints one line per
 *       type, "0x0001 HELLO", in type order.
 *   gen_msg_seeds check FILE...
 *       prints "FILE 0", "FILE -74" ...: what pl_msg_decode returns for each seed (a u16 type,
 *       then the payload), so gen_corpus.py can check its hand-written seeds mean what they say.
 *   gen_msg_seeds check-stun FILE...
 *       the same for the fuzz_stun seeds: what pl_stun_decode (core/stun.h) returns for each.
 *
 * The payloads are written here, by a walk of the description that knows nothing of msg.c's
 * walk, and every valid one is checked against pl_msg_decode and pl_msg_encode before it is kept.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/frame.h"
#include "core/msg.h"
#include "core/stun.h"

#define SEED_MAX 4096   /* gen_corpus.py's limit: libFuzzer's default -max_len */
#define BYTES_CAP 1024  /* a picture's seed size: a full 8192 would pass SEED_MAX */

enum mode { MIN, MAX };

struct out {
	uint8_t p[PL_FRAME_MAX_HARD];
	size_t n;
};

static void put(struct out *o, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--)
		o->p[o->n++] = (uint8_t)(v >> (8 * i));
}

/* A string of exactly n bytes of valid UTF-8: "é" repeated, ASCII when one byte is left. */
static void put_text(struct out *o, size_t n)
{
	size_t i = 0;
	for (; i + 2 <= n; i += 2) {
		o->p[o->n++] = 0xc3;
		o->p[o->n++] = 0xa9;
	}
	if (i < n)
		o->p[o->n++] = 'x';
}

/* The payload of n fields in the given mode; `bad` (if not NULL) is written one past its bound. */
static void emit(struct out *o, const struct pl_msg_field *f, unsigned n, enum mode mode,
		 const struct pl_msg_field *bad)
{
	static const int width[] = {[PL_FIELD_U8] = 1, [PL_FIELD_U16] = 2, [PL_FIELD_U32] = 4,
				    [PL_FIELD_U64] = 8};
	for (unsigned k = 0; k < n; k++, f++) {
		size_t len;
		switch (f->kind) {
		case PL_FIELD_U8:
		case PL_FIELD_U16:
		case PL_FIELD_U32:
		case PL_FIELD_U64:
			put(o, mode == MAX ? UINT64_MAX : 0, width[f->kind]);
			break;
		case PL_FIELD_ENUM:
			put(o, f == bad ? f->max + 1 : mode == MAX ? f->max : 0, 1);
			break;
		case PL_FIELD_FLAGS: {
			uint32_t undefined = ~f->max & 0xff;
			put(o, f == bad ? undefined & -undefined : mode == MAX ? f->max : 0, 1);
			break;
		}
		case PL_FIELD_STR:
			len = f == bad ? f->max + 1 : mode == MAX ? f->max : 0;
			put(o, len, 2);
			put_text(o, len);
			break;
		case PL_FIELD_FIXED:
			for (size_t i = 0; i < f->size; i++)
				o->p[o->n++] = mode == MAX ? (uint8_t)(i * 37 + 1) : 0;
			break;
		case PL_FIELD_BYTES:
			/* Over its bound, the count alone: the decoder stops there. */
			len = f == bad ? f->max + 1 : mode == MAX ? (f->max < BYTES_CAP ? f->max : BYTES_CAP) : 0;
			put(o, len, 2);
			for (size_t i = 0; f != bad && i < len; i++)
				o->p[o->n++] = (uint8_t)(i * 251 + 7);
			break;
		case PL_FIELD_LIST:
			len = f == bad ? f->max + 1 : mode == MAX ? f->max : 0;
			put(o, len, 2);
			for (size_t i = 0; i < len; i++)
				emit(o, f->entry, f->nentry, f == bad ? MIN : mode, NULL);
			break;
		case PL_FIELD_ABSENT:
			break;
		}
	}
}

static int decode_payload(uint16_t type, const uint8_t *p, size_t n)
{
	static struct pl_msg m;
	return pl_msg_decode(&m, type, p, n);
}

static int write_seed(const char *dir, const char *name, uint16_t type, const struct out *o)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *fp = fopen(path, "wb");
	uint8_t t[2] = {(uint8_t)(type >> 8), (uint8_t)type};
	if (!fp || fwrite(t, 1, 2, fp) != 2 || fwrite(o->p, 1, o->n, fp) != o->n || fclose(fp) != 0) {
		perror(path);
		return -1;
	}
	return 0;
}

/* A valid seed must decode, and pl_msg_encode must give back exactly its bytes. */
static int check_valid(const char *name, uint16_t type, const struct out *o)
{
	static struct pl_msg m;
	static uint8_t enc[PL_FRAME_MAX_HARD];
	int rc = pl_msg_decode(&m, type, o->p, o->n);
	int n = rc == 0 ? pl_msg_encode(&m, enc, sizeof enc) : rc;
	if (n != (int)(o->n + PL_FRAME_HDR) || memcmp(enc + PL_FRAME_HDR, o->p, o->n) != 0) {
		fprintf(stderr, "gen_msg_seeds: %s does not round-trip (decode %d, encode %d)\n", name, rc, n);
		return -1;
	}
	return 0;
}

static void lower(char *dst, size_t cap, const char *src)
{
	size_t i = 0;
	for (; src[i] && i + 1 < cap; i++)
		dst[i] = (char)(src[i] >= 'A' && src[i] <= 'Z' ? src[i] - 'A' + 'a' : src[i]);
	dst[i] = '\0';
}

/* One dictionary entry per distinct value: the bounds the fuzzer cannot guess from 16 bits. */
struct dict {
	FILE *fp;
	char seen[64][32];
	unsigned n;
};

static void dict_add(struct dict *d, const char *what, uint32_t v, int bytes)
{
	char name[32];
	snprintf(name, sizeof name, "%s_%u", what, (unsigned)v);
	for (unsigned i = 0; i < d->n; i++)
		if (strcmp(d->seen[i], name) == 0)
			return;
	if (d->n < 64)
		snprintf(d->seen[d->n++], sizeof d->seen[0], "%s", name);
	fprintf(d->fp, "%s=\"", name);
	for (int i = bytes - 1; i >= 0; i--)
		fprintf(d->fp, "\\x%02x", (unsigned)(v >> (8 * i)) & 0xff);
	fprintf(d->fp, "\"\n");
}

static void dict_bounds(struct dict *d, const struct pl_msg_field *f, unsigned n)
{
	for (unsigned k = 0; k < n; k++, f++) {
		switch (f->kind) {
		case PL_FIELD_STR:
		case PL_FIELD_BYTES:
		case PL_FIELD_LIST:
			dict_add(d, "len", f->max, 2);
			dict_add(d, "len", f->max + 1, 2);
			if (f->kind == PL_FIELD_LIST)
				dict_bounds(d, f->entry, f->nentry);
			break;
		case PL_FIELD_ENUM:
		case PL_FIELD_FLAGS:
			dict_add(d, "u8", f->max, 1);
			dict_add(d, "u8", f->max + 1, 1);
			break;
		default:
			break;
		}
	}
}

/* A seed past libFuzzer's -max_len would be cut short when replayed: left out, and said so (a
 * message at its maxima, such as MEDIA_KEYS with 32 sealed keys, is that long). */
static bool too_long(const char *name, const struct out *o)
{
	if (o->n + 2 < SEED_MAX)
		return false;
	fprintf(stderr, "gen_msg_seeds: %s left out: %zu bytes, past the fuzzer's %d\n", name, o->n + 2, SEED_MAX);
	return true;
}

static int seeds(const char *dir, const char *dict_path)
{
	static struct out o;
	char name[256], lname[64], lfield[64];
	struct dict d = {.fp = fopen(dict_path, "w")};
	if (!d.fp) {
		perror(dict_path);
		return 1;
	}
	fprintf(d.fp, "# fuzz_msg: a u16 message type, then the payload. Written by fuzz/gen_corpus.py"
		" from the\n# codec's description (core/msg.h): every type, and each length, count"
		" and u8 bound and one\n# past it, so the fuzzer finds the boundaries without"
		" guessing 16-bit numbers.\n");
	for (unsigned t = 0; t <= 0xffff; t++) {
		const struct pl_msg_desc *desc = pl_msg_describe((uint16_t)t);
		if (!desc)
			continue;
		lower(lname, sizeof lname, desc->name);
		printf("0x%04x %s\n", t, desc->name);
		snprintf(name, sizeof name, "type_%s", lname);
		fprintf(d.fp, "%s=\"\\x%02x\\x%02x\"\n", name, t >> 8, t & 0xff);

		for (int mode = MIN; mode <= MAX; mode++) {
			o.n = 0;
			emit(&o, desc->fields, desc->nfields, (enum mode)mode, NULL);
			snprintf(name, sizeof name, "desc-%s-%s", lname, mode == MAX ? "max" : "min");
			if (check_valid(name, (uint16_t)t, &o) < 0)
				return 1;
			if (too_long(name, &o))
				continue;
			if (write_seed(dir, name, (uint16_t)t, &o) < 0)
				return 1;
		}
		for (unsigned i = 0; i < desc->nfields; i++) {
			const struct pl_msg_field *f = &desc->fields[i];
			if (f->kind < PL_FIELD_ENUM || f->kind == PL_FIELD_FIXED || f->kind == PL_FIELD_ABSENT)
				continue; /* no bound to break */
			o.n = 0;
			emit(&o, desc->fields, desc->nfields, MAX, f);
			lower(lfield, sizeof lfield, f->name);
			snprintf(name, sizeof name, "desc-%s-%s-over.bad", lname, lfield);
			int rc = decode_payload((uint16_t)t, o.p, o.n);
			if (rc != -EBADMSG) {
				fprintf(stderr, "gen_msg_seeds: %s decodes (%d)\n", name, rc);
				return 1;
			}
			if (!too_long(name, &o) && write_seed(dir, name, (uint16_t)t, &o) < 0)
				return 1;
		}
	}
	for (unsigned t = 0; t <= 0xffff; t++) {
		const struct pl_msg_desc *desc = pl_msg_describe((uint16_t)t);
		if (desc)
			dict_bounds(&d, desc->fields, desc->nfields);
	}
	fprintf(d.fp, "len_0=\"\\x00\\x00\"\nlen_ffff=\"\\xff\\xff\"\nnul=\"\\x00\"\n"
		"png=\"\\x89PNG\\x0d\\x0a\\x1a\\x0a\"\nlobby=\"#Lobby\"\nutf8_e_acute=\"\\xc3\\xa9\"\n");
	return fclose(d.fp) == 0 ? 0 : 1;
}

static int check(int argc, char **argv)
{
	static uint8_t buf[PL_FRAME_MAX_HARD + 2];
	for (int i = 0; i < argc; i++) {
		FILE *fp = fopen(argv[i], "rb");
		if (!fp) {
			perror(argv[i]);
			return 1;
		}
		size_t n = fread(buf, 1, sizeof buf, fp);
		fclose(fp);
		int rc = n < 2 ? -EINVAL : decode_payload((uint16_t)(buf[0] << 8 | buf[1]), buf + 2, n - 2);
		printf("%s %d\n", argv[i], rc);
	}
	return 0;
}

static int check_stun(int argc, char **argv)
{
	static uint8_t buf[4096];
	for (int i = 0; i < argc; i++) {
		FILE *fp = fopen(argv[i], "rb");
		if (!fp) {
			perror(argv[i]);
			return 1;
		}
		size_t n = fread(buf, 1, sizeof buf, fp);
		fclose(fp);
		struct pl_stun_msg m;
		printf("%s %d\n", argv[i], pl_stun_decode(&m, buf, n));
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "seeds") == 0)
		return seeds(argv[2], argv[3]);
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return check(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "check-stun") == 0)
		return check_stun(argc - 2, argv + 2);
	fprintf(stderr, "usage: gen_msg_seeds seeds CORPUS_DIR DICT_FILE | check FILE... | check-stun FILE...\n");
	return 2;
}
