#include "core/frame.h"

#include <errno.h>

#include "core/buf.h"

int pl_frame_peek(const uint8_t *buf, size_t avail, size_t max)
{
	if (avail < 4)
		return 0;
	uint32_t len = pl_be32(buf);
	if (len < PL_FRAME_HDR)
		return -EBADMSG;
	if (len > max || len > PL_FRAME_MAX_HARD)
		return -EMSGSIZE;
	if (avail < len)
		return 0;
	return (int)len;
}

void pl_frame_put_hdr(uint8_t *buf, uint16_t type, size_t plen)
{
	pl_put_be32(buf, (uint32_t)(plen + PL_FRAME_HDR));
	pl_put_be16(buf + 4, type);
}
