#include "server/room.h"
#include "server/topic.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/hmap.h"
#include "server/relay.h"
#include "server/server.h"
#include "server/session.h"

struct pl_room *pl_room_find(struct pl_server *srv, const char *name)
{
	uint8_t k[PL_HMAP_KEY_MAX];
	return pl_hmap_get(srv->rooms_by_name, k, pl_hmap_key_fold(k, name));
}

bool pl_room_has(const struct pl_room *r, const struct pl_session *s)
{
	/* A user is in at most PL_SESSION_MAX_ROOMS rooms; a room may hold thousands. */
	for (unsigned i = 0; i < s->nrooms; i++)
		if (s->rooms[i] == r)
			return true;
	return false;
}

void pl_room_broadcast(struct pl_room *r, const struct pl_msg *m)
{
	for (unsigned i = 0; i < r->n; i++)
		pl_session_send(r->members[i], m);
}

void pl_room_send_userlist(struct pl_room *r, struct pl_session *s)
{
	struct pl_msg *m = calloc(1, sizeof *m);
	if (!m)
		return;
	m->type = PL_MSG_USERLIST;
	snprintf(m->u.userlist.room, sizeof m->u.userlist.room, "%s", r->name);
	unsigned i = 0;
	do {
		unsigned k = 0;
		for (; k < PL_USERLIST_CHUNK && i < r->n; k++, i++) {
			snprintf(m->u.userlist.users[k].nick, sizeof m->u.userlist.users[k].nick, "%s", r->members[i]->nick);
			m->u.userlist.users[k].session = r->members[i]->id;
			memcpy(m->u.userlist.users[k].device, r->members[i]->device, PL_DEVICE_KEY_LEN);
		}
		m->u.userlist.count = (uint16_t)k;
		m->u.userlist.more = i < r->n;
		pl_session_send(s, m);
	} while (i < r->n);
	free(m);
}

static struct pl_room *room_new(struct pl_server *srv, const char *name, bool permanent)
{
	if (srv->nroom_numbers == 0)
		return NULL;
	struct pl_room *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	snprintf(r->name, sizeof r->name, "%s", name);
	uint8_t k[PL_HMAP_KEY_MAX];
	if (pl_hmap_put(srv->rooms_by_name, k, pl_hmap_key_fold(k, name), r) < 0) {
		free(r);
		return NULL;
	}
	r->number = srv->room_numbers[--srv->nroom_numbers];
	r->permanent = permanent;
	/* Appended, so #Lobby stays first in listings. */
	r->prev = srv->rooms_tail;
	if (r->prev)
		r->prev->next = r;
	else
		srv->rooms = r;
	srv->rooms_tail = r;
	return r;
}

static void room_free(struct pl_server *srv, struct pl_room *r)
{
	uint8_t k[PL_HMAP_KEY_MAX];
	pl_hmap_del(srv->rooms_by_name, k, pl_hmap_key_fold(k, r->name));
	if (r->prev)
		r->prev->next = r->next;
	else
		srv->rooms = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		srv->rooms_tail = r->prev;
	srv->room_numbers[srv->nroom_numbers++] = r->number;
	free(r->members);
	free(r);
}

void pl_room_set_voice(struct pl_server *srv, struct pl_session *s, struct pl_room *r)
{
	s->voice_room = r;
	if (!s->call_voice) /* in a call the voice stays there; it comes back to r after */
		pl_relay_voice_room(srv->relay, s->id, r ? r->number : 0);
}

static void member_msg(struct pl_msg *m, uint16_t type, const struct pl_room *r, const struct pl_session *s)
{
	memset(m, 0, sizeof *m);
	m->type = type;
	snprintf(m->u.member.room, sizeof m->u.member.room, "%s", r->name);
	snprintf(m->u.member.nick, sizeof m->u.member.nick, "%s", s->nick);
	m->u.member.session = s->id;
	memcpy(m->u.member.device, s->device, PL_DEVICE_KEY_LEN);
}

int pl_room_join(struct pl_server *srv, struct pl_session *s, const char *name)
{
	struct pl_room *r = pl_room_find(srv, name);
	if (r && pl_room_has(r, s))
		return -EALREADY;
	if (s->nrooms == PL_SESSION_MAX_ROOMS)
		return -E2BIG;
	if (!r && !(r = room_new(srv, name, false)))
		return -ENOMEM;
	if (r->n == r->cap) {
		unsigned cap = r->cap ? r->cap * 2 : 8;
		struct pl_session **mem = realloc(r->members, cap * sizeof *mem);
		if (!mem) {
			if (r->n == 0 && !r->permanent)
				room_free(srv, r);
			return -ENOMEM;
		}
		r->members = mem;
		r->cap = cap;
	}
	r->members[r->n++] = s;
	s->rooms[s->nrooms++] = r;
	pl_room_set_voice(srv, s, r);

	struct pl_msg m;
	member_msg(&m, PL_MSG_JOINED, r, s);
	pl_room_broadcast(r, &m);
	pl_room_send_userlist(r, s);
	pl_topic_joined(s, r->name);
	return 0;
}

void pl_room_part(struct pl_server *srv, struct pl_session *s, struct pl_room *r, uint8_t reason)
{
	struct pl_msg m;
	member_msg(&m, PL_MSG_PARTED, r, s);
	m.u.member.reason = reason;
	pl_room_broadcast(r, &m); /* s is still a member here, so it hears its own PARTED */

	for (unsigned i = 0; i < r->n; i++) {
		if (r->members[i] == s) {
			r->members[i] = r->members[--r->n];
			break;
		}
	}
	for (unsigned i = 0; i < s->nrooms; i++) {
		if (s->rooms[i] == r) {
			memmove(&s->rooms[i], &s->rooms[i + 1], (s->nrooms - i - 1) * sizeof s->rooms[0]);
			s->nrooms--;
			break;
		}
	}
	if (s->voice_room == r)
		pl_room_set_voice(srv, s, s->nrooms ? s->rooms[s->nrooms - 1] : NULL);
	if (r->n == 0 && !r->permanent)
		room_free(srv, r);
}

uint32_t pl_rooms_take_number(struct pl_server *srv)
{
	return srv->nroom_numbers ? srv->room_numbers[--srv->nroom_numbers] : 0;
}

void pl_rooms_give_number(struct pl_server *srv, uint32_t number)
{
	if (number && srv->nroom_numbers < srv->max_rooms)
		srv->room_numbers[srv->nroom_numbers++] = number;
}

int pl_rooms_init(struct pl_server *srv, unsigned max_rooms)
{
	uint8_t key[PL_HMAP_HASH_KEY];
	pl_env_random(srv->env, key, sizeof key);
	srv->room_numbers = calloc(max_rooms, sizeof *srv->room_numbers);
	if (!srv->room_numbers || pl_hmap_alloc(&srv->rooms_by_name, max_rooms, key) < 0)
		return -ENOMEM;
	/* Numbers 1..max_rooms, handed out lowest first. */
	for (unsigned i = 0; i < max_rooms; i++)
		srv->room_numbers[i] = max_rooms - i;
	srv->nroom_numbers = max_rooms;
	srv->max_rooms = max_rooms;
	srv->lobby = room_new(srv, PL_LOBBY, true);
	return srv->lobby ? 0 : -ENOMEM;
}

void pl_rooms_free(struct pl_server *srv)
{
	while (srv->rooms)
		room_free(srv, srv->rooms);
	srv->lobby = NULL;
	free(srv->room_numbers);
	srv->room_numbers = NULL;
	pl_hmap_free(srv->rooms_by_name);
	srv->rooms_by_name = NULL;
}
