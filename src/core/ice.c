/*
 * ice: the agent of core/ice.h: checklist, checks and answers, nomination, consent, birthday
 * probing. Candidates and their codec are in ice_cand.c.
 */
#include "core/ice.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

enum { P_WAITING, P_INPROG, P_DONE, P_FAILED };
enum { S_IDLE, S_CHECKING, S_DIRECT, S_WAIT };
#define CONSENT_TIDS 8
#define HARD_MARK 0x8000u /* in a hard-side probe's transaction id */

struct pair {
	uint16_t sock;
	uint8_t rtype;
	uint8_t state;
	struct pl_stun_addr raddr;
	uint32_t lprio, rprio;
	uint64_t prio;
	bool valid;          /* a check on it succeeded */
	bool use_cand;       /* controlling: our next check on it nominates */
	bool peer_nominated; /* controlled: the peer's check carried USE-CANDIDATE */
	bool queued;         /* in the triggered queue */
	uint8_t tries;
	uint8_t tid[PL_STUN_TID_LEN];
	uint64_t next_tx, last_tx;
	uint32_t rtt_ms;
};

struct pl_ice {
	bool controlling, symmetric;
	const struct pl_env *env;
	pl_stun_hmac_fn hmac;
	uint8_t kl[PL_ICE_KEY_MAX], kr[PL_ICE_KEY_MAX];
	size_t kll, krl;
	unsigned probe_socks, probe_budget, ta, consent_ms;
	uint64_t tiebreak;
	char ufrag[PL_ICE_UFRAG_LEN + 1], rufrag[PL_ICE_UFRAG_MAX + 1];
	bool have_remote;
	uint8_t rflags;
	struct pl_ice_cand local[PL_ICE_MAX_CANDS];
	unsigned nlocal;
	struct pl_ice_cand remote[PL_ICE_MAX_REMOTE];
	unsigned nremote;
	struct pair pairs[PL_ICE_MAX_PAIRS];
	unsigned npairs;
	uint8_t trig[PL_ICE_MAX_PAIRS];
	unsigned ntrig;

	int state;
	int nominated, nominating; /* pair indexes, -1: none */
	bool any_valid;
	uint64_t next_check, first_valid, retry_at, consent_next, consent_ok;
	uint32_t retry_ms; /* PL_ICE_RETRY_MS, doubling up to PL_ICE_RETRY_MAX_MS while nothing works */
	uint8_t consent_tid[CONSENT_TIDS][PL_STUN_TID_LEN];
	unsigned consent_i;

	/* Birthday probing: easy side probes ports of bday_to's address; hard side sends to bday_to. */
	bool easy, hard, socks_asked;
	unsigned rounds;
	struct pl_stun_addr bday_to;
	uint8_t bday_prefix[8];
	uint16_t bday_port[PL_ICE_PROBE_BUDGET_MAX];
	uint64_t bday_at[PL_ICE_PROBE_BUDGET_MAX];
	unsigned bday_sent, bday_total, hard_i, hard_total;
	uint64_t bday_next;

	struct pl_ice_tx txq[PL_ICE_TXQ];
	unsigned txh, txn;
	struct pl_ice_event evq[PL_ICE_EVQ];
	unsigned evh, evn;
	struct pl_ice_stats st;
};

/* --- small helpers --- */

static uint32_t local_pref(uint8_t family) { return family == 6 ? 65535 : 65534; }

static uint32_t prflx_prio(uint8_t family) { return pl_ice_priority(PL_ICE_PRFLX, (uint16_t)local_pref(family)); }

static bool tx_room(const struct pl_ice *ice) { return ice->txn < PL_ICE_TXQ; }

static void push_tx(struct pl_ice *ice, uint16_t sock, const struct pl_stun_addr *to, const uint8_t *buf,
		    size_t len)
{
	if (!tx_room(ice) || len > PL_ICE_DGRAM_MAX)
		return;
	struct pl_ice_tx *t = &ice->txq[(ice->txh + ice->txn++) % PL_ICE_TXQ];
	t->sock = sock;
	t->to = *to;
	t->len = len;
	memcpy(t->buf, buf, len);
}

static void push_ev(struct pl_ice *ice, const struct pl_ice_event *ev)
{
	if (ice->evn == PL_ICE_EVQ) { /* the oldest goes: the newest says where media must go now */
		ice->evh = (ice->evh + 1) % PL_ICE_EVQ;
		ice->evn--;
	}
	ice->evq[(ice->evh + ice->evn++) % PL_ICE_EVQ] = *ev;
}

static void new_tid(struct pl_ice *ice, uint8_t tid[PL_STUN_TID_LEN])
{
	pl_env_random(ice->env, tid, PL_STUN_TID_LEN);
}

static void pair_prio(struct pl_ice *ice, struct pair *p)
{
	p->prio = ice->controlling ? pl_ice_pair_priority(p->lprio, p->rprio)
				    : pl_ice_pair_priority(p->rprio, p->lprio);
}

static void set_role(struct pl_ice *ice, bool controlling)
{
	if (ice->controlling == controlling)
		return;
	ice->controlling = controlling;
	ice->st.role_conflicts++;
	ice->nominating = -1; /* a nomination in flight was the old role's */
	for (unsigned i = 0; i < ice->npairs; i++) {
		ice->pairs[i].use_cand = false;
		pair_prio(ice, &ice->pairs[i]);
	}
}

static int find_pair(const struct pl_ice *ice, uint16_t sock, const struct pl_stun_addr *a)
{
	for (unsigned i = 0; i < ice->npairs; i++)
		if (ice->pairs[i].sock == sock && pl_ice_addr_eq(&ice->pairs[i].raddr, a))
			return (int)i;
	return -1;
}

static const struct pl_ice_cand *local_host(const struct pl_ice *ice, uint8_t family)
{
	const struct pl_ice_cand *best = NULL;
	for (unsigned i = 0; i < ice->nlocal; i++) {
		const struct pl_ice_cand *c = &ice->local[i];
		if (c->type == PL_ICE_HOST && c->addr.family == family && (!best || c->priority > best->priority))
			best = c;
	}
	return best;
}

/* A pair for (sock, remote address), made if new; -1 when the table is full. */
static int add_pair(struct pl_ice *ice, uint16_t sock, uint8_t rtype, const struct pl_stun_addr *raddr, uint32_t rprio)
{
	int i = find_pair(ice, sock, raddr);
	if (i >= 0 || ice->npairs == PL_ICE_MAX_PAIRS)
		return i;
	struct pair *p = &ice->pairs[ice->npairs];
	memset(p, 0, sizeof *p);
	p->sock = sock;
	p->rtype = rtype;
	p->raddr = *raddr;
	p->rprio = rprio;
	const struct pl_ice_cand *h = sock == 0 ? local_host(ice, raddr->family) : NULL;
	p->lprio = h ? h->priority : prflx_prio(raddr->family);
	p->state = P_WAITING;
	pair_prio(ice, p);
	return (int)ice->npairs++;
}

static void trigger(struct pl_ice *ice, int i, bool front)
{
	struct pair *p = &ice->pairs[i];
	if (p->state == P_INPROG && !front)
		return;
	p->state = P_WAITING;
	p->tries = 0;
	if (p->queued)
		return;
	p->queued = true;
	if (front) {
		memmove(ice->trig + 1, ice->trig, ice->ntrig);
		ice->trig[0] = (uint8_t)i;
		ice->ntrig++;
	} else {
		ice->trig[ice->ntrig++] = (uint8_t)i;
	}
}

/* --- writing STUN --- */

static int build_request(struct pl_ice *ice, uint8_t *buf, const uint8_t tid[PL_STUN_TID_LEN], uint8_t family,
			 bool use_cand)
{
	struct pl_stun_wr w;
	char user[2 * PL_ICE_UFRAG_MAX + 2];
	size_t ul = strlen(ice->rufrag), ol = strlen(ice->ufrag);
	memcpy(user, ice->rufrag, ul);
	user[ul] = ':';
	memcpy(user + ul + 1, ice->ufrag, ol);
	uint8_t prio[4], tb[8];
	pl_put_be32(prio, prflx_prio(family));
	pl_put_be32(tb, (uint32_t)(ice->tiebreak >> 32));
	pl_put_be32(tb + 4, (uint32_t)ice->tiebreak);
	pl_stun_wr_start(&w, buf, PL_ICE_DGRAM_MAX, pl_stun_type(PL_STUN_BINDING, PL_STUN_REQUEST), tid);
	pl_stun_wr_attr(&w, PL_STUN_A_USERNAME, user, ul + 1 + ol);
	pl_stun_wr_attr(&w, PL_STUN_A_PRIORITY, prio, 4);
	pl_stun_wr_attr(&w, ice->controlling ? PL_STUN_A_ICE_CONTROLLING : PL_STUN_A_ICE_CONTROLLED, tb, 8);
	if (use_cand)
		pl_stun_wr_attr(&w, PL_STUN_A_USE_CANDIDATE, NULL, 0);
	pl_stun_wr_integrity(&w, ice->hmac, ice->kr, ice->krl);
	pl_stun_wr_fingerprint(&w);
	return pl_stun_wr_finish(&w);
}

static void send_request(struct pl_ice *ice, uint16_t sock, const struct pl_stun_addr *to,
			 const uint8_t tid[PL_STUN_TID_LEN], bool use_cand)
{
	uint8_t buf[PL_ICE_DGRAM_MAX];
	int n = build_request(ice, buf, tid, to->family, use_cand);
	if (n > 0)
		push_tx(ice, sock, to, buf, (size_t)n);
}

/* The answer to a request of reqlen bytes: never longer than it. */
static void send_answer(struct pl_ice *ice, uint16_t sock, const struct pl_stun_addr *to, const uint8_t *tid,
			unsigned err, size_t reqlen)
{
	uint8_t buf[PL_ICE_DGRAM_MAX];
	struct pl_stun_wr w;
	pl_stun_wr_start(&w, buf, sizeof buf, pl_stun_type(PL_STUN_BINDING, err ? PL_STUN_ERROR : PL_STUN_SUCCESS),
			 tid);
	if (err)
		pl_stun_wr_error(&w, err, "Role Conflict");
	else
		pl_stun_wr_addr(&w, PL_STUN_A_XOR_MAPPED_ADDRESS, to);
	pl_stun_wr_integrity(&w, ice->hmac, ice->kl, ice->kll);
	pl_stun_wr_fingerprint(&w);
	int n = pl_stun_wr_finish(&w);
	if (n > 0 && (size_t)n <= reqlen) {
		push_tx(ice, sock, to, buf, (size_t)n);
		ice->st.answered++;
	}
}

/* --- lifecycle --- */

int pl_ice_new(struct pl_ice **out, const struct pl_ice_config *cfg)
{
	*out = NULL;
	if (!cfg->env || !cfg->hmac || !cfg->key_local || !cfg->key_remote || !cfg->key_local_len ||
	    !cfg->key_remote_len || cfg->key_local_len > PL_ICE_KEY_MAX || cfg->key_remote_len > PL_ICE_KEY_MAX ||
	    cfg->probe_socks > PL_ICE_PROBE_SOCKS_MAX || cfg->probe_budget > PL_ICE_PROBE_BUDGET_MAX)
		return -EINVAL;
	struct pl_ice *ice = calloc(1, sizeof *ice);
	if (!ice)
		return -ENOMEM;
	ice->controlling = cfg->controlling;
	ice->symmetric = cfg->symmetric;
	ice->env = cfg->env;
	ice->hmac = cfg->hmac;
	memcpy(ice->kl, cfg->key_local, cfg->key_local_len);
	ice->kll = cfg->key_local_len;
	memcpy(ice->kr, cfg->key_remote, cfg->key_remote_len);
	ice->krl = cfg->key_remote_len;
	ice->probe_socks = cfg->probe_socks;
	ice->probe_budget = cfg->probe_budget ? cfg->probe_budget : PL_ICE_PROBE_BUDGET;
	ice->ta = cfg->ta_ms ? cfg->ta_ms : PL_ICE_TA_MS;
	ice->consent_ms = cfg->consent_ms ? cfg->consent_ms : PL_ICE_CONSENT_INTERVAL_MS;
	pl_env_random(ice->env, &ice->tiebreak, sizeof ice->tiebreak);
	static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t r[PL_ICE_UFRAG_LEN];
	pl_env_random(ice->env, r, sizeof r);
	for (size_t i = 0; i < PL_ICE_UFRAG_LEN; i++)
		ice->ufrag[i] = chars[r[i] & 63];
	ice->nominated = ice->nominating = -1;
	ice->retry_ms = PL_ICE_RETRY_MS;
	*out = ice;
	return 0;
}

void pl_ice_free(struct pl_ice *ice)
{
	free(ice);
}

int pl_ice_add_local(struct pl_ice *ice, const struct pl_ice_cand *c)
{
	if (c->type == PL_ICE_PRFLX || c->type > PL_ICE_RELAY || (c->addr.family != 4 && c->addr.family != 6) ||
	    !pl_ice_addr_usable(&c->addr))
		return -EINVAL;
	if (ice->nlocal == PL_ICE_MAX_CANDS)
		return -ENOSPC;
	struct pl_ice_cand *l = &ice->local[ice->nlocal++];
	*l = *c;
	if (!l->priority)
		l->priority = pl_ice_priority(c->type, (uint16_t)local_pref(c->addr.family));
	if (ice->have_remote && c->type == PL_ICE_HOST) /* gathered again during the call */
		for (unsigned k = 0; k < ice->nremote; k++) {
			const struct pl_ice_cand *r = &ice->remote[k];
			if (r->type != PL_ICE_RELAY && r->addr.family == c->addr.family)
				add_pair(ice, 0, r->type, &r->addr, r->priority);
		}
	return 0;
}

void pl_ice_local_desc(const struct pl_ice *ice, struct pl_ice_desc *d)
{
	memset(d, 0, sizeof *d);
	memcpy(d->ufrag, ice->ufrag, sizeof ice->ufrag);
	d->flags = ice->symmetric ? PL_ICE_F_SYMMETRIC : 0;
	d->n = (uint8_t)ice->nlocal;
	memcpy(d->c, ice->local, ice->nlocal * sizeof *ice->local);
}

int pl_ice_set_remote(struct pl_ice *ice, const struct pl_ice_desc *d)
{
	size_t ul = strnlen(d->ufrag, sizeof d->ufrag);
	if (ice->have_remote || ul < PL_ICE_UFRAG_MIN || ul > PL_ICE_UFRAG_MAX || d->n > PL_ICE_MAX_CANDS)
		return -EINVAL;
	memcpy(ice->rufrag, d->ufrag, ul + 1);
	ice->rflags = d->flags;
	ice->have_remote = true;
	const struct pl_ice_cand *srflx = NULL;
	for (unsigned i = 0; i < d->n; i++) {
		const struct pl_ice_cand *c = &d->c[i];
		if (c->type > PL_ICE_RELAY || !pl_ice_addr_usable(&c->addr) || ice->nremote == PL_ICE_MAX_REMOTE)
			continue;
		ice->remote[ice->nremote++] = *c;
		if (c->type == PL_ICE_RELAY || !local_host(ice, c->addr.family))
			continue;
		add_pair(ice, 0, c->type, &c->addr, c->priority);
		if (c->type == PL_ICE_SRFLX && (!srflx || (srflx->addr.family == 6 && c->addr.family == 4)))
			srflx = c;
	}
	if (srflx) {
		ice->bday_to = srflx->addr;
		ice->easy = (d->flags & PL_ICE_F_SYMMETRIC) && !ice->symmetric && ice->probe_budget > 0;
		ice->hard = ice->symmetric && !(d->flags & PL_ICE_F_SYMMETRIC) && ice->probe_socks > 0;
	}
	return 0;
}

static void start_round(struct pl_ice *ice, uint64_t now)
{
	for (unsigned i = 0; i < ice->npairs; i++) {
		struct pair *p = &ice->pairs[i];
		p->state = P_WAITING;
		p->tries = 0;
		p->valid = p->use_cand = p->peer_nominated = p->queued = false;
	}
	ice->ntrig = 0;
	ice->nominated = ice->nominating = -1;
	ice->any_valid = false;
	ice->state = S_CHECKING;
	ice->next_check = now;
	ice->bday_sent = ice->bday_total = ice->hard_i = ice->hard_total = 0;
	if ((ice->easy || ice->hard) && ice->rounds < PL_ICE_BDAY_ROUNDS) {
		ice->rounds++;
		ice->st.bday_rounds++;
		pl_env_random(ice->env, ice->bday_prefix, sizeof ice->bday_prefix);
		ice->bday_next = now;
		if (ice->easy)
			ice->bday_total = ice->probe_budget;
		if (ice->hard) {
			ice->hard_total = 2 * ice->probe_socks;
			if (!ice->socks_asked) {
				struct pl_ice_event ev = {.kind = PL_ICE_EV_OPEN_SOCKS, .nsocks = ice->probe_socks};
				push_ev(ice, &ev);
				ice->socks_asked = true;
			}
		}
	}
}

void pl_ice_start(struct pl_ice *ice, uint64_t now)
{
	if (ice->state == S_IDLE && ice->have_remote)
		start_round(ice, now);
}

/* --- the path --- */

static enum pl_ice_path path_of(const struct pair *p)
{
	if (p->rtype == PL_ICE_HOST)
		return pl_ice_addr_private(&p->raddr) ? PL_ICE_PATH_LAN : PL_ICE_PATH_DIRECT;
	return PL_ICE_PATH_PUNCHED;
}

static void nominate(struct pl_ice *ice, int i, uint64_t now)
{
	struct pair *p = &ice->pairs[i];
	if (ice->state == S_DIRECT && ice->nominated == i)
		return;
	ice->nominated = i;
	ice->nominating = -1;
	ice->state = S_DIRECT;
	ice->retry_ms = PL_ICE_RETRY_MS;
	ice->consent_ok = now;
	ice->consent_next = now + ice->consent_ms;
	ice->bday_total = ice->bday_sent; /* probing is over for this round */
	ice->hard_total = ice->hard_i;
	struct pl_ice_event ev = {.kind = PL_ICE_EV_DIRECT, .path = path_of(p), .sock = p->sock, .remote = p->raddr,
				  .rtt_ms = p->rtt_ms};
	push_ev(ice, &ev);
}

static void lose(struct pl_ice *ice, uint64_t now)
{
	ice->nominated = -1;
	ice->state = S_WAIT;
	ice->retry_at = now + ice->retry_ms;
	struct pl_ice_event ev = {.kind = PL_ICE_EV_RELAY, .path = PL_ICE_PATH_RELAY};
	push_ev(ice, &ev);
}

static void got_valid(struct pl_ice *ice, int i, uint64_t now)
{
	struct pair *p = &ice->pairs[i];
	p->valid = true;
	if (!ice->any_valid) {
		ice->any_valid = true;
		ice->first_valid = now;
	}
	if ((ice->controlling && p->use_cand) || (!ice->controlling && p->peer_nominated))
		nominate(ice, i, now);
}

/* --- the network changed --- */

/* Pair i goes (its address went): indexes after it move down one. The nominated one: media back to
 * the relay at once and a new round at the next tick. */
static void drop_pair(struct pl_ice *ice, unsigned i)
{
	if (ice->nominated == (int)i) {
		struct pl_ice_event ev = {.kind = PL_ICE_EV_RELAY, .path = PL_ICE_PATH_RELAY};
		push_ev(ice, &ev);
		ice->nominated = -1;
		ice->state = S_WAIT;
		ice->retry_at = 0;
	} else if (ice->nominated > (int)i) {
		ice->nominated--;
	}
	if (ice->nominating == (int)i)
		ice->nominating = -1;
	else if (ice->nominating > (int)i)
		ice->nominating--;
	unsigned k = 0;
	for (unsigned j = 0; j < ice->ntrig; j++)
		if (ice->trig[j] != i)
			ice->trig[k++] = (uint8_t)(ice->trig[j] > i ? ice->trig[j] - 1 : ice->trig[j]);
	ice->ntrig = k;
	memmove(&ice->pairs[i], &ice->pairs[i + 1], (ice->npairs - i - 1) * sizeof *ice->pairs);
	ice->npairs--;
}

int pl_ice_remove_local(struct pl_ice *ice, const struct pl_stun_addr *a)
{
	unsigned i = 0;
	while (i < ice->nlocal && !pl_ice_addr_eq(&ice->local[i].addr, a))
		i++;
	if (i == ice->nlocal)
		return -ENOENT;
	memmove(&ice->local[i], &ice->local[i + 1], (ice->nlocal - i - 1) * sizeof *ice->local);
	ice->nlocal--;
	if (!local_host(ice, a->family)) /* no address of that family left to send from */
		for (unsigned k = ice->npairs; k-- > 0;)
			if (ice->pairs[k].sock == 0 && ice->pairs[k].raddr.family == a->family)
				drop_pair(ice, k);
	return 0;
}

/* After candidates changed: a round now if none is on (or the nominated pair went), else the new
 * pairs checked beside the nominated one. */
static void recheck(struct pl_ice *ice, uint64_t now)
{
	if (ice->state == S_IDLE)
		return;
	if (ice->state == S_WAIT) {
		start_round(ice, now);
		return;
	}
	if (ice->state == S_DIRECT)
		for (unsigned i = 0; i < ice->npairs; i++)
			if (ice->pairs[i].state == P_WAITING && !ice->pairs[i].valid)
				trigger(ice, (int)i, false);
}

void pl_ice_locals_changed(struct pl_ice *ice, bool local_gone, uint64_t now)
{
	if (local_gone && ice->state == S_DIRECT)
		lose(ice, now);
	recheck(ice, now);
}

static bool desc_has(const struct pl_ice_desc *d, const struct pl_stun_addr *a)
{
	for (unsigned i = 0; i < d->n; i++)
		if (pl_ice_addr_eq(&d->c[i].addr, a))
			return true;
	return false;
}

/* Remote candidate k goes, with every pair to its address and any peer-reflexive one there. */
static void drop_remote(struct pl_ice *ice, unsigned k)
{
	struct pl_stun_addr a = ice->remote[k].addr;
	for (unsigned j = ice->nremote; j-- > 0;)
		if (pl_ice_addr_eq(&ice->remote[j].addr, &a)) {
			memmove(&ice->remote[j], &ice->remote[j + 1], (ice->nremote - j - 1) * sizeof *ice->remote);
			ice->nremote--;
		}
	for (unsigned i = ice->npairs; i-- > 0;)
		if (pl_ice_addr_eq(&ice->pairs[i].raddr, &a))
			drop_pair(ice, i);
}

int pl_ice_update_remote(struct pl_ice *ice, const struct pl_ice_desc *d, uint64_t now)
{
	if (!ice->have_remote || d->n > PL_ICE_MAX_CANDS || strncmp(d->ufrag, ice->rufrag, sizeof ice->rufrag) != 0)
		return -EINVAL;
	for (bool again = true; again;) { /* dropping one may move the others */
		again = false;
		for (unsigned k = 0; k < ice->nremote && !again; k++)
			if (ice->remote[k].type != PL_ICE_PRFLX && !desc_has(d, &ice->remote[k].addr)) {
				drop_remote(ice, k);
				again = true;
			}
	}
	for (unsigned i = 0; i < d->n; i++) {
		const struct pl_ice_cand *c = &d->c[i];
		if (c->type > PL_ICE_RELAY || !pl_ice_addr_usable(&c->addr))
			continue;
		unsigned k = 0;
		while (k < ice->nremote && !pl_ice_addr_eq(&ice->remote[k].addr, &c->addr))
			k++;
		if (k < ice->nremote && ice->remote[k].type != PL_ICE_PRFLX)
			continue; /* named before */
		if (k == ice->nremote) {
			if (ice->nremote == PL_ICE_MAX_REMOTE)
				continue;
			ice->nremote++;
		}
		ice->remote[k] = *c; /* new, or one seen as peer-reflexive now signalled */
		if (c->type == PL_ICE_RELAY || !local_host(ice, c->addr.family))
			continue;
		int p = add_pair(ice, 0, c->type, &c->addr, c->priority);
		if (p < 0)
			continue;
		struct pair *pp = &ice->pairs[p];
		enum pl_ice_path was = path_of(pp);
		pp->rtype = c->type;
		pp->rprio = c->priority;
		pair_prio(ice, pp);
		if (ice->state == S_DIRECT && ice->nominated == p && path_of(pp) != was) {
			/* the path's address, met as peer-reflexive, is named now: say what it is */
			struct pl_ice_event ev = {.kind = PL_ICE_EV_DIRECT, .path = path_of(pp), .sock = pp->sock,
						  .remote = pp->raddr, .rtt_ms = pp->rtt_ms};
			push_ev(ice, &ev);
		}
	}
	recheck(ice, now);
	return 0;
}

/* --- input --- */

static uint64_t rd_be64(const uint8_t *p) { return (uint64_t)pl_be32(p) << 32 | pl_be32(p + 4); }

static int on_request(struct pl_ice *ice, uint16_t sock, const struct pl_stun_addr *from, const struct pl_stun_msg *m,
		      const uint8_t *buf, uint64_t now)
{
	size_t n, ol = strlen(ice->ufrag), rl = strlen(ice->rufrag);
	const uint8_t *user = pl_stun_attr_find(m, buf, PL_STUN_A_USERNAME, &n);
	bool user_ok = user && n > ol && memcmp(user, ice->ufrag, ol) == 0 && user[ol] == ':' &&
		       (!ice->have_remote || (n == ol + 1 + rl && memcmp(user + ol + 1, ice->rufrag, rl) == 0));
	if (!user_ok || pl_stun_check_integrity(m, buf, ice->hmac, ice->kl, ice->kll) != 0) {
		ice->st.refused++;
		return -EACCES;
	}
	const uint8_t *prio = pl_stun_attr_find(m, buf, PL_STUN_A_PRIORITY, &n);
	if (!prio || n != 4 || pl_be32(prio) == 0)
		return -EBADMSG;
	uint32_t rprio = pl_be32(prio);
	const uint8_t *ctl = pl_stun_attr_find(m, buf, PL_STUN_A_ICE_CONTROLLING, &n);
	if (ctl && n != 8)
		return -EBADMSG;
	size_t n2;
	const uint8_t *ctd = pl_stun_attr_find(m, buf, PL_STUN_A_ICE_CONTROLLED, &n2);
	if (ctd && n2 != 8)
		return -EBADMSG;
	if (ice->controlling && ctl) {
		if (ice->tiebreak >= rd_be64(ctl)) {
			send_answer(ice, sock, from, m->tid, 487, m->len);
			return 1;
		}
		set_role(ice, false);
	} else if (!ice->controlling && ctd) {
		if (ice->tiebreak >= rd_be64(ctd)) {
			set_role(ice, true);
		} else {
			send_answer(ice, sock, from, m->tid, 487, m->len);
			return 1;
		}
	}
	send_answer(ice, sock, from, m->tid, 0, m->len);
	if (!ice->have_remote || (sock > ice->probe_socks))
		return 1;
	int i = find_pair(ice, sock, from);
	if (i < 0) {
		uint8_t rtype = PL_ICE_PRFLX;
		for (unsigned k = 0; k < ice->nremote; k++)
			if (pl_ice_addr_eq(&ice->remote[k].addr, from))
				rtype = ice->remote[k].type;
		if (rtype == PL_ICE_PRFLX && ice->nremote < PL_ICE_MAX_REMOTE)
			ice->remote[ice->nremote++] = (struct pl_ice_cand){.type = PL_ICE_PRFLX, .priority = rprio,
									   .addr = *from};
		i = add_pair(ice, sock, rtype, from, rprio);
		if (i < 0)
			return 1;
	}
	struct pair *p = &ice->pairs[i];
	bool use_cand = pl_stun_attr_find(m, buf, PL_STUN_A_USE_CANDIDATE, &n) != NULL;
	if (!ice->controlling && use_cand) {
		if (p->valid)
			nominate(ice, i, now);
		else
			p->peer_nominated = true;
	}
	if (!p->valid)
		trigger(ice, i, false);
	return 1;
}

static void fail_pair(struct pl_ice *ice, int i)
{
	struct pair *p = &ice->pairs[i];
	p->state = P_FAILED;
	if (ice->nominating == i) {
		ice->nominating = -1;
		p->valid = false;
		p->use_cand = false;
	}
}

static int on_response(struct pl_ice *ice, uint16_t sock, const struct pl_stun_addr *from,
		       const struct pl_stun_msg *m, const uint8_t *buf, uint64_t now)
{
	int pi = -1, consent = 0;
	long probe = -1, hard = -1;
	for (unsigned i = 0; i < ice->npairs && pi < 0; i++)
		if (ice->pairs[i].state == P_INPROG && memcmp(ice->pairs[i].tid, m->tid, PL_STUN_TID_LEN) == 0)
			pi = (int)i;
	if (pi < 0 && ice->nominated >= 0)
		for (unsigned i = 0; i < CONSENT_TIDS && !consent; i++)
			consent = memcmp(ice->consent_tid[i], m->tid, PL_STUN_TID_LEN) == 0;
	if (pi < 0 && !consent && ice->rounds && memcmp(m->tid, ice->bday_prefix, 8) == 0) {
		uint32_t x = pl_be32(m->tid + 8);
		if (x & (HARD_MARK << 16))
			hard = x & 0xFFFF;
		else if (x < ice->bday_sent)
			probe = x;
	}
	if (pi < 0 && !consent && probe < 0 && hard < 0)
		return -ENOENT;
	if (pl_stun_check_integrity(m, buf, ice->hmac, ice->kr, ice->krl) != 0) {
		ice->st.refused++;
		return -EACCES;
	}
	bool ok = m->cls == PL_STUN_SUCCESS;
	if (pi >= 0) {
		struct pair *p = &ice->pairs[pi];
		if (p->sock != sock || !pl_ice_addr_eq(&p->raddr, from)) {
			fail_pair(ice, pi); /* RFC 8445 7.2.5.2.1: not symmetric */
			return 1;
		}
		if (!ok) {
			if (m->has_error && m->error_code == 487) {
				set_role(ice, !ice->controlling);
				trigger(ice, pi, true);
			} else {
				fail_pair(ice, pi);
			}
			return 1;
		}
		p->state = P_DONE;
		p->rtt_ms = (uint32_t)(now - p->last_tx);
		got_valid(ice, pi, now);
		return 1;
	}
	if (!ok)
		return 1;
	if (consent) {
		struct pair *p = &ice->pairs[ice->nominated];
		if (p->sock == sock && pl_ice_addr_eq(&p->raddr, from))
			ice->consent_ok = now;
		return 1;
	}
	if (probe >= 0) {
		/* The easy side's probe landed: the answer must come from where it went. */
		struct pl_stun_addr want = ice->bday_to;
		want.port = ice->bday_port[probe];
		if (sock != 0 || !pl_ice_addr_eq(&want, from))
			return 1;
		int i = add_pair(ice, 0, PL_ICE_PRFLX, from, prflx_prio(from->family));
		if (i < 0)
			return 1;
		ice->pairs[i].state = P_DONE;
		ice->pairs[i].rtt_ms = (uint32_t)(now - ice->bday_at[probe]);
		got_valid(ice, i, now);
		return 1;
	}
	/* The hard side's send from probe socket `hard` was answered. */
	if (hard < 1 || hard > (long)ice->probe_socks || sock != hard || !pl_ice_addr_eq(&ice->bday_to, from))
		return 1;
	int i = add_pair(ice, sock, PL_ICE_SRFLX, from, prflx_prio(from->family));
	if (i >= 0) {
		ice->pairs[i].state = P_DONE;
		got_valid(ice, i, now);
	}
	return 1;
}

int pl_ice_input(struct pl_ice *ice, uint16_t sock, const struct pl_stun_addr *from, const uint8_t *buf,
		 size_t len, uint64_t now)
{
	if (pl_stun_classify(buf, len) != PL_DGRAM_STUN)
		return 0;
	struct pl_stun_msg m;
	if (pl_stun_decode(&m, buf, len) != 0)
		return -EBADMSG;
	if (m.method != PL_STUN_BINDING)
		return -EPROTO;
	if (sock > ice->probe_socks || (from->family != 4 && from->family != 6))
		return -ENOENT;
	if (m.cls == PL_STUN_REQUEST)
		return on_request(ice, sock, from, &m, buf, now);
	if (m.cls == PL_STUN_SUCCESS || m.cls == PL_STUN_ERROR)
		return on_response(ice, sock, from, &m, buf, now);
	return 1; /* an indication: a keep-alive, nothing to do */
}

/* --- timers --- */

static int pick(struct pl_ice *ice, uint64_t now)
{
	while (ice->ntrig) {
		int i = ice->trig[0];
		memmove(ice->trig, ice->trig + 1, --ice->ntrig);
		ice->pairs[i].queued = false;
		if (ice->pairs[i].state == P_WAITING)
			return i;
	}
	int best = -1;
	if (ice->state == S_CHECKING)
		for (unsigned i = 0; i < ice->npairs; i++)
			if (ice->pairs[i].state == P_WAITING &&
			    (best < 0 || ice->pairs[i].prio > ice->pairs[best].prio))
				best = (int)i;
	if (best >= 0)
		return best;
	for (unsigned i = 0; i < ice->npairs; i++) {
		struct pair *p = &ice->pairs[i];
		if (p->state == P_INPROG && p->tries < PL_ICE_CHECK_TRIES && p->next_tx <= now &&
		    (best < 0 || p->next_tx < ice->pairs[best].next_tx))
			best = (int)i;
	}
	return best;
}

static void send_check(struct pl_ice *ice, int i, uint64_t now)
{
	struct pair *p = &ice->pairs[i];
	if (p->state == P_WAITING) {
		new_tid(ice, p->tid);
		p->tries = 0;
	}
	send_request(ice, p->sock, &p->raddr, p->tid, ice->controlling && p->use_cand);
	p->state = P_INPROG;
	p->tries++;
	p->last_tx = now;
	uint64_t rto = (uint64_t)PL_ICE_RTO_MS << (p->tries - 1);
	p->next_tx = now + (rto > PL_ICE_RTO_MAX_MS ? PL_ICE_RTO_MAX_MS : rto);
	ice->st.checks_sent++;
}

static int best_valid(const struct pl_ice *ice)
{
	int best = -1;
	for (unsigned i = 0; i < ice->npairs; i++)
		if (ice->pairs[i].valid && (best < 0 || ice->pairs[i].prio > ice->pairs[best].prio))
			best = (int)i;
	return best;
}

static bool better_pending(const struct pl_ice *ice, int best)
{
	for (unsigned i = 0; i < ice->npairs; i++) {
		const struct pair *p = &ice->pairs[i];
		if ((p->state == P_WAITING || p->state == P_INPROG) && !p->valid && p->prio > ice->pairs[best].prio)
			return true;
	}
	return false;
}

static bool probing(const struct pl_ice *ice)
{
	return ice->bday_sent < ice->bday_total || ice->hard_i < ice->hard_total;
}

static void birthday(struct pl_ice *ice, uint64_t now)
{
	uint8_t tid[PL_STUN_TID_LEN];
	memcpy(tid, ice->bday_prefix, 8);
	if (ice->bday_sent < ice->bday_total && tx_room(ice)) {
		unsigned k = ice->bday_sent;
		uint16_t port;
		if (k < 2 * PL_ICE_PREDICT) { /* +1, -1, +2, -2, ... around the srflx port */
			int d = (int)(k / 2 + 1) * (k % 2 ? -1 : 1);
			port = (uint16_t)(ice->bday_to.port + d);
		} else {
			uint16_t r;
			pl_env_random(ice->env, &r, sizeof r);
			port = (uint16_t)(1024 + r % (65536 - 1024));
		}
		if (port < 1024)
			port = (uint16_t)(port + 1024);
		ice->bday_port[k] = port;
		ice->bday_at[k] = now;
		pl_put_be32(tid + 8, k);
		struct pl_stun_addr to = ice->bday_to;
		to.port = port;
		send_request(ice, 0, &to, tid, false);
		ice->bday_sent++;
		ice->st.probes_sent++;
	}
	if (ice->hard_i < ice->hard_total && tx_room(ice)) {
		unsigned s = 1 + ice->hard_i % ice->probe_socks, pass = ice->hard_i / ice->probe_socks;
		pl_put_be16(tid + 8, (uint16_t)(HARD_MARK | pass));
		pl_put_be16(tid + 10, (uint16_t)s);
		send_request(ice, (uint16_t)s, &ice->bday_to, tid, false);
		ice->hard_i++;
		ice->st.hard_probes_sent++;
	}
	ice->bday_next = now + PL_ICE_PROBE_MS;
}

void pl_ice_tick(struct pl_ice *ice, uint64_t now)
{
	if (ice->state == S_IDLE)
		return;
	if (ice->state == S_WAIT && now >= ice->retry_at)
		start_round(ice, now);
	if (ice->state == S_DIRECT) {
		if (now >= ice->consent_ok + PL_ICE_CONSENT_TIMEOUT_MS) {
			lose(ice, now);
		} else if (now >= ice->consent_next && tx_room(ice)) {
			struct pair *p = &ice->pairs[ice->nominated];
			uint8_t *tid = ice->consent_tid[ice->consent_i++ % CONSENT_TIDS];
			new_tid(ice, tid);
			send_request(ice, p->sock, &p->raddr, tid, false);
			ice->consent_next = now + ice->consent_ms;
			ice->st.consent_sent++;
		}
	}
	for (unsigned i = 0; i < ice->npairs; i++) {
		struct pair *p = &ice->pairs[i];
		if (p->state == P_INPROG && p->tries >= PL_ICE_CHECK_TRIES && now >= p->next_tx)
			fail_pair(ice, (int)i);
	}
	if (now >= ice->next_check && tx_room(ice)) {
		int i = pick(ice, now);
		if (i >= 0) {
			send_check(ice, i, now);
			ice->next_check = now + ice->ta;
		}
	}
	if (ice->controlling && ice->state != S_DIRECT && ice->nominating < 0) {
		int b = best_valid(ice);
		if (b >= 0 && (now >= ice->first_valid + PL_ICE_NOMINATE_WAIT_MS || !better_pending(ice, b))) {
			ice->pairs[b].use_cand = true;
			ice->nominating = b;
			trigger(ice, b, true);
		}
	}
	if (ice->state == S_CHECKING && probing(ice) && now >= ice->bday_next)
		birthday(ice, now);
	if (ice->state == S_CHECKING && !probing(ice) && ice->ntrig == 0 && ice->nominating < 0) {
		bool pending = false;
		for (unsigned i = 0; i < ice->npairs && !pending; i++)
			pending = ice->pairs[i].state == P_WAITING || ice->pairs[i].state == P_INPROG;
		if (!pending) { /* every check done and nothing nominated: the relay it stays, for now */
			ice->state = S_WAIT;
			if ((ice->easy || ice->hard) && ice->rounds < PL_ICE_BDAY_ROUNDS) {
				/* A birthday round missed (one in three does): the next goes soon, since each
				 * round is a fresh draw against the same mappings; the wait grows only once
				 * the rounds are spent. */
				ice->retry_at = now + PL_ICE_BDAY_RETRY_MS;
			} else {
				ice->retry_at = now + ice->retry_ms;
				ice->retry_ms *= 2;
				if (ice->retry_ms > PL_ICE_RETRY_MAX_MS)
					ice->retry_ms = PL_ICE_RETRY_MAX_MS;
			}
		}
	}
}

uint64_t pl_ice_next_ms(const struct pl_ice *ice)
{
	if (ice->state == S_IDLE)
		return UINT64_MAX;
	uint64_t t = UINT64_MAX, c = UINT64_MAX;
#define MIN_T(x, v) do { uint64_t v_ = (v); if (v_ < (x)) (x) = v_; } while (0)
	if (ice->ntrig)
		MIN_T(c, ice->next_check);
	for (unsigned i = 0; i < ice->npairs; i++) {
		const struct pair *p = &ice->pairs[i];
		if (p->state == P_WAITING && ice->state == S_CHECKING)
			MIN_T(c, ice->next_check);
		else if (p->state == P_INPROG && p->tries >= PL_ICE_CHECK_TRIES)
			MIN_T(t, p->next_tx); /* when it fails */
		else if (p->state == P_INPROG) /* a retransmission waits for its turn too */
			MIN_T(t, p->next_tx > ice->next_check ? p->next_tx : ice->next_check);
	}
	MIN_T(t, c);
	if (ice->state == S_DIRECT) {
		MIN_T(t, ice->consent_next);
		MIN_T(t, ice->consent_ok + PL_ICE_CONSENT_TIMEOUT_MS);
	}
	if (ice->state == S_WAIT)
		MIN_T(t, ice->retry_at);
	if (ice->state == S_CHECKING && probing(ice))
		MIN_T(t, ice->bday_next);
	if (ice->controlling && ice->state != S_DIRECT && ice->nominating < 0 && ice->any_valid)
		MIN_T(t, ice->first_valid + PL_ICE_NOMINATE_WAIT_MS);
#undef MIN_T
	return t;
}

bool pl_ice_pop_tx(struct pl_ice *ice, struct pl_ice_tx *tx)
{
	if (!ice->txn)
		return false;
	*tx = ice->txq[ice->txh];
	ice->txh = (ice->txh + 1) % PL_ICE_TXQ;
	ice->txn--;
	return true;
}

bool pl_ice_pop_event(struct pl_ice *ice, struct pl_ice_event *ev)
{
	if (!ice->evn)
		return false;
	*ev = ice->evq[ice->evh];
	ice->evh = (ice->evh + 1) % PL_ICE_EVQ;
	ice->evn--;
	return true;
}

bool pl_ice_controlling(const struct pl_ice *ice) { return ice->controlling; }

enum pl_ice_path pl_ice_path(const struct pl_ice *ice)
{
	return ice->state == S_DIRECT && ice->nominated >= 0 ? path_of(&ice->pairs[ice->nominated]) : PL_ICE_PATH_RELAY;
}

const struct pl_ice_stats *pl_ice_stats(const struct pl_ice *ice) { return &ice->st; }

uint64_t pl_ice_consent_age(const struct pl_ice *ice, uint64_t now_ms)
{
	if (ice->state != S_DIRECT || ice->nominated < 0 || now_ms <= ice->consent_ok)
		return 0;
	return now_ms - ice->consent_ok;
}
