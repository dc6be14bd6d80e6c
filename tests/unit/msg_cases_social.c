/*
 * Round-trip cases for the social messages: profiles and presence, contacts and contact requests,
 * and groups with their members. Each at ordinary values and with every string, picture and list
 * full or empty.
 */
#include <string.h>

#include "msg_util.h"

static void b_set_profile_realname(struct pl_msg *m)
{
	m->type = PL_MSG_SET_PROFILE;
	m->u.profile.what = PL_PROFILE_REALNAME;
	SET(m->u.profile.realname, "Alice P. Liddell");
	m->u.profile.picture_len = 0;
}
static void b_set_profile_picture_max(struct pl_msg *m)
{
	m->type = PL_MSG_SET_PROFILE;
	m->u.profile.what = PL_PROFILE_REALNAME | PL_PROFILE_PICTURE;
	fill_str(m->u.profile.realname, PL_REALNAME_MAX, "R\303\251al ");
	m->u.profile.picture_len = fill_picture(m->u.profile.picture, PL_PICTURE_MAX);
}
static void b_set_profile_nothing(struct pl_msg *m)
{
	m->type = PL_MSG_SET_PROFILE;
	m->u.profile.what = 0;
}
static void b_profile_get(struct pl_msg *m)
{
	m->type = PL_MSG_PROFILE_GET;
	SET(m->u.user.nick, "alice");
}
static void b_contact_add(struct pl_msg *m)
{
	m->type = PL_MSG_CONTACT_ADD;
	SET(m->u.user.nick, "b\303\266b");
}
static void b_contact_del(struct pl_msg *m)
{
	m->type = PL_MSG_CONTACT_DEL;
	fill_str(m->u.user.nick, PL_NICK_MAX, "c");
}
static void b_contacts_get(struct pl_msg *m) { m->type = PL_MSG_CONTACTS_GET; }
static void b_status_set(struct pl_msg *m)
{
	m->type = PL_MSG_STATUS_SET;
	m->u.presence.presence = PL_PRESENCE_AWAY;
	SET(m->u.presence.note, "back at 3");
}
static void b_status_set_max(struct pl_msg *m)
{
	m->type = PL_MSG_STATUS_SET;
	m->u.presence.presence = PL_PRESENCE_BUSY;
	fill_str(m->u.presence.note, PL_NOTE_MAX, "in a meeting \xe2\x98\x8e ");
}
static void b_status_get(struct pl_msg *m)
{
	m->type = PL_MSG_STATUS_GET;
	SET(m->u.user.nick, "dave");
}
static void b_group_create(struct pl_msg *m)
{
	m->type = PL_MSG_GROUP_CREATE;
	SET(m->u.group_create.name, "book club");
}
static void b_group_create_max(struct pl_msg *m)
{
	m->type = PL_MSG_GROUP_CREATE;
	fill_str(m->u.group_create.name, PL_GROUP_NAME_MAX, "Lesekreis \xc3\xbc ");
}
static void b_group_add(struct pl_msg *m)
{
	m->type = PL_MSG_GROUP_ADD;
	m->u.group_add.group = 7;
	SET(m->u.group_add.nick, "bob");
}
static void b_contact_answer(struct pl_msg *m)
{
	m->type = PL_MSG_CONTACT_ANSWER;
	SET(m->u.contact_req.nick, "bob");
	m->u.contact_req.accept = 1;
}
static void b_contact_answer_refuse(struct pl_msg *m)
{
	m->type = PL_MSG_CONTACT_ANSWER;
	fill_str(m->u.contact_req.nick, PL_NICK_MAX, "r");
	m->u.contact_req.accept = 0;
}
static void b_group_quit(struct pl_msg *m)
{
	m->type = PL_MSG_GROUP_QUIT;
	m->u.group_quit.group = 0xffffffffu;
}
static void b_groups_get(struct pl_msg *m) { m->type = PL_MSG_GROUPS_GET; }
static void b_profile(struct pl_msg *m)
{
	m->type = PL_MSG_PROFILE;
	SET(m->u.profile.nick, "alice");
	SET(m->u.profile.realname, "Alice Liddell");
	m->u.profile.created_ms = 1700000000000ull;
	m->u.profile.presence = PL_PRESENCE_ONLINE;
	SET(m->u.profile.note, "");
	m->u.profile.picture_len = fill_picture(m->u.profile.picture, 300);
}
static void b_profile_max(struct pl_msg *m)
{
	m->type = PL_MSG_PROFILE;
	fill_str(m->u.profile.nick, PL_NICK_MAX, "p");
	fill_str(m->u.profile.realname, PL_REALNAME_MAX, "\xc3\x89mile ");
	m->u.profile.created_ms = UINT64_MAX;
	m->u.profile.presence = PL_PRESENCE_HIDDEN;
	fill_str(m->u.profile.note, PL_NOTE_MAX, "note ");
	m->u.profile.picture_len = fill_picture(m->u.profile.picture, PL_PICTURE_MAX);
}
static void b_profile_offline(struct pl_msg *m)
{
	m->type = PL_MSG_PROFILE;
	SET(m->u.profile.nick, "ghost");
	m->u.profile.presence = PL_PRESENCE_OFFLINE;
}
static void b_profile_busy(struct pl_msg *m)
{
	m->type = PL_MSG_PROFILE;
	SET(m->u.profile.nick, "dave");
	m->u.profile.presence = PL_PRESENCE_BUSY;
	SET(m->u.profile.note, "on a call");
}
static void b_contact_added(struct pl_msg *m)
{
	m->type = PL_MSG_CONTACT_ADDED;
	SET(m->u.presence.nick, "bob");
	m->u.presence.presence = PL_PRESENCE_OFFLINE;
}
static void b_contact_deleted(struct pl_msg *m)
{
	m->type = PL_MSG_CONTACT_DELETED;
	SET(m->u.user.nick, "eve");
}
static void b_presence_max(struct pl_msg *m)
{
	m->type = PL_MSG_PRESENCE;
	fill_str(m->u.presence.nick, PL_NICK_MAX, "x");
	m->u.presence.presence = PL_PRESENCE_BUSY;
	fill_str(m->u.presence.note, PL_NOTE_MAX, "\xf0\x9f\x8e\xa7 ");
}
static void b_group(struct pl_msg *m)
{
	static const char *members[] = {"alice", "bob", "carol"};
	m->type = PL_MSG_GROUP;
	m->u.group.id = 7;
	SET(m->u.group.name, "book club");
	m->u.group.updated_ms = 1700000000500ull;
	m->u.group.count = 3;
	for (int i = 0; i < 3; i++)
		SET(m->u.group.members[i], members[i]);
}
static void b_group_max(struct pl_msg *m)
{
	m->type = PL_MSG_GROUP;
	m->u.group.id = 0xffffffffu;
	fill_str(m->u.group.name, PL_GROUP_NAME_MAX, "g\xc3\xa9");
	m->u.group.updated_ms = UINT64_MAX;
	m->u.group.count = PL_GROUP_MEMBERS_MAX;
	for (int i = 0; i < PL_GROUP_MEMBERS_MAX; i++) {
		fill_str(m->u.group.members[i], PL_NICK_MAX, "m");
		m->u.group.members[i][0] = (char)('A' + i % 26);
		m->u.group.members[i][1] = (char)('a' + i / 26);
	}
}
static void b_group_empty(struct pl_msg *m)
{
	m->type = PL_MSG_GROUP;
	m->u.group.id = 1;
	SET(m->u.group.name, "g");
}
static void b_group_member(struct pl_msg *m)
{
	m->type = PL_MSG_GROUP_MEMBER;
	m->u.group_member.group = 7;
	SET(m->u.group_member.nick, "dave");
	m->u.group_member.joined = 1;
	m->u.group_member.updated_ms = 1700000000600ull;
}
static void b_group_member_quit(struct pl_msg *m)
{
	b_group_member(m);
	m->u.group_member.joined = 0;
}
static void b_contact_request(struct pl_msg *m)
{
	m->type = PL_MSG_CONTACT_REQUEST;
	SET(m->u.contact_req.nick, "bob");
	m->u.contact_req.kind = PL_CREQ_INCOMING;
}
static void b_contact_request_refused(struct pl_msg *m)
{
	m->type = PL_MSG_CONTACT_REQUEST;
	fill_str(m->u.contact_req.nick, PL_NICK_MAX, "q");
	m->u.contact_req.kind = PL_CREQ_REFUSED;
}

const struct rt_case msg_social_cases[] = {
	{"SET_PROFILE realname", b_set_profile_realname},
	{"SET_PROFILE max picture", b_set_profile_picture_max},
	{"SET_PROFILE nothing", b_set_profile_nothing},
	{"PROFILE_GET", b_profile_get},
	{"CONTACT_ADD", b_contact_add},
	{"CONTACT_DEL max", b_contact_del},
	{"CONTACTS_GET", b_contacts_get},
	{"STATUS_SET", b_status_set},
	{"STATUS_SET max", b_status_set_max},
	{"STATUS_GET", b_status_get},
	{"GROUP_CREATE", b_group_create},
	{"GROUP_CREATE max", b_group_create_max},
	{"GROUP_ADD", b_group_add},
	{"GROUP_QUIT", b_group_quit},
	{"CONTACT_ANSWER accept", b_contact_answer},
	{"CONTACT_ANSWER refuse max", b_contact_answer_refuse},
	{"GROUPS_GET", b_groups_get},
	{"PROFILE", b_profile},
	{"PROFILE max", b_profile_max},
	{"PROFILE offline", b_profile_offline},
	{"PROFILE busy", b_profile_busy},
	{"CONTACT_ADDED", b_contact_added},
	{"CONTACT_DELETED", b_contact_deleted},
	{"PRESENCE max", b_presence_max},
	{"GROUP", b_group},
	{"GROUP 64 max", b_group_max},
	{"GROUP empty", b_group_empty},
	{"GROUP_MEMBER joined", b_group_member},
	{"GROUP_MEMBER quit", b_group_member_quit},
	{"CONTACT_REQUEST incoming", b_contact_request},
	{"CONTACT_REQUEST refused max", b_contact_request_refused},
};
const size_t msg_social_ncases = sizeof msg_social_cases / sizeof msg_social_cases[0];
