/*
 * udp_echo: the floor under parleyd's voice relay. It forwards each datagram to a fixed set of
 * listener addresses, minus the sender, with the same batched syscalls parleyd uses (pl_udp_recv
 * and pl_udp_tx_add/flush from src/net/udp.c: recvmmsg of 32, sendmmsg of up to 256, at most 8
 * receive batches per wake), on a socket bound the same way (pl_udp_bind). What it leaves out is
 * everything parleyd's relay adds: libevent, packet decoding, the session lookup, the check of the
 * source address against the BIND, the room walk. The difference between the two is the cost of
 * the relay's logic.
 *
 * The listener set is learnt before the load starts: a BIND-sized datagram whose second byte is 1
 * (a parley BIND, MAC not checked) adds its source address, once, to the room numbered by the
 * BIND's sequence field (0 when there is one room), and is answered at once with a BIND_ACK
 * echoing its counter (no CHALLENGE round: this is the floor, not a relay one can deploy), so
 * bench/relay_load drives this and parleyd the same way. A datagram from any other address is
 * forwarded to the whole of room 0 (so does a single room's worth of fan-out). Its socket comes
 * from pl_udp_bind, so it receives each datagram's local address as parleyd does, but it sends
 * without one (routing picks the source), as a forwarder that ignores multi-homing would.
 *
 * Binds 127.0.0.1 port 0 (or --port), prints "ready udp=PORT", and exits on SIGTERM/SIGINT or
 * after --max-seconds (default 600), printing its counters as one JSON line on stderr.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* recvmmsg, sendmmsg (the project's build defines it too) */
#endif

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/vpkt.h"
#include "net/addr.h"
#include "net/udp.h"

#define MAX_LISTENERS 1024
#define MAX_BATCHES_PER_WAKE 8 /* as in src/server/relay.c */
#define ACK_LEN (PL_VPKT_HDR + PL_VACK_PAYLOAD)

struct echo {
	int fd;
	struct pl_udp_rx rx;
	struct pl_udp_tx tx;
	struct sockaddr_storage lis[MAX_LISTENERS];
	socklen_t lislen[MAX_LISTENERS];
	uint16_t room[MAX_LISTENERS];
	unsigned nlis;
	uint8_t acks[PL_UDP_RX_BATCH][ACK_LEN];
	uint64_t rx_n, fwd, hellos;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_hello(struct echo *e, const uint8_t *raw, const struct sockaddr *from, unsigned i)
{
	unsigned k;
	for (k = 0; k < e->nlis; k++)
		if (pl_addr_eq(from, (const struct sockaddr *)&e->lis[k]))
			break;
	if (k == e->nlis) {
		if (e->nlis == MAX_LISTENERS)
			return;
		memcpy(&e->lis[k], from, pl_sockaddr_len(from));
		e->lislen[k] = pl_sockaddr_len(from);
		e->nlis++;
	}
	e->room[k] = (uint16_t)(raw[10] << 8 | raw[11]);
	e->hellos++;
	uint8_t *ack = e->acks[i];
	memcpy(ack, raw, ACK_LEN); /* header and counter */
	ack[1] = PL_VPKT_BIND_ACK;
	pl_udp_tx_add(&e->tx, e->fd, ack, ACK_LEN, (const struct sockaddr *)&e->lis[k], e->lislen[k], NULL);
}

static void on_readable(struct echo *e)
{
	for (int batch = 0; batch < MAX_BATCHES_PER_WAKE; batch++) {
		int n = pl_udp_recv(e->fd, &e->rx);
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			const uint8_t *raw = e->rx.buf[i];
			size_t len = e->rx.msgs[i].msg_len;
			const struct sockaddr *from = (const struct sockaddr *)&e->rx.from[i];
			e->rx_n++;
			if (len == PL_VPKT_HDR + PL_VBIND_PAYLOAD && raw[1] == PL_VPKT_BIND) {
				on_hello(e, raw, from, (unsigned)i);
				continue;
			}
			unsigned self = e->nlis;
			for (unsigned k = 0; k < e->nlis && self == e->nlis; k++)
				if (pl_addr_eq((const struct sockaddr *)&e->lis[k], from))
					self = k;
			uint16_t room = self < e->nlis ? e->room[self] : 0;
			for (unsigned k = 0; k < e->nlis; k++) {
				const struct sockaddr *to = (const struct sockaddr *)&e->lis[k];
				if (k == self || e->room[k] != room)
					continue;
				pl_udp_tx_add(&e->tx, e->fd, raw, len, to, e->lislen[k], NULL);
				e->fwd++;
			}
		}
		pl_udp_tx_flush(&e->tx, e->fd);
		if (n < PL_UDP_RX_BATCH)
			break;
	}
}

static void usage(void)
{
	fprintf(stderr, "Usage: udp_echo [--port N] [--max-seconds S]\n"
			"Forwards every datagram to the addresses that said hello (a parley BIND), minus\n"
			"the sender; binds 127.0.0.1 and prints 'ready udp=PORT'.\n");
}

int main(int argc, char **argv)
{
	unsigned long port = 0;
	double max_s = 600;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--port") && i + 1 < argc) {
			port = strtoul(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--max-seconds") && i + 1 < argc) {
			max_s = strtod(argv[++i], NULL);
		} else {
			usage();
			return 2;
		}
	}
	if (port > 65535 || !(max_s > 0 && max_s <= 86400)) {
		usage();
		return 2;
	}

	static struct echo e; /* large (the batches): not on the stack */
	char err[256];
	uint16_t bound;
	e.fd = pl_udp_bind("127.0.0.1", (uint16_t)port, &bound, err, sizeof err);
	if (e.fd < 0) {
		fprintf(stderr, "udp_echo: %s\n", err);
		return 1;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	printf("ready udp=%u\n", bound);
	fflush(stdout);

	double deadline = mono_s() + max_s;
	/* Bounded in time by the deadline and in count by the wakes that time allows. */
	for (unsigned long wakes = 0; !stop_flag && wakes < 4000000000UL; wakes++) {
		struct pollfd p = {.fd = e.fd, .events = POLLIN};
		int r = poll(&p, 1, 200);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0)
			on_readable(&e);
		if (mono_s() > deadline)
			break;
	}
	fprintf(stderr,
		"{\"udp_echo\":{\"rx\":%llu,\"forwarded\":%llu,\"hellos\":%llu,\"listeners\":%u,"
		"\"sent\":%llu,\"send_failed\":%llu}}\n",
		(unsigned long long)e.rx_n, (unsigned long long)e.fwd, (unsigned long long)e.hellos, e.nlis,
		(unsigned long long)e.tx.sent, (unsigned long long)e.tx.failed);
	close(e.fd);
	return 0;
}
