#include "client/cmds.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/auth.h"
#include "core/err.h"

#define FP_DIGITS (PL_KEY_FP_STR / 5 * 4) /* hex digits in a fingerprint: 8 groups of 4 */

/* --- the table --- */

/* {kind, field, usage, JSON key, what, flags, min, max, default} */
#define NICK {PL_ARG_NICK, PL_F_NICK, "NICK", "nick", "nickname", 0, 0, PL_NICK_MAX, 0}
#define ROOM(fl) {PL_ARG_ROOM, PL_F_TARGET, "#room", "room", "room", fl, 0, PL_ROOM_MAX, 0}
#define PASSWORD(u, k, w, f) {PL_ARG_PASSWORD, f, u, k, w, 0, 0, PL_PASSWORD_MAX, 0}
#define FILE_WAV {PL_ARG_PATH, PL_F_PATH, "FILE.wav", "file", "file name", 0, 0, 1023, 0}
#define NOTE {PL_ARG_LINE, PL_F_TEXT, "NOTE", "note", "note", PL_ARG_OPT, 0, PL_NOTE_MAX, 0}
#define GROUP_ID {PL_ARG_NUMBER, PL_F_NUMBER, "ID", "group", "group number", 0, 1, UINT32_MAX, 0}
#define NO_ARGS {{0}}
#define DEVICE {PL_ARG_PATH, PL_F_PATH, "DEVICE|default|none", "device", "device name", 0, 0, 255, 0}
#define MEDIA(w) {PL_ARG_FORMAT, PL_F_FORMAT, "MEDIA", "media", w, PL_ARG_OPT, 0, 63, 0}

const struct pl_cmd_def pl_cmd_table[] = {
	{"register", NULL, NULL, "register", PL_CMD_REGISTER, 0, 0,
	 {NICK, PASSWORD("PASSWORD", "password", "password", PL_F_PASSWORD),
	  {PL_ARG_LINE, PL_F_REALNAME, "REAL NAME", "realname", "real name", PL_ARG_OPT, 0, PL_REALNAME_MAX, 0}},
	 "create an account and log in"},
	{"login", NULL, NULL, "login", PL_CMD_LOGIN, 0, 0,
	 {NICK, {PL_ARG_PASSWORD, PL_F_PASSWORD, "PASSWORD", "password", "password", PL_ARG_OPT, 0, PL_PASSWORD_MAX, 0}},
	 "log in (the password is needed once per device, to register its key)"},
	{"join", NULL, NULL, "join", PL_CMD_JOIN, 0, 0, {ROOM(0)}, "join a room (your voice goes there too)"},
	{"part", NULL, NULL, "part", PL_CMD_PART, 0, 0, {ROOM(PL_ARG_OPT | PL_ARG_CURRENT)},
	 "leave a room (default: the current one)"},
	{"msg", NULL, NULL, "say", PL_CMD_SAY, 0, 0,
	 {{PL_ARG_TARGET, PL_F_TARGET, "NICK|#room", "to", "nickname or room", 0, 0, PL_ROOM_MAX, 0},
	  {PL_ARG_TEXT, PL_F_TEXT, "TEXT", "text", "message", 0, 0, PL_TEXT_MAX, 0}},
	 "send a message to a user or a room"},
	{"history", NULL, NULL, "history", PL_CMD_HISTORY, 0, 0,
	 {{PL_ARG_TARGET, PL_F_TARGET, "#room|NICK", "target", "room or nickname", PL_ARG_OPT | PL_ARG_CURRENT, 0,
	   PL_ROOM_MAX, 0},
	  {PL_ARG_NUMBER, PL_F_NUMBER, "N", "limit", "number of messages", PL_ARG_OPT, 1, PL_HISTORY_MAX, 20},
	  {PL_ARG_NUMBER, PL_F_BEFORE, "BEFORE-ID", "before", "message id", PL_ARG_OPT, 0, INT64_MAX, 0}},
	 "the last N messages (default 20), or those before an id"},
	{"rooms", NULL, NULL, "rooms", PL_CMD_ROOMS, 0, 0, NO_ARGS, "the rooms and how many are in each"},
	{"names", NULL, NULL, "names", PL_CMD_NAMES, 0, 0, {ROOM(PL_ARG_OPT | PL_ARG_CURRENT)},
	 "who is in a room (default: the current one)"},
	{"contacts", NULL, NULL, "contacts", PL_CMD_CONTACTS, 0, 0, NO_ARGS, "your contacts and their presence"},
	{"add", NULL, NULL, "add", PL_CMD_ADD, 0, 0, {NICK}, "ask someone to become your contact"},
	{"accept", NULL, NULL, "accept", PL_CMD_ACCEPT, 0, 0, {NICK}, "accept someone's contact request"},
	{"refuse", NULL, NULL, "refuse", PL_CMD_REFUSE, 0, 0, {NICK}, "refuse someone's contact request"},
	{"del", NULL, NULL, "del", PL_CMD_DEL, 0, 0, {NICK}, "remove a contact (both sides are told)"},
	{"status", NULL, NULL, "status", PL_CMD_STATUS_GET, 0, 0, {NICK}, "someone's presence, without calling them"},
	{"away", NULL, NULL, NULL, PL_CMD_STATUS_SET, PL_PRESENCE_AWAY, 0, {NOTE}, "set your presence to away"},
	{"busy", NULL, NULL, NULL, PL_CMD_STATUS_SET, PL_PRESENCE_BUSY, 0, {NOTE}, "set your presence to busy"},
	{"back", NULL, NULL, NULL, PL_CMD_STATUS_SET, PL_PRESENCE_ONLINE, 0, {NOTE}, "set your presence to online"},
	{NULL, NULL, NULL, "set_status", PL_CMD_STATUS_SET, 0, 0,
	 {{PL_ARG_PRESENCE, PL_F_PRESENCE, "online|away|busy", "presence", "presence", 0, 0, 0, 0}, NOTE}, NULL},
	{"whois", NULL, NULL, "whois", PL_CMD_WHOIS, 0, 0, {NICK}, "someone's profile"},
	{"realname", NULL, NULL, NULL, PL_CMD_PROFILE, 0, 0,
	 {{PL_ARG_LINE, PL_F_REALNAME, "NAME", "realname", "real name", PL_ARG_OPT, 0, PL_REALNAME_MAX, 0}},
	 "change your real name (none given: remove it)"},
	{"picture", NULL, NULL, NULL, PL_CMD_PROFILE, 0, 0,
	 {{PL_ARG_PATH, PL_F_PICTURE, "FILE|none", "picture", "picture file", 0, 0, 1023, 0}},
	 "change your picture (PNG or JPEG up to 8 KiB); none removes it"},
	{NULL, NULL, NULL, "profile", PL_CMD_PROFILE, 0, PL_CMDF_ONE_OF,
	 {{PL_ARG_LINE, PL_F_REALNAME, "NAME", "realname", "real name", PL_ARG_OPT, 0, PL_REALNAME_MAX, 0},
	  {PL_ARG_PATH, PL_F_PICTURE, "FILE", "picture", "picture file", PL_ARG_OPT, 0, 1023, 0}}, NULL},
	{"passwd", NULL, NULL, "passwd", PL_CMD_PASSWD, 0, 0,
	 {PASSWORD("OLD-PASSWORD", "old", "old password", PL_F_PASSWORD),
	  PASSWORD("NEW-PASSWORD", "new", "new password", PL_F_NEW_PASSWORD)},
	 "change your password"},
	{"groups", NULL, NULL, "groups", PL_CMD_GROUPS, 0, 0, NO_ARGS, "your groups, their ids and members"},
	{"group", "create", NULL, "group_create", PL_CMD_GROUP_CREATE, 0, 0,
	 {{PL_ARG_LINE, PL_F_TEXT, "NAME", "name", "group name", 0, 0, PL_GROUP_NAME_MAX, 0}},
	 "make a group, with you in it"},
	{"group", "add", NULL, "group_add", PL_CMD_GROUP_ADD, 0, 0, {GROUP_ID, NICK},
	 "add someone to a group (/groups lists the ids)"},
	{"group", "quit", NULL, "group_quit", PL_CMD_GROUP_QUIT, 0, 0, {GROUP_ID}, "leave a group"},
	{"devices", "sound", NULL, "sound_devices", PL_CMD_SOUND_DEVICES, 0, 0, NO_ARGS,
	 "the sound server's microphones and speakers"},
	{"devices", NULL, NULL, "devices", PL_CMD_DEVICES, 0, 0, NO_ARGS,
	 "your devices and their key fingerprints"},
	{"revoke", NULL, NULL, "revoke", PL_CMD_REVOKE, 0, PL_CMDF_ONE_OF,
	 {{PL_ARG_KEY, PL_F_KEY, "FINGERPRINT", NULL, "fingerprint", PL_ARG_SLASH, 0, 0, 0},
	  {PL_ARG_KEY, PL_F_KEY, "HEX64", "key", "key", PL_ARG_JSON | PL_ARG_OPT | PL_ARG_WHOLE, 0, 0, 0},
	  {PL_ARG_KEY, PL_F_KEY, "FINGERPRINT", "fingerprint", "fingerprint", PL_ARG_JSON | PL_ARG_OPT, 0, 0, 0}},
	 "revoke a device's key (the start of its fingerprint will do)"},
	{"keys", NULL, NULL, "keys", PL_CMD_KEYS, 0, 0, {NICK}, "someone's device keys, to compare fingerprints"},
	{"call", "group", NULL, "call_group", PL_CMD_CALL_GROUP, 0, 0, {GROUP_ID, MEDIA("offer")},
	 "call a group's members"},
	{"call", NULL, NULL, "call", PL_CMD_CALL, 0, 0, {NICK, MEDIA("offer")},
	 "call a contact (MEDIA: opus, or pcm:16000:1:i16:20; default opus)"},
	{"answer", NULL, NULL, "answer", PL_CMD_ANSWER, 0, 0, {MEDIA("counter-offer")},
	 "answer the call that rings (with MEDIA: offer that format instead)"},
	{"deny", NULL, NULL, "deny", PL_CMD_DENY, 0, 0, NO_ARGS, "refuse the call that rings"},
	{"take", NULL, NULL, "take", PL_CMD_TAKE, 0, 0, NO_ARGS, "take the format the callee offered back"},
	{"hangup", NULL, NULL, "hangup", PL_CMD_HANGUP, 0, 0, NO_ARGS, "end the call (or drop an offer)"},
	{"verify", NULL, NULL, "verify", PL_CMD_VERIFY, 0, 0,
	 {{PL_ARG_NICK, PL_F_NICK, "NICK", "nick", "nickname", PL_ARG_OPT, 0, PL_NICK_MAX, 0}},
	 "after comparing the call's code aloud: trust this contact's device key"},
	{"voice", NULL, NULL, "voice_send", PL_CMD_VOICE_SEND, 0, 0, {FILE_WAV},
	 "talk: send a 48 kHz mono WAV as your microphone"},
	{"record", NULL, NULL, "record", PL_CMD_RECORD, 0, 0, {FILE_WAV}, "write what you hear to a WAV file"},
	{"stoprecord", NULL, NULL, "stop_record", PL_CMD_STOP_RECORD, 0, 0, NO_ARGS, "stop recording"},
	{"stats", NULL, NULL, "stats", PL_CMD_STATS, 0, 0, NO_ARGS, "voice statistics"},
	{"me", NULL, NULL, NULL, PL_CMD_ME, 0, 0,
	 {{PL_ARG_TEXT, PL_F_TEXT, "ACTION", "text", "action", 0, 0, PL_TEXT_MAX - 4, 0}},
	 "an action here: /me waves shows * NICK waves"},
	{"query", NULL, NULL, NULL, PL_CMD_QUERY, 0, 0, {NICK}, "a conversation with NICK in a window of its own"},
	{"close", NULL, NULL, NULL, PL_CMD_CLOSE, 0, 0, NO_ARGS, "close this window (a room's: leave the room)"},
	{"clear", NULL, NULL, NULL, PL_CMD_CLEAR, 0, 0, NO_ARGS, "empty this window's scrollback"},
	{"topic", NULL, NULL, "topic", PL_CMD_TOPIC, 0, 0,
	 {{PL_ARG_ROOM, PL_F_TARGET, "#room", "room", "room", PL_ARG_JSON, 0, PL_ROOM_MAX, 0},
	  {PL_ARG_LINE, PL_F_TEXT, "TOPIC", "topic", "topic", PL_ARG_OPT, 0, PL_TOPIC_MAX, 0}},
	 "this room's topic; /topic TEXT sets it"},
	{"input", NULL, NULL, "input", PL_CMD_INPUT, 0, 0, {DEVICE},
	 "the microphone (/devices sound lists them)"},
	{"output", NULL, NULL, "output", PL_CMD_OUTPUT, 0, 0, {DEVICE},
	 "the speaker (none: WAV recordings only)"},
	{"mute", NULL, NULL, "mute", PL_CMD_MUTE, 0, 0, NO_ARGS, "mute or unmute your microphone"},
	{"deafen", NULL, NULL, "deafen", PL_CMD_DEAFEN, 0, 0, NO_ARGS, "hear nothing and send nothing, or stop"},
	{"ptt", NULL, NULL, "ptt", PL_CMD_PTT, 0, 0, NO_ARGS,
	 "push-to-talk: talk, or stop (a toggle)"},
	{"vad", NULL, NULL, "vad", PL_CMD_VAD, 0, 0, NO_ARGS, "voice activation: send when you speak"},
	{"help", NULL, NULL, NULL, PL_CMD_HELP, 0, 0, NO_ARGS, "this list"},
	{"quit", NULL, "exit", "quit", PL_CMD_QUIT, 0, 0, NO_ARGS, "disconnect and exit"},
};

const size_t pl_cmd_count = sizeof pl_cmd_table / sizeof pl_cmd_table[0];

/* --- reading the table --- */

static size_t nargs(const struct pl_cmd_def *d)
{
	size_t n = 0;
	while (n < PL_CMD_ARGS_MAX && (d->args[n].usage || d->args[n].key))
		n++;
	return n;
}

static bool in_form(const struct pl_arg *a, bool json)
{
	return !(a->flags & (json ? PL_ARG_SLASH : PL_ARG_JSON));
}

/* An argument of the current room is optional in the slash form only: a script names it. */
static bool optional(const struct pl_arg *a, bool json)
{
	return (a->flags & PL_ARG_OPT) && !(json && (a->flags & PL_ARG_CURRENT));
}

static bool rest_of_line(enum pl_arg_kind k)
{
	return k == PL_ARG_TEXT || k == PL_ARG_LINE || k == PL_ARG_PATH || k == PL_ARG_KEY;
}

/* Appends to the string in buf (sz bytes) what fits. */
static void append(char *buf, size_t sz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t sz, const char *fmt, ...)
{
	size_t len = strnlen(buf, sz);
	if (len + 1 >= sz)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + len, sz - len, fmt, ap);
	va_end(ap);
}

const char *pl_cmd_usage(const struct pl_cmd_def *d, bool json, char *buf, size_t sz)
{
	if (sz == 0)
		return buf;
	buf[0] = '\0';
	if (json)
		append(buf, sz, "{\"cmd\":\"%s\"", d->json ? d->json : "");
	else
		append(buf, sz, "/%s%s%s", d->slash ? d->slash : "", d->sub ? " " : "", d->sub ? d->sub : "");
	for (size_t i = 0; i < nargs(d); i++) {
		const struct pl_arg *a = &d->args[i];
		bool opt = optional(a, json);
		if (!in_form(a, json))
			continue;
		if (json)
			append(buf, sz, a->kind == PL_ARG_NUMBER ? "%s,\"%s\":%s%s" : "%s,\"%s\":\"%s\"%s", opt ? "[" : "",
			       a->key, a->usage, opt ? "]" : "");
		else
			append(buf, sz, opt ? " [%s]" : " %s", a->usage);
	}
	if (json)
		append(buf, sz, "}");
	return buf;
}

bool pl_cmd_help_line(size_t i, char *buf, size_t sz)
{
	if (i == 0) {
		snprintf(buf, sz, "Commands:");
		return true;
	}
	size_t k = 1;
	for (size_t j = 0; j < pl_cmd_count; j++) {
		const struct pl_cmd_def *d = &pl_cmd_table[j];
		if (!d->slash || !d->help || k++ != i)
			continue;
		char usage[128];
		pl_cmd_usage(d, false, usage, sizeof usage);
		if (d->alias)
			append(usage, sizeof usage, ", /%s", d->alias);
		snprintf(buf, sz, "  %-38s %s", usage, d->help);
		return true;
	}
	if (k != i)
		return false;
	snprintf(buf, sz, "  %-38s %s", "TEXT", "a message to the current room or conversation (//TEXT sends /TEXT)");
	return true;
}

const char *pl_cmd_verb(size_t i)
{
	size_t k = 0;
	for (size_t j = 0; j < pl_cmd_count; j++) {
		const char *v = pl_cmd_table[j].slash;
		bool seen = false;
		for (size_t e = 0; v && e < j && !seen; e++)
			seen = pl_cmd_table[e].slash && !strcmp(pl_cmd_table[e].slash, v);
		if (v && !seen && k++ == i)
			return v;
	}
	return NULL;
}

static bool verb_is(const struct pl_cmd_def *d, const char *verb, size_t n)
{
	return (d->slash && strlen(d->slash) == n && !strncasecmp(d->slash, verb, n)) ||
	       (d->alias && strlen(d->alias) == n && !strncasecmp(d->alias, verb, n));
}

bool pl_cmd_secret(const char *line)
{
	if (line[0] != '/')
		return false;
	size_t n = strcspn(line + 1, " ");
	for (size_t j = 0; j < pl_cmd_count; j++) {
		const struct pl_cmd_def *d = &pl_cmd_table[j];
		if (!verb_is(d, line + 1, n))
			continue;
		for (size_t i = 0; i < nargs(d); i++)
			if (d->args[i].kind == PL_ARG_PASSWORD)
				return true;
	}
	return false;
}

bool pl_cmd_fp_starts(const char *fp, const char *digits)
{
	for (; *digits; fp++) {
		if (*fp == ' ')
			continue;
		if (*fp != *digits++)
			return false;
	}
	return true;
}

/* --- checking and storing values --- */

static int fail(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *article(const char *noun)
{
	return strchr("aeiou", noun[0]) ? "an" : "a";
}

/* "/join needs a room. Usage: /join #room" */
static int missing(const struct pl_cmd_def *d, const struct pl_arg *a, bool json, char *err, size_t errsz)
{
	char usage[256];
	pl_cmd_usage(d, json, usage, sizeof usage);
	if (json)
		return fail(err, errsz, "\"%s\" needs \"%s\" (%s %s). Usage: %s", d->json, a->key, article(a->what),
			    a->what, usage);
	return fail(err, errsz, "/%s%s%s needs %s %s. Usage: %s", d->slash, d->sub ? " " : "", d->sub ? d->sub : "",
		    article(a->what), a->what, usage);
}

static int bad_number(const struct pl_cmd_def *d, const struct pl_arg *a, bool json, char *err, size_t errsz)
{
	char usage[256];
	pl_cmd_usage(d, json, usage, sizeof usage);
	return fail(err, errsz, "The %s must be a whole number from %llu to %llu. Usage: %s", a->what,
		    (unsigned long long)a->min, (unsigned long long)a->max, usage);
}

/* A device key or the start of its fingerprint: hex digits, spaces ignored, into out (lowercase). At
 * least 4 digits of a fingerprint, so a slip of one key cannot revoke a device. */
static int read_key(const struct pl_arg *a, const char *v, char *out, size_t outsz, char *err, size_t errsz)
{
	size_t n = 0;
	for (; *v; v++) {
		if (*v == ' ')
			continue;
		if (!isxdigit((unsigned char)*v) || n + 1 >= outsz)
			break;
		out[n++] = (char)tolower((unsigned char)*v);
	}
	out[n] = '\0';
	bool whole = n == 2 * PL_DEVICE_KEY_LEN;
	if (!*v && (whole || (!(a->flags & PL_ARG_WHOLE) && n >= 4 && n <= FP_DIGITS)))
		return 0;
	out[0] = '\0';
	if (a->flags & PL_ARG_WHOLE)
		return fail(err, errsz, "A device key is 64 hex digits.");
	return fail(err, errsz, "A fingerprint is hex digits as /devices shows them, like 1a2b 3c4d (at least 4 "
		    "digits, spaces optional), or a whole key of 64 digits.");
}

static int copy(char *dst, size_t cap, const char *v, const struct pl_arg *a, char *err, size_t errsz)
{
	size_t n = strlen(v);
	size_t max = a->max && a->max < cap ? a->max : cap - 1;
	if (n > max)
		return fail(err, errsz, "That %s is too long (at most %zu bytes).", a->what, max);
	memcpy(dst, v, n + 1);
	return 0;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* A number argument's value, from a word of the slash form. */
static int word_number(const char *w, uint64_t *v)
{
	if (!all_digits(w) || strlen(w) > 20)
		return -EINVAL;
	uint64_t x = 0;
	for (; *w; w++) {
		if (x > (UINT64_MAX - (uint64_t)(*w - '0')) / 10)
			return -EINVAL;
		x = x * 10 + (uint64_t)(*w - '0');
	}
	*v = x;
	return 0;
}

static int store_number(const struct pl_cmd_def *d, const struct pl_arg *a, bool json, uint64_t v, struct pl_cmd *cmd,
			char *err, size_t errsz)
{
	if (v < a->min || v > a->max)
		return bad_number(d, a, json, err, errsz);
	switch (a->field) {
	case PL_F_NUMBER: cmd->number = (uint32_t)v; break;
	case PL_F_BEFORE: cmd->before = v; break;
	default: break;
	}
	return 0;
}

/* Checks a string value of an argument by its kind and stores it where the argument goes. */
static int store(const struct pl_cmd_def *d, const struct pl_arg *a, bool json, const char *v, struct pl_cmd *cmd,
		 char *err, size_t errsz)
{
	switch (a->kind) {
	case PL_ARG_NICK:
		if (!pl_nick_valid(v))
			return fail(err, errsz, "%s", pl_err_sentence(PL_ERR_BAD_NICK));
		break;
	case PL_ARG_ROOM:
		if (v[0] != '#' && json)
			return fail(err, errsz, "Room names start with '#': try \"%s\":\"#%.40s\".", a->key, v);
		if (v[0] != '#')
			return fail(err, errsz, "Room names start with '#': try /%s #%.40s", d->slash, v);
		if (!pl_room_valid(v))
			return fail(err, errsz, "%s", pl_err_sentence(PL_ERR_BAD_ROOM));
		break;
	case PL_ARG_TARGET:
		if (v[0] == '#' ? !pl_room_valid(v) : !pl_nick_valid(v))
			return fail(err, errsz, "That is neither a room (#name) nor a valid nickname.");
		break;
	case PL_ARG_PRESENCE:
		for (uint8_t p = PL_PRESENCE_ONLINE; p <= PL_PRESENCE_BUSY; p++)
			if (!strcmp(v, pl_presence_name(p))) {
				cmd->presence = p;
				return 0;
			}
		return fail(err, errsz, "The presence must be online, away or busy.");
	case PL_ARG_NUMBER: {
		uint64_t n;
		if (word_number(v, &n) < 0)
			return bad_number(d, a, json, err, errsz);
		return store_number(d, a, json, n, cmd, err, errsz);
	}
	case PL_ARG_KEY:
		return read_key(a, v, cmd->key, sizeof cmd->key, err, errsz);
	case PL_ARG_FORMAT: {
		char why[200];
		if (!*v)
			return 0; /* left out: the default */
		if (pl_mformat_parse(v, &cmd->fmt, why, sizeof why) < 0)
			return fail(err, errsz, "That media format is not usable: %s.", why);
		cmd->has_fmt = true;
		return 0;
	}
	default:
		break;
	}
	switch (a->field) {
	case PL_F_NICK: return copy(cmd->nick, sizeof cmd->nick, v, a, err, errsz);
	case PL_F_PASSWORD: return copy(cmd->password, sizeof cmd->password, v, a, err, errsz);
	case PL_F_NEW_PASSWORD: return copy(cmd->new_password, sizeof cmd->new_password, v, a, err, errsz);
	case PL_F_REALNAME:
		cmd->has_realname = true;
		return copy(cmd->realname, sizeof cmd->realname, v, a, err, errsz);
	case PL_F_TARGET: return copy(cmd->target, sizeof cmd->target, v, a, err, errsz);
	case PL_F_PATH: return copy(cmd->path, sizeof cmd->path, v, a, err, errsz);
	case PL_F_PICTURE:
		cmd->has_picture = true;
		return copy(cmd->path, sizeof cmd->path, v[0] ? v : "none", a, err, errsz);
	case PL_F_TEXT: return copy(cmd->text, sizeof cmd->text, v, a, err, errsz);
	default: return 0;
	}
}

/* --- the slash form --- */

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

/* Whether the next word of p is a number that a later number argument of d should take: an
 * optional argument before it is then left out ("/history 50" is the current window's). */
static bool number_follows(const struct pl_cmd_def *d, size_t i, const char *p)
{
	size_t n = strcspn(p, " ");
	if (n == 0 || strspn(p, "0123456789") < n)
		return false;
	for (size_t j = i + 1; j < nargs(d); j++)
		if (in_form(&d->args[j], false) && d->args[j].kind == PL_ARG_NUMBER)
			return true;
	return false;
}

static int slash_args(const struct pl_cmd_def *d, char *p, const char *current_room, struct pl_cmd *cmd,
		      char *err, size_t errsz)
{
	for (size_t i = 0; i < nargs(d); i++) {
		const struct pl_arg *a = &d->args[i];
		const char *v = NULL;
		if (!in_form(a, false))
			continue;
		if (rest_of_line(a->kind)) {
			v = *p ? p : NULL;
			p += strlen(p);
		} else if (!(a->flags & PL_ARG_OPT) || a->kind == PL_ARG_NUMBER || !number_follows(d, i, p)) {
			v = word(&p);
		}
		if (!v && (a->flags & PL_ARG_CURRENT))
			v = current_room;
		if (d->kind == PL_CMD_PART && v == current_room && v && *v && *v != '#') {
			cmd->kind = PL_CMD_CLOSE; /* /part in a conversation's window closes it */
			snprintf(cmd->name, sizeof cmd->name, "close");
			return 0;
		}
		if ((!v || !*v) && (!(a->flags & PL_ARG_OPT) || (a->flags & PL_ARG_CURRENT)))
			return missing(d, a, false, err, errsz);
		int rc;
		if (!v && a->kind == PL_ARG_NUMBER)
			rc = store_number(d, a, false, a->def, cmd, err, errsz);
		else if (!v && rest_of_line(a->kind))
			rc = store(d, a, false, "", cmd, err, errsz); /* "/away": no note; "/realname": none */
		else
			rc = v ? store(d, a, false, v, cmd, err, errsz) : 0;
		if (rc < 0)
			return rc;
	}
	while (*p == ' ')
		p++;
	if (*p) {
		char usage[256];
		return fail(err, errsz, "Too many words after /%s%s%s: \"%.40s\". Usage: %s", d->slash, d->sub ? " " : "",
			    d->sub ? d->sub : "", p, pl_cmd_usage(d, false, usage, sizeof usage));
	}
	return 0;
}

/* A command word without the second word that picks its row: the usages of all its rows, as in
 * "Usage: /group create NAME, /group add ID NICK or /group quit ID". */
static int subs_usage(const char *verb, char *err, size_t errsz)
{
	char usage[512] = "", one[128];
	size_t n = 0, k = 0;
	for (size_t j = 0; j < pl_cmd_count; j++)
		n += pl_cmd_table[j].sub && verb_is(&pl_cmd_table[j], verb, strlen(verb));
	for (size_t j = 0; j < pl_cmd_count; j++) {
		const struct pl_cmd_def *e = &pl_cmd_table[j];
		if (!e->sub || !verb_is(e, verb, strlen(verb)))
			continue;
		k++;
		append(usage, sizeof usage, "%s%s", k == 1 ? "" : k == n ? " or " : ", ",
		       pl_cmd_usage(e, false, one, sizeof one));
	}
	return fail(err, errsz, "Usage: %s", usage);
}

static int parse_slash(const char *in, size_t len, const char *current_room, struct pl_cmd *cmd, char *err,
		       size_t errsz)
{
	char buf[PL_TEXT_MAX + 1100];
	if (len >= sizeof buf)
		return fail(err, errsz, "That line is too long; messages are at most %d bytes.", PL_TEXT_MAX);
	memcpy(buf, in, len);
	buf[len] = '\0';
	if (strlen(buf) != len)
		return fail(err, errsz, "That line holds a NUL byte; type text only.");
	while (len && (buf[len - 1] == '\r' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	if (len == 0) {
		cmd->kind = PL_CMD_NONE;
		return 0;
	}
	if (buf[0] != '/' || buf[1] == '/') {
		cmd->kind = PL_CMD_SAY;
		if (!current_room || !*current_room)
			return fail(err, errsz, "You are in no room; /join one first, or use /msg NICK TEXT.");
		snprintf(cmd->target, sizeof cmd->target, "%s", current_room);
		const char *t = buf[0] == '/' ? buf + 1 : buf;
		if (strlen(t) > PL_TEXT_MAX)
			return fail(err, errsz, "That message is too long (at most %d bytes).", PL_TEXT_MAX);
		memcpy(cmd->text, t, strlen(t) + 1);
		return 0;
	}
	char *p = buf + 1;
	const char *verb = word(&p);
	if (!verb)
		verb = "";
	const struct pl_cmd_def *d = NULL;
	bool has_subs = false;
	/* A row whose second word is the next word wins ("/call group 3"); else the verb's row
	 * without one ("/call bob"). */
	size_t sl = strcspn(p, " ");
	for (size_t j = 0; j < pl_cmd_count && !d && sl; j++) {
		const struct pl_cmd_def *e = &pl_cmd_table[j];
		if (e->sub && verb_is(e, verb, strlen(verb)) && strlen(e->sub) == sl && !strncasecmp(e->sub, p, sl)) {
			d = e;
			word(&p);
		}
	}
	for (size_t j = 0; j < pl_cmd_count && !d; j++) {
		const struct pl_cmd_def *e = &pl_cmd_table[j];
		if (!verb_is(e, verb, strlen(verb)))
			continue;
		if (!e->sub)
			d = e;
		has_subs = has_subs || e->sub;
	}
	if (!d && has_subs) {
		const char *sub = word(&p);
		for (size_t j = 0; j < pl_cmd_count && !d && sub; j++) {
			const struct pl_cmd_def *e = &pl_cmd_table[j];
			if (e->sub && verb_is(e, verb, strlen(verb)) && !strcasecmp(e->sub, sub))
				d = e;
		}
		if (!d)
			return subs_usage(verb, err, errsz);
	}
	if (!d)
		return fail(err, errsz, "Unknown command /%.40s; type /help for the list.", verb);
	cmd->kind = d->kind;
	cmd->presence = d->presence;
	snprintf(cmd->name, sizeof cmd->name, "%s", d->json ? d->json : d->slash);
	return slash_args(d, p, current_room, cmd, err, errsz);
}

/* --- the JSON form --- */

static int parse_json(const char *line, size_t len, struct pl_cmd *cmd, char *err, size_t errsz)
{
	json_error_t je;
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	int rc = -EINVAL;
	if (!o || !json_is_object(o)) {
		fail(err, errsz, "That line is not a JSON object like {\"cmd\":\"say\",\"to\":\"#Lobby\",\"text\":\"hi\"}%s%s.",
		     o ? "" : ": ", o ? "" : je.text);
		goto out;
	}
	const char *c = json_string_value(json_object_get(o, "cmd"));
	/* Any command may carry a tag, a number the events answering it echo; read first, so even
	 * the error about a malformed command carries it. */
	json_t *tg = json_object_get(o, "tag");
	if (c)
		snprintf(cmd->name, sizeof cmd->name, "%.23s", c);
	if (tg && !(json_is_integer(tg) && json_integer_value(tg) >= 0 && json_integer_value(tg) <= UINT32_MAX)) {
		fail(err, errsz, "The tag must be a whole number from 0 to %u.", UINT32_MAX);
		goto out;
	}
	if (tg)
		cmd->tag = (uint32_t)json_integer_value(tg);
	if (!c) {
		fail(err, errsz, "The object has no \"cmd\" string; see the JSON commands in the README.");
		goto out;
	}
	const struct pl_cmd_def *d = NULL;
	for (size_t j = 0; j < pl_cmd_count && !d; j++)
		if (pl_cmd_table[j].json && !strcmp(pl_cmd_table[j].json, c))
			d = &pl_cmd_table[j];
	if (!d) {
		fail(err, errsz, "Unknown \"cmd\" \"%.40s\"; the commands are", c);
		for (size_t j = 0, k = 0; j < pl_cmd_count; j++)
			if (pl_cmd_table[j].json)
				append(err, errsz, "%s %s", k++ ? "," : "", pl_cmd_table[j].json);
		append(err, errsz, ".");
		goto out;
	}
	cmd->kind = d->kind;
	cmd->presence = d->presence;
	snprintf(cmd->name, sizeof cmd->name, "%s", d->json);
	const char *key;
	json_t *val;
	json_object_foreach(o, key, val) { /* a misspelt key is a mistake, not nothing */
		bool known = !strcmp(key, "cmd") || !strcmp(key, "tag");
		for (size_t i = 0; i < nargs(d) && !known; i++)
			known = in_form(&d->args[i], true) && !strcmp(key, d->args[i].key);
		if (!known) {
			char usage[256];
			fail(err, errsz, "\"%.40s\" is not a key of \"%s\". Usage: %s", key, d->json,
			     pl_cmd_usage(d, true, usage, sizeof usage));
			goto out;
		}
	}
	bool any = false;
	for (size_t i = 0; i < nargs(d); i++) {
		const struct pl_arg *a = &d->args[i];
		if (!in_form(a, true))
			continue;
		json_t *v = json_object_get(o, a->key);
		bool opt = optional(a, true);
		if (v && json_is_null(v))
			v = NULL;
		if (a->kind == PL_ARG_NUMBER) {
			uint64_t n = a->def;
			double x = json_number_value(v);
			if (!v && !opt) {
				missing(d, a, true, err, errsz);
				goto out;
			}
			if (json_is_integer(v) && json_integer_value(v) >= 0) {
				n = (uint64_t)json_integer_value(v);
			} else if (json_is_real(v) && x >= 0 && x < 18446744073709551616.0 && x == (double)(uint64_t)x) {
				n = (uint64_t)x; /* 20.0 is 20 */
			} else if (v) {
				bad_number(d, a, true, err, errsz);
				goto out;
			}
			any = any || (v && opt);
			if (store_number(d, a, true, n, cmd, err, errsz) < 0)
				goto out;
			continue;
		}
		if (v && !json_is_string(v)) {
			fail(err, errsz, "\"%s\" must be a string.", a->key);
			goto out;
		}
		const char *s = v ? json_string_value(v) : NULL;
		if (!opt && (!s || !*s)) {
			missing(d, a, true, err, errsz);
			goto out;
		}
		if (!s)
			continue;
		any = any || opt;
		if (store(d, a, true, s, cmd, err, errsz) < 0)
			goto out;
	}
	if ((d->flags & PL_CMDF_ONE_OF) && !any) {
		char usage[256];
		fail(err, errsz, "\"%s\" needs", d->json);
		for (size_t i = 0, k = 0; i < nargs(d); i++)
			if (in_form(&d->args[i], true))
				append(err, errsz, "%s \"%s\"", k++ ? " or" : "", d->args[i].key);
		append(err, errsz, ". Usage: %s", pl_cmd_usage(d, true, usage, sizeof usage));
		goto out;
	}
	rc = 0;
out:
	json_decref(o);
	return rc;
}

int pl_ui_parse(bool json, const char *line, size_t len, const char *current_room, struct pl_cmd *cmd,
		char *err, size_t errsz)
{
	memset(cmd, 0, sizeof *cmd);
	if (errsz)
		err[0] = '\0';
	int rc = json ? parse_json(line, len, cmd, err, errsz) : parse_slash(line, len, current_room, cmd, err, errsz);
	if (rc < 0)
		cmd->kind = PL_CMD_NONE;
	return rc;
}
