#include "core/vpkt.h"

#include <errno.h>
#include <sodium.h>

#include "core/buf.h"

int pl_vpkt_decode(struct pl_vpkt *v, const uint8_t *buf, size_t len)
{
	if (len < PL_VPKT_HDR || len > PL_VPKT_MAX)
		return -EBADMSG;
	if (buf[0] != PL_VPKT_VERSION)
		return -EBADMSG;
	v->type = buf[1];
	v->sender = pl_be32(buf + 2);
	v->seq = pl_be16(buf + 6);
	v->ts = pl_be32(buf + 8);
	v->payload = buf + PL_VPKT_HDR;
	v->plen = len - PL_VPKT_HDR;
	switch (v->type) {
	case PL_VPKT_VOICE:
		return v->plen > 0 ? 0 : -EBADMSG;
	case PL_VPKT_BIND:
		return v->plen == PL_VBIND_PAYLOAD ? 0 : -EBADMSG;
	case PL_VPKT_BIND_ACK:
		return v->plen == 8 ? 0 : -EBADMSG;
	default:
		return -EBADMSG;
	}
}

int pl_vpkt_encode(const struct pl_vpkt *v, uint8_t *buf, size_t cap)
{
	if (v->plen > PL_VPKT_MAX_PAYLOAD || (v->plen && !v->payload))
		return -EINVAL;
	if (cap < PL_VPKT_HDR + v->plen)
		return -EMSGSIZE;
	buf[0] = PL_VPKT_VERSION;
	buf[1] = v->type;
	pl_put_be32(buf + 2, v->sender);
	pl_put_be16(buf + 6, v->seq);
	pl_put_be32(buf + 8, v->ts);
	for (size_t i = 0; i < v->plen; i++)
		buf[PL_VPKT_HDR + i] = v->payload[i];
	return (int)(PL_VPKT_HDR + v->plen);
}

static void bind_mac(uint8_t out[PL_VBIND_MAC_LEN], const uint8_t *hdr_and_counter,
		     const uint8_t key[32])
{
	uint8_t full[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256(full, hdr_and_counter, PL_VPKT_HDR + 8, key);
	for (int i = 0; i < PL_VBIND_MAC_LEN; i++)
		out[i] = full[i];
}

int pl_vbind_make(uint8_t *buf, size_t cap, uint32_t sender, uint64_t counter,
		  const uint8_t key[32])
{
	uint8_t payload[PL_VBIND_PAYLOAD] = {0};
	struct pl_vpkt v = {.type = PL_VPKT_BIND, .sender = sender, .payload = payload,
			    .plen = sizeof payload};
	int n = pl_vpkt_encode(&v, buf, cap);
	if (n < 0)
		return n;
	pl_put_be32(buf + PL_VPKT_HDR, (uint32_t)(counter >> 32));
	pl_put_be32(buf + PL_VPKT_HDR + 4, (uint32_t)counter);
	bind_mac(buf + PL_VPKT_HDR + 8, buf, key);
	return n;
}

int pl_vbind_check(const struct pl_vpkt *v, const uint8_t *raw, const uint8_t key[32],
		   uint64_t *counter)
{
	if (v->type != PL_VPKT_BIND || v->plen != PL_VBIND_PAYLOAD)
		return -EBADMSG;
	uint8_t mac[PL_VBIND_MAC_LEN];
	bind_mac(mac, raw, key);
	if (sodium_memcmp(mac, v->payload + 8, PL_VBIND_MAC_LEN) != 0)
		return -EBADMSG;
	*counter = (uint64_t)pl_be32(v->payload) << 32 | pl_be32(v->payload + 4);
	return 0;
}
