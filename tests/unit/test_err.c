/*
 * Unit tests for core/err: every numbered error has a name and a sentence a person can act on,
 * and every other number gets "UNKNOWN" and the generic sentence. The table of codes is read
 * back through the API (all 65536 numbers), so adding a code needs no change here unless it
 * breaks a rule.
 */
#include "core/err.h"

#include <ctype.h>
#include <stdlib.h>

#include "test.h"

/* Seed note 002's numbers and the first extensions: their names are part of the protocol. */
static const struct {
	uint16_t code;
	const char *name;
} fixed[] = {
	{PL_ERR_NICK_TAKEN, "NICK_TAKEN"}, {PL_ERR_AUTH_FAILED, "AUTH_FAILED"},
	{PL_ERR_MSG_NOT_SENT, "MSG_NOT_SENT"}, {PL_ERR_CALL_FAILED, "CALL_FAILED"},
	{PL_ERR_PROFILE_NOT_ADDED, "PROFILE_NOT_ADDED"}, {PL_ERR_NO_CONTACT, "NO_CONTACT"},
	{PL_ERR_USER_ONLINE, "USER_ONLINE"}, {PL_ERR_PROTOCOL, "PROTOCOL"},
	{PL_ERR_FRAME_TOO_LARGE, "FRAME_TOO_LARGE"}, {PL_ERR_VERSION, "VERSION"},
	{PL_ERR_BAD_NICK, "BAD_NICK"}, {PL_ERR_BAD_PASSWORD, "BAD_PASSWORD"},
	{PL_ERR_NOT_LOGGED_IN, "NOT_LOGGED_IN"}, {PL_ERR_BAD_ROOM, "BAD_ROOM"},
	{PL_ERR_NOT_IN_ROOM, "NOT_IN_ROOM"}, {PL_ERR_BAD_TEXT, "BAD_TEXT"},
	{PL_ERR_SERVER_FULL, "SERVER_FULL"}, {PL_ERR_UNEXPECTED, "UNEXPECTED"},
	{PL_ERR_TIMEOUT, "TIMEOUT"}, {PL_ERR_INTERNAL, "INTERNAL"},
	{PL_ERR_NO_SUCH_USER, "NO_SUCH_USER"},
};

static void test_fixed(void)
{
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
		test_case("error %u", fixed[i].code);
		CHECK_STR_EQ(pl_err_name(fixed[i].code), fixed[i].name);
	}
	test_case("seed note 002 numbers");
	CHECK_EQ(PL_ERR_NICK_TAKEN, 401);
	CHECK_EQ(PL_ERR_USER_ONLINE, 407);
	CHECK_EQ(PL_ERR_PROTOCOL, 420);
	CHECK_EQ(PL_ERR_FRAME_TOO_LARGE, 421);
}

static void test_all_codes(void)
{
	const char *generic = pl_err_sentence(0);
	test_case("generic sentence");
	CHECK(generic != NULL && strlen(generic) > 10);
	CHECK_STR_EQ(pl_err_name(0), "UNKNOWN");

	/* Every named code: a distinct upper-case name, a distinct sentence that starts with a
	 * capital and ends with a full stop (it is shown to people as is). */
	const char *names[200], *sentences[200];
	uint16_t codes[200];
	unsigned n = 0, bad_unknown = 0;
	for (unsigned c = 0; c <= 0xffff; c++) {
		const char *name = pl_err_name((uint16_t)c);
		const char *s = pl_err_sentence((uint16_t)c);
		if (strcmp(name, "UNKNOWN") == 0) {
			if ((!s || strcmp(s, generic) != 0) && bad_unknown++ == 0) {
				test_case("error %u", c);
				CHECK(!"an unnamed code has its own sentence");
			}
			continue;
		}
		test_case("error %u %s", c, name);
		if (!CHECK(n < 200))
			break;
		codes[n] = (uint16_t)c;
		names[n] = name;
		sentences[n] = s;
		n++;
		CHECK(c >= 400 && c <= 499); /* the 4xx range of seed note 002 */
		bool upper = name[0] != '\0';
		for (const char *p = name; *p; p++)
			upper &= isupper((unsigned char)*p) || *p == '_';
		CHECK(upper);
		if (!CHECK(s != NULL))
			continue;
		size_t len = strlen(s);
		CHECK(len > 10);
		CHECK(strcmp(s, generic) != 0);
		CHECK(isupper((unsigned char)s[0]));
		CHECK(s[len - 1] == '.');
	}
	test_case("unnamed codes");
	CHECK_EQ(bad_unknown, 0);
	test_case("named codes");
	CHECK(n >= sizeof fixed / sizeof fixed[0]);
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < i; j++) {
			test_case("errors %u and %u", codes[j], codes[i]);
			CHECK(strcmp(names[i], names[j]) != 0);
			CHECK(strcmp(sentences[i], sentences[j]) != 0);
		}
}

int main(void)
{
	test_fixed();
	test_all_codes();
	return test_done();
}
