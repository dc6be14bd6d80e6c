/*
 * worker: one background thread for slow, CPU-bound requests (Argon2id hashing and checking),
 * so the event loop that carries signalling and voice never stalls on them. A job runs `work` on
 * the worker thread, then `done` on the event-loop thread. Jobs own all the data they touch.
 */
#ifndef PL_WORKER_H
#define PL_WORKER_H

#include <event2/event.h>

struct pl_worker;

struct pl_job {
	void (*work)(struct pl_job *j); /* worker thread */
	void (*done)(struct pl_job *j); /* event-loop thread; frees the job */
	struct pl_job *next;
};

int pl_worker_alloc(struct pl_worker **wp, struct event_base *base);
/* Finishes the jobs already queued, calls their `done`, and stops the thread. */
void pl_worker_free(struct pl_worker *w);
int pl_worker_submit(struct pl_worker *w, struct pl_job *j);

#endif
