/*
 * msg: the signalling messages carried in frames (core/frame.h), as pure encode/decode functions.
 *
 * Types below 0x8000 go from client to server, types from 0x8000 up from server to client.
 * Strings are a u16 byte count then UTF-8 bytes, no NUL; every string has a maximum length
 * (core/names.h) that decoding enforces. A decoder rejects a payload with bytes left over.
 * docs/PROTOCOL.md describes each message field by field.
 */
#ifndef PL_MSG_H
#define PL_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "core/names.h"

#define PL_PROTO_VERSION 1
#define PL_VOICE_KEY_LEN 32
#define PL_USERLIST_CHUNK 64 /* entries per USERLIST frame; more follow with more=1 */
/* No message encodes to more than this (the largest, PROFILE with a picture, is about 8.5 KB). */
#define PL_MSG_ENCODED_MAX 12288

enum pl_msg_type {
	/* client -> server */
	PL_MSG_HELLO = 0x0001,
	PL_MSG_REGISTER = 0x0002,
	PL_MSG_LOGIN = 0x0003,
	PL_MSG_PONG = 0x0004,
	PL_MSG_JOIN = 0x0005,
	PL_MSG_PART = 0x0006,
	PL_MSG_SAY = 0x0007,
	PL_MSG_BYE = 0x0008,
	PL_MSG_SET_PASSWORD = 0x0009,
	PL_MSG_SET_PROFILE = 0x000A,
	PL_MSG_PROFILE_GET = 0x000B,
	PL_MSG_CONTACT_ADD = 0x000C,
	PL_MSG_CONTACT_DEL = 0x000D,
	PL_MSG_CONTACTS_GET = 0x000E,
	PL_MSG_STATUS_SET = 0x000F,
	PL_MSG_STATUS_GET = 0x0010,
	PL_MSG_GROUP_CREATE = 0x0011,
	PL_MSG_GROUP_ADD = 0x0012,
	PL_MSG_GROUP_QUIT = 0x0013,
	PL_MSG_GROUPS_GET = 0x0014,
	PL_MSG_ROOMS_GET = 0x0015,
	PL_MSG_NAMES = 0x0016,
	PL_MSG_HISTORY = 0x0017,
	PL_MSG_DELIVERED = 0x0018,
	/* server -> client */
	PL_MSG_WELCOME = 0x8001,
	PL_MSG_AUTH_OK = 0x8002,
	PL_MSG_PING = 0x8003,
	PL_MSG_JOINED = 0x8004,
	PL_MSG_PARTED = 0x8005,
	PL_MSG_USERLIST = 0x8006,
	PL_MSG_TEXT = 0x8007,
	PL_MSG_SAY_OK = 0x8008,
	PL_MSG_ERROR = 0x8009,
	PL_MSG_PROFILE = 0x800A,
	PL_MSG_CONTACT_ADDED = 0x800B,
	PL_MSG_CONTACT_DELETED = 0x800C,
	PL_MSG_PRESENCE = 0x800D,
	PL_MSG_GROUP = 0x800E,
	PL_MSG_GROUP_MEMBER = 0x800F,
	PL_MSG_ROOM_INFO = 0x8010,
	PL_MSG_LIST_END = 0x8011,
	PL_MSG_OK = 0x8012,
};

enum pl_presence {
	PL_PRESENCE_OFFLINE = 0,
	PL_PRESENCE_ONLINE = 1,
	PL_PRESENCE_AWAY = 2,
	PL_PRESENCE_BUSY = 3, /* in a call, or set by hand */
};
#define PL_PRESENCE_MAX PL_PRESENCE_BUSY

/* SET_PROFILE: which fields to change */
#define PL_PROFILE_REALNAME 0x01
#define PL_PROFILE_PICTURE 0x02 /* an empty picture removes it */

/* TEXT flags */
#define PL_TEXT_HISTORY 0x01 /* an answer to HISTORY, not a new message */
#define PL_TEXT_OFFLINE 0x02 /* stored while the recipient was offline; acknowledge with DELIVERED */

struct pl_user_entry {
	char nick[PL_NICK_MAX + 1];
	uint32_t session;
};

struct pl_msg {
	uint16_t type;
	union {
		struct { uint16_t version; char client[PL_VERSION_STR_MAX + 1]; } hello;
		struct {
			char nick[PL_NICK_MAX + 1];
			char password[PL_PASSWORD_MAX + 1];
			char realname[PL_REALNAME_MAX + 1]; /* register only */
		} auth; /* REGISTER and LOGIN */
		struct { uint64_t token; } ping; /* PING and PONG */
		struct { char room[PL_ROOM_MAX + 1]; } join; /* JOIN and PART */
		struct {
			uint32_t tag; /* chosen by the client, echoed in SAY_OK */
			char target[PL_ROOM_MAX > PL_NICK_MAX ? PL_ROOM_MAX + 1 : PL_NICK_MAX + 1];
			char text[PL_TEXT_MAX + 1];
		} say;
		struct { uint16_t version; char server[PL_SERVER_NAME_MAX + 1]; } welcome;
		struct {
			char nick[PL_NICK_MAX + 1];
			uint32_t session;
			uint16_t udp_port;
			uint8_t voice_key[PL_VOICE_KEY_LEN];
		} auth_ok;
		struct { char room[PL_ROOM_MAX + 1]; char nick[PL_NICK_MAX + 1]; uint32_t session; } member; /* JOINED, PARTED */
		struct {
			char room[PL_ROOM_MAX + 1];
			uint8_t more; /* 1: another USERLIST frame for this room follows */
			uint16_t count;
			struct pl_user_entry users[PL_USERLIST_CHUNK];
		} userlist;
		struct {
			uint64_t id;      /* server-assigned, increasing */
			uint64_t time_ms; /* server's wall clock, ms since the Unix epoch */
			uint8_t flags;    /* PL_TEXT_HISTORY, PL_TEXT_OFFLINE */
			char target[PL_ROOM_MAX > PL_NICK_MAX ? PL_ROOM_MAX + 1 : PL_NICK_MAX + 1];
			char from[PL_NICK_MAX + 1];
			char text[PL_TEXT_MAX + 1];
		} text;
		struct { uint32_t tag; uint64_t id; } say_ok;
		struct { uint16_t code; uint16_t about; char detail[PL_DETAIL_MAX + 1]; } error; /* about: the message type that failed, or 0 */
		struct { char old_password[PL_PASSWORD_MAX + 1]; char new_password[PL_PASSWORD_MAX + 1]; } set_password;
		struct {
			uint8_t what;               /* SET_PROFILE only: PL_PROFILE_REALNAME | PL_PROFILE_PICTURE */
			char nick[PL_NICK_MAX + 1]; /* PROFILE only */
			char realname[PL_REALNAME_MAX + 1];
			uint64_t created_ms;        /* PROFILE only */
			uint8_t presence;           /* PROFILE only */
			char note[PL_NOTE_MAX + 1]; /* PROFILE only */
			uint16_t picture_len;
			uint8_t picture[PL_PICTURE_MAX];
		} profile; /* SET_PROFILE and PROFILE */
		/* PROFILE_GET, CONTACT_ADD, CONTACT_DEL, STATUS_GET, CONTACT_DELETED */
		struct { char nick[PL_NICK_MAX + 1]; } user;
		/* STATUS_SET (nick unused), PRESENCE, CONTACT_ADDED */
		struct { char nick[PL_NICK_MAX + 1]; uint8_t presence; char note[PL_NOTE_MAX + 1]; } presence;
		struct { char name[PL_GROUP_NAME_MAX + 1]; } group_create;
		struct { uint32_t group; char nick[PL_NICK_MAX + 1]; } group_add;
		struct { uint32_t group; } group_quit;
		struct {
			uint32_t id;
			char name[PL_GROUP_NAME_MAX + 1];
			uint64_t updated_ms;
			uint16_t count;
			char members[PL_GROUP_MEMBERS_MAX][PL_NICK_MAX + 1];
		} group;
		struct {
			uint32_t group;
			char nick[PL_NICK_MAX + 1];
			uint8_t joined; /* 1: added (seed 203), 0: quit (seed 204) */
			uint64_t updated_ms;
		} group_member;
		struct { char name[PL_ROOM_MAX + 1]; uint32_t users; } room_info;
		struct { char room[PL_ROOM_MAX + 1]; } names;
		struct {
			char target[PL_ROOM_MAX > PL_NICK_MAX ? PL_ROOM_MAX + 1 : PL_NICK_MAX + 1];
			uint64_t before_id; /* 0: the newest */
			uint16_t limit;     /* 1..PL_HISTORY_MAX */
		} history;
		struct { uint64_t id; } delivered; /* every offline message up to id was received */
		struct { uint16_t about; uint32_t count; uint8_t more; } list_end;
		struct { uint16_t about; } ok; /* a request with nothing else to answer succeeded */
	} u;
};

/*
 * Decodes the payload of a frame of the given type. Returns 0, -EBADMSG for malformed bytes
 * (truncated, oversized fields, trailing bytes, invalid enums), or -EPROTO for an unknown type.
 */
int pl_msg_decode(struct pl_msg *m, uint16_t type, const uint8_t *payload, size_t len);

/*
 * Encodes m as a complete frame (header included) into buf. Returns the frame length, or
 * -EMSGSIZE when it does not fit cap or a field is over its maximum, -EINVAL for a value the
 * decoder would reject (an unknown presence, flag or mask), -EPROTO for an unknown type.
 */
int pl_msg_encode(const struct pl_msg *m, uint8_t *buf, size_t cap);

/* "offline", "online", "away", "busy", or "unknown". */
const char *pl_presence_name(uint8_t p);

/* "HELLO", "TEXT", ... or NULL for an unknown type. */
const char *pl_msg_name(uint16_t type);

#endif
