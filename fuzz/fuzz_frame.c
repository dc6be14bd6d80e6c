/*
 * fuzz_frame: the receive path of a signalling stream. The input is the bytes a peer sent; frames
 * are cut off the front with pl_frame_peek, as the connection code does, and each payload goes to
 * pl_msg_decode with the frame's type. A frame that decodes must encode back to the same bytes.
 */
#include <errno.h>
#include <string.h>

#include "core/buf.h"
#include "core/frame.h"
#include "core/msg.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t enc[PL_FRAME_MAX_HARD];
	static struct pl_msg m;
	size_t off = 0;

	while (off < size) {
		size_t avail = size - off;
		int n = pl_frame_peek(data + off, avail, PL_FRAME_MAX_DEFAULT);
		fuzz_sink = (uintptr_t)n;
		FUZZ_CHECK(n == 0 || n == -EBADMSG || n == -EMSGSIZE || n >= PL_FRAME_HDR);
		if (n <= 0)
			break; /* need more, or the connection would be closed */
		FUZZ_CHECK((size_t)n <= avail && n <= (int)PL_FRAME_MAX_DEFAULT);
		FUZZ_CHECK(pl_be32(data + off) == (uint32_t)n);

		/* The same peek with only part of the frame asks for more. */
		FUZZ_CHECK(pl_frame_peek(data + off, (size_t)n - 1, PL_FRAME_MAX_DEFAULT) == 0);

		uint16_t type = pl_be16(data + off + 4);
		const uint8_t *payload = data + off + PL_FRAME_HDR;
		size_t plen = (size_t)n - PL_FRAME_HDR;
		int rc = pl_msg_decode(&m, type, payload, plen);
		fuzz_sink = (uintptr_t)rc;
		FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -EPROTO);
		if (rc == 0) {
			int e = pl_msg_encode(&m, enc, sizeof enc);
			FUZZ_CHECK(e == n && e <= PL_MSG_ENCODED_MAX);
			FUZZ_CHECK(memcmp(enc, data + off, (size_t)n) == 0);
		}
		off += (size_t)n;
	}
	return 0;
}
