/*
 * Unit test: the message tables of docs/PROTOCOL.md section 4 say what the codec's description of
 * the messages (core/msg.h) says, row for row, and the error table of section 15 gives each code
 * the name and sentence core/err.c gives it, so neither can drift from the code.
 *
 *   test_msg_doc [PROTOCOL.md]   check (by default the file beside this source tree)
 *   test_msg_doc --print         print the rows, to paste into section 4 after changing a message
 *
 * A row: `| 0x0001 | HELLO | C→S | @0 u16 `version`; @2 str `client` (≤64) |`. Offsets are within
 * the payload; after a variable-length field they name its byte count with a letter, the first
 * letter of the field's name not yet used in the row (n for nick, p for password, ...).
 */
#include "core/msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "test.h"

#define ROW_MAX 1024

struct row {
	char s[ROW_MAX];
	size_t n;
	bool full;
};

static void add(struct row *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct row *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(r->s + r->n, sizeof r->s - r->n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= sizeof r->s - r->n)
		r->full = true;
	else
		r->n += (size_t)k;
}

/* Where the next field starts: a constant and the letters of the variable lengths before it. */
struct offset {
	unsigned bytes;
	char letters[16];
	unsigned nletters;
};

static void add_offset(struct row *r, const struct offset *o)
{
	add(r, "@%u", o->bytes);
	for (unsigned i = 0; i < o->nletters; i++)
		add(r, "+%c", o->letters[i]);
	add(r, " ");
}

/* The first letter of name that the row has not used yet. */
static char pick_letter(const struct offset *o, const char *name)
{
	for (const char *c = name; *c; c++) {
		if (*c < 'a' || *c > 'z' || memchr(o->letters, *c, o->nletters))
			continue;
		return *c;
	}
	return '?';
}

static const char *const int_names[] = {
	[PL_FIELD_U8] = "u8", [PL_FIELD_U16] = "u16", [PL_FIELD_U32] = "u32", [PL_FIELD_U64] = "u64",
};
static const unsigned int_bytes[] = {
	[PL_FIELD_U8] = 1, [PL_FIELD_U16] = 2, [PL_FIELD_U32] = 4, [PL_FIELD_U64] = 8,
};

/* A list entry: its fields without offsets, "str `nick` (≤32), u64 `session`". */
static void add_entry(struct row *r, const struct pl_msg_field *f, unsigned n)
{
	for (unsigned k = 0; k < n; k++, f++) {
		add(r, "%s", k ? ", " : "");
		if (f->kind == PL_FIELD_STR)
			add(r, "str `%s` (≤%u)", f->name, (unsigned)f->max);
		else if (f->kind <= PL_FIELD_U64)
			add(r, "%s `%s`", int_names[f->kind], f->name);
		else if (f->kind == PL_FIELD_FIXED)
			add(r, "u8[%u] `%s`", (unsigned)f->size, f->name);
		else
			add(r, "?");
	}
}

static void render(struct row *r, const struct pl_msg_desc *d, const char *same_as)
{
	add(r, "| 0x%04X | %s | %s | ", d->type, d->name, d->type < 0x8000 ? "C→S" : "S→C");
	if (same_as) {
		add(r, "same fields as %s |", same_as);
		return;
	}
	if (d->nfields == 0) {
		add(r, "empty (0 bytes) |");
		return;
	}
	struct offset o = {0};
	bool variable = false; /* a string, picture or list: no fixed size */
	unsigned last = 0;
	for (unsigned k = 0; k < d->nfields; k++)
		if (d->fields[k].kind != PL_FIELD_ABSENT)
			last = k;
	bool first = true;
	for (unsigned k = 0; k < d->nfields; k++) {
		const struct pl_msg_field *f = &d->fields[k];
		if (f->kind == PL_FIELD_ABSENT)
			continue;
		add(r, "%s", first ? "" : "; ");
		first = false;
		add_offset(r, &o);
		char letter;
		switch (f->kind) {
		case PL_FIELD_U8:
		case PL_FIELD_U16:
		case PL_FIELD_U32:
		case PL_FIELD_U64:
			add(r, "%s `%s`", int_names[f->kind], f->name);
			o.bytes += int_bytes[f->kind];
			break;
		case PL_FIELD_ENUM:
			if (f->max == 1)
				add(r, "u8 `%s` (0 or 1)", f->name);
			else
				add(r, "u8 `%s` (0-%u)", f->name, (unsigned)f->max);
			o.bytes += 1;
			break;
		case PL_FIELD_FLAGS:
			add(r, "u8 `%s` (mask 0x%02x)", f->name, (unsigned)f->max);
			o.bytes += 1;
			break;
		case PL_FIELD_FIXED:
			add(r, "u8[%u] `%s`", (unsigned)f->size, f->name);
			o.bytes += f->size;
			break;
		case PL_FIELD_STR:
			variable = true;
			if (k == last) {
				add(r, "str `%s` (≤%u)", f->name, (unsigned)f->max);
				break;
			}
			letter = pick_letter(&o, f->name);
			add(r, "str `%s` (≤%u, %c)", f->name, (unsigned)f->max, letter);
			o.bytes += 2;
			o.letters[o.nletters++] = letter;
			break;
		case PL_FIELD_BYTES:
			variable = true;
			add(r, "u16 `%s_len` (≤%u); ", f->name, (unsigned)f->max);
			o.bytes += 2;
			add_offset(r, &o);
			add(r, "`%s_len` bytes `%s`", f->name, f->name);
			if (k != last)
				o.letters[o.nletters++] = pick_letter(&o, f->name);
			break;
		case PL_FIELD_LIST:
			variable = true;
			add(r, "u16 `%s` (≤%u); ", f->name, (unsigned)f->max);
			o.bytes += 2;
			add_offset(r, &o);
			add(r, "`%s` entries, each: ", f->name);
			add_entry(r, f->entry, f->nentry);
			if (k != last) /* no letter can stand for a list's length */
				r->full = true;
			break;
		}
	}
	if (!variable)
		add(r, " (%u bytes)", o.bytes);
	add(r, " |");
}

/* The rows of section 4, in type order: client to server first. Returns how many. */
static size_t all_rows(struct row *rows, size_t cap)
{
	size_t n = 0;
	const struct pl_msg_desc *seen[256];
	size_t nseen = 0;
	for (unsigned t = 0; t <= 0xffff && n < cap; t++) {
		const struct pl_msg_desc *d = pl_msg_describe((uint16_t)t);
		if (!d)
			continue;
		const char *same_as = NULL;
		for (size_t i = 0; i < nseen && !same_as; i++)
			if (d->nfields && seen[i]->fields == d->fields)
				same_as = seen[i]->name;
		if (nseen < sizeof seen / sizeof seen[0])
			seen[nseen++] = d;
		memset(&rows[n], 0, sizeof rows[n]);
		render(&rows[n], d, same_as);
		n++;
	}
	return n;
}

/* PROTOCOL.md beside this source file: __FILE__ is tests/unit/test_msg_doc.c under the root. */
static void default_path(char *dst, size_t cap)
{
	const char *me = __FILE__, *tail = strstr(me, "tests/unit/test_msg_doc.c");
	int root = tail ? (int)(tail - me) : 0;
	snprintf(dst, cap, "%.*sdocs/PROTOCOL.md", root, me);
}

static void test_section4(const char *path)
{
	static struct row want[256];
	size_t nwant = all_rows(want, 256);
	char line[ROW_MAX * 2];
	size_t got = 0;
	bool in4 = false;

	test_case("read %s", path);
	FILE *fp = fopen(path, "r");
	if (!CHECK(fp != NULL))
		return;
	while (fgets(line, sizeof line, fp)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "## ", 3) == 0)
			in4 = strncmp(line, "## 4.", 5) == 0;
		if (!in4 || strncmp(line, "| 0x", 4) != 0)
			continue;
		test_case("PROTOCOL.md section 4, row %zu", got + 1);
		if (got < nwant && !CHECK_STR_EQ(line, want[got].s))
			fprintf(stderr, "  (test_msg_doc --print gives every row)\n");
		got++;
	}
	fclose(fp);
	test_case("PROTOCOL.md section 4: one row per described type");
	CHECK_EQ(got, nwant);
	for (size_t i = 0; i < nwant; i++) {
		test_case("row %zu fits", i);
		CHECK(!want[i].full);
	}
}

/* Section 15's rows: | code | name | meaning | closes | sentence |. */
static void test_section15(const char *path)
{
	char line[ROW_MAX * 2];
	bool in15 = false, listed[1000] = {false};

	FILE *fp = fopen(path, "r");
	if (!fp)
		return; /* test_section4 reported it */
	while (fgets(line, sizeof line, fp)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "## ", 3) == 0)
			in15 = strncmp(line, "## 15.", 6) == 0;
		unsigned code;
		char name[64];
		if (!in15 || sscanf(line, "| %3u | %63[A-Z_] |", &code, name) != 2)
			continue;
		/* The last cell, between "| " and " |". */
		const char *end = strrchr(line, '|'), *text = end;
		while (text > line && text[-1] != '|')
			text--;
		text++;
		size_t len = end > text ? (size_t)(end - text) - 1 : 0;
		const char *want = pl_err_sentence((uint16_t)code);
		test_case("PROTOCOL.md section 15, error %u", code);
		CHECK_STR_EQ(name, pl_err_name((uint16_t)code));
		if (!CHECK(len == strlen(want) && strncmp(text, want, len) == 0))
			fprintf(stderr, "  the sentence is \"%s\"\n", want);
		if (code < 1000)
			listed[code] = true;
	}
	fclose(fp);
	for (unsigned code = 0; code < 1000; code++) {
		if (strcmp(pl_err_name((uint16_t)code), "UNKNOWN") == 0)
			continue;
		test_case("error %u (%s) has a row in section 15", code, pl_err_name((uint16_t)code));
		CHECK(listed[code]);
	}
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--print") == 0) {
		static struct row rows[256];
		size_t n = all_rows(rows, 256);
		for (size_t i = 0; i < n; i++)
			printf("%s\n", rows[i].s);
		return 0;
	}
	char path[4096];
	if (argc == 2)
		snprintf(path, sizeof path, "%s", argv[1]);
	else
		default_path(path, sizeof path);
	test_section4(path);
	test_section15(path);
	return test_done();
}
