/*
 * Unit tests for client/cmds: the command table and the parsers that read it. One table of cases,
 * each a line in the slash form or the JSON form with the struct pl_cmd it must give, or the error
 * it must give (a substring, and whether the command's usage must follow). Every row of the command
 * table has a good and a bad case in each of its forms; the test checks that it does, so a command
 * added to the table without cases fails here. Then /help (every command once), the completion
 * words, the lines kept out of history, fingerprint prefixes, and a few usage sentences whole.
 */
#include "client/cmds.h"

#include <errno.h>
#include <stdlib.h>

#include "core/err.h"
#include "test.h"

#define KEY64 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define X16 "xxxxxxxxxxxxxxxx"
#define LONG129 X16 X16 X16 X16 X16 X16 X16 X16 "x" /* one byte over a note's maximum */

struct cmd_case {
	const char *row;   /* the table row it exercises: its slash name ("group add") or JSON name */
	bool json;
	const char *line;
	const char *current; /* the current room or conversation */
	/* a good line: what it must give (strings left NULL must be empty) */
	enum pl_cmd_kind kind;
	const char *nick, *password, *new_password, *realname, *target, *path, *text, *key;
	uint32_t number, tag;
	uint64_t before;
	uint8_t presence;
	bool has_realname, has_picture;
	const char *media; /* the format given, as pl_mformat_describe says it; NULL: none given */
	/* a bad line: a part of its sentence, and whether the usage of `row` must follow it */
	const char *err;
	bool usage;
};

#define S false
#define LONG301 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
#define J true

static const struct cmd_case cases[] = {
	/* register, login */
	{"register", S, "/register alice secret-pw Alice Liddell", NULL, .kind = PL_CMD_REGISTER, .nick = "alice",
	 .password = "secret-pw", .realname = "Alice Liddell", .has_realname = true},
	{"register", S, "/register alice", NULL, .err = "/register needs a password.", .usage = true},
	{"register", S, "/register bad\"nick secret-pw", NULL, .err = "Nicknames are"},
	{"register", J, "{\"cmd\":\"register\",\"nick\":\"alice\",\"password\":\"pw 12345\"}", NULL, .kind = PL_CMD_REGISTER,
	 .nick = "alice", .password = "pw 12345"},
	{"register", J, "{\"cmd\":\"register\",\"nick\":\"alice\"}", NULL, .err = "\"register\" needs \"password\"",
	 .usage = true},
	{"register", J, "{\"cmd\":\"register\",\"nick\":\"alice\",\"password\":\"\"}", NULL,
	 .err = "needs \"password\"", .usage = true},
	{"login", S, "/login bob hunter2hunter2", NULL, .kind = PL_CMD_LOGIN, .nick = "bob", .password = "hunter2hunter2"},
	{"login", S, "/login", NULL, .err = "/login needs a nickname.", .usage = true},
	{"login", J, "{\"cmd\":\"login\",\"nick\":\"bob\",\"password\":\"x y z\"}", NULL, .kind = PL_CMD_LOGIN, .nick = "bob",
	 .password = "x y z"},
	{"login", J, "{\"cmd\":\"login\",\"nick\":7,\"password\":\"p\"}", NULL, .err = "\"nick\" must be a string."},
	/* rooms */
	{"join", S, "/join #tea", NULL, .kind = PL_CMD_JOIN, .target = "#tea"},
	{"join", S, "/JOIN #tea", NULL, .kind = PL_CMD_JOIN, .target = "#tea"},
	{"join", S, "/join nohash", NULL, .err = "Room names start with '#': try /join #nohash"},
	{"join", S, "/join", NULL, .err = "/join needs a room.", .usage = true},
	{"join", S, "/join #a #b", NULL, .err = "Too many words after /join: \"#b\".", .usage = true},
	{"join", J, "{\"cmd\":\"join\",\"room\":\"#tea\"}", NULL, .kind = PL_CMD_JOIN, .target = "#tea"},
	{"join", J, "{\"cmd\":\"join\",\"room\":\"no-hash\"}", NULL, .err = "try \"room\":\"#no-hash\"."},
	{"join", J, "{\"cmd\":\"join\",\"room\":\"#a b\"}", NULL, .err = "Room names start with '#' and have"},
	{"part", S, "/part", "#tea", .kind = PL_CMD_PART, .target = "#tea"},
	{"part", S, "/part #music", "#tea", .kind = PL_CMD_PART, .target = "#music"},
	{"part", S, "/part", NULL, .err = "/part needs a room.", .usage = true},
	{"close", S, "/part", "bob", .kind = PL_CMD_CLOSE}, /* in a conversation's window: closes it */
	{"close", S, "/close", "#tea", .kind = PL_CMD_CLOSE},
	{"close", S, "/close now", "#tea", .err = "Too many words", .usage = true},
	{"me", S, "/me waves", "#tea", .kind = PL_CMD_ME, .text = "waves"},
	{"clear", S, "/clear", "#tea", .kind = PL_CMD_CLEAR},
	{"topic", S, "/topic", "#tea", .kind = PL_CMD_TOPIC},
	{"topic", S, "/topic Darjeeling on Fridays", "#tea", .kind = PL_CMD_TOPIC, .text = "Darjeeling on Fridays"},
	{"topic", S, "/topic " LONG301, "#tea", .err = "too long"},
	{"topic", J, "{\"cmd\":\"topic\",\"room\":\"#tea\",\"topic\":\"tea\"}", NULL, .kind = PL_CMD_TOPIC,
	 .target = "#tea", .text = "tea"},
	{"topic", J, "{\"cmd\":\"topic\",\"room\":\"#tea\"}", NULL, .kind = PL_CMD_TOPIC, .target = "#tea"},
	{"topic", J, "{\"cmd\":\"topic\",\"topic\":\"tea\"}", NULL, .err = "needs \"room\"", .usage = true},
	{"clear", S, "/clear all", "#tea", .err = "Too many words", .usage = true},
	{"me", S, "/me", "#tea", .err = "/me needs", .usage = true},
	{"query", S, "/query bob", "#tea", .kind = PL_CMD_QUERY, .nick = "bob"},
	{"query", S, "/query #tea", NULL, .err = "Nicknames", .usage = false},
	{"part", J, "{\"cmd\":\"part\",\"room\":\"#tea\"}", "#x", .kind = PL_CMD_PART, .target = "#tea"},
	{"part", J, "{\"cmd\":\"part\"}", "#tea", .err = "\"part\" needs \"room\"", .usage = true},
	{"names", S, "/names", "#tea", .kind = PL_CMD_NAMES, .target = "#tea"},
	{"names", S, "/names", "bob", .err = "Room names start with '#': try /names #bob"},
	{"names", J, "{\"cmd\":\"names\",\"room\":\"#tea\"}", NULL, .kind = PL_CMD_NAMES, .target = "#tea"},
	{"names", J, "{\"cmd\":\"names\",\"room\":null}", NULL, .err = "\"names\" needs \"room\"", .usage = true},
	{"rooms", S, "/rooms", NULL, .kind = PL_CMD_ROOMS},
	{"rooms", S, "/rooms all", NULL, .err = "Too many words after /rooms", .usage = true},
	{"rooms", J, "{\"cmd\":\"rooms\"}", NULL, .kind = PL_CMD_ROOMS},
	{"rooms", J, "{\"cmd\":\"rooms\",\"room\":\"#a\"}", NULL, .err = "\"room\" is not a key of \"rooms\".",
	 .usage = true},
	/* messages */
	{"msg", S, "/msg bob see you at eight", NULL, .kind = PL_CMD_SAY, .target = "bob", .text = "see you at eight"},
	{"msg", S, "/msg #tea  two  spaces ", NULL, .kind = PL_CMD_SAY, .target = "#tea", .text = "two  spaces"},
	{"msg", S, "/msg bob", NULL, .err = "/msg needs a message.", .usage = true},
	{"msg", S, "/msg bo,b hi", NULL, .err = "neither a room (#name) nor a valid nickname"},
	{"say", J, "{\"cmd\":\"say\",\"to\":\"#Lobby\",\"text\":\"hi\",\"tag\":7}", NULL, .kind = PL_CMD_SAY,
	 .target = "#Lobby", .text = "hi", .tag = 7},
	{"say", J, "{\"cmd\":\"say\",\"to\":\"bob\",\"text\":\"a\\u00e9\\n\",\"tag\":4294967295}", NULL, .kind = PL_CMD_SAY,
	 .target = "bob", .text = "a\xc3\xa9\n", .tag = 4294967295u},
	{"say", J, "{\"cmd\":\"say\",\"to\":\"bob\"}", NULL, .err = "\"say\" needs \"text\" (a message).", .usage = true},
	{"say", J, "{\"cmd\":\"say\",\"to\":\"bob\",\"text\":\"x\",\"tag\":-1}", NULL,
	 .err = "The tag must be a whole number from 0 to 4294967295."},
	{"say", J, "{\"cmd\":\"say\",\"to\":\"bob\",\"text\":\"x\",\"tag\":1.5}", NULL, .err = "The tag must be"},
	{"history", S, "/history 50", "#tea", .kind = PL_CMD_HISTORY, .target = "#tea", .number = 50},
	{"history", S, "/history", "bob", .kind = PL_CMD_HISTORY, .target = "bob", .number = 20},
	{"history", S, "/history #music 20 1234", NULL, .kind = PL_CMD_HISTORY, .target = "#music", .number = 20,
	 .before = 1234},
	{"history", S, "/history 10 99", "#tea", .kind = PL_CMD_HISTORY, .target = "#tea", .number = 10, .before = 99},
	{"history", S, "/history #tea 0", NULL, .err = "The number of messages must be a whole number from 1 to 200.",
	 .usage = true},
	{"history", S, "/history #tea lots", NULL, .err = "The number of messages must be", .usage = true},
	{"history", S, "/history", NULL, .err = "/history needs a room or nickname.", .usage = true},
	{"history", J, "{\"cmd\":\"history\",\"target\":\"#tea\",\"limit\":10,\"before\":5}", NULL, .kind = PL_CMD_HISTORY,
	 .target = "#tea", .number = 10, .before = 5},
	{"history", J, "{\"cmd\":\"history\",\"target\":\"#tea\"}", NULL, .kind = PL_CMD_HISTORY, .target = "#tea",
	 .number = 20},
	{"history", J, "{\"cmd\":\"history\",\"limit\":10}", "#tea", .err = "\"history\" needs \"target\"",
	 .usage = true},
	{"history", J, "{\"cmd\":\"history\",\"target\":\"#tea\",\"limit\":201}", NULL, .err = "from 1 to 200",
	 .usage = true},
	{"history", J, "{\"cmd\":\"history\",\"target\":\"#tea\",\"limt\":10}", NULL,
	 .err = "\"limt\" is not a key of \"history\".", .usage = true},
	/* contacts and presence */
	{"contacts", S, "/contacts", NULL, .kind = PL_CMD_CONTACTS},
	{"contacts", S, "/contacts bob", NULL, .err = "Too many words", .usage = true},
	{"contacts", J, "{\"cmd\":\"contacts\"}", NULL, .kind = PL_CMD_CONTACTS},
	{"contacts", J, "{\"cmd\":\"contacts\",\"nick\":\"bob\"}", NULL, .err = "is not a key", .usage = true},
	{"add", S, "/add bob", NULL, .kind = PL_CMD_ADD, .nick = "bob"},
	{"add", S, "/add", NULL, .err = "/add needs a nickname.", .usage = true},
	{"add", J, "{\"cmd\":\"add\",\"nick\":\"BOB\"}", NULL, .kind = PL_CMD_ADD, .nick = "BOB"},
	{"add", J, "{\"cmd\":\"add\",\"nick\":\"#bob\"}", NULL, .err = "Nicknames are"},
	{"accept", S, "/accept bob", NULL, .kind = PL_CMD_ACCEPT, .nick = "bob"},
	{"accept", S, "/accept", NULL, .err = "/accept needs a nickname.", .usage = true},
	{"accept", J, "{\"cmd\":\"accept\",\"nick\":\"bob\"}", NULL, .kind = PL_CMD_ACCEPT, .nick = "bob"},
	{"accept", J, "{\"cmd\":\"accept\"}", NULL, .err = "\"accept\" needs \"nick\"", .usage = true},
	{"refuse", S, "/refuse dave", NULL, .kind = PL_CMD_REFUSE, .nick = "dave"},
	{"refuse", S, "/refuse da ve", NULL, .err = "Too many words after /refuse: \"ve\".", .usage = true},
	{"refuse", J, "{\"cmd\":\"refuse\",\"nick\":\"dave\"}", NULL, .kind = PL_CMD_REFUSE, .nick = "dave"},
	{"refuse", J, "{\"cmd\":\"refuse\",\"nick\":\"\"}", NULL, .err = "\"refuse\" needs \"nick\"", .usage = true},
	{"del", S, "/del bob", NULL, .kind = PL_CMD_DEL, .nick = "bob"},
	{"del", S, "/del", NULL, .err = "/del needs a nickname.", .usage = true},
	{"del", J, "{\"cmd\":\"del\",\"nick\":\"bob\"}", NULL, .kind = PL_CMD_DEL, .nick = "bob"},
	{"del", J, "{\"cmd\":\"del\",\"nick\":[\"bob\"]}", NULL, .err = "\"nick\" must be a string."},
	{"status", S, "/status bob", NULL, .kind = PL_CMD_STATUS_GET, .nick = "bob"},
	{"status", S, "/status", NULL, .err = "/status needs a nickname.", .usage = true},
	{"status", J, "{\"cmd\":\"status\",\"nick\":\"bob\"}", NULL, .kind = PL_CMD_STATUS_GET, .nick = "bob"},
	{"status", J, "{\"cmd\":\"status\"}", NULL, .err = "\"status\" needs \"nick\"", .usage = true},
	{"away", S, "/away lunch, back at 2", NULL, .kind = PL_CMD_STATUS_SET, .presence = PL_PRESENCE_AWAY,
	 .text = "lunch, back at 2"},
	{"away", S, "/away " LONG129, NULL, .err = "That note is too long (at most 128 bytes)."},
	{"busy", S, "/busy", NULL, .kind = PL_CMD_STATUS_SET, .presence = PL_PRESENCE_BUSY},
	{"busy", S, "/busy " LONG129, NULL, .err = "That note is too long"},
	{"back", S, "/back", NULL, .kind = PL_CMD_STATUS_SET, .presence = PL_PRESENCE_ONLINE},
	{"back", S, "/back " LONG129, NULL, .err = "That note is too long"},
	{"set_status", J, "{\"cmd\":\"set_status\",\"presence\":\"away\",\"note\":\"lunch\"}", NULL, .kind = PL_CMD_STATUS_SET,
	 .presence = PL_PRESENCE_AWAY, .text = "lunch"},
	{"set_status", J, "{\"cmd\":\"set_status\",\"presence\":\"busy\"}", NULL, .kind = PL_CMD_STATUS_SET,
	 .presence = PL_PRESENCE_BUSY},
	{"set_status", J, "{\"cmd\":\"set_status\",\"presence\":\"gone\"}", NULL,
	 .err = "The presence must be online, away or busy."},
	{"set_status", J, "{\"cmd\":\"set_status\"}", NULL, .err = "\"set_status\" needs \"presence\"", .usage = true},
	/* profile and password */
	{"whois", S, "/whois bob", NULL, .kind = PL_CMD_WHOIS, .nick = "bob"},
	{"whois", S, "/whois", NULL, .err = "/whois needs a nickname.", .usage = true},
	{"whois", J, "{\"cmd\":\"whois\",\"nick\":\"bob\"}", NULL, .kind = PL_CMD_WHOIS, .nick = "bob"},
	{"whois", J, "{\"cmd\":\"whois\",\"nick\":\"b\"}", NULL, .err = "Nicknames are 2 to 32"},
	{"realname", S, "/realname Alice L.", NULL, .kind = PL_CMD_PROFILE, .realname = "Alice L.", .has_realname = true},
	{"realname", S, "/realname", NULL, .kind = PL_CMD_PROFILE, .has_realname = true},
	{"realname", S, "/realname " LONG129, NULL, .err = "That real name is too long (at most 64 bytes)."},
	{"picture", S, "/picture my picture.png", NULL, .kind = PL_CMD_PROFILE, .path = "my picture.png", .has_picture = true},
	{"picture", S, "/picture none", NULL, .kind = PL_CMD_PROFILE, .path = "none", .has_picture = true},
	{"picture", S, "/picture", NULL, .err = "/picture needs a picture file.", .usage = true},
	{"profile", J, "{\"cmd\":\"profile\",\"realname\":\"Alice\",\"picture\":\"me.png\"}", NULL, .kind = PL_CMD_PROFILE,
	 .realname = "Alice", .path = "me.png", .has_realname = true, .has_picture = true},
	{"profile", J, "{\"cmd\":\"profile\",\"picture\":\"\"}", NULL, .kind = PL_CMD_PROFILE, .path = "none",
	 .has_picture = true},
	{"profile", J, "{\"cmd\":\"profile\",\"realname\":\"\"}", NULL, .kind = PL_CMD_PROFILE, .has_realname = true},
	{"profile", J, "{\"cmd\":\"profile\"}", NULL, .err = "\"profile\" needs \"realname\" or \"picture\".",
	 .usage = true},
	{"passwd", S, "/passwd old-password new-password", NULL, .kind = PL_CMD_PASSWD, .password = "old-password",
	 .new_password = "new-password"},
	{"passwd", S, "/passwd old-password", NULL, .err = "/passwd needs a new password.", .usage = true},
	{"passwd", J, "{\"cmd\":\"passwd\",\"old\":\"a\",\"new\":\"b\"}", NULL, .kind = PL_CMD_PASSWD, .password = "a",
	 .new_password = "b"},
	{"passwd", J, "{\"cmd\":\"passwd\",\"new\":\"b\"}", NULL, .err = "\"passwd\" needs \"old\" (an old password)",
	 .usage = true},
	/* groups */
	{"groups", S, "/groups", NULL, .kind = PL_CMD_GROUPS},
	{"groups", S, "/groups mine", NULL, .err = "Too many words", .usage = true},
	{"groups", J, "{\"cmd\":\"groups\"}", NULL, .kind = PL_CMD_GROUPS},
	{"groups", J, "{\"cmd\":\"groups\",\"cmd\":\"rooms\"}", NULL, .err = "not a JSON object"},
	{"group create", S, "/group create band practice", NULL, .kind = PL_CMD_GROUP_CREATE, .text = "band practice"},
	{"group create", S, "/group create", NULL, .err = "/group create needs a group name.", .usage = true},
	{"group create", S, "/group", NULL, .err = "Usage: /group create NAME, /group add ID NICK or /group quit ID"},
	{"group create", S, "/group rename 1 x", NULL, .err = "Usage: /group create NAME, /group add ID NICK or"},
	{"group_create", J, "{\"cmd\":\"group_create\",\"name\":\"band\"}", NULL, .kind = PL_CMD_GROUP_CREATE, .text = "band"},
	{"group_create", J, "{\"cmd\":\"group_create\",\"name\":\"" X16 X16 X16 "x\"}", NULL,
	 .err = "That group name is too long (at most 48 bytes)."},
	{"group add", S, "/group add 12 bob", NULL, .kind = PL_CMD_GROUP_ADD, .number = 12, .nick = "bob"},
	{"group add", S, "/group add x bob", NULL, .err = "The group number must be a whole number from 1 to 4294967295.",
	 .usage = true},
	{"group add", S, "/group add 12", NULL, .err = "/group add needs a nickname.", .usage = true},
	{"group_add", J, "{\"cmd\":\"group_add\",\"group\":4294967295,\"nick\":\"bob\"}", NULL, .kind = PL_CMD_GROUP_ADD,
	 .number = 4294967295u, .nick = "bob"},
	{"group_add", J, "{\"cmd\":\"group_add\",\"group\":\"1\",\"nick\":\"bob\"}", NULL, .err = "The group number must be",
	 .usage = true},
	{"group quit", S, "/group quit 3", NULL, .kind = PL_CMD_GROUP_QUIT, .number = 3},
	{"group quit", S, "/group quit 4294967296", NULL, .err = "The group number must be", .usage = true},
	{"group_quit", J, "{\"cmd\":\"group_quit\",\"group\":3.0}", NULL, .kind = PL_CMD_GROUP_QUIT, .number = 3},
	{"group_quit", J, "{\"cmd\":\"group_quit\",\"group\":0}", NULL, .err = "The group number must be", .usage = true},
	/* devices */
	{"devices", S, "/devices", NULL, .kind = PL_CMD_DEVICES},
	{"devices", S, "/devices bob", NULL, .err = "Too many words after /devices", .usage = true},
	{"devices", J, "{\"cmd\":\"devices\"}", NULL, .kind = PL_CMD_DEVICES},
	{"devices", J, "{\"cmd\":\"devices\",\"nick\":\"bob\"}", NULL, .err = "is not a key of \"devices\"",
	 .usage = true},
	{"revoke", S, "/revoke 1a2b 3C4d", NULL, .kind = PL_CMD_REVOKE, .key = "1a2b3c4d"},
	{"revoke", S, "/revoke " KEY64, NULL, .kind = PL_CMD_REVOKE, .key = KEY64},
	{"revoke", S, "/revoke 1a2", NULL, .err = "A fingerprint is hex digits as /devices shows them"},
	{"revoke", S, "/revoke laptop", NULL, .err = "A fingerprint is hex digits"},
	{"revoke", S, "/revoke", NULL, .err = "/revoke needs a fingerprint.", .usage = true},
	{"revoke", J, "{\"cmd\":\"revoke\",\"fingerprint\":\"1a2b 3c4d 5e6f\"}", NULL, .kind = PL_CMD_REVOKE,
	 .key = "1a2b3c4d5e6f"},
	{"revoke", J, "{\"cmd\":\"revoke\",\"key\":\"" KEY64 "\"}", NULL, .kind = PL_CMD_REVOKE, .key = KEY64},
	{"revoke", J, "{\"cmd\":\"revoke\",\"key\":\"1a2b3c4d\"}", NULL, .err = "A device key is 64 hex digits."},
	{"revoke", J, "{\"cmd\":\"revoke\"}", NULL, .err = "\"revoke\" needs \"key\" or \"fingerprint\".", .usage = true},
	{"keys", S, "/keys bob", NULL, .kind = PL_CMD_KEYS, .nick = "bob"},
	{"keys", S, "/keys", NULL, .err = "/keys needs a nickname.", .usage = true},
	{"keys", J, "{\"cmd\":\"keys\",\"nick\":\"bob\"}", NULL, .kind = PL_CMD_KEYS, .nick = "bob"},
	{"keys", J, "{\"cmd\":\"keys\",\"nick\":\"no body\"}", NULL, .err = "Nicknames are"},
	/* calls */
	{"call", S, "/call bob", NULL, .kind = PL_CMD_CALL, .nick = "bob"},
	{"call", S, "/call bob pcm:16000:1:i16:10", NULL, .kind = PL_CMD_CALL, .nick = "bob",
	 .media = "PCM i16 16000 Hz mono, 10 ms (320 bytes a packet)"},
	{"call", S, "/call bob opus:24000:2", NULL, .kind = PL_CMD_CALL, .nick = "bob", .media = "Opus 24000 Hz stereo, 20 ms"},
	{"call", S, "/call", NULL, .err = "/call needs a nickname.", .usage = true},
	{"call", S, "/call bob pcm:48000:2:f32:20", NULL, .err = "more than the 1275 a voice packet carries"},
	{"call", S, "/call bob mp3", NULL, .err = "codec opus or pcm"},
	{"call", J, "{\"cmd\":\"call\",\"nick\":\"bob\",\"media\":\"pcm:8000:1:u8:2.5\"}", NULL, .kind = PL_CMD_CALL,
	 .nick = "bob", .media = "PCM u8 8000 Hz mono, 2.5 ms (20 bytes a packet)"},
	{"call", J, "{\"cmd\":\"call\",\"nick\":\"bob\",\"media\":\"pcm:16000:3\"}", NULL, .err = "channels must be 1 or 2"},
	{"call group", S, "/call group 7", NULL, .kind = PL_CMD_CALL_GROUP, .number = 7},
	{"call group", S, "/call group", NULL, .err = "/call group needs a group number.", .usage = true},
	{"call_group", J, "{\"cmd\":\"call_group\",\"group\":7,\"media\":\"opus:48000:1:10\"}", NULL,
	 .kind = PL_CMD_CALL_GROUP, .number = 7, .media = "Opus 48000 Hz mono, 10 ms"},
	{"call_group", J, "{\"cmd\":\"call_group\"}", NULL, .err = "needs \"group\"", .usage = true},
	{"answer", S, "/answer", NULL, .kind = PL_CMD_ANSWER},
	{"answer", S, "/answer pcm:16000:1:i16:20", NULL, .kind = PL_CMD_ANSWER,
	 .media = "PCM i16 16000 Hz mono, 20 ms (640 bytes a packet)"},
	{"answer", S, "/answer opus:44100", NULL, .err = "the sample rate must be"},
	{"answer", J, "{\"cmd\":\"answer\"}", NULL, .kind = PL_CMD_ANSWER},
	{"answer", J, "{\"cmd\":\"answer\",\"media\":7}", NULL, .err = "\"media\" must be a string."},
	{"deny", S, "/deny", NULL, .kind = PL_CMD_DENY},
	{"deny", S, "/deny now", NULL, .err = "Too many words after /deny", .usage = true},
	{"deny", J, "{\"cmd\":\"deny\"}", NULL, .kind = PL_CMD_DENY},
	{"deny", J, "{\"cmd\":\"deny\",\"why\":1}", NULL, .err = "\"why\" is not a key of \"deny\""},
	{"take", S, "/take", NULL, .kind = PL_CMD_TAKE},
	{"take", S, "/take it", NULL, .err = "Too many words after /take", .usage = true},
	{"take", J, "{\"cmd\":\"take\"}", NULL, .kind = PL_CMD_TAKE},
	{"take", J, "{\"cmd\":\"take\",\"x\":1}", NULL, .err = "\"x\" is not a key of \"take\""},
	{"hangup", S, "/hangup", NULL, .kind = PL_CMD_HANGUP},
	{"hangup", S, "/hangup bob", NULL, .err = "Too many words after /hangup", .usage = true},
	{"hangup", J, "{\"cmd\":\"hangup\"}", NULL, .kind = PL_CMD_HANGUP},
	{"hangup", J, "{\"cmd\":\"hangup\",\"nick\":\"bob\"}", NULL, .err = "\"nick\" is not a key of \"hangup\""},
	{"verify", S, "/verify", NULL, .kind = PL_CMD_VERIFY},
	{"verify", S, "/verify bob", NULL, .kind = PL_CMD_VERIFY, .nick = "bob"},
	{"verify", S, "/verify bo\"b", NULL, .err = "Nicknames are"},
	{"verify", J, "{\"cmd\":\"verify\",\"nick\":\"bob\"}", NULL, .kind = PL_CMD_VERIFY, .nick = "bob"},
	{"verify", J, "{\"cmd\":\"verify\",\"nick\":3}", NULL, .err = "\"nick\" must be a string."},
	/* voice */
	{"voice", S, "/voice my speech.wav", NULL, .kind = PL_CMD_VOICE_SEND, .path = "my speech.wav"},
	{"voice", S, "/voice", NULL, .err = "/voice needs a file name.", .usage = true},
	{"voice_send", J, "{\"cmd\":\"voice_send\",\"file\":\"a.wav\"}", NULL, .kind = PL_CMD_VOICE_SEND, .path = "a.wav"},
	{"voice_send", J, "{\"cmd\":\"voice_send\",\"path\":\"a.wav\"}", NULL, .err = "\"path\" is not a key",
	 .usage = true},
	{"record", S, "/record heard.wav", NULL, .kind = PL_CMD_RECORD, .path = "heard.wav"},
	{"record", S, "/record", NULL, .err = "/record needs a file name.", .usage = true},
	{"record", J, "{\"cmd\":\"record\",\"file\":\"b.wav\"}", NULL, .kind = PL_CMD_RECORD, .path = "b.wav"},
	{"record", J, "{\"cmd\":\"record\",\"file\":\"\"}", NULL, .err = "\"record\" needs \"file\"", .usage = true},
	{"stoprecord", S, "/stoprecord", NULL, .kind = PL_CMD_STOP_RECORD},
	{"stoprecord", S, "/stoprecord now", NULL, .err = "Too many words", .usage = true},
	{"stop_record", J, "{\"cmd\":\"stop_record\"}", NULL, .kind = PL_CMD_STOP_RECORD},
	{"stop_record", J, "{\"cmd\":\"stop_record\",\"file\":\"b.wav\"}", NULL, .err = "is not a key", .usage = true},
	{"stats", S, "/stats", NULL, .kind = PL_CMD_STATS},
	{"stats", S, "/stats all", NULL, .err = "Too many words", .usage = true},
	{"stats", J, "{\"cmd\":\"stats\"}", NULL, .kind = PL_CMD_STATS},
	{"stats", J, "{\"cmd\":\"stats\",\"tag\":1}", NULL, .kind = PL_CMD_STATS, .tag = 1}, /* any command takes a tag */
	{"stats", J, "{\"cmd\":\"stats\",\"tag\":\"one\"}", NULL, .err = "The tag must be a whole number"},
	{"say", J, "{\"cmd\":\"say\",\"text\":\"hi\",\"tag\":9}", NULL, .err = "needs \"to\"", .usage = true, .tag = 9},
	/* sound devices and the person's controls */
	{"devices sound", S, "/devices sound", NULL, .kind = PL_CMD_SOUND_DEVICES},
	{"devices sound", S, "/devices sound all", NULL, .err = "Too many words", .usage = true},
	{"sound_devices", J, "{\"cmd\":\"sound_devices\"}", NULL, .kind = PL_CMD_SOUND_DEVICES},
	{"sound_devices", J, "{\"cmd\":\"sound_devices\",\"nick\":\"x\"}", NULL, .err = "is not a key", .usage = true},
	{"input", S, "/input alsa_input.usb-mic", NULL, .kind = PL_CMD_INPUT, .path = "alsa_input.usb-mic"},
	{"input", S, "/input", NULL, .err = "needs", .usage = true},
	{"input", J, "{\"cmd\":\"input\",\"device\":\"default\"}", NULL, .kind = PL_CMD_INPUT, .path = "default"},
	{"input", J, "{\"cmd\":\"input\"}", NULL, .err = "needs \"device\"", .usage = true},
	{"output", S, "/output none", NULL, .kind = PL_CMD_OUTPUT, .path = "none"},
	{"output", S, "/output", NULL, .err = "needs", .usage = true},
	{"output", J, "{\"cmd\":\"output\",\"device\":\"spk\"}", NULL, .kind = PL_CMD_OUTPUT, .path = "spk"},
	{"output", J, "{\"cmd\":\"output\",\"file\":\"spk\"}", NULL, .err = "is not a key", .usage = true},
	{"mute", S, "/mute", NULL, .kind = PL_CMD_MUTE},
	{"mute", S, "/mute now", NULL, .err = "Too many words", .usage = true},
	{"mute", J, "{\"cmd\":\"mute\"}", NULL, .kind = PL_CMD_MUTE},
	{"mute", J, "{\"cmd\":\"mute\",\"on\":1}", NULL, .err = "is not a key", .usage = true},
	{"deafen", S, "/deafen", NULL, .kind = PL_CMD_DEAFEN},
	{"deafen", S, "/deafen me", NULL, .err = "Too many words", .usage = true},
	{"deafen", J, "{\"cmd\":\"deafen\"}", NULL, .kind = PL_CMD_DEAFEN},
	{"deafen", J, "{\"cmd\":\"deafen\",\"on\":1}", NULL, .err = "is not a key", .usage = true},
	{"ptt", S, "/ptt", NULL, .kind = PL_CMD_PTT},
	{"ptt", S, "/ptt on", NULL, .err = "Too many words", .usage = true},
	{"ptt", J, "{\"cmd\":\"ptt\"}", NULL, .kind = PL_CMD_PTT},
	{"ptt", J, "{\"cmd\":\"ptt\",\"on\":true}", NULL, .err = "is not a key", .usage = true},
	{"vad", S, "/vad", NULL, .kind = PL_CMD_VAD},
	{"vad", S, "/vad -40", NULL, .err = "Too many words", .usage = true},
	{"vad", J, "{\"cmd\":\"vad\"}", NULL, .kind = PL_CMD_VAD},
	{"vad", J, "{\"cmd\":\"vad\",\"db\":-40}", NULL, .err = "is not a key", .usage = true},
	/* the rest */
	{"help", S, "/help", NULL, .kind = PL_CMD_HELP},
	{"help", S, "/help join", NULL, .err = "Too many words after /help", .usage = true},
	{"quit", S, "/quit", NULL, .kind = PL_CMD_QUIT},
	{"quit", S, "/exit", NULL, .kind = PL_CMD_QUIT},
	{"quit", S, "/quit now", NULL, .err = "Too many words after /quit", .usage = true},
	{"quit", J, "{\"cmd\":\"quit\"}", NULL, .kind = PL_CMD_QUIT},
	{"quit", J, " {\"cmd\" : \"quit\"}\r\n ", NULL, .kind = PL_CMD_QUIT},
	{"quit", J, "{\"cmd\":\"quit\",\"now\":true}", NULL, .err = "\"now\" is not a key of \"quit\"", .usage = true},
	/* lines that are no command of the table */
	{NULL, S, "", NULL, .kind = PL_CMD_NONE},
	{NULL, S, "   \r", NULL, .kind = PL_CMD_NONE},
	{NULL, S, "hello everyone", "#tea", .kind = PL_CMD_SAY, .target = "#tea", .text = "hello everyone"},
	{NULL, S, "//slash at the start", "bob", .kind = PL_CMD_SAY, .target = "bob", .text = "/slash at the start"},
	{NULL, S, "hello?", NULL, .err = "You are in no room; /join one first, or use /msg NICK TEXT."},
	{NULL, S, "/frobnicate", NULL, .err = "Unknown command /frobnicate; type /help for the list."},
	{NULL, S, "/", NULL, .err = "Unknown command /; type /help"},
	{NULL, J, "[1,2]", NULL, .err = "That line is not a JSON object like {\"cmd\":\"say\""},
	{NULL, J, "{\"cmd\":\"say\"", NULL, .err = "That line is not a JSON object"},
	{NULL, J, "{\"cmd\":\"quit\"} x", NULL, .err = "That line is not a JSON object"},
	{NULL, J, "{\"to\":\"bob\"}", NULL, .err = "The object has no \"cmd\" string"},
	{NULL, J, "{\"cmd\":\"frob\"}", NULL, .err = "Unknown \"cmd\" \"frob\"; the commands are register, login,"},
	{NULL, J, "{\"cmd\":\"say\",\"to\":\"bob\",\"text\":\"\\u0000\"}", NULL, .err = "not a JSON object"},
	{NULL, J, "{\"cmd\":\"say\",\"to\":\"bob\",\"text\":\"\xff\"}", NULL, .err = "not a JSON object"},
};

static const struct pl_cmd_def *row_named(const char *name, bool json)
{
	for (size_t j = 0; j < pl_cmd_count; j++) {
		const struct pl_cmd_def *d = &pl_cmd_table[j];
		char slash[64];
		snprintf(slash, sizeof slash, "%s%s%s", d->slash ? d->slash : "", d->sub ? " " : "", d->sub ? d->sub : "");
		if (json ? d->json && !strcmp(d->json, name) : d->slash && !strcmp(slash, name))
			return d;
	}
	return NULL;
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static void parse_cases(unsigned (*good)[2], unsigned (*bad)[2])
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct cmd_case *c = &cases[i];
		struct pl_cmd cmd;
		char err[512];
		test_case("%s form: %.60s", c->json ? "JSON" : "slash", c->line);
		const struct pl_cmd_def *d = c->row ? row_named(c->row, c->json) : NULL;
		if (c->row && !CHECK(d != NULL))
			continue;
		int rc = pl_ui_parse(c->json, c->line, strlen(c->line), c->current, &cmd, err, sizeof err);
		if (c->err) {
			CHECK_EQ(rc, -EINVAL);
			CHECK_EQ(cmd.kind, PL_CMD_NONE);
			if (!CHECK(strstr(err, c->err) != NULL))
				fprintf(stderr, "  the sentence was: %s\n", err);
			if (c->usage) {
				char usage[300], want[310];
				snprintf(want, sizeof want, "Usage: %s", pl_cmd_usage(d, c->json, usage, sizeof usage));
				if (!CHECK(strstr(err, want) != NULL))
					fprintf(stderr, "  the sentence was: %s\n  wanted: %s\n", err, want);
			}
			CHECK_EQ(cmd.tag, c->tag); /* an error still carries the command's tag */
			if (d)
				bad[d - pl_cmd_table][c->json]++;
			continue;
		}
		if (!CHECK_EQ(rc, 0)) {
			fprintf(stderr, "  the sentence was: %s\n", err);
			continue;
		}
		CHECK_EQ(cmd.kind, c->kind);
		if (d) {
			CHECK_EQ(cmd.kind, d->kind);
			CHECK_STR_EQ(cmd.name, c->json ? d->json : d->json ? d->json : d->slash);
		}
		CHECK_STR_EQ(cmd.nick, or_empty(c->nick));
		CHECK_STR_EQ(cmd.password, or_empty(c->password));
		CHECK_STR_EQ(cmd.new_password, or_empty(c->new_password));
		CHECK_STR_EQ(cmd.realname, or_empty(c->realname));
		CHECK_STR_EQ(cmd.target, or_empty(c->target));
		CHECK_STR_EQ(cmd.path, or_empty(c->path));
		CHECK_STR_EQ(cmd.text, or_empty(c->text));
		CHECK_STR_EQ(cmd.key, or_empty(c->key));
		CHECK_EQ(cmd.number, c->number);
		CHECK_EQ(cmd.tag, c->tag);
		CHECK_EQ(cmd.before, c->before);
		CHECK_EQ(cmd.presence, c->presence);
		CHECK_EQ(cmd.has_realname, c->has_realname);
		CHECK_EQ(cmd.has_picture, c->has_picture);
		CHECK_EQ(cmd.has_fmt, c->media != NULL);
		if (c->media && cmd.has_fmt) {
			char f[128];
			pl_mformat_describe(&cmd.fmt, f, sizeof f);
			CHECK_STR_EQ(f, c->media);
		}
		if (d)
			good[d - pl_cmd_table][c->json]++;
	}
}

/* Every row of the table has a good and a bad case in each form it has. */
static void coverage(unsigned (*good)[2], unsigned (*bad)[2])
{
	for (size_t j = 0; j < pl_cmd_count; j++) {
		const struct pl_cmd_def *d = &pl_cmd_table[j];
		for (int json = 0; json < 2; json++) {
			if (!(json ? d->json : d->slash))
				continue;
			test_case("cases for %s%s%s in the %s form", json ? d->json : d->slash, d->sub && !json ? " " : "",
				  d->sub && !json ? d->sub : "", json ? "JSON" : "slash");
			CHECK(good[j][json] > 0);
			CHECK(bad[j][json] > 0);
		}
	}
}

/* /help: a header, every slash command exactly once with its usage, then plain text. */
static void help(void)
{
	char lines[100][256];
	size_t n = 0;
	while (n < 100 && pl_cmd_help_line(n, lines[n], sizeof lines[n]))
		n++;
	test_case("/help");
	CHECK_STR_EQ(lines[0], "Commands:");
	size_t listed = 0;
	for (size_t j = 0; j < pl_cmd_count; j++) {
		const struct pl_cmd_def *d = &pl_cmd_table[j];
		if (!d->slash)
			continue;
		char usage[128], start[140];
		pl_cmd_usage(d, false, usage, sizeof usage);
		snprintf(start, sizeof start, "  %s%s%s ", usage, d->alias ? ", /" : "", d->alias ? d->alias : "");
		unsigned found = 0;
		for (size_t i = 1; i < n; i++)
			found += !strncmp(lines[i], start, strlen(start)) && strstr(lines[i], d->help);
		test_case("/help lists %s once", usage);
		CHECK(d->help != NULL);
		CHECK_EQ(found, 1);
		listed++;
	}
	test_case("/help");
	CHECK_EQ(n, listed + 2);
	CHECK(strstr(lines[n - 1], "TEXT") != NULL);
	bool alias = false;
	for (size_t i = 0; i < n; i++) {
		alias = alias || strstr(lines[i], "  /quit, /exit ");
		CHECK(strlen(lines[i]) < 120);
	}
	CHECK(alias);
}

/* The completion words: each command word once, "group" once for its three rows. */
static void verbs(void)
{
	test_case("completion words");
	size_t n = 0, groups = 0;
	for (const char *v; (v = pl_cmd_verb(n)); n++) {
		groups += !strcmp(v, "group");
		for (size_t k = 0; k < n; k++)
			CHECK(strcmp(pl_cmd_verb(k), v) != 0);
		char line[64];
		struct pl_cmd cmd;
		char err[512];
		snprintf(line, sizeof line, "/%s", v);
		pl_ui_parse(false, line, strlen(line), "#tea", &cmd, err, sizeof err);
		CHECK(strstr(err, "Unknown command") == NULL);
	}
	CHECK_EQ(groups, 1);
	CHECK(n > 30);
	CHECK(pl_cmd_verb(n + 1) == NULL);
}

static void secrets(void)
{
	static const struct {
		const char *line;
		bool secret;
	} t[] = {
		{"/login alice pw", true}, {"/register alice pw", true}, {"/PASSWD a b", true}, {"/passwd", true},
		{"/msg bob login pw", false}, {"login alice pw", false}, {"/loginx", false}, {"/join #a", false},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		test_case("secret: %s", t[i].line);
		CHECK_EQ(pl_cmd_secret(t[i].line), t[i].secret);
	}
}

/* A fingerprint prefix as /revoke takes it, against fingerprints as /devices shows them. */
static void fingerprints(void)
{
	static const struct {
		const char *digits;
		bool match;
	} t[] = {
		{"1a2b", true}, {"1a2b3c", true}, {"1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d", true}, {"1a2c", false},
		{"1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d0", false}, {"", true}, {"a2b3", false},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		test_case("fingerprint prefix %s", t[i].digits);
		CHECK_EQ(pl_cmd_fp_starts("1a2b 3c4d 5e6f 7a8b 9c0d 1e2f 3a4b 5c6d", t[i].digits), t[i].match);
	}
}

/* Usages name every argument; JSON usages are JSON apart from the brackets of optional keys. */
static void usages(void)
{
	char buf[300];
	test_case("usages");
	CHECK_STR_EQ(pl_cmd_usage(row_named("msg", false), false, buf, sizeof buf), "/msg NICK|#room TEXT");
	CHECK_STR_EQ(pl_cmd_usage(row_named("say", true), true, buf, sizeof buf),
		     "{\"cmd\":\"say\",\"to\":\"NICK|#room\",\"text\":\"TEXT\"}");
	CHECK_STR_EQ(pl_cmd_usage(row_named("history", false), false, buf, sizeof buf),
		     "/history [#room|NICK] [N] [BEFORE-ID]");
	CHECK_STR_EQ(pl_cmd_usage(row_named("history", true), true, buf, sizeof buf),
		     "{\"cmd\":\"history\",\"target\":\"#room|NICK\"[,\"limit\":N][,\"before\":BEFORE-ID]}");
	CHECK_STR_EQ(pl_cmd_usage(row_named("group add", false), false, buf, sizeof buf), "/group add ID NICK");
	CHECK_STR_EQ(pl_cmd_usage(row_named("register", false), false, buf, sizeof buf),
		     "/register NICK PASSWORD [REAL NAME]");
	/* A buffer too small is cut, never overrun. */
	CHECK_EQ(strlen(pl_cmd_usage(row_named("say", true), true, buf, 10)), 9);
}

int main(void)
{
	unsigned(*good)[2] = calloc(pl_cmd_count, sizeof *good), (*bad)[2] = calloc(pl_cmd_count, sizeof *bad);
	if (!good || !bad)
		return 1;
	parse_cases(good, bad);
	coverage(good, bad);
	help();
	verbs();
	secrets();
	fingerprints();
	usages();
	free(good);
	free(bad);
	return test_done();
}
