#include "client/callpath.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/stunc.h"
#include "client/ui.h"
#include "client/voice.h"
#include "core/ice.h"
#include "core/stun.h"
#include "net/addr.h"
#include "net/stun_mi.h"

_Static_assert(PL_CALL_CAND_MAX == PL_ICE_DESC_MAX, "CALL_CAND carries one ICE description");

struct pl_callpath {
	struct pl_callpath_cfg cfg;
	struct event *timer;
	struct pl_ice *ice;
	uint64_t call, peer_session;
	bool running, sent, remote_set;
	uint64_t started_ms, stun_deadline;
	uint8_t stun_tid[2][PL_STUN_TID_LEN]; /* to the voice port, to the second STUN port */
	struct sockaddr_storage server, stun2;
	socklen_t server_len;
	bool ask2, have2;
	struct pl_stun_addr mapped2;
	bool controlling;
	struct pl_stun_addr host_first; /* for the event's local address */
	struct pl_stun_addr srflx;
	bool have_srflx;
	struct pl_ice_desc remote; /* a peer's that came before our agent could take it */
	bool remote_pending;
	enum pl_ice_path path;
	uint32_t rtt_ms;
	bool loopback_peer;
	bool hedging;
	uint8_t key_local[32], key_remote[32];
	/* Birthday probing's sockets (the hard side's): 1..nprobes; media_sock the one media uses. */
	int probe_fd[PL_ICE_PROBE_SOCKS_MAX + 1];
	struct event *probe_ev[PL_ICE_PROBE_SOCKS_MAX + 1];
	struct probe_ref {
		struct pl_callpath *p;
		uint16_t sock;
	} probe_ref[PL_ICE_PROBE_SOCKS_MAX + 1];
	unsigned nprobes;
	uint16_t media_sock;
};

/* --- addresses --- */

static void to_stun(const struct sockaddr *sa, struct pl_stun_addr *a)
{
	memset(a, 0, sizeof *a);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
		a->family = 4;
		a->port = ntohs(s->sin_port);
		memcpy(a->ip, &s->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
		a->family = 6;
		a->port = ntohs(s->sin6_port);
		memcpy(a->ip, &s->sin6_addr, 16);
	}
}

static socklen_t to_sockaddr(const struct pl_stun_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (a->family == 4) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;
		s->sin_family = AF_INET;
		s->sin_port = htons(a->port);
		memcpy(&s->sin_addr, a->ip, 4);
		return sizeof *s;
	}
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
	s->sin6_family = AF_INET6;
	s->sin6_port = htons(a->port);
	memcpy(&s->sin6_addr, a->ip, 16);
	return sizeof *s;
}

static bool is_loopback(const struct pl_stun_addr *a)
{
	static const uint8_t v6lo[16] = {[15] = 1};
	return a->family == 4 ? a->ip[0] == 127 : memcmp(a->ip, v6lo, 16) == 0;
}

/* --- driving the agent --- */

static const char *path_word(const struct pl_callpath *p)
{
	switch (p->path) {
	case PL_ICE_PATH_LAN: return "lan";
	case PL_ICE_PATH_DIRECT: return p->loopback_peer ? "lan" : "direct";
	case PL_ICE_PATH_PUNCHED: return "punched";
	default: return "relayed";
	}
}

/* Media on the relay as well while the direct path's consent answers are late; returns when to
 * look again (UINT64_MAX: an answer or an event will tell). */
static uint64_t hedge(struct pl_callpath *p, uint64_t now)
{
	struct pl_voice *v = p->cfg.voice(p->cfg.arg);
	if (!v || !p->ice || p->path == PL_ICE_PATH_RELAY) {
		p->hedging = false;
		return UINT64_MAX;
	}
	uint64_t age = pl_ice_consent_age(p->ice, now);
	bool on = age >= PL_CALLPATH_HEDGE_MS;
	if (on != p->hedging) {
		p->hedging = on;
		pl_voice_set_hedge(v, on);
	}
	return on ? UINT64_MAX : now + (PL_CALLPATH_HEDGE_MS - age);
}

static void arm(struct pl_callpath *p)
{
	uint64_t now = pl_env_mono_ms(p->cfg.env), next = p->ice ? pl_ice_next_ms(p->ice) : UINT64_MAX;
	uint64_t h = hedge(p, now);
	if (h < next)
		next = h;
	if (p->running && !p->sent && p->stun_deadline < next)
		next = p->stun_deadline;
	if (next == UINT64_MAX) {
		evtimer_del(p->timer);
		return;
	}
	uint64_t wait = next > now ? next - now : 0;
	struct timeval tv = {(time_t)(wait / 1000), (suseconds_t)(wait % 1000) * 1000};
	evtimer_add(p->timer, &tv);
}

static void show_path(struct pl_callpath *p, const struct pl_ice_event *ev)
{
	char local[80] = "", remote[80] = "", rtt[16];
	if (ev->kind == PL_ICE_EV_DIRECT) {
		pl_stunc_fmt(&ev->remote, remote, sizeof remote);
		if (!ev->sock) /* a probe socket's mapping is known only to the peer */
			pl_stunc_fmt(p->path == PL_ICE_PATH_PUNCHED && p->have_srflx ? &p->srflx : &p->host_first,
				     local, sizeof local);
	}
	snprintf(rtt, sizeof rtt, "%u", p->rtt_ms);
	const char *word = path_word(p);
	char s[300], st[64];
	pl_callpath_status(p, st, sizeof st);
	if (ev->kind == PL_ICE_EV_DIRECT)
		snprintf(s, sizeof s, "The call's media now goes straight to the peer at %s (%s).", remote, st);
	else
		snprintf(s, sizeof s, "The direct path stopped answering: the call's media goes through the server again.");
	const char *kv[] = {"path", word, "#rtt_ms", rtt, "local", local, "remote", remote, NULL};
	pl_ui_event(p->cfg.ui, "call_path", kv, s);
}

static void close_probes(struct pl_callpath *p, uint16_t keep)
{
	for (unsigned i = 1; i <= p->nprobes; i++) {
		if (i == keep || p->probe_fd[i] < 0)
			continue;
		event_free(p->probe_ev[i]);
		close(p->probe_fd[i]);
		p->probe_fd[i] = -1;
	}
	if (!keep)
		p->nprobes = 0;
}

static void on_probe(evutil_socket_t fd, short what, void *arg);

/* The agent asks for n sockets (this side's NAT is symmetric, the peer's is not). */
static void open_probes(struct pl_callpath *p, unsigned n)
{
	while (p->nprobes < n && p->nprobes < PL_ICE_PROBE_SOCKS_MAX) {
		int fd = socket(p->server.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return;
		struct sockaddr_storage any = {.ss_family = p->server.ss_family};
		unsigned i = p->nprobes + 1;
		p->probe_ref[i] = (struct probe_ref){p, (uint16_t)i};
		struct event *ev = event_new(p->cfg.base, fd, EV_READ | EV_PERSIST, on_probe, &p->probe_ref[i]);
		if (bind(fd, (struct sockaddr *)&any, p->server_len) < 0 || !ev || event_add(ev, NULL) < 0) {
			if (ev)
				event_free(ev);
			close(fd);
			return;
		}
		p->probe_fd[i] = fd;
		p->probe_ev[i] = ev;
		p->nprobes = i;
	}
}

static void drain(struct pl_callpath *p)
{
	struct pl_voice *v = p->cfg.voice(p->cfg.arg);
	if (!v || !p->ice)
		return;
	struct pl_ice_tx tx;
	while (pl_ice_pop_tx(p->ice, &tx)) {
		struct sockaddr_storage to;
		socklen_t tl = to_sockaddr(&tx.to, &to);
		if (tx.sock == 0)
			pl_voice_sendto(v, tx.buf, tx.len, (struct sockaddr *)&to, tl);
		else if (tx.sock <= p->nprobes && p->probe_fd[tx.sock] >= 0)
			sendto(p->probe_fd[tx.sock], tx.buf, tx.len, MSG_DONTWAIT, (struct sockaddr *)&to, tl);
	}
	struct pl_ice_event ev;
	while (pl_ice_pop_event(p->ice, &ev)) {
		if (ev.kind == PL_ICE_EV_DIRECT) {
			struct sockaddr_storage to;
			socklen_t tl = to_sockaddr(&ev.remote, &to);
			if ((ev.sock && (ev.sock > p->nprobes || p->probe_fd[ev.sock] < 0)) ||
			    pl_voice_set_peer(v, (struct sockaddr *)&to, tl, p->peer_session) < 0)
				continue;
			p->media_sock = ev.sock;
			pl_voice_set_peer_fd(v, ev.sock ? p->probe_fd[ev.sock] : -1);
			if (ev.sock)
				close_probes(p, ev.sock); /* the one that won stays */
			pl_voice_set_hedge(v, false);
			p->hedging = false;
			p->path = ev.path;
			p->rtt_ms = ev.rtt_ms;
			p->loopback_peer = is_loopback(&ev.remote);
			show_path(p, &ev);
		} else if (ev.kind == PL_ICE_EV_OPEN_SOCKS) {
			open_probes(p, ev.nsocks);
		} else if (ev.kind == PL_ICE_EV_RELAY) {
			pl_voice_set_peer(v, NULL, 0, 0); /* and no hedge, from the voice socket */
			p->hedging = false;
			p->media_sock = 0;
			p->path = PL_ICE_PATH_RELAY;
			p->rtt_ms = 0;
			show_path(p, &ev);
		}
	}
}

static void try_start(struct pl_callpath *p)
{
	if (!p->ice || !p->remote_pending || p->remote_set)
		return;
	if (pl_ice_set_remote(p->ice, &p->remote) < 0) {
		p->remote_pending = false;
		return;
	}
	p->remote_set = true;
	pl_ice_start(p->ice, pl_env_mono_ms(p->cfg.env));
}

static void gather_hosts(struct pl_callpath *p, uint16_t port, bool loopback_only);

/* STUN is done (or has had its time): the agent, with what it said, and our description out. */
static void begin(struct pl_callpath *p)
{
	struct pl_voice *v = p->cfg.voice(p->cfg.arg);
	if (p->sent || !v)
		return;
	p->sent = true;
	/* Two mapped ports for two destinations from one socket: a NAT that maps per destination. */
	bool symmetric = p->have_srflx && p->have2 && !pl_ice_addr_eq(&p->srflx, &p->mapped2);
	struct pl_ice_config ic = {
		.controlling = p->controlling,
		.env = p->cfg.env,
		.hmac = pl_stun_hmac_sha1,
		.key_local = p->key_local,
		.key_local_len = sizeof p->key_local,
		.key_remote = p->key_remote,
		.key_remote_len = sizeof p->key_remote,
		.symmetric = symmetric,
		.probe_socks = symmetric ? PL_CALLPATH_PROBE_SOCKS : 0,
		.probe_budget = PL_CALLPATH_PROBE_BUDGET,
		.consent_ms = PL_CALLPATH_CONSENT_MS,
	};
	if (pl_ice_new(&p->ice, &ic) < 0)
		return;
	struct pl_stun_addr server;
	to_stun((const struct sockaddr *)&p->server, &server);
	gather_hosts(p, pl_voice_local_port(v), is_loopback(&server));
	if (p->have_srflx && !pl_ice_addr_eq(&p->srflx, &p->host_first)) {
		struct pl_ice_cand c = {.type = PL_ICE_SRFLX, .foundation = 2, .addr = p->srflx};
		pl_ice_add_local(p->ice, &c);
	}
	struct pl_ice_cand relay = {.type = PL_ICE_RELAY, .foundation = 3, .addr = server};
	pl_ice_add_local(p->ice, &relay);
	struct pl_ice_desc d;
	pl_ice_local_desc(p->ice, &d);
	struct pl_msg m = {.type = PL_MSG_CALL_CAND};
	int n = pl_ice_desc_encode(&d, m.u.cand.desc, sizeof m.u.cand.desc);
	if (n < 0)
		return;
	m.u.cand.id = p->call;
	m.u.cand.len = (uint16_t)n;
	p->cfg.send(p->cfg.arg, &m);
	try_start(p);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct pl_callpath *p = arg;
	uint64_t now = pl_env_mono_ms(p->cfg.env);
	if (p->running && !p->sent && now >= p->stun_deadline)
		begin(p); /* not every STUN answer came in time: without what is missing */
	if (p->ice && p->remote_set)
		pl_ice_tick(p->ice, now);
	drain(p);
	arm(p);
}

/* An answer to one of our two Binding requests? */
static bool stun_answer(struct pl_callpath *p, const struct pl_stun_addr *from, const uint8_t *buf, size_t len)
{
	struct pl_stun_addr server, mapped;
	char err[200];
	for (int k = 0; k < 2; k++) {
		if (k == 1 && !p->ask2)
			break;
		to_stun((const struct sockaddr *)(k ? &p->stun2 : &p->server), &server);
		if (!pl_ice_addr_eq(from, &server) || pl_stunc_parse(buf, len, p->stun_tid[k], &mapped, err, sizeof err))
			continue;
		if (k == 0 && !p->have_srflx) {
			p->srflx = mapped;
			p->have_srflx = true;
		} else if (k == 1 && !p->have2) {
			p->mapped2 = mapped;
			p->have2 = true;
		}
		if (p->have_srflx && (p->have2 || !p->ask2))
			begin(p);
		return true;
	}
	return false;
}

static void after_input(struct pl_callpath *p, uint64_t now)
{
	if (p->ice && p->remote_set)
		pl_ice_tick(p->ice, now);
	drain(p);
	arm(p);
}

static bool on_dgram(void *arg, const uint8_t *buf, size_t len, const struct sockaddr *from, socklen_t fromlen)
{
	(void)fromlen;
	struct pl_callpath *p = arg;
	struct pl_stun_addr fa;
	to_stun(from, &fa);
	uint64_t now = pl_env_mono_ms(p->cfg.env);
	int rc = p->ice ? pl_ice_input(p->ice, 0, &fa, buf, len, now) : -ENOENT;
	if (rc == -ENOENT)
		rc = stun_answer(p, &fa, buf, len) || p->ice; /* a stray STUN answer: taken, ignored */
	after_input(p, now);
	return rc != 0;
}

static void on_probe(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct probe_ref *r = arg;
	struct pl_callpath *p = r->p;
	uint8_t buf[1500];
	struct sockaddr_storage from;
	socklen_t fl = sizeof from;
	ssize_t n;
	uint64_t now = pl_env_mono_ms(p->cfg.env);
	struct pl_voice *v = p->cfg.voice(p->cfg.arg);
	while ((n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &fl)) >= 0) {
		struct pl_stun_addr fa;
		to_stun((struct sockaddr *)&from, &fa);
		if (p->ice && pl_ice_input(p->ice, r->sock, &fa, buf, (size_t)n, now) == 0 && v &&
		    r->sock == p->media_sock)
			pl_voice_input(v, buf, (size_t)n, (struct sockaddr *)&from, fl);
		fl = sizeof from;
	}
	after_input(p, now);
}

/* Host candidates: every interface's address of the voice socket's family, on its port. */
static void gather_hosts(struct pl_callpath *p, uint16_t port, bool loopback_only)
{
	struct ifaddrs *ifa = NULL;
	if (getifaddrs(&ifa) < 0)
		return;
	unsigned n = 0;
	for (struct ifaddrs *i = ifa; i && n < PL_ICE_MAX_CANDS - 2; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != p->server.ss_family || !(i->ifa_flags & IFF_UP))
			continue;
		struct pl_stun_addr a;
		to_stun(i->ifa_addr, &a);
		a.port = port;
		if (is_loopback(&a) != loopback_only || !pl_ice_addr_usable(&a))
			continue;
		if (a.family == 6 && a.ip[0] == 0xfe && (a.ip[1] & 0xc0) == 0x80)
			continue; /* link-local: it needs a scope the signalling form does not carry */
		struct pl_ice_cand c = {.type = PL_ICE_HOST, .foundation = 1, .addr = a};
		if (pl_ice_add_local(p->ice, &c) == 0 && n++ == 0)
			p->host_first = a;
	}
	freeifaddrs(ifa);
}

/* One Binding request from the voice socket. */
static void ask_stun(struct pl_callpath *p, struct pl_voice *v, int k)
{
	uint8_t req[64];
	struct pl_stun_wr w;
	pl_env_random(p->cfg.env, p->stun_tid[k], sizeof p->stun_tid[k]);
	pl_stun_wr_start(&w, req, sizeof req, pl_stun_type(PL_STUN_BINDING, PL_STUN_REQUEST), p->stun_tid[k]);
	pl_stun_wr_fingerprint(&w);
	int n = pl_stun_wr_finish(&w);
	if (n > 0)
		pl_voice_sendto(v, req, (size_t)n, (struct sockaddr *)(k ? &p->stun2 : &p->server), p->server_len);
}

void pl_callpath_start(struct pl_callpath *p, uint64_t call, bool controlling, const struct pl_e2e_keys *keys,
		       uint64_t peer_session)
{
	pl_callpath_stop(p);
	struct pl_voice *v = p->cfg.voice(p->cfg.arg);
	uint16_t stun_port = 0;
	if (!v || !p->cfg.server_udp(p->cfg.arg, &p->server, &p->server_len, &stun_port))
		return;
	/* Our checks' key is the peer's check key for us: each side's is keyed with what it receives. */
	static const char label[] = "parley ice check key";
	crypto_generichash(p->key_local, sizeof p->key_local, (const uint8_t *)label, sizeof label - 1, keys->rx,
			   sizeof keys->rx);
	crypto_generichash(p->key_remote, sizeof p->key_remote, (const uint8_t *)label, sizeof label - 1, keys->tx,
			   sizeof keys->tx);
	p->call = call;
	p->peer_session = peer_session;
	p->controlling = controlling;
	p->running = true;
	p->path = PL_ICE_PATH_RELAY;
	p->started_ms = pl_env_mono_ms(p->cfg.env);
	p->stun_deadline = p->started_ms + PL_CALLPATH_STUN_WAIT_MS;
	pl_voice_set_dgram_hook(v, on_dgram, p);
	/* The server-reflexive address from parleyd's voice port, and, when it has a second STUN port,
	 * from that one too: whether this side's NAT maps per destination. */
	ask_stun(p, v, 0);
	p->ask2 = stun_port != 0;
	if (p->ask2) {
		memcpy(&p->stun2, &p->server, sizeof p->stun2);
		pl_addr_set_port((struct sockaddr *)&p->stun2, stun_port);
		ask_stun(p, v, 1);
	}
	arm(p);
}

void pl_callpath_msg(struct pl_callpath *p, const struct pl_msg *m)
{
	if (m->type != PL_MSG_CALL_PEER_CAND || !p->running || m->u.cand.id != p->call ||
	    m->u.cand.session != p->peer_session || p->remote_set)
		return;
	if (pl_ice_desc_decode(&p->remote, m->u.cand.desc, m->u.cand.len) < 0) {
		pl_ui_local_error(p->cfg.ui, "The peer's addresses for a direct path did not decode; the call stays on "
					     "the server's relay.");
		return;
	}
	p->remote_pending = true;
	try_start(p);
	drain(p);
	arm(p);
}

void pl_callpath_stop(struct pl_callpath *p)
{
	if (!p->running)
		return;
	struct pl_voice *v = p->cfg.voice(p->cfg.arg);
	if (v) {
		pl_voice_set_dgram_hook(v, NULL, NULL);
		if (p->path != PL_ICE_PATH_RELAY)
			pl_voice_set_peer(v, NULL, 0, 0);
	}
	evtimer_del(p->timer);
	close_probes(p, 0);
	pl_ice_free(p->ice);
	p->ice = NULL;
	p->running = p->sent = p->remote_set = p->remote_pending = p->have_srflx = p->hedging = false;
	p->ask2 = p->have2 = false;
	p->media_sock = 0;
	p->path = PL_ICE_PATH_RELAY;
	sodium_memzero(p->key_local, sizeof p->key_local);
	sodium_memzero(p->key_remote, sizeof p->key_remote);
}

void pl_callpath_status(const struct pl_callpath *p, char *out, size_t sz)
{
	if (!p || !p->running) {
		snprintf(out, sz, "%s", "");
		return;
	}
	const char *w = path_word(p);
	if (!strcmp(w, "relayed"))
		snprintf(out, sz, "relayed");
	else if (!strcmp(w, "lan"))
		snprintf(out, sz, "direct LAN %u ms", p->rtt_ms);
	else
		snprintf(out, sz, "%s %u ms", w, p->rtt_ms);
}

int pl_callpath_alloc(struct pl_callpath **out, const struct pl_callpath_cfg *cfg)
{
	struct pl_callpath *p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	p->cfg = *cfg;
	for (unsigned i = 0; i <= PL_ICE_PROBE_SOCKS_MAX; i++)
		p->probe_fd[i] = -1;
	p->timer = evtimer_new(cfg->base, on_timer, p);
	if (!p->timer) {
		free(p);
		return -ENOMEM;
	}
	*out = p;
	return 0;
}

void pl_callpath_free(struct pl_callpath *p)
{
	if (!p)
		return;
	pl_callpath_stop(p);
	event_free(p->timer);
	free(p);
}
