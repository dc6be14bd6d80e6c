/*
 * cidr: address ranges ("192.0.2.0/24", "2001:db8::/48") for bans: parsing, matching a socket
 * address against one, and printing them back in one canonical form. A bare IPv4 address is its
 * /32; a bare IPv6 address is its /64, as per-address limits count it (net/addr.h), since one
 * subscriber usually holds a whole /64. IPv4-mapped IPv6 peers match IPv4 ranges, and an
 * IPv4-mapped range ("::ffff:192.0.2.0/120", or a bare "::ffff:192.0.2.7") is the IPv4 range it maps
 * ("192.0.2.0/24", "192.0.2.7/32").
 *
 * Pure: no socket is opened, no clock read.
 */
#ifndef PL_CIDR_H
#define PL_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PL_CIDR_STR 64 /* "ffff:...:ffff/128" and its NUL fit */

struct pl_cidr {
	uint8_t family; /* 4 or 6 */
	uint8_t bits;   /* prefix length: 0-32 or 0-128 */
	uint8_t addr[16]; /* the network, bits past the prefix zeroed; IPv4 in the first 4 bytes */
};

/* Parses "ADDR" or "ADDR/BITS". Returns 0, or -EINVAL when it is neither an IPv4 nor an IPv6
 * address, or BITS is out of range. */
int pl_cidr_parse(struct pl_cidr *c, const char *text);
/* Whether sa (AF_INET or AF_INET6) lies in c. */
bool pl_cidr_match(const struct pl_cidr *c, const struct sockaddr *sa);
/* "192.0.2.0/24", "2001:db8::/64". */
void pl_cidr_fmt(const struct pl_cidr *c, char *buf, size_t sz);

#endif
