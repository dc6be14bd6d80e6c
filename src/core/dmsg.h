/*
 * dmsg: the signalling of direct mode (client/direct.h): calls between two clients over UDP with
 * no server, on the voice socket itself, beside the voice packets (core/vpkt.h) and STUN. Pure
 * encode/decode functions over buffers; no socket, clock or randomness.
 *
 * Every datagram starts
 *
 *   offset 0  u8   PL_DMSG_MAGIC (0xD7: RFC 7983's unassigned 192..255, so neither STUN (0..3)
 *                  nor a voice packet (version 2) nor anything else on the port)
 *   offset 1  u8   type
 *   offset 2  u64  call id: random, chosen by the caller (a status request's own random id)
 *   offset 10 ...  the type's body
 *
 * In clear, before the end-to-end handshake has given keys (every length exact):
 *
 *   CALL        name (u16 length, 1..PL_DMSG_NAME_MAX bytes), media format offer (9 bytes: codec
 *               u8, rate u32, channels u8, sample format u8, chunk u16), the e2e OFFER
 *               (core/e2e.h, 136 bytes), then zeros up to PL_DMSG_REQ_LEN bytes in all
 *   RINGING     nothing
 *   ANSWER      name (u16 length, 1..PL_DMSG_NAME_MAX), media format (9), the e2e ANSWER (136)
 *   REVEAL      the e2e REVEAL (104)
 *   DENY, BUSY, CANCEL   nothing
 *   STATUS_REQ  zeros up to PL_DMSG_REQ_LEN bytes in all
 *   STATUS_ANS  name (u16 length, 1..PL_DMSG_NAME_MAX), status u8 (enum pl_dmsg_status), device key (32)
 *
 * The requests (CALL, STATUS_REQ) are padded to PL_DMSG_REQ_LEN, larger than any answer, so a
 * callee that answers each request with at most one datagram never sends more to an address
 * than it received from it: a forged source address gets no amplification (QUIC's rule, at a
 * factor of one). Messages in clear are bound to the call by its random 64-bit id only, which
 * an attacker off the path does not see; everything after the handshake is sealed:
 *
 *   SEALED      core/media.h's sealed payload (key id 0, counter, ciphertext, tag) of an inner
 *               message, with the 10-byte header above as associated data:
 *                 u8 inner type: CONFIRM, KEEPALIVE, HANGUP, HANGUP_ACK, TEXT, TEXT_ACK
 *                 TEXT:     u32 id, text (u16 length, 1..PL_DMSG_TEXT_MAX bytes)
 *                 TEXT_ACK: u32 id
 *               under a control key per direction derived from the call's media keys
 *               (pl_dmsg_ctl_key), so a third party can neither end a call nor speak in it.
 */
#ifndef PL_DMSG_H
#define PL_DMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/auth.h"
#include "core/e2e.h"
#include "core/media.h"
#include "core/mformat.h"

#define PL_DMSG_MAGIC 0xD7
#define PL_DMSG_HDR 10
#define PL_DMSG_NAME_MAX 64
#define PL_DMSG_TEXT_MAX 1000
#define PL_DMSG_FMT_LEN 9
#define PL_DMSG_REQ_LEN 400 /* CALL and STATUS_REQ, padded: larger than every answer */
#define PL_DMSG_MAX (PL_DMSG_HDR + PL_MEDIA_OVERHEAD + 1 + 4 + 2 + PL_DMSG_TEXT_MAX) /* the largest datagram */

enum pl_dmsg_type {
	PL_DMSG_CALL = 1,
	PL_DMSG_RINGING = 2,
	PL_DMSG_ANSWER = 3,
	PL_DMSG_REVEAL = 4,
	PL_DMSG_DENY = 5,
	PL_DMSG_BUSY = 6,
	PL_DMSG_CANCEL = 7,
	PL_DMSG_STATUS_REQ = 8,
	PL_DMSG_STATUS_ANS = 9,
	PL_DMSG_SEALED = 10,
};
#define PL_DMSG_TYPE_MAX PL_DMSG_SEALED

enum pl_dmsg_inner_type {
	PL_DMSG_CONFIRM = 1,    /* callee: the REVEAL checked, the call is on (answers each REVEAL) */
	PL_DMSG_KEEPALIVE = 2,  /* either side, every few seconds: the peer and the NAT binding live */
	PL_DMSG_HANGUP = 3,
	PL_DMSG_HANGUP_ACK = 4,
	PL_DMSG_TEXT = 5,
	PL_DMSG_TEXT_ACK = 6,
};
#define PL_DMSG_INNER_MAX PL_DMSG_TEXT_ACK

enum pl_dmsg_status { PL_DMSG_ONLINE = 0, PL_DMSG_INCALL = 1 };

/* A decoded datagram. Only the fields of its type are set; hs holds the handshake message's
 * bytes (its e2e decoder checks them), sealed points into the decoded buffer. */
struct pl_dmsg {
	uint8_t type;
	uint64_t call_id;
	char name[PL_DMSG_NAME_MAX + 1];     /* CALL, ANSWER, STATUS_ANS: how the sender calls itself */
	struct pl_media_format fmt;          /* CALL, ANSWER (unchecked: pl_mformat_check it) */
	uint8_t hs[PL_E2E_OFFER_LEN];        /* CALL: OFFER; ANSWER: ANSWER; REVEAL: REVEAL */
	size_t hs_len;
	uint8_t status;                      /* STATUS_ANS */
	uint8_t key[PL_DEVICE_KEY_LEN];      /* STATUS_ANS: the answering device's key */
	const uint8_t *sealed;               /* SEALED: the payload after the header */
	size_t sealed_len;
};

/* Writes m into buf: its length, -EMSGSIZE when cap is too small, -EINVAL for a field out of
 * bounds (a name empty, too long or with control characters, a handshake of the wrong length). */
int pl_dmsg_encode(const struct pl_dmsg *m, uint8_t *buf, size_t cap);
/* Reads a datagram: 0, or -EBADMSG for anything but an exact, well-formed message (the wrong
 * magic, an unknown type, a length off by one byte, padding that is not zero, a bad name). */
int pl_dmsg_decode(struct pl_dmsg *m, const uint8_t *buf, size_t len);

struct pl_dmsg_inner {
	uint8_t type;                        /* enum pl_dmsg_inner_type */
	uint32_t text_id;                    /* TEXT, TEXT_ACK */
	char text[PL_DMSG_TEXT_MAX + 1];     /* TEXT: UTF-8 is the reader's check (core/names.h) */
};

/* The control key of one direction from the media key of that direction (core/e2e.h's tx or
 * rx): BLAKE2b-256 keyed with it over "parley direct control v1", so a control message can never
 * be taken for media or the other way round. */
void pl_dmsg_ctl_key(uint8_t out[PL_MEDIA_KEY_LEN], const uint8_t media_key[PL_MEDIA_KEY_LEN]);
/* Seals in as a SEALED datagram of call_id under key with counter (from 1, never repeated under
 * a key): its length, -EMSGSIZE, or -EINVAL for a bad inner message or counter 0. */
int pl_dmsg_seal(uint8_t *buf, size_t cap, uint64_t call_id, const uint8_t key[PL_MEDIA_KEY_LEN], uint64_t counter,
		 const struct pl_dmsg_inner *in);
/* Opens a decoded SEALED datagram (buf and len: the whole datagram m was decoded from) under
 * key: 0 with its counter (for a replay window, core/media.h), or -EBADMSG for a tag that fails
 * or an inner message that is not well formed. */
int pl_dmsg_open(struct pl_dmsg_inner *in, uint64_t *counter, const uint8_t *buf, size_t len,
		 const uint8_t key[PL_MEDIA_KEY_LEN]);

/* Retransmission: the wait before attempt n (0 the first resend) is 250 ms doubled each time,
 * at most PL_DMSG_RETX_MAX_MS. */
#define PL_DMSG_RETX_FIRST_MS 250
#define PL_DMSG_RETX_MAX_MS 2000
unsigned pl_dmsg_backoff_ms(unsigned attempt);

/* A name's name: "CALL", "SEALED"... ("?" for none). */
const char *pl_dmsg_type_name(uint8_t type);

#endif
