#include "client/roomkey.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/e2e.h"

#define ROOMS 16  /* rooms followed at once: as many as the client joins (client.c's MAX_ROOMS) */
#define RX 64     /* senders whose latest key is kept (the engine holds as many) */
#define MEMBERS_MAX 65536

struct member {
	uint64_t session;
	uint8_t device[PL_DEVICE_KEY_LEN]; /* zero: none */
};

struct room {
	char name[PL_ROOM_MAX + 1]; /* "": a free slot */
	uint64_t scope;
	struct member *m;
	unsigned n, cap;
	bool listing; /* a USERLIST for it is arriving */
};

struct rx_key {
	uint64_t sender; /* 0: free */
	uint8_t id;
	uint8_t key[PL_E2E_KEY_LEN];
};

struct pl_roomkeys {
	struct pl_roomkeys_cfg cfg;
	bool identity;
	uint8_t sk[PL_DEVICE_SECRET_LEN], pk[PL_DEVICE_KEY_LEN];
	uint64_t session;
	struct room rooms[ROOMS];
	char voice[PL_ROOM_MAX + 1];
	bool in_call;
	bool talking;    /* this device has talked: its voice is sealed from now on */
	bool keyed;      /* the engine has our key for the voice room */
	uint8_t key_id, key[PL_E2E_KEY_LEN];
	struct rx_key rx[RX];
	struct pl_msg out;
};

static const uint8_t zero_device[PL_DEVICE_KEY_LEN];

static bool has_device(const struct member *m)
{
	return sodium_memcmp(m->device, zero_device, sizeof zero_device) != 0;
}

/* --- rooms and their members --- */

static struct room *room_find(struct pl_roomkeys *r, const char *name)
{
	for (unsigned i = 0; i < ROOMS; i++)
		if (r->rooms[i].name[0] && !strcasecmp(r->rooms[i].name, name))
			return &r->rooms[i];
	return NULL;
}

static struct room *room_get(struct pl_roomkeys *r, const char *name)
{
	struct room *x = room_find(r, name);
	for (unsigned i = 0; i < ROOMS && !x; i++)
		if (!r->rooms[i].name[0]) {
			x = &r->rooms[i];
			snprintf(x->name, sizeof x->name, "%s", name);
			x->scope = pl_e2e_room_scope(name);
			x->n = 0;
			x->listing = false;
		}
	return x;
}

static void room_drop(struct room *x)
{
	free(x->m);
	memset(x, 0, sizeof *x);
}

static struct member *member_find(struct room *x, uint64_t session)
{
	for (unsigned i = 0; x && i < x->n; i++)
		if (x->m[i].session == session)
			return &x->m[i];
	return NULL;
}

static struct member *member_add(struct room *x, uint64_t session, const uint8_t device[PL_DEVICE_KEY_LEN])
{
	struct member *m = member_find(x, session);
	if (!m) {
		if (x->n == x->cap) {
			unsigned cap = x->cap ? x->cap * 2 : 16;
			if (cap > MEMBERS_MAX)
				return NULL;
			void *p = realloc(x->m, cap * sizeof *x->m);
			if (!p)
				return NULL;
			x->m = p;
			x->cap = cap;
		}
		m = &x->m[x->n++];
		m->session = session;
	}
	memcpy(m->device, device, sizeof m->device);
	return m;
}

static void member_del(struct room *x, uint64_t session)
{
	struct member *m = member_find(x, session);
	if (m)
		*m = x->m[--x->n];
}

static struct room *voice_room(struct pl_roomkeys *r)
{
	return r->voice[0] ? room_find(r, r->voice) : NULL;
}

/* --- the engine --- */

static bool engine_ours(const struct pl_roomkeys *r)
{
	return !r->in_call; /* a call installs its own keys */
}

static void expect(struct pl_roomkeys *r, const struct member *m)
{
	if (engine_ours(r) && m->session != r->session && has_device(m))
		r->cfg.expect_sealed(r->cfg.arg, m->session);
}

static struct rx_key *rx_find(struct pl_roomkeys *r, uint64_t sender)
{
	for (unsigned i = 0; i < RX; i++)
		if (r->rx[i].sender == sender)
			return &r->rx[i];
	return NULL;
}

/* Everything the engine must know of the voice room's members: who seals, with which key. */
static void install_all(struct pl_roomkeys *r)
{
	struct room *x = voice_room(r);
	if (!engine_ours(r) || !x)
		return;
	for (unsigned i = 0; i < x->n; i++) {
		expect(r, &x->m[i]);
		struct rx_key *k = rx_find(r, x->m[i].session);
		if (k)
			r->cfg.set_rx_key(r->cfg.arg, k->sender, k->id, k->key);
	}
}

/* Sends our key to the given members of the voice room, sealed to each device. */
static void send_key(struct pl_roomkeys *r, const struct member *to, unsigned nto)
{
	struct room *x = voice_room(r);
	if (!x || !r->keyed)
		return;
	struct pl_msg *m = &r->out;
	memset(m, 0, sizeof *m);
	m->type = PL_MSG_MEDIA_KEYS;
	m->u.mkey.scope = PL_SCOPE_ROOM;
	snprintf(m->u.mkey.room, sizeof m->u.mkey.room, "%s", x->name);
	m->u.mkey.key_id = r->key_id;
	for (unsigned i = 0; i < nto; i++) {
		if (to[i].session == r->session || !has_device(&to[i]))
			continue;
		uint8_t rnd[PL_E2E_RANDOM_LEN];
		pl_env_random(r->cfg.env, rnd, sizeof rnd);
		struct pl_skey_entry *e = &m->u.mkey.keys[m->u.mkey.count];
		int rc = pl_e2e_skey_seal(e->sealed, r->sk, to[i].device, x->scope, r->key_id, r->key, rnd);
		sodium_memzero(rnd, sizeof rnd);
		if (rc < 0)
			continue;
		e->to = to[i].session;
		if (++m->u.mkey.count == PL_MEDIA_KEYS_MAX) {
			r->cfg.send(r->cfg.arg, m);
			m->u.mkey.count = 0;
		}
	}
	if (m->u.mkey.count)
		r->cfg.send(r->cfg.arg, m);
	sodium_memzero(m, sizeof *m);
}

/* A fresh key for the voice room, in the engine and with every member. */
static void new_key(struct pl_roomkeys *r)
{
	struct room *x = voice_room(r);
	if (!r->identity || !r->talking || !engine_ours(r) || !x) {
		if (r->keyed && engine_ours(r))
			r->cfg.set_tx_key(r->cfg.arg, 0, NULL);
		r->keyed = false;
		return;
	}
	pl_env_random(r->cfg.env, r->key, sizeof r->key);
	r->key_id++;
	r->keyed = true;
	r->cfg.set_tx_key(r->cfg.arg, r->key_id, r->key);
	send_key(r, x->m, x->n);
}

/* --- what the server says --- */

static void on_userlist(struct pl_roomkeys *r, const struct pl_msg *m)
{
	struct room *x = room_find(r, m->u.userlist.room);
	if (!x)
		return; /* a listing of a room we are not in (/names) */
	if (!x->listing) {
		x->n = 0;
		x->listing = true;
	}
	for (unsigned i = 0; i < m->u.userlist.count; i++)
		member_add(x, m->u.userlist.users[i].session, m->u.userlist.users[i].device);
	if (m->u.userlist.more)
		return;
	x->listing = false;
	if (x == voice_room(r)) {
		install_all(r);
		send_key(r, x->m, x->n); /* we moved here talking: everyone gets our new key */
	}
}

static void on_member(struct pl_roomkeys *r, const struct pl_msg *m)
{
	bool self = m->u.member.session == r->session;
	if (self) {
		struct room *x = m->type == PL_MSG_JOINED ? room_get(r, m->u.member.room) : room_find(r, m->u.member.room);
		if (x && m->type == PL_MSG_PARTED)
			room_drop(x); /* the client says which room its voice goes to next */
		return;
	}
	struct room *x = room_find(r, m->u.member.room);
	if (!x)
		return;
	bool in_voice = x == voice_room(r);
	if (m->type == PL_MSG_JOINED) {
		struct member *nm = member_add(x, m->u.member.session, m->u.member.device);
		if (nm && in_voice) {
			expect(r, nm);
			send_key(r, nm, 1);
		}
		return;
	}
	member_del(x, m->u.member.session);
	if (!in_voice)
		return;
	struct rx_key *k = rx_find(r, m->u.member.session);
	if (k)
		sodium_memzero(k, sizeof *k);
	if (engine_ours(r))
		r->cfg.forget_sender(r->cfg.arg, m->u.member.session);
	if (r->keyed)
		new_key(r); /* the one who left must not hear what follows */
}

static void on_key(struct pl_roomkeys *r, const struct pl_msg *m)
{
	struct room *x = room_find(r, m->u.mkey.room);
	struct member *from = member_find(x, m->u.mkey.from);
	if (!r->identity || !from || !has_device(from))
		return;
	uint8_t key[PL_E2E_KEY_LEN];
	if (pl_e2e_skey_open(key, r->sk, from->device, x->scope, m->u.mkey.key_id, m->u.mkey.keys[0].sealed,
			     PL_SKEY_LEN) < 0)
		return; /* not from that member's device, or not for this room: ignored */
	struct rx_key *k = rx_find(r, from->session);
	for (unsigned i = 0; i < RX && !k; i++)
		if (!r->rx[i].sender)
			k = &r->rx[i];
	if (k) {
		k->sender = from->session;
		k->id = m->u.mkey.key_id;
		memcpy(k->key, key, sizeof k->key);
	}
	if (engine_ours(r))
		r->cfg.set_rx_key(r->cfg.arg, from->session, m->u.mkey.key_id, key);
	sodium_memzero(key, sizeof key);
}

bool pl_roomkeys_msg(struct pl_roomkeys *r, const struct pl_msg *m)
{
	switch (m->type) {
	case PL_MSG_USERLIST: on_userlist(r, m); return false;
	case PL_MSG_JOINED:
	case PL_MSG_PARTED: on_member(r, m); return false;
	case PL_MSG_MEDIA_KEY:
		if (m->u.mkey.scope != PL_SCOPE_ROOM)
			return false;
		on_key(r, m);
		return true;
	default: return false;
	}
}

/* --- what the client says --- */

void pl_roomkeys_voice_room(struct pl_roomkeys *r, const char *room)
{
	if (!room)
		room = "";
	if (!strcasecmp(r->voice, room))
		return;
	snprintf(r->voice, sizeof r->voice, "%s", room);
	install_all(r);
	new_key(r);
}

void pl_roomkeys_talk(struct pl_roomkeys *r)
{
	if (r->talking && r->keyed)
		return;
	r->talking = true;
	new_key(r);
}

void pl_roomkeys_call(struct pl_roomkeys *r, bool active)
{
	if (r->in_call == active)
		return;
	r->in_call = active;
	if (active) {
		r->keyed = false; /* the call's key replaces ours in the engine */
		return;
	}
	install_all(r);
	new_key(r);
}

void pl_roomkeys_engine_ready(struct pl_roomkeys *r)
{
	install_all(r);
	r->keyed = false;
	new_key(r);
}

void pl_roomkeys_login(struct pl_roomkeys *r, const uint8_t sk[PL_DEVICE_SECRET_LEN],
		       const uint8_t pk[PL_DEVICE_KEY_LEN], uint64_t session)
{
	r->identity = sk != NULL;
	if (sk) {
		memcpy(r->sk, sk, sizeof r->sk);
		memcpy(r->pk, pk, sizeof r->pk);
	}
	r->session = session;
}

int pl_roomkeys_alloc(struct pl_roomkeys **rp, const struct pl_roomkeys_cfg *cfg)
{
	struct pl_roomkeys *r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	r->cfg = *cfg;
	*rp = r;
	return 0;
}

void pl_roomkeys_free(struct pl_roomkeys *r)
{
	if (!r)
		return;
	for (unsigned i = 0; i < ROOMS; i++)
		room_drop(&r->rooms[i]);
	sodium_memzero(r, sizeof *r);
	free(r);
}
