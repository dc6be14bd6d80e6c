/* The SQLite backend of store.h: WAL journal with synchronous=FULL, so a committed row survives
 * kill -9 and power loss; every statement is prepared once at open; writes that touch several
 * rows run in one transaction. */
#include <errno.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

#define SCHEMA_VERSION 3

enum stmt {
	ACC_INSERT, ACC_GET, ACC_SET_PW, ACC_SET_PROFILE, ACC_GET_PIC,
	CT_INSERT, CT_DELETE, CT_LIST,
	GR_INSERT, GR_TOUCH, GR_GET, GR_MEMBERS, GR_COUNT, GM_INSERT, GM_DELETE, GR_DELETE_EMPTY, GR_OF,
	MSG_INSERT, MSG_HISTORY, MSG_OLDER, PEND_INSERT, PEND_LIST, PEND_ACK, PEND_COUNT,
	DEV_INSERT, DEV_GET, DEV_LIST, DEV_REVOKE, DEV_TOUCH, DEV_COUNT,
	REQ_INSERT, REQ_DELETE, REQ_EXISTS, REQ_TO, CT_EXISTS,
	BAN_PUT, BAN_DEL, BAN_LIST, BAN_PRUNE, TOPIC_PUT, TOPIC_DEL, TOPIC_LIST,
	DEL_ACCOUNT, DEL_PENDING_TO, DEL_PENDING_PRIV, DEL_MSG_PRIV, DEL_CONTACTS, DEL_REQUESTS, DEL_DEVICES,
	DEL_MEMBERS, DEL_EMPTY_GROUPS,
	BEGIN, COMMIT, ROLLBACK, SAVE, RELEASE, UNDO, SAVE_OP, RELEASE_OP, UNDO_OP,
	N_STMT
};

static const char *const sql[N_STMT] = {
	[ACC_INSERT] = "INSERT INTO accounts(nick, pwhash, realname, created_ms) VALUES (?,?,?,?)",
	[ACC_GET] = "SELECT nick, pwhash, realname, created_ms FROM accounts WHERE nick = ?",
	[ACC_SET_PW] = "UPDATE accounts SET pwhash = ? WHERE nick = ?",
	[ACC_SET_PROFILE] = "UPDATE accounts SET realname = coalesce(?1, realname), "
			    "picture = CASE WHEN ?4 THEN ?2 ELSE picture END WHERE nick = ?3",
	[ACC_GET_PIC] = "SELECT picture FROM accounts WHERE nick = ?",
	[CT_INSERT] = "INSERT INTO contacts(owner, contact, added_ms) VALUES (?,?,?)",
	[CT_DELETE] = "DELETE FROM contacts WHERE (owner = ?1 AND contact = ?2) OR (owner = ?2 AND contact = ?1)",
	[CT_LIST] = "SELECT contact FROM contacts WHERE owner = ? ORDER BY contact COLLATE NOCASE",
	[GR_INSERT] = "INSERT INTO groups(name, created_ms, updated_ms) VALUES (?,?,?)",
	[GR_TOUCH] = "UPDATE groups SET updated_ms = ? WHERE id = ?",
	[GR_GET] = "SELECT name, updated_ms FROM groups WHERE id = ?",
	[GR_MEMBERS] = "SELECT nick FROM group_members WHERE group_id = ? ORDER BY joined_ms, nick LIMIT 64",
	[GR_COUNT] = "SELECT COUNT(*) FROM group_members WHERE group_id = ?",
	[GM_INSERT] = "INSERT INTO group_members(group_id, nick, joined_ms) VALUES (?,?,?)",
	[GM_DELETE] = "DELETE FROM group_members WHERE group_id = ? AND nick = ?",
	[GR_DELETE_EMPTY] = "DELETE FROM groups WHERE id = ?1 AND NOT EXISTS "
			    "(SELECT 1 FROM group_members WHERE group_id = ?1)",
	[GR_OF] = "SELECT group_id FROM group_members WHERE nick = ? ORDER BY group_id",
	[MSG_INSERT] = "INSERT INTO messages(conv, time_ms, sender, target, text, flags) VALUES (?,?,?,?,?,?)",
	[MSG_HISTORY] = "SELECT id, time_ms, sender, target, text, flags FROM "
			"(SELECT * FROM messages WHERE conv = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3) ORDER BY id",
	[MSG_OLDER] = "SELECT EXISTS(SELECT 1 FROM messages WHERE conv = ? AND id < ?)",
	[PEND_INSERT] = "INSERT INTO pending(recipient, msg_id) VALUES (?,?)",
	[PEND_LIST] = "SELECT m.id, m.time_ms, m.sender, m.target, m.text, m.flags FROM pending p "
		      "JOIN messages m ON m.id = p.msg_id WHERE p.recipient = ?1 AND p.msg_id > ?2 ORDER BY p.msg_id LIMIT ?3",
	[PEND_ACK] = "DELETE FROM pending WHERE recipient = ? AND msg_id <= ?",
	[PEND_COUNT] = "SELECT COUNT(*) FROM pending WHERE recipient = ?",
	[DEV_INSERT] = "INSERT INTO devices(nick, key, name, added_ms, last_seen_ms) VALUES (?,?,?,?,?)",
	[DEV_GET] = "SELECT nick, name, added_ms, last_seen_ms, revoked FROM devices WHERE nick = ? AND key = ?",
	[DEV_LIST] = "SELECT key, name, added_ms, last_seen_ms, revoked, nick FROM devices WHERE nick = ? ORDER BY added_ms, key",
	[DEV_REVOKE] = "UPDATE devices SET revoked = 1 WHERE nick = ? AND key = ? AND revoked = 0",
	[DEV_TOUCH] = "UPDATE devices SET last_seen_ms = ?1 WHERE nick = ?2 AND key = ?3",
	[DEV_COUNT] = "SELECT COUNT(*) FROM devices WHERE nick = ? AND revoked = 0",
	[REQ_INSERT] = "INSERT INTO contact_requests(requester, target, time_ms) VALUES (?,?,?)",
	[REQ_DELETE] = "DELETE FROM contact_requests WHERE requester = ? AND target = ?",
	[REQ_EXISTS] = "SELECT 1 FROM contact_requests WHERE requester = ? AND target = ?",
	[REQ_TO] = "SELECT requester FROM contact_requests WHERE target = ? ORDER BY time_ms, requester",
	[CT_EXISTS] = "SELECT 1 FROM contacts WHERE owner = ? AND contact = ?",
	[BAN_PUT] = "INSERT OR REPLACE INTO bans(kind, target, until_ms, created_ms, reason) VALUES (?,?,?,?,?)",
	[BAN_DEL] = "DELETE FROM bans WHERE kind = ? AND target = ?",
	[BAN_LIST] = "SELECT kind, target, until_ms, created_ms, reason FROM bans WHERE until_ms = 0 OR until_ms > ? "
		     "ORDER BY created_ms, target",
	[BAN_PRUNE] = "DELETE FROM bans WHERE until_ms != 0 AND until_ms <= ?",
	[TOPIC_PUT] = "INSERT OR REPLACE INTO topics(room, text, by, time_ms) VALUES (?,?,?,?)",
	[TOPIC_DEL] = "DELETE FROM topics WHERE room = ?",
	[TOPIC_LIST] = "SELECT room, text, by, time_ms FROM topics ORDER BY room",
	/* Deleting an account: ?1 is the nickname, folded as pl_store_conv folds it, so that its
	 * private conversations ("@a b", sorted) are found by their first or second name. */
	[DEL_ACCOUNT] = "DELETE FROM accounts WHERE nick = ?1",
	[DEL_PENDING_TO] = "DELETE FROM pending WHERE recipient = ?1",
	[DEL_PENDING_PRIV] = "DELETE FROM pending WHERE msg_id IN (SELECT id FROM messages WHERE substr(conv, 1, 1) = '@' "
			     "AND (substr(conv, 1, length(?1) + 2) = '@' || ?1 || ' ' OR substr(conv, -length(?1) - 1) = ' ' || ?1))",
	[DEL_MSG_PRIV] = "DELETE FROM messages WHERE substr(conv, 1, 1) = '@' "
			 "AND (substr(conv, 1, length(?1) + 2) = '@' || ?1 || ' ' OR substr(conv, -length(?1) - 1) = ' ' || ?1)",
	[DEL_CONTACTS] = "DELETE FROM contacts WHERE owner = ?1 OR contact = ?1",
	[DEL_REQUESTS] = "DELETE FROM contact_requests WHERE requester = ?1 OR target = ?1",
	[DEL_DEVICES] = "DELETE FROM devices WHERE nick = ?1",
	[DEL_MEMBERS] = "DELETE FROM group_members WHERE nick = ?1",
	[DEL_EMPTY_GROUPS] = "DELETE FROM groups WHERE NOT EXISTS (SELECT 1 FROM group_members WHERE group_id = groups.id)",
	[BEGIN] = "BEGIN IMMEDIATE",
	[COMMIT] = "COMMIT",
	[ROLLBACK] = "ROLLBACK",
	/* One savepoint per write of a group commit, and one per multi-row operation inside it;
	 * outside a transaction a savepoint begins one and its release commits it. */
	[SAVE] = "SAVEPOINT w",
	[RELEASE] = "RELEASE w",
	[UNDO] = "ROLLBACK TO w",
	[SAVE_OP] = "SAVEPOINT op",
	[RELEASE_OP] = "RELEASE op",
	[UNDO_OP] = "ROLLBACK TO op",
};

static const char *schema =
	"CREATE TABLE IF NOT EXISTS accounts ("
	"  nick TEXT PRIMARY KEY COLLATE NOCASE, pwhash TEXT NOT NULL, realname TEXT NOT NULL DEFAULT '',"
	"  created_ms INTEGER NOT NULL, picture BLOB);"
	"CREATE TABLE IF NOT EXISTS contacts ("
	"  owner TEXT NOT NULL COLLATE NOCASE, contact TEXT NOT NULL COLLATE NOCASE, added_ms INTEGER NOT NULL,"
	"  PRIMARY KEY (owner, contact)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS groups ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, created_ms INTEGER NOT NULL,"
	"  updated_ms INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS group_members ("
	"  group_id INTEGER NOT NULL REFERENCES groups(id), nick TEXT NOT NULL COLLATE NOCASE,"
	"  joined_ms INTEGER NOT NULL, PRIMARY KEY (group_id, nick)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS group_members_nick ON group_members(nick);"
	"CREATE TABLE IF NOT EXISTS messages ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, conv TEXT NOT NULL, time_ms INTEGER NOT NULL,"
	"  sender TEXT NOT NULL, target TEXT NOT NULL, text TEXT NOT NULL, flags INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS messages_conv ON messages(conv, id);"
	"CREATE TABLE IF NOT EXISTS pending ("
	"  recipient TEXT NOT NULL COLLATE NOCASE, msg_id INTEGER NOT NULL REFERENCES messages(id),"
	"  PRIMARY KEY (recipient, msg_id)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS devices ("
	"  nick TEXT NOT NULL COLLATE NOCASE, key BLOB NOT NULL, name TEXT NOT NULL DEFAULT '',"
	"  added_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (nick, key)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS contact_requests ("
	"  requester TEXT NOT NULL COLLATE NOCASE, target TEXT NOT NULL COLLATE NOCASE, time_ms INTEGER NOT NULL,"
	"  PRIMARY KEY (requester, target)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS contact_requests_target ON contact_requests(target);"
	"CREATE TABLE IF NOT EXISTS bans ("
	"  kind INTEGER NOT NULL, target TEXT NOT NULL COLLATE NOCASE, until_ms INTEGER NOT NULL,"
	"  created_ms INTEGER NOT NULL, reason TEXT NOT NULL DEFAULT '', PRIMARY KEY (kind, target)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS topics ("
	"  room TEXT NOT NULL COLLATE NOCASE PRIMARY KEY, text TEXT NOT NULL, by TEXT NOT NULL,"
	"  time_ms INTEGER NOT NULL) WITHOUT ROWID;";

struct sq {
	sqlite3 *db;
	sqlite3_stmt *st[N_STMT];
};

/* Binds text/int/blob by position from a format: 't' text, 'i' int64, 'b' blob (ptr, len). */
static sqlite3_stmt *bind(struct sq *q, enum stmt which, const char *fmt, ...)
{
	sqlite3_stmt *st = q->st[which];
	va_list ap;
	va_start(ap, fmt);
	for (int i = 0; fmt[i]; i++) {
		if (fmt[i] == 't') {
			sqlite3_bind_text(st, i + 1, va_arg(ap, const char *), -1, SQLITE_STATIC);
		} else if (fmt[i] == 'i') {
			sqlite3_bind_int64(st, i + 1, (sqlite3_int64)va_arg(ap, uint64_t));
		} else {
			const void *p = va_arg(ap, const void *);
			int n = (int)va_arg(ap, size_t);
			if (n > 0)
				sqlite3_bind_blob(st, i + 1, p, n, SQLITE_STATIC);
			else
				sqlite3_bind_null(st, i + 1);
		}
	}
	va_end(ap);
	return st;
}

static void done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Runs a statement that returns no rows: 0, -EEXIST on a uniqueness conflict, -EIO. */
static int run(struct sq *q, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	int ext = sqlite3_extended_errcode(q->db);
	done(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (ext == SQLITE_CONSTRAINT_PRIMARYKEY || ext == SQLITE_CONSTRAINT_UNIQUE)
		return -EEXIST;
	return -EIO;
}

/* A multi-row operation is all or nothing, inside a group commit's transaction or on its own. */
static int begin(struct sq *q) { return run(q, q->st[SAVE_OP]); }
static int commit(struct sq *q, int rc)
{
	if (rc < 0) {
		run(q, q->st[UNDO_OP]);
		run(q, q->st[RELEASE_OP]);
		return rc;
	}
	if (run(q, q->st[RELEASE_OP]) < 0) {
		run(q, q->st[UNDO_OP]);
		run(q, q->st[RELEASE_OP]);
		return -EIO;
	}
	return 0;
}

static int sq_begin(void *impl) { struct sq *q = impl; return run(q, q->st[BEGIN]); }
static int sq_commit(void *impl) { struct sq *q = impl; return run(q, q->st[COMMIT]); }
static void sq_rollback(void *impl) { struct sq *q = impl; run(q, q->st[ROLLBACK]); }
static int sq_savepoint(void *impl) { struct sq *q = impl; return run(q, q->st[SAVE]); }
static void sq_release(void *impl, bool undo)
{
	struct sq *q = impl;
	if (undo)
		run(q, q->st[UNDO]);
	run(q, q->st[RELEASE]);
}

static void copy_col(sqlite3_stmt *st, int col, char *dst, size_t sz)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	snprintf(dst, sz, "%s", t ? (const char *)t : "");
}

static void sq_close(void *impl)
{
	struct sq *q = impl;
	for (int i = 0; i < N_STMT; i++)
		sqlite3_finalize(q->st[i]);
	sqlite3_close(q->db);
	free(q);
}

/* --- accounts --- */

static int sq_account_create(void *impl, const char *nick, const char *pwhash, const char *realname, uint64_t now_ms)
{
	struct sq *q = impl;
	return run(q, bind(q, ACC_INSERT, "ttti", nick, pwhash, realname, now_ms));
}

static int sq_account_get(void *impl, const char *nick, struct pl_account *a)
{
	struct sq *q = impl;
	sqlite3_stmt *st = bind(q, ACC_GET, "t", nick);
	int rc = sqlite3_step(st), ret;
	if (rc == SQLITE_ROW) {
		copy_col(st, 0, a->nick, sizeof a->nick);
		copy_col(st, 1, a->pwhash, sizeof a->pwhash);
		copy_col(st, 2, a->realname, sizeof a->realname);
		a->created_ms = (uint64_t)sqlite3_column_int64(st, 3);
		ret = 0;
	} else {
		ret = rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	done(st);
	return ret;
}

static int changed(struct sq *q, int rc)
{
	return rc < 0 ? rc : sqlite3_changes(q->db) > 0 ? 0 : -ENOENT;
}

static int sq_account_set_password(void *impl, const char *nick, const char *pwhash)
{
	struct sq *q = impl;
	return changed(q, run(q, bind(q, ACC_SET_PW, "tt", pwhash, nick)));
}

static int sq_account_set_profile(void *impl, const char *nick, const char *realname, const uint8_t *pic, size_t len)
{
	struct sq *q = impl;
	/* realname NULL keeps it; pic NULL keeps the picture, an empty one removes it. */
	return changed(q, run(q, bind(q, ACC_SET_PROFILE, "tbti", realname, pic, pic ? len : 0, nick, (uint64_t)(pic != NULL))));
}

static int sq_account_get_picture(void *impl, const char *nick, uint8_t *pic, size_t cap, size_t *len)
{
	struct sq *q = impl;
	sqlite3_stmt *st = bind(q, ACC_GET_PIC, "t", nick);
	int rc = sqlite3_step(st), ret = -ENOENT;
	*len = 0;
	if (rc == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		const void *b = sqlite3_column_blob(st, 0);
		if (n > cap) {
			ret = -EMSGSIZE;
		} else {
			if (n)
				memcpy(pic, b, n);
			*len = n;
			ret = 0;
		}
	} else if (rc != SQLITE_DONE) {
		ret = -EIO;
	}
	done(st);
	return ret;
}

/* --- contacts --- */

static int sq_contact_add(void *impl, const char *a, const char *b, uint64_t now_ms)
{
	struct sq *q = impl;
	if (begin(q) < 0)
		return -EIO;
	int rc = run(q, bind(q, CT_INSERT, "tti", a, b, now_ms));
	if (rc == 0)
		rc = run(q, bind(q, CT_INSERT, "tti", b, a, now_ms));
	return commit(q, rc);
}

static int sq_contact_del(void *impl, const char *a, const char *b)
{
	struct sq *q = impl;
	return changed(q, run(q, bind(q, CT_DELETE, "tt", a, b)));
}

static int list_nicks(struct sq *q, sqlite3_stmt *st, pl_store_nick_cb *cb, void *arg)
{
	int rc;
	char nick[PL_NICK_MAX + 1];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		copy_col(st, 0, nick, sizeof nick);
		if (cb(nick, arg))
			break;
	}
	done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

static int sq_contacts(void *impl, const char *owner, pl_store_nick_cb *cb, void *arg)
{
	struct sq *q = impl;
	return list_nicks(q, bind(q, CT_LIST, "t", owner), cb, arg);
}

/* --- groups --- */

static int sq_group_create(void *impl, const char *name, const char *creator, uint64_t now_ms, uint32_t *id)
{
	struct sq *q = impl;
	if (begin(q) < 0)
		return -EIO;
	int rc = run(q, bind(q, GR_INSERT, "tii", name, now_ms, now_ms));
	if (rc == 0) {
		sqlite3_int64 rid = sqlite3_last_insert_rowid(q->db);
		if (rid <= 0 || rid > UINT32_MAX)
			rc = -EIO;
		*id = (uint32_t)rid;
		if (rc == 0)
			rc = run(q, bind(q, GM_INSERT, "iti", (uint64_t)*id, creator, now_ms));
	}
	return commit(q, rc);
}

static int scalar(struct sq *q, sqlite3_stmt *st, int64_t *v)
{
	int rc = sqlite3_step(st), ret = -ENOENT;
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		ret = 0;
	} else if (rc != SQLITE_DONE) {
		ret = -EIO;
	}
	done(st);
	return ret;
}

static int group_exists(struct sq *q, uint32_t id)
{
	sqlite3_stmt *st = bind(q, GR_GET, "i", (uint64_t)id);
	int rc = sqlite3_step(st);
	done(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

static int sq_group_add(void *impl, uint32_t id, const char *nick, uint64_t now_ms)
{
	struct sq *q = impl;
	if (begin(q) < 0)
		return -EIO;
	int64_t n = 0;
	int rc = group_exists(q, id);
	if (rc == 0)
		rc = scalar(q, bind(q, GR_COUNT, "i", (uint64_t)id), &n);
	if (rc == 0 && n >= PL_GROUP_MEMBERS_MAX)
		rc = -E2BIG;
	if (rc == 0)
		rc = run(q, bind(q, GM_INSERT, "iti", (uint64_t)id, nick, now_ms));
	if (rc == 0)
		rc = run(q, bind(q, GR_TOUCH, "ii", now_ms, (uint64_t)id));
	return commit(q, rc);
}

static int sq_group_quit(void *impl, uint32_t id, const char *nick, uint64_t now_ms)
{
	struct sq *q = impl;
	if (begin(q) < 0)
		return -EIO;
	int rc = changed(q, run(q, bind(q, GM_DELETE, "it", (uint64_t)id, nick)));
	if (rc == 0)
		rc = run(q, bind(q, GR_TOUCH, "ii", now_ms, (uint64_t)id));
	if (rc == 0) /* the last one out ends the group */
		rc = run(q, bind(q, GR_DELETE_EMPTY, "i", (uint64_t)id));
	return commit(q, rc);
}

static int add_member(const char *nick, void *arg)
{
	struct pl_group_rec *g = arg;
	if (g->count < PL_GROUP_MEMBERS_MAX)
		snprintf(g->members[g->count++], PL_NICK_MAX + 1, "%s", nick);
	return 0;
}

static int sq_group_get(void *impl, uint32_t id, struct pl_group_rec *g)
{
	struct sq *q = impl;
	sqlite3_stmt *st = bind(q, GR_GET, "i", (uint64_t)id);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		done(st);
		return rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	g->id = id;
	copy_col(st, 0, g->name, sizeof g->name);
	g->updated_ms = (uint64_t)sqlite3_column_int64(st, 1);
	done(st);
	g->count = 0;
	return list_nicks(q, bind(q, GR_MEMBERS, "i", (uint64_t)id), add_member, g);
}

static int sq_groups_of(void *impl, const char *nick, pl_store_id_cb *cb, void *arg)
{
	struct sq *q = impl;
	sqlite3_stmt *st = bind(q, GR_OF, "t", nick);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (cb((uint32_t)sqlite3_column_int64(st, 0), arg))
			break;
	done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

/* --- messages --- */

static int sq_msg_store(void *impl, struct pl_msg_rec *m, const char *conv, const char *pending_for,
			unsigned pending_max)
{
	struct sq *q = impl;
	if (!pending_for) {
		/* One row: atomic by itself, no savepoint needed (this is the hot path). */
		int rc = run(q, bind(q, MSG_INSERT, "tittti", conv, m->time_ms, m->sender, m->target, m->text, (uint64_t)m->flags));
		if (rc == 0)
			m->id = (uint64_t)sqlite3_last_insert_rowid(q->db);
		return rc;
	}
	if (begin(q) < 0)
		return -EIO;
	int64_t waiting = 0;
	int rc = scalar(q, bind(q, PEND_COUNT, "t", pending_for), &waiting);
	if (rc == 0 && waiting >= (int64_t)pending_max)
		rc = -ENOSPC;
	if (rc == 0)
		rc = run(q, bind(q, MSG_INSERT, "tittti", conv, m->time_ms, m->sender, m->target, m->text, (uint64_t)m->flags));
	if (rc == 0) {
		m->id = (uint64_t)sqlite3_last_insert_rowid(q->db);
		rc = run(q, bind(q, PEND_INSERT, "ti", pending_for, m->id));
	}
	return commit(q, rc);
}

static int list_msgs(struct sq *q, sqlite3_stmt *st, pl_store_msg_cb *cb, void *arg, uint64_t *oldest)
{
	struct pl_msg_rec *m = malloc(sizeof *m);
	if (!m) {
		done(st);
		return -ENOMEM;
	}
	int rc;
	*oldest = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		m->id = (uint64_t)sqlite3_column_int64(st, 0);
		m->time_ms = (uint64_t)sqlite3_column_int64(st, 1);
		copy_col(st, 2, m->sender, sizeof m->sender);
		copy_col(st, 3, m->target, sizeof m->target);
		copy_col(st, 4, m->text, sizeof m->text);
		m->flags = (uint8_t)sqlite3_column_int(st, 5);
		if (!*oldest)
			*oldest = m->id;
		if (cb(m, arg))
			break;
	}
	done(st);
	free(m);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

static int sq_history(void *impl, const char *conv, uint64_t before_id, unsigned limit, pl_store_msg_cb *cb,
		      void *arg, bool *more)
{
	struct sq *q = impl;
	uint64_t oldest;
	if (before_id == 0 || before_id > INT64_MAX)
		before_id = INT64_MAX;
	int rc = list_msgs(q, bind(q, MSG_HISTORY, "tii", conv, before_id, (uint64_t)limit), cb, arg, &oldest);
	int64_t older = 0;
	*more = false;
	if (rc == 0 && oldest && scalar(q, bind(q, MSG_OLDER, "ti", conv, oldest), &older) == 0)
		*more = older != 0;
	return rc;
}

struct page {
	pl_store_msg_cb *cb;
	void *arg;
	unsigned limit, n;
	bool extra;
};

static int page_row(const struct pl_msg_rec *m, void *arg)
{
	struct page *p = arg;
	if (p->n == p->limit) {
		p->extra = true; /* the row past the page: there is more */
		return 1;
	}
	p->n++;
	return p->cb(m, p->arg);
}

static int sq_pending(void *impl, const char *recipient, uint64_t after_id, unsigned limit, pl_store_msg_cb *cb,
		      void *arg, bool *more)
{
	struct sq *q = impl;
	uint64_t oldest;
	struct page p = {cb, arg, limit, 0, false};
	if (after_id > INT64_MAX)
		after_id = INT64_MAX;
	/* One row more than the page tells whether another page follows. */
	int rc = list_msgs(q, bind(q, PEND_LIST, "tii", recipient, after_id, (uint64_t)limit + 1), page_row, &p, &oldest);
	*more = rc == 0 && p.extra;
	return rc;
}

/* --- devices --- */

static int sq_device_add(void *impl, const struct pl_device_rec *d, unsigned max)
{
	struct sq *q = impl;
	if (begin(q) < 0)
		return -EIO;
	int64_t n = 0;
	int rc = scalar(q, bind(q, DEV_COUNT, "t", d->nick), &n);
	if (rc == 0 && n >= (int64_t)max)
		rc = -E2BIG;
	if (rc == 0)
		rc = run(q, bind(q, DEV_INSERT, "tbtii", d->nick, d->key, (size_t)32, d->name, d->added_ms, d->last_seen_ms));
	return commit(q, rc);
}

static void device_row(sqlite3_stmt *st, int first, struct pl_device_rec *d)
{
	copy_col(st, first, d->name, sizeof d->name);
	d->added_ms = (uint64_t)sqlite3_column_int64(st, first + 1);
	d->last_seen_ms = (uint64_t)sqlite3_column_int64(st, first + 2);
	d->revoked = sqlite3_column_int(st, first + 3) != 0;
}

static int sq_device_get(void *impl, const char *nick, const uint8_t key[32], struct pl_device_rec *d)
{
	struct sq *q = impl;
	sqlite3_stmt *st = bind(q, DEV_GET, "tb", nick, key, (size_t)32);
	int rc = sqlite3_step(st), ret;
	if (rc == SQLITE_ROW) {
		copy_col(st, 0, d->nick, sizeof d->nick);
		memcpy(d->key, key, 32);
		device_row(st, 1, d);
		ret = 0;
	} else {
		ret = rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	done(st);
	return ret;
}

static int sq_devices(void *impl, const char *nick, pl_store_device_cb *cb, void *arg)
{
	struct sq *q = impl;
	sqlite3_stmt *st = bind(q, DEV_LIST, "t", nick);
	struct pl_device_rec d;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&d, 0, sizeof d);
		if (sqlite3_column_bytes(st, 0) != 32)
			continue;
		memcpy(d.key, sqlite3_column_blob(st, 0), 32);
		device_row(st, 1, &d);
		copy_col(st, 5, d.nick, sizeof d.nick);
		if (cb(&d, arg))
			break;
	}
	done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

static int sq_device_revoke(void *impl, const char *nick, const uint8_t key[32])
{
	struct sq *q = impl;
	return changed(q, run(q, bind(q, DEV_REVOKE, "tb", nick, key, (size_t)32)));
}

static int sq_device_touch(void *impl, const char *nick, const uint8_t key[32], uint64_t now_ms)
{
	struct sq *q = impl;
	return changed(q, run(q, bind(q, DEV_TOUCH, "itb", now_ms, nick, key, (size_t)32)));
}

/* --- contact requests --- */

static int exists(struct sq *q, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	done(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

static int sq_request_add(void *impl, const char *from, const char *to, uint64_t now_ms)
{
	struct sq *q = impl;
	return run(q, bind(q, REQ_INSERT, "tti", from, to, now_ms));
}

static int sq_request_del(void *impl, const char *from, const char *to)
{
	struct sq *q = impl;
	return changed(q, run(q, bind(q, REQ_DELETE, "tt", from, to)));
}

static int sq_request_exists(void *impl, const char *from, const char *to)
{
	struct sq *q = impl;
	return exists(q, bind(q, REQ_EXISTS, "tt", from, to));
}

static int sq_requests_to(void *impl, const char *to, pl_store_nick_cb *cb, void *arg)
{
	struct sq *q = impl;
	return list_nicks(q, bind(q, REQ_TO, "t", to), cb, arg);
}

static int sq_contact_exists(void *impl, const char *a, const char *b)
{
	struct sq *q = impl;
	return exists(q, bind(q, CT_EXISTS, "tt", a, b));
}

static int sq_pending_ack(void *impl, const char *recipient, uint64_t upto_id)
{
	struct sq *q = impl;
	return run(q, bind(q, PEND_ACK, "ti", recipient, upto_id));
}

/* --- bans and account deletion (the admin's) --- */

static int sq_ban_put(void *impl, const struct pl_ban_rec *b)
{
	struct sq *q = impl;
	if (begin(q) < 0)
		return -EIO;
	int rc = run(q, bind(q, BAN_PRUNE, "i", b->created_ms));
	if (rc == 0)
		rc = run(q, bind(q, BAN_PUT, "itiit", (uint64_t)b->address, b->target, b->until_ms, b->created_ms,
				 b->reason));
	return commit(q, rc);
}

static int sq_ban_del(void *impl, bool address, const char *target)
{
	struct sq *q = impl;
	return changed(q, run(q, bind(q, BAN_DEL, "it", (uint64_t)address, target)));
}

static int sq_bans(void *impl, uint64_t now_ms, pl_store_ban_cb *cb, void *arg)
{
	struct sq *q = impl;
	sqlite3_stmt *st = bind(q, BAN_LIST, "i", now_ms);
	struct pl_ban_rec b;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&b, 0, sizeof b);
		b.address = sqlite3_column_int(st, 0) != 0;
		copy_col(st, 1, b.target, sizeof b.target);
		b.until_ms = (uint64_t)sqlite3_column_int64(st, 2);
		b.created_ms = (uint64_t)sqlite3_column_int64(st, 3);
		copy_col(st, 4, b.reason, sizeof b.reason);
		if (cb(&b, arg))
			break;
	}
	done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

static int sq_topic_put(void *impl, const struct pl_topic_rec *t)
{
	struct sq *q = impl;
	if (!t->text[0])
		return run(q, bind(q, TOPIC_DEL, "t", t->room));
	return run(q, bind(q, TOPIC_PUT, "ttti", t->room, t->text, t->by, t->time_ms));
}

static int sq_topics(void *impl, pl_store_topic_cb *cb, void *arg)
{
	struct sq *q = impl;
	sqlite3_stmt *st = bind(q, TOPIC_LIST, "");
	struct pl_topic_rec t;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&t, 0, sizeof t);
		copy_col(st, 0, t.room, sizeof t.room);
		copy_col(st, 1, t.text, sizeof t.text);
		copy_col(st, 2, t.by, sizeof t.by);
		t.time_ms = (uint64_t)sqlite3_column_int64(st, 3);
		if (cb(&t, arg))
			break;
	}
	done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

static int sq_account_delete(void *impl, const char *nick)
{
	struct sq *q = impl;
	char folded[PL_NICK_MAX + 1];
	size_t i = 0;
	for (; nick[i] && i < PL_NICK_MAX; i++)
		folded[i] = (nick[i] >= 'A' && nick[i] <= 'Z') ? (char)(nick[i] - 'A' + 'a') : nick[i];
	folded[i] = '\0';
	if (begin(q) < 0)
		return -EIO;
	int rc = changed(q, run(q, bind(q, DEL_ACCOUNT, "t", nick)));
	/* Waiting messages and private history before the rows they point at go. */
	static const enum stmt steps[] = {DEL_PENDING_TO, DEL_PENDING_PRIV, DEL_MSG_PRIV, DEL_CONTACTS, DEL_REQUESTS,
					  DEL_DEVICES, DEL_MEMBERS};
	for (size_t k = 0; rc == 0 && k < sizeof steps / sizeof steps[0]; k++) {
		bool conv = steps[k] == DEL_PENDING_PRIV || steps[k] == DEL_MSG_PRIV;
		rc = run(q, bind(q, steps[k], "t", conv ? folded : nick));
	}
	if (rc == 0)
		rc = run(q, q->st[DEL_EMPTY_GROUPS]);
	return commit(q, rc);
}

static const struct pl_store_ops sq_ops = {
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.savepoint = sq_savepoint,
	.release = sq_release,
	.account_create = sq_account_create,
	.account_get = sq_account_get,
	.account_set_password = sq_account_set_password,
	.account_set_profile = sq_account_set_profile,
	.account_get_picture = sq_account_get_picture,
	.contact_add = sq_contact_add,
	.contact_del = sq_contact_del,
	.contacts = sq_contacts,
	.group_create = sq_group_create,
	.group_add = sq_group_add,
	.group_quit = sq_group_quit,
	.group_get = sq_group_get,
	.groups_of = sq_groups_of,
	.msg_store = sq_msg_store,
	.history = sq_history,
	.pending = sq_pending,
	.pending_ack = sq_pending_ack,
	.device_add = sq_device_add,
	.device_get = sq_device_get,
	.devices = sq_devices,
	.device_revoke = sq_device_revoke,
	.device_touch = sq_device_touch,
	.request_add = sq_request_add,
	.request_del = sq_request_del,
	.request_exists = sq_request_exists,
	.requests_to = sq_requests_to,
	.contact_exists = sq_contact_exists,
	.ban_put = sq_ban_put,
	.ban_del = sq_ban_del,
	.bans = sq_bans,
	.account_delete = sq_account_delete,
	.topic_put = sq_topic_put,
	.topics = sq_topics,
};

/* Brings a database from an older parleyd up to SCHEMA_VERSION. */
static int migrate(sqlite3 *db)
{
	sqlite3_stmt *st;
	int version = 0;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > SCHEMA_VERSION)
		return -EPROTO;
	if (version == 1 &&
	    sqlite3_exec(db, "ALTER TABLE accounts ADD COLUMN picture BLOB", NULL, NULL, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK)
		return -EIO;
	/* Messages gained flags (a call notice, say) after version 3: added where missing, without a
	 * version of its own, so older databases of any version get it. */
	if (sqlite3_prepare_v2(db, "SELECT flags FROM messages LIMIT 0", -1, &st, NULL) == SQLITE_OK)
		sqlite3_finalize(st);
	else if (sqlite3_exec(db, "ALTER TABLE messages ADD COLUMN flags INTEGER NOT NULL DEFAULT 0", NULL, NULL,
			      NULL) != SQLITE_OK)
		return -EIO;
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d;", SCHEMA_VERSION);
	return sqlite3_exec(db, pragma, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

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
	int rc;
	if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(q->db, 5000);
	step = "set up the journal of";
	if (sqlite3_exec(q->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
			 NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	step = "create or upgrade the tables of";
	if ((rc = migrate(q->db)) < 0) {
		if (rc == -EPROTO)
			step = "use (it was made by a newer parleyd) the tables of";
		goto fail;
	}
	step = "prepare statements on";
	for (int i = 0; i < N_STMT; i++)
		if (sqlite3_prepare_v3(q->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &q->st[i], NULL) != SQLITE_OK)
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
