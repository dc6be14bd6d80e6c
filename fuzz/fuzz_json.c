/*
 * fuzz_json: pl_json_parse on arbitrary lines, with a scratch of len + 1 bytes (the documented
 * minimum). A larger scratch must not change the verdict, and every parsed object must survive
 * a trip through the writer (pl_jw) and back with its strings and booleans unchanged.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_json_obj o, o2, o3;
	const char *in = (const char *)data;

	char *scratch = malloc(size + 1);
	int rc = pl_json_parse(&o, in, size, scratch, size + 1);
	fuzz_sink = (uintptr_t)rc;
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -E2BIG);

	/* len + 1 is always enough scratch: more must give the same answer. */
	char *big = malloc(4 * size + 64);
	int rc2 = pl_json_parse(&o2, in, size, big, 4 * size + 64);
	FUZZ_CHECK(rc2 == rc);
	free(big);

	if (rc == 0) {
		FUZZ_CHECK(o.n <= PL_JSON_MAX_FIELDS);
		size_t cap = 6 * size + 64; /* each byte escapes to at most six */
		char *out = malloc(cap);
		struct pl_jw w;
		pl_jw_begin(&w, out, cap);
		for (unsigned i = 0; i < o.n; i++) {
			const struct pl_json_field *f = &o.f[i];
			FUZZ_CHECK(f->key >= scratch && f->key < scratch + size + 1);
			FUZZ_CHECK(pl_json_str(&o, f->key) == (f->type == PL_JSON_STR ? f->str : NULL));
			switch (f->type) {
			case PL_JSON_STR: pl_jw_str(&w, f->key, f->str); break;
			case PL_JSON_NUM: pl_jw_double(&w, f->key, f->num); break;
			case PL_JSON_BOOL: pl_jw_bool(&w, f->key, f->b); break;
			case PL_JSON_NULL: pl_jw_double(&w, f->key, NAN); break; /* written as null */
			}
		}
		int n = pl_jw_end(&w);
		FUZZ_CHECK(n > 0 && (size_t)n < cap && out[n] == '\0');
		char *scratch3 = malloc((size_t)n + 1);
		FUZZ_CHECK(pl_json_parse(&o3, out, (size_t)n, scratch3, (size_t)n + 1) == 0);
		FUZZ_CHECK(o3.n == o.n);
		for (unsigned i = 0; i < o.n; i++) {
			FUZZ_CHECK(strcmp(o3.f[i].key, o.f[i].key) == 0);
			FUZZ_CHECK(o3.f[i].type == o.f[i].type);
			if (o.f[i].type == PL_JSON_STR)
				FUZZ_CHECK(strcmp(o3.f[i].str, o.f[i].str) == 0);
			if (o.f[i].type == PL_JSON_BOOL)
				FUZZ_CHECK(o3.f[i].b == o.f[i].b);
		}
		free(scratch3);
		free(out);
	}
	free(scratch);
	return 0;
}
