#include "server/rendezvous.h"

#include <errno.h>
#include <event2/event.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/err.h"
#include "core/ratelimit.h"
#include "core/rdv.h"
#include "core/spsc.h"
#include "net/addr.h"
#include "net/log.h"
#include "net/udp.h"
#include "server/relay.h"
#include "server/server.h"
#include "server/session.h"

#define TICK_MS 200      /* how often expiries are looked at */
#define QUEUE_CAP 256    /* datagrams waiting for the signalling thread */
#define CODE_TRIES 16    /* fresh codes drawn before giving up on a table that is nearly full */
#define LIMITER_SLOTS 4096

enum state {
	FREE = 0,
	OPEN,    /* made; waits for its joiner */
	PAIRED,  /* both are there */
	USED,    /* ended after pairing: a third joiner gets RDV_TAKEN */
	EXPIRED, /* nobody joined in time, or the opener left: a joiner gets RDV_EXPIRED */
};

struct side {
	uint64_t session; /* 0: gone */
	uint8_t token[PL_RDV_TOKEN_LEN];
	bool have_pub;
	struct sockaddr_storage pub_sa; /* as the token datagram came */
	char pub[PL_RDV_PUBLIC_MAX + 1];
	char addrs[PL_RDV_ADDRS_MAX + 1];
	unsigned sent; /* RDV_SEND relayed */
	bool want_relay; /* RDV_RELAY: its punching failed */
};

struct pl_rdv_entry {
	enum state state;
	char code[PL_RDV_CODE_MAX + 1];
	uint64_t deadline_ms; /* OPEN: expiry; PAIRED: end; USED/EXPIRED: forgotten */
	bool announced;       /* RDV_PEER sent */
	struct side side[2];  /* PL_RDV_OPENER, PL_RDV_JOINER */
};

struct dgram {
	uint8_t token[PL_RDV_TOKEN_LEN];
	struct sockaddr_storage from;
};

struct pl_rdv {
	struct pl_server *srv;
	struct pl_rdv_entry *e;
	unsigned n;
	struct pl_limiter *guesses, *opens;
	struct event *tick, *wake_ev;
	int wake;
	struct pl_spsc q;     /* relay thread -> here */
	_Atomic int pending;  /* a wake is on its way: the relay writes the eventfd once per batch */
};

static uint64_t now_ms(struct pl_rdv *r)
{
	return pl_env_mono_ms(r->srv->env);
}

static uint64_t ttl_ms(struct pl_rdv *r)
{
	return (uint64_t)r->srv->cfg->rendezvous_ttl_s * 1000;
}

/* --- the table --- */

static struct pl_rdv_entry *find_code(struct pl_rdv *r, const char *code)
{
	for (unsigned i = 0; i < r->n; i++)
		if (r->e[i].state != FREE && strcmp(r->e[i].code, code) == 0)
			return &r->e[i];
	return NULL;
}

/* A free slot; else the ended entry forgotten soonest (its errors then say RDV_UNKNOWN early). */
static struct pl_rdv_entry *take_slot(struct pl_rdv *r)
{
	struct pl_rdv_entry *old = NULL;
	for (unsigned i = 0; i < r->n; i++) {
		struct pl_rdv_entry *x = &r->e[i];
		if (x->state == FREE)
			return x;
		if ((x->state == USED || x->state == EXPIRED) && (!old || x->deadline_ms < old->deadline_ms))
			old = x;
	}
	if (old)
		memset(old, 0, sizeof *old);
	return old;
}

static struct pl_session *side_session(struct pl_rdv *r, struct pl_rdv_entry *x, int k)
{
	return x->side[k].session ? pl_server_session(r->srv, x->side[k].session) : NULL;
}

/* The entry stops holding its sessions (they may log in, or time out, as any connection). */
static void detach(struct pl_rdv *r, struct pl_rdv_entry *x)
{
	for (int k = 0; k < 2; k++) {
		struct pl_session *s = side_session(r, x, k);
		if (s && s->rdv == x)
			s->rdv = NULL;
		x->side[k].session = 0;
	}
}

static void end_entry(struct pl_rdv *r, struct pl_rdv_entry *x, enum state to)
{
	detach(r, x);
	x->state = to;
	x->deadline_ms = now_ms(r) + ttl_ms(r);
	sodium_memzero(x->side, sizeof x->side);
}

/* --- telling the sides --- */

static void send_code(struct pl_rdv *r, struct pl_session *s, struct pl_rdv_entry *x, int k)
{
	struct pl_msg *m = &r->srv->scratch;
	memset(m, 0, sizeof *m);
	m->type = PL_MSG_RDV_CODE;
	snprintf(m->u.rdv.code, sizeof m->u.rdv.code, "%s", x->code);
	memcpy(m->u.rdv.token, x->side[k].token, PL_RDV_TOKEN_LEN);
	m->u.rdv.udp_port = r->srv->udp_port;
	m->u.rdv.ttl_s = r->srv->cfg->rendezvous_ttl_s;
	pl_session_send(s, m);
}

/* Once both are paired and parleyd has seen both public addresses, each learns the other's. */
static void announce(struct pl_rdv *r, struct pl_rdv_entry *x)
{
	if (x->state != PAIRED || x->announced || !x->side[0].have_pub || !x->side[1].have_pub)
		return;
	x->announced = true;
	for (int k = 0; k < 2; k++) {
		struct pl_session *s = side_session(r, x, k);
		if (!s)
			continue;
		struct pl_msg *m = &r->srv->scratch;
		memset(m, 0, sizeof *m);
		m->type = PL_MSG_RDV_PEER;
		m->u.rdv.role = (uint8_t)k;
		snprintf(m->u.rdv.pub, sizeof m->u.rdv.pub, "%s", x->side[!k].pub);
		snprintf(m->u.rdv.addrs, sizeof m->u.rdv.addrs, "%s", x->side[!k].addrs);
		pl_session_send(s, m);
	}
	pl_log(PL_LOG_INFO, "rendezvous: %s and %s meet", x->side[0].pub, x->side[1].pub);
}

/* --- requests --- */

/* Private addresses are forwarded to the other side as given, so only what addresses are made
 * of passes: hex digits, '.', ':', '[', ']', '%' (a scope) and the separating spaces. */
static bool addrs_ok(const char *a)
{
	for (; *a; a++)
		if (!strchr("0123456789abcdefABCDEF.:[]% ", *a))
			return false;
	return true;
}

static void open_code(struct pl_rdv *r, struct pl_session *s, const struct pl_msg *m)
{
	if (!addrs_ok(m->u.rdv.addrs)) {
		pl_session_error(s, PL_ERR_BAD_REQUEST, m->type, "addrs holds something that is not an address");
		return;
	}
	if (!pl_limiter_take(r->opens, s->peer_host, now_ms(r))) {
		pl_session_error(s, PL_ERR_RATE_LIMITED, m->type, "too many room codes asked for from your address");
		return;
	}
	struct pl_rdv_entry *x = take_slot(r);
	if (!x) {
		pl_session_error(s, PL_ERR_RDV_BUSY, m->type, "the server holds as many rendezvous as it keeps");
		return;
	}
	char code[PL_RDV_CODE_MAX + 1];
	int tries = 0;
	do {
		uint8_t rnd[PL_RDV_CODE_RANDOM];
		pl_env_random(r->srv->env, rnd, sizeof rnd);
		pl_rdv_code_make(code, sizeof code, rnd);
	} while (find_code(r, code) && ++tries < CODE_TRIES);
	if (tries == CODE_TRIES) {
		pl_session_error(s, PL_ERR_RDV_BUSY, m->type, "no fresh code was found");
		return;
	}
	memset(x, 0, sizeof *x);
	x->state = OPEN;
	snprintf(x->code, sizeof x->code, "%s", code);
	x->deadline_ms = now_ms(r) + ttl_ms(r);
	x->side[PL_RDV_OPENER].session = s->id;
	pl_env_random(r->srv->env, x->side[PL_RDV_OPENER].token, PL_RDV_TOKEN_LEN);
	snprintf(x->side[PL_RDV_OPENER].addrs, sizeof x->side[0].addrs, "%s", m->u.rdv.addrs);
	s->rdv = x;
	pl_log(PL_LOG_INFO, "rendezvous: a code opened by %s", s->peer); /* codes stay out of logs */
	send_code(r, s, x, PL_RDV_OPENER);
}

static void join_code(struct pl_rdv *r, struct pl_session *s, const struct pl_msg *m)
{
	uint64_t now = now_ms(r);
	if (!pl_limiter_allows(r->guesses, s->peer_host, now)) {
		pl_session_error(s, PL_ERR_RDV_GUESSES, m->type, NULL);
		return;
	}
	if (!addrs_ok(m->u.rdv.addrs)) {
		pl_session_error(s, PL_ERR_BAD_REQUEST, m->type, "addrs holds something that is not an address");
		return;
	}
	char code[PL_RDV_CODE_MAX + 1];
	struct pl_rdv_entry *x = NULL;
	if (pl_rdv_code_parse(m->u.rdv.code, code, sizeof code) == 0)
		x = find_code(r, code);
	if (!x) {
		pl_limiter_take(r->guesses, s->peer_host, now); /* only a wrong guess costs one */
		pl_log(PL_LOG_INFO, "rendezvous: unknown code from %s", s->peer);
		pl_session_error(s, PL_ERR_RDV_UNKNOWN, m->type, NULL);
		return;
	}
	if (x->state == EXPIRED) {
		pl_session_error(s, PL_ERR_RDV_EXPIRED, m->type, NULL);
		return;
	}
	if (x->state != OPEN) {
		pl_session_error(s, PL_ERR_RDV_TAKEN, m->type, NULL);
		return;
	}
	if (x->side[PL_RDV_OPENER].session == s->id) {
		pl_session_error(s, PL_ERR_RDV_BUSY, m->type, "you opened that code yourself");
		return;
	}
	x->state = PAIRED;
	x->deadline_ms = now + ttl_ms(r);
	x->side[PL_RDV_JOINER].session = s->id;
	pl_env_random(r->srv->env, x->side[PL_RDV_JOINER].token, PL_RDV_TOKEN_LEN);
	snprintf(x->side[PL_RDV_JOINER].addrs, sizeof x->side[1].addrs, "%s", m->u.rdv.addrs);
	s->rdv = x;
	pl_log(PL_LOG_INFO, "rendezvous: a code joined by %s", s->peer);
	send_code(r, s, x, PL_RDV_JOINER);
}

static void relay_data(struct pl_rdv *r, struct pl_session *s, const struct pl_msg *m)
{
	struct pl_rdv_entry *x = s->rdv;
	int k = x->side[PL_RDV_JOINER].session == s->id;
	if (x->state != PAIRED) {
		pl_session_error(s, PL_ERR_UNEXPECTED, m->type, "nobody has joined the code yet");
		return;
	}
	if (x->side[k].sent >= PL_RDV_RELAY_MAX) {
		pl_session_error(s, PL_ERR_RATE_LIMITED, m->type, "a rendezvous carries only a few messages");
		return;
	}
	x->side[k].sent++;
	struct pl_session *peer = side_session(r, x, !k);
	if (!peer)
		return;
	struct pl_msg *d = &r->srv->scratch;
	memset(d, 0, sizeof *d);
	d->type = PL_MSG_RDV_DATA;
	d->u.rdv.data_len = m->u.rdv.data_len;
	memcpy(d->u.rdv.data, m->u.rdv.data, m->u.rdv.data_len);
	pl_session_send(peer, d);
}

/* RDV_RELAY: this side's punching failed. When both sides have asked, the relay thread carries
 * datagrams between the two public addresses (server/rdvpair.h), and both are told RDV_RELAYED;
 * the pair outlives the rendezvous (its connections end as the call begins) until it is idle. */
static void ask_relay(struct pl_rdv *r, struct pl_session *s, const struct pl_msg *m)
{
	struct pl_rdv_entry *x = s->rdv;
	int k = x->side[PL_RDV_JOINER].session == s->id;
	if (x->state != PAIRED || !x->announced) {
		pl_session_error(s, PL_ERR_UNEXPECTED, m->type, "the other side's address is not known yet");
		return;
	}
	if (x->side[k].want_relay)
		return;
	/* The token proves who sent the datagram, not that its source address is theirs: a client
	 * that forged it could name someone else's address and make parleyd send there. Its address
	 * must be its connection's own (an IPv6 address's /64), which a TCP handshake did prove. */
	char host[PL_ADDR_STR];
	pl_addr_limit_key((const struct sockaddr *)&x->side[k].pub_sa, host, sizeof host);
	if (strcmp(host, s->peer_host) != 0) {
		pl_log(PL_LOG_INFO, "rendezvous: no relay for %s: its UDP address %s is not its connection's", s->peer,
		       x->side[k].pub);
		pl_session_error(s, PL_ERR_BAD_REQUEST, m->type, "your UDP address is not your connection's");
		return;
	}
	x->side[k].want_relay = true;
	if (!x->side[!k].want_relay)
		return;
	pl_relay_rdv_pair(r->srv->relay, (const struct sockaddr *)&x->side[0].pub_sa,
			  (const struct sockaddr *)&x->side[1].pub_sa);
	for (int j = 0; j < 2; j++) {
		struct pl_session *p = side_session(r, x, j);
		if (!p)
			continue;
		struct pl_msg *d = &r->srv->scratch;
		memset(d, 0, sizeof *d);
		d->type = PL_MSG_RDV_RELAYED;
		pl_session_send(p, d);
	}
	pl_log(PL_LOG_INFO, "rendezvous: %s and %s could not punch; relaying between them", x->side[0].pub,
	       x->side[1].pub);
}

void pl_rdv_handle(struct pl_session *s, const struct pl_msg *m)
{
	struct pl_rdv *r = s->srv->rdv;
	if (m->type == PL_MSG_RDV_SEND || m->type == PL_MSG_RDV_RELAY) {
		if (!s->rdv)
			pl_session_error(s, PL_ERR_UNEXPECTED, m->type, "not in a rendezvous");
		else if (m->type == PL_MSG_RDV_SEND)
			relay_data(r, s, m);
		else
			ask_relay(r, s, m);
		return;
	}
	if (s->rdv) {
		pl_session_error(s, PL_ERR_RDV_BUSY, m->type, "this connection is in a rendezvous already");
		return;
	}
	if (m->type == PL_MSG_RDV_OPEN)
		open_code(r, s, m);
	else
		join_code(r, s, m);
}

void pl_rdv_session_gone(struct pl_session *s)
{
	struct pl_rdv_entry *x = s->rdv;
	if (!x)
		return;
	struct pl_rdv *r = s->srv->rdv;
	s->rdv = NULL;
	int k = x->side[PL_RDV_JOINER].session == s->id;
	x->side[k].session = 0;
	if (x->state == OPEN) {
		end_entry(r, x, EXPIRED);
		return;
	}
	struct pl_session *peer = side_session(r, x, !k);
	if (peer)
		pl_session_error(peer, PL_ERR_RDV_PEER_LEFT, 0, NULL);
	end_entry(r, x, USED);
}

/* --- time --- */

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct pl_rdv *r = arg;
	uint64_t now = now_ms(r);
	for (unsigned i = 0; i < r->n; i++) {
		struct pl_rdv_entry *x = &r->e[i];
		if (x->state == FREE || now < x->deadline_ms)
			continue;
		if (x->state == OPEN) {
			struct pl_session *s = side_session(r, x, PL_RDV_OPENER);
			pl_log(PL_LOG_INFO, "rendezvous: a code expired with nobody joined");
			if (s)
				pl_session_error(s, PL_ERR_RDV_NO_PEER, PL_MSG_RDV_OPEN, NULL);
			end_entry(r, x, EXPIRED);
		} else if (x->state == PAIRED) {
			end_entry(r, x, USED);
		} else {
			memset(x, 0, sizeof *x);
		}
	}
}

/* --- the datagram, from the relay thread --- */

bool pl_rdv_dgram(void *arg, const uint8_t *buf, size_t len, const struct sockaddr *from)
{
	struct pl_rdv *r = arg;
	struct dgram d;
	if (pl_rdv_dgram_decode(buf, len, d.token) != 0)
		return false;
	memset(&d.from, 0, sizeof d.from);
	memcpy(&d.from, from, pl_sockaddr_len(from));
	if (!pl_spsc_push(&r->q, &d))
		return true;
	if (atomic_exchange(&r->pending, 1) == 0) {
		uint64_t one = 1;
		ssize_t n = write(r->wake, &one, sizeof one);
		(void)n;
	}
	return true;
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct pl_rdv *r = arg;
	uint64_t v;
	ssize_t n = read(r->wake, &v, sizeof v);
	(void)n;
	atomic_store(&r->pending, 0);
	struct dgram d;
	while (pl_spsc_pop(&r->q, &d)) {
		for (unsigned i = 0; i < r->n; i++) {
			struct pl_rdv_entry *x = &r->e[i];
			if (x->state != OPEN && x->state != PAIRED)
				continue;
			for (int k = 0; k < 2; k++) {
				struct side *sd = &x->side[k];
				if (!sd->session || sodium_memcmp(sd->token, d.token, PL_RDV_TOKEN_LEN) != 0)
					continue;
				pl_addr_fmt((const struct sockaddr *)&d.from, sd->pub, sizeof sd->pub);
				memcpy(&sd->pub_sa, &d.from, sizeof sd->pub_sa);
				sd->have_pub = true;
				announce(r, x);
			}
		}
	}
}

/* --- life --- */

int pl_rdv_alloc(struct pl_rdv **rp, struct pl_server *srv)
{
	const struct pl_config *cfg = srv->cfg;
	struct pl_rdv *r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	r->srv = srv;
	r->wake = -1;
	r->n = cfg->rendezvous_max;
	uint8_t keys[2][PL_LIMITER_HASH_KEY];
	pl_env_random(srv->env, keys, sizeof keys);
	r->e = calloc(r->n ? r->n : 1, sizeof *r->e);
	int rc = -ENOMEM;
	if (!r->e || pl_spsc_init(&r->q, QUEUE_CAP, sizeof(struct dgram)) < 0 ||
	    pl_limiter_alloc(&r->guesses, LIMITER_SLOTS, cfg->rendezvous_guess_rate, cfg->rendezvous_guesses,
			     keys[0]) < 0 ||
	    pl_limiter_alloc(&r->opens, LIMITER_SLOTS, cfg->rendezvous_open_rate, cfg->rendezvous_open_burst,
			     keys[1]) < 0)
		goto fail;
	r->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->wake < 0)
		goto fail;
	r->wake_ev = event_new(srv->base, r->wake, EV_READ | EV_PERSIST, on_wake, r);
	r->tick = event_new(srv->base, -1, EV_PERSIST, on_tick, r);
	struct timeval tv = {0, TICK_MS * 1000};
	if (!r->wake_ev || !r->tick || event_add(r->wake_ev, NULL) || event_add(r->tick, &tv))
		goto fail;
	sodium_memzero(keys, sizeof keys);
	*rp = r;
	return 0;
fail:
	sodium_memzero(keys, sizeof keys);
	pl_rdv_free(r);
	return rc;
}

void pl_rdv_free(struct pl_rdv *r)
{
	if (!r)
		return;
	if (r->tick)
		event_free(r->tick);
	if (r->wake_ev)
		event_free(r->wake_ev);
	if (r->wake >= 0)
		close(r->wake);
	pl_spsc_destroy(&r->q);
	pl_limiter_free(r->guesses);
	pl_limiter_free(r->opens);
	if (r->e)
		sodium_memzero(r->e, (size_t)r->n * sizeof *r->e);
	free(r->e);
	free(r);
}

void pl_rdv_reload(struct pl_rdv *r)
{
	const struct pl_config *cfg = r->srv->cfg;
	pl_limiter_set(r->guesses, cfg->rendezvous_guess_rate, cfg->rendezvous_guesses);
	pl_limiter_set(r->opens, cfg->rendezvous_open_rate, cfg->rendezvous_open_burst);
}
