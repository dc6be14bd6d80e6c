#include "server/chat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "net/conn.h"
#include "net/log.h"
#include "server/metrics.h"
#include "server/room.h"
#include "server/server.h"
#include "server/session.h"
#include "store/store.h"

/* Messages of one client in flight to the store at once; beyond, its reading waits. Enough to
 * keep a fast sender's messages in every group commit without letting it queue unbounded work. */
#define SAY_WINDOW 32

static void text_of(struct pl_msg *t, const struct pl_msg_rec *r, uint8_t flags)
{
	t->type = PL_MSG_TEXT;
	t->u.text.id = r->id;
	t->u.text.time_ms = r->time_ms;
	t->u.text.flags = flags | r->flags; /* how it is delivered, and what it is (a call notice) */
	snprintf(t->u.text.target, sizeof t->u.text.target, "%s", r->target);
	snprintf(t->u.text.from, sizeof t->u.text.from, "%s", r->sender);
	memcpy(t->u.text.text, r->text, strlen(r->text) + 1);
}

/* --- offline delivery, a page at a time --- */

struct sender {
	struct pl_session *s;
	struct pl_msg t;
	uint8_t flags;
	uint32_t count;
	uint64_t last;
};

static int send_rec(const struct pl_msg_rec *r, void *arg)
{
	struct sender *x = arg;
	text_of(&x->t, r, x->flags);
	pl_session_send(x->s, &x->t);
	x->count++;
	x->last = r->id;
	return 0;
}

/* Sends the next page of what waited for s, closed by LIST_END(DELIVERED): the client
 * acknowledges its last id, and only that brings the next page. A backlog of any size thus
 * crosses at the client's pace and within its output budget, instead of all at login. */
void pl_chat_deliver_pending(struct pl_session *s)
{
	struct pl_server *srv = s->srv;
	struct sender *x = calloc(1, sizeof *x);
	if (!x)
		return;
	x->s = s;
	x->flags = PL_TEXT_OFFLINE;
	bool more = false;
	if (pl_store_pending(srv->store, s->nick, s->offline_last, srv->cfg->offline_page, send_rec, x, &more) < 0) {
		pl_log(PL_LOG_ERROR, "cannot read the waiting messages of %s", s->nick);
	} else if (x->count) {
		s->offline_last = x->last;
		s->offline_more = more;
		s->offline_unacked = true;
		pl_session_list_end(s, PL_MSG_DELIVERED, x->count, more);
		pl_log(PL_LOG_DEBUG, "%s: sent %u waiting message(s)%s", s->nick, x->count, more ? ", more wait" : "");
	} else {
		s->offline_more = false;
	}
	free(x);
}

struct ack_write {
	struct pl_store_write w;
	char nick[PL_NICK_MAX + 1];
	uint64_t upto;
};

static int ack_apply(struct pl_store_write *w, struct pl_store *st)
{
	struct ack_write *a = (struct ack_write *)w;
	return pl_store_pending_ack(st, a->nick, a->upto);
}

static void ack_done(struct pl_store_write *w, int rc)
{
	struct ack_write *a = (struct ack_write *)w;
	if (rc < 0)
		pl_log(PL_LOG_ERROR, "cannot mark messages delivered to %s", a->nick);
	free(a);
}

static void delivered(struct pl_session *s, const struct pl_msg *m)
{
	uint64_t id = m->u.delivered.id;
	if (id == 0 || id > s->offline_last) {
		pl_session_error(s, PL_ERR_BAD_REQUEST, m->type, "that message was not delivered to you");
		return;
	}
	struct ack_write *a = calloc(1, sizeof *a);
	if (!a) {
		pl_session_error(s, PL_ERR_INTERNAL, m->type, NULL);
		return;
	}
	a->w.apply = ack_apply;
	a->w.done = ack_done;
	snprintf(a->nick, sizeof a->nick, "%s", s->nick);
	a->upto = id;
	pl_server_write(s->srv, &a->w);
	/* The next page follows the acknowledgement of the whole page; it is read after the ids
	 * sent, so it needs the acknowledgement only as a pace, not as a commit. A message that
	 * came to wait while the page was out is in it too. */
	if (id == s->offline_last && s->offline_unacked) {
		s->offline_unacked = false;
		pl_chat_deliver_pending(s);
	}
}

/* --- sending --- */

struct say_write {
	struct pl_session_write sw;
	struct pl_msg_rec rec;
	char conv[PL_CONV_MAX + 1];
	char pending_for[PL_NICK_MAX + 1]; /* "" unless the recipient was offline */
	unsigned pending_max;
	uint32_t tag;
};

static int say_apply(struct pl_store_write *w, struct pl_store *st)
{
	struct say_write *x = (struct say_write *)w;
	return pl_store_msg(st, &x->rec, x->conv, x->pending_for[0] ? x->pending_for : NULL, x->pending_max);
}

/* After the commit: acknowledged to the sender, then delivered. */
static void say_done(struct pl_store_write *w, int rc)
{
	struct say_write *x = (struct say_write *)w;
	struct pl_server *srv = x->sw.srv;
	struct pl_session *s = pl_server_session(srv, x->sw.session);
	if (s) {
		if (s->says-- == SAY_WINDOW)
			pl_session_release(s);
		if (pl_conn_closing(s->conn))
			s = NULL;
	}
	struct pl_msg *t = &srv->scratch; /* the loop's one message being built: no allocation per SAY */
	if (rc < 0) {
		if (rc != -ENOSPC)
			pl_log(PL_LOG_ERROR, "cannot store a message from %s: %s", x->rec.sender, strerror(-rc));
		if (s)
			pl_session_error(s, rc == -ENOSPC ? PL_ERR_MAILBOX_FULL : PL_ERR_INTERNAL, PL_MSG_SAY,
					 rc == -ENOSPC ? x->rec.target : "could not store the message");
		goto out;
	}
	srv->metrics->messages++;
	if (s) {
		struct pl_msg ok = {.type = PL_MSG_SAY_OK};
		ok.u.say_ok.tag = x->tag;
		ok.u.say_ok.id = x->rec.id;
		pl_session_send(s, &ok);
	}
	if (x->rec.target[0] == '#') {
		struct pl_room *room = pl_room_find(srv, x->rec.target);
		if (room) {
			text_of(t, &x->rec, 0);
			pl_room_broadcast(room, t);
		}
		goto out;
	}
	struct pl_session *to = pl_server_find_nick(srv, x->rec.target);
	if (to && x->pending_for[0]) {
		/* It was stored to wait, and they came back meanwhile. While a page of theirs is out
		 * it comes with the next one; otherwise now, as a page of one to acknowledge. */
		if (!to->offline_unacked) {
			text_of(t, &x->rec, PL_TEXT_OFFLINE);
			pl_session_send(to, t);
			to->offline_last = x->rec.id;
			to->offline_unacked = true;
			pl_session_list_end(to, PL_MSG_DELIVERED, 1, false);
		}
	} else if (to) {
		text_of(t, &x->rec, 0);
		pl_session_send(to, t);
	}
	if (s && s != to) {
		text_of(t, &x->rec, 0);
		pl_session_send(s, t);
	}
out:
	free(x);
}

static void say(struct pl_session *s, const struct pl_msg *m)
{
	struct pl_server *srv = s->srv;
	const char *target = m->u.say.target;
	if (!pl_text_valid(m->u.say.text)) {
		pl_session_error(s, PL_ERR_BAD_TEXT, m->type, NULL);
		return;
	}
	/* Not zeroed: 4 KB a message; every field is set below. */
	struct say_write *x = malloc(sizeof *x);
	if (!x) {
		pl_session_error(s, PL_ERR_INTERNAL, m->type, NULL);
		return;
	}
	x->pending_for[0] = '\0';
	bool offline = false;
	if (target[0] == '#') {
		struct pl_room *room = pl_room_find(srv, target);
		if (!room || !pl_room_has(room, s)) {
			pl_session_error(s, PL_ERR_NOT_IN_ROOM, m->type, target);
			free(x);
			return;
		}
		snprintf(x->rec.target, sizeof x->rec.target, "%s", room->name);
	} else {
		struct pl_account acc;
		int rc = pl_nick_valid(target) ? pl_store_account_get(srv->store, target, &acc) : -ENOENT;
		if (rc < 0) {
			pl_session_error(s, rc == -ENOENT ? PL_ERR_NO_SUCH_USER : PL_ERR_INTERNAL, m->type, target);
			free(x);
			return;
		}
		snprintf(x->rec.target, sizeof x->rec.target, "%s", acc.nick);
		offline = !pl_server_find_nick(srv, acc.nick);
	}
	/* Counted only once the message is well-formed and deliverable. */
	if (!pl_bucket_take(&s->msg_bucket, pl_env_mono_ms(srv->env), srv->cfg->message_rate, srv->cfg->message_burst)) {
		pl_metrics_refused(srv->metrics, PL_REFUSED_MESSAGE);
		pl_session_error(s, PL_ERR_RATE_LIMITED, m->type, NULL);
		free(x);
		return;
	}
	x->rec.time_ms = pl_env_wall_ms(srv->env);
	x->rec.flags = 0;
	snprintf(x->rec.sender, sizeof x->rec.sender, "%s", s->nick);
	memcpy(x->rec.text, m->u.say.text, strlen(m->u.say.text) + 1);
	pl_store_conv(x->conv, s->nick, x->rec.target);
	if (offline)
		snprintf(x->pending_for, sizeof x->pending_for, "%s", x->rec.target);
	x->pending_max = srv->cfg->mailbox_max;
	x->tag = m->u.say.tag;
	/* Stored (durably) before it is acknowledged or delivered; a message to someone offline
	 * also waits for them. Several may be in flight: they share group commits. */
	pl_session_submit(s, &x->sw, say_apply, say_done, false);
	if (++s->says == SAY_WINDOW)
		pl_session_hold(s);
}

void pl_chat_notice(struct pl_server *srv, const char *from, const char *to, const char *text)
{
	struct say_write *x = calloc(1, sizeof *x);
	if (!x)
		return;
	x->rec.time_ms = pl_env_wall_ms(srv->env);
	x->rec.flags = PL_TEXT_CALL;
	snprintf(x->rec.sender, sizeof x->rec.sender, "%s", from);
	snprintf(x->rec.target, sizeof x->rec.target, "%s", to);
	snprintf(x->rec.text, sizeof x->rec.text, "%s", text);
	pl_store_conv(x->conv, from, to);
	if (!pl_server_find_nick(srv, to))
		snprintf(x->pending_for, sizeof x->pending_for, "%s", to);
	x->pending_max = srv->cfg->mailbox_max;
	/* From nobody's session: no SAY_OK; delivered to both sides like a message. */
	x->sw.w.apply = say_apply;
	x->sw.w.done = say_done;
	x->sw.srv = srv;
	x->sw.session = 0;
	pl_server_write(srv, &x->sw.w);
}

/* --- history and listings --- */

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
		delivered(s, m);
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
