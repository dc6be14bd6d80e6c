#include "net/udp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net/addr.h"

static int nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -errno : 0;
}

int pl_udp_bind(const char *host, uint16_t port, uint16_t *bound, char *err, size_t errsz)
{
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof ss);
	int fd = -1;
	if (!host || !*host) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_any;
		s6->sin6_port = htons(port);
		len = sizeof *s6;
		fd = socket(AF_INET6, SOCK_DGRAM, 0);
		if (fd >= 0) {
			int off = 0;
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
			memset(&ss, 0, sizeof ss);
			s4->sin_family = AF_INET;
			s4->sin_addr.s_addr = htonl(INADDR_ANY);
			s4->sin_port = htons(port);
			len = sizeof *s4;
		}
	} else if (pl_addr_resolve(host, port, SOCK_DGRAM, &ss, &len, err, errsz)) {
		return -EINVAL;
	}
	if (fd < 0)
		fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0 || nonblock(fd) < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0) {
		int e = errno;
		snprintf(err, errsz, "Cannot listen for voice on UDP port %u (%s); %s", port, strerror(e),
			 e == EADDRINUSE ? "another program uses it: choose another port." : "check the address.");
		if (fd >= 0)
			close(fd);
		return -e;
	}
	int rcvbuf = 1 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	len = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &len);
	*bound = pl_addr_port((struct sockaddr *)&ss);
	return fd;
}

int pl_udp_socket_for(const struct sockaddr *to, char *err, size_t errsz)
{
	int fd = socket(to->sa_family, SOCK_DGRAM, 0);
	if (fd < 0 || nonblock(fd) < 0) {
		snprintf(err, errsz, "Cannot open a UDP socket for voice (%s).", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	return fd;
}

int pl_udp_recv(int fd, struct pl_udp_rx *rx)
{
	for (int i = 0; i < PL_UDP_RX_BATCH; i++) {
		rx->iov[i].iov_base = rx->buf[i];
		rx->iov[i].iov_len = PL_UDP_BUF;
		memset(&rx->msgs[i].msg_hdr, 0, sizeof rx->msgs[i].msg_hdr);
		rx->msgs[i].msg_hdr.msg_iov = &rx->iov[i];
		rx->msgs[i].msg_hdr.msg_iovlen = 1;
		rx->msgs[i].msg_hdr.msg_name = &rx->from[i];
		rx->msgs[i].msg_hdr.msg_namelen = sizeof rx->from[i];
	}
	int n = recvmmsg(fd, rx->msgs, PL_UDP_RX_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -errno;
	return n;
}

void pl_udp_tx_add(struct pl_udp_tx *tx, int fd, const void *data, size_t len,
		   const struct sockaddr *to, socklen_t tolen)
{
	if (tx->n == PL_UDP_TX_BATCH)
		pl_udp_tx_flush(tx, fd);
	unsigned i = tx->n++;
	tx->iov[i].iov_base = (void *)data;
	tx->iov[i].iov_len = len;
	memset(&tx->msgs[i].msg_hdr, 0, sizeof tx->msgs[i].msg_hdr);
	tx->msgs[i].msg_hdr.msg_iov = &tx->iov[i];
	tx->msgs[i].msg_hdr.msg_iovlen = 1;
	tx->msgs[i].msg_hdr.msg_name = (void *)to;
	tx->msgs[i].msg_hdr.msg_namelen = tolen;
}

void pl_udp_tx_flush(struct pl_udp_tx *tx, int fd)
{
	unsigned done = 0;
	while (done < tx->n) {
		int n = sendmmsg(fd, tx->msgs + done, tx->n - done, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* The datagram at `done` failed (full buffer, unreachable): drop it, go on. */
			tx->failed++;
			done++;
			continue;
		}
		tx->sent += (unsigned)n;
		done += (unsigned)n;
	}
	tx->n = 0;
}
