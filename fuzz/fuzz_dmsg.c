/*
 * fuzz_dmsg: direct mode's datagrams (core/dmsg.h) on arbitrary bytes. pl_dmsg_decode says 0 or
 * -EBADMSG; what decodes in clear encodes back to the same bytes, and a request is exactly
 * PL_DMSG_REQ_LEN long while an answer is shorter; a SEALED one is opened under a fixed key (the
 * seeds are sealed under it), and what opens seals again under the same counter to the same
 * bytes. The input is also sealed as a TEXT when it can be one, and must open to itself.
 */
#include <errno.h>
#include <string.h>

#include "core/dmsg.h"
#include "fuzz.h"

static const uint8_t key[PL_MEDIA_KEY_LEN] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
					      16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};

static void check_sealed(const uint8_t *data, size_t size, const struct pl_dmsg *m)
{
	static uint8_t enc[PL_DMSG_MAX + 64];
	struct pl_dmsg_inner in;
	uint64_t counter = 0;
	int rc = pl_dmsg_open(&in, &counter, data, size, key);
	fuzz_sink = (uintptr_t)rc;
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	if (rc != 0)
		return;
	FUZZ_CHECK(in.type >= PL_DMSG_CONFIRM && in.type <= PL_DMSG_INNER_MAX && counter != 0);
	FUZZ_CHECK(in.type != PL_DMSG_TEXT || (in.text[0] && strlen(in.text) <= PL_DMSG_TEXT_MAX));
	int n = pl_dmsg_seal(enc, sizeof enc, m->call_id, key, counter, &in);
	FUZZ_CHECK(n > 0 && (size_t)n == size && memcmp(enc, data, size) == 0);
}

static void check_text(const uint8_t *data, size_t size)
{
	static uint8_t enc[PL_DMSG_MAX];
	static struct pl_dmsg_inner in, out;
	if (size == 0 || size > PL_DMSG_TEXT_MAX || memchr(data, 0, size))
		return;
	memset(&in, 0, sizeof in);
	in.type = PL_DMSG_TEXT;
	in.text_id = (uint32_t)size;
	memcpy(in.text, data, size);
	int n = pl_dmsg_seal(enc, sizeof enc, 7, key, 1, &in);
	FUZZ_CHECK(n == (int)(PL_DMSG_HDR + PL_MEDIA_OVERHEAD + 7 + size));
	uint64_t counter;
	FUZZ_CHECK(pl_dmsg_open(&out, &counter, enc, (size_t)n, key) == 0);
	FUZZ_CHECK(counter == 1 && out.text_id == size && !strcmp(out.text, in.text));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t enc[PL_DMSG_MAX + 64];
	struct pl_dmsg m;
	int rc = pl_dmsg_decode(&m, data, size);
	fuzz_sink = (uintptr_t)rc;
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	check_text(data, size);
	if (rc != 0)
		return 0;
	FUZZ_CHECK(size >= PL_DMSG_HDR && data[0] == PL_DMSG_MAGIC && data[1] == m.type);
	if (m.type == PL_DMSG_SEALED) {
		FUZZ_CHECK(m.sealed == data + PL_DMSG_HDR && m.sealed_len == size - PL_DMSG_HDR);
		check_sealed(data, size, &m);
		return 0;
	}
	int n = pl_dmsg_encode(&m, enc, sizeof enc);
	FUZZ_CHECK(n > 0 && (size_t)n == size && memcmp(enc, data, size) == 0);
	bool request = m.type == PL_DMSG_CALL || m.type == PL_DMSG_STATUS_REQ;
	FUZZ_CHECK(request ? size == PL_DMSG_REQ_LEN : size < PL_DMSG_REQ_LEN);
	return 0;
}
