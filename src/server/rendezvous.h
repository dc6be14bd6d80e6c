/*
 * rendezvous: account-less meeting by room code (seed 003, issue 9), on the signalling thread.
 *
 *   A: RDV_OPEN (its private addresses)       -> RDV_CODE (a fresh code, a token, the voice port)
 *   B: RDV_JOIN (the code, its private addresses) -> RDV_CODE (the same code, its own token)
 *   each: a 20-byte datagram with its token to the voice port (core/rdv.h), from the UDP socket
 *         it will talk from, so parleyd sees its public address (the relay thread hands it over)
 *   both: RDV_PEER (the other's public and private addresses, and which side each is)
 *   each: RDV_SEND, carried to the other as RDV_DATA (the peers' SPAKE2 exchange, opaque here)
 *
 * The messages are allowed after HELLO without a login; a connection in a rendezvous is not cut
 * by login_timeout while its rendezvous lasts. A code is single-use: a third RDV_JOIN gets
 * RDV_TAKEN. A code nobody joined within rendezvous_ttl seconds expires (its opener gets
 * RDV_NO_PEER, a later joiner RDV_EXPIRED); a paired rendezvous lasts rendezvous_ttl more at
 * most. Ended codes are remembered for another rendezvous_ttl so that their errors stay distinct
 * from RDV_UNKNOWN. A wrong code (unknown, or not a code at all) costs its address one of
 * rendezvous_guesses, refilled at rendezvous_guess_rate; opening costs one of
 * rendezvous_open_burst, refilled at rendezvous_open_rate. At most rendezvous_max are held.
 * Each side may send PL_RDV_RELAY_MAX messages through the server: enough for the key exchange,
 * too few to make parleyd a free relay. The datagram gets no answer (nothing to amplify).
 * When punching fails, each side may ask RDV_RELAY; once both have, parleyd's voice port carries
 * their datagrams between the two public addresses (server/rdvpair.h) and both get RDV_RELAYED.
 */
#ifndef PL_RENDEZVOUS_H
#define PL_RENDEZVOUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/msg.h"

#define PL_RDV_RELAY_MAX 8 /* RDV_SEND per side per rendezvous */

struct pl_server;
struct pl_session;
struct pl_rdv;

/* Sizes the table from srv->cfg (rendezvous_max) and starts its timer on srv->base. */
int pl_rdv_alloc(struct pl_rdv **rp, struct pl_server *srv);
void pl_rdv_free(struct pl_rdv *r);
/* A config reload: new limits for the per-address budgets. */
void pl_rdv_reload(struct pl_rdv *r);

/* RDV_OPEN, RDV_JOIN, RDV_SEND and RDV_RELAY from a session past HELLO. */
void pl_rdv_handle(struct pl_session *s, const struct pl_msg *m);
/* The session is ending: its rendezvous ends, and the other side is told. */
void pl_rdv_session_gone(struct pl_session *s);

/* The relay thread's hook (server/relay.h, other): a datagram neither voice nor STUN. A rendezvous
 * datagram is queued for the signalling thread, which is woken (dropped when the queue is full),
 * and true returned; anything else is left to the relay (false). */
bool pl_rdv_dgram(void *arg, const uint8_t *buf, size_t len, const struct sockaddr *from);

#endif
