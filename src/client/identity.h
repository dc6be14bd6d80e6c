/*
 * identity: this device's identity, the secret from which its Ed25519 device keys come. It is
 * made on first run (32 random bytes), kept in the client's config directory readable by its
 * owner alone, and never leaves the device. Each server gets its own key pair derived from it
 * (BLAKE2b keyed with the secret over the SHA-256 of the server's certificate, what the client
 * pins), so two servers cannot link one person's accounts by their device keys, and one server
 * sees one key however it is reached.
 */
#ifndef PL_IDENTITY_H
#define PL_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/auth.h"

#define PL_IDENTITY_SECRET 32

/* The default path: $PARLEY_HOME/identity, else $XDG_CONFIG_HOME/parley/identity, else
 * ~/.config/parley/identity. */
void pl_identity_default(char *path, size_t sz);
/* Reads the secret at path, making it first when there is no file (O_EXCL, O_NOFOLLOW, mode
 * 0600; *created tells). A file others can read, or one that is not an identity, is refused.
 * 0, or -errno with a sentence for the person in err. */
int pl_identity_load(const char *path, uint8_t secret[PL_IDENTITY_SECRET], bool *created, char *err, size_t errsz);
/* The device key pair for the server with that certificate hash. */
void pl_identity_keys(const uint8_t secret[PL_IDENTITY_SECRET], const uint8_t cert_hash[PL_CERT_HASH_LEN],
		      uint8_t pk[PL_DEVICE_KEY_LEN], uint8_t sk[PL_DEVICE_SECRET_LEN]);

#endif
