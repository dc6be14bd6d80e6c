/*
 * fuzz_clientcfg: the client's config file parser (client/clientcfg.h, pl_clientcfg_parse). The
 * first byte picks whether there is a profile (bit 0); when there is, it is the input's first line
 * (after that byte), and the rest is the file; otherwise the whole rest is the file. NUL bytes end
 * the text early, as they would a C string (pl_clientcfg_load refuses files that hold any).
 *
 * Invariants: the parser answers 0 or -EINVAL, and the same (with the same sentence) whichever
 * profile it is given, since every section is checked. An error is a sentence naming the file and
 * the line. A success leaves every string field NUL-terminated inside its array; the nickname
 * empty or valid, the server what it was or a HOST[:PORT] net/addr splits, the paths what they
 * were, empty or full paths; nrooms within PL_CLIENT_ROOMS and each room valid; frame_ms 0, 10 or
 * 20; voice_mode a value of enum pl_voice_mode; the fields the file has no setting for (the
 * password above all) untouched; *found false when there is no profile.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client/clientcfg.h"
#include "client/vstats.h"
#include "core/names.h"
#include "fuzz.h"
#include "net/addr.h"

#define TERMINATED(a) (memchr((a), '\0', sizeof(a)) != NULL)

static void defaults(struct pl_client_opts *o)
{
	memset(o, 0, sizeof *o);
	snprintf(o->server, sizeof o->server, "localhost:7787");
	snprintf(o->identity, sizeof o->identity, "/home/x/.config/parley/identity");
	snprintf(o->password, sizeof o->password, "from-the-environment");
	snprintf(o->udp_via, sizeof o->udp_via, "127.0.0.1:9");
	o->voice_mode = PL_VOICE_VAD;
}

/* A path setting: as it was, "" (identity = none), or a full path of at least one byte. */
static void check_path(const char *now, const char *before, bool may_be_empty)
{
	FUZZ_CHECK(!strcmp(now, before) || (now[0] == '/') || (may_be_empty && !now[0]));
}

static void check_success(const struct pl_client_opts *o, const struct pl_client_opts *d)
{
	FUZZ_CHECK(TERMINATED(o->server) && TERMINATED(o->nick) && TERMINATED(o->password));
	FUZZ_CHECK(TERMINATED(o->realname) && TERMINATED(o->voice_in) && TERMINATED(o->voice_out));
	FUZZ_CHECK(TERMINATED(o->known_hosts) && TERMINATED(o->identity) && TERMINATED(o->device_name));
	FUZZ_CHECK(TERMINATED(o->input) && TERMINATED(o->output) && TERMINATED(o->log_dir));
	FUZZ_CHECK(TERMINATED(o->voice_stats) && TERMINATED(o->udp_via) && TERMINATED(o->direct_bind));
	FUZZ_CHECK(TERMINATED(o->passphrase_file) && TERMINATED(o->contacts));

	FUZZ_CHECK(!o->nick[0] || pl_nick_valid(o->nick));
	if (strcmp(o->server, d->server)) {
		char host[256], e[300];
		uint16_t port;
		FUZZ_CHECK(pl_hostport_split(o->server, host, sizeof host, &port, PL_CLIENT_PORT, e, sizeof e) == 0);
	}
	check_path(o->identity, d->identity, true);
	check_path(o->known_hosts, d->known_hosts, false);
	check_path(o->log_dir, d->log_dir, false);
	FUZZ_CHECK(o->nrooms <= PL_CLIENT_ROOMS);
	for (unsigned i = 0; i < o->nrooms; i++)
		FUZZ_CHECK(TERMINATED(o->rooms[i]) && pl_room_valid(o->rooms[i]));
	FUZZ_CHECK(o->frame_ms == 0 || o->frame_ms == 10 || o->frame_ms == 20);
	FUZZ_CHECK(o->voice_mode == PL_VOICE_CONTINUOUS || o->voice_mode == PL_VOICE_VAD ||
		   o->voice_mode == PL_VOICE_PTT);

	/* What the file has no setting for. */
	FUZZ_CHECK(!strcmp(o->password, d->password) && !strcmp(o->realname, d->realname));
	FUZZ_CHECK(!strcmp(o->udp_via, d->udp_via) && !strcmp(o->voice_stats, d->voice_stats));
	FUZZ_CHECK(!strcmp(o->contacts, d->contacts) && !strcmp(o->passphrase_file, d->passphrase_file));
	FUZZ_CHECK(o->json == d->json && o->tui == d->tui && o->direct == d->direct);
	FUZZ_CHECK(o->jitter_frames == d->jitter_frames && o->direct_port == d->direct_port);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool has_profile = data[0] & 1;
	char *buf = malloc(size); /* the rest, NUL-terminated */
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	const char *profile = NULL, *text = buf;
	if (has_profile) {
		char *nl = strchr(buf, '\n');
		profile = buf;
		text = nl ? nl + 1 : "";
		if (nl)
			*nl = '\0';
	}

	static struct pl_client_opts o, d, o2;
	char err[2048], err2[2048];
	bool found = true, found2 = true;
	defaults(&d);
	o = d;
	memset(err, 0, sizeof err);
	int rc = pl_clientcfg_parse(&o, "cfg", text, profile, &found, err, sizeof err);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	FUZZ_CHECK(TERMINATED(err));
	if (rc == 0) {
		check_success(&o, &d);
	} else {
		/* "cfg line N: what is wrong ..." */
		FUZZ_CHECK(!strncmp(err, "cfg line ", 9) && strstr(err, ": ") && strlen(err) > 20);
	}
	if (!profile)
		FUZZ_CHECK(!found);

	/* The same answer with no profile or another one: every section is checked. */
	o2 = d;
	memset(err2, 0, sizeof err2);
	int rc2 = pl_clientcfg_parse(&o2, "cfg", text, has_profile ? NULL : "work", &found2, err2, sizeof err2);
	FUZZ_CHECK(rc2 == rc && !strcmp(err, err2));
	if (rc2 == 0)
		check_success(&o2, &d);
	fuzz_sink = (uintptr_t)o.nrooms + o2.nrooms;
	free(buf);
	return 0;
}
