/*
 * pl_load's books: who each client is (derived from the run seed, so a later run finds the same
 * accounts and device keys), every SAY by (sender, tag) with its send and SAY_OK times, which room
 * members each one reached (a bit per member, so a second copy is seen as a duplicate), and the
 * JSON report made from them at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>

#include "pl_load.h"
#include "jout.h"

const char *const ld_state_names[] = {"idle", "tls", "hello", "auth", "join", "ready", "failed", "closed"};

int64_t ld_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double secs(int64_t ns) { return (double)ns / 1e9; }

unsigned ld_room_members(const struct ld_run *L, unsigned room)
{
	unsigned first = room * L->o.room_size, left = L->o.n - first;
	return left < L->o.room_size ? left : L->o.room_size;
}

/* --- identities --- */

static void derive(const struct ld_opts *o, unsigned i, const char *what, uint8_t out[32])
{
	crypto_generichash_state h;
	uint8_t be[4] = {(uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
	crypto_generichash_init(&h, NULL, 0, 32);
	crypto_generichash_update(&h, (const uint8_t *)o->seed, strlen(o->seed) + 1);
	crypto_generichash_update(&h, (const uint8_t *)what, strlen(what) + 1);
	crypto_generichash_update(&h, be, sizeof be);
	crypto_generichash_final(&h, out, 32);
}

void ld_identity(struct ld_client *c)
{
	const struct ld_opts *o = &c->L->o;
	uint8_t seed[32], pw[32];
	snprintf(c->nick, sizeof c->nick, "%s%u", o->prefix, c->idx);
	snprintf(c->room_name, sizeof c->room_name, "#%s-r%u", o->prefix, c->room);
	derive(o, c->idx, "device", seed);
	crypto_sign_seed_keypair(c->pk, c->sk, seed);
	derive(o, c->idx, "password", pw);
	memcpy(c->password, "pw-", 3);
	sodium_bin2hex(c->password + 3, sizeof c->password - 3, pw, 12);
	sodium_memzero(seed, sizeof seed);
}

/* --- the ledger --- */

static int grow(struct ld_client *c)
{
	unsigned words = c->L->mask_words;
	uint32_t cap = c->cap ? c->cap * 2 : 64;
	struct ld_sent *m = realloc(c->msgs, cap * sizeof *m);
	if (!m)
		return -1;
	c->msgs = m;
	uint64_t *k = realloc(c->masks, (size_t)cap * words * sizeof *k);
	if (!k)
		return -1;
	c->masks = k;
	memset(c->msgs + c->cap, 0, (cap - c->cap) * sizeof *m);
	memset(c->masks + (size_t)c->cap * words, 0, (size_t)(cap - c->cap) * words * sizeof *k);
	c->cap = cap;
	return 0;
}

uint32_t ld_sent(struct ld_client *c, int64_t now)
{
	if (c->nmsgs == c->cap && grow(c) < 0)
		return 0;
	c->msgs[c->nmsgs] = (struct ld_sent){.t_send = now};
	c->nmsgs++;
	c->outstanding++;
	c->L->sent++;
	return c->nmsgs;
}

bool ld_acked(struct ld_client *c, uint32_t tag, uint64_t id, int64_t now)
{
	struct ld_run *L = c->L;
	struct ld_sent *s = tag >= 1 && tag <= c->nmsgs ? &c->msgs[tag - 1] : NULL;
	if (!s || s->state != 0) {
		L->bad_acks++;
		return false;
	}
	s->state = 1;
	s->t_ack = now;
	if (s->id && s->id != id)
		L->id_mismatch++;
	s->id = id;
	c->outstanding--;
	L->acked++;
	if (now <= L->t_run_end)
		L->acked_in_run++;
	L->expected += ld_room_members(L, c->room);
	return true;
}

void ld_refused(struct ld_client *c)
{
	for (; c->oldest < c->nmsgs; c->oldest++)
		if (c->msgs[c->oldest].state == 0)
			break;
	if (c->oldest < c->nmsgs && c->outstanding) {
		c->msgs[c->oldest].state = 2;
		c->outstanding--;
		c->L->refused++;
	}
}

void ld_text(struct ld_client *r, const struct pl_msg *m)
{
	struct ld_run *L = r->L;
	unsigned si, tag;
	if (sscanf(m->u.text.text, "pl_load %u %u ", &si, &tag) != 2 || si >= L->o.n || tag < 1 ||
	    tag > L->c[si].nmsgs || (m->u.text.flags & (PL_TEXT_HISTORY | PL_TEXT_OFFLINE))) {
		L->stray++;
		return;
	}
	struct ld_client *s = &L->c[si];
	if (s->room != r->room || strcasecmp(m->u.text.target, s->room_name) || strcasecmp(m->u.text.from, s->nick)) {
		L->mismatched++;
		return;
	}
	struct ld_sent *x = &s->msgs[tag - 1];
	unsigned pos = r->idx - r->room * L->o.room_size;
	uint64_t *mask = &s->masks[(size_t)(tag - 1) * L->mask_words + pos / 64], bit = 1ULL << (pos % 64);
	if (*mask & bit) {
		L->dups++;
		return;
	}
	*mask |= bit;
	x->got++;
	L->received++;
	if (x->id && x->id != m->u.text.id)
		L->id_mismatch++;
	else if (!x->id)
		x->id = m->u.text.id;
}

/* --- the report --- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* The q-quantile of n sorted nanosecond values, in milliseconds. */
static double pct_ms(const int64_t *v, size_t n, double q)
{
	if (!n)
		return 0;
	size_t k = (size_t)(q * (double)n + 0.999999);
	return (double)v[k ? k - 1 : 0] / 1e6;
}

static void jw_pcts(json_t *w, const char *name, int64_t *v, size_t n)
{
	char key[64];
	static const struct { const char *k; double q; } qs[] = {{"p50", 0.50}, {"p90", 0.90}, {"p99", 0.99},
								{"p999", 0.999}, {"max", 1.0}};
	qsort(v, n, sizeof *v, cmp_i64);
	for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
		snprintf(key, sizeof key, "%s_%s", name, qs[i].k);
		j_double(w, key, pct_ms(v, n, qs[i].q));
	}
}

static void jw_settings(json_t *w, const struct ld_opts *o)
{
	j_str(w, "label", o->label);
	j_str(w, "auth", o->auth == LD_AUTH_REGISTER ? "register" : o->auth == LD_AUTH_PASSWORD ? "password" : "key");
	j_uint(w, "clients", o->n);
	j_uint(w, "room_size", o->room_size);
	j_uint(w, "rooms", o->room_size ? (o->n + o->room_size - 1) / o->room_size : 0);
	j_uint(w, "concurrency", o->concurrency);
	j_uint(w, "src_addrs", o->src_addrs);
	j_bool(w, "nodelay", !o->nagle);
	j_double(w, "duration_s", o->duration);
	j_double(w, "rate_per_client", o->rate);
	j_uint(w, "window", o->window);
	j_uint(w, "text_bytes", o->text_bytes);
}

static void jw_login(json_t *w, const struct ld_run *L, int64_t *logins, size_t nlog)
{
	j_uint(w, "connected", L->connected);
	j_uint(w, "logins_ok", L->logins_ok);
	j_uint(w, "logins_failed", L->logins_failed);
	j_uint(w, "devices_added", L->device_added);
	j_uint(w, "busy_retries", L->busy_retries);
	j_uint(w, "cert_mismatch", L->cert_mismatch);
	j_double(w, "login_s", L->t_last_auth ? secs(L->t_last_auth - L->t_first_connect) : 0);
	jw_pcts(w, "login_ms_each", logins, nlog);
	j_uint(w, "ready", L->ready);
	j_uint(w, "join_failed", L->join_failed);
	j_double(w, "ready_s", L->t_ready ? secs(L->t_ready - L->t_first_connect) : 0);
	j_uint(w, "disconnects", L->disconnects);
	for (int s = LD_TLS; s <= LD_READY; s++)
		if (L->disconnect_in[s]) {
			char key[40];
			snprintf(key, sizeof key, "disconnects_in_%s", ld_state_names[s]);
			j_uint(w, key, L->disconnect_in[s]);
		}
	j_uint(w, "pings_answered", L->pings);
}

void ld_report(struct ld_run *L)
{
	const struct ld_opts *o = &L->o;
	uint64_t missing = 0, delivered_unacked = 0, unanswered = 0;
	size_t nlat = 0, nlog = 0;
	int64_t *lat = malloc((L->acked + 1) * sizeof *lat), *logins = malloc((o->n + 1) * sizeof *logins);
	json_t *w = json_object();
	if (!lat || !logins || !w) {
		printf("{\"label\":\"pl_load\",\"error\":\"out of memory for the report\"}\n");
		goto out;
	}
	for (unsigned i = 0; i < o->n; i++) {
		struct ld_client *c = &L->c[i];
		if (c->t_auth)
			logins[nlog++] = c->t_auth - c->t_connect;
		for (uint32_t k = 0; k < c->nmsgs; k++) {
			struct ld_sent *s = &c->msgs[k];
			if (s->state == 1) {
				missing += ld_room_members(L, c->room) - s->got;
				lat[nlat++] = s->t_ack - s->t_send;
			} else {
				unanswered += s->state == 0;
				delivered_unacked += s->got > 0;
			}
		}
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	jw_settings(w, o);
	jw_login(w, L, logins, nlog);
	j_uint(w, "sent", L->sent);
	j_uint(w, "acked", L->acked);
	j_uint(w, "refused", L->refused);
	j_uint(w, "unanswered", unanswered);
	j_uint(w, "bad_acks", L->bad_acks);
	j_double(w, "acked_per_s", o->duration > 0 ? (double)L->acked_in_run / o->duration : 0);
	jw_pcts(w, "say_ok_ms", lat, nlat);
	j_uint(w, "deliveries_expected", L->expected);
	j_uint(w, "deliveries_received", L->received);
	j_uint(w, "deliveries_missing", missing);
	j_uint(w, "duplicates", L->dups);
	j_uint(w, "delivered_unacked", delivered_unacked);
	j_uint(w, "id_mismatch", L->id_mismatch);
	j_uint(w, "misrouted", L->mismatched);
	j_uint(w, "stray_text", L->stray);
	for (int code = 0; code < LD_ERR_CODES; code++)
		if (L->errors[code]) {
			char key[40];
			snprintf(key, sizeof key, "err_%d", code);
			j_uint(w, key, L->errors[code]);
		}
	j_double(w, "drain_s", L->t_run_end && L->t_drain_end > L->t_run_end ? secs(L->t_drain_end - L->t_run_end) : 0);
	j_double(w, "elapsed_s", secs(ld_mono_ns() - L->t0));
	j_double(w, "cpu_s", (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
				  (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
	j_print(w);
	w = NULL;
out:
	json_decref(w);
	free(lat);
	free(logins);
}
