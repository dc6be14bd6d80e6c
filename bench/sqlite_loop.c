/*
 * sqlite_loop: the floor under parleyd's message store. It inserts chat messages into a fresh
 * SQLite database as fast as one thread can, B rows per transaction, with parleyd's journal
 * settings (WAL, synchronous=FULL, foreign_keys=ON, busy timeout 5 s: src/store/store_sqlite.c)
 * and parleyd's INSERT, and reports rows per second and the time each COMMIT took. B = 1 is a
 * store that commits each message on its own (parleyd before issue 6); B = 100 is what a group
 * commit can reach at best. Nothing here decodes, routes or sends: the difference between this and
 * parleyd's acknowledged messages per second is the cost of everything else.
 *
 * The table shape comes from a database parleyd made (--schema-from: the CREATE statements of its
 * `messages` table and indexes, read from sqlite_master), so it follows the store's schema without
 * a copy here; without that option a copy of today's statements is used.
 *
 * Output: one JSON object on stdout (one line, flat keys). Exit status 0, 1 when the database
 * could not be used, 2 on bad arguments. The database is deleted at the end unless --keep is given.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "jout.h"

#define TEXT_MAX 4000
#define LAT_MAX_SAMPLES 10000000u
#define SENDERS 200 /* rows rotate over senders and rooms as pl_load's do */
#define ROOM_SIZE 10

/* A copy of the messages table of src/store/store_sqlite.c, used without --schema-from. */
static const char builtin_schema[] =
	"CREATE TABLE IF NOT EXISTS messages ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, conv TEXT NOT NULL, time_ms INTEGER NOT NULL,"
	"  sender TEXT NOT NULL, target TEXT NOT NULL, text TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS messages_conv ON messages(conv, id);";
/* parleyd's statements (store_sqlite.c: MSG_INSERT, BEGIN, COMMIT) and pragmas (pl_store_open_sqlite). */
static const char insert_sql[] = "INSERT INTO messages(conv, time_ms, sender, target, text) VALUES (?,?,?,?,?)";
static const char pragmas[] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;";

struct opts {
	const char *dir, *schema_from, *label;
	unsigned batch, text_bytes;
	double duration;
	bool keep;
};

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static uint32_t pct(const uint32_t *v, size_t n, double q)
{
	if (!n)
		return 0;
	size_t k = (size_t)ceil(q * (double)n);
	return v[k ? k - 1 : 0];
}

/* Runs the CREATE statements of parleyd's messages table (from its database) in db. */
static int copy_schema(sqlite3 *db, const char *from, char *err, size_t errsz)
{
	sqlite3 *src = NULL;
	sqlite3_stmt *st = NULL;
	int n = 0, rc = -EIO;
	if (sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(src, "SELECT sql FROM sqlite_master WHERE tbl_name = 'messages' AND sql IS NOT NULL "
			       "ORDER BY type = 'table' DESC, name", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errsz, "cannot read the schema of %s: %s", from, src ? sqlite3_errmsg(src) : "no memory");
		goto out;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		if (sqlite3_exec(db, s, NULL, NULL, NULL) != SQLITE_OK) {
			snprintf(err, errsz, "cannot run '%s': %s", s, sqlite3_errmsg(db));
			goto out;
		}
		n++;
	}
	if (n == 0)
		snprintf(err, errsz, "%s has no messages table", from);
	else
		rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(src);
	return rc;
}

static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

static int parse_args(struct opts *o, int argc, char **argv)
{
	o->batch = 1;
	o->duration = 10;
	o->text_bytes = 64;
	o->label = "sqlite";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--keep")) {
			o->keep = true;
			continue;
		}
		const char *v = i + 1 < argc ? argv[++i] : NULL;
		if (!v)
			return -EINVAL;
		if (!strcmp(a, "--dir"))
			o->dir = v;
		else if (!strcmp(a, "--batch"))
			o->batch = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--duration"))
			o->duration = strtod(v, NULL);
		else if (!strcmp(a, "--text-bytes"))
			o->text_bytes = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--schema-from"))
			o->schema_from = v;
		else if (!strcmp(a, "--label"))
			o->label = v;
		else
			return -EINVAL;
	}
	if (!o->dir || o->batch < 1 || o->batch > 100000 || !(o->duration > 0 && o->duration <= 600) ||
	    o->text_bytes < 16 || o->text_bytes > TEXT_MAX)
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	if (parse_args(&o, argc, argv) < 0) {
		fprintf(stderr, "Usage: sqlite_loop --dir DIR [--batch ROWS_PER_COMMIT] [--duration S]\n"
				"                   [--text-bytes N] [--schema-from PARLEYD_DB] [--label TEXT] [--keep]\n"
				"Inserts chat messages into DIR/sqlite_loop-PID.db for S seconds, ROWS_PER_COMMIT\n"
				"rows per transaction, with parleyd's pragmas; prints one JSON line.\n");
		return 2;
	}
	char path[4200], err[5000] = "", text[TEXT_MAX + 1];
	snprintf(path, sizeof path, "%s/sqlite_loop-%d.db", o.dir, (int)getpid());
	sqlite3 *db = NULL;
	sqlite3_stmt *ins = NULL, *begin = NULL, *commit = NULL;
	uint32_t *lat = calloc(LAT_MAX_SAMPLES, sizeof *lat);
	int code = 1;
	if (!lat || sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				    NULL) != SQLITE_OK) {
		snprintf(err, sizeof err, "cannot create %s", path);
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, pragmas, NULL, NULL, NULL) != SQLITE_OK ||
	    (o.schema_from ? copy_schema(db, o.schema_from, err, sizeof err) < 0
			   : sqlite3_exec(db, builtin_schema, NULL, NULL, NULL) != SQLITE_OK) ||
	    sqlite3_prepare_v3(db, insert_sql, -1, SQLITE_PREPARE_PERSISTENT, &ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL) != SQLITE_OK) {
		if (!err[0])
			snprintf(err, sizeof err, "cannot set up %s: %s", path, sqlite3_errmsg(db));
		goto out;
	}
	/* What the connection really runs with, for the record. */
	char journal[16] = "?";
	int sync = -1;
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		snprintf(journal, sizeof journal, "%s", (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	if (sqlite3_prepare_v2(db, "PRAGMA synchronous", -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		sync = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);

	double cpu0 = cpu_s();
	int64_t t0 = mono_ns(), end = t0 + (int64_t)(o.duration * 1e9), now = t0;
	uint64_t rows = 0, commits = 0;
	double lat_sum = 0;
	uint32_t lat_max = 0;
	/* Bounded by the duration; the count is a backstop. */
	for (uint64_t turn = 0; turn < 1000000000ULL && now < end; turn++) {
		int64_t c0 = mono_ns();
		if (step_done(begin) < 0) {
			snprintf(err, sizeof err, "BEGIN failed: %s", sqlite3_errmsg(db));
			goto out;
		}
		for (unsigned k = 0; k < o.batch; k++, rows++) {
			unsigned sender = (unsigned)(rows % SENDERS), room = sender / ROOM_SIZE;
			char nick[32], conv[32];
			snprintf(nick, sizeof nick, "ld%u", sender);
			snprintf(conv, sizeof conv, "#load-%u", room);
			int n = snprintf(text, sizeof text, "pl_load %u %" PRIu64 " ", sender, rows);
			memset(text + n, 'x', o.text_bytes > (unsigned)n ? o.text_bytes - (unsigned)n : 0);
			text[o.text_bytes > (unsigned)n ? o.text_bytes : (unsigned)n] = '\0';
			sqlite3_bind_text(ins, 1, conv, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(ins, 2, (sqlite3_int64)(c0 / 1000000));
			sqlite3_bind_text(ins, 3, nick, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(ins, 4, conv, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(ins, 5, text, -1, SQLITE_TRANSIENT);
			if (step_done(ins) < 0) {
				snprintf(err, sizeof err, "INSERT failed: %s", sqlite3_errmsg(db));
				goto out;
			}
		}
		if (step_done(commit) < 0) {
			snprintf(err, sizeof err, "COMMIT failed: %s", sqlite3_errmsg(db));
			goto out;
		}
		now = mono_ns();
		uint32_t us = (uint32_t)((now - c0) / 1000);
		if (commits < LAT_MAX_SAMPLES)
			lat[commits] = us;
		commits++;
		lat_sum += us;
		if (us > lat_max)
			lat_max = us;
	}
	double wall = (double)(now - t0) / 1e9, cpu = cpu_s() - cpu0;
	size_t nlat = commits < LAT_MAX_SAMPLES ? commits : LAT_MAX_SAMPLES;
	qsort(lat, nlat, sizeof *lat, cmp_u32);
	json_t *w = json_object();
	j_str(w, "label", o.label);
	j_uint(w, "batch", o.batch);
	j_double(w, "duration_s", wall);
	j_uint(w, "rows", rows);
	j_uint(w, "commits", commits);
	j_double(w, "rows_per_s", wall > 0 ? (double)rows / wall : 0.0);
	j_double(w, "commits_per_s", wall > 0 ? (double)commits / wall : 0.0);
	j_uint(w, "commit_us_p50", pct(lat, nlat, 0.50));
	j_uint(w, "commit_us_p90", pct(lat, nlat, 0.90));
	j_uint(w, "commit_us_p99", pct(lat, nlat, 0.99));
	j_uint(w, "commit_us_max", lat_max);
	j_double(w, "commit_us_mean", commits ? lat_sum / (double)commits : 0.0);
	j_uint(w, "text_bytes", o.text_bytes);
	j_str(w, "journal_mode", journal);
	j_int(w, "synchronous", sync);
	j_str(w, "schema", o.schema_from ? "parleyd" : "builtin");
	j_double(w, "cpu_s", cpu);
	j_str(w, "sqlite", sqlite3_libversion());
	j_print(w);
	code = 0;
out:
	if (code) {
		json_t *e = json_object();
		j_str(e, "label", o.label);
		j_str(e, "error", err[0] ? err : "failed");
		j_print(e);
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(begin);
	sqlite3_finalize(commit);
	sqlite3_close(db);
	if (!o.keep) {
		char side[4300];
		unlink(path);
		snprintf(side, sizeof side, "%s-wal", path);
		unlink(side);
		snprintf(side, sizeof side, "%s-shm", path);
		unlink(side);
	}
	free(lat);
	return code;
}
