/*
 * scrollback: the lines of one TUI window, oldest first: a ring of at most PL_SB_LINES that new
 * lines join at the bottom (dropping the oldest when full) and older history joins at the top (a
 * page fetched when the person scrolls up to it). It remembers the id of the oldest message it
 * holds, which the next page of history is asked before. Pure: strings and memory only.
 */
#ifndef PL_SCROLLBACK_H
#define PL_SCROLLBACK_H

#include <stdint.h>

#define PL_SB_LINES 2000

struct pl_sb_line {
	char *text; /* owned */
	int kind;   /* the caller's (enum pl_tui_kind) */
};

struct pl_sb {
	struct pl_sb_line ring[PL_SB_LINES];
	unsigned first, n;
	uint64_t oldest_id; /* the oldest message's id among the lines, 0 when none carries one */
};

/* A copy of text at the bottom (id: its message's, or 0 for a notice). When full, the oldest line
 * goes. Returns 0 or -ENOMEM. */
int pl_sb_append(struct pl_sb *sb, const char *text, int kind, uint64_t id);
/* A copy of text as line `at` (0: the top), the lines from `at` down moving one down. Nothing is
 * dropped for it: returns -ENOSPC when full, -EINVAL when at > count, -ENOMEM, or 0. */
int pl_sb_insert(struct pl_sb *sb, unsigned at, const char *text, int kind, uint64_t id);
/* Takes line i out (the lines below it move up). Returns 0, or -EINVAL past the last. */
int pl_sb_remove(struct pl_sb *sb, unsigned i);
/* Line i, 0 the oldest; NULL past the last. */
const struct pl_sb_line *pl_sb_get(const struct pl_sb *sb, unsigned i);
/* Frees every line; the scrollback is empty again. */
void pl_sb_clear(struct pl_sb *sb);

#endif
