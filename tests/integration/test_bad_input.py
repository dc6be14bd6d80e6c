"""Issue 2, item 4: hostile bytes. Garbage and oversized lengths on the TCP port, random and
spoofed datagrams on the UDP port: each bad connection gets a protocol error or is closed, never
a crash or a hang, and the server keeps serving the well-behaved clients, chat and voice."""
import os
import random
import socket
import struct
import time

from harness import (finish, ERROR, HELLO, PROTO, Checks, Client, Raw, Server, cleanup, error_code, frame, heard,
                     random_bytes, s16, speech_wav, talk, tmpdir)

rng = random.Random(int(os.environ.get("PARLEY_SEED", "20261121")))
t = Checks("bad_input")
tmp = tmpdir()
srv = Server(tmp, "--login-timeout", "1500")
a = Client(tmp, srv, name="a")
b = Client(tmp, srv, "--jitter", "3", name="b")  # fixed: it judges the stream, not the adaptation
try:
    ea = a.login("alice", "password-a")
    t.check(ea is not None and b.login("bob", "password-b") is not None, "A and B log in")
    a.expect("voice_ready")
    b.expect("voice_ready")

    # Not TLS at all: the handshake fails and the server closes.
    r = Raw(srv, tls=False)
    r.send(random_bytes(rng, 4096))
    t.check(r.closed(), "raw garbage instead of TLS: connection closed")
    r.close()

    def expect_error_close(payload, want, what, login=False):
        r = Raw(srv)
        if login and r.hello_login(f"raw{rng.randrange(10**6)}", "password-raw") is None:
            t.check(False, f"{what}: could not log in first")
            return
        r.send(payload)
        p = r.until(ERROR, timeout=5)
        code = error_code(p)
        t.check(code == want and r.closed(timeout=5), f"{what}: ERROR {code} (want {want}) then closed")
        r.close()

    expect_error_close(struct.pack(">IH", 0x7FFFFFFF, HELLO), 421, "length 2 GiB")
    expect_error_close(struct.pack(">IH", 16385, HELLO) + b"x" * 100, 421, "length just over the maximum")
    expect_error_close(struct.pack(">IH", 3, HELLO), 420, "length below the header size")
    expect_error_close(frame(0x0777, b"abc"), 420, "unknown message type")
    expect_error_close(frame(0x8001, struct.pack(">H", 1) + s16("x")), 420, "a server-to-client type")
    expect_error_close(struct.pack(">IH", 6 + 4, HELLO) + struct.pack(">HH", 1, 50) , 420,
                       "HELLO whose string length runs past the frame")
    expect_error_close(frame(HELLO, struct.pack(">H", PROTO) + s16("ok") + b"trailing"), 420,
                       "HELLO with trailing bytes")
    expect_error_close(frame(7, struct.pack(">I", 1) + s16("#Lobby") + struct.pack(">H", 9000) + b"x" * 9000),
                       420, "SAY with an oversized text length", login=True)
    expect_error_close(frame(7, struct.pack(">I", 1) + s16("#Lobby") + s16(b"a\x00b")), 420,
                       "SAY with a NUL inside its text", login=True)

    # Random frames and random bytes on many connections at once: every one is closed (an error,
    # or the login deadline for a frame that promises more bytes than it sends), and the server
    # survives them all.
    raws = []
    for i in range(40):
        r = Raw(srv)
        if i % 2:
            r.send(random_bytes(rng, rng.randrange(1, 3000)))
        else:
            body = random_bytes(rng, rng.randrange(0, 200))
            r.send(frame(rng.choice([1, 2, 3, 4, 5, 6, 7, 8, rng.randrange(65536)]), body))
        raws.append(r)
    closed = sum(r.closed(timeout=6) for r in raws)
    for r in raws:
        r.close()
    t.check(closed == 40 and srv.alive(), f"40 connections of random frames and bytes: {closed} closed, parleyd alive")

    # A stalled half frame is not a hang: the login deadline closes it.
    r = Raw(srv)
    r.send(b"\x00\x00")
    start = time.time()
    t.check(r.closed(timeout=6) and time.time() - start < 6, "a stalled partial frame is closed by the deadline")
    r.close()

    # UDP: random datagrams, well-formed packets from unknown senders, and A's real sender id
    # from an address A never bound (a spoof). None may reach B.
    b.send({"cmd": "stats"})
    before = b.expect("voice_stats")["received"]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dst = ("127.0.0.1", srv.udp)
    a_id = int(ea["session"], 16) if isinstance(ea["session"], str) else ea["session"]  # JSON: u64 as hex
    for i in range(3000):
        kind = i % 3
        if kind == 0:
            pkt = random_bytes(rng, rng.randrange(0, 1500))
        elif kind == 1:
            pkt = struct.pack(">BBQHI", 2, 3, rng.getrandbits(64), i, i * 960) + random_bytes(rng, 60)
        else:
            pkt = struct.pack(">BBQHI", 2, 3, a_id, i, i * 960) + random_bytes(rng, 60)
        u.sendto(pkt, dst)
        if i % 200 == 0:
            time.sleep(0.01)
    # A forged BIND and CONFIRM for A's id (wrong MAC) must not move A's binding either.
    u.sendto(struct.pack(">BBQHI", 2, 1, a_id, 0, 0) + struct.pack(">Q", 2**60) + b"\x00" * 16, dst)
    u.sendto(struct.pack(">BBQHI", 2, 5, a_id, 0, 0) + struct.pack(">Q", 2**60) + b"\x00" * 32, dst)
    time.sleep(0.5)
    b.send({"cmd": "stats"})
    after = b.expect("voice_stats")["received"]
    t.check(after == before, f"no spoofed or random datagram was relayed to B ({before} -> {after})")
    t.check(srv.alive(), "parleyd alive after 3000 hostile datagrams")

    # And the service goes on: chat both ways, and A's real voice reaches B.
    a.send({"cmd": "say", "to": "#Lobby", "text": "still there?"})
    t.check(b.expect("message", text="still there?") is not None, "chat A -> B still flows")
    b.send({"cmd": "say", "to": "#Lobby", "text": "yes"})
    t.check(a.expect("message", text="yes") is not None, "chat B -> A still flows")
    speech = speech_wav(tmp, "speech", "Testing one two three, the relay still works.")
    rec = os.path.join(tmp, "heard.wav")
    sent, _ = talk(a, b, speech, rec)
    t.check(sent is not None, "A talks")
    ok, res = heard(speech, rec)
    t.check(ok, f"B still hears A's voice: {res}")
finally:
    finish(t, srv, [a, b], tmp)
