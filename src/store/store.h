/*
 * store: what parleyd keeps on disk, behind a table of operations so that a second backend
 * (PostgreSQL, for several nodes) can sit beside SQLite. Every write returns only once it is
 * durable: a caller may acknowledge it to a client as soon as the call returns 0.
 *
 * Nicknames compare without ASCII case everywhere; the spelling stored at registration is the
 * one returned.
 */
#ifndef PL_STORE_H
#define PL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/names.h"

#define PL_PWHASH_MAX 128 /* crypto_pwhash_STRBYTES */
#define PL_CONV_MAX (2 * PL_NICK_MAX + 3)

struct pl_account {
	char nick[PL_NICK_MAX + 1];
	char pwhash[PL_PWHASH_MAX];
	char realname[PL_REALNAME_MAX + 1];
	uint64_t created_ms;
};

struct pl_group_rec {
	uint32_t id;
	char name[PL_GROUP_NAME_MAX + 1];
	uint64_t updated_ms;
	unsigned count;
	char members[PL_GROUP_MEMBERS_MAX][PL_NICK_MAX + 1];
};

struct pl_device_rec {
	char nick[PL_NICK_MAX + 1];
	uint8_t key[32];
	char name[PL_DEVICE_NAME_MAX + 1];
	uint64_t added_ms, last_seen_ms;
	bool revoked;
};

struct pl_msg_rec {
	uint64_t id;
	uint64_t time_ms;
	uint8_t flags; /* what it is beyond text: PL_TEXT_CALL for a call notice */
	char sender[PL_NICK_MAX + 1];
	char target[PL_ROOM_MAX > PL_NICK_MAX ? PL_ROOM_MAX + 1 : PL_NICK_MAX + 1]; /* #room or nick */
	char text[PL_TEXT_MAX + 1];
};

/* A ban an administrator set (server/ban.h): an account by nickname, or an address range as
 * core/cidr.h prints it. */
#define PL_BAN_TARGET_MAX 63
#define PL_BAN_REASON_MAX 160
struct pl_ban_rec {
	bool address;
	char target[PL_BAN_TARGET_MAX + 1];
	uint64_t until_ms; /* wall clock; 0: until lifted */
	uint64_t created_ms;
	char reason[PL_BAN_REASON_MAX + 1];
};

/* A room's topic (server/room.c keeps them all in memory, loaded at start). */
struct pl_topic_rec {
	char room[PL_ROOM_MAX + 1];
	char text[PL_TOPIC_MAX + 1]; /* "" : none */
	char by[PL_NICK_MAX + 1];
	uint64_t time_ms;
};

/* Callbacks for listings; returning non-zero stops the listing. */
typedef int (pl_store_nick_cb)(const char *nick, void *arg);
typedef int (pl_store_id_cb)(uint32_t id, void *arg);
typedef int (pl_store_msg_cb)(const struct pl_msg_rec *m, void *arg);
typedef int (pl_store_device_cb)(const struct pl_device_rec *d, void *arg);
typedef int (pl_store_ban_cb)(const struct pl_ban_rec *b, void *arg);
typedef int (pl_store_topic_cb)(const struct pl_topic_rec *t, void *arg);

struct pl_store_ops {
	void (*close)(void *impl);
	/* A transaction around a group of writes, and a savepoint around each write in it, so one
	 * write that fails is undone without undoing the others (store/storeq.h). */
	int (*begin)(void *impl);
	int (*commit)(void *impl);
	void (*rollback)(void *impl);
	int (*savepoint)(void *impl);
	void (*release)(void *impl, bool undo);
	int (*account_create)(void *impl, const char *nick, const char *pwhash, const char *realname, uint64_t now_ms);
	int (*account_get)(void *impl, const char *nick, struct pl_account *a);
	int (*account_set_password)(void *impl, const char *nick, const char *pwhash);
	int (*account_set_profile)(void *impl, const char *nick, const char *realname, const uint8_t *pic, size_t len);
	int (*account_get_picture)(void *impl, const char *nick, uint8_t *pic, size_t cap, size_t *len);
	int (*contact_add)(void *impl, const char *a, const char *b, uint64_t now_ms);
	int (*contact_del)(void *impl, const char *a, const char *b);
	int (*contacts)(void *impl, const char *owner, pl_store_nick_cb *cb, void *arg);
	int (*group_create)(void *impl, const char *name, const char *creator, uint64_t now_ms, uint32_t *id);
	int (*group_add)(void *impl, uint32_t id, const char *nick, uint64_t now_ms);
	int (*group_quit)(void *impl, uint32_t id, const char *nick, uint64_t now_ms);
	int (*group_get)(void *impl, uint32_t id, struct pl_group_rec *g);
	int (*groups_of)(void *impl, const char *nick, pl_store_id_cb *cb, void *arg);
	int (*msg_store)(void *impl, struct pl_msg_rec *m, const char *conv, const char *pending_for,
			 unsigned pending_max);
	int (*history)(void *impl, const char *conv, uint64_t before_id, unsigned limit, pl_store_msg_cb *cb,
		       void *arg, bool *more);
	int (*pending)(void *impl, const char *recipient, uint64_t after_id, unsigned limit, pl_store_msg_cb *cb,
		       void *arg, bool *more);
	int (*pending_ack)(void *impl, const char *recipient, uint64_t upto_id);
	int (*device_add)(void *impl, const struct pl_device_rec *d, unsigned max);
	int (*device_get)(void *impl, const char *nick, const uint8_t key[32], struct pl_device_rec *d);
	int (*devices)(void *impl, const char *nick, pl_store_device_cb *cb, void *arg);
	int (*device_revoke)(void *impl, const char *nick, const uint8_t key[32]);
	int (*device_touch)(void *impl, const char *nick, const uint8_t key[32], uint64_t now_ms);
	int (*request_add)(void *impl, const char *from, const char *to, uint64_t now_ms);
	int (*request_del)(void *impl, const char *from, const char *to);
	int (*request_exists)(void *impl, const char *from, const char *to);
	int (*requests_to)(void *impl, const char *to, pl_store_nick_cb *cb, void *arg);
	int (*contact_exists)(void *impl, const char *a, const char *b);
	int (*ban_put)(void *impl, const struct pl_ban_rec *b);
	int (*ban_del)(void *impl, bool address, const char *target);
	int (*bans)(void *impl, uint64_t now_ms, pl_store_ban_cb *cb, void *arg);
	int (*account_delete)(void *impl, const char *nick);
	int (*topic_put)(void *impl, const struct pl_topic_rec *t);
	int (*topics)(void *impl, pl_store_topic_cb *cb, void *arg);
};

struct pl_store {
	const struct pl_store_ops *ops;
	void *impl;
};

/* Opens (creating) the SQLite database at path, in WAL mode with synchronous=FULL. Returns 0 or
 * -errno with a sentence in err. */
int pl_store_open_sqlite(struct pl_store **sp, const char *path, char *err, size_t errsz);
void pl_store_close(struct pl_store *s);

/* The conversation key of a room ("#lobby") or of two people ("@alice bob", sorted), case folded:
 * history is kept per conversation. */
void pl_store_conv(char out[PL_CONV_MAX + 1], const char *a, const char *b_or_room);

/* Accounts. 0, -EEXIST (create: the nickname is taken), -ENOENT, -EIO. */
int pl_store_account_create(struct pl_store *s, const char *nick, const char *pwhash,
			    const char *realname, uint64_t now_ms);
int pl_store_account_get(struct pl_store *s, const char *nick, struct pl_account *a);
int pl_store_account_set_password(struct pl_store *s, const char *nick, const char *pwhash);
/* realname NULL keeps the real name; pic NULL keeps the picture, len 0 removes it. */
int pl_store_account_set_profile(struct pl_store *s, const char *nick, const char *realname,
				 const uint8_t *pic, size_t len);
int pl_store_account_get_picture(struct pl_store *s, const char *nick, uint8_t *pic, size_t cap, size_t *len);

/* Contacts are mutual: adding b to a's list adds a to b's. 0, -EEXIST, -ENOENT, -EIO. */
int pl_store_contact_add(struct pl_store *s, const char *a, const char *b, uint64_t now_ms);
int pl_store_contact_del(struct pl_store *s, const char *a, const char *b);
int pl_store_contacts(struct pl_store *s, const char *owner, pl_store_nick_cb *cb, void *arg);
/* 0 when a and b are contacts, -ENOENT when not. */
int pl_store_contact_exists(struct pl_store *s, const char *a, const char *b);

/* Contact requests waiting for an answer, from one user to another. add: 0, -EEXIST. del and
 * exists: 0, -ENOENT. requests_to lists who asked `to`, oldest first. */
int pl_store_request_add(struct pl_store *s, const char *from, const char *to, uint64_t now_ms);
int pl_store_request_del(struct pl_store *s, const char *from, const char *to);
int pl_store_request_exists(struct pl_store *s, const char *from, const char *to);
int pl_store_requests_to(struct pl_store *s, const char *to, pl_store_nick_cb *cb, void *arg);

/* Device keys. add: 0, -EEXIST (already registered, revoked or not), -E2BIG when the account has
 * max devices that are not revoked. get: 0 or -ENOENT. revoke: 0, -ENOENT (no such key, or
 * revoked already). touch sets last_seen_ms. devices lists all, revoked ones included, oldest first. */
int pl_store_device_add(struct pl_store *s, const struct pl_device_rec *d, unsigned max);
int pl_store_device_get(struct pl_store *s, const char *nick, const uint8_t key[32], struct pl_device_rec *d);
int pl_store_devices(struct pl_store *s, const char *nick, pl_store_device_cb *cb, void *arg);
int pl_store_device_revoke(struct pl_store *s, const char *nick, const uint8_t key[32]);
int pl_store_device_touch(struct pl_store *s, const char *nick, const uint8_t key[32], uint64_t now_ms);

/* Groups. create adds the creator. add: -ENOENT no group, -EEXIST member already, -E2BIG full.
 * quit: -ENOENT not a member; the last member quitting deletes the group. Adding and quitting
 * touch updated_ms. */
int pl_store_group_create(struct pl_store *s, const char *name, const char *creator, uint64_t now_ms,
			  uint32_t *id);
int pl_store_group_add(struct pl_store *s, uint32_t id, const char *nick, uint64_t now_ms);
int pl_store_group_quit(struct pl_store *s, uint32_t id, const char *nick, uint64_t now_ms);
int pl_store_group_get(struct pl_store *s, uint32_t id, struct pl_group_rec *g);
int pl_store_groups_of(struct pl_store *s, const char *nick, pl_store_id_cb *cb, void *arg);

/* Messages. msg_store assigns m->id; with pending_for, the message also waits for that recipient
 * until acknowledged, unless pending_max messages wait for them already: then nothing is stored
 * and it returns -ENOSPC. history lists the newest `limit` messages of conv older than before_id
 * (0: the newest), oldest first; *more tells whether older ones remain. pending lists up to
 * `limit` of a recipient's waiting messages with ids above after_id, oldest first, and whether
 * more wait; pending_ack drops those up to and including upto_id. */
int pl_store_msg(struct pl_store *s, struct pl_msg_rec *m, const char *conv, const char *pending_for,
		 unsigned pending_max);
int pl_store_history(struct pl_store *s, const char *conv, uint64_t before_id, unsigned limit,
		     pl_store_msg_cb *cb, void *arg, bool *more);
int pl_store_pending(struct pl_store *s, const char *recipient, uint64_t after_id, unsigned limit,
		     pl_store_msg_cb *cb, void *arg, bool *more);
int pl_store_pending_ack(struct pl_store *s, const char *recipient, uint64_t upto_id);

/* Room topics: put sets (an empty text forgets it); topics lists them all. */
int pl_store_topic_put(struct pl_store *s, const struct pl_topic_rec *t);
int pl_store_topics(struct pl_store *s, pl_store_topic_cb *cb, void *arg);

/* Bans. put adds or replaces the ban of that target (and forgets bans that have ended); del: 0 or
 * -ENOENT; bans lists those still in force at now_ms, oldest first. */
int pl_store_ban_put(struct pl_store *s, const struct pl_ban_rec *b);
int pl_store_ban_del(struct pl_store *s, bool address, const char *target);
int pl_store_bans(struct pl_store *s, uint64_t now_ms, pl_store_ban_cb *cb, void *arg);

/* Deletes an account and what is its alone: its devices, contacts (both ways), contact requests
 * (both ways), group memberships (a group left empty goes), the messages waiting for it, and its
 * private conversations (their history is kept per pair of nicknames, and a new account of that
 * nickname must not read it). What it said in rooms stays in the rooms' history, under its
 * nickname. 0, -ENOENT (no such account), -EIO. */
int pl_store_account_delete(struct pl_store *s, const char *nick);

#endif
