/*
 * frame: the signalling envelope, after seed note 004.
 *
 *   offset 0  u32  length of the whole frame, this header included (so at least 6)
 *   offset 4  u16  message type
 *   offset 6  ...  payload (length - 6 bytes)
 *
 * Pure functions over buffers. A receiver peeks at the header first and rejects a length below
 * the header size or above its configured maximum before it buffers a single payload byte.
 */
#ifndef PL_FRAME_H
#define PL_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define PL_FRAME_HDR 6
#define PL_FRAME_MAX_DEFAULT 16384u /* what parleyd accepts unless configured otherwise */
#define PL_FRAME_MAX_HARD 65536u    /* no configuration may go above this */

/*
 * Looks at the first avail bytes of a stream. Returns the length of the complete frame at the
 * front (> 0), 0 when more bytes are needed, -EBADMSG when the length field is below the header
 * size, or -EMSGSIZE when it is above max.
 */
int pl_frame_peek(const uint8_t *buf, size_t avail, size_t max);

/* Writes the header for a payload of plen bytes into buf[0..5]. */
void pl_frame_put_hdr(uint8_t *buf, uint16_t type, size_t plen);

#endif
