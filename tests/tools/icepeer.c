/*
 * icepeer: core/ice.h's agent over real UDP sockets, for the NAT lab (tests/integration/
 * test_natlab.py) before the agent is wired into calls. IPv4 only.
 *
 *   icepeer --stun IP:PORT --stun2 IP:PORT [--controlling] [--socks N] [--budget N] [--run-ms MS]
 *           [--hold-ms MS]
 *
 * It asks both STUN addresses (parleyd's voice port and its stun_port) from its one socket: the
 * first answer is its server-reflexive candidate, and two different answers mean a symmetric NAT.
 * It prints "desc HEX" (its description, core/ice.h's encoding), reads the peer's as one line
 * "desc HEX" on stdin, runs the agent for --run-ms (default 8000; or until --hold-ms after the
 * first direct path) and prints one line per event:
 *   direct path=P rtt=MS sock=N remote=IP:PORT t=MS   (t: since the peer's description came)
 *   relay t=MS
 * Once direct it sends a small datagram (first byte 2, as a voice packet) every 20 ms on the path,
 * and counts those that arrive, so the last line shows that the path carries media both ways:
 *   stats symmetric=0|1 checks=N probes=N hard=N rounds=N media_out=N media_in=N
 * The two peers' keys are fixed test keys: this tool proves paths, not secrecy.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/env.h"
#include "core/ice.h"
#include "core/stun.h"
#include "net/stun_mi.h"

#define MAX_SOCKS (1 + PL_ICE_PROBE_SOCKS_MAX)

static const uint8_t key_caller[] = "icepeer test key, caller's", key_callee[] = "icepeer test key, callee's";

static void to_sin(const struct pl_stun_addr *a, struct sockaddr_in *s)
{
	memset(s, 0, sizeof *s);
	s->sin_family = AF_INET;
	s->sin_port = htons(a->port);
	memcpy(&s->sin_addr, a->ip, 4);
}

static void from_sin(const struct sockaddr_in *s, struct pl_stun_addr *a)
{
	memset(a, 0, sizeof *a);
	a->family = 4;
	a->port = ntohs(s->sin_port);
	memcpy(a->ip, &s->sin_addr, 4);
}

static int parse_v4(const char *s, struct pl_stun_addr *a)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof host)
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	struct in_addr in;
	int port = atoi(colon + 1);
	if (inet_pton(AF_INET, host, &in) != 1 || port <= 0 || port > 65535)
		return -1;
	memset(a, 0, sizeof *a);
	a->family = 4;
	a->port = (uint16_t)port;
	memcpy(a->ip, &in, 4);
	return 0;
}

static void fmt(const struct pl_stun_addr *a, char *buf, size_t sz)
{
	char ip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, a->ip, ip, sizeof ip);
	snprintf(buf, sz, "%s:%u", ip, a->port);
}

static int udp_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in any = {.sin_family = AF_INET};
	if (fd < 0 || bind(fd, (struct sockaddr *)&any, sizeof any) < 0)
		return -1;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* One Binding request to server from fd, retried; 0 with the mapped address, or -1. */
static int stun_ask(int fd, const struct pl_stun_addr *server, struct pl_stun_addr *mapped)
{
	uint8_t tid[PL_STUN_TID_LEN], req[64], buf[512];
	pl_env_random(pl_env_system(), tid, sizeof tid);
	struct pl_stun_wr w;
	pl_stun_wr_start(&w, req, sizeof req, pl_stun_type(PL_STUN_BINDING, PL_STUN_REQUEST), tid);
	pl_stun_wr_fingerprint(&w);
	int n = pl_stun_wr_finish(&w);
	struct sockaddr_in to;
	to_sin(server, &to);
	for (int tries = 0; tries < 6 && n > 0; tries++) {
		sendto(fd, req, (size_t)n, 0, (struct sockaddr *)&to, sizeof to);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		while (poll(&p, 1, 300) > 0) {
			ssize_t got = recv(fd, buf, sizeof buf, 0);
			struct pl_stun_msg m;
			if (got > 0 && pl_stun_decode(&m, buf, (size_t)got) == 0 &&
			    memcmp(m.tid, tid, sizeof tid) == 0 && m.cls == PL_STUN_SUCCESS && m.has_xor_mapped) {
				*mapped = m.xor_mapped;
				return 0;
			}
		}
	}
	return -1;
}

static int unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	while (s[0] && s[1] && s[0] != '\n') {
		unsigned v;
		if (n == cap || sscanf(s, "%2x", &v) != 1)
			return -1;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return (int)n;
}

int main(int argc, char **argv)
{
	struct pl_stun_addr stun1 = {0}, stun2 = {0};
	bool controlling = false, have1 = false, have2 = false;
	unsigned socks = 0;
	long run_ms = 8000, hold_ms = 0;
	unsigned budget = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--stun") && i + 1 < argc)
			have1 = parse_v4(argv[++i], &stun1) == 0;
		else if (!strcmp(argv[i], "--stun2") && i + 1 < argc)
			have2 = parse_v4(argv[++i], &stun2) == 0;
		else if (!strcmp(argv[i], "--controlling"))
			controlling = true;
		else if (!strcmp(argv[i], "--socks") && i + 1 < argc)
			socks = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--run-ms") && i + 1 < argc)
			run_ms = atol(argv[++i]);
		else if (!strcmp(argv[i], "--hold-ms") && i + 1 < argc)
			hold_ms = atol(argv[++i]);
		else if (!strcmp(argv[i], "--budget") && i + 1 < argc)
			budget = (unsigned)atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: icepeer --stun IP:PORT --stun2 IP:PORT [--controlling] [--socks N] "
					"[--budget N] [--run-ms MS] [--hold-ms MS]\n");
			return 2;
		}
	}
	if (!have1 || !have2 || socks > PL_ICE_PROBE_SOCKS_MAX || budget > PL_ICE_PROBE_BUDGET_MAX) {
		fprintf(stderr, "icepeer: --stun and --stun2 need IPv4 IP:PORT, --socks is at most %d and --budget "
				"at most %d.\n", PL_ICE_PROBE_SOCKS_MAX, PL_ICE_PROBE_BUDGET_MAX);
		return 2;
	}
	const struct pl_env *env = pl_env_system();
	int fds[MAX_SOCKS];
	unsigned nfds = 1;
	fds[0] = udp_socket();
	struct pl_stun_addr m1, m2, host;
	if (fds[0] < 0 || stun_ask(fds[0], &stun1, &m1) < 0 || stun_ask(fds[0], &stun2, &m2) < 0) {
		fprintf(stderr, "icepeer: no STUN answer from the two addresses given; is parleyd running?\n");
		return 1;
	}
	bool symmetric = !pl_ice_addr_eq(&m1, &m2);
	/* This host's address toward the STUN server, and the socket's port. */
	int probe = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin;
	socklen_t sl = sizeof sin;
	to_sin(&stun1, &sin);
	connect(probe, (struct sockaddr *)&sin, sizeof sin);
	getsockname(probe, (struct sockaddr *)&sin, &sl);
	close(probe);
	from_sin(&sin, &host);
	sl = sizeof sin;
	getsockname(fds[0], (struct sockaddr *)&sin, &sl);
	host.port = ntohs(sin.sin_port);

	struct pl_ice_config cfg = {
		.controlling = controlling,
		.env = env,
		.hmac = pl_stun_hmac_sha1,
		.key_local = controlling ? key_caller : key_callee,
		.key_local_len = sizeof key_caller,
		.key_remote = controlling ? key_callee : key_caller,
		.key_remote_len = sizeof key_caller,
		.symmetric = symmetric,
		.probe_socks = symmetric ? socks : 0,
		.probe_budget = budget,
	};
	struct pl_ice *ice;
	if (pl_ice_new(&ice, &cfg) != 0)
		return 1;
	struct pl_ice_cand c = {.type = PL_ICE_HOST, .foundation = 1, .addr = host};
	pl_ice_add_local(ice, &c);
	if (!pl_ice_addr_eq(&m1, &host)) {
		c = (struct pl_ice_cand){.type = PL_ICE_SRFLX, .foundation = 2, .addr = m1};
		pl_ice_add_local(ice, &c);
	}
	struct pl_ice_desc d;
	uint8_t enc[PL_ICE_DESC_MAX];
	pl_ice_local_desc(ice, &d);
	int n = pl_ice_desc_encode(&d, enc, sizeof enc);
	printf("desc ");
	for (int i = 0; i < n; i++)
		printf("%02x", enc[i]);
	printf("\n");
	fflush(stdout);

	char line[2 * PL_ICE_DESC_MAX + 16];
	if (!fgets(line, sizeof line, stdin) || strncmp(line, "desc ", 5) != 0) {
		fprintf(stderr, "icepeer: expected the peer's \"desc HEX\" line on stdin.\n");
		return 1;
	}
	struct pl_ice_desc r;
	int rl = unhex(line + 5, enc, sizeof enc);
	if (rl < 0 || pl_ice_desc_decode(&r, enc, (size_t)rl) != 0 || pl_ice_set_remote(ice, &r) != 0) {
		fprintf(stderr, "icepeer: the peer's description does not decode.\n");
		return 1;
	}
	uint64_t t0 = pl_env_mono_ms(env), now = t0, next_media = 0, end = t0 + (uint64_t)run_ms;
	pl_ice_start(ice, now);
	bool direct = false;
	struct pl_ice_event path = {0};
	unsigned media_out = 0, media_in = 0;
	static struct pollfd pfd[MAX_SOCKS];
	while ((now = pl_env_mono_ms(env)) < end) {
		pl_ice_tick(ice, now);
		struct pl_ice_tx tx;
		while (pl_ice_pop_tx(ice, &tx)) {
			if (tx.sock >= nfds)
				continue;
			struct sockaddr_in to;
			to_sin(&tx.to, &to);
			sendto(fds[tx.sock], tx.buf, tx.len, 0, (struct sockaddr *)&to, sizeof to);
		}
		struct pl_ice_event ev;
		while (pl_ice_pop_event(ice, &ev)) {
			char a[64];
			if (ev.kind == PL_ICE_EV_DIRECT) {
				fmt(&ev.remote, a, sizeof a);
				printf("direct path=%s rtt=%u sock=%u remote=%s t=%llu\n", pl_ice_path_name(ev.path),
				       ev.rtt_ms, ev.sock, a, (unsigned long long)(now - t0));
				if (hold_ms && !direct && !path.kind && now + (uint64_t)hold_ms < end)
					end = now + (uint64_t)hold_ms;
				direct = true;
				path = ev;
			} else if (ev.kind == PL_ICE_EV_RELAY) {
				printf("relay t=%llu\n", (unsigned long long)(now - t0));
				direct = false;
			} else if (ev.kind == PL_ICE_EV_OPEN_SOCKS) {
				while (nfds < 1 + ev.nsocks && nfds < MAX_SOCKS) {
					int fd = udp_socket();
					if (fd < 0)
						break;
					fds[nfds++] = fd;
				}
			}
			fflush(stdout);
		}
		if (direct && now >= next_media && path.sock < nfds) {
			uint8_t media[24] = {2, 'm', 'e', 'd', 'i', 'a'};
			struct sockaddr_in to;
			to_sin(&path.remote, &to);
			if (sendto(fds[path.sock], media, sizeof media, 0, (struct sockaddr *)&to, sizeof to) > 0)
				media_out++;
			next_media = now + 20;
		}
		uint64_t next = pl_ice_next_ms(ice);
		int wait = next <= now ? 0 : next - now > 5 ? 5 : (int)(next - now);
		for (unsigned i = 0; i < nfds; i++)
			pfd[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
		if (poll(pfd, nfds, wait) <= 0)
			continue;
		now = pl_env_mono_ms(env);
		for (unsigned i = 0; i < nfds; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			uint8_t buf[1500];
			struct sockaddr_in from;
			socklen_t fl;
			ssize_t got;
			while ((fl = sizeof from, got = recvfrom(fds[i], buf, sizeof buf, 0, (struct sockaddr *)&from,
								  &fl)) >= 0) {
				struct pl_stun_addr fa;
				from_sin(&from, &fa);
				if (pl_ice_input(ice, (uint16_t)i, &fa, buf, (size_t)got, now) == 0 && got == 24 &&
				    memcmp(buf, "\x02media", 6) == 0)
					media_in++;
			}
		}
	}
	const struct pl_ice_stats *st = pl_ice_stats(ice);
	printf("stats symmetric=%d checks=%u probes=%u hard=%u rounds=%u media_out=%u media_in=%u\n", symmetric,
	       st->checks_sent, st->probes_sent, st->hard_probes_sent, st->bday_rounds, media_out, media_in);
	pl_ice_free(ice);
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
	return 0;
}
