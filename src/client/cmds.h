/*
 * cmds: every command the client takes, described once in a table (as irssi's command_bind and
 * weechat's hook_command describe theirs): its slash form, its JSON form, its arguments with their
 * kinds, and its help line. The slash-command parser (line mode and TUI), the JSON parser, /help,
 * usage sentences and the TUI's Tab completion all read the table; parsing yields a struct pl_cmd
 * for the client to carry out. Pure functions: no I/O, no state.
 */
#ifndef PL_CMDS_H
#define PL_CMDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/msg.h"
#include "core/names.h"

enum pl_cmd_kind {
	PL_CMD_NONE, /* an empty line */
	PL_CMD_REGISTER, PL_CMD_LOGIN, PL_CMD_JOIN, PL_CMD_PART, PL_CMD_SAY,
	PL_CMD_VOICE_SEND, PL_CMD_RECORD, PL_CMD_STOP_RECORD, PL_CMD_STATS, PL_CMD_HELP, PL_CMD_QUIT,
	PL_CMD_PASSWD, PL_CMD_PROFILE, PL_CMD_WHOIS, PL_CMD_CONTACTS, PL_CMD_ADD, PL_CMD_DEL,
	PL_CMD_STATUS_GET, PL_CMD_STATUS_SET, PL_CMD_GROUP_CREATE, PL_CMD_GROUP_ADD, PL_CMD_GROUP_QUIT,
	PL_CMD_GROUPS, PL_CMD_ROOMS, PL_CMD_NAMES, PL_CMD_HISTORY,
	PL_CMD_DEVICES, PL_CMD_REVOKE, PL_CMD_KEYS, PL_CMD_ACCEPT, PL_CMD_REFUSE,
	PL_CMD_CALL, PL_CMD_CALL_GROUP, PL_CMD_ANSWER, PL_CMD_DENY, PL_CMD_HANGUP, PL_CMD_TAKE, PL_CMD_VERIFY,
	PL_CMD_ME, PL_CMD_QUERY, PL_CMD_CLOSE, PL_CMD_CLEAR, PL_CMD_TOPIC,
	PL_CMD_SOUND_DEVICES, PL_CMD_INPUT, PL_CMD_OUTPUT, PL_CMD_MUTE, PL_CMD_DEAFEN, PL_CMD_PTT, PL_CMD_VAD,
};

/* A parsed command: what the client carries out. */
struct pl_cmd {
	enum pl_cmd_kind kind;
	char nick[PL_NICK_MAX + 1];
	char password[PL_PASSWORD_MAX + 1];
	char realname[PL_REALNAME_MAX + 1];
	char target[(PL_ROOM_MAX > PL_NICK_MAX ? PL_ROOM_MAX : PL_NICK_MAX) + 1]; /* room or nickname */
	char path[1024];
	char text[PL_TEXT_MAX + 1];     /* a message, a presence note or a group name */
	uint32_t tag;                   /* JSON mode: echoed in every event that answers the command */
	char name[24];                  /* the command's JSON name ("say"), also when it failed to parse */
	char new_password[PL_PASSWORD_MAX + 1];
	bool has_realname, has_picture; /* PROFILE: which to change (path holds the picture file) */
	uint8_t presence;               /* STATUS_SET */
	uint32_t number;                /* a group id, or a history limit */
	uint64_t before;                /* HISTORY: older than this id (0: the newest) */
	/* REVOKE: lowercase hex digits without spaces; 64 are a whole device key, fewer the start of
	 * a key's fingerprint (core/auth.h), to look up in the last /devices listing */
	char key[2 * PL_DEVICE_KEY_LEN + 1];
	/* CALL, CALL_GROUP, ANSWER: a media format given (ANSWER: a counter-offer) */
	struct pl_media_format fmt;
	bool has_fmt;
};

/* What an argument is: it decides how the argument is read, checked and named in a usage. */
enum pl_arg_kind {
	PL_ARG_NICK,     /* a nickname, one word (core/names.h rules) */
	PL_ARG_ROOM,     /* "#room", one word */
	PL_ARG_TARGET,   /* a nickname or a #room, one word */
	PL_ARG_PASSWORD, /* one word; a line holding one is kept out of input history */
	PL_ARG_NUMBER,   /* a whole number from min to max, one word */
	PL_ARG_PRESENCE, /* online, away or busy, one word */
	PL_ARG_TEXT,     /* a chat message: the rest of the line */
	PL_ARG_LINE,     /* a one-line field (real name, note, group name): the rest of the line */
	PL_ARG_PATH,     /* a file name: the rest of the line */
	PL_ARG_KEY,      /* a device key's fingerprint (or its start), spaces optional: the rest */
	PL_ARG_FORMAT,   /* a media format, one word: "codec[:rate[:channels[:format[:ms]]]]" */
};

/* Where an argument's value goes in struct pl_cmd. */
enum pl_cmd_field {
	PL_F_NICK, PL_F_PASSWORD, PL_F_NEW_PASSWORD, PL_F_REALNAME, PL_F_TARGET, PL_F_PATH,
	PL_F_PICTURE, /* path, and has_picture; "" means "none" (remove it) */
	PL_F_TEXT, PL_F_PRESENCE, PL_F_NUMBER, PL_F_BEFORE, PL_F_KEY, PL_F_FORMAT,
};

/* Argument flags */
#define PL_ARG_OPT 0x01     /* may be left out */
#define PL_ARG_SLASH 0x02   /* in the slash form only */
#define PL_ARG_JSON 0x04    /* in the JSON form only */
#define PL_ARG_CURRENT 0x08 /* slash form: left out, it is the current room or conversation */
#define PL_ARG_WHOLE 0x10   /* KEY: a whole key (64 hex digits), not a fingerprint */

struct pl_arg {
	enum pl_arg_kind kind;
	enum pl_cmd_field field;
	const char *usage; /* its name in a usage: "NICK", "#room", "FILE.wav" */
	const char *key;   /* its key in the JSON form (NULL with PL_ARG_SLASH) */
	const char *what;  /* a noun for sentences: "nickname", "group number" */
	unsigned flags;
	uint64_t min, max; /* NUMBER: the range; text kinds: max is the most bytes */
	uint64_t def;      /* NUMBER: the value when left out */
};

#define PL_CMD_ARGS_MAX 4

/* Command flags */
#define PL_CMDF_ONE_OF 0x01 /* JSON form: needs at least one of its optional arguments */

struct pl_cmd_def {
	const char *slash; /* the command word typed after '/' ("join"); NULL: JSON only */
	const char *sub;   /* a second word that picks this row ("create" in /group create), or NULL */
	const char *alias; /* another command word ("exit" for quit), or NULL */
	const char *json;  /* its "cmd" in the JSON form; NULL: slash only */
	enum pl_cmd_kind kind;
	uint8_t presence;  /* STATUS_SET by /away, /busy, /back */
	unsigned flags;
	struct pl_arg args[PL_CMD_ARGS_MAX]; /* in the slash form's order; kind 0 with no usage ends */
	const char *help;  /* what /help says it does; NULL: not listed (JSON only) */
};

/* The table, and its length. */
extern const struct pl_cmd_def pl_cmd_table[];
extern const size_t pl_cmd_count;

/*
 * Parses one input line (no newline): a JSON object in the JSON mode, else a slash command or
 * plain text (a message to current_room, the current room or conversation; "//text" sends
 * "/text"). Returns 0, or -EINVAL with a sentence for the person in err that says what is wrong
 * and, for a malformed command, its usage.
 */
int pl_ui_parse(bool json, const char *line, size_t len, const char *current_room, struct pl_cmd *cmd,
		char *err, size_t errsz);

/* The usage of a command in the slash form ("/msg NICK|#room TEXT") or the JSON form
 * ({"cmd":"say","to":"NICK|#room","text":"TEXT"[,"tag":N]}) into buf; returns buf. */
const char *pl_cmd_usage(const struct pl_cmd_def *d, bool json, char *buf, size_t sz);

/* The i-th line of /help ("  /join #room     join a room ..."), 0 <= i; false past the last. */
bool pl_cmd_help_line(size_t i, char *buf, size_t sz);

/* The i-th distinct command word of the slash forms ("join", "group"), in the table's order, for
 * completion; NULL past the last. */
const char *pl_cmd_verb(size_t i);

/* Whether a typed line is a command that carries a password (not to be kept in history). */
bool pl_cmd_secret(const char *line);

/* Whether a key's fingerprint ("1a2b 3c4d ...", core/auth.h) starts with digits (a REVOKE's
 * cmd->key: lowercase hex, no spaces). */
bool pl_cmd_fp_starts(const char *fp, const char *digits);

#endif
