/*
 * Unit tests for core/msg: every signalling message round-trips; every malformed payload is
 * refused with the documented error.
 *
 * Three independent views of the wire format meet here: the codec itself, a few golden frames
 * written out byte by byte, and a table of field layouts (`layouts` below) transcribed from
 * docs/PROTOCOL.md section 4, from which payloads are built by hand. The layouts drive the
 * negative tests (oversize strings and pictures, embedded NULs, out-of-range enums, over-long
 * fields on encode) for every field of every message.
 */
#include "core/msg.h"

#include <errno.h>
#include <stdlib.h>

#include "core/buf.h"
#include "core/frame.h"
#include "test.h"

#define TARGET_MAX (PL_ROOM_MAX > PL_NICK_MAX ? PL_ROOM_MAX : PL_NICK_MAX)
#define BUF_CAP PL_FRAME_MAX_HARD

/* Exactly n bytes of valid UTF-8: as many copies of unit as fit, then ASCII padding. */
static void fill_str(char *dst, size_t n, const char *unit)
{
	size_t u = strlen(unit), i = 0;
	while (i + u <= n) {
		memcpy(dst + i, unit, u);
		i += u;
	}
	while (i < n)
		dst[i++] = 'x';
	dst[n] = '\0';
}

/* n bytes that start like a PNG file; the rest varied, NULs included. */
static uint16_t fill_picture(uint8_t *p, size_t n)
{
	static const uint8_t png[] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
	for (size_t i = 0; i < n; i++)
		p[i] = i < sizeof png ? png[i] : (uint8_t)(i * 251 + (i >> 8));
	return (uint16_t)n;
}

#define SET(dst, s) snprintf((dst), sizeof(dst), "%s", (s))

/* --- the round-trip table: realistic values, and every maximum --- */

static void b_hello(struct pl_msg *m)
{
	m->type = PL_MSG_HELLO;
	m->u.hello.version = PL_PROTO_VERSION;
	SET(m->u.hello.client, "parley/0.1.0 (Debian 12; x86_64)");
}
static void b_hello_max(struct pl_msg *m)
{
	m->type = PL_MSG_HELLO;
	m->u.hello.version = 0xffff;
	fill_str(m->u.hello.client, PL_VERSION_STR_MAX, "parley-\xc3\xa9");
}
static void b_register(struct pl_msg *m)
{
	m->type = PL_MSG_REGISTER;
	SET(m->u.auth.nick, "alice");
	SET(m->u.auth.password, "correct horse battery staple");
	SET(m->u.auth.realname, "Alice Liddell");
}
static void b_register_max(struct pl_msg *m)
{
	m->type = PL_MSG_REGISTER;
	fill_str(m->u.auth.nick, PL_NICK_MAX, "Zo\xc3\xab");
	fill_str(m->u.auth.password, PL_PASSWORD_MAX, "p4ss w\xc3\xb6rd!\"#");
	fill_str(m->u.auth.realname, PL_REALNAME_MAX, "Zo\xc3\xab \xe6\x97\xa5\xe6\x9c\xac ");
}
static void b_login(struct pl_msg *m)
{
	m->type = PL_MSG_LOGIN;
	SET(m->u.auth.nick, "bob");
	SET(m->u.auth.password, "hunter2hunter2");
}
static void b_login_max(struct pl_msg *m)
{
	m->type = PL_MSG_LOGIN;
	fill_str(m->u.auth.nick, PL_NICK_MAX, "b");
	fill_str(m->u.auth.password, PL_PASSWORD_MAX, "\xf0\x9f\x94\x91");
}
static void b_pong(struct pl_msg *m)
{
	m->type = PL_MSG_PONG;
	m->u.ping.token = 0x0123456789abcdefull;
}
static void b_join(struct pl_msg *m)
{
	m->type = PL_MSG_JOIN;
	SET(m->u.join.room, PL_LOBBY);
}
static void b_join_max(struct pl_msg *m)
{
	m->type = PL_MSG_JOIN;
	m->u.join.room[0] = '#';
	fill_str(m->u.join.room + 1, PL_ROOM_MAX - 1, "r\xc3\xa9");
}
static void b_part(struct pl_msg *m)
{
	m->type = PL_MSG_PART;
	SET(m->u.join.room, "#dev");
}
static void b_say(struct pl_msg *m)
{
	m->type = PL_MSG_SAY;
	m->u.say.tag = 7;
	SET(m->u.say.target, PL_LOBBY);
	SET(m->u.say.text, "h\xc3\xa9llo, w\xc3\xb6rld \xe2\x9c\x93");
}
static void b_say_nick(struct pl_msg *m)
{
	m->type = PL_MSG_SAY;
	m->u.say.tag = 0xffffffffu;
	SET(m->u.say.target, "carol");
	SET(m->u.say.text, "psst\tover here");
}
static void b_say_max(struct pl_msg *m)
{
	m->type = PL_MSG_SAY;
	m->u.say.tag = 0x80000000u;
	m->u.say.target[0] = '#';
	fill_str(m->u.say.target + 1, TARGET_MAX - 1, "t");
	fill_str(m->u.say.text, PL_TEXT_MAX, "The quick brown \xf0\x9f\xa6\x8a. ");
}
static void b_bye(struct pl_msg *m) { m->type = PL_MSG_BYE; }
static void b_set_password(struct pl_msg *m)
{
	m->type = PL_MSG_SET_PASSWORD;
	SET(m->u.set_password.old_password, "hunter2hunter2");
	SET(m->u.set_password.new_password, "correct horse battery staple");
}
static void b_set_password_max(struct pl_msg *m)
{
	m->type = PL_MSG_SET_PASSWORD;
	fill_str(m->u.set_password.old_password, PL_PASSWORD_MAX, "old\xc3\xa9");
	fill_str(m->u.set_password.new_password, PL_PASSWORD_MAX, "n\xe2\x82\xac w");
}
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
static void b_group_quit(struct pl_msg *m)
{
	m->type = PL_MSG_GROUP_QUIT;
	m->u.group_quit.group = 0xffffffffu;
}
static void b_groups_get(struct pl_msg *m) { m->type = PL_MSG_GROUPS_GET; }
static void b_rooms_get(struct pl_msg *m) { m->type = PL_MSG_ROOMS_GET; }
static void b_names(struct pl_msg *m)
{
	m->type = PL_MSG_NAMES;
	SET(m->u.names.room, "#dev");
}
static void b_history(struct pl_msg *m)
{
	m->type = PL_MSG_HISTORY;
	SET(m->u.history.target, PL_LOBBY);
	m->u.history.before_id = 0;
	m->u.history.limit = 50;
}
static void b_history_max(struct pl_msg *m)
{
	m->type = PL_MSG_HISTORY;
	fill_str(m->u.history.target, TARGET_MAX, "h");
	m->u.history.before_id = UINT64_MAX;
	m->u.history.limit = PL_HISTORY_MAX;
}
static void b_delivered(struct pl_msg *m)
{
	m->type = PL_MSG_DELIVERED;
	m->u.delivered.id = 1001;
}
static void b_welcome(struct pl_msg *m)
{
	m->type = PL_MSG_WELCOME;
	m->u.welcome.version = PL_PROTO_VERSION;
	SET(m->u.welcome.server, "parleyd 0.1.0 on chat.example.org");
}
static void b_welcome_max(struct pl_msg *m)
{
	m->type = PL_MSG_WELCOME;
	m->u.welcome.version = 2;
	fill_str(m->u.welcome.server, PL_SERVER_NAME_MAX, "s\xc3\xb8rver ");
}
static void b_auth_ok(struct pl_msg *m)
{
	m->type = PL_MSG_AUTH_OK;
	SET(m->u.auth_ok.nick, "alice");
	m->u.auth_ok.session = 42;
	m->u.auth_ok.udp_port = 64738;
	for (int i = 0; i < PL_VOICE_KEY_LEN; i++)
		m->u.auth_ok.voice_key[i] = (uint8_t)(i * 37 + 3);
}
static void b_auth_ok_max(struct pl_msg *m)
{
	m->type = PL_MSG_AUTH_OK;
	fill_str(m->u.auth_ok.nick, PL_NICK_MAX, "\xe6\x97\xa5");
	m->u.auth_ok.session = 0xffffffffu;
	m->u.auth_ok.udp_port = 65535;
	memset(m->u.auth_ok.voice_key, 0, PL_VOICE_KEY_LEN); /* zeros: the key is bytes, not a string */
}
static void b_ping(struct pl_msg *m)
{
	m->type = PL_MSG_PING;
	m->u.ping.token = UINT64_MAX;
}
static void b_joined(struct pl_msg *m)
{
	m->type = PL_MSG_JOINED;
	SET(m->u.member.room, PL_LOBBY);
	SET(m->u.member.nick, "dave");
	m->u.member.session = 17;
}
static void b_parted_max(struct pl_msg *m)
{
	m->type = PL_MSG_PARTED;
	m->u.member.room[0] = '#';
	fill_str(m->u.member.room + 1, PL_ROOM_MAX - 1, "q");
	fill_str(m->u.member.nick, PL_NICK_MAX, "n\xc3\xbc");
	m->u.member.session = 0x7fffffff;
}
static void b_userlist_empty(struct pl_msg *m)
{
	m->type = PL_MSG_USERLIST;
	SET(m->u.userlist.room, "#quiet");
}
static void b_userlist_3(struct pl_msg *m)
{
	static const char *nicks[] = {"alice", "b\303\266b", "carol"};
	m->type = PL_MSG_USERLIST;
	SET(m->u.userlist.room, PL_LOBBY);
	m->u.userlist.count = 3;
	for (int i = 0; i < 3; i++) {
		SET(m->u.userlist.users[i].nick, nicks[i]);
		m->u.userlist.users[i].session = (uint32_t)(100 + i);
	}
}
static void userlist_64(struct pl_msg *m, uint8_t more, bool maxlen)
{
	m->type = PL_MSG_USERLIST;
	m->u.userlist.room[0] = '#';
	fill_str(m->u.userlist.room + 1, maxlen ? PL_ROOM_MAX - 1 : 7, "big");
	m->u.userlist.more = more;
	m->u.userlist.count = PL_USERLIST_CHUNK;
	for (int i = 0; i < PL_USERLIST_CHUNK; i++) {
		struct pl_user_entry *e = &m->u.userlist.users[i];
		if (maxlen) {
			fill_str(e->nick, PL_NICK_MAX, "u");
			e->nick[0] = (char)('A' + i % 26);
			e->nick[1] = (char)('a' + i / 26);
		} else {
			snprintf(e->nick, sizeof e->nick, "user%02d", i);
		}
		e->session = 0xfffff000u + (uint32_t)i;
	}
}
static void b_userlist_64_more(struct pl_msg *m) { userlist_64(m, 1, true); }
static void b_userlist_64_last(struct pl_msg *m) { userlist_64(m, 0, false); }
static void b_text(struct pl_msg *m)
{
	m->type = PL_MSG_TEXT;
	m->u.text.id = 1001;
	m->u.text.time_ms = 1700000000123ull;
	m->u.text.flags = 0;
	SET(m->u.text.target, PL_LOBBY);
	SET(m->u.text.from, "alice");
	SET(m->u.text.text, "hi all \xf0\x9f\x91\x8b");
}
static void b_text_offline(struct pl_msg *m)
{
	m->type = PL_MSG_TEXT;
	m->u.text.id = 77;
	m->u.text.time_ms = 1700000000999ull;
	m->u.text.flags = PL_TEXT_OFFLINE | PL_TEXT_HISTORY;
	SET(m->u.text.target, "bob");
	SET(m->u.text.from, "alice");
	SET(m->u.text.text, "while you were out");
}
static void b_text_max(struct pl_msg *m)
{
	m->type = PL_MSG_TEXT;
	m->u.text.id = UINT64_MAX;
	m->u.text.time_ms = 0x00000193a1b2c3d4ull;
	m->u.text.flags = 0xff; /* the decoder does not range-check flags */
	fill_str(m->u.text.target, TARGET_MAX, "bob");
	fill_str(m->u.text.from, PL_NICK_MAX, "\xc3\xa5");
	fill_str(m->u.text.text, PL_TEXT_MAX, "lorem ipsum \xe2\x82\xac\t");
}
static void b_say_ok(struct pl_msg *m)
{
	m->type = PL_MSG_SAY_OK;
	m->u.say_ok.tag = 7;
	m->u.say_ok.id = 1001;
}
static void b_error(struct pl_msg *m)
{
	m->type = PL_MSG_ERROR;
	m->u.error.code = 423; /* PL_ERR_BAD_NICK */
	m->u.error.about = PL_MSG_REGISTER;
	SET(m->u.error.detail, "nickname may not start with '#'");
}
static void b_error_max(struct pl_msg *m)
{
	m->type = PL_MSG_ERROR;
	m->u.error.code = 0xffff;
	m->u.error.about = 0;
	fill_str(m->u.error.detail, PL_DETAIL_MAX, "d\xc3\xa9tail ");
}
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
	m->u.profile.presence = PL_PRESENCE_MAX;
	fill_str(m->u.profile.note, PL_NOTE_MAX, "note ");
	m->u.profile.picture_len = fill_picture(m->u.profile.picture, PL_PICTURE_MAX);
}
static void b_profile_offline(struct pl_msg *m)
{
	m->type = PL_MSG_PROFILE;
	SET(m->u.profile.nick, "ghost");
	m->u.profile.presence = PL_PRESENCE_OFFLINE;
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
static void b_room_info(struct pl_msg *m)
{
	m->type = PL_MSG_ROOM_INFO;
	SET(m->u.room_info.name, PL_LOBBY);
	m->u.room_info.users = 12;
}
static void b_list_end(struct pl_msg *m)
{
	m->type = PL_MSG_LIST_END;
	m->u.list_end.about = PL_MSG_HISTORY;
	m->u.list_end.count = PL_HISTORY_MAX;
	m->u.list_end.more = 1;
}
static void b_ok(struct pl_msg *m)
{
	m->type = PL_MSG_OK;
	m->u.ok.about = PL_MSG_SET_PASSWORD;
}

struct rt_case {
	const char *name;
	void (*build)(struct pl_msg *m);
};

static const struct rt_case rt_cases[] = {
	{"HELLO", b_hello},
	{"HELLO max", b_hello_max},
	{"REGISTER", b_register},
	{"REGISTER max", b_register_max},
	{"LOGIN", b_login},
	{"LOGIN max", b_login_max},
	{"PONG", b_pong},
	{"JOIN", b_join},
	{"JOIN max", b_join_max},
	{"PART", b_part},
	{"SAY room", b_say},
	{"SAY nick", b_say_nick},
	{"SAY max", b_say_max},
	{"BYE", b_bye},
	{"SET_PASSWORD", b_set_password},
	{"SET_PASSWORD max", b_set_password_max},
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
	{"GROUPS_GET", b_groups_get},
	{"ROOMS_GET", b_rooms_get},
	{"NAMES", b_names},
	{"HISTORY", b_history},
	{"HISTORY max", b_history_max},
	{"DELIVERED", b_delivered},
	{"WELCOME", b_welcome},
	{"WELCOME max", b_welcome_max},
	{"AUTH_OK", b_auth_ok},
	{"AUTH_OK max", b_auth_ok_max},
	{"PING", b_ping},
	{"JOINED", b_joined},
	{"PARTED max", b_parted_max},
	{"USERLIST empty", b_userlist_empty},
	{"USERLIST 3", b_userlist_3},
	{"USERLIST 64 more=1 max", b_userlist_64_more},
	{"USERLIST 64 last", b_userlist_64_last},
	{"TEXT", b_text},
	{"TEXT offline", b_text_offline},
	{"TEXT max", b_text_max},
	{"SAY_OK", b_say_ok},
	{"ERROR", b_error},
	{"ERROR max", b_error_max},
	{"PROFILE", b_profile},
	{"PROFILE max", b_profile_max},
	{"PROFILE offline", b_profile_offline},
	{"CONTACT_ADDED", b_contact_added},
	{"CONTACT_DELETED", b_contact_deleted},
	{"PRESENCE max", b_presence_max},
	{"GROUP", b_group},
	{"GROUP 64 max", b_group_max},
	{"GROUP empty", b_group_empty},
	{"GROUP_MEMBER joined", b_group_member},
	{"GROUP_MEMBER quit", b_group_member_quit},
	{"ROOM_INFO", b_room_info},
	{"LIST_END", b_list_end},
	{"OK", b_ok},
};
#define N_RT (sizeof rt_cases / sizeof rt_cases[0])

/* The first field in which a and b differ, or NULL. */
static const char *msg_diff(const struct pl_msg *a, const struct pl_msg *b)
{
#define STR(f) if (strcmp(a->u.f, b->u.f) != 0) return #f
#define NUM(f) if (a->u.f != b->u.f) return #f
#define MEM(f, n) if (memcmp(a->u.f, b->u.f, (n)) != 0) return #f
	if (a->type != b->type)
		return "type";
	switch (a->type) {
	case PL_MSG_HELLO: NUM(hello.version); STR(hello.client); break;
	case PL_MSG_REGISTER: STR(auth.realname); /* fall through */
	case PL_MSG_LOGIN: STR(auth.nick); STR(auth.password); break;
	case PL_MSG_PING:
	case PL_MSG_PONG: NUM(ping.token); break;
	case PL_MSG_JOIN:
	case PL_MSG_PART: STR(join.room); break;
	case PL_MSG_SAY: NUM(say.tag); STR(say.target); STR(say.text); break;
	case PL_MSG_BYE:
	case PL_MSG_CONTACTS_GET:
	case PL_MSG_GROUPS_GET:
	case PL_MSG_ROOMS_GET: break;
	case PL_MSG_SET_PASSWORD:
		STR(set_password.old_password); STR(set_password.new_password); break;
	case PL_MSG_PROFILE:
		STR(profile.nick); NUM(profile.created_ms); NUM(profile.presence); STR(profile.note);
		/* fall through */
	case PL_MSG_SET_PROFILE:
		if (a->type == PL_MSG_SET_PROFILE)
			NUM(profile.what);
		STR(profile.realname); NUM(profile.picture_len);
		MEM(profile.picture, a->u.profile.picture_len);
		break;
	case PL_MSG_PROFILE_GET:
	case PL_MSG_CONTACT_ADD:
	case PL_MSG_CONTACT_DEL:
	case PL_MSG_STATUS_GET:
	case PL_MSG_CONTACT_DELETED: STR(user.nick); break;
	case PL_MSG_STATUS_SET:
	case PL_MSG_PRESENCE:
	case PL_MSG_CONTACT_ADDED:
		STR(presence.nick); NUM(presence.presence); STR(presence.note); break;
	case PL_MSG_GROUP_CREATE: STR(group_create.name); break;
	case PL_MSG_GROUP_ADD: NUM(group_add.group); STR(group_add.nick); break;
	case PL_MSG_GROUP_QUIT: NUM(group_quit.group); break;
	case PL_MSG_NAMES: STR(names.room); break;
	case PL_MSG_HISTORY:
		STR(history.target); NUM(history.before_id); NUM(history.limit); break;
	case PL_MSG_DELIVERED: NUM(delivered.id); break;
	case PL_MSG_WELCOME: NUM(welcome.version); STR(welcome.server); break;
	case PL_MSG_AUTH_OK:
		STR(auth_ok.nick); NUM(auth_ok.session); NUM(auth_ok.udp_port);
		MEM(auth_ok.voice_key, PL_VOICE_KEY_LEN);
		break;
	case PL_MSG_JOINED:
	case PL_MSG_PARTED: STR(member.room); STR(member.nick); NUM(member.session); break;
	case PL_MSG_USERLIST:
		STR(userlist.room); NUM(userlist.more); NUM(userlist.count);
		for (unsigned i = 0; i < a->u.userlist.count && i < PL_USERLIST_CHUNK; i++) {
			STR(userlist.users[i].nick);
			NUM(userlist.users[i].session);
		}
		break;
	case PL_MSG_TEXT:
		NUM(text.id); NUM(text.time_ms); NUM(text.flags); STR(text.target); STR(text.from);
		STR(text.text);
		break;
	case PL_MSG_SAY_OK: NUM(say_ok.tag); NUM(say_ok.id); break;
	case PL_MSG_ERROR: NUM(error.code); NUM(error.about); STR(error.detail); break;
	case PL_MSG_GROUP:
		NUM(group.id); STR(group.name); NUM(group.updated_ms); NUM(group.count);
		for (unsigned i = 0; i < a->u.group.count && i < PL_GROUP_MEMBERS_MAX; i++)
			STR(group.members[i]);
		break;
	case PL_MSG_GROUP_MEMBER:
		NUM(group_member.group); STR(group_member.nick); NUM(group_member.joined);
		NUM(group_member.updated_ms);
		break;
	case PL_MSG_ROOM_INFO: STR(room_info.name); NUM(room_info.users); break;
	case PL_MSG_LIST_END: NUM(list_end.about); NUM(list_end.count); NUM(list_end.more); break;
	case PL_MSG_OK: NUM(ok.about); break;
	default: return "a type this test does not know: add it to msg_diff";
	}
	return NULL;
#undef STR
#undef NUM
#undef MEM
}

/* Decodes from an exact-size heap copy, so a sanitizer build catches any read past len. */
static int decode_copy(struct pl_msg *m, uint16_t type, const uint8_t *p, size_t len)
{
	uint8_t *c = malloc(len ? len : 1);
	if (len)
		memcpy(c, p, len);
	int rc = pl_msg_decode(m, type, c, len);
	free(c);
	return rc;
}

static struct pl_msg *new_msg(void)
{
	return calloc(1, sizeof(struct pl_msg));
}

static void test_round_trips(void)
{
	static uint8_t buf[BUF_CAP], buf2[BUF_CAP];
	struct pl_msg *m = new_msg(), *d = new_msg();
	for (size_t i = 0; i < N_RT; i++) {
		const struct rt_case *c = &rt_cases[i];
		memset(m, 0, sizeof *m);
		c->build(m);
		test_case("round trip %s", c->name);

		int n = pl_msg_encode(m, buf, sizeof buf);
		if (!CHECK(n >= PL_FRAME_HDR))
			continue;
		CHECK(n <= PL_MSG_ENCODED_MAX);
		CHECK_EQ(pl_frame_peek(buf, (size_t)n, PL_FRAME_MAX_DEFAULT), n);
		CHECK_EQ(pl_be16(buf + 4), m->type);

		memset(d, 0xa5, sizeof *d); /* garbage, to catch a field the decoder leaves unset */
		CHECK_EQ(decode_copy(d, m->type, buf + PL_FRAME_HDR, (size_t)n - PL_FRAME_HDR), 0);
		const char *diff = msg_diff(m, d);
		if (!CHECK(diff == NULL))
			fprintf(stderr, "  first differing field: %s\n", diff);
		/* Fields a message does not carry are cleared, never left stale. */
		if (m->type == PL_MSG_LOGIN)
			CHECK_STR_EQ(d->u.auth.realname, "");
		if (m->type == PL_MSG_STATUS_SET)
			CHECK_STR_EQ(d->u.presence.nick, "");

		/* Encoding what was decoded gives the same bytes. */
		CHECK_EQ(pl_msg_encode(d, buf2, sizeof buf2), n);
		CHECK_MEM_EQ(buf2, buf, (size_t)n);
	}
	free(m);
	free(d);
}

/* The round-trip table holds every type pl_msg_name knows, and the codec knows exactly those. */
static void test_type_coverage(void)
{
	struct pl_msg *m = new_msg();
	for (unsigned t = 0; t <= 0xffff; t++) {
		const char *name = pl_msg_name((uint16_t)t);
		uint8_t one = 0;
		int rc = pl_msg_decode(m, (uint16_t)t, &one, 0);
		if (!name) {
			if (rc != -EPROTO) {
				test_case("type 0x%04x", t);
				CHECK_EQ(rc, -EPROTO);
			}
			continue;
		}
		test_case("type %s", name);
		CHECK(rc != -EPROTO);
		bool found = false;
		for (size_t i = 0; i < N_RT && !found; i++) {
			memset(m, 0, sizeof *m);
			rt_cases[i].build(m);
			found = m->type == t;
		}
		CHECK(found);
		/* Direction by number: below 0x8000 client to server. */
		CHECK(t != 0 && t != 0x8000);
	}
	test_case("type names");
	CHECK_STR_EQ(pl_msg_name(PL_MSG_HELLO), "HELLO");
	CHECK_STR_EQ(pl_msg_name(PL_MSG_AUTH_OK), "AUTH_OK");
	CHECK_STR_EQ(pl_msg_name(PL_MSG_SET_PROFILE), "SET_PROFILE");
	CHECK_STR_EQ(pl_msg_name(PL_MSG_GROUP_MEMBER), "GROUP_MEMBER");
	CHECK_STR_EQ(pl_msg_name(PL_MSG_OK), "OK");
	CHECK(pl_msg_name(0) == NULL);
	CHECK(pl_msg_name(0x8000) == NULL);
	free(m);
}

/* Every proper prefix of a valid payload is refused, and so is anything appended to it. */
static void test_truncated_and_trailing(void)
{
	static uint8_t buf[BUF_CAP];
	struct pl_msg *m = new_msg(), *d = new_msg();
	for (size_t i = 0; i < N_RT; i++) {
		const struct rt_case *c = &rt_cases[i];
		memset(m, 0, sizeof *m);
		c->build(m);
		int n = pl_msg_encode(m, buf, sizeof buf - 2);
		if (n < PL_FRAME_HDR)
			continue;
		const uint8_t *p = buf + PL_FRAME_HDR;
		size_t plen = (size_t)n - PL_FRAME_HDR;

		test_case("truncated %s", c->name);
		size_t bad = 0;
		for (size_t len = 0; len < plen; len++) {
			int rc = decode_copy(d, m->type, p, len);
			if (rc != -EBADMSG && bad++ == 0) {
				test_case("truncated %s at %zu of %zu", c->name, len, plen);
				CHECK_EQ(rc, -EBADMSG);
			}
		}
		CHECK_EQ(bad, 0);

		static const uint8_t tails[][2] = {{0x00, 0x00}, {0x41, 0x00}, {0xff, 0xff}};
		for (size_t t = 0; t < 3; t++) {
			for (size_t extra = 1; extra <= 2; extra++) {
				test_case("trailing %s +%zu (0x%02x)", c->name, extra, tails[t][0]);
				memcpy(buf + n, tails[t], 2);
				CHECK_EQ(decode_copy(d, m->type, p, plen + extra), -EBADMSG);
			}
		}
	}
	free(m);
	free(d);
}

static void check_golden(const char *name, const struct pl_msg *m, const uint8_t *want, size_t n)
{
	static uint8_t buf[BUF_CAP];
	struct pl_msg *d = new_msg();
	test_case("golden %s", name);
	CHECK_EQ(pl_msg_encode(m, buf, sizeof buf), n);
	CHECK_MEM_EQ(buf, want, n);
	if (CHECK_EQ(decode_copy(d, m->type, want + PL_FRAME_HDR, n - PL_FRAME_HDR), 0))
		CHECK(msg_diff(m, d) == NULL);
	free(d);
}

/* Frames written out by hand from docs/PROTOCOL.md sections 2 and 4. */
static void test_golden(void)
{
	struct pl_msg *m = new_msg();

	m->type = PL_MSG_HELLO;
	m->u.hello.version = 1;
	SET(m->u.hello.client, "parley");
	static const uint8_t hello[] = {0, 0, 0, 16, 0x00, 0x01, 0, 1, 0, 6, 'p', 'a', 'r', 'l', 'e', 'y'};
	check_golden("HELLO", m, hello, sizeof hello);

	memset(m, 0, sizeof *m);
	m->type = PL_MSG_PING;
	m->u.ping.token = 0x0102030405060708ull;
	static const uint8_t ping[] = {0, 0, 0, 14, 0x80, 0x03, 1, 2, 3, 4, 5, 6, 7, 8};
	check_golden("PING", m, ping, sizeof ping);

	memset(m, 0, sizeof *m);
	m->type = PL_MSG_BYE;
	static const uint8_t bye[] = {0, 0, 0, 6, 0x00, 0x08};
	check_golden("BYE", m, bye, sizeof bye);

	memset(m, 0, sizeof *m);
	m->type = PL_MSG_AUTH_OK;
	SET(m->u.auth_ok.nick, "al");
	m->u.auth_ok.session = 0x01020304;
	m->u.auth_ok.udp_port = 0x1f90;
	uint8_t auth_ok[48] = {0, 0, 0, 48, 0x80, 0x02, 0, 2, 'a', 'l', 1, 2, 3, 4, 0x1f, 0x90};
	for (int i = 0; i < 32; i++) {
		m->u.auth_ok.voice_key[i] = (uint8_t)(0xe0 + i);
		auth_ok[16 + i] = (uint8_t)(0xe0 + i);
	}
	check_golden("AUTH_OK", m, auth_ok, sizeof auth_ok);

	memset(m, 0, sizeof *m);
	m->type = PL_MSG_USERLIST;
	SET(m->u.userlist.room, "#r");
	m->u.userlist.more = 1;
	m->u.userlist.count = 2;
	SET(m->u.userlist.users[0].nick, "ab");
	m->u.userlist.users[0].session = 1;
	SET(m->u.userlist.users[1].nick, "cd");
	m->u.userlist.users[1].session = 0xffffffffu;
	static const uint8_t userlist[] = {0, 0, 0, 29, 0x80, 0x06, 0, 2, '#', 'r', 1, 0, 2,
					   0, 2, 'a', 'b', 0, 0, 0, 1,
					   0, 2, 'c', 'd', 0xff, 0xff, 0xff, 0xff};
	check_golden("USERLIST", m, userlist, sizeof userlist);

	memset(m, 0, sizeof *m);
	m->type = PL_MSG_TEXT;
	m->u.text.id = 1;
	m->u.text.time_ms = 0x0000018b00000002ull;
	m->u.text.flags = PL_TEXT_OFFLINE;
	SET(m->u.text.target, "#a");
	SET(m->u.text.from, "b");
	SET(m->u.text.text, "c");
	static const uint8_t text[] = {0, 0, 0, 33, 0x80, 0x07, 0, 0, 0, 0, 0, 0, 0, 1,
				       0, 0, 1, 0x8b, 0, 0, 0, 2, 0x02,
				       0, 2, '#', 'a', 0, 1, 'b', 0, 1, 'c'};
	check_golden("TEXT", m, text, sizeof text);

	memset(m, 0, sizeof *m);
	m->type = PL_MSG_ERROR;
	m->u.error.code = 421;
	m->u.error.about = PL_MSG_SAY;
	SET(m->u.error.detail, "x");
	static const uint8_t error[] = {0, 0, 0, 13, 0x80, 0x09, 0x01, 0xa5, 0, 7, 0, 1, 'x'};
	check_golden("ERROR", m, error, sizeof error);

	memset(m, 0, sizeof *m);
	m->type = PL_MSG_SET_PROFILE;
	m->u.profile.what = PL_PROFILE_PICTURE;
	m->u.profile.picture_len = 3;
	memcpy(m->u.profile.picture, "\xff\xd8\xff", 3);
	static const uint8_t set_profile[] = {0, 0, 0, 14, 0x00, 0x0a, 0x02, 0, 0, 0, 3, 0xff, 0xd8, 0xff};
	check_golden("SET_PROFILE", m, set_profile, sizeof set_profile);

	memset(m, 0, sizeof *m);
	m->type = PL_MSG_PROFILE;
	SET(m->u.profile.nick, "al");
	SET(m->u.profile.realname, "A");
	m->u.profile.created_ms = 0x0102030405060708ull;
	m->u.profile.presence = PL_PRESENCE_AWAY;
	SET(m->u.profile.note, "n");
	m->u.profile.picture_len = 1;
	m->u.profile.picture[0] = 0x89;
	static const uint8_t profile[] = {0, 0, 0, 28, 0x80, 0x0a, 0, 2, 'a', 'l', 0, 1, 'A',
					  1, 2, 3, 4, 5, 6, 7, 8, 2, 0, 1, 'n', 0, 1, 0x89};
	check_golden("PROFILE", m, profile, sizeof profile);

	memset(m, 0, sizeof *m);
	m->type = PL_MSG_STATUS_SET;
	m->u.presence.presence = PL_PRESENCE_BUSY;
	SET(m->u.presence.note, "zz");
	static const uint8_t status_set[] = {0, 0, 0, 11, 0x00, 0x0f, 3, 0, 2, 'z', 'z'};
	check_golden("STATUS_SET", m, status_set, sizeof status_set);

	memset(m, 0, sizeof *m);
	m->type = PL_MSG_GROUP;
	m->u.group.id = 9;
	SET(m->u.group.name, "g");
	m->u.group.updated_ms = 5;
	m->u.group.count = 2;
	SET(m->u.group.members[0], "ab");
	SET(m->u.group.members[1], "c");
	static const uint8_t group[] = {0, 0, 0, 30, 0x80, 0x0e, 0, 0, 0, 9, 0, 1, 'g',
					0, 0, 0, 0, 0, 0, 0, 5, 0, 2, 0, 2, 'a', 'b', 0, 1, 'c'};
	check_golden("GROUP", m, group, sizeof group);

	memset(m, 0, sizeof *m);
	m->type = PL_MSG_HISTORY;
	SET(m->u.history.target, "#a");
	m->u.history.before_id = 0x10;
	m->u.history.limit = 200;
	static const uint8_t history[] = {0, 0, 0, 20, 0x00, 0x17, 0, 2, '#', 'a',
					  0, 0, 0, 0, 0, 0, 0, 0x10, 0, 200};
	check_golden("HISTORY", m, history, sizeof history);

	memset(m, 0, sizeof *m);
	m->type = PL_MSG_LIST_END;
	m->u.list_end.about = PL_MSG_CONTACTS_GET;
	m->u.list_end.count = 0x01020304;
	m->u.list_end.more = 0;
	static const uint8_t list_end[] = {0, 0, 0, 13, 0x80, 0x11, 0x00, 0x0e, 1, 2, 3, 4, 0};
	check_golden("LIST_END", m, list_end, sizeof list_end);

	free(m);
}

/* --- field layouts, transcribed from docs/PROTOCOL.md section 4, independently of msg.c --- */

enum {
	F_END = 0,
	F_U8, F_U16, F_U32, F_U64, /* integers, any value */
	F_ENUM,  /* u8 in 0..max */
	F_MASK,  /* u8 with no bit outside max */
	F_STR,   /* u16 length, at most max bytes, no NUL */
	F_BLOB,  /* u16 length, at most max bytes, anything */
	F_KEY,   /* 32 raw bytes */
};

struct fld {
	uint8_t kind;
	uint64_t val;  /* integers: the value written by default */
	size_t max;
	size_t off;    /* strings: offsetof in struct pl_msg */
	const char *name;
};

struct layout {
	uint16_t type;
	struct fld f[8];
};

#define I(k, v) {k, v, 0, 0, #k}
#define E(v, mx, nm) {F_ENUM, v, mx, 0, nm}
#define MASK(v, mx, nm) {F_MASK, v, mx, 0, nm}
#define S(member, mx) {F_STR, 0, mx, offsetof(struct pl_msg, u.member), #member}
#define PICTURE {F_BLOB, 0, PL_PICTURE_MAX, 0, "picture"}

static const struct layout layouts[] = {
	{PL_MSG_HELLO, {I(F_U16, 1), S(hello.client, PL_VERSION_STR_MAX)}},
	{PL_MSG_REGISTER, {S(auth.nick, PL_NICK_MAX), S(auth.password, PL_PASSWORD_MAX),
			   S(auth.realname, PL_REALNAME_MAX)}},
	{PL_MSG_LOGIN, {S(auth.nick, PL_NICK_MAX), S(auth.password, PL_PASSWORD_MAX)}},
	{PL_MSG_PONG, {I(F_U64, 0xfedcba9876543210ull)}},
	{PL_MSG_JOIN, {S(join.room, PL_ROOM_MAX)}},
	{PL_MSG_PART, {S(join.room, PL_ROOM_MAX)}},
	{PL_MSG_SAY, {I(F_U32, 99), S(say.target, TARGET_MAX), S(say.text, PL_TEXT_MAX)}},
	{PL_MSG_BYE, {{0}}},
	{PL_MSG_SET_PASSWORD, {S(set_password.old_password, PL_PASSWORD_MAX),
			       S(set_password.new_password, PL_PASSWORD_MAX)}},
	{PL_MSG_SET_PROFILE, {MASK(PL_PROFILE_REALNAME, PL_PROFILE_REALNAME | PL_PROFILE_PICTURE, "what"),
			      S(profile.realname, PL_REALNAME_MAX), PICTURE}},
	{PL_MSG_PROFILE_GET, {S(user.nick, PL_NICK_MAX)}},
	{PL_MSG_CONTACT_ADD, {S(user.nick, PL_NICK_MAX)}},
	{PL_MSG_CONTACT_DEL, {S(user.nick, PL_NICK_MAX)}},
	{PL_MSG_CONTACTS_GET, {{0}}},
	{PL_MSG_STATUS_SET, {E(PL_PRESENCE_AWAY, PL_PRESENCE_MAX, "presence"),
			     S(presence.note, PL_NOTE_MAX)}},
	{PL_MSG_STATUS_GET, {S(user.nick, PL_NICK_MAX)}},
	{PL_MSG_GROUP_CREATE, {S(group_create.name, PL_GROUP_NAME_MAX)}},
	{PL_MSG_GROUP_ADD, {I(F_U32, 3), S(group_add.nick, PL_NICK_MAX)}},
	{PL_MSG_GROUP_QUIT, {I(F_U32, 3)}},
	{PL_MSG_GROUPS_GET, {{0}}},
	{PL_MSG_ROOMS_GET, {{0}}},
	{PL_MSG_NAMES, {S(names.room, PL_ROOM_MAX)}},
	{PL_MSG_HISTORY, {S(history.target, TARGET_MAX), I(F_U64, 1234), I(F_U16, 0)}},
	{PL_MSG_DELIVERED, {I(F_U64, 99)}},
	{PL_MSG_WELCOME, {I(F_U16, 1), S(welcome.server, PL_SERVER_NAME_MAX)}},
	{PL_MSG_AUTH_OK, {S(auth_ok.nick, PL_NICK_MAX), I(F_U32, 5), I(F_U16, 4000), I(F_KEY, 0)}},
	{PL_MSG_PING, {I(F_U64, 1)}},
	{PL_MSG_JOINED, {S(member.room, PL_ROOM_MAX), S(member.nick, PL_NICK_MAX), I(F_U32, 9)}},
	{PL_MSG_PARTED, {S(member.room, PL_ROOM_MAX), S(member.nick, PL_NICK_MAX), I(F_U32, 9)}},
	/* entries are tested on their own (test_lists); count 0 here */
	{PL_MSG_USERLIST, {S(userlist.room, PL_ROOM_MAX), E(1, 1, "more"), I(F_U16, 0)}},
	{PL_MSG_TEXT, {I(F_U64, 5), I(F_U64, 6), I(F_U8, 0xff), S(text.target, TARGET_MAX),
		       S(text.from, PL_NICK_MAX), S(text.text, PL_TEXT_MAX)}},
	{PL_MSG_SAY_OK, {I(F_U32, 1), I(F_U64, 2)}},
	{PL_MSG_ERROR, {I(F_U16, 430), I(F_U16, PL_MSG_JOIN), S(error.detail, PL_DETAIL_MAX)}},
	{PL_MSG_PROFILE, {S(profile.nick, PL_NICK_MAX), S(profile.realname, PL_REALNAME_MAX),
			  I(F_U64, 77), E(PL_PRESENCE_BUSY, PL_PRESENCE_MAX, "presence"),
			  S(profile.note, PL_NOTE_MAX), PICTURE}},
	{PL_MSG_CONTACT_ADDED, {S(presence.nick, PL_NICK_MAX), E(0, PL_PRESENCE_MAX, "presence"),
				S(presence.note, PL_NOTE_MAX)}},
	{PL_MSG_CONTACT_DELETED, {S(user.nick, PL_NICK_MAX)}},
	{PL_MSG_PRESENCE, {S(presence.nick, PL_NICK_MAX), E(1, PL_PRESENCE_MAX, "presence"),
			   S(presence.note, PL_NOTE_MAX)}},
	/* members are tested on their own (test_lists); count 0 here */
	{PL_MSG_GROUP, {I(F_U32, 8), S(group.name, PL_GROUP_NAME_MAX), I(F_U64, 3), I(F_U16, 0)}},
	{PL_MSG_GROUP_MEMBER, {I(F_U32, 8), S(group_member.nick, PL_NICK_MAX), E(1, 1, "joined"),
			       I(F_U64, 3)}},
	{PL_MSG_ROOM_INFO, {S(room_info.name, PL_ROOM_MAX), I(F_U32, 0xffffffffu)}},
	{PL_MSG_LIST_END, {I(F_U16, PL_MSG_GROUPS_GET), I(F_U32, 4), E(0, 1, "more")}},
	{PL_MSG_OK, {I(F_U16, PL_MSG_DELIVERED)}},
};
#define N_LAYOUTS (sizeof layouts / sizeof layouts[0])

static void put_int(uint8_t *p, size_t *n, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--)
		p[(*n)++] = (uint8_t)(v >> (8 * i));
}

/* How lay_build departs from the defaults, for field number `which`. */
struct tweak {
	int which;      /* -1: none */
	size_t len;     /* STR, BLOB: bytes written */
	size_t claim;   /* STR, BLOB: the length field */
	size_t nul_at;  /* STR: a NUL here if < len */
	uint8_t u8;     /* ENUM, MASK: the value */
	bool all_max;   /* every STR and BLOB at its maximum */
};

static const struct tweak no_tweak = {-1, 0, 0, SIZE_MAX, 0, false};

/* A payload for layout l: integers their default value, strings "s<i>", blobs 3 bytes. */
static size_t lay_build(uint8_t *out, const struct layout *l, struct tweak tw)
{
	size_t n = 0;
	for (int i = 0; i < 8 && l->f[i].kind != F_END; i++) {
		const struct fld *f = &l->f[i];
		bool me = i == tw.which;
		switch (f->kind) {
		case F_U8: put_int(out, &n, f->val, 1); break;
		case F_U16: put_int(out, &n, f->val, 2); break;
		case F_U32: put_int(out, &n, f->val, 4); break;
		case F_U64: put_int(out, &n, f->val, 8); break;
		case F_ENUM:
		case F_MASK: put_int(out, &n, me ? tw.u8 : f->val, 1); break;
		case F_KEY:
			for (int k = 0; k < PL_VOICE_KEY_LEN; k++)
				out[n++] = (uint8_t)(k ^ 0x5c);
			break;
		case F_STR:
		case F_BLOB:
			if (me || tw.all_max) {
				size_t len = me ? tw.len : f->max, claim = me ? tw.claim : f->max;
				put_int(out, &n, claim, 2);
				memset(out + n, f->kind == F_STR ? 'a' : 0, len);
				if (me && tw.nul_at < len)
					out[n + tw.nul_at] = '\0';
				n += len;
			} else {
				put_int(out, &n, 2, 2);
				out[n++] = 's';
				out[n++] = (uint8_t)('0' + i);
			}
			break;
		}
	}
	return n;
}

static struct tweak str_tweak(int which, size_t len, size_t claim, size_t nul_at)
{
	struct tweak t = no_tweak;
	t.which = which;
	t.len = len;
	t.claim = claim;
	t.nul_at = nul_at;
	return t;
}

static struct tweak u8_tweak(int which, uint8_t v)
{
	struct tweak t = no_tweak;
	t.which = which;
	t.u8 = v;
	return t;
}

static void test_layouts(void)
{
	static uint8_t pay[BUF_CAP], enc[BUF_CAP];
	struct pl_msg *d = new_msg();

	/* Every type the codec names has exactly one layout, and every layout names a type. */
	for (unsigned t = 0; t <= 0xffff; t++) {
		unsigned seen = 0;
		for (size_t i = 0; i < N_LAYOUTS; i++)
			seen += layouts[i].type == t;
		if (pl_msg_name((uint16_t)t) || seen) {
			test_case("layout coverage 0x%04x", t);
			CHECK(pl_msg_name((uint16_t)t) != NULL);
			CHECK_EQ(seen, 1);
		}
	}

	for (size_t li = 0; li < N_LAYOUTS; li++) {
		const struct layout *l = &layouts[li];
		const char *tn = pl_msg_name(l->type);
		size_t n;

		/* The hand-built payload decodes, and the codec encodes it back to the same bytes:
		 * the codec's field order and widths agree with PROTOCOL.md. */
		test_case("layout %s", tn);
		n = lay_build(pay, l, no_tweak);
		if (CHECK_EQ(decode_copy(d, l->type, pay, n), 0)) {
			CHECK_EQ(pl_msg_encode(d, enc, sizeof enc), (int)(n + PL_FRAME_HDR));
			CHECK_MEM_EQ(enc + PL_FRAME_HDR, pay, n);
		}

		/* Every string and picture at its maximum: still decodes, and no frame is larger
		 * than PL_MSG_ENCODED_MAX says. */
		struct tweak all = no_tweak;
		all.all_max = true;
		test_case("layout %s, everything at its maximum", tn);
		n = lay_build(pay, l, all);
		if (CHECK_EQ(decode_copy(d, l->type, pay, n), 0))
			CHECK_EQ(pl_msg_encode(d, enc, sizeof enc), (int)(n + PL_FRAME_HDR));
		CHECK(n + PL_FRAME_HDR <= PL_MSG_ENCODED_MAX);
		if (l->type == PL_MSG_PROFILE) /* PROTOCOL.md section 2 gives these two sizes */
			CHECK_EQ(n + PL_FRAME_HDR, 8439);
		if (l->type == PL_MSG_SET_PROFILE)
			CHECK_EQ(n + PL_FRAME_HDR, 8267);

		for (int fi = 0; fi < 8 && l->f[fi].kind != F_END; fi++) {
			const struct fld *f = &l->f[fi];
			size_t max = f->max;
			switch (f->kind) {
			case F_STR:
			case F_BLOB: {
				const char *what = f->kind == F_STR ? "string" : "picture";
				test_case("%s.%s at max %zu", tn, f->name, max);
				n = lay_build(pay, l, str_tweak(fi, max, max, SIZE_MAX));
				if (CHECK_EQ(decode_copy(d, l->type, pay, n), 0)) {
					if (f->kind == F_STR)
						CHECK_EQ(strlen((const char *)d + f->off), max);
					else
						CHECK_EQ(d->u.profile.picture_len, max);
					CHECK_EQ(pl_msg_encode(d, enc, sizeof enc), (int)(n + PL_FRAME_HDR));
				}
				test_case("%s.%s empty", tn, f->name);
				n = lay_build(pay, l, str_tweak(fi, 0, 0, SIZE_MAX));
				CHECK_EQ(decode_copy(d, l->type, pay, n), 0);

				test_case("%s.%s oversize %s %zu", tn, f->name, what, max + 1);
				n = lay_build(pay, l, str_tweak(fi, max + 1, max + 1, SIZE_MAX));
				CHECK_EQ(decode_copy(d, l->type, pay, n), -EBADMSG);

				test_case("%s.%s length 0xffff", tn, f->name);
				n = lay_build(pay, l, str_tweak(fi, max, 0xffff, SIZE_MAX));
				CHECK_EQ(decode_copy(d, l->type, pay, n), -EBADMSG);

				/* A length claiming one byte more than is there (the rest shifts). */
				test_case("%s.%s length +1", tn, f->name);
				n = lay_build(pay, l, str_tweak(fi, 3, 4, SIZE_MAX));
				CHECK_EQ(decode_copy(d, l->type, pay, n), -EBADMSG);
				break;
			}
			case F_ENUM:
				test_case("%s.%s = %zu (max)", tn, f->name, max);
				n = lay_build(pay, l, u8_tweak(fi, (uint8_t)max));
				CHECK_EQ(decode_copy(d, l->type, pay, n), 0);
				test_case("%s.%s = %zu", tn, f->name, max + 1);
				n = lay_build(pay, l, u8_tweak(fi, (uint8_t)(max + 1)));
				CHECK_EQ(decode_copy(d, l->type, pay, n), -EBADMSG);
				test_case("%s.%s = 0xff", tn, f->name);
				n = lay_build(pay, l, u8_tweak(fi, 0xff));
				CHECK_EQ(decode_copy(d, l->type, pay, n), -EBADMSG);
				break;
			case F_MASK:
				for (unsigned bit = 0; bit < 8; bit++) {
					bool allowed = (max >> bit) & 1;
					test_case("%s.%s bit 0x%02x", tn, f->name, 1u << bit);
					n = lay_build(pay, l, u8_tweak(fi, (uint8_t)(1u << bit)));
					CHECK_EQ(decode_copy(d, l->type, pay, n), allowed ? 0 : -EBADMSG);
				}
				test_case("%s.%s all allowed bits and none", tn, f->name);
				n = lay_build(pay, l, u8_tweak(fi, (uint8_t)max));
				CHECK_EQ(decode_copy(d, l->type, pay, n), 0);
				n = lay_build(pay, l, u8_tweak(fi, 0));
				CHECK_EQ(decode_copy(d, l->type, pay, n), 0);
				break;
			default:
				break;
			}
			if (f->kind != F_STR)
				continue;

			const size_t nuls[] = {0, max / 2, max - 1};
			for (size_t k = 0; k < 3; k++) {
				test_case("%s.%s NUL at %zu", tn, f->name, nuls[k]);
				n = lay_build(pay, l, str_tweak(fi, max, max, nuls[k]));
				CHECK_EQ(decode_copy(d, l->type, pay, n), -EBADMSG);
			}
			test_case("%s.%s single NUL", tn, f->name);
			n = lay_build(pay, l, str_tweak(fi, 1, 1, 0));
			CHECK_EQ(decode_copy(d, l->type, pay, n), -EBADMSG);
		}
	}
	free(d);
}

/*
 * Encoding a string field longer than its maximum fails with -EMSGSIZE. A well-formed struct
 * cannot hold one (each array is max + 1 bytes), so the field is left unterminated, as a caller
 * that memcpy'd a too-long name would leave it: its strlen then runs on into the following bytes
 * of the struct (all 'a', with a NUL at the very end), which is more than max.
 */
static void test_encode_overlong(void)
{
	static uint8_t buf[BUF_CAP];
	struct pl_msg *m = new_msg();
	for (size_t li = 0; li < N_LAYOUTS; li++) {
		const struct layout *l = &layouts[li];
		for (int fi = 0; fi < 8 && l->f[fi].kind != F_END; fi++) {
			const struct fld *f = &l->f[fi];
			if (f->kind != F_STR)
				continue;
			memset(m, 'a', sizeof *m);
			((char *)m)[sizeof *m - 1] = '\0';
			m->type = l->type;
			for (int oi = 0; oi < 8 && l->f[oi].kind != F_END; oi++)
				if (oi != fi && l->f[oi].kind == F_STR)
					strcpy((char *)m + l->f[oi].off, "ok");
			/* Counts, sizes and enums in range, so only the string is wrong. (Only
			 * this type's: the union's members overlap.) */
			switch (l->type) {
			case PL_MSG_USERLIST: m->u.userlist.more = 0; m->u.userlist.count = 0; break;
			case PL_MSG_GROUP: m->u.group.count = 0; break;
			case PL_MSG_SET_PROFILE:
			case PL_MSG_PROFILE:
				m->u.profile.what = 0;
				m->u.profile.presence = 0;
				m->u.profile.picture_len = 0;
				break;
			case PL_MSG_STATUS_SET:
			case PL_MSG_PRESENCE:
			case PL_MSG_CONTACT_ADDED: m->u.presence.presence = 0; break;
			case PL_MSG_GROUP_MEMBER: m->u.group_member.joined = 0; break;
			default: break;
			}
			const char *field = (const char *)m + f->off;
			test_case("encode over-long %s.%s", pl_msg_name(l->type), f->name);
			if (!CHECK(strlen(field) > f->max)) /* the setup did what it meant to */
				continue;
			CHECK_EQ(pl_msg_encode(m, buf, sizeof buf), -EMSGSIZE);
		}
	}

	/* The over-long nick of a list entry. */
	memset(m, 'a', sizeof *m);
	((char *)m)[sizeof *m - 1] = '\0';
	m->type = PL_MSG_USERLIST;
	SET(m->u.userlist.room, "#r");
	m->u.userlist.more = 0;
	m->u.userlist.count = 1;
	test_case("encode over-long USERLIST entry nick");
	CHECK(strlen(m->u.userlist.users[0].nick) > PL_NICK_MAX);
	CHECK_EQ(pl_msg_encode(m, buf, sizeof buf), -EMSGSIZE);

	memset(m, 'a', sizeof *m);
	((char *)m)[sizeof *m - 1] = '\0';
	m->type = PL_MSG_GROUP;
	SET(m->u.group.name, "g");
	m->u.group.count = 2;
	SET(m->u.group.members[0], "ok");
	test_case("encode over-long GROUP member");
	CHECK(strlen(m->u.group.members[1]) > PL_NICK_MAX);
	CHECK_EQ(pl_msg_encode(m, buf, sizeof buf), -EMSGSIZE);

	/* Pictures and lists over their maxima. */
	static const uint16_t pic_types[] = {PL_MSG_SET_PROFILE, PL_MSG_PROFILE};
	for (size_t i = 0; i < 2; i++) {
		memset(m, 0, sizeof *m);
		m->type = pic_types[i];
		m->u.profile.picture_len = PL_PICTURE_MAX + 1;
		test_case("encode %s picture_len %d", pl_msg_name(pic_types[i]), PL_PICTURE_MAX + 1);
		CHECK_EQ(pl_msg_encode(m, buf, sizeof buf), -EMSGSIZE);
		m->u.profile.picture_len = 0xffff;
		CHECK_EQ(pl_msg_encode(m, buf, sizeof buf), -EMSGSIZE);
	}
	memset(m, 0, sizeof *m);
	b_userlist_3(m);
	test_case("encode USERLIST count 65");
	m->u.userlist.count = PL_USERLIST_CHUNK + 1;
	CHECK_EQ(pl_msg_encode(m, buf, sizeof buf), -EMSGSIZE);
	test_case("encode USERLIST more 2");
	m->u.userlist.count = 3;
	m->u.userlist.more = 2;
	CHECK_EQ(pl_msg_encode(m, buf, sizeof buf), -EMSGSIZE);
	memset(m, 0, sizeof *m);
	b_group(m);
	test_case("encode GROUP count 65");
	m->u.group.count = PL_GROUP_MEMBERS_MAX + 1;
	CHECK_EQ(pl_msg_encode(m, buf, sizeof buf), -EMSGSIZE);
	free(m);
}

/* Every capacity short of the frame fails with -EMSGSIZE and writes nothing past cap. */
static void test_encode_cap(void)
{
	static uint8_t full[BUF_CAP];
	struct pl_msg *m = new_msg();
	for (size_t i = 0; i < N_RT; i++) {
		memset(m, 0, sizeof *m);
		rt_cases[i].build(m);
		int n = pl_msg_encode(m, full, sizeof full);
		if (n < 0)
			continue;
		test_case("encode cap %s", rt_cases[i].name);
		size_t bad = 0;
		uint8_t *b = malloc((size_t)n + 16);
		for (size_t cap = 0; cap < (size_t)n; cap++) {
			memset(b + cap, 0xee, 16);
			int rc = pl_msg_encode(m, b, cap);
			bool guard_ok = true;
			for (size_t k = cap; k < cap + 16; k++)
				guard_ok &= b[k] == 0xee;
			if ((rc != -EMSGSIZE || !guard_ok) && bad++ == 0) {
				test_case("encode cap %s: cap %zu of %d", rt_cases[i].name, cap, n);
				CHECK_EQ(rc, -EMSGSIZE);
				CHECK(guard_ok);
			}
		}
		CHECK_EQ(bad, 0);
		free(b);
		b = malloc((size_t)n);
		CHECK_EQ(pl_msg_encode(m, b, (size_t)n), n);
		CHECK_MEM_EQ(b, full, (size_t)n);
		free(b);
	}
	free(m);
}

static void test_unknown_type(void)
{
	static const uint16_t types[] = {0x0000, 0x0019, 0x00ff, 0x7fff, 0x8000, 0x8013, 0xffff};
	static uint8_t buf[BUF_CAP];
	static const uint8_t payload[] = {0, 1, 'x'};
	struct pl_msg *m = new_msg();
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		memset(m, 0, sizeof *m);
		test_case("unknown type 0x%04x", types[i]);
		CHECK_EQ(pl_msg_decode(m, types[i], payload, sizeof payload), -EPROTO);
		CHECK_EQ(pl_msg_decode(m, types[i], payload, 0), -EPROTO);
		m->type = types[i];
		CHECK_EQ(pl_msg_encode(m, buf, sizeof buf), -EPROTO);
		CHECK(pl_msg_name(types[i]) == NULL);
	}
	free(m);
}

/* USERLIST and GROUP: a count, then that many entries. */
static void test_lists(void)
{
	static uint8_t p[BUF_CAP];
	struct pl_msg *d = new_msg();
	struct list_case {
		const char *name;
		uint8_t more;      /* USERLIST only */
		uint16_t count;
		unsigned entries;
		size_t nick_len;   /* of the last entry */
		bool nick_nul;     /* a NUL inside the last entry's nick */
		int want;
	};
	static const struct list_case cases[] = {
		{"count=0", 0, 0, 0, 4, false, 0},
		{"more=2", 2, 0, 0, 4, false, -EBADMSG},
		{"more=0xff", 0xff, 0, 0, 4, false, -EBADMSG},
		{"count=64 with 64", 1, 64, 64, 4, false, 0},
		{"count=65 with 65", 0, 65, 65, 4, false, -EBADMSG},
		{"count=0xffff", 0, 0xffff, 65, 4, false, -EBADMSG},
		{"count=64 with 63", 1, 64, 63, 4, false, -EBADMSG},
		{"count=3 with 2", 0, 3, 2, 4, false, -EBADMSG},
		{"count=2 with 3", 0, 2, 3, 4, false, -EBADMSG},
		{"count=1 with 0", 0, 1, 0, 4, false, -EBADMSG},
		{"entry nick at max", 0, 2, 2, PL_NICK_MAX, false, 0},
		{"entry nick over max", 0, 2, 2, PL_NICK_MAX + 1, false, -EBADMSG},
		{"entry nick with NUL", 0, 2, 2, 8, true, -EBADMSG},
		{"entry nick empty", 0, 1, 1, 0, false, 0},
	};
	for (int group = 0; group <= 1; group++) {
		for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			const struct list_case *c = &cases[i];
			if (group && c->more > 1)
				continue; /* GROUP has no `more` */
			size_t n = 0;
			if (group) {
				put_int(p, &n, 42, 4);
				put_int(p, &n, 1, 2);
				p[n++] = 'g';
				put_int(p, &n, 1700000000000ull, 8);
			} else {
				put_int(p, &n, 2, 2);
				p[n++] = '#';
				p[n++] = 'r';
				p[n++] = c->more;
			}
			put_int(p, &n, c->count, 2);
			for (unsigned e = 0; e < c->entries; e++) {
				size_t len = e + 1 == c->entries ? c->nick_len : 4;
				put_int(p, &n, len, 2);
				memset(p + n, 'n', len);
				if (e + 1 == c->entries && c->nick_nul)
					p[n + len / 2] = '\0';
				n += len;
				if (!group)
					put_int(p, &n, e, 4); /* session */
			}
			uint16_t type = group ? PL_MSG_GROUP : PL_MSG_USERLIST;
			test_case("%s %s", pl_msg_name(type), c->name);
			CHECK_EQ(decode_copy(d, type, p, n), c->want);
		}
	}
	free(d);
}

/* The encoder refuses what the decoder would reject, so a peer never receives a frame that makes it
 * close the connection (ERROR 420). */
static void test_encode_rejects_bad_values(void)
{
	static struct pl_msg m;
	uint8_t buf[PL_MSG_ENCODED_MAX];
	test_case("encode: PRESENCE with presence 4");
	memset(&m, 0, sizeof m);
	m.type = PL_MSG_PRESENCE;
	snprintf(m.u.presence.nick, sizeof m.u.presence.nick, "bob");
	m.u.presence.presence = PL_PRESENCE_MAX + 1;
	CHECK_EQ(pl_msg_encode(&m, buf, sizeof buf), -EINVAL);
	m.type = PL_MSG_STATUS_SET;
	CHECK_EQ(pl_msg_encode(&m, buf, sizeof buf), -EINVAL);
	m.type = PL_MSG_CONTACT_ADDED;
	CHECK_EQ(pl_msg_encode(&m, buf, sizeof buf), -EINVAL);

	test_case("encode: PROFILE with presence 4");
	memset(&m, 0, sizeof m);
	m.type = PL_MSG_PROFILE;
	m.u.profile.presence = PL_PRESENCE_MAX + 1;
	CHECK_EQ(pl_msg_encode(&m, buf, sizeof buf), -EINVAL);

	test_case("encode: SET_PROFILE with an unknown mask bit");
	memset(&m, 0, sizeof m);
	m.type = PL_MSG_SET_PROFILE;
	m.u.profile.what = 0x04;
	CHECK_EQ(pl_msg_encode(&m, buf, sizeof buf), -EINVAL);

	test_case("encode: GROUP_MEMBER with joined 2");
	memset(&m, 0, sizeof m);
	m.type = PL_MSG_GROUP_MEMBER;
	m.u.group_member.joined = 2;
	CHECK_EQ(pl_msg_encode(&m, buf, sizeof buf), -EINVAL);

	test_case("encode: LIST_END with more 2");
	memset(&m, 0, sizeof m);
	m.type = PL_MSG_LIST_END;
	m.u.list_end.more = 2;
	CHECK_EQ(pl_msg_encode(&m, buf, sizeof buf), -EINVAL);

	test_case("encode: the same messages with valid values encode");
	m.u.list_end.more = 1;
	CHECK(pl_msg_encode(&m, buf, sizeof buf) > 0);
}

int main(void)
{
	test_round_trips();
	test_type_coverage();
	test_truncated_and_trailing();
	test_golden();
	test_layouts();
	test_encode_overlong();
	test_encode_cap();
	test_unknown_type();
	test_lists();
	test_encode_rejects_bad_values();
	return test_done();
}
