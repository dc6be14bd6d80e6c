#include "client/scrollback.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct pl_sb_line *at(struct pl_sb *sb, unsigned i)
{
	return &sb->ring[(sb->first + i) % PL_SB_LINES];
}

static void seen_id(struct pl_sb *sb, uint64_t id)
{
	if (id && (!sb->oldest_id || id < sb->oldest_id))
		sb->oldest_id = id;
}

int pl_sb_append(struct pl_sb *sb, const char *text, int kind, uint64_t id)
{
	char *copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	struct pl_sb_line *l;
	if (sb->n == PL_SB_LINES) {
		/* The oldest goes; the oldest id stays as it was (a little older than what is kept),
		 * which only means a page fetched later overlaps by nothing that matters. */
		l = at(sb, 0);
		free(l->text);
		sb->first = (sb->first + 1) % PL_SB_LINES;
	} else {
		l = at(sb, sb->n++);
	}
	l->text = copy;
	l->kind = kind;
	seen_id(sb, id);
	return 0;
}

int pl_sb_insert(struct pl_sb *sb, unsigned pos, const char *text, int kind, uint64_t id)
{
	if (pos > sb->n)
		return -EINVAL;
	if (sb->n == PL_SB_LINES)
		return -ENOSPC;
	char *copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	/* The ring starts one earlier; the lines above pos move up into the new first slot, so
	 * inserting near the top (where history goes) costs only the lines above it. */
	sb->first = (sb->first + PL_SB_LINES - 1) % PL_SB_LINES;
	sb->n++;
	for (unsigned i = 0; i < pos; i++)
		*at(sb, i) = *at(sb, i + 1);
	at(sb, pos)->text = copy;
	at(sb, pos)->kind = kind;
	seen_id(sb, id);
	return 0;
}

int pl_sb_remove(struct pl_sb *sb, unsigned i)
{
	if (i >= sb->n)
		return -EINVAL;
	free(at(sb, i)->text);
	for (unsigned k = i; k + 1 < sb->n; k++)
		*at(sb, k) = *at(sb, k + 1);
	sb->n--;
	return 0;
}

const struct pl_sb_line *pl_sb_get(const struct pl_sb *sb, unsigned i)
{
	return i < sb->n ? &sb->ring[(sb->first + i) % PL_SB_LINES] : NULL;
}

void pl_sb_clear(struct pl_sb *sb)
{
	for (unsigned i = 0; i < sb->n; i++)
		free(at(sb, i)->text);
	sb->first = sb->n = 0;
	sb->oldest_id = 0;
}
