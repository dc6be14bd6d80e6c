/*
 * Unit tests for core/msg: every signalling message round-trips; every malformed payload is
 * refused with the documented error.
 *
 * Here the codec is checked against itself: a table of realistic and maximal messages (kept one
 * file per family of messages, msg_cases_*.c), and every described type filled to its maximum and
 * its minimum from the description; test_msg_wire.c
 * checks it against the wire format as docs/PROTOCOL.md writes it, and test_msg_doc.c checks
 * PROTOCOL.md's tables against the description.
 */
#include "core/msg.h"

#include <errno.h>
#include <stdlib.h>

#include "core/buf.h"
#include "core/frame.h"
#include "msg_util.h"
#include "test.h"

#define BUF_CAP PL_FRAME_MAX_HARD

/* The round-trip cases, one file per family of messages (msg_cases_*.c), gathered here into one
 * table: realistic values and every maximum. */
static const struct {
	const struct rt_case *cases;
	const size_t *n;
} families[] = {
	{msg_auth_cases, &msg_auth_ncases},
	{msg_chat_cases, &msg_chat_ncases},
	{msg_social_cases, &msg_social_ncases},
	{msg_call_cases, &msg_call_ncases},
	{msg_rdv_cases, &msg_rdv_ncases},
};
static struct rt_case *rt_cases;
static size_t N_RT;

static void gather_cases(void)
{
	size_t total = 0;
	for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
		total += *families[f].n;
	rt_cases = malloc(total * sizeof *rt_cases);
	if (!rt_cases) {
		fprintf(stderr, "test_msg: out of memory for %zu round-trip cases\n", total);
		exit(1);
	}
	N_RT = 0;
	for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
		for (size_t i = 0; i < *families[f].n; i++)
			rt_cases[N_RT++] = families[f].cases[i];
}

/* Members a message does not carry (PL_FIELD_ABSENT) are zero after a decode, never stale. */
static void check_absent_cleared(const struct pl_msg *d)
{
	const struct pl_msg_desc *desc = pl_msg_describe(d->type);
	for (unsigned i = 0; desc && i < desc->nfields; i++) {
		const struct pl_msg_field *f = &desc->fields[i];
		if (f->kind != PL_FIELD_ABSENT)
			continue;
		const uint8_t *p = (const uint8_t *)d + f->off;
		size_t nonzero = 0;
		for (size_t k = 0; k < f->size; k++)
			nonzero += p[k] != 0;
		if (!CHECK_EQ(nonzero, 0))
			fprintf(stderr, "  %s left in %s\n", f->name, desc->name);
	}
}

static void test_round_trips(void)
{
	static uint8_t buf[BUF_CAP], buf2[BUF_CAP];
	struct pl_msg *m = new_msg(), *d = new_msg();
	for (size_t i = 0; i < N_RT; i++) {
		const struct rt_case *c = &rt_cases[i];
		memset(m, 0, sizeof *m);
		c->build(m);
		test_case("round trip %s", c->name);

		int n = pl_msg_encode(m, buf, sizeof buf);
		if (!CHECK(n >= PL_FRAME_HDR))
			continue;
		CHECK(n <= PL_MSG_ENCODED_MAX);
		CHECK_EQ(pl_frame_peek(buf, (size_t)n, PL_FRAME_MAX_DEFAULT), n);
		CHECK_EQ(pl_be16(buf + 4), m->type);

		memset(d, 0xa5, sizeof *d); /* garbage, to catch a field the decoder leaves unset */
		CHECK_EQ(decode_copy(d, m->type, buf + PL_FRAME_HDR, (size_t)n - PL_FRAME_HDR), 0);
		const char *diff = msg_diff(m, d);
		if (!CHECK(diff == NULL))
			fprintf(stderr, "  first differing field: %s\n", diff);
		check_absent_cleared(d);
		/* The members of shared structs that a message does not carry, written out here
		 * too: a description that forgot to mark one ABSENT would leave it stale. */
		if (m->type == PL_MSG_LOGIN)
			CHECK_STR_EQ(d->u.auth.realname, "");
		if (m->type == PL_MSG_STATUS_SET)
			CHECK_STR_EQ(d->u.presence.nick, "");
		if (m->type == PL_MSG_SET_PROFILE) {
			CHECK_STR_EQ(d->u.profile.nick, "");
			CHECK_STR_EQ(d->u.profile.note, "");
			CHECK(d->u.profile.created_ms == 0 && d->u.profile.presence == 0);
		}
		if (m->type == PL_MSG_PROFILE)
			CHECK_EQ(d->u.profile.what, 0);
		if (m->type == PL_MSG_CONTACT_ANSWER)
			CHECK_EQ(d->u.contact_req.kind, 0);
		if (m->type == PL_MSG_CONTACT_REQUEST)
			CHECK_EQ(d->u.contact_req.accept, 0);

		/* Encoding what was decoded gives the same bytes. */
		CHECK_EQ(pl_msg_encode(d, buf2, sizeof buf2), n);
		CHECK_MEM_EQ(buf2, buf, (size_t)n);
	}
	free(m);
	free(d);
}

/*
 * Every described type at its maximum (every string, picture and list full) and its minimum
 * (empty, zero) round-trips, and no frame is larger than PL_MSG_ENCODED_MAX. The largest is the
 * PROFILE with a full picture that docs/PROTOCOL.md section 2 sizes: a new message that outgrew it
 * would fail here before a peer's frame limit refused it.
 */
static void test_extremes(void)
{
	static uint8_t buf[BUF_CAP];
	struct pl_msg *m = new_msg(), *d = new_msg();
	int largest = 0;
	uint16_t largest_type = 0;
	for (unsigned t = 0; t <= 0xffff; t++) {
		if (!pl_msg_describe((uint16_t)t))
			continue;
		for (int max = 0; max <= 1; max++) {
			test_case("%s at its %s", pl_msg_name((uint16_t)t), max ? "maximum" : "minimum");
			memset(m, 0, sizeof *m);
			m->type = (uint16_t)t;
			fill_from_desc(m, max);
			int n = pl_msg_encode(m, buf, sizeof buf);
			if (!CHECK(n >= PL_FRAME_HDR))
				continue;
			CHECK(n <= PL_MSG_ENCODED_MAX);
			memset(d, 0x5a, sizeof *d);
			if (CHECK_EQ(decode_copy(d, m->type, buf + PL_FRAME_HDR, (size_t)n - PL_FRAME_HDR), 0)) {
				const char *diff = msg_diff(m, d);
				if (!CHECK(diff == NULL))
					fprintf(stderr, "  first differing field: %s\n", diff);
				check_absent_cleared(d);
			}
			if (n > largest) {
				largest = n;
				largest_type = (uint16_t)t;
			}
		}
	}
	test_case("the largest message");
	CHECK_EQ(largest_type, PL_MSG_PROFILE);
	CHECK_EQ(largest, 8439);
	free(m);
	free(d);
}

/* The description itself: one per type, found under its own type, with usable fields. */
static void test_descriptions(void)
{
	const char *seen[256] = {0};
	size_t nseen = 0;
	for (unsigned t = 0; t <= 0xffff; t++) {
		const struct pl_msg_desc *d = pl_msg_describe((uint16_t)t);
		if (!d)
			continue;
		test_case("description of 0x%04x", t);
		CHECK_EQ(d->type, t);
		CHECK(d->name && d->name[0]);
		CHECK((d->nfields == 0) == (d->fields == NULL));
		for (size_t k = 0; k < nseen; k++)
			CHECK(strcmp(seen[k], d->name) != 0);
		if (CHECK(nseen < sizeof seen / sizeof seen[0]))
			seen[nseen++] = d->name;
		for (unsigned i = 0; i < d->nfields; i++) {
			const struct pl_msg_field *f = &d->fields[i];
			test_case("%s field %u (%s)", d->name, i, f->name ? f->name : "?");
			CHECK(f->name && f->name[0]);
			CHECK(f->kind <= PL_FIELD_ABSENT);
			CHECK(f->off + f->size <= sizeof(struct pl_msg));
			if (f->kind == PL_FIELD_LIST)
				CHECK(f->nentry > 0 && f->entry && f->stride > 0 &&
				      f->data + (size_t)f->max * f->stride <= sizeof(struct pl_msg));
			if (f->kind == PL_FIELD_BYTES)
				CHECK(f->data + (size_t)f->max <= sizeof(struct pl_msg));
			if (f->kind == PL_FIELD_ENUM || f->kind == PL_FIELD_FLAGS)
				CHECK(f->max <= 0xff);
		}
	}
}

/* The round-trip table holds every type pl_msg_name knows, and the codec knows exactly those. */
static void test_type_coverage(void)
{
	struct pl_msg *m = new_msg();
	for (unsigned t = 0; t <= 0xffff; t++) {
		const char *name = pl_msg_name((uint16_t)t);
		uint8_t one = 0;
		int rc = pl_msg_decode(m, (uint16_t)t, &one, 0);
		if (!name) {
			if (rc != -EPROTO) {
				test_case("type 0x%04x", t);
				CHECK_EQ(rc, -EPROTO);
			}
			continue;
		}
		test_case("type %s", name);
		CHECK(rc != -EPROTO);
		bool found = false;
		for (size_t i = 0; i < N_RT && !found; i++) {
			memset(m, 0, sizeof *m);
			rt_cases[i].build(m);
			found = m->type == t;
		}
		CHECK(found);
		/* Direction by number: below 0x8000 client to server. */
		CHECK(t != 0 && t != 0x8000);
	}
	test_case("type names");
	CHECK_STR_EQ(pl_msg_name(PL_MSG_HELLO), "HELLO");
	CHECK_STR_EQ(pl_msg_name(PL_MSG_AUTH_OK), "AUTH_OK");
	CHECK_STR_EQ(pl_msg_name(PL_MSG_SET_PROFILE), "SET_PROFILE");
	CHECK_STR_EQ(pl_msg_name(PL_MSG_GROUP_MEMBER), "GROUP_MEMBER");
	CHECK_STR_EQ(pl_msg_name(PL_MSG_OK), "OK");
	CHECK_STR_EQ(pl_msg_name(PL_MSG_LOGIN_KEY), "LOGIN_KEY");
	CHECK_STR_EQ(pl_msg_name(PL_MSG_CONTACT_REQUEST), "CONTACT_REQUEST");
	CHECK(pl_msg_name(0) == NULL);
	CHECK(pl_msg_name(0x8000) == NULL);
	free(m);
}

/* Every proper prefix of a valid payload is refused, and so is anything appended to it. */
static void test_truncated_and_trailing(void)
{
	static uint8_t buf[BUF_CAP];
	struct pl_msg *m = new_msg(), *d = new_msg();
	for (size_t i = 0; i < N_RT; i++) {
		const struct rt_case *c = &rt_cases[i];
		memset(m, 0, sizeof *m);
		c->build(m);
		int n = pl_msg_encode(m, buf, sizeof buf - 2);
		if (n < PL_FRAME_HDR)
			continue;
		const uint8_t *p = buf + PL_FRAME_HDR;
		size_t plen = (size_t)n - PL_FRAME_HDR;

		test_case("truncated %s", c->name);
		size_t bad = 0;
		for (size_t len = 0; len < plen; len++) {
			int rc = decode_copy(d, m->type, p, len);
			if (rc != -EBADMSG && bad++ == 0) {
				test_case("truncated %s at %zu of %zu", c->name, len, plen);
				CHECK_EQ(rc, -EBADMSG);
			}
		}
		CHECK_EQ(bad, 0);

		static const uint8_t tails[][2] = {{0x00, 0x00}, {0x41, 0x00}, {0xff, 0xff}};
		for (size_t t = 0; t < 3; t++) {
			for (size_t extra = 1; extra <= 2; extra++) {
				test_case("trailing %s +%zu (0x%02x)", c->name, extra, tails[t][0]);
				memcpy(buf + n, tails[t], 2);
				CHECK_EQ(decode_copy(d, m->type, p, plen + extra), -EBADMSG);
			}
		}
	}
	free(m);
	free(d);
}


/* Every capacity short of the frame fails with -EMSGSIZE and writes nothing past cap. */
static void test_encode_cap(void)
{
	static uint8_t full[BUF_CAP];
	struct pl_msg *m = new_msg();
	for (size_t i = 0; i < N_RT; i++) {
		memset(m, 0, sizeof *m);
		rt_cases[i].build(m);
		int n = pl_msg_encode(m, full, sizeof full);
		if (n < 0)
			continue;
		test_case("encode cap %s", rt_cases[i].name);
		size_t bad = 0;
		uint8_t *b = malloc((size_t)n + 16);
		for (size_t cap = 0; cap < (size_t)n; cap++) {
			memset(b + cap, 0xee, 16);
			int rc = pl_msg_encode(m, b, cap);
			bool guard_ok = true;
			for (size_t k = cap; k < cap + 16; k++)
				guard_ok &= b[k] == 0xee;
			if ((rc != -EMSGSIZE || !guard_ok) && bad++ == 0) {
				test_case("encode cap %s: cap %zu of %d", rt_cases[i].name, cap, n);
				CHECK_EQ(rc, -EMSGSIZE);
				CHECK(guard_ok);
			}
		}
		CHECK_EQ(bad, 0);
		free(b);
		b = malloc((size_t)n);
		CHECK_EQ(pl_msg_encode(m, b, (size_t)n), n);
		CHECK_MEM_EQ(b, full, (size_t)n);
		free(b);
	}
	free(m);
}

static void test_unknown_type(void)
{
	static const uint16_t types[] = {0x0000, 0x0030, 0x003f, 0x0040, 0x00ff, 0x7fff,
					 0x8000, 0x8030, 0x803f, 0x8040, 0xc001, 0xffff};
	static uint8_t buf[BUF_CAP];
	static const uint8_t payload[] = {0, 1, 'x'};
	struct pl_msg *m = new_msg();
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		memset(m, 0, sizeof *m);
		test_case("unknown type 0x%04x", types[i]);
		CHECK_EQ(pl_msg_decode(m, types[i], payload, sizeof payload), -EPROTO);
		CHECK_EQ(pl_msg_decode(m, types[i], payload, 0), -EPROTO);
		m->type = types[i];
		CHECK_EQ(pl_msg_encode(m, buf, sizeof buf), -EPROTO);
		CHECK(pl_msg_name(types[i]) == NULL);
		CHECK(pl_msg_describe(types[i]) == NULL);
	}
	free(m);
}

/*
 * The encoder refuses what the decoder would reject, so a peer never receives a frame that makes
 * it close the connection (ERROR 420): every enum past its largest value and every undefined flag
 * bit is -EINVAL, every picture and list past its maximum -EMSGSIZE (msg.h). test_msg_wire.c
 * does the same for strings over their maxima.
 */
static void test_encode_out_of_range(void)
{
	static uint8_t buf[BUF_CAP];
	struct pl_msg *m = new_msg();
	for (unsigned t = 0; t <= 0xffff; t++) {
		const struct pl_msg_desc *d = pl_msg_describe((uint16_t)t);
		for (unsigned i = 0; d && i < d->nfields; i++) {
			const struct pl_msg_field *f = &d->fields[i];
			uint8_t *at = (uint8_t *)m + f->off;
			memset(m, 0, sizeof *m);
			m->type = (uint16_t)t;
			switch (f->kind) {
			case PL_FIELD_ENUM:
				test_case("encode %s.%s = %u", d->name, f->name, (unsigned)f->max);
				*at = (uint8_t)f->max;
				CHECK(pl_msg_encode(m, buf, sizeof buf) > 0);
				for (unsigned v = f->max + 1; v <= 0xff; v++) {
					test_case("encode %s.%s = %u", d->name, f->name, v);
					*at = (uint8_t)v;
					CHECK_EQ(pl_msg_encode(m, buf, sizeof buf), -EINVAL);
				}
				break;
			case PL_FIELD_FLAGS:
				for (unsigned bit = 0; bit < 8; bit++) {
					test_case("encode %s.%s bit 0x%02x", d->name, f->name, 1u << bit);
					*at = (uint8_t)(1u << bit);
					int rc = pl_msg_encode(m, buf, sizeof buf);
					if ((f->max >> bit) & 1)
						CHECK(rc > 0);
					else
						CHECK_EQ(rc, -EINVAL);
				}
				break;
			case PL_FIELD_BYTES:
			case PL_FIELD_LIST: {
				const uint16_t over[] = {(uint16_t)(f->max + 1), 0xffff};
				for (size_t k = 0; k < 2; k++) {
					uint16_t v = over[k];
					test_case("encode %s.%s %u over %u", d->name, f->name, v, (unsigned)f->max);
					memcpy(at, &v, sizeof v);
					CHECK_EQ(pl_msg_encode(m, buf, sizeof buf), -EMSGSIZE);
				}
				break;
			}
			default:
				break;
			}
		}
	}
	free(m);
}

int main(void)
{
	gather_cases();
	test_descriptions();
	test_round_trips();
	test_extremes();
	test_type_coverage();
	test_truncated_and_trailing();
	test_encode_cap();
	test_unknown_type();
	test_encode_out_of_range();
	free(rt_cases);
	return test_done();
}
