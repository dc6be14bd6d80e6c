/*
 * auth: how a connection proves who it is, and the devices an account has.
 *
 * Two ways in. A password (REGISTER, LOGIN) is checked with Argon2id on a worker thread, within
 * guessing budgets taken when the login is submitted and given back when it succeeds; a device
 * key it carries is registered to the account. A registered device afterwards logs in with
 * LOGIN_KEY, a signature over the connection's challenge (core/auth.h), checked at once on the
 * loop: no password crosses the wire and no Argon2id runs, so a thousand clients reconnecting
 * after a restart cost a thousand signature checks, not a thousand hashes.
 *
 * Also here: SET_PASSWORD, DEVICES_GET, DEVICE_REVOKE and KEYS_GET (a contact's device keys, which
 * end-to-end encrypted calls will be made to).
 */
#ifndef PL_SERVER_AUTH_H
#define PL_SERVER_AUTH_H

#include <stdbool.h>

#include "core/msg.h"

struct pl_session;

/* REGISTER, LOGIN, LOGIN_KEY (before login); SET_PASSWORD, DEVICES_GET, DEVICE_REVOKE, KEYS_GET. */
void pl_auth_handle(struct pl_session *s, const struct pl_msg *m);
/* The connection is ending: password work still queued for it is dropped unworked. */
void pl_auth_cancel(struct pl_session *s);
/* Hashes a password as accounts store it (Argon2id), into out (PL_PWHASH_MAX bytes, store/store.h).
 * Slow on purpose: call it on a worker thread. */
bool pl_auth_hash_password(char *out, const char *password);

#endif
