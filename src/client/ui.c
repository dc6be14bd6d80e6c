#include "client/ui.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "client/tui.h"
#include "core/err.h"
#include "core/json.h"

/* --- input --- */

static const char *help_text =
	"Commands:\n"
	"  /register NICK PASSWORD [REAL NAME]   create an account and log in\n"
	"  /login NICK PASSWORD                  log in\n"
	"  /join #room                           join a room (your voice goes there too)\n"
	"  /part [#room]                         leave a room (default: the current one)\n"
	"  /msg NICK|#room TEXT                  send a message to a user or a room\n"
	"  /voice FILE.wav                       talk: send a 48 kHz mono WAV as your microphone\n"
	"  /record FILE.wav                      write what you hear to a WAV file; /stoprecord ends it\n"
	"  /stats                                voice statistics\n"
	"  /history [#room|NICK] [N] [BEFORE-ID] the last N messages (default 20), or those before an id\n"
	"  /rooms, /names [#room]                the rooms, and who is in one\n"
	"  /contacts, /add NICK, /del NICK       your contacts and their status; add or remove one\n"
	"  /status NICK                          someone's presence, without calling them\n"
	"  /away [NOTE], /busy [NOTE], /back     set your presence\n"
	"  /whois NICK                           someone's profile\n"
	"  /realname NAME, /picture FILE|none    change your profile (PNG or JPEG up to 8 KiB)\n"
	"  /passwd OLD NEW                       change your password\n"
	"  /groups, /group create NAME, /group add ID NICK, /group quit ID\n"
	"  /quit                                 disconnect and exit\n"
	"  anything else                         a message to the current room\n";

static int copy_field(char *dst, size_t dstsz, const char *src, const char *what, char *err, size_t errsz)
{
	if (!src || !*src) {
		snprintf(err, errsz, "The command needs %s.", what);
		return -EINVAL;
	}
	if (strlen(src) >= dstsz) {
		snprintf(err, errsz, "The value given for %s is too long (at most %zu bytes).", what, dstsz - 1);
		return -EINVAL;
	}
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

static int parse_json(const char *line, size_t len, struct pl_cmd *cmd, char *err, size_t errsz)
{
	struct pl_json_obj o;
	char *scratch = malloc(len + 1);
	if (!scratch)
		return -ENOMEM;
	int rc = pl_json_parse(&o, line, len, scratch, len + 1);
	if (rc < 0) {
		snprintf(err, errsz, "That line is not a flat JSON object like {\"cmd\":\"say\",\"to\":\"#Lobby\",\"text\":\"hi\"}.");
		goto out;
	}
	const char *c = pl_json_str(&o, "cmd");
	double tag = 0;
	if (pl_json_num(&o, "tag", &tag) && tag >= 0 && tag <= 4294967295.0)
		cmd->tag = (uint32_t)tag;
	rc = -EINVAL;
	if (!c) {
		snprintf(err, errsz, "The object has no \"cmd\" string; see the JSON commands in the README.");
		goto out;
	}
	if (!strcmp(c, "register") || !strcmp(c, "login")) {
		cmd->kind = c[0] == 'r' ? PL_CMD_REGISTER : PL_CMD_LOGIN;
		if (copy_field(cmd->nick, sizeof cmd->nick, pl_json_str(&o, "nick"), "a \"nick\"", err, errsz) ||
		    copy_field(cmd->password, sizeof cmd->password, pl_json_str(&o, "password"), "a \"password\"", err, errsz))
			goto out;
		const char *rn = pl_json_str(&o, "realname");
		if (rn && copy_field(cmd->realname, sizeof cmd->realname, rn, "real name", err, errsz))
			goto out;
	} else if (!strcmp(c, "join") || !strcmp(c, "part")) {
		cmd->kind = c[0] == 'j' ? PL_CMD_JOIN : PL_CMD_PART;
		if (copy_field(cmd->target, sizeof cmd->target, pl_json_str(&o, "room"), "a \"room\"", err, errsz))
			goto out;
	} else if (!strcmp(c, "say")) {
		cmd->kind = PL_CMD_SAY;
		if (copy_field(cmd->target, sizeof cmd->target, pl_json_str(&o, "to"), "a \"to\" (room or nickname)", err, errsz) ||
		    copy_field(cmd->text, sizeof cmd->text, pl_json_str(&o, "text"), "a \"text\"", err, errsz))
			goto out;
	} else if (!strcmp(c, "voice_send") || !strcmp(c, "record")) {
		cmd->kind = c[0] == 'v' ? PL_CMD_VOICE_SEND : PL_CMD_RECORD;
		if (copy_field(cmd->path, sizeof cmd->path, pl_json_str(&o, "file"), "a \"file\"", err, errsz))
			goto out;
	} else if (!strcmp(c, "passwd")) {
		cmd->kind = PL_CMD_PASSWD;
		if (copy_field(cmd->password, sizeof cmd->password, pl_json_str(&o, "old"), "an \"old\" password", err, errsz) ||
		    copy_field(cmd->new_password, sizeof cmd->new_password, pl_json_str(&o, "new"), "a \"new\" password", err, errsz))
			goto out;
	} else if (!strcmp(c, "profile")) {
		cmd->kind = PL_CMD_PROFILE;
		const char *rn = pl_json_str(&o, "realname"), *pic = pl_json_str(&o, "picture");
		if (rn && (cmd->has_realname = true) && strlen(rn) >= sizeof cmd->realname) {
			snprintf(err, errsz, "The real name is too long (at most %d bytes).", PL_REALNAME_MAX);
			goto out;
		}
		if (rn)
			memcpy(cmd->realname, rn, strlen(rn) + 1);
		if (pic && (cmd->has_picture = true) && copy_field(cmd->path, sizeof cmd->path, pic[0] ? pic : "none", "picture file", err, errsz))
			goto out;
		if (!rn && !pic) {
			snprintf(err, errsz, "\"profile\" needs a \"realname\" or a \"picture\" (a file, or \"\" to remove it).");
			goto out;
		}
	} else if (!strcmp(c, "whois") || !strcmp(c, "add") || !strcmp(c, "del") || !strcmp(c, "status")) {
		cmd->kind = c[0] == 'w' ? PL_CMD_WHOIS : c[0] == 'a' ? PL_CMD_ADD : c[0] == 'd' ? PL_CMD_DEL : PL_CMD_STATUS_GET;
		if (copy_field(cmd->nick, sizeof cmd->nick, pl_json_str(&o, "nick"), "a \"nick\"", err, errsz))
			goto out;
	} else if (!strcmp(c, "set_status")) {
		cmd->kind = PL_CMD_STATUS_SET;
		const char *p = pl_json_str(&o, "presence"), *note = pl_json_str(&o, "note");
		if (!p || (strcmp(p, "online") && strcmp(p, "away") && strcmp(p, "busy"))) {
			snprintf(err, errsz, "\"presence\" must be \"online\", \"away\" or \"busy\".");
			goto out;
		}
		cmd->presence = p[0] == 'o' ? PL_PRESENCE_ONLINE : p[0] == 'a' ? PL_PRESENCE_AWAY : PL_PRESENCE_BUSY;
		if (note && copy_field(cmd->text, PL_NOTE_MAX + 1, note, "note", err, errsz))
			goto out;
	} else if (!strcmp(c, "group_create")) {
		cmd->kind = PL_CMD_GROUP_CREATE;
		if (copy_field(cmd->text, PL_GROUP_NAME_MAX + 1, pl_json_str(&o, "name"), "a \"name\"", err, errsz))
			goto out;
	} else if (!strcmp(c, "group_add") || !strcmp(c, "group_quit")) {
		cmd->kind = c[6] == 'a' ? PL_CMD_GROUP_ADD : PL_CMD_GROUP_QUIT;
		double g;
		if (!pl_json_num(&o, "group", &g) || g < 1 || g > 4294967295.0) {
			snprintf(err, errsz, "\"%s\" needs a \"group\" number.", c);
			goto out;
		}
		cmd->number = (uint32_t)g;
		if (cmd->kind == PL_CMD_GROUP_ADD &&
		    copy_field(cmd->nick, sizeof cmd->nick, pl_json_str(&o, "nick"), "a \"nick\"", err, errsz))
			goto out;
	} else if (!strcmp(c, "contacts") || !strcmp(c, "groups") || !strcmp(c, "rooms")) {
		cmd->kind = c[0] == 'c' ? PL_CMD_CONTACTS : c[0] == 'g' ? PL_CMD_GROUPS : PL_CMD_ROOMS;
	} else if (!strcmp(c, "names")) {
		cmd->kind = PL_CMD_NAMES;
		if (copy_field(cmd->target, sizeof cmd->target, pl_json_str(&o, "room"), "a \"room\"", err, errsz))
			goto out;
	} else if (!strcmp(c, "history")) {
		cmd->kind = PL_CMD_HISTORY;
		double n = 20, before = 0;
		if (copy_field(cmd->target, sizeof cmd->target, pl_json_str(&o, "target"), "a \"target\" (room or nickname)", err, errsz))
			goto out;
		pl_json_num(&o, "limit", &n);
		pl_json_num(&o, "before", &before);
		if (n < 1 || n > PL_HISTORY_MAX || before < 0 || before > 9007199254740992.0) {
			snprintf(err, errsz, "\"limit\" must be 1 to %d and \"before\" a message id.", PL_HISTORY_MAX);
			goto out;
		}
		cmd->number = (uint32_t)n;
		cmd->before = (uint64_t)before;
	} else if (!strcmp(c, "stop_record")) {
		cmd->kind = PL_CMD_STOP_RECORD;
	} else if (!strcmp(c, "stats")) {
		cmd->kind = PL_CMD_STATS;
	} else if (!strcmp(c, "quit")) {
		cmd->kind = PL_CMD_QUIT;
	} else {
		snprintf(err, errsz, "Unknown \"cmd\" \"%.40s\"; the commands are register, login, join, part, say, "
			 "history, rooms, names, contacts, add, del, status, set_status, whois, profile, passwd, "
			 "groups, group_create, group_add, group_quit, voice_send, record, stop_record, stats, quit.", c);
		goto out;
	}
	rc = 0;
out:
	free(scratch);
	return rc;
}

/* The next space-separated word of *p, advancing *p past it and the spaces after. */
static const char *word(char **p)
{
	while (**p == ' ')
		(*p)++;
	if (!**p)
		return NULL;
	char *w = *p;
	while (**p && **p != ' ')
		(*p)++;
	if (**p)
		*(*p)++ = '\0';
	while (**p == ' ')
		(*p)++;
	return w;
}

static int parse_line(const char *in, size_t len, const char *current_room, struct pl_cmd *cmd, char *err, size_t errsz)
{
	char buf[PL_TEXT_MAX + 1100];
	if (len >= sizeof buf) {
		snprintf(err, errsz, "That line is too long; messages are at most %d bytes.", PL_TEXT_MAX);
		return -EINVAL;
	}
	memcpy(buf, in, len);
	buf[len] = '\0';
	while (len && (buf[len - 1] == '\r' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	if (len == 0) {
		cmd->kind = PL_CMD_NONE;
		return 0;
	}
	if (buf[0] != '/' || buf[1] == '/') {
		cmd->kind = PL_CMD_SAY;
		if (!current_room || !*current_room) {
			snprintf(err, errsz, "You are in no room; /join one first, or use /msg NICK TEXT.");
			return -EINVAL;
		}
		snprintf(cmd->target, sizeof cmd->target, "%s", current_room);
		return copy_field(cmd->text, sizeof cmd->text, buf[0] == '/' ? buf + 1 : buf, "text", err, errsz);
	}
	char *p = buf + 1;
	const char *verb = word(&p);
	if (!verb)
		verb = "";
	if (!strcmp(verb, "register") || !strcmp(verb, "login")) {
		cmd->kind = verb[0] == 'r' ? PL_CMD_REGISTER : PL_CMD_LOGIN;
		const char *nick = word(&p), *pw = word(&p);
		if (!nick || !pw) {
			snprintf(err, errsz, "Usage: /%s NICK PASSWORD%s", verb, verb[0] == 'r' ? " [REAL NAME]" : "");
			return -EINVAL;
		}
		if (copy_field(cmd->nick, sizeof cmd->nick, nick, "nickname", err, errsz) ||
		    copy_field(cmd->password, sizeof cmd->password, pw, "password", err, errsz))
			return -EINVAL;
		if (*p && copy_field(cmd->realname, sizeof cmd->realname, p, "real name", err, errsz))
			return -EINVAL;
		return 0;
	}
	if (!strcmp(verb, "join") || !strcmp(verb, "part")) {
		cmd->kind = verb[0] == 'j' ? PL_CMD_JOIN : PL_CMD_PART;
		const char *room = word(&p);
		if (!room && cmd->kind == PL_CMD_PART)
			room = current_room;
		if (!room || !*room) {
			snprintf(err, errsz, "Usage: /%s #room", verb);
			return -EINVAL;
		}
		if (room[0] != '#') {
			snprintf(err, errsz, "Room names start with '#': try /%s #%s", verb, room);
			return -EINVAL;
		}
		return copy_field(cmd->target, sizeof cmd->target, room, "room name", err, errsz);
	}
	if (!strcmp(verb, "msg")) {
		cmd->kind = PL_CMD_SAY;
		const char *to = word(&p);
		if (!to || !*p) {
			snprintf(err, errsz, "Usage: /msg NICK|#room TEXT");
			return -EINVAL;
		}
		if (copy_field(cmd->target, sizeof cmd->target, to, "nickname or room", err, errsz))
			return -EINVAL;
		return copy_field(cmd->text, sizeof cmd->text, p, "text", err, errsz);
	}
	if (!strcmp(verb, "voice") || !strcmp(verb, "record")) {
		cmd->kind = verb[0] == 'v' ? PL_CMD_VOICE_SEND : PL_CMD_RECORD;
		if (!*p) {
			snprintf(err, errsz, "Usage: /%s FILE.wav", verb);
			return -EINVAL;
		}
		return copy_field(cmd->path, sizeof cmd->path, p, "file name", err, errsz);
	}
	if (!strcmp(verb, "passwd")) {
		cmd->kind = PL_CMD_PASSWD;
		const char *old = word(&p), *nw = word(&p);
		if (!old || !nw) {
			snprintf(err, errsz, "Usage: /passwd OLD-PASSWORD NEW-PASSWORD");
			return -EINVAL;
		}
		if (copy_field(cmd->password, sizeof cmd->password, old, "old password", err, errsz) ||
		    copy_field(cmd->new_password, sizeof cmd->new_password, nw, "new password", err, errsz))
			return -EINVAL;
		return 0;
	}
	if (!strcmp(verb, "realname")) {
		cmd->kind = PL_CMD_PROFILE;
		cmd->has_realname = true;
		if (strlen(p) > PL_REALNAME_MAX) {
			snprintf(err, errsz, "The real name is too long (at most %d bytes).", PL_REALNAME_MAX);
			return -EINVAL;
		}
		memcpy(cmd->realname, p, strlen(p) + 1);
		return 0;
	}
	if (!strcmp(verb, "picture")) {
		cmd->kind = PL_CMD_PROFILE;
		cmd->has_picture = true;
		if (!*p) {
			snprintf(err, errsz, "Usage: /picture FILE.png (or /picture none to remove it)");
			return -EINVAL;
		}
		return copy_field(cmd->path, sizeof cmd->path, p, "file name", err, errsz);
	}
	if (!strcmp(verb, "whois") || !strcmp(verb, "add") || !strcmp(verb, "del") || !strcmp(verb, "status")) {
		cmd->kind = verb[0] == 'w' ? PL_CMD_WHOIS : verb[0] == 'a' ? PL_CMD_ADD : verb[0] == 'd' ? PL_CMD_DEL
											: PL_CMD_STATUS_GET;
		const char *nick = word(&p);
		if (!nick) {
			snprintf(err, errsz, "Usage: /%s NICK", verb);
			return -EINVAL;
		}
		return copy_field(cmd->nick, sizeof cmd->nick, nick, "nickname", err, errsz);
	}
	if (!strcmp(verb, "away") || !strcmp(verb, "busy") || !strcmp(verb, "back")) {
		cmd->kind = PL_CMD_STATUS_SET;
		cmd->presence = verb[0] == 'a' ? PL_PRESENCE_AWAY : verb[1] == 'u' ? PL_PRESENCE_BUSY : PL_PRESENCE_ONLINE;
		if (strlen(p) > PL_NOTE_MAX) {
			snprintf(err, errsz, "The note is too long (at most %d bytes).", PL_NOTE_MAX);
			return -EINVAL;
		}
		memcpy(cmd->text, p, strlen(p) + 1);
		return 0;
	}
	if (!strcmp(verb, "contacts") || !strcmp(verb, "groups") || !strcmp(verb, "rooms")) {
		cmd->kind = verb[0] == 'c' ? PL_CMD_CONTACTS : verb[0] == 'g' ? PL_CMD_GROUPS : PL_CMD_ROOMS;
		return 0;
	}
	if (!strcmp(verb, "names")) {
		cmd->kind = PL_CMD_NAMES;
		const char *room = word(&p);
		if (!room)
			room = current_room;
		if (!room || room[0] != '#') {
			snprintf(err, errsz, "Usage: /names #room");
			return -EINVAL;
		}
		return copy_field(cmd->target, sizeof cmd->target, room, "room name", err, errsz);
	}
	if (!strcmp(verb, "group")) {
		const char *sub = word(&p);
		if (sub && !strcmp(sub, "create") && *p) {
			cmd->kind = PL_CMD_GROUP_CREATE;
			return copy_field(cmd->text, PL_GROUP_NAME_MAX + 1, p, "group name", err, errsz);
		}
		const char *id = word(&p);
		char *end;
		unsigned long n = id ? strtoul(id, &end, 10) : 0;
		bool id_ok = id && *end == '\0' && n >= 1 && n <= UINT32_MAX;
		cmd->number = (uint32_t)n;
		if (sub && !strcmp(sub, "add") && id_ok && *p) {
			cmd->kind = PL_CMD_GROUP_ADD;
			return copy_field(cmd->nick, sizeof cmd->nick, word(&p), "nickname", err, errsz);
		}
		if (sub && !strcmp(sub, "quit") && id_ok) {
			cmd->kind = PL_CMD_GROUP_QUIT;
			return 0;
		}
		snprintf(err, errsz, "Usage: /group create NAME, /group add ID NICK, or /group quit ID (/groups lists the ids)");
		return -EINVAL;
	}
	if (!strcmp(verb, "history")) {
		cmd->kind = PL_CMD_HISTORY;
		const char *t = word(&p), *n = word(&p), *b = word(&p);
		if (t && t[0] >= '0' && t[0] <= '9') { /* "/history 50": the current window */
			b = n;
			n = t;
			t = NULL;
		}
		if (!t)
			t = current_room;
		cmd->number = n ? (uint32_t)strtoul(n, NULL, 10) : 20;
		cmd->before = b ? strtoull(b, NULL, 10) : 0;
		if (!t || cmd->number < 1 || cmd->number > PL_HISTORY_MAX) {
			snprintf(err, errsz, "Usage: /history [#room|NICK] [N from 1 to %d] [BEFORE-ID]", PL_HISTORY_MAX);
			return -EINVAL;
		}
		return copy_field(cmd->target, sizeof cmd->target, t, "room or nickname", err, errsz);
	}
	if (!strcmp(verb, "stoprecord")) {
		cmd->kind = PL_CMD_STOP_RECORD;
		return 0;
	}
	if (!strcmp(verb, "stats")) {
		cmd->kind = PL_CMD_STATS;
		return 0;
	}
	if (!strcmp(verb, "help")) {
		cmd->kind = PL_CMD_HELP;
		return 0;
	}
	if (!strcmp(verb, "quit") || !strcmp(verb, "exit")) {
		cmd->kind = PL_CMD_QUIT;
		return 0;
	}
	snprintf(err, errsz, "Unknown command /%.40s; type /help for the list.", verb);
	return -EINVAL;
}

int pl_ui_parse(bool json, const char *line, size_t len, const char *current_room, struct pl_cmd *cmd,
		char *err, size_t errsz)
{
	memset(cmd, 0, sizeof *cmd);
	return json ? parse_json(line, len, cmd, err, errsz) : parse_line(line, len, current_room, cmd, err, errsz);
}

/* --- output --- */

/* A sentence for a person: printed in the plain mode, added to a window in the TUI. The window is
 * a room or conversation, or NULL for where the person is looking (a reply to what they typed). */
static void vtext(struct pl_ui *ui, const char *window, bool status, enum pl_tui_kind kind, const char *fmt,
		  va_list ap)
{
	vsnprintf(ui->buf, sizeof ui->buf, fmt, ap);
	if (ui->mode == PL_UI_TUI) {
		pl_tui_line(ui->tui, status ? NULL : window ? window : pl_tui_current(ui->tui), kind, ui->buf);
		return;
	}
	fprintf(ui->out, "%s%s\n", kind == PL_TUI_ERROR ? "! " : kind == PL_TUI_INFO ? "* " : "", ui->buf);
	fflush(ui->out);
}

static void text(struct pl_ui *ui, const char *window, enum pl_tui_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void text(struct pl_ui *ui, const char *window, enum pl_tui_kind kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vtext(ui, window, false, kind, fmt, ap);
	va_end(ap);
}

/* The state of the connection itself: the TUI's status window, which it also replays on the
 * terminal after it closes. */
static void status_text(struct pl_ui *ui, enum pl_tui_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void status_text(struct pl_ui *ui, enum pl_tui_kind kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vtext(ui, NULL, true, kind, fmt, ap);
	va_end(ap);
}

static void emit(struct pl_ui *ui, struct pl_jw *w)
{
	if (pl_jw_end(w) >= 0)
		fputs(w->buf, ui->out);
	fflush(ui->out);
}

void pl_ui_help(struct pl_ui *ui)
{
	if (ui->mode == PL_UI_JSON)
		return;
	/* One line at a time, so the TUI shows it as lines. */
	const char *p = help_text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);
		text(ui, NULL, PL_TUI_INFO, "%.*s", n, p);
		p += n + (nl ? 1 : 0);
	}
}

void pl_ui_info(struct pl_ui *ui, const char *event, const char *sentence)
{
	if (ui->mode != PL_UI_JSON) {
		text(ui, NULL, PL_TUI_INFO, "%s", sentence);
		return;
	}
	struct pl_jw w;
	pl_jw_begin(&w, ui->buf, sizeof ui->buf);
	pl_jw_str(&w, "event", event);
	pl_jw_str(&w, "message", sentence);
	emit(ui, &w);
}

void pl_ui_local_error(struct pl_ui *ui, const char *sentence)
{
	if (ui->mode != PL_UI_JSON) {
		text(ui, NULL, PL_TUI_ERROR, "%s", sentence);
		return;
	}
	pl_ui_info(ui, "local_error", sentence);
}

void pl_ui_status(struct pl_ui *ui, const char *connection, const char *nick, const char *presence,
		  const char *voice)
{
	if (ui->mode == PL_UI_TUI)
		pl_tui_status(ui->tui, connection, nick, presence, voice);
}

void pl_ui_trust(struct pl_ui *ui, const char *server, const char *fp, bool first_use)
{
	if (ui->mode != PL_UI_JSON) {
		if (first_use)
			status_text(ui, PL_TUI_INFO, "First connection to %s: trusting its certificate, SHA-256 %s",
				    server, fp);
		return;
	}
	struct pl_jw w;
	pl_jw_begin(&w, ui->buf, sizeof ui->buf);
	pl_jw_str(&w, "event", "trust");
	pl_jw_str(&w, "server", server);
	pl_jw_str(&w, "fingerprint", fp);
	pl_jw_bool(&w, "first_use", first_use);
	emit(ui, &w);
}

static void hhmm(uint64_t ms, char *buf, size_t sz)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, sz, "%H:%M", &tm);
}

/* The sentence for a server message, in the plain mode and the TUI. */
static void say_msg(struct pl_ui *ui, const struct pl_msg *m)
{
	switch (m->type) {
	case PL_MSG_WELCOME:
		status_text(ui, PL_TUI_INFO, "Connected to %s (protocol %u).", m->u.welcome.server, m->u.welcome.version);
		pl_ui_status(ui, m->u.welcome.server, NULL, NULL, NULL);
		break;
	case PL_MSG_AUTH_OK:
		status_text(ui, PL_TUI_INFO, "Logged in as %s.", m->u.auth_ok.nick);
		pl_ui_status(ui, NULL, m->u.auth_ok.nick, "online", NULL);
		break;
	case PL_MSG_JOINED:
	case PL_MSG_PARTED: {
		bool j = m->type == PL_MSG_JOINED;
		if (ui->mode == PL_UI_TUI)
			pl_tui_member(ui->tui, m->u.member.room, m->u.member.nick, j);
		text(ui, m->u.member.room, PL_TUI_INFO, "%s %s %s", m->u.member.nick, j ? "joined" : "left",
		     m->u.member.room);
		break;
	}
	case PL_MSG_TEXT: {
		char t[16];
		hhmm(m->u.text.time_ms, t, sizeof t);
		const char *mark = m->u.text.flags & PL_TEXT_OFFLINE ? "(while you were away) "
				   : m->u.text.flags & PL_TEXT_HISTORY ? "(history) " : "";
		if (ui->mode == PL_UI_TUI) {
			/* The window already says which room or person: just who said what. */
			const char *win = m->u.text.target[0] == '#' ? m->u.text.target
					  : strcasecmp(m->u.text.from, ui->self) == 0 ? m->u.text.target : m->u.text.from;
			text(ui, win, PL_TUI_CHAT, "%s%s <%s> %s", mark, t, m->u.text.from, m->u.text.text);
		} else if (m->u.text.target[0] == '#') {
			text(ui, m->u.text.target, PL_TUI_CHAT, "%s%s [%s] <%s> %s", mark, t, m->u.text.target,
			     m->u.text.from, m->u.text.text);
		} else {
			text(ui, NULL, PL_TUI_CHAT, "%s%s [%s -> %s] %s", mark, t, m->u.text.from, m->u.text.target,
			     m->u.text.text);
		}
		break;
	}
	case PL_MSG_PRESENCE:
		text(ui, NULL, PL_TUI_INFO, "%s is %s%s%s", m->u.presence.nick, pl_presence_name(m->u.presence.presence),
		     m->u.presence.note[0] ? ": " : "", m->u.presence.note);
		if (!strcasecmp(m->u.presence.nick, ui->self))
			pl_ui_status(ui, NULL, NULL, pl_presence_name(m->u.presence.presence), NULL);
		break;
	case PL_MSG_CONTACT_ADDED:
		text(ui, NULL, PL_TUI_INFO, "%s is now a contact (%s).", m->u.presence.nick,
		     pl_presence_name(m->u.presence.presence));
		break;
	case PL_MSG_CONTACT_DELETED:
		text(ui, NULL, PL_TUI_INFO, "%s is no longer a contact.", m->u.user.nick);
		break;
	case PL_MSG_GROUP: {
		char members[PL_GROUP_MEMBERS_MAX * (PL_NICK_MAX + 2) + 1];
		size_t len = 0;
		members[0] = '\0';
		for (unsigned i = 0; i < m->u.group.count; i++)
			len += (size_t)snprintf(members + len, sizeof members - len, "%s%s", i ? ", " : "", m->u.group.members[i]);
		char when[32];
		time_t tt = (time_t)(m->u.group.updated_ms / 1000);
		struct tm tm;
		localtime_r(&tt, &tm);
		strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
		text(ui, NULL, PL_TUI_INFO, "Group %u \"%s\" (updated %s): %s", m->u.group.id, m->u.group.name, when, members);
		break;
	}
	case PL_MSG_GROUP_MEMBER:
		text(ui, NULL, PL_TUI_INFO, "%s %s group %u.", m->u.group_member.nick,
		     m->u.group_member.joined ? "was added to" : "left", m->u.group_member.group);
		break;
	case PL_MSG_ROOM_INFO:
		text(ui, NULL, PL_TUI_INFO, "%s: %u user%s", m->u.room_info.name, m->u.room_info.users,
		     m->u.room_info.users == 1 ? "" : "s");
		break;
	case PL_MSG_LIST_END:
		if (m->u.list_end.about == PL_MSG_HISTORY && m->u.list_end.more)
			text(ui, NULL, PL_TUI_INFO, "Older messages exist: /history with the id of the oldest shown.");
		else if (m->u.list_end.count == 0)
			text(ui, NULL, PL_TUI_INFO, "%s", m->u.list_end.about == PL_MSG_CONTACTS_GET ? "No contacts yet; /add NICK adds one."
					: m->u.list_end.about == PL_MSG_GROUPS_GET ? "You are in no group; /group create NAME makes one."
					: "Nothing to show.");
		break;
	case PL_MSG_OK:
		text(ui, NULL, PL_TUI_INFO, "%s", m->u.ok.about == PL_MSG_SET_PASSWORD ? "Password changed." : "Profile saved.");
		break;
	case PL_MSG_ERROR: {
		const char *d = m->u.error.detail;
		text(ui, NULL, PL_TUI_ERROR, "Error %u %s: %s%s%s%s", m->u.error.code, pl_err_name(m->u.error.code),
		     pl_err_sentence(m->u.error.code), d[0] ? " (" : "", d, d[0] ? ")" : "");
		break;
	}
	default:
		break;
	}
}

static void json_msg(struct pl_ui *ui, const struct pl_msg *m)
{
	struct pl_jw w;
	pl_jw_begin(&w, ui->buf, sizeof ui->buf);
	switch (m->type) {
	case PL_MSG_WELCOME:
		pl_jw_str(&w, "event", "welcome");
		pl_jw_str(&w, "server", m->u.welcome.server);
		pl_jw_uint(&w, "version", m->u.welcome.version);
		break;
	case PL_MSG_AUTH_OK:
		pl_jw_str(&w, "event", "logged_in");
		pl_jw_str(&w, "nick", m->u.auth_ok.nick);
		pl_jw_uint(&w, "session", m->u.auth_ok.session);
		break;
	case PL_MSG_JOINED:
	case PL_MSG_PARTED:
		pl_jw_str(&w, "event", m->type == PL_MSG_JOINED ? "joined" : "parted");
		pl_jw_str(&w, "room", m->u.member.room);
		pl_jw_str(&w, "nick", m->u.member.nick);
		pl_jw_uint(&w, "session", m->u.member.session);
		break;
	case PL_MSG_TEXT:
		pl_jw_str(&w, "event", "message");
		pl_jw_uint(&w, "id", m->u.text.id);
		pl_jw_uint(&w, "time", m->u.text.time_ms);
		pl_jw_str(&w, "to", m->u.text.target);
		pl_jw_str(&w, "from", m->u.text.from);
		pl_jw_str(&w, "text", m->u.text.text);
		pl_jw_bool(&w, "history", m->u.text.flags & PL_TEXT_HISTORY);
		pl_jw_bool(&w, "offline", m->u.text.flags & PL_TEXT_OFFLINE);
		break;
	case PL_MSG_PRESENCE:
	case PL_MSG_CONTACT_ADDED:
		pl_jw_str(&w, "event", m->type == PL_MSG_PRESENCE ? "presence" : "contact_added");
		pl_jw_str(&w, "nick", m->u.presence.nick);
		pl_jw_str(&w, "presence", pl_presence_name(m->u.presence.presence));
		pl_jw_str(&w, "note", m->u.presence.note);
		break;
	case PL_MSG_CONTACT_DELETED:
		pl_jw_str(&w, "event", "contact_deleted");
		pl_jw_str(&w, "nick", m->u.user.nick);
		break;
	case PL_MSG_GROUP:
		pl_jw_str(&w, "event", "group");
		pl_jw_uint(&w, "id", m->u.group.id);
		pl_jw_str(&w, "name", m->u.group.name);
		pl_jw_uint(&w, "updated", m->u.group.updated_ms);
		pl_jw_array_begin(&w, "members");
		for (unsigned i = 0; i < m->u.group.count; i++)
			pl_jw_array_str(&w, m->u.group.members[i]);
		pl_jw_array_end(&w);
		break;
	case PL_MSG_GROUP_MEMBER:
		pl_jw_str(&w, "event", "group_member");
		pl_jw_uint(&w, "group", m->u.group_member.group);
		pl_jw_str(&w, "nick", m->u.group_member.nick);
		pl_jw_bool(&w, "joined", m->u.group_member.joined);
		pl_jw_uint(&w, "updated", m->u.group_member.updated_ms);
		break;
	case PL_MSG_ROOM_INFO:
		pl_jw_str(&w, "event", "room");
		pl_jw_str(&w, "room", m->u.room_info.name);
		pl_jw_uint(&w, "users", m->u.room_info.users);
		break;
	case PL_MSG_LIST_END: {
		const char *about = pl_msg_name(m->u.list_end.about);
		pl_jw_str(&w, "event", "end");
		pl_jw_str(&w, "about", about ? about : "");
		pl_jw_uint(&w, "count", m->u.list_end.count);
		pl_jw_bool(&w, "more", m->u.list_end.more);
		break;
	}
	case PL_MSG_OK: {
		const char *about = pl_msg_name(m->u.ok.about);
		pl_jw_str(&w, "event", "ok");
		pl_jw_str(&w, "about", about ? about : "");
		break;
	}
	case PL_MSG_SAY_OK:
		pl_jw_str(&w, "event", "sent");
		pl_jw_uint(&w, "tag", m->u.say_ok.tag);
		pl_jw_uint(&w, "id", m->u.say_ok.id);
		break;
	case PL_MSG_ERROR: {
		const char *about = pl_msg_name(m->u.error.about);
		pl_jw_str(&w, "event", "error");
		pl_jw_uint(&w, "code", m->u.error.code);
		pl_jw_str(&w, "name", pl_err_name(m->u.error.code));
		pl_jw_str(&w, "about", about ? about : "");
		pl_jw_str(&w, "message", pl_err_sentence(m->u.error.code));
		pl_jw_str(&w, "detail", m->u.error.detail);
		break;
	}
	default:
		return;
	}
	emit(ui, &w);
}

void pl_ui_server_msg(struct pl_ui *ui, const struct pl_msg *m)
{
	if (ui->mode == PL_UI_JSON)
		json_msg(ui, m);
	else
		say_msg(ui, m);
}

void pl_ui_userlist(struct pl_ui *ui, const char *room, char (*nicks)[PL_NICK_MAX + 1], unsigned n)
{
	if (ui->mode != PL_UI_JSON) {
		if (ui->mode == PL_UI_TUI) {
			pl_tui_users(ui->tui, room, nicks, n);
			return;
		}
		/* Up to 64 Ki nicknames: built in a buffer sized to fit. */
		size_t cap = 64 + (size_t)n * (PL_NICK_MAX + 2), len = 0;
		char *all = malloc(cap);
		if (!all)
			return;
		all[0] = '\0';
		for (unsigned i = 0; i < n; i++)
			len += (size_t)snprintf(all + len, cap - len, "%s%s", i ? ", " : "", nicks[i]);
		fprintf(ui->out, "* In %s (%u): %s\n", room, n, all);
		fflush(ui->out);
		free(all);
		return;
	}
	size_t cap = 256 + (size_t)n * (PL_NICK_MAX * 6 + 4);
	char *buf = malloc(cap);
	if (!buf)
		return;
	struct pl_jw w;
	pl_jw_begin(&w, buf, cap);
	pl_jw_str(&w, "event", "userlist");
	pl_jw_str(&w, "room", room);
	pl_jw_array_begin(&w, "users");
	for (unsigned i = 0; i < n; i++)
		pl_jw_array_str(&w, nicks[i]);
	pl_jw_array_end(&w);
	emit(ui, &w);
	free(buf);
}

void pl_ui_voice_ready(struct pl_ui *ui)
{
	pl_ui_status(ui, NULL, NULL, NULL, "voice on");
	if (ui->mode != PL_UI_JSON)
		status_text(ui, PL_TUI_INFO, "Voice connected.");
	else
		pl_ui_info(ui, "voice_ready", "Voice connected.");
}

void pl_ui_voice_sent(struct pl_ui *ui, uint64_t frames)
{
	if (ui->mode != PL_UI_JSON) {
		text(ui, NULL, PL_TUI_INFO, "Finished talking: %llu frames (%.1f s) sent.", (unsigned long long)frames,
		     frames * 0.02);
		return;
	}
	struct pl_jw w;
	pl_jw_begin(&w, ui->buf, sizeof ui->buf);
	pl_jw_str(&w, "event", "voice_sent");
	pl_jw_uint(&w, "frames", frames);
	emit(ui, &w);
}

void pl_ui_voice_stats(struct pl_ui *ui, uint64_t sent, uint64_t received, uint64_t played,
		       uint64_t lost, uint64_t fec, uint64_t late, uint64_t recorded)
{
	if (ui->mode != PL_UI_JSON) {
		text(ui, NULL, PL_TUI_INFO, "Voice: sent %llu, received %llu, played %llu, lost %llu (%llu from FEC), late %llu.",
		     (unsigned long long)sent, (unsigned long long)received, (unsigned long long)played,
		     (unsigned long long)lost, (unsigned long long)fec, (unsigned long long)late);
		return;
	}
	struct pl_jw w;
	pl_jw_begin(&w, ui->buf, sizeof ui->buf);
	pl_jw_str(&w, "event", "voice_stats");
	pl_jw_uint(&w, "sent", sent);
	pl_jw_uint(&w, "received", received);
	pl_jw_uint(&w, "played", played);
	pl_jw_uint(&w, "lost", lost);
	pl_jw_uint(&w, "fec", fec);
	pl_jw_uint(&w, "late", late);
	pl_jw_uint(&w, "recorded_frames", recorded);
	emit(ui, &w);
}

void pl_ui_profile(struct pl_ui *ui, const struct pl_msg *m, const char *picture_sha256)
{
	char when[32];
	time_t tt = (time_t)(m->u.profile.created_ms / 1000);
	struct tm tm;
	localtime_r(&tt, &tm);
	strftime(when, sizeof when, "%Y-%m-%d", &tm);
	if (ui->mode != PL_UI_JSON) {
		text(ui, NULL, PL_TUI_INFO, "%s (%s): %s%s%s, member since %s%s", m->u.profile.nick,
		     m->u.profile.realname[0] ? m->u.profile.realname : "no real name given",
		     pl_presence_name(m->u.profile.presence), m->u.profile.note[0] ? ": " : "", m->u.profile.note, when,
		     m->u.profile.picture_len ? ", has a picture" : "");
		return;
	}
	struct pl_jw w;
	pl_jw_begin(&w, ui->buf, sizeof ui->buf);
	pl_jw_str(&w, "event", "profile");
	pl_jw_str(&w, "nick", m->u.profile.nick);
	pl_jw_str(&w, "realname", m->u.profile.realname);
	pl_jw_uint(&w, "created", m->u.profile.created_ms);
	pl_jw_str(&w, "presence", pl_presence_name(m->u.profile.presence));
	pl_jw_str(&w, "note", m->u.profile.note);
	pl_jw_uint(&w, "picture_bytes", m->u.profile.picture_len);
	pl_jw_str(&w, "picture_sha256", picture_sha256);
	emit(ui, &w);
}

void pl_ui_closed(struct pl_ui *ui, const char *reason)
{
	pl_ui_status(ui, "disconnected", NULL, NULL, "voice off");
	if (ui->mode != PL_UI_JSON)
		status_text(ui, PL_TUI_INFO, "%s", reason);
	else
		pl_ui_info(ui, "closed", reason);
}
