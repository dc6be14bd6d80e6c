#include "net/udp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net/addr.h"

static int nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -errno : 0;
}

static bool is_wildcard(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)ss;
		return IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr) ||
		       (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) && s6->sin6_addr.s6_addr32[3] == htonl(INADDR_ANY));
	}
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)ss;
	return s4->sin_addr.s_addr == htonl(INADDR_ANY);
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
	int rcvbuf = 1 << 20, on = 1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	/* On a wildcard address, each datagram's local address, so that replies leave from it
	 * (udp.h); on an IPv6 socket IP_PKTINFO covers the IPv4 datagrams that arrive v4-mapped. A
	 * socket bound to one address always sends from it: it asks for nothing, and its sends carry
	 * no control message, which the kernel would have to check per datagram. */
	if (is_wildcard(&ss)) {
		if (ss.ss_family == AF_INET6 &&
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on) < 0) {
			int e = errno;
			snprintf(err, errsz, "Cannot ask for the local address of voice datagrams (%s).",
				 strerror(e));
			close(fd);
			return -e;
		}
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
	}
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

/* The local address from a received datagram's control messages. IP_PKTINFO wins where both
 * came (an IPv4 datagram on an IPv6 socket): its ipi_spec_dst is the address to answer from
 * even when the datagram was sent to a broadcast address. */
static void parse_local(struct msghdr *h, struct pl_udp_local *l)
{
	l->family = 0;
	if (h->msg_flags & MSG_CTRUNC)
		return;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof pi);
			l->family = AF_INET;
			l->ifindex = 0;
			l->addr.v4 = pi.ipi_spec_dst;
			return;
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof pi);
			if (IN6_IS_ADDR_MULTICAST(&pi.ipi6_addr))
				continue; /* no source to answer from: let routing choose */
			l->family = AF_INET6;
			l->addr.v6 = pi.ipi6_addr;
			/* The interface matters only for a link-local address; elsewhere routing
			 * chooses it, as for any other datagram. */
			l->ifindex = IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr) ? (int)pi.ipi6_ifindex : 0;
		}
	}
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
		rx->msgs[i].msg_hdr.msg_control = rx->ctrl[i];
		rx->msgs[i].msg_hdr.msg_controllen = sizeof rx->ctrl[i];
	}
	int n = recvmmsg(fd, rx->msgs, PL_UDP_RX_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -errno;
	for (int i = 0; i < n; i++)
		parse_local(&rx->msgs[i].msg_hdr, &rx->local[i]);
	return n;
}

/* Writes the control message that makes datagram i leave from local. */
static void set_source(struct pl_udp_tx *tx, unsigned i, const struct pl_udp_local *local)
{
	struct msghdr *h = &tx->msgs[i].msg_hdr;
	memset(tx->ctrl[i], 0, sizeof tx->ctrl[i]);
	h->msg_control = tx->ctrl[i];
	struct cmsghdr *c = (struct cmsghdr *)(void *)tx->ctrl[i];
	if (local->family == AF_INET) {
		struct in_pktinfo pi = {.ipi_spec_dst = local->addr.v4};
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof pi);
		memcpy(CMSG_DATA(c), &pi, sizeof pi);
		h->msg_controllen = CMSG_SPACE(sizeof pi);
	} else {
		struct in6_pktinfo pi = {.ipi6_addr = local->addr.v6, .ipi6_ifindex = (unsigned)local->ifindex};
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof pi);
		memcpy(CMSG_DATA(c), &pi, sizeof pi);
		h->msg_controllen = CMSG_SPACE(sizeof pi);
	}
}

void pl_udp_tx_add(struct pl_udp_tx *tx, int fd, const void *data, size_t len,
		   const struct sockaddr *to, socklen_t tolen, const struct pl_udp_local *local)
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
	if (local && (local->family == AF_INET || local->family == AF_INET6))
		set_source(tx, i, local);
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
