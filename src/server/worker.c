#include "server/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

struct pl_worker {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct pl_job *head, *tail; /* waiting to be worked */
	struct pl_job *done_head;   /* worked, waiting for the loop */
	bool stop;
	int pipefd[2];
	struct event *ev;
};

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
		w->head = j->next;
		if (!w->head)
			w->tail = NULL;
		pthread_mutex_unlock(&w->mu);
		j->work(j);
		pthread_mutex_lock(&w->mu);
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

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct pl_worker *w = arg;
	char buf[64];
	while (read(fd, buf, sizeof buf) > 0)
		;
	for (struct pl_job *j = take_done(w), *n; j; j = n) {
		n = j->next;
		j->done(j);
	}
}

int pl_worker_alloc(struct pl_worker **wp, struct event_base *base)
{
	struct pl_worker *w = calloc(1, sizeof *w);
	if (!w)
		return -ENOMEM;
	if (pipe2(w->pipefd, O_NONBLOCK | O_CLOEXEC) < 0) {
		free(w);
		return -errno;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->ev = event_new(base, w->pipefd[0], EV_READ | EV_PERSIST, on_wake, w);
	if (!w->ev || event_add(w->ev, NULL) || pthread_create(&w->thread, NULL, run, w)) {
		if (w->ev)
			event_free(w->ev);
		close(w->pipefd[0]);
		close(w->pipefd[1]);
		free(w);
		return -ENOMEM;
	}
	*wp = w;
	return 0;
}

void pl_worker_free(struct pl_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	for (struct pl_job *j = take_done(w), *n; j; j = n) {
		n = j->next;
		j->done(j);
	}
	event_free(w->ev);
	close(w->pipefd[0]);
	close(w->pipefd[1]);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}

int pl_worker_submit(struct pl_worker *w, struct pl_job *j)
{
	j->next = NULL;
	pthread_mutex_lock(&w->mu);
	if (w->tail)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}
