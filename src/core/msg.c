#include "core/msg.h"

#include <errno.h>

#include "core/buf.h"
#include "core/frame.h"

#define TARGET_MAX (PL_ROOM_MAX > PL_NICK_MAX ? PL_ROOM_MAX : PL_NICK_MAX)

/* One function per direction keeps encode and decode side by side, field for field. */

int pl_msg_decode(struct pl_msg *m, uint16_t type, const uint8_t *payload, size_t len)
{
	struct pl_rd r;
	pl_rd_init(&r, payload, len);
	m->type = type;

	switch (type) {
	case PL_MSG_HELLO:
		m->u.hello.version = pl_rd_u16(&r);
		pl_rd_str(&r, m->u.hello.client, sizeof m->u.hello.client, PL_VERSION_STR_MAX);
		break;
	case PL_MSG_REGISTER:
	case PL_MSG_LOGIN:
		pl_rd_str(&r, m->u.auth.nick, sizeof m->u.auth.nick, PL_NICK_MAX);
		pl_rd_str(&r, m->u.auth.password, sizeof m->u.auth.password, PL_PASSWORD_MAX);
		if (type == PL_MSG_REGISTER)
			pl_rd_str(&r, m->u.auth.realname, sizeof m->u.auth.realname, PL_REALNAME_MAX);
		else
			m->u.auth.realname[0] = '\0';
		break;
	case PL_MSG_PING:
	case PL_MSG_PONG:
		m->u.ping.token = pl_rd_u64(&r);
		break;
	case PL_MSG_JOIN:
	case PL_MSG_PART:
		pl_rd_str(&r, m->u.join.room, sizeof m->u.join.room, PL_ROOM_MAX);
		break;
	case PL_MSG_SAY:
		m->u.say.tag = pl_rd_u32(&r);
		pl_rd_str(&r, m->u.say.target, sizeof m->u.say.target, TARGET_MAX);
		pl_rd_str(&r, m->u.say.text, sizeof m->u.say.text, PL_TEXT_MAX);
		break;
	case PL_MSG_BYE:
		break;
	case PL_MSG_WELCOME:
		m->u.welcome.version = pl_rd_u16(&r);
		pl_rd_str(&r, m->u.welcome.server, sizeof m->u.welcome.server, PL_SERVER_NAME_MAX);
		break;
	case PL_MSG_AUTH_OK:
		pl_rd_str(&r, m->u.auth_ok.nick, sizeof m->u.auth_ok.nick, PL_NICK_MAX);
		m->u.auth_ok.session = pl_rd_u32(&r);
		m->u.auth_ok.udp_port = pl_rd_u16(&r);
		pl_rd_bytes(&r, m->u.auth_ok.voice_key, PL_VOICE_KEY_LEN);
		break;
	case PL_MSG_JOINED:
	case PL_MSG_PARTED:
		pl_rd_str(&r, m->u.member.room, sizeof m->u.member.room, PL_ROOM_MAX);
		pl_rd_str(&r, m->u.member.nick, sizeof m->u.member.nick, PL_NICK_MAX);
		m->u.member.session = pl_rd_u32(&r);
		break;
	case PL_MSG_USERLIST:
		pl_rd_str(&r, m->u.userlist.room, sizeof m->u.userlist.room, PL_ROOM_MAX);
		m->u.userlist.more = pl_rd_u8(&r);
		m->u.userlist.count = pl_rd_u16(&r);
		if (m->u.userlist.more > 1 || m->u.userlist.count > PL_USERLIST_CHUNK)
			return -EBADMSG;
		for (unsigned i = 0; i < m->u.userlist.count && !r.err; i++) {
			struct pl_user_entry *e = &m->u.userlist.users[i];
			pl_rd_str(&r, e->nick, sizeof e->nick, PL_NICK_MAX);
			e->session = pl_rd_u32(&r);
		}
		break;
	case PL_MSG_TEXT:
		m->u.text.id = pl_rd_u64(&r);
		m->u.text.time_ms = pl_rd_u64(&r);
		m->u.text.flags = pl_rd_u8(&r);
		pl_rd_str(&r, m->u.text.target, sizeof m->u.text.target, TARGET_MAX);
		pl_rd_str(&r, m->u.text.from, sizeof m->u.text.from, PL_NICK_MAX);
		pl_rd_str(&r, m->u.text.text, sizeof m->u.text.text, PL_TEXT_MAX);
		break;
	case PL_MSG_SAY_OK:
		m->u.say_ok.tag = pl_rd_u32(&r);
		m->u.say_ok.id = pl_rd_u64(&r);
		break;
	case PL_MSG_ERROR:
		m->u.error.code = pl_rd_u16(&r);
		m->u.error.about = pl_rd_u16(&r);
		pl_rd_str(&r, m->u.error.detail, sizeof m->u.error.detail, PL_DETAIL_MAX);
		break;
	case PL_MSG_SET_PASSWORD:
		pl_rd_str(&r, m->u.set_password.old_password, sizeof m->u.set_password.old_password, PL_PASSWORD_MAX);
		pl_rd_str(&r, m->u.set_password.new_password, sizeof m->u.set_password.new_password, PL_PASSWORD_MAX);
		break;
	case PL_MSG_SET_PROFILE:
	case PL_MSG_PROFILE:
		if (type == PL_MSG_PROFILE) {
			pl_rd_str(&r, m->u.profile.nick, sizeof m->u.profile.nick, PL_NICK_MAX);
		} else {
			m->u.profile.what = pl_rd_u8(&r);
			if (m->u.profile.what & ~(PL_PROFILE_REALNAME | PL_PROFILE_PICTURE))
				return -EBADMSG;
		}
		pl_rd_str(&r, m->u.profile.realname, sizeof m->u.profile.realname, PL_REALNAME_MAX);
		if (type == PL_MSG_PROFILE) {
			m->u.profile.created_ms = pl_rd_u64(&r);
			m->u.profile.presence = pl_rd_u8(&r);
			pl_rd_str(&r, m->u.profile.note, sizeof m->u.profile.note, PL_NOTE_MAX);
			if (m->u.profile.presence > PL_PRESENCE_MAX)
				return -EBADMSG;
		}
		m->u.profile.picture_len = pl_rd_u16(&r);
		if (m->u.profile.picture_len > PL_PICTURE_MAX)
			return -EBADMSG;
		pl_rd_bytes(&r, m->u.profile.picture, m->u.profile.picture_len);
		break;
	case PL_MSG_PROFILE_GET:
	case PL_MSG_CONTACT_ADD:
	case PL_MSG_CONTACT_DEL:
	case PL_MSG_STATUS_GET:
	case PL_MSG_CONTACT_DELETED:
		pl_rd_str(&r, m->u.user.nick, sizeof m->u.user.nick, PL_NICK_MAX);
		break;
	case PL_MSG_CONTACTS_GET:
	case PL_MSG_GROUPS_GET:
	case PL_MSG_ROOMS_GET:
		break;
	case PL_MSG_STATUS_SET:
	case PL_MSG_PRESENCE:
	case PL_MSG_CONTACT_ADDED:
		if (type != PL_MSG_STATUS_SET)
			pl_rd_str(&r, m->u.presence.nick, sizeof m->u.presence.nick, PL_NICK_MAX);
		else
			m->u.presence.nick[0] = '\0';
		m->u.presence.presence = pl_rd_u8(&r);
		pl_rd_str(&r, m->u.presence.note, sizeof m->u.presence.note, PL_NOTE_MAX);
		if (m->u.presence.presence > PL_PRESENCE_MAX)
			return -EBADMSG;
		break;
	case PL_MSG_GROUP_CREATE:
		pl_rd_str(&r, m->u.group_create.name, sizeof m->u.group_create.name, PL_GROUP_NAME_MAX);
		break;
	case PL_MSG_GROUP_ADD:
		m->u.group_add.group = pl_rd_u32(&r);
		pl_rd_str(&r, m->u.group_add.nick, sizeof m->u.group_add.nick, PL_NICK_MAX);
		break;
	case PL_MSG_GROUP_QUIT:
		m->u.group_quit.group = pl_rd_u32(&r);
		break;
	case PL_MSG_GROUP:
		m->u.group.id = pl_rd_u32(&r);
		pl_rd_str(&r, m->u.group.name, sizeof m->u.group.name, PL_GROUP_NAME_MAX);
		m->u.group.updated_ms = pl_rd_u64(&r);
		m->u.group.count = pl_rd_u16(&r);
		if (m->u.group.count > PL_GROUP_MEMBERS_MAX)
			return -EBADMSG;
		for (unsigned i = 0; i < m->u.group.count && !r.err; i++)
			pl_rd_str(&r, m->u.group.members[i], sizeof m->u.group.members[i], PL_NICK_MAX);
		break;
	case PL_MSG_GROUP_MEMBER:
		m->u.group_member.group = pl_rd_u32(&r);
		pl_rd_str(&r, m->u.group_member.nick, sizeof m->u.group_member.nick, PL_NICK_MAX);
		m->u.group_member.joined = pl_rd_u8(&r);
		m->u.group_member.updated_ms = pl_rd_u64(&r);
		if (m->u.group_member.joined > 1)
			return -EBADMSG;
		break;
	case PL_MSG_ROOM_INFO:
		pl_rd_str(&r, m->u.room_info.name, sizeof m->u.room_info.name, PL_ROOM_MAX);
		m->u.room_info.users = pl_rd_u32(&r);
		break;
	case PL_MSG_NAMES:
		pl_rd_str(&r, m->u.names.room, sizeof m->u.names.room, PL_ROOM_MAX);
		break;
	case PL_MSG_HISTORY:
		pl_rd_str(&r, m->u.history.target, sizeof m->u.history.target, TARGET_MAX);
		m->u.history.before_id = pl_rd_u64(&r);
		m->u.history.limit = pl_rd_u16(&r);
		break;
	case PL_MSG_DELIVERED:
		m->u.delivered.id = pl_rd_u64(&r);
		break;
	case PL_MSG_LIST_END:
		m->u.list_end.about = pl_rd_u16(&r);
		m->u.list_end.count = pl_rd_u32(&r);
		m->u.list_end.more = pl_rd_u8(&r);
		if (m->u.list_end.more > 1)
			return -EBADMSG;
		break;
	case PL_MSG_OK:
		m->u.ok.about = pl_rd_u16(&r);
		break;
	default:
		return -EPROTO;
	}
	return pl_rd_finish(&r);
}

int pl_msg_encode(const struct pl_msg *m, uint8_t *buf, size_t cap)
{
	struct pl_wr w;
	if (cap < PL_FRAME_HDR)
		return -EMSGSIZE;
	pl_wr_init(&w, buf + PL_FRAME_HDR, cap - PL_FRAME_HDR);

	switch (m->type) {
	case PL_MSG_HELLO:
		pl_wr_u16(&w, m->u.hello.version);
		pl_wr_str(&w, m->u.hello.client, PL_VERSION_STR_MAX);
		break;
	case PL_MSG_REGISTER:
	case PL_MSG_LOGIN:
		pl_wr_str(&w, m->u.auth.nick, PL_NICK_MAX);
		pl_wr_str(&w, m->u.auth.password, PL_PASSWORD_MAX);
		if (m->type == PL_MSG_REGISTER)
			pl_wr_str(&w, m->u.auth.realname, PL_REALNAME_MAX);
		break;
	case PL_MSG_PING:
	case PL_MSG_PONG:
		pl_wr_u64(&w, m->u.ping.token);
		break;
	case PL_MSG_JOIN:
	case PL_MSG_PART:
		pl_wr_str(&w, m->u.join.room, PL_ROOM_MAX);
		break;
	case PL_MSG_SAY:
		pl_wr_u32(&w, m->u.say.tag);
		pl_wr_str(&w, m->u.say.target, TARGET_MAX);
		pl_wr_str(&w, m->u.say.text, PL_TEXT_MAX);
		break;
	case PL_MSG_BYE:
		break;
	case PL_MSG_WELCOME:
		pl_wr_u16(&w, m->u.welcome.version);
		pl_wr_str(&w, m->u.welcome.server, PL_SERVER_NAME_MAX);
		break;
	case PL_MSG_AUTH_OK:
		pl_wr_str(&w, m->u.auth_ok.nick, PL_NICK_MAX);
		pl_wr_u32(&w, m->u.auth_ok.session);
		pl_wr_u16(&w, m->u.auth_ok.udp_port);
		pl_wr_bytes(&w, m->u.auth_ok.voice_key, PL_VOICE_KEY_LEN);
		break;
	case PL_MSG_JOINED:
	case PL_MSG_PARTED:
		pl_wr_str(&w, m->u.member.room, PL_ROOM_MAX);
		pl_wr_str(&w, m->u.member.nick, PL_NICK_MAX);
		pl_wr_u32(&w, m->u.member.session);
		break;
	case PL_MSG_USERLIST:
		if (m->u.userlist.more > 1 || m->u.userlist.count > PL_USERLIST_CHUNK)
			return -EMSGSIZE;
		pl_wr_str(&w, m->u.userlist.room, PL_ROOM_MAX);
		pl_wr_u8(&w, m->u.userlist.more);
		pl_wr_u16(&w, m->u.userlist.count);
		for (unsigned i = 0; i < m->u.userlist.count; i++) {
			pl_wr_str(&w, m->u.userlist.users[i].nick, PL_NICK_MAX);
			pl_wr_u32(&w, m->u.userlist.users[i].session);
		}
		break;
	case PL_MSG_TEXT:
		pl_wr_u64(&w, m->u.text.id);
		pl_wr_u64(&w, m->u.text.time_ms);
		pl_wr_u8(&w, m->u.text.flags);
		pl_wr_str(&w, m->u.text.target, TARGET_MAX);
		pl_wr_str(&w, m->u.text.from, PL_NICK_MAX);
		pl_wr_str(&w, m->u.text.text, PL_TEXT_MAX);
		break;
	case PL_MSG_SAY_OK:
		pl_wr_u32(&w, m->u.say_ok.tag);
		pl_wr_u64(&w, m->u.say_ok.id);
		break;
	case PL_MSG_ERROR:
		pl_wr_u16(&w, m->u.error.code);
		pl_wr_u16(&w, m->u.error.about);
		pl_wr_str(&w, m->u.error.detail, PL_DETAIL_MAX);
		break;
	case PL_MSG_SET_PASSWORD:
		pl_wr_str(&w, m->u.set_password.old_password, PL_PASSWORD_MAX);
		pl_wr_str(&w, m->u.set_password.new_password, PL_PASSWORD_MAX);
		break;
	case PL_MSG_SET_PROFILE:
	case PL_MSG_PROFILE:
		if (m->u.profile.picture_len > PL_PICTURE_MAX)
			return -EMSGSIZE;
		if ((m->type == PL_MSG_PROFILE && m->u.profile.presence > PL_PRESENCE_MAX) ||
		    (m->type == PL_MSG_SET_PROFILE && (m->u.profile.what & ~(PL_PROFILE_REALNAME | PL_PROFILE_PICTURE))))
			return -EINVAL;
		if (m->type == PL_MSG_PROFILE)
			pl_wr_str(&w, m->u.profile.nick, PL_NICK_MAX);
		else
			pl_wr_u8(&w, m->u.profile.what);
		pl_wr_str(&w, m->u.profile.realname, PL_REALNAME_MAX);
		if (m->type == PL_MSG_PROFILE) {
			pl_wr_u64(&w, m->u.profile.created_ms);
			pl_wr_u8(&w, m->u.profile.presence);
			pl_wr_str(&w, m->u.profile.note, PL_NOTE_MAX);
		}
		pl_wr_u16(&w, m->u.profile.picture_len);
		pl_wr_bytes(&w, m->u.profile.picture, m->u.profile.picture_len);
		break;
	case PL_MSG_PROFILE_GET:
	case PL_MSG_CONTACT_ADD:
	case PL_MSG_CONTACT_DEL:
	case PL_MSG_STATUS_GET:
	case PL_MSG_CONTACT_DELETED:
		pl_wr_str(&w, m->u.user.nick, PL_NICK_MAX);
		break;
	case PL_MSG_CONTACTS_GET:
	case PL_MSG_GROUPS_GET:
	case PL_MSG_ROOMS_GET:
		break;
	case PL_MSG_STATUS_SET:
	case PL_MSG_PRESENCE:
	case PL_MSG_CONTACT_ADDED:
		if (m->u.presence.presence > PL_PRESENCE_MAX)
			return -EINVAL;
		if (m->type != PL_MSG_STATUS_SET)
			pl_wr_str(&w, m->u.presence.nick, PL_NICK_MAX);
		pl_wr_u8(&w, m->u.presence.presence);
		pl_wr_str(&w, m->u.presence.note, PL_NOTE_MAX);
		break;
	case PL_MSG_GROUP_CREATE:
		pl_wr_str(&w, m->u.group_create.name, PL_GROUP_NAME_MAX);
		break;
	case PL_MSG_GROUP_ADD:
		pl_wr_u32(&w, m->u.group_add.group);
		pl_wr_str(&w, m->u.group_add.nick, PL_NICK_MAX);
		break;
	case PL_MSG_GROUP_QUIT:
		pl_wr_u32(&w, m->u.group_quit.group);
		break;
	case PL_MSG_GROUP:
		if (m->u.group.count > PL_GROUP_MEMBERS_MAX)
			return -EMSGSIZE;
		pl_wr_u32(&w, m->u.group.id);
		pl_wr_str(&w, m->u.group.name, PL_GROUP_NAME_MAX);
		pl_wr_u64(&w, m->u.group.updated_ms);
		pl_wr_u16(&w, m->u.group.count);
		for (unsigned i = 0; i < m->u.group.count; i++)
			pl_wr_str(&w, m->u.group.members[i], PL_NICK_MAX);
		break;
	case PL_MSG_GROUP_MEMBER:
		if (m->u.group_member.joined > 1)
			return -EINVAL;
		pl_wr_u32(&w, m->u.group_member.group);
		pl_wr_str(&w, m->u.group_member.nick, PL_NICK_MAX);
		pl_wr_u8(&w, m->u.group_member.joined);
		pl_wr_u64(&w, m->u.group_member.updated_ms);
		break;
	case PL_MSG_ROOM_INFO:
		pl_wr_str(&w, m->u.room_info.name, PL_ROOM_MAX);
		pl_wr_u32(&w, m->u.room_info.users);
		break;
	case PL_MSG_NAMES:
		pl_wr_str(&w, m->u.names.room, PL_ROOM_MAX);
		break;
	case PL_MSG_HISTORY:
		pl_wr_str(&w, m->u.history.target, TARGET_MAX);
		pl_wr_u64(&w, m->u.history.before_id);
		pl_wr_u16(&w, m->u.history.limit);
		break;
	case PL_MSG_DELIVERED:
		pl_wr_u64(&w, m->u.delivered.id);
		break;
	case PL_MSG_LIST_END:
		if (m->u.list_end.more > 1)
			return -EINVAL;
		pl_wr_u16(&w, m->u.list_end.about);
		pl_wr_u32(&w, m->u.list_end.count);
		pl_wr_u8(&w, m->u.list_end.more);
		break;
	case PL_MSG_OK:
		pl_wr_u16(&w, m->u.ok.about);
		break;
	default:
		return -EPROTO;
	}
	int n = pl_wr_finish(&w);
	if (n < 0)
		return n;
	pl_frame_put_hdr(buf, m->type, (size_t)n);
	return n + PL_FRAME_HDR;
}

const char *pl_msg_name(uint16_t type)
{
	switch (type) {
	case PL_MSG_HELLO: return "HELLO";
	case PL_MSG_REGISTER: return "REGISTER";
	case PL_MSG_LOGIN: return "LOGIN";
	case PL_MSG_PONG: return "PONG";
	case PL_MSG_JOIN: return "JOIN";
	case PL_MSG_PART: return "PART";
	case PL_MSG_SAY: return "SAY";
	case PL_MSG_BYE: return "BYE";
	case PL_MSG_WELCOME: return "WELCOME";
	case PL_MSG_AUTH_OK: return "AUTH_OK";
	case PL_MSG_PING: return "PING";
	case PL_MSG_JOINED: return "JOINED";
	case PL_MSG_PARTED: return "PARTED";
	case PL_MSG_USERLIST: return "USERLIST";
	case PL_MSG_TEXT: return "TEXT";
	case PL_MSG_SAY_OK: return "SAY_OK";
	case PL_MSG_ERROR: return "ERROR";
	case PL_MSG_SET_PASSWORD: return "SET_PASSWORD";
	case PL_MSG_SET_PROFILE: return "SET_PROFILE";
	case PL_MSG_PROFILE_GET: return "PROFILE_GET";
	case PL_MSG_CONTACT_ADD: return "CONTACT_ADD";
	case PL_MSG_CONTACT_DEL: return "CONTACT_DEL";
	case PL_MSG_CONTACTS_GET: return "CONTACTS_GET";
	case PL_MSG_STATUS_SET: return "STATUS_SET";
	case PL_MSG_STATUS_GET: return "STATUS_GET";
	case PL_MSG_GROUP_CREATE: return "GROUP_CREATE";
	case PL_MSG_GROUP_ADD: return "GROUP_ADD";
	case PL_MSG_GROUP_QUIT: return "GROUP_QUIT";
	case PL_MSG_GROUPS_GET: return "GROUPS_GET";
	case PL_MSG_ROOMS_GET: return "ROOMS_GET";
	case PL_MSG_NAMES: return "NAMES";
	case PL_MSG_HISTORY: return "HISTORY";
	case PL_MSG_DELIVERED: return "DELIVERED";
	case PL_MSG_PROFILE: return "PROFILE";
	case PL_MSG_CONTACT_ADDED: return "CONTACT_ADDED";
	case PL_MSG_CONTACT_DELETED: return "CONTACT_DELETED";
	case PL_MSG_PRESENCE: return "PRESENCE";
	case PL_MSG_GROUP: return "GROUP";
	case PL_MSG_GROUP_MEMBER: return "GROUP_MEMBER";
	case PL_MSG_ROOM_INFO: return "ROOM_INFO";
	case PL_MSG_LIST_END: return "LIST_END";
	case PL_MSG_OK: return "OK";
	default: return NULL;
	}
}

const char *pl_presence_name(uint8_t p)
{
	static const char *names[] = {"offline", "online", "away", "busy"};
	return p <= PL_PRESENCE_MAX ? names[p] : "unknown";
}
