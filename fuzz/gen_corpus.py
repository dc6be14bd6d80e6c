#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/, and
fuzz/dict/fuzz_msg.dict.

Two kinds of fuzz_msg seed. The hand-written ones below are built from the wire format as
docs/PROTOCOL.md section 4 writes it, not by parley's own encoder, so each is also an independent
check of the format: this script has the codec decode every one, and stops if a valid seed does
not decode or a `.bad` one does. The desc-* ones, and the dictionary, come from the codec's own
description of the messages (src/core/msg.h) through fuzz/gen_msg_seeds.c, which this script
compiles with $CC (default cc) and runs: every type at its minimum and its maximum, and every
bound broken one field at a time. The message types themselves come from there too.

Each file is small (< 4 KiB). Seeds are named <what>[.bad]; `.bad` ones are meant to be refused.

Run from anywhere: python3 fuzz/gen_corpus.py. It rewrites only the files it generates (desc-*
are all replaced), so regression inputs added by hand (name them regress-*) stay, as do the
inputs a fuzzing run found new coverage with, kept after `-merge=1 -use_counters=0` (min-*).
"""
import glob
import hashlib
import hmac
import os
import re
import struct
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Must match `key` in fuzz_vpkt.c.
FUZZ_KEY = bytes(range(32))

SEED_TOOL_SOURCES = ["fuzz/gen_msg_seeds.c", "src/core/msg.c", "src/core/buf.c",
                     "src/core/frame.c", "src/core/stun.c"]


class SeedTool:
    """fuzz/gen_msg_seeds.c, compiled against the codec in this tree."""

    def __init__(self, tmp):
        self.exe = os.path.join(tmp, "gen_msg_seeds")
        cc = os.environ.get("CC", "cc")
        subprocess.run([cc, "-std=gnu11", "-O1", "-Wall", "-Wextra", "-Werror",
                        "-I", os.path.join(ROOT, "src"), "-o", self.exe]
                       + [os.path.join(ROOT, f) for f in SEED_TOOL_SOURCES], check=True)

    def seeds(self, corpus, dict_path):
        """Writes the desc-* seeds and the dictionary; returns {name: type} for every type."""
        out = subprocess.run([self.exe, "seeds", corpus, dict_path], check=True,
                             capture_output=True, text=True).stdout
        return {name: int(code, 16) for code, name in (line.split() for line in out.splitlines())}

    def decodes(self, paths, mode="check"):
        """{path: what pl_msg_decode (mode "check-stun": pl_stun_decode) returns for the seed}"""
        out = subprocess.run([self.exe, mode] + paths, check=True, capture_output=True,
                             text=True).stdout
        return {p: int(rc) for p, rc in (line.rsplit(" ", 1) for line in out.splitlines())}


# The message types, by name: filled in by main() from the codec's description.
T = {}

PNG = b"\x89PNG\r\n\x1a\n"

# core/ice.h's signalling form: version 1, flags 0, ufrag "abcd", one host candidate 192.168.1.2:5000.
ICE_DESC = (b"\x01\x00\x04abcd\x01" + b"\x00\x04" + struct.pack(">H", 5000) + bytes([192, 168, 1, 2])
            + struct.pack(">II", 2130706431, 1))


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
    for i, (nick, session) in enumerate(entries):
        p += s(nick) + u64(session) + (key(i) if i % 2 == 0 else bytes(32))  # a device key, or none
    return p


def fmt(codec=0, rate=48000, channels=1, sfmt=2, chunk=960):
    """A media format: codec (0 Opus, 1 PCM), rate, channels, sample format (2 i16), chunk."""
    return u8(codec) + u32(rate) + u8(channels) + u8(sfmt) + u16(chunk)


def group(gid, name, updated, members):
    p = u32(gid) + s(name) + u64(updated) + u16(len(members))
    for nick in members:
        p += s(nick)
    return p


def picture(n):
    return (PNG + bytes((i * 251 + 7) & 0xff for i in range(n)))[:n]


def key(first, n=32):
    """n bytes of a key or signature: first, first + 1, ..."""
    return bytes((first + i) & 0xff for i in range(n))


def msg_seeds():
    """(valid, invalid): lists of (name, type, payload). The valid ones hold every message type
    (docs/PROTOCOL.md section 4), with realistic values and some maxima; each invalid one breaks
    one rule."""
    valid = [
        ("hello", T["HELLO"], u16(2) + s("parley/0.2.0 (Debian 12; x86_64)")),
        ("hello_max", T["HELLO"], u16(0xffff) + s(fill(64, "parley-\u00e9"))),
        ("register", T["REGISTER"], s("alice") + s("correct horse battery staple")
         + s("Alice Liddell") + key(0x10) + s("laptop")),
        ("register_max", T["REGISTER"], s(fill(32, "Zo\u00eb")) + s(fill(128, "p4ss w\u00f6rd!"))
         + s(fill(64, "\u65e5\u672c ")) + key(0xe0) + s(fill(32, "t\u00e9l\u00e9phone"))),
        ("login", T["LOGIN"], s("bob") + s("hunter2hunter2") + bytes(32) + s("")),
        ("login_device", T["LOGIN"], s("bob") + s("hunter2hunter2") + key(0x30) + s("phone")),
        ("login_key", T["LOGIN_KEY"], s("alice") + key(0x10) + key(0x80, 64)),
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
        ("devices_get", T["DEVICES_GET"], b""),
        ("device_revoke", T["DEVICE_REVOKE"], key(0x40)),
        ("keys_get", T["KEYS_GET"], s("carol")),
        ("contact_answer", T["CONTACT_ANSWER"], s("bob") + u8(1)),
        ("welcome", T["WELCOME"], u16(2) + s("parleyd 0.2.0 on chat.example.org") + key(0xc0)),
        ("auth_ok", T["AUTH_OK"], s("alice") + u64(0x100000002) + u16(64738) + key(0xe0) + u8(1) + u16(3478)),
        ("ping", T["PING"], u64(0xffffffffffffffff)),
        ("joined", T["JOINED"], s("#Lobby") + s("dave") + u64(17) + key(0x50)),
        ("parted", T["PARTED"], s("#Lobby") + s(fill(32, "n\u00fc")) + u64(0xffffffffffffffff) + bytes(32)
         + u8(1)),
        ("userlist", T["USERLIST"], userlist("#Lobby", 0, [("alice", 100), ("b\u00f6b", 101),
                                                           ("carol", 1 << 40)])),
        ("userlist_40_more", T["USERLIST"],
         userlist("#big", 1, [("user%02d" % i, 0xfffffffffffff000 + i) for i in range(40)])),
        ("text", T["TEXT"], u64(1001) + u64(1700000000123) + u8(0) + s("#Lobby") + s("alice")
         + s("hi all \U0001f44b")),
        ("text_offline", T["TEXT"], u64(77) + u64(1700000000999) + u8(3) + s("bob") + s("alice")
         + s("while you were out")),
        ("say_ok", T["SAY_OK"], u32(7) + u64(1001)),
        ("error", T["ERROR"], u16(423) + u16(T["REGISTER"]) + s("nickname may not start with '#'")),
        ("profile", T["PROFILE"], s("alice") + s("Alice Liddell") + u64(1700000000000) + u8(1)
         + s("around") + u16(64) + picture(64)),
        ("profile_hidden", T["PROFILE"], s("eve") + s("") + u64(1700000000000) + u8(4) + s("")
         + u16(0)),
        ("contact_added", T["CONTACT_ADDED"], s("bob") + u8(0) + s("")),
        ("contact_deleted", T["CONTACT_DELETED"], s("eve")),
        ("presence", T["PRESENCE"], s("alice") + u8(3) + s("in a meeting")),
        ("group", T["GROUP"], group(7, "book club", 1700000000500, ["alice", "bob", "carol"])),
        ("group_64", T["GROUP"], group(8, fill(48, "g\u00e9"), 1, ["m%02d" % i for i in range(64)])),
        ("group_member", T["GROUP_MEMBER"], u32(7) + s("dave") + u8(1) + u64(1700000000600)),
        ("room_info", T["ROOM_INFO"], s("#Lobby") + u32(12)),
        ("list_end", T["LIST_END"], u16(T["HISTORY"]) + u32(200) + u8(1)),
        ("ok", T["OK"], u16(T["SET_PASSWORD"])),
        ("device", T["DEVICE"], s("alice") + key(0x60) + s("laptop") + u64(1700000000000)
         + u64(1700000900000) + u8(1)),
        ("device_revoked", T["DEVICE"], s("alice") + key(0x70) + s(fill(32, "old ph\u00f6ne"))
         + u64(1) + u64(2) + u8(2)),
        ("contact_request", T["CONTACT_REQUEST"], s("bob") + u8(0)),
        ("call_start", T["CALL_START"], u32(0) + s("bob") + fmt()),
        ("call_start_group_pcm", T["CALL_START"], u32(7) + s("") + fmt(1, 16000, 2, 0, 160)),
        ("call_ring", T["CALL_RING"], u64(0x1122334455667788) + key(0x20, 136)),
        ("call_answer", T["CALL_ANSWER"], u64(0x1122334455667788) + u8(0) + fmt() + key(0x30, 136)),
        ("call_answer_counter", T["CALL_ANSWER"], u64(1) + u8(1) + fmt(1, 8000, 1, 0, 80) + key(0x31, 136)),
        ("call_confirm", T["CALL_CONFIRM"], u64(0x1122334455667788) + u8(0) + key(0x40, 104)),
        ("call_hangup", T["CALL_HANGUP"], u64(0x1122334455667788)),
        ("media_keys_call", T["MEDIA_KEYS"], u8(0) + u64(0x1122334455667788) + s("") + u8(1) + u16(2)
         + u64(0x100000002) + key(0x50, 176) + u64(0x100000003) + key(0x60, 176)),
        ("media_keys_room", T["MEDIA_KEYS"], u8(1) + u64(0) + s("#Lobby") + u8(255) + u16(1)
         + u64(0x100000004) + key(0x70, 176)),
        ("call_state", T["CALL_STATE"], u64(0x1122334455667788) + u8(2) + u8(0) + u32(0) + s("bob") + fmt()),
        ("call_state_ended", T["CALL_STATE"], u64(9) + u8(3) + u8(7) + u32(3) + s("alice") + fmt(1, 48000, 1, 4, 480)),
        ("call_incoming", T["CALL_INCOMING"], u64(0x1122334455667788) + s("alice") + u64(0x100000002) + u32(0)
         + fmt() + key(0x80, 136)),
        ("call_answered", T["CALL_ANSWERED"], u64(0x1122334455667788) + s("bob") + u64(0x100000003) + u8(1)
         + fmt(1, 24000, 1, 3, 480) + key(0x90, 136)),
        ("call_confirmed", T["CALL_CONFIRMED"], u64(0x1122334455667788) + u8(1) + key(0xa0, 104)),
        ("call_member", T["CALL_MEMBER"], u64(0x1122334455667788) + s("carol") + u64(0x100000004) + key(0xb0)
         + u8(1)),
        ("media_key", T["MEDIA_KEY"], u8(1) + u64(0) + s("#Lobby") + u64(0x100000002) + u8(3) + key(0xc0, 176)),
        ("topic", T["TOPIC"], s("#tea") + u8(1) + s("Darjeeling on Fridays \u2615")),
        ("topic_ask", T["TOPIC"], s("#tea") + u8(0) + s("")),
        ("room_topic", T["ROOM_TOPIC"], s("#tea") + s("Darjeeling on Fridays") + s("alice") + u64(1796198400000)),
        ("room_topic_none", T["ROOM_TOPIC"], s("#tea") + s("") + s("") + u64(0)),
        ("rdv_open", T["RDV_OPEN"], s("192.168.1.20:40000 [fd00::20]:40000")),
        ("rdv_join", T["RDV_JOIN"], s("7-castle-river") + s("10.0.0.5:51000")),
        ("rdv_send", T["RDV_SEND"], u16(33) + b"\x01" + key(0x20)),
        ("rdv_code", T["RDV_CODE"], s("7-castle-river") + key(0xd0, 16) + u16(64738) + u32(300)),
        ("rdv_peer", T["RDV_PEER"], u8(1) + s("203.0.113.7:61000") + s("192.168.20.2:5000")),
        ("rdv_data", T["RDV_DATA"], u16(65) + b"\x02" + key(0x40) + key(0x60)),
        ("call_cand", T["CALL_CAND"], u64(0x1122334455667788) + u16(len(ICE_DESC)) + ICE_DESC),
        ("call_cand_empty", T["CALL_CAND"], u64(1) + u16(0)),
        ("call_peer_cand", T["CALL_PEER_CAND"], u64(0x1122334455667788) + u64(0x100000002) + u16(len(ICE_DESC))
         + ICE_DESC),
    ]
    unknown = max(t for t in T.values() if t < 0x8000) + 1
    invalid = [
        ("hello_trailing", T["HELLO"], u16(2) + s("parley") + b"\x00"),
        ("join_oversize", T["JOIN"], s(b"#" + b"a" * 32)),
        ("say_nul", T["SAY"], u32(1) + s("#Lobby") + s(b"a\x00b")),
        ("login_v1", T["LOGIN"], s("bob") + s("hunter2hunter2")),  # no device fields
        ("login_key_short_sig", T["LOGIN_KEY"], s("alice") + key(0x10) + key(0x80, 63)),
        ("auth_ok_v1", T["AUTH_OK"], s("alice") + u32(42) + u16(64738) + key(0xe0)),
        ("auth_ok_flags2", T["AUTH_OK"], s("alice") + u64(42) + u16(64738) + key(0xe0) + u8(2) + u16(0)),
        ("auth_ok_v4", T["AUTH_OK"], s("alice") + u64(42) + u16(64738) + key(0xe0) + u8(0)),  # no stun_port
        ("userlist_more2", T["USERLIST"], userlist("#r", 2, [])),
        ("parted_v3", T["PARTED"], s("#tea") + s("bob") + u64(3) + bytes(32)),  # no reason
        ("parted_reason2", T["PARTED"], s("#tea") + s("bob") + u64(3) + bytes(32) + u8(2)),
        ("userlist_count65", T["USERLIST"], userlist("#r", 0, [("u%d" % i, i) for i in range(65)])),
        ("userlist_short", T["USERLIST"], userlist("#r", 0, [("ab", 1)])[:-2]),
        ("error_len_ffff", T["ERROR"], u16(420) + u16(0) + u16(0xffff) + b"oops"),
        ("set_profile_what4", T["SET_PROFILE"], u8(4) + s("") + u16(0)),
        ("profile_picture_over", T["PROFILE"], s("a") + s("") + u64(0) + u8(0) + s("") + u16(8193)),
        ("profile_presence5", T["PROFILE"], s("a") + s("") + u64(0) + u8(5) + s("") + u16(0)),
        ("presence_4", T["PRESENCE"], s("alice") + u8(4) + s("")),
        ("group_member_joined2", T["GROUP_MEMBER"], u32(1) + s("a") + u8(2) + u64(0)),
        ("list_end_more2", T["LIST_END"], u16(0) + u32(0) + u8(2)),
        ("device_flags4", T["DEVICE"], s("a") + key(0) + s("") + u64(0) + u64(0) + u8(4)),
        ("device_name_over", T["DEVICE"], s("a") + key(0) + s(b"n" * 33) + u64(0) + u64(0) + u8(0)),
        ("contact_answer_2", T["CONTACT_ANSWER"], s("bob") + u8(2)),
        ("contact_request_kind3", T["CONTACT_REQUEST"], s("bob") + u8(3)),
        ("call_start_codec2", T["CALL_START"], u32(0) + s("bob") + fmt(2)),
        ("call_answer_action3", T["CALL_ANSWER"], u64(1) + u8(3) + fmt() + key(0, 136)),
        ("call_ring_short", T["CALL_RING"], u64(1) + key(0, 135)),
        ("media_keys_scope2", T["MEDIA_KEYS"], u8(2) + u64(0) + s("") + u8(0) + u16(0)),
        ("media_keys_count33", T["MEDIA_KEYS"], u8(0) + u64(1) + s("") + u8(0) + u16(33)
         + (u64(2) + key(0, 176)) * 2),  # the count is checked before the entries are read
        ("call_member_joined2", T["CALL_MEMBER"], u64(1) + s("a") + u64(2) + key(0) + u8(2)),
        ("topic_set2", T["TOPIC"], s("#tea") + u8(2) + s("x")),
        ("topic_over", T["TOPIC"], s("#tea") + u8(1) + s("x" * 301)),
        ("rdv_join_code_over", T["RDV_JOIN"], s("x" * 25) + s("")),
        ("rdv_send_over", T["RDV_SEND"], u16(257) + b"\x00" * 257),
        ("rdv_peer_role2", T["RDV_PEER"], u8(2) + s("") + s("")),
        ("rdv_code_short_token", T["RDV_CODE"], s("1-acorn-acorn") + key(0, 15)),
        ("call_cand_over", T["CALL_CAND"], u64(1) + u16(485) + bytes(485)),
        ("call_peer_cand_short", T["CALL_PEER_CAND"], u64(1) + u64(2) + u16(10) + bytes(9)),
        ("unknown_type", unknown, s("#Lobby")),
    ]
    return valid, invalid


# fuzz_rdv: the first byte picks the decoder (0 a typed code, 1 the UDP datagram, 2 a SPAKE2
# element from the peer, 3 a key-exchange message from the peer, 4 a PUNCH), the rest is its input
# (src/core/rdv.h, src/core/spake2.h).
RDV = [
    ("code", b"\x00" + b"7-castle-river"),
    ("code_spaces", b"\x00" + b" 42 Zebra  acorn "),
    ("code_bad_word", b"\x00" + b"7-castel-river"),
    ("code_long", b"\x00" + b"7-" + b"a" * 40 + b"-river"),
    ("dgram", b"\x01" + b"PLRV" + key(0x10, 16)),
    ("dgram_short", b"\x01" + b"PLRV" + key(0x10, 15)),
    ("dgram_magic", b"\x01" + b"PLRW" + key(0x10, 16)),
    # pB of test_spake2's known-answer vector, the identity, and a non-canonical encoding
    ("spake2_elem", b"\x02" + bytes.fromhex("6e15ed82bfa1ca713e540c26c8accbd0851f1227c7961ecfec61ea7d65d0c360")),
    ("spake2_identity", b"\x02" + bytes(32)),
    ("spake2_ff", b"\x02" + b"\xff" * 32),
    ("x_elem", b"\x03" + b"\x01" + key(0x20)),
    ("x_confirm", b"\x03" + b"\x02" + key(0x40) + key(0x60)),
    ("x_confirm_short", b"\x03" + b"\x02" + key(0x40) + key(0x60, 31)),
    ("x_type3", b"\x03" + b"\x03" + key(0x20)),
    ("punch", b"\x04" + b"\x50PUN" + key(0x70, 16) + key(0x80, 16)),
    ("punch_long", b"\x04" + b"\x50PUN" + key(0x70, 16) + key(0x80, 17)),
    ("punch_magic", b"\x04" + b"\x50PUM" + key(0x70, 16) + key(0x80, 16)),
]


def vpkt(ptype, sender, seq, ts, payload, version=2):
    return u8(version) + u8(ptype) + u64(sender) + u16(seq) + u32(ts) + payload


def bind(sender, counter, seq=0, ts=0, key=FUZZ_KEY):
    head = vpkt(1, sender, seq, ts, u64(counter))
    return head + hmac.new(key, head, hashlib.sha256).digest()[:16]


COOKIE = bytes(range(0xa0, 0xb0))


def challenge(sender, counter, cookie=COOKIE):
    return vpkt(4, sender, 0, 0, u64(counter) + cookie)


def confirm(sender, counter, cookie=COOKIE, seq=0, key=FUZZ_KEY):
    head = vpkt(5, sender, seq, 0, u64(counter) + cookie)
    return head + hmac.new(key, head, hashlib.sha256).digest()[:16]


def opus_like(n):
    """Not a real Opus packet (the decoder never looks inside), just n varied bytes."""
    return bytes((i * 131 + 7) & 0xff for i in range(n))


VPKT = [
    ("voice", vpkt(3, 0xdeadbeefcafef00d, 12345, 960 * 12345, u8(0xfc) + opus_like(59))),
    ("voice_1", vpkt(3, 1, 0, 0, b"\xf8")),
    ("voice_max", vpkt(3, 0xffffffffffffffff, 65535, 0xffffffff, opus_like(1275))),
    ("voice_wrap", vpkt(3, 42, 65535, 0xfffffc40, opus_like(80))),
    ("bind", bind(0x0102030405060708, 0x0000000100000002)),
    ("bind_0", bind(7, 0)),
    ("bind_max_counter", bind(0xcafe000100000001, 0xffffffffffffffff)),
    ("bind_ack", vpkt(2, 0x0102030405060708, 0, 0, u64(0x0000000100000002))),
    ("challenge", challenge(0x0102030405060708, 0x0000000100000002)),
    ("challenge_zero_cookie", challenge(7, 1, cookie=bytes(16))),
    ("confirm", confirm(0x0102030405060708, 0x0000000100000002)),
    ("confirm_max_counter", confirm(0xcafe000100000001, 0xffffffffffffffff, cookie=bytes(16))),
    ("confirm_seq_set", confirm(0x0102030405060708, 3, seq=9)),  # the MAC covers seq: still valid
    ("voice_empty.bad", vpkt(3, 1, 0, 0, b"")),
    ("voice_oversized.bad", vpkt(3, 1, 0, 0, opus_like(1276))),
    ("version1.bad", vpkt(3, 1, 0, 0, b"\x01", version=1)),
    ("version3.bad", vpkt(3, 1, 0, 0, b"\x01", version=3)),
    ("type6.bad", vpkt(6, 1, 0, 0, b"\x01")),
    ("short.bad", vpkt(3, 1, 0, 0, b"")[:15]),
    ("bind_wrong_key.bad", bind(0x0102030405060708, 1, key=bytes(32))),
    ("bind_seq_set", bind(0x0102030405060708, 1, seq=5)),  # the MAC covers seq: still valid
    ("bind_long.bad", bind(1, 1) + b"\x00"),
    ("bind_ack_short.bad", vpkt(2, 1, 0, 0, b"\x00" * 7)),
    ("challenge_short.bad", challenge(1, 1)[:-1]),
    ("challenge_long.bad", challenge(1, 1) + b"\x00"),
    ("confirm_wrong_key.bad", confirm(0x0102030405060708, 1, key=bytes(32))),
    ("confirm_short.bad", confirm(1, 1)[:-1]),
    ("confirm_long.bad", confirm(1, 1) + b"\x00"),
    ("confirm_as_bind.bad", bind(1, 1)[:1] + b"\x05" + bind(1, 1)[2:]),
]

# fuzz_vframe: a VOICE payload before sealing (src/core/vframe.h), built from the layout that
# header documents: AUDIO with 0-2 redundant copies and the SILENT and END flags, REPORT, and each
# rule broken once.
def vaudio(flags, copies, primary):
    """copies: (seq_back, ts_back, bytes), oldest first; their number goes in flags' low bits."""
    return (u8(1) + u8(len(copies) | flags)
            + b"".join(u8(sb) + u16(tb) + u16(len(d)) for sb, tb, d in copies)
            + b"".join(d for _, _, d in copies) + primary)


def vreport(about, seq, ts, since, loss, jitter, buffered, lost, kind=2):
    return (u8(kind) + u64(about) + u16(seq) + u32(ts) + u16(since) + u16(loss) + u16(jitter)
            + u16(buffered) + u32(lost))


SILENT, END = 0x04, 0x08
VFRAME = [
    ("audio", vaudio(0, [], u8(0xfc) + opus_like(59))),
    ("audio_empty_end", vaudio(END, [], b"")),
    ("audio_end", vaudio(END, [], opus_like(40))),
    ("audio_silent", vaudio(SILENT, [], b"\xf8\xff\xfe")),
    ("audio_silent_end", vaudio(SILENT | END, [], b"\xf8")),
    ("audio_max", vaudio(0, [], opus_like(1275))),
    ("audio_red1", vaudio(0, [(1, 960, opus_like(60))], opus_like(61))),
    ("audio_red2", vaudio(0, [(2, 1920, opus_like(40)), (1, 960, opus_like(41))], opus_like(42))),
    ("audio_red2_end", vaudio(END, [(2, 1920, opus_like(20)), (1, 960, opus_like(21))], b"")),
    ("audio_red2_far", vaudio(SILENT, [(255, 0xffff, b"\x01"), (128, 0x8000, b"\x02")], b"\x03")),
    ("audio_red2_full", vaudio(0, [(2, 1920, opus_like(1000)), (1, 960, opus_like(255))],
                               opus_like(10))),  # exactly PL_VFRAME_MAX
    ("audio_red1_max_copy", vaudio(0, [(1, 960, opus_like(1270))], b"")),
    ("report", vreport(0xdeadbeefcafef00d, 12345, 960 * 12345, 35, 125, 18, 60, 42)),
    ("report_zero", vreport(0, 0, 0, 0, 0, 0, 0, 0)),
    ("report_max", vreport(0xffffffffffffffff, 0xffff, 0xffffffff, 0xffff, 10000, 0xffff, 0xffff,
                           0xffffffff)),
    ("empty.bad", b""),
    ("kind0.bad", b"\x00"),
    ("kind3.bad", b"\x03\x00\x01"),
    ("audio_only_kind.bad", b"\x01"),
    ("audio_flags10.bad", vaudio(0x10, [], b"\x01")),
    ("audio_flags80.bad", vaudio(0x80, [], b"\x01")),
    ("audio_nred3.bad", b"\x01\x03" + (u8(1) + u16(0) + u16(1)) * 3 + b"\x01\x02\x03\x04"),
    ("audio_entry_short.bad", vaudio(0, [(1, 960, b"\x01")], b"")[:6]),
    ("audio_copy_past_end.bad", vaudio(0, [(1, 960, opus_like(10))], b"")[:-1]),
    ("audio_copy_len0.bad", b"\x01\x01" + u8(1) + u16(960) + u16(0) + b"\x05"),
    ("audio_seq_back0.bad", vaudio(0, [(0, 960, b"\x01")], b"\x02")),
    ("audio_second_past_end.bad",
     vaudio(0, [(2, 1920, opus_like(5)), (1, 960, opus_like(6))], b"")[:-1]),
    ("audio_oversized.bad", vaudio(0, [], opus_like(1276))),
    ("report_short.bad", vreport(1, 2, 3, 4, 5, 6, 7, 8)[:-1]),
    ("report_long.bad", vreport(1, 2, 3, 4, 5, 6, 7, 8) + b"\x00"),
    ("report_loss10001.bad", vreport(1, 2, 3, 4, 10001, 6, 7, 8)),
    # Kind AUDIO, and not valid AUDIO either: its flags byte (about's first) is 0xff.
    ("report_kind_audio.bad", vreport(0xff00000000000001, 2, 3, 4, 5, 6, 7, 8, kind=1)),
]

# fuzz_stun: STUN datagrams (src/core/stun.h), built from RFC 8489's layout: RFC 5769's four test
# vectors, what each real client sends (coturn's turnutils_stunclient, Debian's RFC 3489 `stun`,
# parley --stun), parleyd's answers, the attributes a server must refuse, and each framing rule
# broken once. The CRC is zlib's, which is ISO 3309's as FINGERPRINT uses it.
STUN_COOKIE = 0x2112A442
STUN_TID = bytes.fromhex("b7e7a701bc34d686fa87dfae")


def stun_attr(t, v, pad=b"\x00"):
    return u16(t) + u16(len(v)) + v + pad * (-len(v) % 4)


def stun_msg(mtype, attrs=b"", tid=STUN_TID, fingerprint=False, classic_tid=None):
    head = u16(mtype) + u16(len(attrs) + (8 if fingerprint else 0))
    head += classic_tid if classic_tid is not None else u32(STUN_COOKIE) + tid
    m = head + attrs
    if fingerprint:
        m += u16(0x8028) + u16(4) + u32((zlib.crc32(m) ^ 0x5354554E) & 0xFFFFFFFF)
    return m


def xor_v4(ip, port):
    raw = bytes(int(x) for x in ip.split("."))
    return (b"\x00\x01" + u16(port ^ (STUN_COOKIE >> 16))
            + bytes(a ^ b for a, b in zip(raw, u32(STUN_COOKIE))))


def xor_v6(raw16, port, tid=STUN_TID):
    key = u32(STUN_COOKIE) + tid
    return b"\x00\x02" + u16(port ^ (STUN_COOKIE >> 16)) + bytes(a ^ b for a, b in zip(raw16, key))


RFC5769 = {
    "rfc5769_request": "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e20746573742063"
                       "6c69656e74002400046e0001ff80290008932ff9b151263b360006000965767"
                       "46a3a6836765920202000080014 9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2"
                       "80280004e57a3bcf",
    "rfc5769_response_v4": "0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563"
                           "746f7220002000080001a147e112a643000800142b91f599fd9e90c38c7489f9"
                           "2af9ba53f06be7d780280004c07d4c96",
    "rfc5769_response_v6": "010100482112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563"
                           "746f7220002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d900080014"
                           "a382954e4be67bf11784c97c8292c275bfe3ed4180280004c8fb0b4c",
    "rfc5769_request_long_term": "000100602112a442 78ad3433c6ad72c029da412e00060012e3839ee38388e3"
                                 "83aae38383e382afe382b90000001500 1c662f2f3439396b39353464364f"
                                 "4c33346f4c39465354767936347341001400 0b6578616d706c652e6f7267"
                                 "0000080014f67024656dd64a3e02b8e0712e85c9a28ca89666",
}
BINDING_REQ, BINDING_OK, BINDING_ERR, BINDING_IND = 0x0001, 0x0101, 0x0111, 0x0011
CLASSIC_TID = bytes(range(0x10, 0x20))
STUN = [(n, bytes.fromhex(h.replace(" ", ""))) for n, h in RFC5769.items()] + [
    ("request_plain", stun_msg(BINDING_REQ)),
    ("request_fingerprint", stun_msg(BINDING_REQ, fingerprint=True)),  # parley --stun
    ("request_software", stun_msg(BINDING_REQ, stun_attr(0x8022, b"Coturn-4.6.1 'Gorst'"), fingerprint=True)),
    ("request_padding", stun_msg(BINDING_REQ, stun_attr(0x0026, bytes(64)), fingerprint=True)),
    ("request_change0_classic", stun_msg(BINDING_REQ, stun_attr(0x0003, u32(0)), classic_tid=CLASSIC_TID)),
    ("request_change6_classic", stun_msg(BINDING_REQ, stun_attr(0x0003, u32(6)), classic_tid=CLASSIC_TID)),
    ("request_response_port", stun_msg(BINDING_REQ, stun_attr(0x0027, u16(9) + u16(0)))),
    ("request_unknown_required", stun_msg(BINDING_REQ, stun_attr(0x7FFF, b"x"), fingerprint=True)),
    ("request_unknown_optional", stun_msg(BINDING_REQ, stun_attr(0xC001, b"xyz"))),
    ("request_ice", stun_msg(BINDING_REQ, stun_attr(0x0006, b"a:b") + stun_attr(0x0024, u32(0x6E0001FF))
                             + stun_attr(0x0025, b"") + stun_attr(0x802A, bytes(8)))),
    ("response_v4", stun_msg(BINDING_OK, stun_attr(0x0020, xor_v4("127.0.0.1", 40000)), fingerprint=True)),
    ("response_v6", stun_msg(BINDING_OK, stun_attr(0x0020, xor_v6(bytes(15) + b"\x01", 5060)))),
    ("response_classic", stun_msg(BINDING_OK, stun_attr(0x0001, b"\x00\x01" + u16(40000) + bytes([127, 0, 0, 1])),
                                  classic_tid=CLASSIC_TID)),
    ("response_both", stun_msg(BINDING_OK, stun_attr(0x0020, xor_v4("203.0.113.5", 40000))
                               + stun_attr(0x0001, b"\x00\x01" + u16(40000) + bytes([203, 0, 113, 5])))),
    ("error_420", stun_msg(BINDING_ERR, stun_attr(0x0009, b"\x00\x00\x04\x14Unknown Attribute")
                           + stun_attr(0x000A, u16(0x7FFF)), fingerprint=True)),
    ("indication", stun_msg(BINDING_IND, fingerprint=True)),
    ("allocate", stun_msg(0x0003, stun_attr(0x0019, b"\x11\x00\x00\x00"))),
    ("integrity_then_more", stun_msg(BINDING_REQ, stun_attr(0x0008, bytes(20)) + stun_attr(0x7FFF, b""))),
    ("short.bad", stun_msg(BINDING_REQ)[:19]),
    ("length_odd.bad", stun_msg(BINDING_REQ, stun_attr(0x8022, b"abcd"))[:2] + u16(6)
     + stun_msg(BINDING_REQ, stun_attr(0x8022, b"abcd"))[4:]),
    ("length_long.bad", u16(1) + u16(8) + u32(STUN_COOKIE) + STUN_TID + stun_attr(0x8022, b"ab")[:4]),
    ("padding_missing.bad", u16(1) + u16(8) + u32(STUN_COOKIE) + STUN_TID + u16(0x0006) + u16(3) + b"abc"),
    ("attr_past_end.bad", u16(1) + u16(8) + u32(STUN_COOKIE) + STUN_TID + u16(0x8022) + u16(200) + b"abcd"),
    ("fingerprint_wrong.bad", stun_msg(BINDING_REQ, fingerprint=True)[:-1] + b"\x00"),
    ("after_fingerprint.bad", stun_msg(BINDING_REQ, fingerprint=True)[:2] + u16(12)
     + stun_msg(BINDING_REQ, fingerprint=True)[4:] + stun_attr(0x8022, b"")),
    ("xor_family3.bad", stun_msg(BINDING_OK, stun_attr(0x0020, b"\x00\x03" + bytes(6)))),
    ("error_class7.bad", stun_msg(BINDING_ERR, stun_attr(0x0009, b"\x00\x00\x07\x00"))),
    ("top_bits.bad", b"\xc0" + stun_msg(BINDING_REQ)[1:]),
    ("voice_with_cookie", b"\x02\x03" + u16(0) + u32(STUN_COOKIE) + bytes(12)),
]

# fuzz_cmd: a mode byte (bit 0: the JSON form; bit 1: there is a current room, bit 2: it is a
# conversation with "bob" rather than "#tea"), then one input line. Every command of the table in
# src/client/cmds.c in both its forms, good and bad, and JSON of every shape jansson must refuse.
SLASH, JSON_FORM, IN_ROOM, IN_CONV = 0, 1, 2, 6
CMD_SLASH = [
    "/register alice correct-horse Alice Liddell", "/register alice", "/login bob hunter2hunter2",
    "/login", "/join #tea", "/JOIN nohash", "/join #a #b", "/part", "/part #music", "/names",
    "/rooms", "/rooms all", "/msg bob see you at eight", "/msg bob", "/msg bo,b hi",
    "/history 50", "/history #music 20 1234", "/history #tea 0", "/history #tea 99999999999999999999999",
    "/contacts", "/add bob", "/add", "/accept bob", "/refuse dave", "/del bob", "/status bob",
    "/away lunch, back at 2", "/busy", "/back", "/whois bob", "/realname Alice L.", "/realname",
    "/picture my picture.png", "/picture none", "/passwd old-password new-password", "/passwd x",
    "/groups", "/group create band practice", "/group add 12 bob", "/group add x bob", "/group quit 3",
    "/group", "/group rename 1 x", "/devices", "/revoke 1a2b 3C4d", "/revoke " + "ab" * 32,
    "/revoke 1a2", "/revoke laptop", "/keys bob", "/voice my speech.wav", "/record heard.wav",
    "/stoprecord", "/stats", "/help", "/quit", "/exit", "/quit now", "/frobnicate", "/", "",
    "   \r", "hello everyone", "//slash at the start", "h\u00e9llo \u65e5\u672c \U0001f600",
    b"\x1b[2J\xc2\x9b\xff", "/msg bob " + "x" * 3990,
]
CMD_JSON = [
    '{"cmd":"register","nick":"alice","password":"pw 12345","realname":"Bob"}',
    '{"cmd":"register","nick":"alice"}', '{"cmd":"login","nick":"bob","password":"x y z"}',
    '{"cmd":"login","nick":7,"password":"p"}', '{"cmd":"join","room":"#tea"}', '{"cmd":"join","room":"no-hash"}',
    '{"cmd":"part","room":"#tea"}', '{"cmd":"part"}', '{"cmd":"names","room":null}',
    '{"cmd":"rooms"}', '{"cmd":"rooms","room":"#a"}',
    '{"cmd":"say","to":"#Lobby","text":"h\\u00e9llo \\ud83d\\ude00\\n\\"quoted\\"","tag":7}',
    '{"cmd":"say","to":"bob","text":"x","tag":-1}', '{"cmd":"say","to":"bob","text":"x","tag":1.5}',
    '{"cmd":"say","to":"carol","text":"h\u00e9llo \u65e5\u672c \U0001f600","tag":4294967295}',
    '{"cmd":"history","target":"#tea","limit":10,"before":5}', '{"cmd":"history","target":"#tea","limt":10}',
    '{"cmd":"history","target":"#tea","limit":1e3,"before":18446744073709551615}',
    '{"cmd":"contacts"}', '{"cmd":"add","nick":"BOB"}', '{"cmd":"accept","nick":"bob"}',
    '{"cmd":"refuse","nick":""}', '{"cmd":"del","nick":["bob"]}', '{"cmd":"status","nick":"bob"}',
    '{"cmd":"set_status","presence":"away","note":"lunch"}', '{"cmd":"set_status","presence":"gone"}',
    '{"cmd":"whois","nick":"bob"}', '{"cmd":"profile","realname":"Alice","picture":"me.png"}',
    '{"cmd":"profile","picture":""}', '{"cmd":"profile"}', '{"cmd":"passwd","old":"a","new":"b"}',
    '{"cmd":"groups"}', '{"cmd":"group_create","name":"band"}', '{"cmd":"group_add","group":4294967295,"nick":"bob"}',
    '{"cmd":"group_add","group":"1","nick":"bob"}', '{"cmd":"group_quit","group":3.0}', '{"cmd":"devices"}',
    '{"cmd":"revoke","fingerprint":"1a2b 3c4d 5e6f"}', '{"cmd":"revoke","key":"' + "cd" * 32 + '"}',
    '{"cmd":"revoke","key":"1a2b"}', '{"cmd":"revoke"}', '{"cmd":"keys","nick":"bob"}',
    '{"cmd":"voice_send","file":"a.wav"}', '{"cmd":"record","file":"b.wav"}', '{"cmd":"stop_record"}',
    '{"cmd":"stats"}', '{"cmd":"quit"}', ' \t{ "cmd" : "quit" }\r\n', '{"cmd":"frob"}', '{"to":"bob"}',
    '{"e":"\\"\\\\\\/\\b\\f\\n\\r\\t","u":"\\u0001\\u001f\\u007f\\u20ac\\uFFFF"}',
    '{"a":0,"b":-1,"c":3.25,"d":-2.5E-2,"e":1e3,"f":12345678901234,"g":-0}', '{"t":true,"f":false,"n":null}',
    "{}", '{"a":{"b":1}}', "[1,2]", '{"a":1,"\\u0061":2}', '{"cmd":"quit"} x', '{"a":"abc',
    '{"a":"\\u0000"}', '{"a":"\\ud800"}', '{"a":01,"b":1.,"c":-}', '{"a":1e999}', b'{"cmd":"say","to":"bob","text":"\xff"}',
]


# fuzz_ice (fuzz/fuzz_ice.c): byte 0 picks the decoder. 0: a signalling description of core/ice.h
# (version, flags, ufrag, candidates); 1: datagrams into a started agent, each as u8 socket,
# u16 length, bytes. The agent's random source gives zeros, so its ufrag is "AAAAAAAA" and every
# transaction id it writes is zeros (a hard side's: 8 zeros, 0x8000|pass, socket); the peer's
# ufrag is "BBBBBBBB". MESSAGE-INTEGRITY is fuzz_ice's stand-in HMAC: keyed BLAKE2b, 20 bytes.
ICE_KEY_LOCAL, ICE_KEY_REMOTE = b"fuzz-ice-key-local\0", b"fuzz-ice-key-remote\0"


def ice_cand(ctype, ip, port, prio, foundation=1):
    raw = bytes(int(x) for x in ip.split(".")) if "." in ip else bytes.fromhex(ip)
    return u8(ctype) + u8(4 if len(raw) == 4 else 6) + u16(port) + raw + u32(prio) + u32(foundation)


def ice_desc(cands, ufrag=b"BBBBBBBB", flags=0, version=1, count=None):
    return (u8(version) + u8(flags) + u8(len(ufrag)) + ufrag + u8(len(cands) if count is None else count)
            + b"".join(cands))


def ice_prio(t, lp=65534):
    return ({0: 126, 1: 100, 2: 110, 3: 0}[t] << 24) | (lp << 8) | 255


def stun_mi(msg, key):
    """msg (header and attributes so far) with MESSAGE-INTEGRITY appended, the header's length
    counting it, as fuzz_ice's stand-in HMAC computes it."""
    body = msg[20:]
    hdr = msg[:2] + u16(len(body) + 24) + msg[4:20]
    mac = hashlib.blake2b(hdr + body, digest_size=20, key=key).digest()
    return hdr + body + stun_attr(0x0008, mac)


def stun_fp(msg):
    msg = msg[:2] + u16(len(msg) - 20 + 8) + msg[4:]
    return msg + u16(0x8028) + u16(4) + u32((zlib.crc32(msg) ^ 0x5354554E) & 0xFFFFFFFF)


def ice_check(user=b"AAAAAAAA:BBBBBBBB", key=ICE_KEY_LOCAL, role=0x802A, tiebreak=1, use=False,
              tid=bytes(12), prio=ice_prio(2)):
    attrs = stun_attr(0x0006, user) + stun_attr(0x0024, u32(prio)) + stun_attr(role, u64(tiebreak))
    if use:
        attrs += stun_attr(0x0025, b"")
    return stun_fp(stun_mi(u16(BINDING_REQ) + u16(len(attrs)) + u32(STUN_COOKIE) + tid + attrs, key))


def ice_answer(tid=bytes(12), key=ICE_KEY_REMOTE, error=None, mapped=("10.0.0.2", 5000)):
    if error:
        attrs = stun_attr(0x0009, u16(0) + u8(error // 100) + u8(error % 100) + b"Role Conflict")
        mtype = BINDING_ERR
    else:
        attrs = stun_attr(0x0020, xor_v4(*mapped))
        mtype = BINDING_OK
    return stun_fp(stun_mi(u16(mtype) + u16(len(attrs)) + u32(STUN_COOKIE) + tid + attrs, key))


def ice_dgrams(*recs):
    return u8(1) + b"".join(u8(sock) + u16(len(d)) + d for sock, d in recs)


ICE_HOST = ice_cand(0, "192.168.1.2", 5000, ice_prio(0))
ICE_SRFLX = ice_cand(1, "203.0.113.7", 41000, ice_prio(1), 2)
ICE_V6 = ice_cand(0, "20010db8000000000000000000000001", 5000, ice_prio(0, 65535), 3)
ICE_RELAY = ice_cand(3, "203.0.113.1", 40000, ice_prio(3), 4)
ICE = [
    ("desc_empty", u8(0) + ice_desc([])),
    ("desc_host_srflx_relay", u8(0) + ice_desc([ICE_HOST, ICE_SRFLX, ICE_RELAY])),
    ("desc_v6_symmetric", u8(0) + ice_desc([ICE_V6, ICE_SRFLX], flags=1)),
    ("desc_sixteen", u8(0) + ice_desc([ice_cand(0, "10.0.0.%d" % (i + 1), 5000 + i, ice_prio(0))
                                       for i in range(16)])),
    ("desc_ufrag_32", u8(0) + ice_desc([ICE_HOST], ufrag=b"abcdefghijklmnopqrstuvwxyz0123+/")),
    ("desc_version2.bad", u8(0) + ice_desc([ICE_HOST], version=2)),
    ("desc_flag80.bad", u8(0) + ice_desc([ICE_HOST], flags=0x80)),
    ("desc_ufrag_short.bad", u8(0) + ice_desc([ICE_HOST], ufrag=b"abc")),
    ("desc_ufrag_space.bad", u8(0) + ice_desc([ICE_HOST], ufrag=b"ab cd")),
    ("desc_count17.bad", u8(0) + ice_desc([ICE_HOST] * 17)),
    ("desc_count_more.bad", u8(0) + ice_desc([ICE_HOST], count=2)),
    ("desc_trailing.bad", u8(0) + ice_desc([ICE_HOST]) + b"\x00"),
    ("desc_port0.bad", u8(0) + ice_desc([ice_cand(0, "192.168.1.2", 0, ice_prio(0))])),
    ("desc_multicast.bad", u8(0) + ice_desc([ice_cand(0, "224.0.0.1", 5000, ice_prio(0))])),
    ("desc_prio0.bad", u8(0) + ice_desc([ice_cand(0, "192.168.1.2", 5000, 0)])),
    ("desc_family5.bad", u8(0) + ice_desc([ICE_HOST[:1] + b"\x05" + ICE_HOST[2:]])),
    ("agent_check", ice_dgrams((0, ice_check()))),
    ("agent_check_nominate", ice_dgrams((0, ice_check(use=True)))),
    ("agent_check_controlled", ice_dgrams((0, ice_check(role=0x8029, tiebreak=2**63)))),
    ("agent_check_wrong_key", ice_dgrams((0, ice_check(key=b"not the key at all!")))),
    ("agent_check_wrong_user", ice_dgrams((0, ice_check(user=b"AAAAAAAA:CCCCCCCC")))),
    ("agent_check_probe_socket", ice_dgrams((2, ice_check()))),
    ("agent_answer", ice_dgrams((0, ice_answer()))),
    ("agent_check_answer_nominate", ice_dgrams((0, ice_check(use=True)), (0, ice_answer()), (0, ice_answer()))),
    ("agent_role_conflict", ice_dgrams((0, ice_answer(error=487)))),
    ("agent_hard_answer", ice_dgrams((1, ice_answer(tid=bytes(8) + u16(0x8000) + u16(1))))),
    ("agent_voice", ice_dgrams((0, b"\x02" + bytes(23)))),
    ("agent_indication", ice_dgrams((0, stun_fp(stun_msg(BINDING_IND))))),
]


def cmd_seed(form, i, mode, line):
    """(name, bytes): named by the form, a number and the line's first words."""
    b = line.encode() if isinstance(line, str) else line
    slug = "_".join(re.findall(r"[a-z0-9]+", b[:28].decode("latin-1").lower()))
    return ("%s_%02d_%s" % (form, i, slug or "blank"), bytes([mode]) + b)


CMD = ([cmd_seed("slash", i, IN_ROOM if i % 3 else IN_CONV if i % 2 else SLASH, line)
        for i, line in enumerate(CMD_SLASH)] +
       [cmd_seed("json", i, JSON_FORM, line) for i, line in enumerate(CMD_JSON)])



# fuzz_dmsg: direct mode's datagrams (src/core/dmsg.h), built from the layout that header writes:
# every type in clear, sealed control messages under fuzz_dmsg.c's key (when Python's
# `cryptography` is there to seal them; else sealed ones with a wrong tag only), and each rule
# broken once.
DMAGIC = 0xD7
DMSG_KEY = bytes(range(32))  # must match `key` in fuzz_dmsg.c


def dhdr(t, call=0x1122334455667788):
    return u8(DMAGIC) + u8(t) + u64(call)


def dname(s):
    return u16(len(s)) + s


def dfmt(codec=0, rate=48000, ch=1, fmt=2, chunk=960):
    return u8(codec) + u32(rate) + u8(ch) + u8(fmt) + u16(chunk)


def dpad(b):
    return b + bytes(400 - len(b))


def dsealed(inner, counter=1, call=0x1122334455667788, key=DMSG_KEY):
    hdr = dhdr(10, call)
    nonce = bytes(3) + u8(0) + u64(counter)
    try:
        from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
        ct = ChaCha20Poly1305(key).encrypt(nonce, inner, hdr + u8(0) + u64(counter))
    except ImportError:
        ct = inner + bytes(16)
    return hdr + u8(0) + u64(counter) + ct


OFFER = bytes((i * 5) & 0xff for i in range(136))
DMSG = [
    ("call", dpad(dhdr(1) + dname(b"alice") + dfmt() + OFFER)),
    ("call_pcm", dpad(dhdr(1) + dname(b"b" * 64) + dfmt(1, 16000, 2, 0, 160) + OFFER)),
    ("ringing", dhdr(2)),
    ("answer", dhdr(3) + dname(b"bob") + dfmt() + OFFER),
    ("reveal", dhdr(4) + OFFER[:104]),
    ("deny", dhdr(5)),
    ("busy", dhdr(6)),
    ("cancel", dhdr(7)),
    ("status_req", dpad(dhdr(8, 0xfeed))),
    ("status_ans", dhdr(9, 0xfeed) + dname(b"bob's desk") + u8(1) + bytes(range(32))),
    ("sealed_confirm", dsealed(u8(1))),
    ("sealed_keepalive", dsealed(u8(2), 7)),
    ("sealed_hangup", dsealed(u8(3), 8)),
    ("sealed_hangup_ack", dsealed(u8(4), 9)),
    ("sealed_text", dsealed(u8(5) + u32(1) + dname("hi there, über".encode()), 10)),
    ("sealed_text_max", dsealed(u8(5) + u32(2) + dname(b"t" * 1000), 11)),
    ("sealed_text_ack", dsealed(u8(6) + u32(1), 12)),
    ("sealed_wrong_key.bad", dsealed(u8(2), 3, key=bytes(32))),
    ("sealed_short.bad", dhdr(10) + bytes(25)),
    ("call_unpadded.bad", dhdr(1) + dname(b"alice") + dfmt() + OFFER),
    ("call_padding_not_zero.bad", dpad(dhdr(1) + dname(b"alice") + dfmt() + OFFER)[:-1] + b"\x01"),
    ("call_name_empty.bad", dpad(dhdr(1) + dname(b"") + dfmt() + OFFER)),
    ("call_name_control.bad", dpad(dhdr(1) + dname(b"a\nb") + dfmt() + OFFER)),
    ("ringing_long.bad", dhdr(2) + b"\x00"),
    ("answer_short.bad", (dhdr(3) + dname(b"bob") + dfmt() + OFFER)[:-1]),
    ("answer_no_name.bad", dhdr(3) + dfmt() + OFFER),
    ("status_ans_state.bad", dhdr(9) + dname(b"bob") + u8(2) + bytes(32)),
    ("magic.bad", u8(2) + u8(1) + u64(1)),
    ("type0.bad", dhdr(0)),
    ("type11.bad", dhdr(11)),
    ("header_short.bad", dhdr(2)[:9]),
]


# fuzz_clientcfg: a first byte (bit 0: a profile, named by the first line after it), then a
# config file as parley(1) "FILES" and tests/unit/test_clientcfg.c write them.
CFG_FULL = ("# parley's config\n"
            "server = chat.example.org:7000   # the club's\n"
            "\n"
            "  nick=alice\n"
            "rooms = #tea, #music,#x  # the usual\n"
            "identity = /home/alice/.config/parley/identity\n"
            "known_hosts = /home/alice/.config/parley/known_hosts\n"
            "device_name = laptop\n"
            "input = alsa_input.usb-Blue_Yeti-00.analog-stereo\n"
            "output = default\r\n"
            "voice_mode = ptt\n"
            "frame_ms = 10\n"
            "colors = off\n"
            "processing = no\n"
            "log_dir = /home/alice/parley-logs\n")
CFG_SECTIONS = ("server = home.example.net\n"
                "nick = alice\n"
                "\n"
                "[work]\n"
                "server = [2001:db8::7]:7787\n"
                "nick = alice_w\n"
                "rooms = #standup, #ops\n"
                "voice_mode = continuous\n"
                "\n"
                "[club]\n"
                "server = 192.0.2.10\n"
                "rooms = #chess\n"
                "identity = none\n"
                "frame_ms = 20\n")
CLIENTCFG = [
    ("full", "\x00" + CFG_FULL),
    ("sections_work", "\x01work\n" + CFG_SECTIONS),
    ("sections_club", "\x01club\n" + CFG_SECTIONS),
    ("sections_none", "\x00" + CFG_SECTIONS),
    ("sections_missing", "\x01home\n" + CFG_SECTIONS),
    ("empty", "\x00"),
    ("comments", "\x00\n# only a comment\n   \n\t# indented\n"),
    ("later_wins", "\x00identity = none\ncolors = off\ncolors = on\nserver = [::1]:7787\nvoice_mode = vad"),
    ("rooms_16", "\x00rooms = " + ", ".join("#r%d" % i for i in range(16)) + "\n"),
    ("rooms_empty", "\x00rooms = #a\nrooms =\n"),
    ("rooms_17.bad", "\x00rooms = " + ", ".join("#r%d" % i for i in range(17)) + "\n"),
    ("rooms_not_room.bad", "\x00rooms = tea, #music\n"),
    ("password.bad", "\x00nick = alice\npassword = hunter22\n"),
    ("unknown.bad", "\x00volume = 11\n"),
    ("no_equals.bad", "\x00server chat.example.org\n"),
    ("no_value.bad", "\x00nick =   # later\n"),
    ("nick.bad", "\x00nick = #alice\n"),
    ("server_port.bad", "\x00server = chat.example.org:99999\n"),
    ("server_long.bad", "\x00server = " + "a" * 300 + "\n"),
    ("path_relative.bad", "\x00known_hosts = ~/.config/parley/known_hosts\n"),
    ("device_long.bad", "\x00device_name = " + "d" * 33 + "\n"),
    ("frame_ms.bad", "\x00frame_ms = 40\n"),
    ("voice_mode.bad", "\x00voice_mode = loud\n"),
    ("colors.bad", "\x00colors = maybe\n"),
    ("section.bad", "\x01work\n[work\nnick = bob\n"),
    ("section_space.bad", "\x00[my work]\n"),
    ("section_long.bad", "\x00[" + "s" * 65 + "]\n"),
    ("wrong_in_other_section.bad", "\x01work\n[work]\nnick = bob\n[club]\nframe_ms = 30\n"),
    ("line_long.bad", "\x00input = " + "i" * 3000 + "\n"),
]

# fuzz_cidr: a range as an admin types it for a ban, then (after a NUL) peers of 17 bytes each: a
# byte (bit 0: IPv4), then the address (IPv4 in the first 4 bytes).
def peer4(ip):
    return b"\x01" + bytes(int(x) for x in ip.split(".")) + bytes(12)


def peer6(words):
    return b"\x00" + b"".join(struct.pack(">H", w) for w in words)


CIDR = [
    ("v4", b"192.0.2.7"),
    ("v4_24", b"192.0.2.7/24\x00" + peer4("192.0.2.255") + peer4("192.0.3.0")),
    ("v4_8", b"10.1.2.3/8\x00" + peer4("10.255.0.1") + peer4("11.0.0.0")),
    ("v4_0", b"0.0.0.0/0\x00" + peer4("203.0.113.1") + peer6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1])),
    ("v4_32", b"192.0.2.7/32"),
    ("v4_leading_zeros", b"192.0.2.7/0024"),
    ("v6", b"2001:db8:1:2:3:4:5:6\x00" + peer6([0x2001, 0xdb8, 1, 2, 0xffff, 0, 0, 1])),
    ("v6_128", b"2001:db8::1/128"),
    ("v6_33", b"2001:db8:abcd::/33\x00" + peer6([0x2001, 0xdb8, 0x7fff, 0, 0, 0, 0, 1])),
    ("v6_0", b"::/0\x00" + peer4("192.0.2.1")),
    ("v6_mapped", b"::ffff:192.0.2.7\x00" + peer4("192.0.2.7")),
    ("v6_mapped_120", b"::ffff:192.0.2.0/120\x00" + peer4("192.0.2.200")),
    ("v6_mapped_95", b"::ffff:192.0.2.0/95"),
    ("v6_dotted_tail", b"64:ff9b::198.51.100.1/96"),
    ("v4_33.bad", b"192.0.2.7/33"),
    ("v6_129.bad", b"2001:db8::/129"),
    ("empty_bits.bad", b"192.0.2.7/"),
    ("negative.bad", b"192.0.2.7/-1"),
    ("plus.bad", b"192.0.2.7/+8"),
    ("trailing.bad", b"192.0.2.7/24x"),
    ("two_slashes.bad", b"192.0.2.7/24/8"),
    ("no_addr.bad", b"/24"),
    ("empty.bad", b""),
    ("name.bad", b"alice"),
    ("short.bad", b"192.0.2"),
    ("octet.bad", b"192.0.2.256"),
    ("hex.bad", b"2001:db8::g"),
    ("zone.bad", b"fe80::1%eth0/64"),
    ("huge_bits.bad", b"10.0.0.0/99999999999999999999999"),
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
    msg_dir = os.path.join(HERE, "corpus", "fuzz_msg")
    os.makedirs(msg_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tool = SeedTool(tmp)
        # fuzz_msg, from the description: a u16 type, then the payload. The old desc-* go first,
        # so a renamed field or a removed type leaves no stale seed behind.
        for old in glob.glob(os.path.join(msg_dir, "desc-*")):
            os.remove(old)
        T.update(tool.seeds(msg_dir, os.path.join(HERE, "dict", "fuzz_msg.dict")))
        desc_seeds = len(glob.glob(os.path.join(msg_dir, "desc-*")))
        valid, invalid = msg_seeds()
        assert {t for _, t, _ in valid} == set(T.values()), \
            "types without a hand-written seed: %s" % sorted(
                n for n, t in T.items() if t not in {t for _, t, _ in valid})
        files = ([(n, u16(t) + p) for n, t, p in valid]
                 + [(n + ".bad", u16(t) + p) for n, t, p in invalid])
        counts["fuzz_msg"] = write_dir("fuzz_msg", files) + desc_seeds
        # The hand-written seeds mean what their names say.
        rcs = tool.decodes([os.path.join(msg_dir, n) for n, _ in files])
        wrong = [os.path.basename(p) for p, rc in rcs.items() if (rc == 0) == p.endswith(".bad")]
        assert not wrong, "seeds the codec disagrees with: %s" % wrong
        # The STUN seeds too: a .bad one must not decode, any other must.
        stun_dir = os.path.join(HERE, "corpus", "fuzz_stun")
        counts["fuzz_stun"] = write_dir("fuzz_stun", STUN)
        rcs = tool.decodes([os.path.join(stun_dir, n) for n, _ in STUN], "check-stun")
        wrong = [os.path.basename(p) for p, rc in rcs.items() if (rc == 0) == p.endswith(".bad")]
        assert not wrong, "STUN seeds the codec disagrees with: %s" % wrong
    unknown = invalid[-1][1]
    # fuzz_frame: a byte stream of frames, as a peer sends them: conversations that between
    # them hold every message type once, and the framing mistakes. (The payload-level mistakes
    # are fuzz_msg's seeds.)
    by_name = {n: frame(t, p) for n, t, p in valid}
    def stream(*names):
        return b"".join(by_name[n] for n in names)
    frames = [
        ("client_login", stream("hello", "login", "join", "say", "pong", "bye")),
        ("client_register", stream("hello", "register", "set_password", "set_profile")),
        ("client_key_login", stream("hello", "login_key", "devices_get", "device_revoke",
                                    "keys_get")),
        ("client_social", stream("profile_get", "contact_add", "contact_answer", "contact_del",
                                 "contacts_get", "status_set", "status_get")),
        ("client_groups", stream("group_create", "group_add", "group_quit", "groups_get")),
        ("client_rooms", stream("rooms_get", "names", "history", "delivered", "part")),
        ("server_login", stream("welcome", "auth_ok", "joined", "userlist", "ping")),
        ("server_chat", stream("text", "say_ok", "text_offline", "parted", "error")),
        ("server_social", stream("profile", "contact_request", "contact_added", "contact_deleted",
                                 "presence", "list_end", "ok")),
        ("server_devices", stream("device", "device_revoked", "list_end")),
        ("server_groups", stream("group", "group_member", "room_info", "list_end")),
        ("server_userlist_40", stream("userlist_40_more")),
        ("client_calls", stream("call_start", "call_ring", "call_answer", "call_confirm", "media_keys_call",
                                "media_keys_room", "call_cand", "call_hangup")),
        ("rooms_topics", stream("topic", "room_topic", "topic_ask", "room_topic_none")),
        ("rendezvous", stream("hello", "rdv_open", "rdv_join", "rdv_send", "rdv_code", "rdv_peer", "rdv_data")),
        ("server_calls", stream("call_state", "call_incoming", "call_answered", "call_confirmed", "call_member",
                                "media_key", "call_peer_cand", "call_state_ended")),
        ("say_max", stream("say_max")),
        ("partial_tail", stream("hello", "login") + by_name["say"][:9]),
        ("len_5.bad", u32(5) + u16(T["BYE"])),
        ("len_too_big.bad", u32(16385) + u16(T["TEXT"]) + b"\x00" * 16),
        ("len_huge.bad", u32(0xffffffff) + u16(T["HELLO"])),
        ("only_length", u32(6)),
        ("unknown_type.bad", frame(unknown, b"")),
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
    counts["fuzz_vframe"] = write_dir("fuzz_vframe", VFRAME)
    counts["fuzz_cmd"] = write_dir("fuzz_cmd", CMD)
    counts["fuzz_dmsg"] = write_dir("fuzz_dmsg", DMSG)
    counts["fuzz_clientcfg"] = write_dir("fuzz_clientcfg", CLIENTCFG)
    counts["fuzz_cidr"] = write_dir("fuzz_cidr", CIDR)
    counts["fuzz_ice"] = write_dir("fuzz_ice", ICE)
    counts["fuzz_rdv"] = write_dir("fuzz_rdv", RDV)
    for t, n in counts.items():
        print("%s: %d seeds" % (t, n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
