#include "client/stunc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/addr.h"

int pl_stunc_parse(const uint8_t *buf, size_t len, const uint8_t tid[PL_STUN_TID_LEN], struct pl_stun_addr *a,
		   char *err, size_t errsz)
{
	struct pl_stun_msg m;
	if (pl_stun_classify(buf, len) != PL_DGRAM_STUN || pl_stun_decode(&m, buf, len) != 0)
		return -EAGAIN;
	if (memcmp(m.tid, tid, PL_STUN_TID_LEN) != 0 || m.method != PL_STUN_BINDING ||
	    (m.cls != PL_STUN_SUCCESS && m.cls != PL_STUN_ERROR))
		return -EAGAIN;
	if (m.cls == PL_STUN_ERROR) {
		/* The reason is the server's text: printable ASCII only, and not too much of it. */
		char reason[80];
		size_t n = 0;
		for (size_t i = 0; m.has_error && i < m.reason_len && n + 1 < sizeof reason; i++)
			reason[n++] = m.reason[i] >= 0x20 && m.reason[i] < 0x7f ? (char)m.reason[i] : '?';
		reason[n] = '\0';
		if (m.has_error)
			snprintf(err, errsz, "the server refused the request with error %u%s%s%s", m.error_code,
				 n ? " (" : "", reason, n ? ")" : "");
		else
			snprintf(err, errsz, "the server answered with an error response that gives no error code");
		return -EPROTO;
	}
	if (m.has_xor_mapped)
		*a = m.xor_mapped;
	else if (m.has_mapped)
		*a = m.mapped;
	else {
		snprintf(err, errsz, "the server answered without a mapped address");
		return -EPROTO;
	}
	return 0;
}

void pl_stunc_fmt(const struct pl_stun_addr *a, char *buf, size_t sz)
{
	char ip[INET6_ADDRSTRLEN];
	inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->ip, ip, sizeof ip);
	snprintf(buf, sz, a->family == 6 ? "[%s]:%u" : "%s:%u", ip, a->port);
}

int pl_stunc_run(const char *target, const struct pl_env *env, FILE *out, FILE *errout)
{
	char host[256], err[512], where[300];
	uint16_t port;
	struct sockaddr_storage ss;
	socklen_t sslen;
	if (pl_hostport_split(target, host, sizeof host, &port, PL_STUNC_DEFAULT_PORT, err, sizeof err) < 0 ||
	    pl_addr_resolve(host, port, SOCK_DGRAM, &ss, &sslen, err, sizeof err) < 0) {
		fprintf(errout, "parley: --stun %s: %s\n", target, err);
		return 1;
	}
	pl_addr_fmt((struct sockaddr *)&ss, where, sizeof where);
	/* connect(): the kernel then passes up only datagrams from the server's address, and an
	 * ICMP port unreachable becomes ECONNREFUSED at once instead of a long wait. */
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, sslen) < 0) {
		fprintf(errout, "parley: cannot open a UDP socket to the STUN server %s (%s).\n", where, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}

	uint8_t tid[PL_STUN_TID_LEN], req[PL_STUN_HDR + 8], buf[1500];
	pl_env_random(env, tid, sizeof tid);
	struct pl_stun_wr w;
	pl_stun_wr_start(&w, req, sizeof req, pl_stun_type(PL_STUN_BINDING, PL_STUN_REQUEST), tid);
	pl_stun_wr_fingerprint(&w);
	size_t reqlen = (size_t)pl_stun_wr_finish(&w);

	int rc = 1, tries = 0;
	uint64_t rto = PL_STUNC_RTO_MS, start = pl_env_mono_ms(env), next = start, deadline = 0;
	for (;;) {
		uint64_t now = pl_env_mono_ms(env);
		if (tries < PL_STUNC_TRIES && now >= next) {
			if (send(fd, req, reqlen, 0) < 0 && errno != ECONNREFUSED) {
				fprintf(errout, "parley: cannot send to the STUN server %s (%s).\n", where, strerror(errno));
				break;
			}
			tries++;
			next = now + rto;
			rto *= 2;
			if (tries == PL_STUNC_TRIES)
				deadline = now + (uint64_t)PL_STUNC_RM * PL_STUNC_RTO_MS;
		}
		uint64_t until = tries < PL_STUNC_TRIES ? next : deadline;
		if (tries == PL_STUNC_TRIES && now >= deadline) {
			fprintf(errout, "parley: no answer from the STUN server %s after %d tries over %.1f seconds; check "
					"the host and port, and that nothing on the way blocks UDP.\n",
				where, tries, (double)(deadline - start) / 1000.0);
			break;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int pr = poll(&p, 1, (int)(until > now ? until - now : 0));
		if (pr < 0 && errno != EINTR) {
			fprintf(errout, "parley: waiting for the STUN server failed (%s).\n", strerror(errno));
			break;
		}
		if (pr <= 0)
			continue;
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n < 0) {
			if (errno == ECONNREFUSED) {
				fprintf(errout, "parley: nothing answers on UDP at %s (the port is closed there); check the "
						"host and port of the STUN server.\n", where);
				break;
			}
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fprintf(errout, "parley: cannot read from the STUN server %s (%s).\n", where, strerror(errno));
			break;
		}
		struct pl_stun_addr a;
		int r = pl_stunc_parse(buf, (size_t)n, tid, &a, err, sizeof err);
		if (r == -EAGAIN)
			continue;
		if (r < 0) {
			fprintf(errout, "parley: the STUN server %s did not tell us our address: %s.\n", where, err);
			break;
		}
		char mapped[PL_ADDR_STR];
		pl_stunc_fmt(&a, mapped, sizeof mapped);
		/* Our own end too: where it differs from the mapped address, a NAT is on the way. */
		struct sockaddr_storage self;
		socklen_t selflen = sizeof self;
		char local[PL_ADDR_STR] = "?";
		if (getsockname(fd, (struct sockaddr *)&self, &selflen) == 0)
			pl_addr_fmt((struct sockaddr *)&self, local, sizeof local);
		fprintf(out, "mapped %s\nlocal %s\n", mapped, local);
		fflush(out);
		rc = 0;
		break;
	}
	close(fd);
	return rc;
}
