/*
 * fuzz_vpkt: pl_vpkt_decode on arbitrary datagrams, and pl_vbind_check / pl_vconfirm_check on
 * every BIND and CONFIRM with a fixed key (the one fuzz/gen_corpus.py signs the seeds with, so
 * mutations of a valid BIND or CONFIRM reach the MAC comparison and the counter). A packet that
 * decodes must encode back to the same bytes; one that checks must be what the make function
 * builds from its fields.
 */
#include <errno.h>
#include <string.h>

#include "core/buf.h"
#include "core/vpkt.h"
#include "fuzz.h"

/* Key bytes 00 01 02 .. 1f; must match FUZZ_KEY in fuzz/gen_corpus.py. */
static const uint8_t key[32] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
				16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t enc[PL_VPKT_MAX + 1];
	struct pl_vpkt v;

	int rc = pl_vpkt_decode(&v, data, size);
	fuzz_sink = (uintptr_t)rc;
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	if (rc != 0)
		return 0;
	FUZZ_CHECK(size >= PL_VPKT_HDR && size <= PL_VPKT_MAX);
	FUZZ_CHECK(v.payload == data + PL_VPKT_HDR && v.plen == size - PL_VPKT_HDR);
	FUZZ_CHECK(v.type >= PL_VPKT_BIND && v.type <= PL_VPKT_CONFIRM);
	FUZZ_CHECK(v.type == PL_VPKT_VOICE || v.plen >= 8);

	int n = pl_vpkt_encode(&v, enc, sizeof enc);
	FUZZ_CHECK(n >= 0 && (size_t)n == size);
	FUZZ_CHECK(memcmp(enc, data, size) == 0);

	if (v.type == PL_VPKT_BIND) {
		uint64_t counter = 0;
		int ok = pl_vbind_check(&v, data, key, &counter);
		fuzz_sink = (uintptr_t)ok ^ (uintptr_t)counter;
		FUZZ_CHECK(ok == 0 || ok == -EBADMSG);
		if (ok == 0 && v.seq == 0 && v.ts == 0) {
			/* Only the key's holder makes a BIND that checks: it must be what
			 * pl_vbind_make builds for the same sender and counter. */
			uint8_t again[PL_VPKT_HDR + PL_VBIND_PAYLOAD];
			int m = pl_vbind_make(again, sizeof again, v.sender, counter, key);
			FUZZ_CHECK(m == (int)size);
			FUZZ_CHECK(memcmp(again, data, size) == 0);
		}
	}
	if (v.type == PL_VPKT_CONFIRM) {
		uint64_t counter = 0;
		const uint8_t *cookie = NULL;
		int ok = pl_vconfirm_check(&v, data, key, &counter, &cookie);
		fuzz_sink = (uintptr_t)ok ^ (uintptr_t)counter;
		FUZZ_CHECK(ok == 0 || ok == -EBADMSG);
		if (ok == 0) {
			FUZZ_CHECK(cookie == data + PL_VPKT_HDR + 8);
			FUZZ_CHECK(counter == pl_vpkt_counter(&v));
		}
		if (ok == 0 && v.seq == 0 && v.ts == 0) {
			uint8_t again[PL_VPKT_HDR + PL_VCONFIRM_PAYLOAD];
			int m = pl_vconfirm_make(again, sizeof again, v.sender, counter, cookie, key);
			FUZZ_CHECK(m == (int)size);
			FUZZ_CHECK(memcmp(again, data, size) == 0);
		}
	}
	if (v.type == PL_VPKT_CHALLENGE && v.seq == 0 && v.ts == 0) {
		uint8_t again[PL_VPKT_HDR + PL_VCHALLENGE_PAYLOAD];
		int m = pl_vchallenge_make(again, sizeof again, v.sender, pl_vpkt_counter(&v), v.payload + 8);
		FUZZ_CHECK(m == (int)size && memcmp(again, data, size) == 0);
	}
	return 0;
}
