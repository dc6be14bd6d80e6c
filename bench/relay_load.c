/*
 * relay_load: a load generator for parleyd's voice relay (and for bench/udp_echo, its floor).
 *
 * It plays N clients of one voice room (or of R rooms of N/R, --rooms), one UDP socket each on
 * 127.0.0.1, all in this one thread (so it needs one core, not N). Each client first BINDs its
 * socket to its session (pl_vbind_make with the voice key from AUTH_OK), answers the relay's
 * CHALLENGE with a CONFIRM (pl_vconfirm_make), and retries with a rising counter until BIND_ACK
 * comes back. Then
 * the first T clients talk: VOICE packets of 60-80 bytes of payload (an Opus frame's size at
 * 24-32 kbit/s), sent round-robin among the talkers at an aggregate rate (T x 50 packets/s for a
 * real conversation, or any rate for saturation) for D seconds. Each payload carries the talker,
 * a 32-bit sequence number and the send time on CLOCK_MONOTONIC; every client counts what it
 * receives, so loss, duplicates, reordering and one-way latency (same host, same clock) come out
 * exactly. The latency is taken when this process reads the datagram, so it includes the relay,
 * both kernels' socket paths and this process's own wake-up.
 *
 * Input (relay mode): N lines on stdin, "SESSION HEXKEY" (the 32-byte voice key in 64 hex digits).
 * In echo mode (--mode echo) there is no stdin: sessions are 1..N, the BIND goes unchecked and
 * is acknowledged at once, with no CHALLENGE.
 * Output: one JSON line on stdout. Exit status 0, or 1 when the clients could not bind, 2 on bad
 * arguments. Every loop is bounded in count and in time.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* recvmmsg, sendmmsg (the project's build defines it too) */
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "core/vpkt.h"

#define MAX_CLIENTS 1024
#define RX_BATCH 64
/* Latency histogram: 1 us buckets up to 100 ms, then 100 us buckets up to 10 s; beyond that
 * only the count and the max. */
#define LAT_FINE 100000u
#define LAT_BUCKETS (LAT_FINE + 99000u)
#define MAGIC 0x504c424eu   /* "PLBN" */
#define PAY_MIN 60
#define PAY_MAX 80
#define BIND_ROUNDS 25
#define BIND_WAIT_NS 200000000LL
#define SEND_BURST_MAX 1024 /* per loop turn, so receiving is never starved for long */

struct client {
	int fd;
	uint16_t port;
	uint64_t session;
	uint8_t key[32];
	bool bound;
	uint64_t counter, confirmed;
	uint32_t next_seq; /* as a talker */
};

struct load {
	bool echo;
	unsigned n, t;    /* clients; talkers in all */
	unsigned rooms, per_room, t_per_room;
	unsigned talker[MAX_CLIENTS]; /* talker ordinal -> client index */
	uint16_t server_port;
	double duration, rate, drain;
	const char *label;
	int rcvbuf_req;
	int rcvbuf_got;

	struct client c[MAX_CLIENTS];
	int epfd;
	uint32_t maxseq;  /* sequence numbers per talker */
	uint8_t *seen;    /* bitmap per (receiver, talker): n * t * ceil(maxseq / 8) bytes */
	size_t seen_row;  /* bytes per bitmap */

	uint64_t sent, send_err, received, dups, reordered, self, stray, late;
	uint32_t *hiseq; /* highest sequence seen per (receiver, talker), plus 1 */
	uint32_t *lat;   /* histogram, LAT_BUCKETS */
	uint64_t lat_over, lat_n;
	int64_t lat_max;
	double lat_sum;
	int64_t t_first_send, t_last_send;
};

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static int hexkey(const char *s, uint8_t key[32])
{
	if (strlen(s) != 64)
		return -EINVAL;
	for (int i = 0; i < 32; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		key[i] = (uint8_t)v;
	}
	return 0;
}

static int open_client(struct load *L, struct client *c)
{
	c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	/* A large receive buffer (forced past rmem_max when root) keeps this side from being where
	 * datagrams are dropped; the server's socket keeps its own settings. */
	int rb = L->rcvbuf_req;
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof rb) < 0)
		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof rb);
	socklen_t sl = sizeof rb;
	if (getsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rb, &sl) == 0)
		L->rcvbuf_got = rb;
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sockaddr_in srv = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				  .sin_port = htons(L->server_port)};
	if (bind(c->fd, (struct sockaddr *)&me, sizeof me) < 0 ||
	    connect(c->fd, (struct sockaddr *)&srv, sizeof srv) < 0)
		return -errno;
	sl = sizeof me;
	getsockname(c->fd, (struct sockaddr *)&me, &sl);
	c->port = ntohs(me.sin_port);
	struct epoll_event ev = {.events = EPOLLIN};
	ev.data.u32 = (uint32_t)(c - L->c);
	if (epoll_ctl(L->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		return -errno;
	return 0;
}

/* Waits for readable sockets until deadline (monotonic ns); returns how many are in evs. */
static int wait_ready(struct load *L, struct epoll_event *evs, int max, int64_t deadline)
{
	int64_t left = deadline - mono_ns();
	if (left < 0)
		left = 0;
	if (left > 100000000LL)
		left = 100000000LL;
	struct timespec ts = {.tv_sec = left / 1000000000LL, .tv_nsec = left % 1000000000LL};
	struct pollfd p = {.fd = L->epfd, .events = POLLIN};
	if (ppoll(&p, 1, &ts, NULL) <= 0)
		return 0;
	int n = epoll_wait(L->epfd, evs, max, 0);
	return n < 0 ? 0 : n;
}

/* A reply to a client's BIND: a CHALLENGE is answered with a CONFIRM (proving that the socket
 * receives: the cookie back, with our MAC); true for the BIND_ACK that binds the client. */
static bool on_bind_reply(struct client *c, const uint8_t *buf, size_t len)
{
	struct pl_vpkt v;
	if (pl_vpkt_decode(&v, buf, len) != 0 || v.sender != c->session)
		return false;
	uint64_t counter = pl_vpkt_counter(&v);
	if (v.type == PL_VPKT_CHALLENGE && counter > c->confirmed && counter <= c->counter) {
		uint8_t conf[PL_VPKT_HDR + PL_VCONFIRM_PAYLOAD];
		c->confirmed = counter;
		int n = pl_vconfirm_make(conf, sizeof conf, c->session, counter, v.payload + 8, c->key);
		if (n > 0)
			(void)send(c->fd, conf, (size_t)n, 0);
		return false;
	}
	if (v.type != PL_VPKT_BIND_ACK || counter > c->counter)
		return false;
	c->bound = true;
	return true;
}

static int bind_all(struct load *L)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	/* Counters must rise across runs against the same server: start from the wall clock. */
	uint64_t base = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
	struct epoll_event evs[MAX_CLIENTS];
	unsigned nbound = 0;
	for (int round = 0; round < BIND_ROUNDS && nbound < L->n; round++) {
		for (unsigned i = 0; i < L->n; i++) {
			struct client *c = &L->c[i];
			if (c->bound)
				continue;
			uint8_t pkt[PL_VPKT_HDR + PL_VBIND_PAYLOAD];
			c->counter = base + (uint64_t)round;
			int len = pl_vbind_make(pkt, sizeof pkt, c->session, c->counter, c->key);
			if (L->echo && len > 0) { /* udp_echo's room number (the seq field); it checks no MAC */
				unsigned room = i / L->per_room;
				pkt[10] = (uint8_t)(room >> 8);
				pkt[11] = (uint8_t)room;
			}
			if (len > 0)
				(void)send(c->fd, pkt, (size_t)len, 0);
		}
		int64_t deadline = mono_ns() + BIND_WAIT_NS;
		for (int turn = 0; turn < 1000 && nbound < L->n && mono_ns() < deadline; turn++) {
			int ne = wait_ready(L, evs, MAX_CLIENTS, deadline);
			for (int k = 0; k < ne; k++) {
				struct client *c = &L->c[evs[k].data.u32];
				uint8_t buf[PL_VPKT_MAX];
				for (int j = 0; j < 64; j++) {
					ssize_t r = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
					if (r < 0)
						break;
					if (!c->bound && on_bind_reply(c, buf, (size_t)r))
						nbound++;
				}
			}
		}
	}
	return nbound == L->n ? 0 : -ETIMEDOUT;
}

/* Reads and forgets whatever is queued (late BIND_ACKs of retried BINDs). */
static void drain_all(struct load *L)
{
	uint8_t buf[PL_VPKT_MAX];
	for (unsigned i = 0; i < L->n; i++)
		for (int j = 0; j < 100000; j++)
			if (recv(L->c[i].fd, buf, sizeof buf, MSG_DONTWAIT) < 0)
				break;
}

static void send_one(struct load *L, uint64_t j)
{
	unsigned ti = (unsigned)(j % L->t);
	struct client *c = &L->c[L->talker[ti]];
	uint32_t seq = c->next_seq++;
	uint8_t payload[PAY_MAX];
	size_t plen = PAY_MIN + (size_t)((seq * 7919u + ti * 31u) % (PAY_MAX - PAY_MIN + 1));
	for (size_t k = 20; k < plen; k++)
		payload[k] = (uint8_t)(k * 13 + seq);
	put32(payload, MAGIC);
	put32(payload + 4, ti);
	put32(payload + 8, seq);
	memset(payload + 12, 0, 8); /* the send time, written last */
	struct pl_vpkt v = {.type = PL_VPKT_VOICE, .sender = c->session, .seq = (uint16_t)seq,
			    .ts = seq * 960u, .payload = payload, .plen = plen};
	uint8_t pkt[PL_VPKT_HDR + PAY_MAX];
	int len = pl_vpkt_encode(&v, pkt, sizeof pkt);
	int64_t t = mono_ns();
	put64(pkt + PL_VPKT_HDR + 12, (uint64_t)t);
	if (len < 0 || send(c->fd, pkt, (size_t)len, 0) != len) {
		L->send_err++;
		return;
	}
	if (!L->sent)
		L->t_first_send = t;
	L->t_last_send = t;
	L->sent++;
}

static void on_datagram(struct load *L, unsigned ri, const uint8_t *p, size_t len, int64_t now)
{
	if (len < PL_VPKT_HDR + 20 || p[1] != PL_VPKT_VOICE || get32(p + PL_VPKT_HDR) != MAGIC) {
		L->stray++;
		return;
	}
	uint32_t ti = get32(p + PL_VPKT_HDR + 4), seq = get32(p + PL_VPKT_HDR + 8);
	if (ti >= L->t || seq >= L->maxseq) {
		L->stray++;
		return;
	}
	if (L->talker[ti] == ri) {
		L->self++;
		return;
	}
	if (L->talker[ti] / L->per_room != ri / L->per_room) {
		L->stray++; /* from another room */
		return;
	}
	size_t row = (size_t)ri * L->t + ti;
	uint8_t *bm = L->seen + row * L->seen_row;
	uint8_t bit = (uint8_t)(1u << (seq & 7));
	if (bm[seq >> 3] & bit) {
		L->dups++;
		return;
	}
	bm[seq >> 3] |= bit;
	L->received++;
	if (seq + 1 < L->hiseq[row])
		L->reordered++;
	else
		L->hiseq[row] = seq + 1;
	int64_t lat_ns = now - (int64_t)get64(p + PL_VPKT_HDR + 12);
	if (lat_ns < 0)
		lat_ns = 0;
	int64_t us = lat_ns / 1000;
	int64_t idx = us < LAT_FINE ? us : LAT_FINE + (us - LAT_FINE) / 100;
	if (idx < (int64_t)LAT_BUCKETS)
		L->lat[idx]++;
	else
		L->lat_over++;
	if (us > L->lat_max)
		L->lat_max = us;
	L->lat_sum += (double)lat_ns / 1000.0;
	L->lat_n++;
}

static void receive_ready(struct load *L, const struct epoll_event *evs, int ne)
{
	static uint8_t bufs[RX_BATCH][PL_VPKT_MAX];
	static struct mmsghdr msgs[RX_BATCH];
	static struct iovec iov[RX_BATCH];
	for (int k = 0; k < ne; k++) {
		unsigned ri = evs[k].data.u32;
		for (int b = 0; b < 16; b++) {
			for (int i = 0; i < RX_BATCH; i++) {
				iov[i].iov_base = bufs[i];
				iov[i].iov_len = sizeof bufs[i];
				memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
				msgs[i].msg_hdr.msg_iov = &iov[i];
				msgs[i].msg_hdr.msg_iovlen = 1;
			}
			int n = recvmmsg(L->c[ri].fd, msgs, RX_BATCH, MSG_DONTWAIT, NULL);
			if (n <= 0)
				break;
			int64_t now = mono_ns();
			for (int i = 0; i < n; i++)
				on_datagram(L, ri, bufs[i], msgs[i].msg_len, now);
			if (n < RX_BATCH)
				break;
		}
	}
}

static void run(struct load *L)
{
	struct epoll_event evs[MAX_CLIENTS];
	uint64_t total = (uint64_t)llround(L->rate * L->duration);
	double interval = 1e9 / L->rate;
	int64_t t0 = mono_ns() + 20000000LL;
	int64_t end_all = t0 + (int64_t)(L->duration * 1e9) + (int64_t)(L->drain * 1e9);
	uint64_t j = 0;
	/* Bounded by end_all in time; the turn count is a backstop. */
	for (uint64_t turn = 0; turn < 2000000000ULL; turn++) {
		int64_t now = mono_ns();
		if (now >= end_all)
			break;
		if (j < total && now >= t0) {
			uint64_t due = (uint64_t)((double)(now - t0) / interval) + 1;
			if (due > total)
				due = total;
			for (unsigned b = 0; j < due && b < SEND_BURST_MAX; b++)
				send_one(L, j++);
		}
		int64_t next = j < total ? t0 + (int64_t)((double)j * interval) : end_all;
		int ne = wait_ready(L, evs, MAX_CLIENTS, next);
		receive_ready(L, evs, ne);
	}
	/* What is still queued arrived after the drain time: count it apart, not as received. */
	uint8_t buf[PL_VPKT_MAX];
	for (unsigned i = 0; i < L->n; i++)
		for (int k = 0; k < 1000000; k++) {
			if (recv(L->c[i].fd, buf, sizeof buf, MSG_DONTWAIT) < 0)
				break;
			L->late++;
		}
}

/* The kernel's count of datagrams dropped at our sockets (full receive buffers), from
 * /proc/net/udp. */
static uint64_t our_drops(const struct load *L)
{
	FILE *f = fopen("/proc/net/udp", "r");
	if (!f)
		return 0;
	char line[512];
	uint64_t sum = 0;
	for (int k = 0; k < 1000000 && fgets(line, sizeof line, f); k++) {
		unsigned addr, port;
		if (sscanf(line, " %*u: %x:%x", &addr, &port) != 2 || addr != 0x0100007Fu)
			continue;
		for (unsigned i = 0; i < L->n; i++) {
			if (L->c[i].port != port)
				continue;
			char *last = strrchr(line, ' ');
			if (last)
				sum += strtoull(last + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return sum;
}

static uint64_t pct(const struct load *L, double q)
{
	if (!L->lat_n)
		return 0;
	uint64_t want = (uint64_t)ceil(q * (double)L->lat_n), acc = 0;
	if (want < 1)
		want = 1;
	for (uint32_t i = 0; i < LAT_BUCKETS; i++) {
		acc += L->lat[i];
		if (acc >= want)
			return i < LAT_FINE ? i : LAT_FINE + (uint64_t)(i - LAT_FINE) * 100;
	}
	return (uint64_t)L->lat_max;
}

static void report(const struct load *L, uint64_t drops)
{
	uint64_t expected = L->sent * (L->per_room - 1);
	double window = L->sent > 1 ? (double)(L->t_last_send - L->t_first_send) / 1e9 : 0;
	if (L->sent > 1)
		window += window / (double)(L->sent - 1); /* one interval after the last packet */
	uint64_t lost = expected > L->received ? expected - L->received : 0;
	printf("{\"label\":\"%s\",\"mode\":\"%s\",\"clients\":%u,\"rooms\":%u,\"talkers\":%u,"
	       "\"duration_s\":%.3f,"
	       "\"offered_pps\":%.1f,\"sent\":%" PRIu64 ",\"send_errors\":%" PRIu64 ",\"tx_pps\":%.1f,"
	       "\"expected\":%" PRIu64 ",\"received\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"loss_pct\":%.4f,"
	       "\"dups\":%" PRIu64 ",\"reordered\":%" PRIu64 ",\"self\":%" PRIu64 ",\"stray\":%" PRIu64
	       ",\"late\":%" PRIu64 ",\"delivered_pps\":%.1f,"
	       "\"lat_us\":{\"p50\":%" PRIu64 ",\"p90\":%" PRIu64 ",\"p99\":%" PRIu64 ",\"p999\":%" PRIu64
	       ",\"max\":%" PRId64 ",\"mean\":%.1f,\"over_10s\":%" PRIu64 "},"
	       "\"client_rcvbuf\":%d,\"client_rx_drops\":%" PRIu64 "}\n",
	       L->label, L->echo ? "echo" : "relay", L->n, L->rooms, L->t, L->duration, L->rate, L->sent, L->send_err,
	       window > 0 ? (double)L->sent / window : 0.0, expected, L->received, lost,
	       expected ? 100.0 * (double)lost / (double)expected : 0.0, L->dups, L->reordered, L->self,
	       L->stray, L->late, window > 0 ? (double)L->received / window : 0.0, pct(L, 0.50),
	       pct(L, 0.90), pct(L, 0.99), pct(L, 0.999), L->lat_max,
	       L->lat_n ? L->lat_sum / (double)L->lat_n : 0.0, L->lat_over, L->rcvbuf_got, drops);
	fflush(stdout);
}

static void usage(void)
{
	fprintf(stderr,
		"Usage: relay_load --port P --clients N [--rooms R] --talkers T --duration S\n"
		"                  [--pps-per-talker R | --rate AGGREGATE] [--mode relay|echo]\n"
		"                  [--drain S] [--rcvbuf BYTES] [--label TEXT]\n"
		"Relay mode reads N lines 'SESSION HEXKEY' on stdin. The server is 127.0.0.1:P.\n"
		"R rooms of N/R consecutive clients each; the first T of each room talk; the\n"
		"aggregate rate is R x T x (--pps-per-talker, 50) unless --rate gives it.\n");
}

static int parse_args(struct load *L, int argc, char **argv)
{
	double pps = 50, rate = 0;
	L->drain = 0.5;
	L->rcvbuf_req = 4 << 20;
	L->label = "run";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			return -EINVAL;
		i++;
		if (!strcmp(a, "--port"))
			L->server_port = (uint16_t)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--clients"))
			L->n = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--rooms"))
			L->rooms = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--talkers"))
			L->t = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--duration"))
			L->duration = strtod(v, NULL);
		else if (!strcmp(a, "--pps-per-talker"))
			pps = strtod(v, NULL);
		else if (!strcmp(a, "--rate"))
			rate = strtod(v, NULL);
		else if (!strcmp(a, "--drain"))
			L->drain = strtod(v, NULL);
		else if (!strcmp(a, "--rcvbuf"))
			L->rcvbuf_req = (int)strtol(v, NULL, 10);
		else if (!strcmp(a, "--label"))
			L->label = v;
		else if (!strcmp(a, "--mode") && (!strcmp(v, "relay") || !strcmp(v, "echo")))
			L->echo = !strcmp(v, "echo");
		else
			return -EINVAL;
	}
	if (!L->rooms)
		L->rooms = 1;
	if (L->n > MAX_CLIENTS || L->rooms > L->n || L->n % L->rooms)
		return -EINVAL;
	L->per_room = L->n / L->rooms;
	L->t_per_room = L->t;
	L->t = L->t_per_room * L->rooms;
	L->rate = rate > 0 ? rate : pps * L->t;
	if (!L->server_port || L->per_room < 2 || L->t_per_room < 1 || L->t_per_room > L->per_room ||
	    !(L->duration > 0 && L->duration <= 600) || !(L->rate > 0 && L->rate <= 5e6) ||
	    !(L->drain >= 0 && L->drain <= 10) || strchr(L->label, '"') || strchr(L->label, '\\'))
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	static struct load L;
	if (parse_args(&L, argc, argv) < 0) {
		usage();
		return 2;
	}
	for (unsigned i = 0; i < L.n; i++) {
		if (L.echo) {
			L.c[i].session = i + 1;
			continue;
		}
		char line[256], hex[128];
		unsigned long long sess;
		if (!fgets(line, sizeof line, stdin) || sscanf(line, "%llu %127s", &sess, hex) != 2 ||
		    hexkey(hex, L.c[i].key) < 0) {
			fprintf(stderr, "relay_load: line %u of stdin is not 'SESSION HEXKEY'\n", i + 1);
			return 2;
		}
		L.c[i].session = (uint64_t)sess;
	}

	for (unsigned r = 0, k = 0; r < L.rooms; r++)
		for (unsigned i = 0; i < L.t_per_room; i++)
			L.talker[k++] = r * L.per_room + i;
	L.maxseq = (uint32_t)ceil(L.rate * L.duration / L.t) + 16;
	L.seen_row = (L.maxseq + 7) / 8;
	L.seen = calloc((size_t)L.n * L.t, L.seen_row);
	L.hiseq = calloc((size_t)L.n * L.t, sizeof *L.hiseq);
	L.lat = calloc(LAT_BUCKETS, sizeof *L.lat);
	L.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!L.seen || !L.hiseq || !L.lat || L.epfd < 0) {
		fprintf(stderr, "relay_load: out of memory\n");
		return 1;
	}
	for (unsigned i = 0; i < L.n; i++) {
		int rc = open_client(&L, &L.c[i]);
		if (rc < 0) {
			fprintf(stderr, "relay_load: cannot open client socket %u: %s\n", i, strerror(-rc));
			return 1;
		}
	}
	if (bind_all(&L) < 0) {
		unsigned nb = 0;
		for (unsigned i = 0; i < L.n; i++)
			nb += L.c[i].bound;
		printf("{\"label\":\"%s\",\"error\":\"only %u of %u clients got BIND_ACK\"}\n", L.label, nb, L.n);
		return 1;
	}
	struct timespec settle = {.tv_sec = 0, .tv_nsec = 100000000};
	nanosleep(&settle, NULL);
	drain_all(&L);
	uint64_t drops0 = our_drops(&L);
	run(&L);
	report(&L, our_drops(&L) - drops0);
	for (unsigned i = 0; i < L.n; i++)
		close(L.c[i].fd);
	close(L.epfd);
	free(L.seen);
	free(L.hiseq);
	free(L.lat);
	return 0;
}
