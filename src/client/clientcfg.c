#include "client/clientcfg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/vstats.h"
#include "core/err.h"
#include "core/names.h"
#include "net/addr.h"

#define CFG_FILE_MAX (1 << 20) /* a config file is a few lines; a megabyte is something else */

enum kind { K_SERVER, K_NICK, K_ROOMS, K_PATH, K_IDENTITY, K_TEXT, K_MODE, K_COLORS, K_PROCESSING, K_FRAME };

/* The settings, each once: its key, how its value is read, and where it goes. */
static const struct setting {
	const char *key;
	enum kind kind;
	size_t off, size;
} settings[] = {
#define S(k, kind, field) {k, kind, offsetof(struct pl_client_opts, field), sizeof(((struct pl_client_opts *)0)->field)}
	S("server", K_SERVER, server),
	S("nick", K_NICK, nick),
	S("rooms", K_ROOMS, rooms),
	S("identity", K_IDENTITY, identity),
	S("known_hosts", K_PATH, known_hosts),
	S("device_name", K_TEXT, device_name),
	S("input", K_TEXT, input),
	S("output", K_TEXT, output),
	S("voice_mode", K_MODE, voice_mode),
	S("frame_ms", K_FRAME, frame_ms),
	S("colors", K_COLORS, no_colors),
	S("processing", K_PROCESSING, no_processing),
	S("log_dir", K_PATH, log_dir),
#undef S
};
#define N_SETTINGS (sizeof settings / sizeof settings[0])

int pl_clientcfg_bool(const char *v)
{
	if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
		return 1;
	if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
		return 0;
	return -1;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* "rooms = #tea, #music": each room checked, all or none taken. */
static int set_rooms(struct pl_client_opts *o, char *v, const char *where, char *err, size_t errsz)
{
	char rooms[PL_CLIENT_ROOMS][PL_ROOM_MAX + 1];
	unsigned n = 0;
	for (char *save = NULL, *r = strtok_r(v, ",", &save); r; r = strtok_r(NULL, ",", &save)) {
		r = trim(r);
		if (!*r)
			continue;
		if (!pl_room_valid(r)) {
			snprintf(err, errsz, "%s: '%s' is not a room name. %s Separate rooms with commas: "
				 "rooms = #tea, #music.", where, r, pl_err_sentence(PL_ERR_BAD_ROOM));
			return -EINVAL;
		}
		if (n == PL_CLIENT_ROOMS) {
			snprintf(err, errsz, "%s: more than %d rooms; the client is in at most %d at once.", where,
				 PL_CLIENT_ROOMS, PL_CLIENT_ROOMS);
			return -EINVAL;
		}
		snprintf(rooms[n++], sizeof rooms[0], "%s", r);
	}
	memcpy(o->rooms, rooms, sizeof rooms);
	o->nrooms = n;
	return 0;
}

static int set(struct pl_client_opts *o, const struct setting *s, char *v, const char *where, char *err, size_t errsz)
{
	char *dst = (char *)o + s->off;
	char e[300];
	int b;
	switch (s->kind) {
	case K_SERVER: {
		char host[256];
		uint16_t port;
		if (strlen(v) >= s->size || pl_hostport_split(v, host, sizeof host, &port, PL_CLIENT_PORT, e, sizeof e) < 0) {
			snprintf(err, errsz, "%s: server %s Write server = HOST or HOST:PORT.", where,
				 strlen(v) >= s->size ? "is too long." : e);
			return -EINVAL;
		}
		break;
	}
	case K_NICK:
		if (!pl_nick_valid(v)) {
			snprintf(err, errsz, "%s: '%s' is not a nickname. %s", where, v, pl_err_sentence(PL_ERR_BAD_NICK));
			return -EINVAL;
		}
		break;
	case K_ROOMS:
		return set_rooms(o, v, where, err, errsz);
	case K_IDENTITY:
		if (!strcmp(v, "none")) { /* as --no-identity: passwords only */
			o->identity[0] = '\0';
			return 0;
		}
		/* fall through */
	case K_PATH:
		if (v[0] != '/') { /* relative to wherever parley starts is nowhere in particular */
			snprintf(err, errsz, "%s: %s needs a full path starting with '/', not '%s'%s.", where, s->key, v,
				 v[0] == '~' ? " (the config file does not expand '~')" : "");
			return -EINVAL;
		}
		/* fall through */
	case K_TEXT:
		if (!*v || strlen(v) >= s->size) {
			snprintf(err, errsz, "%s: %s needs a value of 1 to %zu bytes.", where, s->key, s->size - 1);
			return -EINVAL;
		}
		break;
	case K_MODE:
		if (!strcmp(v, "vad"))
			o->voice_mode = PL_VOICE_VAD;
		else if (!strcmp(v, "continuous"))
			o->voice_mode = PL_VOICE_CONTINUOUS;
		else if (!strcmp(v, "ptt"))
			o->voice_mode = PL_VOICE_PTT;
		else {
			snprintf(err, errsz, "%s: voice_mode is vad, continuous or ptt, not '%s'.", where, v);
			return -EINVAL;
		}
		return 0;
	case K_FRAME:
		if (strcmp(v, "10") && strcmp(v, "20")) {
			snprintf(err, errsz, "%s: frame_ms is 10 or 20 (milliseconds of sound in each voice packet), not '%s'.",
				 where, v);
			return -EINVAL;
		}
		o->frame_ms = (unsigned)atoi(v);
		return 0;
	case K_COLORS:
	case K_PROCESSING:
		if ((b = pl_clientcfg_bool(v)) < 0) {
			snprintf(err, errsz, "%s: %s is on or off, not '%s'.", where, s->key, v);
			return -EINVAL;
		}
		*(bool *)(void *)dst = !b; /* both are kept as their negation: no_colors, no_processing */
		return 0;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

int pl_clientcfg_parse(struct pl_client_opts *o, const char *path, const char *text, const char *profile,
		       bool *found, char *err, size_t errsz)
{
	char where[4200];
	int no = 0;
	/* The settings of other servers' sections are checked too, into scratch: a mistake is found
	 * the day it is made, not the day that section is first used. */
	struct pl_client_opts scratch = *o, *dst = o;
	if (found)
		*found = false;
	for (const char *p = text; *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		no++;
		snprintf(where, sizeof where, "%s line %d", path, no);
		char line[4096 + 512];
		if (len >= sizeof line) {
			snprintf(err, errsz, "%s: the line is longer than any setting can be; check the file.", where);
			return -EINVAL;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (eol ? 1 : 0);
		char *hash = strchr(line, '#');
		/* '#' starts a comment, except in the value of rooms, where it starts each room. */
		char *eq = strchr(line, '=');
		if (hash && (!eq || hash < eq)) {
			*hash = '\0';
			eq = NULL;
		}
		char *l = trim(line);
		if (!*l)
			continue;
		if (*l == '[') { /* [NAME]: the settings below are for `parley NAME` */
			size_t n = strlen(l);
			bool ok = n > 2 && l[n - 1] == ']' && n - 2 <= PL_CLIENTCFG_NAME_MAX;
			for (size_t i = 1; ok && i < n - 1; i++)
				ok = l[i] != ' ' && l[i] != '\t' && l[i] != '[' && l[i] != ']' && l[i] != '=';
			if (!ok) {
				snprintf(err, errsz, "%s: a section is [NAME], a name of 1 to %d characters without spaces "
					 "or brackets, e.g. [work]; parley NAME then uses the settings below it.", where,
					 PL_CLIENTCFG_NAME_MAX);
				return -EINVAL;
			}
			l[n - 1] = '\0';
			bool mine = profile && !strcmp(l + 1, profile);
			if (mine && found)
				*found = true;
			dst = mine ? o : &scratch;
			continue;
		}
		if (!eq) {
			snprintf(err, errsz, "%s: expected 'key = value', e.g. 'server = chat.example.org'.", where);
			return -EINVAL;
		}
		*eq = '\0';
		char *key = trim(l), *val = eq + 1;
		const struct setting *s = NULL;
		for (size_t i = 0; i < N_SETTINGS && !s; i++)
			if (!strcmp(settings[i].key, key))
				s = &settings[i];
		if (!strcmp(key, "password")) {
			snprintf(err, errsz, "%s: the password is never read from a file. Log in once with /login NICK "
				 "PASSWORD (or PARLEY_PASSWORD with --nick): that registers this device's key, and "
				 "'nick = NICK' logs in by it from then on. Remove the line.", where);
			return -EINVAL;
		}
		if (!s) {
			snprintf(err, errsz, "%s: unknown setting '%s'; the settings are server, nick, rooms, identity, "
				 "known_hosts, device_name, input, output, voice_mode, frame_ms, colors and processing (parley(1)).",
				 where, key);
			return -EINVAL;
		}
		if (s->kind != K_ROOMS) { /* elsewhere '#' after the '=' is a comment too */
			char *h = strchr(val, '#');
			if (h)
				*h = '\0';
		} else {
			/* In rooms, '#' starts each room; a comment is a '#' that no name follows:
			 * "rooms = #tea, #music  # the usual" */
			for (char *h = val; (h = strchr(h, '#')); h++)
				if (h[1] == ' ' || h[1] == '\t' || h[1] == '\0') {
					*h = '\0';
					break;
				}
		}
		val = trim(val);
		if (!*val && s->kind != K_ROOMS) {
			snprintf(err, errsz, "%s: %s has no value; give one, or remove the line.", where, key);
			return -EINVAL;
		}
		int rc = set(dst, s, val, where, err, errsz);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int pl_clientcfg_load(struct pl_client_opts *o, const char *path, bool must_exist, const char *profile,
		      bool *found, char *err, size_t errsz)
{
	if (found)
		*found = false;
	FILE *f = fopen(path, "r");
	if (!f) {
		int e = errno;
		if (e == ENOENT && !must_exist)
			return 0;
		snprintf(err, errsz, "Cannot read the config file %s (%s); %s", path, strerror(e),
			 must_exist ? "check the path given to --config." : "check its permissions, or remove it.");
		return -e;
	}
	char *text = malloc(CFG_FILE_MAX + 1);
	if (!text) {
		fclose(f);
		snprintf(err, errsz, "Out of memory reading the config file %s.", path);
		return -ENOMEM;
	}
	size_t n = fread(text, 1, CFG_FILE_MAX + 1, f);
	int rerr = ferror(f);
	fclose(f);
	int rc = 0;
	if (rerr) {
		snprintf(err, errsz, "Cannot read the config file %s; check that it is a file.", path);
		rc = -EIO;
	} else if (n > CFG_FILE_MAX) {
		snprintf(err, errsz, "The config file %s is larger than 1 MiB; it is not a parley config file.", path);
		rc = -EFBIG;
	} else if (memchr(text, '\0', n)) {
		snprintf(err, errsz, "The config file %s holds NUL bytes; it is not a text file.", path);
		rc = -EINVAL;
	} else {
		text[n] = '\0';
		rc = pl_clientcfg_parse(o, path, text, profile, found, err, errsz);
	}
	free(text);
	return rc;
}
