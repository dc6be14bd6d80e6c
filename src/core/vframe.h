/*
 * vframe: what a VOICE packet's payload carries (core/vpkt.h), before core/media.h seals it in a
 * call and after it opens it: one media frame with its redundancy, or a receiver's report.
 *
 *   offset 0  u8  kind: 1 AUDIO, 2 REPORT
 *
 * AUDIO (a 2-byte header, then redundancy entries, then the frames):
 *   offset 1  u8  flags: bits 0-1 the number of redundant copies n (0-2, as RED, RFC 2198);
 *                 bit 2 SILENT (the sender's voice detector heard no speech: a receiver may drop
 *                 the frame to shrink its buffer); bit 3 END (the last frame of a talk spurt:
 *                 the sender stops sending after it, so the silence that follows is not loss)
 *   then n entries of 5 bytes, oldest first: u8 seq_back (1-255: the copy is of the frame sent
 *                 that many packets before), u16 ts_back (its timestamp is this many 48 kHz
 *                 samples earlier), u16 len (its bytes, 1-1275)
 *   then the n copies' bytes in the same order, then the primary frame (the rest, may be empty
 *                 for END)
 *
 * REPORT (27 bytes; what one receiver measured of one sender, about once a second):
 *   offset 1  u64 about: the sender reported on (its session id)
 *   offset 9  u16 highest seq received from it
 *   offset 11 u32 ts of the newest packet received from it
 *   offset 15 u16 ms between that packet's arrival and this report (so the sender gets a round
 *                 trip: now - when it sent ts - this, as RTCP's DLSR)
 *   offset 17 u16 fraction lost since the last report, in 1/10000 (before any recovery)
 *   offset 19 u16 jitter: the 97th percentile of arrival-delay variation, ms
 *   offset 21 u16 the delay the receiver's jitter buffer adds, ms
 *   offset 23 u32 packets lost in all
 *
 * A report travels as VOICE with seq 0 and ts 0 (they are the sender's audio sequence, which a
 * report must not consume); the relay forwards it like voice, so in a room every member gets it
 * and only `about` acts on it. Pure functions over buffers; nothing allocates.
 */
#ifndef PL_VFRAME_H
#define PL_VFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PL_VFRAME_MAX_MEDIA 1275   /* the largest media frame (core/mformat.h's PL_MFORMAT_MAX_FRAME) */
#define PL_VFRAME_HDR 2
#define PL_VFRAME_RED_ENTRY 5
#define PL_VFRAME_RED_MAX 2
#define PL_VFRAME_MAX (PL_VFRAME_HDR + PL_VFRAME_MAX_MEDIA) /* what a VOICE payload holds unsealed */
#define PL_VFRAME_REPORT_LEN 27

enum pl_vframe_kind { PL_VFRAME_AUDIO = 1, PL_VFRAME_REPORT = 2 };

#define PL_VFRAME_SILENT 0x04
#define PL_VFRAME_END 0x08

struct pl_vframe_red {
	uint8_t seq_back;
	uint16_t ts_back;
	const uint8_t *data;
	size_t len;
};

struct pl_vframe_audio {
	uint8_t flags; /* PL_VFRAME_SILENT, PL_VFRAME_END */
	unsigned nred;
	struct pl_vframe_red red[PL_VFRAME_RED_MAX];
	const uint8_t *data; /* the primary frame, pointing into the decoded buffer */
	size_t len;
};

struct pl_vframe_report {
	uint64_t about;
	uint16_t highest_seq;
	uint32_t last_ts;
	uint16_t since_ms;
	uint16_t loss_e4;      /* 0-10000 */
	uint16_t jitter_ms;
	uint16_t buffer_ms;
	uint32_t lost_total;
};

/* The kind of a payload (its first byte), or -EBADMSG for an empty one or an unknown kind. */
int pl_vframe_kind(const uint8_t *buf, size_t len);

/* Writes an AUDIO frame: a->nred copies (oldest first), then a->data. Copies that would not fit
 * in cap, or in PL_VFRAME_MAX, are left out from the oldest (the primary always goes). Returns the
 * length, -EINVAL for a primary over PL_VFRAME_MAX_MEDIA, a copy that is empty, over
 * PL_VFRAME_MAX_MEDIA or with seq_back 0, or more than PL_VFRAME_RED_MAX copies, -EMSGSIZE when
 * not even the primary fits cap. */
int pl_vframe_audio_encode(uint8_t *buf, size_t cap, const struct pl_vframe_audio *a);
/* 0, or -EBADMSG for a malformed AUDIO payload (wrong kind, unknown flags, a copy's length past
 * the end, seq_back 0). Pointers point into buf. */
int pl_vframe_audio_decode(struct pl_vframe_audio *a, const uint8_t *buf, size_t len);

/* A REPORT is exactly PL_VFRAME_REPORT_LEN bytes; encode returns that or -EMSGSIZE, decode 0 or
 * -EBADMSG (a loss over 10000 too). */
int pl_vframe_report_encode(uint8_t *buf, size_t cap, const struct pl_vframe_report *r);
int pl_vframe_report_decode(struct pl_vframe_report *r, const uint8_t *buf, size_t len);

#endif
