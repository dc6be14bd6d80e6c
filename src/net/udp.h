/*
 * udp: non-blocking UDP sockets and batched I/O (recvmmsg/sendmmsg) for the voice path. The batch
 * structures are allocated once by their owner; receiving and sending never allocate.
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
 * where the machine has IPv6. Returns the fd (>= 0) and the bound port, or -errno with a
 * sentence in err. */
int pl_udp_bind(const char *host, uint16_t port, uint16_t *bound, char *err, size_t errsz);
/* A non-blocking UDP socket of the family of `to`, bound to an ephemeral port. */
int pl_udp_socket_for(const struct sockaddr *to, char *err, size_t errsz);

struct pl_udp_rx {
	struct mmsghdr msgs[PL_UDP_RX_BATCH];
	struct iovec iov[PL_UDP_RX_BATCH];
	struct sockaddr_storage from[PL_UDP_RX_BATCH];
	uint8_t buf[PL_UDP_RX_BATCH][PL_UDP_BUF];
};

struct pl_udp_tx {
	struct mmsghdr msgs[PL_UDP_TX_BATCH];
	struct iovec iov[PL_UDP_TX_BATCH];
	unsigned n;
	uint64_t sent, failed;
};

/* Receives up to PL_UDP_RX_BATCH datagrams; returns how many (0 when none are waiting), or -errno.
 * Datagram i is rx->buf[i] of rx->msgs[i].msg_len bytes from rx->from[i]. */
int pl_udp_recv(int fd, struct pl_udp_rx *rx);

/* Queues a datagram; data and to must stay valid until the next flush. Flushes when full. */
void pl_udp_tx_add(struct pl_udp_tx *tx, int fd, const void *data, size_t len,
		   const struct sockaddr *to, socklen_t tolen);
/* Sends everything queued. A datagram the kernel refuses is counted in failed and skipped. */
void pl_udp_tx_flush(struct pl_udp_tx *tx, int fd);

static inline socklen_t pl_sockaddr_len(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

#endif
