/*
 * fuzz.h: what the libFuzzer targets share. Each target is one decoder (STYLE.md habit 9); it
 * stores what it computed in a volatile sink so the compiler cannot drop the code under test,
 * and checks its invariants with FUZZ_CHECK, which aborts (and so reports a crash with the input)
 * whatever NDEBUG says.
 */
#ifndef PL_FUZZ_H
#define PL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uintptr_t fuzz_sink;

#define FUZZ_CHECK(cond)                                                                 \
	do {                                                                             \
		if (!(cond)) {                                                           \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                  \
			abort();                                                         \
		}                                                                        \
	} while (0)

#endif
