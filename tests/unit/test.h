/*
 * test.h: the unit tests' harness, small enough to read in a minute.
 *
 * CHECK and friends record a failure with file:line and carry on, so one run reports every broken
 * row of a table rather than only the first. test_case() names the row under test; a failure
 * prints that name, so the row can be found from the output alone. Every check returns whether it
 * held, so a test can skip what depends on it: `if (!CHECK(n > 0)) continue;`.
 *
 * A test binary ends with `return test_done();`, which prints exactly one line on stdout,
 * `N passed, N failed` (counting checks), and returns non-zero if any failed. Failures go to
 * stderr as they happen.
 */
#ifndef PL_TEST_H
#define PL_TEST_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static unsigned long test_passed_, test_failed_;
static char test_case_[200];

static inline void test_case(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void test_case(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(test_case_, sizeof test_case_, fmt, ap);
	va_end(ap);
}

static inline void test_fail_where_(const char *file, int line)
{
	test_failed_++;
	fprintf(stderr, "%s:%d: FAIL", file, line);
	if (test_case_[0])
		fprintf(stderr, " [%s]", test_case_);
	fputs(": ", stderr);
}

static inline int test_check_(int ok, const char *file, int line, const char *expr)
{
	if (ok) {
		test_passed_++;
		return 1;
	}
	test_fail_where_(file, line);
	fprintf(stderr, "%s\n", expr);
	return 0;
}

static inline int test_check_eq_(intmax_t a, intmax_t b, const char *file, int line,
				 const char *ea, const char *eb)
{
	if (a == b) {
		test_passed_++;
		return 1;
	}
	test_fail_where_(file, line);
	fprintf(stderr, "%s == %s: %jd (0x%jx) != %jd (0x%jx)\n", ea, eb, a, (uintmax_t)a, b,
		(uintmax_t)b);
	return 0;
}

static inline int test_check_str_(const char *a, const char *b, const char *file, int line,
				  const char *ea, const char *eb)
{
	if (a && b && strcmp(a, b) == 0) {
		test_passed_++;
		return 1;
	}
	test_fail_where_(file, line);
	fprintf(stderr, "%s == %s: \"%s\" != \"%s\"\n", ea, eb, a ? a : "(null)", b ? b : "(null)");
	return 0;
}

static inline int test_check_mem_(const void *a, const void *b, size_t n, const char *file,
				  int line, const char *ea, const char *eb)
{
	if (memcmp(a, b, n) == 0) {
		test_passed_++;
		return 1;
	}
	const unsigned char *pa = a, *pb = b;
	size_t i = 0;
	while (pa[i] == pb[i])
		i++;
	test_fail_where_(file, line);
	fprintf(stderr, "%s == %s (%zu bytes): first difference at byte %zu: 0x%02x != 0x%02x\n",
		ea, eb, n, i, pa[i], pb[i]);
	return 0;
}

#define CHECK(cond) test_check_(!!(cond), __FILE__, __LINE__, #cond)
/* Integers of any type up to 64 bits; both are shown, in decimal and hex, on failure. */
#define CHECK_EQ(a, b) test_check_eq_((intmax_t)(a), (intmax_t)(b), __FILE__, __LINE__, #a, #b)
#define CHECK_STR_EQ(a, b) test_check_str_((a), (b), __FILE__, __LINE__, #a, #b)
#define CHECK_MEM_EQ(a, b, n) test_check_mem_((a), (b), (n), __FILE__, __LINE__, #a, #b)

static inline int test_done(void)
{
	printf("%lu passed, %lu failed\n", test_passed_, test_failed_);
	fflush(stdout);
	return test_failed_ ? 1 : 0;
}

/* A small deterministic PRNG (xorshift64*), so randomised tests fail the same way every run. */
static inline uint64_t test_rand(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

#endif
