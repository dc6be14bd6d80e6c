/*
 * callpath: a one-to-one call's direct path (issue 9). It drives the pure ICE agent (core/ice.h)
 * over the voice engine's socket and a second socket of the other family (IPv6 beside an IPv4 voice
 * socket, and the reverse; on the voice socket's port when free): when the call becomes active it
 * gathers this device's host candidates (its interfaces' addresses of both families, global and
 * ULA, not link-local: only loopback when parleyd is on loopback, since the peer then is on this
 * host; never loopback otherwise), each on its family's socket; asks parleyd's
 * voice port for the server-reflexive address (STUN through pl_voice_sendto, the answer through the
 * datagram hook), names the relay, and sends the description to the peer in CALL_CAND. With the
 * peer's (CALL_PEER_CAND) it runs the checks on a libevent timer; keys for the checks come from
 * the call's media keys (both directions, BLAKE2b keyed with each). Media starts on the relay;
 * a nominated pair moves it there (pl_voice_set_peer) and a lost one back to the relay (with
 * media on both while the pair's consent answers are late: no audible gap either way). Each
 * change is shown: a call_path event {path: lan|direct|punched|relayed, rtt_ms, local, remote}
 * and the status line ("direct LAN 1 ms", "punched 12 ms", "relayed").
 *
 * When parleyd has a second STUN port (AUTH_OK's stun_port) both are asked from the voice socket: two
 * mapped ports mean a symmetric NAT, and that side opens PL_CALLPATH_PROBE_SOCKS probe sockets when
 * the agent asks (birthday probing); if one of them wins, media to the peer leaves from it
 * (pl_voice_set_peer_fd) and what arrives on it goes to the engine (pl_voice_input). A pair of the
 * other family carries media the same way, from and to the second socket (pl_voice_set_peer_via).
 *
 * During the call the interfaces are watched (netlink's address messages, and a look every
 * PL_CALLPATH_SCAN_MS): when this device's addresses change, what went leaves the agent's
 * candidates, what came joins them, and the description goes to the peer again in CALL_CAND (the
 * peer's agent drops pairs to addresses no longer named and checks the new ones). If the nominated
 * pair's local address went, the media is on the relay at once and checks start over: a call_path
 * event each way, and a call_addresses event {added, removed, path_gone} for the change.
 */
#ifndef PL_CLIENT_CALLPATH_H
#define PL_CLIENT_CALLPATH_H

#include <event2/event.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/e2e.h"
#include "core/env.h"
#include "core/msg.h"

struct pl_ui;
struct pl_voice;
struct pl_callpath;

#define PL_CALLPATH_STUN_WAIT_MS 600 /* for parleyd's STUN answer before the description goes out */
/* Consent checks on the direct path this often; no answer for PL_CALLPATH_HEDGE_MS and media goes
 * to the relay as well (pl_voice_set_hedge) until an answer comes or the agent gives the path up
 * (PL_ICE_CONSENT_TIMEOUT_MS): a path cut off costs at most this much audio, not a second. */
#define PL_CALLPATH_CONSENT_MS 100
#define PL_CALLPATH_HEDGE_MS 150
/* Birthday probing (core/ice.h): the sockets a side behind a symmetric NAT opens, and the probes
 * the other side sends a round: about 1 - e^(-256*384/64512), 78 %, of a round getting through. */
#define PL_CALLPATH_PROBE_SOCKS 256
/* During a call the interfaces are gathered again this often, and PL_CALLPATH_SETTLE_MS after the
 * kernel says an address changed (netlink): a path whose address went is left at once. */
#define PL_CALLPATH_SCAN_MS 2000
#define PL_CALLPATH_SETTLE_MS 50
/* After such a change the server-reflexive address is asked for again, once a scan, this many
 * times at most until an answer comes. */
#define PL_CALLPATH_REQUERY_TRIES 3
/* Descriptions (CALL_CAND) go out within parleyd's default budget (cand_burst 4, cand_rate 0.1 a
 * second); one that would pass it waits, and the newest goes when it fits. The rate is 5 % under
 * the server's: its bucket counts from when each description reached it, so at the same rate a
 * description that crossed faster than the one before came a few ms before its token (a 438). */
#define PL_CALLPATH_CAND_BURST 4
#define PL_CALLPATH_CAND_PER_S 0.095
#define PL_CALLPATH_PROBE_BUDGET 384

struct pl_callpath_cfg {
	struct event_base *base;
	const struct pl_env *env;
	struct pl_ui *ui;
	/* The voice engine (NULL when there is none: no direct path then). */
	struct pl_voice *(*voice)(void *arg);
	/* parleyd's voice address (the STUN server and the relay candidate) and its second STUN port
	 * (AUTH_OK's, 0: none). false: no direct path. */
	bool (*server_udp)(void *arg, struct sockaddr_storage *ss, socklen_t *len, uint16_t *stun_port);
	void (*send)(void *arg, struct pl_msg *m);
	void *arg;
};

int pl_callpath_alloc(struct pl_callpath **out, const struct pl_callpath_cfg *cfg);
void pl_callpath_free(struct pl_callpath *p);
/* The 1:1 call id became active: the caller is controlling; keys are the handshake's. */
void pl_callpath_start(struct pl_callpath *p, uint64_t call, bool controlling, const struct pl_e2e_keys *keys,
		       uint64_t peer_session);
/* CALL_PEER_CAND. */
void pl_callpath_msg(struct pl_callpath *p, const struct pl_msg *m);
/* The call ended: back to the relay, agent freed. */
void pl_callpath_stop(struct pl_callpath *p);
/* "direct LAN 1 ms", "punched 12 ms", "relayed", or "" when no call is running. */
void pl_callpath_status(const struct pl_callpath *p, char *out, size_t sz);

#endif
