/*
 * storeq: the store's writer, on a thread of its own, with group commit.
 *
 * A SQLite commit costs an fsync (about 2 ms here, seconds when the disk is busy); on the event
 * loop it would stall every connection. The loop hands each durable write to this thread as a
 * pl_store_write; the thread takes every write that is waiting, runs them all in one transaction
 * (each in a savepoint of its own, so one failing write is undone alone), commits once, and only
 * then hands them back to the loop, where `done` runs: whatever a write acknowledges to a client
 * is on disk by then. Writes complete in the order they were submitted.
 *
 * Reads stay on the loop, through a separate read-only connection: in WAL mode they never wait
 * for the writer.
 */
#ifndef PL_STOREQ_H
#define PL_STOREQ_H

#include <event2/event.h>

struct pl_store;
struct pl_storeq;

struct pl_store_write {
	/* Store thread, inside the group's transaction: the write itself, through the pl_store_*
	 * functions on the store it is given. Returns 0 or -errno; nothing else may be touched. */
	int (*apply)(struct pl_store_write *w, struct pl_store *st);
	/* Event-loop thread, after the commit: rc is apply's result, or -EIO when the commit itself
	 * failed (then nothing of the group was stored). Frees w. */
	void (*done)(struct pl_store_write *w, int rc);
	struct pl_store_write *next;
	int rc;
};

/* Takes ownership of writer (a store opened for this thread alone). max_batch bounds the writes
 * in one transaction. */
int pl_storeq_alloc(struct pl_storeq **qp, struct event_base *base, struct pl_store *writer, unsigned max_batch);
/* Commits and completes everything submitted, then stops the thread and closes the writer. */
void pl_storeq_free(struct pl_storeq *q);
void pl_storeq_submit(struct pl_storeq *q, struct pl_store_write *w);

/* Commit times, as a histogram: commit_hist[i] counts the commits that took at most
 * pl_storeq_bucket_ms[i] (and more than the bound before), the last slot those that took longer
 * than every bound. */
#define PL_STOREQ_BUCKETS 12
extern const double pl_storeq_bucket_ms[PL_STOREQ_BUCKETS];

struct pl_storeq_stats {
	unsigned long long writes, commits, failed_commits;
	double commit_ms_max; /* longest commit so far */
	double commit_ms_sum;
	unsigned long long commit_hist[PL_STOREQ_BUCKETS + 1];
	unsigned long long queued; /* writes submitted and not yet taken into a commit */
};
void pl_storeq_stats(struct pl_storeq *q, struct pl_storeq_stats *st);

#endif
