#include "server/relay.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/vpkt.h"
#include "net/addr.h"
#include "net/udp.h"
#include "server/room.h"
#include "server/server.h"
#include "server/session.h"

#define MAX_BATCHES_PER_WAKE 8 /* then yield to the signalling side */

struct pl_relay {
	struct pl_server *srv;
	int fd;
	struct event *ev;
	struct pl_relay_stats st;
	struct pl_udp_rx rx;
	struct pl_udp_tx tx;
	uint8_t acks[PL_UDP_RX_BATCH][PL_VPKT_HDR + 8];
};

static void on_bind(struct pl_relay *r, struct pl_session *s, const struct pl_vpkt *v,
		    const uint8_t *raw, const struct sockaddr *from, unsigned i)
{
	uint64_t counter;
	if (pl_vbind_check(v, raw, s->voice_key, &counter) != 0 ||
	    (s->udp_bound && counter <= s->bind_counter)) {
		r->st.unbound++;
		return;
	}
	s->bind_counter = counter;
	memcpy(&s->udp_addr, from, pl_sockaddr_len(from));
	s->udp_len = pl_sockaddr_len(from);
	s->udp_bound = true;
	r->st.binds++;

	uint8_t *ack = r->acks[i];
	struct pl_vpkt a = {.type = PL_VPKT_BIND_ACK, .sender = s->id, .payload = v->payload, .plen = 8};
	pl_vpkt_encode(&a, ack, sizeof r->acks[i]);
	pl_udp_tx_add(&r->tx, r->fd, ack, PL_VPKT_HDR + 8, (const struct sockaddr *)&s->udp_addr, s->udp_len);
}

static void on_voice(struct pl_relay *r, struct pl_session *s, const uint8_t *raw, size_t len,
		     const struct sockaddr *from)
{
	if (!s->udp_bound || !pl_addr_eq(from, (const struct sockaddr *)&s->udp_addr) || !s->voice_room) {
		r->st.unbound++;
		return;
	}
	struct pl_room *room = s->voice_room;
	for (unsigned k = 0; k < room->n; k++) {
		struct pl_session *m = room->members[k];
		if (m == s || !m->udp_bound || m->voice_room != room)
			continue;
		pl_udp_tx_add(&r->tx, r->fd, raw, len, (const struct sockaddr *)&m->udp_addr, m->udp_len);
		r->st.relayed++;
	}
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct pl_relay *r = arg;
	for (int batch = 0; batch < MAX_BATCHES_PER_WAKE; batch++) {
		int n = pl_udp_recv(r->fd, &r->rx);
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			const uint8_t *raw = r->rx.buf[i];
			size_t len = r->rx.msgs[i].msg_len;
			const struct sockaddr *from = (const struct sockaddr *)&r->rx.from[i];
			struct pl_vpkt v;
			r->st.rx++;
			if (pl_vpkt_decode(&v, raw, len) != 0 || v.type == PL_VPKT_BIND_ACK) {
				r->st.malformed++;
				continue;
			}
			struct pl_session *s = pl_server_session(r->srv, v.sender);
			if (!s || s->state != PL_SESS_READY) {
				r->st.unbound++;
				continue;
			}
			if (v.type == PL_VPKT_BIND)
				on_bind(r, s, &v, raw, from, (unsigned)i);
			else
				on_voice(r, s, raw, len, from);
		}
		/* The queued datagrams point into rx: send them before the next receive. */
		uint64_t failed = r->tx.failed;
		pl_udp_tx_flush(&r->tx, r->fd);
		r->st.send_failed += r->tx.failed - failed;
		r->tx.failed = failed;
		if (n < PL_UDP_RX_BATCH)
			break;
	}
}

int pl_relay_alloc(struct pl_relay **rp, struct pl_server *srv, int fd)
{
	struct pl_relay *r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	r->srv = srv;
	r->fd = fd;
	r->ev = event_new(srv->base, fd, EV_READ | EV_PERSIST, on_readable, r);
	if (!r->ev || event_add(r->ev, NULL) < 0) {
		if (r->ev)
			event_free(r->ev);
		free(r);
		return -ENOMEM;
	}
	*rp = r;
	return 0;
}

void pl_relay_free(struct pl_relay *r)
{
	if (!r)
		return;
	event_free(r->ev);
	free(r);
}

void pl_relay_stats(const struct pl_relay *r, struct pl_relay_stats *st)
{
	*st = r->st;
}
