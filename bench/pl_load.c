/*
 * pl_load: a load generator for parleyd's signalling. N TLS clients in one process and one thread
 * (libevent with OpenSSL bufferevents, net/conn.h for the framing, the core codec for the
 * messages, libsodium for device keys), each a small state machine:
 *
 *   connect, TLS -> HELLO -> WELCOME -> REGISTER | LOGIN | LOGIN_KEY -> AUTH_OK
 *     -> JOIN #<prefix>-r<k> -> JOINED -> ready
 *
 * Client i is nick <prefix><i> in room i / K (rooms of K members). Its device key is
 * crypto_sign_seed_keypair(BLAKE2b(run seed, i)) and its password is derived the same way, so a
 * later run with the same --seed and --prefix logs the same accounts in by key. At most C clients
 * are between connect and AUTH_OK at once (--concurrency), as a real crowd trickles in; a 447
 * (server busy) answer to a login is retried after a back-off.
 *
 * Once every client is ready (or has failed), they send room messages for D seconds: at R messages
 * per second each (--rate), or as fast as possible with W SAYs outstanding each (--window). Every
 * SAY's text names its sender and tag, so each TEXT received is counted against (sender, tag):
 * the time from SAY to its SAY_OK, whether each acknowledged message reached every member of its
 * room exactly once (the sender included), and whether SAY_OK and TEXT agree on the id. PINGs are
 * answered throughout. After D seconds sending stops; outstanding SAY_OKs and deliveries are
 * awaited (--drain), then every client says BYE.
 *
 * Output: one JSON object on stdout (flat keys; "err_<code>" counts ERRORs by code), progress on
 * stderr. Exit status 0 when the run could be made (the caller judges the numbers), 1 when it
 * could not start, 2 on bad arguments. Every wait is bounded (--max-seconds).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/frame.h"
#include "core/msg.h"
#include "net/conn.h"
#include "net/tls.h"
#include "pl_load.h"
#if LD_V2
#include "core/auth.h"
#define LD_ERR_BUSY PL_ERR_BUSY
#else
#define LD_ERR_BUSY 0 /* protocol 1 had no "busy, retry" */
#endif

#define TICK_US 2000 /* the sending clock in rate mode */

static double secs(int64_t ns) { return (double)ns / 1e9; }

__attribute__((format(printf, 2, 3))) static void progress(struct ld_run *L, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "[pl_load %7.2fs] ", secs(ld_mono_ns() - L->t0));
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* --- sending --- */

static void send_msg(struct ld_client *c, const struct pl_msg *m)
{
	if (c->conn && !pl_conn_closing(c->conn) && pl_conn_send(c->conn, m) < 0)
		c->L->errors[0]++; /* could not be encoded: a bug here, counted as err_0 */
}

static void send_auth(struct ld_client *c)
{
	struct ld_run *L = c->L;
	struct pl_msg *m = &L->out;
#if LD_V2
	if (L->o.auth == LD_AUTH_KEY) {
		m->type = PL_MSG_LOGIN_KEY;
		snprintf(m->u.login_key.nick, sizeof m->u.login_key.nick, "%s", c->nick);
		memcpy(m->u.login_key.device_key, c->pk, PL_DEVICE_KEY_LEN);
		pl_login_sign(m->u.login_key.sig, c->sk, c->challenge, c->cert_hash, c->nick);
		send_msg(c, m);
		return;
	}
	memcpy(m->u.auth.device_key, c->pk, PL_DEVICE_KEY_LEN);
	snprintf(m->u.auth.device_name, sizeof m->u.auth.device_name, "pl_load");
#endif
	m->type = L->o.auth == LD_AUTH_REGISTER ? PL_MSG_REGISTER : PL_MSG_LOGIN;
	snprintf(m->u.auth.nick, sizeof m->u.auth.nick, "%s", c->nick);
	snprintf(m->u.auth.password, sizeof m->u.auth.password, "%s", c->password);
	m->u.auth.realname[0] = '\0';
	send_msg(c, m);
}

static void send_say(struct ld_client *c, int64_t now)
{
	struct ld_run *L = c->L;
	if (c->st != LD_READY || !c->conn || pl_conn_closing(c->conn))
		return;
	uint32_t tag = ld_sent(c, now);
	if (!tag)
		return;
	struct pl_msg *m = &L->out;
	m->type = PL_MSG_SAY;
	m->u.say.tag = tag;
	snprintf(m->u.say.target, sizeof m->u.say.target, "%s", c->room_name);
	int n = snprintf(m->u.say.text, sizeof m->u.say.text, "pl_load %u %u ", c->idx, tag);
	if (n > 0 && (unsigned)n < L->o.text_bytes) {
		memset(m->u.say.text + n, 'x', L->o.text_bytes - (unsigned)n);
		m->u.say.text[L->o.text_bytes] = '\0';
	}
	send_msg(c, m);
}

/* --- the login crowd --- */

static void start_more(struct ld_run *L);
static void check_phase(struct ld_run *L);

static void close_client(struct ld_client *c, bool bye)
{
	if (!c->conn || pl_conn_closing(c->conn))
		return;
	c->by_us = true;
	if (bye) {
		struct pl_msg m = {.type = PL_MSG_BYE};
		send_msg(c, &m);
	}
	pl_conn_close(c->conn, true);
}

/* The client's login is over, one way or the other: its slot goes to the next. */
static void login_over(struct ld_client *c, bool ok)
{
	struct ld_run *L = c->L;
	if (c->st > LD_IDLE && c->st < LD_JOIN && L->in_login)
		L->in_login--;
	if (ok) {
		L->logins_ok++;
		c->t_auth = ld_mono_ns();
		L->t_last_auth = c->t_auth;
	} else {
		L->logins_failed++;
		c->st = LD_FAILED;
	}
	start_more(L);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct ld_client *c = arg;
	if (c->st == LD_AUTH)
		send_auth(c);
}

static void on_connected(struct pl_conn *conn, void *arg)
{
	struct ld_client *c = arg;
	struct ld_run *L = c->L;
	char hex[PL_FINGERPRINT_HEX];
	SSL *ssl = bufferevent_openssl_get_ssl(pl_conn_bev(conn));
	L->connected++;
	/* The certificate's hash is in LOGIN_KEY's signed proof; --fingerprint pins it, as parley does. */
	bool bad = pl_tls_fingerprint(ssl, false, hex) < 0 || (L->o.fingerprint && strcasecmp(hex, L->o.fingerprint));
#if LD_V2
	bad = bad || sodium_hex2bin(c->cert_hash, sizeof c->cert_hash, hex, strlen(hex), NULL, NULL, NULL) < 0;
#endif
	if (bad) {
		L->cert_mismatch++;
		login_over(c, false);
		close_client(c, false);
		return;
	}
	struct pl_msg h = {.type = PL_MSG_HELLO};
	h.u.hello.version = PL_PROTO_VERSION;
	snprintf(h.u.hello.client, sizeof h.u.hello.client, "pl_load");
	c->st = LD_HELLO;
	send_msg(c, &h);
}

static void on_auth_ok(struct ld_client *c, const struct pl_msg *m)
{
	struct ld_run *L = c->L;
#if LD_V2
	if (m->u.auth_ok.flags & PL_AUTH_DEVICE_ADDED)
		L->device_added++;
#endif
	login_over(c, true);
	if (L->o.part_lobby) {
		struct pl_msg p = {.type = PL_MSG_PART};
		snprintf(p.u.join.room, sizeof p.u.join.room, "%s", PL_LOBBY);
		send_msg(c, &p);
	}
	if (!L->o.room_size) {
		c->st = LD_READY;
		L->ready++;
		return;
	}
	c->st = LD_JOIN;
	struct pl_msg j = {.type = PL_MSG_JOIN};
	snprintf(j.u.join.room, sizeof j.u.join.room, "%s", c->room_name);
	send_msg(c, &j);
}

/* --- answers to SAYs --- */

/* In window mode an answer makes room for the next SAY. */
static void after_answer(struct ld_client *c)
{
	struct ld_run *L = c->L;
	if (L->phase == LD_RUN && !L->o.rate)
		while (c->outstanding < L->o.window && c->st == LD_READY)
			send_say(c, ld_mono_ns());
	if (L->phase == LD_DRAIN && !c->outstanding)
		check_phase(L);
}

static bool is_login(uint16_t type)
{
#if LD_V2
	if (type == PL_MSG_LOGIN_KEY)
		return true;
#endif
	return type == PL_MSG_REGISTER || type == PL_MSG_LOGIN;
}

static void on_error(struct ld_client *c, const struct pl_msg *m)
{
	struct ld_run *L = c->L;
	uint16_t code = m->u.error.code, about = m->u.error.about;
	L->errors[code < LD_ERR_CODES ? code : 0]++;
	if (c->st == LD_AUTH && is_login(about)) {
		if (code == LD_ERR_BUSY && c->busy_retries < 50) {
			/* The server's password workers are full: try again after a back-off. */
			unsigned ms = 100u << (c->busy_retries < 4 ? c->busy_retries : 4);
			struct timeval tv = {0, (suseconds_t)(ms + randombytes_uniform(ms)) * 1000};
			tv.tv_sec = tv.tv_usec / 1000000;
			tv.tv_usec %= 1000000;
			c->busy_retries++;
			L->busy_retries++;
			if (!c->retry)
				c->retry = evtimer_new(L->base, on_retry, c);
			if (c->retry && evtimer_add(c->retry, &tv) == 0)
				return;
		}
		login_over(c, false);
		close_client(c, true);
		return;
	}
	if (c->st == LD_JOIN && about == PL_MSG_JOIN) {
		L->join_failed++;
		c->st = LD_FAILED;
		close_client(c, true);
		return;
	}
	if (about == PL_MSG_SAY) {
		/* Answers come in request order, so this one answers the oldest SAY without one. */
		ld_refused(c);
		after_answer(c);
	}
}

/* --- the connection --- */

static void on_msg(struct pl_conn *conn, const struct pl_msg *m, void *arg)
{
	struct ld_client *c = arg;
	struct ld_run *L = c->L;
	switch (m->type) {
	case PL_MSG_PING: {
		struct pl_msg p = {.type = PL_MSG_PONG};
		p.u.ping.token = m->u.ping.token;
		send_msg(c, &p);
		L->pings++;
		return;
	}
	case PL_MSG_WELCOME:
		if (c->st != LD_HELLO)
			return;
#if LD_V2
		memcpy(c->challenge, m->u.welcome.challenge, PL_CHALLENGE_LEN);
#endif
		c->st = LD_AUTH;
		send_auth(c);
		return;
	case PL_MSG_AUTH_OK:
		if (c->st == LD_AUTH)
			on_auth_ok(c, m);
		return;
	case PL_MSG_JOINED:
		if (c->st == LD_JOIN && !strcasecmp(m->u.member.nick, c->nick) &&
		    !strcasecmp(m->u.member.room, c->room_name)) {
			c->st = LD_READY;
			L->ready++;
			if (L->ready + L->logins_failed + L->join_failed >= L->o.n)
				check_phase(L);
		}
		return;
	case PL_MSG_SAY_OK:
		if (ld_acked(c, m->u.say_ok.tag, m->u.say_ok.id, ld_mono_ns()))
			after_answer(c);
		return;
	case PL_MSG_TEXT:
		ld_text(c, m);
		if (L->phase == LD_DRAIN)
			check_phase(L);
		return;
	case PL_MSG_ERROR:
		on_error(c, m);
		return;
	default:
		return; /* USERLIST, JOINED and PARTED of others, PRESENCE ... */
	}
}

static void on_bad(struct pl_conn *conn, int err, uint16_t type, void *arg)
{
	struct ld_client *c = arg;
	c->L->errors[0]++;
	fprintf(stderr, "pl_load: %s sent a frame this build cannot parse (type 0x%04x, %s)\n", c->nick, type,
		strerror(-err));
	pl_conn_close(conn, false); /* counted as a disconnect: not by_us */
}

static void on_closed(struct pl_conn *conn, int err, void *arg)
{
	struct ld_client *c = arg;
	struct ld_run *L = c->L;
	if (!c->by_us) {
		L->disconnects++;
		L->disconnect_in[c->st]++;
		if (L->disconnects <= 5)
			fprintf(stderr, "pl_load: %s lost its connection in state %s (%s)\n", c->nick,
				ld_state_names[c->st], err ? strerror(-err) : "closed");
		if (c->st > LD_IDLE && c->st < LD_JOIN)
			login_over(c, false);
		else if (c->st == LD_JOIN)
			L->join_failed++;
	}
	c->st = LD_CLOSED;
	c->conn = NULL;
	pl_conn_free(conn);
	L->closed++;
	check_phase(L);
}

static const struct pl_conn_handlers handlers = {
	.msg = on_msg, .bad = on_bad, .closed = on_closed, .connected = on_connected,
};

/* Opens client c's TLS connection, from 127.1.x.y when spread over source addresses. */
static int start_client(struct ld_client *c)
{
	struct ld_run *L = c->L;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0)
		return -errno;
	/* Nagle off unless asked: the generator should add no delay of its own to what it measures. */
	if (!L->o.nagle)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (L->o.src_addrs > 1) {
		unsigned k = c->idx % L->o.src_addrs;
		struct sockaddr_in me = {.sin_family = AF_INET};
		me.sin_addr.s_addr = htonl(0x7f010000u | (k / 250) << 8 | (k % 250 + 1));
		if (bind(fd, (struct sockaddr *)&me, sizeof me) < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
	}
	SSL *ssl = SSL_new(L->tls);
	struct bufferevent *bev = ssl ? bufferevent_openssl_socket_new(L->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
									BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS)
				      : NULL;
	if (!bev) {
		SSL_free(ssl);
		close(fd);
		return -ENOMEM;
	}
	bufferevent_setfd(bev, fd); /* connected by bufferevent_socket_connect, as with a socket it makes */
	if (pl_conn_alloc(&c->conn, bev, PL_FRAME_MAX_HARD, &handlers, c) < 0) {
		bufferevent_free(bev);
		return -ENOMEM;
	}
	c->st = LD_TLS;
	c->t_connect = ld_mono_ns();
	if (!L->t_first_connect)
		L->t_first_connect = c->t_connect;
	if (bufferevent_socket_connect(bev, (struct sockaddr *)&L->srv, sizeof L->srv) < 0) {
		pl_conn_free(c->conn);
		c->conn = NULL;
		return -ECONNREFUSED;
	}
	return 0;
}

static void start_more(struct ld_run *L)
{
	while (L->phase == LD_LOGIN && L->next_start < L->o.n &&
	       (!L->o.concurrency || L->in_login < L->o.concurrency)) {
		struct ld_client *c = &L->c[L->next_start++];
		int rc = start_client(c);
		if (rc < 0) {
			fprintf(stderr, "pl_load: cannot start client %u: %s\n", c->idx, strerror(-rc));
			c->st = LD_FAILED;
			L->logins_failed++;
			continue;
		}
		L->in_login++;
		L->opened++;
	}
}

/* --- phases --- */

static void enter_close(struct ld_run *L)
{
	L->phase = LD_CLOSE;
	L->t_close = ld_mono_ns();
	for (unsigned i = 0; i < L->o.n; i++)
		close_client(&L->c[i], true);
	progress(L, "close: saying BYE on %u connections", L->opened - L->closed);
}

static void enter_run(struct ld_run *L)
{
	int64_t now = ld_mono_ns();
	L->phase = LD_RUN;
	L->t_run_start = now;
	L->t_run_end = now + (int64_t)(L->o.duration * 1e9);
	for (unsigned i = 0; i < L->o.n; i++) {
		struct ld_client *c = &L->c[i];
		if (c->st != LD_READY)
			continue;
		if (L->o.rate) /* spread over one period, so the clients do not send in lockstep */
			c->next_send = now + (int64_t)randombytes_uniform((uint32_t)(1e9 / L->o.rate / 1000) + 1) * 1000;
		else
			for (unsigned k = 0; k < L->o.window; k++)
				send_say(c, now);
	}
	progress(L, "run: %u clients ready, sending for %g s", L->ready, L->o.duration);
	if (L->o.rate) {
		struct timeval tv = {0, TICK_US};
		evtimer_add(L->tick, &tv);
	}
}

static bool drained(const struct ld_run *L)
{
	for (unsigned i = 0; i < L->o.n; i++)
		if (L->c[i].outstanding && L->c[i].st == LD_READY)
			return false;
	return L->received >= L->expected;
}

static void check_phase(struct ld_run *L)
{
	int64_t now = ld_mono_ns();
	if (L->phase != LD_CLOSE && now - L->t0 > (int64_t)(L->o.max_seconds * 1e9)) {
		fprintf(stderr, "pl_load: --max-seconds reached; stopping\n");
		enter_close(L);
	}
	switch (L->phase) {
	case LD_LOGIN:
		if (L->next_start < L->o.n || L->ready + L->logins_failed + L->join_failed < L->o.n)
			return;
		L->t_ready = now;
		progress(L, "login: %u logged in (%.2f s from the first connect to the last AUTH_OK), %u failed",
			 L->logins_ok, L->t_last_auth ? secs(L->t_last_auth - L->t_first_connect) : 0.0, L->logins_failed);
		if (L->o.duration > 0 && L->ready)
			enter_run(L);
		else
			enter_close(L);
		return;
	case LD_RUN:
		if (now < L->t_run_end)
			return;
		L->phase = LD_DRAIN;
		L->t_drain_end = now + (int64_t)(L->o.drain * 1e9);
		progress(L, "drain: %llu messages sent, %llu acknowledged so far", (unsigned long long)L->sent,
			 (unsigned long long)L->acked);
		/* fall through */
	case LD_DRAIN:
		if (drained(L) || now >= L->t_drain_end) {
			L->t_drain_end = now;
			enter_close(L);
		}
		return;
	case LD_CLOSE:
		if (L->closed >= L->opened || now - L->t_close > 5000000000LL)
			event_base_loopexit(L->base, NULL);
		return;
	}
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct ld_run *L = arg;
	if (L->phase != LD_RUN)
		return;
	int64_t now = ld_mono_ns(), period = (int64_t)(1e9 / L->o.rate);
	for (unsigned i = 0; i < L->o.n; i++) {
		struct ld_client *c = &L->c[i];
		/* Bounded: a client behind by more than a second skips ahead instead of bursting. */
		for (int k = 0; k < 64 && c->st == LD_READY && c->next_send <= now && now < L->t_run_end; k++) {
			if (L->o.window && c->outstanding >= L->o.window)
				break;
			send_say(c, now);
			c->next_send += period;
		}
		if (c->next_send < now - 1000000000LL)
			c->next_send = now;
	}
	check_phase(L);
	struct timeval tv = {0, TICK_US};
	if (L->phase == LD_RUN)
		evtimer_add(L->tick, &tv);
}

static void on_check(evutil_socket_t fd, short what, void *arg)
{
	check_phase(arg);
}

static void on_signal(evutil_socket_t fd, short what, void *arg)
{
	struct ld_run *L = arg;
	if (L->phase != LD_CLOSE)
		enter_close(L);
	else
		event_base_loopexit(L->base, NULL);
}

/* --- options --- */

static void usage(void)
{
	fprintf(stderr,
		"Usage: pl_load --port P [--host 127.0.0.1] --clients N [--auth register|password|key]\n"
		"               [--room-size K] [--duration S] [--rate MSG_PER_S_EACH | --window W]\n"
		"               [--concurrency C] [--src-addrs M] [--seed TEXT] [--prefix TEXT]\n"
		"               [--fingerprint HEX] [--text-bytes B] [--drain S] [--part-lobby] [--nagle]\n"
		"               [--max-seconds S] [--label TEXT]\n"
		"Clients log in (at most C at once; default 64), join rooms of K (default 10; 0: none),\n"
		"then send room messages for S seconds (0: log in only, then say BYE), at a rate per\n"
		"client or with W SAYs outstanding each. M > 1 spreads them over source addresses\n"
		"127.1.0.1 ... so per-address limits see M hosts. Sockets are TCP_NODELAY unless\n"
		"--nagle. One JSON object on stdout.\n");
}

static int parse_args(struct ld_opts *o, int argc, char **argv)
{
	snprintf(o->host, sizeof o->host, "127.0.0.1");
	o->room_size = 10;
	o->concurrency = 64;
	o->src_addrs = 1;
	o->text_bytes = 64;
	o->drain = 10;
	o->max_seconds = 900;
	o->seed = "pl_load";
	o->prefix = "ld";
	o->label = "pl_load";
	o->auth = LD_AUTH_REGISTER;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--part-lobby")) {
			o->part_lobby = true;
			continue;
		}
		if (!strcmp(a, "--nagle")) {
			o->nagle = true;
			continue;
		}
		const char *v = i + 1 < argc ? argv[++i] : NULL;
		if (!v)
			return -EINVAL;
		if (!strcmp(a, "--host"))
			snprintf(o->host, sizeof o->host, "%s", v);
		else if (!strcmp(a, "--port"))
			o->port = (uint16_t)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--clients"))
			o->n = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--room-size"))
			o->room_size = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--concurrency"))
			o->concurrency = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--window"))
			o->window = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--src-addrs"))
			o->src_addrs = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--text-bytes"))
			o->text_bytes = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--duration"))
			o->duration = strtod(v, NULL);
		else if (!strcmp(a, "--rate"))
			o->rate = strtod(v, NULL);
		else if (!strcmp(a, "--drain"))
			o->drain = strtod(v, NULL);
		else if (!strcmp(a, "--max-seconds"))
			o->max_seconds = strtod(v, NULL);
		else if (!strcmp(a, "--seed"))
			o->seed = v;
		else if (!strcmp(a, "--prefix"))
			o->prefix = v;
		else if (!strcmp(a, "--fingerprint"))
			o->fingerprint = v;
		else if (!strcmp(a, "--label"))
			o->label = v;
		else if (!strcmp(a, "--auth") && !strcmp(v, "register"))
			o->auth = LD_AUTH_REGISTER;
		else if (!strcmp(a, "--auth") && !strcmp(v, "password"))
			o->auth = LD_AUTH_PASSWORD;
		else if (!strcmp(a, "--auth") && !strcmp(v, "key") && LD_V2)
			o->auth = LD_AUTH_KEY;
		else
			return -EINVAL;
	}
	if (!o->rate && !o->window && o->duration > 0)
		o->rate = 1;
	/* Room names must fit: "#" prefix "-r" number. */
	if (!o->port || o->n < 1 || o->n > LD_MAX_CLIENTS || strlen(o->prefix) < 1 || strlen(o->prefix) > LD_PREFIX_MAX ||
	    o->room_size > o->n || o->src_addrs < 1 || o->src_addrs > 60000 || o->text_bytes < 24 ||
	    o->text_bytes > PL_TEXT_MAX || !(o->duration >= 0 && o->duration <= 3600) ||
	    !(o->rate >= 0 && o->rate <= 10000) || o->window > 100000 || !(o->drain >= 0 && o->drain <= 600) ||
	    !(o->max_seconds > 0) || (o->duration > 0 && !o->room_size))
		return -EINVAL;
	return 0;
}

static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	static struct ld_run L;
	int code = 1;
	if (parse_args(&L.o, argc, argv) < 0) {
		usage();
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "pl_load: libsodium did not initialise\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	L.t0 = ld_mono_ns();
	L.mask_words = (L.o.room_size + 63) / 64;
	if (!L.mask_words)
		L.mask_words = 1;
	L.srv.sin_family = AF_INET;
	L.srv.sin_port = htons(L.o.port);
	if (inet_pton(AF_INET, L.o.host, &L.srv.sin_addr) != 1) {
		fprintf(stderr, "pl_load: --host must be an IPv4 address\n");
		return 2;
	}
	char err[256];
	L.c = calloc(L.o.n, sizeof *L.c);
	L.base = event_base_new();
	L.tls = pl_tls_client_ctx(err, sizeof err);
	if (!L.c || !L.base || !L.tls) {
		fprintf(stderr, "pl_load: cannot start: %s\n", L.tls ? "out of memory" : err);
		goto out;
	}
	for (unsigned i = 0; i < L.o.n; i++) {
		struct ld_client *c = &L.c[i];
		c->L = &L;
		c->idx = i;
		c->room = L.o.room_size ? i / L.o.room_size : 0;
		ld_identity(c);
	}
	L.tick = evtimer_new(L.base, on_tick, &L);
	L.check = event_new(L.base, -1, EV_PERSIST, on_check, &L);
	L.sigint = evsignal_new(L.base, SIGINT, on_signal, &L);
	L.sigterm = evsignal_new(L.base, SIGTERM, on_signal, &L);
	struct timeval every = {0, 100000};
	if (!L.tick || !L.check || !L.sigint || !L.sigterm || event_add(L.check, &every) < 0 ||
	    event_add(L.sigint, NULL) < 0 || event_add(L.sigterm, NULL) < 0) {
		fprintf(stderr, "pl_load: cannot set up the event loop\n");
		goto out;
	}
	L.phase = LD_LOGIN;
	start_more(&L);
	event_base_dispatch(L.base);
	ld_report(&L);
	code = 0;
out:
	for (unsigned i = 0; L.c && i < L.o.n; i++) {
		pl_conn_free(L.c[i].conn);
		if (L.c[i].retry)
			event_free(L.c[i].retry);
		free(L.c[i].msgs);
		free(L.c[i].masks);
		sodium_memzero(L.c[i].sk, sizeof L.c[i].sk);
	}
	free(L.c);
	if (L.tick)
		event_free(L.tick);
	if (L.check)
		event_free(L.check);
	if (L.sigint)
		event_free(L.sigint);
	if (L.sigterm)
		event_free(L.sigterm);
	if (L.tls)
		SSL_CTX_free(L.tls);
	if (L.base)
		event_base_free(L.base);
	return code;
}
