#include "core/spsc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int pl_spsc_init(struct pl_spsc *q, size_t cap, size_t item)
{
	if (cap < 2 || (cap & (cap - 1)) || item == 0)
		return -EINVAL;
	q->slots = calloc(cap, item);
	if (!q->slots)
		return -ENOMEM;
	q->mask = cap - 1;
	q->item = item;
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	return 0;
}

void pl_spsc_destroy(struct pl_spsc *q)
{
	free(q->slots);
	q->slots = NULL;
}

bool pl_spsc_push(struct pl_spsc *q, const void *item)
{
	size_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	size_t head = atomic_load_explicit(&q->head, memory_order_acquire);
	if (tail - head > q->mask)
		return false;
	memcpy(q->slots + (tail & q->mask) * q->item, item, q->item);
	atomic_store_explicit(&q->tail, tail + 1, memory_order_release);
	return true;
}

bool pl_spsc_pop(struct pl_spsc *q, void *item)
{
	size_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
	size_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
	if (head == tail)
		return false;
	memcpy(item, q->slots + (head & q->mask) * q->item, q->item);
	atomic_store_explicit(&q->head, head + 1, memory_order_release);
	return true;
}
