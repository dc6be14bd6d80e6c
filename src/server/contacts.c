/* Contacts and contact requests (server/social.h). A contact is mutual and made only by consent:
 * CONTACT_ADD asks, CONTACT_ANSWER accepts or refuses; asking someone who asked you accepts.
 * Presence and device keys are shown to accepted contacts alone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "net/log.h"
#include "server/server.h"
#include "server/session.h"
#include "server/social.h"
#include "store/store.h"

enum op { OP_REQUEST, OP_ACCEPT, OP_REFUSE, OP_DELETE, OP_CANCEL };

struct contact_write {
	struct pl_session_write sw;
	enum op op;
	uint16_t about;
	char me[PL_NICK_MAX + 1], other[PL_NICK_MAX + 1];
	uint64_t now_ms;
};

static int contact_apply(struct pl_store_write *w, struct pl_store *st)
{
	struct contact_write *c = (struct contact_write *)w;
	int rc;
	switch (c->op) {
	case OP_REQUEST:
		return pl_store_request_add(st, c->me, c->other, c->now_ms);
	case OP_ACCEPT: /* their request becomes a contact, in one step */
		rc = pl_store_request_del(st, c->other, c->me);
		return rc < 0 ? rc : pl_store_contact_add(st, c->me, c->other, c->now_ms);
	case OP_REFUSE:
		return pl_store_request_del(st, c->other, c->me);
	case OP_DELETE:
		return pl_store_contact_del(st, c->me, c->other);
	case OP_CANCEL:
		return pl_store_request_del(st, c->me, c->other);
	}
	return -EINVAL;
}

static void send_request(struct pl_session *to, const char *nick, uint8_t kind)
{
	struct pl_msg r = {.type = PL_MSG_CONTACT_REQUEST};
	snprintf(r.u.contact_req.nick, sizeof r.u.contact_req.nick, "%s", nick);
	r.u.contact_req.kind = kind;
	pl_session_send(to, &r);
}

static void send_deleted(struct pl_session *to, const char *nick)
{
	struct pl_msg d = {.type = PL_MSG_CONTACT_DELETED};
	snprintf(d.u.user.nick, sizeof d.u.user.nick, "%s", nick);
	pl_session_send(to, &d);
}

static void contact_done(struct pl_store_write *w, int rc)
{
	struct contact_write *c = (struct contact_write *)w;
	struct pl_server *srv = c->sw.srv;
	struct pl_session *s = pl_session_written(&c->sw);
	struct pl_session *other = pl_server_find_nick(srv, c->other);
	if (rc < 0) {
		if (s)
			pl_session_error(s, rc == -EEXIST ? (c->op == OP_REQUEST ? PL_ERR_REQUEST_PENDING : PL_ERR_ALREADY_CONTACT)
					 : rc == -ENOENT ? (c->op == OP_DELETE ? PL_ERR_NO_CONTACT : PL_ERR_NO_REQUEST)
					 : PL_ERR_INTERNAL, c->about, c->other);
		goto out;
	}
	switch (c->op) {
	case OP_REQUEST:
		if (s)
			send_request(s, c->other, PL_CREQ_SENT);
		if (other)
			send_request(other, c->me, PL_CREQ_INCOMING);
		break;
	case OP_ACCEPT: {
		/* Both sides hear of it (seed 002's 205), each with the other's presence. */
		struct pl_msg a;
		if (s) {
			pl_social_presence(srv, c->other, &a);
			a.type = PL_MSG_CONTACT_ADDED;
			pl_session_send(s, &a);
		}
		if (other) {
			pl_social_presence(srv, c->me, &a);
			a.type = PL_MSG_CONTACT_ADDED;
			pl_session_send(other, &a);
		}
		break;
	}
	case OP_REFUSE:
		if (s) {
			struct pl_msg ok = {.type = PL_MSG_OK};
			ok.u.ok.about = c->about;
			pl_session_send(s, &ok);
		}
		if (other)
			send_request(other, c->me, PL_CREQ_REFUSED);
		break;
	case OP_DELETE:
	case OP_CANCEL:
		/* Seed 002's 206 to both: for a withdrawn request, the one asked forgets it too. */
		if (s)
			send_deleted(s, c->other);
		if (other)
			send_deleted(other, c->me);
		break;
	}
out:
	free(c);
}

static void submit(struct pl_session *s, const struct pl_msg *m, enum op op, const char *other)
{
	struct contact_write *c = calloc(1, sizeof *c);
	if (!c) {
		pl_session_error(s, PL_ERR_INTERNAL, m->type, NULL);
		return;
	}
	c->op = op;
	c->about = m->type;
	snprintf(c->me, sizeof c->me, "%s", s->nick);
	snprintf(c->other, sizeof c->other, "%s", other);
	c->now_ms = pl_env_wall_ms(s->srv->env);
	pl_session_submit(s, &c->sw, contact_apply, contact_done, true);
}

/* The stored spelling of an account's nickname: 0, -ENOENT, or a store error. */
int pl_social_account_nick(struct pl_server *srv, const char *nick, char out[PL_NICK_MAX + 1])
{
	struct pl_account a;
	if (!pl_nick_valid(nick))
		return -ENOENT;
	int rc = pl_store_account_get(srv->store, nick, &a);
	if (rc == 0)
		snprintf(out, PL_NICK_MAX + 1, "%s", a.nick);
	return rc;
}

static void contact_add(struct pl_session *s, const struct pl_msg *m)
{
	struct pl_store *st = s->srv->store;
	char nick[PL_NICK_MAX + 1];
	int rc = pl_social_account_nick(s->srv, m->u.user.nick, nick);
	if (rc < 0) {
		pl_session_error(s, rc == -ENOENT ? PL_ERR_PROFILE_NOT_ADDED : PL_ERR_INTERNAL, m->type, m->u.user.nick);
		return;
	}
	if (strcasecmp(nick, s->nick) == 0) {
		pl_session_error(s, PL_ERR_SELF, m->type, NULL);
		return;
	}
	if (pl_store_contact_exists(st, s->nick, nick) == 0)
		pl_session_error(s, PL_ERR_ALREADY_CONTACT, m->type, nick);
	else if (pl_store_request_exists(st, nick, s->nick) == 0)
		submit(s, m, OP_ACCEPT, nick); /* they asked first: asking back is consent */
	else if (pl_store_request_exists(st, s->nick, nick) == 0)
		pl_session_error(s, PL_ERR_REQUEST_PENDING, m->type, nick);
	else
		submit(s, m, OP_REQUEST, nick);
}

static void contact_answer(struct pl_session *s, const struct pl_msg *m)
{
	char nick[PL_NICK_MAX + 1];
	int rc = pl_social_account_nick(s->srv, m->u.contact_req.nick, nick);
	if (rc == 0)
		rc = pl_store_request_exists(s->srv->store, nick, s->nick);
	if (rc < 0) {
		pl_session_error(s, rc == -ENOENT ? PL_ERR_NO_REQUEST : PL_ERR_INTERNAL, m->type, m->u.contact_req.nick);
		return;
	}
	submit(s, m, m->u.contact_req.accept ? OP_ACCEPT : OP_REFUSE, nick);
}

static void contact_del(struct pl_session *s, const struct pl_msg *m)
{
	struct pl_store *st = s->srv->store;
	char nick[PL_NICK_MAX + 1];
	int rc = pl_social_account_nick(s->srv, m->u.user.nick, nick);
	if (rc == 0 && pl_store_contact_exists(st, s->nick, nick) == 0)
		submit(s, m, OP_DELETE, nick);
	else if (rc == 0 && pl_store_request_exists(st, s->nick, nick) == 0)
		submit(s, m, OP_CANCEL, nick); /* withdraws a request not yet answered */
	else
		pl_session_error(s, rc < 0 && rc != -ENOENT ? PL_ERR_INTERNAL : PL_ERR_NO_CONTACT, m->type,
				 m->u.user.nick);
}

struct lister {
	struct pl_session *s;
	uint32_t count;
};

static int list_contact(const char *nick, void *arg)
{
	struct lister *l = arg;
	struct pl_msg p;
	pl_social_presence(l->s->srv, nick, &p);
	pl_session_send(l->s, &p);
	l->count++;
	return 0;
}

static int list_request(const char *nick, void *arg)
{
	struct lister *l = arg;
	send_request(l->s, nick, PL_CREQ_INCOMING);
	l->count++;
	return 0;
}

/* Requests that arrived while s was away, to answer now. */
void pl_social_login(struct pl_session *s)
{
	struct lister l = {s, 0};
	if (pl_store_requests_to(s->srv->store, s->nick, list_request, &l) < 0)
		pl_log(PL_LOG_ERROR, "cannot read the contact requests of %s", s->nick);
}

bool pl_social_may_see(struct pl_session *s, const char *nick)
{
	return strcasecmp(s->nick, nick) == 0 || pl_store_contact_exists(s->srv->store, s->nick, nick) == 0;
}

void pl_contacts_handle(struct pl_session *s, const struct pl_msg *m)
{
	switch (m->type) {
	case PL_MSG_CONTACT_ADD:
		contact_add(s, m);
		break;
	case PL_MSG_CONTACT_ANSWER:
		contact_answer(s, m);
		break;
	case PL_MSG_CONTACT_DEL:
		contact_del(s, m);
		break;
	case PL_MSG_CONTACTS_GET: {
		struct lister l = {s, 0};
		if (pl_store_contacts(s->srv->store, s->nick, list_contact, &l) < 0)
			pl_session_error(s, PL_ERR_INTERNAL, m->type, NULL);
		else
			pl_session_list_end(s, m->type, l.count, false);
		break;
	}
	default:
		break;
	}
}
