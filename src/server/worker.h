/*
 * worker: a pool of background threads for slow, CPU-bound requests (Argon2id hashing and
 * checking), so the event loop that carries signalling never stalls on them. A job runs `work` on
 * a worker thread, then `done` on the event-loop thread. Jobs own all the data they touch.
 *
 * The queue is bounded: a job that does not fit is refused at once (the client is told to retry),
 * rather than queued behind work that would finish after its login deadline. A job whose
 * connection ends while it waits is taken out of the queue unworked (pl_worker_cancel).
 */
#ifndef PL_WORKER_H
#define PL_WORKER_H

#include <event2/event.h>
#include <stdbool.h>

struct pl_worker;

struct pl_job {
	void (*work)(struct pl_job *j); /* worker thread */
	void (*done)(struct pl_job *j); /* event-loop thread; frees the job */
	struct pl_job *next, *prev;
	bool running;                   /* taken by a thread (under the pool's lock) */
};

/* threads: 0 means one per online CPU. queue_max: jobs waiting at most. */
int pl_worker_alloc(struct pl_worker **wp, struct event_base *base, unsigned threads, unsigned queue_max);
/* Finishes the jobs already queued, calls their `done`, and stops the threads. */
void pl_worker_free(struct pl_worker *w);
/* Queues j; 0, or -EBUSY when the queue is full (j is not taken). */
int pl_worker_submit(struct pl_worker *w, struct pl_job *j);
/* Takes j out of the queue if no thread has started it: true, and the caller owns j again (its
 * `done` will not run). false when it is running or finished: `done` still comes. */
bool pl_worker_cancel(struct pl_worker *w, struct pl_job *j);
/* Seconds until a job submitted now would likely start, for "busy, retry in N s". */
unsigned pl_worker_retry_after(struct pl_worker *w);
unsigned pl_worker_threads(const struct pl_worker *w);
/* Jobs waiting now (for metrics). */
unsigned pl_worker_queued(struct pl_worker *w);
/* A new bound on the jobs waiting (a config reload); jobs already queued stay. */
void pl_worker_set_queue_max(struct pl_worker *w, unsigned queue_max);

#endif
