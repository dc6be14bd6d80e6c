#include "core/json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	const char *p, *end;
	char *out, *out_end;
};

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r' || *ps->p == '\n'))
		ps->p++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static int read_hex4(struct parser *ps, unsigned *v)
{
	if (ps->end - ps->p < 4)
		return -EBADMSG;
	*v = 0;
	for (int i = 0; i < 4; i++) {
		int h = hexval(ps->p[i]);
		if (h < 0)
			return -EBADMSG;
		*v = *v << 4 | (unsigned)h;
	}
	ps->p += 4;
	return 0;
}

static int emit(struct parser *ps, char c)
{
	if (ps->out >= ps->out_end)
		return -E2BIG;
	*ps->out++ = c;
	return 0;
}

static int emit_utf8(struct parser *ps, unsigned cp)
{
	int rc = 0;
	if (cp < 0x80) {
		rc |= emit(ps, (char)cp);
	} else if (cp < 0x800) {
		rc |= emit(ps, (char)(0xc0 | cp >> 6));
		rc |= emit(ps, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		rc |= emit(ps, (char)(0xe0 | cp >> 12));
		rc |= emit(ps, (char)(0x80 | ((cp >> 6) & 0x3f)));
		rc |= emit(ps, (char)(0x80 | (cp & 0x3f)));
	} else {
		rc |= emit(ps, (char)(0xf0 | cp >> 18));
		rc |= emit(ps, (char)(0x80 | ((cp >> 12) & 0x3f)));
		rc |= emit(ps, (char)(0x80 | ((cp >> 6) & 0x3f)));
		rc |= emit(ps, (char)(0x80 | (cp & 0x3f)));
	}
	return rc ? -E2BIG : 0;
}

/* A string at ps->p (which is at the opening quote); unescaped into out, NUL-terminated. */
static int parse_string(struct parser *ps, const char **res)
{
	if (ps->p >= ps->end || *ps->p != '"')
		return -EBADMSG;
	ps->p++;
	*res = ps->out;
	for (;;) {
		if (ps->p >= ps->end)
			return -EBADMSG;
		unsigned char c = (unsigned char)*ps->p++;
		if (c == '"')
			break;
		if (c < 0x20)
			return -EBADMSG;
		if (c != '\\') {
			if (emit(ps, (char)c))
				return -E2BIG;
			continue;
		}
		if (ps->p >= ps->end)
			return -EBADMSG;
		char e = *ps->p++;
		char lit;
		switch (e) {
		case '"': lit = '"'; break;
		case '\\': lit = '\\'; break;
		case '/': lit = '/'; break;
		case 'b': lit = '\b'; break;
		case 'f': lit = '\f'; break;
		case 'n': lit = '\n'; break;
		case 'r': lit = '\r'; break;
		case 't': lit = '\t'; break;
		case 'u': {
			unsigned cp, lo;
			if (read_hex4(ps, &cp))
				return -EBADMSG;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u')
					return -EBADMSG;
				ps->p += 2;
				if (read_hex4(ps, &lo) || lo < 0xdc00 || lo > 0xdfff)
					return -EBADMSG;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				return -EBADMSG;
			}
			if (cp == 0)
				return -EBADMSG; /* no NUL inside strings */
			if (emit_utf8(ps, cp))
				return -E2BIG;
			continue;
		}
		default:
			return -EBADMSG;
		}
		if (emit(ps, lit))
			return -E2BIG;
	}
	return emit(ps, '\0');
}

static int parse_number(struct parser *ps, double *v)
{
	const char *s = ps->p;
	if (s < ps->end && *s == '-')
		s++;
	if (s >= ps->end || *s < '0' || *s > '9')
		return -EBADMSG;
	if (*s == '0')
		s++;
	else
		while (s < ps->end && *s >= '0' && *s <= '9')
			s++;
	if (s < ps->end && *s == '.') {
		s++;
		if (s >= ps->end || *s < '0' || *s > '9')
			return -EBADMSG;
		while (s < ps->end && *s >= '0' && *s <= '9')
			s++;
	}
	if (s < ps->end && (*s == 'e' || *s == 'E')) {
		s++;
		if (s < ps->end && (*s == '+' || *s == '-'))
			s++;
		if (s >= ps->end || *s < '0' || *s > '9')
			return -EBADMSG;
		while (s < ps->end && *s >= '0' && *s <= '9')
			s++;
	}
	char tmp[64];
	size_t n = (size_t)(s - ps->p);
	if (n >= sizeof tmp)
		return -EBADMSG;
	memcpy(tmp, ps->p, n);
	tmp[n] = '\0';
	*v = strtod(tmp, NULL);
	if (!isfinite(*v))
		return -EBADMSG;
	ps->p = s;
	return 0;
}

static bool lit(struct parser *ps, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return false;
	ps->p += n;
	return true;
}

int pl_json_parse(struct pl_json_obj *o, const char *in, size_t len, char *scratch, size_t scratchsz)
{
	struct parser ps = {in, in + len, scratch, scratch + scratchsz};
	int rc;
	o->n = 0;
	skip_ws(&ps);
	if (ps.p >= ps.end || *ps.p++ != '{')
		return -EBADMSG;
	skip_ws(&ps);
	if (ps.p < ps.end && *ps.p == '}') {
		ps.p++;
		goto tail;
	}
	for (;;) {
		if (o->n == PL_JSON_MAX_FIELDS)
			return -E2BIG;
		struct pl_json_field *f = &o->f[o->n];
		skip_ws(&ps);
		if ((rc = parse_string(&ps, &f->key)))
			return rc;
		for (unsigned i = 0; i < o->n; i++)
			if (strcmp(o->f[i].key, f->key) == 0)
				return -EBADMSG;
		skip_ws(&ps);
		if (ps.p >= ps.end || *ps.p++ != ':')
			return -EBADMSG;
		skip_ws(&ps);
		if (ps.p >= ps.end)
			return -EBADMSG;
		f->str = NULL;
		f->num = 0;
		f->b = false;
		if (*ps.p == '"') {
			f->type = PL_JSON_STR;
			if ((rc = parse_string(&ps, &f->str)))
				return rc;
		} else if (lit(&ps, "true")) {
			f->type = PL_JSON_BOOL;
			f->b = true;
		} else if (lit(&ps, "false")) {
			f->type = PL_JSON_BOOL;
		} else if (lit(&ps, "null")) {
			f->type = PL_JSON_NULL;
		} else {
			f->type = PL_JSON_NUM;
			if ((rc = parse_number(&ps, &f->num)))
				return rc;
		}
		o->n++;
		skip_ws(&ps);
		if (ps.p >= ps.end)
			return -EBADMSG;
		char c = *ps.p++;
		if (c == '}')
			break;
		if (c != ',')
			return -EBADMSG;
	}
tail:
	skip_ws(&ps);
	return ps.p == ps.end ? 0 : -EBADMSG;
}

static const struct pl_json_field *find(const struct pl_json_obj *o, const char *key)
{
	for (unsigned i = 0; i < o->n; i++)
		if (strcmp(o->f[i].key, key) == 0)
			return &o->f[i];
	return NULL;
}

const char *pl_json_str(const struct pl_json_obj *o, const char *key)
{
	const struct pl_json_field *f = find(o, key);
	return f && f->type == PL_JSON_STR ? f->str : NULL;
}

bool pl_json_num(const struct pl_json_obj *o, const char *key, double *v)
{
	const struct pl_json_field *f = find(o, key);
	if (!f || f->type != PL_JSON_NUM)
		return false;
	*v = f->num;
	return true;
}

bool pl_json_bool(const struct pl_json_obj *o, const char *key, bool *v)
{
	const struct pl_json_field *f = find(o, key);
	if (!f || f->type != PL_JSON_BOOL)
		return false;
	*v = f->b;
	return true;
}

/* --- writer --- */

static void put_raw(struct pl_jw *w, const char *s, size_t n)
{
	if (w->err || n > w->cap - w->pos) {
		w->err = true;
		return;
	}
	memcpy(w->buf + w->pos, s, n);
	w->pos += n;
}

static void put_c(struct pl_jw *w, char c) { put_raw(w, &c, 1); }

static void put_escaped(struct pl_jw *w, const char *s)
{
	put_c(w, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			put_c(w, '\\');
			put_c(w, (char)c);
		} else if (c < 0x20 || c == 0x7f) {
			char tmp[8];
			snprintf(tmp, sizeof tmp, "\\u%04x", c);
			put_raw(w, tmp, 6);
		} else {
			put_c(w, (char)c);
		}
	}
	put_c(w, '"');
}

static void put_key(struct pl_jw *w, const char *key)
{
	if (!w->first)
		put_c(w, ',');
	w->first = false;
	put_escaped(w, key);
	put_c(w, ':');
}

void pl_jw_begin(struct pl_jw *w, char *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->pos = 0;
	w->err = false;
	w->first = true;
	w->in_array = false;
	put_c(w, '{');
}

void pl_jw_str(struct pl_jw *w, const char *key, const char *val)
{
	put_key(w, key);
	put_escaped(w, val);
}

void pl_jw_int(struct pl_jw *w, const char *key, int64_t val)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof tmp, "%lld", (long long)val);
	put_key(w, key);
	put_raw(w, tmp, (size_t)n);
}

void pl_jw_uint(struct pl_jw *w, const char *key, uint64_t val)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)val);
	put_key(w, key);
	put_raw(w, tmp, (size_t)n);
}

void pl_jw_double(struct pl_jw *w, const char *key, double val)
{
	char tmp[40];
	int n = isfinite(val) ? snprintf(tmp, sizeof tmp, "%.6g", val) : snprintf(tmp, sizeof tmp, "null");
	put_key(w, key);
	put_raw(w, tmp, (size_t)n);
}

void pl_jw_bool(struct pl_jw *w, const char *key, bool val)
{
	put_key(w, key);
	put_raw(w, val ? "true" : "false", val ? 4 : 5);
}

void pl_jw_array_begin(struct pl_jw *w, const char *key)
{
	put_key(w, key);
	put_c(w, '[');
	w->in_array = true;
	w->array_first = true;
}

void pl_jw_array_str(struct pl_jw *w, const char *val)
{
	if (!w->in_array) {
		w->err = true;
		return;
	}
	if (!w->array_first)
		put_c(w, ',');
	w->array_first = false;
	put_escaped(w, val);
}

void pl_jw_array_end(struct pl_jw *w)
{
	put_c(w, ']');
	w->in_array = false;
}

int pl_jw_end(struct pl_jw *w)
{
	put_raw(w, "}\n", 2);
	put_c(w, '\0');
	if (w->err || w->in_array)
		return -EMSGSIZE;
	return (int)w->pos - 1;
}
