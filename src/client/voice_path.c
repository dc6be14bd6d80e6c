/* voice_path: the voice engine's peer path (see voice.h): media to a call's direct peer instead
 * of the relay, from the voice socket or a probe socket that won, and datagrams that are not
 * voice handed to a hook (STUN checks, direct-mode signalling). */
#include "client/voice_int.h"

#include <errno.h>
#include <string.h>

#include "net/addr.h"

/* to, in the socket's family (an IPv4 address v4-mapped on an IPv6 socket); its length, or 0. */
static socklen_t sock_addr(const struct pl_voice *v, const struct sockaddr *to, socklen_t tolen,
			   struct sockaddr_storage *out)
{
	if (!to || tolen < sizeof(struct sockaddr_in) || tolen > sizeof *out)
		return 0;
	if (to->sa_family == v->fd_family) {
		if (to->sa_family == AF_INET6 && tolen < sizeof(struct sockaddr_in6))
			return 0;
		memcpy(out, to, tolen);
		return tolen;
	}
	if (to->sa_family != AF_INET || v->fd_family != AF_INET6)
		return 0;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)to;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)out;
	memset(s6, 0, sizeof *s6);
	s6->sin6_family = AF_INET6;
	s6->sin6_port = s4->sin_port;
	s6->sin6_addr.s6_addr[10] = s6->sin6_addr.s6_addr[11] = 0xff;
	memcpy(&s6->sin6_addr.s6_addr[12], &s4->sin_addr, 4);
	return sizeof *s6;
}

int pl_voice_set_peer(struct pl_voice *v, const struct sockaddr *peer, socklen_t len, uint64_t peer_id)
{
	if (!peer) {
		v->has_peer = v->hedge = false;
		v->peer_fd = -1;
		v->peer_id = 0;
		return 0;
	}
	struct sockaddr_storage ss;
	socklen_t n = sock_addr(v, peer, len, &ss);
	if (!n)
		return -EINVAL;
	memcpy(&v->peer, &ss, n);
	v->peer_len = n;
	v->peer_id = peer_id;
	v->has_peer = true;
	if (v->pending)
		voice_start_file(v); /* the peer takes what the relay would have */
	return 0;
}

void pl_voice_set_peer_fd(struct pl_voice *v, int fd)
{
	v->peer_fd = fd;
}

int pl_voice_set_peer_via(struct pl_voice *v, int fd, const struct sockaddr *peer, socklen_t len, uint64_t peer_id)
{
	if (fd < 0 || !peer) {
		int rc = pl_voice_set_peer(v, peer, len, peer_id);
		if (rc == 0)
			v->peer_fd = -1;
		return rc;
	}
	if (!((peer->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) ||
	      (peer->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6))) ||
	    len > sizeof v->peer)
		return -EINVAL;
	memcpy(&v->peer, peer, len);
	v->peer_len = len;
	v->peer_id = peer_id;
	v->peer_fd = fd;
	v->has_peer = true;
	if (v->pending)
		voice_start_file(v);
	return 0;
}

void pl_voice_set_hedge(struct pl_voice *v, bool on)
{
	v->hedge = on;
}

void pl_voice_set_dgram_hook(struct pl_voice *v, pl_voice_dgram_fn fn, void *arg)
{
	v->hook = fn;
	v->hook_arg = arg;
}

int pl_voice_sendto(struct pl_voice *v, const void *buf, size_t len, const struct sockaddr *to, socklen_t tolen)
{
	struct sockaddr_storage ss;
	socklen_t n = sock_addr(v, to, tolen, &ss);
	if (!n)
		return -EAFNOSUPPORT;
	if (sendto(v->fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&ss, n) < 0)
		return -errno;
	return 0;
}

uint16_t pl_voice_local_port(const struct pl_voice *v)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getsockname(v->fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	return pl_addr_port((struct sockaddr *)&ss);
}
