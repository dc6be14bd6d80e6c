/*
 * tui_int: what the terminal UI's files share (tui.c draws and reads keys; tui_input.c edits the
 * input line: history, Tab completion, submitting). Internal to the terminal UI; nothing else
 * includes it.
 */
#ifndef PL_CLIENT_TUI_INT_H
#define PL_CLIENT_TUI_INT_H

#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <event2/event.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <wchar.h>

#include "client/scrollback.h"
#include "client/tui.h"
#include "core/names.h"

#define HISTORY 100                  /* input lines kept for Up/Down */
#define INPUT_MAX (PL_TEXT_MAX + 600) /* characters: a longest message and its command */
#define WIN_MAX 100                  /* more conversations than this land in the status window */
#define LIST_W 18                    /* the user list, its border included */
#define LIST_MIN_COLS 60             /* narrower terminals get no user list */
#define TAIL 8                       /* notices printed to stderr when the UI closes */
#define WIN_NAME_MAX (PL_ROOM_MAX > PL_NICK_MAX ? PL_ROOM_MAX : PL_NICK_MAX)

#define NICK_COLORS 5
enum { P_ERR = 1, P_BAR, P_HI, P_NICK };

struct win {
	char name[WIN_NAME_MAX + 1]; /* "#room" or a nickname; "" is the status window */
	struct pl_sb sb;          /* its lines, oldest first */
	int scroll;               /* screen rows scrolled back from the newest */
	/* Older history: asked for when the person scrolls to the top; its lines go in at ins. */
	bool fetching, started;   /* a page is on its way; the start of history was reached */
	unsigned ins;
	int act;                  /* unseen activity: 0 none, 1 notices, 2 chat, 3 errors, 4 mentions */
	char (*users)[PL_NICK_MAX + 1]; /* rooms: sorted case-insensitively */
	unsigned nusers, capusers;
};

struct pl_tui {
	struct event *ev_in, *ev_winch, *ev_draw;
	SCREEN *scr;
	attr_t a_err, a_info, a_bar, a_hi;
	attr_t a_nick[NICK_COLORS]; /* nicknames' colours; 0 on a terminal without colours */
	void (*on_line)(const char *line, size_t len, void *arg);
	const char *const *verbs; /* Tab's command words (NULL-terminated); NULL: client/cmds.c's table */
	bool (*on_top)(const char *window, uint64_t before_id, void *arg);
	void *arg;

	struct win *wins[WIN_MAX];
	unsigned nwins, cur;

	wchar_t in[INPUT_MAX + 1]; /* the input line */
	unsigned len, pos, off;    /* its length, the cursor, the first character shown */
	bool esc;                  /* ESC came: the next key is Alt+key */
	unsigned idle;             /* wake-ups of the input event in a row that read no key */
	char *hist[HISTORY];       /* oldest first */
	unsigned nhist;
	int hidx;                  /* the history entry shown, -1 when editing a new line */
	char *draft;               /* the new line, kept while browsing history */
	struct {                   /* tab completion; active while Tab is pressed again and again */
		bool active, cmd;
		unsigned start, end; /* the completed word in in[] */
		char prefix[PL_NICK_MAX + 1];
		int idx;
	} comp;

	char conn[PL_SERVER_NAME_MAX + 1], nick[PL_NICK_MAX + 1], presence[32], voice[160], live[200];
	char talking[PL_TUI_TALKING][PL_NICK_MAX + 1];
	unsigned ntalking;
	char *tail[TAIL];          /* the last notices and errors, printed on the terminal as the UI ends */
	unsigned ntail;
	wchar_t *wbuf;             /* scratch for decoding one line */
	size_t wcap;
	char out[INPUT_MAX * 4 + MB_LEN_MAX]; /* the line handed to on_line */
};

/* tui.c */
void tui_dirty(struct pl_tui *t);
/* Appends a copy of s to a list of at most cap strings, dropping the oldest when full. */
void tui_push(char **list, unsigned *n, unsigned cap, const char *s);
struct win *tui_cur_win(const struct pl_tui *t);
bool tui_is_room(const struct win *w);
void tui_comp_reset(struct pl_tui *t);

/* tui_input.c: the input line */
void tui_del(struct pl_tui *t, unsigned from, unsigned to);
void tui_insert(struct pl_tui *t, const wchar_t *w, size_t n);
void tui_set_input(struct pl_tui *t, const char *s);
void tui_history(struct pl_tui *t, int dir);
void tui_submit(struct pl_tui *t);
void tui_complete(struct pl_tui *t);

#endif
