/* Carrying out a command (client/cmds.h parses it): the request it sends, or a sentence saying
 * why not. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "client/tui.h"
#include "core/err.h"
#include "core/names.h"

#define SAY_RETRY_MS 600 /* a message refused for the rate goes again this much later */

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

/* --- what a person types: sent in order, at the pace the server takes it --- */

/* A person who pastes twelve lines means all twelve, in order; the server's message budget (a
 * burst, then a rate) would refuse some. So the TUI and the line mode send one message at a time,
 * the next when the server has stored the last, and one refused for the rate goes again a little
 * later, the rest waiting behind it. (Scripts, in JSON mode, see every refusal instead.) */
struct say_item {
	struct say_item *next;
	char target[PL_TARGET_MAX + 1];
	char text[]; /* NUL-terminated */
};

static void say_next(struct client *c)
{
	struct say_item *q = c->sayq;
	if (!q || c->say_inflight || (c->say_retry && evtimer_pending(c->say_retry, NULL)) || !c->logged_in)
		return;
	struct pl_msg *m = &c->out;
	memset(m, 0, sizeof *m);
	m->type = PL_MSG_SAY;
	m->u.say.tag = c->say_inflight = ++c->next_tag;
	snprintf(m->u.say.target, sizeof m->u.say.target, "%s", q->target);
	snprintf(m->u.say.text, sizeof m->u.say.text, "%s", q->text);
	cl_send(c, m);
}

static void on_say_retry(evutil_socket_t fd, short what, void *arg)
{
	say_next(arg);
}

static void say_queue(struct client *c, const char *target, const char *text)
{
	size_t n = strlen(text);
	struct say_item *it = malloc(sizeof *it + n + 1);
	if (!it) {
		pl_ui_local_error(&c->ui, "Out of memory: that message was not sent.");
		return;
	}
	it->next = NULL;
	snprintf(it->target, sizeof it->target, "%s", target);
	memcpy(it->text, text, n + 1);
	struct say_item **tail = &c->sayq;
	while (*tail)
		tail = &(*tail)->next;
	*tail = it;
	if (!c->say_retry)
		c->say_retry = evtimer_new(c->base, on_say_retry, c);
	say_next(c);
}

bool cl_say_answer(struct client *c, const struct pl_msg *m)
{
	bool ok = m->type == PL_MSG_SAY_OK && c->say_inflight && m->u.say_ok.tag == c->say_inflight;
	bool err = m->type == PL_MSG_ERROR && m->u.error.about == PL_MSG_SAY && c->say_inflight;
	if (!ok && !err)
		return false;
	c->say_inflight = 0;
	if (err && m->u.error.code == PL_ERR_RATE_LIMITED && c->say_retry) {
		struct timeval tv = {0, SAY_RETRY_MS * 1000};
		evtimer_add(c->say_retry, &tv); /* the same message again, the rest behind it */
		return true; /* not an error the person needs to see: it will go */
	}
	struct say_item *done = c->sayq;
	if (done) {
		c->sayq = done->next;
		sodium_memzero(done->text, strlen(done->text));
		free(done);
	}
	say_next(c);
	return false; /* shown as usual: the message is stored (or refused for good) */
}

void cl_say_resume(struct client *c)
{
	say_next(c);
}

void cl_say_free(struct client *c)
{
	while (c->sayq) {
		struct say_item *it = c->sayq;
		c->sayq = it->next;
		free(it);
	}
	if (c->say_retry)
		event_free(c->say_retry);
	c->say_retry = NULL;
	c->say_inflight = 0;
}

/* The sound devices and the person's voice controls. */
static void sound_cmd(struct client *c, const struct pl_cmd *cmd)
{
	char err[512];
	if (cmd->kind == PL_CMD_SOUND_DEVICES) {
		static struct pl_audio_dev devs[64];
		int n = pl_audio_list(devs, sizeof devs / sizeof devs[0], err, sizeof err);
		if (n < 0)
			pl_ui_local_error(&c->ui, err);
		else
			pl_ui_sound_devices(&c->ui, devs, (size_t)n);
		return;
	}
	if (!c->voice) {
		pl_ui_local_error(&c->ui, "Voice starts after login; log in first.");
		return;
	}
	struct pl_voice_stats st;
	pl_voice_stats(c->voice, &st);
	switch (cmd->kind) {
	case PL_CMD_INPUT:
	case PL_CMD_OUTPUT: {
		const char *dev = strcmp(cmd->path, "none") ? cmd->path : "";
		bool in = cmd->kind == PL_CMD_INPUT;
		if (pl_voice_set_devices(c->voice, in ? dev : NULL, in ? NULL : dev, err, sizeof err) < 0) {
			pl_ui_local_error(&c->ui, err);
			return;
		}
		if (in && *dev)
			pl_roomkeys_talk(c->roomkeys); /* a microphone from now on: its voice is sealed */
		pl_voice_stats(c->voice, &st);
		char s[400];
		snprintf(s, sizeof s, "Microphone: %s; speaker: %s.", st.input[0] ? st.input : "none",
			 st.output[0] ? st.output : "none");
		pl_ui_info(&c->ui, "sound_devices_set", s);
		return;
	}
	case PL_CMD_MUTE:
		st.muted = !st.muted;
		pl_voice_set_mute(c->voice, st.muted);
		break;
	case PL_CMD_DEAFEN:
		st.deafened = !st.deafened;
		pl_voice_set_deafen(c->voice, st.deafened);
		break;
	case PL_CMD_PTT:
		if (st.mode != PL_VOICE_PTT) {
			st.mode = PL_VOICE_PTT;
			st.ptt = true;
			pl_voice_set_mode(c->voice, PL_VOICE_PTT);
		} else {
			st.ptt = !st.ptt;
		}
		pl_voice_set_ptt(c->voice, st.ptt);
		break;
	case PL_CMD_VAD:
		st.mode = PL_VOICE_VAD;
		st.ptt = false;
		pl_voice_set_mode(c->voice, PL_VOICE_VAD);
		pl_voice_set_ptt(c->voice, false);
		break;
	default:
		return;
	}
	pl_ui_voice_state(&c->ui, &st);
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
		if (c->ui.mode != PL_UI_JSON) {
			if (!c->logged_in)
				pl_ui_local_error(&c->ui, "Log in first: /login NICK PASSWORD, or /register NICK PASSWORD.");
			else
				say_queue(c, cmd->target, cmd->text);
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
		if (!cl_history_sent(c, cmd->target, CL_HIST_CMD)) {
			pl_ui_local_error(&c->ui, "Too many history requests are waiting for the server; try again in a moment.");
			return;
		}
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
	case PL_CMD_ME: {
		const char *to = cl_current_target(c);
		if (!to || !*to) {
			pl_ui_local_error(&c->ui, "An action goes to a room or a conversation: /join a room, or /query NICK.");
			return;
		}
		char text[PL_TEXT_MAX + 8];
		snprintf(text, sizeof text, "/me %s", cmd->text);
		if (strlen(text) > PL_TEXT_MAX || !pl_text_valid(text)) {
			pl_ui_local_error(&c->ui, pl_err_sentence(PL_ERR_BAD_TEXT));
			return;
		}
		say_queue(c, to, text);
		return;
	}
	case PL_CMD_TOPIC: {
		const char *room = cmd->target[0] ? cmd->target : cl_current_target(c);
		if (!room || room[0] != '#') {
			pl_ui_local_error(&c->ui, "A topic belongs to a room: go to its window, or /join it.");
			return;
		}
		if (cmd->text[0] && !pl_line_valid(cmd->text)) {
			pl_ui_local_error(&c->ui, "A topic is one line of text.");
			return;
		}
		m->type = PL_MSG_TOPIC;
		snprintf(m->u.topic.room, sizeof m->u.topic.room, "%s", room);
		m->u.topic.set = cmd->text[0] ? 1 : 0;
		snprintf(m->u.topic.text, sizeof m->u.topic.text, "%.*s", PL_TOPIC_MAX, cmd->text);
		cl_send(c, m);
		return;
	}
	case PL_CMD_CLEAR:
		if (c->ui.mode == PL_UI_TUI)
			pl_tui_clear(c->ui.tui);
		return;
	case PL_CMD_QUERY:
		if (c->ui.mode == PL_UI_TUI) {
			pl_tui_show(c->ui.tui, cmd->nick); /* what is typed there goes to them */
			cl_recent(c, cmd->nick);
		} else {
			pl_ui_local_error(&c->ui, "The line mode has no windows: /msg NICK TEXT writes to one person.");
		}
		return;
	case PL_CMD_CLOSE: {
		const char *w = c->ui.mode == PL_UI_TUI ? pl_tui_current(c->ui.tui) : NULL;
		if (!w || !*w) {
			pl_ui_local_error(&c->ui, "The status window stays open; /quit leaves parley.");
		} else if (*w == '#') {
			m->type = PL_MSG_PART; /* its window closes when the server says we left */
			snprintf(m->u.join.room, sizeof m->u.join.room, "%s", w);
			cl_send(c, m);
		} else {
			pl_tui_close_window(c->ui.tui, w);
		}
		return;
	}
	case PL_CMD_SOUND_DEVICES:
	case PL_CMD_INPUT:
	case PL_CMD_OUTPUT:
	case PL_CMD_MUTE:
	case PL_CMD_DEAFEN:
	case PL_CMD_PTT:
	case PL_CMD_VAD:
		sound_cmd(c, cmd);
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

