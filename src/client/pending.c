#include "client/pending.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

void pl_pending_init(struct pl_pending *p)
{
	memset(p, 0, sizeof *p);
}

void pl_pending_clear(struct pl_pending *p)
{
	pl_pending_init(p);
}

unsigned pl_pending_count(const struct pl_pending *p)
{
	return p->n;
}

/* The room or nickname a request's answer will name, or "" when its type alone tells. NULL for a
 * request that gets no answer of its own (docs/PROTOCOL.md section 5). */
static const char *key_of(const struct pl_msg *m)
{
	switch (m->type) {
	case PL_MSG_REGISTER:
	case PL_MSG_LOGIN: return m->u.auth.nick;
	case PL_MSG_LOGIN_KEY: return m->u.login_key.nick;
	case PL_MSG_JOIN:
	case PL_MSG_PART: return m->u.join.room;
	case PL_MSG_NAMES: return m->u.names.room;
	case PL_MSG_TOPIC: return m->u.topic.room;
	case PL_MSG_PROFILE_GET:
	case PL_MSG_CONTACT_ADD:
	case PL_MSG_CONTACT_DEL:
	case PL_MSG_STATUS_GET: return m->u.user.nick;
	case PL_MSG_CONTACT_ANSWER: return m->u.contact_req.nick;
	case PL_MSG_GROUP_CREATE: return m->u.group_create.name;
	case PL_MSG_GROUP_ADD: return m->u.group_add.nick;
	case PL_MSG_SAY: return m->u.say.target;
	case PL_MSG_SET_PASSWORD:
	case PL_MSG_SET_PROFILE:
	case PL_MSG_CONTACTS_GET:
	case PL_MSG_STATUS_SET:
	case PL_MSG_GROUP_QUIT:
	case PL_MSG_GROUPS_GET:
	case PL_MSG_ROOMS_GET:
	case PL_MSG_HISTORY:
	case PL_MSG_DEVICES_GET:
	case PL_MSG_DEVICE_REVOKE:
	case PL_MSG_KEYS_GET:
	case PL_MSG_CALL_START:
	case PL_MSG_CALL_ANSWER:
	case PL_MSG_CALL_CONFIRM:
	case PL_MSG_CALL_HANGUP: return "";
	default: return NULL; /* HELLO, PONG, BYE, DELIVERED, CALL_RING, MEDIA_KEYS */
	}
}

void pl_pending_sent(struct pl_pending *p, const struct pl_msg *m, const char *cmd, uint32_t tag)
{
	const char *key = key_of(m);
	if (!key)
		return;
	if (p->n == PL_PENDING_MAX) { /* never answered: the oldest goes */
		p->head = (p->head + 1) % PL_PENDING_MAX;
		p->n--;
	}
	struct pl_pending_req *r = &p->r[(p->head + p->n++) % PL_PENDING_MAX];
	r->type = m->type;
	r->tag = tag;
	r->wire_tag = m->type == PL_MSG_SAY ? m->u.say.tag : 0;
	snprintf(r->cmd, sizeof r->cmd, "%s", cmd ? cmd : "");
	snprintf(r->key, sizeof r->key, "%s", key);
}

/* Up to three request types an answer may be for, and the name it carries ("" none, NULL: m answers
 * nothing). */
static const char *answers(const struct pl_msg *m, const char *self, uint16_t t[3])
{
	t[0] = t[1] = t[2] = 0;
	switch (m->type) {
	case PL_MSG_ERROR:
		/* An error about a SAY names its room or person; its SAY_OKs may still be waiting for
		 * the store, so the oldest SAY is not necessarily the one refused. */
		t[0] = m->u.error.about;
		return m->u.error.about == PL_MSG_SAY ? m->u.error.detail : "";
	case PL_MSG_OK: t[0] = m->u.ok.about; return "";
	case PL_MSG_LIST_END: t[0] = m->u.list_end.about; return "";
	case PL_MSG_AUTH_OK: t[0] = PL_MSG_LOGIN, t[1] = PL_MSG_LOGIN_KEY, t[2] = PL_MSG_REGISTER; return "";
	case PL_MSG_SAY_OK: t[0] = PL_MSG_SAY; return "";
	case PL_MSG_JOINED:
		if (strcasecmp(m->u.member.nick, self) != 0)
			return NULL;
		t[0] = PL_MSG_JOIN;
		return m->u.member.room;
	case PL_MSG_PARTED:
		if (strcasecmp(m->u.member.nick, self) != 0)
			return NULL;
		t[0] = PL_MSG_PART;
		return m->u.member.room;
	case PL_MSG_USERLIST:
		if (m->u.userlist.more)
			return NULL;
		t[0] = PL_MSG_NAMES, t[1] = PL_MSG_JOIN; /* JOIN of a room we are in: the list only */
		return m->u.userlist.room;
	case PL_MSG_PROFILE: t[0] = PL_MSG_PROFILE_GET; return m->u.profile.nick;
	case PL_MSG_ROOM_TOPIC: t[0] = PL_MSG_TOPIC; return m->u.topic.room;
	case PL_MSG_PRESENCE:
		t[0] = PL_MSG_STATUS_GET;
		if (!strcasecmp(m->u.presence.nick, self))
			t[1] = PL_MSG_STATUS_SET;
		return m->u.presence.nick;
	case PL_MSG_CONTACT_REQUEST: t[0] = PL_MSG_CONTACT_ADD; return m->u.contact_req.nick;
	case PL_MSG_CONTACT_ADDED: t[0] = PL_MSG_CONTACT_ADD, t[1] = PL_MSG_CONTACT_ANSWER; return m->u.presence.nick;
	case PL_MSG_CONTACT_DELETED: t[0] = PL_MSG_CONTACT_DEL; return m->u.user.nick;
	case PL_MSG_GROUP: t[0] = PL_MSG_GROUP_CREATE; return m->u.group.name;
	case PL_MSG_GROUP_MEMBER:
		t[0] = m->u.group_member.joined ? PL_MSG_GROUP_ADD : 0;
		if (!m->u.group_member.joined && !strcasecmp(m->u.group_member.nick, self))
			t[0] = PL_MSG_GROUP_QUIT;
		return t[0] == PL_MSG_GROUP_QUIT ? "" : m->u.group_member.nick;
	case PL_MSG_CALL_STATE:
		t[0] = PL_MSG_CALL_START, t[1] = PL_MSG_CALL_ANSWER, t[2] = PL_MSG_CALL_CONFIRM;
		if (m->u.call.state == PL_CALL_ENDED)
			t[0] = PL_MSG_CALL_HANGUP;
		else if (m->u.call.state != PL_CALL_SETUP)
			t[0] = 0;
		return "";
	default: return NULL;
	}
}

static bool fits(const struct pl_pending_req *r, const struct pl_msg *m, const uint16_t t[3], const char *key)
{
	if (!r->type || (r->type != t[0] && r->type != t[1] && r->type != t[2]))
		return false;
	if (m->type == PL_MSG_SAY_OK)
		return r->wire_tag == m->u.say_ok.tag; /* stored in its own time: the tag tells */
	return !*key || !*r->key || !strcasecmp(r->key, key);
}

bool pl_pending_answer(struct pl_pending *p, const struct pl_msg *m, const char *self, struct pl_pending_req *out)
{
	uint16_t t[3];
	const char *key = answers(m, self ? self : "", t);
	if (!key)
		return false;
	for (unsigned i = 0; i < p->n; i++) {
		struct pl_pending_req *r = &p->r[(p->head + i) % PL_PENDING_MAX];
		if (!fits(r, m, t, key))
			continue;
		*out = *r;
		/* Out of the ring, keeping the order of the rest. */
		for (unsigned j = i; j + 1 < p->n; j++)
			p->r[(p->head + j) % PL_PENDING_MAX] = p->r[(p->head + j + 1) % PL_PENDING_MAX];
		p->n--;
		memset(&p->r[(p->head + p->n) % PL_PENDING_MAX], 0, sizeof p->r[0]);
		return true;
	}
	return false;
}
