/*
 * call: one-to-one and group calls (seeds 000, 001, 002, 004): ringing, answering, denying, hanging
 * up, busy, the ring timeout, the media format negotiation, and passing the end-to-end handshake
 * and sender keys between the parties without reading them.
 *
 * A one-to-one call: CALL_START (the format offered) -> CALL_STATE SETUP with the call's id ->
 * CALL_RING (the handshake's OFFER) -> CALL_INCOMING to the callee, RINGING to the caller ->
 * CALL_ANSWER (accept, counter-offer or deny; the handshake's ANSWER) -> CALL_ANSWERED to the
 * caller -> CALL_CONFIRM (proceed or drop; the handshake's REVEAL) -> CALL_CONFIRMED to the callee
 * and ACTIVE to both. A group call rings every member online; members join and leave while it
 * runs, each one's voice stream and device key go to the others (CALL_MEMBER, seed 002's 507), and
 * sender keys pass in MEDIA_KEYS. A call's voice is a relay room of its own, so the relay forwards
 * it like room voice and never learns more than who is in it.
 */
#ifndef PL_CALL_H
#define PL_CALL_H

#include "core/msg.h"

struct pl_server;
struct pl_session;

/* CALL_START, CALL_RING, CALL_ANSWER, CALL_CONFIRM, CALL_HANGUP, MEDIA_KEYS. */
void pl_call_handle(struct pl_session *s, const struct pl_msg *m);
/* s is going: it leaves its call (the others are told the call failed, or that it left). */
void pl_call_session_gone(struct pl_session *s);
int pl_calls_init(struct pl_server *srv);
void pl_calls_free(struct pl_server *srv);

#endif
