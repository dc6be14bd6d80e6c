/*
 * tui: the interactive terminal UI (ncurses), as a person uses parley: one window per room or
 * conversation with its own scrollback, the user list of the current room beside it, a status
 * line (connection, nickname, presence, voice, current window) and an input line with history
 * and tab completion of nicknames and commands. Paging up to the top of a window asks the client
 * for older history (on_top), which goes in above what the window shows. It owns the terminal
 * and the keyboard; complete input lines go back to the client through on_line, which parses them
 * like the line mode. Whatever text it is given, it draws and prints only terminal-safe text
 * (client/sanitize.h).
 */
#ifndef PL_TUI_H
#define PL_TUI_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/names.h"

struct pl_tui;

#define PL_TUI_OLDER_PAGE 50 /* messages fetched when the person scrolls to the top of a window */

enum pl_tui_kind {
	PL_TUI_CHAT,  /* a message someone wrote */
	PL_TUI_INFO,  /* joins, parts, notices */
	PL_TUI_ERROR, /* something went wrong: shown highlighted */
	PL_TUI_MENTION, /* a message naming you, or to you alone: highlighted, its window marked '@' */
};

/* Takes over the terminal (stdin/stdout must be a tty); colors false keeps to bold, dim and
 * reverse video. on_line gets each line the person enters, without the newline. on_top is called
 * when the person scrolls to the top of a room's or a conversation's window, with the id of the
 * oldest message there (0: none): it returns whether it asked for the messages before it, which
 * then come through pl_tui_older and pl_tui_older_end. Returns 0 or -errno. */
int pl_tui_alloc(struct pl_tui **tp, struct event_base *base, bool colors,
		 void (*on_line)(const char *line, size_t len, void *arg),
		 bool (*on_top)(const char *window, uint64_t before_id, void *arg), void *arg);
/* The command words Tab completes at the start of the line, NULL-terminated (kept, not copied);
 * NULL: client/cmds.c's table (server mode). */
void pl_tui_commands(struct pl_tui *t, const char *const *verbs);
/* Gives the terminal back as it was. */
void pl_tui_free(struct pl_tui *t);

/* Adds a line to the window of `window` ("#room" or a nickname; created if missing), or to the
 * status window when window is NULL. */
void pl_tui_line(struct pl_tui *t, const char *window, enum pl_tui_kind kind, const char *text);
/* The same for a message: id is its id, remembered so scrolling to the top can fetch older ones. */
void pl_tui_message(struct pl_tui *t, const char *window, enum pl_tui_kind kind, const char *text, uint64_t id);
/* A line of the page of older history on_top asked for: they go in above everything the window
 * holds, one after another in the order they come (oldest first). */
void pl_tui_older(struct pl_tui *t, const char *window, enum pl_tui_kind kind, const char *text, uint64_t id);
/* That page is complete (or failed: more true). With more false the start of the window's history
 * is reached: start, when given, is put above everything, once. seam, when given, is a line the
 * page ended with that the line below it may repeat (a day change): that repeat is dropped. */
void pl_tui_older_end(struct pl_tui *t, const char *window, bool more, const char *start, const char *seam);
/* Replaces the user list of a room. */
void pl_tui_users(struct pl_tui *t, const char *room, char (*nicks)[PL_NICK_MAX + 1], unsigned n);
/* One user joined (true) or left (false) a room. */
void pl_tui_member(struct pl_tui *t, const char *room, const char *nick, bool joined);
/* Switches to (creating if needed) a window, e.g. after joining its room. */
void pl_tui_show(struct pl_tui *t, const char *window);
/* Empties the current window's scrollback (/clear). */
void pl_tui_clear(struct pl_tui *t);
/* Forgets a window (after leaving its room). */
void pl_tui_close_window(struct pl_tui *t, const char *window);
/* The window the person is looking at ("#room", a nickname, or NULL for the status window):
 * where plain text typed goes. */
const char *pl_tui_current(const struct pl_tui *t);
/* Rings the terminal's bell (someone asks for the person's attention). */
void pl_tui_bell(struct pl_tui *t);
/* The status line's fields; NULL leaves a field as it was. */
void pl_tui_status(struct pl_tui *t, const char *connection, const char *nick, const char *presence,
		   const char *voice);
/* Live voice, at the right of the window bar: the voice room, the microphone's meter and what is
 * sent ("" for none). */
void pl_tui_voice_live(struct pl_tui *t, const char *live);
/* Who is talking now: each is marked in the users list (at most PL_TUI_TALKING). */
#define PL_TUI_TALKING 16
void pl_tui_talking(struct pl_tui *t, const char (*nicks)[PL_NICK_MAX + 1], unsigned n);

#endif
