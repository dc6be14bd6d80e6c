#include "server/topic.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/hmap.h"
#include "core/names.h"
#include "net/log.h"
#include "server/room.h"
#include "server/server.h"
#include "server/session.h"
#include "store/store.h"

struct topic_write {
	struct pl_session_write sw;
	struct pl_topic_rec rec;
};

static struct pl_topic_rec *find(struct pl_server *srv, const char *room)
{
	uint8_t k[PL_HMAP_KEY_MAX];
	return srv->topics ? pl_hmap_get(srv->topics, k, pl_hmap_key_fold(k, room)) : NULL;
}

/* The oldest topic of a room nobody is in, to make way for a new one; NULL when every kept topic
 * belongs to a room that exists. A scan, but only when PL_TOPICS_MAX are kept. */
static struct pl_topic_rec *evictable(struct pl_server *srv)
{
	struct pl_topic_rec *old = NULL;
	for (unsigned i = 0; i < srv->ntopics; i++) {
		struct pl_topic_rec *t = srv->topic_list[i];
		if (!pl_room_find(srv, t->room) && (!old || t->time_ms < old->time_ms))
			old = t;
	}
	return old;
}

static void forget(struct pl_server *srv, struct pl_topic_rec *t)
{
	uint8_t k[PL_HMAP_KEY_MAX];
	pl_hmap_del(srv->topics, k, pl_hmap_key_fold(k, t->room));
	for (unsigned i = 0; i < srv->ntopics; i++)
		if (srv->topic_list[i] == t) {
			srv->topic_list[i] = srv->topic_list[--srv->ntopics];
			break;
		}
	free(t);
}

/* Keeps rec as the room's topic (an empty text: none). -ENOSPC when none can make way. */
static int keep(struct pl_server *srv, const struct pl_topic_rec *rec)
{
	struct pl_topic_rec *t = find(srv, rec->room);
	if (!rec->text[0]) {
		if (t)
			forget(srv, t);
		return 0;
	}
	if (t) {
		*t = *rec;
		return 0;
	}
	if (srv->ntopics == PL_TOPICS_MAX) {
		struct pl_topic_rec *old = evictable(srv);
		if (!old)
			return -ENOSPC;
		forget(srv, old);
	}
	if (!(t = malloc(sizeof *t)))
		return -ENOMEM;
	*t = *rec;
	uint8_t k[PL_HMAP_KEY_MAX];
	if (pl_hmap_put(srv->topics, k, pl_hmap_key_fold(k, t->room), t) < 0) {
		free(t);
		return -ENOMEM;
	}
	srv->topic_list[srv->ntopics++] = t;
	return 0;
}

static int load_one(const struct pl_topic_rec *t, void *arg)
{
	return keep(arg, t) < 0; /* past the maximum: the rest is not loaded */
}

int pl_topics_load(struct pl_server *srv, struct pl_store *st)
{
	uint8_t key[PL_HMAP_HASH_KEY];
	pl_env_random(srv->env, key, sizeof key);
	srv->topic_list = calloc(PL_TOPICS_MAX, sizeof *srv->topic_list);
	if (!srv->topic_list || pl_hmap_alloc(&srv->topics, PL_TOPICS_MAX, key) < 0)
		return -ENOMEM;
	return pl_store_topics(st, load_one, srv);
}

void pl_topics_free(struct pl_server *srv)
{
	for (unsigned i = 0; i < srv->ntopics; i++)
		free(srv->topic_list[i]);
	free(srv->topic_list);
	srv->topic_list = NULL;
	srv->ntopics = 0;
	pl_hmap_free(srv->topics);
	srv->topics = NULL;
}

static void topic_msg(struct pl_msg *m, const char *room, const struct pl_topic_rec *t)
{
	memset(&m->u.topic, 0, sizeof m->u.topic);
	m->type = PL_MSG_ROOM_TOPIC;
	snprintf(m->u.topic.room, sizeof m->u.topic.room, "%s", room);
	if (t) {
		snprintf(m->u.topic.text, sizeof m->u.topic.text, "%s", t->text);
		snprintf(m->u.topic.by, sizeof m->u.topic.by, "%s", t->by);
		m->u.topic.time_ms = t->time_ms;
	}
}

void pl_topic_joined(struct pl_session *s, const char *room)
{
	const struct pl_topic_rec *t = find(s->srv, room);
	if (!t)
		return;
	struct pl_msg *m = &s->srv->scratch;
	topic_msg(m, room, t);
	pl_session_send(s, m);
}

static int topic_apply(struct pl_store_write *w, struct pl_store *st)
{
	struct topic_write *x = (struct topic_write *)w;
	return pl_store_topic_put(st, &x->rec);
}

static void topic_done(struct pl_store_write *w, int rc)
{
	struct topic_write *x = (struct topic_write *)w;
	struct pl_server *srv = x->sw.srv;
	struct pl_session *s = pl_session_written(&x->sw);
	if (rc < 0) {
		if (s)
			pl_session_error(s, PL_ERR_INTERNAL, PL_MSG_TOPIC, "the topic could not be stored");
	} else if (keep(srv, &x->rec) < 0) {
		if (s)
			pl_session_error(s, PL_ERR_INTERNAL, PL_MSG_TOPIC, "the server keeps no more topics");
	} else {
		pl_log(PL_LOG_INFO, "%s set the topic of %s", x->rec.by, x->rec.room);
		struct pl_room *r = pl_room_find(srv, x->rec.room);
		if (r) {
			struct pl_msg *m = &srv->scratch;
			topic_msg(m, r->name, x->rec.text[0] ? &x->rec : NULL);
			pl_room_broadcast(r, m);
		}
	}
	free(x);
}

void pl_topic_handle(struct pl_session *s, const struct pl_msg *m)
{
	struct pl_room *r = pl_room_find(s->srv, m->u.topic.room);
	if (!r || !pl_room_has(r, s)) {
		pl_session_error(s, PL_ERR_NOT_IN_ROOM, m->type, m->u.topic.room);
		return;
	}
	if (!m->u.topic.set) {
		struct pl_msg *a = &s->srv->scratch;
		topic_msg(a, r->name, find(s->srv, r->name));
		pl_session_send(s, a);
		return;
	}
	if (m->u.topic.text[0] && !pl_line_valid(m->u.topic.text)) {
		pl_session_error(s, PL_ERR_BAD_REQUEST, m->type, "a topic is one line of text");
		return;
	}
	struct topic_write *x = calloc(1, sizeof *x);
	if (!x) {
		pl_session_error(s, PL_ERR_INTERNAL, m->type, NULL);
		return;
	}
	snprintf(x->rec.room, sizeof x->rec.room, "%s", r->name);
	snprintf(x->rec.text, sizeof x->rec.text, "%s", m->u.topic.text);
	snprintf(x->rec.by, sizeof x->rec.by, "%s", s->nick);
	x->rec.time_ms = pl_env_wall_ms(s->srv->env);
	pl_session_submit(s, &x->sw, topic_apply, topic_done, false);
}
