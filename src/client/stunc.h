/*
 * stunc: `parley --stun HOST[:PORT]`, the client's STUN Binding request (RFC 8489) from
 * core/stun.h: it learns this machine's server-reflexive address (its address as the STUN server
 * sees it, after every NAT on the way) from parleyd's voice port or any STUN server.
 *
 * One request with FINGERPRINT from one socket, retransmitted on RFC 8489's schedule (an RTO of
 * 500 ms that doubles after each try) for PL_STUNC_TRIES tries, then Rm = 16 RTOs for the last
 * answer. The answer must come from the server's address, carry the request's transaction id and
 * decode; anything else is ignored while waiting.
 */
#ifndef PL_STUNC_H
#define PL_STUNC_H

#include <stdio.h>

#include "core/env.h"
#include "core/stun.h"

#define PL_STUNC_DEFAULT_PORT 3478
#define PL_STUNC_TRIES 4
#define PL_STUNC_RTO_MS 500
#define PL_STUNC_RM 16

/* What a response said: 0 with the mapped address in *a, or -EPROTO with a sentence in err (an
 * error response; a success without an address). -EAGAIN: not an answer to this request (not
 * STUN, another transaction, not a Binding response), to be ignored. Pure: no I/O. */
int pl_stunc_parse(const uint8_t *buf, size_t len, const uint8_t tid[PL_STUN_TID_LEN], struct pl_stun_addr *a,
		   char *err, size_t errsz);

/* "203.0.113.5:40000" or "[2001:db8::1]:40000". */
void pl_stunc_fmt(const struct pl_stun_addr *a, char *buf, size_t sz);

/* Runs the exchange with target ("host", "host:port", "[v6]:port"; PL_STUNC_DEFAULT_PORT when
 * none is given): prints "mapped ADDRESS" and then "local ADDRESS" (this socket's own, the same
 * when no NAT is on the way) on out and returns 0, or a sentence on errout and
 * returns 1. env gives the clock and the transaction id. */
int pl_stunc_run(const char *target, const struct pl_env *env, FILE *out, FILE *errout);

#endif
