/*
 * Tests of store/storeq, the writer thread with group commit, on a real SQLite file: writes
 * complete in submission order with their own results; one failing write is undone alone and the
 * rest of its group commits; writes submitted together share commits; everything submitted is on
 * disk when the queue is freed (read back through a fresh connection).
 */
#include "store/storeq.h"

#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "test.h"

struct acc_write {
	struct pl_store_write w;
	char nick[PL_NICK_MAX + 1];
	int index;
};

static int order[4096], order_rc[4096], completed;

static int acc_apply(struct pl_store_write *w, struct pl_store *st)
{
	struct acc_write *a = (struct acc_write *)w;
	return pl_store_account_create(st, a->nick, "$argon2id$test", "", 1);
}

static void acc_done(struct pl_store_write *w, int rc)
{
	struct acc_write *a = (struct acc_write *)w;
	order[completed] = a->index;
	order_rc[completed] = rc;
	completed++;
	free(a);
}

static void submit(struct pl_storeq *q, int index, const char *nick)
{
	struct acc_write *a = calloc(1, sizeof *a);
	a->w.apply = acc_apply;
	a->w.done = acc_done;
	a->index = index;
	snprintf(a->nick, sizeof a->nick, "%s", nick);
	pl_storeq_submit(q, &a->w);
}

static void run_until(struct event_base *base, int n)
{
	for (int spins = 0; completed < n && spins < 100000; spins++)
		event_base_loop(base, EVLOOP_ONCE);
}

int main(void)
{
	char dir[] = "/tmp/parley-storeq-XXXXXX", path[64], err[512];
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/t.db", dir);
	struct event_base *base = event_base_new();
	struct pl_store *writer, *reader;
	struct pl_storeq *q;
	test_case("open");
	CHECK_EQ(pl_store_open_sqlite(&writer, path, err, sizeof err), 0);
	CHECK_EQ(pl_storeq_alloc(&q, base, writer, 64), 0);

	/* A duplicate in the middle of a group: it alone fails. */
	test_case("a failing write is undone alone");
	submit(q, 0, "alice");
	submit(q, 1, "bob");
	submit(q, 2, "ALICE"); /* nicknames compare without case: taken */
	submit(q, 3, "carol");
	run_until(base, 4);
	CHECK_EQ(completed, 4);
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(order[i], i);
		CHECK_EQ(order_rc[i], i == 2 ? -EEXIST : 0);
	}

	test_case("1000 writes at once share commits and complete in order");
	struct pl_storeq_stats before, after;
	pl_storeq_stats(q, &before);
	for (int i = 0; i < 1000; i++) {
		char nick[16];
		snprintf(nick, sizeof nick, "user%d", i);
		submit(q, 4 + i, nick);
	}
	run_until(base, 1004);
	pl_storeq_stats(q, &after);
	CHECK_EQ(completed, 1004);
	int out_of_order = 0, failed = 0;
	for (int i = 4; i < 1004; i++) {
		out_of_order += order[i] != i;
		failed += order_rc[i] != 0;
	}
	CHECK_EQ(out_of_order, 0);
	CHECK_EQ(failed, 0);
	CHECK_EQ(after.writes - before.writes, 1000);
	CHECK(after.commits - before.commits < 100); /* batches of up to 64, usually fewer commits */
	CHECK(after.commits - before.commits >= 1000 / 64);

	test_case("freeing commits what is queued");
	for (int i = 0; i < 50; i++) {
		char nick[16];
		snprintf(nick, sizeof nick, "late%d", i);
		submit(q, 1004 + i, nick);
	}
	pl_storeq_free(q); /* runs every done, closes the writer */
	CHECK_EQ(completed, 1054);

	test_case("all there, read by another connection");
	CHECK_EQ(pl_store_open_sqlite(&reader, path, err, sizeof err), 0);
	struct pl_account a;
	CHECK_EQ(pl_store_account_get(reader, "carol", &a), 0);
	CHECK_EQ(pl_store_account_get(reader, "user999", &a), 0);
	CHECK_EQ(pl_store_account_get(reader, "late49", &a), 0);
	CHECK_EQ(pl_store_account_get(reader, "nobody", &a), -ENOENT);
	CHECK_STR_EQ(a.nick, "late49");
	pl_store_close(reader);
	event_base_free(base);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return test_done();
}
