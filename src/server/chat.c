#include "server/chat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "net/log.h"
#include "server/room.h"
#include "server/server.h"
#include "server/session.h"
#include "store/store.h"

static void text_of(struct pl_msg *t, const struct pl_msg_rec *r, uint8_t flags)
{
	t->type = PL_MSG_TEXT;
	t->u.text.id = r->id;
	t->u.text.time_ms = r->time_ms;
	t->u.text.flags = flags;
	snprintf(t->u.text.target, sizeof t->u.text.target, "%s", r->target);
	snprintf(t->u.text.from, sizeof t->u.text.from, "%s", r->sender);
	memcpy(t->u.text.text, r->text, strlen(r->text) + 1);
}

static void say(struct pl_session *s, const struct pl_msg *m)
{
	struct pl_server *srv = s->srv;
	const char *target = m->u.say.target;
	if (!pl_text_valid(m->u.say.text)) {
		pl_session_error(s, PL_ERR_BAD_TEXT, m->type, NULL);
		return;
	}
	struct pl_session *to = NULL;
	struct pl_room *room = NULL;
	struct pl_account acc;
	char conv[PL_CONV_MAX + 1];
	struct pl_msg_rec *rec = calloc(1, sizeof *rec);
	struct pl_msg *t = calloc(1, sizeof *t);
	if (!rec || !t) {
		pl_session_error(s, PL_ERR_INTERNAL, m->type, NULL);
		goto out;
	}
	if (target[0] == '#') {
		room = pl_room_find(srv, target);
		if (!room || !pl_room_has(room, s)) {
			pl_session_error(s, PL_ERR_NOT_IN_ROOM, m->type, target);
			goto out;
		}
		snprintf(rec->target, sizeof rec->target, "%s", room->name);
	} else {
		int rc = pl_store_account_get(srv->store, target, &acc);
		if (rc < 0) {
			pl_session_error(s, rc == -ENOENT ? PL_ERR_NO_SUCH_USER : PL_ERR_INTERNAL, m->type, target);
			goto out;
		}
		snprintf(rec->target, sizeof rec->target, "%s", acc.nick);
		to = pl_server_find_nick(srv, acc.nick);
	}
	/* Counted only once the message is well-formed and deliverable. */
	if (!pl_bucket_take(&s->msg_bucket, pl_env_mono_ms(srv->env), srv->cfg->message_rate, srv->cfg->message_burst)) {
		pl_session_error(s, PL_ERR_RATE_LIMITED, m->type, NULL);
		goto out;
	}
	rec->time_ms = pl_env_wall_ms(srv->env);
	snprintf(rec->sender, sizeof rec->sender, "%s", s->nick);
	memcpy(rec->text, m->u.say.text, strlen(m->u.say.text) + 1);
	pl_store_conv(conv, s->nick, rec->target);
	/* Stored (durably) before it is acknowledged or delivered; a message to someone offline
	 * also waits for them. */
	int rc = pl_store_msg(srv->store, rec, conv, (!room && !to) ? rec->target : NULL);
	if (rc < 0) {
		pl_log(PL_LOG_ERROR, "cannot store a message from %s: %s", s->nick, strerror(-rc));
		pl_session_error(s, PL_ERR_INTERNAL, m->type, "could not store the message");
		goto out;
	}
	struct pl_msg ok = {.type = PL_MSG_SAY_OK};
	ok.u.say_ok.tag = m->u.say.tag;
	ok.u.say_ok.id = rec->id;
	pl_session_send(s, &ok);
	text_of(t, rec, 0);
	if (room) {
		pl_room_broadcast(room, t);
	} else {
		if (to)
			pl_session_send(to, t);
		if (to != s)
			pl_session_send(s, t);
	}
out:
	free(rec);
	free(t);
}

struct sender {
	struct pl_session *s;
	struct pl_msg t;
	uint8_t flags;
	uint32_t count;
};

static int send_rec(const struct pl_msg_rec *r, void *arg)
{
	struct sender *x = arg;
	text_of(&x->t, r, x->flags);
	pl_session_send(x->s, &x->t);
	x->count++;
	return 0;
}

static void history(struct pl_session *s, const struct pl_msg *m)
{
	struct pl_server *srv = s->srv;
	const char *target = m->u.history.target;
	if (m->u.history.limit == 0 || m->u.history.limit > PL_HISTORY_MAX) {
		pl_session_error(s, PL_ERR_BAD_REQUEST, m->type, "limit must be 1 to 200");
		return;
	}
	char conv[PL_CONV_MAX + 1];
	if (target[0] == '#') {
		struct pl_room *r = pl_room_find(srv, target);
		if (!pl_room_valid(target) || !r || !pl_room_has(r, s)) {
			pl_session_error(s, PL_ERR_NOT_IN_ROOM, m->type, target);
			return;
		}
		pl_store_conv(conv, s->nick, r->name);
	} else {
		struct pl_account acc;
		int rc = pl_nick_valid(target) ? pl_store_account_get(srv->store, target, &acc) : -ENOENT;
		if (rc < 0) {
			pl_session_error(s, rc == -ENOENT ? PL_ERR_NO_SUCH_USER : PL_ERR_INTERNAL, m->type, target);
			return;
		}
		pl_store_conv(conv, s->nick, acc.nick);
	}
	struct sender *x = calloc(1, sizeof *x);
	if (!x) {
		pl_session_error(s, PL_ERR_INTERNAL, m->type, NULL);
		return;
	}
	x->s = s;
	x->flags = PL_TEXT_HISTORY;
	bool more = false;
	if (pl_store_history(srv->store, conv, m->u.history.before_id, m->u.history.limit, send_rec, x, &more) < 0)
		pl_session_error(s, PL_ERR_INTERNAL, m->type, "could not read the history");
	else
		pl_session_list_end(s, m->type, x->count, more);
	free(x);
}

void pl_chat_deliver_pending(struct pl_session *s)
{
	struct sender *x = calloc(1, sizeof *x);
	if (!x)
		return;
	x->s = s;
	x->flags = PL_TEXT_OFFLINE;
	if (pl_store_pending(s->srv->store, s->nick, send_rec, x) < 0)
		pl_log(PL_LOG_ERROR, "cannot read the waiting messages of %s", s->nick);
	else if (x->count)
		pl_log(PL_LOG_INFO, "%s: delivered %u message(s) that waited", s->nick, x->count);
	free(x);
}

static void rooms(struct pl_session *s, const struct pl_msg *m)
{
	uint32_t n = 0;
	for (struct pl_room *r = s->srv->rooms; r; r = r->next, n++) {
		struct pl_msg i = {.type = PL_MSG_ROOM_INFO};
		snprintf(i.u.room_info.name, sizeof i.u.room_info.name, "%s", r->name);
		i.u.room_info.users = r->n;
		pl_session_send(s, &i);
	}
	pl_session_list_end(s, m->type, n, false);
}

void pl_chat_handle(struct pl_session *s, const struct pl_msg *m)
{
	switch (m->type) {
	case PL_MSG_SAY:
		say(s, m);
		break;
	case PL_MSG_HISTORY:
		history(s, m);
		break;
	case PL_MSG_DELIVERED:
		if (pl_store_pending_ack(s->srv->store, s->nick, m->u.delivered.id) < 0)
			pl_log(PL_LOG_ERROR, "cannot mark messages delivered to %s", s->nick);
		break;
	case PL_MSG_ROOMS_GET:
		rooms(s, m);
		break;
	case PL_MSG_NAMES: {
		struct pl_room *r = pl_room_find(s->srv, m->u.names.room);
		if (!pl_room_valid(m->u.names.room) || !r)
			pl_session_error(s, PL_ERR_BAD_ROOM, m->type, "no such room");
		else
			pl_room_send_userlist(r, s);
		break;
	}
	default:
		break;
	}
}
