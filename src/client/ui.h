/*
 * ui: the client's two faces over one set of commands and events. The line mode reads IRC-like
 * commands ("/join #room", plain text to the current room) and prints sentences; the JSON mode
 * reads one JSON object per line ({"cmd":"say","to":"#Lobby","text":"hi"}) and prints one JSON
 * event per line, for tests and bots. Parsing is a pure function; printing goes to a FILE.
 */
#ifndef PL_UI_H
#define PL_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/msg.h"
#include "core/names.h"

enum pl_cmd_kind {
	PL_CMD_NONE, /* an empty line */
	PL_CMD_REGISTER, PL_CMD_LOGIN, PL_CMD_JOIN, PL_CMD_PART, PL_CMD_SAY,
	PL_CMD_VOICE_SEND, PL_CMD_RECORD, PL_CMD_STOP_RECORD, PL_CMD_STATS, PL_CMD_HELP, PL_CMD_QUIT,
	PL_CMD_PASSWD, PL_CMD_PROFILE, PL_CMD_WHOIS, PL_CMD_CONTACTS, PL_CMD_ADD, PL_CMD_DEL,
	PL_CMD_STATUS_GET, PL_CMD_STATUS_SET, PL_CMD_GROUP_CREATE, PL_CMD_GROUP_ADD, PL_CMD_GROUP_QUIT,
	PL_CMD_GROUPS, PL_CMD_ROOMS, PL_CMD_NAMES, PL_CMD_HISTORY,
};

struct pl_cmd {
	enum pl_cmd_kind kind;
	char nick[PL_NICK_MAX + 1];
	char password[PL_PASSWORD_MAX + 1];
	char realname[PL_REALNAME_MAX + 1];
	char target[(PL_ROOM_MAX > PL_NICK_MAX ? PL_ROOM_MAX : PL_NICK_MAX) + 1]; /* room or nickname */
	char path[1024];
	char text[PL_TEXT_MAX + 1];
	uint32_t tag; /* JSON mode: echoed in the "sent" event */
	char new_password[PL_PASSWORD_MAX + 1];
	bool has_realname, has_picture; /* PROFILE: which to change (path holds the picture file) */
	uint8_t presence;               /* STATUS_SET */
	uint32_t number;                /* a group id, or a history limit */
	uint64_t before;                /* HISTORY: older than this id (0: the newest) */
};

/* Parses one input line (no newline). current_room is where plain text goes in line mode.
 * Returns 0, or -EINVAL with a sentence for the person in err. */
int pl_ui_parse(bool json, const char *line, size_t len, const char *current_room, struct pl_cmd *cmd,
		char *err, size_t errsz);

#define PL_UI_BUF (PL_TEXT_MAX * 6 + 4096) /* one event line, with worst-case escaping */

enum pl_ui_mode {
	PL_UI_JSON,  /* one JSON event per line on out */
	PL_UI_PLAIN, /* one sentence per line on out (pipes, scripts, dumb terminals) */
	PL_UI_TUI,   /* the ncurses interface (client/tui.h) */
};

struct pl_tui;

struct pl_ui {
	enum pl_ui_mode mode;
	FILE *out;
	struct pl_tui *tui;
	char self[PL_NICK_MAX + 1]; /* our nickname once logged in, to tell the sides of a conversation */
	char buf[PL_UI_BUF];
};

void pl_ui_help(struct pl_ui *ui);
/* A local problem (bad command, file error): a sentence. */
void pl_ui_local_error(struct pl_ui *ui, const char *sentence);
void pl_ui_info(struct pl_ui *ui, const char *event, const char *sentence);
void pl_ui_trust(struct pl_ui *ui, const char *server, const char *fp, bool first_use);
void pl_ui_server_msg(struct pl_ui *ui, const struct pl_msg *m);
/* A full user list, after its chunks were collected. */
void pl_ui_userlist(struct pl_ui *ui, const char *room, char (*nicks)[PL_NICK_MAX + 1], unsigned n);
void pl_ui_voice_ready(struct pl_ui *ui);
void pl_ui_voice_sent(struct pl_ui *ui, uint64_t frames);
void pl_ui_voice_stats(struct pl_ui *ui, uint64_t sent, uint64_t received, uint64_t played,
		       uint64_t lost, uint64_t fec, uint64_t late, uint64_t recorded);
void pl_ui_closed(struct pl_ui *ui, const char *reason);
/* A PROFILE answer, with the picture's size and SHA-256 (the picture itself stays in memory). */
void pl_ui_profile(struct pl_ui *ui, const struct pl_msg *m, const char *picture_sha256);
/* Status line updates (the TUI shows them; other modes ignore them). */
void pl_ui_status(struct pl_ui *ui, const char *connection, const char *nick, const char *presence,
		  const char *voice);

#endif
