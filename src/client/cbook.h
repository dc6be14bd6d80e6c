/*
 * cbook: the contacts book of direct mode (client/direct.h): names mapped to endpoints
 * ("host:port", "[v6]:port") and device keys, each key verified or not. Rendezvous by code adds
 * contacts to it too (pl_cbook_put).
 *
 * It is kept on disk encrypted at rest, in the client's configuration directory (client/confdir.h)
 * as "contacts.book" by default, so a stolen disk or backup tells neither names nor addresses:
 *
 *   offset 0   8 bytes  "PLCBOOK1"
 *   offset 8   u64      Argon2id opslimit (crypto_pwhash), big-endian
 *   offset 16  u64      Argon2id memlimit, bytes, big-endian
 *   offset 24  16 bytes salt
 *   offset 40  16 bytes check: BLAKE2b-128 keyed with the derived key over "parley cbook check",
 *                       so a wrong passphrase is told apart from a damaged file
 *   offset 56  24 bytes crypto_secretstream_xchacha20poly1305 header
 *   offset 80  ...      one secretstream message (TAG_FINAL), the 80 bytes before it as its
 *                       associated data: lines "name TAB address TAB key-hex-or-dash TAB 0|1 LF"
 *
 * The key comes from a passphrase through Argon2id with the limits recorded in the file (the
 * reader refuses limits beyond libsodium's SENSITIVE ones, so a crafted file cannot make it spend
 * unbounded memory). Writes go to a temporary file beside it, fsync'd, then renamed over it.
 */
#ifndef PL_CBOOK_H
#define PL_CBOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/auth.h"

#define PL_CBOOK_NAME_MAX 64   /* bytes of UTF-8, no tab, newline or other control character */
#define PL_CBOOK_ADDR_MAX 300  /* "host:port" */
#define PL_CBOOK_ENTRIES_MAX 4096
#define PL_CBOOK_FILE "contacts.book"

struct pl_cbook;

struct pl_cbook_entry {
	char name[PL_CBOOK_NAME_MAX + 1];
	char addr[PL_CBOOK_ADDR_MAX + 1]; /* "" when only the key is known */
	bool has_key;
	uint8_t key[PL_DEVICE_KEY_LEN];
	bool verified; /* the person compared the code aloud with this key */
};

/* The cost of deriving the key of a new book; 0 for libsodium's INTERACTIVE limits. */
struct pl_cbook_cost {
	unsigned long long ops;
	size_t mem;
};

/* The default path: the configuration directory's contacts.book. */
void pl_cbook_default_path(char *out, size_t sz);

/* Opens the book at path with passphrase, or starts an empty one there if there is no file
 * (cost: how hard its key is to guess; NULL for the default). 0; -EACCES for a wrong passphrase,
 * -EBADMSG for a file damaged or changed, -errno for a file that cannot be read; each with a
 * sentence in err. */
int pl_cbook_open(struct pl_cbook **bp, const char *path, const char *passphrase, const struct pl_cbook_cost *cost,
		  char *err, size_t errsz);
void pl_cbook_free(struct pl_cbook *b);

/* Adds or replaces name's entry and saves the book. addr NULL keeps the address known, key NULL
 * the key known. A key different from the one known clears verified unless verified is given.
 * 0, -EINVAL for a name or address that cannot be kept, -ENOSPC when full, or a save's error
 * (with a sentence in err when err is not NULL). */
int pl_cbook_put(struct pl_cbook *b, const char *name, const char *addr, const uint8_t *device_key, bool verified);
int pl_cbook_put_err(struct pl_cbook *b, const char *name, const char *addr, const uint8_t *device_key,
		     bool verified, char *err, size_t errsz);
/* Removes name's entry and saves: 0, -ENOENT, or a save's error. */
int pl_cbook_del(struct pl_cbook *b, const char *name, char *err, size_t errsz);
/* Writes the book (atomically): 0, or -errno with a sentence. */
int pl_cbook_save(struct pl_cbook *b, char *err, size_t errsz);

/* Lookups (names compare without ASCII case). NULL when there is none. */
const struct pl_cbook_entry *pl_cbook_get(const struct pl_cbook *b, const char *name);
const struct pl_cbook_entry *pl_cbook_by_key(const struct pl_cbook *b, const uint8_t key[PL_DEVICE_KEY_LEN]);
size_t pl_cbook_count(const struct pl_cbook *b);
const struct pl_cbook_entry *pl_cbook_at(const struct pl_cbook *b, size_t i);

/* 1: key is name's verified key; -1: name has a verified key and this is another (warn loudly);
 * 0: nothing verified to compare with. */
int pl_cbook_check_key(const struct pl_cbook *b, const char *name, const uint8_t key[PL_DEVICE_KEY_LEN]);

/* The passphrase: from file (its first line) when given, else $PARLEY_PASSPHRASE, else asked on
 * the terminal without echo. 0, or -errno with a sentence in err (no terminal to ask on, say). */
int pl_cbook_passphrase(char *out, size_t sz, const char *file, char *err, size_t errsz);

#endif
