/*
 * known_hosts: trust on first use for server certificates, as ssh does. The file holds one line
 * per server, "host:port sha256-hex". A server seen for the first time is added; a server whose
 * certificate changed is refused until the person removes its line.
 */
#ifndef PL_KNOWN_HOSTS_H
#define PL_KNOWN_HOSTS_H

#include <stddef.h>

enum pl_trust { PL_TRUST_KNOWN, PL_TRUST_NEW, PL_TRUST_CHANGED };

/* Checks (and on first use records) fp for server. On PL_TRUST_CHANGED the pinned fingerprint is
 * copied to pinned. Returns the verdict, or -errno when the file cannot be read or written. */
int pl_known_hosts_check(const char *path, const char *server, const char *fp, char *pinned, size_t pinnedsz);
/* The default path: $PARLEY_HOME/known_hosts, else $XDG_CONFIG_HOME/parley/known_hosts, else
 * ~/.config/parley/known_hosts. */
void pl_known_hosts_default(char *path, size_t sz);

#endif
