/*
 * ban: the bans an administrator set (parleyd admin ban ...), held in memory for the checks on the
 * hot paths and kept in the store so that they survive a restart. An address ban covers a range
 * (core/cidr.h; an IPv6 address alone means its /64) and is checked at accept, before any TLS
 * work; an account ban is checked at login, before any password work. A ban may end at a time or
 * last until it is lifted; one that has ended is forgotten at the next lookup.
 *
 * Bans are few (an admin types each one), so lookups walk a small array: an accept from an
 * address with no ban costs a comparison per address ban, and nothing when there are none.
 */
#ifndef PL_BAN_H
#define PL_BAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/cidr.h"
#include "store/store.h"

struct pl_ban {
	struct pl_ban_rec rec;
	struct pl_cidr net; /* for an address ban */
};

struct pl_bans;

int pl_bans_alloc(struct pl_bans **bp);
void pl_bans_free(struct pl_bans *b);
/* Reads the bans in force from the store, at start. 0 or -EIO. */
int pl_bans_load(struct pl_bans *b, struct pl_store *st, uint64_t now_ms);
/* Adds rec or replaces the ban of the same target. 0, -EINVAL (an address that does not parse),
 * -ENOMEM. */
int pl_bans_put(struct pl_bans *b, const struct pl_ban_rec *rec);
/* 0, or -ENOENT when that target has no ban. */
int pl_bans_del(struct pl_bans *b, bool address, const char *target);
/* The ban in force on that nickname (compared without ASCII case), or NULL. */
const struct pl_ban *pl_bans_account(struct pl_bans *b, const char *nick, uint64_t now_ms);
/* The ban in force on that peer's address, or NULL. */
const struct pl_ban *pl_bans_address(struct pl_bans *b, const struct sockaddr *peer, uint64_t now_ms);
/* The bans in force, one by one: i from 0 until it returns NULL. */
const struct pl_ban *pl_bans_at(struct pl_bans *b, unsigned i, uint64_t now_ms);

/* What a banned person is told (ERROR 455's detail) and the admin sees: "banned until
 * 2025-01-31 12:00 UTC: spam" or "banned until lifted". */
void pl_ban_describe(const struct pl_ban_rec *rec, char *buf, size_t sz);

/* Durations as an admin types them: "90s", "30m", "12h", "7d", "4w", or "forever" (0). Returns
 * 0 and the milliseconds, or -EINVAL. */
int pl_ban_duration(const char *text, uint64_t *ms);

#endif
