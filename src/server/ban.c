#include "server/ban.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct pl_bans {
	struct pl_ban *v;
	unsigned n, cap;
	unsigned naddr; /* address bans among them: accept checks nothing when 0 */
};

int pl_bans_alloc(struct pl_bans **bp)
{
	*bp = calloc(1, sizeof **bp);
	return *bp ? 0 : -ENOMEM;
}

void pl_bans_free(struct pl_bans *b)
{
	if (!b)
		return;
	free(b->v);
	free(b);
}

static bool in_force(const struct pl_ban *x, uint64_t now_ms)
{
	return x->rec.until_ms == 0 || x->rec.until_ms > now_ms;
}

static void remove_at(struct pl_bans *b, unsigned i)
{
	if (b->v[i].rec.address)
		b->naddr--;
	b->v[i] = b->v[--b->n];
}

/* Forgets the bans that have ended, so the walks stay short. */
static void prune(struct pl_bans *b, uint64_t now_ms)
{
	for (unsigned i = 0; i < b->n;)
		if (in_force(&b->v[i], now_ms))
			i++;
		else
			remove_at(b, i);
}

static struct pl_ban *find(struct pl_bans *b, bool address, const char *target)
{
	for (unsigned i = 0; i < b->n; i++)
		if (b->v[i].rec.address == address && strcasecmp(b->v[i].rec.target, target) == 0)
			return &b->v[i];
	return NULL;
}

int pl_bans_put(struct pl_bans *b, const struct pl_ban_rec *rec)
{
	struct pl_ban x = {.rec = *rec};
	if (rec->address && pl_cidr_parse(&x.net, rec->target) < 0)
		return -EINVAL;
	struct pl_ban *old = find(b, rec->address, rec->target);
	if (old) {
		*old = x;
		return 0;
	}
	if (b->n == b->cap) {
		unsigned cap = b->cap ? b->cap * 2 : 16;
		struct pl_ban *v = realloc(b->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n++] = x;
	b->naddr += rec->address;
	return 0;
}

int pl_bans_del(struct pl_bans *b, bool address, const char *target)
{
	struct pl_ban *x = find(b, address, target);
	if (!x)
		return -ENOENT;
	remove_at(b, (unsigned)(x - b->v));
	return 0;
}

static int load_one(const struct pl_ban_rec *rec, void *arg)
{
	pl_bans_put(arg, rec); /* a range that no longer parses is skipped */
	return 0;
}

int pl_bans_load(struct pl_bans *b, struct pl_store *st, uint64_t now_ms)
{
	return pl_store_bans(st, now_ms, load_one, b);
}

const struct pl_ban *pl_bans_account(struct pl_bans *b, const char *nick, uint64_t now_ms)
{
	struct pl_ban *x = find(b, false, nick);
	if (x && !in_force(x, now_ms)) {
		prune(b, now_ms);
		return NULL;
	}
	return x;
}

const struct pl_ban *pl_bans_address(struct pl_bans *b, const struct sockaddr *peer, uint64_t now_ms)
{
	if (b->naddr == 0)
		return NULL;
	for (unsigned i = 0; i < b->n; i++) {
		struct pl_ban *x = &b->v[i];
		if (!x->rec.address || !pl_cidr_match(&x->net, peer))
			continue;
		if (in_force(x, now_ms))
			return x;
		prune(b, now_ms);
		return pl_bans_address(b, peer, now_ms);
	}
	return NULL;
}

const struct pl_ban *pl_bans_at(struct pl_bans *b, unsigned i, uint64_t now_ms)
{
	if (i == 0)
		prune(b, now_ms);
	return i < b->n ? &b->v[i] : NULL;
}

void pl_ban_describe(const struct pl_ban_rec *rec, char *buf, size_t sz)
{
	char until[40] = "lifted";
	if (rec->until_ms) {
		time_t t = (time_t)(rec->until_ms / 1000);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(until, sizeof until, "%Y-%m-%d %H:%M UTC", &tm);
	}
	snprintf(buf, sz, "banned until %s%s%s", until, rec->reason[0] ? ": " : "", rec->reason);
}

int pl_ban_duration(const char *text, uint64_t *ms)
{
	if (!strcmp(text, "forever") || !strcmp(text, "permanent")) {
		*ms = 0;
		return 0;
	}
	char *end;
	if (text[0] < '0' || text[0] > '9')
		return -EINVAL;
	unsigned long long n = strtoull(text, &end, 10);
	static const struct {
		char unit;
		uint64_t ms;
	} units[] = {{'s', 1000}, {'m', 60000}, {'h', 3600000}, {'d', 86400000}, {'w', 604800000}};
	if (n == 0 || end[0] == '\0' || end[1] != '\0')
		return -EINVAL;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (end[0] == units[i].unit) {
			if (n > UINT64_MAX / units[i].ms / 2)
				return -EINVAL;
			*ms = n * units[i].ms;
			return 0;
		}
	}
	return -EINVAL;
}
