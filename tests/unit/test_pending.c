/* Unit tests for client/pending: each answer goes to the command whose request it answers. */
#include "client/pending.h"

#include <string.h>

#include "test.h"

static struct pl_msg req(uint16_t type, const char *key)
{
	struct pl_msg m;
	memset(&m, 0, sizeof m);
	m.type = type;
	switch (type) {
	case PL_MSG_JOIN:
	case PL_MSG_PART: snprintf(m.u.join.room, sizeof m.u.join.room, "%s", key); break;
	case PL_MSG_SAY: snprintf(m.u.say.target, sizeof m.u.say.target, "%s", key); break;
	case PL_MSG_NAMES: snprintf(m.u.names.room, sizeof m.u.names.room, "%s", key); break;
	case PL_MSG_LOGIN: snprintf(m.u.auth.nick, sizeof m.u.auth.nick, "%s", key); break;
	case PL_MSG_STATUS_GET:
	case PL_MSG_PROFILE_GET:
	case PL_MSG_CONTACT_ADD: snprintf(m.u.user.nick, sizeof m.u.user.nick, "%s", key); break;
	case PL_MSG_GROUP_CREATE: snprintf(m.u.group_create.name, sizeof m.u.group_create.name, "%s", key); break;
	default: break;
	}
	return m;
}

static void sent(struct pl_pending *p, uint16_t type, const char *key, const char *cmd, uint32_t tag)
{
	struct pl_msg m = req(type, key);
	if (type == PL_MSG_SAY)
		m.u.say.tag = 1000 + tag; /* what goes on the wire, SAY_OK echoes */
	pl_pending_sent(p, &m, cmd, tag);
}

/* Whether m answers a request, and of which command and tag. */
static void want(struct pl_pending *p, const struct pl_msg *m, const char *cmd, uint32_t tag)
{
	struct pl_pending_req r;
	bool got = pl_pending_answer(p, m, "alice", &r);
	if (!cmd) {
		CHECK(!got);
		return;
	}
	if (!CHECK(got))
		return;
	CHECK_STR_EQ(r.cmd, cmd);
	CHECK_EQ(r.tag, tag);
}

static struct pl_msg error_about(uint16_t about)
{
	struct pl_msg m = {.type = PL_MSG_ERROR};
	m.u.error.code = 427;
	m.u.error.about = about;
	return m;
}

static void test_order(void)
{
	struct pl_pending p;
	pl_pending_init(&p);
	test_case("a SAY_OK goes to the say with its tag; an error about a say to the say to that room");
	sent(&p, PL_MSG_SAY, "#a", "say", 1);
	sent(&p, PL_MSG_JOIN, "#tea", "join", 2);
	sent(&p, PL_MSG_SAY, "#b", "say", 3);
	sent(&p, PL_MSG_SAY, "#c", "say", 4);
	CHECK_EQ(pl_pending_count(&p), 4);
	struct pl_msg e = error_about(PL_MSG_SAY);
	snprintf(e.u.error.detail, sizeof e.u.error.detail, "#b");
	want(&p, &e, "say", 3); /* refused at once, while #a's SAY_OK waits for the store */
	struct pl_msg ok = {.type = PL_MSG_SAY_OK};
	ok.u.say_ok.tag = 1004;
	want(&p, &ok, "say", 4);
	want(&p, &ok, NULL, 0);
	ok.u.say_ok.tag = 1001;
	want(&p, &ok, "say", 1);
	test_case("an error about a type goes to the oldest of that type");
	sent(&p, PL_MSG_DEVICES_GET, "", "devices", 5);
	sent(&p, PL_MSG_DEVICES_GET, "", "devices", 6);
	e = error_about(PL_MSG_DEVICES_GET);
	want(&p, &e, "devices", 5);
	e = error_about(PL_MSG_DEVICES_GET);
	want(&p, &e, "devices", 6);
	test_case("JOINED of someone else answers nothing; our own answers the join");
	struct pl_msg j = {.type = PL_MSG_JOINED};
	snprintf(j.u.member.room, sizeof j.u.member.room, "#tea");
	snprintf(j.u.member.nick, sizeof j.u.member.nick, "bob");
	want(&p, &j, NULL, 0);
	snprintf(j.u.member.nick, sizeof j.u.member.nick, "Alice");
	snprintf(j.u.member.room, sizeof j.u.member.room, "#TEA");
	want(&p, &j, "join", 2);
	CHECK_EQ(pl_pending_count(&p), 0);
}

static void test_keys(void)
{
	struct pl_pending p;
	pl_pending_init(&p);
	test_case("answers naming someone go to the request about them");
	sent(&p, PL_MSG_STATUS_GET, "bob", "status", 10);
	sent(&p, PL_MSG_STATUS_GET, "carol", "status", 11);
	sent(&p, PL_MSG_STATUS_SET, "", "set_status", 12);
	struct pl_msg pr = {.type = PL_MSG_PRESENCE};
	snprintf(pr.u.presence.nick, sizeof pr.u.presence.nick, "carol");
	want(&p, &pr, "status", 11);
	snprintf(pr.u.presence.nick, sizeof pr.u.presence.nick, "alice");
	want(&p, &pr, "set_status", 12); /* our own presence answers STATUS_SET */
	snprintf(pr.u.presence.nick, sizeof pr.u.presence.nick, "dave");
	want(&p, &pr, NULL, 0); /* a contact's change, pushed: no command's */
	snprintf(pr.u.presence.nick, sizeof pr.u.presence.nick, "bob");
	want(&p, &pr, "status", 10);

	test_case("lists end with their request's LIST_END; a USERLIST answers NAMES when complete");
	sent(&p, PL_MSG_DEVICES_GET, "", "devices", 20);
	sent(&p, PL_MSG_NAMES, "#tea", "names", 21);
	struct pl_msg ul = {.type = PL_MSG_USERLIST};
	snprintf(ul.u.userlist.room, sizeof ul.u.userlist.room, "#tea");
	ul.u.userlist.more = 1;
	want(&p, &ul, NULL, 0);
	ul.u.userlist.more = 0;
	want(&p, &ul, "names", 21);
	struct pl_msg le = {.type = PL_MSG_LIST_END};
	le.u.list_end.about = PL_MSG_CONTACTS_GET;
	want(&p, &le, NULL, 0);
	le.u.list_end.about = PL_MSG_DEVICES_GET;
	want(&p, &le, "devices", 20);

	test_case("AUTH_OK answers a login; GROUP the group created");
	sent(&p, PL_MSG_LOGIN, "alice", "login", 30);
	sent(&p, PL_MSG_GROUP_CREATE, "band", "group_create", 31);
	struct pl_msg g = {.type = PL_MSG_GROUP};
	snprintf(g.u.group.name, sizeof g.u.group.name, "other");
	want(&p, &g, NULL, 0);
	snprintf(g.u.group.name, sizeof g.u.group.name, "band");
	want(&p, &g, "group_create", 31);
	struct pl_msg a = {.type = PL_MSG_AUTH_OK};
	want(&p, &a, "login", 30);

	test_case("a group name longer than any nickname or room still finds its command");
	const char *longname = "the-band-that-plays-on-thursday-evenings-at-9"; /* 45 bytes */
	sent(&p, PL_MSG_GROUP_CREATE, longname, "group_create", 32);
	snprintf(g.u.group.name, sizeof g.u.group.name, "%.32s", longname); /* its first 32 bytes */
	want(&p, &g, NULL, 0);
	snprintf(g.u.group.name, sizeof g.u.group.name, "%s", longname);
	want(&p, &g, "group_create", 32);
}

static void test_unanswered(void)
{
	struct pl_pending p;
	pl_pending_init(&p);
	test_case("requests without an answer of their own are not remembered");
	struct pl_msg m = {.type = PL_MSG_PONG};
	pl_pending_sent(&p, &m, "x", 1);
	m.type = PL_MSG_MEDIA_KEYS;
	pl_pending_sent(&p, &m, "x", 1);
	m.type = PL_MSG_DELIVERED;
	pl_pending_sent(&p, &m, "x", 1);
	CHECK_EQ(pl_pending_count(&p), 0);
	test_case("a server that never answers costs the oldest entries only");
	for (uint32_t i = 0; i < PL_PENDING_MAX + 10; i++)
		sent(&p, PL_MSG_SAY, "#a", "say", i);
	CHECK_EQ(pl_pending_count(&p), PL_PENDING_MAX);
	struct pl_msg ok = {.type = PL_MSG_SAY_OK};
	ok.u.say_ok.tag = 1010;
	want(&p, &ok, "say", 10);
	test_case("an ERROR about nothing answers nothing");
	struct pl_msg e = error_about(0);
	want(&p, &e, NULL, 0);
	pl_pending_clear(&p);
	CHECK_EQ(pl_pending_count(&p), 0);
}

int main(void)
{
	test_order();
	test_keys();
	test_unanswered();
	return test_done();
}
