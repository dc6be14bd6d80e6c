/* Direct mode's commands, contacts and event loop (client/direct.h; the calls are direct.c's). */
#include "client/direct_int.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "client/cmds.h"
#include "client/identity.h"
#include "core/mformat.h"
#include "core/names.h"

static const char *const help_lines[] = {
	"Direct mode: calls with no server.",
	"  /call HOST:PORT|NAME [FORMAT]  call an address ([v6]:port for IPv6) or a contact",
	"  /answer, /deny                 take or refuse the call that rings",
	"  /hangup                        end the call",
	"  /status HOST:PORT|NAME         ask whether a peer is there, without ringing it",
	"  /verify                        the codes matched aloud: remember the peer's device key as verified",
	"  /contact add NAME HOST:PORT    add a contact (the book is encrypted with your passphrase)",
	"  /contact del NAME, /contacts   remove one, list them",
	"  TEXT, or /msg TEXT             a message to the peer of the call",
	"  /voice FILE.wav, /record FILE.wav, /stoprecord, /stats, /mute, /deafen, /ptt, /quit",
};

/* --- addresses --- */

/* target is a contact's name or HOST:PORT: the address to send to and how to name it. 0, or
 * -errno after saying what is wrong. */
static int resolve(struct direct *d, const char *target, struct sockaddr_storage *ss, socklen_t *len, char *shown,
		   size_t shownsz, bool *contact)
{
	const struct pl_cbook_entry *e = d->book ? pl_cbook_get(d->book, target) : NULL;
	const char *addr = e ? e->addr : target;
	char host[256], err[300], s[700];
	uint16_t port = 0;
	if (e && !e->addr[0]) {
		snprintf(s, sizeof s, "The contact %s has no address; /contact add %s HOST:PORT.", e->name, e->name);
		pl_ui_local_error(&d->ui, s);
		return -EINVAL;
	}
	int rc = pl_hostport_split(addr, host, sizeof host, &port, 0, err, sizeof err);
	if (rc == 0 && port == 0) {
		snprintf(err, sizeof err, "It has no port.");
		rc = -EINVAL;
	}
	if (rc == 0)
		rc = pl_addr_resolve(host, port, SOCK_DGRAM, ss, len, err, sizeof err);
	if (rc < 0) {
		snprintf(s, sizeof s, "'%s' is neither a contact nor a usable HOST:PORT (%s) Give an address such as "
			 "192.0.2.7:40000 or [2001:db8::7]:40000, or a name from /contacts.", target, err);
		pl_ui_local_error(&d->ui, s);
		return rc;
	}
	if (contact)
		*contact = e != NULL;
	if (e)
		snprintf(shown, shownsz, "%s", e->name);
	else
		pl_addr_fmt((struct sockaddr *)ss, shown, shownsz);
	return 0;
}

/* --- the contacts book --- */

static bool have_book(struct direct *d)
{
	if (!d->book)
		pl_ui_local_error(&d->ui, "The contacts book is closed: start parley with --passphrase-file FILE or "
					  "PARLEY_PASSPHRASE set (or on a terminal, which asks for it).");
	return d->book != NULL;
}

static void contact_add(struct direct *d, const char *name, const char *addr)
{
	char host[256], err[600];
	uint16_t port = 0;
	if (!have_book(d))
		return;
	if (pl_hostport_split(addr, host, sizeof host, &port, 0, err, sizeof err) < 0 || port == 0) {
		pl_ui_local_error(&d->ui, "A contact's address is HOST:PORT, or [v6]:PORT for IPv6.");
		return;
	}
	if (pl_cbook_put_err(d->book, name, addr, NULL, false, err, sizeof err) < 0) {
		pl_ui_local_error(&d->ui, err);
		return;
	}
	char s[600];
	snprintf(s, sizeof s, "Contact %s added at %s.", name, addr);
	const char *kv[] = {"name", name, "addr", addr, NULL};
	pl_ui_event(&d->ui, "contact_saved", kv, s);
}

static void contact_del(struct direct *d, const char *name)
{
	char err[600];
	if (!have_book(d))
		return;
	if (pl_cbook_del(d->book, name, err, sizeof err) < 0) {
		pl_ui_local_error(&d->ui, err);
		return;
	}
	char s[200];
	snprintf(s, sizeof s, "Contact %s deleted.", name);
	const char *kv[] = {"name", name, NULL};
	pl_ui_event(&d->ui, "contact_removed", kv, s);
}

static void contacts(struct direct *d)
{
	if (!have_book(d))
		return;
	size_t n = pl_cbook_count(d->book);
	for (size_t i = 0; i < n; i++) {
		const struct pl_cbook_entry *e = pl_cbook_at(d->book, i);
		char fp[PL_KEY_FP_STR] = "", s[600];
		if (e->has_key)
			pl_key_fingerprint(fp, e->key);
		snprintf(s, sizeof s, "  %s  %s  %s%s", e->name, e->addr[0] ? e->addr : "(no address)",
			 e->has_key ? fp : "(no key yet)", e->verified ? "  verified" : "");
		const char *kv[] = {"name", e->name, "addr", e->addr, "fingerprint", fp, "verified",
				    e->verified ? "yes" : "no", NULL};
		pl_ui_event(&d->ui, "contact", kv, s);
	}
	char num[24], s[100];
	snprintf(num, sizeof num, "%zu", n);
	snprintf(s, sizeof s, "%zu contact%s.", n, n == 1 ? "" : "s");
	const char *kv[] = {"#count", num, NULL};
	pl_ui_event(&d->ui, "contacts_end", kv, s);
}

static void verify(struct direct *d)
{
	struct dcall *c = &d->call;
	const char *name = c->keyed ? c->peer : d->have_last ? d->last_peer : NULL;
	const char *addr = c->keyed ? c->addr_str : d->last_addr;
	const uint8_t *key = c->keyed ? c->keys.peer_key : d->last_key;
	if (!name) {
		pl_ui_local_error(&d->ui, "Nothing to verify: call the peer, compare the code aloud, then /verify.");
		return;
	}
	if (!have_book(d))
		return;
	/* An address seen from a peer is where it listens: calls leave from the listening port. */
	const struct pl_cbook_entry *e = pl_cbook_get(d->book, name);
	char err[600], fp[PL_KEY_FP_STR], s[700];
	if (pl_cbook_put_err(d->book, name, e && e->addr[0] ? NULL : addr, key, true, err, sizeof err) < 0) {
		pl_ui_local_error(&d->ui, err);
		return;
	}
	pl_key_fingerprint(fp, key);
	snprintf(s, sizeof s, "%s's device %s is now verified and kept in your contacts: a call from another key "
		 "will warn you.", name, fp);
	struct pl_ui_call ev = {.event = "verified", .call = c->id, .nick = name, .fingerprint = fp, .verified = "yes",
				.sentence = s};
	pl_ui_call(&d->ui, &ev);
}

/* --- commands --- */

static void cmd_call(struct direct *d, const char *target, const char *media)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char shown[PL_DMSG_NAME_MAX + 1], why[300];
	struct pl_media_format f;
	pl_mformat_default(&f);
	if (media && *media && pl_mformat_parse(media, &f, why, sizeof why) < 0) {
		pl_ui_local_error(&d->ui, why);
		return;
	}
	bool contact;
	if (resolve(d, target, &ss, &len, shown, sizeof shown, &contact) == 0)
		dr_call_start(d, (struct sockaddr *)&ss, len, shown, contact, &f);
}

static void cmd_status(struct direct *d, const char *target)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char shown[PL_DMSG_NAME_MAX + 1];
	if (resolve(d, target, &ss, &len, shown, sizeof shown, NULL) == 0)
		dr_status(d, (struct sockaddr *)&ss, len, shown);
}

static void quit(struct direct *d)
{
	if (d->quitting)
		return;
	d->quitting = true;
	dr_quit_call(d);
	event_base_loopexit(d->base, NULL);
}

/* The commands direct mode shares with the server client (client/cmds.h): voice files, sound
 * controls, statistics, quitting. */
static void shared_cmd(struct direct *d, const struct pl_cmd *cmd)
{
	char err[512];
	struct pl_voice_stats st;
	pl_voice_stats(d->voice, &st);
	switch (cmd->kind) {
	case PL_CMD_NONE:
		return;
	case PL_CMD_QUIT:
		quit(d);
		return;
	case PL_CMD_HELP:
		for (size_t i = 0; i < sizeof help_lines / sizeof help_lines[0]; i++)
			pl_ui_info(&d->ui, "help", help_lines[i]);
		return;
	case PL_CMD_VOICE_SEND:
	case PL_CMD_RECORD: {
		bool send = cmd->kind == PL_CMD_VOICE_SEND;
		int rc = send ? pl_voice_send_file(d->voice, cmd->path, err, sizeof err)
			      : pl_voice_record(d->voice, cmd->path, err, sizeof err);
		if (rc < 0)
			pl_ui_local_error(&d->ui, err);
		else if (!send)
			pl_ui_info(&d->ui, "recording", "Recording what you hear.");
		return;
	}
	case PL_CMD_STOP_RECORD:
		pl_voice_stop_record(d->voice);
		return;
	case PL_CMD_STATS:
		pl_ui_voice_stats(&d->ui, &st);
		return;
	case PL_CMD_MUTE:
		pl_voice_set_mute(d->voice, !st.muted);
		st.muted = !st.muted;
		break;
	case PL_CMD_DEAFEN:
		pl_voice_set_deafen(d->voice, !st.deafened);
		st.deafened = !st.deafened;
		break;
	case PL_CMD_PTT:
		st.ptt = st.mode == PL_VOICE_PTT ? !st.ptt : true;
		st.mode = PL_VOICE_PTT;
		pl_voice_set_mode(d->voice, PL_VOICE_PTT);
		pl_voice_set_ptt(d->voice, st.ptt);
		break;
	case PL_CMD_VAD:
		st.mode = PL_VOICE_VAD;
		st.ptt = false;
		pl_voice_set_mode(d->voice, PL_VOICE_VAD);
		pl_voice_set_ptt(d->voice, false);
		break;
	default:
		pl_ui_local_error(&d->ui, "That command needs a server. In direct mode: /call, /answer, /deny, "
					  "/hangup, /status, /verify, /contact, /contacts, /msg; /help lists them.");
		return;
	}
	pl_ui_voice_state(&d->ui, &st);
}

static void usage(struct direct *d, const char *u)
{
	char s[300];
	snprintf(s, sizeof s, "Usage: %s", u);
	pl_ui_local_error(&d->ui, s);
}

/* A line in the line mode or the terminal UI: a direct command, text for the peer, or a shared
 * command. */
void dr_line(struct direct *d, char *line, size_t len)
{
	if (line[0] != '/' || (len > 1 && line[1] == '/')) {
		if (len)
			dr_text(d, line[0] == '/' ? line + 1 : line);
		return;
	}
	char orig[DR_LINE_MAX];
	snprintf(orig, sizeof orig, "%s", line);
	char *rest = line + 1, *verb = strsep(&rest, " ");
	while (rest && *rest == ' ')
		rest++;
	char *a1 = rest ? strsep(&rest, " ") : NULL, *a2 = rest;
	while (a2 && *a2 == ' ')
		a2++;
	if (!strcmp(verb, "call")) {
		if (!a1 || !*a1)
			usage(d, "/call HOST:PORT|NAME [FORMAT]");
		else
			cmd_call(d, a1, a2);
	} else if (!strcmp(verb, "answer")) {
		dr_answer(d);
	} else if (!strcmp(verb, "deny")) {
		dr_deny(d);
	} else if (!strcmp(verb, "hangup")) {
		dr_hangup(d);
	} else if (!strcmp(verb, "status")) {
		if (!a1 || !*a1)
			usage(d, "/status HOST:PORT|NAME");
		else
			cmd_status(d, a1);
	} else if (!strcmp(verb, "verify")) {
		verify(d);
	} else if (!strcmp(verb, "contacts")) {
		contacts(d);
	} else if (!strcmp(verb, "contact")) {
		char *name = a2 ? strsep(&a2, " ") : NULL;
		while (a2 && *a2 == ' ')
			a2++;
		if (a1 && !strcmp(a1, "add") && name && *name && a2 && *a2)
			contact_add(d, name, a2);
		else if (a1 && !strcmp(a1, "del") && name && *name && !a2)
			contact_del(d, name);
		else
			usage(d, "/contact add NAME HOST:PORT, or /contact del NAME");
	} else if (!strcmp(verb, "msg")) {
		const char *text = orig + 4;
		while (*text == ' ')
			text++;
		if (!*text)
			usage(d, "/msg TEXT");
		else
			dr_text(d, text); /* the rest of the line, spaces and all */
	} else {
		struct pl_cmd cmd;
		char err[512];
		if (pl_ui_parse(false, orig, strlen(orig), "", &cmd, err, sizeof err) < 0)
			pl_ui_local_error(&d->ui, err);
		else
			shared_cmd(d, &cmd);
	}
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A command in the JSON mode: {"cmd":"call","to":"HOST:PORT"}, and so on (docs/JSON.md). */
static void json_line(struct direct *d, const char *line, size_t len)
{
	json_error_t je;
	json_t *o = json_loadb(line, len, 0, &je);
	const char *cmd = o ? jstr(o, "cmd") : NULL;
	if (!cmd) {
		json_decref(o);
		pl_ui_local_error(&d->ui, "Each line is a JSON object with a \"cmd\"; see docs/JSON.md.");
		return;
	}
	json_t *tagv = json_object_get(o, "tag");
	pl_ui_context(&d->ui, cmd, json_is_integer(tagv) ? (uint32_t)json_integer_value(tagv) : 0);
	const char *to = jstr(o, "to"), *name = jstr(o, "name"), *addr = jstr(o, "addr"), *text = jstr(o, "text");
	if (!strcmp(cmd, "call") || !strcmp(cmd, "status")) {
		if (!to)
			usage(d, !strcmp(cmd, "call")
					 ? "{\"cmd\":\"call\",\"to\":\"HOST:PORT|NAME\"[,\"media\":\"FORMAT\"]}"
					 : "{\"cmd\":\"status\",\"to\":\"HOST:PORT|NAME\"}");
		else if (!strcmp(cmd, "call"))
			cmd_call(d, to, jstr(o, "media"));
		else
			cmd_status(d, to);
	} else if (!strcmp(cmd, "answer")) {
		dr_answer(d);
	} else if (!strcmp(cmd, "deny")) {
		dr_deny(d);
	} else if (!strcmp(cmd, "hangup")) {
		dr_hangup(d);
	} else if (!strcmp(cmd, "verify")) {
		verify(d);
	} else if (!strcmp(cmd, "contacts")) {
		contacts(d);
	} else if (!strcmp(cmd, "contact_add")) {
		if (!name || !addr)
			usage(d, "{\"cmd\":\"contact_add\",\"name\":\"NAME\",\"addr\":\"HOST:PORT\"}");
		else
			contact_add(d, name, addr);
	} else if (!strcmp(cmd, "contact_del")) {
		if (!name)
			usage(d, "{\"cmd\":\"contact_del\",\"name\":\"NAME\"}");
		else
			contact_del(d, name);
	} else if (!strcmp(cmd, "say")) {
		if (!text)
			usage(d, "{\"cmd\":\"say\",\"text\":\"TEXT\"}");
		else
			dr_text(d, text);
	} else {
		struct pl_cmd c;
		char err[512];
		if (pl_ui_parse(true, line, len, "", &c, err, sizeof err) < 0)
			pl_ui_local_error(&d->ui, err);
		else
			shared_cmd(d, &c);
	}
	pl_ui_context(&d->ui, NULL, 0);
	json_decref(o);
}

static void on_stdin(evutil_socket_t fd, short what, void *arg)
{
	struct direct *d = arg;
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof buf);
	if (n <= 0) {
		quit(d); /* the end of input: a call there is hangs up */
		return;
	}
	for (ssize_t i = 0; i < n && !d->quitting; i++) {
		if (buf[i] != '\n') {
			if (d->line_len < sizeof d->line - 1)
				d->line[d->line_len++] = buf[i];
			continue;
		}
		d->line[d->line_len] = '\0';
		size_t len = d->line_len;
		d->line_len = 0;
		if (len && d->line[len - 1] == '\r')
			d->line[--len] = '\0';
		if (d->o->json)
			json_line(d, d->line, len);
		else
			dr_line(d, d->line, len);
		sodium_memzero(d->line, sizeof d->line);
	}
}

/* --- starting --- */

static void on_voice_sent(uint64_t frames, void *arg)
{
	struct direct *d = arg;
	pl_ui_voice_sent(&d->ui, frames);
}

static void on_voice_notice(const char *sentence, void *arg)
{
	struct direct *d = arg;
	pl_ui_info(&d->ui, "voice_notice", sentence);
}

/* The device's key for direct calls: the identity's, for a "server" of its own, so a peer sees
 * one key for this device whoever it is and a server account's key is not linked to it. */
static int load_identity(struct direct *d, char *err, size_t errsz)
{
	if (!d->o->identity[0]) {
		snprintf(err, errsz, "Direct calls are end-to-end encrypted to device keys, and this client runs "
			 "without an identity; start it without --no-identity.");
		return -EINVAL;
	}
	uint8_t secret[PL_IDENTITY_SECRET], label[PL_CERT_HASH_LEN];
	bool created;
	int rc = pl_identity_load(d->o->identity, secret, &created, err, errsz);
	if (rc < 0)
		return rc;
	static const char what[] = "parley direct mode v1";
	crypto_hash_sha256(label, (const uint8_t *)what, sizeof what - 1);
	pl_identity_keys(secret, label, d->pk, d->sk);
	sodium_memzero(secret, sizeof secret);
	return 0;
}

static int open_book(struct direct *d, char *err, size_t errsz)
{
	char path[4096], pass[1024];
	if (d->o->contacts[0])
		snprintf(path, sizeof path, "%s", d->o->contacts);
	else
		pl_cbook_default_path(path, sizeof path);
	/* Asked on the terminal only when a person is there to answer. */
	bool can_ask = !d->o->json && isatty(STDIN_FILENO);
	const char *env = getenv("PARLEY_PASSPHRASE");
	if (!d->o->passphrase_file[0] && !(env && *env) && !can_ask) {
		pl_ui_info(&d->ui, "contacts_closed",
			   "The contacts book stays closed (no --passphrase-file, no PARLEY_PASSPHRASE, no terminal "
			   "to ask on); calls by address work.");
		return 0;
	}
	int rc = pl_cbook_passphrase(pass, sizeof pass, d->o->passphrase_file, err, errsz);
	if (rc == 0)
		rc = pl_cbook_open(&d->book, path, pass, NULL, err, errsz);
	sodium_memzero(pass, sizeof pass);
	return rc;
}

static void clean_name(char *out, size_t sz, const char *in)
{
	size_t k = 0;
	for (; *in && k + 1 < sz && k < PL_DMSG_NAME_MAX; in++)
		if ((unsigned char)*in >= 0x20 && *in != 0x7f)
			out[k++] = *in;
	out[k] = '\0';
	if (!k)
		snprintf(out, sz, "parley");
}

/* After a rendezvous (client/rdvc.h), on its UDP port: the person met becomes a verified contact,
 * named by the code, and the side that asked for the code calls the other at the punched address;
 * the other side answers that call by itself (direct.c), as its key is the one the code verified. */
static void met(struct direct *d, const struct pl_rdv_result *m)
{
	char err[600], fp[PL_KEY_FP_STR], s[800];
	const char *name = m->code;
	pl_key_fingerprint(fp, m->peer_key);
	d->have_met = true;
	memcpy(d->met_key, m->peer_key, PL_DEVICE_KEY_LEN);
	/* A relayed path is parleyd's, for this call only: the contact is kept with no address. */
	const char *addr = m->path[0] && !m->relayed ? m->path : NULL;
	if (d->book && pl_cbook_put_err(d->book, name, addr, m->peer_key, true, err, sizeof err) == 0) {
		snprintf(s, sizeof s, "The person you met by room code is in your contacts as %s, at %s, device %s "
			 "verified by the code.", name, addr ? addr : "no address yet", fp);
		const char *kv[] = {"name", name, "addr", addr ? addr : "", "fingerprint", fp, "verified", "yes", NULL};
		pl_ui_event(&d->ui, "contact_saved", kv, s);
	} else {
		snprintf(s, sizeof s, "The person you met (device %s) was not saved as a contact: %s", fp,
			 d->book ? err : "the contacts book is closed (no passphrase).");
		pl_ui_info(&d->ui, "contact_not_saved", s);
	}
	if (!m->opener)
		return;
	if (!m->path[0]) {
		pl_ui_local_error(&d->ui, "No direct path to the person you met answered, so there is no call; "
					  "their key is verified all the same. Try /call HOST:PORT if you know where "
					  "they are.");
		return;
	}
	cmd_call(d, d->book && !m->relayed && pl_cbook_get(d->book, name) ? name : m->path, NULL);
}

int pl_direct_run(const struct pl_client_opts *o)
{
	struct direct *d = calloc(1, sizeof *d);
	if (!d)
		return 1;
	d->o = o;
	d->env = pl_env_system();
	d->ui.mode = o->json ? PL_UI_JSON : PL_UI_PLAIN;
	d->ui.out = stdout;
	d->exit_code = 0;
	int code = 1;
	char err[1024];
	clean_name(d->name, sizeof d->name, o->nick[0] ? o->nick : o->device_name);
	pl_env_random(d->env, &d->self_id, sizeof d->self_id);
	d->self_id |= 2; /* never 0, and its peer (self_id ^ 1) never ours */
	uint8_t hk[PL_LIMITER_HASH_KEY];
	pl_env_random(d->env, hk, sizeof hk);
	if (load_identity(d, err, sizeof err) < 0) {
		pl_ui_local_error(&d->ui, err);
		goto out;
	}
	if (open_book(d, err, sizeof err) < 0) {
		pl_ui_local_error(&d->ui, err);
		code = 2;
		goto out;
	}
	d->base = event_base_new();
	if (!d->base || pl_limiter_alloc(&d->limiter, 256, PL_DIRECT_REQ_RATE, PL_DIRECT_REQ_BURST, hk) < 0) {
		pl_ui_local_error(&d->ui, "Cannot start the event loop.");
		goto out;
	}
	static const struct pl_voice_events ev = {NULL, on_voice_sent, on_voice_notice};
	struct pl_voice_config vc;
	pl_client_voice_config(o, &vc);
	snprintf(vc.bind_addr, sizeof vc.bind_addr, "%s", o->direct_bind);
	vc.bind_port = o->direct_port;
	if (pl_voice_alloc(&d->voice, d->base, d->env, NULL, d->self_id, NULL, &vc, &ev, d, err, sizeof err) < 0) {
		char s[1200];
		snprintf(s, sizeof s, "%s Choose another --port, or leave it out for any free one.", err);
		pl_ui_local_error(&d->ui, s);
		goto out;
	}
	pl_voice_set_dgram_hook(d->voice, dr_on_dgram, d);
	dr_timers_init(d);
	if (o->tui) {
		/* On a terminal: the terminal UI owns the keyboard (after the passphrase was asked). */
		if (dr_tui_start(d, pl_voice_local_port(d->voice), err, sizeof err) < 0) {
			pl_ui_local_error(&d->ui, err);
			goto out;
		}
	} else {
		d->in_ev = event_new(d->base, STDIN_FILENO, EV_READ | EV_PERSIST, on_stdin, d);
	}
	if (!d->retx || !d->tick || !d->status_timer || (!o->tui && !d->in_ev)) {
		pl_ui_local_error(&d->ui, "Out of memory.");
		goto out;
	}
	if (d->in_ev)
		event_add(d->in_ev, NULL);
	if (o->voice_out[0] && pl_voice_record(d->voice, o->voice_out, err, sizeof err) < 0)
		pl_ui_local_error(&d->ui, err);

	char fp[PL_KEY_FP_STR], port[8], s[600];
	pl_key_fingerprint(fp, d->pk);
	snprintf(port, sizeof port, "%u", pl_voice_local_port(d->voice));
	snprintf(s, sizeof s, "Direct mode: listening on UDP port %s as %s (device %s), no server. /call HOST:PORT to "
		 "call; /help lists the commands.", port, d->name, fp);
	const char *kv[] = {"#port", port, "name", d->name, "fingerprint", fp, "contacts", d->book ? "open" : "closed",
			    NULL};
	pl_ui_event(&d->ui, "direct_ready", kv, s);
	if (o->rdv_met && o->rdv_met->ok)
		met(d, o->rdv_met);

	event_base_dispatch(d->base);
	code = d->exit_code;
out:
	dr_tui_free(d);
	if (d->in_ev)
		event_free(d->in_ev);
	dr_timers_free(d);
	pl_voice_free(d->voice);
	pl_limiter_free(d->limiter);
	pl_cbook_free(d->book);
	if (d->base)
		event_base_free(d->base);
	sodium_memzero(d, sizeof *d);
	free(d);
	return code;
}
