#include "net/conn.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/frame.h"

struct pl_conn {
	struct bufferevent *bev;
	struct event *close_ev, *flush_ev;
	size_t max_frame;
	size_t out_watermark, out_max; /* 0: no limit */
	unsigned flush_ms;
	struct pl_conn_handlers h;
	void *arg;
	bool closing, flushing, bad, closed_sent;
	bool up;      /* connected (for TLS: the handshake done) */
	bool paused;  /* by the owner (pl_conn_pause) */
	bool backlog; /* by us: too much output queued */
	int close_err;
	struct pl_msg in;  /* decode target, reused: no allocation per message */
};

static void schedule_close(struct pl_conn *c, int err)
{
	if (c->closed_sent)
		return;
	c->closing = true;
	c->close_err = err;
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	event_del(c->flush_ev);
	event_active(c->close_ev, EV_TIMEOUT, 0);
	c->closed_sent = true;
}

/* Frames are handled while neither the owner nor the output backlog holds them. A held connection
 * still reads from its socket, into an input buffer its read watermark bounds, so that a peer
 * that hangs up while held is noticed at once (and the work held for it can be dropped). */
static void update_reading(struct pl_conn *c)
{
	if (c->closing || c->flushing || c->bad || c->paused || c->backlog)
		return;
	/* Frames that arrived while held are already buffered: handle them now. */
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
		bufferevent_trigger(c->bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
}

static void check_backlog(struct pl_conn *c)
{
	if (c->out_watermark && !c->backlog &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) > c->out_watermark) {
		c->backlog = true;
		update_reading(c);
	}
}

static void close_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pl_conn *c = arg;
	c->h.closed(c, c->close_err, c->arg);
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct pl_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	/* Once a close is decided (BYE, a fatal error, the budget) nothing more is carried out. */
	while (!c->closing && !c->flushing && !c->paused && !c->backlog && !c->bad) {
		size_t avail = evbuffer_get_length(in);
		if (avail < 4)
			return;
		uint8_t hdr[PL_FRAME_HDR];
		size_t peek = avail < PL_FRAME_HDR ? avail : PL_FRAME_HDR;
		evbuffer_copyout(in, hdr, peek);
		/* Judge the length field before buffering any payload. */
		int n = pl_frame_peek(hdr, peek, c->max_frame);
		if (n < 0) {
			c->bad = true;
			bufferevent_disable(bev, EV_READ);
			c->h.bad(c, n, peek == PL_FRAME_HDR ? pl_be16(hdr + 4) : 0, c->arg);
			return;
		}
		uint32_t flen = pl_be32(hdr);
		if (avail < flen)
			return;
		const uint8_t *frame = evbuffer_pullup(in, flen);
		if (!frame) {
			schedule_close(c, -ENOMEM);
			return;
		}
		uint16_t type = pl_be16(frame + 4);
		int rc = pl_msg_decode(&c->in, type, frame + PL_FRAME_HDR, flen - PL_FRAME_HDR);
		evbuffer_drain(in, flen);
		if (rc < 0) {
			c->bad = true;
			bufferevent_disable(bev, EV_READ);
			c->h.bad(c, rc, type, c->arg);
			return;
		}
		c->h.msg(c, &c->in, c->arg);
		check_backlog(c);
	}
}

static void write_cb(struct bufferevent *bev, void *arg)
{
	struct pl_conn *c = arg;
	size_t out = evbuffer_get_length(bufferevent_get_output(bev));
	if (c->flushing && out == 0) {
		schedule_close(c, 0);
		return;
	}
	if (c->backlog && out <= c->out_watermark / 2) {
		c->backlog = false;
		update_reading(c);
	}
}

static void flush_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct pl_conn *c = arg;
	schedule_close(c, -ETIMEDOUT);
}

/* Before the connection was up, why it could not be made (-ECONNREFUSED and the like), or 0. */
static int connect_error(const struct pl_conn *c)
{
	int e = c->up ? 0 : EVUTIL_SOCKET_ERROR();
	return e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH || e == ETIMEDOUT ? -e : 0;
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct pl_conn *c = arg;
	if (what & BEV_EVENT_CONNECTED) {
		c->up = true;
		if (c->h.connected)
			c->h.connected(c, c->arg);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		schedule_close(c, -ETIMEDOUT);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		/* Frames already buffered are still handled before the close is reported. */
		read_cb(bev, c);
		int e = connect_error(c);
		schedule_close(c, c->flushing ? 0 : e ? e : -ECONNRESET);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		int e = connect_error(c);
		while (bufferevent_get_openssl_error(bev))
			;
		schedule_close(c, c->flushing ? 0 : e ? e : -EIO);
	}
}

int pl_conn_alloc(struct pl_conn **cp, struct bufferevent *bev, size_t max_frame,
		  const struct pl_conn_handlers *h, void *arg)
{
	if (max_frame < PL_FRAME_HDR || max_frame > PL_FRAME_MAX_HARD)
		return -EINVAL;
	struct pl_conn *c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->close_ev = event_new(bufferevent_get_base(bev), -1, 0, close_cb, c);
	c->flush_ev = evtimer_new(bufferevent_get_base(bev), flush_deadline, c);
	if (!c->close_ev || !c->flush_ev) {
		if (c->close_ev)
			event_free(c->close_ev);
		if (c->flush_ev)
			event_free(c->flush_ev);
		free(c);
		return -ENOMEM;
	}
	c->flush_ms = 5000;
	c->bev = bev;
	c->max_frame = max_frame;
	c->h = *h;
	c->arg = arg;
	/* Room for one whole frame and the start of the next; beyond, libevent stops reading the
	 * socket until we have handled what is there. */
	bufferevent_setwatermark(bev, EV_READ, 0, max_frame + PL_FRAME_HDR);
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	bufferevent_setcb(bev, read_cb, write_cb, event_cb, c);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	*cp = c;
	return 0;
}

void pl_conn_free(struct pl_conn *c)
{
	if (!c)
		return;
	event_free(c->close_ev);
	event_free(c->flush_ev);
	bufferevent_free(c->bev);
	free(c);
}

void pl_conn_set_budget(struct pl_conn *c, size_t watermark, size_t max, unsigned flush_ms)
{
	c->out_watermark = watermark;
	c->out_max = max;
	c->flush_ms = flush_ms ? flush_ms : 5000;
	/* The write callback then also runs when the output has drained to half the watermark. */
	bufferevent_setwatermark(c->bev, EV_WRITE, watermark / 2, 0);
}

int pl_conn_send(struct pl_conn *c, const struct pl_msg *m)
{
	if (c->closing || c->flushing)
		return -EPIPE;
	uint8_t buf[PL_MSG_ENCODED_MAX];
	int n = pl_msg_encode(m, buf, sizeof buf);
	if (n < 0)
		return n;
	if (c->out_max && evbuffer_get_length(bufferevent_get_output(c->bev)) + (size_t)n > c->out_max) {
		schedule_close(c, -ENOBUFS);
		return -ENOBUFS;
	}
	if (bufferevent_write(c->bev, buf, (size_t)n) < 0)
		return -ENOMEM;
	check_backlog(c);
	return 0;
}

int pl_conn_send_error(struct pl_conn *c, uint16_t code, uint16_t about, const char *detail)
{
	struct pl_msg m = {.type = PL_MSG_ERROR};
	m.u.error.code = code;
	m.u.error.about = about;
	snprintf(m.u.error.detail, sizeof m.u.error.detail, "%s", detail ? detail : "");
	return pl_conn_send(c, &m);
}

void pl_conn_close(struct pl_conn *c, bool flush)
{
	if (c->closing || c->flushing)
		return;
	bufferevent_disable(c->bev, EV_READ);
	if (!flush || evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		schedule_close(c, 0);
		return;
	}
	c->flushing = true;
	/* Our own timer: a write timeout alone never fires while a TLS handshake has nothing to
	 * write, which once let unfinished handshakes hold their connection forever. */
	struct timeval tv = {c->flush_ms / 1000, (c->flush_ms % 1000) * 1000};
	evtimer_add(c->flush_ev, &tv);
	bufferevent_enable(c->bev, EV_WRITE);
}

void pl_conn_pause(struct pl_conn *c, bool paused)
{
	c->paused = paused;
	update_reading(c);
}

struct bufferevent *pl_conn_bev(struct pl_conn *c) { return c->bev; }
bool pl_conn_closing(const struct pl_conn *c) { return c->closing || c->flushing; }
size_t pl_conn_outq(const struct pl_conn *c) { return evbuffer_get_length(bufferevent_get_output(c->bev)); }
