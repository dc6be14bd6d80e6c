"""Issue 9: a call between two clients on one host finds its direct path (no root, no NAT lab).

Two parley processes call each other through parleyd on loopback. Media starts on the relay; both
exchange their candidates over the call signalling (CALL_CAND, protocol 5), run the ICE agent's
checks on the voice socket and move the media straight to each other: each emits a `call_path`
event with path "lan", the round-trip time and the peer's loopback address, and what one says the
other hears as Opus decodes it. The server relays candidates only inside an active 1:1 call (457
outside one) and within its budget (438 over cand_burst)."""
import os
import struct
import time

from mediatap import Tap
from harness import Checks, Client, Raw, Server, error_code, finish, frame, heard, s16, speech_wav, tmpdir

t = Checks("call_path")
tmp = tmpdir()
srv = Server(tmp, "--cand-burst", "4")
try:
    tap = Tap(srv.udp)  # what the relay forwards (an AF_PACKET socket: root, or CAP_NET_RAW)
except PermissionError:
    tap = None
clients = []

CALL_CAND, ERROR, CALL_PEER_CAND = 0x0028, 0x8009, 0x801F
CONTACT_ADD, CONTACT_ANSWER, CONTACT_REQUEST, CONTACT_ADDED = 0x000C, 0x001D, 0x8014, 0x800B
CALL_START, CALL_RING, CALL_ANSWER, CALL_CONFIRM = 0x001E, 0x001F, 0x0020, 0x0021
CALL_STATE, CALL_INCOMING, CALL_ANSWERED = 0x8015, 0x8016, 0x8017
FMT = struct.pack(">BIBBH", 0, 48000, 1, 2, 960)  # Opus 48 kHz mono, i16, 20 ms


def client(name):
    c = Client(tmp, srv, "--jitter", "3", name=name)
    clients.append(c)
    return c


try:
    a, b = client("a"), client("b")
    la, lb = a.login("alice", "alice-password"), b.login("bob", "bob-password")
    t.check(la and lb, "two users register")
    sa = int(la["session"], 16)
    a.send({"cmd": "add", "nick": "bob"})
    b.expect("contact_request", nick="alice", kind="incoming")
    b.send({"cmd": "accept", "nick": "alice"})
    t.check(a.expect("contact_added", nick="bob") and b.expect("contact_added", nick="alice"), "they are contacts")
    a.expect("voice_ready")
    b.expect("voice_ready")
    speech = speech_wav(tmp, "speech", "The quick brown fox jumps over the lazy dog, twice.")

    a.send({"cmd": "call", "nick": "bob"})
    t.check(a.expect("call_state", state="ringing") and b.expect("call_incoming"), "alice's call rings bob")
    b.send({"cmd": "answer"})
    t0 = time.time()
    t.check(a.expect("call_state", state="active") and b.expect("call_state", state="active"), "the call is active")
    pa, pb = a.expect("call_path", timeout=10), b.expect("call_path", timeout=10)
    took = time.time() - t0
    print(f"measured: direct path after {took * 1000:.0f} ms: alice {pa}, bob {pb}")
    for who, p in (("alice", pa), ("bob", pb)):
        t.check(p is not None and p.get("path") == "lan", f"{who}'s call goes direct (lan) on one host: {p}")
        # Loopback of both families is gathered (a second socket carries the family parleyd is not
        # on); the IPv6 pair has the higher priority (RFC 8445's local preference), IPv4 is fine too.
        t.check(p is not None and (str(p.get("remote", "")).startswith("127.") or
                                   str(p.get("remote", "")).startswith("[::1]")) and isinstance(p.get("rtt_ms"), int),
                f"{who}'s call_path names the peer's loopback address and the round-trip time: {p}")
    t.check(took < 5, f"the direct path is found within 5 s of the call going active ({took:.2f} s)")

    rec = os.path.join(tmp, "b-heard.wav")
    b.send({"cmd": "record", "file": rec})
    b.expect("recording")
    talk_start = time.time()
    a.send({"cmd": "voice_send", "file": speech})
    sent = a.expect("voice_sent", timeout=60)
    relayed = len(tap.voice(sa, talk_start, time.time())) if tap else None
    time.sleep(0.6)
    b.send({"cmd": "stop_record"})
    time.sleep(0.3)
    t.check(sent and sent["frames"] > 100, f"alice talked on the direct path: {sent}")
    ok, res = heard(speech, rec)
    t.check(ok, f"bob heard alice over the direct path as Opus decodes it: {res}")
    if tap:
        t.check(sent and relayed < sent["frames"] // 10,
                f"the relay forwarded almost none of it: {relayed} of alice's voice datagrams while she sent "
                f"{sent and sent['frames']} frames")
    else:
        print("note: not root, so what the relay forwards is not tapped (the rest needs no privilege)")
    t.check(a.expect("call_path", timeout=1) is None, "the path stays direct while the call goes on")

    a.send({"cmd": "hangup"})
    t.check(a.expect("call_state", state="ended") and b.expect("call_state", state="ended"), "the call ends")

    # --- what the server passes on, spoken by hand: only inside an active one-to-one call, only to
    # the other party, within the sender's budget (cand_burst 4) ---
    x, y, m = Raw(srv), Raw(srv), Raw(srv)
    lx = x.hello_login("xena", "xena-password", device_key=os.urandom(32))
    ly = y.hello_login("yuri", "yuri-password", device_key=os.urandom(32))
    m.hello_login("mallory", "mallory-password")
    x.send(frame(CONTACT_ADD, s16("yuri")))
    y.until(CONTACT_REQUEST)
    y.send(frame(CONTACT_ANSWER, s16("xena") + b"\x01"))
    x.until(CONTACT_ADDED)
    x.send(frame(CALL_CAND, struct.pack(">QH", 1, 3) + b"abc"))
    p = x.until(ERROR)
    t.check(p is not None and error_code(p) == 457, f"CALL_CAND naming no call of the sender's: 457 ({p})")
    x.send(frame(CALL_START, struct.pack(">I", 0) + s16("yuri") + FMT))
    st = x.until(CALL_STATE)
    call = struct.unpack(">Q", st[:8])[0] if st else 0
    x.send(frame(CALL_CAND, struct.pack(">QH", call, 3) + b"abc"))
    p = x.until(ERROR)
    t.check(p is not None and error_code(p) == 430, f"CALL_CAND before the call is active: 430 ({p})")
    x.send(frame(CALL_RING, struct.pack(">Q", call) + b"\x11" * 136))
    y.until(CALL_INCOMING)
    y.send(frame(CALL_ANSWER, struct.pack(">QB", call, 0) + FMT + b"\x22" * 136))
    x.until(CALL_ANSWERED)
    x.send(frame(CALL_CONFIRM, struct.pack(">QB", call, 0) + b"\x33" * 104))
    ax, ay = x.until(CALL_STATE), y.until(CALL_STATE)
    t.check(ax is not None and ay is not None and ax[8] == 2 and ay[8] == 2, "a raw call between xena and yuri is active")
    descs = [bytes([i]) * (40 + i) for i in range(5)]
    for d in descs:
        x.send(frame(CALL_CAND, struct.pack(">QH", call, len(d)) + d))
    p = x.until(ERROR)
    t.check(p is not None and error_code(p) == 438, f"the fifth description at once is over the budget: 438 ({p})")
    got = []
    while True:
        f = y.until(CALL_PEER_CAND, timeout=1)
        if f is None:
            break
        got.append(f)
    want = [struct.pack(">QQH", call, lx["session"], len(d)) + d for d in descs[:4]]
    t.check(got == want, f"yuri got the first four, unchanged, with xena's call and session ({len(got)} frames)")
    m.send(frame(CALL_CAND, struct.pack(">QH", call, 3) + b"abc"))
    p = m.until(ERROR)
    t.check(p is not None and error_code(p) == 457 and y.until(CALL_PEER_CAND, timeout=1) is None,
            f"a third party naming their call gets 457, and yuri gets nothing ({p})")
    t.check(ly is not None, "yuri logged in")
    for r in (x, y, m):
        r.close()
finally:
    if tap:
        tap.stop()
    finish(t, srv, clients, tmp)
