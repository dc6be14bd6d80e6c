/* Unit tests for client/scrollback: a window's lines, new ones at the bottom, older history
 * inserted at the top in order, the ring full, and the oldest message id. */
#include "client/scrollback.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "test.h"

static struct pl_sb sb; /* 2000 lines' worth of pointers: not on the stack */

/* The scrollback as "a,b,c". */
static const char *joined(char *buf, size_t sz)
{
	size_t len = 0;
	buf[0] = '\0';
	for (unsigned i = 0; pl_sb_get(&sb, i) && len < sz; i++)
		len += (size_t)snprintf(buf + len, sz - len, "%s%s", i ? "," : "", pl_sb_get(&sb, i)->text);
	return buf;
}

static void test_top_and_bottom(void)
{
	char buf[256];
	test_case("appends, then a page of older ones at the top, in order");
	CHECK(pl_sb_append(&sb, "m10", 2, 10) == 0);
	CHECK(pl_sb_append(&sb, "notice", 1, 0) == 0);
	CHECK(pl_sb_append(&sb, "m11", 2, 11) == 0);
	CHECK_EQ(sb.oldest_id, 10);
	/* A fetch inserts its lines one after another from the top. */
	static const struct { const char *t; uint64_t id; } page[] = {{"m7", 7}, {"m8", 8}, {"m9", 9}};
	for (unsigned i = 0; i < 3; i++)
		CHECK(pl_sb_insert(&sb, i, page[i].t, 2, page[i].id) == 0);
	CHECK_STR_EQ(joined(buf, sizeof buf), "m7,m8,m9,m10,notice,m11");
	CHECK_EQ(sb.oldest_id, 7);
	CHECK(pl_sb_insert(&sb, 0, "start", 1, 0) == 0);
	CHECK(pl_sb_append(&sb, "m12", 2, 12) == 0);
	CHECK_STR_EQ(joined(buf, sizeof buf), "start,m7,m8,m9,m10,notice,m11,m12");
	CHECK_EQ(pl_sb_get(&sb, 0)->kind, 1);
	CHECK_EQ(pl_sb_get(&sb, 1)->kind, 2);
	CHECK(pl_sb_get(&sb, 8) == NULL);

	test_case("insert in the middle and at the very bottom");
	CHECK(pl_sb_insert(&sb, 8, "end", 1, 0) == 0);
	CHECK(pl_sb_insert(&sb, 4, "mid", 1, 0) == 0);
	CHECK_STR_EQ(joined(buf, sizeof buf), "start,m7,m8,m9,mid,m10,notice,m11,m12,end");
	CHECK(pl_sb_insert(&sb, 11, "past", 1, 0) == -EINVAL);

	test_case("remove: the top, the middle, the bottom");
	CHECK(pl_sb_remove(&sb, 0) == 0);
	CHECK(pl_sb_remove(&sb, 3) == 0);
	CHECK(pl_sb_remove(&sb, 7) == 0);
	CHECK_STR_EQ(joined(buf, sizeof buf), "m7,m8,m9,m10,notice,m11,m12");
	CHECK(pl_sb_remove(&sb, 7) == -EINVAL);

	test_case("clear forgets the lines and the oldest id");
	pl_sb_clear(&sb);
	CHECK_EQ(sb.n, 0);
	CHECK_EQ(sb.oldest_id, 0);
	CHECK_STR_EQ(joined(buf, sizeof buf), "");
	CHECK(pl_sb_insert(&sb, 0, "first", 2, 0) == 0); /* at the top of an empty window */
	CHECK_STR_EQ(joined(buf, sizeof buf), "first");
	pl_sb_clear(&sb);
}

static void test_full(void)
{
	char t[32];
	test_case("a full ring drops its oldest for a new line, and takes nothing at the top");
	for (unsigned i = 1; i <= PL_SB_LINES + 5; i++) {
		snprintf(t, sizeof t, "m%u", i);
		CHECK(pl_sb_append(&sb, t, 2, 100 + i) == 0);
	}
	CHECK_EQ(sb.n, PL_SB_LINES);
	CHECK_STR_EQ(pl_sb_get(&sb, 0)->text, "m6");
	CHECK_STR_EQ(pl_sb_get(&sb, PL_SB_LINES - 1)->text, "m2005");
	CHECK(pl_sb_insert(&sb, 0, "older", 2, 50) == -ENOSPC);
	CHECK_STR_EQ(pl_sb_get(&sb, 0)->text, "m6");

	test_case("the ring wrapped: inserting at the top still keeps the order");
	pl_sb_clear(&sb);
	for (unsigned i = 0; i < PL_SB_LINES - 2; i++)
		CHECK(pl_sb_append(&sb, "x", 2, 0) == 0);
	pl_sb_clear(&sb);
	CHECK(pl_sb_append(&sb, "b", 2, 2) == 0);
	CHECK(pl_sb_insert(&sb, 0, "a", 2, 1) == 0);
	CHECK(pl_sb_append(&sb, "c", 2, 3) == 0);
	CHECK_STR_EQ(pl_sb_get(&sb, 0)->text, "a");
	CHECK_STR_EQ(pl_sb_get(&sb, 1)->text, "b");
	CHECK_STR_EQ(pl_sb_get(&sb, 2)->text, "c");
	pl_sb_clear(&sb);
}

int main(void)
{
	test_top_and_bottom();
	test_full();
	return test_done();
}
