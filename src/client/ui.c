#include "client/ui.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	"  /quit                                 disconnect and exit\n"
	"  anything else                         a message to the current room\n";

static int copy_field(char *dst, size_t dstsz, const char *src, const char *what, char *err, size_t errsz)
{
	if (!src || !*src) {
		snprintf(err, errsz, "The command needs %s.", what);
		return -EINVAL;
	}
	if (strlen(src) >= dstsz) {
		snprintf(err, errsz, "The %s is too long (at most %zu bytes).", what, dstsz - 1);
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
	} else if (!strcmp(c, "stop_record")) {
		cmd->kind = PL_CMD_STOP_RECORD;
	} else if (!strcmp(c, "stats")) {
		cmd->kind = PL_CMD_STATS;
	} else if (!strcmp(c, "quit")) {
		cmd->kind = PL_CMD_QUIT;
	} else {
		snprintf(err, errsz, "Unknown \"cmd\" \"%.40s\"; the commands are register, login, join, part, say, "
			 "voice_send, record, stop_record, stats, quit.", c);
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

static void emit(struct pl_ui *ui, struct pl_jw *w)
{
	if (pl_jw_end(w) >= 0)
		fputs(w->buf, ui->out);
	fflush(ui->out);
}

void pl_ui_help(struct pl_ui *ui)
{
	if (!ui->json) {
		fputs(help_text, ui->out);
		fflush(ui->out);
	}
}

void pl_ui_info(struct pl_ui *ui, const char *event, const char *sentence)
{
	if (!ui->json) {
		fprintf(ui->out, "* %s\n", sentence);
		fflush(ui->out);
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
	if (!ui->json) {
		fprintf(ui->out, "! %s\n", sentence);
		fflush(ui->out);
		return;
	}
	pl_ui_info(ui, "local_error", sentence);
}

void pl_ui_trust(struct pl_ui *ui, const char *server, const char *fp, bool first_use)
{
	if (!ui->json) {
		if (first_use)
			fprintf(ui->out, "* First connection to %s: trusting its certificate, SHA-256 %s\n", server, fp);
		fflush(ui->out);
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

void pl_ui_server_msg(struct pl_ui *ui, const struct pl_msg *m)
{
	struct pl_jw w;
	pl_jw_begin(&w, ui->buf, sizeof ui->buf);
	FILE *o = ui->out;
	switch (m->type) {
	case PL_MSG_WELCOME:
		if (!ui->json)
			fprintf(o, "* Connected to %s (protocol %u).\n", m->u.welcome.server, m->u.welcome.version);
		pl_jw_str(&w, "event", "welcome");
		pl_jw_str(&w, "server", m->u.welcome.server);
		pl_jw_uint(&w, "version", m->u.welcome.version);
		break;
	case PL_MSG_AUTH_OK:
		if (!ui->json)
			fprintf(o, "* Logged in as %s.\n", m->u.auth_ok.nick);
		pl_jw_str(&w, "event", "logged_in");
		pl_jw_str(&w, "nick", m->u.auth_ok.nick);
		pl_jw_uint(&w, "session", m->u.auth_ok.session);
		break;
	case PL_MSG_JOINED:
	case PL_MSG_PARTED: {
		bool j = m->type == PL_MSG_JOINED;
		if (!ui->json)
			fprintf(o, "* %s %s %s\n", m->u.member.nick, j ? "joined" : "left", m->u.member.room);
		pl_jw_str(&w, "event", j ? "joined" : "parted");
		pl_jw_str(&w, "room", m->u.member.room);
		pl_jw_str(&w, "nick", m->u.member.nick);
		pl_jw_uint(&w, "session", m->u.member.session);
		break;
	}
	case PL_MSG_TEXT: {
		if (!ui->json) {
			char t[16];
			hhmm(m->u.text.time_ms, t, sizeof t);
			if (m->u.text.target[0] == '#')
				fprintf(o, "%s [%s] <%s> %s\n", t, m->u.text.target, m->u.text.from, m->u.text.text);
			else
				fprintf(o, "%s [%s -> %s] %s\n", t, m->u.text.from, m->u.text.target, m->u.text.text);
		}
		pl_jw_str(&w, "event", "message");
		pl_jw_uint(&w, "id", m->u.text.id);
		pl_jw_uint(&w, "time", m->u.text.time_ms);
		pl_jw_str(&w, "to", m->u.text.target);
		pl_jw_str(&w, "from", m->u.text.from);
		pl_jw_str(&w, "text", m->u.text.text);
		break;
	}
	case PL_MSG_SAY_OK:
		pl_jw_str(&w, "event", "sent");
		pl_jw_uint(&w, "tag", m->u.say_ok.tag);
		pl_jw_uint(&w, "id", m->u.say_ok.id);
		break;
	case PL_MSG_ERROR: {
		const char *about = pl_msg_name(m->u.error.about);
		if (!ui->json)
			fprintf(o, "! Error %u %s: %s%s%s%s\n", m->u.error.code, pl_err_name(m->u.error.code),
				pl_err_sentence(m->u.error.code), m->u.error.detail[0] ? " (" : "",
				m->u.error.detail, m->u.error.detail[0] ? ")" : "");
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
	if (ui->json)
		emit(ui, &w);
	else
		fflush(o);
}

void pl_ui_userlist(struct pl_ui *ui, const char *room, char (*nicks)[PL_NICK_MAX + 1], unsigned n)
{
	if (!ui->json) {
		fprintf(ui->out, "* In %s (%u):", room, n);
		for (unsigned i = 0; i < n; i++)
			fprintf(ui->out, "%s %s", i ? "," : "", nicks[i]);
		fputc('\n', ui->out);
		fflush(ui->out);
		return;
	}
	/* Up to 64 Ki users of 32 bytes each: sized to fit, not from the shared buffer. */
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
	pl_ui_info(ui, "voice_ready", "Voice connected.");
}

void pl_ui_voice_sent(struct pl_ui *ui, uint64_t frames)
{
	if (!ui->json) {
		fprintf(ui->out, "* Finished talking: %llu frames (%.1f s) sent.\n", (unsigned long long)frames,
			frames * 0.02);
		fflush(ui->out);
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
	if (!ui->json) {
		fprintf(ui->out, "* Voice: sent %llu, received %llu, played %llu, lost %llu (%llu from FEC), late %llu.\n",
			(unsigned long long)sent, (unsigned long long)received, (unsigned long long)played,
			(unsigned long long)lost, (unsigned long long)fec, (unsigned long long)late);
		fflush(ui->out);
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

void pl_ui_closed(struct pl_ui *ui, const char *reason)
{
	pl_ui_info(ui, "closed", reason);
}
