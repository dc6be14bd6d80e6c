"""Issue 6 (defect 8, item 13): the UDP voice relay must not reflect or amplify.

Real parleyd processes on loopback; users log in over TLS with the raw protocol speaker (for the
session id and voice key), then speak the voice protocol by hand from plain UDP sockets, so that
every datagram the relay sends can be counted:

- reflection: sessions that send valid BINDs from a "victim" socket that never answers get it
  nothing but CHALLENGEs, no more bytes than the BINDs, while a real listener hears the talk;
- address move: a new address gets voice only once it answers the CHALLENGE, the old one nothing
  after that;
- budgets: a flooding member gets about burst + rate x time forwarded, and a second talker is
  still heard;
- expiry: a listener whose BINDs stop gets no voice after voice_binding_timeout, and must pass a
  CHALLENGE again; a real client rebinds by itself at its next keepalive;
- PKTINFO: with parleyd on a wildcard address, replies and voice come back from the address the
  client sent to (127.0.0.2 here; all of 127/8 is on lo), for an IPv4 and a dual-stack socket.
"""
import hashlib
import hmac
import os
import socket
import struct
import subprocess
import threading
import time
import traceback

from harness import PARLEYD, Checks, Client, Raw, Server, cleanup, tmpdir

VERSION, HDR = 2, 16
BIND, BIND_ACK, VOICE, CHALLENGE, CONFIRM = 1, 2, 3, 4, 5
BIND_LEN, CHALLENGE_LEN = HDR + 24, HDR + 24


def header(ptype, sender, seq=0, ts=0):
    return struct.pack(">BBQHI", VERSION, ptype, sender, seq, ts)


def mac(key, data):
    return hmac.new(key, data, hashlib.sha256).digest()[:16]


def bind_pkt(sender, counter, key):
    head = header(BIND, sender) + struct.pack(">Q", counter)
    return head + mac(key, head)


def confirm_pkt(sender, counter, cookie, key):
    head = header(CONFIRM, sender) + struct.pack(">Q", counter) + cookie
    return head + mac(key, head)


def voice_pkt(sender, seq, size=60):
    return header(VOICE, sender, seq & 0xffff, seq * 960) + struct.pack(">I", seq) + bytes(size - 4)


def parse(d):
    """(type, sender, seq, payload), or None for what is not a version-2 voice packet."""
    if len(d) < HDR or d[0] != VERSION:
        return None
    _, t, sender, seq, _ = struct.unpack(">BBQHI", d[:HDR])
    return t, sender, seq, d[HDR:]


class Sock:
    """A UDP socket on loopback whose every received datagram is kept (time, source, bytes)."""

    def __init__(self, family=socket.AF_INET, host="127.0.0.1"):
        self.s = socket.socket(family, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.s.bind((host, 0))
        self.s.settimeout(0.05)
        self.got, self.sent_bytes, self.lock = [], 0, threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while self.running:
            try:
                d, a = self.s.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.got.append((time.monotonic(), a, d))

    def send(self, data, dst):
        self.s.sendto(data, dst)
        self.sent_bytes += len(data)

    def items(self):
        with self.lock:
            return list(self.got)

    def wait(self, pred, timeout=3.0, start=0):
        """The first datagram from index start on for which pred(type, sender, seq, payload) holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for t, a, d in self.items()[start:]:
                p = parse(d)
                if p and pred(*p):
                    return t, a, d
            time.sleep(0.005)
        return None

    def voice_from(self, sender, after=0.0):
        """Sequence numbers (from the payload) of the VOICE packets of sender received after time."""
        out = []
        for t, a, d in self.items():
            p = parse(d)
            if p and p[0] == VOICE and p[1] == sender and t >= after:
                out.append(struct.unpack(">I", p[3][:4])[0])
        return out

    def close(self):
        self.running = False
        self.s.close()


class User:
    """A logged-in session (raw TLS) and its voice credentials."""
    counter = int(time.time() * 1000)  # rises across users and runs

    def __init__(self, srv, nick, dst_host="127.0.0.1"):
        self.raw = Raw(srv)
        cred = self.raw.hello_login(nick, "password-" + nick)
        if cred is None:
            raise RuntimeError(f"{nick} could not log in:\n{srv.logtext()[-2000:]}")
        self.session, self.key = cred["session"], cred["key"]
        self.dst = (dst_host, cred["udp"])
        self.seq = 0

    def next_counter(self):
        User.counter += 1
        return User.counter

    def send_bind(self, sock, dst=None):
        c = self.next_counter()
        sock.send(bind_pkt(self.session, c, self.key), dst or self.dst)
        return c

    def bind(self, sock, dst=None, timeout=3.0):
        """BIND, answer the CHALLENGE, wait for the BIND_ACK. Returns (first reply, challenge,
        ack) as Sock items, any of them None when it did not come."""
        dst = dst or self.dst
        start = len(sock.items())
        c = self.send_bind(sock, dst)
        first = sock.wait(lambda t, s, q, p: s == self.session and t in (CHALLENGE, BIND_ACK), timeout, start)
        ch = sock.wait(lambda t, s, q, p: t == CHALLENGE and s == self.session and p[:8] == struct.pack(">Q", c),
                       timeout, start)
        if ch is None:
            return first, None, None
        p = parse(ch[2])
        sock.send(confirm_pkt(self.session, c, p[3][8:24], self.key), dst)
        ack = sock.wait(lambda t, s, q, p: t == BIND_ACK and s == self.session and p[:8] == struct.pack(">Q", c),
                        timeout, start)
        return first, ch, ack

    def talk(self, sock, n, pps=50, size=60, dst=None):
        """n VOICE packets at pps; returns {seq: send time}."""
        sent, t0 = {}, time.monotonic()
        for i in range(n):
            due = t0 + i / pps
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            sent[self.seq] = time.monotonic()
            sock.send(voice_pkt(self.session, self.seq, size), dst or self.dst)
            self.seq += 1
        return sent


def server(tmp, *args):
    """parleyd with room for many logins from 127.0.0.1 and no keepalive in the way."""
    helptext = subprocess.run([PARLEYD, "--help"], capture_output=True, text=True).stdout
    extra = ["--max-connections-per-ip", "64", "--ping-interval", "3600000", "--ping-timeout", "3600000"]
    if "--register-burst" in helptext:
        extra += ["--register-burst", "1000"]
    return Server(tmp, *extra, *args, data_dir=os.path.join(tmp, f"data{len(servers)}"))


def seconds(items):
    return (items[-1][0] - items[0][0]) if len(items) > 1 else 0.0


t = Checks("relay_guard")
tmp = tmpdir()
servers, socks, clients = [], [], []


def sock(*a):
    s = Sock(*a)
    socks.append(s)
    return s


def pktinfo_checks(srv, label, nick, T, Ts):
    """A client sending to 127.0.0.2 must hear everything back from 127.0.0.2:udp."""
    P = User(srv, nick, dst_host="127.0.0.2")
    Ps = sock()
    first, ch, ack = P.bind(Ps)
    want = ("127.0.0.2", srv.udp)
    t.check(ch is not None and ch[1][:2] == want,
            f"{label}: CHALLENGE to a BIND sent to 127.0.0.2 comes from {ch[1][:2] if ch else None} (want {want})")
    t.check(ack is not None and ack[1][:2] == want,
            f"{label}: BIND_ACK comes from {ack[1][:2] if ack else None} (want {want})")
    mark = time.monotonic()
    T.talk(Ts, 25)
    time.sleep(0.3)
    got = [(a[:2], d) for tm, a, d in Ps.items() if tm >= mark and parse(d) and parse(d)[0] == VOICE]
    srcs = sorted({a for a, _ in got})
    t.check(len(got) >= 24 and srcs == [want], f"{label}: forwarded voice ({len(got)} of 25) comes from {srcs}")


try:
    # --- server 1: parleyd on 0.0.0.0, default budgets ---------------------------------------
    srv = server(tmp, "--listen", "0.0.0.0")
    servers.append(srv)
    T, L = User(srv, "talker"), User(srv, "listener")
    Ts, Ls = sock(), sock()
    first, ch, ack = T.bind(Ts)
    t.check(first is not None and parse(first[2])[0] == CHALLENGE and len(first[2]) == CHALLENGE_LEN,
            f"a BIND from a new address is answered with a {CHALLENGE_LEN}-byte CHALLENGE, not a BIND_ACK "
            f"({len(first[2]) if first else None} bytes, type {parse(first[2])[0] if first else None})")
    t.check(ack is not None, "the CONFIRM from that address is answered with BIND_ACK")
    t.check(all(L.bind(Ls)), "a second user binds through the CHALLENGE too")
    start = len(Ls.items())
    L.send_bind(Ls)
    r = Ls.wait(lambda ty, s, q, p: s == L.session and ty in (CHALLENGE, BIND_ACK), 3, start)
    t.check(r is not None and parse(r[2])[0] == BIND_ACK, "a BIND from the proven address is answered with "
            "BIND_ACK at once (a keepalive, no new CHALLENGE)")

    # Reflection: one session points its voice at a victim that never answers.
    A = [User(srv, f"attacker{i}") for i in range(4)]
    V = sock()
    mark = time.monotonic()
    stop = threading.Event()

    def bind_flood(u, victim, n, pps):
        for i in range(n):
            if stop.is_set():
                return
            u.send_bind(victim)
            time.sleep(1 / pps)

    th = threading.Thread(target=bind_flood, args=(A[0], V, 40, 20))
    th.start()
    sent = T.talk(Ts, 100)
    th.join()
    time.sleep(0.4)
    heard = Ls.voice_from(T.session, mark)
    vi = V.items()
    types = sorted({parse(d)[0] if parse(d) else None for _, _, d in vi})
    vbytes = sum(len(d) for _, _, d in vi)
    t.check(len(heard) >= 95, f"the real listener hears the talker meanwhile ({len(heard)} of {len(sent)})")
    t.check(not V.voice_from(T.session), "one session's BINDs from a victim: the victim gets no voice")
    t.check(types in ([], [CHALLENGE]), f"... only CHALLENGEs (types received: {types})")
    t.check(vbytes <= V.sent_bytes, f"... and no more bytes than the BINDs from it ({vbytes} <= {V.sent_bytes}; "
            f"{len(vi)} datagrams for 40 BINDs in {seconds(vi):.1f} s)")
    t.check(len(vi) <= 4 + 2 * 3, f"... and at most the CHALLENGE budget, 4 + 2/s ({len(vi)} in about 2 s)")

    # Several sessions at one victim, at 50 BINDs a second each.
    V2 = sock()
    mark = time.monotonic()
    ths = [threading.Thread(target=bind_flood, args=(a, V2, 75, 50)) for a in A]
    for x in ths:
        x.start()
    sent = T.talk(Ts, 100)
    for x in ths:
        x.join()
    time.sleep(0.4)
    vi = V2.items()
    types = sorted({parse(d)[0] if parse(d) else None for _, _, d in vi})
    vbytes = sum(len(d) for _, _, d in vi)
    per = {a.session: sum(1 for _, _, d in vi if parse(d) and parse(d)[1] == a.session) for a in A}
    t.check(len(Ls.voice_from(T.session, mark)) >= 95, "the real listener still hears the talker")
    t.check(not V2.voice_from(T.session), "4 sessions' BINDs from one victim: the victim gets no voice")
    t.check(types in ([], [CHALLENGE]), f"... only CHALLENGEs (types received: {types})")
    t.check(vbytes <= V2.sent_bytes, f"... no more bytes than the 300 BINDs from it ({vbytes} <= {V2.sent_bytes})")
    t.check(max(per.values()) <= 4 + 2 * 3, f"... at most 4 + 2/s CHALLENGEs per session (per session: "
            f"{sorted(per.values())} for 75 BINDs each in about 2 s)")

    # A key holder cannot finish the proof for the victim: a CONFIRM with a cookie made for its
    # own address, or a made-up one, sent from the victim binds nothing.
    G = User(srv, "forger")  # the attackers above spent their CHALLENGE budget
    Gs, V3 = sock(), sock()
    _, ch, _ = G.bind(Gs, timeout=2)
    c = G.send_bind(V3)
    time.sleep(0.2)
    if ch is not None:
        V3.send(confirm_pkt(G.session, c, parse(ch[2])[3][8:24], G.key), G.dst)
    V3.send(confirm_pkt(G.session, c, bytes(16), G.key), G.dst)
    time.sleep(0.2)
    T.talk(Ts, 25)
    time.sleep(0.3)
    types = sorted({parse(d)[0] for _, _, d in V3.items() if parse(d)})
    t.check(ch is not None and types == [CHALLENGE] and not V3.voice_from(T.session),
            f"a CONFIRM from the victim with another address's cookie or a made-up one binds nothing "
            f"(victim got types {types})")

    # Address move: the binding moves only once the new address answers.
    M = User(srv, "mover")
    S1, S2 = sock(), sock()
    t.check(all(M.bind(S1)), "the mover binds its first socket")
    c = M.send_bind(S2)
    chal = S2.wait(lambda ty, s, q, p: ty == CHALLENGE and s == M.session, 3)
    mark = time.monotonic()
    T.talk(Ts, 50)
    time.sleep(0.3)
    t.check(len(S1.voice_from(T.session, mark)) >= 48 and not S2.voice_from(T.session),
            f"before the new socket answers, voice still goes to the old one "
            f"({len(S1.voice_from(T.session, mark))} of 50) and none to the new one")
    if chal:
        S2.send(confirm_pkt(M.session, c, parse(chal[2])[3][8:24], M.key), M.dst)
    ack = S2.wait(lambda ty, s, q, p: ty == BIND_ACK and s == M.session, 3)
    t.check(ack is not None, "the new socket answers the CHALLENGE and gets BIND_ACK")
    moved = time.monotonic()
    sent = T.talk(Ts, 100)
    time.sleep(0.4)
    new = S2.voice_from(T.session, moved)
    old = [q for q in S1.voice_from(T.session, moved) if q in sent]
    t.check(len(new) >= 95, f"after the move the new socket hears the talker ({len(new)} of 100)")
    t.check(not old, f"... and the old socket gets none of it ({len(old)})")

    pktinfo_checks(srv, "0.0.0.0", "pinfo4", T, Ts)

    # --- server 2: dual-stack wildcard, small budgets -------------------------------------------
    have_v6 = socket.has_ipv6
    try:
        socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).close()
    except OSError:
        have_v6 = False
    PR, PB, BR, BB = 100, 50, 20000, 4000
    srv2 = server(tmp, "--listen", "" if have_v6 else "0.0.0.0", "--voice-packet-rate", str(PR),
                  "--voice-packet-burst", str(PB), "--voice-byte-rate", str(BR), "--voice-byte-burst", str(BB))
    servers.append(srv2)
    F, T2, L2 = User(srv2, "flooder"), User(srv2, "talker2"), User(srv2, "listener2")
    Fs, T2s, L2s = sock(), sock(), sock()
    t.check(all(F.bind(Fs)) and all(T2.bind(T2s)) and all(L2.bind(L2s)), "flooder, talker and listener bind")
    if have_v6:
        pktinfo_checks(srv2, "dual-stack [::]", "pinfo6", T2, T2s)
    else:
        print("skip dual-stack PKTINFO check: no IPv6 here")

    # Packets: 1000 a second for 2 s, 10 times the budget, while a second talker talks at 50.
    out = {}
    th = threading.Thread(target=lambda: out.update(T2.talk(T2s, 100)))
    mark = time.monotonic()
    th.start()
    fsent = F.talk(Fs, 2000, pps=1000)
    th.join()
    dur = time.monotonic() - mark
    time.sleep(0.4)
    got = len(L2s.voice_from(F.session, mark))
    cap = PB + PR * dur
    t.check(got <= cap * 1.1 + 10, f"a flood of {len(fsent)} packets in {dur:.1f} s: the listener gets {got}, "
            f"at most the budget {PB} + {PR}/s x {dur:.1f} s = {cap:.0f} (+10%)")
    t.check(got >= (PB + PR * 2) * 0.6, f"... and the budget's worth does get through ({got})")
    heard2 = len(L2s.voice_from(T2.session, mark))
    t.check(heard2 >= 95, f"the second talker is still heard during the flood ({heard2} of 100)")

    # Bytes: 1000-byte packets at 80 a second (under the packet budget) for 2 s.
    time.sleep(1.0)  # the packet bucket refills
    mark = time.monotonic()
    fsent = F.talk(Fs, 160, pps=80, size=1000)
    dur = time.monotonic() - mark
    time.sleep(0.4)
    got = len(L2s.voice_from(F.session, mark))
    size = HDR + 1000
    cap = (BB + BR * dur) / size
    t.check(got <= cap * 1.1 + 2, f"{len(fsent)} datagrams of {size} bytes in {dur:.1f} s: the listener gets "
            f"{got}, at most the byte budget ({BB} + {BR}/s x {dur:.1f} s) / {size} = {cap:.0f} (+10%)")
    t.check(got >= (BB + BR * 2) / size * 0.6, f"... and the byte budget's worth gets through ({got})")

    # --- server 3: a short binding timeout ------------------------------------------------------
    TIMEOUT_MS = 1500
    srv3 = server(tmp, "--voice-binding-timeout", str(TIMEOUT_MS))
    servers.append(srv3)
    T3, Q, K = User(srv3, "talker3"), User(srv3, "quiet"), User(srv3, "keeper")
    T3s, Qs, Ks = sock(), sock(), sock()
    t.check(all(T3.bind(T3s)) and all(K.bind(Ks)), "talker and a listener that keeps its binding bind")
    _, _, qack = Q.bind(Qs)
    bound_at = qack[0] if qack else time.monotonic()
    stop_ka = threading.Event()

    def keep(pairs):
        while not stop_ka.wait(0.4):
            for u, s in pairs:
                u.send_bind(s)

    # The talker and K keep their bindings (BINDs every 0.4 s, well inside the timeout); Q does not.
    kth = threading.Thread(target=keep, args=([(T3, T3s), (K, Ks)],))
    kth.start()
    sent = T3.talk(T3s, 200)  # 4 s
    time.sleep(0.3)
    qgot = set(Qs.voice_from(T3.session))
    early = [q for q, ts in sent.items() if ts < bound_at + TIMEOUT_MS / 1000 - 0.3]
    late = [q for q, ts in sent.items() if ts > bound_at + TIMEOUT_MS / 1000 + 0.3]
    t.check(len(qgot & set(early)) >= 0.95 * len(early),
            f"a listener that stops its BINDs hears the talk until its binding expires "
            f"({len(qgot & set(early))} of {len(early)})")
    t.check(late and not (qgot & set(late)), f"... and nothing sent after {TIMEOUT_MS} ms without a BIND "
            f"({len(qgot & set(late))} of {len(late)})")
    kgot = len(Ks.voice_from(T3.session))
    t.check(kgot >= 0.95 * len(sent), f"a listener that keeps binding hears all of it ({kgot} of {len(sent)})")
    first, ch, ack = Q.bind(Qs)
    t.check(first is not None and parse(first[2])[0] == CHALLENGE and ack is not None,
            "after expiry the listener's BIND gets a CHALLENGE again, and its CONFIRM a BIND_ACK")
    mark = time.monotonic()
    T3.talk(T3s, 25)
    time.sleep(0.3)
    t.check(len(Qs.voice_from(T3.session, mark)) >= 24, "... and it hears the talk again")

    # A real client: its binding expires after 1.5 s; its 10 s keepalive BIND then gets a
    # CHALLENGE, which it answers, and it hears voice again.
    C = Client(tmp, srv3, name="c")
    clients.append(C)
    t.check(C.login("realclient", "password-real") is not None and C.expect("voice_ready") is not None,
            "a real client logs in and binds (through a CHALLENGE)")
    T3.talk(T3s, 25)
    time.sleep(0.3)
    C.send({"cmd": "stats"})
    before = (C.expect("voice_stats") or {}).get("received", 0)
    t.check(before >= 24, f"it hears the talk ({before} of 25)")
    time.sleep(TIMEOUT_MS / 1000 + 0.2)
    T3.talk(T3s, 25)
    C.send({"cmd": "stats"})
    mid = (C.expect("voice_stats") or {}).get("received", 0)
    t.check(mid == before, f"its binding expired: it hears nothing more ({before} -> {mid})")
    deadline = time.monotonic() + 12
    after = mid
    while time.monotonic() < deadline and after < mid + 20:
        T3.talk(T3s, 25)
        C.send({"cmd": "stats"})
        after = (C.expect("voice_stats") or {}).get("received", 0)
    t.check(after >= mid + 20, f"after its next keepalive it is bound again and hears the talk ({mid} -> {after})")
    stop_ka.set()
    kth.join()
except Exception:  # noqa: BLE001  (report it as a failed check: finish() below exits)
    traceback.print_exc()
    t.check(False, "the test ran to its end")
finally:
    stop_ka = locals().get("stop_ka")
    if stop_ka:
        stop_ka.set()
    for c in clients:
        c.quit()
    for s in socks:
        s.close()
    for srv in servers:
        t.check(srv.stop() == 0, "parleyd shuts down cleanly")
    cleanup(tmp)
    t.finish()
