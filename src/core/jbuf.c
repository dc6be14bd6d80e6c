#include "core/jbuf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/vpkt.h"

struct slot {
	bool full;
	uint16_t seq;
	uint16_t len;
	uint8_t data[PL_JBUF_FRAME_MAX];
};

struct pl_jbuf {
	unsigned target;
	bool started;
	uint16_t next;   /* when started: the sequence number of the next period */
	uint16_t lowest; /* when not started: the lowest sequence number queued */
	unsigned count;
	unsigned idle;   /* empty periods in a row */
	struct pl_jbuf_stats st;
	struct slot slots[PL_JBUF_SLOTS];
};

int pl_jbuf_alloc(struct pl_jbuf **jbp, unsigned target)
{
	if (target == 0 || target >= PL_JBUF_SLOTS / 2)
		return -EINVAL;
	struct pl_jbuf *jb = calloc(1, sizeof *jb);
	if (!jb)
		return -ENOMEM;
	jb->target = target;
	*jbp = jb;
	return 0;
}

void pl_jbuf_free(struct pl_jbuf *jb)
{
	free(jb);
}

static void clear(struct pl_jbuf *jb)
{
	for (unsigned i = 0; i < PL_JBUF_SLOTS; i++)
		jb->slots[i].full = false;
	jb->count = 0;
	jb->started = false;
	jb->idle = 0;
}

int pl_jbuf_put(struct pl_jbuf *jb, uint16_t seq, const uint8_t *data, size_t len)
{
	if (len == 0 || len > PL_JBUF_FRAME_MAX)
		return -EINVAL;

	/* The window of acceptable sequence numbers starts at the next period to play (or the
	 * lowest queued, before playout starts) and is PL_JBUF_SLOTS long. */
	if (jb->started || jb->count > 0) {
		uint16_t base = jb->started ? jb->next : jb->lowest;
		int d = pl_seq_diff(seq, base);
		if (jb->started && d < 0) {
			jb->st.late++;
			return -ETIME;
		}
		if (!jb->started && d < 0) {
			/* Earlier than anything queued: it becomes the start, if the window allows. */
			if (pl_seq_diff(base, seq) >= PL_JBUF_SLOTS) {
				clear(jb);
				jb->st.resyncs++;
			}
		} else if (d >= PL_JBUF_SLOTS) {
			clear(jb);
			jb->st.resyncs++;
		}
	}

	struct slot *s = &jb->slots[seq % PL_JBUF_SLOTS];
	if (s->full) {
		if (s->seq == seq) {
			jb->st.dup++;
			return -EALREADY;
		}
		/* Before playout starts, an earlier frame can stretch what is queued past the ring:
		 * start over from this frame rather than drop a queued one unseen. */
		clear(jb);
		jb->st.resyncs++;
	}
	s->full = true;
	s->seq = seq;
	s->len = (uint16_t)len;
	memcpy(s->data, data, len);
	if (!jb->started && (jb->count == 0 || pl_seq_diff(seq, jb->lowest) < 0))
		jb->lowest = seq;
	jb->count++;
	return 0;
}

enum pl_jbuf_status pl_jbuf_pop(struct pl_jbuf *jb, const uint8_t **data, size_t *len)
{
	*data = NULL;
	*len = 0;
	if (!jb->started) {
		if (jb->count < jb->target)
			return PL_JBUF_SILENT;
		jb->started = true;
		jb->next = jb->lowest;
		jb->idle = 0;
	}

	struct slot *s = &jb->slots[jb->next % PL_JBUF_SLOTS];
	uint16_t seq = jb->next++;
	if (s->full && s->seq == seq) {
		s->full = false;
		jb->count--;
		jb->idle = 0;
		jb->st.played++;
		*data = s->data;
		*len = s->len;
		return PL_JBUF_FRAME;
	}

	if (jb->count == 0 && ++jb->idle >= PL_JBUF_IDLE_STOP) {
		/* The talker has gone quiet: stop, and wait for a full cushion again. The empty
		 * periods before this one were the end of the talk spurt, not losses. */
		jb->st.lost -= PL_JBUF_IDLE_STOP - 1;
		jb->started = false;
		jb->idle = 0;
		return PL_JBUF_SILENT;
	}
	jb->st.lost++;
	struct slot *n = &jb->slots[jb->next % PL_JBUF_SLOTS];
	if (n->full && n->seq == jb->next) {
		*data = n->data;
		*len = n->len;
	}
	return PL_JBUF_LOST;
}

unsigned pl_jbuf_depth(const struct pl_jbuf *jb)
{
	return jb->count;
}

void pl_jbuf_stats(const struct pl_jbuf *jb, struct pl_jbuf_stats *st)
{
	*st = jb->st;
}
