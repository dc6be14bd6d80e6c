/*
 * ice: a call's connectivity establishment (RFC 8445, one component, one stream), pure: it owns
 * the candidates, the checklist and the choice of path, and touches no socket, clock or random
 * source (the caller passes in time and datagrams, env gives the random bytes). The media path
 * starts on parleyd's relay; this agent finds a direct one and says when to move to it and when
 * to move back.
 *
 * Candidates: host (every interface's address, IPv4 and IPv6, on sock 0: the caller's host socket
 * of that family, the voice socket for one family and a second socket for the other, so a pair is
 * (sock, remote address) whatever the family), server-reflexive (what parleyd's
 * STUN answer said), relay (parleyd's relay: signalled so the peer knows it, never checked: it is
 * the path the call is on until a direct pair is nominated). Priorities are RFC 8445's
 * (pl_ice_priority, pl_ice_pair_priority). Checks are STUN Binding requests with USERNAME
 * "theirs:ours", PRIORITY, ICE-CONTROLLING/-CONTROLLED with a tie-breaker, and MESSAGE-INTEGRITY
 * (HMAC-SHA1, passed in) under keys the caller derives from the call's media keys; an
 * unauthenticated request is dropped unanswered, and an answer is never larger than the request,
 * so the agent cannot be made an amplifier. Checks go out one per Ta (PL_ICE_TA_MS), triggered
 * ones first, then the best waiting pair, then retransmissions (RTO doubling to
 * PL_ICE_RTO_MAX_MS, PL_ICE_CHECK_TRIES tries). The controlling side (the caller) nominates the
 * best valid pair with USE-CANDIDATE (regular nomination) PL_ICE_NOMINATE_WAIT_MS after the
 * first one succeeds, or at once when no better pair is pending; a role conflict is settled by
 * the tie-breaker (487).
 *
 * A nominated pair is kept alive and its consent checked (RFC 7675) with a request every
 * PL_ICE_CONSENT_INTERVAL_MS; no answer for PL_ICE_CONSENT_TIMEOUT_MS and it is given up: the
 * agent says "relay". The controlling side then tries to nominate that pair once more (one check,
 * PL_ICE_CHECK_TRIES tries: a path that only blinked comes back at once), and PL_ICE_RETRY_MS
 * later every pair is checked again, so a call that fell back returns to direct by itself when
 * the path comes back. Each round that finds nothing doubles the wait, up to PL_ICE_RETRY_MAX_MS:
 * a peer that names addresses which never answer costs a few checks a minute, not a stream. While
 * birthday rounds are left (below), the next one follows a missed one after PL_ICE_BDAY_RETRY_MS.
 *
 * A symmetric NAT (its mapping changes with the destination; the client learns this by asking two
 * STUN addresses from one socket, and signals it as PL_ICE_F_SYMMETRIC) defeats ordinary checks
 * when the other side filters. Then, per round (at most PL_ICE_BDAY_ROUNDS per call):
 *  - the easy side (not symmetric, peer symmetric) sends up to probe_budget paced probes
 *    (PL_ICE_PROBE_MS apart) to the peer's public address: first the ports next to its
 *    server-reflexive one (port prediction, for NATs that allocate in sequence), then random ports;
 *  - the hard side (symmetric, peer not) asks the caller for probe_socks extra sockets
 *    (PL_ICE_EV_OPEN_SOCKS) and sends from each, twice, to the peer's server-reflexive address,
 *    each send opening a new mapping in its NAT.
 * A probe that lands on one of those mappings is a birthday collision: about 1 - e^(-S*P/64512)
 * per round for S sockets and P probes (64 % for 256 and 256).
 *
 * How the client drives it (client/callpath.c):
 *  1. When a call is set up: pl_ice_new with the role (the caller is controlling), env, HMAC
 *     (net/stun_mi.h's pl_stun_hmac_sha1), two keys derived from the call's media key material
 *     (key_local verifies checks sent to us; the peer's key_local is our key_remote: derive them
 *     with the two directions' labels, or pass one key twice), symmetric (from the client's STUN
 *     test) and probe_socks. pl_ice_add_local for each host address of both families (port: that
 *     family's host socket's), the server-reflexive address and the relay. pl_ice_local_desc +
 *     pl_ice_desc_encode give the bytes for signalling ("info call").
 *  2. On the peer's bytes: pl_ice_desc_decode, pl_ice_set_remote, pl_ice_start(now). Media
 *     stays on the relay.
 *  3. Every datagram on the voice socket and the second host socket (both sock 0;
 *     pl_voice_set_dgram_hook hands over what is not voice) and on probe sockets 1..n goes to
 *     pl_ice_input with its source: 0 means "not STUN" (media: the voice engine's), 1 consumed,
 *     negative dropped (-ENOENT: STUN, not this agent's: an answer to the client's own STUN
 *     request, say).
 *  4. pl_ice_tick(now) at pl_ice_next_ms() at the latest (a timer), and after each input; then
 *     pl_ice_pop_tx until empty: send each datagram on its socket (sock 0: pl_voice_sendto, or the
 *     second host socket when the address is of the other family) to its address; then
 *     pl_ice_pop_event until empty:
 *       PL_ICE_EV_DIRECT: pl_voice_set_peer(v, remote, ...) (media to the peer; from socket ev.sock,
 *         which is 0 except on a hard side that won by birthday probing; sock 0 of the other family:
 *         pl_voice_set_peer_via the second host socket) and a JSON call_path event
 *         with ev.path and ev.rtt_ms; probe sockets other than ev.sock may be closed.
 *       PL_ICE_EV_RELAY: pl_voice_set_peer(v, NULL, ...): back to the relay at once, call_path.
 *       PL_ICE_EV_OPEN_SOCKS: open ev.nsocks UDP sockets (1..nsocks) of the voice socket's family.
 *  5. When the interfaces change: pl_ice_remove_local / pl_ice_add_local, pl_ice_locals_changed,
 *     and the description to the peer again, which gives it to pl_ice_update_remote.
 *  6. pl_ice_free when the call ends.
 */
#ifndef PL_ICE_H
#define PL_ICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/env.h"
#include "core/stun.h"

#define PL_ICE_UFRAG_LEN 8        /* ours: random, from RFC 8445's ice-chars */
#define PL_ICE_UFRAG_MIN 4        /* a peer's: RFC 8839 */
#define PL_ICE_UFRAG_MAX 32
#define PL_ICE_KEY_MAX 64
#define PL_ICE_MAX_CANDS 16       /* per side, in signalling */
#define PL_ICE_MAX_REMOTE 32      /* signalled and peer-reflexive */
#define PL_ICE_MAX_PAIRS 48
#define PL_ICE_DESC_VERSION 1
#define PL_ICE_DESC_MAX (3 + PL_ICE_UFRAG_MAX + 1 + PL_ICE_MAX_CANDS * 28)

#define PL_ICE_TA_MS 20           /* pacing of checks */
#define PL_ICE_RTO_MS 100         /* first retransmission of a check */
#define PL_ICE_RTO_MAX_MS 500
#define PL_ICE_CHECK_TRIES 5      /* 100+200+400+500+500: a dead pair fails in about 1.7 s */
#define PL_ICE_NOMINATE_WAIT_MS 100
#define PL_ICE_CONSENT_INTERVAL_MS 200
#define PL_ICE_CONSENT_TIMEOUT_MS 1000
#define PL_ICE_RETRY_MS 3000      /* after falling back to the relay, or when every check failed */
#define PL_ICE_RETRY_MAX_MS 30000 /* the wait doubles while no round succeeds, up to this */
#define PL_ICE_PROBE_MS 4         /* pacing of birthday probes, each side */
#define PL_ICE_PROBE_BUDGET 256   /* easy side's probes per round (default) */
#define PL_ICE_PROBE_BUDGET_MAX 512
#define PL_ICE_PROBE_SOCKS_MAX 256
#define PL_ICE_PREDICT 8          /* port prediction: srflx port +-1..8 first */
#define PL_ICE_BDAY_ROUNDS 4      /* rounds of birthday probing per call */
#define PL_ICE_BDAY_RETRY_MS 500  /* the wait before the next birthday round (not doubling) */
#define PL_ICE_DGRAM_MAX 192      /* the largest datagram the agent writes */
#define PL_ICE_TXQ 32
#define PL_ICE_EVQ 8

/* RFC 8445's type preferences. */
enum pl_ice_cand_type {
	PL_ICE_HOST = 0,
	PL_ICE_SRFLX = 1,
	PL_ICE_PRFLX = 2,
	PL_ICE_RELAY = 3,
};

struct pl_ice_cand {
	uint8_t type; /* enum pl_ice_cand_type */
	uint32_t priority;
	uint32_t foundation;
	struct pl_stun_addr addr;
};

/* What one side signals: its ufrag, flags and candidates. */
#define PL_ICE_F_SYMMETRIC 0x01 /* the sender's NAT maps per destination */
#define PL_ICE_F_ALL PL_ICE_F_SYMMETRIC
struct pl_ice_desc {
	char ufrag[PL_ICE_UFRAG_MAX + 1];
	uint8_t flags;
	uint8_t n;
	struct pl_ice_cand c[PL_ICE_MAX_CANDS];
};

/* The signalling form:
 *   u8 version (1), u8 flags, u8 ufrag length (4-32), ufrag (RFC 8445 ice-chars: A-Z a-z 0-9 + /),
 *   u8 count (0-16), then per candidate: u8 type (0-3), u8 family (4 or 6), u16 port (not 0),
 *   4 or 16 bytes of address (not unspecified, multicast or broadcast), u32 priority (not 0),
 *   u32 foundation.
 * Nothing may follow. Encode returns the length, or -EMSGSIZE / -EINVAL (a field the decoder would
 * refuse); decode returns 0 or -EBADMSG. */
int pl_ice_desc_encode(const struct pl_ice_desc *d, uint8_t *buf, size_t cap);
int pl_ice_desc_decode(struct pl_ice_desc *d, const uint8_t *buf, size_t len);

/* RFC 8445 5.1.2.1, component 1; local_pref 0-65535 (higher: preferred, e.g. IPv6 over IPv4). */
uint32_t pl_ice_priority(enum pl_ice_cand_type type, uint16_t local_pref);
/* RFC 8445 6.1.2.3: g the controlling side's candidate priority, d the controlled side's. */
uint64_t pl_ice_pair_priority(uint32_t g, uint32_t d);
/* Whether an address is private/link-local (RFC 1918, RFC 6598, 169.254/16, fc00::/7, fe80::/10). */
bool pl_ice_addr_private(const struct pl_stun_addr *a);
bool pl_ice_addr_eq(const struct pl_stun_addr *a, const struct pl_stun_addr *b);
/* Whether a candidate's address may be checked: port set, not unspecified/multicast/broadcast. */
bool pl_ice_addr_usable(const struct pl_stun_addr *a);

struct pl_ice_config {
	bool controlling;
	const struct pl_env *env; /* random bytes only: ufrag, tie-breaker, transaction ids, ports */
	pl_stun_hmac_fn hmac;
	const uint8_t *key_local;
	size_t key_local_len;
	const uint8_t *key_remote;
	size_t key_remote_len;
	bool symmetric;       /* this side is behind a symmetric NAT */
	unsigned probe_socks; /* extra sockets the caller will open for birthday probing; 0: none */
	unsigned probe_budget; /* easy side's probes per round; 0: PL_ICE_PROBE_BUDGET */
	unsigned ta_ms;       /* 0: PL_ICE_TA_MS */
	unsigned consent_ms;  /* between consent checks on the nominated pair; 0: PL_ICE_CONSENT_INTERVAL_MS */
};

enum pl_ice_path {
	PL_ICE_PATH_RELAY = 0,
	PL_ICE_PATH_LAN,     /* to the peer's host candidate at a private address */
	PL_ICE_PATH_DIRECT,  /* to the peer's host candidate at a public address */
	PL_ICE_PATH_PUNCHED, /* to a reflexive address: through at least one NAT */
};
const char *pl_ice_path_name(enum pl_ice_path p); /* "relay", "lan", "direct", "punched" */

enum pl_ice_ev_kind {
	PL_ICE_EV_DIRECT = 1,  /* a pair is nominated: media to remote from sock */
	PL_ICE_EV_RELAY,       /* the direct path is lost: media back to the relay */
	PL_ICE_EV_OPEN_SOCKS,  /* open sockets 1..nsocks for birthday probing */
};

struct pl_ice_event {
	enum pl_ice_ev_kind kind;
	enum pl_ice_path path;
	uint16_t sock;
	struct pl_stun_addr remote;
	uint32_t rtt_ms;
	unsigned nsocks;
};

struct pl_ice_tx {
	uint16_t sock; /* 0: the host socket of to's family; 1..probe_socks: probe sockets */
	struct pl_stun_addr to;
	size_t len;
	uint8_t buf[PL_ICE_DGRAM_MAX];
};

struct pl_ice_stats {
	unsigned checks_sent;      /* ordinary, triggered and nomination checks, retransmissions included */
	unsigned consent_sent;
	unsigned probes_sent;      /* easy side's birthday probes, all rounds */
	unsigned hard_probes_sent; /* hard side's sends from probe sockets, all rounds */
	unsigned bday_rounds;
	unsigned answered;         /* checks answered */
	unsigned refused;          /* requests dropped: bad USERNAME or MESSAGE-INTEGRITY */
	unsigned role_conflicts;
};

struct pl_ice;

/* 0, -EINVAL (no env, hmac or keys; a key longer than PL_ICE_KEY_MAX) or -ENOMEM. */
int pl_ice_new(struct pl_ice **out, const struct pl_ice_config *cfg);
void pl_ice_free(struct pl_ice *ice);

/* A local candidate (host, srflx or relay); priority 0: computed with local_pref 65535 (IPv6) or
 * 65534 (IPv4). Host candidates are sock 0's: the host socket of the address's family (the voice
 * socket, or the caller's second socket of the other family). 0, -EINVAL or -ENOSPC. */
int pl_ice_add_local(struct pl_ice *ice, const struct pl_ice_cand *c);
/* Ours for signalling: ufrag, flags, local candidates. */
void pl_ice_local_desc(const struct pl_ice *ice, struct pl_ice_desc *d);
/* The peer's: pairs are formed with every remote host/srflx candidate of a family we have a host
 * candidate in. 0 or -EINVAL (a bad ufrag). Once per agent. */
int pl_ice_set_remote(struct pl_ice *ice, const struct pl_ice_desc *d);
/* Starts checking (and birthday probing where it applies). */
void pl_ice_start(struct pl_ice *ice, uint64_t now_ms);

/* The network changed during a call (client/callpath.c watches the interfaces and re-gathers).
 * pl_ice_add_local may be called at any time: a host candidate of a family that had none is paired
 * with the peer's candidates of that family. pl_ice_remove_local takes a local candidate (by
 * address and port) out of what pl_ice_local_desc gives: 0 or -ENOENT. After either,
 * pl_ice_locals_changed: local_gone says the nominated pair's local address went (the caller knows
 * which of its addresses the kernel sends from): media goes back to the relay at once
 * (PL_ICE_EV_RELAY) and a new round of checks starts now, to nominate again; otherwise new pairs are
 * checked (at once after a round that found nothing), and a nominated pair stays. */
int pl_ice_remove_local(struct pl_ice *ice, const struct pl_stun_addr *a);
void pl_ice_locals_changed(struct pl_ice *ice, bool local_gone, uint64_t now_ms);
/* The peer's description again (trickled after its network changed; the same ufrag, else -EINVAL):
 * signalled candidates it no longer names go with their pairs (and peer-reflexive ones at the same
 * addresses); if the nominated pair's goes, PL_ICE_EV_RELAY at once and a new round now. New ones
 * are paired and checked as with pl_ice_locals_changed; one the nominated pair met as
 * peer-reflexive gets its type, and PL_ICE_EV_DIRECT again when that changes the path's kind.
 * Before pl_ice_set_remote: -EINVAL. */
int pl_ice_update_remote(struct pl_ice *ice, const struct pl_ice_desc *d, uint64_t now_ms);

/* Which of an interface's addresses makes a host candidate: a usable address, not link-local
 * (fe80::/10: its scope id is not signalled); loopback ones only, and only they, when
 * loopback_only (parleyd on loopback: the peer is on this host). Both families. */
bool pl_ice_host_wanted(const struct pl_stun_addr *a, bool loopback_only);
/* Two sets of addresses (address and port compared): removed gets those of old not in cur, added
 * those of cur not in old (each with room for as many as its set has); their counts returned.
 * Returns whether the sets differ. */
bool pl_ice_addrs_diff(const struct pl_stun_addr *old, unsigned nold, const struct pl_stun_addr *cur, unsigned ncur,
		       struct pl_stun_addr *removed, unsigned *nremoved, struct pl_stun_addr *added, unsigned *nadded);

/* A datagram that arrived on socket sock from from: 0 not STUN (media), 1 consumed, -ENOENT STUN
 * but not this agent's, -EBADMSG malformed, -EACCES unauthenticated, -EPROTO another method. */
int pl_ice_input(struct pl_ice *ice, uint16_t sock, const struct pl_stun_addr *from, const uint8_t *buf,
		 size_t len, uint64_t now_ms);
/* Timers: checks, retransmissions, nomination, consent, probes, retries. */
void pl_ice_tick(struct pl_ice *ice, uint64_t now_ms);
/* When pl_ice_tick must run next at the latest (absolute ms); UINT64_MAX: nothing pending. */
uint64_t pl_ice_next_ms(const struct pl_ice *ice);
bool pl_ice_pop_tx(struct pl_ice *ice, struct pl_ice_tx *tx);
bool pl_ice_pop_event(struct pl_ice *ice, struct pl_ice_event *ev);

/* ms since the nominated pair last answered a consent check (0 when none is nominated). It climbs
 * past the consent interval plus the round trip only when answers stop: a caller may hedge then
 * (send media on the relay as well) long before PL_ICE_CONSENT_TIMEOUT_MS gives the pair up. */
uint64_t pl_ice_consent_age(const struct pl_ice *ice, uint64_t now_ms);
bool pl_ice_controlling(const struct pl_ice *ice);
enum pl_ice_path pl_ice_path(const struct pl_ice *ice);
const struct pl_ice_stats *pl_ice_stats(const struct pl_ice *ice);

#endif
