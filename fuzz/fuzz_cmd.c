/*
 * fuzz_cmd: the client's command parsers (client/cmds.h), pl_ui_parse in the JSON form and the
 * slash form, and the sanitizer of what the client prints (client/sanitize.h). The first byte
 * picks the form (bit 0: JSON) and the current room (bit 1: there is one; bit 2: it is the
 * conversation with "bob", else "#tea"); the rest is the line.
 *
 * Invariants: the parser answers 0 or -EINVAL, the same both times it is asked; an error has a
 * sentence and no command; a command has every string NUL-terminated inside its array and every
 * value its argument kind allows (a nickname valid, a room valid, a number in range, a key of hex
 * digits). The sanitizer's output for the line and for the sentence is valid UTF-8 with no control
 * character, and sanitizing it again changes nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client/cmds.h"
#include "client/sanitize.h"
#include "core/names.h"
#include "fuzz.h"

#define TERMINATED(a) (memchr((a), '\0', sizeof(a)) != NULL)

static void check_safe(const char *s, size_t len)
{
	size_t cap = PL_TERM_SAFE_SIZE(len);
	char *out = malloc(cap), *again = malloc(PL_TERM_SAFE_SIZE(cap));
	size_t n = pl_term_safe(out, cap, s, len);
	FUZZ_CHECK(n == strlen(out) && n < cap);
	FUZZ_CHECK(pl_utf8_valid(out, n));
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i];
		FUZZ_CHECK(c >= 0x20 && c != 0x7f);
		FUZZ_CHECK(!(c == 0xc2 && (unsigned char)out[i + 1] >= 0x80 && (unsigned char)out[i + 1] <= 0x9f));
	}
	FUZZ_CHECK(pl_term_safe(again, PL_TERM_SAFE_SIZE(cap), out, n) == n && !memcmp(again, out, n));
	size_t r = pl_utf8_repair(again, PL_UTF8_REPAIR_SIZE(len), s, len);
	FUZZ_CHECK(pl_utf8_valid(again, r));
	free(out);
	free(again);
}

static bool target_valid(const char *t)
{
	return t[0] == '#' ? pl_room_valid(t) : pl_nick_valid(t);
}

static void check_cmd(const struct pl_cmd *c)
{
	FUZZ_CHECK(TERMINATED(c->nick) && TERMINATED(c->password) && TERMINATED(c->realname));
	FUZZ_CHECK(TERMINATED(c->target) && TERMINATED(c->path) && TERMINATED(c->text));
	FUZZ_CHECK(TERMINATED(c->new_password) && TERMINATED(c->key));
	FUZZ_CHECK(strlen(c->realname) <= PL_REALNAME_MAX && strlen(c->text) <= PL_TEXT_MAX);
	switch (c->kind) {
	case PL_CMD_REGISTER: case PL_CMD_LOGIN: case PL_CMD_WHOIS: case PL_CMD_ADD: case PL_CMD_DEL:
	case PL_CMD_STATUS_GET: case PL_CMD_KEYS: case PL_CMD_ACCEPT: case PL_CMD_REFUSE:
		FUZZ_CHECK(pl_nick_valid(c->nick));
		break;
	case PL_CMD_GROUP_ADD:
		FUZZ_CHECK(pl_nick_valid(c->nick) && c->number >= 1);
		break;
	case PL_CMD_GROUP_QUIT:
		FUZZ_CHECK(c->number >= 1);
		break;
	case PL_CMD_JOIN: case PL_CMD_PART: case PL_CMD_NAMES:
		FUZZ_CHECK(pl_room_valid(c->target));
		break;
	case PL_CMD_SAY:
		FUZZ_CHECK(target_valid(c->target) && c->text[0]);
		break;
	case PL_CMD_HISTORY:
		FUZZ_CHECK(target_valid(c->target) && c->number >= 1 && c->number <= PL_HISTORY_MAX);
		FUZZ_CHECK(c->before <= INT64_MAX);
		break;
	case PL_CMD_STATUS_SET:
		FUZZ_CHECK(c->presence >= PL_PRESENCE_ONLINE && c->presence <= PL_PRESENCE_BUSY);
		FUZZ_CHECK(strlen(c->text) <= PL_NOTE_MAX);
		break;
	case PL_CMD_GROUP_CREATE:
		FUZZ_CHECK(c->text[0] && strlen(c->text) <= PL_GROUP_NAME_MAX);
		break;
	case PL_CMD_PROFILE:
		FUZZ_CHECK(c->has_realname || c->has_picture);
		FUZZ_CHECK(!c->has_picture || c->path[0]);
		break;
	case PL_CMD_REVOKE: {
		size_t n = strlen(c->key);
		FUZZ_CHECK((n >= 4 && n <= 32) || n == 64);
		FUZZ_CHECK(strspn(c->key, "0123456789abcdef") == n);
		break;
	}
	case PL_CMD_VOICE_SEND: case PL_CMD_RECORD: case PL_CMD_INPUT: case PL_CMD_OUTPUT:
		FUZZ_CHECK(c->path[0]);
		break;
	case PL_CMD_CALL: case PL_CMD_QUERY:
		FUZZ_CHECK(pl_nick_valid(c->nick));
		break;
	case PL_CMD_CALL_GROUP:
		FUZZ_CHECK(c->number >= 1);
		break;
	case PL_CMD_TOPIC:
		FUZZ_CHECK(!c->target[0] || pl_room_valid(c->target));
		FUZZ_CHECK(strlen(c->text) <= PL_TOPIC_MAX);
		break;
	case PL_CMD_ME:
		FUZZ_CHECK(c->text[0] && strlen(c->text) <= PL_TEXT_MAX - 4);
		break;
	default:
		FUZZ_CHECK(c->kind <= PL_CMD_VAD); /* the last of enum pl_cmd_kind */
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool json = data[0] & 1;
	const char *room = data[0] & 2 ? (data[0] & 4 ? "bob" : "#tea") : NULL;
	const char *line = (const char *)data + 1;
	size_t len = size - 1;

	struct pl_cmd a, b;
	char ea[512], eb[512];
	int rc = pl_ui_parse(json, line, len, room, &a, ea, sizeof ea);
	int rc2 = pl_ui_parse(json, line, len, room, &b, eb, sizeof eb);
	fuzz_sink = (uintptr_t)rc;
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	FUZZ_CHECK(rc == rc2 && !memcmp(&a, &b, sizeof a) && !strcmp(ea, eb));
	FUZZ_CHECK(memchr(ea, '\0', sizeof ea));
	if (rc < 0) {
		FUZZ_CHECK(ea[0] != '\0' && a.kind == PL_CMD_NONE);
		check_safe(ea, strlen(ea));
	} else {
		check_cmd(&a);
	}
	/* A smaller sentence buffer is cut, never overrun. */
	char tiny[8];
	FUZZ_CHECK(pl_ui_parse(json, line, len, room, &b, tiny, sizeof tiny) == rc && memchr(tiny, '\0', sizeof tiny));
	check_safe(line, len);
	return 0;
}
