/* Unit tests for core/spsc: the bounded single-producer, single-consumer queue, alone and across
 * two real threads. */
#include "core/spsc.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>

#include "test.h"

static void test_init(void)
{
	static const struct { size_t cap, item; int want; } cases[] = {
		{0, 8, -EINVAL}, {1, 8, -EINVAL}, {3, 8, -EINVAL}, {6, 8, -EINVAL}, {4, 0, -EINVAL},
		{2, 1, 0}, {4, 8, 0}, {1024, 24, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct pl_spsc q;
		test_case("init cap %zu item %zu", cases[i].cap, cases[i].item);
		int rc = pl_spsc_init(&q, cases[i].cap, cases[i].item);
		CHECK_EQ(rc, cases[i].want);
		if (rc == 0)
			pl_spsc_destroy(&q);
	}
}

struct item {
	uint32_t seq;
	uint8_t pad[20];
};

static void test_single_thread(void)
{
	struct pl_spsc q;
	test_case("single thread");
	if (!CHECK_EQ(pl_spsc_init(&q, 4, sizeof(struct item)), 0))
		return;
	struct item it = {0}, out;
	CHECK(!pl_spsc_pop(&q, &out));

	/* Fill, overflow, drain, many times round the ring. */
	uint32_t next_in = 0, next_out = 0;
	size_t bad = 0;
	for (int round = 0; round < 1000; round++) {
		int fill = 1 + round % 4;
		for (int k = 0; k < fill; k++) {
			it.seq = next_in++;
			memset(it.pad, (int)it.seq, sizeof it.pad);
			bad += !pl_spsc_push(&q, &it);
		}
		if (fill == 4) {
			it.seq = 0xdeadbeef;
			bad += pl_spsc_push(&q, &it); /* full */
		}
		for (int k = 0; k < fill; k++) {
			bool got = pl_spsc_pop(&q, &out);
			bad += !got || out.seq != next_out || out.pad[19] != (uint8_t)next_out;
			next_out++;
		}
		bad += pl_spsc_pop(&q, &out); /* empty */
	}
	CHECK_EQ(bad, 0);
	pl_spsc_destroy(&q);
	CHECK(q.slots == NULL);
}

#define N_ITEMS 2000000u

static void *producer(void *arg)
{
	struct pl_spsc *q = arg;
	for (uint32_t i = 0; i < N_ITEMS; i++) {
		struct item it = {.seq = i};
		memset(it.pad, (int)(i & 0xff), sizeof it.pad);
		while (!pl_spsc_push(q, &it))
			sched_yield();
	}
	return NULL;
}

/* Every item arrives once, in order, intact, with the two sides on two threads. */
static void test_two_threads(void)
{
	struct pl_spsc q;
	pthread_t th;
	test_case("two threads");
	if (!CHECK_EQ(pl_spsc_init(&q, 64, sizeof(struct item)), 0))
		return;
	if (!CHECK_EQ(pthread_create(&th, NULL, producer, &q), 0)) {
		pl_spsc_destroy(&q);
		return;
	}
	uint32_t next = 0;
	size_t bad = 0;
	while (next < N_ITEMS) {
		struct item out;
		if (!pl_spsc_pop(&q, &out)) {
			sched_yield();
			continue;
		}
		if ((out.seq != next || out.pad[0] != (uint8_t)next || out.pad[19] != (uint8_t)next) &&
		    bad++ == 0) {
			test_case("two threads: item %u", next);
			CHECK_EQ(out.seq, next);
		}
		next++;
	}
	pthread_join(th, NULL);
	test_case("two threads");
	CHECK_EQ(bad, 0);
	struct item out;
	CHECK(!pl_spsc_pop(&q, &out));
	pl_spsc_destroy(&q);
}

int main(void)
{
	test_init();
	test_single_thread();
	test_two_threads();
	return test_done();
}
