#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/.

The encodings are built here from the layouts documented in src/core/{frame,msg,vpkt}.h, not by
parley's own encoder, so a seed is also an independent check of the format: the valid seeds
must decode (scripts/fuzz.sh replays them; fuzz_msg and fuzz_frame also re-encode them).
Each file is small (< 4 KiB). Seeds are named <what>[.bad]; `.bad` ones are meant to be refused.

Run from anywhere: python3 fuzz/gen_corpus.py. It rewrites only the files it generates, so
regression inputs added by hand (name them regress-*) stay.
"""
import hashlib
import hmac
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Must match `key` in fuzz_vpkt.c.
FUZZ_KEY = bytes(range(32))

T = dict(HELLO=0x0001, REGISTER=0x0002, LOGIN=0x0003, PONG=0x0004, JOIN=0x0005, PART=0x0006,
         SAY=0x0007, BYE=0x0008, SET_PASSWORD=0x0009, SET_PROFILE=0x000A, PROFILE_GET=0x000B,
         CONTACT_ADD=0x000C, CONTACT_DEL=0x000D, CONTACTS_GET=0x000E, STATUS_SET=0x000F,
         STATUS_GET=0x0010, GROUP_CREATE=0x0011, GROUP_ADD=0x0012, GROUP_QUIT=0x0013,
         GROUPS_GET=0x0014, ROOMS_GET=0x0015, NAMES=0x0016, HISTORY=0x0017, DELIVERED=0x0018,
         WELCOME=0x8001, AUTH_OK=0x8002, PING=0x8003, JOINED=0x8004, PARTED=0x8005,
         USERLIST=0x8006, TEXT=0x8007, SAY_OK=0x8008, ERROR=0x8009, PROFILE=0x800A,
         CONTACT_ADDED=0x800B, CONTACT_DELETED=0x800C, PRESENCE=0x800D, GROUP=0x800E,
         GROUP_MEMBER=0x800F, ROOM_INFO=0x8010, LIST_END=0x8011, OK=0x8012)

PNG = b"\x89PNG\r\n\x1a\n"


def u8(v): return struct.pack(">B", v)
def u16(v): return struct.pack(">H", v)
def u32(v): return struct.pack(">I", v)
def u64(v): return struct.pack(">Q", v)


def s(text):
    b = text.encode() if isinstance(text, str) else text
    return u16(len(b)) + b


def fill(n, unit):
    """Exactly n bytes of valid UTF-8: copies of unit, then ASCII padding."""
    u = unit.encode()
    b = u * (n // len(u))
    return b + b"x" * (n - len(b))


def frame(mtype, payload):
    return u32(len(payload) + 6) + u16(mtype) + payload


def userlist(room, more, entries):
    p = s(room) + u8(more) + u16(len(entries))
    for nick, session in entries:
        p += s(nick) + u32(session)
    return p


def group(gid, name, updated, members):
    p = u32(gid) + s(name) + u64(updated) + u16(len(members))
    for nick in members:
        p += s(nick)
    return p


def picture(n):
    return (PNG + bytes((i * 251 + 7) & 0xff for i in range(n)))[:n]


# (name, type, payload): every message type (docs/PROTOCOL.md section 4), realistic values and
# some maxima.
VALID = [
    ("hello", T["HELLO"], u16(1) + s("parley/0.1.0 (Debian 12; x86_64)")),
    ("hello_max", T["HELLO"], u16(0xffff) + s(fill(64, "parley-\u00e9"))),
    ("register", T["REGISTER"], s("alice") + s("correct horse battery staple") + s("Alice Liddell")),
    ("register_max", T["REGISTER"], s(fill(32, "Zo\u00eb")) + s(fill(128, "p4ss w\u00f6rd!"))
     + s(fill(64, "\u65e5\u672c "))),
    ("login", T["LOGIN"], s("bob") + s("hunter2hunter2")),
    ("pong", T["PONG"], u64(0x0123456789abcdef)),
    ("join", T["JOIN"], s("#Lobby")),
    ("part", T["PART"], s("#dev")),
    ("say", T["SAY"], u32(7) + s("#Lobby") + s("h\u00e9llo, w\u00f6rld \u2713")),
    ("say_max", T["SAY"], u32(1) + s(b"#" + fill(31, "t")) + s(fill(4000, "quick \U0001f98a "))),
    ("bye", T["BYE"], b""),
    ("set_password", T["SET_PASSWORD"], s("hunter2hunter2") + s("correct horse battery staple")),
    ("set_profile", T["SET_PROFILE"], u8(3) + s("Alice P. Liddell") + u16(48) + picture(48)),
    ("profile_get", T["PROFILE_GET"], s("alice")),
    ("contact_add", T["CONTACT_ADD"], s("b\u00f6b")),
    ("contact_del", T["CONTACT_DEL"], s("carol")),
    ("contacts_get", T["CONTACTS_GET"], b""),
    ("status_set", T["STATUS_SET"], u8(2) + s("back at 3")),
    ("status_get", T["STATUS_GET"], s("dave")),
    ("group_create", T["GROUP_CREATE"], s("book club")),
    ("group_add", T["GROUP_ADD"], u32(7) + s("bob")),
    ("group_quit", T["GROUP_QUIT"], u32(7)),
    ("groups_get", T["GROUPS_GET"], b""),
    ("rooms_get", T["ROOMS_GET"], b""),
    ("names", T["NAMES"], s("#Lobby")),
    ("history", T["HISTORY"], s("#Lobby") + u64(0) + u16(50)),
    ("delivered", T["DELIVERED"], u64(1001)),
    ("welcome", T["WELCOME"], u16(1) + s("parleyd 0.1.0 on chat.example.org")),
    ("auth_ok", T["AUTH_OK"], s("alice") + u32(42) + u16(64738) + bytes(range(0xe0, 0x100))),
    ("ping", T["PING"], u64(0xffffffffffffffff)),
    ("joined", T["JOINED"], s("#Lobby") + s("dave") + u32(17)),
    ("parted", T["PARTED"], s("#Lobby") + s(fill(32, "n\u00fc")) + u32(0x7fffffff)),
    ("userlist", T["USERLIST"], userlist("#Lobby", 0, [("alice", 100), ("b\u00f6b", 101),
                                                       ("carol", 102)])),
    ("userlist_64_more", T["USERLIST"],
     userlist("#big", 1, [("user%02d" % i, 0xfffff000 + i) for i in range(64)])),
    ("text", T["TEXT"], u64(1001) + u64(1700000000123) + u8(0) + s("#Lobby") + s("alice")
     + s("hi all \U0001f44b")),
    ("text_offline", T["TEXT"], u64(77) + u64(1700000000999) + u8(3) + s("bob") + s("alice")
     + s("while you were out")),
    ("say_ok", T["SAY_OK"], u32(7) + u64(1001)),
    ("error", T["ERROR"], u16(423) + u16(T["REGISTER"]) + s("nickname may not start with '#'")),
    ("profile", T["PROFILE"], s("alice") + s("Alice Liddell") + u64(1700000000000) + u8(1)
     + s("around") + u16(64) + picture(64)),
    ("contact_added", T["CONTACT_ADDED"], s("bob") + u8(0) + s("")),
    ("contact_deleted", T["CONTACT_DELETED"], s("eve")),
    ("presence", T["PRESENCE"], s("alice") + u8(3) + s("in a meeting")),
    ("group", T["GROUP"], group(7, "book club", 1700000000500, ["alice", "bob", "carol"])),
    ("group_64", T["GROUP"], group(8, fill(48, "g\u00e9"), 1, ["m%02d" % i for i in range(64)])),
    ("group_member", T["GROUP_MEMBER"], u32(7) + s("dave") + u8(1) + u64(1700000000600)),
    ("room_info", T["ROOM_INFO"], s("#Lobby") + u32(12)),
    ("list_end", T["LIST_END"], u16(T["HISTORY"]) + u32(200) + u8(1)),
    ("ok", T["OK"], u16(T["SET_PASSWORD"])),
]

# (name, type, payload): each breaks one rule.
INVALID = [
    ("hello_trailing", T["HELLO"], u16(1) + s("parley") + b"\x00"),
    ("join_oversize", T["JOIN"], s(b"#" + b"a" * 32)),
    ("say_nul", T["SAY"], u32(1) + s("#Lobby") + s(b"a\x00b")),
    ("userlist_more2", T["USERLIST"], userlist("#r", 2, [])),
    ("userlist_count65", T["USERLIST"], userlist("#r", 0, [("u%d" % i, i) for i in range(65)])),
    ("userlist_short", T["USERLIST"], userlist("#r", 0, [("ab", 1)])[:-2]),
    ("error_len_ffff", T["ERROR"], u16(420) + u16(0) + u16(0xffff) + b"oops"),
    ("set_profile_what4", T["SET_PROFILE"], u8(4) + s("") + u16(0)),
    ("profile_picture_over", T["PROFILE"], s("a") + s("") + u64(0) + u8(0) + s("") + u16(8193)),
    ("presence_4", T["PRESENCE"], s("alice") + u8(4) + s("")),
    ("group_member_joined2", T["GROUP_MEMBER"], u32(1) + s("a") + u8(2) + u64(0)),
    ("list_end_more2", T["LIST_END"], u16(0) + u32(0) + u8(2)),
    ("unknown_type", 0x0019, s("#Lobby")),
]


def bind(sender, counter, seq=0, ts=0, key=FUZZ_KEY):
    head = u8(1) + u8(1) + u32(sender) + u16(seq) + u32(ts) + u64(counter)
    return head + hmac.new(key, head, hashlib.sha256).digest()[:16]


def vpkt(ptype, sender, seq, ts, payload, version=1):
    return u8(version) + u8(ptype) + u32(sender) + u16(seq) + u32(ts) + payload


def opus_like(n):
    """Not a real Opus packet (the decoder never looks inside), just n varied bytes."""
    return bytes((i * 131 + 7) & 0xff for i in range(n))


VPKT = [
    ("voice", vpkt(3, 0xdeadbeef, 12345, 960 * 12345, u8(0xfc) + opus_like(59))),
    ("voice_1", vpkt(3, 1, 0, 0, b"\xf8")),
    ("voice_max", vpkt(3, 0xffffffff, 65535, 0xffffffff, opus_like(1275))),
    ("voice_wrap", vpkt(3, 42, 65535, 0xfffffc40, opus_like(80))),
    ("bind", bind(0x01020304, 0x0000000100000002)),
    ("bind_0", bind(7, 0)),
    ("bind_max_counter", bind(0xcafe0001, 0xffffffffffffffff)),
    ("bind_ack", vpkt(2, 0x01020304, 0, 0, u64(0x0000000100000002))),
    ("voice_empty.bad", vpkt(3, 1, 0, 0, b"")),
    ("voice_oversized.bad", vpkt(3, 1, 0, 0, opus_like(1276))),
    ("version2.bad", vpkt(3, 1, 0, 0, b"\x01", version=2)),
    ("type4.bad", vpkt(4, 1, 0, 0, b"\x01")),
    ("short.bad", vpkt(3, 1, 0, 0, b"")[:11]),
    ("bind_wrong_key.bad", bind(0x01020304, 1, key=bytes(32))),
    ("bind_seq_set", bind(0x01020304, 1, seq=5)),  # the MAC covers seq: still valid
    ("bind_long.bad", bind(1, 1) + b"\x00"),
    ("bind_ack_short.bad", vpkt(2, 1, 0, 0, b"\x00" * 7)),
]

JSON = [
    ("login", '{"cmd":"login","nick":"alice","password":"correct horse battery staple"}'),
    ("register", '{"cmd":"register","nick":"bob","password":"hunter2hunter2","realname":"Bob"}'),
    ("join", '{"cmd":"join","room":"#Lobby"}'),
    ("say", '{"cmd":"say","to":"#Lobby","text":"h\\u00e9llo \\ud83d\\ude00\\n\\"quoted\\""}'),
    ("say_raw_utf8", '{"cmd":"say","to":"carol","text":"h\u00e9llo \u65e5\u672c \U0001f600"}'),
    ("escapes", '{"e":"\\"\\\\\\/\\b\\f\\n\\r\\t","u":"\\u0001\\u001f\\u007f\\u20ac\\uFFFF"}'),
    ("numbers", '{"a":0,"b":-1,"c":3.25,"d":-2.5E-2,"e":1e3,"f":12345678901234,"g":-0}'),
    ("literals", '{"t":true,"f":false,"n":null}'),
    ("empty", "{}"),
    ("spaced", ' \t{ "a" : "b" ,\r\n "c" : 1 }\n'),
    ("fields_16", "{" + ",".join('"f%02d":%d' % (i, i) for i in range(16)) + "}"),
    ("event", '{"event":"text","id":1001,"from":"alice","to":"#Lobby","text":"hi"}'),
    ("fields_17.bad", "{" + ",".join('"f%02d":%d' % (i, i) for i in range(17)) + "}"),
    ("nested.bad", '{"a":{"b":1}}'),
    ("array.bad", '{"users":["alice","bob"]}'),
    ("duplicate.bad", '{"a":1,"\\u0061":2}'),
    ("trailing.bad", '{"a":1} x'),
    ("unterminated.bad", '{"a":"abc'),
    ("nul_escape.bad", '{"a":"\\u0000"}'),
    ("lone_surrogate.bad", '{"a":"\\ud800"}'),
    ("bad_number.bad", '{"a":01,"b":1.,"c":-}'),
    ("infinite.bad", '{"a":1e999}'),
]


def write_dir(target, files):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for name, data in files:
        if isinstance(data, str):
            data = data.encode()
        assert len(data) < 4096, (target, name, len(data))
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    return len(files)


def main():
    counts = {}
    # fuzz_msg: a u16 type, then the payload.
    assert {t for _, t, _ in VALID} == set(T.values()), "a message type without a seed"
    counts["fuzz_msg"] = write_dir("fuzz_msg", [(n, u16(t) + p) for n, t, p in VALID]
                                   + [(n + ".bad", u16(t) + p) for n, t, p in INVALID])
    # fuzz_frame: a byte stream of frames, as a peer sends them: conversations that between
    # them hold every message type once, and the framing mistakes. (The payload-level mistakes
    # are fuzz_msg's seeds.)
    by_name = {n: frame(t, p) for n, t, p in VALID}
    def stream(*names):
        return b"".join(by_name[n] for n in names)
    frames = [
        ("client_login", stream("hello", "login", "join", "say", "pong", "bye")),
        ("client_register", stream("hello", "register", "set_password", "set_profile")),
        ("client_social", stream("profile_get", "contact_add", "contact_del", "contacts_get",
                                 "status_set", "status_get")),
        ("client_groups", stream("group_create", "group_add", "group_quit", "groups_get")),
        ("client_rooms", stream("rooms_get", "names", "history", "delivered", "part")),
        ("server_login", stream("welcome", "auth_ok", "joined", "userlist", "ping")),
        ("server_chat", stream("text", "say_ok", "text_offline", "parted", "error")),
        ("server_social", stream("profile", "contact_added", "contact_deleted", "presence",
                                 "list_end", "ok")),
        ("server_groups", stream("group", "group_member", "room_info", "list_end")),
        ("server_userlist_64", stream("userlist_64_more")),
        ("say_max", stream("say_max")),
        ("partial_tail", stream("hello", "login") + by_name["say"][:9]),
        ("len_5.bad", u32(5) + u16(T["BYE"])),
        ("len_too_big.bad", u32(16385) + u16(T["TEXT"]) + b"\x00" * 16),
        ("len_huge.bad", u32(0xffffffff) + u16(T["HELLO"])),
        ("only_length", u32(6)),
        ("unknown_type.bad", frame(0x0019, b"")),
    ]
    covered = set()
    for _, data in frames:
        off = 0
        while off + 6 <= len(data):
            ln = struct.unpack(">I", data[off:off + 4])[0]
            if ln < 6 or off + ln > len(data):
                break
            covered.add(struct.unpack(">H", data[off + 4:off + 6])[0])
            off += ln
    assert set(T.values()) <= covered, sorted(set(T.values()) - covered)
    counts["fuzz_frame"] = write_dir("fuzz_frame", frames)
    counts["fuzz_vpkt"] = write_dir("fuzz_vpkt", VPKT)
    counts["fuzz_json"] = write_dir("fuzz_json", JSON)
    for t, n in counts.items():
        print("%s: %d seeds" % (t, n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
