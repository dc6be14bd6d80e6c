#include "msg_util.h"

#include <stdlib.h>
#include <string.h>

/* Exactly n bytes of valid UTF-8: as many copies of unit as fit, then ASCII padding. */
void fill_str(char *dst, size_t n, const char *unit)
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
uint16_t fill_picture(uint8_t *p, size_t n)
{
	static const uint8_t png[] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
	for (size_t i = 0; i < n; i++)
		p[i] = i < sizeof png ? png[i] : (uint8_t)(i * 251 + (i >> 8));
	return (uint16_t)n;
}


/* The first field in which a and b differ, or NULL. */
const char *msg_diff(const struct pl_msg *a, const struct pl_msg *b)
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
int decode_copy(struct pl_msg *m, uint16_t type, const uint8_t *p, size_t len)
{
	uint8_t *c = malloc(len ? len : 1);
	if (len)
		memcpy(c, p, len);
	int rc = pl_msg_decode(m, type, c, len);
	free(c);
	return rc;
}

struct pl_msg *new_msg(void)
{
	return calloc(1, sizeof(struct pl_msg));
}

void put_int(uint8_t *p, size_t *n, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--)
		p[(*n)++] = (uint8_t)(v >> (8 * i));
}
