/*
 * Round-trip cases for the chat messages: rooms (JOIN, PART, NAMES, USERLIST, JOINED, PARTED,
 * ROOMS_GET, ROOM_INFO, topics), text (SAY, SAY_OK, TEXT, DELIVERED) and history (HISTORY and the
 * LIST_END that closes a listing). Each at ordinary values and with every string and list full.
 */
#include <string.h>

#include "msg_util.h"

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

const struct rt_case msg_chat_cases[] = {
	{"JOIN", b_join},
	{"JOIN max", b_join_max},
	{"PART", b_part},
	{"SAY room", b_say},
	{"SAY nick", b_say_nick},
	{"SAY max", b_say_max},
	{"ROOMS_GET", b_rooms_get},
	{"NAMES", b_names},
	{"HISTORY", b_history},
	{"HISTORY max", b_history_max},
	{"DELIVERED", b_delivered},
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
	{"ROOM_INFO", b_room_info},
	{"TOPIC set", b_topic},
	{"TOPIC ask", b_topic_ask},
	{"ROOM_TOPIC", b_room_topic},
	{"LIST_END", b_list_end},
};
const size_t msg_chat_ncases = sizeof msg_chat_cases / sizeof msg_chat_cases[0];
