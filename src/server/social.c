#include "server/social.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "net/log.h"
#include "server/server.h"
#include "server/session.h"
#include "store/store.h"

/* --- presence --- */

void pl_social_presence(struct pl_server *srv, const char *nick, struct pl_msg *out)
{
	struct pl_session *x = pl_server_find_nick(srv, nick);
	memset(out, 0, sizeof *out);
	out->type = PL_MSG_PRESENCE;
	snprintf(out->u.presence.nick, sizeof out->u.presence.nick, "%s", nick);
	out->u.presence.presence = x ? x->presence : PL_PRESENCE_OFFLINE;
	snprintf(out->u.presence.note, sizeof out->u.presence.note, "%s", x ? x->note : "");
}

struct fanout {
	struct pl_server *srv;
	const struct pl_msg *m;
};

static int send_to_online(const char *nick, void *arg)
{
	struct fanout *f = arg;
	struct pl_session *x = pl_server_find_nick(f->srv, nick); /* an index lookup per contact */
	if (x)
		pl_session_send(x, f->m);
	return 0;
}

void pl_social_announce(struct pl_session *s)
{
	struct pl_msg m = {.type = PL_MSG_PRESENCE};
	snprintf(m.u.presence.nick, sizeof m.u.presence.nick, "%s", s->nick);
	m.u.presence.presence = s->presence;
	snprintf(m.u.presence.note, sizeof m.u.presence.note, "%s", s->presence ? s->note : "");
	struct fanout f = {s->srv, &m};
	if (pl_store_contacts(s->srv->store, s->nick, send_to_online, &f) < 0)
		pl_log(PL_LOG_ERROR, "cannot read the contacts of %s", s->nick);
}

static void status_set(struct pl_session *s, const struct pl_msg *m)
{
	uint8_t p = m->u.presence.presence;
	if (p == PL_PRESENCE_OFFLINE) {
		pl_session_error(s, PL_ERR_BAD_REQUEST, m->type, "set online, away or busy; disconnect to be offline");
		return;
	}
	if (!pl_text_valid(m->u.presence.note) && m->u.presence.note[0]) {
		pl_session_error(s, PL_ERR_BAD_TEXT, m->type, NULL);
		return;
	}
	s->presence = p;
	snprintf(s->note, sizeof s->note, "%s", m->u.presence.note);
	struct pl_msg self;
	pl_social_presence(s->srv, s->nick, &self);
	pl_session_send(s, &self);
	pl_social_announce(s);
}

/* Seed 000's status request: someone's presence without calling them; contacts only. */
static void status_get(struct pl_session *s, const struct pl_msg *m)
{
	char nick[PL_NICK_MAX + 1];
	int rc = pl_social_account_nick(s->srv, m->u.user.nick, nick);
	if (rc < 0) {
		pl_session_error(s, rc == -ENOENT ? PL_ERR_NO_SUCH_USER : PL_ERR_INTERNAL, m->type, m->u.user.nick);
		return;
	}
	if (!pl_social_may_see(s, nick)) {
		pl_session_error(s, PL_ERR_NO_CONTACT, m->type, nick);
		return;
	}
	struct pl_msg p;
	pl_social_presence(s->srv, nick, &p);
	pl_session_send(s, &p);
}

/* --- durable writes of profiles and groups --- */

enum op { OP_PROFILE, OP_GROUP_CREATE, OP_GROUP_ADD, OP_GROUP_QUIT };

struct social_write {
	struct pl_session_write sw;
	enum op op;
	uint16_t about;
	char nick[PL_NICK_MAX + 1];  /* who asked */
	char other[PL_NICK_MAX + 1]; /* GROUP_ADD: who is added */
	uint32_t group;
	uint64_t now_ms;
	bool set_name, set_pic;
	char text[PL_GROUP_NAME_MAX > PL_REALNAME_MAX ? PL_GROUP_NAME_MAX + 1 : PL_REALNAME_MAX + 1];
	size_t pic_len;
	uint8_t pic[PL_PICTURE_MAX];
};

static int social_apply(struct pl_store_write *w, struct pl_store *st)
{
	struct social_write *x = (struct social_write *)w;
	switch (x->op) {
	case OP_PROFILE:
		return pl_store_account_set_profile(st, x->nick, x->set_name ? x->text : NULL, x->set_pic ? x->pic : NULL,
						    x->pic_len);
	case OP_GROUP_CREATE:
		return pl_store_group_create(st, x->text, x->nick, x->now_ms, &x->group);
	case OP_GROUP_ADD:
		return pl_store_group_add(st, x->group, x->other, x->now_ms);
	case OP_GROUP_QUIT:
		return pl_store_group_quit(st, x->group, x->nick, x->now_ms);
	}
	return -EINVAL;
}

/* Sends a group's full record to one session. */
static int send_group(struct pl_session *s, uint32_t id)
{
	struct pl_group_rec *g = calloc(1, sizeof *g);
	struct pl_msg *m = calloc(1, sizeof *m);
	int rc = -ENOMEM;
	if (g && m && (rc = pl_store_group_get(s->srv->store, id, g)) == 0) {
		m->type = PL_MSG_GROUP;
		m->u.group.id = g->id;
		snprintf(m->u.group.name, sizeof m->u.group.name, "%s", g->name);
		m->u.group.updated_ms = g->updated_ms;
		m->u.group.count = (uint16_t)g->count;
		memcpy(m->u.group.members, g->members, sizeof g->members);
		pl_session_send(s, m);
	}
	free(g);
	free(m);
	return rc;
}

/* Sends m to every online member of group id. */
static void tell_group(struct pl_server *srv, uint32_t id, const struct pl_msg *m)
{
	struct pl_group_rec *g = calloc(1, sizeof *g);
	if (!g)
		return;
	if (pl_store_group_get(srv->store, id, g) == 0)
		for (unsigned i = 0; i < g->count; i++) {
			struct pl_session *x = pl_server_find_nick(srv, g->members[i]);
			if (x)
				pl_session_send(x, m);
		}
	free(g);
}

static void social_done(struct pl_store_write *w, int rc)
{
	struct social_write *x = (struct social_write *)w;
	struct pl_server *srv = x->sw.srv;
	struct pl_session *s = pl_session_written(&x->sw);
	if (rc < 0) {
		uint16_t code = PL_ERR_INTERNAL;
		if (x->op == OP_GROUP_ADD)
			code = rc == -EEXIST ? PL_ERR_ALREADY_IN_GROUP : rc == -E2BIG ? PL_ERR_GROUP_FULL
			     : rc == -ENOENT ? PL_ERR_NO_SUCH_GROUP : PL_ERR_INTERNAL;
		else if (x->op == OP_GROUP_QUIT && rc == -ENOENT)
			code = PL_ERR_NOT_IN_GROUP;
		if (s)
			pl_session_error(s, code, x->about, x->op == OP_GROUP_ADD ? x->other : NULL);
		goto out;
	}
	struct pl_msg gm = {.type = PL_MSG_GROUP_MEMBER};
	switch (x->op) {
	case OP_PROFILE:
		if (s) {
			if (x->set_name)
				snprintf(s->realname, sizeof s->realname, "%s", x->text);
			struct pl_msg ok = {.type = PL_MSG_OK};
			ok.u.ok.about = x->about;
			pl_session_send(s, &ok);
		}
		break;
	case OP_GROUP_CREATE:
		if (s && send_group(s, x->group) < 0)
			pl_session_error(s, PL_ERR_INTERNAL, x->about, "could not read the group back");
		break;
	case OP_GROUP_ADD: {
		/* Seed 002's 203 to every member, the new one included; the new one also gets the group. */
		gm.u.group_member.group = x->group;
		snprintf(gm.u.group_member.nick, sizeof gm.u.group_member.nick, "%s", x->other);
		gm.u.group_member.joined = 1;
		gm.u.group_member.updated_ms = x->now_ms;
		tell_group(srv, x->group, &gm);
		struct pl_session *added = pl_server_find_nick(srv, x->other);
		if (added)
			send_group(added, x->group);
		break;
	}
	case OP_GROUP_QUIT:
		/* Seed 002's 204 to those who stay and to the one who left. */
		gm.u.group_member.group = x->group;
		snprintf(gm.u.group_member.nick, sizeof gm.u.group_member.nick, "%s", x->nick);
		gm.u.group_member.joined = 0;
		gm.u.group_member.updated_ms = x->now_ms;
		tell_group(srv, x->group, &gm);
		if (s)
			pl_session_send(s, &gm);
		break;
	}
out:
	free(x);
}

static struct social_write *new_write(struct pl_session *s, const struct pl_msg *m, enum op op)
{
	struct social_write *x = calloc(1, sizeof *x);
	if (!x) {
		pl_session_error(s, PL_ERR_INTERNAL, m->type, NULL);
		return NULL;
	}
	x->op = op;
	x->about = m->type;
	snprintf(x->nick, sizeof x->nick, "%s", s->nick);
	x->now_ms = pl_env_wall_ms(s->srv->env);
	return x;
}

/* --- profiles --- */

static bool picture_ok(const uint8_t *p, size_t n)
{
	static const uint8_t png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	if (n == 0)
		return true; /* removes the picture */
	return (n >= 8 && memcmp(p, png, 8) == 0) || (n >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff);
}

static void set_profile(struct pl_session *s, const struct pl_msg *m)
{
	const char *rn = m->u.profile.realname;
	bool set_name = m->u.profile.what & PL_PROFILE_REALNAME, set_pic = m->u.profile.what & PL_PROFILE_PICTURE;
	if (set_name && !pl_line_valid(rn)) {
		pl_session_error(s, PL_ERR_BAD_REQUEST, m->type, "the real name must be UTF-8 without control characters");
		return;
	}
	if (set_pic && !picture_ok(m->u.profile.picture, m->u.profile.picture_len)) {
		pl_session_error(s, PL_ERR_BAD_PICTURE, m->type, NULL);
		return;
	}
	struct social_write *x = new_write(s, m, OP_PROFILE);
	if (!x)
		return;
	x->set_name = set_name;
	x->set_pic = set_pic;
	snprintf(x->text, sizeof x->text, "%s", rn);
	x->pic_len = m->u.profile.picture_len;
	memcpy(x->pic, m->u.profile.picture, x->pic_len);
	pl_session_submit(s, &x->sw, social_apply, social_done, true);
}

static void get_profile(struct pl_session *s, const struct pl_msg *m)
{
	struct pl_server *srv = s->srv;
	struct pl_account a;
	int rc = pl_nick_valid(m->u.user.nick) ? pl_store_account_get(srv->store, m->u.user.nick, &a) : -ENOENT;
	if (rc < 0) {
		pl_session_error(s, rc == -ENOENT ? PL_ERR_NO_SUCH_USER : PL_ERR_INTERNAL, m->type, m->u.user.nick);
		return;
	}
	struct pl_msg *p = calloc(1, sizeof *p), pres;
	if (!p)
		return;
	size_t len = 0;
	p->type = PL_MSG_PROFILE;
	snprintf(p->u.profile.nick, sizeof p->u.profile.nick, "%s", a.nick);
	snprintf(p->u.profile.realname, sizeof p->u.profile.realname, "%s", a.realname);
	p->u.profile.created_ms = a.created_ms;
	if (pl_social_may_see(s, a.nick)) {
		pl_social_presence(srv, a.nick, &pres);
		p->u.profile.presence = pres.u.presence.presence;
		snprintf(p->u.profile.note, sizeof p->u.profile.note, "%s", pres.u.presence.note);
	} else {
		p->u.profile.presence = PL_PRESENCE_HIDDEN; /* presence is for contacts */
	}
	if (pl_store_account_get_picture(srv->store, a.nick, p->u.profile.picture, sizeof p->u.profile.picture, &len) == 0)
		p->u.profile.picture_len = (uint16_t)len;
	pl_session_send(s, p);
	free(p);
}

/* --- groups --- */

static bool is_member(struct pl_server *srv, uint32_t id, const char *nick, int *err)
{
	struct pl_group_rec *g = calloc(1, sizeof *g);
	bool found = false;
	*err = g ? pl_store_group_get(srv->store, id, g) : -ENOMEM;
	if (*err == 0)
		for (unsigned i = 0; i < g->count && !found; i++)
			found = strcasecmp(g->members[i], nick) == 0;
	free(g);
	return found;
}

static void group_create(struct pl_session *s, const struct pl_msg *m)
{
	if (!pl_group_name_valid(m->u.group_create.name)) {
		pl_session_error(s, PL_ERR_BAD_GROUP_NAME, m->type, NULL);
		return;
	}
	struct social_write *x = new_write(s, m, OP_GROUP_CREATE);
	if (!x)
		return;
	snprintf(x->text, sizeof x->text, "%s", m->u.group_create.name);
	pl_session_submit(s, &x->sw, social_apply, social_done, true);
}

static void group_change(struct pl_session *s, const struct pl_msg *m)
{
	struct pl_server *srv = s->srv;
	bool add = m->type == PL_MSG_GROUP_ADD;
	uint32_t id = add ? m->u.group_add.group : m->u.group_quit.group;
	int err;
	if (!is_member(srv, id, s->nick, &err)) {
		pl_session_error(s, err == -ENOENT ? PL_ERR_NO_SUCH_GROUP : err ? PL_ERR_INTERNAL : PL_ERR_NOT_IN_GROUP,
				 m->type, NULL);
		return;
	}
	char nick[PL_NICK_MAX + 1] = "";
	if (add) {
		int rc = pl_social_account_nick(srv, m->u.group_add.nick, nick);
		if (rc < 0) {
			pl_session_error(s, rc == -ENOENT ? PL_ERR_PROFILE_NOT_ADDED : PL_ERR_INTERNAL, m->type,
					 m->u.group_add.nick);
			return;
		}
	}
	struct social_write *x = new_write(s, m, add ? OP_GROUP_ADD : OP_GROUP_QUIT);
	if (!x)
		return;
	x->group = id;
	snprintf(x->other, sizeof x->other, "%s", nick);
	pl_session_submit(s, &x->sw, social_apply, social_done, true);
}

struct group_list {
	struct pl_session *s;
	uint32_t count;
};

static int list_group(uint32_t id, void *arg)
{
	struct group_list *l = arg;
	if (send_group(l->s, id) == 0)
		l->count++;
	return 0;
}

void pl_social_handle(struct pl_session *s, const struct pl_msg *m)
{
	switch (m->type) {
	case PL_MSG_SET_PROFILE:
		set_profile(s, m);
		break;
	case PL_MSG_PROFILE_GET:
		get_profile(s, m);
		break;
	case PL_MSG_CONTACT_ADD:
	case PL_MSG_CONTACT_ANSWER:
	case PL_MSG_CONTACT_DEL:
	case PL_MSG_CONTACTS_GET:
		pl_contacts_handle(s, m);
		break;
	case PL_MSG_STATUS_SET:
		status_set(s, m);
		break;
	case PL_MSG_STATUS_GET:
		status_get(s, m);
		break;
	case PL_MSG_GROUP_CREATE:
		group_create(s, m);
		break;
	case PL_MSG_GROUP_ADD:
	case PL_MSG_GROUP_QUIT:
		group_change(s, m);
		break;
	case PL_MSG_GROUPS_GET: {
		struct group_list l = {s, 0};
		if (pl_store_groups_of(s->srv->store, s->nick, list_group, &l) < 0)
			pl_session_error(s, PL_ERR_INTERNAL, m->type, NULL);
		else
			pl_session_list_end(s, m->type, l.count, false);
		break;
	}
	default:
		break;
	}
}
