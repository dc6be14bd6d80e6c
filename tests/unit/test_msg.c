/*
 * Unit tests for core/msg: every signalling message round-trips; every malformed payload is
 * refused with the documented error.
 *
 * Here the codec is checked against itself: a table of realistic and maximal messages, and every
 * described type filled to its maximum and its minimum from the description; test_msg_wire.c
 * checks it against the wire format as docs/PROTOCOL.md writes it, and test_msg_doc.c checks
 * PROTOCOL.md's tables against the description.
 */
#include "core/msg.h"

#include <errno.h>
#include <stdlib.h>

#include "core/buf.h"
#include "core/frame.h"
#include "msg_util.h"
#include "test.h"

#define BUF_CAP PL_FRAME_MAX_HARD


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
/* n bytes of a key or signature: varied, NULs included. */
static void fill_key(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 37 + seed);
}
static void b_register(struct pl_msg *m)
{
	m->type = PL_MSG_REGISTER;
	SET(m->u.auth.nick, "alice");
	SET(m->u.auth.password, "correct horse battery staple");
	SET(m->u.auth.realname, "Alice Liddell");
	fill_key(m->u.auth.device_key, PL_DEVICE_KEY_LEN, 1);
	SET(m->u.auth.device_name, "laptop");
}
static void b_register_max(struct pl_msg *m)
{
	m->type = PL_MSG_REGISTER;
	fill_str(m->u.auth.nick, PL_NICK_MAX, "Zo\xc3\xab");
	fill_str(m->u.auth.password, PL_PASSWORD_MAX, "p4ss w\xc3\xb6rd!\"#");
	fill_str(m->u.auth.realname, PL_REALNAME_MAX, "Zo\xc3\xab \xe6\x97\xa5\xe6\x9c\xac ");
	memset(m->u.auth.device_key, 0xff, PL_DEVICE_KEY_LEN);
	fill_str(m->u.auth.device_name, PL_DEVICE_NAME_MAX, "T\xc3\xa9l\xc3\xa9phone ");
}
static void b_login(struct pl_msg *m)
{
	m->type = PL_MSG_LOGIN;
	SET(m->u.auth.nick, "bob");
	SET(m->u.auth.password, "hunter2hunter2");
	/* device_key all zero: a client with no device identity */
}
static void b_login_max(struct pl_msg *m)
{
	m->type = PL_MSG_LOGIN;
	fill_str(m->u.auth.nick, PL_NICK_MAX, "b");
	fill_str(m->u.auth.password, PL_PASSWORD_MAX, "\xf0\x9f\x94\x91");
	fill_key(m->u.auth.device_key, PL_DEVICE_KEY_LEN, 200);
	fill_str(m->u.auth.device_name, PL_DEVICE_NAME_MAX, "d");
}
static void b_login_key(struct pl_msg *m)
{
	m->type = PL_MSG_LOGIN_KEY;
	SET(m->u.login_key.nick, "alice");
	fill_key(m->u.login_key.device_key, PL_DEVICE_KEY_LEN, 1);
	fill_key(m->u.login_key.sig, PL_SIG_LEN, 99);
}
static void b_login_key_max(struct pl_msg *m)
{
	m->type = PL_MSG_LOGIN_KEY;
	fill_str(m->u.login_key.nick, PL_NICK_MAX, "\xc3\xa5");
	memset(m->u.login_key.device_key, 0xff, PL_DEVICE_KEY_LEN);
	memset(m->u.login_key.sig, 0, PL_SIG_LEN); /* zeros: bytes, not a string */
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
	fill_str(m->u.say.target + 1, PL_TARGET_MAX - 1, "t");
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
static void b_devices_get(struct pl_msg *m) { m->type = PL_MSG_DEVICES_GET; }
static void b_device_revoke(struct pl_msg *m)
{
	m->type = PL_MSG_DEVICE_REVOKE;
	fill_key(m->u.device_revoke.key, PL_DEVICE_KEY_LEN, 7);
}
static void b_keys_get(struct pl_msg *m)
{
	m->type = PL_MSG_KEYS_GET;
	SET(m->u.user.nick, "carol");
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
	fill_str(m->u.history.target, PL_TARGET_MAX, "h");
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
	fill_key(m->u.welcome.challenge, PL_CHALLENGE_LEN, 11);
}
static void b_welcome_max(struct pl_msg *m)
{
	m->type = PL_MSG_WELCOME;
	m->u.welcome.version = 0xffff;
	fill_str(m->u.welcome.server, PL_SERVER_NAME_MAX, "s\xc3\xb8rver ");
	memset(m->u.welcome.challenge, 0xff, PL_CHALLENGE_LEN);
}
static void b_auth_ok(struct pl_msg *m)
{
	m->type = PL_MSG_AUTH_OK;
	SET(m->u.auth_ok.nick, "alice");
	m->u.auth_ok.session = 0x0000000100000002ull; /* above 2^32, as v2 allows */
	m->u.auth_ok.udp_port = 64738;
	fill_key(m->u.auth_ok.voice_key, PL_VOICE_KEY_LEN, 3);
	m->u.auth_ok.flags = PL_AUTH_DEVICE_ADDED;
	m->u.auth_ok.stun_port = 3478;
}
static void b_auth_ok_max(struct pl_msg *m)
{
	m->type = PL_MSG_AUTH_OK;
	fill_str(m->u.auth_ok.nick, PL_NICK_MAX, "\xe6\x97\xa5");
	m->u.auth_ok.session = UINT64_MAX;
	m->u.auth_ok.udp_port = 65535;
	memset(m->u.auth_ok.voice_key, 0, PL_VOICE_KEY_LEN); /* zeros: the key is bytes, not a string */
	m->u.auth_ok.flags = 0;
	m->u.auth_ok.stun_port = 65535;
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
	m->u.member.session = UINT64_MAX;
	m->u.member.reason = PL_PART_QUIT;
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
		m->u.userlist.users[i].session = (uint64_t)(100 + i) << 32 | 7;
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
		e->session = 0xfffffffffffff000ull + (uint64_t)i;
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
	fill_str(m->u.text.target, PL_TARGET_MAX, "bob");
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
static void b_topic(struct pl_msg *m)
{
	m->type = PL_MSG_TOPIC;
	SET(m->u.topic.room, "#tea");
	m->u.topic.set = 1;
	SET(m->u.topic.text, "Darjeeling on Fridays \xe2\x98\x95");
}

static void b_topic_ask(struct pl_msg *m)
{
	m->type = PL_MSG_TOPIC;
	SET(m->u.topic.room, "#tea");
}

static void b_room_topic(struct pl_msg *m)
{
	m->type = PL_MSG_ROOM_TOPIC;
	SET(m->u.topic.room, "#tea");
	SET(m->u.topic.text, "Darjeeling on Fridays");
	SET(m->u.topic.by, "alice");
	m->u.topic.time_ms = 1796198400000ull;
}

static void b_call_cand(struct pl_msg *m)
{
	m->type = PL_MSG_CALL_CAND;
	m->u.cand.id = 0x1122334455667788ull;
	m->u.cand.len = 5;
	memcpy(m->u.cand.desc, (const uint8_t[]){1, 0, 4, 0x61, 0x62}, 5);
}

static void b_call_cand_max(struct pl_msg *m)
{
	m->type = PL_MSG_CALL_CAND;
	m->u.cand.id = UINT64_MAX;
	m->u.cand.len = PL_CALL_CAND_MAX;
	memset(m->u.cand.desc, 0xa5, PL_CALL_CAND_MAX);
}

static void b_call_peer_cand(struct pl_msg *m)
{
	b_call_cand(m);
	m->type = PL_MSG_CALL_PEER_CAND;
	m->u.cand.session = 0x100000002ull;
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
static void b_device(struct pl_msg *m)
{
	m->type = PL_MSG_DEVICE;
	SET(m->u.device.nick, "alice");
	fill_key(m->u.device.key, PL_DEVICE_KEY_LEN, 1);
	SET(m->u.device.name, "laptop");
	m->u.device.added_ms = 1700000000000ull;
	m->u.device.last_seen_ms = 1700000900000ull;
	m->u.device.flags = PL_DEVICE_THIS;
}
static void b_device_max(struct pl_msg *m)
{
	m->type = PL_MSG_DEVICE;
	fill_str(m->u.device.nick, PL_NICK_MAX, "\xc3\xb8");
	memset(m->u.device.key, 0, PL_DEVICE_KEY_LEN);
	fill_str(m->u.device.name, PL_DEVICE_NAME_MAX, "phone \xf0\x9f\x93\xb1");
	m->u.device.added_ms = UINT64_MAX;
	m->u.device.last_seen_ms = UINT64_MAX;
	m->u.device.flags = PL_DEVICE_THIS | PL_DEVICE_REVOKED;
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

static const struct rt_case rt_old_cases[] = {
	{"HELLO", b_hello},
	{"HELLO max", b_hello_max},
	{"REGISTER", b_register},
	{"REGISTER max", b_register_max},
	{"LOGIN", b_login},
	{"LOGIN max", b_login_max},
	{"LOGIN_KEY", b_login_key},
	{"LOGIN_KEY max", b_login_key_max},
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
	{"DEVICES_GET", b_devices_get},
	{"DEVICE_REVOKE", b_device_revoke},
	{"KEYS_GET", b_keys_get},
	{"CONTACT_ANSWER accept", b_contact_answer},
	{"CONTACT_ANSWER refuse max", b_contact_answer_refuse},
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
	{"PROFILE busy", b_profile_busy},
	{"CONTACT_ADDED", b_contact_added},
	{"CONTACT_DELETED", b_contact_deleted},
	{"PRESENCE max", b_presence_max},
	{"GROUP", b_group},
	{"GROUP 64 max", b_group_max},
	{"GROUP empty", b_group_empty},
	{"GROUP_MEMBER joined", b_group_member},
	{"GROUP_MEMBER quit", b_group_member_quit},
	{"ROOM_INFO", b_room_info},
	{"TOPIC set", b_topic},
	{"TOPIC ask", b_topic_ask},
	{"ROOM_TOPIC", b_room_topic},
	{"CALL_CAND", b_call_cand},
	{"CALL_CAND max", b_call_cand_max},
	{"CALL_PEER_CAND", b_call_peer_cand},
	{"LIST_END", b_list_end},
	{"OK", b_ok},
	{"DEVICE", b_device},
	{"DEVICE max", b_device_max},
	{"CONTACT_REQUEST incoming", b_contact_request},
	{"CONTACT_REQUEST refused max", b_contact_request_refused},
};
#define N_OLD (sizeof rt_old_cases / sizeof rt_old_cases[0])
/* The older messages' cases here, the call messages' from msg_cases_call.c and the rendezvous
 * messages' from msg_cases_rdv.c, as one table. */
static struct rt_case rt_cases[N_OLD + 64];
static size_t N_RT;

static void gather_cases(void)
{
	memcpy(rt_cases, rt_old_cases, sizeof rt_old_cases);
	N_RT = N_OLD;
	for (size_t i = 0; i < msg_call_ncases && N_RT < sizeof rt_cases / sizeof rt_cases[0]; i++)
		rt_cases[N_RT++] = msg_call_cases[i];
	for (size_t i = 0; i < msg_rdv_ncases && N_RT < sizeof rt_cases / sizeof rt_cases[0]; i++)
		rt_cases[N_RT++] = msg_rdv_cases[i];
}


/* Members a message does not carry (PL_FIELD_ABSENT) are zero after a decode, never stale. */
static void check_absent_cleared(const struct pl_msg *d)
{
	const struct pl_msg_desc *desc = pl_msg_describe(d->type);
	for (unsigned i = 0; desc && i < desc->nfields; i++) {
		const struct pl_msg_field *f = &desc->fields[i];
		if (f->kind != PL_FIELD_ABSENT)
			continue;
		const uint8_t *p = (const uint8_t *)d + f->off;
		size_t nonzero = 0;
		for (size_t k = 0; k < f->size; k++)
			nonzero += p[k] != 0;
		if (!CHECK_EQ(nonzero, 0))
			fprintf(stderr, "  %s left in %s\n", f->name, desc->name);
	}
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
		check_absent_cleared(d);
		/* The members of shared structs that a message does not carry, written out here
		 * too: a description that forgot to mark one ABSENT would leave it stale. */
		if (m->type == PL_MSG_LOGIN)
			CHECK_STR_EQ(d->u.auth.realname, "");
		if (m->type == PL_MSG_STATUS_SET)
			CHECK_STR_EQ(d->u.presence.nick, "");
		if (m->type == PL_MSG_SET_PROFILE) {
			CHECK_STR_EQ(d->u.profile.nick, "");
			CHECK_STR_EQ(d->u.profile.note, "");
			CHECK(d->u.profile.created_ms == 0 && d->u.profile.presence == 0);
		}
		if (m->type == PL_MSG_PROFILE)
			CHECK_EQ(d->u.profile.what, 0);
		if (m->type == PL_MSG_CONTACT_ANSWER)
			CHECK_EQ(d->u.contact_req.kind, 0);
		if (m->type == PL_MSG_CONTACT_REQUEST)
			CHECK_EQ(d->u.contact_req.accept, 0);

		/* Encoding what was decoded gives the same bytes. */
		CHECK_EQ(pl_msg_encode(d, buf2, sizeof buf2), n);
		CHECK_MEM_EQ(buf2, buf, (size_t)n);
	}
	free(m);
	free(d);
}

/*
 * Every described type at its maximum (every string, picture and list full) and its minimum
 * (empty, zero) round-trips, and no frame is larger than PL_MSG_ENCODED_MAX. The largest is the
 * PROFILE with a full picture that docs/PROTOCOL.md section 2 sizes: a new message that outgrew it
 * would fail here before a peer's frame limit refused it.
 */
static void test_extremes(void)
{
	static uint8_t buf[BUF_CAP];
	struct pl_msg *m = new_msg(), *d = new_msg();
	int largest = 0;
	uint16_t largest_type = 0;
	for (unsigned t = 0; t <= 0xffff; t++) {
		if (!pl_msg_describe((uint16_t)t))
			continue;
		for (int max = 0; max <= 1; max++) {
			test_case("%s at its %s", pl_msg_name((uint16_t)t), max ? "maximum" : "minimum");
			memset(m, 0, sizeof *m);
			m->type = (uint16_t)t;
			fill_from_desc(m, max);
			int n = pl_msg_encode(m, buf, sizeof buf);
			if (!CHECK(n >= PL_FRAME_HDR))
				continue;
			CHECK(n <= PL_MSG_ENCODED_MAX);
			memset(d, 0x5a, sizeof *d);
			if (CHECK_EQ(decode_copy(d, m->type, buf + PL_FRAME_HDR, (size_t)n - PL_FRAME_HDR), 0)) {
				const char *diff = msg_diff(m, d);
				if (!CHECK(diff == NULL))
					fprintf(stderr, "  first differing field: %s\n", diff);
				check_absent_cleared(d);
			}
			if (n > largest) {
				largest = n;
				largest_type = (uint16_t)t;
			}
		}
	}
	test_case("the largest message");
	CHECK_EQ(largest_type, PL_MSG_PROFILE);
	CHECK_EQ(largest, 8439);
	free(m);
	free(d);
}

/* The description itself: one per type, found under its own type, with usable fields. */
static void test_descriptions(void)
{
	const char *seen[256] = {0};
	size_t nseen = 0;
	for (unsigned t = 0; t <= 0xffff; t++) {
		const struct pl_msg_desc *d = pl_msg_describe((uint16_t)t);
		if (!d)
			continue;
		test_case("description of 0x%04x", t);
		CHECK_EQ(d->type, t);
		CHECK(d->name && d->name[0]);
		CHECK((d->nfields == 0) == (d->fields == NULL));
		for (size_t k = 0; k < nseen; k++)
			CHECK(strcmp(seen[k], d->name) != 0);
		if (CHECK(nseen < sizeof seen / sizeof seen[0]))
			seen[nseen++] = d->name;
		for (unsigned i = 0; i < d->nfields; i++) {
			const struct pl_msg_field *f = &d->fields[i];
			test_case("%s field %u (%s)", d->name, i, f->name ? f->name : "?");
			CHECK(f->name && f->name[0]);
			CHECK(f->kind <= PL_FIELD_ABSENT);
			CHECK(f->off + f->size <= sizeof(struct pl_msg));
			if (f->kind == PL_FIELD_LIST)
				CHECK(f->nentry > 0 && f->entry && f->stride > 0 &&
				      f->data + (size_t)f->max * f->stride <= sizeof(struct pl_msg));
			if (f->kind == PL_FIELD_BYTES)
				CHECK(f->data + (size_t)f->max <= sizeof(struct pl_msg));
			if (f->kind == PL_FIELD_ENUM || f->kind == PL_FIELD_FLAGS)
				CHECK(f->max <= 0xff);
		}
	}
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
	CHECK_STR_EQ(pl_msg_name(PL_MSG_LOGIN_KEY), "LOGIN_KEY");
	CHECK_STR_EQ(pl_msg_name(PL_MSG_CONTACT_REQUEST), "CONTACT_REQUEST");
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
	static const uint16_t types[] = {0x0000, 0x0030, 0x003f, 0x0040, 0x00ff, 0x7fff,
					 0x8000, 0x8030, 0x803f, 0x8040, 0xc001, 0xffff};
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
		CHECK(pl_msg_describe(types[i]) == NULL);
	}
	free(m);
}

/*
 * The encoder refuses what the decoder would reject, so a peer never receives a frame that makes
 * it close the connection (ERROR 420): every enum past its largest value and every undefined flag
 * bit is -EINVAL, every picture and list past its maximum -EMSGSIZE (msg.h). test_msg_wire.c
 * does the same for strings over their maxima.
 */
static void test_encode_out_of_range(void)
{
	static uint8_t buf[BUF_CAP];
	struct pl_msg *m = new_msg();
	for (unsigned t = 0; t <= 0xffff; t++) {
		const struct pl_msg_desc *d = pl_msg_describe((uint16_t)t);
		for (unsigned i = 0; d && i < d->nfields; i++) {
			const struct pl_msg_field *f = &d->fields[i];
			uint8_t *at = (uint8_t *)m + f->off;
			memset(m, 0, sizeof *m);
			m->type = (uint16_t)t;
			switch (f->kind) {
			case PL_FIELD_ENUM:
				test_case("encode %s.%s = %u", d->name, f->name, (unsigned)f->max);
				*at = (uint8_t)f->max;
				CHECK(pl_msg_encode(m, buf, sizeof buf) > 0);
				for (unsigned v = f->max + 1; v <= 0xff; v++) {
					test_case("encode %s.%s = %u", d->name, f->name, v);
					*at = (uint8_t)v;
					CHECK_EQ(pl_msg_encode(m, buf, sizeof buf), -EINVAL);
				}
				break;
			case PL_FIELD_FLAGS:
				for (unsigned bit = 0; bit < 8; bit++) {
					test_case("encode %s.%s bit 0x%02x", d->name, f->name, 1u << bit);
					*at = (uint8_t)(1u << bit);
					int rc = pl_msg_encode(m, buf, sizeof buf);
					if ((f->max >> bit) & 1)
						CHECK(rc > 0);
					else
						CHECK_EQ(rc, -EINVAL);
				}
				break;
			case PL_FIELD_BYTES:
			case PL_FIELD_LIST: {
				const uint16_t over[] = {(uint16_t)(f->max + 1), 0xffff};
				for (size_t k = 0; k < 2; k++) {
					uint16_t v = over[k];
					test_case("encode %s.%s %u over %u", d->name, f->name, v, (unsigned)f->max);
					memcpy(at, &v, sizeof v);
					CHECK_EQ(pl_msg_encode(m, buf, sizeof buf), -EMSGSIZE);
				}
				break;
			}
			default:
				break;
			}
		}
	}
	free(m);
}

int main(void)
{
	gather_cases();
	test_descriptions();
	test_round_trips();
	test_extremes();
	test_type_coverage();
	test_truncated_and_trailing();
	test_encode_cap();
	test_unknown_type();
	test_encode_out_of_range();
	return test_done();
}
