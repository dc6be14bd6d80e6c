/*
 * json: the line-oriented JSON of the client's scripting mode. Commands in are flat objects of
 * strings, numbers, booleans and null (nothing nested); events out are written with pl_jw, which
 * also writes arrays of strings. Pure functions over buffers; no allocation.
 */
#ifndef PL_JSON_H
#define PL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PL_JSON_MAX_FIELDS 16

enum pl_json_type { PL_JSON_STR, PL_JSON_NUM, PL_JSON_BOOL, PL_JSON_NULL };

struct pl_json_field {
	const char *key;
	enum pl_json_type type;
	const char *str; /* PL_JSON_STR: unescaped, NUL-terminated (may hold no NUL) */
	double num;
	bool b;
};

struct pl_json_obj {
	unsigned n;
	struct pl_json_field f[PL_JSON_MAX_FIELDS];
};

/*
 * Parses one object from in[0..len). Keys and strings are unescaped into scratch, which must hold
 * at least len + 1 bytes. Returns 0, or -EBADMSG for anything that is not one flat object (with
 * only whitespace around it), -E2BIG for more than PL_JSON_MAX_FIELDS fields or a too-small
 * scratch. Duplicate keys are rejected.
 */
int pl_json_parse(struct pl_json_obj *o, const char *in, size_t len, char *scratch, size_t scratchsz);

/* The string value of key, or NULL if absent or not a string. */
const char *pl_json_str(const struct pl_json_obj *o, const char *key);
/* The number value of key into *v; false if absent or not a number. */
bool pl_json_num(const struct pl_json_obj *o, const char *key, double *v);
bool pl_json_bool(const struct pl_json_obj *o, const char *key, bool *v);

/* Writer: fields are appended to one object; a failed append sets err. */
struct pl_jw {
	char *buf;
	size_t cap, pos;
	bool err, first, in_array, array_first;
};

void pl_jw_begin(struct pl_jw *w, char *buf, size_t cap);
void pl_jw_str(struct pl_jw *w, const char *key, const char *val);
void pl_jw_int(struct pl_jw *w, const char *key, int64_t val);
void pl_jw_uint(struct pl_jw *w, const char *key, uint64_t val);
void pl_jw_double(struct pl_jw *w, const char *key, double val);
void pl_jw_bool(struct pl_jw *w, const char *key, bool val);
void pl_jw_array_begin(struct pl_jw *w, const char *key);
void pl_jw_array_str(struct pl_jw *w, const char *val);
void pl_jw_array_end(struct pl_jw *w);
/* Closes the object, adds '\n' and a NUL; returns the length without the NUL, or -EMSGSIZE. */
int pl_jw_end(struct pl_jw *w);

#endif
