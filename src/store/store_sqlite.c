/* The SQLite backend of store.h: WAL journal with synchronous=FULL, so a committed row survives
 * kill -9 and power loss; statements are prepared once at open. */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

#define SCHEMA_VERSION 1

struct sq {
	sqlite3 *db;
	sqlite3_stmt *acc_insert, *acc_get;
};

static const char *schema =
	"CREATE TABLE IF NOT EXISTS accounts ("
	"  nick TEXT PRIMARY KEY COLLATE NOCASE,"
	"  pwhash TEXT NOT NULL,"
	"  realname TEXT NOT NULL DEFAULT '',"
	"  created_ms INTEGER NOT NULL);";

static void sq_close(void *impl)
{
	struct sq *q = impl;
	sqlite3_finalize(q->acc_insert);
	sqlite3_finalize(q->acc_get);
	sqlite3_close(q->db);
	free(q);
}

static int sq_account_create(void *impl, const char *nick, const char *pwhash, const char *realname,
			     uint64_t now_ms)
{
	struct sq *q = impl;
	sqlite3_stmt *st = q->acc_insert;
	sqlite3_bind_text(st, 1, nick, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, pwhash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, realname, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)now_ms);
	int rc = sqlite3_step(st);
	int ext = sqlite3_extended_errcode(q->db);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (ext == SQLITE_CONSTRAINT_PRIMARYKEY || ext == SQLITE_CONSTRAINT_UNIQUE)
		return -EEXIST;
	return -EIO;
}

static void copy_col(sqlite3_stmt *st, int col, char *dst, size_t sz)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	snprintf(dst, sz, "%s", t ? (const char *)t : "");
}

static int sq_account_get(void *impl, const char *nick, struct pl_account *a)
{
	struct sq *q = impl;
	sqlite3_stmt *st = q->acc_get;
	sqlite3_bind_text(st, 1, nick, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	int ret;
	if (rc == SQLITE_ROW) {
		copy_col(st, 0, a->nick, sizeof a->nick);
		copy_col(st, 1, a->pwhash, sizeof a->pwhash);
		copy_col(st, 2, a->realname, sizeof a->realname);
		a->created_ms = (uint64_t)sqlite3_column_int64(st, 3);
		ret = 0;
	} else {
		ret = rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

static const struct pl_store_ops sq_ops = {
	.close = sq_close,
	.account_create = sq_account_create,
	.account_get = sq_account_get,
};

int pl_store_open_sqlite(struct pl_store **sp, const char *path, char *err, size_t errsz)
{
	struct sq *q = calloc(1, sizeof *q);
	struct pl_store *s = calloc(1, sizeof *s);
	if (!q || !s) {
		free(q);
		free(s);
		return -ENOMEM;
	}
	const char *step = "open";
	if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(q->db, 5000);
	step = "set up the journal of";
	if (sqlite3_exec(q->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
			 NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	step = "create the tables of";
	if (sqlite3_exec(q->db, schema, NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d;", SCHEMA_VERSION);
	if (sqlite3_exec(q->db, pragma, NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	step = "prepare statements on";
	if (sqlite3_prepare_v3(q->db, "INSERT INTO accounts(nick, pwhash, realname, created_ms) VALUES (?,?,?,?)",
			       -1, SQLITE_PREPARE_PERSISTENT, &q->acc_insert, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(q->db, "SELECT nick, pwhash, realname, created_ms FROM accounts WHERE nick = ?",
			       -1, SQLITE_PREPARE_PERSISTENT, &q->acc_get, NULL) != SQLITE_OK)
		goto fail;
	s->ops = &sq_ops;
	s->impl = q;
	*sp = s;
	return 0;
fail:
	snprintf(err, errsz, "Cannot %s the database %s: %s. Check that the data directory is writable "
		 "and the file is a parleyd database.", step, path, q->db ? sqlite3_errmsg(q->db) : "out of memory");
	sq_close(q);
	free(s);
	return -EIO;
}
