#include "server/auth.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/auth.h"
#include "core/err.h"
#include "core/names.h"
#include "core/ratelimit.h"
#include "net/conn.h"
#include "net/log.h"
#include "server/ban.h"
#include "server/metrics.h"
#include "server/server.h"
#include "server/session.h"
#include "server/worker.h"
#include "store/store.h"

/* --- guessing budgets --- */

/* The limiter key of an (account, address) pair. Nicknames hold no '|', so the pair is unambiguous. */
static void pair_key(char out[PL_LIMITER_KEY_MAX + 1], const char *nick, const char *host)
{
	snprintf(out, PL_LIMITER_KEY_MAX + 1, "%s|%s", nick, host);
}

/* A password login may be tried when the pair, the address and the account all have a token; it
 * takes one from each at once, so simultaneous guesses cannot all slip past a check made before
 * any of them is charged. */
static bool take_login(struct pl_server *srv, const char *nick, const char *host)
{
	char pk[PL_LIMITER_KEY_MAX + 1];
	uint64_t now = pl_env_mono_ms(srv->env);
	pair_key(pk, nick, host);
	if (!pl_limiter_allows(srv->login_pair, pk, now) || !pl_limiter_allows(srv->login_host, host, now) ||
	    !pl_limiter_allows(srv->login_account, nick, now))
		return false;
	pl_limiter_take(srv->login_pair, pk, now);
	pl_limiter_take(srv->login_host, host, now);
	pl_limiter_take(srv->login_account, nick, now);
	return true;
}

/* The password was right (or never checked): the tokens go back. */
static void give_login(struct pl_server *srv, const char *nick, const char *host)
{
	char pk[PL_LIMITER_KEY_MAX + 1];
	uint64_t now = pl_env_mono_ms(srv->env);
	pair_key(pk, nick, host);
	pl_limiter_give(srv->login_pair, pk, now);
	pl_limiter_give(srv->login_host, host, now);
	pl_limiter_give(srv->login_account, nick, now);
}

/* --- password work, on a worker thread --- */

/* The job carries copies and the session's id, never the session pointer: the connection may be
 * gone by the time the job is done, and then its queued job is dropped unworked. */
struct auth_job {
	struct pl_job job;
	struct pl_server *srv;
	uint64_t session;
	uint16_t about;      /* REGISTER, LOGIN or SET_PASSWORD */
	bool account_exists;
	bool ok;          /* the password checked (and any hash was made) */
	bool hash_failed; /* Argon2id itself failed (out of memory): not the person's fault */
	bool has_device;
	char nick[PL_NICK_MAX + 1];
	char host[PL_ADDR_STR];
	char realname[PL_REALNAME_MAX + 1];
	char password[PL_PASSWORD_MAX + 1];     /* to check (LOGIN, SET_PASSWORD) or hash (REGISTER) */
	char new_password[PL_PASSWORD_MAX + 1]; /* SET_PASSWORD: to hash once the old one checks */
	char pwhash[PL_PWHASH_MAX];
	uint8_t device[PL_DEVICE_KEY_LEN];
	char device_name[PL_DEVICE_NAME_MAX + 1];
};

static void job_free(struct auth_job *a)
{
	sodium_memzero(a, sizeof *a);
	free(a);
}

static bool hash_password(char out[PL_PWHASH_MAX], const char *pw)
{
	return crypto_pwhash_str(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
				 crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0;
}

bool pl_auth_hash_password(char *out, const char *password)
{
	return hash_password(out, password);
}

/* Compared against when the account does not exist, so that a missing account costs as much
 * time as a wrong password and timing does not reveal which nicknames have accounts. */
static const char dummy_hash[] =
	"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
	"Jm5Qm0GZpkGJvNmNTv5Ok5Dy6ZtBFmdqCkq9qY0bkmU";

static void auth_work(struct pl_job *j)
{
	struct auth_job *a = (struct auth_job *)j;
	if (a->about == PL_MSG_REGISTER) {
		a->ok = hash_password(a->pwhash, a->password);
		a->hash_failed = !a->ok;
	} else {
		const char *h = a->account_exists ? a->pwhash : dummy_hash;
		a->ok = crypto_pwhash_str_verify(h, a->password, strlen(a->password)) == 0 && a->account_exists;
		if (a->ok && a->about == PL_MSG_SET_PASSWORD && !hash_password(a->pwhash, a->new_password))
			a->ok = false, a->hash_failed = true;
	}
	sodium_memzero(a->password, sizeof a->password);
	sodium_memzero(a->new_password, sizeof a->new_password);
}

static void auth_done(struct pl_job *j);

static struct auth_job *job_new(struct pl_session *s, uint16_t about, const char *nick)
{
	struct auth_job *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->job.work = auth_work;
	a->job.done = auth_done;
	a->srv = s->srv;
	a->session = s->id;
	a->about = about;
	snprintf(a->nick, sizeof a->nick, "%s", nick);
	snprintf(a->host, sizeof a->host, "%s", s->peer_host);
	return a;
}

/* Queues a's work; on a full queue says when to retry. Returns 0 or -EBUSY (a is freed). */
static int job_submit(struct pl_session *s, struct auth_job *a)
{
	if (pl_worker_submit(s->srv->worker, &a->job) < 0) {
		char d[64];
		snprintf(d, sizeof d, "retry in %u s", pl_worker_retry_after(s->srv->worker));
		pl_metrics_login(s->srv->metrics, PL_LOGIN_BUSY);
		pl_session_error(s, PL_ERR_BUSY, a->about, d);
		job_free(a);
		return -EBUSY;
	}
	s->job = a;
	pl_session_hold(s); /* nothing more is read until the answer */
	return 0;
}

void pl_auth_cancel(struct pl_session *s)
{
	if (s->job && pl_worker_cancel(s->srv->worker, &s->job->job)) {
		pl_log(PL_LOG_DEBUG, "%s: connection closed, its queued password check dropped", s->peer);
		job_free(s->job);
	}
	/* Otherwise it is running or finished: its `done` finds no session and frees it. */
	s->job = NULL;
}

/* --- durable writes of a login --- */

struct device_write {
	struct pl_session_write sw;
	bool reg;             /* REGISTER: create the account too */
	bool has_device;
	unsigned max;
	char pwhash[PL_PWHASH_MAX];
	char realname[PL_REALNAME_MAX + 1];
	char host[PL_ADDR_STR];
	struct pl_device_rec dev; /* nick always set */
	uint64_t now_ms;
};

static int device_apply(struct pl_store_write *w, struct pl_store *st)
{
	struct device_write *d = (struct device_write *)w;
	int rc = 0;
	if (d->reg)
		rc = pl_store_account_create(st, d->dev.nick, d->pwhash, d->realname, d->now_ms);
	if (rc == 0 && d->has_device)
		rc = pl_store_device_add(st, &d->dev, d->max);
	return rc;
}

static void device_done(struct pl_store_write *w, int rc)
{
	struct device_write *d = (struct device_write *)w;
	struct pl_session *s = pl_session_written(&d->sw);
	struct pl_server *srv = d->sw.srv;
	uint16_t about = d->reg ? PL_MSG_REGISTER : PL_MSG_LOGIN;
	if (!s || s->state != PL_SESS_AUTH_WAIT)
		goto out;
	s->state = PL_SESS_AUTH;
	if (d->reg && rc < 0) {
		/* Not the person's doing: the registration token goes back. */
		pl_limiter_give(srv->register_host, d->host, pl_env_mono_ms(srv->env));
		if (rc == -EEXIST) {
			pl_session_error(s, PL_ERR_NICK_TAKEN, about, NULL);
		} else {
			pl_log(PL_LOG_ERROR, "cannot store the account '%s': %s", d->dev.nick, strerror(-rc));
			pl_session_error(s, PL_ERR_INTERNAL, about, "could not store the account");
		}
		goto out;
	}
	if (d->reg)
		pl_log(PL_LOG_INFO, "account '%s' registered from %s", d->dev.nick, s->peer);
	if (!d->has_device || rc == 0 || rc == -EEXIST) {
		pl_session_enter_ready(s, d->dev.nick, d->realname, d->has_device ? d->dev.key : NULL,
				       d->has_device && rc == 0 ? PL_AUTH_DEVICE_ADDED : 0);
		if (s->state == PL_SESS_READY)
			pl_metrics_login(srv->metrics, d->reg ? PL_LOGIN_REGISTERED : PL_LOGIN_PASSWORD_OK);
	} else {
		/* Logged in all the same, by password, without the device: say why it was not kept. */
		pl_session_enter_ready(s, d->dev.nick, d->realname, NULL, 0);
		if (s->state == PL_SESS_READY)
			pl_session_error(s, rc == -E2BIG ? PL_ERR_TOO_MANY_DEVICES : PL_ERR_INTERNAL, about,
					 rc == -E2BIG ? NULL : "could not store the device key");
	}
out:
	sodium_memzero(d, sizeof *d);
	free(d);
}

/* Registers the account and/or the device; the login completes when the write is durable. */
static void submit_device_write(struct pl_session *s, struct auth_job *a, bool reg)
{
	struct device_write *d = calloc(1, sizeof *d);
	if (!d) {
		s->state = PL_SESS_AUTH;
		pl_session_error(s, PL_ERR_INTERNAL, a->about, NULL);
		return;
	}
	struct pl_server *srv = s->srv;
	d->reg = reg;
	d->has_device = a->has_device;
	d->max = srv->cfg->max_devices;
	d->now_ms = pl_env_wall_ms(srv->env);
	snprintf(d->pwhash, sizeof d->pwhash, "%s", a->pwhash);
	snprintf(d->realname, sizeof d->realname, "%s", a->realname);
	snprintf(d->host, sizeof d->host, "%s", a->host);
	snprintf(d->dev.nick, sizeof d->dev.nick, "%s", a->nick);
	memcpy(d->dev.key, a->device, sizeof d->dev.key);
	snprintf(d->dev.name, sizeof d->dev.name, "%s", a->device_name);
	d->dev.added_ms = d->dev.last_seen_ms = d->now_ms;
	s->state = PL_SESS_AUTH_WAIT;
	pl_session_submit(s, &d->sw, device_apply, device_done, true);
}

struct touch_write {
	struct pl_store_write w;
	char nick[PL_NICK_MAX + 1];
	uint8_t key[PL_DEVICE_KEY_LEN];
	uint64_t now_ms;
};

static int touch_apply(struct pl_store_write *w, struct pl_store *st)
{
	struct touch_write *t = (struct touch_write *)w;
	return pl_store_device_touch(st, t->nick, t->key, t->now_ms);
}

static void touch_done(struct pl_store_write *w, int rc)
{
	free(w);
}

/* When a device was last seen: nobody waits for it, so the session is not held. */
static void touch_device(struct pl_server *srv, const char *nick, const uint8_t key[PL_DEVICE_KEY_LEN])
{
	struct touch_write *t = calloc(1, sizeof *t);
	if (!t)
		return;
	t->w.apply = touch_apply;
	t->w.done = touch_done;
	snprintf(t->nick, sizeof t->nick, "%s", nick);
	memcpy(t->key, key, sizeof t->key);
	t->now_ms = pl_env_wall_ms(srv->env);
	pl_server_write(srv, &t->w);
}

/* --- password logins --- */

static void login_ok(struct pl_session *s, struct auth_job *a)
{
	if (!a->has_device) {
		pl_session_enter_ready(s, a->nick, a->realname, NULL, 0);
		if (s->state == PL_SESS_READY)
			pl_metrics_login(s->srv->metrics, PL_LOGIN_PASSWORD_OK);
		return;
	}
	struct pl_device_rec d;
	int rc = pl_store_device_get(s->srv->store, a->nick, a->device, &d);
	if (rc == 0 && d.revoked) {
		pl_session_error(s, PL_ERR_DEVICE_REVOKED, a->about, NULL);
	} else if (rc == 0) {
		pl_session_enter_ready(s, a->nick, a->realname, a->device, 0);
		touch_device(s->srv, a->nick, a->device);
		if (s->state == PL_SESS_READY)
			pl_metrics_login(s->srv->metrics, PL_LOGIN_PASSWORD_OK);
	} else if (rc == -ENOENT) {
		submit_device_write(s, a, false);
	} else {
		pl_session_error(s, PL_ERR_INTERNAL, a->about, "could not read the devices");
	}
}

/* The password change's durable write (device_write's fields: nick and hash). */
static int password_apply(struct pl_store_write *w, struct pl_store *st)
{
	struct device_write *d = (struct device_write *)w;
	return pl_store_account_set_password(st, d->dev.nick, d->pwhash);
}

static void password_changed(struct pl_store_write *w, int rc)
{
	struct device_write *d = (struct device_write *)w;
	struct pl_session *s = pl_session_written(&d->sw);
	if (s) {
		if (rc < 0) {
			pl_session_error(s, PL_ERR_INTERNAL, PL_MSG_SET_PASSWORD, "could not store the password");
		} else {
			pl_log(PL_LOG_INFO, "%s changed their password", s->nick);
			struct pl_msg ok = {.type = PL_MSG_OK};
			ok.u.ok.about = PL_MSG_SET_PASSWORD;
			pl_session_send(s, &ok);
		}
	}
	sodium_memzero(d, sizeof *d);
	free(d);
}

static void auth_done(struct pl_job *j)
{
	struct auth_job *a = (struct auth_job *)j;
	struct pl_server *srv = a->srv;
	struct pl_session *s = pl_server_session(srv, a->session);
	bool reg = a->about == PL_MSG_REGISTER;
	if (s && s->job == a) {
		s->job = NULL;
		pl_session_release(s);
	}
	if (!s || pl_conn_closing(s->conn))
		goto out;
	if (a->about == PL_MSG_SET_PASSWORD) {
		/* The session stayed logged in (keepalive, presence, delivery) while this ran. */
		if (s->state != PL_SESS_READY || !s->pw_change)
			goto out;
		s->pw_change = false;
		if (a->hash_failed) {
			pl_session_error(s, PL_ERR_INTERNAL, a->about, "could not hash the new password");
		} else if (!a->ok) {
			pl_session_error(s, PL_ERR_AUTH_FAILED, a->about, "the current password is wrong");
		} else {
			give_login(srv, a->nick, a->host);
			struct device_write *d = calloc(1, sizeof *d);
			if (!d) {
				pl_session_error(s, PL_ERR_INTERNAL, a->about, NULL);
				goto out;
			}
			snprintf(d->dev.nick, sizeof d->dev.nick, "%s", a->nick);
			snprintf(d->pwhash, sizeof d->pwhash, "%s", a->pwhash);
			pl_session_submit(s, &d->sw, password_apply, password_changed, true);
		}
		goto out;
	}
	if (s->state != PL_SESS_AUTH_WAIT)
		goto out;
	s->state = PL_SESS_AUTH;
	if (!a->ok) {
		if (reg) {
			pl_limiter_give(srv->register_host, a->host, pl_env_mono_ms(srv->env));
			pl_session_error(s, PL_ERR_INTERNAL, a->about, "could not hash the password");
		} else {
			pl_log(PL_LOG_INFO, "failed login for '%s' from %s", a->nick, s->peer);
			pl_metrics_login(srv->metrics, PL_LOGIN_FAILED);
			pl_session_error(s, PL_ERR_AUTH_FAILED, a->about, NULL);
		}
		goto out;
	}
	if (!reg)
		give_login(srv, a->nick, a->host);
	if (reg)
		submit_device_write(s, a, true);
	else
		login_ok(s, a);
out:
	job_free(a);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* An account an administrator banned gets 455 before any password or signature work. */
static bool banned(struct pl_session *s, const char *nick, uint16_t about)
{
	const struct pl_ban *b = pl_bans_account(s->srv->bans, nick, pl_env_wall_ms(s->srv->env));
	if (!b)
		return false;
	char d[PL_BAN_REASON_MAX + 64];
	pl_ban_describe(&b->rec, d, sizeof d);
	pl_log(PL_LOG_INFO, "banned account '%s' tried to log in from %s", nick, s->peer);
	pl_metrics_login(s->srv->metrics, PL_LOGIN_BANNED);
	pl_session_error(s, PL_ERR_BANNED, about, d);
	return true;
}

static void password_login(struct pl_session *s, const struct pl_msg *m)
{
	struct pl_server *srv = s->srv;
	bool reg = m->type == PL_MSG_REGISTER;
	const char *nick = m->u.auth.nick;
	if (!pl_nick_valid(nick)) {
		pl_session_error(s, reg ? PL_ERR_BAD_NICK : PL_ERR_AUTH_FAILED, m->type, NULL);
		return;
	}
	if (!pl_line_valid(m->u.auth.device_name)) {
		pl_session_error(s, PL_ERR_BAD_REQUEST, m->type, "the device name must be UTF-8 without control characters");
		return;
	}
	size_t plen = strlen(m->u.auth.password);
	if (reg && (plen < PL_PASSWORD_MIN || plen > PL_PASSWORD_MAX)) {
		pl_session_error(s, PL_ERR_BAD_PASSWORD, m->type, NULL);
		return;
	}
	if (reg && !pl_line_valid(m->u.auth.realname)) {
		pl_session_error(s, PL_ERR_BAD_REQUEST, m->type, "the real name must be UTF-8 without control characters");
		return;
	}
	struct pl_account acc;
	int rc = pl_store_account_get(srv->store, nick, &acc);
	if (rc < 0 && rc != -ENOENT) {
		pl_session_error(s, PL_ERR_INTERNAL, m->type, "could not read the account");
		return;
	}
	uint64_t now = pl_env_mono_ms(srv->env);
	if (banned(s, rc == 0 ? acc.nick : nick, m->type)) {
		sodium_memzero(&acc, sizeof acc);
		return;
	}
	if (reg) {
		if (rc == 0) {
			/* Checked before hashing so a taken name costs no Argon2id; the insert's
			 * uniqueness still decides a race between two registrations. */
			pl_session_error(s, PL_ERR_NICK_TAKEN, m->type, NULL);
			return;
		}
		if (!pl_limiter_take(srv->register_host, s->peer_host, now)) {
			pl_metrics_refused(srv->metrics, PL_REFUSED_REGISTER_LIMITER);
			pl_metrics_login(srv->metrics, PL_LOGIN_LIMITED);
			pl_session_error(s, PL_ERR_REGISTER_LIMIT, m->type, NULL);
			return;
		}
	} else if (!take_login(srv, rc == 0 ? acc.nick : nick, s->peer_host)) {
		/* Refused before any Argon2id work, so guessing costs the guesser, not the server. */
		pl_metrics_refused(srv->metrics, PL_REFUSED_LOGIN_LIMITER);
		pl_metrics_login(srv->metrics, PL_LOGIN_LIMITED);
		pl_session_error(s, PL_ERR_TOO_MANY_ATTEMPTS, m->type, NULL);
		sodium_memzero(&acc, sizeof acc);
		return;
	}
	struct auth_job *a = job_new(s, m->type, rc == 0 ? acc.nick : nick); /* the stored spelling */
	if (!a) {
		pl_session_error(s, PL_ERR_INTERNAL, m->type, NULL);
		sodium_memzero(&acc, sizeof acc);
		return;
	}
	snprintf(a->password, sizeof a->password, "%s", m->u.auth.password);
	a->has_device = !all_zero(m->u.auth.device_key, PL_DEVICE_KEY_LEN);
	memcpy(a->device, m->u.auth.device_key, PL_DEVICE_KEY_LEN);
	snprintf(a->device_name, sizeof a->device_name, "%s", m->u.auth.device_name);
	if (reg) {
		snprintf(a->realname, sizeof a->realname, "%s", m->u.auth.realname);
	} else if (rc == 0) {
		a->account_exists = true;
		snprintf(a->realname, sizeof a->realname, "%s", acc.realname);
		snprintf(a->pwhash, sizeof a->pwhash, "%s", acc.pwhash);
	}
	sodium_memzero(&acc, sizeof acc);
	char charged[PL_NICK_MAX + 1]; /* the name the tokens were taken for; job_submit may free a */
	snprintf(charged, sizeof charged, "%s", a->nick);
	if (job_submit(s, a) < 0) {
		/* Busy is the server's state, not a guess: the tokens go back. */
		if (reg)
			pl_limiter_give(srv->register_host, s->peer_host, now);
		else
			give_login(srv, charged, s->peer_host);
		return;
	}
	s->state = PL_SESS_AUTH_WAIT;
}

/* --- device-key logins --- */

static void key_login(struct pl_session *s, const struct pl_msg *m)
{
	struct pl_server *srv = s->srv;
	const char *nick = m->u.login_key.nick;
	const uint8_t *key = m->u.login_key.device_key;
	if (!pl_nick_valid(nick)) {
		pl_session_error(s, PL_ERR_AUTH_FAILED, m->type, NULL);
		return;
	}
	if (banned(s, nick, m->type))
		return;
	struct pl_device_rec d;
	int rc = pl_store_device_get(srv->store, nick, key, &d);
	if (rc == -ENOENT) {
		pl_metrics_login(srv->metrics, PL_LOGIN_KEY_FAILED);
		pl_session_error(s, PL_ERR_UNKNOWN_DEVICE, m->type, NULL);
		return;
	}
	if (rc < 0) {
		pl_session_error(s, PL_ERR_INTERNAL, m->type, "could not read the devices");
		return;
	}
	if (d.revoked) {
		pl_metrics_login(srv->metrics, PL_LOGIN_KEY_FAILED);
		pl_session_error(s, PL_ERR_DEVICE_REVOKED, m->type, NULL);
		return;
	}
	/* The signature covers this connection's challenge and our certificate (core/auth.h). */
	if (pl_login_verify(m->u.login_key.sig, key, s->challenge, srv->cert_hash, nick) < 0) {
		pl_log(PL_LOG_INFO, "bad device signature for '%s' from %s", nick, s->peer);
		pl_metrics_login(srv->metrics, PL_LOGIN_KEY_FAILED);
		pl_session_error(s, PL_ERR_AUTH_FAILED, m->type, "the device signature does not check");
		return;
	}
	struct pl_account acc;
	if (pl_store_account_get(srv->store, d.nick, &acc) < 0) {
		pl_session_error(s, PL_ERR_INTERNAL, m->type, "could not read the account");
		return;
	}
	pl_session_enter_ready(s, acc.nick, acc.realname, key, 0);
	if (s->state == PL_SESS_READY) {
		touch_device(srv, acc.nick, key);
		pl_metrics_login(srv->metrics, PL_LOGIN_KEY_OK);
	}
	sodium_memzero(&acc, sizeof acc);
}

/* --- logged in: password change and devices --- */

static void set_password(struct pl_session *s, const struct pl_msg *m)
{
	struct pl_server *srv = s->srv;
	size_t n = strlen(m->u.set_password.new_password);
	if (n < PL_PASSWORD_MIN || n > PL_PASSWORD_MAX) {
		pl_session_error(s, PL_ERR_BAD_PASSWORD, m->type, NULL);
		return;
	}
	if (s->pw_change || s->job) {
		pl_session_error(s, PL_ERR_UNEXPECTED, m->type, "a password change is already being checked");
		return;
	}
	if (!take_login(srv, s->nick, s->peer_host)) {
		pl_session_error(s, PL_ERR_TOO_MANY_ATTEMPTS, m->type, NULL);
		return;
	}
	struct pl_account acc;
	struct auth_job *a = job_new(s, m->type, s->nick);
	if (!a || pl_store_account_get(srv->store, s->nick, &acc) < 0) {
		if (a)
			job_free(a);
		give_login(srv, s->nick, s->peer_host);
		pl_session_error(s, PL_ERR_INTERNAL, m->type, NULL);
		return;
	}
	a->account_exists = true;
	snprintf(a->pwhash, sizeof a->pwhash, "%s", acc.pwhash);
	snprintf(a->password, sizeof a->password, "%s", m->u.set_password.old_password);
	snprintf(a->new_password, sizeof a->new_password, "%s", m->u.set_password.new_password);
	sodium_memzero(&acc, sizeof acc);
	if (job_submit(s, a) < 0) {
		give_login(srv, s->nick, s->peer_host);
		return;
	}
	s->pw_change = true; /* stays READY: only reading waits until the check is done */
}

struct device_list {
	struct pl_session *s;
	struct pl_msg m;
	uint32_t count;
};

static int send_device(const struct pl_device_rec *d, void *arg)
{
	struct device_list *l = arg;
	struct pl_msg *m = &l->m;
	memset(m, 0, sizeof *m);
	m->type = PL_MSG_DEVICE;
	snprintf(m->u.device.nick, sizeof m->u.device.nick, "%s", d->nick);
	memcpy(m->u.device.key, d->key, PL_DEVICE_KEY_LEN);
	snprintf(m->u.device.name, sizeof m->u.device.name, "%s", d->name);
	m->u.device.added_ms = d->added_ms;
	m->u.device.last_seen_ms = d->last_seen_ms;
	m->u.device.flags = (d->revoked ? PL_DEVICE_REVOKED : 0) |
			    (!strcasecmp(d->nick, l->s->nick) && !memcmp(d->key, l->s->device, PL_DEVICE_KEY_LEN)
				     ? PL_DEVICE_THIS : 0);
	pl_session_send(l->s, m);
	l->count++;
	return 0;
}

static void list_devices(struct pl_session *s, const char *nick, uint16_t about)
{
	struct device_list l = {.s = s};
	if (pl_store_devices(s->srv->store, nick, send_device, &l) < 0)
		pl_session_error(s, PL_ERR_INTERNAL, about, "could not read the devices");
	else
		pl_session_list_end(s, about, l.count, false);
}

/* A contact's device keys: what calls to them will be encrypted to, shown to people with their
 * fingerprints. Only to the user and to accepted contacts. */
static void keys_get(struct pl_session *s, const struct pl_msg *m)
{
	struct pl_account acc;
	const char *nick = m->u.user.nick;
	int rc = pl_nick_valid(nick) ? pl_store_account_get(s->srv->store, nick, &acc) : -ENOENT;
	if (rc < 0) {
		pl_session_error(s, rc == -ENOENT ? PL_ERR_NO_SUCH_USER : PL_ERR_INTERNAL, m->type, nick);
		return;
	}
	if (strcasecmp(acc.nick, s->nick) != 0 && pl_store_contact_exists(s->srv->store, s->nick, acc.nick) != 0) {
		pl_session_error(s, PL_ERR_NO_CONTACT, m->type, acc.nick);
		return;
	}
	list_devices(s, acc.nick, m->type);
}

struct revoke_write {
	struct pl_session_write sw;
	char nick[PL_NICK_MAX + 1];
	uint8_t key[PL_DEVICE_KEY_LEN];
};

static int revoke_apply(struct pl_store_write *w, struct pl_store *st)
{
	struct revoke_write *r = (struct revoke_write *)w;
	return pl_store_device_revoke(st, r->nick, r->key);
}

static void revoke_done(struct pl_store_write *w, int rc)
{
	struct revoke_write *r = (struct revoke_write *)w;
	struct pl_session *s = pl_session_written(&r->sw);
	if (s) {
		if (rc == 0) {
			char fp[PL_KEY_FP_STR];
			pl_key_fingerprint(fp, r->key);
			pl_log(PL_LOG_INFO, "%s revoked the device %s", s->nick, fp);
			struct pl_msg ok = {.type = PL_MSG_OK};
			ok.u.ok.about = PL_MSG_DEVICE_REVOKE;
			pl_session_send(s, &ok);
		} else {
			pl_session_error(s, rc == -ENOENT ? PL_ERR_NO_SUCH_DEVICE : PL_ERR_INTERNAL, PL_MSG_DEVICE_REVOKE, NULL);
		}
	}
	free(r);
}

static void device_revoke(struct pl_session *s, const struct pl_msg *m)
{
	struct revoke_write *r = calloc(1, sizeof *r);
	if (!r) {
		pl_session_error(s, PL_ERR_INTERNAL, m->type, NULL);
		return;
	}
	snprintf(r->nick, sizeof r->nick, "%s", s->nick);
	memcpy(r->key, m->u.device_revoke.key, sizeof r->key);
	pl_session_submit(s, &r->sw, revoke_apply, revoke_done, true);
}

void pl_auth_handle(struct pl_session *s, const struct pl_msg *m)
{
	switch (m->type) {
	case PL_MSG_REGISTER:
	case PL_MSG_LOGIN:
		password_login(s, m);
		break;
	case PL_MSG_LOGIN_KEY:
		key_login(s, m);
		break;
	case PL_MSG_SET_PASSWORD:
		set_password(s, m);
		break;
	case PL_MSG_DEVICES_GET:
		list_devices(s, s->nick, m->type);
		break;
	case PL_MSG_DEVICE_REVOKE:
		device_revoke(s, m);
		break;
	case PL_MSG_KEYS_GET:
		keys_get(s, m);
		break;
	default:
		break;
	}
}
