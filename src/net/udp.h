/*
 * udp: non-blocking UDP sockets and batched I/O (recvmmsg/sendmmsg) for the voice path. The batch
 * structures are allocated once by their owner; receiving and sending never allocate.
 *
 * A socket bound to a wildcard address on a host with several addresses would answer from
 * whatever address the route to the peer picks, which a peer (or its NAT) that sent to another
 * of our addresses drops. So sockets that pl_udp_bind binds to a wildcard address report each
 * datagram's local address (IP_PKTINFO, IPV6_RECVPKTINFO), and a datagram can be sent from a given
 * local address.
 */
#ifndef PL_UDP_H
#define PL_UDP_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/vpkt.h"

#define PL_UDP_RX_BATCH 32
#define PL_UDP_TX_BATCH 256
#define PL_UDP_BUF 1500

/* Binds a non-blocking UDP socket. host NULL or "" means every interface, IPv6 and IPv4 both
 * where the machine has IPv6; on such a wildcard socket pl_udp_recv reports local addresses.
 * Returns the fd (>= 0) and the bound port, or -errno with a
 * sentence in err. */
int pl_udp_bind(const char *host, uint16_t port, uint16_t *bound, char *err, size_t errsz);
/* A non-blocking UDP socket of the family of `to`, bound to an ephemeral port. */
int pl_udp_socket_for(const struct sockaddr *to, char *err, size_t errsz);

/* The local address a datagram arrived on, as the kernel reported it. family 0: not known (the
 * socket does not report it), and a reply leaves from whatever address routing picks. */
struct pl_udp_local {
	sa_family_t family; /* AF_INET (from IP_PKTINFO), AF_INET6 (IPV6_PKTINFO; maybe v4-mapped) */
	int ifindex;        /* IPv6 only, kept for link-local peers */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
};

/* Room for one IP_PKTINFO and one IPV6_PKTINFO control message, and some to spare. */
#define PL_UDP_CTRL 128
/* Room for the one control message a send carries. */
#define PL_UDP_TX_CTRL 64

struct pl_udp_rx {
	struct mmsghdr msgs[PL_UDP_RX_BATCH];
	struct iovec iov[PL_UDP_RX_BATCH];
	struct sockaddr_storage from[PL_UDP_RX_BATCH];
	struct pl_udp_local local[PL_UDP_RX_BATCH];
	uint8_t ctrl[PL_UDP_RX_BATCH][PL_UDP_CTRL] __attribute__((aligned(8)));
	uint8_t buf[PL_UDP_RX_BATCH][PL_UDP_BUF];
};

struct pl_udp_tx {
	struct mmsghdr msgs[PL_UDP_TX_BATCH];
	struct iovec iov[PL_UDP_TX_BATCH];
	uint8_t ctrl[PL_UDP_TX_BATCH][PL_UDP_TX_CTRL] __attribute__((aligned(8)));
	unsigned n;
	uint64_t sent, failed;
};

/* Receives up to PL_UDP_RX_BATCH datagrams; returns how many (0 when none are waiting), or -errno.
 * Datagram i is rx->buf[i] of rx->msgs[i].msg_len bytes from rx->from[i], which arrived on the
 * local address rx->local[i]. */
int pl_udp_recv(int fd, struct pl_udp_rx *rx);

/* Queues a datagram; data and to must stay valid until the next flush (local is copied). It
 * leaves from local when that is given and known, else from the address routing picks. Flushes
 * when full. */
void pl_udp_tx_add(struct pl_udp_tx *tx, int fd, const void *data, size_t len,
		   const struct sockaddr *to, socklen_t tolen, const struct pl_udp_local *local);
/* Sends everything queued. A datagram the kernel refuses is counted in failed and skipped. */
void pl_udp_tx_flush(struct pl_udp_tx *tx, int fd);

static inline socklen_t pl_sockaddr_len(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

#endif
