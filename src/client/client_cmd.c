/* Carrying out a command (client/cmds.h parses it): the request it sends, or a sentence saying
 * why not. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "client/client_int.h"
#include "core/err.h"
#include "core/names.h"

static int read_picture(struct client *c, const char *path, struct pl_msg *m)
{
	FILE *f = fopen(path, "rb");
	char err[1200];
	if (!f) {
		snprintf(err, sizeof err, "Cannot read the picture %s (%s); check the path.", path, strerror(errno));
		pl_ui_local_error(&c->ui, err);
		return -errno;
	}
	size_t n = fread(m->u.profile.picture, 1, sizeof m->u.profile.picture, f);
	bool too_big = fgetc(f) != EOF;
	fclose(f);
	if (too_big || n == 0) {
		snprintf(err, sizeof err, "The picture %s is %s; pictures are PNG or JPEG files of 1 to %d bytes.", path,
			 n ? "too large" : "empty", PL_PICTURE_MAX);
		pl_ui_local_error(&c->ui, err);
		return -EINVAL;
	}
	m->u.profile.picture_len = (uint16_t)n;
	return 0;
}

void cl_run_cmd(struct client *c, const struct pl_cmd *cmd)
{
	struct pl_msg *m = &c->out;
	memset(m, 0, sizeof *m);
	switch (cmd->kind) {
	case PL_CMD_NONE:
		return;
	case PL_CMD_HELP:
		pl_ui_help(&c->ui);
		return;
	case PL_CMD_QUIT:
		cl_quit(c);
		return;
	case PL_CMD_REGISTER:
	case PL_CMD_LOGIN:
		if (!c->welcomed || c->logged_in) {
			pl_ui_local_error(&c->ui, c->logged_in ? "You are logged in already."
							       : "Not connected yet; wait for the server's welcome.");
			return;
		}
		if (cmd->kind == PL_CMD_REGISTER && !pl_nick_valid(cmd->nick)) {
			pl_ui_local_error(&c->ui, pl_err_sentence(PL_ERR_BAD_NICK));
			return;
		}
		cl_start_login(c, cmd->kind == PL_CMD_REGISTER, cmd->nick, cmd->password, cmd->realname);
		return;
	case PL_CMD_JOIN:
	case PL_CMD_PART:
		if (!pl_room_valid(cmd->target)) {
			pl_ui_local_error(&c->ui, pl_err_sentence(PL_ERR_BAD_ROOM));
			return;
		}
		m->type = cmd->kind == PL_CMD_JOIN ? PL_MSG_JOIN : PL_MSG_PART;
		snprintf(m->u.join.room, sizeof m->u.join.room, "%s", cmd->target);
		cl_send(c, m);
		return;
	case PL_CMD_SAY:
		if (!pl_text_valid(cmd->text)) {
			pl_ui_local_error(&c->ui, pl_err_sentence(PL_ERR_BAD_TEXT));
			return;
		}
		if (cmd->target[0] == '#' ? !pl_room_valid(cmd->target) : !pl_nick_valid(cmd->target)) {
			pl_ui_local_error(&c->ui, "That is neither a room (#name) nor a valid nickname.");
			return;
		}
		m->type = PL_MSG_SAY;
		m->u.say.tag = cmd->tag ? cmd->tag : ++c->next_tag;
		snprintf(m->u.say.target, sizeof m->u.say.target, "%s", cmd->target);
		memcpy(m->u.say.text, cmd->text, strlen(cmd->text) + 1);
		cl_send(c, m);
		return;
	case PL_CMD_VOICE_SEND:
	case PL_CMD_RECORD:
		cl_voice_file(c, cmd->kind == PL_CMD_VOICE_SEND, cmd->path);
		return;
	default:
		break;
	}
	if (!c->logged_in) {
		pl_ui_local_error(&c->ui, "Log in first: /login NICK PASSWORD, or /register NICK PASSWORD.");
		return;
	}
	if (pl_calls_cmd(c->calls, cmd))
		return;
	switch (cmd->kind) {
	case PL_CMD_PASSWD:
		m->type = PL_MSG_SET_PASSWORD;
		snprintf(m->u.set_password.old_password, sizeof m->u.set_password.old_password, "%s", cmd->password);
		snprintf(m->u.set_password.new_password, sizeof m->u.set_password.new_password, "%s", cmd->new_password);
		cl_send(c, m);
		sodium_memzero(&m->u.set_password, sizeof m->u.set_password);
		return;
	case PL_CMD_PROFILE:
		m->type = PL_MSG_SET_PROFILE;
		if (cmd->has_realname) {
			m->u.profile.what |= PL_PROFILE_REALNAME;
			snprintf(m->u.profile.realname, sizeof m->u.profile.realname, "%s", cmd->realname);
		}
		if (cmd->has_picture) {
			m->u.profile.what |= PL_PROFILE_PICTURE;
			if (strcmp(cmd->path, "none") != 0 && read_picture(c, cmd->path, m) < 0)
				return;
		}
		cl_send(c, m);
		return;
	case PL_CMD_WHOIS:
	case PL_CMD_ADD:
	case PL_CMD_DEL:
	case PL_CMD_STATUS_GET:
	case PL_CMD_KEYS:
		if (!pl_nick_valid(cmd->nick)) {
			pl_ui_local_error(&c->ui, pl_err_sentence(PL_ERR_BAD_NICK));
			return;
		}
		m->type = cmd->kind == PL_CMD_WHOIS ? PL_MSG_PROFILE_GET : cmd->kind == PL_CMD_ADD ? PL_MSG_CONTACT_ADD
			: cmd->kind == PL_CMD_DEL ? PL_MSG_CONTACT_DEL : cmd->kind == PL_CMD_KEYS ? PL_MSG_KEYS_GET
			: PL_MSG_STATUS_GET;
		snprintf(m->u.user.nick, sizeof m->u.user.nick, "%s", cmd->nick);
		cl_send(c, m);
		return;
	case PL_CMD_STATUS_SET:
		m->type = PL_MSG_STATUS_SET;
		m->u.presence.presence = cmd->presence;
		snprintf(m->u.presence.note, sizeof m->u.presence.note, "%.*s", PL_NOTE_MAX, cmd->text);
		cl_send(c, m);
		return;
	case PL_CMD_CONTACTS:
	case PL_CMD_GROUPS:
	case PL_CMD_ROOMS:
	case PL_CMD_DEVICES:
		m->type = cmd->kind == PL_CMD_CONTACTS ? PL_MSG_CONTACTS_GET : cmd->kind == PL_CMD_GROUPS
			? PL_MSG_GROUPS_GET : cmd->kind == PL_CMD_ROOMS ? PL_MSG_ROOMS_GET : PL_MSG_DEVICES_GET;
		cl_send(c, m);
		return;
	case PL_CMD_NAMES:
		m->type = PL_MSG_NAMES;
		snprintf(m->u.names.room, sizeof m->u.names.room, "%s", cmd->target);
		cl_send(c, m);
		return;
	case PL_CMD_GROUP_CREATE:
		if (!pl_group_name_valid(cmd->text)) {
			pl_ui_local_error(&c->ui, pl_err_sentence(PL_ERR_BAD_GROUP_NAME));
			return;
		}
		m->type = PL_MSG_GROUP_CREATE;
		snprintf(m->u.group_create.name, sizeof m->u.group_create.name, "%.*s", PL_GROUP_NAME_MAX, cmd->text);
		cl_send(c, m);
		return;
	case PL_CMD_GROUP_ADD:
		m->type = PL_MSG_GROUP_ADD;
		m->u.group_add.group = cmd->number;
		snprintf(m->u.group_add.nick, sizeof m->u.group_add.nick, "%s", cmd->nick);
		cl_send(c, m);
		return;
	case PL_CMD_GROUP_QUIT:
		m->type = PL_MSG_GROUP_QUIT;
		m->u.group_quit.group = cmd->number;
		cl_send(c, m);
		return;
	case PL_CMD_HISTORY:
		m->type = PL_MSG_HISTORY;
		snprintf(m->u.history.target, sizeof m->u.history.target, "%s", cmd->target);
		m->u.history.limit = (uint16_t)cmd->number;
		m->u.history.before_id = cmd->before;
		cl_send(c, m);
		return;
	case PL_CMD_REVOKE:
		if (pl_ui_device_key(&c->ui, cmd, m->u.device_revoke.key) < 0)
			return; /* it said why: an unknown or ambiguous fingerprint */
		m->type = PL_MSG_DEVICE_REVOKE;
		cl_send(c, m);
		return;
	case PL_CMD_ACCEPT:
	case PL_CMD_REFUSE:
		m->type = PL_MSG_CONTACT_ANSWER;
		snprintf(m->u.contact_req.nick, sizeof m->u.contact_req.nick, "%s", cmd->nick);
		m->u.contact_req.accept = cmd->kind == PL_CMD_ACCEPT;
		cl_send(c, m);
		return;
	case PL_CMD_STOP_RECORD:
		if (c->voice)
			pl_voice_stop_record(c->voice);
		return;
	case PL_CMD_STATS:
		if (c->voice) {
			struct pl_voice_stats st;
			pl_voice_stats(c->voice, &st);
			pl_ui_voice_stats(&c->ui, &st);
		} else {
			pl_ui_local_error(&c->ui, "Voice has not started.");
		}
		return;
	default:
		return;
	}
}

