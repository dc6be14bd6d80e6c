/*
 * rdvpair: parleyd's relay for two people who met by room code (server/rendezvous.h) and whose
 * hole punching failed (a symmetric NAT facing one that filters by port, or two symmetric NATs).
 * When both ask (RDV_RELAY), the signalling thread hands the relay thread the two public
 * addresses parleyd saw their token datagrams come from; from then on a datagram from one of them
 * to the voice port goes, unchanged, to the other, from the local address the other's datagrams
 * arrive on. What they send is their direct mode (docs/PROTOCOL.md section 19), sealed end to end:
 * parleyd reads none of it.
 *
 * The table belongs to the relay thread (no lock). It must not be a free relay for anyone or an
 * amplifier: only the two addresses that proved their tokens are paired (each on its connection's
 * IP address or /64, which server/rendezvous.c checks), each datagram goes to one
 * address and no larger than it came, each side has token buckets for datagrams and bytes (the
 * voice budgets), and a pair nobody used for PL_RDVPAIR_IDLE_MS is forgotten. A full table makes
 * room by dropping the pair idle longest.
 */
#ifndef PL_RDVPAIR_H
#define PL_RDVPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net/udp.h"

#define PL_RDVPAIR_IDLE_MS 60000u
#define PL_RDVPAIR_HASH_KEY 16 /* the index's random SipHash key (core/hmap.h) */

struct pl_rdvpairs;

/* A table of at most cap pairs (at least 1), indexed by address under hash_key (random), and each
 * side's budgets. 0 or -ENOMEM/-EINVAL. */
int pl_rdvpairs_alloc(struct pl_rdvpairs **pp, unsigned cap, const uint8_t hash_key[PL_RDVPAIR_HASH_KEY],
		      unsigned packet_rate, unsigned packet_burst, unsigned byte_rate, unsigned byte_burst);
void pl_rdvpairs_free(struct pl_rdvpairs *p);
/* New budgets (a config reload); pairs already there keep the tokens they have. */
void pl_rdvpairs_set_budgets(struct pl_rdvpairs *p, unsigned packet_rate, unsigned packet_burst, unsigned byte_rate,
			     unsigned byte_burst);
/* Pairs a and b (IPv4 or IPv6, of one family) as of now (ms). A pair either address was in before
 * is replaced. -EINVAL for two equal addresses or a family that is neither. */
int pl_rdvpairs_add(struct pl_rdvpairs *p, const struct sockaddr *a, const struct sockaddr *b, uint64_t now);
/* Pairs in the table, idle ones included until they are looked at: 0 means no lookup is needed. */
unsigned pl_rdvpairs_count(const struct pl_rdvpairs *p);

/* A datagram of len bytes from `from`, arriving at local, at now (ms):
 *   1  from is one side of a live pair and within its budgets: send it to *to (*tolen bytes of
 *      address) from *tolocal;
 *   0  from is in no live pair (an idle pair it was in is forgotten now);
 *  -1  from is a side of a pair, over its budget: drop it. */
int pl_rdvpairs_route(struct pl_rdvpairs *p, const struct sockaddr *from, const struct pl_udp_local *local,
		      size_t len, uint64_t now, const struct sockaddr **to, socklen_t *tolen,
		      const struct pl_udp_local **tolocal);

#endif
