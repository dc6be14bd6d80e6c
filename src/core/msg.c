#include "core/msg.h"

#include <errno.h>
#include <string.h>

#include "core/buf.h"
#include "core/frame.h"

/*
 * Field constructors. Each names the member once, by its path in struct pl_msg's union, so the
 * offset and the size come from the struct and cannot drift from it. What the walk relies on is
 * checked at compile time: an integer member is as wide as its wire field, a string's array holds
 * its maximum and the NUL, a picture's or a list's array holds its maximum.
 */
#define MEMBER(T, m) (((T *)0)->m)
/* 0, or a compile error when cond is false: a static assertion that fits in an initializer. */
#define ASSERT0(cond) (0 * sizeof(char[(cond) ? 1 : -1]))
/* Where member m of T is, once cond has been checked. */
#define AT(T, m, cond) .off = offsetof(T, m), .size = sizeof MEMBER(T, m) + ASSERT0(cond)

#define INT_IN(T, nm, k, m, w) {.name = (nm), .kind = (k), AT(T, m, sizeof MEMBER(T, m) == (w))}
#define STR_IN(T, nm, m, mx) \
	{.name = (nm), .kind = PL_FIELD_STR, .max = (mx), AT(T, m, (mx) < sizeof MEMBER(T, m))}

/* The same for members of struct pl_msg's union, which is what nearly every field is. */
#define M(m) MEMBER(struct pl_msg, u.m)
#define U8(nm, m) INT_IN(struct pl_msg, nm, PL_FIELD_U8, u.m, 1)
#define U16(nm, m) INT_IN(struct pl_msg, nm, PL_FIELD_U16, u.m, 2)
#define U32(nm, m) INT_IN(struct pl_msg, nm, PL_FIELD_U32, u.m, 4)
#define U64(nm, m) INT_IN(struct pl_msg, nm, PL_FIELD_U64, u.m, 8)
#define ENUM(nm, m, mx) \
	{.name = (nm), .kind = PL_FIELD_ENUM, .max = (mx), AT(struct pl_msg, u.m, sizeof M(m) == 1)}
#define FLAGS(nm, m, mask) \
	{.name = (nm), .kind = PL_FIELD_FLAGS, .max = (mask), AT(struct pl_msg, u.m, sizeof M(m) == 1)}
#define STR(nm, m, mx) STR_IN(struct pl_msg, nm, u.m, mx)
#define FIXED(nm, m) \
	{.name = (nm), .kind = PL_FIELD_FIXED, .max = sizeof M(m), AT(struct pl_msg, u.m, 1)}
#define BYTES(nm, len_m, data_m, mx) \
	{.name = (nm), .kind = PL_FIELD_BYTES, .max = (mx), .data = offsetof(struct pl_msg, u.data_m), \
	 AT(struct pl_msg, u.len_m, sizeof M(len_m) == 2 && sizeof M(data_m) >= (mx))}
#define LIST(nm, count_m, array_m, fields, mx) \
	{.name = (nm), .kind = PL_FIELD_LIST, .max = (mx), .data = offsetof(struct pl_msg, u.array_m), \
	 .stride = sizeof M(array_m)[0], .entry = (fields), .nentry = sizeof(fields) / sizeof(fields)[0], \
	 AT(struct pl_msg, u.count_m, sizeof M(count_m) == 2 && \
	    sizeof M(array_m) / sizeof M(array_m)[0] >= (mx))}
#define ABSENT(m) {.name = #m, .kind = PL_FIELD_ABSENT, AT(struct pl_msg, u.m, 1)}

_Static_assert(sizeof(struct pl_msg) <= UINT16_MAX, "field offsets are u16");

/* --- the messages, field by field in wire order: this IS the wire format --- */

static const struct pl_msg_field hello[] = {
	U16("version", hello.version),
	STR("client", hello.client, PL_VERSION_STR_MAX),
};
/* REGISTER and LOGIN differ only in realname. */
static const struct pl_msg_field register_[] = {
	STR("nick", auth.nick, PL_NICK_MAX),
	STR("password", auth.password, PL_PASSWORD_MAX),
	STR("realname", auth.realname, PL_REALNAME_MAX),
	FIXED("device_key", auth.device_key), /* all zero: none */
	STR("device_name", auth.device_name, PL_DEVICE_NAME_MAX),
};
static const struct pl_msg_field login[] = {
	STR("nick", auth.nick, PL_NICK_MAX),
	STR("password", auth.password, PL_PASSWORD_MAX),
	FIXED("device_key", auth.device_key),
	STR("device_name", auth.device_name, PL_DEVICE_NAME_MAX),
	ABSENT(auth.realname),
};
static const struct pl_msg_field login_key[] = {
	STR("nick", login_key.nick, PL_NICK_MAX),
	FIXED("device_key", login_key.device_key),
	FIXED("sig", login_key.sig),
};
static const struct pl_msg_field ping[] = { /* PING and PONG */
	U64("token", ping.token),
};
static const struct pl_msg_field join[] = { /* JOIN and PART */
	STR("room", join.room, PL_ROOM_MAX),
};
static const struct pl_msg_field say[] = {
	U32("tag", say.tag),
	STR("target", say.target, PL_TARGET_MAX),
	STR("text", say.text, PL_TEXT_MAX),
};
static const struct pl_msg_field set_password[] = {
	STR("old_password", set_password.old_password, PL_PASSWORD_MAX),
	STR("new_password", set_password.new_password, PL_PASSWORD_MAX),
};
/* SET_PROFILE and PROFILE share the real name and the picture, and one struct. */
static const struct pl_msg_field set_profile[] = {
	FLAGS("what", profile.what, PL_PROFILE_REALNAME | PL_PROFILE_PICTURE),
	STR("realname", profile.realname, PL_REALNAME_MAX),
	BYTES("picture", profile.picture_len, profile.picture, PL_PICTURE_MAX),
	ABSENT(profile.nick), ABSENT(profile.created_ms), ABSENT(profile.presence), ABSENT(profile.note),
};
static const struct pl_msg_field profile[] = {
	STR("nick", profile.nick, PL_NICK_MAX),
	STR("realname", profile.realname, PL_REALNAME_MAX),
	U64("created_ms", profile.created_ms),
	ENUM("presence", profile.presence, PL_PRESENCE_HIDDEN),
	STR("note", profile.note, PL_NOTE_MAX),
	BYTES("picture", profile.picture_len, profile.picture, PL_PICTURE_MAX),
	ABSENT(profile.what),
};
/* PROFILE_GET, CONTACT_ADD, CONTACT_DEL, STATUS_GET, KEYS_GET, CONTACT_DELETED: one nickname. */
static const struct pl_msg_field user[] = {
	STR("nick", user.nick, PL_NICK_MAX),
};
/* STATUS_SET is PRESENCE without the nickname: a user sets only their own. */
static const struct pl_msg_field status_set[] = {
	ENUM("presence", presence.presence, PL_PRESENCE_MAX),
	STR("note", presence.note, PL_NOTE_MAX),
	ABSENT(presence.nick),
};
static const struct pl_msg_field presence[] = { /* PRESENCE and CONTACT_ADDED */
	STR("nick", presence.nick, PL_NICK_MAX),
	ENUM("presence", presence.presence, PL_PRESENCE_MAX),
	STR("note", presence.note, PL_NOTE_MAX),
};
static const struct pl_msg_field group_create[] = {
	STR("name", group_create.name, PL_GROUP_NAME_MAX),
};
static const struct pl_msg_field group_add[] = {
	U32("group", group_add.group),
	STR("nick", group_add.nick, PL_NICK_MAX),
};
static const struct pl_msg_field group_quit[] = {
	U32("group", group_quit.group),
};
static const struct pl_msg_field names[] = {
	STR("room", names.room, PL_ROOM_MAX),
};
static const struct pl_msg_field history[] = {
	STR("target", history.target, PL_TARGET_MAX),
	U64("before_id", history.before_id),
	U16("limit", history.limit), /* 1..PL_HISTORY_MAX, checked by the server (ERROR 444) */
};
static const struct pl_msg_field delivered[] = {
	U64("id", delivered.id),
};
static const struct pl_msg_field device_revoke[] = {
	FIXED("key", device_revoke.key),
};
static const struct pl_msg_field contact_answer[] = {
	STR("nick", contact_req.nick, PL_NICK_MAX),
	ENUM("accept", contact_req.accept, 1),
	ABSENT(contact_req.kind),
};
static const struct pl_msg_field welcome[] = {
	U16("version", welcome.version),
	STR("server", welcome.server, PL_SERVER_NAME_MAX),
	FIXED("challenge", welcome.challenge),
};
static const struct pl_msg_field auth_ok[] = {
	STR("nick", auth_ok.nick, PL_NICK_MAX),
	U64("session", auth_ok.session),
	U16("udp_port", auth_ok.udp_port),
	FIXED("voice_key", auth_ok.voice_key),
	FLAGS("flags", auth_ok.flags, PL_AUTH_DEVICE_ADDED),
	U16("stun_port", auth_ok.stun_port),
};
static const struct pl_msg_field member[] = { /* JOINED; PARTED adds its reason */
	STR("room", member.room, PL_ROOM_MAX),
	STR("nick", member.nick, PL_NICK_MAX),
	U64("session", member.session),
	FIXED("device", member.device),
};
static const struct pl_msg_field parted[] = {
	STR("room", member.room, PL_ROOM_MAX),
	STR("nick", member.nick, PL_NICK_MAX),
	U64("session", member.session),
	FIXED("device", member.device),
	ENUM("reason", member.reason, PL_PART_QUIT),
};
static const struct pl_msg_field user_entry[] = {
	STR_IN(struct pl_user_entry, "nick", nick, PL_NICK_MAX),
	INT_IN(struct pl_user_entry, "session", PL_FIELD_U64, session, 8),
	{.name = "device", .kind = PL_FIELD_FIXED, .max = PL_DEVICE_KEY_LEN, .off = offsetof(struct pl_user_entry, device),
	 .size = sizeof MEMBER(struct pl_user_entry, device)},
};
static const struct pl_msg_field userlist[] = {
	STR("room", userlist.room, PL_ROOM_MAX),
	ENUM("more", userlist.more, 1),
	LIST("count", userlist.count, userlist.users, user_entry, PL_USERLIST_CHUNK),
};
static const struct pl_msg_field text[] = {
	U64("id", text.id),
	U64("time_ms", text.time_ms),
	U8("flags", text.flags), /* not range-checked: a newer server may add bits */
	STR("target", text.target, PL_TARGET_MAX),
	STR("from", text.from, PL_NICK_MAX),
	STR("text", text.text, PL_TEXT_MAX),
};
static const struct pl_msg_field say_ok[] = {
	U32("tag", say_ok.tag),
	U64("id", say_ok.id),
};
static const struct pl_msg_field error[] = {
	U16("code", error.code),
	U16("about", error.about),
	STR("detail", error.detail, PL_DETAIL_MAX),
};
/* A group member entry is the bare nickname array. */
static const struct pl_msg_field group_entry[] = {
	{.name = "nick", .kind = PL_FIELD_STR, .max = PL_NICK_MAX, .off = 0,
	 .size = sizeof M(group.members[0]) + ASSERT0(PL_NICK_MAX < sizeof M(group.members[0]))},
};
static const struct pl_msg_field group[] = {
	U32("id", group.id),
	STR("name", group.name, PL_GROUP_NAME_MAX),
	U64("updated_ms", group.updated_ms),
	LIST("count", group.count, group.members, group_entry, PL_GROUP_MEMBERS_MAX),
};
static const struct pl_msg_field group_member[] = {
	U32("group", group_member.group),
	STR("nick", group_member.nick, PL_NICK_MAX),
	ENUM("joined", group_member.joined, 1),
	U64("updated_ms", group_member.updated_ms),
};
static const struct pl_msg_field topic[] = {
	STR("room", topic.room, PL_ROOM_MAX),
	ENUM("set", topic.set, 1),
	STR("text", topic.text, PL_TOPIC_MAX),
	ABSENT(topic.by),
	ABSENT(topic.time_ms),
};
static const struct pl_msg_field room_topic[] = {
	STR("room", topic.room, PL_ROOM_MAX),
	ABSENT(topic.set),
	STR("text", topic.text, PL_TOPIC_MAX),
	STR("by", topic.by, PL_NICK_MAX),
	U64("time_ms", topic.time_ms),
};
static const struct pl_msg_field room_info[] = {
	STR("name", room_info.name, PL_ROOM_MAX),
	U32("users", room_info.users),
};
static const struct pl_msg_field list_end[] = {
	U16("about", list_end.about),
	U32("count", list_end.count),
	ENUM("more", list_end.more, 1),
};
static const struct pl_msg_field ok[] = {
	U16("about", ok.about),
};
static const struct pl_msg_field device[] = {
	STR("nick", device.nick, PL_NICK_MAX),
	FIXED("key", device.key),
	STR("name", device.name, PL_DEVICE_NAME_MAX),
	U64("added_ms", device.added_ms),
	U64("last_seen_ms", device.last_seen_ms),
	FLAGS("flags", device.flags, PL_DEVICE_THIS | PL_DEVICE_REVOKED),
};
static const struct pl_msg_field contact_request[] = {
	STR("nick", contact_req.nick, PL_NICK_MAX),
	ENUM("kind", contact_req.kind, PL_CREQ_MAX),
	ABSENT(contact_req.accept),
};

/* A call's media format, seed 004's fields; the server checks the values (core/mformat.h). */
#define FMT \
	ENUM("codec", call.fmt.codec, PL_CODEC_MAX), U32("rate", call.fmt.rate), \
	ENUM("channels", call.fmt.channels, 2), ENUM("format", call.fmt.format, PL_SF_MAX), \
	U16("chunk", call.fmt.chunk)
static const struct pl_msg_field call_start[] = {
	U32("group", call.group), /* 0: a call to the user nick */
	STR("nick", call.nick, PL_NICK_MAX),
	FMT,
	ABSENT(call.id), ABSENT(call.session), ABSENT(call.state), ABSENT(call.reason), ABSENT(call.action),
	ABSENT(call.hs), ABSENT(call.reveal), ABSENT(call.device), ABSENT(call.joined),
};
static const struct pl_msg_field call_ring[] = {
	U64("call", call.id),
	FIXED("offer", call.hs), /* all zero for a group call (sender keys instead) */
	ABSENT(call.group), ABSENT(call.nick), ABSENT(call.session), ABSENT(call.state), ABSENT(call.reason),
	ABSENT(call.action), ABSENT(call.fmt), ABSENT(call.reveal), ABSENT(call.device), ABSENT(call.joined),
};
static const struct pl_msg_field call_answer[] = {
	U64("call", call.id),
	ENUM("action", call.action, PL_CALL_ACTION_MAX),
	FMT, /* COUNTER: the format offered back */
	FIXED("answer", call.hs),
	ABSENT(call.group), ABSENT(call.nick), ABSENT(call.session), ABSENT(call.state), ABSENT(call.reason),
	ABSENT(call.reveal), ABSENT(call.device), ABSENT(call.joined),
};
static const struct pl_msg_field call_confirm[] = {
	U64("call", call.id),
	ENUM("action", call.action, PL_CALL_DROP),
	FIXED("reveal", call.reveal),
	ABSENT(call.group), ABSENT(call.nick), ABSENT(call.session), ABSENT(call.state), ABSENT(call.reason),
	ABSENT(call.fmt), ABSENT(call.hs), ABSENT(call.device), ABSENT(call.joined),
};
static const struct pl_msg_field call_hangup[] = {
	U64("call", call.id),
	ABSENT(call.group), ABSENT(call.nick), ABSENT(call.session), ABSENT(call.state), ABSENT(call.reason),
	ABSENT(call.action), ABSENT(call.fmt), ABSENT(call.hs), ABSENT(call.reveal), ABSENT(call.device),
	ABSENT(call.joined),
};
static const struct pl_msg_field call_state[] = {
	U64("call", call.id),
	ENUM("state", call.state, PL_CALL_STATE_MAX),
	ENUM("reason", call.reason, PL_CALL_REASON_MAX),
	U32("group", call.group),
	STR("peer", call.nick, PL_NICK_MAX), /* 1:1: the other party */
	FMT, /* ACTIVE: what was agreed */
	ABSENT(call.session), ABSENT(call.action), ABSENT(call.hs), ABSENT(call.reveal), ABSENT(call.device),
	ABSENT(call.joined),
};
static const struct pl_msg_field call_incoming[] = {
	U64("call", call.id),
	STR("from", call.nick, PL_NICK_MAX),
	U64("session", call.session),
	U32("group", call.group),
	FMT,
	FIXED("offer", call.hs),
	ABSENT(call.state), ABSENT(call.reason), ABSENT(call.action), ABSENT(call.reveal), ABSENT(call.device),
	ABSENT(call.joined),
};
static const struct pl_msg_field call_answered[] = {
	U64("call", call.id),
	STR("from", call.nick, PL_NICK_MAX),
	U64("session", call.session),
	ENUM("action", call.action, PL_CALL_ACTION_MAX),
	FMT,
	FIXED("answer", call.hs),
	ABSENT(call.group), ABSENT(call.state), ABSENT(call.reason), ABSENT(call.reveal), ABSENT(call.device),
	ABSENT(call.joined),
};
static const struct pl_msg_field call_confirmed[] = {
	U64("call", call.id),
	ENUM("action", call.action, PL_CALL_DROP),
	FIXED("reveal", call.reveal),
	ABSENT(call.group), ABSENT(call.nick), ABSENT(call.session), ABSENT(call.state), ABSENT(call.reason),
	ABSENT(call.fmt), ABSENT(call.hs), ABSENT(call.device), ABSENT(call.joined),
};
/* Seed 002's 507, "distribute info call": a member's voice stream and key, to the others. */
static const struct pl_msg_field call_member[] = {
	U64("call", call.id),
	STR("nick", call.nick, PL_NICK_MAX),
	U64("session", call.session),
	FIXED("device", call.device),
	ENUM("joined", call.joined, 1),
	ABSENT(call.group), ABSENT(call.state), ABSENT(call.reason), ABSENT(call.action), ABSENT(call.fmt),
	ABSENT(call.hs), ABSENT(call.reveal),
};
static const struct pl_msg_field skey_entry[] = {
	INT_IN(struct pl_skey_entry, "to", PL_FIELD_U64, to, 8),
	{.name = "sealed", .kind = PL_FIELD_FIXED, .max = PL_SKEY_LEN, .off = offsetof(struct pl_skey_entry, sealed),
	 .size = sizeof MEMBER(struct pl_skey_entry, sealed)},
};
static const struct pl_msg_field media_keys[] = {
	ENUM("scope", mkey.scope, PL_SCOPE_MAX),
	U64("call", mkey.call),
	STR("room", mkey.room, PL_ROOM_MAX),
	U8("key_id", mkey.key_id),
	LIST("count", mkey.count, mkey.keys, skey_entry, PL_MEDIA_KEYS_MAX),
	ABSENT(mkey.from),
};
static const struct pl_msg_field media_key[] = {
	ENUM("scope", mkey.scope, PL_SCOPE_MAX),
	U64("call", mkey.call),
	STR("room", mkey.room, PL_ROOM_MAX),
	U64("from", mkey.from),
	U8("key_id", mkey.key_id),
	FIXED("sealed", mkey.keys[0].sealed),
	ABSENT(mkey.count),
};
/* Candidates for a direct path (protocol 5), relayed between the two members of a 1:1 call. */
static const struct pl_msg_field call_cand[] = {
	U64("call", cand.id),
	BYTES("desc", cand.len, cand.desc, PL_CALL_CAND_MAX),
	ABSENT(cand.session),
};
static const struct pl_msg_field call_peer_cand[] = {
	U64("call", cand.id),
	U64("session", cand.session),
	BYTES("desc", cand.len, cand.desc, PL_CALL_CAND_MAX),
};

/* Rendezvous by room code: RDV_OPEN and RDV_JOIN are answered by RDV_CODE; RDV_SEND's data goes
 * to the other side as RDV_DATA. */
#define RDV_ABSENT_REST ABSENT(rdv.token), ABSENT(rdv.udp_port), ABSENT(rdv.ttl_s), ABSENT(rdv.role)
static const struct pl_msg_field rdv_open[] = {
	STR("addrs", rdv.addrs, PL_RDV_ADDRS_MAX),
	ABSENT(rdv.code), ABSENT(rdv.pub), RDV_ABSENT_REST, ABSENT(rdv.data_len), ABSENT(rdv.data),
};
static const struct pl_msg_field rdv_join[] = {
	STR("code", rdv.code, PL_RDV_CODE_MAX),
	STR("addrs", rdv.addrs, PL_RDV_ADDRS_MAX),
	ABSENT(rdv.pub), RDV_ABSENT_REST, ABSENT(rdv.data_len), ABSENT(rdv.data),
};
static const struct pl_msg_field rdv_send[] = { /* RDV_SEND and RDV_DATA */
	BYTES("data", rdv.data_len, rdv.data, PL_RDV_DATA_MAX),
	ABSENT(rdv.code), ABSENT(rdv.addrs), ABSENT(rdv.pub), RDV_ABSENT_REST,
};
static const struct pl_msg_field rdv_code[] = {
	STR("code", rdv.code, PL_RDV_CODE_MAX),
	FIXED("token", rdv.token),
	U16("udp_port", rdv.udp_port),
	U32("ttl_s", rdv.ttl_s),
	ABSENT(rdv.addrs), ABSENT(rdv.pub), ABSENT(rdv.role), ABSENT(rdv.data_len), ABSENT(rdv.data),
};
static const struct pl_msg_field rdv_peer[] = {
	ENUM("role", rdv.role, PL_RDV_JOINER),
	STR("public", rdv.pub, PL_RDV_PUBLIC_MAX),
	STR("addrs", rdv.addrs, PL_RDV_ADDRS_MAX),
	ABSENT(rdv.code), ABSENT(rdv.token), ABSENT(rdv.udp_port), ABSENT(rdv.ttl_s), ABSENT(rdv.data_len),
	ABSENT(rdv.data),
};

/*
 * Indexed by type, so a lookup is one bounds check: client types 0x0000-0x003F in the first
 * half, server types 0x8000-0x803F in the second. A type past the range does not compile.
 */
#define SLOTS 64
#define SLOT(t) (((t) >> 15) * SLOTS + ((t) & 0x7fff))
#define DESC(t, f) [SLOT(PL_MSG_##t)] = {#t, (f), PL_MSG_##t, sizeof(f) / sizeof(f)[0]}
#define EMPTY(t) [SLOT(PL_MSG_##t)] = {#t, NULL, PL_MSG_##t, 0}

static const struct pl_msg_desc descs[2 * SLOTS] = {
	DESC(HELLO, hello),
	DESC(REGISTER, register_),
	DESC(LOGIN, login),
	DESC(PONG, ping),
	DESC(JOIN, join),
	DESC(PART, join),
	DESC(SAY, say),
	EMPTY(BYE),
	DESC(SET_PASSWORD, set_password),
	DESC(SET_PROFILE, set_profile),
	DESC(PROFILE_GET, user),
	DESC(CONTACT_ADD, user),
	DESC(CONTACT_DEL, user),
	EMPTY(CONTACTS_GET),
	DESC(STATUS_SET, status_set),
	DESC(STATUS_GET, user),
	DESC(GROUP_CREATE, group_create),
	DESC(GROUP_ADD, group_add),
	DESC(GROUP_QUIT, group_quit),
	EMPTY(GROUPS_GET),
	EMPTY(ROOMS_GET),
	DESC(NAMES, names),
	DESC(HISTORY, history),
	DESC(DELIVERED, delivered),
	DESC(LOGIN_KEY, login_key),
	EMPTY(DEVICES_GET),
	DESC(DEVICE_REVOKE, device_revoke),
	DESC(KEYS_GET, user),
	DESC(CONTACT_ANSWER, contact_answer),
	DESC(CALL_START, call_start),
	DESC(CALL_RING, call_ring),
	DESC(CALL_ANSWER, call_answer),
	DESC(CALL_CONFIRM, call_confirm),
	DESC(CALL_HANGUP, call_hangup),
	DESC(MEDIA_KEYS, media_keys),
	DESC(TOPIC, topic),
	DESC(RDV_OPEN, rdv_open),
	DESC(RDV_JOIN, rdv_join),
	DESC(RDV_SEND, rdv_send),
	DESC(CALL_CAND, call_cand),
	EMPTY(RDV_RELAY),

	DESC(WELCOME, welcome),
	DESC(AUTH_OK, auth_ok),
	DESC(PING, ping),
	DESC(JOINED, member),
	DESC(PARTED, parted),
	DESC(USERLIST, userlist),
	DESC(TEXT, text),
	DESC(SAY_OK, say_ok),
	DESC(ERROR, error),
	DESC(PROFILE, profile),
	DESC(CONTACT_ADDED, presence),
	DESC(CONTACT_DELETED, user),
	DESC(PRESENCE, presence),
	DESC(GROUP, group),
	DESC(GROUP_MEMBER, group_member),
	DESC(ROOM_INFO, room_info),
	DESC(LIST_END, list_end),
	DESC(OK, ok),
	DESC(DEVICE, device),
	DESC(CONTACT_REQUEST, contact_request),
	DESC(CALL_STATE, call_state),
	DESC(CALL_INCOMING, call_incoming),
	DESC(CALL_ANSWERED, call_answered),
	DESC(CALL_CONFIRMED, call_confirmed),
	DESC(CALL_MEMBER, call_member),
	DESC(MEDIA_KEY, media_key),
	DESC(ROOM_TOPIC, room_topic),
	DESC(RDV_CODE, rdv_code),
	DESC(RDV_PEER, rdv_peer),
	DESC(RDV_DATA, rdv_send),
	DESC(CALL_PEER_CAND, call_peer_cand),
	EMPTY(RDV_RELAYED),
};

const struct pl_msg_desc *pl_msg_describe(uint16_t type)
{
	if ((type & 0x7fff) >= SLOTS)
		return NULL;
	const struct pl_msg_desc *d = &descs[SLOT(type)];
	return d->name ? d : NULL;
}

const char *pl_msg_name(uint16_t type)
{
	const struct pl_msg_desc *d = pl_msg_describe(type);
	return d ? d->name : NULL;
}

/* --- the walk --- */

/* Reads the n fields f into the struct at base. A value out of its range stops the walk; a
 * truncated read sets r's sticky error, which the caller checks once. */
static int decode_fields(const struct pl_msg_field *f, unsigned n, uint8_t *base, struct pl_rd *r)
{
	for (unsigned k = 0; k < n; k++, f++) {
		void *at = base + f->off;
		switch (f->kind) {
		case PL_FIELD_U8: *(uint8_t *)at = pl_rd_u8(r); break;
		case PL_FIELD_U16: *(uint16_t *)at = pl_rd_u16(r); break;
		case PL_FIELD_U32: *(uint32_t *)at = pl_rd_u32(r); break;
		case PL_FIELD_U64: *(uint64_t *)at = pl_rd_u64(r); break;
		case PL_FIELD_ENUM:
			if ((*(uint8_t *)at = pl_rd_u8(r)) > f->max)
				return -EBADMSG;
			break;
		case PL_FIELD_FLAGS:
			if ((*(uint8_t *)at = pl_rd_u8(r)) & ~f->max)
				return -EBADMSG;
			break;
		case PL_FIELD_STR: pl_rd_str(r, at, f->size, f->max); break;
		case PL_FIELD_FIXED: pl_rd_bytes(r, at, f->size); break;
		case PL_FIELD_BYTES: {
			uint16_t len = pl_rd_u16(r);
			*(uint16_t *)at = len;
			if (len > f->max)
				return -EBADMSG;
			pl_rd_bytes(r, base + f->data, len);
			break;
		}
		case PL_FIELD_LIST: {
			uint16_t count = pl_rd_u16(r);
			*(uint16_t *)at = count;
			if (count > f->max)
				return -EBADMSG;
			/* Stop at the first short entry: a count is never trusted past the bytes. */
			for (unsigned i = 0; i < count && !r->err; i++) {
				int rc = decode_fields(f->entry, f->nentry, base + f->data + i * f->stride, r);
				if (rc < 0)
					return rc;
			}
			break;
		}
		case PL_FIELD_ABSENT: memset(at, 0, f->size); break;
		}
	}
	return 0;
}

/* Writes the n fields f of the struct at base. A value the decoder would refuse is -EINVAL, a
 * string, picture or list over its maximum -EMSGSIZE; running out of room sets w's sticky error. */
static int encode_fields(const struct pl_msg_field *f, unsigned n, const uint8_t *base, struct pl_wr *w)
{
	for (unsigned k = 0; k < n; k++, f++) {
		const void *at = base + f->off;
		switch (f->kind) {
		case PL_FIELD_U8: pl_wr_u8(w, *(const uint8_t *)at); break;
		case PL_FIELD_U16: pl_wr_u16(w, *(const uint16_t *)at); break;
		case PL_FIELD_U32: pl_wr_u32(w, *(const uint32_t *)at); break;
		case PL_FIELD_U64: pl_wr_u64(w, *(const uint64_t *)at); break;
		case PL_FIELD_ENUM:
			if (*(const uint8_t *)at > f->max)
				return -EINVAL;
			pl_wr_u8(w, *(const uint8_t *)at);
			break;
		case PL_FIELD_FLAGS:
			if (*(const uint8_t *)at & ~f->max)
				return -EINVAL;
			pl_wr_u8(w, *(const uint8_t *)at);
			break;
		case PL_FIELD_STR: {
			/* strnlen: a caller's unterminated array is over its maximum, never a read
			 * past the member. */
			size_t len = strnlen(at, f->size);
			if (len > f->max)
				return -EMSGSIZE;
			pl_wr_u16(w, (uint16_t)len);
			pl_wr_bytes(w, at, len);
			break;
		}
		case PL_FIELD_FIXED: pl_wr_bytes(w, at, f->size); break;
		case PL_FIELD_BYTES: {
			uint16_t len = *(const uint16_t *)at;
			if (len > f->max)
				return -EMSGSIZE;
			pl_wr_u16(w, len);
			pl_wr_bytes(w, base + f->data, len);
			break;
		}
		case PL_FIELD_LIST: {
			uint16_t count = *(const uint16_t *)at;
			if (count > f->max)
				return -EMSGSIZE;
			pl_wr_u16(w, count);
			for (unsigned i = 0; i < count; i++) {
				int rc = encode_fields(f->entry, f->nentry, base + f->data + i * f->stride, w);
				if (rc < 0)
					return rc;
			}
			break;
		}
		case PL_FIELD_ABSENT: break;
		}
	}
	return 0;
}

int pl_msg_decode(struct pl_msg *m, uint16_t type, const uint8_t *payload, size_t len)
{
	const struct pl_msg_desc *d = pl_msg_describe(type);
	m->type = type;
	if (!d)
		return -EPROTO;
	struct pl_rd r;
	pl_rd_init(&r, payload, len);
	int rc = decode_fields(d->fields, d->nfields, (uint8_t *)m, &r);
	return rc < 0 ? rc : pl_rd_finish(&r);
}

int pl_msg_encode(const struct pl_msg *m, uint8_t *buf, size_t cap)
{
	const struct pl_msg_desc *d = pl_msg_describe(m->type);
	if (!d)
		return -EPROTO;
	if (cap < PL_FRAME_HDR)
		return -EMSGSIZE;
	struct pl_wr w;
	pl_wr_init(&w, buf + PL_FRAME_HDR, cap - PL_FRAME_HDR);
	int rc = encode_fields(d->fields, d->nfields, (const uint8_t *)m, &w);
	if (rc < 0)
		return rc;
	int n = pl_wr_finish(&w);
	if (n < 0)
		return n;
	pl_frame_put_hdr(buf, m->type, (size_t)n);
	return n + PL_FRAME_HDR;
}

const char *pl_presence_name(uint8_t p)
{
	static const char *pnames[] = {"offline", "online", "away", "busy", "hidden"};
	return p <= PL_PRESENCE_HIDDEN ? pnames[p] : "unknown";
}
