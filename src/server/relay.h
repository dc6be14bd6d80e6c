/*
 * relay: parleyd's UDP voice path, on a thread of its own so that nothing the signalling side does
 * (a database commit, a TLS handshake) can delay a voice packet.
 *
 * The relay owns its routing table: for each session, the voice key, the voice room, the address
 * it has proven and the local address that proof arrived on. The signalling thread changes it
 * only by posting commands (pl_relay_session, pl_relay_voice_room, pl_relay_session_end) through a
 * lock-free queue; the relay applies them before its next batch of packets. Per packet there is no
 * allocation, no lock, no syscall but the batched recvmmsg/sendmmsg and no logging; the clock is
 * read once per batch.
 *
 * It must not become a reflector or an amplifier (docs/PROTOCOL.md section 14): an address gets
 * nothing but a CHALLENGE, no larger than the BIND that caused it and a few a second at most per
 * session, until it has answered one; a proven address is forgotten when its BINDs stop for
 * binding_timeout_ms; and each sender has token buckets for packets and bytes, so a member of a
 * room cannot make the relay send the room copies at any rate it likes.
 *
 * The same thread answers STUN Binding requests (server/stund.h) that arrive on the voice port,
 * told from voice packets by their first bytes (core/stun.h, pl_stun_classify), and on the
 * optional STUN port.
 *
 * And it carries the datagrams of two people who met by room code and could not punch a path
 * (server/rdvpair.h), between the two addresses the signalling thread names (pl_relay_rdv_pair).
 */
#ifndef PL_RELAY_H
#define PL_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/env.h"
#include "core/msg.h"
#include "server/stund.h"

struct pl_relay;

struct pl_relay_opts {
	unsigned max_sessions;       /* sessions known at once */
	unsigned rooms;              /* voice rooms are numbered 1..rooms */
	unsigned binding_timeout_ms; /* a proven address with no BIND or CONFIRM this long is dropped */
	unsigned packet_rate;        /* per sender: datagrams a second ... */
	unsigned packet_burst;       /* ... after this many at once */
	unsigned byte_rate;          /* per sender: bytes a second ... */
	unsigned byte_burst;         /* ... after this many at once (at least PL_VPKT_MAX) */
	double stun_rate, stun_burst; /* STUN requests answered per source address: a second, at once */
	double stun_global_rate;      /* ... and from all sources together, a second (and at once) */
	/* A datagram on the voice port that is neither voice nor STUN (pl_stun_classify's OTHER),
	 * offered on the relay thread; it must not block (server/rendezvous.h's queues it). Returns
	 * whether it was one of its own; if not (or with no hook), it is counted as malformed. Set at
	 * alloc only. */
	unsigned rdv_pairs;          /* rendezvous pairs carried at once (server/rdvpair.h) */
	bool (*other)(void *arg, const uint8_t *buf, size_t len, const struct sockaddr *from);
	void *other_arg;
};

/* Starts the relay thread on the bound UDP socket fd (made by pl_udp_bind, so that it reports
 * local addresses), and on stun_fd, a second socket for STUN alone (-1: none). env gives the
 * clock (read on the relay thread) and, here, the random secrets. Returns 0, -EINVAL for unusable
 * options, or -ENOMEM. */
int pl_relay_alloc(struct pl_relay **rp, int fd, int stun_fd, const struct pl_env *env,
		   const struct pl_relay_opts *o);
/* Stops and joins the thread, and logs what it dropped and why. */
void pl_relay_free(struct pl_relay *r);

/* Signalling thread only. A logged-in session that may bind and talk, with its key. Ids are
 * never 0; an id seen before starts over with no address. */
void pl_relay_session(struct pl_relay *r, uint64_t id, const uint8_t key[PL_VOICE_KEY_LEN]);
/* Moves the session's voice to room (0: none). */
void pl_relay_voice_room(struct pl_relay *r, uint64_t id, uint32_t room);
/* The session is gone: its packets are dropped from now on. */
void pl_relay_session_end(struct pl_relay *r, uint64_t id);
/* Signalling thread only. From now on datagrams from a go to b and those from b to a, unchanged
 * (two people who met by room code, punching failed: server/rdvpair.h). */
void pl_relay_rdv_pair(struct pl_relay *r, const struct sockaddr *a, const struct sockaddr *b);
/* New budgets, STUN rates and binding timeout (a config reload); max_sessions and rooms are not
 * changed. */
void pl_relay_set_budgets(struct pl_relay *r, const struct pl_relay_opts *o);

/* What the relay counted, for metrics. The relay thread counts in plain variables and copies them
 * into atomics once per wake-up, so reading them costs the voice path nothing per packet; a reader
 * sees them as of the relay's last wake-up. */
#define PL_RELAY_DROP_N 10
struct pl_relay_counters {
	uint64_t rx_packets, rx_bytes; /* datagrams received (the voice port and the STUN port) */
	uint64_t tx_packets, tx_bytes; /* datagrams queued to send: voice, CHALLENGEs, BIND_ACKs, STUN */
	uint64_t forwarded, challenges, acks;
	uint64_t drops[PL_RELAY_DROP_N]; /* by reason, pl_relay_drop_label */
	struct pl_stund_counters stun;   /* STUN requests answered, and refused by reason (both ports) */
};
/* Any thread. */
void pl_relay_counters(struct pl_relay *r, struct pl_relay_counters *out);
/* Reason k's label ("bad_mac"), 0 <= k < PL_RELAY_DROP_N. */
const char *pl_relay_drop_label(unsigned k);

#endif
