/*
 * room: chat rooms (#name) and who is in them. #Lobby exists always and everyone lands there;
 * other rooms are made by the first join and go away with the last part. A user's voice room is
 * the room they joined last (#Lobby at login): voice is relayed to everyone whose voice room is
 * the sender's, as in Mumble's channels.
 */
#ifndef PL_ROOM_H
#define PL_ROOM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/msg.h"
#include "core/names.h"

struct pl_server;
struct pl_session;

struct pl_room {
	char name[PL_ROOM_MAX + 1];
	uint32_t number; /* the relay's name for it, from a bounded pool */
	struct pl_session **members;
	unsigned n, cap;
	bool permanent;
	struct pl_room *next, *prev;
};

struct pl_room *pl_room_find(struct pl_server *srv, const char *name);
/* Joins s to the room (made if missing): JOINED to everyone in it, the USERLIST to s. Returns 0,
 * -EALREADY when s is already in it, -E2BIG when s is in too many rooms, -ENOMEM. */
int pl_room_join(struct pl_server *srv, struct pl_session *s, const char *name);
/* Removes s: PARTED with reason (enum pl_part_reason: PART, or the connection ended) to everyone in it
 * and to s. An empty, non-permanent room is freed. */
void pl_room_part(struct pl_server *srv, struct pl_session *s, struct pl_room *r, uint8_t reason);
bool pl_room_has(const struct pl_room *r, const struct pl_session *s);
void pl_room_broadcast(struct pl_room *r, const struct pl_msg *m);
/* Sends the room's USERLIST to s, in chunks of PL_USERLIST_CHUNK. */
void pl_room_send_userlist(struct pl_room *r, struct pl_session *s);

/* Makes s's voice room r (or none), here and in the relay. */
void pl_room_set_voice(struct pl_server *srv, struct pl_session *s, struct pl_room *r);

/* A relay room number of the pool rooms draw from, for a call's voice (0: none left), and back. */
uint32_t pl_rooms_take_number(struct pl_server *srv);
void pl_rooms_give_number(struct pl_server *srv, uint32_t number);

/* max_rooms bounds the rooms that exist at once (each has a member, who is in at most
 * PL_SESSION_MAX_ROOMS rooms). */
int pl_rooms_init(struct pl_server *srv, unsigned max_rooms);
void pl_rooms_free(struct pl_server *srv);

#endif
