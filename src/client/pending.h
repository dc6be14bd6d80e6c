/*
 * pending: which command each answer from the server belongs to, so that every event answering a
 * command (errors included) carries that command's name and tag in JSON mode, as a bot needs.
 *
 * The protocol has no request ids: the server answers a connection's requests in order, each
 * with the answer docs/PROTOCOL.md section 5 gives it or with an ERROR naming the request's
 * type. So the client remembers, in order, each request a command sent (its type, and the room or
 * nickname the answer will name) and gives an answer to the oldest request it can answer.
 * Requests that are answered only by what is sent to everyone anyway are not remembered.
 *
 * Pure: no socket, no clock; a fixed ring, so a server that never answers costs nothing but the
 * oldest entries.
 */
#ifndef PL_CLIENT_PENDING_H
#define PL_CLIENT_PENDING_H

#include <stdbool.h>
#include <stdint.h>

#include "core/msg.h"

#define PL_PENDING_MAX 64
#define PL_PENDING_CMD_MAX 24
/* A room, a nickname or a group name (GROUP_CREATE's answer names the group). */
#define PL_PENDING_KEY_MAX (PL_TARGET_MAX > PL_GROUP_NAME_MAX ? PL_TARGET_MAX : PL_GROUP_NAME_MAX)

struct pl_pending_req {
	uint16_t type;                     /* the request's message type; 0: a free slot */
	uint32_t tag;                      /* the command's tag (0: none given) */
	char cmd[PL_PENDING_CMD_MAX];      /* the command's JSON name */
	char key[PL_PENDING_KEY_MAX + 1];  /* the room or nickname the answer names, or "" */
	uint32_t wire_tag;                 /* SAY: the tag it carries, which SAY_OK echoes */
};

struct pl_pending {
	struct pl_pending_req r[PL_PENDING_MAX]; /* oldest at head */
	unsigned head, n;
};

void pl_pending_init(struct pl_pending *p);
/* A request m sent for command cmd (its tag). Requests no answer comes back for are ignored. */
void pl_pending_sent(struct pl_pending *p, const struct pl_msg *m, const char *cmd, uint32_t tag);
/* If m answers a remembered request (self: this session's nickname, for JOINED and PARTED),
 * takes that request out into out and returns true. */
bool pl_pending_answer(struct pl_pending *p, const struct pl_msg *m, const char *self, struct pl_pending_req *out);
/* How many requests wait for their answers. */
unsigned pl_pending_count(const struct pl_pending *p);
void pl_pending_clear(struct pl_pending *p);

#endif
