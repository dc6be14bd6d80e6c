/* Reading commands: lines typed or piped, one command each; a script's commands wait for its
 * login, and the end of its input quits once what it asked is answered. */
#include <event2/buffer.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "core/msg.h"

/* One line the person typed (line or TUI mode) or a script sent (JSON mode). */
/* Where a long message is cut: the last space within max bytes, else the last whole UTF-8
 * character (never inside one), so each part is a message of its own. */
static size_t cut_at(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	size_t cut = max;
	while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
		cut--; /* s[cut] starts a character: the part ends before it */
	for (size_t i = cut; i > max / 2; i--)
		if (s[i - 1] == ' ')
			return i;
	return cut ? cut : max;
}

void cl_handle_line(const char *line, size_t len, void *arg)
{
	struct client *c = arg;
	struct pl_cmd cmd;
	char err[512];
	if (c->quitting)
		return;
	/* A person's text longer than one message goes as several, cut between words. */
	bool text = len && (line[0] != '/' || (len > 1 && line[1] == '/'));
	if (!c->o->json && text && !c->logged_in) {
		pl_ui_local_error(&c->ui, c->welcomed ? "Log in first: /login NICK PASSWORD, or /register NICK PASSWORD."
						      : "Not connected yet: what you type goes once the server answers "
							"and you have logged in.");
		return;
	}
	if (!c->o->json && text && len > PL_TEXT_MAX) {
		size_t off = line[0] == '/' ? 1 : 0; /* "//" starts text that begins with '/' */
		while (off < len) {
			size_t n = cut_at(line + off, len - off, PL_TEXT_MAX - 1);
			char part[PL_TEXT_MAX + 2];
			size_t k = 0;
			if (line[off] == '/')
				part[k++] = '/'; /* a part that starts with '/' is still text */
			memcpy(part + k, line + off, n);
			cl_handle_line(part, k + n, c);
			sodium_memzero(part, sizeof part);
			off += n;
			while (off < len && line[off] == ' ')
				off++;
		}
		return;
	}
	c->keep_window[0] = '\0'; /* the person acts: the window they chose is what they see */
	int rc = pl_ui_parse(c->o->json, line, len, cl_current_target(c), &cmd, err, sizeof err);
	pl_ui_context(&c->ui, cmd.name, cmd.tag); /* its errors and answers name it */
	if (rc < 0) {
		pl_ui_local_error(&c->ui, err);
	} else {
		c->in_cmd = true;
		cl_run_cmd(c, &cmd);
		c->in_cmd = false;
	}
	pl_ui_context(&c->ui, NULL, 0);
	sodium_memzero(&cmd, sizeof cmd);
}

/* Whether the next command may run: not before the server's welcome, nor while a login is under
 * way (a script's commands wait for it rather than fail). */
static bool input_ready(const struct client *c)
{
	return c->welcomed && !c->auth_pending && !c->quitting;
}

static void run_line(struct client *c, char *line, size_t len)
{
	cl_handle_line(line, len, c);
	sodium_memzero(line, len);
	free(line);
}

void cl_on_stdin(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line;
	while (input_ready(c) && (line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)))
		run_line(c, line, len);
	if (!input_ready(c)) {
		bufferevent_disable(bev, EV_READ); /* the rest waits, in the pipe, until cl_input_resume */
		return;
	}
	size_t left = evbuffer_get_length(in);
	if (left > STDIN_LINE_MAX) {
		pl_ui_local_error(&c->ui, "An input line was longer than any command can be; it was discarded.");
		evbuffer_drain(in, left);
	} else if (left && c->input_eof && (line = malloc(left + 1))) { /* the last line has no newline */
		evbuffer_remove(in, line, left);
		line[left] = '\0';
		run_line(c, line, left);
	}
}

void cl_input_resume(struct client *c)
{
	if (!c->in || c->quitting)
		return;
	if (!c->input_eof)
		bufferevent_enable(c->in, EV_READ);
	cl_on_stdin(c->in, c); /* lines read already */
	cl_input_done_check(c);
}

void cl_on_eof_timer(evutil_socket_t fd, short what, void *arg)
{
	cl_quit(arg); /* answers that never came: end anyway */
}

/* End of input quits, once every command read has run and been answered (and a file being
 * talked has been sent), so `echo '{"cmd":"say",...}' | parley --json` does what it says. */
void cl_input_done_check(struct client *c)
{
	if (!c->input_eof || c->quitting || !input_ready(c))
		return;
	if (c->in && evbuffer_get_length(bufferevent_get_input(c->in)))
		return;
	if (c->voice_sending)
		return;
	if (pl_pending_count(&c->pending)) {
		struct timeval tv = {EOF_WAIT_S, 0};
		if (c->eof_timer && !evtimer_pending(c->eof_timer, NULL))
			evtimer_add(c->eof_timer, &tv);
		return;
	}
	cl_quit(c);
}

void cl_on_stdin_event(struct bufferevent *bev, short what, void *arg)
{
	struct client *c = arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		bufferevent_disable(bev, EV_READ);
		c->input_eof = true; /* end of input is /cl_quit, after what was read */
		cl_on_stdin(bev, c);
		cl_input_done_check(c);
	}
}

