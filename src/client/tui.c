/*
 * tui: the interactive terminal UI (see tui.h). The whole screen is drawn again after each change
 * (ncurses sends only the difference): window bar, the current window's scrollback, the room's user
 * list, status line, input line. Lines are kept as UTF-8 and turned into wide characters only to be
 * wrapped and drawn. Drawing is deferred to an event of its own, so a burst of lines is drawn once.
 */
#define NCURSES_WIDECHAR 1
#include "client/tui.h"

#include <curses.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>

#include "client/cmds.h"
#include "client/sanitize.h"
#include "client/scrollback.h"
#include "client/tui_int.h"
#include "client/wtext.h"

void tui_dirty(struct pl_tui *t)
{
	event_active(t->ev_draw, 0, 0);
}

/* Appends a copy of s to a list of at most cap strings, dropping the oldest when full. */
void tui_push(char **list, unsigned *n, unsigned cap, const char *s)
{
	char *copy = strdup(s);
	if (!copy)
		return;
	if (*n == cap) {
		free(list[0]);
		memmove(list, list + 1, (cap - 1) * sizeof list[0]);
		(*n)--;
	}
	list[(*n)++] = copy;
}

/* --- text: UTF-8 in, wide characters on screen --- */

/* Writes s to f as a line, made safe for the terminal: what the TUI prints outside ncurses. */
static void print_safe(FILE *f, const char *s)
{
	size_t len = strlen(s), cap = PL_TERM_SAFE_SIZE(len);
	char *safe = malloc(cap);
	if (!safe)
		return;
	pl_term_safe(safe, cap, s, len);
	fprintf(f, "%s\n", safe);
	free(safe);
}

/* A line decoded into the scratch buffer, valid until the next call. */
static wchar_t *wline(struct pl_tui *t, const char *s, size_t *n)
{
	size_t len = strlen(s), need = PL_TERM_SAFE_SIZE(len);
	if (need > t->wcap) {
		wchar_t *p = realloc(t->wbuf, need * sizeof *p);
		if (!p) {
			*n = 0;
			return NULL;
		}
		t->wbuf = p;
		t->wcap = need;
	}
	*n = pl_wtext_decode(s, len, t->wbuf, t->wcap);
	return t->wbuf;
}

/* Draws s from x up to maxx columns; returns the column after it. */
static int put(int y, int x, int maxx, const char *s, attr_t a)
{
	wchar_t w[512];
	size_t len = strlen(s);
	if (len > 127)
		len = 127;
	size_t n = pl_wtext_decode(s, len, w, sizeof w / sizeof w[0]);
	attron(a);
	for (size_t i = 0; i < n && x + pl_wtext_cw(w[i]) <= maxx; i++) {
		mvaddnwstr(y, x, &w[i], 1);
		x += pl_wtext_cw(w[i]);
	}
	attroff(a);
	return x;
}

/* --- windows --- */

struct win *tui_cur_win(const struct pl_tui *t)
{
	return t->wins[t->cur];
}

bool tui_is_room(const struct win *w)
{
	return w->name[0] == '#';
}

static int text_width(const struct win *w)
{
	return tui_is_room(w) && COLS >= LIST_MIN_COLS ? COLS - LIST_W : COLS;
}

static int text_height(void)
{
	return LINES - 3;
}

static int win_index(const struct pl_tui *t, const char *name)
{
	for (unsigned i = 1; i < t->nwins; i++)
		if (!strcasecmp(t->wins[i]->name, name))
			return (int)i;
	return -1;
}

/* The window of name, made when missing; the status window when name is NULL or no window fits. */
static struct win *win_get(struct pl_tui *t, const char *name)
{
	if (!name || !*name || strlen(name) > WIN_NAME_MAX)
		return t->wins[0];
	int i = win_index(t, name);
	if (i >= 0)
		return t->wins[i];
	if (t->nwins == WIN_MAX)
		return t->wins[0];
	struct win *w = calloc(1, sizeof *w);
	if (!w)
		return t->wins[0];
	snprintf(w->name, sizeof w->name, "%s", name);
	t->wins[t->nwins++] = w;
	tui_dirty(t);
	return w;
}

static void win_free(struct win *w)
{
	pl_sb_clear(&w->sb);
	free(w->users);
	free(w);
}

void tui_comp_reset(struct pl_tui *t)
{
	t->comp.active = false;
}

static void switch_to(struct pl_tui *t, unsigned i)
{
	if (i >= t->nwins)
		return;
	t->cur = i;
	t->wins[i]->act = 0;
	tui_comp_reset(t);
	tui_dirty(t);
}

/* --- public: lines, users, windows, status --- */

void pl_tui_message(struct pl_tui *t, const char *window, enum pl_tui_kind kind, const char *text, uint64_t id)
{
	if (!t) { /* before the UI starts or after it ends, the terminal is an ordinary one */
		print_safe(stderr, text);
		return;
	}
	struct win *w = win_get(t, window);
	if (pl_sb_append(&w->sb, text, (int)kind, id) < 0)
		return;
	if (w->scroll > 0) { /* someone reading back keeps seeing the same rows */
		size_t n;
		const wchar_t *s = wline(t, text, &n);
		w->scroll += s ? pl_wtext_rows(s, n, text_width(w)) : 1;
	}
	int level = kind == PL_TUI_MENTION ? 4 : kind == PL_TUI_ERROR ? 3 : kind == PL_TUI_CHAT ? 2 : 1;
	if (w != tui_cur_win(t) && level > w->act)
		w->act = level;
	if (kind == PL_TUI_ERROR || (kind == PL_TUI_INFO && w == t->wins[0]))
		tui_push(t->tail, &t->ntail, TAIL, text);
	tui_dirty(t);
}

void pl_tui_line(struct pl_tui *t, const char *window, enum pl_tui_kind kind, const char *text)
{
	pl_tui_message(t, window, kind, text, 0);
}

/* Older lines go in above everything; scroll counts rows from the newest, so a view scrolled back
 * keeps showing the same rows. */
void pl_tui_older(struct pl_tui *t, const char *window, enum pl_tui_kind kind, const char *text, uint64_t id)
{
	int i = t && window ? win_index(t, window) : -1;
	if (i <= 0)
		return; /* its window was closed meanwhile */
	struct win *w = t->wins[i];
	if (pl_sb_insert(&w->sb, w->ins, text, (int)kind, id) == 0)
		w->ins++;
	tui_dirty(t);
}

void pl_tui_older_end(struct pl_tui *t, const char *window, bool more, const char *start, const char *seam)
{
	int i = t && window ? win_index(t, window) : -1;
	if (i <= 0)
		return;
	struct win *w = t->wins[i];
	w->fetching = false;
	const struct pl_sb_line *below = pl_sb_get(&w->sb, w->ins);
	if (seam && w->ins && below && !strcmp(below->text, seam))
		pl_sb_remove(&w->sb, w->ins);
	if (!more && start && !w->started) { /* said once, above everything */
		w->started = true;
		pl_sb_insert(&w->sb, 0, start, PL_TUI_INFO, 0);
	}
	tui_dirty(t);
}

static int nickcmp(const void *a, const void *b)
{
	int r = strcasecmp(a, b);
	return r ? r : strcmp(a, b);
}

void pl_tui_users(struct pl_tui *t, const char *room, char (*nicks)[PL_NICK_MAX + 1], unsigned n)
{
	if (!t)
		return;
	struct win *w = win_get(t, room);
	if (w == t->wins[0])
		return;
	if (n > w->capusers) {
		void *p = realloc(w->users, n * sizeof *w->users);
		if (!p)
			return;
		w->users = p;
		w->capusers = n;
	}
	w->nusers = n;
	if (n) { /* memcpy and qsort want real pointers even for nothing */
		memcpy(w->users, nicks, n * sizeof *w->users);
		for (unsigned i = 0; i < n; i++)
			w->users[i][PL_NICK_MAX] = '\0';
		qsort(w->users, n, sizeof *w->users, nickcmp);
	}
	tui_dirty(t);
}

void pl_tui_member(struct pl_tui *t, const char *room, const char *nick, bool joined)
{
	int wi = t && room ? win_index(t, room) : -1;
	if (wi < 0 || strlen(nick) > PL_NICK_MAX)
		return;
	struct win *w = t->wins[wi];
	unsigned i = 0;
	while (i < w->nusers && nickcmp(w->users[i], nick) < 0)
		i++;
	bool here = i < w->nusers && !strcasecmp(w->users[i], nick);
	if (joined && !here) {
		if (w->nusers == w->capusers) {
			unsigned cap = w->capusers ? w->capusers * 2 : 16;
			void *p = realloc(w->users, cap * sizeof *w->users);
			if (!p)
				return;
			w->users = p;
			w->capusers = cap;
		}
		memmove(&w->users[i + 1], &w->users[i], (w->nusers - i) * sizeof *w->users);
		snprintf(w->users[i], sizeof w->users[i], "%s", nick);
		w->nusers++;
	} else if (!joined && here) {
		memmove(&w->users[i], &w->users[i + 1], (w->nusers - i - 1) * sizeof *w->users);
		w->nusers--;
	}
	tui_dirty(t);
}

void pl_tui_show(struct pl_tui *t, const char *window)
{
	if (!t)
		return;
	struct win *w = win_get(t, window);
	for (unsigned i = 0; i < t->nwins; i++)
		if (t->wins[i] == w)
			switch_to(t, i);
}

void pl_tui_close_window(struct pl_tui *t, const char *window)
{
	int i = t && window ? win_index(t, window) : -1;
	if (i <= 0)
		return;
	win_free(t->wins[i]);
	memmove(&t->wins[i], &t->wins[i + 1], (t->nwins - (unsigned)i - 1) * sizeof t->wins[0]);
	t->nwins--;
	if (t->cur == (unsigned)i)
		switch_to(t, (unsigned)i - 1);
	else if (t->cur > (unsigned)i)
		t->cur--;
	tui_comp_reset(t);
	tui_dirty(t);
}

void pl_tui_clear(struct pl_tui *t)
{
	if (!t)
		return;
	struct win *w = tui_cur_win(t);
	pl_sb_clear(&w->sb);
	w->scroll = 0;
	w->started = false; /* scrolling up fetches it again, from the newest */
	w->ins = 0;        /* a page on its way goes in at the top of what is left */
	tui_dirty(t);
}

const char *pl_tui_current(const struct pl_tui *t)
{
	if (!t)
		return NULL;
	const struct win *w = tui_cur_win(t);
	return w->name[0] ? w->name : NULL;
}

void pl_tui_bell(struct pl_tui *t)
{
	if (t)
		beep();
}

void pl_tui_status(struct pl_tui *t, const char *connection, const char *nick, const char *presence,
		   const char *voice)
{
	if (!t)
		return;
	if (connection)
		snprintf(t->conn, sizeof t->conn, "%s", connection);
	if (nick)
		snprintf(t->nick, sizeof t->nick, "%s", nick);
	if (presence)
		snprintf(t->presence, sizeof t->presence, "%s", presence);
	if (voice)
		snprintf(t->voice, sizeof t->voice, "%s", voice);
	tui_dirty(t);
}

void pl_tui_voice_live(struct pl_tui *t, const char *live)
{
	if (!t || !strcmp(t->live, live))
		return;
	snprintf(t->live, sizeof t->live, "%s", live);
	tui_dirty(t);
}

void pl_tui_talking(struct pl_tui *t, const char (*nicks)[PL_NICK_MAX + 1], unsigned n)
{
	if (!t)
		return;
	t->ntalking = n < PL_TUI_TALKING ? n : PL_TUI_TALKING;
	memcpy(t->talking, nicks, t->ntalking * sizeof t->talking[0]);
	tui_dirty(t);
}

static bool is_talking(const struct pl_tui *t, const char *nick)
{
	for (unsigned i = 0; i < t->ntalking; i++)
		if (!strcasecmp(t->talking[i], nick))
			return true;
	return false;
}

/* --- drawing --- */

static int strwidth(const char *s)
{
	wchar_t w[512];
	size_t len = strlen(s) < 127 ? strlen(s) : 127;
	size_t n = pl_wtext_decode(s, len, w, sizeof w / sizeof w[0]);
	return pl_wtext_width(w, 0, (unsigned)n);
}

/* "[3:#tea*] ": the window's number and name, and a mark for what happened there unseen. */
static void bar_item(const struct pl_tui *t, unsigned i, char *buf, size_t sz)
{
	static const char marks[][2] = {"", "+", "*", "!", "@"};
	const struct win *w = t->wins[i];
	snprintf(buf, sz, "[%u:%s%s] ", i + 1, i ? w->name : "status", marks[w->act]);
}

static void draw_bar(struct pl_tui *t)
{
	char item[WIN_NAME_MAX + 16];
	unsigned first = 0;
	int total = 0;
	mvhline(0, 0, ' ' | t->a_bar, COLS);
	/* When they do not all fit, the current window is kept in view. */
	for (unsigned i = 0; i <= t->cur; i++) {
		bar_item(t, i, item, sizeof item);
		total += strwidth(item);
	}
	while (total > COLS && first < t->cur) {
		bar_item(t, first++, item, sizeof item);
		total -= strwidth(item);
	}
	int x = 0;
	for (unsigned i = first; i < t->nwins && x < COLS; i++) {
		bar_item(t, i, item, sizeof item);
		attr_t a = t->a_bar | (i == t->cur ? A_BOLD | A_UNDERLINE : t->wins[i]->act > 1 ? A_BOLD : 0);
		x = put(0, x, COLS, item, a);
	}
	/* Live voice at the right end, where there is room: the voice room, the meter, the mode. */
	char live[sizeof t->live + 2];
	snprintf(live, sizeof live, "[%s]", t->live);
	int lx = COLS - strwidth(live);
	if (t->live[0] && lx > x + 1)
		put(0, lx, COLS, live, t->a_bar);
}

/* The scrollback of w in rows y0..y0+h-1, cols wide: from the top while it fits, else the newest
 * rows at the bottom, w->scroll rows back. */
static void draw_text(struct pl_tui *t, struct win *w, int y0, int h, int cols)
{
	/* Walks back from the newest line until the rows on screen and those scrolled past are covered. */
	int need = w->scroll + h, covered = 0;
	unsigned k = w->sb.n;
	size_t n;
	const wchar_t *s;
	while (k > 0 && covered < need) {
		k--;
		s = wline(t, pl_sb_get(&w->sb, k)->text, &n);
		covered += s ? pl_wtext_rows(s, n, cols) : 1;
	}
	if (covered < need && w->scroll > 0) { /* scrolled past the oldest line: show the top */
		w->scroll = covered > h ? covered - h : 0;
		need = w->scroll + h;
	}
	int skip = covered > need ? covered - need : 0, y = y0;
	for (; k < w->sb.n && y < y0 + h; k++) {
		const struct pl_sb_line *l = pl_sb_get(&w->sb, k);
		attr_t a = l->kind == PL_TUI_ERROR ? t->a_err : l->kind == PL_TUI_INFO ? t->a_info
			 : l->kind == PL_TUI_MENTION ? t->a_hi : A_NORMAL;
		s = wline(t, l->text, &n);
		if (!s)
			continue;
		size_t i = 0, end, ns = 0, ne = 0;
		attr_t na = 0;
		if ((l->kind == PL_TUI_CHAT || l->kind == PL_TUI_MENTION) && t->a_nick[0])
			na = t->a_nick[pl_wtext_nick_span(s, n, &ns, &ne) % NICK_COLORS]; /* 0 when no nick */
		do {
			size_t next = pl_wtext_row_next(s, n, i, cols, &end);
			if (skip > 0) {
				skip--;
			} else if (y < y0 + h) {
				/* The row in up to three parts: before the nickname, the nickname in its
				 * colour, after it. */
				size_t a1 = ns > i ? (ns < end ? ns : end) : i, a2 = ne > a1 ? (ne < end ? ne : end) : a1;
				int x = 0;
				attrset(a);
				mvaddnwstr(y, x, s + i, (int)(a1 - i));
				x += pl_wtext_width(s, (unsigned)i, (unsigned)a1);
				attrset(na ? (a & ~A_COLOR) | na : a);
				mvaddnwstr(y, x, s + a1, (int)(a2 - a1));
				x += pl_wtext_width(s, (unsigned)a1, (unsigned)a2);
				attrset(a);
				mvaddnwstr(y++, x, s + a2, (int)(end - a2));
				attrset(A_NORMAL);
			}
			i = next;
		} while (i < n);
	}
}

static void draw_users(struct pl_tui *t, const struct win *w, int y0, int h, int x0)
{
	/* U+2502 itself where the locale can say it: some terminals draw ACS lines as letters. */
	cchar_t bar;
	setcchar(&bar, wcwidth(0x2502) == 1 ? L"\u2502" : L"|", A_NORMAL, 0, NULL);
	mvvline_set(y0, x0, &bar, h);
	unsigned shown = w->nusers <= (unsigned)h ? w->nusers : (unsigned)h - 1;
	for (unsigned i = 0; i < shown; i++) {
		bool talks = is_talking(t, w->users[i]); /* marked as Mumble lights its talkers */
		if (talks)
			put(y0 + (int)i, x0 + 1, COLS, wcwidth(0x266a) == 1 ? "\u266a" : "*", t->a_info | A_BOLD);
		put(y0 + (int)i, x0 + 2, COLS, w->users[i],
		    !strcasecmp(w->users[i], t->nick) || talks ? A_BOLD : A_NORMAL);
	}
	if (shown < w->nusers) {
		char more[32];
		snprintf(more, sizeof more, "+%u more", w->nusers - shown);
		put(y0 + (int)shown, x0 + 2, COLS, more, t->a_info);
	}
}

static void draw_status(struct pl_tui *t, int y)
{
	const struct win *w = tui_cur_win(t);
	char buf[512];
	int n = snprintf(buf, sizeof buf, "[%s (%s)] [%s] [%s] [%u:%s]", t->nick[0] ? t->nick : "-",
			 t->presence[0] ? t->presence : "-", t->conn[0] ? t->conn : "-", t->voice[0] ? t->voice : "-",
			 t->cur + 1, w->name[0] ? w->name : "status");
	if (tui_is_room(w) && n > 0 && (size_t)n < sizeof buf)
		snprintf(buf + n, sizeof buf - (size_t)n, " %u user%s", w->nusers, w->nusers == 1 ? "" : "s");
	mvhline(y, 0, ' ' | t->a_bar, COLS);
	/* What does not fit is left out from a space on, not cut inside a word. */
	wchar_t ws[512];
	size_t wn = pl_wtext_decode(buf, strlen(buf), ws, sizeof ws / sizeof ws[0]), end;
	pl_wtext_row_next(ws, wn, 0, COLS > 2 ? COLS - 2 : 1, &end);
	attron(t->a_bar);
	mvaddnwstr(y, 1, ws, (int)end);
	attroff(t->a_bar);
	int x = 1 + pl_wtext_width(ws, 0, (unsigned)end);
	if (w->fetching) /* the person paged up to the top: older messages are on their way */
		put(y, x, COLS, " -- fetching older messages --", t->a_bar | A_BOLD);
	else if (w->scroll > 0)
		put(y, x, COLS, " -- more --", t->a_bar | A_BOLD);
}

static void draw_input(struct pl_tui *t, int y)
{
	const struct win *w = tui_cur_win(t);
	char prompt[WIN_NAME_MAX + 8];
	snprintf(prompt, sizeof prompt, "[%s] ", w->name[0] ? w->name : "status");
	int px = put(y, 0, COLS / 2, prompt, A_BOLD);
	int avail = COLS - px - 1; /* the last column is for the cursor */
	if (avail < 1)
		avail = 1;
	/* Scrolled sideways as little as keeps the cursor in view. */
	unsigned lo = t->pos;
	for (int used = 0; lo > 0 && used + pl_wtext_cw(t->in[lo - 1]) <= avail; lo--)
		used += pl_wtext_cw(t->in[lo - 1]);
	if (t->off > t->pos)
		t->off = t->pos;
	if (t->off < lo)
		t->off = lo;
	int x = px;
	for (unsigned i = t->off; i < t->len && x + pl_wtext_cw(t->in[i]) <= COLS; i++) {
		mvaddnwstr(y, x, &t->in[i], 1);
		x += pl_wtext_cw(t->in[i]);
	}
	move(y, px + pl_wtext_width(t->in, t->off, t->pos));
}

static void draw(struct pl_tui *t)
{
	erase();
	if (LINES < 4 || COLS < 16) {
		mvaddstr(0, 0, "Terminal too small");
		refresh();
		return;
	}
	struct win *w = tui_cur_win(t);
	int cols = text_width(w), h = text_height();
	draw_bar(t);
	draw_text(t, w, 1, h, cols);
	if (cols < COLS)
		draw_users(t, w, 1, h, cols);
	draw_status(t, LINES - 2);
	draw_input(t, LINES - 1);
	refresh();
}

static void on_draw(evutil_socket_t fd, short what, void *arg)
{
	draw(arg);
}

/* The rows all of w's lines take. */
static int total_rows(struct pl_tui *t, const struct win *w)
{
	int rows = 0;
	size_t n;
	for (unsigned k = 0; k < w->sb.n; k++) {
		const wchar_t *s = wline(t, pl_sb_get(&w->sb, k)->text, &n);
		rows += s ? pl_wtext_rows(s, n, text_width(w)) : 1;
	}
	return rows;
}

/* PageUp and PageDown. Reaching the top of a room's or a conversation's window asks for the
 * messages before the oldest one it shows (once at a time, and no more once the start of its
 * history is reached); they go in above, and the view stays where it is. */
static void scroll_page(struct pl_tui *t, int dir)
{
	struct win *w = tui_cur_win(t);
	int h = text_height(), page = h > 3 ? h - 2 : 1;
	w->scroll += dir * page;
	if (w->scroll < 0)
		w->scroll = 0;
	if (dir < 0)
		return;
	int top = total_rows(t, w) - h;
	if (top < 0)
		top = 0;
	if (w->scroll < top)
		return;
	w->scroll = top;
	if (!w->name[0] || w->fetching || w->started || !t->on_top || w->sb.n + PL_TUI_OLDER_PAGE + 1 > PL_SB_LINES)
		return;
	w->ins = 0;
	w->fetching = t->on_top(w->name, w->sb.oldest_id, t->arg);
}

static void on_resize(struct pl_tui *t)
{
	clearok(curscr, TRUE);
	tui_dirty(t);
}

static void key_code(struct pl_tui *t, wint_t c)
{
	switch (c) {
	case KEY_LEFT: if (t->pos) t->pos--; break;
	case KEY_RIGHT: if (t->pos < t->len) t->pos++; break;
	case KEY_HOME: t->pos = 0; break;
	case KEY_END: t->pos = t->len; break;
	case KEY_BACKSPACE: if (t->pos) tui_del(t, t->pos - 1, t->pos); break;
	case KEY_DC: tui_del(t, t->pos, t->pos + 1); break;
	case KEY_UP: tui_history(t, -1); break;
	case KEY_DOWN: tui_history(t, 1); break;
	case KEY_PPAGE: scroll_page(t, 1); break;
	case KEY_NPAGE: scroll_page(t, -1); break;
	case KEY_RESIZE: on_resize(t); break;
	case KEY_ENTER: tui_submit(t); break;
	default: break;
	}
}

static void key_char(struct pl_tui *t, wint_t c)
{
	if (t->esc) { /* Alt+1..9 and Alt+0: windows 1 to 10 */
		t->esc = false;
		if (c >= L'0' && c <= L'9')
			switch_to(t, c == L'0' ? 9 : (unsigned)(c - L'1'));
		return;
	}
	switch (c) {
	case 27: t->esc = true; break;
	case L'\r': case L'\n': tui_submit(t); break;
	case L'\t': tui_complete(t); break;
	case 127: case 8: key_code(t, KEY_BACKSPACE); break;
	case 1: t->pos = 0; break;                                /* Ctrl-A */
	case 5: t->pos = t->len; break;                           /* Ctrl-E */
	case 2: key_code(t, KEY_LEFT); break;                     /* Ctrl-B */
	case 6: key_code(t, KEY_RIGHT); break;                    /* Ctrl-F */
	case 4: key_code(t, KEY_DC); break;                       /* Ctrl-D */
	case 11: tui_del(t, t->pos, t->len); break;                   /* Ctrl-K */
	case 21: tui_del(t, 0, t->pos); break;                        /* Ctrl-U */
	case 23: {                                                /* Ctrl-W */
		unsigned s = t->pos;
		while (s > 0 && t->in[s - 1] == L' ')
			s--;
		while (s > 0 && t->in[s - 1] != L' ')
			s--;
		tui_del(t, s, t->pos);
		break;
	}
	case 12: on_resize(t); break;                             /* Ctrl-L */
	case 14: switch_to(t, (t->cur + 1) % t->nwins); break;    /* Ctrl-N */
	case 16: switch_to(t, (t->cur + t->nwins - 1) % t->nwins); break; /* Ctrl-P */
	case 3:                                                   /* Ctrl-C */
		pl_tui_line(t, pl_tui_current(t), PL_TUI_INFO, "Type /quit to leave parley.");
		break;
	default:
		if (c >= 32 && wcwidth((wchar_t)c) >= 0)
			tui_insert(t, &(wchar_t){(wchar_t)c}, 1);
		break;
	}
}

static unsigned read_keys(struct pl_tui *t)
{
	wint_t c;
	int r;
	unsigned n = 0;
	while ((r = wget_wch(stdscr, &c)) != ERR) {
		n++;
		if (!(r == OK && c == L'\t'))
			tui_comp_reset(t);
		if (r == KEY_CODE_YES) {
			t->esc = false;
			key_code(t, c);
		} else {
			key_char(t, c);
		}
		tui_dirty(t);
	}
	t->esc = false; /* ncurses waits ESCDELAY for Alt's second byte, so a lone ESC ends here */
	return n;
}

static void on_stdin(evutil_socket_t fd, short what, void *arg)
{
	struct pl_tui *t = arg;
	if (read_keys(t)) {
		t->idle = 0;
		return;
	}
	/* Readable but no key: half a character, or a terminal that hung up, where the event would
	 * fire forever. Like the end of input in the line mode, a hang-up is /quit. */
	struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
	bool hup = poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR | POLLNVAL));
	if (hup || ++t->idle >= 100) {
		event_del(t->ev_in);
		t->on_line("/quit", 5, t->arg);
	}
}

static void on_winch(evutil_socket_t fd, short what, void *arg)
{
	struct pl_tui *t = arg;
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	read_keys(t); /* resizeterm may have queued a KEY_RESIZE */
	on_resize(t);
}

/* --- life cycle --- */

/* Text on the wire is UTF-8. A terminal whose locale says nothing (C or POSIX) gets C.UTF-8, the
 * best guess today; a locale that names another character set is respected. Numbers stay "C". */
static void set_locale(void)
{
	setlocale(LC_ALL, "");
	const char *ctype = setlocale(LC_CTYPE, NULL);
	if (ctype && (!strcmp(ctype, "C") || !strcmp(ctype, "POSIX")))
		setlocale(LC_CTYPE, "C.UTF-8");
	setlocale(LC_NUMERIC, "C");
}

int pl_tui_alloc(struct pl_tui **tp, struct event_base *base, bool colors,
		 void (*on_line)(const char *line, size_t len, void *arg),
		 bool (*on_top)(const char *window, uint64_t before_id, void *arg), void *arg)
{
	if (!tp || !base || !on_line)
		return -EINVAL;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return -ENOTTY;
	struct pl_tui *t = calloc(1, sizeof *t);
	if (!t)
		return -ENOMEM;
	t->on_line = on_line;
	t->on_top = on_top;
	t->arg = arg;
	t->hidx = -1;
	t->wins[0] = calloc(1, sizeof *t->wins[0]);
	t->ev_in = event_new(base, STDIN_FILENO, EV_READ | EV_PERSIST, on_stdin, t);
	t->ev_winch = evsignal_new(base, SIGWINCH, on_winch, t);
	t->ev_draw = event_new(base, -1, 0, on_draw, t);
	t->nwins = t->wins[0] ? 1 : 0;
	if (!t->wins[0] || !t->ev_in || !t->ev_winch || !t->ev_draw) {
		pl_tui_free(t);
		return -ENOMEM;
	}
	set_locale();
	t->scr = newterm(NULL, stdout, stdin);
	if (!t->scr) { /* no terminfo entry for TERM */
		pl_tui_free(t);
		return -ENOTTY;
	}
	set_term(t->scr);
	raw(); /* Ctrl-C, Ctrl-Z and Ctrl-S are keys here, not signals that would leave the terminal raw */
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	t->a_err = A_BOLD;
	t->a_info = A_DIM;
	t->a_bar = A_REVERSE;
	t->a_hi = A_BOLD;
	if (colors && has_colors() && start_color() == OK) {
		short bg = use_default_colors() == OK ? -1 : COLOR_BLACK;
		init_pair(P_ERR, COLOR_RED, bg);
		init_pair(P_BAR, COLOR_WHITE, COLOR_BLUE);
		init_pair(P_HI, COLOR_MAGENTA, bg); /* mentions, as irssi's hilights */
		static const short nick_colors[NICK_COLORS] = {COLOR_GREEN, COLOR_CYAN, COLOR_YELLOW, COLOR_BLUE,
							       COLOR_RED};
		for (int i = 0; i < NICK_COLORS; i++) {
			init_pair((short)(P_NICK + i), nick_colors[i], bg);
			t->a_nick[i] = COLOR_PAIR(P_NICK + i);
		}
		t->a_err |= COLOR_PAIR(P_ERR);
		t->a_hi |= COLOR_PAIR(P_HI);
		t->a_bar = COLOR_PAIR(P_BAR);
	}
	if (event_add(t->ev_in, NULL) < 0 || event_add(t->ev_winch, NULL) < 0) {
		pl_tui_free(t);
		return -EIO;
	}
	draw(t);
	*tp = t;
	return 0;
}

void pl_tui_free(struct pl_tui *t)
{
	if (!t)
		return;
	if (t->ev_in)
		event_free(t->ev_in);
	if (t->ev_winch)
		event_free(t->ev_winch); /* gives SIGWINCH back to ncurses */
	if (t->ev_draw)
		event_free(t->ev_draw);
	if (t->scr) {
		endwin();
		delscreen(t->scr);
		/* What the UI said last (a lost connection, a refused certificate) would vanish with the
		 * screen: it stays on the terminal. */
		for (unsigned i = 0; i < t->ntail; i++)
			print_safe(stderr, t->tail[i]);
	}
	for (unsigned i = 0; i < t->ntail; i++)
		free(t->tail[i]);
	for (unsigned i = 0; i < t->nwins; i++)
		win_free(t->wins[i]);
	for (unsigned i = 0; i < t->nhist; i++) {
		explicit_bzero(t->hist[i], strlen(t->hist[i]));
		free(t->hist[i]);
	}
	if (t->draft)
		explicit_bzero(t->draft, strlen(t->draft));
	free(t->draft);
	free(t->wbuf);
	explicit_bzero(t, sizeof *t);
	free(t);
}
