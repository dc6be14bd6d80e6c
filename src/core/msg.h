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
/* No message encodes to more than this (the largest, TEXT, is about 4.1 KB). */
#define PL_MSG_ENCODED_MAX 8192

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
};

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
			char target[PL_ROOM_MAX > PL_NICK_MAX ? PL_ROOM_MAX + 1 : PL_NICK_MAX + 1];
			char from[PL_NICK_MAX + 1];
			char text[PL_TEXT_MAX + 1];
		} text;
		struct { uint32_t tag; uint64_t id; } say_ok;
		struct { uint16_t code; uint16_t about; char detail[PL_DETAIL_MAX + 1]; } error; /* about: the message type that failed, or 0 */
	} u;
};

/*
 * Decodes the payload of a frame of the given type. Returns 0, -EBADMSG for malformed bytes
 * (truncated, oversized fields, trailing bytes, invalid enums), or -EPROTO for an unknown type.
 */
int pl_msg_decode(struct pl_msg *m, uint16_t type, const uint8_t *payload, size_t len);

/*
 * Encodes m as a complete frame (header included) into buf. Returns the frame length, or
 * -EMSGSIZE when it does not fit cap or a field is over its maximum, -EPROTO for an unknown type.
 */
int pl_msg_encode(const struct pl_msg *m, uint8_t *buf, size_t cap);

/* "HELLO", "TEXT", ... or NULL for an unknown type. */
const char *pl_msg_name(uint16_t type);

#endif
