/*
 * stund: parleyd's STUN Binding service (RFC 8489, and RFC 3489's older requests), answered by
 * the relay thread from the voice port, where pl_stun_classify (core/stun.h) tells STUN from
 * voice, and from the optional stun_port.
 *
 * It must not be an amplifier or a reflector (docs/PROTOCOL.md, "STUN"). It answers a
 * well-formed Binding request and nothing else: indications, responses, other methods, malformed
 * messages, unknown comprehension-required attributes and requests that ask for an answer
 * somewhere else (RESPONSE-ADDRESS, RESPONSE-PORT, a CHANGE-REQUEST with a flag set) are dropped
 * and counted. A response holds the address attribute and, when the request had one,
 * FINGERPRINT, so it is never larger than the request plus one address attribute (12 bytes for
 * IPv4, 24 for IPv6). Each source address (an IPv4 address, or an IPv6 /64, as every per-address
 * limit in parleyd counts) has a token bucket in a fixed table, and all sources together have
 * one more; a request over either is dropped.
 *
 * Per request there is no allocation, no lock and no logging; the caller passes the clock.
 */
#ifndef PL_STUND_H
#define PL_STUND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/env.h"
#include "core/stun.h"

/* The largest response: the header, XOR-MAPPED-ADDRESS or MAPPED-ADDRESS for IPv6, FINGERPRINT. */
#define PL_STUND_RESPONSE_MAX (PL_STUN_HDR + PL_STUN_ADDR_ATTR_V6 + 8)

struct pl_stund_opts {
	double rate, burst;               /* per source: requests answered a second, after burst at once */
	double global_rate, global_burst; /* all sources together */
};

/* Why a STUN datagram got no answer. */
enum pl_stund_refusal {
	PL_STUND_MALFORMED,   /* not a well-formed STUN message */
	PL_STUND_NOT_REQUEST, /* an indication, a response, or a method other than Binding */
	PL_STUND_UNKNOWN,     /* an unknown comprehension-required attribute */
	PL_STUND_ELSEWHERE,   /* asks for an answer to another address or port */
	PL_STUND_SOURCE_RATE, /* over its source's budget */
	PL_STUND_GLOBAL_RATE, /* over the budget of all sources */
	PL_STUND_REFUSAL_N
};

struct pl_stund_counters {
	uint64_t answered;
	uint64_t refused[PL_STUND_REFUSAL_N];
};

struct pl_stund;

/* slots: the per-source table's size. env gives the table's random hash key. Returns 0, -EINVAL
 * for rates or bursts below their minimum (burst 1, rate above 0), or -ENOMEM. */
int pl_stund_alloc(struct pl_stund **sp, unsigned slots, const struct pl_stund_opts *o, const struct pl_env *env);
void pl_stund_free(struct pl_stund *s);
/* New rates (a config reload), from the thread that answers. */
void pl_stund_set_rates(struct pl_stund *s, const struct pl_stund_opts *o);

/* Answers one datagram from `from` that pl_stun_classify called STUN or STUN_CLASSIC (anything
 * else is counted malformed). Writes the response into out (cap at least PL_STUND_RESPONSE_MAX)
 * and returns its length, or returns 0 when there is none. */
size_t pl_stund_answer(struct pl_stund *s, uint64_t now_ms, const uint8_t *req, size_t len,
		       const struct sockaddr *from, uint8_t *out, size_t cap);

void pl_stund_counters(const struct pl_stund *s, struct pl_stund_counters *out);
/* Refusal k's label for metrics ("source_rate"), 0 <= k < PL_STUND_REFUSAL_N. */
const char *pl_stund_refusal_label(unsigned k);

#endif
