/*
 * spsc: a bounded lock-free queue of fixed-size items between exactly one producer thread and one
 * consumer thread (C11 atomics, acquire/release). Neither side ever blocks or allocates after
 * pl_spsc_init: the signalling thread hands the relay thread its routing changes through one.
 */
#ifndef PL_SPSC_H
#define PL_SPSC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pl_spsc {
	_Atomic size_t head; /* next to read; written by the consumer */
	_Atomic size_t tail; /* next to write; written by the producer */
	size_t mask, item;
	uint8_t *slots;
};

/* cap: a power of two. Returns 0 or -ENOMEM / -EINVAL. */
int pl_spsc_init(struct pl_spsc *q, size_t cap, size_t item);
void pl_spsc_destroy(struct pl_spsc *q);
/* Producer: copies item in; false when full. */
bool pl_spsc_push(struct pl_spsc *q, const void *item);
/* Consumer: copies the oldest item out; false when empty. */
bool pl_spsc_pop(struct pl_spsc *q, void *item);

#endif
