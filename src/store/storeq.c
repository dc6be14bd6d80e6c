#include "store/storeq.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

struct pl_storeq {
	struct pl_store *st;
	unsigned max_batch;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct pl_store_write *head, *tail; /* submitted, oldest first */
	struct pl_store_write *done_head, *done_tail; /* committed, oldest first, for the loop */
	bool stop;
	int wake;
	struct event *ev;
	struct pl_storeq_stats stats;
};

const double pl_storeq_bucket_ms[PL_STOREQ_BUCKETS] = {0.5, 1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 5000};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Runs the group's writes inside the open transaction; with savepoints, each write in its own, so
 * a write that fails is undone alone. Returns whether every write succeeded. */
static bool apply_all(struct pl_storeq *q, struct pl_store_write *group, bool savepoints)
{
	const struct pl_store_ops *ops = q->st->ops;
	void *impl = q->st->impl;
	bool all = true;
	for (struct pl_store_write *w = group; w; w = w->next) {
		if (savepoints && ops->savepoint(impl) < 0) {
			w->rc = -EIO;
			all = false;
			continue;
		}
		w->rc = w->apply(w, q->st);
		all &= w->rc >= 0;
		if (savepoints)
			ops->release(impl, w->rc < 0);
		else if (w->rc < 0)
			return false; /* the group is run again, with savepoints */
	}
	return all;
}

/* Runs one group with one commit for all. Writes rarely fail (a full mailbox, a taken name), so
 * the group first runs without a savepoint per write, which would cost two statements each; if
 * one fails, the transaction is rolled back and the group runs again with savepoints, where each
 * write gets the same result as before but a failed one is undone alone. */
static void run_group(struct pl_storeq *q, struct pl_store_write *group)
{
	const struct pl_store_ops *ops = q->st->ops;
	void *impl = q->st->impl;
	double t0 = now_ms();
	bool ok = ops->begin(impl) == 0;
	if (ok && !apply_all(q, group, false)) {
		ops->rollback(impl);
		ok = ops->begin(impl) == 0;
		if (ok)
			apply_all(q, group, true);
	}
	if (!ok)
		for (struct pl_store_write *w = group; w; w = w->next)
			w->rc = -EIO;
	if (ok && ops->commit(impl) < 0) {
		ops->rollback(impl);
		ok = false;
	}
	unsigned long long n = 0;
	for (struct pl_store_write *w = group; w; w = w->next, n++)
		if (!ok)
			w->rc = -EIO;
	double took = now_ms() - t0;
	pthread_mutex_lock(&q->mu);
	q->stats.writes += n;
	q->stats.commits++;
	q->stats.failed_commits += !ok;
	if (took > q->stats.commit_ms_max)
		q->stats.commit_ms_max = took;
	q->stats.commit_ms_sum += took;
	unsigned b = 0;
	while (b < PL_STOREQ_BUCKETS && took > pl_storeq_bucket_ms[b])
		b++;
	q->stats.commit_hist[b]++;
	pthread_mutex_unlock(&q->mu);
}

static void *run(void *arg)
{
	struct pl_storeq *q = arg;
	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (!q->head && !q->stop)
			pthread_cond_wait(&q->cv, &q->mu);
		if (!q->head)
			break;
		/* Everything that waits, up to max_batch: the writes that arrived during the last
		 * commit share the next one. */
		struct pl_store_write *group = q->head, *last = q->head;
		unsigned taken = 1;
		for (; taken < q->max_batch && last->next; taken++)
			last = last->next;
		q->stats.queued -= taken;
		q->head = last->next;
		if (!q->head)
			q->tail = NULL;
		last->next = NULL;
		pthread_mutex_unlock(&q->mu);

		run_group(q, group);

		pthread_mutex_lock(&q->mu);
		if (q->done_tail)
			q->done_tail->next = group;
		else
			q->done_head = group;
		q->done_tail = last;
		uint64_t one = 1;
		ssize_t wr = write(q->wake, &one, sizeof one);
		(void)wr;
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

static void complete(struct pl_storeq *q)
{
	pthread_mutex_lock(&q->mu);
	struct pl_store_write *w = q->done_head;
	q->done_head = q->done_tail = NULL;
	pthread_mutex_unlock(&q->mu);
	while (w) {
		struct pl_store_write *n = w->next;
		w->done(w, w->rc);
		w = n;
	}
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct pl_storeq *q = arg;
	uint64_t v;
	ssize_t n = read(fd, &v, sizeof v);
	(void)n;
	complete(q);
}

int pl_storeq_alloc(struct pl_storeq **qp, struct event_base *base, struct pl_store *writer, unsigned max_batch)
{
	struct pl_storeq *q = calloc(1, sizeof *q);
	if (!q)
		return -ENOMEM;
	q->st = writer;
	q->max_batch = max_batch ? max_batch : 1;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	q->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->wake < 0)
		goto fail;
	q->ev = event_new(base, q->wake, EV_READ | EV_PERSIST, on_wake, q);
	if (!q->ev || event_add(q->ev, NULL) || pthread_create(&q->thread, NULL, run, q))
		goto fail;
	*qp = q;
	return 0;
fail:
	if (q->ev)
		event_free(q->ev);
	if (q->wake >= 0)
		close(q->wake);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	free(q);
	return -ENOMEM;
}

void pl_storeq_free(struct pl_storeq *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = true;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL); /* it finishes what was submitted first */
	complete(q);
	event_free(q->ev);
	close(q->wake);
	pl_store_close(q->st);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	free(q);
}

void pl_storeq_submit(struct pl_storeq *q, struct pl_store_write *w)
{
	w->next = NULL;
	w->rc = 0;
	pthread_mutex_lock(&q->mu);
	if (q->tail)
		q->tail->next = w;
	else
		q->head = w;
	q->tail = w;
	q->stats.queued++;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

void pl_storeq_stats(struct pl_storeq *q, struct pl_storeq_stats *st)
{
	pthread_mutex_lock(&q->mu);
	*st = q->stats;
	pthread_mutex_unlock(&q->mu);
}
