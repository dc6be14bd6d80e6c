#include "client/rdvc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/client_int.h"
#include "core/err.h"
#include "core/rdv.h"
#include "core/spake2.h"
#include "net/addr.h"
#include "net/udp.h"

#define CANDS_MAX 9 /* the public address and up to 8 private ones */

_Static_assert(sizeof(((struct pl_rdv_result *)0)->peer_key) == PL_DEVICE_KEY_LEN, "a device key");
_Static_assert(PL_RDV_ELEM_LEN == PL_SPAKE2_ELEM_LEN && PL_RDV_KEY_LEN == PL_DEVICE_KEY_LEN &&
		       PL_RDV_MAC_LEN == PL_SPAKE2_MAC_LEN,
	       "core/rdv's key-exchange messages carry SPAKE2's element and confirmation and a device key");
_Static_assert(sizeof(((struct pl_rdv_result *)0)->code) > PL_RDV_CODE_MAX, "a code");
_Static_assert(sizeof(((struct pl_rdv_result *)0)->path) >= PL_ADDR_STR, "an address");

enum phase { WAIT_CODE, WAIT_PEER, EXCHANGE, PUNCHING, DONE, FAILED };

struct pl_rdvc {
	struct client *c;
	enum phase phase;
	enum pl_rdv_role role;
	int fd;
	struct event *rx_ev, *timer;
	char code[PL_RDV_CODE_MAX + 1];
	uint8_t token[PL_RDV_TOKEN_LEN];
	struct sockaddr_storage srv_udp;
	socklen_t srv_udp_len;
	unsigned ttl_s, rounds;
	bool relay_asked; /* RDV_RELAY sent: RDV_RELAYED makes parleyd's voice port the path */

	uint8_t dev_pk[PL_DEVICE_KEY_LEN], peer_dev[PL_DEVICE_KEY_LEN];
	struct pl_spake2 sp;
	bool got_elem, sent_confirm, verified;
	uint8_t peer_confirm_key[PL_DEVICE_KEY_LEN], peer_confirm_mac[PL_SPAKE2_MAC_LEN];
	bool have_peer_confirm;

	char peer_pub[PL_RDV_PUBLIC_MAX + 1], peer_addrs[PL_RDV_ADDRS_MAX + 1];
	struct sockaddr_storage cand[CANDS_MAX];
	socklen_t cand_len[CANDS_MAX];
	unsigned ncand;
	uint8_t tag_mine[PL_RDV_TAG_LEN], tag_theirs[PL_RDV_TAG_LEN]; /* PUNCH tags under the shared key */
};

/* --- saying things: pl_ui_event, its fields listed just before it (test_json_bot reads them) --- */

/* The rendezvous failed: one sentence, nothing kept, and the client ends with status 1. */
static void fail(struct pl_rdvc *r, const char *why, const char *sentence)
{
	if (r->phase == FAILED || r->phase == DONE)
		return;
	r->phase = FAILED;
	pl_spake2_wipe(&r->sp);
	const char *kv[] = {"reason", why, NULL};
	pl_ui_event(&r->c->ui, "rdv_failed", kv, sentence);
	r->c->exit_code = 1;
	cl_quit(r->c);
}

/* --- the UDP socket: the token datagram, then PUNCH --- */

static void arm(struct pl_rdvc *r, unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	evtimer_add(r->timer, &tv);
}

static void punch_to(struct pl_rdvc *r, const struct sockaddr *to, socklen_t len, const uint8_t tag[PL_RDV_TAG_LEN],
		     const uint8_t nonce[PL_RDV_TAG_LEN])
{
	uint8_t p[PL_RDV_PUNCH_LEN];
	pl_rdv_punch_encode(p, tag, nonce);
	ssize_t n = sendto(r->fd, p, sizeof p, 0, to, len);
	(void)n;
}

/* The rendezvous ends: path is the peer's punched address, parleyd's voice port when relayed
 * (both sides asked RDV_RELAY), or NULL when neither worked. */
static void done(struct pl_rdvc *r, const struct sockaddr *path, bool relayed)
{
	if (r->phase == DONE)
		return;
	r->phase = DONE;
	char fp[PL_KEY_FP_STR], addr[PL_ADDR_STR], hex[2 * PL_DEVICE_KEY_LEN + 1];
	pl_key_fingerprint(fp, r->peer_dev);
	sodium_bin2hex(hex, sizeof hex, r->peer_dev, sizeof r->peer_dev);
	if (path)
		pl_addr_fmt(path, addr, sizeof addr);
	char s[400];
	if (path && relayed)
		snprintf(s, sizeof s, "No direct path to the other person got through your two routers, so the call goes "
			 "through the server's relay at %s, encrypted end to end all the same (their key %s).", addr, fp);
	else if (path)
		snprintf(s, sizeof s, "A direct path to the other person works: %s (their key %s).", addr, fp);
	else
		snprintf(s, sizeof s, "No direct path to the other person answered, and the server did not relay; their "
			 "key %s is verified all the same.", fp);
	const char *via = !path ? "none" : relayed ? "relay" : "direct";
	const char *kv[] = {"path", path ? addr : "", "via", via, "peer_key", hex, "fingerprint", fp, NULL};
	pl_ui_event(&r->c->ui, "rdv_path", kv, s);
	evtimer_del(r->timer);
	struct pl_rdv_result *out = r->c->o->rdv_out;
	if (out) {
		struct sockaddr_storage me;
		socklen_t ml = sizeof me;
		memset(out, 0, sizeof *out);
		out->ok = true;
		out->opener = r->role == PL_RDV_OPENER;
		out->relayed = path && relayed;
		snprintf(out->code, sizeof out->code, "%s", r->code);
		snprintf(out->path, sizeof out->path, "%s", path ? addr : "");
		memcpy(out->peer_key, r->peer_dev, sizeof out->peer_key);
		if (getsockname(r->fd, (struct sockaddr *)&me, &ml) == 0)
			out->local_port = pl_addr_port((struct sockaddr *)&me);
	}
	/* The rendezvous ends here; main.c goes on in direct mode on this port (client/direct.h). */
	cl_quit(r->c);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct pl_rdvc *r = arg;
	if (r->phase == WAIT_CODE || r->phase == WAIT_PEER) {
		/* parleyd learns our public address from this, until it names the peer; it never
		 * answers it. After ttl the server's own error ends the wait. */
		uint8_t d[PL_RDV_DGRAM_LEN];
		pl_rdv_dgram_encode(d, r->token);
		if (r->phase == WAIT_PEER) {
			ssize_t n = sendto(r->fd, d, sizeof d, 0, (struct sockaddr *)&r->srv_udp, r->srv_udp_len);
			(void)n;
		}
		arm(r, PL_RDVC_DGRAM_MS);
		return;
	}
	if (r->phase != PUNCHING)
		return;
	if (++r->rounds > PL_RDVC_PUNCH_TRIES) {
		done(r, NULL, false); /* no PUNCH, and the other side never asked for the relay too */
		return;
	}
	if (r->rounds > PL_RDVC_RELAY_ROUNDS && !r->relay_asked) {
		/* No path yet: ask parleyd to carry the datagrams (it does once the other side asks too),
		 * and punch on meanwhile: whichever comes first is the path. */
		struct pl_msg m = {.type = PL_MSG_RDV_RELAY};
		cl_send(r->c, &m);
		r->relay_asked = true;
		const char *kv[] = {NULL};
		pl_ui_event(&r->c->ui, "rdv_relaying", kv, "No direct path has got through yet; asking the server to "
			    "relay the call.");
	}
	uint8_t nonce[16];
	randombytes_buf(nonce, sizeof nonce);
	for (unsigned i = 0; i < r->ncand; i++)
		punch_to(r, (struct sockaddr *)&r->cand[i], r->cand_len[i], r->tag_mine, nonce);
	arm(r, PL_RDVC_PUNCH_MS);
}

static void on_udp(evutil_socket_t fd, short what, void *arg)
{
	struct pl_rdvc *r = arg;
	for (int k = 0; k < 64; k++) {
		uint8_t p[64], tag[PL_RDV_TAG_LEN], nonce[PL_RDV_TAG_LEN];
		struct sockaddr_storage from;
		socklen_t flen = sizeof from;
		ssize_t n = recvfrom(r->fd, p, sizeof p, 0, (struct sockaddr *)&from, &flen);
		if (n < 0)
			return;
		if (r->phase != PUNCHING || pl_rdv_punch_decode(p, (size_t)n, tag, nonce) != 0)
			continue;
		if (sodium_memcmp(tag, r->tag_theirs, sizeof tag) != 0)
			continue; /* not the peer: no answer at all */
		/* The peer's own PUNCH: answer it once (the same size), so its side sees the path too. */
		punch_to(r, (struct sockaddr *)&from, flen, r->tag_mine, nonce);
		done(r, (struct sockaddr *)&from, false);
		return;
	}
}

/* The peer's candidates: its public address as parleyd saw it, then its private ones. */
static void add_cand(struct pl_rdvc *r, const char *hp)
{
	char host[256], err[200];
	uint16_t port;
	if (r->ncand >= CANDS_MAX || pl_hostport_split(hp, host, sizeof host, &port, 0, err, sizeof err) < 0 || !port)
		return;
	struct sockaddr_storage ss;
	socklen_t len;
	/* Literals only: nothing here is resolved through DNS. */
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1 && r->srv_udp.ss_family == AF_INET6) {
		/* An IPv4 peer from our dual-stack IPv6 socket: as an IPv4-mapped address. */
		struct in_addr a4 = s4->sin_addr;
		memset(&ss, 0, sizeof ss);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_addr.s6_addr[10] = s6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&s6->sin6_addr.s6_addr[12], &a4, 4);
		len = sizeof *s6;
	} else if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		len = sizeof *s4;
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		len = sizeof *s6;
	} else {
		return;
	}
	if (ss.ss_family != r->srv_udp.ss_family)
		return; /* the socket is of the server's family */
	for (unsigned i = 0; i < r->ncand; i++)
		if (pl_addr_eq((struct sockaddr *)&r->cand[i], (struct sockaddr *)&ss))
			return;
	memcpy(&r->cand[r->ncand], &ss, sizeof ss);
	r->cand_len[r->ncand++] = len;
}

/* Our private addresses, "host:port" separated by spaces: every interface's address of the
 * socket's family (both, for a dual-stack IPv6 socket) but loopback and link-local, with the
 * socket's port. */
static void private_addrs(struct pl_rdvc *r, char *out, size_t cap)
{
	out[0] = '\0';
	struct sockaddr_storage me;
	socklen_t ml = sizeof me;
	if (getsockname(r->fd, (struct sockaddr *)&me, &ml) < 0)
		return;
	uint16_t port = pl_addr_port((struct sockaddr *)&me);
	struct ifaddrs *ifs;
	if (getifaddrs(&ifs) < 0)
		return;
	size_t used = 0;
	for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP))
			continue;
		int fam = i->ifa_addr->sa_family;
		if (fam != me.ss_family && !(fam == AF_INET && me.ss_family == AF_INET6))
			continue;
		if (i->ifa_addr->sa_family == AF_INET6 &&
		    IN6_IS_ADDR_LINKLOCAL(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr))
			continue;
		struct sockaddr_storage a;
		memcpy(&a, i->ifa_addr, i->ifa_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
									  : sizeof(struct sockaddr_in));
		pl_addr_set_port((struct sockaddr *)&a, port);
		char s[PL_ADDR_STR];
		pl_addr_fmt((struct sockaddr *)&a, s, sizeof s);
		size_t l = strlen(s);
		if (used + l + 1 > cap - 1 || used + l + 1 > PL_RDV_ADDRS_MAX)
			break;
		used += (size_t)snprintf(out + used, cap - used, "%s%s", used ? " " : "", s);
	}
	freeifaddrs(ifs);
}

/* --- the key exchange, through parleyd --- */

static void send_data(struct pl_rdvc *r, const uint8_t *d, size_t n)
{
	struct pl_msg m = {.type = PL_MSG_RDV_SEND};
	m.u.rdv.data_len = (uint16_t)n;
	memcpy(m.u.rdv.data, d, n);
	cl_send(r->c, &m);
}

static void check_confirm(struct pl_rdvc *r)
{
	if (!r->sent_confirm || !r->have_peer_confirm || r->verified)
		return;
	const uint8_t *key = r->peer_confirm_key;
	if (pl_spake2_verify(&r->sp, key, PL_DEVICE_KEY_LEN, r->peer_confirm_mac) != 0) {
		fail(r, "key_exchange", "The key exchange with the other person failed: the two of you typed different "
		     "codes, or someone in between tried to take part. Nothing was saved; check the code and start "
		     "again with a new one.");
		return;
	}
	r->verified = true;
	memcpy(r->peer_dev, key, PL_DEVICE_KEY_LEN);
	/* Tags for PUNCH, each side's its own, from the shared key. */
	const uint8_t *k = pl_spake2_key(&r->sp);
	static const char lab[2][16] = {"punch opener", "punch joiner"};
	uint8_t t[crypto_generichash_BYTES];
	for (int i = 0; i < 2; i++) {
		crypto_generichash(t, sizeof t, (const uint8_t *)lab[i], sizeof lab[i], k, PL_SPAKE2_KEY_LEN);
		memcpy(i == (int)r->role ? r->tag_mine : r->tag_theirs, t, PL_RDV_TAG_LEN);
	}
	char fp[PL_KEY_FP_STR], own[PL_KEY_FP_STR], hex[2 * PL_DEVICE_KEY_LEN + 1], s[300];
	pl_key_fingerprint(fp, r->peer_dev);
	pl_key_fingerprint(own, r->dev_pk);
	sodium_bin2hex(hex, sizeof hex, r->peer_dev, sizeof r->peer_dev);
	snprintf(s, sizeof s, "The code matched on both sides: the other person's device key is %s, verified by "
		 "the code. Looking for a direct path.", fp);
	const char *kv[] = {"peer_key", hex, "fingerprint", fp, "own_fingerprint", own, NULL};
	pl_ui_event(&r->c->ui, "rdv_verified", kv, s);
	r->phase = PUNCHING;
	r->rounds = 0;
	add_cand(r, r->peer_pub);
	char list[PL_RDV_ADDRS_MAX + 1], *save = NULL;
	snprintf(list, sizeof list, "%s", r->peer_addrs);
	for (char *tok = strtok_r(list, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		add_cand(r, tok);
	evtimer_del(r->timer);
	on_timer(-1, 0, r);
}

static void on_data(struct pl_rdvc *r, const uint8_t *d, size_t n)
{
	struct pl_rdv_x x;
	if (r->phase != EXCHANGE || pl_rdv_x_decode(d, n, &x) != 0)
		return;
	if (x.type == PL_RDV_X_ELEM && !r->got_elem) {
		r->got_elem = true;
		if (pl_spake2_finish(&r->sp, x.elem) != 0) {
			fail(r, "key_exchange", "The other side sent a key exchange message that is not valid; nothing "
			     "was saved. Start again with a new code.");
			return;
		}
		uint8_t mac[PL_SPAKE2_MAC_LEN], c[PL_RDV_X_CONFIRM_LEN];
		pl_spake2_confirm(&r->sp, r->dev_pk, PL_DEVICE_KEY_LEN, mac);
		pl_rdv_x_confirm(c, r->dev_pk, mac);
		send_data(r, c, sizeof c);
		r->sent_confirm = true;
		check_confirm(r);
	} else if (x.type == PL_RDV_X_CONFIRM && !r->have_peer_confirm) {
		memcpy(r->peer_confirm_key, x.key, sizeof r->peer_confirm_key);
		memcpy(r->peer_confirm_mac, x.mac, sizeof r->peer_confirm_mac);
		r->have_peer_confirm = true;
		check_confirm(r);
	}
}

static void on_peer(struct pl_rdvc *r, const struct pl_msg *m)
{
	if (r->phase != WAIT_PEER)
		return;
	r->phase = EXCHANGE;
	snprintf(r->peer_pub, sizeof r->peer_pub, "%s", m->u.rdv.pub);
	snprintf(r->peer_addrs, sizeof r->peer_addrs, "%s", m->u.rdv.addrs);
	char s[400];
	snprintf(s, sizeof s, "The other person is here (%s); checking that you both have the same code.", r->peer_pub);
	const char *kv[] = {"public", r->peer_pub, "private", r->peer_addrs, NULL};
	pl_ui_event(&r->c->ui, "rdv_peer", kv, s);
	/* SPAKE2: the opener is A, the joiner B; both name the roles the same way. */
	static const char id_a[] = "parley rendezvous opener", id_b[] = "parley rendezvous joiner";
	uint8_t rnd[PL_SPAKE2_RANDOM_LEN], elem[PL_SPAKE2_ELEM_LEN], msg[PL_RDV_X_ELEM_LEN];
	randombytes_buf(rnd, sizeof rnd);
	int rc = pl_spake2_start(&r->sp, r->role == PL_RDV_OPENER ? PL_SPAKE2_A : PL_SPAKE2_B, PL_RDVC_CONTEXT, r->code,
				 (const uint8_t *)id_a, sizeof id_a - 1, (const uint8_t *)id_b, sizeof id_b - 1, rnd,
				 elem);
	sodium_memzero(rnd, sizeof rnd);
	if (rc < 0) {
		fail(r, "internal", "The key exchange could not start; try again.");
		return;
	}
	pl_rdv_x_elem(msg, elem);
	send_data(r, msg, sizeof msg);
}

static void on_code(struct pl_rdvc *r, const struct pl_msg *m)
{
	if (r->phase != WAIT_CODE)
		return;
	r->phase = WAIT_PEER;
	snprintf(r->code, sizeof r->code, "%s", m->u.rdv.code);
	memcpy(r->token, m->u.rdv.token, sizeof r->token);
	r->ttl_s = m->u.rdv.ttl_s;
	memcpy(&r->srv_udp, &r->c->addr, sizeof r->srv_udp);
	r->srv_udp_len = r->c->addrlen;
	pl_addr_set_port((struct sockaddr *)&r->srv_udp, m->u.rdv.udp_port);
	char ttl[16], s[400];
	snprintf(ttl, sizeof ttl, "%u", r->ttl_s);
	const char *role = r->role == PL_RDV_OPENER ? "opener" : "joiner";
	if (r->role == PL_RDV_OPENER)
		snprintf(s, sizeof s, "Your room code is %s. Tell it to the other person, who runs parley --rendezvous "
			 "%s; waiting for them (up to %u s).", r->code, r->code, r->ttl_s);
	else
		snprintf(s, sizeof s, "Joined the room code %s; waiting for the other person's address.", r->code);
	const char *kv[] = {"code", r->code, "#ttl", ttl, "role", role, NULL};
	pl_ui_event(&r->c->ui, "rdv_code", kv, s);
	evtimer_del(r->timer);
	on_timer(-1, 0, r); /* the first datagram now */
}

bool pl_rdvc_msg(struct pl_rdvc *r, const struct pl_msg *m)
{
	switch (m->type) {
	case PL_MSG_RDV_CODE: on_code(r, m); return true;
	case PL_MSG_RDV_PEER: on_peer(r, m); return true;
	case PL_MSG_RDV_DATA: on_data(r, m->u.rdv.data, m->u.rdv.data_len); return true;
	case PL_MSG_RDV_RELAYED:
		if (r->phase == PUNCHING && r->relay_asked)
			done(r, (struct sockaddr *)&r->srv_udp, true);
		return true;
	case PL_MSG_ERROR: {
		uint16_t code = m->u.error.code, about = m->u.error.about;
		bool ours = (code >= PL_ERR_RDV_TAKEN && code <= PL_ERR_RDV_BUSY) || about == PL_MSG_RDV_OPEN ||
			    about == PL_MSG_RDV_JOIN || about == PL_MSG_RDV_SEND || about == PL_MSG_RDV_RELAY;
		if (!ours)
			return false;
		if (code == PL_ERR_RDV_PEER_LEFT && (r->phase == PUNCHING || r->phase == DONE))
			return true; /* the other side finished with the server first */
		if (about == PL_MSG_RDV_RELAY && r->phase == PUNCHING)
			return true; /* no relay (the other side left, or our address): punching goes on */
		pl_ui_server_msg(&r->c->ui, m); /* the error event, with its number and sentence */
		if (code == PL_ERR_PROTOCOL)
			pl_ui_local_error(&r->c->ui, "This server does not offer rendezvous by room code (its "
						     "parleyd is older); ask its operator to update it, or use another "
						     "server.");
		if (r->phase != FAILED && r->phase != DONE) {
			r->phase = FAILED;
			r->c->exit_code = 1;
			cl_quit(r->c);
		}
		return true;
	}
	default: return false;
	}
}

int pl_rdvc_start(struct client *c)
{
	char err[300];
	struct pl_rdvc *r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	r->c = c;
	r->fd = -1;
	r->role = c->o->rdv_code[0] ? PL_RDV_JOINER : PL_RDV_OPENER;
	if (r->role == PL_RDV_JOINER && pl_rdv_code_parse(c->o->rdv_code, r->code, sizeof r->code) < 0) {
		pl_ui_local_error(&c->ui, "That is not a room code: a code is a number and two words, like "
					  "7-castle-river. Check it with the person who gave it to you.");
		free(r);
		c->exit_code = 2;
		cl_quit(c);
		return -EINVAL;
	}
	/* One UDP socket for the whole rendezvous: the address parleyd sees is the one punched. */
	struct sockaddr_storage any;
	memset(&any, 0, sizeof any);
	any.ss_family = c->addr.ss_family;
	int fd = pl_udp_socket_for((struct sockaddr *)&c->addr, err, sizeof err);
	int off = 0;
	if (fd >= 0 && any.ss_family == AF_INET6) /* IPv4 peers too, as mapped addresses */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
	if (fd < 0 || bind(fd, (struct sockaddr *)&any, any.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
										   : sizeof(struct sockaddr_in)) < 0) {
		if (fd >= 0)
			close(fd);
		pl_ui_local_error(&c->ui, fd < 0 ? err : "Cannot open a UDP socket for the rendezvous.");
		free(r);
		c->exit_code = 1;
		cl_quit(c);
		return -EIO;
	}
	r->fd = fd;
	r->rx_ev = event_new(c->base, fd, EV_READ | EV_PERSIST, on_udp, r);
	r->timer = evtimer_new(c->base, on_timer, r);
	if (!r->rx_ev || !r->timer || event_add(r->rx_ev, NULL) < 0) {
		pl_rdvc_free(r);
		return -ENOMEM;
	}
	/* The key the other person saves for us: this identity's key for direct mode. */
	if (c->have_identity) {
		uint8_t h[PL_CERT_HASH_LEN], sk[PL_DEVICE_SECRET_LEN];
		static const char what[] = "parley direct mode v1"; /* client/direct_cmd.c's label */
		crypto_hash_sha256(h, (const uint8_t *)what, sizeof what - 1);
		pl_identity_keys(c->secret, h, r->dev_pk, sk);
		sodium_memzero(sk, sizeof sk);
	}
	c->rdv = r;
	struct pl_msg m = {.type = r->role == PL_RDV_OPENER ? PL_MSG_RDV_OPEN : PL_MSG_RDV_JOIN};
	if (r->role == PL_RDV_JOINER)
		snprintf(m.u.rdv.code, sizeof m.u.rdv.code, "%s", r->code);
	private_addrs(r, m.u.rdv.addrs, sizeof m.u.rdv.addrs);
	cl_send(c, &m);
	return 0;
}

void pl_rdvc_free(struct pl_rdvc *r)
{
	if (!r)
		return;
	if (r->rx_ev)
		event_free(r->rx_ev);
	if (r->timer)
		event_free(r->timer);
	if (r->fd >= 0)
		close(r->fd);
	if (r->c && r->c->rdv == r)
		r->c->rdv = NULL;
	sodium_memzero(r, sizeof *r);
	free(r);
}
