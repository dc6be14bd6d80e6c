#include "server/admin.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/auth.h"
#include "core/err.h"
#include "core/names.h"
#include "net/conn.h"
#include "net/log.h"
#include "server/auth.h"
#include "server/ban.h"
#include "server/config.h"
#include "server/server.h"
#include "server/session.h"
#include "server/worker.h"
#include "store/store.h"
#include "store/storeq.h"

#define LINE_MAX_BYTES 1024 /* a command line; longer is refused */
#define CONNS_MAX 8         /* admin connections at once */
#define IDLE_S 10           /* to send the command line */
#define PASSWORD_LEN 20     /* a generated password: 20 of 56 symbols, about 116 bits */

struct admin_conn;

struct pl_admin {
	struct pl_server *srv;
	struct evconnlistener *listener;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct admin_conn *conns;
	unsigned nconns;
};

/* One admin connection: one command. While the command waits for a worker or the store it is
 * busy; a client that leaves meanwhile marks it gone, and the work's end frees it. */
struct admin_conn {
	struct pl_admin *a;
	struct bufferevent *bev;
	bool busy, gone, answered;
	struct admin_conn *next, *prev;
};

/* --- connections and answers --- */

static void conn_free(struct admin_conn *c)
{
	struct pl_admin *a = c->a;
	if (c->prev)
		c->prev->next = c->next;
	else if (a->conns == c)
		a->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	a->nconns--;
	if (c->bev)
		bufferevent_free(c->bev);
	free(c);
}

/* The client left, or the answer went out: free now, or when the work in flight ends. */
static void conn_close(struct admin_conn *c)
{
	if (!c->busy) {
		conn_free(c);
		return;
	}
	if (c->bev)
		bufferevent_free(c->bev);
	c->bev = NULL;
	c->gone = true;
}

static void out(struct admin_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(struct admin_conn *c, const char *fmt, ...)
{
	if (!c->bev)
		return;
	va_list ap;
	va_start(ap, fmt);
	evbuffer_add_vprintf(bufferevent_get_output(c->bev), fmt, ap);
	va_end(ap);
	evbuffer_add(bufferevent_get_output(c->bev), "\n", 1);
}

/* The last line; the connection closes once it is written. */
static void finish(struct admin_conn *c, const char *error_fmt, ...) __attribute__((format(printf, 2, 3)));
static void finish(struct admin_conn *c, const char *error_fmt, ...)
{
	c->answered = true;
	if (!c->bev)
		return;
	struct evbuffer *o = bufferevent_get_output(c->bev);
	if (!error_fmt) {
		evbuffer_add_printf(o, "OK\n");
	} else {
		va_list ap;
		va_start(ap, error_fmt);
		evbuffer_add_printf(o, "ERROR ");
		evbuffer_add_vprintf(o, error_fmt, ap);
		evbuffer_add(o, "\n", 1);
		va_end(ap);
	}
	bufferevent_enable(c->bev, EV_WRITE);
}

/* Work in flight for c ended: the connection, or NULL when its client left (then c is freed). */
static struct admin_conn *work_done(struct admin_conn *c)
{
	c->busy = false;
	if (c->gone) {
		conn_free(c);
		return NULL;
	}
	return c;
}

/* --- helpers --- */

static char *word(char **p)
{
	while (**p == ' ')
		(*p)++;
	if (!**p)
		return NULL;
	char *w = *p;
	while (**p && **p != ' ')
		(*p)++;
	if (**p)
		*(*p)++ = '\0';
	return w;
}

static char *rest(char **p)
{
	while (**p == ' ')
		(*p)++;
	return *p;
}

static void fmt_time(uint64_t ms, char *buf, size_t sz)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, sz, "%Y-%m-%d %H:%M:%SZ", &tm);
}

/* Closes s with ERROR 455 and detail; the nickname is free to log in again at once. */
static void end_session(struct pl_session *s, const char *detail)
{
	pl_log(PL_LOG_NOTICE, "admin: closed the session of %s (%s): %s", s->nick[0] ? s->nick : "-", s->peer, detail);
	pl_session_drop(s, PL_ERR_BANNED, 0, detail);
}

/* A nickname's account, for the commands that need one; an answer when there is none. */
static bool account(struct admin_conn *c, const char *nick, struct pl_account *acc)
{
	if (!nick || !pl_nick_valid(nick)) {
		finish(c, "'%s' is not a nickname (2 to 32 characters, no spaces, commas or quotes).", nick ? nick : "");
		return false;
	}
	int rc = pl_store_account_get(c->a->srv->store, nick, acc);
	if (rc == -ENOENT)
		finish(c, "No account has the nickname '%s'; check the spelling.", nick);
	else if (rc < 0)
		finish(c, "Cannot read the account '%s' from the database; see parleyd's log.", nick);
	return rc == 0;
}

/* --- users and kick --- */

static void cmd_users(struct admin_conn *c, char *args)
{
	struct pl_server *srv = c->a->srv;
	unsigned in = 0, out_of = 0;
	out(c, "%-32s %-46s %-20s %s", "NICK", "ADDRESS", "SINCE", "DEVICE");
	for (struct pl_session *s = srv->all; s; s = s->all_next) {
		if (s->state != PL_SESS_READY || pl_conn_closing(s->conn)) {
			out_of++;
			continue;
		}
		char since[32], dev[PL_KEY_FP_STR] = "(password)";
		fmt_time(s->login_ms, since, sizeof since);
		static const uint8_t zero[PL_DEVICE_KEY_LEN];
		if (memcmp(s->device, zero, sizeof zero) != 0)
			pl_key_fingerprint(dev, s->device);
		out(c, "%-32s %-46s %-20s %s", s->nick, s->peer, since, dev);
		in++;
	}
	out(c, "%u logged in; %u other connection(s) not logged in (yet)", in, out_of);
	finish(c, NULL);
}

static void cmd_kick(struct admin_conn *c, char *args)
{
	char *nick = word(&args), *why = rest(&args);
	struct pl_session *s = nick ? pl_server_find_nick(c->a->srv, nick) : NULL;
	if (!s) {
		finish(c, "Nobody is logged in as '%s'; parleyd admin users lists who is.", nick ? nick : "");
		return;
	}
	char d[PL_DETAIL_MAX + 1];
	snprintf(d, sizeof d, "an administrator closed this session%s%s", *why ? ": " : "", why);
	out(c, "closed the session of %s (%s)", s->nick, s->peer);
	end_session(s, d);
	finish(c, NULL);
}

/* --- bans --- */

struct ban_write {
	struct pl_store_write w;
	struct admin_conn *c;
	struct pl_server *srv;
	bool del;
	struct pl_ban_rec rec;
};

static int ban_apply(struct pl_store_write *w, struct pl_store *st)
{
	struct ban_write *b = (struct ban_write *)w;
	return b->del ? pl_store_ban_del(st, b->rec.address, b->rec.target) : pl_store_ban_put(st, &b->rec);
}

/* The ban is on disk: now in force, and the sessions it covers end. */
static void ban_done(struct pl_store_write *w, int rc)
{
	struct ban_write *b = (struct ban_write *)w;
	struct pl_server *srv = b->srv;
	struct admin_conn *c = work_done(b->c);
	const char *what = b->rec.address ? "address" : "account";
	if (b->del) {
		if (rc == 0 || rc == -ENOENT)
			pl_bans_del(srv->bans, b->rec.address, b->rec.target);
		if (rc == 0)
			pl_log(PL_LOG_NOTICE, "admin: lifted the ban of the %s %s", what, b->rec.target);
		if (c && rc == -ENOENT)
			finish(c, "The %s %s has no ban; parleyd admin bans lists them.", what, b->rec.target);
		else if (c && rc < 0)
			finish(c, "Cannot write to the database; see parleyd's log, and try again.");
		else if (c)
			finish(c, NULL);
		free(b);
		return;
	}
	if (rc < 0 || pl_bans_put(srv->bans, &b->rec) < 0) {
		if (c)
			finish(c, "Cannot store the ban; see parleyd's log, and try again.");
		free(b);
		return;
	}
	char d[PL_BAN_REASON_MAX + 64];
	pl_ban_describe(&b->rec, d, sizeof d);
	pl_log(PL_LOG_NOTICE, "admin: banned the %s %s: %s", what, b->rec.target, d);
	unsigned ended = 0;
	struct pl_cidr net;
	bool have_net = b->rec.address && pl_cidr_parse(&net, b->rec.target) == 0;
	for (struct pl_session *s = srv->all; s; s = s->all_next) {
		if (pl_conn_closing(s->conn))
			continue;
		bool hit = b->rec.address ? have_net && pl_cidr_match(&net, (struct sockaddr *)&s->peer_sa)
					  : s->state == PL_SESS_READY && strcasecmp(s->nick, b->rec.target) == 0;
		if (hit) {
			end_session(s, d);
			ended++;
		}
	}
	if (c) {
		out(c, "%s %s %s; %u session(s) closed", what, b->rec.target, d, ended);
		finish(c, NULL);
	}
	free(b);
}

static void submit_ban(struct admin_conn *c, struct ban_write *b)
{
	b->w.apply = ban_apply;
	b->w.done = ban_done;
	b->c = c;
	b->srv = c->a->srv;
	c->busy = true;
	pl_server_write(c->a->srv, &b->w);
}

/* "account NICK" or "address RANGE": the target as it is stored (the stored spelling, the range
 * canonical). False when it answered an error. */
static bool ban_target(struct admin_conn *c, char **args, struct pl_ban_rec *rec)
{
	char *kind = word(args), *t = word(args);
	if (!kind || !t || (strcmp(kind, "account") && strcmp(kind, "address"))) {
		finish(c, "Say what to ban: 'account NICK' or 'address ADDRESS[/BITS]'; parleyd admin help shows the forms.");
		return false;
	}
	rec->address = !strcmp(kind, "address");
	if (rec->address) {
		struct pl_cidr net;
		if (pl_cidr_parse(&net, t) < 0) {
			finish(c, "'%s' is not an IPv4 or IPv6 address, or a range such as 192.0.2.0/24 or 2001:db8::/48.", t);
			return false;
		}
		pl_cidr_fmt(&net, rec->target, sizeof rec->target);
		return true;
	}
	if (!pl_nick_valid(t)) {
		finish(c, "'%s' is not a nickname (2 to 32 characters, no spaces, commas or quotes).", t);
		return false;
	}
	struct pl_account acc;
	int rc = pl_store_account_get(c->a->srv->store, t, &acc);
	snprintf(rec->target, sizeof rec->target, "%s", rc == 0 ? acc.nick : t);
	sodium_memzero(&acc, sizeof acc);
	if (rc == -ENOENT)
		out(c, "note: no account has the nickname %s; while the ban lasts, nobody can register it", t);
	return true;
}

/* A ban write for the target at the start of args (answered and NULL when it is not one). */
static struct ban_write *ban_write_for(struct admin_conn *c, char **args)
{
	struct ban_write *b = calloc(1, sizeof *b);
	if (!b) {
		finish(c, "Out of memory.");
		return NULL;
	}
	if (!ban_target(c, args, &b->rec)) {
		free(b);
		return NULL;
	}
	return b;
}

static void cmd_ban(struct admin_conn *c, char *args)
{
	struct ban_write *b = ban_write_for(c, &args);
	if (!b)
		return;
	char *dur = word(&args), *why = rest(&args);
	uint64_t ms;
	if (!dur || pl_ban_duration(dur, &ms) < 0) {
		finish(c, "Give the ban's length after the %s: 90s, 30m, 12h, 7d, 4w or forever.",
		       b->rec.address ? "address" : "nickname");
		free(b);
		return;
	}
	if (!pl_line_valid(why) || strlen(why) > PL_BAN_REASON_MAX) {
		finish(c, "The reason must be at most %d bytes of text without control characters.", PL_BAN_REASON_MAX);
		free(b);
		return;
	}
	uint64_t now = pl_env_wall_ms(c->a->srv->env);
	b->rec.created_ms = now;
	b->rec.until_ms = ms ? now + ms : 0;
	snprintf(b->rec.reason, sizeof b->rec.reason, "%s", why);
	submit_ban(c, b);
}

static void cmd_unban(struct admin_conn *c, char *args)
{
	struct ban_write *b = ban_write_for(c, &args);
	if (!b)
		return;
	b->del = true;
	submit_ban(c, b);
}

static void cmd_bans(struct admin_conn *c, char *args)
{
	struct pl_server *srv = c->a->srv;
	uint64_t now = pl_env_wall_ms(srv->env);
	const struct pl_ban *b;
	unsigned n = 0;
	for (unsigned i = 0; (b = pl_bans_at(srv->bans, i, now)); i++, n++) {
		char d[PL_BAN_REASON_MAX + 64], since[32];
		pl_ban_describe(&b->rec, d, sizeof d);
		fmt_time(b->rec.created_ms, since, sizeof since);
		out(c, "%-7s %-40s since %s, %s", b->rec.address ? "address" : "account", b->rec.target, since, d);
	}
	out(c, "%u ban(s) in force", n);
	finish(c, NULL);
}

/* --- reset-password: Argon2id on a worker, then the store --- */

struct pw_job {
	struct pl_job job;
	struct pl_store_write w;
	struct admin_conn *c;
	struct pl_server *srv;
	bool ok, show;
	char nick[PL_NICK_MAX + 1];
	char password[PL_PASSWORD_MAX + 1];
	char pwhash[PL_PWHASH_MAX];
};

static void pw_free(struct pw_job *p)
{
	sodium_memzero(p, sizeof *p);
	free(p);
}

static void pw_work(struct pl_job *j)
{
	struct pw_job *p = (struct pw_job *)j;
	p->ok = pl_auth_hash_password(p->pwhash, p->password);
}

static int pw_apply(struct pl_store_write *w, struct pl_store *st)
{
	struct pw_job *p = (struct pw_job *)(void *)((char *)w - offsetof(struct pw_job, w));
	return pl_store_account_set_password(st, p->nick, p->pwhash);
}

static void pw_stored(struct pl_store_write *w, int rc)
{
	struct pw_job *p = (struct pw_job *)(void *)((char *)w - offsetof(struct pw_job, w));
	struct admin_conn *c = work_done(p->c);
	if (rc == 0)
		pl_log(PL_LOG_NOTICE, "admin: reset the password of %s", p->nick);
	if (c && rc == 0) {
		if (p->show)
			out(c, "%s", p->password);
		finish(c, NULL);
	} else if (c) {
		finish(c, rc == -ENOENT ? "The account '%s' was deleted meanwhile." : "Cannot store the new password of '%s'; "
		       "see parleyd's log, and try again.", p->nick);
	}
	pw_free(p);
}

static void pw_hashed(struct pl_job *j)
{
	struct pw_job *p = (struct pw_job *)j;
	if (!p->ok) {
		struct admin_conn *c = work_done(p->c);
		if (c)
			finish(c, "Cannot hash the password (out of memory?); try again.");
		pw_free(p);
		return;
	}
	p->w.apply = pw_apply;
	p->w.done = pw_stored;
	pl_server_write(p->srv, &p->w);
}

static void make_password(const struct pl_env *env, char *out_pw)
{
	static const char symbols[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"; /* no 0O1lI */
	const unsigned n = sizeof symbols - 1, limit = 256 - 256 % n;
	unsigned have = 0;
	while (have < PASSWORD_LEN) {
		uint8_t r[32];
		pl_env_random(env, r, sizeof r);
		for (size_t i = 0; i < sizeof r && have < PASSWORD_LEN; i++)
			if (r[i] < limit)
				out_pw[have++] = symbols[r[i] % n];
		sodium_memzero(r, sizeof r);
	}
	out_pw[have] = '\0';
}

static void cmd_reset_password(struct admin_conn *c, char *args)
{
	struct pl_server *srv = c->a->srv;
	char *nick = word(&args), *given = rest(&args);
	struct pl_account acc;
	if (!account(c, nick, &acc))
		return;
	size_t n = strlen(given);
	if (n && (n < PL_PASSWORD_MIN || n > PL_PASSWORD_MAX)) {
		finish(c, "Passwords must be %d to %d bytes long; choose another.", PL_PASSWORD_MIN, PL_PASSWORD_MAX);
		sodium_memzero(&acc, sizeof acc);
		return;
	}
	struct pw_job *p = calloc(1, sizeof *p);
	if (!p) {
		finish(c, "Out of memory.");
		sodium_memzero(&acc, sizeof acc);
		return;
	}
	p->job.work = pw_work;
	p->job.done = pw_hashed;
	p->c = c;
	p->srv = srv;
	snprintf(p->nick, sizeof p->nick, "%s", acc.nick);
	sodium_memzero(&acc, sizeof acc);
	p->show = n == 0;
	if (n)
		memcpy(p->password, given, n + 1);
	else
		make_password(srv->env, p->password);
	sodium_memzero(given, n);
	if (pl_worker_submit(srv->worker, &p->job) < 0) {
		finish(c, "Every password worker is busy; try again in %u s.", pl_worker_retry_after(srv->worker));
		pw_free(p);
		return;
	}
	c->busy = true;
}

/* --- delete --- */

struct delete_write {
	struct pl_store_write w;
	struct admin_conn *c;
	char nick[PL_NICK_MAX + 1];
};

static int delete_apply(struct pl_store_write *w, struct pl_store *st)
{
	return pl_store_account_delete(st, ((struct delete_write *)w)->nick);
}

static void delete_done(struct pl_store_write *w, int rc)
{
	struct delete_write *d = (struct delete_write *)w;
	struct admin_conn *c = work_done(d->c);
	if (rc == 0)
		pl_log(PL_LOG_NOTICE, "admin: deleted the account %s", d->nick);
	if (c && rc == 0) {
		out(c, "deleted %s: the account, its devices, contacts, contact requests, group memberships, waiting "
		    "messages and private conversations (what it said in rooms stays)", d->nick);
		finish(c, NULL);
	} else if (c) {
		finish(c, rc == -ENOENT ? "No account has the nickname '%s' any more." : "Cannot delete '%s' from the "
		       "database; see parleyd's log, and try again.", d->nick);
	}
	free(d);
}

static void cmd_delete(struct admin_conn *c, char *args)
{
	struct pl_server *srv = c->a->srv;
	char *nick = word(&args);
	struct pl_account acc;
	if (!account(c, nick, &acc))
		return;
	struct delete_write *d = calloc(1, sizeof *d);
	if (!d) {
		finish(c, "Out of memory.");
		return;
	}
	snprintf(d->nick, sizeof d->nick, "%s", acc.nick);
	sodium_memzero(&acc, sizeof acc);
	/* The session goes first, so that nothing it does meanwhile writes for an account that is
	 * being deleted. */
	struct pl_session *s = pl_server_find_nick(srv, d->nick);
	if (s)
		end_session(s, "an administrator deleted this account");
	d->w.apply = delete_apply;
	d->w.done = delete_done;
	d->c = c;
	c->busy = true;
	pl_server_write(srv, &d->w);
}

/* --- the table of commands --- */

static void cmd_help(struct admin_conn *c, char *args);

static const struct command {
	const char *name, *args, *help;
	void (*run)(struct admin_conn *c, char *args);
} commands[] = {
	{"users", "", "who is logged in: nickname, address, since when, device key (or password)", cmd_users},
	{"kick", "NICK [REASON]", "close NICK's session with ERROR 455 saying an administrator did it", cmd_kick},
	{"ban", "account NICK DURATION [REASON]", "refuse NICK's logins (455) for DURATION (90s, 30m, 12h, 7d, 4w, "
	 "forever); closes their session", cmd_ban},
	{"ban", "address ADDR[/BITS] DURATION [REASON]", "turn away connections from the address or range at accept "
	 "(an IPv6 address alone: its /64); closes its sessions", cmd_ban},
	{"unban", "account NICK | address ADDR[/BITS]", "lift a ban", cmd_unban},
	{"bans", "", "the bans in force", cmd_bans},
	{"reset-password", "NICK [PASSWORD]", "set NICK's password: a new random one, printed, or PASSWORD "
	 "(parleyd admin ... NICK - reads it from stdin); devices stay registered", cmd_reset_password},
	{"delete", "NICK", "delete the account and its devices, contacts, requests, group memberships, waiting "
	 "messages and private conversations; its room messages stay", cmd_delete},
	{"help", "", "this list", cmd_help},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void cmd_help(struct admin_conn *c, char *args)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		out(c, "  %s %s\n      %s", commands[i].name, commands[i].args, commands[i].help);
	finish(c, NULL);
}

void pl_admin_usage(void)
{
	printf("Usage: parleyd admin [--data-dir DIR | --socket PATH | --config FILE] COMMAND [ARG ...]\n"
	       "Talks to the running parleyd over its admin socket (DATA_DIR/admin.sock by default).\n\n"
	       "Commands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		printf("  %s %s\n      %s\n", commands[i].name, commands[i].args, commands[i].help);
}

static void run_line(struct admin_conn *c, char *line)
{
	char *p = line;
	char *name = word(&p);
	for (size_t i = 0; name && i < N_COMMANDS; i++) {
		if (strcmp(commands[i].name, name) == 0) {
			commands[i].run(c, p);
			return;
		}
	}
	finish(c, "Unknown command '%s'; parleyd admin help lists them.", name ? name : "");
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct admin_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	if (c->busy || c->answered) {
		evbuffer_drain(in, evbuffer_get_length(in)); /* one command per connection */
		return;
	}
	size_t n;
	char *line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF);
	if (!line) {
		if (evbuffer_get_length(in) > LINE_MAX_BYTES)
			finish(c, "The command line is longer than %d bytes.", LINE_MAX_BYTES);
		return;
	}
	if (n > LINE_MAX_BYTES || strlen(line) != n || !pl_line_valid(line))
		finish(c, "A command is one line of text of at most %d bytes, without control characters.", LINE_MAX_BYTES);
	else
		run_line(c, line);
	sodium_memzero(line, n); /* it may carry a password */
	free(line);
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct admin_conn *c = arg;
	if (c->answered && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_close(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		conn_close(arg);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len, void *arg)
{
	struct pl_admin *a = arg;
	/* The socket's mode keeps others out; its owner (or root) is checked too, in case
	 * admin_socket was put where others can reach it. */
	struct ucred cred;
	socklen_t clen = sizeof cred;
	if (a->nconns >= CONNS_MAX || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 ||
	    (cred.uid != geteuid() && cred.uid != 0)) {
		evutil_closesocket(fd);
		return;
	}
	struct admin_conn *c = calloc(1, sizeof *c);
	struct bufferevent *bev = bufferevent_socket_new(a->srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c || !bev) {
		free(c);
		if (bev)
			bufferevent_free(bev);
		else
			evutil_closesocket(fd);
		return;
	}
	c->a = a;
	c->bev = bev;
	c->next = a->conns;
	if (a->conns)
		a->conns->prev = c;
	a->conns = c;
	a->nconns++;
	struct timeval idle = {IDLE_S, 0};
	bufferevent_set_timeouts(bev, &idle, &idle);
	bufferevent_setcb(bev, on_read, on_write, on_event, c);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

int pl_admin_socket_path(const struct pl_config *cfg, char *path, size_t sz, char *err, size_t errsz)
{
	int n = cfg->admin_socket[0] ? snprintf(path, sz, "%s", cfg->admin_socket)
				     : snprintf(path, sz, "%s/admin.sock", cfg->data_dir);
	size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
	if (n < 0 || (size_t)n >= sz || (size_t)n > max) {
		snprintf(err, errsz, "The admin socket's path %s%s is longer than %zu bytes; set admin_socket to a "
			 "shorter path.", cfg->admin_socket[0] ? cfg->admin_socket : cfg->data_dir,
			 cfg->admin_socket[0] ? "" : "/admin.sock", max);
		return -ENAMETOOLONG;
	}
	return 0;
}

int pl_admin_alloc(struct pl_admin **ap, struct pl_server *srv, char *err, size_t errsz)
{
	struct pl_admin *a = calloc(1, sizeof *a);
	if (!a)
		return -ENOMEM;
	a->srv = srv;
	int rc = pl_admin_socket_path(srv->cfg, a->path, sizeof a->path, err, errsz);
	if (rc < 0) {
		free(a);
		return rc;
	}
	/* A socket left by a parleyd that died: ours now, since we hold the data directory's lock. */
	struct stat st;
	if (lstat(a->path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(a->path);
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	memcpy(sun.sun_path, a->path, strlen(a->path) + 1);
	mode_t old = umask(0177);
	a->listener = evconnlistener_new_bind(srv->base, on_accept, a, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 8,
					      (struct sockaddr *)&sun, (int)sizeof sun);
	int e = errno;
	umask(old);
	if (!a->listener) {
		snprintf(err, errsz, "Cannot make the admin socket %s (%s); check that its directory exists and is "
			 "writable, or set admin_socket.", a->path, strerror(e));
		free(a);
		return -e;
	}
	chmod(a->path, 0600);
	*ap = a;
	return 0;
}

void pl_admin_free(struct pl_admin *a)
{
	if (!a)
		return;
	evconnlistener_free(a->listener);
	unlink(a->path);
	while (a->conns) {
		a->conns->busy = false;
		conn_free(a->conns);
	}
	free(a);
}
