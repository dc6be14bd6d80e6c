#include "core/stun.h"

#include <errno.h>
#include <string.h>

#include "core/buf.h"
#include "core/vpkt.h"

/* A first byte of 2 is parley's voice packet; RFC 7983 would call it STUN. The rule in
 * pl_stun_classify depends on the voice version being in STUN's range and on no answered STUN
 * message starting with it (a Binding request starts with 0, an RFC 3489 one too). */
_Static_assert(PL_VPKT_VERSION == 2, "pl_stun_classify reserves first byte 2 for voice packets");

/* CRC-32 with the reflected polynomial 0xEDB88320: the table is crc32 of each byte value. */
static const uint32_t crc_table[256] = {
	0x00000000u, 0x77073096u, 0xee0e612cu, 0x990951bau, 0x076dc419u, 0x706af48fu,
	0xe963a535u, 0x9e6495a3u, 0x0edb8832u, 0x79dcb8a4u, 0xe0d5e91eu, 0x97d2d988u,
	0x09b64c2bu, 0x7eb17cbdu, 0xe7b82d07u, 0x90bf1d91u, 0x1db71064u, 0x6ab020f2u,
	0xf3b97148u, 0x84be41deu, 0x1adad47du, 0x6ddde4ebu, 0xf4d4b551u, 0x83d385c7u,
	0x136c9856u, 0x646ba8c0u, 0xfd62f97au, 0x8a65c9ecu, 0x14015c4fu, 0x63066cd9u,
	0xfa0f3d63u, 0x8d080df5u, 0x3b6e20c8u, 0x4c69105eu, 0xd56041e4u, 0xa2677172u,
	0x3c03e4d1u, 0x4b04d447u, 0xd20d85fdu, 0xa50ab56bu, 0x35b5a8fau, 0x42b2986cu,
	0xdbbbc9d6u, 0xacbcf940u, 0x32d86ce3u, 0x45df5c75u, 0xdcd60dcfu, 0xabd13d59u,
	0x26d930acu, 0x51de003au, 0xc8d75180u, 0xbfd06116u, 0x21b4f4b5u, 0x56b3c423u,
	0xcfba9599u, 0xb8bda50fu, 0x2802b89eu, 0x5f058808u, 0xc60cd9b2u, 0xb10be924u,
	0x2f6f7c87u, 0x58684c11u, 0xc1611dabu, 0xb6662d3du, 0x76dc4190u, 0x01db7106u,
	0x98d220bcu, 0xefd5102au, 0x71b18589u, 0x06b6b51fu, 0x9fbfe4a5u, 0xe8b8d433u,
	0x7807c9a2u, 0x0f00f934u, 0x9609a88eu, 0xe10e9818u, 0x7f6a0dbbu, 0x086d3d2du,
	0x91646c97u, 0xe6635c01u, 0x6b6b51f4u, 0x1c6c6162u, 0x856530d8u, 0xf262004eu,
	0x6c0695edu, 0x1b01a57bu, 0x8208f4c1u, 0xf50fc457u, 0x65b0d9c6u, 0x12b7e950u,
	0x8bbeb8eau, 0xfcb9887cu, 0x62dd1ddfu, 0x15da2d49u, 0x8cd37cf3u, 0xfbd44c65u,
	0x4db26158u, 0x3ab551ceu, 0xa3bc0074u, 0xd4bb30e2u, 0x4adfa541u, 0x3dd895d7u,
	0xa4d1c46du, 0xd3d6f4fbu, 0x4369e96au, 0x346ed9fcu, 0xad678846u, 0xda60b8d0u,
	0x44042d73u, 0x33031de5u, 0xaa0a4c5fu, 0xdd0d7cc9u, 0x5005713cu, 0x270241aau,
	0xbe0b1010u, 0xc90c2086u, 0x5768b525u, 0x206f85b3u, 0xb966d409u, 0xce61e49fu,
	0x5edef90eu, 0x29d9c998u, 0xb0d09822u, 0xc7d7a8b4u, 0x59b33d17u, 0x2eb40d81u,
	0xb7bd5c3bu, 0xc0ba6cadu, 0xedb88320u, 0x9abfb3b6u, 0x03b6e20cu, 0x74b1d29au,
	0xead54739u, 0x9dd277afu, 0x04db2615u, 0x73dc1683u, 0xe3630b12u, 0x94643b84u,
	0x0d6d6a3eu, 0x7a6a5aa8u, 0xe40ecf0bu, 0x9309ff9du, 0x0a00ae27u, 0x7d079eb1u,
	0xf00f9344u, 0x8708a3d2u, 0x1e01f268u, 0x6906c2feu, 0xf762575du, 0x806567cbu,
	0x196c3671u, 0x6e6b06e7u, 0xfed41b76u, 0x89d32be0u, 0x10da7a5au, 0x67dd4accu,
	0xf9b9df6fu, 0x8ebeeff9u, 0x17b7be43u, 0x60b08ed5u, 0xd6d6a3e8u, 0xa1d1937eu,
	0x38d8c2c4u, 0x4fdff252u, 0xd1bb67f1u, 0xa6bc5767u, 0x3fb506ddu, 0x48b2364bu,
	0xd80d2bdau, 0xaf0a1b4cu, 0x36034af6u, 0x41047a60u, 0xdf60efc3u, 0xa867df55u,
	0x316e8eefu, 0x4669be79u, 0xcb61b38cu, 0xbc66831au, 0x256fd2a0u, 0x5268e236u,
	0xcc0c7795u, 0xbb0b4703u, 0x220216b9u, 0x5505262fu, 0xc5ba3bbeu, 0xb2bd0b28u,
	0x2bb45a92u, 0x5cb36a04u, 0xc2d7ffa7u, 0xb5d0cf31u, 0x2cd99e8bu, 0x5bdeae1du,
	0x9b64c2b0u, 0xec63f226u, 0x756aa39cu, 0x026d930au, 0x9c0906a9u, 0xeb0e363fu,
	0x72076785u, 0x05005713u, 0x95bf4a82u, 0xe2b87a14u, 0x7bb12baeu, 0x0cb61b38u,
	0x92d28e9bu, 0xe5d5be0du, 0x7cdcefb7u, 0x0bdbdf21u, 0x86d3d2d4u, 0xf1d4e242u,
	0x68ddb3f8u, 0x1fda836eu, 0x81be16cdu, 0xf6b9265bu, 0x6fb077e1u, 0x18b74777u,
	0x88085ae6u, 0xff0f6a70u, 0x66063bcau, 0x11010b5cu, 0x8f659effu, 0xf862ae69u,
	0x616bffd3u, 0x166ccf45u, 0xa00ae278u, 0xd70dd2eeu, 0x4e048354u, 0x3903b3c2u,
	0xa7672661u, 0xd06016f7u, 0x4969474du, 0x3e6e77dbu, 0xaed16a4au, 0xd9d65adcu,
	0x40df0b66u, 0x37d83bf0u, 0xa9bcae53u, 0xdebb9ec5u, 0x47b2cf7fu, 0x30b5ffe9u,
	0xbdbdf21cu, 0xcabac28au, 0x53b39330u, 0x24b4a3a6u, 0xbad03605u, 0xcdd70693u,
	0x54de5729u, 0x23d967bfu, 0xb3667a2eu, 0xc4614ab8u, 0x5d681b02u, 0x2a6f2b94u,
	0xb40bbe37u, 0xc30c8ea1u, 0x5a05df1bu, 0x2d02ef8du,
};

uint32_t pl_stun_crc32(uint32_t crc, const uint8_t *p, size_t len)
{
	crc = ~crc;
	for (size_t i = 0; i < len; i++)
		crc = crc_table[(crc ^ p[i]) & 0xffu] ^ (crc >> 8);
	return ~crc;
}

enum pl_dgram_kind pl_stun_classify(const uint8_t *buf, size_t len)
{
	if (len >= 1 && buf[0] == PL_VPKT_VERSION)
		return PL_DGRAM_VOICE;
	if (len < PL_STUN_HDR || buf[0] > 3)
		return PL_DGRAM_OTHER;
	if (pl_be32(buf + 4) == PL_STUN_COOKIE)
		return PL_DGRAM_STUN;
	return buf[0] <= 1 ? PL_DGRAM_STUN_CLASSIC : PL_DGRAM_OTHER;
}

bool pl_stun_attr_known(uint16_t type)
{
	switch (type) {
	case PL_STUN_A_MAPPED_ADDRESS:
	case PL_STUN_A_RESPONSE_ADDRESS:
	case PL_STUN_A_CHANGE_REQUEST:
	case PL_STUN_A_USERNAME:
	case PL_STUN_A_MESSAGE_INTEGRITY:
	case PL_STUN_A_ERROR_CODE:
	case PL_STUN_A_UNKNOWN_ATTRIBUTES:
	case PL_STUN_A_REALM:
	case PL_STUN_A_NONCE:
	case PL_STUN_A_MESSAGE_INTEGRITY_SHA256:
	case PL_STUN_A_PASSWORD_ALGORITHM:
	case PL_STUN_A_USERHASH:
	case PL_STUN_A_XOR_MAPPED_ADDRESS:
	case PL_STUN_A_PRIORITY:
	case PL_STUN_A_USE_CANDIDATE:
	case PL_STUN_A_PADDING:
	case PL_STUN_A_RESPONSE_PORT:
		return true;
	default:
		return type >= 0x8000; /* comprehension-optional: nobody must understand them */
	}
}

static size_t padded(size_t n) { return (n + 3) & ~(size_t)3; }

/* The 16 bytes an IPv6 XOR-MAPPED-ADDRESS is XORed with: the cookie, then the tid. */
static void xor_key(uint8_t key[16], const uint8_t tid[PL_STUN_TID_LEN])
{
	pl_put_be32(key, PL_STUN_COOKIE);
	memcpy(key + 4, tid, PL_STUN_TID_LEN);
}

/* MAPPED-ADDRESS or XOR-MAPPED-ADDRESS: a reserved byte (ignored), the family (1 with 4 bytes of
 * address, 2 with 16), the port, the address. */
static int read_addr(struct pl_stun_addr *a, const uint8_t *v, size_t n, bool xored,
		     const uint8_t tid[PL_STUN_TID_LEN])
{
	if (n < 4)
		return -EBADMSG;
	size_t alen = v[1] == 1 ? 4 : v[1] == 2 ? 16 : 0;
	if (!alen || n != 4 + alen)
		return -EBADMSG;
	memset(a, 0, sizeof *a);
	a->family = alen == 4 ? 4 : 6;
	a->port = pl_be16(v + 2);
	memcpy(a->ip, v + 4, alen);
	if (xored) {
		uint8_t key[16];
		xor_key(key, tid);
		a->port ^= (uint16_t)(PL_STUN_COOKIE >> 16);
		for (size_t i = 0; i < alen; i++)
			a->ip[i] ^= key[i];
	}
	return 0;
}

/* One attribute's value; the first of a kind counts. */
static int on_attr(struct pl_stun_msg *m, uint16_t type, const uint8_t *v, size_t n)
{
	switch (type) {
	case PL_STUN_A_MAPPED_ADDRESS:
		if (m->has_mapped)
			return 0;
		m->has_mapped = true;
		return read_addr(&m->mapped, v, n, false, m->tid);
	case PL_STUN_A_XOR_MAPPED_ADDRESS:
		if (m->has_xor_mapped || m->classic) /* no cookie, nothing it could be XORed with */
			return 0;
		m->has_xor_mapped = true;
		return read_addr(&m->xor_mapped, v, n, true, m->tid);
	case PL_STUN_A_SOFTWARE:
		if (n > PL_STUN_SOFTWARE_MAX)
			return -EBADMSG;
		if (!m->software) {
			m->software = v;
			m->software_len = n;
		}
		return 0;
	case PL_STUN_A_ERROR_CODE: {
		if (n < 4 || n > 4 + PL_STUN_REASON_MAX)
			return -EBADMSG;
		unsigned cls = v[2] & 7u, num = v[3];
		if (cls < 3 || cls > 6 || num > 99)
			return -EBADMSG;
		if (!m->has_error) {
			m->has_error = true;
			m->error_code = (uint16_t)(cls * 100 + num);
			m->reason = v + 4;
			m->reason_len = n - 4;
		}
		return 0;
	}
	case PL_STUN_A_CHANGE_REQUEST:
		if (n != 4)
			return -EBADMSG;
		if (!m->has_change) {
			m->has_change = true;
			m->change_flags = pl_be32(v);
		}
		return 0;
	case PL_STUN_A_RESPONSE_ADDRESS:
	case PL_STUN_A_RESPONSE_PORT:
		m->asks_elsewhere = true;
		return 0;
	default:
		if (!pl_stun_attr_known(type)) {
			if (m->nunknown < PL_STUN_UNKNOWN_MAX)
				m->unknown[m->nunknown] = type;
			m->nunknown++;
		}
		return 0;
	}
}

int pl_stun_decode(struct pl_stun_msg *m, const uint8_t *buf, size_t len)
{
	memset(m, 0, sizeof *m);
	if (len < PL_STUN_HDR || (buf[0] & 0xC0) != 0)
		return -EBADMSG;
	size_t body = pl_be16(buf + 2);
	if (body % 4 != 0 || PL_STUN_HDR + body != len)
		return -EBADMSG;
	m->type = pl_be16(buf);
	m->method = (uint16_t)((m->type & 0x000Fu) | ((m->type & 0x00E0u) >> 1) | ((m->type & 0x3E00u) >> 2));
	m->cls = (uint8_t)(((m->type >> 7) & 2u) | ((m->type >> 4) & 1u));
	m->classic = pl_be32(buf + 4) != PL_STUN_COOKIE;
	if (m->classic)
		memcpy(m->tid, buf + 4, PL_STUN_CLASSIC_TID_LEN);
	else
		memcpy(m->tid, buf + 8, PL_STUN_TID_LEN);
	m->len = len;

	size_t off = PL_STUN_HDR;
	while (off < len) {
		if (m->has_fingerprint)
			return -EBADMSG; /* FINGERPRINT is last */
		if (len - off < 4)
			return -EBADMSG;
		uint16_t type = pl_be16(buf + off);
		size_t n = pl_be16(buf + off + 2);
		if (padded(n) > len - off - 4)
			return -EBADMSG;
		const uint8_t *v = buf + off + 4;
		if (type == PL_STUN_A_FINGERPRINT) {
			if (n != 4)
				return -EBADMSG;
			if (pl_be32(v) != (pl_stun_crc32(0, buf, off) ^ PL_STUN_FINGERPRINT_XOR))
				return -EBADMSG;
			m->has_fingerprint = true;
		} else if (m->integrity_off) {
			/* After MESSAGE-INTEGRITY only FINGERPRINT counts: the rest is not covered. */
		} else if (type == PL_STUN_A_MESSAGE_INTEGRITY) {
			if (n != PL_STUN_MI_LEN)
				return -EBADMSG;
			m->integrity_off = off;
		} else if (on_attr(m, type, v, n) != 0) {
			return -EBADMSG;
		}
		off += 4 + padded(n);
	}
	return 0;
}

const uint8_t *pl_stun_attr_find(const struct pl_stun_msg *m, const uint8_t *buf, uint16_t type, size_t *len)
{
	size_t off = PL_STUN_HDR;
	while (off + 4 <= m->len) {
		uint16_t t = pl_be16(buf + off);
		size_t n = pl_be16(buf + off + 2);
		if (padded(n) > m->len - off - 4)
			return NULL;
		if (m->integrity_off && off > m->integrity_off && t != PL_STUN_A_FINGERPRINT)
			return NULL;
		if (t == type) {
			*len = n;
			return buf + off + 4;
		}
		off += 4 + padded(n);
	}
	return NULL;
}

/* The header as it reads for an HMAC over bytes [0, end) plus the MESSAGE-INTEGRITY attribute
 * that starts at end: its length field says the message ends after that attribute. */
static void mi_header(uint8_t hdr[PL_STUN_HDR], const uint8_t *buf, size_t end)
{
	memcpy(hdr, buf, PL_STUN_HDR);
	pl_put_be16(hdr + 2, (uint16_t)(end + 4 + PL_STUN_MI_LEN - PL_STUN_HDR));
}

int pl_stun_check_integrity(const struct pl_stun_msg *m, const uint8_t *buf, pl_stun_hmac_fn hmac,
			    const uint8_t *key, size_t keylen)
{
	if (!m->integrity_off)
		return -ENOENT;
	size_t off = m->integrity_off;
	uint8_t hdr[PL_STUN_HDR], mac[PL_STUN_MI_LEN];
	mi_header(hdr, buf, off);
	hmac(mac, key, keylen, hdr, buf + PL_STUN_HDR, off - PL_STUN_HDR);
	/* Not secret-dependent timing that matters here, but a constant-time compare costs nothing. */
	uint8_t diff = 0;
	for (size_t i = 0; i < PL_STUN_MI_LEN; i++)
		diff |= (uint8_t)(mac[i] ^ buf[off + 4 + i]);
	return diff ? -EBADMSG : 0;
}

/* --- the writer --- */

static void set_length(struct pl_stun_wr *w)
{
	pl_put_be16(w->buf + 2, (uint16_t)(w->len - PL_STUN_HDR));
}

static void start(struct pl_stun_wr *w, uint8_t *buf, size_t cap, uint16_t type)
{
	memset(w, 0, sizeof *w);
	w->buf = buf;
	w->cap = cap;
	if (type & 0xC000u)
		w->err = -EINVAL;
	else if (cap < PL_STUN_HDR)
		w->err = -EMSGSIZE;
	if (w->err)
		return;
	pl_put_be16(buf, type);
	w->len = PL_STUN_HDR;
	set_length(w);
}

void pl_stun_wr_start(struct pl_stun_wr *w, uint8_t *buf, size_t cap, uint16_t type,
		      const uint8_t tid[PL_STUN_TID_LEN])
{
	start(w, buf, cap, type);
	if (w->err)
		return;
	pl_put_be32(buf + 4, PL_STUN_COOKIE);
	memcpy(buf + 8, tid, PL_STUN_TID_LEN);
}

void pl_stun_wr_start_classic(struct pl_stun_wr *w, uint8_t *buf, size_t cap, uint16_t type,
			      const uint8_t tid[PL_STUN_CLASSIC_TID_LEN])
{
	start(w, buf, cap, type);
	if (w->err)
		return;
	/* A tid that starts with the cookie would make this an RFC 8489 message. */
	if (pl_be32(tid) == PL_STUN_COOKIE) {
		w->err = -EINVAL;
		return;
	}
	memcpy(buf + 4, tid, PL_STUN_CLASSIC_TID_LEN);
	w->classic = true;
}

/* Room for an attribute with n bytes of value; returns where the value goes, or NULL. */
static uint8_t *attr_begin(struct pl_stun_wr *w, uint16_t type, size_t n)
{
	if (w->err)
		return NULL;
	if (w->sealed || n > 0xffff) {
		w->err = -EINVAL;
		return NULL;
	}
	size_t need = 4 + padded(n);
	if (need > w->cap - w->len || w->len + need - PL_STUN_HDR > 0xffff) {
		w->err = -EMSGSIZE;
		return NULL;
	}
	uint8_t *p = w->buf + w->len;
	pl_put_be16(p, type);
	pl_put_be16(p + 2, (uint16_t)n);
	memset(p + 4 + n, w->pad, padded(n) - n);
	w->len += need;
	set_length(w);
	return p + 4;
}

void pl_stun_wr_attr(struct pl_stun_wr *w, uint16_t type, const void *val, size_t len)
{
	if (len && !val && !w->err)
		w->err = -EINVAL;
	uint8_t *p = attr_begin(w, type, len);
	if (p && len)
		memcpy(p, val, len);
}

void pl_stun_wr_addr(struct pl_stun_wr *w, uint16_t type, const struct pl_stun_addr *a)
{
	bool xored = type == PL_STUN_A_XOR_MAPPED_ADDRESS;
	if (!w->err && ((a->family != 4 && a->family != 6) || (xored && w->classic)))
		w->err = -EINVAL;
	size_t alen = a->family == 6 ? 16 : 4;
	uint8_t *p = attr_begin(w, type, 4 + alen);
	if (!p)
		return;
	uint8_t key[16];
	xor_key(key, w->buf + 8);
	p[0] = 0;
	p[1] = a->family == 6 ? 2 : 1;
	pl_put_be16(p + 2, xored ? (uint16_t)(a->port ^ (PL_STUN_COOKIE >> 16)) : a->port);
	for (size_t i = 0; i < alen; i++)
		p[4 + i] = xored ? (uint8_t)(a->ip[i] ^ key[i]) : a->ip[i];
}

void pl_stun_wr_error(struct pl_stun_wr *w, unsigned code, const char *reason)
{
	size_t n = strlen(reason);
	if (!w->err && (code < 300 || code > 699 || n > PL_STUN_REASON_MAX))
		w->err = -EINVAL;
	uint8_t *p = attr_begin(w, PL_STUN_A_ERROR_CODE, 4 + n);
	if (!p)
		return;
	p[0] = p[1] = 0;
	p[2] = (uint8_t)(code / 100);
	p[3] = (uint8_t)(code % 100);
	memcpy(p + 4, reason, n);
}

void pl_stun_wr_integrity(struct pl_stun_wr *w, pl_stun_hmac_fn hmac, const uint8_t *key, size_t keylen)
{
	size_t off = w->len;
	uint8_t *p = attr_begin(w, PL_STUN_A_MESSAGE_INTEGRITY, PL_STUN_MI_LEN);
	if (!p)
		return;
	uint8_t hdr[PL_STUN_HDR];
	mi_header(hdr, w->buf, off);
	hmac(p, key, keylen, hdr, w->buf + PL_STUN_HDR, off - PL_STUN_HDR);
}

void pl_stun_wr_fingerprint(struct pl_stun_wr *w)
{
	size_t off = w->len;
	uint8_t *p = attr_begin(w, PL_STUN_A_FINGERPRINT, 4);
	if (!p)
		return;
	/* The CRC covers the header with the length that includes FINGERPRINT itself. */
	pl_put_be32(p, pl_stun_crc32(0, w->buf, off) ^ PL_STUN_FINGERPRINT_XOR);
	w->sealed = true;
}

int pl_stun_wr_finish(const struct pl_stun_wr *w)
{
	return w->err ? w->err : (int)w->len;
}
