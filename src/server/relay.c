#include "server/relay.h"

#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/spsc.h"
#include "core/vpkt.h"
#include "net/addr.h"
#include "net/log.h"
#include "net/udp.h"
#include "server/rdvpair.h"
#include "server/stund.h"

#define MAX_BATCHES_PER_WAKE 8 /* then look at the command queue again */
#define QUEUE_CAP 8192
#define NONE (-1)

/* Token buckets count in thousandths, so that a rate per second is exactly a refill per ms. */
#define UNIT 1000u
/* CHALLENGEs per session: a few at once, then 2 a second. A client needs one per address move;
 * the bound is what a key holder can make the relay send to an address that never asked. */
#define CHALLENGE_BURST 4u
#define CHALLENGE_RATE 2u
/* A cookie is good in the time slot it was made in and the next one: 5 to 10 s, plenty for a
 * round trip, too short to keep one for later. */
#define COOKIE_SLOT_MS 5000u
#define COOKIE_MAC_LEN (PL_VCOOKIE_LEN - 4)
/* Past this gap every bucket is full anyway; capping it keeps the products below 2^64. */
#define REFILL_CAP_MS 10000000u

enum op { OP_SESSION, OP_ROOM, OP_END, OP_STOP, OP_BUDGETS, OP_RDV_PAIR };

union sockaddr_any {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

struct cmd {
	uint8_t op;
	uint64_t id;
	uint32_t room;
	uint8_t key[PL_VOICE_KEY_LEN];
	uint32_t budgets[5]; /* OP_BUDGETS: packet rate, burst, byte rate, burst, binding timeout */
	struct pl_stund_opts stun; /* OP_BUDGETS too */
	union sockaddr_any pair[2]; /* OP_RDV_PAIR: the two public addresses */
};

/* Why a datagram was dropped; counted on the relay thread, logged when it stops. */
enum drop {
	DROP_MALFORMED,     /* did not decode, or a server-to-client type */
	DROP_UNKNOWN,       /* no such session */
	DROP_BAD_MAC,       /* BIND or CONFIRM whose MAC does not check */
	DROP_OLD_COUNTER,   /* BIND or CONFIRM whose counter does not rise: a replay */
	DROP_BAD_COOKIE,    /* CONFIRM with a cookie not made for it, or too old */
	DROP_CHALLENGES,    /* BIND from a new address past the session's CHALLENGE budget */
	DROP_UNPROVEN,      /* VOICE from an address that is not the sender's proven one */
	DROP_PACKET_BUDGET, /* over the sender's packets per second */
	DROP_BYTE_BUDGET,   /* over the sender's bytes per second */
	DROP_NO_ROUTE,      /* a session for which there was no room in the table */
	DROP_N
};

static const char *const drop_names[DROP_N] = {
	"malformed", "unknown sender", "bad MAC", "old counter", "bad cookie", "challenge budget",
	"unproven address", "packet budget", "byte budget", "table full",
};
static const char *const drop_labels[DROP_N] = {
	"malformed", "unknown_sender", "bad_mac", "old_counter", "bad_cookie", "challenge_budget",
	"unproven_address", "packet_budget", "byte_budget", "table_full",
};
_Static_assert(DROP_N == PL_RELAY_DROP_N, "relay.h's PL_RELAY_DROP_N counts the drop reasons");

/* The counters as published for other threads: relaxed atomics, written once per wake-up. */
#define N_STUN (1 + PL_STUND_REFUSAL_N)
#define N_PUBLISHED (7 + DROP_N + N_STUN)
/* STUN's slots per source address: as many as the login limiters have, at least. */
#define STUN_SLOTS 4096u

/* One session as the relay sees it; linked into its voice room's list by index. */
struct route {
	uint64_t id; /* 0: free, and then next links the free list */
	uint32_t room;
	int32_t next, prev;
	bool proven;           /* addr answered a CHALLENGE, and seen_ms is recent enough */
	uint64_t seen_ms;      /* the last valid BIND or CONFIRM from addr */
	uint64_t counter;      /* the highest BIND counter accepted */
	uint64_t confirmed;    /* the highest CONFIRM counter accepted */
	socklen_t len;
	union sockaddr_any addr;
	struct pl_udp_local local; /* where addr's packets arrive: everything to addr leaves from it */
	uint64_t refill_ms;
	uint64_t pkt_tokens, byte_tokens, chal_tokens; /* in UNITs */
	uint8_t key[PL_VOICE_KEY_LEN];
};

struct pl_relay {
	int fd, wake;
	int stun_fd; /* the STUN port, or -1 */
	const struct pl_env *env;
	struct pl_relay_opts o;
	uint64_t now; /* ms, read once per batch */

	/* The routes, and an open-addressing table (linear probing, at most half full) from id to
	 * route index. Ids are placed with SipHash under a random key, so nobody can pick ids that
	 * pile up in one run of the table. */
	struct route *routes;
	int32_t free_head;
	int32_t *table;
	size_t mask;
	uint8_t hash_key[crypto_shorthash_KEYBYTES];
	uint8_t cookie_key[crypto_generichash_KEYBYTES];
	uint8_t pair_key[PL_RDVPAIR_HASH_KEY];
	int32_t *heads; /* first member of each voice room, by room number */

	struct pl_spsc q;
	struct event_base *base;
	struct event *udp_ev, *wake_ev, *stun_ev;
	struct pl_stund *stund;
	struct pl_rdvpairs *pairs; /* rendezvous whose punching failed (server/rdvpair.h) */
	pthread_t thread;
	struct pl_udp_rx rx;
	struct pl_udp_tx tx;
	/* Replies made while handling rx datagram i; sent before the next receive. */
	uint8_t replies[PL_UDP_RX_BATCH][PL_STUND_RESPONSE_MAX > PL_VPKT_HDR + PL_VCHALLENGE_PAYLOAD
						 ? PL_STUND_RESPONSE_MAX
						 : PL_VPKT_HDR + PL_VCHALLENGE_PAYLOAD];
	uint64_t drops[DROP_N];
	uint64_t forwarded, challenges, acks;
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	_Atomic uint64_t published[N_PUBLISHED];
};

/* --- the routing table (relay thread) --- */

static size_t home_of(const struct pl_relay *r, uint64_t id)
{
	uint8_t in[8], out[crypto_shorthash_BYTES];
	pl_put_be32(in, (uint32_t)(id >> 32));
	pl_put_be32(in + 4, (uint32_t)id);
	crypto_shorthash(out, in, sizeof in, r->hash_key);
	uint64_t h = (uint64_t)pl_be32(out) << 32 | pl_be32(out + 4);
	return (size_t)h & r->mask;
}

/* The table index holding id, or the empty one where it would go. The table is never more than
 * half full, so the walk ends; the bound is a backstop. */
static size_t find_slot(const struct pl_relay *r, uint64_t id)
{
	size_t i = home_of(r, id);
	for (size_t n = 0; n <= r->mask; n++, i = (i + 1) & r->mask) {
		int32_t k = r->table[i];
		if (k == NONE || r->routes[k].id == id)
			return i;
	}
	return i;
}

static struct route *route_of(struct pl_relay *r, uint64_t id)
{
	if (id == 0)
		return NULL;
	int32_t k = r->table[find_slot(r, id)];
	return k == NONE ? NULL : &r->routes[k];
}

/* Removes table entry i and shifts later members of its run back, so that lookups never need
 * tombstones and the table does not degrade with churn. */
static void table_remove(struct pl_relay *r, size_t i)
{
	r->table[i] = NONE;
	for (size_t j = (i + 1) & r->mask; r->table[j] != NONE; j = (j + 1) & r->mask) {
		size_t home = home_of(r, r->routes[r->table[j]].id);
		/* Entry j may move to the hole at i when its home is not in (i, j], cyclically. */
		bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!stays) {
			r->table[i] = r->table[j];
			r->table[j] = NONE;
			i = j;
		}
	}
}

static void unlink_room(struct pl_relay *r, struct route *x)
{
	if (!x->room)
		return;
	if (x->prev != NONE)
		r->routes[x->prev].next = x->next;
	else
		r->heads[x->room] = x->next;
	if (x->next != NONE)
		r->routes[x->next].prev = x->prev;
	x->room = 0;
	x->next = x->prev = NONE;
}

static void link_room(struct pl_relay *r, struct route *x, uint32_t room)
{
	unlink_room(r, x);
	if (room == 0 || room > r->o.rooms)
		return;
	int32_t k = (int32_t)(x - r->routes);
	x->room = room;
	x->prev = NONE;
	x->next = r->heads[room];
	if (x->next != NONE)
		r->routes[x->next].prev = k;
	r->heads[room] = k;
}

/* A fresh route: no address, full buckets. */
static void route_reset(struct pl_relay *r, struct route *x, uint64_t id, const uint8_t *key)
{
	unlink_room(r, x);
	memset(x, 0, sizeof *x);
	x->id = id;
	x->next = x->prev = NONE;
	memcpy(x->key, key, sizeof x->key);
	x->refill_ms = r->now;
	x->pkt_tokens = (uint64_t)r->o.packet_burst * UNIT;
	x->byte_tokens = (uint64_t)r->o.byte_burst * UNIT;
	x->chal_tokens = (uint64_t)CHALLENGE_BURST * UNIT;
}

static void session_start(struct pl_relay *r, const struct cmd *c)
{
	size_t i = find_slot(r, c->id);
	if (r->table[i] != NONE) {
		route_reset(r, &r->routes[r->table[i]], c->id, c->key);
		return;
	}
	if (r->free_head == NONE) {
		r->drops[DROP_NO_ROUTE]++; /* more sessions than max_sessions: this one gets no voice */
		return;
	}
	int32_t k = r->free_head;
	r->free_head = r->routes[k].next;
	route_reset(r, &r->routes[k], c->id, c->key);
	r->table[i] = k;
}

static void session_end(struct pl_relay *r, uint64_t id)
{
	size_t i = find_slot(r, id);
	int32_t k = r->table[i];
	if (k == NONE)
		return;
	struct route *x = &r->routes[k];
	unlink_room(r, x);
	memset(x, 0, sizeof *x);
	x->prev = NONE;
	x->next = r->free_head;
	r->free_head = k;
	table_remove(r, i);
}

/* Applies the signalling thread's changes; false once told to stop. */
static bool apply_commands(struct pl_relay *r)
{
	struct cmd c;
	r->now = pl_env_mono_ms(r->env);
	while (pl_spsc_pop(&r->q, &c)) {
		if (c.op == OP_STOP)
			return false;
		if (c.op == OP_BUDGETS) {
			r->o.packet_rate = c.budgets[0];
			r->o.packet_burst = c.budgets[1];
			r->o.byte_rate = c.budgets[2];
			r->o.byte_burst = c.budgets[3];
			r->o.binding_timeout_ms = c.budgets[4];
			pl_stund_set_rates(r->stund, &c.stun);
			pl_rdvpairs_set_budgets(r->pairs, c.budgets[0], c.budgets[1], c.budgets[2], c.budgets[3]);
			continue;
		}
		if (c.op == OP_RDV_PAIR) {
			pl_rdvpairs_add(r->pairs, &c.pair[0].sa, &c.pair[1].sa, r->now);
			continue;
		}
		if (c.id == 0)
			continue;
		switch (c.op) {
		case OP_SESSION:
			session_start(r, &c);
			break;
		case OP_ROOM: {
			struct route *x = route_of(r, c.id);
			if (x)
				link_room(r, x, c.room);
			break;
		}
		case OP_END:
			session_end(r, c.id);
			break;
		}
	}
	return true;
}

/* --- budgets --- */

static uint64_t refilled(uint64_t tokens, uint64_t ms, unsigned rate, unsigned burst)
{
	uint64_t cap = (uint64_t)burst * UNIT, t = tokens + ms * rate;
	return t < cap ? t : cap;
}

static void refill(struct pl_relay *r, struct route *x)
{
	if (r->now <= x->refill_ms)
		return;
	uint64_t ms = r->now - x->refill_ms;
	if (ms > REFILL_CAP_MS)
		ms = REFILL_CAP_MS;
	x->refill_ms = r->now;
	x->pkt_tokens = refilled(x->pkt_tokens, ms, r->o.packet_rate, r->o.packet_burst);
	x->byte_tokens = refilled(x->byte_tokens, ms, r->o.byte_rate, r->o.byte_burst);
	x->chal_tokens = refilled(x->chal_tokens, ms, CHALLENGE_RATE, CHALLENGE_BURST);
}

/* Takes one packet and len bytes from the sender's buckets, or neither; false (and counted)
 * when either is short. */
static bool within_budget(struct pl_relay *r, struct route *x, size_t len)
{
	refill(r, x);
	uint64_t bytes = (uint64_t)len * UNIT;
	if (x->pkt_tokens < UNIT) {
		r->drops[DROP_PACKET_BUDGET]++;
		return false;
	}
	if (x->byte_tokens < bytes) {
		r->drops[DROP_BYTE_BUDGET]++;
		return false;
	}
	x->pkt_tokens -= UNIT;
	x->byte_tokens -= bytes;
	return true;
}

/* --- addresses and cookies --- */

/* Whether x has an address voice may go to now; a proof too old is forgotten here. */
static bool bound_now(struct pl_relay *r, struct route *x)
{
	if (x->proven && r->now - x->seen_ms > r->o.binding_timeout_ms)
		x->proven = false;
	return x->proven;
}

/* The cookie: the time slot, then a MAC under the relay's secret over the session, the BIND's
 * counter, the address that sent it (v4-mapped written as IPv4, as pl_addr_eq compares) and
 * the slot. The relay keeps no state per CHALLENGE, so a flood of BINDs costs it no memory. */
static void make_cookie(const struct pl_relay *r, uint8_t cookie[PL_VCOOKIE_LEN], uint64_t id,
			uint64_t counter, const struct sockaddr *from, uint32_t slot)
{
	uint8_t in[8 + 8 + 4 + 1 + 16 + 2], mac[COOKIE_MAC_LEN];
	size_t n = 0;
	memset(in, 0, sizeof in);
	pl_put_be32(in, (uint32_t)(id >> 32));
	pl_put_be32(in + 4, (uint32_t)id);
	pl_put_be32(in + 8, (uint32_t)(counter >> 32));
	pl_put_be32(in + 12, (uint32_t)counter);
	pl_put_be32(in + 16, slot);
	n = 20;
	if (from->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)from;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			in[n++] = 4;
			memcpy(in + n, s6->sin6_addr.s6_addr + 12, 4);
			n += 4;
		} else {
			in[n++] = 6;
			memcpy(in + n, s6->sin6_addr.s6_addr, 16);
			n += 16;
		}
		memcpy(in + n, &s6->sin6_port, 2);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)from;
		in[n++] = 4;
		memcpy(in + n, &s4->sin_addr, 4);
		n += 4;
		memcpy(in + n, &s4->sin_port, 2);
	}
	n += 2;
	crypto_generichash(mac, sizeof mac, in, n, r->cookie_key, sizeof r->cookie_key);
	pl_put_be32(cookie, slot);
	memcpy(cookie + 4, mac, sizeof mac);
}

static bool cookie_ok(const struct pl_relay *r, const uint8_t cookie[PL_VCOOKIE_LEN], uint64_t id,
		      uint64_t counter, const struct sockaddr *from)
{
	uint32_t now_slot = (uint32_t)(r->now / COOKIE_SLOT_MS), slot = pl_be32(cookie);
	if (slot != now_slot && slot + 1 != now_slot)
		return false;
	uint8_t want[PL_VCOOKIE_LEN];
	make_cookie(r, want, id, counter, from, slot);
	return sodium_memcmp(want, cookie, PL_VCOOKIE_LEN) == 0;
}

static void send_ack(struct pl_relay *r, struct route *x, uint64_t counter, unsigned i)
{
	int n = pl_vack_make(r->replies[i], sizeof r->replies[i], x->id, counter);
	if (n > 0) {
		pl_udp_tx_add(&r->tx, r->fd, r->replies[i], (size_t)n, &x->addr.sa, x->len, &x->local);
		r->acks++;
		r->tx_packets++;
		r->tx_bytes += (uint64_t)n;
	}
}

/* --- packets (relay thread) --- */

/* A BIND: from the proven address it refreshes the binding; from any other address it earns
 * that address a CHALLENGE (within the session's budget of them) and nothing else. */
static void on_bind(struct pl_relay *r, struct route *x, const struct pl_vpkt *v, const uint8_t *raw,
		    size_t len, unsigned i)
{
	const struct sockaddr *from = (const struct sockaddr *)&r->rx.from[i];
	uint64_t counter;
	if (pl_vbind_check(v, raw, x->key, &counter) != 0) {
		r->drops[DROP_BAD_MAC]++;
		return;
	}
	if (counter <= x->counter) {
		r->drops[DROP_OLD_COUNTER]++;
		return;
	}
	x->counter = counter;
	if (!within_budget(r, x, len))
		return;
	if (bound_now(r, x) && pl_addr_eq(from, &x->addr.sa)) {
		x->seen_ms = r->now;
		x->local = r->rx.local[i]; /* the peer may have moved to another of our addresses */
		send_ack(r, x, counter, i);
		return;
	}
	if (x->chal_tokens < UNIT) {
		r->drops[DROP_CHALLENGES]++;
		return;
	}
	x->chal_tokens -= UNIT;
	uint8_t cookie[PL_VCOOKIE_LEN];
	make_cookie(r, cookie, x->id, counter, from, (uint32_t)(r->now / COOKIE_SLOT_MS));
	int n = pl_vchallenge_make(r->replies[i], sizeof r->replies[i], x->id, counter, cookie);
	if (n > 0 && (size_t)n <= len) {
		pl_udp_tx_add(&r->tx, r->fd, r->replies[i], (size_t)n, from, pl_sockaddr_len(from),
			      &r->rx.local[i]);
		r->challenges++;
		r->tx_packets++;
		r->tx_bytes += (uint64_t)n;
	}
}

/* A CONFIRM: the address it comes from answered our CHALLENGE, so it becomes the session's. */
static void on_confirm(struct pl_relay *r, struct route *x, const struct pl_vpkt *v, const uint8_t *raw,
		       size_t len, unsigned i)
{
	const struct sockaddr *from = (const struct sockaddr *)&r->rx.from[i];
	uint64_t counter;
	const uint8_t *cookie;
	if (pl_vconfirm_check(v, raw, x->key, &counter, &cookie) != 0) {
		r->drops[DROP_BAD_MAC]++;
		return;
	}
	if (counter <= x->confirmed) {
		r->drops[DROP_OLD_COUNTER]++;
		return;
	}
	if (!cookie_ok(r, cookie, x->id, counter, from)) {
		r->drops[DROP_BAD_COOKIE]++;
		return;
	}
	x->confirmed = counter;
	if (!within_budget(r, x, len))
		return;
	x->proven = true;
	x->seen_ms = r->now;
	x->len = pl_sockaddr_len(from);
	memcpy(&x->addr, from, x->len);
	x->local = r->rx.local[i];
	send_ack(r, x, counter, i);
}

static void on_voice(struct pl_relay *r, struct route *x, const uint8_t *raw, size_t len, unsigned i)
{
	const struct sockaddr *from = (const struct sockaddr *)&r->rx.from[i];
	if (!bound_now(r, x) || !pl_addr_eq(from, &x->addr.sa)) {
		r->drops[DROP_UNPROVEN]++;
		return;
	}
	if (!x->room || !within_budget(r, x, len))
		return;
	for (int32_t k = r->heads[x->room]; k != NONE; k = r->routes[k].next) {
		struct route *m = &r->routes[k];
		if (m == x || !bound_now(r, m))
			continue;
		pl_udp_tx_add(&r->tx, r->fd, raw, len, &m->addr.sa, m->len, &m->local);
		r->forwarded++;
		r->tx_packets++;
		r->tx_bytes += len;
	}
}

/* Copies the counters where other threads may read them: a few relaxed stores per wake-up,
 * nothing per packet. */
static void publish(struct pl_relay *r)
{
	uint64_t v[N_PUBLISHED] = {r->rx_packets, r->rx_bytes, r->tx_packets, r->tx_bytes, r->forwarded,
				   r->challenges, r->acks};
	memcpy(v + 7, r->drops, sizeof r->drops);
	struct pl_stund_counters sc;
	pl_stund_counters(r->stund, &sc);
	v[7 + DROP_N] = sc.answered;
	memcpy(v + 8 + DROP_N, sc.refused, sizeof sc.refused);
	for (int k = 0; k < N_PUBLISHED; k++)
		atomic_store_explicit(&r->published[k], v[k], memory_order_relaxed);
}

void pl_relay_counters(struct pl_relay *r, struct pl_relay_counters *out)
{
	uint64_t v[N_PUBLISHED];
	for (int k = 0; k < N_PUBLISHED; k++)
		v[k] = atomic_load_explicit(&r->published[k], memory_order_relaxed);
	out->rx_packets = v[0];
	out->rx_bytes = v[1];
	out->tx_packets = v[2];
	out->tx_bytes = v[3];
	out->forwarded = v[4];
	out->challenges = v[5];
	out->acks = v[6];
	memcpy(out->drops, v + 7, sizeof out->drops);
	out->stun.answered = v[7 + DROP_N];
	memcpy(out->stun.refused, v + 8 + DROP_N, sizeof out->stun.refused);
}

const char *pl_relay_drop_label(unsigned k)
{
	return k < DROP_N ? drop_labels[k] : "unknown";
}

/* A datagram that pl_stun_classify called STUN, on the voice port or the STUN port (fd): its
 * answer, if it earns one, leaves from the local address it came to. */
static void on_stun(struct pl_relay *r, int fd, const uint8_t *raw, size_t len, unsigned i)
{
	const struct sockaddr *from = (const struct sockaddr *)&r->rx.from[i];
	size_t n = pl_stund_answer(r->stund, r->now, raw, len, from, r->replies[i], sizeof r->replies[i]);
	if (n) {
		pl_udp_tx_add(&r->tx, fd, r->replies[i], n, from, pl_sockaddr_len(from), &r->rx.local[i]);
		r->tx_packets++;
		r->tx_bytes += n;
	}
}

/* A datagram from one side of a rendezvous pair (server/rdvpair.h), whatever it holds, goes to
 * the other side unchanged: handled (true), or not from a pair's address (false). */
static bool on_rdv_pair(struct pl_relay *r, const uint8_t *raw, size_t len, unsigned i)
{
	const struct sockaddr *to;
	socklen_t tolen;
	const struct pl_udp_local *tolocal;
	int k = pl_rdvpairs_route(r->pairs, (const struct sockaddr *)&r->rx.from[i], &r->rx.local[i], len, r->now,
				  &to, &tolen, &tolocal);
	if (k == 0)
		return false;
	if (k < 0) {
		r->drops[DROP_BYTE_BUDGET]++;
		return true;
	}
	pl_udp_tx_add(&r->tx, r->fd, raw, len, to, tolen, tolocal);
	r->forwarded++;
	r->tx_packets++;
	r->tx_bytes += len;
	return true;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct pl_relay *r = arg;
	if (!apply_commands(r)) {
		event_base_loopbreak(r->base);
		return;
	}
	for (int batch = 0; batch < MAX_BATCHES_PER_WAKE; batch++) {
		int n = pl_udp_recv(r->fd, &r->rx);
		if (n <= 0)
			break;
		r->now = pl_env_mono_ms(r->env);
		for (int i = 0; i < n; i++) {
			const uint8_t *raw = r->rx.buf[i];
			size_t len = r->rx.msgs[i].msg_len;
			r->rx_packets++;
			r->rx_bytes += len;
			if (pl_rdvpairs_count(r->pairs) && on_rdv_pair(r, raw, len, (unsigned)i))
				continue;
			enum pl_dgram_kind kind = pl_stun_classify(raw, len);
			if (kind == PL_DGRAM_STUN || kind == PL_DGRAM_STUN_CLASSIC) {
				on_stun(r, r->fd, raw, len, (unsigned)i);
				continue;
			}
			if (kind == PL_DGRAM_OTHER && r->o.other &&
			    r->o.other(r->o.other_arg, raw, len, (const struct sockaddr *)&r->rx.from[i]))
				continue;
			struct pl_vpkt v;
			if (pl_vpkt_decode(&v, raw, len) != 0) {
				r->drops[DROP_MALFORMED]++;
				continue;
			}
			struct route *x = route_of(r, v.sender);
			if (!x) {
				r->drops[DROP_UNKNOWN]++;
				continue;
			}
			switch (v.type) {
			case PL_VPKT_VOICE:
				on_voice(r, x, raw, len, (unsigned)i);
				break;
			case PL_VPKT_BIND:
				on_bind(r, x, &v, raw, len, (unsigned)i);
				break;
			case PL_VPKT_CONFIRM:
				on_confirm(r, x, &v, raw, len, (unsigned)i);
				break;
			default: /* BIND_ACK and CHALLENGE go the other way */
				r->drops[DROP_MALFORMED]++;
				break;
			}
		}
		/* The queued datagrams point into rx: send them before the next receive. */
		pl_udp_tx_flush(&r->tx, r->fd);
		if (n < PL_UDP_RX_BATCH)
			break;
	}
	publish(r);
}

/* The STUN port: STUN only (pl_stund_answer counts anything else as malformed). */
static void on_stun_readable(evutil_socket_t fd, short what, void *arg)
{
	struct pl_relay *r = arg;
	if (!apply_commands(r)) {
		event_base_loopbreak(r->base);
		return;
	}
	for (int batch = 0; batch < MAX_BATCHES_PER_WAKE; batch++) {
		int n = pl_udp_recv(r->stun_fd, &r->rx);
		if (n <= 0)
			break;
		r->now = pl_env_mono_ms(r->env);
		for (int i = 0; i < n; i++) {
			r->rx_packets++;
			r->rx_bytes += r->rx.msgs[i].msg_len;
			on_stun(r, r->stun_fd, r->rx.buf[i], r->rx.msgs[i].msg_len, (unsigned)i);
		}
		pl_udp_tx_flush(&r->tx, r->stun_fd);
		if (n < PL_UDP_RX_BATCH)
			break;
	}
	publish(r);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct pl_relay *r = arg;
	uint64_t v;
	ssize_t n = read(r->wake, &v, sizeof v);
	(void)n;
	if (!apply_commands(r))
		event_base_loopbreak(r->base);
	publish(r); /* a session that found no room in the table counts a drop here */
}

static void *run(void *arg)
{
	struct pl_relay *r = arg;
	event_base_dispatch(r->base);
	return NULL;
}

/* --- control (signalling thread) --- */

static void post(struct pl_relay *r, const struct cmd *c)
{
	/* The relay drains the queue at every wake; a full queue means it is busy for a moment. */
	while (!pl_spsc_push(&r->q, c))
		sched_yield();
	uint64_t one = 1;
	ssize_t n = write(r->wake, &one, sizeof one);
	(void)n;
}

void pl_relay_session(struct pl_relay *r, uint64_t id, const uint8_t key[PL_VOICE_KEY_LEN])
{
	struct cmd c = {.op = OP_SESSION, .id = id};
	memcpy(c.key, key, sizeof c.key);
	post(r, &c);
}

void pl_relay_voice_room(struct pl_relay *r, uint64_t id, uint32_t room)
{
	struct cmd c = {.op = OP_ROOM, .id = id, .room = room};
	post(r, &c);
}

void pl_relay_session_end(struct pl_relay *r, uint64_t id)
{
	struct cmd c = {.op = OP_END, .id = id};
	post(r, &c);
}

void pl_relay_rdv_pair(struct pl_relay *r, const struct sockaddr *a, const struct sockaddr *b)
{
	struct cmd c = {.op = OP_RDV_PAIR, .id = 1};
	memcpy(&c.pair[0], a, pl_sockaddr_len(a));
	memcpy(&c.pair[1], b, pl_sockaddr_len(b));
	post(r, &c);
}

void pl_relay_set_budgets(struct pl_relay *r, const struct pl_relay_opts *o)
{
	struct cmd c = {.op = OP_BUDGETS, .id = 1,
			.budgets = {o->packet_rate, o->packet_burst, o->byte_rate, o->byte_burst, o->binding_timeout_ms},
			.stun = {o->stun_rate, o->stun_burst, o->stun_global_rate, o->stun_global_rate}};
	post(r, &c);
}

static void destroy(struct pl_relay *r)
{
	if (r->udp_ev)
		event_free(r->udp_ev);
	if (r->wake_ev)
		event_free(r->wake_ev);
	if (r->stun_ev)
		event_free(r->stun_ev);
	if (r->base)
		event_base_free(r->base);
	if (r->wake >= 0)
		close(r->wake);
	pl_spsc_destroy(&r->q);
	free(r->routes);
	free(r->table);
	free(r->heads);
	pl_stund_free(r->stund);
	pl_rdvpairs_free(r->pairs);
	sodium_memzero(r, sizeof *r);
	free(r);
}

int pl_relay_alloc(struct pl_relay **rp, int fd, int stun_fd, const struct pl_env *env,
		   const struct pl_relay_opts *o)
{
	/* The global STUN budget's burst is one second of its rate. */
	struct pl_stund_opts so = {o->stun_rate, o->stun_burst, o->stun_global_rate, o->stun_global_rate};
	if (o->max_sessions == 0 || o->max_sessions > (1u << 24) || o->rooms > (1u << 24) ||
	    o->packet_rate == 0 || o->packet_burst == 0 || o->byte_rate == 0 || o->byte_burst < PL_VPKT_MAX ||
	    !(so.rate > 0 && so.burst >= 1 && so.global_rate >= 1))
		return -EINVAL;
	struct pl_relay *r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	r->fd = fd;
	r->stun_fd = stun_fd;
	r->wake = -1;
	r->env = env;
	r->o = *o;
	size_t cap = 16;
	while (cap < 2 * (size_t)o->max_sessions)
		cap *= 2;
	r->mask = cap - 1;
	pl_env_random(env, r->hash_key, sizeof r->hash_key);
	pl_env_random(env, r->cookie_key, sizeof r->cookie_key);
	pl_env_random(env, r->pair_key, sizeof r->pair_key);
	r->routes = calloc(o->max_sessions, sizeof *r->routes);
	r->table = malloc(cap * sizeof *r->table);
	r->heads = calloc((size_t)o->rooms + 1, sizeof *r->heads);
	if (!r->routes || !r->table || !r->heads || pl_spsc_init(&r->q, QUEUE_CAP, sizeof(struct cmd)) < 0 ||
	    pl_stund_alloc(&r->stund, STUN_SLOTS, &so, env) < 0 ||
	    pl_rdvpairs_alloc(&r->pairs, o->rdv_pairs ? o->rdv_pairs : 1, r->pair_key, o->packet_rate,
			      o->packet_burst, o->byte_rate, o->byte_burst) < 0)
		goto fail;
	for (size_t i = 0; i < cap; i++)
		r->table[i] = NONE;
	for (unsigned i = 0; i < o->max_sessions; i++) {
		r->routes[i].prev = NONE;
		r->routes[i].next = i + 1 < o->max_sessions ? (int32_t)(i + 1) : NONE;
	}
	r->free_head = 0;
	for (unsigned i = 0; i <= o->rooms; i++)
		r->heads[i] = NONE;
	r->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	r->base = event_base_new();
	if (r->wake < 0 || !r->base)
		goto fail;
	r->udp_ev = event_new(r->base, fd, EV_READ | EV_PERSIST, on_readable, r);
	r->wake_ev = event_new(r->base, r->wake, EV_READ | EV_PERSIST, on_wake, r);
	if (stun_fd >= 0)
		r->stun_ev = event_new(r->base, stun_fd, EV_READ | EV_PERSIST, on_stun_readable, r);
	if (!r->udp_ev || !r->wake_ev || event_add(r->udp_ev, NULL) || event_add(r->wake_ev, NULL) ||
	    (stun_fd >= 0 && (!r->stun_ev || event_add(r->stun_ev, NULL))) ||
	    pthread_create(&r->thread, NULL, run, r) != 0)
		goto fail;
	/* So that top -H, perf and bench/run_bench.py can tell the voice path from the rest. */
	pthread_setname_np(r->thread, "pl-relay");
	*rp = r;
	return 0;
fail:
	destroy(r);
	return -ENOMEM;
}

void pl_relay_free(struct pl_relay *r)
{
	if (!r)
		return;
	struct cmd stop = {.op = OP_STOP};
	post(r, &stop);
	pthread_join(r->thread, NULL);
	/* The counters were the relay thread's; after the join they are ours to read. */
	char line[512];
	size_t n = (size_t)snprintf(line, sizeof line, "relay: forwarded %" PRIu64 ", challenges %" PRIu64
				    ", acks %" PRIu64 "; dropped:", r->forwarded, r->challenges, r->acks);
	for (int k = 0; k < DROP_N && n < sizeof line; k++)
		n += (size_t)snprintf(line + n, sizeof line - n, "%s %s %" PRIu64, k ? "," : "", drop_names[k],
				      r->drops[k]);
	pl_log(PL_LOG_INFO, "%s", line);
	struct pl_stund_counters sc;
	pl_stund_counters(r->stund, &sc);
	n = (size_t)snprintf(line, sizeof line, "relay: STUN requests answered %" PRIu64 "; refused:", sc.answered);
	for (int k = 0; k < PL_STUND_REFUSAL_N && n < sizeof line; k++)
		n += (size_t)snprintf(line + n, sizeof line - n, "%s %s %" PRIu64, k ? "," : "", pl_stund_refusal_label((unsigned)k),
				      sc.refused[k]);
	pl_log(PL_LOG_INFO, "%s", line);
	destroy(r);
}
