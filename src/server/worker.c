#include "server/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 256

struct pl_worker {
	pthread_t threads[MAX_THREADS];
	unsigned nthreads, queue_max, queued;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct pl_job *head, *tail; /* waiting to be worked, oldest first */
	struct pl_job *done_head;   /* worked, waiting for the loop */
	double job_ms;              /* moving average of a job's run time, for retry estimates */
	bool stop;
	int pipefd[2];
	struct event *ev;
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void unlink_job(struct pl_worker *w, struct pl_job *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else
		w->head = j->next;
	if (j->next)
		j->next->prev = j->prev;
	else
		w->tail = j->prev;
	j->next = j->prev = NULL;
	w->queued--;
}

static void *run(void *arg)
{
	struct pl_worker *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->head && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->head)
			break;
		struct pl_job *j = w->head;
		unlink_job(w, j);
		j->running = true;
		pthread_mutex_unlock(&w->mu);
		double t0 = now_ms();
		j->work(j);
		double took = now_ms() - t0;
		pthread_mutex_lock(&w->mu);
		w->job_ms = w->job_ms == 0 ? took : 0.8 * w->job_ms + 0.2 * took;
		j->next = w->done_head;
		w->done_head = j;
		char b = 1;
		ssize_t wr = write(w->pipefd[1], &b, 1); /* a full pipe already means "wake up" */
		(void)wr;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Completed jobs, oldest first. */
static struct pl_job *take_done(struct pl_worker *w)
{
	pthread_mutex_lock(&w->mu);
	struct pl_job *list = w->done_head, *rev = NULL;
	w->done_head = NULL;
	pthread_mutex_unlock(&w->mu);
	while (list) {
		struct pl_job *n = list->next;
		list->next = rev;
		rev = list;
		list = n;
	}
	return rev;
}

static void run_done(struct pl_worker *w)
{
	for (struct pl_job *j = take_done(w), *n; j; j = n) {
		n = j->next;
		j->done(j);
	}
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct pl_worker *w = arg;
	char buf[64];
	while (read(fd, buf, sizeof buf) > 0)
		;
	run_done(w);
}

static void stop_threads(struct pl_worker *w)
{
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (unsigned i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i], NULL);
}

int pl_worker_alloc(struct pl_worker **wp, struct event_base *base, unsigned threads, unsigned queue_max)
{
	if (threads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n > 0 ? (unsigned)n : 1;
	}
	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	struct pl_worker *w = calloc(1, sizeof *w);
	if (!w)
		return -ENOMEM;
	w->queue_max = queue_max ? queue_max : 1;
	if (pipe2(w->pipefd, O_NONBLOCK | O_CLOEXEC) < 0) {
		free(w);
		return -errno;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->ev = event_new(base, w->pipefd[0], EV_READ | EV_PERSIST, on_wake, w);
	if (!w->ev || event_add(w->ev, NULL))
		goto fail;
	for (; w->nthreads < threads; w->nthreads++)
		if (pthread_create(&w->threads[w->nthreads], NULL, run, w))
			goto fail;
	*wp = w;
	return 0;
fail:
	stop_threads(w);
	if (w->ev)
		event_free(w->ev);
	close(w->pipefd[0]);
	close(w->pipefd[1]);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
	return -ENOMEM;
}

void pl_worker_free(struct pl_worker *w)
{
	if (!w)
		return;
	stop_threads(w);
	run_done(w);
	event_free(w->ev);
	close(w->pipefd[0]);
	close(w->pipefd[1]);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}

int pl_worker_submit(struct pl_worker *w, struct pl_job *j)
{
	pthread_mutex_lock(&w->mu);
	if (w->queued >= w->queue_max) {
		pthread_mutex_unlock(&w->mu);
		return -EBUSY;
	}
	j->running = false;
	j->next = NULL;
	j->prev = w->tail;
	if (w->tail)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	w->queued++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

bool pl_worker_cancel(struct pl_worker *w, struct pl_job *j)
{
	pthread_mutex_lock(&w->mu);
	bool queued = !j->running;
	if (queued)
		unlink_job(w, j);
	pthread_mutex_unlock(&w->mu);
	return queued;
}

unsigned pl_worker_retry_after(struct pl_worker *w)
{
	pthread_mutex_lock(&w->mu);
	double ms = (w->job_ms > 0 ? w->job_ms : 100) * (w->queued + 1) / w->nthreads;
	pthread_mutex_unlock(&w->mu);
	unsigned s = (unsigned)(ms / 1000.0) + 1;
	return s > 60 ? 60 : s;
}

unsigned pl_worker_threads(const struct pl_worker *w) { return w->nthreads; }

unsigned pl_worker_queued(struct pl_worker *w)
{
	pthread_mutex_lock(&w->mu);
	unsigned n = w->queued;
	pthread_mutex_unlock(&w->mu);
	return n;
}

void pl_worker_set_queue_max(struct pl_worker *w, unsigned queue_max)
{
	pthread_mutex_lock(&w->mu);
	w->queue_max = queue_max ? queue_max : 1;
	pthread_mutex_unlock(&w->mu);
}
