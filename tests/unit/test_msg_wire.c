/*
 * Unit tests for core/msg against the wire format as docs/PROTOCOL.md writes it, independently of
 * msg.c and of the description it is driven by: golden frames written out byte by byte, and a
 * table of field layouts (`layouts` below), transcribed by hand from PROTOCOL.md, from which
 * payloads are built. The layouts drive the negative tests (a payload cut at or inside each field,
 * oversize strings and pictures, embedded NULs, out-of-range enums and flags, over-long strings
 * and out-of-range values on encode) for every field of every message. Keep them hand-written:
 * generated from msg.c's description they would agree with it by construction.
 */
#include "core/msg.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/frame.h"
#include "msg_util.h"
#include "test.h"

#define BUF_CAP PL_FRAME_MAX_HARD
#define TARGET_MAX (PL_ROOM_MAX > PL_NICK_MAX ? PL_ROOM_MAX : PL_NICK_MAX)
/* 32 bytes of a device key in a golden frame: 0xd7 each, or zero. */
#define D8 0xd7, 0xd7, 0xd7, 0xd7, 0xd7, 0xd7, 0xd7, 0xd7
#define D32 D8, D8, D8, D8
#define Z32 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0

/* n bytes first, first + 1, ... into a struct member and into the frame that should carry it. */
static void pattern(uint8_t *member, uint8_t *frame, size_t n, uint8_t first)
{
	for (size_t i = 0; i < n; i++)
		member[i] = frame[i] = (uint8_t)(first + i);
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
	m->u.hello.version = 2;
	SET(m->u.hello.client, "parley");
	static const uint8_t hello[] = {0, 0, 0, 16, 0x00, 0x01, 0, 2, 0, 6, 'p', 'a', 'r', 'l', 'e', 'y'};
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
	m->u.auth_ok.session = 0x0102030405060708ull;
	m->u.auth_ok.udp_port = 0x1f90;
	m->u.auth_ok.flags = 0x01; /* DEVICE_ADDED */
	m->u.auth_ok.stun_port = 0x0d96;
	uint8_t auth_ok[55] = {0, 0, 0, 55, 0x80, 0x02, 0, 2, 'a', 'l', 1, 2, 3, 4, 5, 6, 7, 8,
			       0x1f, 0x90, [52] = 0x01, 0x0d, 0x96};
	pattern(m->u.auth_ok.voice_key, auth_ok + 20, 32, 0xe0);
	check_golden("AUTH_OK", m, auth_ok, sizeof auth_ok);

	memset(m, 0, sizeof *m);
	m->type = PL_MSG_WELCOME;
	m->u.welcome.version = 2;
	SET(m->u.welcome.server, "s");
	uint8_t welcome[43] = {0, 0, 0, 43, 0x80, 0x01, 0, 2, 0, 1, 's'};
	pattern(m->u.welcome.challenge, welcome + 11, 32, 0xc0);
	check_golden("WELCOME", m, welcome, sizeof welcome);

	memset(m, 0, sizeof *m);
	m->type = PL_MSG_REGISTER;
	SET(m->u.auth.nick, "al");
	SET(m->u.auth.password, "pw");
	SET(m->u.auth.realname, "R");
	SET(m->u.auth.device_name, "pc");
	uint8_t reg[53] = {0, 0, 0, 53, 0x00, 0x02, 0, 2, 'a', 'l', 0, 2, 'p', 'w', 0, 1, 'R',
			   [49] = 0, 2, 'p', 'c'};
	pattern(m->u.auth.device_key, reg + 17, 32, 0x10);
	check_golden("REGISTER", m, reg, sizeof reg);

	/* No device key (all zero) and no device name. */
	memset(m, 0, sizeof *m);
	m->type = PL_MSG_LOGIN;
	SET(m->u.auth.nick, "al");
	SET(m->u.auth.password, "pw");
	static const uint8_t login[48] = {0, 0, 0, 48, 0x00, 0x03, 0, 2, 'a', 'l', 0, 2, 'p', 'w'};
	check_golden("LOGIN", m, login, sizeof login);

	memset(m, 0, sizeof *m);
	m->type = PL_MSG_LOGIN_KEY;
	SET(m->u.login_key.nick, "al");
	uint8_t login_key[106] = {0, 0, 0, 106, 0x00, 0x19, 0, 2, 'a', 'l'};
	pattern(m->u.login_key.device_key, login_key + 10, 32, 0x20);
	pattern(m->u.login_key.sig, login_key + 42, 64, 0x80);
	check_golden("LOGIN_KEY", m, login_key, sizeof login_key);

	memset(m, 0, sizeof *m);
	m->type = PL_MSG_DEVICES_GET;
	static const uint8_t devices_get[] = {0, 0, 0, 6, 0x00, 0x1a};
	check_golden("DEVICES_GET", m, devices_get, sizeof devices_get);

	memset(m, 0, sizeof *m);
	m->type = PL_MSG_DEVICE_REVOKE;
	uint8_t device_revoke[38] = {0, 0, 0, 38, 0x00, 0x1b};
	pattern(m->u.device_revoke.key, device_revoke + 6, 32, 0x40);
	check_golden("DEVICE_REVOKE", m, device_revoke, sizeof device_revoke);

	memset(m, 0, sizeof *m);
	m->type = PL_MSG_KEYS_GET;
	SET(m->u.user.nick, "al");
	static const uint8_t keys_get[] = {0, 0, 0, 10, 0x00, 0x1c, 0, 2, 'a', 'l'};
	check_golden("KEYS_GET", m, keys_get, sizeof keys_get);

	memset(m, 0, sizeof *m);
	m->type = PL_MSG_CONTACT_ANSWER;
	SET(m->u.contact_req.nick, "bo");
	m->u.contact_req.accept = 1;
	static const uint8_t contact_answer[] = {0, 0, 0, 11, 0x00, 0x1d, 0, 2, 'b', 'o', 1};
	check_golden("CONTACT_ANSWER", m, contact_answer, sizeof contact_answer);

	memset(m, 0, sizeof *m);
	m->type = PL_MSG_DEVICE;
	SET(m->u.device.nick, "al");
	SET(m->u.device.name, "pc");
	m->u.device.added_ms = 0x0000018b00000001ull;
	m->u.device.last_seen_ms = 0x0000018b00000002ull;
	m->u.device.flags = 0x03; /* THIS | REVOKED */
	uint8_t device[63] = {0, 0, 0, 63, 0x80, 0x13, 0, 2, 'a', 'l',
			      [42] = 0, 2, 'p', 'c', 0, 0, 1, 0x8b, 0, 0, 0, 1, 0, 0, 1, 0x8b, 0, 0, 0, 2, 0x03};
	pattern(m->u.device.key, device + 10, 32, 0x60);
	check_golden("DEVICE", m, device, sizeof device);

	memset(m, 0, sizeof *m);
	m->type = PL_MSG_CONTACT_REQUEST;
	SET(m->u.contact_req.nick, "bo");
	m->u.contact_req.kind = 2; /* REFUSED */
	static const uint8_t contact_request[] = {0, 0, 0, 11, 0x80, 0x14, 0, 2, 'b', 'o', 2};
	check_golden("CONTACT_REQUEST", m, contact_request, sizeof contact_request);

	memset(m, 0, sizeof *m);
	m->type = PL_MSG_JOINED;
	SET(m->u.member.room, "#r");
	SET(m->u.member.nick, "ab");
	m->u.member.session = 0x0000000100000001ull;
	memset(m->u.member.device, 0xd7, sizeof m->u.member.device);
	static const uint8_t joined[] = {0, 0, 0, 54, 0x80, 0x04, 0, 2, '#', 'r', 0, 2, 'a', 'b',
					 0, 0, 0, 1, 0, 0, 0, 1, D32};
	check_golden("JOINED", m, joined, sizeof joined);
	m->type = PL_MSG_PARTED; /* the same fields and a reason byte (protocol 4): 1, the connection ended */
	m->u.member.reason = PL_PART_QUIT;
	static const uint8_t parted[] = {0, 0, 0, 55, 0x80, 0x05, 0, 2, '#', 'r', 0, 2, 'a', 'b',
					 0, 0, 0, 1, 0, 0, 0, 1, D32, 1};
	check_golden("PARTED", m, parted, sizeof parted);

	memset(m, 0, sizeof *m);
	m->type = PL_MSG_USERLIST;
	SET(m->u.userlist.room, "#r");
	m->u.userlist.more = 1;
	m->u.userlist.count = 2;
	SET(m->u.userlist.users[0].nick, "ab");
	m->u.userlist.users[0].session = 1;
	SET(m->u.userlist.users[1].nick, "cd");
	m->u.userlist.users[1].session = UINT64_MAX;
	memset(m->u.userlist.users[1].device, 0xd7, sizeof m->u.userlist.users[1].device);
	static const uint8_t userlist[] = {0, 0, 0, 101, 0x80, 0x06, 0, 2, '#', 'r', 1, 0, 2,
					   0, 2, 'a', 'b', 0, 0, 0, 0, 0, 0, 0, 1, Z32,
					   0, 2, 'c', 'd', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, D32};
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

	/* presence 4: hidden from someone who is not a contact (PROFILE only) */
	memset(m, 0, sizeof *m);
	m->type = PL_MSG_PROFILE;
	SET(m->u.profile.nick, "al");
	m->u.profile.presence = 4;
	static const uint8_t profile_hidden[] = {0, 0, 0, 25, 0x80, 0x0a, 0, 2, 'a', 'l', 0, 0,
						 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0};
	check_golden("PROFILE hidden", m, profile_hidden, sizeof profile_hidden);

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
	F_FIXED, /* max raw bytes, no length */
};

struct fld {
	uint8_t kind;
	uint64_t val;  /* integers, ENUM, MASK: the value written by default */
	size_t max;
	size_t off;    /* STR, ENUM, MASK: offsetof in struct pl_msg */
	const char *name;
};

#define LAYOUT_MAX 12 /* fields of the longest layout */

struct layout {
	uint16_t type;
	struct fld f[LAYOUT_MAX];
};

#define I(k, v) {k, v, 0, 0, #k}
#define E(member, v, mx) {F_ENUM, v, mx, offsetof(struct pl_msg, u.member), #member}
#define MASK(member, v, mx) {F_MASK, v, mx, offsetof(struct pl_msg, u.member), #member}
#define S(member, mx) {F_STR, 0, mx, offsetof(struct pl_msg, u.member), #member}
#define FX(member, n) {F_FIXED, 0, n, 0, #member}
#define BLOB(len_member, mx, nm) {F_BLOB, 0, mx, offsetof(struct pl_msg, u.len_member), nm}
#define PICTURE BLOB(profile.picture_len, PL_PICTURE_MAX, "picture")
#define DATA BLOB(rdv.data_len, PL_RDV_DATA_MAX, "data")

static const struct layout layouts[] = {
	{PL_MSG_HELLO, {I(F_U16, 2), S(hello.client, PL_VERSION_STR_MAX)}},
	{PL_MSG_REGISTER, {S(auth.nick, PL_NICK_MAX), S(auth.password, PL_PASSWORD_MAX),
			   S(auth.realname, PL_REALNAME_MAX), FX(auth.device_key, 32),
			   S(auth.device_name, 32)}},
	{PL_MSG_LOGIN, {S(auth.nick, PL_NICK_MAX), S(auth.password, PL_PASSWORD_MAX),
			FX(auth.device_key, 32), S(auth.device_name, 32)}},
	{PL_MSG_PONG, {I(F_U64, 0xfedcba9876543210ull)}},
	{PL_MSG_JOIN, {S(join.room, PL_ROOM_MAX)}},
	{PL_MSG_PART, {S(join.room, PL_ROOM_MAX)}},
	{PL_MSG_SAY, {I(F_U32, 99), S(say.target, TARGET_MAX), S(say.text, PL_TEXT_MAX)}},
	{PL_MSG_BYE, {{0}}},
	{PL_MSG_SET_PASSWORD, {S(set_password.old_password, PL_PASSWORD_MAX),
			       S(set_password.new_password, PL_PASSWORD_MAX)}},
	{PL_MSG_SET_PROFILE, {MASK(profile.what, 0x01, 0x03), S(profile.realname, PL_REALNAME_MAX),
			      PICTURE}},
	{PL_MSG_PROFILE_GET, {S(user.nick, PL_NICK_MAX)}},
	{PL_MSG_CONTACT_ADD, {S(user.nick, PL_NICK_MAX)}},
	{PL_MSG_CONTACT_DEL, {S(user.nick, PL_NICK_MAX)}},
	{PL_MSG_CONTACTS_GET, {{0}}},
	{PL_MSG_STATUS_SET, {E(presence.presence, 2, 3), S(presence.note, PL_NOTE_MAX)}},
	{PL_MSG_STATUS_GET, {S(user.nick, PL_NICK_MAX)}},
	{PL_MSG_GROUP_CREATE, {S(group_create.name, PL_GROUP_NAME_MAX)}},
	{PL_MSG_GROUP_ADD, {I(F_U32, 3), S(group_add.nick, PL_NICK_MAX)}},
	{PL_MSG_GROUP_QUIT, {I(F_U32, 3)}},
	{PL_MSG_GROUPS_GET, {{0}}},
	{PL_MSG_ROOMS_GET, {{0}}},
	{PL_MSG_NAMES, {S(names.room, PL_ROOM_MAX)}},
	{PL_MSG_HISTORY, {S(history.target, TARGET_MAX), I(F_U64, 1234), I(F_U16, 0)}},
	{PL_MSG_DELIVERED, {I(F_U64, 99)}},
	{PL_MSG_LOGIN_KEY, {S(login_key.nick, PL_NICK_MAX), FX(login_key.device_key, 32),
			    FX(login_key.sig, 64)}},
	{PL_MSG_DEVICES_GET, {{0}}},
	{PL_MSG_DEVICE_REVOKE, {FX(device_revoke.key, 32)}},
	{PL_MSG_KEYS_GET, {S(user.nick, PL_NICK_MAX)}},
	{PL_MSG_CONTACT_ANSWER, {S(contact_req.nick, PL_NICK_MAX), E(contact_req.accept, 1, 1)}},
	{PL_MSG_WELCOME, {I(F_U16, 2), S(welcome.server, PL_SERVER_NAME_MAX), FX(welcome.challenge, 32)}},
	{PL_MSG_AUTH_OK, {S(auth_ok.nick, PL_NICK_MAX), I(F_U64, 0x100000005ull), I(F_U16, 4000),
			  FX(auth_ok.voice_key, 32), MASK(auth_ok.flags, 0x01, 0x01), I(F_U16, 3478)}},
	{PL_MSG_PING, {I(F_U64, 1)}},
	{PL_MSG_JOINED, {S(member.room, PL_ROOM_MAX), S(member.nick, PL_NICK_MAX), I(F_U64, 9), FX(member.device, 32)}},
	{PL_MSG_PARTED, {S(member.room, PL_ROOM_MAX), S(member.nick, PL_NICK_MAX), I(F_U64, 9), FX(member.device, 32),
			 E(member.reason, 1, 1)}},
	/* entries are tested on their own (test_lists); count 0 here */
	{PL_MSG_USERLIST, {S(userlist.room, PL_ROOM_MAX), E(userlist.more, 1, 1), I(F_U16, 0)}},
	{PL_MSG_TEXT, {I(F_U64, 5), I(F_U64, 6), I(F_U8, 0xff), S(text.target, TARGET_MAX),
		       S(text.from, PL_NICK_MAX), S(text.text, PL_TEXT_MAX)}},
	{PL_MSG_SAY_OK, {I(F_U32, 1), I(F_U64, 2)}},
	{PL_MSG_ERROR, {I(F_U16, 430), I(F_U16, PL_MSG_JOIN), S(error.detail, PL_DETAIL_MAX)}},
	{PL_MSG_PROFILE, {S(profile.nick, PL_NICK_MAX), S(profile.realname, PL_REALNAME_MAX),
			  I(F_U64, 77), E(profile.presence, 3, 4), S(profile.note, PL_NOTE_MAX),
			  PICTURE}},
	{PL_MSG_CONTACT_ADDED, {S(presence.nick, PL_NICK_MAX), E(presence.presence, 0, 3),
				S(presence.note, PL_NOTE_MAX)}},
	{PL_MSG_CONTACT_DELETED, {S(user.nick, PL_NICK_MAX)}},
	{PL_MSG_PRESENCE, {S(presence.nick, PL_NICK_MAX), E(presence.presence, 1, 3),
			   S(presence.note, PL_NOTE_MAX)}},
	/* members are tested on their own (test_lists); count 0 here */
	{PL_MSG_GROUP, {I(F_U32, 8), S(group.name, PL_GROUP_NAME_MAX), I(F_U64, 3), I(F_U16, 0)}},
	{PL_MSG_GROUP_MEMBER, {I(F_U32, 8), S(group_member.nick, PL_NICK_MAX),
			       E(group_member.joined, 1, 1), I(F_U64, 3)}},
	{PL_MSG_ROOM_INFO, {S(room_info.name, PL_ROOM_MAX), I(F_U32, 0xffffffffu)}},
	{PL_MSG_LIST_END, {I(F_U16, PL_MSG_GROUPS_GET), I(F_U32, 4), E(list_end.more, 0, 1)}},
	{PL_MSG_OK, {I(F_U16, PL_MSG_DELIVERED)}},
	{PL_MSG_DEVICE, {S(device.nick, PL_NICK_MAX), FX(device.key, 32), S(device.name, 32),
			 I(F_U64, 10), I(F_U64, 11), MASK(device.flags, 0x01, 0x03)}},
	{PL_MSG_CONTACT_REQUEST, {S(contact_req.nick, PL_NICK_MAX), E(contact_req.kind, 0, 2)}},
	/* Calls (protocol 3): FMT is codec, rate, channels, format, chunk (section 4's "media format"). */
#define FMT E(call.fmt.codec, 1, 1), I(F_U32, 16000), E(call.fmt.channels, 2, 2), E(call.fmt.format, 2, 4), \
	I(F_U16, 320)
	{PL_MSG_CALL_START, {I(F_U32, 0), S(call.nick, PL_NICK_MAX), FMT}},
	{PL_MSG_CALL_RING, {I(F_U64, 7), FX(call.hs, 136)}},
	{PL_MSG_CALL_ANSWER, {I(F_U64, 7), E(call.action, 1, 2), FMT, FX(call.hs, 136)}},
	{PL_MSG_CALL_CONFIRM, {I(F_U64, 7), E(call.action, 0, 1), FX(call.reveal, 104)}},
	{PL_MSG_CALL_HANGUP, {I(F_U64, 7)}},
	/* entries are 8 + 176 bytes each; count 0 here */
	{PL_MSG_MEDIA_KEYS, {E(mkey.scope, 1, 1), I(F_U64, 7), S(mkey.room, PL_ROOM_MAX), I(F_U8, 4), I(F_U16, 0)}},
	{PL_MSG_CALL_STATE, {I(F_U64, 7), E(call.state, 2, 3), E(call.reason, 0, 7), I(F_U32, 0),
			     S(call.nick, PL_NICK_MAX), FMT}},
	{PL_MSG_CALL_INCOMING, {I(F_U64, 7), S(call.nick, PL_NICK_MAX), I(F_U64, 8), I(F_U32, 0), FMT,
				FX(call.hs, 136)}},
	{PL_MSG_CALL_ANSWERED, {I(F_U64, 7), S(call.nick, PL_NICK_MAX), I(F_U64, 8), E(call.action, 0, 2), FMT,
				FX(call.hs, 136)}},
	{PL_MSG_CALL_CONFIRMED, {I(F_U64, 7), E(call.action, 1, 1), FX(call.reveal, 104)}},
	{PL_MSG_CALL_MEMBER, {I(F_U64, 7), S(call.nick, PL_NICK_MAX), I(F_U64, 8), FX(call.device, 32),
			      E(call.joined, 1, 1)}},
	{PL_MSG_MEDIA_KEY, {E(mkey.scope, 0, 1), I(F_U64, 7), S(mkey.room, PL_ROOM_MAX), I(F_U64, 8), I(F_U8, 4),
			    FX(mkey.keys[0].sealed, 176)}},
	{PL_MSG_TOPIC, {S(topic.room, PL_ROOM_MAX), E(topic.set, 1, 1), S(topic.text, PL_TOPIC_MAX)}},
	{PL_MSG_ROOM_TOPIC, {S(topic.room, PL_ROOM_MAX), S(topic.text, PL_TOPIC_MAX), S(topic.by, PL_NICK_MAX),
			     I(F_U64, 1700000000000)}},
	/* Rendezvous by room code (issue 9). */
	{PL_MSG_RDV_OPEN, {S(rdv.addrs, PL_RDV_ADDRS_MAX)}},
	{PL_MSG_RDV_JOIN, {S(rdv.code, PL_RDV_CODE_MAX), S(rdv.addrs, PL_RDV_ADDRS_MAX)}},
	{PL_MSG_RDV_SEND, {DATA}},
	{PL_MSG_RDV_CODE, {S(rdv.code, PL_RDV_CODE_MAX), FX(rdv.token, 16), I(F_U16, 64738), I(F_U32, 300)}},
	{PL_MSG_RDV_PEER, {E(rdv.role, 1, 1), S(rdv.pub, PL_RDV_PUBLIC_MAX), S(rdv.addrs, PL_RDV_ADDRS_MAX)}},
	{PL_MSG_RDV_DATA, {DATA}},
	{PL_MSG_CALL_CAND, {I(F_U64, 7), BLOB(cand.len, PL_CALL_CAND_MAX, "desc")}},
	{PL_MSG_CALL_PEER_CAND, {I(F_U64, 7), I(F_U64, 8), BLOB(cand.len, PL_CALL_CAND_MAX, "desc")}},
	{PL_MSG_RDV_RELAY, {{0}}},
	{PL_MSG_RDV_RELAYED, {{0}}},
#undef FMT
};
#define N_LAYOUTS (sizeof layouts / sizeof layouts[0])

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

/* A payload for layout l: integers their default value, strings and pictures "s<i>". When
 * starts is not NULL it gets the offset of each field and, after the last, the payload length. */
static size_t lay_build(uint8_t *out, const struct layout *l, struct tweak tw, size_t *starts)
{
	size_t n = 0;
	int i;
	for (i = 0; i < LAYOUT_MAX && l->f[i].kind != F_END; i++) {
		const struct fld *f = &l->f[i];
		bool me = i == tw.which;
		if (starts)
			starts[i] = n;
		switch (f->kind) {
		case F_U8: put_int(out, &n, f->val, 1); break;
		case F_U16: put_int(out, &n, f->val, 2); break;
		case F_U32: put_int(out, &n, f->val, 4); break;
		case F_U64: put_int(out, &n, f->val, 8); break;
		case F_ENUM:
		case F_MASK: put_int(out, &n, me ? tw.u8 : f->val, 1); break;
		case F_FIXED:
			for (size_t k = 0; k < f->max; k++)
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
	if (starts)
		starts[i] = n;
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
		size_t n, starts[LAYOUT_MAX + 1];

		/* The hand-built payload decodes, and the codec encodes it back to the same bytes:
		 * the codec's field order and widths agree with PROTOCOL.md. */
		test_case("layout %s", tn);
		n = lay_build(pay, l, no_tweak, starts);
		if (CHECK_EQ(decode_copy(d, l->type, pay, n), 0)) {
			CHECK_EQ(pl_msg_encode(d, enc, sizeof enc), (int)(n + PL_FRAME_HDR));
			CHECK_MEM_EQ(enc + PL_FRAME_HDR, pay, n);
		}

		/* A payload that stops where a field starts, or one byte into it, is truncated. */
		for (int fi = 0; fi < LAYOUT_MAX && l->f[fi].kind != F_END; fi++) {
			test_case("%s.%s missing", tn, l->f[fi].name);
			CHECK_EQ(decode_copy(d, l->type, pay, starts[fi]), -EBADMSG);
			if (starts[fi + 1] - starts[fi] > 1) {
				test_case("%s.%s cut after its first byte", tn, l->f[fi].name);
				CHECK_EQ(decode_copy(d, l->type, pay, starts[fi] + 1), -EBADMSG);
			}
		}

		/* Every string and picture at its maximum: still decodes, and no frame is larger
		 * than PL_MSG_ENCODED_MAX says. */
		struct tweak all = no_tweak;
		all.all_max = true;
		test_case("layout %s, everything at its maximum", tn);
		n = lay_build(pay, l, all, NULL);
		if (CHECK_EQ(decode_copy(d, l->type, pay, n), 0))
			CHECK_EQ(pl_msg_encode(d, enc, sizeof enc), (int)(n + PL_FRAME_HDR));
		CHECK(n + PL_FRAME_HDR <= PL_MSG_ENCODED_MAX);
		if (l->type == PL_MSG_PROFILE) /* PROTOCOL.md section 2 gives these two sizes */
			CHECK_EQ(n + PL_FRAME_HDR, 8439);
		if (l->type == PL_MSG_SET_PROFILE)
			CHECK_EQ(n + PL_FRAME_HDR, 8267);

		for (int fi = 0; fi < LAYOUT_MAX && l->f[fi].kind != F_END; fi++) {
			const struct fld *f = &l->f[fi];
			size_t max = f->max;
			switch (f->kind) {
			case F_STR:
			case F_BLOB: {
				const char *what = f->kind == F_STR ? "string" : "picture";
				test_case("%s.%s at max %zu", tn, f->name, max);
				n = lay_build(pay, l, str_tweak(fi, max, max, SIZE_MAX), NULL);
				if (CHECK_EQ(decode_copy(d, l->type, pay, n), 0)) {
					if (f->kind == F_STR)
						CHECK_EQ(strlen((const char *)d + f->off), max);
					else
						CHECK_EQ(*(const uint16_t *)((const char *)d + f->off), max);
					CHECK_EQ(pl_msg_encode(d, enc, sizeof enc), (int)(n + PL_FRAME_HDR));
				}
				test_case("%s.%s empty", tn, f->name);
				n = lay_build(pay, l, str_tweak(fi, 0, 0, SIZE_MAX), NULL);
				CHECK_EQ(decode_copy(d, l->type, pay, n), 0);

				test_case("%s.%s oversize %s %zu", tn, f->name, what, max + 1);
				n = lay_build(pay, l, str_tweak(fi, max + 1, max + 1, SIZE_MAX), NULL);
				CHECK_EQ(decode_copy(d, l->type, pay, n), -EBADMSG);

				test_case("%s.%s length 0xffff", tn, f->name);
				n = lay_build(pay, l, str_tweak(fi, max, 0xffff, SIZE_MAX), NULL);
				CHECK_EQ(decode_copy(d, l->type, pay, n), -EBADMSG);

				/* A length claiming one byte more than is there (the rest shifts). */
				test_case("%s.%s length +1", tn, f->name);
				n = lay_build(pay, l, str_tweak(fi, 3, 4, SIZE_MAX), NULL);
				CHECK_EQ(decode_copy(d, l->type, pay, n), -EBADMSG);
				break;
			}
			case F_ENUM:
				test_case("%s.%s = %zu (max)", tn, f->name, max);
				n = lay_build(pay, l, u8_tweak(fi, (uint8_t)max), NULL);
				CHECK_EQ(decode_copy(d, l->type, pay, n), 0);
				test_case("%s.%s = %zu", tn, f->name, max + 1);
				n = lay_build(pay, l, u8_tweak(fi, (uint8_t)(max + 1)), NULL);
				CHECK_EQ(decode_copy(d, l->type, pay, n), -EBADMSG);
				test_case("%s.%s = 0xff", tn, f->name);
				n = lay_build(pay, l, u8_tweak(fi, 0xff), NULL);
				CHECK_EQ(decode_copy(d, l->type, pay, n), -EBADMSG);
				break;
			case F_MASK:
				for (unsigned bit = 0; bit < 8; bit++) {
					bool allowed = (max >> bit) & 1;
					test_case("%s.%s bit 0x%02x", tn, f->name, 1u << bit);
					n = lay_build(pay, l, u8_tweak(fi, (uint8_t)(1u << bit)), NULL);
					CHECK_EQ(decode_copy(d, l->type, pay, n), allowed ? 0 : -EBADMSG);
				}
				test_case("%s.%s all allowed bits and none", tn, f->name);
				n = lay_build(pay, l, u8_tweak(fi, (uint8_t)max), NULL);
				CHECK_EQ(decode_copy(d, l->type, pay, n), 0);
				n = lay_build(pay, l, u8_tweak(fi, 0), NULL);
				CHECK_EQ(decode_copy(d, l->type, pay, n), 0);
				break;
			default:
				break;
			}
			if (f->kind == F_ENUM || f->kind == F_MASK) {
				/* The encoder refuses the value the decoder would: -EINVAL (msg.h). */
				uint8_t bad = f->kind == F_ENUM ? (uint8_t)(max + 1) : (uint8_t)~max;
				test_case("encode %s.%s = 0x%02x", tn, f->name, bad);
				n = lay_build(pay, l, no_tweak, NULL);
				if (CHECK_EQ(decode_copy(d, l->type, pay, n), 0)) {
					*((uint8_t *)d + f->off) = bad;
					CHECK_EQ(pl_msg_encode(d, enc, sizeof enc), -EINVAL);
				}
			}
			if (f->kind != F_STR)
				continue;

			const size_t nuls[] = {0, max / 2, max - 1};
			for (size_t k = 0; k < 3; k++) {
				test_case("%s.%s NUL at %zu", tn, f->name, nuls[k]);
				n = lay_build(pay, l, str_tweak(fi, max, max, nuls[k]), NULL);
				CHECK_EQ(decode_copy(d, l->type, pay, n), -EBADMSG);
			}
			test_case("%s.%s single NUL", tn, f->name);
			n = lay_build(pay, l, str_tweak(fi, 1, 1, 0), NULL);
			CHECK_EQ(decode_copy(d, l->type, pay, n), -EBADMSG);
		}
	}
	free(d);
}

/* USERLIST and GROUP: a count, then that many entries (PROTOCOL.md section 4). */
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
				if (!group) {
					put_int(p, &n, (uint64_t)e << 32 | e, 8); /* session */
					memset(p + n, 0x5a, PL_DEVICE_KEY_LEN);     /* device */
					n += PL_DEVICE_KEY_LEN;
				}
			}
			uint16_t type = group ? PL_MSG_GROUP : PL_MSG_USERLIST;
			test_case("%s %s", pl_msg_name(type), c->name);
			CHECK_EQ(decode_copy(d, type, p, n), c->want);
		}
	}
	free(d);
}

/*
 * Encoding a string field longer than its maximum fails with -EMSGSIZE. A well-formed struct
 * cannot hold one (each array is max + 1 bytes), so the field is left unterminated, as a caller
 * that memcpy'd a too-long name would leave it: the rest of the struct is all 'a' too, with a NUL
 * at the very end, so the string is longer than max however far the encoder looks.
 */
static void test_encode_overlong(void)
{
	static uint8_t buf[BUF_CAP];
	struct pl_msg *m = new_msg();
	for (size_t li = 0; li < N_LAYOUTS; li++) {
		const struct layout *l = &layouts[li];
		for (int fi = 0; fi < LAYOUT_MAX && l->f[fi].kind != F_END; fi++) {
			const struct fld *f = &l->f[fi];
			if (f->kind != F_STR)
				continue;
			memset(m, 'a', sizeof *m);
			((char *)m)[sizeof *m - 1] = '\0';
			m->type = l->type;
			for (int oi = 0; oi < LAYOUT_MAX && l->f[oi].kind != F_END; oi++)
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
			case PL_MSG_AUTH_OK: m->u.auth_ok.flags = 0; break;
			case PL_MSG_DEVICE: m->u.device.flags = 0; break;
			case PL_MSG_CONTACT_ANSWER:
			case PL_MSG_CONTACT_REQUEST:
				m->u.contact_req.accept = 0;
				m->u.contact_req.kind = 0;
				break;
			case PL_MSG_MEDIA_KEYS:
			case PL_MSG_MEDIA_KEY:
				m->u.mkey.scope = 0;
				m->u.mkey.count = 0;
				break;
			case PL_MSG_TOPIC: m->u.topic.set = 0; break;
			case PL_MSG_RDV_PEER: m->u.rdv.role = 0; break;
			default:
				if ((l->type >= PL_MSG_CALL_START && l->type <= PL_MSG_CALL_HANGUP) ||
				    (l->type >= PL_MSG_CALL_STATE && l->type <= PL_MSG_CALL_MEMBER)) {
					m->u.call.state = m->u.call.reason = m->u.call.action = m->u.call.joined = 0;
					m->u.call.fmt.codec = m->u.call.fmt.channels = m->u.call.fmt.format = 0;
				}
				break;
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
	free(m);
}

int main(void)
{
	test_golden();
	test_layouts();
	test_lists();
	test_encode_overlong();
	return test_done();
}
