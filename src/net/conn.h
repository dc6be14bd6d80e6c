/*
 * conn: one framed signalling connection over a libevent bufferevent (TLS in parley). It is the
 * thin layer where the event loop meets the wire codecs: it peeks frame headers, rejects a bad
 * length before buffering the payload, decodes complete frames with pl_msg_decode, and encodes
 * outgoing messages into the output buffer. Both parleyd and parley use it.
 *
 * Handlers may call pl_conn_close from inside any callback. `closed` is always delivered from
 * the event loop (never from inside pl_conn_close), exactly once; the owner frees the conn there.
 */
#ifndef PL_CONN_H
#define PL_CONN_H

#include <event2/bufferevent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/msg.h"

struct pl_conn;

struct pl_conn_handlers {
	/* A decoded message. */
	void (*msg)(struct pl_conn *c, const struct pl_msg *m, void *arg);
	/* Malformed input: err is -EBADMSG (bad payload or length), -EMSGSIZE (frame over the
	 * maximum) or -EPROTO (unknown type); type is the frame's type where known, else 0.
	 * Reading has stopped; the owner usually sends an ERROR and calls pl_conn_close(c, true). */
	void (*bad)(struct pl_conn *c, int err, uint16_t type, void *arg);
	/* The connection is over: err 0 after pl_conn_close, -ECONNRESET when the peer went away,
	 * -ETIMEDOUT when a flush did not finish in time, -EIO on a TLS or socket error, -ENOBUFS when
	 * its queued output went over the output budget. */
	void (*closed)(struct pl_conn *c, int err, void *arg);
	/* Optional: the TLS handshake finished (clients use it to check the pinned certificate). */
	void (*connected)(struct pl_conn *c, void *arg);
};

/* Takes ownership of bev. max_frame bounds incoming frames. */
int pl_conn_alloc(struct pl_conn **cp, struct bufferevent *bev, size_t max_frame,
		  const struct pl_conn_handlers *h, void *arg);
/* The output budget, for every frame alike (errors included): above `watermark` queued bytes the
 * connection stops reading until half of it has drained, so a peer that does not read cannot make
 * us work for it; a send that would queue more than `max` closes the connection (-ENOBUFS).
 * 0 means no limit. A flushing close waits at most flush_ms for the output to drain. */
void pl_conn_set_budget(struct pl_conn *c, size_t watermark, size_t max, unsigned flush_ms);
void pl_conn_free(struct pl_conn *c);

/* Queues m; returns 0, -EMSGSIZE if it does not encode, -EPIPE once closing, -ENOBUFS when it
 * would go over the output budget (the connection is then closed). */
int pl_conn_send(struct pl_conn *c, const struct pl_msg *m);
/* Queues an ERROR frame (code, about, detail; detail may be NULL). */
int pl_conn_send_error(struct pl_conn *c, uint16_t code, uint16_t about, const char *detail);
/* Stops reading, and nothing already read is handled any more; with flush, closes once the queued
 * output is written (or after the flush deadline, 5 s unless set by pl_conn_set_budget). */
void pl_conn_close(struct pl_conn *c, bool flush);
/* Stops (true) or resumes (false) reading, e.g. while a slow request is worked on. */
void pl_conn_pause(struct pl_conn *c, bool paused);

struct bufferevent *pl_conn_bev(struct pl_conn *c);
bool pl_conn_closing(const struct pl_conn *c);
/* Bytes queued for output, for back-pressure decisions. */
size_t pl_conn_outq(const struct pl_conn *c);

#endif
