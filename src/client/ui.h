/*
 * ui: the client's faces over one set of commands (client/cmds.h parses them) and events. The line
 * mode and the TUI show sentences; the JSON mode prints one JSON event per line, for tests and bots.
 * Every string from the network passes one door on its way out: a sentence is made terminal-safe
 * (client/sanitize.h) as a whole before the plain mode prints it or the TUI shows it, and every
 * string put into a JSON event is repaired to valid UTF-8 first.
 */
#ifndef PL_UI_H
#define PL_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "client/cmds.h"
#include "client/voice.h"
#include "core/auth.h"
#include "core/mformat.h"
#include "core/msg.h"
#include "core/names.h"

#define PL_UI_BUF (PL_TEXT_MAX + 4096) /* one sentence, before it is made safe */
#define PL_UI_DEVICES_MAX 64             /* devices of the last /devices listing kept for /revoke */

enum pl_ui_mode {
	PL_UI_JSON,  /* one JSON event per line on out */
	PL_UI_PLAIN, /* one sentence per line on out (pipes, scripts, dumb terminals) */
	PL_UI_TUI,   /* the ncurses interface (client/tui.h) */
};

struct pl_tui;

struct pl_ui_device {
	uint8_t key[PL_DEVICE_KEY_LEN];
	char fp[PL_KEY_FP_STR]; /* its fingerprint, "1a2b 3c4d ..." */
};

#define PL_UI_DAYS 32

struct pl_ui {
	enum pl_ui_mode mode;
	FILE *out;
	struct pl_tui *tui;
	char self[PL_NICK_MAX + 1]; /* our nickname once logged in, to tell the sides of a conversation */
	char buf[PL_UI_BUF];
	/* Our devices as the last DEVICE listing showed them, so /revoke can take a fingerprint. */
	struct pl_ui_device devices[PL_UI_DEVICES_MAX];
	unsigned ndevices;
	bool devices_done; /* the listing ended: the next DEVICE starts a new one */
	/* The day of the last message shown in each window, for "Day changed to ..." lines. */
	struct { char win[PL_TARGET_MAX + 1]; int day; } days[PL_UI_DAYS];
	unsigned ndays;
	/* Every window's lines logged to files here (client/winlog.h), or "". */
	char log_dir[1024];
	/* TUI: the message the line being shown is (its id), and whether it is older history that
	 * goes in at the top of its window. */
	uint64_t line_id;
	bool line_older;
	char older_win[PL_TARGET_MAX + 1];
	int older_day;     /* the day of the last message of the page going in, 0 at a page's start */
	uint64_t older_ms; /* and its time */
	/* JSON mode: the command what is said now answers, added to each event as "cmd" and "tag". */
	char ctx_cmd[24];
	uint32_t ctx_tag;
};

/* The command the next events answer (NULL: none). */
void pl_ui_context(struct pl_ui *ui, const char *cmd, uint32_t tag);

void pl_ui_help(struct pl_ui *ui);
/* A local problem (bad command, file error): a sentence. */
void pl_ui_local_error(struct pl_ui *ui, const char *sentence);
void pl_ui_info(struct pl_ui *ui, const char *event, const char *sentence);
void pl_ui_trust(struct pl_ui *ui, const char *server, const char *fp, bool first_use);
void pl_ui_server_msg(struct pl_ui *ui, const struct pl_msg *m);
/* A message of a page of older history the TUI asked for (scrolled to the top of window). */
void pl_ui_older_text(struct pl_ui *ui, const char *window, const struct pl_msg *m);
/* That page ended (more: whether older messages remain; a failed page counts as more). */
void pl_ui_older_end(struct pl_ui *ui, const char *window, bool more);
/* The last messages of a window that opened are shown (more: older ones exist). */
void pl_ui_recent_end(struct pl_ui *ui, const char *window, bool more);
/* A full user list, after its chunks were collected. */
void pl_ui_userlist(struct pl_ui *ui, const char *room, char (*nicks)[PL_NICK_MAX + 1], unsigned n);
void pl_ui_voice_ready(struct pl_ui *ui);
void pl_ui_voice_sent(struct pl_ui *ui, uint64_t frames);
void pl_ui_voice_stats(struct pl_ui *ui, const struct pl_voice_stats *st);
/* Mute, deafen and the transmit mode, after the person changed one. */
void pl_ui_voice_state(struct pl_ui *ui, const struct pl_voice_stats *st);
/* The sound server's devices (media/audio.h). */
void pl_ui_sound_devices(struct pl_ui *ui, const struct pl_audio_dev *d, size_t n);
void pl_ui_closed(struct pl_ui *ui, const char *reason);
/* A PROFILE answer, with the picture's size and SHA-256 (the picture itself stays in memory). */
void pl_ui_profile(struct pl_ui *ui, const struct pl_msg *m, const char *picture_sha256);
/* REVOKE: the whole key cmd->key names, found in the last /devices listing when it is the start
 * of a fingerprint. Returns 0, or -ENOENT when no device or more than one matches, after saying
 * so (run /devices first, or type more of it). */
int pl_ui_device_key(struct pl_ui *ui, const struct pl_cmd *cmd, uint8_t key[PL_DEVICE_KEY_LEN]);
/* Something about a call (client/call.h). NULL strings and zero numbers are left out of the JSON
 * event; the other modes show the sentence, and the TUI rings the bell for an incoming call and a
 * changed key. */
struct pl_ui_call {
	const char *event; /* call_state, call_incoming, call_offer, call_member, sas, verified, key_warning, ... */
	uint64_t call, session;
	uint32_t group;
	const char *state, *reason, *nick, *sas, *fingerprint, *verified;
	const struct pl_media_format *fmt;
	bool joined; /* call_member */
	const char *sentence;
};
void pl_ui_call(struct pl_ui *ui, const struct pl_ui_call *e);
/* An event of a few fields: kv holds key, value pairs and ends with NULL; a NULL or "" value is
 * left out, and a key that starts with '#' holds a whole number (written without the '#'). The
 * other modes show the sentence. (Direct mode's status, text and contacts, client/direct.h.) */
void pl_ui_event(struct pl_ui *ui, const char *event, const char *const *kv, const char *sentence);
/* Status line updates (the TUI shows them; other modes ignore them). */
void pl_ui_status(struct pl_ui *ui, const char *connection, const char *nick, const char *presence,
		  const char *voice);

#endif
