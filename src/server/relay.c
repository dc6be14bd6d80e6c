#include "server/relay.h"

#include <errno.h>
#include <event2/event.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/spsc.h"
#include "core/vpkt.h"
#include "net/addr.h"
#include "net/udp.h"

#define MAX_BATCHES_PER_WAKE 8 /* then look at the command queue again */
#define QUEUE_CAP 8192
#define NONE (-1)

enum op { OP_SESSION, OP_ROOM, OP_END, OP_STOP };

struct cmd {
	uint8_t op;
	uint32_t id, room;
	uint8_t key[PL_VOICE_KEY_LEN];
};

/* One session as the relay sees it; linked into its voice room's list by slot index. */
struct route {
	uint32_t id; /* 0: free */
	uint32_t room;
	int32_t next, prev;
	bool bound;
	uint64_t counter;
	socklen_t len;
	struct sockaddr_storage addr;
	uint8_t key[PL_VOICE_KEY_LEN];
};

struct pl_relay {
	int fd, wake;
	unsigned nslots, nrooms;
	struct route *routes;
	int32_t *heads; /* first member slot of each voice room, by room number */
	struct pl_spsc q;
	struct event_base *base;
	struct event *udp_ev, *wake_ev;
	pthread_t thread;
	struct pl_udp_rx rx;
	struct pl_udp_tx tx;
	uint8_t acks[PL_UDP_RX_BATCH][PL_VPKT_HDR + 8];
};

/* --- the routing table (relay thread) --- */

static struct route *route_of(struct pl_relay *r, uint32_t id)
{
	unsigned slot = id & 0xffff;
	if (id == 0 || slot >= r->nslots || r->routes[slot].id != id)
		return NULL;
	return &r->routes[slot];
}

static void unlink_room(struct pl_relay *r, struct route *x)
{
	if (!x->room)
		return;
	if (x->prev != NONE)
		r->routes[x->prev].next = x->next;
	else
		r->heads[x->room] = x->next;
	if (x->next != NONE)
		r->routes[x->next].prev = x->prev;
	x->room = 0;
	x->next = x->prev = NONE;
}

static void link_room(struct pl_relay *r, struct route *x, uint32_t room)
{
	unlink_room(r, x);
	if (room == 0 || room > r->nrooms)
		return;
	int32_t slot = (int32_t)(x - r->routes);
	x->room = room;
	x->prev = NONE;
	x->next = r->heads[room];
	if (x->next != NONE)
		r->routes[x->next].prev = slot;
	r->heads[room] = slot;
}

/* Applies the signalling thread's changes; false once told to stop. */
static bool apply_commands(struct pl_relay *r)
{
	struct cmd c;
	while (pl_spsc_pop(&r->q, &c)) {
		unsigned slot = c.id & 0xffff;
		if (c.op == OP_STOP)
			return false;
		if (slot >= r->nslots)
			continue;
		struct route *x = &r->routes[slot];
		switch (c.op) {
		case OP_SESSION:
			unlink_room(r, x);
			memset(x, 0, sizeof *x);
			x->id = c.id;
			x->next = x->prev = NONE;
			memcpy(x->key, c.key, sizeof x->key);
			break;
		case OP_ROOM:
			if (x->id == c.id)
				link_room(r, x, c.room);
			break;
		case OP_END:
			if (x->id == c.id) {
				unlink_room(r, x);
				memset(x, 0, sizeof *x);
				x->next = x->prev = NONE;
			}
			break;
		}
	}
	return true;
}

/* --- packets (relay thread) --- */

static void on_bind(struct pl_relay *r, struct route *x, const struct pl_vpkt *v, const uint8_t *raw,
		    const struct sockaddr *from, unsigned i)
{
	uint64_t counter;
	if (pl_vbind_check(v, raw, x->key, &counter) != 0 || (x->bound && counter <= x->counter))
		return;
	x->counter = counter;
	x->len = pl_sockaddr_len(from);
	memcpy(&x->addr, from, x->len);
	x->bound = true;
	struct pl_vpkt a = {.type = PL_VPKT_BIND_ACK, .sender = x->id, .payload = v->payload, .plen = 8};
	pl_vpkt_encode(&a, r->acks[i], sizeof r->acks[i]);
	pl_udp_tx_add(&r->tx, r->fd, r->acks[i], PL_VPKT_HDR + 8, (const struct sockaddr *)&x->addr, x->len);
}

static void on_voice(struct pl_relay *r, struct route *x, const uint8_t *raw, size_t len, const struct sockaddr *from)
{
	if (!x->bound || !x->room || !pl_addr_eq(from, (const struct sockaddr *)&x->addr))
		return;
	for (int32_t k = r->heads[x->room]; k != NONE; k = r->routes[k].next) {
		struct route *m = &r->routes[k];
		if (m == x || !m->bound)
			continue;
		pl_udp_tx_add(&r->tx, r->fd, raw, len, (const struct sockaddr *)&m->addr, m->len);
	}
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct pl_relay *r = arg;
	if (!apply_commands(r)) {
		event_base_loopbreak(r->base);
		return;
	}
	for (int batch = 0; batch < MAX_BATCHES_PER_WAKE; batch++) {
		int n = pl_udp_recv(r->fd, &r->rx);
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			const uint8_t *raw = r->rx.buf[i];
			size_t len = r->rx.msgs[i].msg_len;
			const struct sockaddr *from = (const struct sockaddr *)&r->rx.from[i];
			struct pl_vpkt v;
			if (pl_vpkt_decode(&v, raw, len) != 0 || v.type == PL_VPKT_BIND_ACK)
				continue;
			struct route *x = route_of(r, v.sender);
			if (!x)
				continue;
			if (v.type == PL_VPKT_BIND)
				on_bind(r, x, &v, raw, from, (unsigned)i);
			else
				on_voice(r, x, raw, len, from);
		}
		/* The queued datagrams point into rx: send them before the next receive. */
		pl_udp_tx_flush(&r->tx, r->fd);
		if (n < PL_UDP_RX_BATCH)
			break;
	}
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct pl_relay *r = arg;
	uint64_t v;
	ssize_t n = read(r->wake, &v, sizeof v);
	(void)n;
	if (!apply_commands(r))
		event_base_loopbreak(r->base);
}

static void *run(void *arg)
{
	struct pl_relay *r = arg;
	event_base_dispatch(r->base);
	return NULL;
}

/* --- control (signalling thread) --- */

static void post(struct pl_relay *r, const struct cmd *c)
{
	/* The relay drains the queue at every wake; a full queue means it is busy for a moment. */
	while (!pl_spsc_push(&r->q, c))
		sched_yield();
	uint64_t one = 1;
	ssize_t n = write(r->wake, &one, sizeof one);
	(void)n;
}

void pl_relay_session(struct pl_relay *r, uint32_t id, const uint8_t key[PL_VOICE_KEY_LEN])
{
	struct cmd c = {.op = OP_SESSION, .id = id};
	memcpy(c.key, key, sizeof c.key);
	post(r, &c);
}

void pl_relay_voice_room(struct pl_relay *r, uint32_t id, uint32_t room)
{
	struct cmd c = {.op = OP_ROOM, .id = id, .room = room};
	post(r, &c);
}

void pl_relay_session_end(struct pl_relay *r, uint32_t id)
{
	struct cmd c = {.op = OP_END, .id = id};
	post(r, &c);
}

int pl_relay_alloc(struct pl_relay **rp, int fd, unsigned slots, unsigned rooms)
{
	struct pl_relay *r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	r->fd = fd;
	r->wake = -1;
	r->nslots = slots;
	r->nrooms = rooms;
	r->routes = calloc(slots, sizeof *r->routes);
	r->heads = calloc((size_t)rooms + 1, sizeof *r->heads);
	if (!r->routes || !r->heads || pl_spsc_init(&r->q, QUEUE_CAP, sizeof(struct cmd)) < 0)
		goto fail;
	for (unsigned i = 0; i < slots; i++)
		r->routes[i].next = r->routes[i].prev = NONE;
	for (unsigned i = 0; i <= rooms; i++)
		r->heads[i] = NONE;
	r->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	r->base = event_base_new();
	if (r->wake < 0 || !r->base)
		goto fail;
	r->udp_ev = event_new(r->base, fd, EV_READ | EV_PERSIST, on_readable, r);
	r->wake_ev = event_new(r->base, r->wake, EV_READ | EV_PERSIST, on_wake, r);
	if (!r->udp_ev || !r->wake_ev || event_add(r->udp_ev, NULL) || event_add(r->wake_ev, NULL) ||
	    pthread_create(&r->thread, NULL, run, r) != 0)
		goto fail;
	*rp = r;
	return 0;
fail:
	if (r->udp_ev)
		event_free(r->udp_ev);
	if (r->wake_ev)
		event_free(r->wake_ev);
	if (r->base)
		event_base_free(r->base);
	if (r->wake >= 0)
		close(r->wake);
	pl_spsc_destroy(&r->q);
	free(r->routes);
	free(r->heads);
	free(r);
	return -ENOMEM;
}

void pl_relay_free(struct pl_relay *r)
{
	if (!r)
		return;
	struct cmd stop = {.op = OP_STOP};
	post(r, &stop);
	pthread_join(r->thread, NULL);
	event_free(r->udp_ev);
	event_free(r->wake_ev);
	event_base_free(r->base);
	close(r->wake);
	pl_spsc_destroy(&r->q);
	free(r->routes);
	free(r->heads);
	free(r);
}
