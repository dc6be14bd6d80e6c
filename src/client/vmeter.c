#include "client/vmeter.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define METER_FLOOR_DB (-60.0)

void pl_vmeter_init(struct pl_vmeter *m)
{
	memset(m, 0, sizeof *m);
}

static int find(const struct pl_vmeter *m, uint64_t session)
{
	for (unsigned i = 0; i < m->n; i++)
		if (m->names[i].session == session)
			return (int)i;
	return -1;
}

void pl_vmeter_name(struct pl_vmeter *m, uint64_t session, const char *nick)
{
	if (!session)
		return;
	int i = find(m, session);
	if (i < 0) {
		if (m->n == PL_VMETER_NAMES) /* the oldest name goes: it is the least likely to talk */
			memmove(&m->names[0], &m->names[1], (PL_VMETER_NAMES - 1) * sizeof m->names[0]);
		else
			m->n++;
		i = (int)m->n - 1;
		m->names[i].session = session;
	}
	snprintf(m->names[i].nick, sizeof m->names[i].nick, "%s", nick);
}

void pl_vmeter_unname(struct pl_vmeter *m, uint64_t session)
{
	int i = find(m, session);
	if (i < 0)
		return;
	memmove(&m->names[i], &m->names[i + 1], (m->n - (unsigned)i - 1) * sizeof m->names[0]);
	m->n--;
}

const char *pl_vmeter_nick(const struct pl_vmeter *m, uint64_t session)
{
	int i = find(m, session);
	return i < 0 ? NULL : m->names[i].nick;
}

void pl_vmeter_format(const struct pl_voice_stats *st, char *out, size_t sz)
{
	if (st->deafened) {
		snprintf(out, sz, "deafened");
		return;
	}
	if (st->muted) {
		snprintf(out, sz, "muted");
		return;
	}
	double db = st->level_db;
	int cells = db <= METER_FLOOR_DB ? 0 : db >= 0 ? PL_VMETER_CELLS
		: (int)((db - METER_FLOOR_DB) / -METER_FLOOR_DB * PL_VMETER_CELLS + 0.5);
	char bar[PL_VMETER_CELLS + 1];
	for (int i = 0; i < PL_VMETER_CELLS; i++)
		bar[i] = i < cells ? '=' : ' ';
	bar[PL_VMETER_CELLS] = '\0';
	const char *what = st->mode == PL_VOICE_PTT ? (st->ptt ? "ptt: talking" : "ptt: /ptt to talk")
		: st->transmitting ? "sending"
		: st->mode == PL_VOICE_VAD ? "vad" : "idle";
	snprintf(out, sz, "mic [%s] %s", bar, what);
}

static int cmp_nick(const void *a, const void *b)
{
	return strcasecmp(a, b);
}

bool pl_vmeter_talking(struct pl_vmeter *m, const struct pl_voice_stats *st)
{
	char now[PL_VOICE_TALKERS][PL_NICK_MAX + 1];
	unsigned n = 0;
	for (unsigned i = 0; i < st->ntalking && i < PL_VOICE_TALKERS; i++) {
		const char *nick = pl_vmeter_nick(m, st->talking[i]);
		if (nick)
			snprintf(now[n++], sizeof now[0], "%s", nick);
		else
			snprintf(now[n++], sizeof now[0], "#%04" PRIu64, st->talking[i] % 10000);
	}
	qsort(now, n, sizeof now[0], cmp_nick);
	bool same = n == m->ntalking;
	for (unsigned i = 0; same && i < n; i++)
		same = strcmp(now[i], m->talking[i]) == 0;
	if (same)
		return false;
	memcpy(m->talking, now, sizeof now);
	m->ntalking = n;
	return true;
}
