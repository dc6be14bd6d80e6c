/*
 * relay: parleyd's UDP voice path. It binds a sender's source address to its session when a BIND
 * with a valid MAC arrives, and forwards each VOICE packet unchanged to everyone else whose voice
 * room is the sender's. The path is real-time: batches of datagrams in and out per syscall
 * (recvmmsg/sendmmsg), no allocation, no lock and no logging per packet. Invalid datagrams are
 * counted and dropped without a reply, so a spoofed source cannot turn parleyd into a reflector.
 */
#ifndef PL_RELAY_H
#define PL_RELAY_H

#include <stdint.h>

struct pl_server;
struct pl_relay;

struct pl_relay_stats {
	uint64_t rx;          /* datagrams received */
	uint64_t relayed;     /* datagrams sent on to listeners */
	uint64_t binds;       /* valid BINDs */
	uint64_t malformed;   /* not a parley voice packet */
	uint64_t unbound;     /* unknown sender, bad MAC, replayed BIND, or a source not bound */
	uint64_t send_failed;
};

int pl_relay_alloc(struct pl_relay **rp, struct pl_server *srv, int fd);
void pl_relay_free(struct pl_relay *r);
void pl_relay_stats(const struct pl_relay *r, struct pl_relay_stats *st);

#endif
