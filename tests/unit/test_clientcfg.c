/* Unit tests for client/clientcfg: the client's config file, read from text. A table of files:
 * what each setting becomes, and for each kind of mistake the sentence that names the file, the
 * line and what is wrong. */
#include "client/clientcfg.h"

#include <errno.h>

#include "client/vstats.h"
#include "test.h"

static void defaults(struct pl_client_opts *o)
{
	memset(o, 0, sizeof *o);
	snprintf(o->server, sizeof o->server, "localhost:7787");
	snprintf(o->identity, sizeof o->identity, "/home/x/.config/parley/identity");
	o->voice_mode = PL_VOICE_VAD;
}

static void test_good(void)
{
	struct pl_client_opts o;
	char err[2048] = "";
	defaults(&o);
	test_case("a full file");
	const char *text =
		"# parley's config\n"
		"server = chat.example.org:7000   # the club's\n"
		"\n"
		"  nick=alice\n"
		"rooms = #tea, #music,#x  # the usual\n"
		"identity = /tmp/id\n"
		"known_hosts = /tmp/kh\n"
		"device_name = laptop\n"
		"input = alsa_input.usb\n"
		"output = default\r\n"
		"voice_mode = ptt\n"
		"frame_ms = 10\n"
		"colors = off\n"
		"processing = no\n";
	CHECK(pl_clientcfg_parse(&o, "cfg", text, NULL, NULL, err, sizeof err) == 0);
	CHECK_STR_EQ(err, "");
	CHECK_STR_EQ(o.server, "chat.example.org:7000");
	CHECK_STR_EQ(o.nick, "alice");
	CHECK(o.nrooms == 3);
	CHECK_STR_EQ(o.rooms[0], "#tea");
	CHECK_STR_EQ(o.rooms[1], "#music");
	CHECK_STR_EQ(o.rooms[2], "#x");
	CHECK_STR_EQ(o.identity, "/tmp/id");
	CHECK_STR_EQ(o.known_hosts, "/tmp/kh");
	CHECK_STR_EQ(o.device_name, "laptop");
	CHECK_STR_EQ(o.input, "alsa_input.usb");
	CHECK_STR_EQ(o.output, "default");
	CHECK(o.voice_mode == PL_VOICE_PTT);
	CHECK(o.frame_ms == 10);
	CHECK(o.no_colors);
	CHECK(o.no_processing);

	test_case("an empty file changes nothing");
	defaults(&o);
	CHECK(pl_clientcfg_parse(&o, "cfg", "", NULL, NULL, err, sizeof err) == 0);
	CHECK(pl_clientcfg_parse(&o, "cfg", "\n# only a comment\n   \n", NULL, NULL, err, sizeof err) == 0);
	CHECK_STR_EQ(o.server, "localhost:7787");
	CHECK_STR_EQ(o.identity, "/home/x/.config/parley/identity");
	CHECK(!o.no_colors && o.nrooms == 0);

	test_case("identity none, colors on, a later line wins, no final newline");
	CHECK(pl_clientcfg_parse(&o, "cfg", "identity = none\ncolors = off\ncolors = on\nserver = [::1]:7787\n"
				 "voice_mode = continuous", NULL, NULL, err, sizeof err) == 0);
	CHECK_STR_EQ(o.identity, "");
	CHECK(!o.no_colors);
	CHECK_STR_EQ(o.server, "[::1]:7787");
	CHECK(o.voice_mode == PL_VOICE_CONTINUOUS);

	test_case("rooms = (empty) joins none");
	CHECK(pl_clientcfg_parse(&o, "cfg", "rooms = #a\nrooms =\n", NULL, NULL, err, sizeof err) == 0);
	CHECK(o.nrooms == 0);
}

static const struct {
	const char *text;
	const char *says; /* in the sentence, after "cfg line N: " */
	int line;
} bad[] = {
	{"server chat.example.org\n", "expected 'key = value'", 1},
	{"\n\nnick = a b\n", "is not a nickname", 3},
	{"nick =\n", "nick has no value", 1},
	{"password = hunter22\n", "the password is never read from a file", 1},
	{"  password=x\n", "registers this device's key", 1},
	{"colour = on\n", "unknown setting 'colour'", 1},
	{"rooms = #tea #music\n", "'#tea #music' is not a room name", 1},
	{"rooms = tea\n", "Separate rooms with commas", 1},
	{"rooms = #a,#b,#c,#d,#e,#f,#g,#h,#i,#j,#k,#l,#m,#n,#o,#p,#q\n", "more than 16 rooms", 1},
	{"server = [::1\n", "never closes it", 1},
	{"server = host:99999\n", "Write server = HOST or HOST:PORT", 1},
	{"voice_mode = loud\n", "voice_mode is vad, continuous or ptt, not 'loud'", 1},
	{"colors = maybe\n", "colors is on or off, not 'maybe'", 1},
	{"frame_ms = 15\n", "frame_ms is 10 or 20 (milliseconds of sound in each voice packet), not '15'", 1},
	{"processing = 2\n", "processing is on or off", 1},
	{"identity = ~/id\n", "full path starting with '/', not '~/id' (the config file does not expand '~')", 1},
	{"known_hosts = kh\n", "known_hosts needs a full path", 1},
	{"# ok\nserver = a\nfoo # bar = baz\n", "expected 'key = value'", 3},
	{"[work\n", "a section is [NAME]", 1},
	{"[]\n", "a section is [NAME]", 1},
	{"[my work]\n", "without spaces", 1},
	{"[home]\nnick = ok\n[work]\nnick = not ok\n", "is not a nickname", 4}, /* checked, though not used */
};

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct pl_client_opts o;
		char err[2048] = "", where[64];
		defaults(&o);
		test_case("bad file %zu: %s", i, bad[i].says);
		CHECK(pl_clientcfg_parse(&o, "cfg", bad[i].text, NULL, NULL, err, sizeof err) == -EINVAL);
		snprintf(where, sizeof where, "cfg line %d: ", bad[i].line);
		CHECK(strncmp(err, where, strlen(where)) == 0);
		CHECK(strstr(err, bad[i].says) != NULL);
		if (strstr(err, bad[i].says) == NULL || strncmp(err, where, strlen(where)))
			fprintf(stderr, "  said: %s\n", err);
	}
	test_case("a bad rooms line takes none of its rooms");
	struct pl_client_opts o;
	char err[2048];
	defaults(&o);
	CHECK(pl_clientcfg_parse(&o, "cfg", "rooms = #a, b\n", NULL, NULL, err, sizeof err) < 0);
	CHECK(o.nrooms == 0);
}

static void test_sections(void)
{
	static const char text[] =
		"server = default.example.org\n"
		"nick = alice\n"
		"colors = off\n"
		"[work]   # the office\n"
		"server = chat.work.example:7000\n"
		"rooms = #standup\n"
		"[club]\n"
		"server = club.example.org\n"
		"nick = ally\n"
		"rooms = #chess, #go\n";
	struct pl_client_opts o;
	char err[2048] = "";
	bool found = true;

	test_case("no profile: the settings before any section");
	defaults(&o);
	CHECK(pl_clientcfg_parse(&o, "cfg", text, NULL, &found, err, sizeof err) == 0);
	CHECK(!found);
	CHECK_STR_EQ(o.server, "default.example.org");
	CHECK_STR_EQ(o.nick, "alice");
	CHECK(o.nrooms == 0 && o.no_colors);

	test_case("[work]: its settings over the others");
	defaults(&o);
	CHECK(pl_clientcfg_parse(&o, "cfg", text, "work", &found, err, sizeof err) == 0);
	CHECK(found);
	CHECK_STR_EQ(o.server, "chat.work.example:7000");
	CHECK_STR_EQ(o.nick, "alice");
	CHECK(o.nrooms == 1 && !strcmp(o.rooms[0], "#standup") && o.no_colors);

	test_case("[club]");
	defaults(&o);
	CHECK(pl_clientcfg_parse(&o, "cfg", text, "club", &found, err, sizeof err) == 0);
	CHECK(found);
	CHECK_STR_EQ(o.server, "club.example.org");
	CHECK_STR_EQ(o.nick, "ally");
	CHECK(o.nrooms == 2 && !strcmp(o.rooms[1], "#go"));

	test_case("a name that is no section: not found, the general settings only");
	defaults(&o);
	CHECK(pl_clientcfg_parse(&o, "cfg", text, "chat.example.org", &found, err, sizeof err) == 0);
	CHECK(!found);
	CHECK_STR_EQ(o.server, "default.example.org");
}

static void test_bool(void)
{
	test_case("on/off words");
	CHECK(pl_clientcfg_bool("on") == 1 && pl_clientcfg_bool("yes") == 1 && pl_clientcfg_bool("true") == 1);
	CHECK(pl_clientcfg_bool("off") == 0 && pl_clientcfg_bool("no") == 0 && pl_clientcfg_bool("0") == 0);
	CHECK(pl_clientcfg_bool("") == -1 && pl_clientcfg_bool("On") == -1);
}

static void test_load(void)
{
	struct pl_client_opts o;
	char err[2048] = "";
	defaults(&o);
	test_case("a missing default file is no error; a missing --config file is");
	CHECK(pl_clientcfg_load(&o, "/nonexistent/parley/config", false, NULL, NULL, err, sizeof err) == 0);
	CHECK(pl_clientcfg_load(&o, "/nonexistent/parley/config", true, NULL, NULL, err, sizeof err) == -ENOENT);
	CHECK(strstr(err, "/nonexistent/parley/config") && strstr(err, "--config"));
}

int main(void)
{
	test_good();
	test_bad();
	test_sections();
	test_bool();
	test_load();
	return test_done();
}
