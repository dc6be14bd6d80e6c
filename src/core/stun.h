/*
 * stun: STUN messages (RFC 8489, and RFC 3489's older form) as pure functions over a buffer, and
 * the rule that tells a STUN datagram from a parley voice packet on the same UDP port.
 *
 * The decoder reads a whole datagram: the 20-byte header, then attributes, each a type, a length
 * and a value padded to 4 bytes. It keeps pointers into the buffer rather than copies, checks every
 * length before reading, and understands the attributes a Binding exchange uses: MAPPED-ADDRESS and
 * XOR-MAPPED-ADDRESS (IPv4 and IPv6), SOFTWARE, ERROR-CODE, MESSAGE-INTEGRITY (located, so that it
 * can be verified), FINGERPRINT (verified while decoding: a wrong one makes the message
 * malformed) and the few request attributes that ask a server to answer somewhere else
 * (CHANGE-REQUEST, RESPONSE-ADDRESS, RESPONSE-PORT). Comprehension-required attributes it does not
 * know are listed, for the caller to refuse the message.
 *
 * The writer (pl_stun_wr) builds a message attribute by attribute into caller memory, keeping the
 * header's length current, so MESSAGE-INTEGRITY and FINGERPRINT can be appended last. HMAC-SHA1,
 * which MESSAGE-INTEGRITY needs, is passed in (pl_stun_hmac_fn): libsodium has none, and the core
 * links nothing else; net/stun_mi.h has the OpenSSL one.
 *
 * CRC-32 (ISO 3309, the one FINGERPRINT uses) is here too, table and all, since it is part of
 * the protocol.
 */
#ifndef PL_STUN_H
#define PL_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PL_STUN_HDR 20
#define PL_STUN_COOKIE 0x2112A442u
#define PL_STUN_TID_LEN 12         /* RFC 8489: 96 bits after the cookie */
#define PL_STUN_CLASSIC_TID_LEN 16 /* RFC 3489: 128 bits, no cookie */
#define PL_STUN_FINGERPRINT_XOR 0x5354554eu
#define PL_STUN_MI_LEN 20       /* HMAC-SHA1 */
#define PL_STUN_REASON_MAX 763  /* ERROR-CODE's reason phrase, bytes */
#define PL_STUN_SOFTWARE_MAX 763
#define PL_STUN_UNKNOWN_MAX 8   /* unknown comprehension-required attributes listed */

/* The classes, as the two class bits read. */
enum pl_stun_class {
	PL_STUN_REQUEST = 0,
	PL_STUN_INDICATION = 1,
	PL_STUN_SUCCESS = 2,
	PL_STUN_ERROR = 3,
};
#define PL_STUN_BINDING 0x001

enum pl_stun_attr_type {
	PL_STUN_A_MAPPED_ADDRESS = 0x0001,
	PL_STUN_A_RESPONSE_ADDRESS = 0x0002, /* RFC 3489 */
	PL_STUN_A_CHANGE_REQUEST = 0x0003,   /* RFC 3489, RFC 5780 */
	PL_STUN_A_USERNAME = 0x0006,
	PL_STUN_A_MESSAGE_INTEGRITY = 0x0008,
	PL_STUN_A_ERROR_CODE = 0x0009,
	PL_STUN_A_UNKNOWN_ATTRIBUTES = 0x000A,
	PL_STUN_A_REALM = 0x0014,
	PL_STUN_A_NONCE = 0x0015,
	PL_STUN_A_MESSAGE_INTEGRITY_SHA256 = 0x001C,
	PL_STUN_A_PASSWORD_ALGORITHM = 0x001D,
	PL_STUN_A_USERHASH = 0x001E,
	PL_STUN_A_XOR_MAPPED_ADDRESS = 0x0020,
	PL_STUN_A_PRIORITY = 0x0024,     /* ICE, RFC 8445 */
	PL_STUN_A_USE_CANDIDATE = 0x0025, /* ICE */
	PL_STUN_A_PADDING = 0x0026,      /* RFC 5780 */
	PL_STUN_A_RESPONSE_PORT = 0x0027, /* RFC 5780 */
	PL_STUN_A_SOFTWARE = 0x8022,
	PL_STUN_A_ALTERNATE_SERVER = 0x8023,
	PL_STUN_A_FINGERPRINT = 0x8028,
	PL_STUN_A_ICE_CONTROLLED = 0x8029,
	PL_STUN_A_ICE_CONTROLLING = 0x802A,
};

/* An address attribute's value: family 4 or 6, port, and 4 or 16 bytes of address. */
struct pl_stun_addr {
	uint8_t family;
	uint16_t port;
	uint8_t ip[16];
};
/* The bytes an address attribute takes, header included: 12 for IPv4, 24 for IPv6. */
#define PL_STUN_ADDR_ATTR_V4 12
#define PL_STUN_ADDR_ATTR_V6 24

struct pl_stun_msg {
	uint16_t type;   /* the 14-bit message type */
	uint16_t method; /* 12 bits */
	uint8_t cls;     /* enum pl_stun_class */
	bool classic;    /* no magic cookie: RFC 3489; tid is then 16 bytes */
	uint8_t tid[PL_STUN_CLASSIC_TID_LEN];
	size_t len; /* the whole message, header included: the datagram's length */

	bool has_mapped, has_xor_mapped;
	struct pl_stun_addr mapped, xor_mapped; /* XOR-MAPPED-ADDRESS already un-XORed */
	const uint8_t *software; /* NULL, or software_len bytes inside the buffer */
	size_t software_len;
	bool has_error;
	uint16_t error_code; /* 300-699 */
	const uint8_t *reason;
	size_t reason_len;
	bool has_change;     /* CHANGE-REQUEST */
	uint32_t change_flags;
	bool asks_elsewhere; /* RESPONSE-ADDRESS or RESPONSE-PORT: answer another address or port */
	size_t integrity_off; /* offset of MESSAGE-INTEGRITY's attribute header; 0: none */
	bool has_fingerprint; /* present, and it matched (else the decode failed) */
	unsigned nunknown;   /* comprehension-required attributes this codec does not know */
	uint16_t unknown[PL_STUN_UNKNOWN_MAX]; /* the first of them */
};

/* What a datagram on parley's voice port is, by its first bytes (RFC 7983's demultiplexing,
 * narrowed to parley): a first byte of PL_VPKT_VERSION (2) is always a voice packet, even though
 * RFC 7983 gives 0-3 to STUN; 0, 1 or 3 with the magic cookie at bytes 4-7 and at least 20 bytes
 * is STUN; 0 or 1 without the cookie and at least 20 bytes is RFC 3489 STUN (its message types
 * all start with 0 or 1); anything else is neither (and so malformed voice). */
enum pl_dgram_kind {
	PL_DGRAM_VOICE,
	PL_DGRAM_STUN,
	PL_DGRAM_STUN_CLASSIC,
	PL_DGRAM_OTHER,
};
enum pl_dgram_kind pl_stun_classify(const uint8_t *buf, size_t len);

static inline uint16_t pl_stun_type(uint16_t method, uint8_t cls)
{
	return (uint16_t)(((method & 0xF80u) << 2) | ((method & 0x070u) << 1) | (method & 0x00Fu) |
			  ((cls & 2u) << 7) | ((cls & 1u) << 4));
}

/* Decodes a whole datagram. Returns 0, or -EBADMSG when it is not a well-formed STUN message:
 * shorter than 20 bytes; the top two bits set; a length field that is not a multiple of 4 or
 * does not match the datagram; an attribute, or its padding, past the end; an address, ERROR-CODE,
 * CHANGE-REQUEST, MESSAGE-INTEGRITY or FINGERPRINT of the wrong size or contents; an attribute
 * after FINGERPRINT; a FINGERPRINT that does not match. Padding bytes are not checked (RFC 8489
 * says to ignore them; RFC 5769's vectors pad with spaces). Attributes after MESSAGE-INTEGRITY
 * other than FINGERPRINT are skipped, as RFC 8489 says. Of an attribute that comes twice, the
 * first counts. */
int pl_stun_decode(struct pl_stun_msg *m, const uint8_t *buf, size_t len);

/* The value of the first attribute of that type in a message pl_stun_decode accepted (buf is what
 * was decoded), and its length in *len; NULL when there is none. Attributes after
 * MESSAGE-INTEGRITY (but FINGERPRINT) do not count, as for the decoder. For the attributes the
 * decoder only steps over: USERNAME, PRIORITY, USE-CANDIDATE, ICE-CONTROLLING/-CONTROLLED. */
const uint8_t *pl_stun_attr_find(const struct pl_stun_msg *m, const uint8_t *buf, uint16_t type, size_t *len);

/* HMAC-SHA1 under key over hdr (20 bytes) followed by body (bodylen bytes). */
typedef void (*pl_stun_hmac_fn)(uint8_t out[PL_STUN_MI_LEN], const uint8_t *key, size_t keylen,
				const uint8_t hdr[PL_STUN_HDR], const uint8_t *body, size_t bodylen);

/* Checks the MESSAGE-INTEGRITY of a decoded message (buf is what was decoded): 0 when it
 * matches, -EBADMSG when it does not, -ENOENT when there is none. The HMAC covers the message up
 * to the attribute, with the header's length as if the message ended just after it. */
int pl_stun_check_integrity(const struct pl_stun_msg *m, const uint8_t *buf, pl_stun_hmac_fn hmac,
			    const uint8_t *key, size_t keylen);

/* A message being written. Errors are sticky: the first one is what pl_stun_wr_finish returns. */
struct pl_stun_wr {
	uint8_t *buf;
	size_t cap, len;
	uint8_t pad; /* the padding byte (0; RFC 5769's vectors use 0x20) */
	bool classic;
	bool sealed; /* FINGERPRINT written: nothing may follow */
	int err;
};

/* Starts a message of type (pl_stun_type) with the cookie and a 12-byte tid, or an RFC 3489 one
 * (no cookie) with a 16-byte tid. */
void pl_stun_wr_start(struct pl_stun_wr *w, uint8_t *buf, size_t cap, uint16_t type,
		      const uint8_t tid[PL_STUN_TID_LEN]);
void pl_stun_wr_start_classic(struct pl_stun_wr *w, uint8_t *buf, size_t cap, uint16_t type,
			      const uint8_t tid[PL_STUN_CLASSIC_TID_LEN]);
/* Any attribute: type, up to 65535 bytes of value, padding. */
void pl_stun_wr_attr(struct pl_stun_wr *w, uint16_t type, const void *val, size_t len);
/* MAPPED-ADDRESS or XOR-MAPPED-ADDRESS (XORed with the cookie and tid; not in a classic message). */
void pl_stun_wr_addr(struct pl_stun_wr *w, uint16_t type, const struct pl_stun_addr *a);
/* ERROR-CODE: code 300-699 and a reason of at most PL_STUN_REASON_MAX bytes. */
void pl_stun_wr_error(struct pl_stun_wr *w, unsigned code, const char *reason);
/* MESSAGE-INTEGRITY over everything written so far. */
void pl_stun_wr_integrity(struct pl_stun_wr *w, pl_stun_hmac_fn hmac, const uint8_t *key, size_t keylen);
/* FINGERPRINT over everything written so far; the message's last attribute. */
void pl_stun_wr_fingerprint(struct pl_stun_wr *w);
/* The message's length, or -EMSGSIZE (it did not fit) / -EINVAL (a bad argument). */
int pl_stun_wr_finish(const struct pl_stun_wr *w);

/* CRC-32 of ISO 3309 / ITU-T V.42 / zlib, continued from crc (0 to start). */
uint32_t pl_stun_crc32(uint32_t crc, const uint8_t *p, size_t len);

/* Whether a comprehension-required attribute type is one this codec knows. */
bool pl_stun_attr_known(uint16_t type);

#endif
