/*
 * fuzz_msg: pl_msg_decode on arbitrary payloads. The input is a u16 message type (big-endian)
 * then the payload. Whatever decodes must encode back to exactly the input payload: the wire
 * format has one encoding per message, so encode(decode(x)) == x, and decoding that again gives
 * the same encoding (a fixed point). Seeds and dictionary: gen_corpus.py, which makes many of
 * them from the codec's description of each message.
 */
#include <errno.h>
#include <string.h>

#include "core/frame.h"
#include "core/msg.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t enc[PL_FRAME_MAX_HARD], enc2[PL_FRAME_MAX_HARD];
	static struct pl_msg m, m2;

	if (size < 2)
		return 0;
	uint16_t type = (uint16_t)(data[0] << 8 | data[1]);
	const uint8_t *payload = data + 2;
	size_t plen = size - 2;

	int rc = pl_msg_decode(&m, type, payload, plen);
	fuzz_sink = (uintptr_t)rc;
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -EPROTO);
	/* The codec knows exactly the types it describes (core/msg.h), and names them. */
	FUZZ_CHECK((rc == -EPROTO) == (pl_msg_describe(type) == NULL));
	FUZZ_CHECK((rc == -EPROTO) == (pl_msg_name(type) == NULL));
	if (rc != 0)
		return 0;
	FUZZ_CHECK(m.type == type);

	int n = pl_msg_encode(&m, enc, sizeof enc);
	FUZZ_CHECK(n >= PL_FRAME_HDR);
	FUZZ_CHECK((size_t)n == plen + PL_FRAME_HDR);
	FUZZ_CHECK(n <= PL_MSG_ENCODED_MAX); /* msg.h: no message encodes to more */
	FUZZ_CHECK(pl_frame_peek(enc, (size_t)n, PL_FRAME_MAX_HARD) == n);
	FUZZ_CHECK(enc[4] == data[0] && enc[5] == data[1]);
	FUZZ_CHECK(memcmp(enc + PL_FRAME_HDR, payload, plen) == 0);

	FUZZ_CHECK(pl_msg_decode(&m2, type, enc + PL_FRAME_HDR, (size_t)n - PL_FRAME_HDR) == 0);
	int n2 = pl_msg_encode(&m2, enc2, sizeof enc2);
	FUZZ_CHECK(n2 == n);
	FUZZ_CHECK(memcmp(enc, enc2, (size_t)n) == 0);
	fuzz_sink = (uintptr_t)n2;
	return 0;
}
