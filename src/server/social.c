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

/* The presence of nick as others see it: its session's, or offline. */
static void presence_of(struct pl_server *srv, const char *nick, struct pl_msg *out)
{
	struct pl_session *x = pl_server_find_nick(srv, nick);
	out->type = PL_MSG_PRESENCE;
	snprintf(out->u.presence.nick, sizeof out->u.presence.nick, "%s", nick);
	out->u.presence.presence = x ? x->presence : PL_PRESENCE_OFFLINE;
	snprintf(out->u.presence.note, sizeof out->u.presence.note, "%s", x ? x->note : "");
}

struct fanout {
	struct pl_server *srv;
	const struct pl_msg *m;
	struct pl_session *s;
	uint32_t count;
};

static int send_to_online(const char *nick, void *arg)
{
	struct fanout *f = arg;
	struct pl_session *x = pl_server_find_nick(f->srv, nick);
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
	struct fanout f = {s->srv, &m, s, 0};
	if (pl_store_contacts(s->srv->store, s->nick, send_to_online, &f) < 0)
		pl_log(PL_LOG_ERROR, "cannot read the contacts of %s", s->nick);
}

/* The stored spelling of an account's nickname, or a store error (-ENOENT when none). */
static int account_nick(struct pl_server *srv, const char *nick, char out[PL_NICK_MAX + 1])
{
	struct pl_account a;
	if (!pl_nick_valid(nick))
		return -ENOENT;
	int rc = pl_store_account_get(srv->store, nick, &a);
	if (rc == 0)
		snprintf(out, PL_NICK_MAX + 1, "%s", a.nick);
	return rc;
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
	if (pl_store_account_set_profile(s->srv->store, s->nick, set_name ? rn : NULL,
					 set_pic ? m->u.profile.picture : NULL, m->u.profile.picture_len) < 0) {
		pl_session_error(s, PL_ERR_INTERNAL, m->type, "could not store the profile");
		return;
	}
	if (set_name)
		snprintf(s->realname, sizeof s->realname, "%s", rn);
	struct pl_msg ok = {.type = PL_MSG_OK};
	ok.u.ok.about = m->type;
	pl_session_send(s, &ok);
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
	presence_of(srv, a.nick, &pres);
	p->u.profile.presence = pres.u.presence.presence;
	snprintf(p->u.profile.note, sizeof p->u.profile.note, "%s", pres.u.presence.note);
	if (pl_store_account_get_picture(srv->store, a.nick, p->u.profile.picture, sizeof p->u.profile.picture, &len) == 0)
		p->u.profile.picture_len = (uint16_t)len;
	pl_session_send(s, p);
	free(p);
}

/* --- contacts --- */

static void contact_add(struct pl_session *s, const struct pl_msg *m)
{
	struct pl_server *srv = s->srv;
	char nick[PL_NICK_MAX + 1];
	int rc = account_nick(srv, m->u.user.nick, nick);
	if (rc < 0) {
		pl_session_error(s, rc == -ENOENT ? PL_ERR_PROFILE_NOT_ADDED : PL_ERR_INTERNAL, m->type, m->u.user.nick);
		return;
	}
	if (strcasecmp(nick, s->nick) == 0) {
		pl_session_error(s, PL_ERR_SELF, m->type, NULL);
		return;
	}
	rc = pl_store_contact_add(srv->store, s->nick, nick, pl_env_wall_ms(srv->env));
	if (rc < 0) {
		pl_session_error(s, rc == -EEXIST ? PL_ERR_ALREADY_CONTACT : PL_ERR_INTERNAL, m->type, nick);
		return;
	}
	/* Both sides hear of it (seed 002's 205), each with the other's presence. */
	struct pl_msg a;
	presence_of(srv, nick, &a);
	a.type = PL_MSG_CONTACT_ADDED;
	pl_session_send(s, &a);
	struct pl_session *other = pl_server_find_nick(srv, nick);
	if (other) {
		presence_of(srv, s->nick, &a);
		a.type = PL_MSG_CONTACT_ADDED;
		pl_session_send(other, &a);
	}
}

static void contact_del(struct pl_session *s, const struct pl_msg *m)
{
	struct pl_server *srv = s->srv;
	char nick[PL_NICK_MAX + 1];
	int rc = account_nick(srv, m->u.user.nick, nick);
	if (rc == 0)
		rc = pl_store_contact_del(srv->store, s->nick, nick);
	if (rc < 0) {
		pl_session_error(s, rc == -ENOENT ? PL_ERR_NO_CONTACT : PL_ERR_INTERNAL, m->type, m->u.user.nick);
		return;
	}
	struct pl_msg d = {.type = PL_MSG_CONTACT_DELETED};
	snprintf(d.u.user.nick, sizeof d.u.user.nick, "%s", nick);
	pl_session_send(s, &d);
	struct pl_session *other = pl_server_find_nick(srv, nick);
	if (other) {
		snprintf(d.u.user.nick, sizeof d.u.user.nick, "%s", s->nick);
		pl_session_send(other, &d);
	}
}

static int list_contact(const char *nick, void *arg)
{
	struct fanout *f = arg;
	struct pl_msg p;
	presence_of(f->srv, nick, &p);
	pl_session_send(f->s, &p);
	f->count++;
	return 0;
}

/* --- presence --- */

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
	presence_of(s->srv, s->nick, &self);
	pl_session_send(s, &self);
	pl_social_announce(s);
}

static void status_get(struct pl_session *s, const struct pl_msg *m)
{
	char nick[PL_NICK_MAX + 1];
	int rc = account_nick(s->srv, m->u.user.nick, nick);
	if (rc < 0) {
		pl_session_error(s, rc == -ENOENT ? PL_ERR_NO_SUCH_USER : PL_ERR_INTERNAL, m->type, m->u.user.nick);
		return;
	}
	struct pl_msg p;
	presence_of(s->srv, nick, &p);
	pl_session_send(s, &p);
}

/* --- groups --- */

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
	uint32_t id;
	if (!pl_group_name_valid(m->u.group_create.name)) {
		pl_session_error(s, PL_ERR_BAD_GROUP_NAME, m->type, NULL);
		return;
	}
	if (pl_store_group_create(s->srv->store, m->u.group_create.name, s->nick, pl_env_wall_ms(s->srv->env), &id) < 0 ||
	    send_group(s, id) < 0)
		pl_session_error(s, PL_ERR_INTERNAL, m->type, "could not create the group");
}

static void group_add(struct pl_session *s, const struct pl_msg *m)
{
	struct pl_server *srv = s->srv;
	uint32_t id = m->u.group_add.group;
	int err;
	if (!is_member(srv, id, s->nick, &err)) {
		pl_session_error(s, err == -ENOENT ? PL_ERR_NO_SUCH_GROUP : err ? PL_ERR_INTERNAL : PL_ERR_NOT_IN_GROUP,
				 m->type, NULL);
		return;
	}
	char nick[PL_NICK_MAX + 1];
	int rc = account_nick(srv, m->u.group_add.nick, nick);
	if (rc < 0) {
		pl_session_error(s, rc == -ENOENT ? PL_ERR_PROFILE_NOT_ADDED : PL_ERR_INTERNAL, m->type, m->u.group_add.nick);
		return;
	}
	uint64_t now = pl_env_wall_ms(srv->env);
	rc = pl_store_group_add(srv->store, id, nick, now);
	if (rc < 0) {
		pl_session_error(s, rc == -EEXIST ? PL_ERR_ALREADY_IN_GROUP : rc == -E2BIG ? PL_ERR_GROUP_FULL
				 : rc == -ENOENT ? PL_ERR_NO_SUCH_GROUP : PL_ERR_INTERNAL, m->type, nick);
		return;
	}
	/* Seed 002's 203 to every member, the new one included; the new one also gets the group. */
	struct pl_msg gm = {.type = PL_MSG_GROUP_MEMBER};
	gm.u.group_member.group = id;
	snprintf(gm.u.group_member.nick, sizeof gm.u.group_member.nick, "%s", nick);
	gm.u.group_member.joined = 1;
	gm.u.group_member.updated_ms = now;
	tell_group(srv, id, &gm);
	struct pl_session *added = pl_server_find_nick(srv, nick);
	if (added)
		send_group(added, id);
}

static void group_quit(struct pl_session *s, const struct pl_msg *m)
{
	struct pl_server *srv = s->srv;
	uint32_t id = m->u.group_quit.group;
	int err;
	if (!is_member(srv, id, s->nick, &err)) {
		pl_session_error(s, err == -ENOENT ? PL_ERR_NO_SUCH_GROUP : err ? PL_ERR_INTERNAL : PL_ERR_NOT_IN_GROUP,
				 m->type, NULL);
		return;
	}
	uint64_t now = pl_env_wall_ms(srv->env);
	struct pl_msg gm = {.type = PL_MSG_GROUP_MEMBER};
	gm.u.group_member.group = id;
	snprintf(gm.u.group_member.nick, sizeof gm.u.group_member.nick, "%s", s->nick);
	gm.u.group_member.joined = 0;
	gm.u.group_member.updated_ms = now;
	if (pl_store_group_quit(srv->store, id, s->nick, now) < 0) {
		pl_session_error(s, PL_ERR_INTERNAL, m->type, NULL);
		return;
	}
	/* Seed 002's 204 to those who stay and to the one who left. */
	tell_group(srv, id, &gm);
	pl_session_send(s, &gm);
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
		contact_add(s, m);
		break;
	case PL_MSG_CONTACT_DEL:
		contact_del(s, m);
		break;
	case PL_MSG_CONTACTS_GET: {
		struct fanout f = {s->srv, NULL, s, 0};
		if (pl_store_contacts(s->srv->store, s->nick, list_contact, &f) < 0)
			pl_session_error(s, PL_ERR_INTERNAL, m->type, NULL);
		else
			pl_session_list_end(s, m->type, f.count, false);
		break;
	}
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
		group_add(s, m);
		break;
	case PL_MSG_GROUP_QUIT:
		group_quit(s, m);
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
