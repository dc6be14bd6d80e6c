/*
 * msg: the signalling messages carried in frames (core/frame.h), as pure encode/decode functions.
 *
 * Types below 0x8000 go from client to server, types from 0x8000 up from server to client.
 * Strings are a u16 byte count then UTF-8 bytes, no NUL; every string has a maximum length
 * (core/names.h) that decoding enforces. A decoder rejects a payload with bytes left over.
 *
 * Each message is described once, as a table of its fields in wire order (struct pl_msg_desc,
 * below); one routine decodes and one encodes by walking it. The tests, the fuzz corpus and the
 * tables of docs/PROTOCOL.md section 4 are made from, or checked against, the same description.
 */
#ifndef PL_MSG_H
#define PL_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "core/mformat.h"
#include "core/names.h"
#include "core/rdv.h"

#define PL_PROTO_VERSION 6
#define PL_VOICE_KEY_LEN 32
#define PL_DEVICE_KEY_LEN 32  /* an Ed25519 public key */
#define PL_SIG_LEN 64         /* an Ed25519 signature */
#define PL_CHALLENGE_LEN 32   /* WELCOME's login challenge */
#define PL_CERT_HASH_LEN 32   /* SHA-256 of the server's certificate */
/* The end-to-end call handshake's messages (core/e2e.h), carried opaque by the server. */
#define PL_CALL_HS_LEN 136     /* an OFFER or an ANSWER */
#define PL_CALL_REVEAL_LEN 104 /* a REVEAL */
/* CALL_CAND's description of a device's candidates (core/ice.h's signalling form, opaque to the
 * server): at most this many bytes (protocol 5). */
#define PL_CALL_CAND_MAX 484
#define PL_SKEY_LEN 176        /* a sender key sealed to one participant's device key */
#define PL_MEDIA_KEYS_MAX 32   /* sealed sender keys in one MEDIA_KEYS frame */
#define PL_USERLIST_CHUNK 64 /* entries per USERLIST frame; more follow with more=1 */
/* SAY, TEXT and HISTORY name a room or a nickname. */
#define PL_TARGET_MAX (PL_ROOM_MAX > PL_NICK_MAX ? PL_ROOM_MAX : PL_NICK_MAX)
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
	PL_MSG_LOGIN_KEY = 0x0019,
	PL_MSG_DEVICES_GET = 0x001A,
	PL_MSG_DEVICE_REVOKE = 0x001B,
	PL_MSG_KEYS_GET = 0x001C,
	PL_MSG_CONTACT_ANSWER = 0x001D,
	PL_MSG_CALL_START = 0x001E,
	PL_MSG_CALL_RING = 0x001F,
	PL_MSG_CALL_ANSWER = 0x0020,
	PL_MSG_CALL_CONFIRM = 0x0021,
	PL_MSG_CALL_HANGUP = 0x0022,
	PL_MSG_MEDIA_KEYS = 0x0023,
	PL_MSG_TOPIC = 0x0024,
	/* rendezvous by room code (server/rendezvous.h): allowed before login, with no account */
	PL_MSG_RDV_OPEN = 0x0025,
	PL_MSG_RDV_JOIN = 0x0026,
	PL_MSG_RDV_SEND = 0x0027,
	PL_MSG_CALL_CAND = 0x0028,
	PL_MSG_RDV_RELAY = 0x0029, /* punching failed: carry our datagrams to the peer (server/rendezvous.h) */
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
	PL_MSG_DEVICE = 0x8013,
	PL_MSG_CONTACT_REQUEST = 0x8014,
	PL_MSG_CALL_STATE = 0x8015,
	PL_MSG_CALL_INCOMING = 0x8016,
	PL_MSG_CALL_ANSWERED = 0x8017,
	PL_MSG_CALL_CONFIRMED = 0x8018,
	PL_MSG_CALL_MEMBER = 0x8019,
	PL_MSG_MEDIA_KEY = 0x801A,
	PL_MSG_ROOM_TOPIC = 0x801B,
	PL_MSG_RDV_CODE = 0x801C,
	PL_MSG_RDV_PEER = 0x801D,
	PL_MSG_RDV_DATA = 0x801E,
	PL_MSG_CALL_PEER_CAND = 0x801F,
	PL_MSG_RDV_RELAYED = 0x8020, /* both asked: the voice port carries their datagrams */
};

enum pl_presence {
	PL_PRESENCE_OFFLINE = 0,
	PL_PRESENCE_ONLINE = 1,
	PL_PRESENCE_AWAY = 2,
	PL_PRESENCE_BUSY = 3, /* in a call, or set by hand */
};
#define PL_PRESENCE_MAX PL_PRESENCE_BUSY
/* The note of the BUSY a call sets (and clears when it ends), which clients recognise. */
#define PL_PRESENCE_NOTE_CALL "in a call"

/* Why a member left a room (PARTED's reason, protocol 4): it sent PART, or its connection ended
 * (BYE, a drop, a timeout, a new login of the same account), so it left all its rooms at once. */
enum pl_part_reason {
	PL_PART_LEFT = 0,
	PL_PART_QUIT = 1,
};
/* PROFILE only: the user's presence is not shared with you (you are not their contact). */
#define PL_PRESENCE_HIDDEN 4

/* AUTH_OK flags */
#define PL_AUTH_DEVICE_ADDED 0x01 /* this login registered the device key it carried */

/* DEVICE flags */
#define PL_DEVICE_THIS 0x01    /* the device of the session that asked */
#define PL_DEVICE_REVOKED 0x02 /* revoked: it can no longer log in */

/* CONTACT_REQUEST kinds */
enum pl_contact_req {
	PL_CREQ_INCOMING = 0, /* nick asks to become your contact: answer with CONTACT_ANSWER */
	PL_CREQ_SENT = 1,     /* your request to nick waits for their answer */
	PL_CREQ_REFUSED = 2,  /* nick refused your request */
};
#define PL_CREQ_MAX PL_CREQ_REFUSED

/* TEXT flags, continued */
#define PL_TEXT_CALL 0x04 /* a notice about a call (a missed call), not something a person typed */

/* CALL_STATE states and reasons */
enum pl_call_state {
	PL_CALL_SETUP = 0,   /* made: the caller now sends CALL_RING with its handshake OFFER */
	PL_CALL_RINGING = 1, /* the callee (or the group) is being rung */
	PL_CALL_ACTIVE = 2,  /* answered and agreed: media flows */
	PL_CALL_ENDED = 3,
};
#define PL_CALL_STATE_MAX PL_CALL_ENDED
enum pl_call_reason {
	PL_CALL_NONE = 0,
	PL_CALL_DENIED = 1,    /* the callee said no (or refused the format) */
	PL_CALL_BUSY = 2,      /* the callee is in another call */
	PL_CALL_TIMEOUT = 3,   /* nobody answered within the ring timeout */
	PL_CALL_CANCELLED = 4, /* the caller hung up while it rang */
	PL_CALL_HUNG_UP = 5,   /* someone hung up, or fewer than two are left */
	PL_CALL_FAILED = 6,    /* it could not be set up (the key agreement failed, a party left) */
	PL_CALL_OFFLINE = 7,   /* the callee is not connected: a missed-call notice waits for them */
};
#define PL_CALL_REASON_MAX PL_CALL_OFFLINE
/* CALL_ANSWER actions */
enum pl_call_action { PL_CALL_ACCEPT = 0, PL_CALL_COUNTER = 1, PL_CALL_DENY = 2 };
#define PL_CALL_ACTION_MAX PL_CALL_DENY
/* CALL_CONFIRM actions: take the (counter-)offer, or drop the call */
enum pl_call_confirm { PL_CALL_PROCEED = 0, PL_CALL_DROP = 1 };
/* MEDIA_KEYS / MEDIA_KEY scopes */
enum pl_key_scope { PL_SCOPE_CALL = 0, PL_SCOPE_ROOM = 1 };
#define PL_SCOPE_MAX PL_SCOPE_ROOM

/* RDV_PEER roles: who opened the code (SPAKE2's A) and who joined it (B) */
enum pl_rdv_role { PL_RDV_OPENER = 0, PL_RDV_JOINER = 1 };

struct pl_skey_entry {
	uint64_t to;                  /* the participant's session */
	uint8_t sealed[PL_SKEY_LEN];  /* the sender key, sealed to their device key and signed */
};

/* SET_PROFILE: which fields to change */
#define PL_PROFILE_REALNAME 0x01
#define PL_PROFILE_PICTURE 0x02 /* an empty picture removes it */

/* TEXT flags */
#define PL_TEXT_HISTORY 0x01 /* an answer to HISTORY, not a new message */
#define PL_TEXT_OFFLINE 0x02 /* stored while the recipient was offline; acknowledge with DELIVERED */

struct pl_user_entry {
	char nick[PL_NICK_MAX + 1];
	uint64_t session;
	uint8_t device[PL_DEVICE_KEY_LEN]; /* zero: the session has no device key */
};

struct pl_msg {
	uint16_t type;
	union {
		struct { uint16_t version; char client[PL_VERSION_STR_MAX + 1]; } hello;
		struct {
			char nick[PL_NICK_MAX + 1];
			char password[PL_PASSWORD_MAX + 1];
			char realname[PL_REALNAME_MAX + 1]; /* register only */
			uint8_t device_key[PL_DEVICE_KEY_LEN]; /* all zero: none */
			char device_name[PL_DEVICE_NAME_MAX + 1];
		} auth; /* REGISTER and LOGIN */
		struct {
			char nick[PL_NICK_MAX + 1];
			uint8_t device_key[PL_DEVICE_KEY_LEN];
			uint8_t sig[PL_SIG_LEN]; /* over core/auth.h's login proof */
		} login_key;
		struct { uint64_t token; } ping; /* PING and PONG */
		struct { char room[PL_ROOM_MAX + 1]; } join; /* JOIN and PART */
		struct {
			uint32_t tag; /* chosen by the client, echoed in SAY_OK */
			char target[PL_TARGET_MAX + 1];
			char text[PL_TEXT_MAX + 1];
		} say;
		struct {
			uint16_t version;
			char server[PL_SERVER_NAME_MAX + 1];
			uint8_t challenge[PL_CHALLENGE_LEN]; /* fresh per connection, for LOGIN_KEY */
		} welcome;
		struct {
			char nick[PL_NICK_MAX + 1];
			uint64_t session;
			uint16_t udp_port;
			uint8_t voice_key[PL_VOICE_KEY_LEN];
			uint8_t flags; /* PL_AUTH_DEVICE_ADDED */
			uint16_t stun_port; /* a second STUN port (protocol 5), 0: none */
		} auth_ok;
		struct {
			char room[PL_ROOM_MAX + 1];
			char nick[PL_NICK_MAX + 1];
			uint64_t session;
			uint8_t device[PL_DEVICE_KEY_LEN]; /* its device key (zero: none), for room voice's sender keys */
			uint8_t reason; /* PARTED only: enum pl_part_reason */
		} member; /* JOINED, PARTED */
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
			char target[PL_TARGET_MAX + 1];
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
		/* TOPIC (set: 1 sets text, 0 asks for the topic) and ROOM_TOPIC (by and time_ms: who set
		 * it and when; text "" and by "": none) */
		struct {
			char room[PL_ROOM_MAX + 1];
			uint8_t set;
			char text[PL_TOPIC_MAX + 1];
			char by[PL_NICK_MAX + 1];
			uint64_t time_ms;
		} topic;
		struct { char room[PL_ROOM_MAX + 1]; } names;
		struct {
			char target[PL_TARGET_MAX + 1];
			uint64_t before_id; /* 0: the newest */
			uint16_t limit;     /* 1..PL_HISTORY_MAX */
		} history;
		struct { uint64_t id; } delivered; /* every offline message up to id was received */
		struct { uint16_t about; uint32_t count; uint8_t more; } list_end;
		struct { uint16_t about; } ok; /* a request with nothing else to answer succeeded */
		struct { uint8_t key[PL_DEVICE_KEY_LEN]; } device_revoke;
		struct {
			char nick[PL_NICK_MAX + 1]; /* whose device */
			uint8_t key[PL_DEVICE_KEY_LEN];
			char name[PL_DEVICE_NAME_MAX + 1];
			uint64_t added_ms, last_seen_ms;
			uint8_t flags; /* PL_DEVICE_THIS, PL_DEVICE_REVOKED */
		} device;
		/* CONTACT_ANSWER (accept 1 or 0) and CONTACT_REQUEST (kind) */
		struct { char nick[PL_NICK_MAX + 1]; uint8_t accept; uint8_t kind; } contact_req;
		/* Every call message: each carries the fields its table in msg.c lists. */
		struct {
			uint64_t id;                    /* the call, chosen by the server */
			uint32_t group;                 /* a group call's group, or 0 */
			char nick[PL_NICK_MAX + 1];     /* the callee, the caller, the peer or the member */
			uint64_t session;               /* that user's session (names their voice) */
			uint8_t state, reason, action;  /* enum pl_call_state, _reason, _action or _confirm */
			struct pl_media_format fmt;     /* offered, counter-offered or agreed */
			uint8_t hs[PL_CALL_HS_LEN];     /* the handshake's OFFER or ANSWER */
			uint8_t reveal[PL_CALL_REVEAL_LEN];
			uint8_t device[PL_DEVICE_KEY_LEN]; /* CALL_MEMBER: the member's device key */
			uint8_t joined;                 /* CALL_MEMBER: 1 joined, 0 left */
		} call;
		/* CALL_CAND (the sender's candidates) and CALL_PEER_CAND (the peer's, with its session) */
		struct {
			uint64_t id;      /* the call */
			uint64_t session; /* CALL_PEER_CAND: the sender's session */
			uint16_t len;
			uint8_t desc[PL_CALL_CAND_MAX];
		} cand;
		/* MEDIA_KEYS (to several) and MEDIA_KEY (to one, from one) */
		struct {
			uint8_t scope;                  /* enum pl_key_scope */
			uint64_t call;                  /* PL_SCOPE_CALL: the call */
			char room[PL_ROOM_MAX + 1];     /* PL_SCOPE_ROOM: the room */
			uint64_t from;                  /* MEDIA_KEY: the sender's session */
			uint8_t key_id;
			uint16_t count;                 /* MEDIA_KEYS */
			struct pl_skey_entry keys[PL_MEDIA_KEYS_MAX]; /* MEDIA_KEY: keys[0] (to unused) */
		} mkey;
		/* Rendezvous: RDV_OPEN (addrs), RDV_JOIN (code, addrs), RDV_CODE (code, token, udp_port,
		 * ttl_s), RDV_PEER (role, public, addrs: the other side's), RDV_SEND and RDV_DATA (data,
		 * opaque to the server: the peers' key exchange). */
		struct {
			char code[PL_RDV_CODE_MAX + 1];
			char addrs[PL_RDV_ADDRS_MAX + 1]; /* private "host:port"s, separated by spaces */
			char pub[PL_RDV_PUBLIC_MAX + 1];  /* the public address parleyd saw */
			uint8_t token[PL_RDV_TOKEN_LEN];  /* for the UDP datagram (core/rdv.h) */
			uint16_t udp_port;                /* where to send it: parleyd's voice port */
			uint32_t ttl_s;                   /* seconds the code stays open */
			uint8_t role;                     /* enum pl_rdv_role: the receiver's own */
			uint16_t data_len;
			uint8_t data[PL_RDV_DATA_MAX];
		} rdv;
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

/* "offline", "online", "away", "busy", "hidden", or "unknown". */
const char *pl_presence_name(uint8_t p);

/* "HELLO", "TEXT", ... or NULL for an unknown type. */
const char *pl_msg_name(uint16_t type);

/*
 * The description of the messages, as netlink's nla_policy or Wireshark's hf_register_info
 * describe theirs: a field's kind, its bounds and where it lives in struct pl_msg. Integers are
 * big-endian; each kind's bytes on the wire:
 */
enum pl_field_kind {
	PL_FIELD_U8, PL_FIELD_U16, PL_FIELD_U32, PL_FIELD_U64, /* any value */
	PL_FIELD_ENUM,   /* u8, 0..max */
	PL_FIELD_FLAGS,  /* u8 with no bit outside the mask max */
	PL_FIELD_STR,    /* u16 count, then at most max bytes, no NUL; into a char[size] */
	PL_FIELD_FIXED,  /* exactly size bytes, no count (keys, signatures) */
	PL_FIELD_BYTES,  /* u16 count (a uint16_t at off), then at most max bytes (at data) */
	PL_FIELD_LIST,   /* u16 count (a uint16_t at off), then at most max entries (at data,
			  * stride bytes apart), each the nentry fields of entry */
	PL_FIELD_ABSENT, /* not on the wire: a member of a shared struct that this message does
			  * not carry, which decoding zeroes so it never holds a stale value */
};

struct pl_msg_field {
	const char *name;                 /* as docs/PROTOCOL.md calls it */
	const struct pl_msg_field *entry; /* LIST: the fields of one entry */
	uint32_t max;  /* STR, BYTES: most bytes; LIST: most entries; ENUM: the largest value;
			* FLAGS: every defined bit */
	uint16_t off;  /* of the member in struct pl_msg (a LIST entry's: in the entry) */
	uint16_t size; /* sizeof that member */
	uint16_t data; /* BYTES, LIST: offset of the bytes or of the first entry */
	uint16_t stride;
	uint8_t kind;  /* enum pl_field_kind */
	uint8_t nentry;
};

struct pl_msg_desc {
	const char *name;                  /* "HELLO" */
	const struct pl_msg_field *fields; /* in wire order; messages with one payload share them */
	uint16_t type;
	uint8_t nfields;
};

/* The description of a type, or NULL for an unknown type. */
const struct pl_msg_desc *pl_msg_describe(uint16_t type);

#endif
