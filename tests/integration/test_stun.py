"""Issue 9, STUN: parleyd answers STUN Binding requests on its voice port (and on stun_port), and
parley --stun asks any STUN server for its public address.

Real processes on loopback, real third-party peers:

(a) Debian's RFC 3489 `stun` client and coturn's `turnutils_stunclient` get the right mapped
    address from parleyd's voice port and from its stun_port. Where a client's own port cannot be
    seen from outside (turnutils_stunclient), it talks through a small UDP forwarder in this test,
    a user-space NAT, so the right answer is the forwarder's address, which the test knows.
(b) parley --stun gets the right address from coturn's STUN-only server (started here, no config
    file, logging into the temporary directory) and from parleyd, directly, through the NAT and
    over IPv6; it retransmits over a path that loses requests, and after 4 unanswered tries, or
    from a closed port, it says what went wrong and exits 1.
(c) Amplification: requests of every shape (20 bytes, FINGERPRINT, RFC 3489, padding, SOFTWARE,
    MESSAGE-INTEGRITY, IPv6) each get exactly one response, no larger than the request plus the
    address attribute; the figures are printed. A flood from one source is answered up to
    stun_burst and no further, another source is still answered, and many sources together are
    held to stun_global_rate.
(d) Indications, responses, other methods, unknown comprehension-required attributes, requests to
    answer elsewhere, malformed STUN and random bytes get no answer at all, and are counted in the
    metrics by reason.
(e) Voice still works on the same port, from the same socket that asks STUN: BIND, CHALLENGE,
    CONFIRM, BIND_ACK, and VOICE relayed to another member; voice sent to stun_port gets nothing.
(f) SIGHUP applies a new stun_burst from the config file.
(g) Wireshark's STUN dissector (tshark, on a capture of lo) reads parleyd's responses as Binding
    success responses with the right address and a correct FINGERPRINT, and nothing as malformed.

The STUN encoder and decoder below are written from RFC 8489 for this test, independent of
src/core/stun.c.
"""
import hashlib
import hmac
import os
import random
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
import urllib.request
import zlib

from harness import PARLEY, Checks, Raw, Server, cleanup, tmpdir

COOKIE = 0x2112A442
BINDING_REQUEST, BINDING_SUCCESS, BINDING_ERROR, BINDING_INDICATION = 0x0001, 0x0101, 0x0111, 0x0011
MAPPED, XOR_MAPPED, SOFTWARE, FINGERPRINT = 0x0001, 0x0020, 0x8022, 0x8028
USERNAME, INTEGRITY, PADDING, CHANGE_REQUEST, RESPONSE_PORT = 0x0006, 0x0008, 0x0026, 0x0003, 0x0027


# --- STUN by hand ---

def attr(t, v, pad=b"\0"):
    return struct.pack(">HH", t, len(v)) + v + pad * (-len(v) % 4)


def stun(mtype, attrs=b"", tid=None, fingerprint=False, classic=False):
    """A message; tid is 12 bytes (16 for classic) and random when not given."""
    tid = tid or os.urandom(16 if classic else 12)
    head = struct.pack(">HH", mtype, len(attrs) + (8 if fingerprint else 0))
    head += tid if classic else struct.pack(">I", COOKIE) + tid
    m = head + attrs
    if fingerprint:
        m += struct.pack(">HHI", FINGERPRINT, 4, (zlib.crc32(m) ^ 0x5354554E) & 0xFFFFFFFF)
    return m


def with_integrity(mtype, attrs, key, fingerprint=True):
    """attrs, then MESSAGE-INTEGRITY (HMAC-SHA1 over the message with its length up to MI)."""
    tid = os.urandom(12)
    head = struct.pack(">HHI", mtype, len(attrs) + 24, COOKIE) + tid
    mac = hmac.new(key, head + attrs, hashlib.sha1).digest()
    body = attrs + attr(INTEGRITY, mac)
    return stun(mtype, body, tid=tid, fingerprint=fingerprint)


def parse(d):
    """{'type', 'tid', 'classic', 'attrs': [(type, value)], 'fp_ok'} or None when not STUN."""
    if len(d) < 20 or d[0] & 0xC0:
        return None
    mtype, length = struct.unpack(">HH", d[:4])
    if 20 + length != len(d):
        return None
    classic = struct.unpack(">I", d[4:8])[0] != COOKIE
    out = {"type": mtype, "tid": d[4:20] if classic else d[8:20], "classic": classic, "attrs": [], "fp_ok": None}
    off = 20
    while off + 4 <= len(d):
        t, n = struct.unpack(">HH", d[off:off + 4])
        v = d[off + 4:off + 4 + n]
        if t == FINGERPRINT:
            out["fp_ok"] = struct.unpack(">I", v)[0] == (zlib.crc32(d[:off]) ^ 0x5354554E) & 0xFFFFFFFF
        out["attrs"].append((t, v))
        off += 4 + n + (-n % 4)
    return out


def address(msg, t):
    """(host, port) of the first MAPPED-ADDRESS or XOR-MAPPED-ADDRESS."""
    for at, v in msg["attrs"]:
        if at != t:
            continue
        fam, port = v[1], struct.unpack(">H", v[2:4])[0]
        raw = v[4:]
        if t == XOR_MAPPED:
            port ^= COOKIE >> 16
            raw = bytes(a ^ b for a, b in zip(raw, struct.pack(">I", COOKIE) + msg["tid"]))
        return socket.inet_ntop(socket.AF_INET if fam == 1 else socket.AF_INET6, raw), port
    return None


def ask(sock, dst, req, wait=1.0):
    """Sends req; returns every datagram that comes back within wait seconds of the last one."""
    sock.sendto(req, dst)
    return collect(sock, wait)


def collect(sock, wait=1.0):
    got = []
    while True:
        r, _, _ = select.select([sock], [], [], wait)
        if not r:
            return got
        got.append(sock.recvfrom(4096)[0])
        wait = min(wait, 0.3)


def udp(host="127.0.0.1", family=socket.AF_INET):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind((host, 0))
    socks.append(s)
    return s


def free_udp_port(host="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Nat:
    """A user-space NAT for one client at a time: what reaches `front` goes to the server from
    `back`, and what the server answers goes back to the client. A STUN server must then report
    back's address, which is not the client's."""

    def __init__(self, server, drop_first=0):
        """drop_first: lose that many of the client's datagrams first, as a lossy path does."""
        self.front, self.back, self.server = udp(), udp(), server
        self.client, self.running, self.drop, self.seen = None, True, drop_first, 0
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while self.running:
            r, _, _ = select.select([self.front, self.back], [], [], 0.1)
            for s in r:
                try:
                    d, a = s.recvfrom(4096)
                except OSError:
                    return
                if s is self.front:
                    self.client = a
                    self.seen += 1
                    if self.seen > self.drop:
                        self.back.sendto(d, self.server)
                elif self.client:
                    self.front.sendto(d, self.client)

    def addr(self):
        return self.front.getsockname()

    def public(self):
        return self.back.getsockname()

    def stop(self):
        self.running = False


# --- voice by hand (docs/PROTOCOL.md section 14) ---

VHDR = 16
BIND, BIND_ACK, VOICE, CHALLENGE, CONFIRM = 1, 2, 3, 4, 5


def vheader(ptype, sender, seq=0, ts=0):
    return struct.pack(">BBQHI", 2, ptype, sender, seq, ts)


def vmac(key, data):
    return hmac.new(key, data, hashlib.sha256).digest()[:16]


class User:
    counter = int(time.time() * 1000)

    def __init__(self, srv, nick):
        self.raw = Raw(srv)
        cred = self.raw.hello_login(nick, "password-" + nick)
        if cred is None:
            raise RuntimeError(f"{nick} could not log in:\n{srv.logtext()[-2000:]}")
        self.session, self.key, self.dst = cred["session"], cred["key"], ("127.0.0.1", cred["udp"])

    def bind(self, sock, dst=None):
        """BIND, CHALLENGE, CONFIRM, BIND_ACK; returns the kinds of voice packet received, in order."""
        dst = dst or self.dst
        User.counter += 1
        c = User.counter
        head = vheader(BIND, self.session) + struct.pack(">Q", c)
        kinds = []
        for d in ask(sock, dst, head + vmac(self.key, head)):
            if d[0] == 2 and len(d) == VHDR + 24 and d[1] == CHALLENGE:
                kinds.append("CHALLENGE")
                head = vheader(CONFIRM, self.session) + struct.pack(">Q", c) + d[VHDR + 8:VHDR + 24]
                for a in ask(sock, dst, head + vmac(self.key, head)):
                    kinds.append("BIND_ACK" if a[0] == 2 and a[1] == BIND_ACK else "other")
            else:
                kinds.append("other")
        return kinds


t = Checks("stun")
tmp = tmpdir()
servers, socks, users, nats, procs = [], [], [], [], []


def server(*args, listen="127.0.0.1"):
    srv = Server(tmp, "--ping-interval", "3600000", "--ping-timeout", "3600000", *args,
                 data_dir=os.path.join(tmp, f"data{len(servers)}"), listen=listen)
    servers.append(srv)
    return srv


def metrics(srv):
    with urllib.request.urlopen(f"http://127.0.0.1:{srv.metrics}/metrics", timeout=10) as r:
        text = r.read().decode()
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(parleyd_stun_\S+) (\d+)$", text, re.M)}


def run(cmd, timeout=40):
    """(exit status, output); a program that never finishes (turnutils_stunclient waits for ever
    for an answer) is killed and counts as status None."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"") + (e.stderr or b"")
        return None, (out.decode(errors="replace") if isinstance(out, bytes) else out) + f"\n(killed after {timeout} s)"


def debian_stun(port):
    """Debian's stun -v against 127.0.0.1:port: (its source port, the mapped address it printed)."""
    _, out = run(["stun", f"127.0.0.1:{port}", "-v"])
    src = re.search(r"Opened port (\d+)", out)
    mapped = re.search(r"MappedAddress = ([\d.]+):(\d+)", out)
    return (int(src.group(1)) if src else None,
            (mapped.group(1), int(mapped.group(2))) if mapped else None, out)


def turnutils(port):
    """turnutils_stunclient against 127.0.0.1:port: the reflexive addresses it printed."""
    _, out = run(["turnutils_stunclient", "-p", str(port), "-L", "127.0.0.1", "127.0.0.1"])
    return {(h, int(p)) for h, p in re.findall(r"UDP reflexive addr: ([\d.]+):(\d+)", out)}, out


def parley_stun(target):
    rc, out = run([PARLEY, "--stun", target])
    mapped = re.search(r"^mapped \[?([\d.:a-f]+?)\]?:(\d+)$", out, re.M)
    local = re.search(r"^local \[?([\d.:a-f]+?)\]?:(\d+)$", out, re.M)
    return rc, ((mapped.group(1), int(mapped.group(2))) if mapped else None,
                (local.group(1), int(local.group(2))) if local else None), out


try:
    stun_port = free_udp_port()
    # Generous STUN budgets here: every tool below asks from 127.0.0.1.
    srv = server("--stun-port", str(stun_port), "--stun-burst", "1000", "--stun-rate", "1000",
                 "--metrics-listen", "127.0.0.1:0")
    t.check(srv.alive(), f"parleyd runs with stun_port {stun_port} (voice port {srv.udp})")

    # (a) Debian's stun, RFC 3489 without the cookie: its source port is in its own output.
    for label, port in (("voice port", srv.udp), ("stun_port", stun_port)):
        src, mapped, out = debian_stun(port)
        t.check(src and mapped == ("127.0.0.1", src),
                f"(a) Debian's stun gets its own address from the {label}: {mapped} for source port {src}"
                + ("" if mapped else f"\n{out[-1500:]}"))

    # (a) coturn's turnutils_stunclient, through the NAT: the mapped address must be the NAT's.
    for label, port in (("voice port", srv.udp), ("stun_port", stun_port)):
        nat = Nat(("127.0.0.1", port))
        nats.append(nat)
        got, out = turnutils(nat.addr()[1])
        t.check(got == {nat.public()},
                f"(a) turnutils_stunclient through a NAT gets the NAT's address from the {label}: {got} "
                f"(NAT {nat.public()})" + ("" if got else f"\n{out[-1500:]}"))
        nat.stop()

    # (a) ... and directly: its own port is not in its output, but the address is.
    got, out = turnutils(srv.udp)
    t.check(len(got) == 1 and next(iter(got))[0] == "127.0.0.1" and next(iter(got))[1] not in (0, srv.udp),
            f"(a) turnutils_stunclient directly gets 127.0.0.1 and a port of its own: {got}")

    # (b) parley --stun against parleyd, directly and through the NAT.
    for label, port in (("voice port", srv.udp), ("stun_port", stun_port)):
        rc, (mapped, local), out = parley_stun(f"127.0.0.1:{port}")
        t.check(rc == 0 and mapped and mapped == local,
                f"(b) parley --stun gets its own address from parleyd's {label}: {mapped} (local {local})"
                + ("" if rc == 0 else f"\n{out}"))
    nat = Nat(("127.0.0.1", srv.udp))
    nats.append(nat)
    rc, (mapped, local), out = parley_stun(f"127.0.0.1:{nat.addr()[1]}")
    t.check(rc == 0 and mapped == nat.public() and local != mapped,
            f"(b) parley --stun through a NAT gets the NAT's address {mapped} (NAT {nat.public()}, local {local})")
    nat.stop()

    # (b) Retransmission: a path that loses the first two requests; the third gets through.
    nat = Nat(("127.0.0.1", srv.udp), drop_first=2)
    nats.append(nat)
    rc, (mapped, local), out = parley_stun(f"127.0.0.1:{nat.addr()[1]}")
    t.check(rc == 0 and mapped == nat.public() and nat.seen == 3,
            f"(b) parley --stun retransmits when requests are lost: answered after {nat.seen} requests, {mapped}")
    nat.stop()
    # ... and a server that never answers: 4 tries (RFC 8489's schedule, cut short), then a sentence.
    sink = udp()
    rc, _, out = parley_stun(f"127.0.0.1:{sink.getsockname()[1]}")
    tries = len(collect(sink, 0.2))
    t.check(rc == 1 and tries == 4 and "no answer" in out and "4 tries" in out,
            f"(b) a silent server: {tries} requests, exit {rc}: {out.strip()[:200]!r}")

    # (b) ... and from coturn's STUN-only server.
    turn_port = free_udp_port()
    turn_log = os.path.join(tmp, "turnserver.log")
    turn = subprocess.Popen(["turnserver", "-n", "--stun-only", "--no-cli", "--no-tls", "--no-dtls", "--no-tcp",
                             "--listening-ip=127.0.0.1", f"--listening-port={turn_port}", f"--log-file={turn_log}",
                             "--simple-log", "--pidfile", os.path.join(tmp, "turnserver.pid")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(turn)
    probe, up = udp(), False
    for _ in range(50):  # coturn answers once it is up; ask until it does
        if any(parse(d) for d in ask(probe, ("127.0.0.1", turn_port), stun(BINDING_REQUEST), wait=0.2)):
            up = True
            break
    t.check(up, f"coturn's turnserver --stun-only answers on port {turn_port}")
    rc, (mapped, local), out = parley_stun(f"127.0.0.1:{turn_port}")
    t.check(rc == 0 and mapped and mapped == local,
            f"(b) parley --stun gets its own address from coturn: {mapped} (local {local})" + ("" if rc == 0 else f"\n{out}"))
    nat = Nat(("127.0.0.1", turn_port))
    nats.append(nat)
    rc, (mapped, local), out = parley_stun(f"127.0.0.1:{nat.addr()[1]}")
    t.check(rc == 0 and mapped == nat.public(), f"(b) ... and the NAT's address through the NAT: {mapped}")
    nat.stop()
    turn.terminate()
    turn.wait(timeout=10)
    rc, _, out = parley_stun(f"127.0.0.1:{turn_port}")
    t.check(rc == 1 and "parley:" in out and "check" in out,
            f"(b) parley --stun to a closed port exits 1 with a sentence: {out.strip()[:160]!r}")
    rc, _, out = parley_stun("127.0.0.1:notaport")
    t.check(rc == 1 and "port" in out, f"(b) a bad HOST:PORT exits 1 with a sentence: {out.strip()[:160]!r}")

    # (c) Amplification: each shape of request, one answer, no larger than request + address.
    key = b"VOkJxbRl1RmTxUk/WvJxBt"
    shapes = [
        ("plain 20 bytes", stun(BINDING_REQUEST), False, False),
        ("FINGERPRINT", stun(BINDING_REQUEST, fingerprint=True), True, False),
        ("RFC 3489", stun(BINDING_REQUEST, classic=True), False, True),
        ("RFC 3489 CHANGE-REQUEST 0", stun(BINDING_REQUEST, attr(CHANGE_REQUEST, bytes(4)), classic=True), False, True),
        ("PADDING 64", stun(BINDING_REQUEST, attr(PADDING, bytes(64))), False, False),
        ("PADDING 1000 + FINGERPRINT", stun(BINDING_REQUEST, attr(PADDING, bytes(1000)), fingerprint=True), True, False),
        ("SOFTWARE + FINGERPRINT", stun(BINDING_REQUEST, attr(SOFTWARE, b"test client 1.0"), fingerprint=True), True,
         False),
        ("USERNAME + MESSAGE-INTEGRITY", with_integrity(BINDING_REQUEST, attr(USERNAME, b"evtj:h6vY"), key), True,
         False),
        ("comprehension-optional unknown", stun(BINDING_REQUEST, attr(0xC0DE, b"x")), False, False),
    ]
    figures = []
    for port_label, port in (("voice port", srv.udp), ("stun_port", stun_port)):
        s = udp()
        for name, req, fp, classic in shapes:
            got = ask(s, ("127.0.0.1", port), req)
            m = parse(got[0]) if len(got) == 1 else None
            want_tid = req[4:20] if classic else req[8:20]
            addr = m and address(m, MAPPED if classic else XOR_MAPPED)
            extra = 12
            ok = (m is not None and m["type"] == BINDING_SUCCESS and m["tid"] == want_tid and
                  addr == s.getsockname() and len(got[0]) <= len(req) + extra and
                  (m["fp_ok"] is True) == fp and (m["fp_ok"] is not False) and
                  not any(a == SOFTWARE for a, _ in m["attrs"]))
            figures.append((port_label, name, len(req), len(got[0]) if got else 0))
            t.check(ok, f"(c) {port_label}, {name}: {len(got)} answer(s), request {len(req)} bytes, response "
                        f"{len(got[0]) if got else '-'} bytes (at most {len(req) + extra}), address {addr}")
    print("amplification figures (port, request shape, request bytes, response bytes):")
    for f in figures:
        print(f"   {f[0]:10} {f[1]:34} {f[2]:5} -> {f[3]:3}")

    # (c) IPv4 and IPv6 on a dual-stack (wildcard) parleyd: IPv4 clients get family 1, not ::ffff:.
    dual = server("--stun-burst", "100", listen="")
    s4 = udp()
    got = ask(s4, ("127.0.0.1", dual.udp), stun(BINDING_REQUEST))
    m = parse(got[0]) if got else None
    t.check(m and address(m, XOR_MAPPED) == s4.getsockname() and m["attrs"][0][1][1] == 1 and len(got[0]) == 32,
            f"(c) a dual-stack parleyd answers an IPv4 client with its IPv4 address (family 1): "
            f"{m and address(m, XOR_MAPPED)}, {len(got[0]) if got else 0} bytes for 20")
    try:
        s6 = udp("::1", socket.AF_INET6)
    except OSError:
        s6 = None
    if s6 is not None:
        req = stun(BINDING_REQUEST, fingerprint=True)
        got = ask(s6, ("::1", dual.udp), req)
        m = parse(got[0]) if got else None
        t.check(m and address(m, XOR_MAPPED) == s6.getsockname()[:2] and len(got[0]) <= len(req) + 24,
                f"(c) IPv6: {m and address(m, XOR_MAPPED)}, request {len(req)} bytes, response "
                f"{len(got[0]) if got else 0} (at most {len(req) + 24})")
        rc, (mapped, local), out = parley_stun(f"[::1]:{dual.udp}")
        t.check(rc == 0 and mapped and mapped[0] == "::1" and mapped == local,
                f"(b) parley --stun over IPv6: {mapped} (local {local})" + ("" if rc == 0 else f"\n{out}"))
    else:
        print("skip IPv6: no ::1 on this machine")

    # (c) Rate limits, on a parleyd with a small burst, a rate that refills nothing during the test
    # (one token every 1000 s), and a global rate of 8 a second.
    tight = server("--stun-burst", "5", "--stun-rate", "0.001", "--stun-global-rate", "8")
    flood = udp("127.0.0.2")
    t0 = time.monotonic()
    for i in range(50):
        flood.sendto(stun(BINDING_REQUEST, fingerprint=True), ("127.0.0.1", tight.udp))
    answers = [d for d in collect(flood) if parse(d)]
    t.check(len(answers) == 5, f"(c) a flood of 50 requests from one address gets {len(answers)} answers: the burst, 5")
    other = udp("127.0.0.3")
    got = ask(other, ("127.0.0.1", tight.udp), stun(BINDING_REQUEST))
    t.check(len(got) == 1, f"(c) another address is still answered ({len(got)} answer)")
    again = ask(flood, ("127.0.0.1", tight.udp), stun(BINDING_REQUEST))
    t.check(not again, "(c) the flooding address stays refused")
    # Ten more addresses, 3 requests each, all within their own bursts: the global bucket (8 at
    # once, 8 a second) decides. Tokens left: 8 - 6 taken above, plus 8 a second since.
    many = [udp(f"127.0.0.{10 + i}") for i in range(10)]
    for s in many:
        for _ in range(3):
            s.sendto(stun(BINDING_REQUEST), ("127.0.0.1", tight.udp))
    elapsed = time.monotonic() - t0
    answered = sum(len(collect(s, 0.5)) for s in many)
    bound = 2 + 8 * elapsed + 1
    t.check(answered < 30 and answered <= bound,
            f"(c) 30 requests from 10 addresses are held by the global rate: {answered} answered, at most "
            f"{bound:.1f} (2 tokens left + 8/s x {elapsed:.2f} s + 1)")

    # (d) What gets no answer at all.
    quiet = [
        ("Binding indication", stun(BINDING_INDICATION, fingerprint=True)),
        ("Binding success response", stun(BINDING_SUCCESS, attr(XOR_MAPPED, b"\0\1" + bytes(6)))),
        ("Binding error response", stun(BINDING_ERROR, attr(0x0009, b"\0\0\4\0Bad Request"))),
        ("Allocate request (TURN)", stun(0x0003, attr(0x0019, b"\x11\0\0\0"), fingerprint=True)),
        ("method 0x002 request", stun(0x0002)),
        ("RFC 3489 shared-secret request", stun(0x0002, classic=True)),
        ("unknown comprehension-required attribute", stun(BINDING_REQUEST, attr(0x7FFF, b"x"), fingerprint=True)),
        ("RESPONSE-PORT", stun(BINDING_REQUEST, attr(RESPONSE_PORT, b"\x12\x34\0\0"))),
        ("RFC 3489 CHANGE-REQUEST change IP and port", stun(BINDING_REQUEST, attr(CHANGE_REQUEST, b"\0\0\0\6"),
                                                          classic=True)),
        ("RESPONSE-ADDRESS", stun(BINDING_REQUEST, attr(0x0002, b"\0\1\x12\x34" + bytes([192, 0, 2, 1])), classic=True)),
        ("length field 4 too long", stun(BINDING_REQUEST)[:2] + b"\0\4" + stun(BINDING_REQUEST)[4:]),
        ("length not a multiple of 4", stun(BINDING_REQUEST, attr(SOFTWARE, b"abcd"))[:3] + b"\6"
         + stun(BINDING_REQUEST, attr(SOFTWARE, b"abcd"))[4:]),
        ("attribute past the end", struct.pack(">HHI", 1, 8, COOKIE) + os.urandom(12) + struct.pack(">HH", SOFTWARE, 200)
         + b"abcd"),
        ("padding missing", struct.pack(">HHI", 1, 8, COOKIE) + os.urandom(12) + struct.pack(">HH", USERNAME, 3) + b"abc"),
        ("bad FINGERPRINT", stun(BINDING_REQUEST, fingerprint=True)[:-1] + b"\0"),
        ("attribute after FINGERPRINT", stun(BINDING_REQUEST, fingerprint=True)[:3] + b"\x0c"
         + stun(BINDING_REQUEST, fingerprint=True)[4:] + attr(SOFTWARE, b"")),
        ("19 bytes", stun(BINDING_REQUEST)[:19]),
        ("truncated after an attribute header", stun(BINDING_REQUEST, attr(SOFTWARE, b"abcdefgh"))[:28]),
    ]
    before = metrics(srv)
    for port_label, port in (("voice port", srv.udp), ("stun_port", stun_port)):
        s = udp()
        for name, req in quiet:
            got = ask(s, ("127.0.0.1", port), req, wait=0.5)
            t.check(not got, f"(d) {port_label}: {name} ({len(req)} bytes) gets no answer ({len(got)})")
        rng = random.Random(9)
        for i in range(200):
            s.sendto(bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 200))), ("127.0.0.1", port))
        # Random bytes with a STUN-looking start too: the cookie in place, the rest random.
        for i in range(100):
            d = bytearray(rng.getrandbits(8) for _ in range(rng.randrange(20, 120)))
            d[0] &= 0x01
            d[4:8] = struct.pack(">I", COOKIE)
            s.sendto(bytes(d), ("127.0.0.1", port))
        got = collect(s, 1.0)
        t.check(not got, f"(d) {port_label}: 300 datagrams of random bytes (100 of them with the cookie) get "
                         f"{len(got)} answers")
        got = ask(s, ("127.0.0.1", port), stun(BINDING_REQUEST))
        t.check(len(got) == 1, f"(d) {port_label}: and a valid request from the same socket is still answered")
    time.sleep(0.2)  # the relay publishes its counters at its next wake-up; the last answer was one
    after = metrics(srv)
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    refused = {k[len('parleyd_stun_refused_total{reason="'):-2]: v for k, v in delta.items() if "refused" in k}
    t.check(refused.get("not_request", 0) >= 2 * 6 and refused.get("unknown_attribute", 0) >= 2
            and refused.get("elsewhere", 0) >= 2 * 3 and refused.get("malformed", 0) >= 2 * 8,
            f"(d) the metrics count the refusals by reason: {refused}")
    t.check(delta.get("parleyd_stun_answered_total", 0) >= 2, f"(d) and the answers: "
            f"parleyd_stun_answered_total +{delta.get('parleyd_stun_answered_total')}")

    # (e) Voice on the same port, from sockets that also ask STUN.
    alice, bob = User(srv, "alice"), User(srv, "bob")
    users += [alice, bob]
    sa, sb = udp(), udp()
    for u, s in ((alice, sa), (bob, sb)):
        got = ask(s, u.dst, stun(BINDING_REQUEST, fingerprint=True))
        t.check(len(got) == 1 and address(parse(got[0]), XOR_MAPPED) == s.getsockname(),
                f"(e) {'alice' if u is alice else 'bob'}'s voice socket asks STUN first and is answered")
        kinds = u.bind(s)
        t.check(kinds == ["CHALLENGE", "BIND_ACK"], f"(e) then binds its voice address: {kinds}")
    heard = []
    for seq in range(20):
        pkt = vheader(VOICE, alice.session, seq, seq * 960) + struct.pack(">I", seq) + bytes(56)
        sa.sendto(pkt, alice.dst)
        if seq == 10:  # STUN in the middle of the talk, same socket
            sa.sendto(stun(BINDING_REQUEST), alice.dst)
    for d in collect(sb, 1.0):
        if d[0] == 2 and d[1] == VOICE and struct.unpack(">Q", d[2:10])[0] == alice.session:
            heard.append(struct.unpack(">I", d[VHDR:VHDR + 4])[0])
    stun_back = [d for d in collect(sa, 0.5) if parse(d)]
    t.check(sorted(heard) == list(range(20)), f"(e) bob hears all 20 of alice's VOICE packets ({len(heard)})")
    t.check(len(stun_back) == 1, f"(e) and alice's STUN request among them is answered ({len(stun_back)})")
    sc = udp()
    User.counter += 1
    head = vheader(BIND, alice.session) + struct.pack(">Q", User.counter)
    got = ask(sc, ("127.0.0.1", stun_port), head + vmac(alice.key, head), wait=0.5)
    t.check(not got, f"(e) a BIND sent to stun_port gets nothing ({len(got)}): that port is STUN alone")

    # (f) SIGHUP takes new STUN budgets from the config file.
    conf = os.path.join(tmp, "stun.conf")
    with open(conf, "w") as f:
        f.write("stun_burst = 2\nstun_rate = 0.001\n")
    hup = server("--config", conf)
    s1 = udp("127.0.0.40")
    for _ in range(10):
        s1.sendto(stun(BINDING_REQUEST), ("127.0.0.1", hup.udp))
    before = len(collect(s1))
    with open(conf, "w") as f:
        f.write("stun_burst = 6\nstun_rate = 0.001\n")
    hup.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 20
    while "reload: stun_burst changed" not in hup.logtext() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # the relay takes the new budgets at its next wake-up: the reload posts them
    s2 = udp("127.0.0.41")
    for _ in range(10):
        s2.sendto(stun(BINDING_REQUEST), ("127.0.0.1", hup.udp))
    after = len(collect(s2))
    t.check(before == 2 and after == 6, f"(f) stun_burst 2, then 6 after SIGHUP: {before} and {after} answers of 10")

    # (g) A third-party decoder of what parleyd sends: Wireshark's dissector, by tshark.
    if shutil.which("tshark") and os.geteuid() == 0:
        cap, cap_err = os.path.join(tmp, "stun.pcapng"), os.path.join(tmp, "tshark.err")
        with open(cap_err, "w") as err:
            ts = subprocess.Popen(["tshark", "-i", "lo", "-f", f"udp port {srv.udp}", "-w", cap],
                                  stdout=subprocess.DEVNULL, stderr=err)
        procs.append(ts)
        deadline = time.monotonic() + 20
        while "Capture started" not in open(cap_err).read() and time.monotonic() < deadline and ts.poll() is None:
            time.sleep(0.05)
        sg = udp()
        replies = [len(ask(sg, ("127.0.0.1", srv.udp), req)) for req in
                   (stun(BINDING_REQUEST, fingerprint=True), stun(BINDING_REQUEST, classic=True),
                    stun(BINDING_REQUEST, attr(PADDING, bytes(100))))]
        time.sleep(0.5)
        ts.send_signal(signal.SIGINT)
        ts.wait(timeout=20)
        _, text = run(["tshark", "-r", cap, "-d", f"udp.port=={srv.udp},stun", "-V"])
        me = "%s:%d" % sg.getsockname()
        t.check(replies == [1, 1, 1] and text.count("Binding Success Response") == 2 and
                text.count(f"XOR-MAPPED-ADDRESS: {me}") == 2 and "Binding Response (0x0101)" in text and
                "[correct]" in text and "Malformed" not in text and "[incorrect]" not in text,
                f"(g) tshark decodes parleyd's three responses as STUN, {me} in each, FINGERPRINT correct, "
                f"nothing malformed" + ("" if "Binding" in text else f"\n{text[-1500:]}"))
    else:
        print("skip (g): no tshark, or not root (capturing needs it)")

    for s in servers:
        t.check(s.stop() == 0, f"parleyd (udp {s.udp}) shuts down cleanly")
    log = srv.logtext()
    t.check(f"STUN on UDP {stun_port}" in log, "its log says where STUN is served")
finally:
    for n in nats:
        n.stop()
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    for u in users:
        u.raw.close()
    for s in socks:
        s.close()
    for s in servers:
        if s.alive():
            s.stop()
    cleanup(tmp)
    t.finish()
