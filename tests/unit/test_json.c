/* Unit tests for core/json: the flat-object parser and the writer of the scripting mode. */
#include "core/json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "test.h"

/* Parses in[0..len) from an exact-size heap copy with a scratch of exactly len + 1 bytes, the
 * documented minimum, so a sanitizer build catches a read or write past either. The result's
 * strings point into *scratchp, which the caller frees. */
static int parse_n(struct pl_json_obj *o, const char *in, size_t len, char **scratchp)
{
	char *c = malloc(len ? len : 1);
	if (len)
		memcpy(c, in, len);
	char *scratch = malloc(len + 1);
	int rc = pl_json_parse(o, c, len, scratch, len + 1);
	free(c);
	*scratchp = scratch;
	return rc;
}

static int parse(struct pl_json_obj *o, const char *in, char **scratchp)
{
	return parse_n(o, in, strlen(in), scratchp);
}

struct want_field {
	const char *key;
	enum pl_json_type type;
	const char *str;
	double num;
	bool b;
};

struct valid_case {
	const char *name;
	const char *in;
	unsigned n;
	struct want_field f[4];
};

#define WS(k, v) {k, PL_JSON_STR, v, 0, false}
#define WN(k, v) {k, PL_JSON_NUM, NULL, v, false}
#define WB(k, v) {k, PL_JSON_BOOL, NULL, 0, v}
#define WNULL(k) {k, PL_JSON_NULL, NULL, 0, false}

static const struct valid_case valid[] = {
	{"command", "{\"cmd\":\"say\",\"to\":\"#Lobby\",\"text\":\"hi\"}", 3,
	 {WS("cmd", "say"), WS("to", "#Lobby"), WS("text", "hi")}},
	{"empty", "{}", 0, {{0}}},
	{"empty spaced", " \t\r\n{ \n } \r\n", 0, {{0}}},
	{"whitespace everywhere", "\n\t { \"a\" :\t\"b\" ,\r\n \"c\" : 1 } \n", 2,
	 {WS("a", "b"), WN("c", 1)}},
	{"newline escape", "{\"text\":\"line one\\nline two\"}", 1, {WS("text", "line one\nline two")}},
	{"all simple escapes", "{\"e\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", 1, {WS("e", "\"\\/\b\f\n\r\t")}},
	{"u00e9", "{\"name\":\"Ren\\u00e9e\"}", 1, {WS("name", "Ren\303\251e")}},
	{"u00E9 upper hex", "{\"name\":\"\\u00E9\"}", 1, {WS("name", "\xc3\xa9")}},
	{"u0041", "{\"a\":\"\\u0041\"}", 1, {WS("a", "A")}},
	{"u007f", "{\"a\":\"\\u007f\"}", 1, {WS("a", "\x7f")}},
	{"u0001", "{\"a\":\"\\u0001\"}", 1, {WS("a", "\x01")}},
	{"u0080", "{\"a\":\"\\u0080\"}", 1, {WS("a", "\xc2\x80")}},
	{"u07ff", "{\"a\":\"\\u07ff\"}", 1, {WS("a", "\xdf\xbf")}},
	{"u0800", "{\"a\":\"\\u0800\"}", 1, {WS("a", "\xe0\xa0\x80")}},
	{"u20ac", "{\"a\":\"\\u20ac\"}", 1, {WS("a", "\xe2\x82\xac")}},
	{"uffff", "{\"a\":\"\\uffff\"}", 1, {WS("a", "\xef\xbf\xbf")}},
	{"surrogate pair", "{\"a\":\"\\ud83d\\ude00\"}", 1, {WS("a", "\xf0\x9f\x98\x80")}},
	{"first astral", "{\"a\":\"\\ud800\\udc00\"}", 1, {WS("a", "\xf0\x90\x80\x80")}},
	{"last astral", "{\"a\":\"\\udbff\\udfff\"}", 1, {WS("a", "\xf4\x8f\xbf\xbf")}},
	{"raw utf-8", "{\"\xc3\xa9\":\"\xe6\x97\xa5\xf0\x9f\x98\x80\"}", 1,
	 {WS("\xc3\xa9", "\xe6\x97\xa5\xf0\x9f\x98\x80")}},
	{"escaped key", "{\"k\\u0065y\":\"v\"}", 1, {WS("key", "v")}},
	{"empty key and value", "{\"\":\"\"}", 1, {WS("", "")}},
	{"numbers", "{\"a\":0,\"b\":-1,\"c\":3.25,\"d\":-2.5E-2}", 4,
	 {WN("a", 0), WN("b", -1), WN("c", 3.25), WN("d", -0.025)}},
	{"more numbers", "{\"a\":1e3,\"b\":1E+2,\"c\":12345678901234,\"d\":-0}", 4,
	 {WN("a", 1000), WN("b", 100), WN("c", 12345678901234.0), WN("d", 0)}},
	{"literals", "{\"t\":true,\"f\":false,\"n\":null}", 3, {WB("t", true), WB("f", false), WNULL("n")}},
	{"literals tight", "{\"t\":true}", 1, {WB("t", true)}},
};

static void test_valid(void)
{
	for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
		const struct valid_case *c = &valid[i];
		struct pl_json_obj o;
		char *scratch;
		test_case("valid %s", c->name);
		int rc = parse(&o, c->in, &scratch);
		if (CHECK_EQ(rc, 0) && CHECK_EQ(o.n, c->n)) {
			for (unsigned k = 0; k < c->n; k++) {
				const struct want_field *w = &c->f[k];
				test_case("valid %s field %u", c->name, k);
				CHECK_STR_EQ(o.f[k].key, w->key);
				if (!CHECK_EQ(o.f[k].type, w->type))
					continue;
				switch (w->type) {
				case PL_JSON_STR:
					CHECK_STR_EQ(o.f[k].str, w->str);
					CHECK_STR_EQ(pl_json_str(&o, w->key), w->str);
					break;
				case PL_JSON_NUM: {
					double v = -12345;
					CHECK(o.f[k].num == w->num);
					CHECK(pl_json_num(&o, w->key, &v) && v == w->num);
					CHECK(pl_json_str(&o, w->key) == NULL);
					break;
				}
				case PL_JSON_BOOL: {
					bool v = !w->b;
					CHECK(o.f[k].b == w->b);
					CHECK(pl_json_bool(&o, w->key, &v) && v == w->b);
					break;
				}
				case PL_JSON_NULL: {
					double v;
					bool bv;
					CHECK(pl_json_str(&o, w->key) == NULL);
					CHECK(!pl_json_num(&o, w->key, &v));
					CHECK(!pl_json_bool(&o, w->key, &bv));
					break;
				}
				}
			}
		}
		free(scratch);
	}
}

struct invalid_case {
	const char *name;
	const char *in;
	int want;
};

static const struct invalid_case invalid[] = {
	{"empty input", "", -EBADMSG},
	{"only spaces", "   \n", -EBADMSG},
	{"array", "[]", -EBADMSG},
	{"string", "\"a\"", -EBADMSG},
	{"number", "1", -EBADMSG},
	{"nested object", "{\"a\":{}}", -EBADMSG},
	{"nested object with field", "{\"a\":{\"b\":1}}", -EBADMSG},
	{"nested array", "{\"a\":[1,2]}", -EBADMSG},
	{"empty array", "{\"a\":[]}", -EBADMSG},
	{"trailing garbage", "{\"a\":1} x", -EBADMSG},
	{"two objects", "{\"a\":1}{\"b\":2}", -EBADMSG},
	{"extra brace", "{\"a\":1}}", -EBADMSG},
	{"duplicate key", "{\"a\":1,\"a\":2}", -EBADMSG},
	{"duplicate key, other types", "{\"a\":\"x\",\"b\":1,\"a\":true}", -EBADMSG},
	{"duplicate key after unescaping", "{\"a\":1,\"\\u0061\":2}", -EBADMSG},
	{"unterminated string", "{\"a\":\"abc", -EBADMSG},
	{"unterminated by escaped quote", "{\"a\":\"abc\\\"}", -EBADMSG},
	{"unterminated key", "{\"a", -EBADMSG},
	{"unterminated object", "{\"a\":1", -EBADMSG},
	{"unterminated after comma", "{\"a\":1,", -EBADMSG},
	{"backslash at end", "{\"a\":\"\\", -EBADMSG},
	{"u0000", "{\"a\":\"\\u0000\"}", -EBADMSG},
	{"u0000 in key", "{\"\\u0000\":1}", -EBADMSG},
	{"lone high surrogate", "{\"a\":\"\\ud800\"}", -EBADMSG},
	{"lone high surrogate then text", "{\"a\":\"\\ud83dxx\"}", -EBADMSG},
	{"lone low surrogate", "{\"a\":\"\\udc00\"}", -EBADMSG},
	{"high then non-surrogate", "{\"a\":\"\\ud800\\u0041\"}", -EBADMSG},
	{"high then high", "{\"a\":\"\\ud800\\ud800\"}", -EBADMSG},
	{"high then u0000", "{\"a\":\"\\ud800\\u0000\"}", -EBADMSG},
	{"short \\u", "{\"a\":\"\\u12\"}", -EBADMSG},
	{"bad hex", "{\"a\":\"\\u12g4\"}", -EBADMSG},
	{"unknown escape", "{\"a\":\"\\x41\"}", -EBADMSG},
	{"escaped apostrophe", "{\"a\":\"\\'\"}", -EBADMSG},
	{"raw newline in string", "{\"a\":\"a\nb\"}", -EBADMSG},
	{"raw tab in string", "{\"a\":\"a\tb\"}", -EBADMSG},
	{"raw 0x1f in string", "{\"a\":\"\x1f\"}", -EBADMSG},
	{"leading zero", "{\"a\":01}", -EBADMSG},
	{"bare dot", "{\"a\":1.}", -EBADMSG},
	{"leading dot", "{\"a\":.5}", -EBADMSG},
	{"lone minus", "{\"a\":-}", -EBADMSG},
	{"plus sign", "{\"a\":+1}", -EBADMSG},
	{"empty exponent", "{\"a\":1e}", -EBADMSG},
	{"signed empty exponent", "{\"a\":1e+}", -EBADMSG},
	{"hex number", "{\"a\":0x10}", -EBADMSG},
	{"infinite", "{\"a\":1e999}", -EBADMSG},
	{"-infinite", "{\"a\":-1e400}", -EBADMSG},
	{"NaN", "{\"a\":NaN}", -EBADMSG},
	{"Infinity", "{\"a\":Infinity}", -EBADMSG},
	{"64-digit number", "{\"a\":1234567890123456789012345678901234567890123456789012345678901234}", -EBADMSG},
	{"true prefix", "{\"a\":tru}", -EBADMSG},
	{"null prefix", "{\"a\":nul}", -EBADMSG},
	{"True", "{\"a\":True}", -EBADMSG},
	{"trailing comma", "{\"a\":1,}", -EBADMSG},
	{"leading comma", "{,\"a\":1}", -EBADMSG},
	{"only comma", "{,}", -EBADMSG},
	{"key without value", "{\"a\"}", -EBADMSG},
	{"key and colon", "{\"a\":}", -EBADMSG},
	{"unquoted key", "{a:1}", -EBADMSG},
	{"single quotes", "{'a':1}", -EBADMSG},
	{"number key", "{1:1}", -EBADMSG},
	{"missing colon", "{\"a\" 1}", -EBADMSG},
	{"missing comma", "{\"a\":1 \"b\":2}", -EBADMSG},
	{"semicolon", "{\"a\":1;\"b\":2}", -EBADMSG},
	{"17 fields", "{\"a\":1,\"b\":1,\"c\":1,\"d\":1,\"e\":1,\"f\":1,\"g\":1,\"h\":1,\"i\":1,"
		      "\"j\":1,\"k\":1,\"l\":1,\"m\":1,\"n\":1,\"o\":1,\"p\":1,\"q\":1}", -E2BIG},
};

static void test_invalid(void)
{
	for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
		struct pl_json_obj o;
		char *scratch;
		test_case("invalid %s", invalid[i].name);
		CHECK_EQ(parse(&o, invalid[i].in, &scratch), invalid[i].want);
		free(scratch);
	}

	/* A NUL byte inside the input: in a string, between tokens, and at the end. */
	static const struct { const char *name; const char *in; size_t len; } nul[] = {
		{"NUL in string", "{\"a\":\"x\0y\"}", 11},
		{"NUL between tokens", "{\"a\":1,\0\"b\":2}", 14},
		{"NUL after object", "{\"a\":1}\0", 8},
		{"NUL before object", "\0{}", 3},
	};
	for (size_t i = 0; i < sizeof nul / sizeof nul[0]; i++) {
		struct pl_json_obj o;
		char *scratch;
		test_case("invalid %s", nul[i].name);
		CHECK_EQ(parse_n(&o, nul[i].in, nul[i].len, &scratch), -EBADMSG);
		free(scratch);
	}
}

/* Sixteen fields is the most; a seventeenth is refused however the object continues. */
static void test_field_limit(void)
{
	char in[512];
	size_t n = 0;
	n += (size_t)snprintf(in + n, sizeof in - n, "{");
	for (int i = 0; i < PL_JSON_MAX_FIELDS; i++)
		n += (size_t)snprintf(in + n, sizeof in - n, "%s\"f%02d\":%d", i ? "," : "", i, i);
	snprintf(in + n, sizeof in - n, "}");

	struct pl_json_obj o;
	char *scratch;
	test_case("16 fields");
	if (CHECK_EQ(parse(&o, in, &scratch), 0)) {
		CHECK_EQ(o.n, PL_JSON_MAX_FIELDS);
		double v;
		CHECK(pl_json_num(&o, "f15", &v) && v == 15);
		CHECK(pl_json_num(&o, "f00", &v) && v == 0);
	}
	free(scratch);
}

/* Every proper prefix of a valid object is incomplete, so refused. */
static void test_prefixes(void)
{
	static const char *objs[] = {
		"{\"cmd\":\"say\",\"n\":-1.5e3,\"ok\":true,\"x\":null,\"u\":\"\\ud83d\\ude00\\u00e9\\n\"}",
		"{\"a\":false}",
	};
	for (size_t k = 0; k < sizeof objs / sizeof objs[0]; k++) {
		size_t len = strlen(objs[k]);
		size_t bad = 0;
		for (size_t n = 0; n < len; n++) {
			struct pl_json_obj o;
			char *scratch;
			int rc = parse_n(&o, objs[k], n, &scratch);
			free(scratch);
			if (rc != -EBADMSG && bad++ == 0) {
				test_case("prefix %zu of object %zu", n, k);
				CHECK_EQ(rc, -EBADMSG);
			}
		}
		test_case("prefixes of object %zu", k);
		CHECK_EQ(bad, 0);
		struct pl_json_obj o;
		char *scratch;
		CHECK_EQ(parse_n(&o, objs[k], len, &scratch), 0);
		free(scratch);
	}
}

static void test_scratch(void)
{
	static const char in[] = "{\"key\":\"value\"}";
	struct pl_json_obj o;
	char scratch[64];
	/* key\0value\0 is 10 bytes; the documented minimum is len + 1 = 16. */
	test_case("scratch too small");
	CHECK_EQ(pl_json_parse(&o, in, strlen(in), scratch, 9), -E2BIG);
	CHECK_EQ(pl_json_parse(&o, in, strlen(in), scratch, 3), -E2BIG);
	CHECK_EQ(pl_json_parse(&o, in, strlen(in), scratch, 0), -E2BIG);
	test_case("scratch exactly enough");
	CHECK_EQ(pl_json_parse(&o, in, strlen(in), scratch, 10), 0);
	CHECK_STR_EQ(pl_json_str(&o, "key"), "value");

	/* Escapes never expand, so len + 1 is always enough (the worst case: all escapes). */
	static const char esc[] = "{\"\\n\":\"\\u00e9\\ud83d\\ude00\\t\\\"\"}";
	char *sp;
	test_case("scratch len + 1 with escapes");
	CHECK_EQ(parse(&o, esc, &sp), 0);
	free(sp);
}

static void test_accessors(void)
{
	struct pl_json_obj o;
	char *scratch;
	test_case("accessors");
	if (!CHECK_EQ(parse(&o, "{\"s\":\"x\",\"n\":2,\"b\":false}", &scratch), 0)) {
		free(scratch);
		return;
	}
	double v = 7;
	bool b = true;
	CHECK(pl_json_str(&o, "missing") == NULL);
	CHECK(!pl_json_num(&o, "missing", &v) && v == 7);
	CHECK(!pl_json_bool(&o, "missing", &b) && b);
	CHECK(!pl_json_num(&o, "s", &v));
	CHECK(!pl_json_bool(&o, "n", &b));
	CHECK(pl_json_str(&o, "b") == NULL);
	CHECK(pl_json_bool(&o, "b", &b) && !b);
	CHECK(pl_json_str(&o, "S") == NULL); /* keys are case-sensitive */
	free(scratch);
}

static void test_writer_exact(void)
{
	char buf[256];
	struct pl_jw w;
	test_case("writer exact");
	pl_jw_begin(&w, buf, sizeof buf);
	pl_jw_str(&w, "event", "text");
	pl_jw_int(&w, "n", -5);
	pl_jw_int(&w, "min", INT64_MIN);
	pl_jw_uint(&w, "u", UINT64_MAX);
	pl_jw_bool(&w, "t", true);
	pl_jw_bool(&w, "f", false);
	pl_jw_double(&w, "d", 1.5);
	pl_jw_double(&w, "nan", NAN);
	pl_jw_double(&w, "inf", INFINITY);
	pl_jw_array_begin(&w, "users");
	pl_jw_array_str(&w, "alice");
	pl_jw_array_str(&w, "b\"b");
	pl_jw_array_end(&w);
	pl_jw_array_begin(&w, "none");
	pl_jw_array_end(&w);
	static const char want[] =
		"{\"event\":\"text\",\"n\":-5,\"min\":-9223372036854775808,"
		"\"u\":18446744073709551615,\"t\":true,\"f\":false,\"d\":1.5,\"nan\":null,\"inf\":null,"
		"\"users\":[\"alice\",\"b\\\"b\"],\"none\":[]}\n";
	int n = pl_jw_end(&w);
	CHECK_EQ(n, strlen(want));
	CHECK_STR_EQ(buf, want);

	test_case("writer empty object");
	pl_jw_begin(&w, buf, sizeof buf);
	CHECK_EQ(pl_jw_end(&w), 3);
	CHECK_STR_EQ(buf, "{}\n");

	test_case("writer escapes");
	pl_jw_begin(&w, buf, sizeof buf);
	pl_jw_str(&w, "k\"", "a\\b\n\x01\x1f\x7f\xc3\xa9/");
	CHECK(pl_jw_end(&w) > 0);
	CHECK_STR_EQ(buf, "{\"k\\\"\":\"a\\\\b\\u000a\\u0001\\u001f\\u007f\xc3\xa9/\"}\n");

	test_case("writer array without begin");
	pl_jw_begin(&w, buf, sizeof buf);
	pl_jw_array_str(&w, "x");
	CHECK_EQ(pl_jw_end(&w), -EMSGSIZE);

	test_case("writer unclosed array");
	pl_jw_begin(&w, buf, sizeof buf);
	pl_jw_array_begin(&w, "a");
	CHECK_EQ(pl_jw_end(&w), -EMSGSIZE);
}

/* Every capacity short of the output fails cleanly; the exact one (text + NUL) succeeds. */
static void test_writer_cap(void)
{
	char full[128];
	struct pl_jw w;
	pl_jw_begin(&w, full, sizeof full);
	pl_jw_str(&w, "event", "joined");
	pl_jw_uint(&w, "session", 42);
	pl_jw_array_begin(&w, "users");
	pl_jw_array_str(&w, "a\nb");
	pl_jw_array_end(&w);
	int n = pl_jw_end(&w);
	test_case("writer cap");
	if (!CHECK(n > 0))
		return;
	size_t bad = 0;
	for (size_t cap = 0; cap <= (size_t)n; cap++) {
		char *b = malloc(cap + 8);
		memset(b, 'Z', cap + 8);
		pl_jw_begin(&w, b, cap);
		pl_jw_str(&w, "event", "joined");
		pl_jw_uint(&w, "session", 42);
		pl_jw_array_begin(&w, "users");
		pl_jw_array_str(&w, "a\nb");
		pl_jw_array_end(&w);
		int rc = pl_jw_end(&w);
		bool guard = true;
		for (size_t k = cap; k < cap + 8; k++)
			guard &= b[k] == 'Z';
		if ((rc != -EMSGSIZE || !guard) && bad++ == 0) {
			test_case("writer cap %zu of %d", cap, n + 1);
			CHECK_EQ(rc, -EMSGSIZE);
			CHECK(guard);
		}
		free(b);
	}
	CHECK_EQ(bad, 0);
	char *b = malloc((size_t)n + 1);
	pl_jw_begin(&w, b, (size_t)n + 1);
	pl_jw_str(&w, "event", "joined");
	pl_jw_uint(&w, "session", 42);
	pl_jw_array_begin(&w, "users");
	pl_jw_array_str(&w, "a\nb");
	pl_jw_array_end(&w);
	test_case("writer exact cap");
	CHECK_EQ(pl_jw_end(&w), n);
	CHECK_STR_EQ(b, full);
	free(b);
}

/* What the writer writes, the parser reads back to the same values. */
static void test_writer_round_trip(void)
{
	static const char *strs[] = {
		"", "plain", "quote \" and backslash \\", "\n\r\t\b\f", "\x01\x02\x1b[31mred\x1b[0m",
		"\x7f", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80", "slash / \\/",
		"\\u0041 is not an escape here", "}{\":,[]",
	};
	static const double nums[] = {0, -1, 1.5, 1e6, -2.5e-7, 123456};
	char buf[1024];
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
		struct pl_jw w;
		pl_jw_begin(&w, buf, sizeof buf);
		pl_jw_str(&w, strs[i], strs[i]);
		pl_jw_str(&w, "k", strs[i]);
		pl_jw_double(&w, "d", nums[i % 6]);
		pl_jw_bool(&w, "b", i % 2);
		pl_jw_int(&w, "i", -(int64_t)i * 1000000007);
		int n = pl_jw_end(&w);
		test_case("writer round trip %zu", i);
		if (!CHECK(n > 0))
			continue;
		CHECK_EQ(buf[n - 1], '\n');
		struct pl_json_obj o;
		char *scratch;
		bool dup = strcmp(strs[i], "k") == 0 || strcmp(strs[i], "d") == 0;
		if (CHECK_EQ(parse_n(&o, buf, (size_t)n, &scratch), dup ? -EBADMSG : 0) && !dup) {
			CHECK_EQ(o.n, 5);
			CHECK_STR_EQ(o.f[0].key, strs[i]);
			CHECK_STR_EQ(o.f[0].str, strs[i]);
			CHECK_STR_EQ(pl_json_str(&o, "k"), strs[i]);
			double d = NAN, iv = NAN;
			bool b = !(i % 2);
			CHECK(pl_json_num(&o, "d", &d) && fabs(d - nums[i % 6]) <= 1e-5 * fabs(nums[i % 6]));
			CHECK(pl_json_bool(&o, "b", &b) && b == (bool)(i % 2));
			CHECK(pl_json_num(&o, "i", &iv) && iv == (double)(-(int64_t)i * 1000000007));
		}
		free(scratch);
	}

	/* Random strings of every non-NUL byte value, deterministic. */
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	size_t bad = 0;
	for (int round = 0; round < 2000; round++) {
		char s[64];
		size_t len = test_rand(&seed) % (sizeof s - 1);
		for (size_t k = 0; k < len; k++)
			s[k] = (char)(1 + test_rand(&seed) % 255);
		s[len] = '\0';
		static char out[64 * 6 + 64];
		struct pl_jw w;
		pl_jw_begin(&w, out, sizeof out);
		pl_jw_str(&w, "s", s);
		int n = pl_jw_end(&w);
		struct pl_json_obj o;
		char *scratch = NULL;
		int rc = n > 0 ? parse_n(&o, out, (size_t)n, &scratch) : n;
		bool ok = rc == 0 && o.n == 1 && o.f[0].type == PL_JSON_STR && strcmp(o.f[0].str, s) == 0;
		if (!ok && bad++ == 0) {
			test_case("random round trip %d", round);
			CHECK(ok);
		}
		free(scratch);
	}
	test_case("random round trips");
	CHECK_EQ(bad, 0);
}

int main(void)
{
	test_valid();
	test_invalid();
	test_field_limit();
	test_prefixes();
	test_scratch();
	test_accessors();
	test_writer_exact();
	test_writer_cap();
	test_writer_round_trip();
	return test_done();
}
