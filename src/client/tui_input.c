/* tui_input: the terminal UI's input line (see tui_int.h): editing, history, Tab completion of
 * nicknames and commands, and handing a finished line on. */
#include "client/tui_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/cmds.h"
#include "client/sanitize.h"
#include "client/wtext.h"

void tui_del(struct pl_tui *t, unsigned from, unsigned to)
{
	if (from >= to || to > t->len)
		return;
	memmove(&t->in[from], &t->in[to], (t->len - to + 1) * sizeof t->in[0]);
	t->len -= to - from;
	if (t->pos >= to)
		t->pos -= to - from;
	else if (t->pos > from)
		t->pos = from;
}

/* Puts characters at the cursor, as many as fit. */
void tui_insert(struct pl_tui *t, const wchar_t *w, size_t n)
{
	if (n > INPUT_MAX - t->len)
		n = INPUT_MAX - t->len;
	memmove(&t->in[t->pos + n], &t->in[t->pos], (t->len - t->pos + 1) * sizeof t->in[0]);
	memcpy(&t->in[t->pos], w, n * sizeof w[0]);
	t->len += (unsigned)n;
	t->pos += (unsigned)n;
}

/* Replaces the input line with UTF-8 s (NULL: empty). */
void tui_set_input(struct pl_tui *t, const char *s)
{
	size_t len = s ? strlen(s) : 0;
	explicit_bzero(t->in, sizeof t->in);
	/* History holds lines typed here, so they fit; a longer one is cut, never overflows. */
	t->len = t->pos = (unsigned)pl_wtext_decode(s ? s : "", len < INPUT_MAX ? len : INPUT_MAX, t->in, INPUT_MAX + 1);
	t->off = 0;
}

void tui_history(struct pl_tui *t, int dir)
{
	if (dir < 0) {
		if (t->hidx == 0 || t->nhist == 0)
			return;
		if (t->hidx < 0) {
			pl_wtext_encode(t->in, t->len, t->out, sizeof t->out);
			free(t->draft);
			t->draft = strdup(t->out);
			explicit_bzero(t->out, sizeof t->out);
			t->hidx = (int)t->nhist;
		}
		tui_set_input(t, t->hist[--t->hidx]);
	} else {
		if (t->hidx < 0)
			return;
		if (++t->hidx < (int)t->nhist) {
			tui_set_input(t, t->hist[t->hidx]);
			return;
		}
		tui_set_input(t, t->draft);
		free(t->draft);
		t->draft = NULL;
		t->hidx = -1;
	}
}

void tui_submit(struct pl_tui *t)
{
	size_t n = pl_wtext_encode(t->in, t->len, t->out, sizeof t->out);
	/* Lines with a password are not kept. */
	if (n && !pl_cmd_secret(t->out) && (!t->nhist || strcmp(t->hist[t->nhist - 1], t->out) != 0))
		tui_push(t->hist, &t->nhist, HISTORY, t->out);
	free(t->draft);
	t->draft = NULL;
	t->hidx = -1;
	tui_set_input(t, NULL);
	tui_cur_win(t)->scroll = 0;
	tui_dirty(t);
	/* on_line may print, switch or close windows, or quit: nothing of ours is held across it. */
	t->on_line(t->out, n, t->arg);
	explicit_bzero(t->out, sizeof t->out);
}

/* Tab: the word before the cursor becomes the next nickname of the room (or command, at the start
 * of the line) that begins with it; pressing Tab again goes on to the next one. */
void tui_complete(struct pl_tui *t)
{
	const struct win *w = tui_cur_win(t);
	if (!t->comp.active) {
		unsigned s = t->pos;
		while (s > 0 && t->in[s - 1] != L' ')
			s--;
		if (s == t->pos)
			return;
		char pre[PL_NICK_MAX * 4 + MB_LEN_MAX];
		size_t n;
		if (t->pos - s > PL_NICK_MAX || (n = pl_wtext_encode(&t->in[s], t->pos - s, pre, sizeof pre)) > PL_NICK_MAX)
			return; /* longer than any nickname or command */
		memcpy(t->comp.prefix, pre, n + 1);
		t->comp.cmd = s == 0 && t->comp.prefix[0] == '/';
		t->comp.start = s;
		t->comp.end = t->pos;
		t->comp.idx = -1;
		t->comp.active = true;
	}
	unsigned count = 0;
	if (t->comp.cmd && t->verbs) /* the command words the client gave (direct mode's) */
		while (t->verbs[count])
			count++;
	else if (t->comp.cmd) /* the command words of client/cmds.c's table */
		while (pl_cmd_verb(count))
			count++;
	else
		count = tui_is_room(w) ? w->nusers : w->name[0] ? 1 : 0;
	for (unsigned step = 1; step <= count; step++) {
		unsigned i = (unsigned)(t->comp.idx + (int)step) % count;
		const char *cand = t->comp.cmd ? (t->verbs ? t->verbs[i] : pl_cmd_verb(i))
				   : tui_is_room(w) ? w->users[i] : w->name;
		const char *pre = t->comp.prefix + (t->comp.cmd ? 1 : 0); /* a command without its '/' */
		if (strncasecmp(cand, pre, strlen(pre)) != 0)
			continue;
		char with[PL_NICK_MAX + 4];
		snprintf(with, sizeof with, "%s%s%s", t->comp.cmd ? "/" : "", cand,
			 t->comp.start == 0 && !t->comp.cmd ? ": " : " ");
		wchar_t ww[PL_TERM_SAFE_SIZE(sizeof with)];
		size_t wn = pl_wtext_decode(with, strlen(with), ww, sizeof ww / sizeof ww[0]);
		if (t->len - (t->comp.end - t->comp.start) + wn > INPUT_MAX)
			break;
		t->pos = t->comp.end;
		tui_del(t, t->comp.start, t->comp.end);
		tui_insert(t, ww, wn);
		t->comp.end = t->pos;
		t->comp.idx = (int)i;
		return;
	}
	beep();
	tui_comp_reset(t);
}

void pl_tui_commands(struct pl_tui *t, const char *const *verbs)
{
	if (t)
		t->verbs = verbs;
}
