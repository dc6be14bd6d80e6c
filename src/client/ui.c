#include "client/ui.h"
#include "client/winlog.h"
#include "core/names.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "client/sanitize.h"
#include "client/tui.h"
#include "core/err.h"

/* --- the door to the terminal: every sentence passes here --- */

/* Shows one sentence, made safe for a terminal as a whole: printed in the plain mode, added to a
 * window in the TUI (which replays the status window's on the terminal after it closes). The
 * window is a room or conversation, or NULL for where the person is looking (a reply to what they
 * typed); status sentences go to the TUI's status window. */
static void put_line(struct pl_ui *ui, const char *window, bool status, enum pl_tui_kind kind, const char *s)
{
	size_t len = strlen(s), cap = PL_TERM_SAFE_SIZE(len);
	char *safe = malloc(cap);
	if (!safe)
		return;
	pl_term_safe(safe, cap, s, len);
	if (ui->log_dir[0] && !ui->line_older) { /* older history, going in at the top, is not logged again */
		const char *w = status ? NULL : window ? window : ui->mode == PL_UI_TUI ? pl_tui_current(ui->tui) : NULL;
		pl_winlog_write(ui->log_dir, w, safe, time(NULL));
	}
	if (ui->mode == PL_UI_TUI && ui->line_older) {
		pl_tui_older(ui->tui, window, kind, safe, ui->line_id);
	} else if (ui->mode == PL_UI_TUI) {
		pl_tui_message(ui->tui, status ? NULL : window ? window : pl_tui_current(ui->tui), kind, safe, ui->line_id);
	} else {
		fprintf(ui->out, "%s%s\n", kind == PL_TUI_ERROR ? "! " : kind == PL_TUI_INFO ? "* " : "", safe);
		fflush(ui->out);
	}
	free(safe);
}

static void vtext(struct pl_ui *ui, const char *window, bool status, enum pl_tui_kind kind, const char *fmt,
		  va_list ap)
{
	vsnprintf(ui->buf, sizeof ui->buf, fmt, ap);
	put_line(ui, window, status, kind, ui->buf);
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

/* --- the door to JSON: every string of an event passes here --- */

/* A JSON string of s, repaired to valid UTF-8 (jansson refuses anything else, which would drop the
 * whole event). */
static json_t *jstr(const char *s)
{
	size_t len = strlen(s), cap = PL_UTF8_REPAIR_SIZE(len);
	char *ok = malloc(cap);
	if (!ok)
		return NULL;
	size_t n = pl_utf8_repair(ok, cap, s, len);
	json_t *v = json_stringn_nocheck(ok, n);
	free(ok);
	return v;
}

static void jset_str(json_t *o, const char *key, const char *s)
{
	json_object_set_new(o, key, jstr(s));
}

static void jset_uint(json_t *o, const char *key, uint64_t v)
{
	/* Above 2^63 (no count or clock gets there) a double keeps the magnitude. */
	json_object_set_new(o, key, v <= INT64_MAX ? json_integer((json_int_t)v) : json_real((double)v));
}

static void jset_bool(json_t *o, const char *key, bool v)
{
	json_object_set_new(o, key, json_boolean(v));
}

/* A 64-bit id as 16 hex digits: a JSON number is a double to most readers, exact only to 2^53. */
static void jset_id(json_t *o, const char *key, uint64_t v)
{
	char hex[17];
	snprintf(hex, sizeof hex, "%016llx", (unsigned long long)v);
	jset_str(o, key, hex);
}

static json_t *event(const char *name)
{
	json_t *o = json_object();
	jset_str(o, "event", name);
	return o;
}

/* Prints an event as one line and frees it. jansson escapes C0 controls; C1 controls and DEL,
 * valid in JSON as they are, are escaped too, so not even a terminal showing the JSON obeys them. */
static void emit(struct pl_ui *ui, json_t *o)
{
	if (o && ui->ctx_cmd[0] && !json_object_get(o, "cmd")) {
		jset_str(o, "cmd", ui->ctx_cmd);
		if (ui->ctx_tag && !json_object_get(o, "tag"))
			jset_uint(o, "tag", ui->ctx_tag);
	}
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!s)
		return;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == 0x7F)
			fputs("\\u007f", ui->out);
		else if (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) /* only ever inside a string */
			fprintf(ui->out, "\\u%04x", *++p);
		else
			fputc(*p, ui->out);
	}
	fputc('\n', ui->out);
	fflush(ui->out);
	free(s);
}

/* --- local events --- */

void pl_ui_help(struct pl_ui *ui)
{
	char line[256];
	if (ui->mode == PL_UI_JSON)
		return;
	for (size_t i = 0; pl_cmd_help_line(i, line, sizeof line); i++)
		text(ui, NULL, PL_TUI_INFO, "%s", line);
}

void pl_ui_info(struct pl_ui *ui, const char *name, const char *sentence)
{
	if (ui->mode != PL_UI_JSON) {
		text(ui, NULL, PL_TUI_INFO, "%s", sentence);
		return;
	}
	json_t *o = event(name);
	jset_str(o, "message", sentence);
	emit(ui, o);
}

void pl_ui_context(struct pl_ui *ui, const char *cmd, uint32_t tag)
{
	snprintf(ui->ctx_cmd, sizeof ui->ctx_cmd, "%s", cmd ? cmd : "");
	ui->ctx_tag = cmd ? tag : 0;
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
	json_t *o = event("trust");
	jset_str(o, "server", server);
	jset_str(o, "fingerprint", fp);
	jset_bool(o, "first_use", first_use);
	emit(ui, o);
}

/* --- server messages --- */

static void when(uint64_t ms, const char *fmt, char *buf, size_t sz)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, sz, fmt, &tm);
}

/* "Day changed to Monday 30 November 2026": the line before a message of another day. */
static void day_line(const struct tm *tm, char *buf, size_t sz)
{
	char d[64];
	strftime(d, sizeof d, "%A %-d %B %Y", tm);
	snprintf(buf, sz, "Day changed to %s", d);
}

/* Before a message of another day than the last one shown in its window, a line saying so, as
 * irssi does (a window opening on older messages says their day too). */
static void day_mark(struct pl_ui *ui, const char *win, uint64_t ms)
{
	time_t t = (time_t)(ms / 1000), now = time(NULL);
	struct tm tm, today;
	localtime_r(&t, &tm);
	localtime_r(&now, &today);
	int day = (tm.tm_year + 1900) * 400 + tm.tm_yday;
	unsigned i = 0;
	while (i < ui->ndays && strcasecmp(ui->days[i].win, win ? win : ""))
		i++;
	bool known = i < ui->ndays;
	if (!known) {
		if (ui->ndays == PL_UI_DAYS) /* the oldest window's day is forgotten */
			memmove(&ui->days[0], &ui->days[1], --ui->ndays * sizeof ui->days[0]);
		i = ui->ndays++;
		snprintf(ui->days[i].win, sizeof ui->days[i].win, "%s", win ? win : "");
		ui->days[i].day = (today.tm_year + 1900) * 400 + today.tm_yday;
	}
	if (ui->days[i].day == day)
		return;
	ui->days[i].day = day;
	char d[96];
	day_line(&tm, d, sizeof d);
	text(ui, win, PL_TUI_INFO, "%s", d);
}

/* The same for a page of older history going in at the top of its window: a line before its first
 * message when that is not of today, and before each message of another day than the one before
 * it in the page. */
static void older_day_mark(struct pl_ui *ui, const char *win, uint64_t ms)
{
	time_t t = (time_t)(ms / 1000), now = time(NULL);
	struct tm tm, today;
	localtime_r(&t, &tm);
	localtime_r(&now, &today);
	int day = (tm.tm_year + 1900) * 400 + tm.tm_yday;
	bool first = ui->older_day == 0;
	ui->older_ms = ms;
	if (day == ui->older_day || (first && day == (today.tm_year + 1900) * 400 + today.tm_yday)) {
		ui->older_day = day;
		return;
	}
	ui->older_day = day;
	char d[96];
	day_line(&tm, d, sizeof d);
	text(ui, win, PL_TUI_INFO, "%s", d);
}

/* "14:02" today, "2026-12-01 14:02" before. */
static void last_seen(uint64_t ms, char *buf, size_t sz)
{
	char day[16], today[16];
	when(ms, "%Y-%m-%d", day, sizeof day);
	when((uint64_t)time(NULL) * 1000, "%Y-%m-%d", today, sizeof today);
	when(ms, strcmp(day, today) ? "%Y-%m-%d %H:%M" : "%H:%M", buf, sz);
}

/* Our devices, kept from DEVICE listings for /revoke: a listing after a finished one replaces it. */
static void device_seen(struct pl_ui *ui, const struct pl_msg *m)
{
	if (strcasecmp(m->u.device.nick, ui->self) != 0)
		return;
	if (ui->devices_done) {
		ui->ndevices = 0;
		ui->devices_done = false;
	}
	unsigned i = 0;
	while (i < ui->ndevices && memcmp(ui->devices[i].key, m->u.device.key, PL_DEVICE_KEY_LEN) != 0)
		i++;
	if (i == PL_UI_DEVICES_MAX)
		return;
	memcpy(ui->devices[i].key, m->u.device.key, PL_DEVICE_KEY_LEN);
	pl_key_fingerprint(ui->devices[i].fp, m->u.device.key);
	if (i == ui->ndevices)
		ui->ndevices++;
}

int pl_ui_device_key(struct pl_ui *ui, const struct pl_cmd *cmd, uint8_t key[PL_DEVICE_KEY_LEN])
{
	char msg[300];
	size_t n = strlen(cmd->key);
	if (n == 2 * PL_DEVICE_KEY_LEN) {
		for (size_t i = 0; i < PL_DEVICE_KEY_LEN; i++) {
			unsigned b;
			sscanf(cmd->key + 2 * i, "%2x", &b);
			key[i] = (uint8_t)b;
		}
		return 0;
	}
	unsigned found = 0, at = 0;
	for (unsigned i = 0; i < ui->ndevices; i++)
		if (pl_cmd_fp_starts(ui->devices[i].fp, cmd->key)) {
			found++;
			at = i;
		}
	if (found == 1) {
		memcpy(key, ui->devices[at].key, PL_DEVICE_KEY_LEN);
		return 0;
	}
	if (found)
		snprintf(msg, sizeof msg, "%u of your devices have fingerprints starting with %s; type more of it.",
			 found, cmd->key);
	else if (ui->ndevices)
		snprintf(msg, sizeof msg, "No device in the last /devices listing has a fingerprint starting with %s; "
			 "run /devices again and check the digits.", cmd->key);
	else
		snprintf(msg, sizeof msg, "Run /devices first: /revoke looks the fingerprint up in its listing.");
	pl_ui_local_error(ui, msg);
	return -ENOENT;
}

static const char *creq_kind(uint8_t kind)
{
	return kind == PL_CREQ_INCOMING ? "incoming" : kind == PL_CREQ_SENT ? "sent" : "refused";
}

static const char *ok_sentence(uint16_t about)
{
	switch (about) {
	case PL_MSG_SET_PASSWORD: return "Password changed.";
	case PL_MSG_SET_PROFILE: return "Profile saved.";
	case PL_MSG_DEVICE_REVOKE: return "The device is revoked: its key can no longer log in.";
	case PL_MSG_CONTACT_ANSWER: return "Answer sent.";
	default: return "Done.";
	}
}

static const char *empty_sentence(uint16_t about)
{
	switch (about) {
	case PL_MSG_CONTACTS_GET: return "No contacts yet; /add NICK asks someone.";
	case PL_MSG_GROUPS_GET: return "You are in no group; /group create NAME makes one.";
	case PL_MSG_KEYS_GET: return "That user has no device keys.";
	default: return "Nothing to show.";
	}
}

/* The sentence for a server message, in the plain mode and the TUI. */
/* What an error means, for the request it refuses where that says more than the code alone. */
static const char *error_sentence(const struct pl_msg *m)
{
	if (m->u.error.code == PL_ERR_AUTH_FAILED && m->u.error.about == PL_MSG_SET_PASSWORD)
		return "The current password is wrong, so the password was not changed: /passwd CURRENT NEW.";
	return pl_err_sentence(m->u.error.code);
}

static void say_msg(struct pl_ui *ui, const struct pl_msg *m)
{
	switch (m->type) {
	case PL_MSG_WELCOME:
		status_text(ui, PL_TUI_INFO, "Connected to %s (protocol %u).", m->u.welcome.server, m->u.welcome.version);
		pl_ui_status(ui, m->u.welcome.server, NULL, NULL, NULL);
		break;
	case PL_MSG_AUTH_OK:
		status_text(ui, PL_TUI_INFO, "Logged in as %s.", m->u.auth_ok.nick);
		if (m->u.auth_ok.flags & PL_AUTH_DEVICE_ADDED)
			status_text(ui, PL_TUI_INFO, "This device's key is now registered to %s; /devices lists them all.",
				    m->u.auth_ok.nick);
		pl_ui_status(ui, NULL, m->u.auth_ok.nick, "online", NULL);
		break;
	case PL_MSG_JOINED:
	case PL_MSG_PARTED: {
		bool j = m->type == PL_MSG_JOINED;
		if (ui->mode == PL_UI_TUI)
			pl_tui_member(ui->tui, m->u.member.room, m->u.member.nick, j);
		char at[16];
		when((uint64_t)time(NULL) * 1000, "%H:%M", at, sizeof at);
		if (!j && m->u.member.reason == PL_PART_QUIT) /* its connection ended: IRC's "has quit" */
			text(ui, m->u.member.room, PL_TUI_INFO, "%s %s has quit", at, m->u.member.nick);
		else
			text(ui, m->u.member.room, PL_TUI_INFO, "%s %s %s %s", at, m->u.member.nick,
			     j ? "joined" : "left", m->u.member.room);
		break;
	}
	case PL_MSG_TEXT: {
		char t[16];
		when(m->u.text.time_ms, "%H:%M", t, sizeof t);
		const char *mark = m->u.text.flags & PL_TEXT_OFFLINE ? "(while you were away) "
				   : m->u.text.flags & PL_TEXT_HISTORY ? "(history) " : "";
		bool fresh = !(m->u.text.flags & PL_TEXT_HISTORY), mine = strcasecmp(m->u.text.from, ui->self) == 0;
		/* Someone else naming us, or writing to us alone, is a mention: highlighted, marked on
		 * its window and rung, as irssi does. */
		bool mention = !mine && (m->u.text.target[0] != '#' || pl_text_mentions(m->u.text.text, ui->self));
		if (ui->mode == PL_UI_TUI && fresh && (mention || (m->u.text.flags & PL_TEXT_CALL)))
			pl_tui_bell(ui->tui); /* a mention, or a missed call */
		const char *body = m->u.text.text;
		bool action = pl_text_action(&body); /* "/me waves": "* alice waves" */
		if (ui->mode == PL_UI_TUI) {
			/* The window already says which room or person: just who said what. */
			const char *win = m->u.text.target[0] == '#' ? m->u.text.target : mine ? m->u.text.target : m->u.text.from;
			if (ui->line_older) { /* its window asked for it: the top of that window */
				win = ui->older_win;
				older_day_mark(ui, win, m->u.text.time_ms);
			} else {
				day_mark(ui, win, m->u.text.time_ms);
			}
			enum pl_tui_kind k = mention && fresh ? PL_TUI_MENTION : PL_TUI_CHAT;
			ui->line_id = m->u.text.id;
			if (action)
				text(ui, win, k, "%s%s * %s %s", mark, t, m->u.text.from, body);
			else
				text(ui, win, k, "%s%s <%s> %s", mark, t, m->u.text.from, body);
			ui->line_id = 0;
		} else if (action) {
			text(ui, NULL, PL_TUI_CHAT, "%s%s [%s] * %s %s", mark, t, m->u.text.target, m->u.text.from, body);
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
	case PL_MSG_CONTACT_REQUEST: {
		const char *n = m->u.contact_req.nick;
		if (m->u.contact_req.kind == PL_CREQ_INCOMING) {
			text(ui, NULL, PL_TUI_INFO, "%s asks to become your contact: /accept %s or /refuse %s", n, n, n);
			if (ui->mode == PL_UI_TUI)
				pl_tui_bell(ui->tui);
		} else if (m->u.contact_req.kind == PL_CREQ_SENT) {
			text(ui, NULL, PL_TUI_INFO, "Asked %s to become your contact.", n);
		} else {
			text(ui, NULL, PL_TUI_INFO, "%s refused your contact request.", n);
		}
		break;
	}
	case PL_MSG_DEVICE: {
		char fp[PL_KEY_FP_STR], added[16], seen[32];
		pl_key_fingerprint(fp, m->u.device.key);
		when(m->u.device.added_ms, "%Y-%m-%d", added, sizeof added);
		last_seen(m->u.device.last_seen_ms, seen, sizeof seen);
		text(ui, NULL, PL_TUI_INFO, "%s's device '%s' %s added %s, last seen %s%s%s", m->u.device.nick,
		     m->u.device.name, fp, added, seen, m->u.device.flags & PL_DEVICE_THIS ? " (this device)" : "",
		     m->u.device.flags & PL_DEVICE_REVOKED ? " (revoked)" : "");
		break;
	}
	case PL_MSG_GROUP: {
		char members[PL_GROUP_MEMBERS_MAX * (PL_NICK_MAX + 2) + 1], upd[32];
		size_t len = 0;
		members[0] = '\0';
		for (unsigned i = 0; i < m->u.group.count; i++)
			len += (size_t)snprintf(members + len, sizeof members - len, "%s%s", i ? ", " : "", m->u.group.members[i]);
		when(m->u.group.updated_ms, "%Y-%m-%d %H:%M", upd, sizeof upd);
		text(ui, NULL, PL_TUI_INFO, "Group %u \"%s\" (updated %s): %s", m->u.group.id, m->u.group.name, upd, members);
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
	case PL_MSG_ROOM_TOPIC:
		if (m->u.topic.text[0]) {
			char t[32];
			when(m->u.topic.time_ms, "%Y-%m-%d %H:%M", t, sizeof t);
			text(ui, m->u.topic.room, PL_TUI_INFO, "Topic of %s: %s (set by %s, %s)", m->u.topic.room,
			     m->u.topic.text, m->u.topic.by, t);
		} else {
			text(ui, m->u.topic.room, PL_TUI_INFO, "%s has no topic; /topic TEXT sets one.", m->u.topic.room);
		}
		break;
	case PL_MSG_LIST_END:
		if (m->u.list_end.about == PL_MSG_HISTORY && m->u.list_end.more)
			text(ui, NULL, PL_TUI_INFO, "Older messages exist: /history with the id of the oldest shown.");
		else if (m->u.list_end.count == 0)
			text(ui, NULL, PL_TUI_INFO, "%s", empty_sentence(m->u.list_end.about));
		break;
	case PL_MSG_OK:
		text(ui, NULL, PL_TUI_INFO, "%s", ok_sentence(m->u.ok.about));
		break;
	case PL_MSG_ERROR: {
		const char *d = m->u.error.detail;
		text(ui, NULL, PL_TUI_ERROR, "Error %u %s: %s%s%s%s", m->u.error.code, pl_err_name(m->u.error.code),
		     error_sentence(m), d[0] ? " (" : "", d, d[0] ? ")" : "");
		break;
	}
	default:
		break;
	}
}

static void json_msg(struct pl_ui *ui, const struct pl_msg *m)
{
	json_t *o;
	switch (m->type) {
	case PL_MSG_WELCOME:
		o = event("welcome");
		jset_str(o, "server", m->u.welcome.server);
		jset_uint(o, "version", m->u.welcome.version);
		break;
	case PL_MSG_AUTH_OK:
		o = event("logged_in");
		jset_str(o, "nick", m->u.auth_ok.nick);
		jset_id(o, "session", m->u.auth_ok.session);
		jset_bool(o, "device_added", m->u.auth_ok.flags & PL_AUTH_DEVICE_ADDED);
		break;
	case PL_MSG_JOINED:
	case PL_MSG_PARTED:
		o = event(m->type == PL_MSG_JOINED ? "joined" : "parted");
		jset_str(o, "room", m->u.member.room);
		jset_str(o, "nick", m->u.member.nick);
		jset_id(o, "session", m->u.member.session);
		if (m->type == PL_MSG_PARTED)
			jset_bool(o, "quit", m->u.member.reason == PL_PART_QUIT);
		break;
	case PL_MSG_TEXT:
		o = event("message");
		jset_uint(o, "id", m->u.text.id);
		jset_uint(o, "time", m->u.text.time_ms);
		jset_str(o, "to", m->u.text.target);
		jset_str(o, "from", m->u.text.from);
		jset_str(o, "text", m->u.text.text);
		jset_bool(o, "history", m->u.text.flags & PL_TEXT_HISTORY);
		jset_bool(o, "offline", m->u.text.flags & PL_TEXT_OFFLINE);
		jset_bool(o, "call", m->u.text.flags & PL_TEXT_CALL);
		{
			const char *body = m->u.text.text;
			jset_bool(o, "action", pl_text_action(&body));
			jset_bool(o, "mention", strcasecmp(m->u.text.from, ui->self) != 0 &&
						(m->u.text.target[0] != '#' || pl_text_mentions(m->u.text.text, ui->self)));
		}
		break;
	case PL_MSG_PRESENCE:
	case PL_MSG_CONTACT_ADDED:
		o = event(m->type == PL_MSG_PRESENCE ? "presence" : "contact_added");
		jset_str(o, "nick", m->u.presence.nick);
		jset_str(o, "presence", pl_presence_name(m->u.presence.presence));
		jset_str(o, "note", m->u.presence.note);
		break;
	case PL_MSG_CONTACT_DELETED:
		o = event("contact_deleted");
		jset_str(o, "nick", m->u.user.nick);
		break;
	case PL_MSG_CONTACT_REQUEST:
		o = event("contact_request");
		jset_str(o, "nick", m->u.contact_req.nick);
		jset_str(o, "kind", creq_kind(m->u.contact_req.kind));
		break;
	case PL_MSG_DEVICE: {
		char fp[PL_KEY_FP_STR], hex[2 * PL_DEVICE_KEY_LEN + 1];
		pl_key_fingerprint(fp, m->u.device.key);
		for (size_t i = 0; i < PL_DEVICE_KEY_LEN; i++)
			snprintf(hex + 2 * i, 3, "%02x", m->u.device.key[i]);
		o = event("device");
		jset_str(o, "nick", m->u.device.nick);
		jset_str(o, "key", hex);
		jset_str(o, "fingerprint", fp);
		jset_str(o, "name", m->u.device.name);
		jset_uint(o, "added", m->u.device.added_ms);
		jset_uint(o, "last_seen", m->u.device.last_seen_ms);
		jset_bool(o, "this", m->u.device.flags & PL_DEVICE_THIS);
		jset_bool(o, "revoked", m->u.device.flags & PL_DEVICE_REVOKED);
		break;
	}
	case PL_MSG_GROUP: {
		json_t *members = json_array();
		for (unsigned i = 0; i < m->u.group.count; i++)
			json_array_append_new(members, jstr(m->u.group.members[i]));
		o = event("group");
		jset_uint(o, "id", m->u.group.id);
		jset_str(o, "name", m->u.group.name);
		jset_uint(o, "updated", m->u.group.updated_ms);
		json_object_set_new(o, "members", members);
		break;
	}
	case PL_MSG_GROUP_MEMBER:
		o = event("group_member");
		jset_uint(o, "group", m->u.group_member.group);
		jset_str(o, "nick", m->u.group_member.nick);
		jset_bool(o, "joined", m->u.group_member.joined);
		jset_uint(o, "updated", m->u.group_member.updated_ms);
		break;
	case PL_MSG_ROOM_INFO:
		o = event("room");
		jset_str(o, "room", m->u.room_info.name);
		jset_uint(o, "users", m->u.room_info.users);
		break;
	case PL_MSG_ROOM_TOPIC:
		o = event("topic");
		jset_str(o, "room", m->u.topic.room);
		jset_str(o, "topic", m->u.topic.text);
		jset_str(o, "by", m->u.topic.by);
		jset_uint(o, "time", m->u.topic.time_ms);
		break;
	case PL_MSG_LIST_END: {
		const char *about = pl_msg_name(m->u.list_end.about);
		o = event("end");
		jset_str(o, "about", about ? about : "");
		jset_uint(o, "count", m->u.list_end.count);
		jset_bool(o, "more", m->u.list_end.more);
		break;
	}
	case PL_MSG_OK: {
		const char *about = pl_msg_name(m->u.ok.about);
		o = event("ok");
		jset_str(o, "about", about ? about : "");
		break;
	}
	case PL_MSG_SAY_OK:
		o = event("sent");
		jset_uint(o, "tag", m->u.say_ok.tag);
		jset_uint(o, "id", m->u.say_ok.id);
		break;
	case PL_MSG_ERROR: {
		const char *about = pl_msg_name(m->u.error.about);
		o = event("error");
		jset_uint(o, "code", m->u.error.code);
		jset_str(o, "name", pl_err_name(m->u.error.code));
		jset_str(o, "about", about ? about : "");
		jset_str(o, "message", error_sentence(m));
		jset_str(o, "detail", m->u.error.detail);
		break;
	}
	default:
		return;
	}
	emit(ui, o);
}

void pl_ui_server_msg(struct pl_ui *ui, const struct pl_msg *m)
{
	if (m->type == PL_MSG_DEVICE)
		device_seen(ui, m);
	else if (m->type == PL_MSG_LIST_END && m->u.list_end.about == PL_MSG_DEVICES_GET)
		ui->devices_done = true;
	if (ui->mode == PL_UI_JSON)
		json_msg(ui, m);
	else
		say_msg(ui, m);
}

void pl_ui_older_text(struct pl_ui *ui, const char *window, const struct pl_msg *m)
{
	if (ui->mode != PL_UI_TUI)
		return;
	snprintf(ui->older_win, sizeof ui->older_win, "%s", window);
	ui->line_older = true;
	say_msg(ui, m);
	ui->line_older = false;
}

void pl_ui_older_end(struct pl_ui *ui, const char *window, bool more)
{
	/* The messages below the page may begin with a line for the day the page ended on: it
	 * changes nothing there any more. */
	char seam[96] = "";
	if (ui->older_day) {
		time_t t = (time_t)(ui->older_ms / 1000);
		struct tm tm;
		localtime_r(&t, &tm);
		day_line(&tm, seam, sizeof seam);
	}
	ui->older_day = 0; /* the next page starts afresh */
	if (ui->mode == PL_UI_TUI)
		pl_tui_older_end(ui->tui, window, more, "Start of history: nothing was said here before this.",
				 seam[0] ? seam : NULL);
}

void pl_ui_recent_end(struct pl_ui *ui, const char *window, bool more)
{
	if (!more || ui->mode == PL_UI_JSON)
		return; /* none at all, or all of them: the window shows it */
	text(ui, ui->mode == PL_UI_TUI ? window : NULL, PL_TUI_INFO, "%s", ui->mode == PL_UI_TUI
	     ? "Older messages exist: PageUp at the top of the window fetches them."
	     : "Older messages exist: /history with the id of the oldest shown.");
}

void pl_ui_userlist(struct pl_ui *ui, const char *room, char (*nicks)[PL_NICK_MAX + 1], unsigned n)
{
	if (ui->mode == PL_UI_TUI)
		pl_tui_users(ui->tui, room, nicks, n);
	if (ui->mode != PL_UI_JSON) {
		/* Printed too, as irssi does on joining and for /names. Up to 64 Ki nicknames: built in
		 * a buffer sized to fit. */
		size_t cap = 64 + PL_ROOM_MAX + (size_t)n * (PL_NICK_MAX + 2), len;
		char *all = malloc(cap);
		if (!all)
			return;
		len = (size_t)snprintf(all, cap, "In %s (%u): ", room, n);
		for (unsigned i = 0; i < n; i++)
			len += (size_t)snprintf(all + len, cap - len, "%s%s", i ? ", " : "", nicks[i]);
		put_line(ui, ui->mode == PL_UI_TUI ? room : NULL, false, PL_TUI_INFO, all);
		free(all);
		return;
	}
	json_t *users = json_array();
	for (unsigned i = 0; i < n; i++)
		json_array_append_new(users, jstr(nicks[i]));
	json_t *o = event("userlist");
	jset_str(o, "room", room);
	json_object_set_new(o, "users", users);
	emit(ui, o);
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
	json_t *o = event("voice_sent");
	jset_uint(o, "frames", frames);
	emit(ui, o);
}

static const char *mode_name(uint8_t mode)
{
	return mode == PL_VOICE_CONTINUOUS ? "continuous" : mode == PL_VOICE_PTT ? "ptt" : "vad";
}

void pl_ui_voice_stats(struct pl_ui *ui, const struct pl_voice_stats *st)
{
	if (ui->mode != PL_UI_JSON) {
		char lines[PL_VSTATS_LINES][PL_VSTATS_LINE];
		int n = pl_vstats_lines(st, lines);
		for (int i = 0; i < n; i++)
			text(ui, NULL, PL_TUI_INFO, "%s", lines[i]);
		return;
	}
	json_t *o = event("voice_stats");
	jset_uint(o, "sent", st->sent);
	jset_uint(o, "received", st->received);
	jset_uint(o, "played", st->played);
	jset_uint(o, "lost", st->lost);
	jset_uint(o, "fec", st->concealed_fec);
	jset_uint(o, "late", st->late);
	jset_uint(o, "dropped", st->dropped);
	jset_uint(o, "tampered", st->tampered);
	jset_uint(o, "replayed", st->replayed);
	jset_uint(o, "recorded_frames", st->recorded_frames);
	jset_uint(o, "red_recovered", st->red_recovered);
	jset_uint(o, "concealed", st->concealed);
	jset_uint(o, "dup", st->dup);
	jset_uint(o, "shrunk", st->shrunk);
	jset_uint(o, "stretched", st->stretched);
	jset_uint(o, "skipped_silent", st->skipped_silent);
	jset_uint(o, "reports_sent", st->reports_sent);
	jset_uint(o, "reports_received", st->reports_received);
	jset_uint(o, "bitrate", st->bitrate);
	jset_uint(o, "redundancy", st->redundancy);
	jset_uint(o, "expected_loss", st->expected_loss);
	json_object_set_new(o, "tx_kbps", json_real(st->tx_kbps));
	json_object_set_new(o, "remote_loss", json_real(st->remote_loss));
	json_object_set_new(o, "rx_loss", json_real(st->rx_loss));
	json_object_set_new(o, "jitter_ms", json_real(st->jitter_ms));
	json_object_set_new(o, "jb_target_ms", json_real(st->jb_target_ms));
	json_object_set_new(o, "play_jitter_ms", json_real(st->play_jitter_ms));
	json_t *lat = json_object();
	json_object_set_new(lat, "capture", json_real(st->lat_capture));
	json_object_set_new(lat, "encode", json_real(st->lat_encode));
	json_object_set_new(lat, "network", json_real(st->lat_network));
	json_object_set_new(lat, "jitter", json_real(st->lat_jitter));
	json_object_set_new(lat, "playout", json_real(st->lat_playout));
	json_object_set_new(lat, "total", json_real(st->lat_total));
	json_object_set_new(o, "latency_ms", lat);
	json_object_set_new(o, "cpu_pct", json_real(st->cpu_pct));
	json_object_set_new(o, "level_db", json_real(st->level_db));
	jset_bool(o, "transmitting", st->transmitting);
	jset_bool(o, "muted", st->muted);
	jset_bool(o, "deafened", st->deafened);
	jset_bool(o, "ptt", st->ptt);
	jset_uint(o, "talking", st->ntalking);
	jset_str(o, "mode", mode_name(st->mode));
	jset_str(o, "backend", st->backend);
	jset_str(o, "input", st->input);
	jset_str(o, "output", st->output);
	emit(ui, o);
}

void pl_ui_voice_live(struct pl_ui *ui, const char *live)
{
	if (ui->mode == PL_UI_TUI)
		pl_tui_voice_live(ui->tui, live);
}

void pl_ui_talking(struct pl_ui *ui, const char (*nicks)[PL_NICK_MAX + 1], unsigned n)
{
	if (ui->mode == PL_UI_TUI)
		pl_tui_talking(ui->tui, nicks, n);
	if (ui->mode != PL_UI_JSON)
		return;
	json_t *a = json_array();
	for (unsigned i = 0; i < n; i++)
		json_array_append_new(a, jstr(nicks[i]));
	json_t *o = event("talking");
	json_object_set_new(o, "nicks", a);
	emit(ui, o);
}

void pl_ui_voice_state(struct pl_ui *ui, const struct pl_voice_stats *st)
{
	if (ui->mode != PL_UI_JSON) {
		const char *tx = st->deafened ? "deafened: you hear nothing and send nothing"
			: st->muted ? "muted: you send nothing"
			: st->mode == PL_VOICE_PTT ? (st->ptt ? "push-to-talk: you are talking (/ptt stops)"
							   : "push-to-talk: not talking (/ptt talks)")
			: st->mode == PL_VOICE_CONTINUOUS ? "your microphone is always sent"
			: "voice activation: you are sent when you speak";
		text(ui, NULL, PL_TUI_INFO, "Voice: %s.", tx);
		return;
	}
	json_t *o = event("voice_state");
	jset_bool(o, "muted", st->muted);
	jset_bool(o, "deafened", st->deafened);
	jset_bool(o, "ptt", st->ptt);
	jset_str(o, "mode", mode_name(st->mode));
	emit(ui, o);
}

void pl_ui_sound_devices(struct pl_ui *ui, const struct pl_audio_dev *d, size_t n)
{
	if (ui->mode != PL_UI_JSON) {
		if (n == 0)
			text(ui, NULL, PL_TUI_INFO, "The sound server has no devices.");
		for (size_t i = 0; i < n; i++)
			text(ui, NULL, PL_TUI_INFO, "%s %s%s: %s", d[i].input ? "microphone" : "speaker   ", d[i].name,
			     d[i].is_default ? " (default)" : "", d[i].desc);
		return;
	}
	json_t *o = event("sound_devices"), *a = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *x = json_object();
		jset_str(x, "name", d[i].name);
		jset_str(x, "description", d[i].desc);
		jset_bool(x, "input", d[i].input);
		jset_bool(x, "default", d[i].is_default);
		json_array_append_new(a, x);
	}
	json_object_set_new(o, "devices", a);
	emit(ui, o);
}

void pl_ui_profile(struct pl_ui *ui, const struct pl_msg *m, const char *picture_sha256)
{
	if (ui->mode != PL_UI_JSON) {
		char since[16];
		bool hidden = m->u.profile.presence == PL_PRESENCE_HIDDEN;
		when(m->u.profile.created_ms, "%Y-%m-%d", since, sizeof since);
		text(ui, NULL, PL_TUI_INFO, "%s (%s): %s%s%s, member since %s%s", m->u.profile.nick,
		     m->u.profile.realname[0] ? m->u.profile.realname : "no real name given",
		     hidden ? "presence not shared (not a contact)" : pl_presence_name(m->u.profile.presence),
		     m->u.profile.note[0] ? ": " : "", m->u.profile.note, since,
		     m->u.profile.picture_len ? ", has a picture" : "");
		return;
	}
	json_t *o = event("profile");
	jset_str(o, "nick", m->u.profile.nick);
	jset_str(o, "realname", m->u.profile.realname);
	jset_uint(o, "created", m->u.profile.created_ms);
	jset_str(o, "presence", pl_presence_name(m->u.profile.presence));
	jset_str(o, "note", m->u.profile.note);
	jset_uint(o, "picture_bytes", m->u.profile.picture_len);
	jset_str(o, "picture_sha256", picture_sha256);
	emit(ui, o);
}

void pl_ui_call(struct pl_ui *ui, const struct pl_ui_call *e)
{
	bool loud = !strcmp(e->event, "call_incoming") || !strcmp(e->event, "key_warning");
	if (ui->mode != PL_UI_JSON) {
		text(ui, NULL, !strcmp(e->event, "key_warning") ? PL_TUI_ERROR : PL_TUI_INFO, "%s", e->sentence);
		if (loud && ui->mode == PL_UI_TUI)
			pl_tui_bell(ui->tui);
		return;
	}
	json_t *o = event(e->event);
	if (e->call)
		jset_id(o, "call", e->call);
	if (e->group)
		jset_uint(o, "group", e->group);
	if (e->session)
		jset_id(o, "session", e->session);
	const char *const strs[][2] = {{"state", e->state},		{"reason", e->reason}, {"nick", e->nick},
				       {"sas", e->sas},			{"fingerprint", e->fingerprint},
				       {"verified", e->verified}};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		if (strs[i][1] && strs[i][1][0])
			jset_str(o, strs[i][0], strs[i][1]);
	if (!strcmp(e->event, "call_member"))
		jset_bool(o, "joined", e->joined);
	if (e->fmt) {
		char d[128];
		pl_mformat_string(e->fmt, d, sizeof d);
		jset_str(o, "media", d);
		jset_str(o, "codec", pl_mformat_codec_name(e->fmt->codec));
		jset_uint(o, "rate", e->fmt->rate);
		jset_uint(o, "channels", e->fmt->channels);
		jset_str(o, "format", pl_mformat_sample_name(e->fmt->format));
		jset_uint(o, "chunk", e->fmt->chunk); /* samples per channel */
		json_object_set_new(o, "chunk_ms", json_real(e->fmt->rate ? 1000.0 * e->fmt->chunk / e->fmt->rate : 0));
	}
	jset_str(o, "message", e->sentence);
	emit(ui, o);
}

void pl_ui_event(struct pl_ui *ui, const char *name, const char *const *kv, const char *sentence)
{
	if (ui->mode != PL_UI_JSON) {
		text(ui, NULL, PL_TUI_INFO, "%s", sentence);
		return;
	}
	json_t *o = json_object();
	jset_str(o, "event", name);
	for (; kv && kv[0]; kv += 2) {
		if (!kv[1] || !kv[1][0])
			continue;
		if (kv[0][0] == '#')
			jset_uint(o, kv[0] + 1, strtoull(kv[1], NULL, 10));
		else
			jset_str(o, kv[0], kv[1]);
	}
	jset_str(o, "message", sentence);
	emit(ui, o);
}

void pl_ui_closed(struct pl_ui *ui, const char *reason)
{
	pl_ui_status(ui, "disconnected", NULL, NULL, "voice off");
	if (ui->mode != PL_UI_JSON)
		status_text(ui, PL_TUI_INFO, "%s", reason);
	else
		pl_ui_info(ui, "closed", reason);
}
