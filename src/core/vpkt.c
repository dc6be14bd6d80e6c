#include "core/vpkt.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "core/buf.h"

static uint64_t be64(const uint8_t *p) { return (uint64_t)pl_be32(p) << 32 | pl_be32(p + 4); }

static void put_be64(uint8_t *p, uint64_t v)
{
	pl_put_be32(p, (uint32_t)(v >> 32));
	pl_put_be32(p + 4, (uint32_t)v);
}

/* The one size a fixed-size type's payload must have; 0 for VOICE, -1 for an unknown type. */
static int fixed_payload(uint8_t type)
{
	switch (type) {
	case PL_VPKT_VOICE:
		return 0;
	case PL_VPKT_BIND:
		return PL_VBIND_PAYLOAD;
	case PL_VPKT_BIND_ACK:
		return PL_VACK_PAYLOAD;
	case PL_VPKT_CHALLENGE:
		return PL_VCHALLENGE_PAYLOAD;
	case PL_VPKT_CONFIRM:
		return PL_VCONFIRM_PAYLOAD;
	default:
		return -1;
	}
}

int pl_vpkt_decode(struct pl_vpkt *v, const uint8_t *buf, size_t len)
{
	if (len < PL_VPKT_HDR || len > PL_VPKT_MAX)
		return -EBADMSG;
	if (buf[0] != PL_VPKT_VERSION)
		return -EBADMSG;
	int want = fixed_payload(buf[1]);
	size_t plen = len - PL_VPKT_HDR;
	if (want < 0 || (want == 0 && plen == 0) || (want > 0 && plen != (size_t)want))
		return -EBADMSG;
	v->type = buf[1];
	v->sender = be64(buf + 2);
	v->seq = pl_be16(buf + 10);
	v->ts = pl_be32(buf + 12);
	v->payload = buf + PL_VPKT_HDR;
	v->plen = plen;
	return 0;
}

int pl_vpkt_encode(const struct pl_vpkt *v, uint8_t *buf, size_t cap)
{
	if (v->plen > PL_VPKT_MAX_PAYLOAD || (v->plen && !v->payload))
		return -EINVAL;
	if (cap < PL_VPKT_HDR + v->plen)
		return -EMSGSIZE;
	buf[0] = PL_VPKT_VERSION;
	buf[1] = v->type;
	put_be64(buf + 2, v->sender);
	pl_put_be16(buf + 10, v->seq);
	pl_put_be32(buf + 12, v->ts);
	for (size_t i = 0; i < v->plen; i++)
		buf[PL_VPKT_HDR + i] = v->payload[i];
	return (int)(PL_VPKT_HDR + v->plen);
}

uint64_t pl_vpkt_counter(const struct pl_vpkt *v)
{
	return v->plen >= 8 ? be64(v->payload) : 0;
}

/* The first 16 bytes of HMAC-SHA-256 over the first len bytes of the packet. The type byte is
 * covered, so a BIND's MAC never checks as a CONFIRM's or the reverse. */
static void packet_mac(uint8_t out[PL_VBIND_MAC_LEN], const uint8_t *raw, size_t len, const uint8_t key[32])
{
	uint8_t full[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256(full, raw, len, key);
	for (int i = 0; i < PL_VBIND_MAC_LEN; i++)
		out[i] = full[i];
}

/* A header of type with seq and ts 0, then the u64 counter; the rest of the payload is the
 * caller's. Returns the whole packet's length. */
static int make_counted(uint8_t *buf, size_t cap, uint8_t type, uint64_t sender, uint64_t counter)
{
	size_t plen = (size_t)fixed_payload(type);
	struct pl_vpkt v = {.type = type, .sender = sender};
	if (cap < PL_VPKT_HDR + plen)
		return -EMSGSIZE;
	pl_vpkt_encode(&v, buf, cap); /* the header alone */
	memset(buf + PL_VPKT_HDR, 0, plen);
	put_be64(buf + PL_VPKT_HDR, counter);
	return (int)(PL_VPKT_HDR + plen);
}

int pl_vbind_make(uint8_t *buf, size_t cap, uint64_t sender, uint64_t counter,
		  const uint8_t key[32])
{
	int n = make_counted(buf, cap, PL_VPKT_BIND, sender, counter);
	if (n < 0)
		return n;
	packet_mac(buf + PL_VPKT_HDR + 8, buf, PL_VPKT_HDR + 8, key);
	return n;
}

int pl_vbind_check(const struct pl_vpkt *v, const uint8_t *raw, const uint8_t key[32],
		   uint64_t *counter)
{
	if (v->type != PL_VPKT_BIND || v->plen != PL_VBIND_PAYLOAD)
		return -EBADMSG;
	uint8_t mac[PL_VBIND_MAC_LEN];
	packet_mac(mac, raw, PL_VPKT_HDR + 8, key);
	if (sodium_memcmp(mac, v->payload + 8, PL_VBIND_MAC_LEN) != 0)
		return -EBADMSG;
	*counter = be64(v->payload);
	return 0;
}

int pl_vchallenge_make(uint8_t *buf, size_t cap, uint64_t sender, uint64_t counter,
		       const uint8_t cookie[PL_VCOOKIE_LEN])
{
	int n = make_counted(buf, cap, PL_VPKT_CHALLENGE, sender, counter);
	if (n < 0)
		return n;
	memcpy(buf + PL_VPKT_HDR + 8, cookie, PL_VCOOKIE_LEN);
	return n;
}

int pl_vack_make(uint8_t *buf, size_t cap, uint64_t sender, uint64_t counter)
{
	return make_counted(buf, cap, PL_VPKT_BIND_ACK, sender, counter);
}

int pl_vconfirm_make(uint8_t *buf, size_t cap, uint64_t sender, uint64_t counter,
		     const uint8_t cookie[PL_VCOOKIE_LEN], const uint8_t key[32])
{
	int n = make_counted(buf, cap, PL_VPKT_CONFIRM, sender, counter);
	if (n < 0)
		return n;
	memcpy(buf + PL_VPKT_HDR + 8, cookie, PL_VCOOKIE_LEN);
	packet_mac(buf + PL_VPKT_HDR + 8 + PL_VCOOKIE_LEN, buf, PL_VPKT_HDR + 8 + PL_VCOOKIE_LEN, key);
	return n;
}

int pl_vconfirm_check(const struct pl_vpkt *v, const uint8_t *raw, const uint8_t key[32],
		      uint64_t *counter, const uint8_t **cookie)
{
	if (v->type != PL_VPKT_CONFIRM || v->plen != PL_VCONFIRM_PAYLOAD)
		return -EBADMSG;
	uint8_t mac[PL_VBIND_MAC_LEN];
	packet_mac(mac, raw, PL_VPKT_HDR + 8 + PL_VCOOKIE_LEN, key);
	if (sodium_memcmp(mac, v->payload + 8 + PL_VCOOKIE_LEN, PL_VBIND_MAC_LEN) != 0)
		return -EBADMSG;
	*counter = be64(v->payload);
	*cookie = v->payload + 8;
	return 0;
}
