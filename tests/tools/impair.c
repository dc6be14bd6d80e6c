/*
 * impair: a userspace UDP impairment proxy for tests and benchmarks (this kernel has no netem).
 *
 *   impair --to HOST:PORT [--listen HOST[:PORT]] [--loss PCT] [--burst P,R,H] [--delay MS]
 *          [--jitter MS] [--reorder PCT] [--dup PCT] [--seed N] [--dir both|up|down]
 *
 * Clients send to the listen address (a parley client with --udp-via HOST:PORT); each client
 * address gets a socket of its own towards --to, so the server sees one address per client, as
 * through a NAT, and what the server sends back to that socket goes back to the client. Each
 * direction has its own model (impair_model.h: random and Gilbert-Elliott loss, delay, jitter,
 * reordering, duplication), seeded with N and N+1, so a run repeats. --dir says which directions
 * are impaired (up: client to server); the other passes untouched.
 *
 * Prints "ready port=N" once listening; on SIGTERM or SIGINT prints one JSON line of counts per
 * direction and exits 0.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "impair_model.h"
#include "net/addr.h"

#define MAX_CLIENTS 64
#define QUEUE 2048          /* datagrams waiting for their departure */
#define DGRAM_MAX 2048

struct client {
	struct sockaddr_storage addr;
	socklen_t len;
	int fd; /* towards the server */
};

struct pending {
	uint64_t due, order;
	int fd;                  /* the socket it leaves from */
	struct sockaddr_storage to;
	socklen_t tolen;
	uint16_t len;
	uint8_t data[DGRAM_MAX];
};

struct proxy {
	int lfd;
	struct sockaddr_storage server;
	socklen_t server_len;
	struct client clients[MAX_CLIENTS];
	unsigned nclients;
	struct pl_impair dir[2]; /* 0: up (client to server), 1: down */
	bool impaired[2];
	struct pending *q;
	bool used[QUEUE];
	unsigned nq;
	uint64_t order, overflow, unknown;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void enqueue(struct proxy *p, uint64_t due, int fd, const struct sockaddr_storage *to, socklen_t tolen,
		    const uint8_t *data, size_t len)
{
	for (unsigned i = 0; i < QUEUE; i++) {
		if (p->used[i])
			continue;
		struct pending *e = &p->q[i];
		e->due = due;
		e->order = p->order++;
		e->fd = fd;
		e->to = *to;
		e->tolen = tolen;
		e->len = (uint16_t)len;
		memcpy(e->data, data, len);
		p->used[i] = true;
		p->nq++;
		return;
	}
	p->overflow++;
}

/* One datagram through one direction's model. */
static void pass(struct proxy *p, int d, int fd, const struct sockaddr_storage *to, socklen_t tolen,
		 const uint8_t *data, size_t len)
{
	uint64_t now = now_us(), due[2] = {now, now};
	unsigned n = 1;
	if (p->impaired[d])
		n = pl_impair_packet(&p->dir[d], now, due);
	for (unsigned i = 0; i < n; i++)
		enqueue(p, due[i], fd, to, tolen, data, len);
}

static struct client *client_for(struct proxy *p, const struct sockaddr_storage *from, socklen_t len)
{
	for (unsigned i = 0; i < p->nclients; i++)
		if (pl_addr_eq((const struct sockaddr *)&p->clients[i].addr, (const struct sockaddr *)from))
			return &p->clients[i];
	if (p->nclients == MAX_CLIENTS)
		return NULL;
	int fd = socket(p->server.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	struct client *c = &p->clients[p->nclients++];
	c->addr = *from;
	c->len = len;
	c->fd = fd;
	return c;
}

/* Sends every datagram that is due, earliest first (arrival order among equals). */
static void flush_due(struct proxy *p, uint64_t now)
{
	for (;;) {
		int best = -1;
		for (unsigned i = 0; i < QUEUE && p->nq; i++)
			if (p->used[i] && p->q[i].due <= now &&
			    (best < 0 || p->q[i].due < p->q[best].due ||
			     (p->q[i].due == p->q[best].due && p->q[i].order < p->q[best].order)))
				best = (int)i;
		if (best < 0)
			return;
		struct pending *e = &p->q[best];
		sendto(e->fd, e->data, e->len, MSG_DONTWAIT, (struct sockaddr *)&e->to, e->tolen);
		p->used[best] = false;
		p->nq--;
	}
}

static int next_timeout_ms(const struct proxy *p, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	for (unsigned i = 0; i < QUEUE && p->nq; i++)
		if (p->used[i] && p->q[i].due < next)
			next = p->q[i].due;
	if (next == UINT64_MAX)
		return 200;
	return next <= now ? 0 : (int)((next - now + 999) / 1000);
}

static void drain(struct proxy *p, int fd, struct client *c)
{
	uint8_t buf[DGRAM_MAX];
	for (;;) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof from;
		ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
		if (n < 0)
			return;
		if (!c) { /* from a client, up to the server */
			struct client *k = client_for(p, &from, flen);
			if (!k) {
				p->unknown++;
				continue;
			}
			pass(p, 0, k->fd, &p->server, p->server_len, buf, (size_t)n);
		} else if (pl_addr_eq((struct sockaddr *)&from, (struct sockaddr *)&p->server)) {
			pass(p, 1, p->lfd, &c->addr, c->len, buf, (size_t)n);
		} else {
			p->unknown++; /* only the server may answer through a client's socket */
		}
	}
}

static void print_counts(const char *name, const struct pl_impair_counts *c, bool impaired)
{
	printf("\"%s\":{\"impaired\":%s,\"in\":%llu,\"out\":%llu,\"lost_random\":%llu,\"lost_burst\":%llu,"
	       "\"bursts\":%llu,\"dup\":%llu,\"reordered\":%llu}",
	       name, impaired ? "true" : "false", (unsigned long long)c->in, (unsigned long long)c->out,
	       (unsigned long long)c->lost_random, (unsigned long long)c->lost_burst, (unsigned long long)c->bursts,
	       (unsigned long long)c->dup, (unsigned long long)c->reordered);
}

static const char usage[] =
	"usage: impair --to HOST:PORT [--listen HOST[:PORT]] [--loss PCT] [--burst P,R,H] [--delay MS]\n"
	"              [--jitter MS] [--reorder PCT] [--dup PCT] [--seed N] [--dir both|up|down]\n"
	"\n"
	"A UDP proxy that impairs what passes: clients send to the listen address (default\n"
	"127.0.0.1 on a free port), each gets its own socket towards --to. Percentages:\n"
	"  --loss PCT      random loss\n"
	"  --burst P,R,H   Gilbert-Elliott loss: good->bad P%, bad->good R% per datagram, H% lost\n"
	"                  in the bad state (average loss H*P/(P+R), bursts of 100/R on average)\n"
	"  --delay MS      added delay; --jitter MS: plus a uniform [-MS, +MS] (reorders when wide)\n"
	"  --reorder PCT   datagrams that skip the delay; --dup PCT: datagrams sent twice\n"
	"  --seed N        the random decisions' seed (default 1): runs repeat\n"
	"  --dir D         which way is impaired: both (default), up (client to server), down\n"
	"Prints 'ready port=N' when listening, and one JSON line of counts on SIGTERM or SIGINT.\n";

static int pct(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || v < 0 || v > 100)
		return -1;
	*out = v / 100.0;
	return 0;
}

static int ms(const char *s, uint32_t *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || v < 0 || v > 10000)
		return -1;
	*out = (uint32_t)(v * 1000.0);
	return 0;
}

/* need_port: a HOST alone is refused; else its port is 0 (the kernel picks a free one). */
static int resolve(const char *hp, bool need_port, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256], err[256];
	uint16_t port = 0;
	int rc = pl_hostport_split(hp, host, sizeof host, &port, 0, err, sizeof err);
	if (rc == 0 && need_port && port == 0) {
		snprintf(err, sizeof err, "'%s' needs a port: HOST:PORT.", hp);
		rc = -EINVAL;
	}
	if (rc < 0 ||
	    pl_addr_resolve(host, port, SOCK_DGRAM, ss, len, err, sizeof err) < 0) {
		fprintf(stderr, "impair: %s\n", err);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct proxy p;
	struct pl_impair_opts o = {.seed = 1};
	const char *to = NULL, *listen_at = "127.0.0.1", *dir = "both";
	enum { O_TO = 256, O_LISTEN, O_LOSS, O_BURST, O_DELAY, O_JITTER, O_REORDER, O_DUP, O_SEED, O_DIR, O_HELP };
	static const struct option opts[] = {
		{"to", required_argument, 0, O_TO}, {"listen", required_argument, 0, O_LISTEN},
		{"loss", required_argument, 0, O_LOSS}, {"burst", required_argument, 0, O_BURST},
		{"delay", required_argument, 0, O_DELAY}, {"jitter", required_argument, 0, O_JITTER},
		{"reorder", required_argument, 0, O_REORDER}, {"dup", required_argument, 0, O_DUP},
		{"seed", required_argument, 0, O_SEED}, {"dir", required_argument, 0, O_DIR},
		{"help", no_argument, 0, O_HELP}, {0, 0, 0, 0},
	};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int bad = 0;
		switch (c) {
		case O_TO: to = optarg; break;
		case O_LISTEN: listen_at = optarg; break;
		case O_LOSS: bad = pct(optarg, &o.loss); break;
		case O_BURST: {
			char a[32], b[32], h[32];
			if (sscanf(optarg, "%31[^,],%31[^,],%31s", a, b, h) != 3 || pct(a, &o.ge_p) ||
			    pct(b, &o.ge_r) || pct(h, &o.ge_bad_loss) || o.ge_r == 0)
				bad = -1;
			break;
		}
		case O_DELAY: bad = ms(optarg, &o.delay_us); break;
		case O_JITTER: bad = ms(optarg, &o.jitter_us); break;
		case O_REORDER: bad = pct(optarg, &o.reorder); break;
		case O_DUP: bad = pct(optarg, &o.dup); break;
		case O_SEED: o.seed = strtoull(optarg, NULL, 0); break;
		case O_DIR: dir = optarg; break;
		case O_HELP: fputs(usage, stdout); return 0;
		default: bad = -1; break;
		}
		if (bad) {
			fprintf(stderr, "impair: bad option or value '%s' (percentages 0-100, times in ms; --burst "
					"P,R,H with R above 0).\n%s", argv[optind - 1], usage);
			return 2;
		}
	}
	if (!to || (strcmp(dir, "both") && strcmp(dir, "up") && strcmp(dir, "down"))) {
		fprintf(stderr, "impair: --to HOST:PORT is needed, and --dir is both, up or down.\n%s", usage);
		return 2;
	}
	p.impaired[0] = strcmp(dir, "down") != 0;
	p.impaired[1] = strcmp(dir, "up") != 0;
	struct pl_impair_opts down = o;
	down.seed = o.seed + 1;
	if (pl_impair_init(&p.dir[0], &o) < 0 || pl_impair_init(&p.dir[1], &down) < 0)
		return 2;
	struct sockaddr_storage la;
	socklen_t llen;
	if (resolve(to, true, &p.server, &p.server_len) < 0 || resolve(listen_at, false, &la, &llen) < 0)
		return 2;
	p.q = calloc(QUEUE, sizeof *p.q);
	p.lfd = socket(la.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (!p.q || p.lfd < 0 || bind(p.lfd, (struct sockaddr *)&la, llen) < 0 ||
	    getsockname(p.lfd, (struct sockaddr *)&la, &llen) < 0) {
		fprintf(stderr, "impair: cannot listen on %s: %s\n", listen_at, strerror(errno));
		return 1;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("ready port=%u\n", pl_addr_port((struct sockaddr *)&la));
	fflush(stdout);
	while (!stop) {
		struct pollfd fds[1 + MAX_CLIENTS];
		fds[0] = (struct pollfd){.fd = p.lfd, .events = POLLIN};
		for (unsigned i = 0; i < p.nclients; i++)
			fds[1 + i] = (struct pollfd){.fd = p.clients[i].fd, .events = POLLIN};
		unsigned nfds = 1 + p.nclients;
		int r = poll(fds, nfds, next_timeout_ms(&p, now_us()));
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0) {
			if (fds[0].revents & POLLIN)
				drain(&p, p.lfd, NULL);
			for (unsigned i = 0; i + 1 < nfds; i++)
				if (fds[1 + i].revents & POLLIN)
					drain(&p, p.clients[i].fd, &p.clients[i]);
		}
		flush_due(&p, now_us());
	}
	printf("{");
	print_counts("up", &p.dir[0].c, p.impaired[0]);
	printf(",");
	print_counts("down", &p.dir[1].c, p.impaired[1]);
	printf(",\"clients\":%u,\"overflow\":%llu,\"unknown\":%llu}\n", p.nclients, (unsigned long long)p.overflow,
	       (unsigned long long)p.unknown);
	fflush(stdout);
	for (unsigned i = 0; i < p.nclients; i++)
		close(p.clients[i].fd);
	close(p.lfd);
	free(p.q);
	return 0;
}
