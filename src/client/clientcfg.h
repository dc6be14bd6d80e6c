/*
 * clientcfg: the client's config file, ~/.config/parley/config (client/confdir.h; --config FILE
 * picks another): "key = value" lines and '#' comments, as parleyd's config. It gives the values
 * the command line would otherwise give: the server, the nickname to log in as (by this device's
 * key), the rooms to join after login, the identity and pinned-hosts files, the sound devices,
 * the voice mode and whether the terminal UI uses colours. Settings before any section apply
 * always; those under a "[NAME]" line only when parley is started as `parley NAME`, so one file
 * holds several servers, each with its nickname and rooms. main.c applies the file first and the
 * command line after it, so the command line wins. A password is never read from it.
 */
#ifndef PL_CLIENTCFG_H
#define PL_CLIENTCFG_H

#include <stdbool.h>
#include <stddef.h>

#include "client/client.h"

#define PL_CLIENTCFG_NAME_MAX 64 /* a section's name */

/*
 * Applies the settings in text (the file's contents, NUL-terminated) to o: those before any
 * section, then those of the section named profile (NULL: none), *found telling whether the file
 * has that section (found may be NULL). Every section is checked. path names the file in the
 * sentence put in err when a line is wrong ("FILE line N: what is wrong and what to write"); the
 * first wrong line ends the parse. Returns 0 or -EINVAL. Pure: no file, no clock.
 */
int pl_clientcfg_parse(struct pl_client_opts *o, const char *path, const char *text, const char *profile,
		       bool *found, char *err, size_t errsz);

/*
 * Reads the file at path and applies it. A missing file is no error unless must_exist (a file
 * named with --config); an unreadable one is. Returns 0, or -errno with a sentence in err.
 */
int pl_clientcfg_load(struct pl_client_opts *o, const char *path, bool must_exist, const char *profile,
		      bool *found, char *err, size_t errsz);

/* Whether a setting's text means on (true) or off (false): on/off, yes/no, true/false, 1/0.
 * Returns -1 for anything else. Also used for --colors. */
int pl_clientcfg_bool(const char *v);

#endif
