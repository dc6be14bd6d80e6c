/*
 * relay: parleyd's UDP voice path, on a thread of its own so that nothing the signalling side does
 * (a database commit, a TLS handshake) can delay a voice packet.
 *
 * The relay owns its routing table: for each session, the voice key, the voice room and the address
 * proven by the last valid BIND. The signalling thread changes it only by posting commands
 * (pl_relay_session, pl_relay_voice_room, pl_relay_session_end) through a lock-free queue; the
 * relay applies them before its next batch of packets. Per packet there is no allocation, no lock,
 * no syscall but the batched recvmmsg/sendmmsg, and no logging. Invalid datagrams are dropped
 * without a reply, so a spoofed source cannot turn parleyd into a reflector.
 */
#ifndef PL_RELAY_H
#define PL_RELAY_H

#include <stdint.h>

#include "core/msg.h"

struct pl_relay;

/* Starts the relay thread on the bound UDP socket fd. Session ids are (generation << 16 | slot)
 * with slot < slots; voice rooms are numbered 1..rooms. */
int pl_relay_alloc(struct pl_relay **rp, int fd, unsigned slots, unsigned rooms);
/* Stops and joins the thread. */
void pl_relay_free(struct pl_relay *r);

/* Signalling thread only. A logged-in session that may bind and talk, with its key. */
void pl_relay_session(struct pl_relay *r, uint32_t id, const uint8_t key[PL_VOICE_KEY_LEN]);
/* Moves the session's voice to room (0: none). */
void pl_relay_voice_room(struct pl_relay *r, uint32_t id, uint32_t room);
/* The session is gone: its packets are dropped from now on. */
void pl_relay_session_end(struct pl_relay *r, uint32_t id);


#endif
