#include "client/callpath.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
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
#include "core/ratelimit.h"
#include "core/stun.h"
#include "net/addr.h"
#include "net/stun_mi.h"
#include "net/udp.h"

_Static_assert(PL_CALL_CAND_MAX == PL_ICE_DESC_MAX, "CALL_CAND carries one ICE description");

struct pl_callpath {
	struct pl_callpath_cfg cfg;
	struct pl_udp_rx rx; /* what the second host socket and the probe sockets bring, a batch at a time */
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
	uint8_t voice_family; /* 4 or 6: the voice socket's (parleyd's) */
	bool loopback_only;   /* parleyd on loopback: so is the peer */
	/* The host socket of the other family (IPv6 beside an IPv4 voice socket, IPv4 beside an IPv6
	 * one), on the voice socket's port when that was free: the agent's sock 0 for that family. */
	int alt_fd;
	struct event *alt_ev;
	uint16_t voice_port, alt_port;
	/* The host candidates as last gathered; the interfaces are watched during the call (a netlink
	 * socket, and every PL_CALLPATH_SCAN_MS) and gathered again when they change. */
	struct pl_stun_addr hosts[PL_ICE_MAX_CANDS];
	unsigned nhosts;
	int nl_fd;
	struct event *nl_ev, *scan_timer;
	/* Descriptions sent, paced to parleyd's default budget (PL_CALLPATH_CAND_BURST, the bucket the
	 * server keeps for us); desc_timer sends the newest when a token is due. */
	struct pl_bucket cand_bucket;
	struct event *desc_timer;
	/* The nominated pair's local address (the one the kernel sends from to the peer). */
	struct pl_stun_addr nom_local, nom_remote;
	bool have_nom_local;
	/* The local address the kernel sends from to parleyd, as of the last scan. */
	struct pl_stun_addr server_src;
	bool have_server_src;
	struct pl_stun_addr srflx;
	bool have_srflx;
	/* After the interfaces changed: our server-reflexive address is asked for again (the NAT may
	 * map us anew), up to PL_CALLPATH_REQUERY_TRIES times, one per scan. */
	unsigned requery;
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

/* The local address the kernel sends from to `to` (a route lookup: a UDP socket connected, never
 * used). */
static bool route_src(const struct pl_stun_addr *to, struct pl_stun_addr *src)
{
	struct sockaddr_storage ss, me;
	socklen_t tl = to_sockaddr(to, &ss), ml = sizeof me;
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool ok = connect(fd, (struct sockaddr *)&ss, tl) == 0 && getsockname(fd, (struct sockaddr *)&me, &ml) == 0;
	close(fd);
	if (ok)
		to_stun((struct sockaddr *)&me, src);
	return ok;
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
		/* A probe socket's mapping is known only to the peer. */
		if (!ev->sock && p->path == PL_ICE_PATH_PUNCHED && p->have_srflx && p->srflx.family == ev->remote.family)
			pl_stunc_fmt(&p->srflx, local, sizeof local);
		else if (!ev->sock && p->have_nom_local)
			pl_stunc_fmt(&p->nom_local, local, sizeof local);
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
		if (tx.sock == 0 && tx.to.family != p->voice_family && p->alt_fd >= 0) /* the other family's */
			sendto(p->alt_fd, tx.buf, tx.len, MSG_DONTWAIT, (struct sockaddr *)&to, tl);
		else if (tx.sock == 0)
			pl_voice_sendto(v, tx.buf, tx.len, (struct sockaddr *)&to, tl);
		else if (tx.sock <= p->nprobes && p->probe_fd[tx.sock] >= 0)
			sendto(p->probe_fd[tx.sock], tx.buf, tx.len, MSG_DONTWAIT, (struct sockaddr *)&to, tl);
	}
	struct pl_ice_event ev;
	while (pl_ice_pop_event(p->ice, &ev)) {
		if (ev.kind == PL_ICE_EV_DIRECT) {
			struct sockaddr_storage to;
			socklen_t tl = to_sockaddr(&ev.remote, &to);
			bool alt = !ev.sock && ev.remote.family != p->voice_family && p->alt_fd >= 0;
			if (ev.sock && (ev.sock > p->nprobes || p->probe_fd[ev.sock] < 0))
				continue;
			int fd = ev.sock ? p->probe_fd[ev.sock] : alt ? p->alt_fd : -1;
			if (pl_voice_set_peer_via(v, fd, (struct sockaddr *)&to, tl, p->peer_session) < 0)
				continue;
			p->media_sock = ev.sock;
			p->have_nom_local = route_src(&ev.remote, &p->nom_local);
			p->nom_local.port = alt ? p->alt_port : p->voice_port;
			p->nom_remote = ev.remote;
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
			p->have_nom_local = false;
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

/* Our description to the peer: at the start, and again whenever the interfaces changed; within
 * parleyd's default budget, so interfaces that flap cost a later description, not a 438 the person
 * would see (the newest goes when a token is there). */
static void send_desc(struct pl_callpath *p)
{
	uint64_t now = pl_env_mono_ms(p->cfg.env);
	if (!pl_bucket_take(&p->cand_bucket, now, PL_CALLPATH_CAND_PER_S, PL_CALLPATH_CAND_BURST)) {
		uint64_t wait = (uint64_t)((1.0 - p->cand_bucket.tokens) * 1000.0 / PL_CALLPATH_CAND_PER_S) + 1;
		struct timeval tv = {(time_t)(wait / 1000), (suseconds_t)(wait % 1000) * 1000};
		evtimer_add(p->desc_timer, &tv);
		return;
	}
	struct pl_ice_desc d;
	pl_ice_local_desc(p->ice, &d);
	struct pl_msg m = {.type = PL_MSG_CALL_CAND};
	int n = pl_ice_desc_encode(&d, m.u.cand.desc, sizeof m.u.cand.desc);
	if (n < 0)
		return;
	m.u.cand.id = p->call;
	m.u.cand.len = (uint16_t)n;
	p->cfg.send(p->cfg.arg, &m);
}

/* Host candidates: every up interface's address of both families (pl_ice_host_wanted says which),
 * each on the port of its family's host socket; at most max. */
static unsigned scan_hosts(const struct pl_callpath *p, struct pl_stun_addr *out, unsigned max)
{
	struct ifaddrs *ifa = NULL;
	if (getifaddrs(&ifa) < 0)
		return 0;
	unsigned n = 0;
	/* The voice socket's family first: when there are too many, those are kept. */
	for (int pass = 0; pass < 2; pass++)
		for (struct ifaddrs *i = ifa; i && n < max; i = i->ifa_next) {
			if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6) ||
			    !(i->ifa_flags & IFF_UP))
				continue;
			struct pl_stun_addr a;
			to_stun(i->ifa_addr, &a);
			if ((a.family == p->voice_family) != (pass == 0) || (a.family != p->voice_family && p->alt_fd < 0))
				continue;
			a.port = a.family == p->voice_family ? p->voice_port : p->alt_port;
			bool dup = false;
			for (unsigned k = 0; k < n && !dup; k++)
				dup = pl_ice_addr_eq(&out[k], &a);
			if (!dup && pl_ice_host_wanted(&a, p->loopback_only))
				out[n++] = a;
		}
	freeifaddrs(ifa);
	return n;
}

static void add_host(struct pl_callpath *p, const struct pl_stun_addr *a)
{
	struct pl_ice_cand c = {.type = PL_ICE_HOST, .foundation = a->family == 6 ? 4 : 1, .addr = *a};
	pl_ice_add_local(p->ice, &c);
}

/* Our server-reflexive candidate, unless it is one of our host addresses (no NAT in between). */
static void add_srflx(struct pl_callpath *p)
{
	for (unsigned i = 0; i < p->nhosts; i++)
		if (pl_ice_addr_eq(&p->srflx, &p->hosts[i]))
			return;
	struct pl_ice_cand c = {.type = PL_ICE_SRFLX, .foundation = 2, .addr = p->srflx};
	pl_ice_add_local(p->ice, &c);
}

static void after_input(struct pl_callpath *p, uint64_t now);
static void ask_stun(struct pl_callpath *p, struct pl_voice *v, int k);

/* The interfaces again: what went is taken out of our candidates (and if the media's path left
 * from it, the call is on the relay at once and checks start over), what came is added, and the
 * peer gets our description again. */
static bool same_ip(const struct pl_stun_addr *x, const struct pl_stun_addr *y)
{
	struct pl_stun_addr a = *x, b = *y;
	a.port = b.port = 0;
	return pl_ice_addr_eq(&a, &b);
}

static void rescan(struct pl_callpath *p)
{
	if (!p->ice || !p->sent)
		return;
	struct pl_stun_addr cur[PL_ICE_MAX_CANDS], gone[PL_ICE_MAX_CANDS], came[PL_ICE_MAX_CANDS];
	unsigned n = scan_hosts(p, cur, PL_ICE_MAX_CANDS - 2), ngone = 0, ncame = 0;
	bool hosts = pl_ice_addrs_diff(p->hosts, p->nhosts, cur, n, gone, &ngone, came, &ncame);
	/* An address may stay while the kernel now sends from another (one a new route prefers): the
	 * NAT maps that anew, parleyd's relay no longer knows it, and the peer's NAT drops it. */
	struct pl_stun_addr src, server;
	to_stun((const struct sockaddr *)&p->server, &server);
	bool server_moved = p->have_server_src && route_src(&server, &src) && !same_ip(&src, &p->server_src);
	if (server_moved)
		p->server_src = src;
	bool path_gone = p->have_nom_local && route_src(&p->nom_remote, &src) && !same_ip(&src, &p->nom_local);
	if (!hosts && !server_moved && !path_gone)
		return;
	for (unsigned i = 0; i < ngone; i++) {
		pl_ice_remove_local(p->ice, &gone[i]);
		path_gone |= p->have_nom_local && same_ip(&gone[i], &p->nom_local);
	}
	for (unsigned i = 0; i < ncame; i++)
		add_host(p, &came[i]);
	memcpy(p->hosts, cur, n * sizeof *cur);
	p->nhosts = n;
	/* The way to parleyd may have changed too: prove our address to its relay now, not at the next
	 * keepalive (up to 10 s away), and ask again what the NAT maps us to (srflx_again). */
	struct pl_voice *v = p->cfg.voice(p->cfg.arg);
	if (v) {
		pl_voice_rebind(v);
		p->requery = PL_CALLPATH_REQUERY_TRIES;
		ask_stun(p, v, 0);
	}
	uint64_t now = pl_env_mono_ms(p->cfg.env);
	char a[16], r[16];
	snprintf(a, sizeof a, "%u", ncame);
	snprintf(r, sizeof r, "%u", ngone);
	const char *kv[] = {"#added", a, "#removed", r, "path_gone", path_gone ? "yes" : "no", NULL};
	pl_ui_event(p->cfg.ui, "call_addresses", kv,
		    path_gone ? "The address the call's direct path left from is gone or no longer used: the media "
				"goes through the server until a new path is found."
			      : "This device's addresses changed: the peer is told the new ones.");
	pl_ice_locals_changed(p->ice, path_gone, now);
	if (hosts)
		send_desc(p); /* a new server-reflexive address is sent when the answer comes */
	after_input(p, now);
}

static void on_desc_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct pl_callpath *p = arg;
	if (p->ice && p->sent)
		send_desc(p);
}

static void on_scan(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct pl_callpath *p = arg;
	struct pl_voice *v = p->cfg.voice(p->cfg.arg);
	if (p->requery && v) { /* the last one's answer did not come */
		p->requery--;
		if (p->requery)
			ask_stun(p, v, 0);
	}
	rescan(p);
	struct timeval tv = {PL_CALLPATH_SCAN_MS / 1000, (PL_CALLPATH_SCAN_MS % 1000) * 1000};
	evtimer_add(p->scan_timer, &tv);
}

/* The kernel says an address or a link changed: look soon (its messages come in bursts). */
static void on_netlink(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct pl_callpath *p = arg;
	uint8_t buf[8192];
	while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
		;
	struct timeval tv = {0, PL_CALLPATH_SETTLE_MS * 1000};
	evtimer_add(p->scan_timer, &tv);
}

static void watch_interfaces(struct pl_callpath *p)
{
	struct timeval tv = {PL_CALLPATH_SCAN_MS / 1000, (PL_CALLPATH_SCAN_MS % 1000) * 1000};
	evtimer_add(p->scan_timer, &tv);
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return; /* the timer alone, then */
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK,
				 .nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
					      RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE};
	struct event *ev = event_new(p->cfg.base, fd, EV_READ | EV_PERSIST, on_netlink, p);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || !ev || event_add(ev, NULL) < 0) {
		if (ev)
			event_free(ev);
		close(fd);
		return;
	}
	p->nl_fd = fd;
	p->nl_ev = ev;
}

static void on_alt(evutil_socket_t fd, short what, void *arg);

/* The host socket of the other family, on the voice socket's port when it is free. */
static void open_alt(struct pl_callpath *p)
{
	int af = p->voice_family == 4 ? AF_INET6 : AF_INET;
	int fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return; /* no such family here: one family's candidates, as before */
	int on = 1;
	if (af == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
	struct sockaddr_storage ss = {.ss_family = (sa_family_t)af}, me;
	socklen_t len = af == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6), ml = sizeof me;
	pl_addr_set_port((struct sockaddr *)&ss, p->voice_port);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		pl_addr_set_port((struct sockaddr *)&ss, 0);
		if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
			close(fd);
			return;
		}
	}
	struct event *ev = event_new(p->cfg.base, fd, EV_READ | EV_PERSIST, on_alt, p);
	if (getsockname(fd, (struct sockaddr *)&me, &ml) < 0 || !ev || event_add(ev, NULL) < 0) {
		if (ev)
			event_free(ev);
		close(fd);
		return;
	}
	p->alt_port = pl_addr_port((struct sockaddr *)&me);
	p->alt_fd = fd;
	p->alt_ev = ev;
}

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
	p->voice_port = pl_voice_local_port(v);
	p->loopback_only = is_loopback(&server);
	p->have_server_src = route_src(&server, &p->server_src);
	open_alt(p);
	p->nhosts = scan_hosts(p, p->hosts, PL_ICE_MAX_CANDS - 2);
	for (unsigned i = 0; i < p->nhosts; i++)
		add_host(p, &p->hosts[i]);
	if (p->have_srflx)
		add_srflx(p);
	struct pl_ice_cand relay = {.type = PL_ICE_RELAY, .foundation = 3, .addr = server};
	pl_ice_add_local(p->ice, &relay);
	send_desc(p);
	watch_interfaces(p);
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

/* The answer to asking again after the interfaces changed: a new mapping replaces the old
 * server-reflexive candidate, and the peer is told (its NAT may let us in only once it has sent to
 * the new one). */
static void srflx_again(struct pl_callpath *p, const struct pl_stun_addr *mapped)
{
	if (!p->ice || pl_ice_addr_eq(mapped, &p->srflx))
		return;
	pl_ice_remove_local(p->ice, &p->srflx);
	p->srflx = *mapped;
	add_srflx(p);
	uint64_t now = pl_env_mono_ms(p->cfg.env);
	pl_ice_locals_changed(p->ice, false, now);
	send_desc(p);
	after_input(p, now);
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
		if (k == 0 && p->have_srflx && p->requery) {
			p->requery = 0;
			srflx_again(p, &mapped);
			return true;
		}
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

/* Everything waiting on fd (the second host socket, or probe socket sock), a recvmmsg batch at a
 * time: STUN goes to the agent as from socket sock; the rest, when media_ok, to the voice engine
 * (which takes it only from the peer's address). */
static void drain_fd(struct pl_callpath *p, int fd, uint16_t sock, bool media_ok)
{
	uint64_t now = pl_env_mono_ms(p->cfg.env);
	struct pl_voice *v = p->cfg.voice(p->cfg.arg);
	int n;
	while ((n = pl_udp_recv(fd, &p->rx)) > 0) {
		for (int i = 0; i < n; i++) {
			struct pl_stun_addr fa;
			size_t len = p->rx.msgs[i].msg_len;
			to_stun((struct sockaddr *)&p->rx.from[i], &fa);
			if (p->ice && pl_ice_input(p->ice, sock, &fa, p->rx.buf[i], len, now) == 0 && v && media_ok)
				pl_voice_input(v, p->rx.buf[i], len, (struct sockaddr *)&p->rx.from[i],
					       p->rx.msgs[i].msg_hdr.msg_namelen);
		}
		if (n < PL_UDP_RX_BATCH)
			break;
	}
	after_input(p, now);
}

/* The host socket of the other family: checks and their answers, and the peer's media once a
 * pair of that family carries it. */
static void on_alt(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	drain_fd(arg, fd, 0, true);
}

static void on_probe(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct probe_ref *r = arg;
	drain_fd(r->p, fd, r->sock, r->sock == r->p->media_sock);
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
	p->voice_family = p->server.ss_family == AF_INET6 ? 6 : 4;
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
	    m->u.cand.session != p->peer_session)
		return;
	struct pl_ice_desc d;
	if (pl_ice_desc_decode(&d, m->u.cand.desc, m->u.cand.len) < 0) {
		pl_ui_local_error(p->cfg.ui, p->remote_set ? "The peer's new addresses for a direct path did not decode; "
							     "the call keeps the path it has."
							   : "The peer's addresses for a direct path did not decode; the call "
							     "stays on the server's relay.");
		return;
	}
	if (p->remote_set) { /* the peer's interfaces changed: its description again */
		pl_ice_update_remote(p->ice, &d, pl_env_mono_ms(p->cfg.env));
	} else {
		p->remote = d; /* the newest, if our agent is not there yet */
		p->remote_pending = true;
		try_start(p);
	}
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
	evtimer_del(p->scan_timer);
	evtimer_del(p->desc_timer);
	p->cand_bucket = (struct pl_bucket){0};
	close_probes(p, 0);
	if (p->alt_fd >= 0) {
		event_free(p->alt_ev);
		close(p->alt_fd);
		p->alt_fd = -1;
	}
	if (p->nl_fd >= 0) {
		event_free(p->nl_ev);
		close(p->nl_fd);
		p->nl_fd = -1;
	}
	p->nhosts = 0;
	p->have_nom_local = p->have_server_src = false;
	p->requery = 0;
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
	p->alt_fd = p->nl_fd = -1;
	p->timer = evtimer_new(cfg->base, on_timer, p);
	p->scan_timer = evtimer_new(cfg->base, on_scan, p);
	p->desc_timer = evtimer_new(cfg->base, on_desc_timer, p);
	if (!p->timer || !p->scan_timer || !p->desc_timer) {
		if (p->timer)
			event_free(p->timer);
		if (p->scan_timer)
			event_free(p->scan_timer);
		if (p->desc_timer)
			event_free(p->desc_timer);
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
	event_free(p->scan_timer);
	event_free(p->desc_timer);
	free(p);
}
