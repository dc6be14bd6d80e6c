/*
 * store: what parleyd keeps on disk, behind a table of operations so that a second backend
 * (PostgreSQL, for several nodes) can sit beside SQLite. Every write returns only once it is
 * durable: a caller may acknowledge it to a client as soon as the call returns 0.
 */
#ifndef PL_STORE_H
#define PL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/names.h"

#define PL_PWHASH_MAX 128 /* crypto_pwhash_STRBYTES */

struct pl_account {
	char nick[PL_NICK_MAX + 1];
	char pwhash[PL_PWHASH_MAX];
	char realname[PL_REALNAME_MAX + 1];
	uint64_t created_ms;
};

struct pl_store_ops {
	void (*close)(void *impl);
	int (*account_create)(void *impl, const char *nick, const char *pwhash, const char *realname,
			      uint64_t now_ms);
	int (*account_get)(void *impl, const char *nick, struct pl_account *a);
};

struct pl_store {
	const struct pl_store_ops *ops;
	void *impl;
};

/* Opens (creating) the SQLite database at path, in WAL mode with synchronous=FULL. Returns 0 or
 * -errno with a sentence in err. */
int pl_store_open_sqlite(struct pl_store **sp, const char *path, char *err, size_t errsz);
void pl_store_close(struct pl_store *s);

/* 0, -EEXIST when the nickname (compared without case) has an account, -EIO. */
int pl_store_account_create(struct pl_store *s, const char *nick, const char *pwhash,
			    const char *realname, uint64_t now_ms);
/* 0, -ENOENT, -EIO. */
int pl_store_account_get(struct pl_store *s, const char *nick, struct pl_account *a);

#endif
