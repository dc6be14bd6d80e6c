/*
 * jout: the one-line JSON results of the benchmark tools (pl_load, sqlite_loop), flat objects
 * built with jansson, keys in the order they were set.
 */
#ifndef PL_BENCH_JOUT_H
#define PL_BENCH_JOUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static inline void j_str(json_t *o, const char *k, const char *v) { json_object_set_new(o, k, json_string(v)); }
static inline void j_uint(json_t *o, const char *k, uint64_t v) { json_object_set_new(o, k, json_integer((json_int_t)v)); }
static inline void j_int(json_t *o, const char *k, int64_t v) { json_object_set_new(o, k, json_integer(v)); }
static inline void j_double(json_t *o, const char *k, double v) { json_object_set_new(o, k, json_real(v)); }
static inline void j_bool(json_t *o, const char *k, bool v) { json_object_set_new(o, k, json_boolean(v)); }

/* Prints o as one line on stdout and frees it. */
static inline void j_print(json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6)) : NULL;
	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		free(s);
	} else {
		fputs("{\"error\":\"out of memory for the result\"}\n", stdout);
	}
	fflush(stdout);
	json_decref(o);
}

#endif
