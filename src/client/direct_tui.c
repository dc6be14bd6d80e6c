/*
 * Direct mode in the terminal UI (client/tui.h), when parley --direct runs on a terminal: the same
 * window bar, status line and input line as server mode. The status window holds what is not
 * about a call (listening, /status answers, /contacts, /help); a call gets a window named after
 * its peer, shown when it starts or rings, where its events and messages go and where plain text
 * typed goes to the peer. The status line shows the UDP port, this device's name and the call.
 * Lines typed are direct mode's commands (direct_cmd.c), as in the line mode.
 */
#include "client/direct_int.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "client/tui.h"

static void on_line(const char *line, size_t len, void *arg)
{
	struct direct *d = arg;
	if (d->quitting)
		return;
	char buf[DR_LINE_MAX];
	if (len >= sizeof buf)
		len = sizeof buf - 1;
	memcpy(buf, line, len);
	buf[len] = '\0';
	dr_line(d, buf, len);
	sodium_memzero(buf, sizeof buf);
}

/* Direct mode keeps no history to fetch above a window's first line. */
static bool on_top(const char *window, uint64_t before_id, void *arg)
{
	(void)window, (void)before_id, (void)arg;
	return false;
}

/* What Tab completes: direct mode's commands (direct_cmd.c's help), not the server's. */
static const char *const verbs[] = {"answer", "call", "contact", "contacts", "deafen", "deny", "hangup", "help",
				    "msg", "mute", "ptt", "quit", "record", "stats", "status", "stoprecord",
				    "vad", "verify", "voice", NULL};

int dr_tui_start(struct direct *d, uint16_t port, char *err, size_t errsz)
{
	int rc = pl_tui_alloc(&d->ui.tui, d->base, !d->o->no_colors, on_line, on_top, d);
	if (rc < 0) {
		snprintf(err, errsz, "Cannot start the terminal UI; run parley --direct --plain for the line mode.");
		return rc;
	}
	d->ui.mode = PL_UI_TUI;
	pl_tui_commands(d->ui.tui, verbs);
	char conn[48];
	snprintf(conn, sizeof conn, "direct, UDP port %u", port);
	pl_tui_status(d->ui.tui, conn, d->name, "no server", "no call");
	return 0;
}

void dr_tui_call_window(struct direct *d)
{
	if (d->ui.mode == PL_UI_TUI && d->call.peer[0])
		pl_tui_show(d->ui.tui, d->call.peer);
}

void dr_tui_free(struct direct *d)
{
	if (d->ui.tui) {
		pl_tui_free(d->ui.tui); /* the terminal is given back before anything more is printed */
		d->ui.tui = NULL;
	}
	d->ui.mode = PL_UI_PLAIN;
}
