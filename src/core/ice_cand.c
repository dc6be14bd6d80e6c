/*
 * ice_cand: the candidate half of core/ice.h: RFC 8445's priorities, what an address is, and the
 * signalling codec of a side's ufrag, flags and candidates.
 */
#include "core/ice.h"

#include <errno.h>
#include <string.h>

#include "core/buf.h"

static const uint8_t type_pref[4] = {126, 100, 110, 0}; /* host, srflx, prflx, relay */

uint32_t pl_ice_priority(enum pl_ice_cand_type type, uint16_t local_pref)
{
	return ((uint32_t)type_pref[type & 3] << 24) | ((uint32_t)local_pref << 8) | (256u - 1u);
}

uint64_t pl_ice_pair_priority(uint32_t g, uint32_t d)
{
	uint64_t lo = g < d ? g : d, hi = g < d ? d : g;
	return (lo << 32) + 2 * hi + (g > d ? 1 : 0);
}

bool pl_ice_addr_eq(const struct pl_stun_addr *a, const struct pl_stun_addr *b)
{
	return a->family == b->family && a->port == b->port && memcmp(a->ip, b->ip, a->family == 6 ? 16 : 4) == 0;
}

bool pl_ice_addr_private(const struct pl_stun_addr *a)
{
	const uint8_t *ip = a->ip;
	if (a->family == 4)
		return ip[0] == 10 || (ip[0] == 172 && (ip[1] & 0xF0) == 16) || (ip[0] == 192 && ip[1] == 168) ||
		       (ip[0] == 169 && ip[1] == 254) || (ip[0] == 100 && (ip[1] & 0xC0) == 64);
	return (ip[0] & 0xFE) == 0xFC || (ip[0] == 0xFE && (ip[1] & 0xC0) == 0x80);
}

bool pl_ice_addr_usable(const struct pl_stun_addr *a)
{
	static const uint8_t zero[16];
	if (a->port == 0)
		return false;
	if (a->family == 4)
		return memcmp(a->ip, zero, 4) != 0 && (a->ip[0] & 0xF0) != 0xE0 &&
		       !(a->ip[0] == 255 && a->ip[1] == 255 && a->ip[2] == 255 && a->ip[3] == 255);
	if (a->family == 6)
		return memcmp(a->ip, zero, 16) != 0 && a->ip[0] != 0xFF;
	return false;
}

static bool ice_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

static bool ufrag_ok(const char *u, size_t n)
{
	if (n < PL_ICE_UFRAG_MIN || n > PL_ICE_UFRAG_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!ice_char((uint8_t)u[i]))
			return false;
	return true;
}

static bool cand_ok(const struct pl_ice_cand *c)
{
	return c->type <= PL_ICE_RELAY && (c->addr.family == 4 || c->addr.family == 6) && c->priority != 0 &&
	       pl_ice_addr_usable(&c->addr);
}

int pl_ice_desc_encode(const struct pl_ice_desc *d, uint8_t *buf, size_t cap)
{
	size_t ul = strnlen(d->ufrag, sizeof d->ufrag);
	if (!ufrag_ok(d->ufrag, ul) || (d->flags & ~PL_ICE_F_ALL) || d->n > PL_ICE_MAX_CANDS)
		return -EINVAL;
	size_t need = 3 + ul + 1;
	for (unsigned i = 0; i < d->n; i++) {
		if (!cand_ok(&d->c[i]))
			return -EINVAL;
		need += 2 + 2 + (d->c[i].addr.family == 6 ? 16 : 4) + 4 + 4;
	}
	if (need > cap)
		return -EMSGSIZE;
	uint8_t *p = buf;
	*p++ = PL_ICE_DESC_VERSION;
	*p++ = d->flags;
	*p++ = (uint8_t)ul;
	memcpy(p, d->ufrag, ul);
	p += ul;
	*p++ = d->n;
	for (unsigned i = 0; i < d->n; i++) {
		const struct pl_ice_cand *c = &d->c[i];
		size_t al = c->addr.family == 6 ? 16 : 4;
		*p++ = c->type;
		*p++ = c->addr.family;
		pl_put_be16(p, c->addr.port);
		p += 2;
		memcpy(p, c->addr.ip, al);
		p += al;
		pl_put_be32(p, c->priority);
		pl_put_be32(p + 4, c->foundation);
		p += 8;
	}
	return (int)(p - buf);
}

int pl_ice_desc_decode(struct pl_ice_desc *d, const uint8_t *buf, size_t len)
{
	memset(d, 0, sizeof *d);
	size_t off = 0;
	if (len < 3 || buf[0] != PL_ICE_DESC_VERSION || (buf[1] & ~PL_ICE_F_ALL))
		return -EBADMSG;
	d->flags = buf[1];
	size_t ul = buf[2];
	off = 3;
	if (ul > len - off || !ufrag_ok((const char *)buf + off, ul))
		return -EBADMSG;
	memcpy(d->ufrag, buf + off, ul);
	off += ul;
	if (len - off < 1)
		return -EBADMSG;
	unsigned n = buf[off++];
	if (n > PL_ICE_MAX_CANDS)
		return -EBADMSG;
	for (unsigned i = 0; i < n; i++) {
		struct pl_ice_cand *c = &d->c[i];
		if (len - off < 4)
			return -EBADMSG;
		c->type = buf[off];
		c->addr.family = buf[off + 1];
		c->addr.port = pl_be16(buf + off + 2);
		off += 4;
		if (c->addr.family != 4 && c->addr.family != 6)
			return -EBADMSG;
		size_t al = c->addr.family == 6 ? 16 : 4;
		if (len - off < al + 8)
			return -EBADMSG;
		memcpy(c->addr.ip, buf + off, al);
		off += al;
		c->priority = pl_be32(buf + off);
		c->foundation = pl_be32(buf + off + 4);
		off += 8;
		if (!cand_ok(c))
			return -EBADMSG;
	}
	if (off != len)
		return -EBADMSG;
	d->n = (uint8_t)n;
	return 0;
}

const char *pl_ice_path_name(enum pl_ice_path p)
{
	switch (p) {
	case PL_ICE_PATH_LAN: return "lan";
	case PL_ICE_PATH_DIRECT: return "direct";
	case PL_ICE_PATH_PUNCHED: return "punched";
	default: return "relay";
	}
}

bool pl_ice_host_wanted(const struct pl_stun_addr *a, bool loopback_only)
{
	static const uint8_t v6lo[16] = {[15] = 1};
	if ((a->family != 4 && a->family != 6) || !pl_ice_addr_usable(a))
		return false;
	bool lo = a->family == 4 ? a->ip[0] == 127 : memcmp(a->ip, v6lo, 16) == 0;
	if (lo != loopback_only)
		return false;
	if (a->family == 6 && a->ip[0] == 0xFE && (a->ip[1] & 0xC0) == 0x80)
		return false; /* link-local: it needs a scope the signalling form does not carry */
	if (a->family == 6 && a->ip[10] == 0xFF && a->ip[11] == 0xFF && !memcmp(a->ip, (const uint8_t[10]){0}, 10))
		return false; /* v4-mapped: the IPv4 address is gathered as itself */
	return true;
}

static bool addr_in(const struct pl_stun_addr *a, const struct pl_stun_addr *set, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (pl_ice_addr_eq(a, &set[i]))
			return true;
	return false;
}

bool pl_ice_addrs_diff(const struct pl_stun_addr *old, unsigned nold, const struct pl_stun_addr *cur, unsigned ncur,
		       struct pl_stun_addr *removed, unsigned *nremoved, struct pl_stun_addr *added, unsigned *nadded)
{
	*nremoved = *nadded = 0;
	for (unsigned i = 0; i < nold; i++)
		if (!addr_in(&old[i], cur, ncur) && !addr_in(&old[i], removed, *nremoved))
			removed[(*nremoved)++] = old[i];
	for (unsigned i = 0; i < ncur; i++)
		if (!addr_in(&cur[i], old, nold) && !addr_in(&cur[i], added, *nadded))
			added[(*nadded)++] = cur[i];
	return *nremoved || *nadded;
}
