"""Issue 9, rendezvous by room code (seed 003): two people with no account meet through parleyd by a
short code, check it end to end with SPAKE2, exchange device keys under it and punch a direct path.

Real parleyd and parley processes on loopback:

(a) Two clients with no account: A asks for a code (`parley --rendezvous`), B joins it
    (`parley --rendezvous CODE`); each gets the other's address (public as parleyd saw it from the
    token datagram, and private), both confirmations pass, each holds the other's device key (A's
    view of B's key is B's own and the other way round), and a direct path answers on both sides.
    Then they talk with no server in between (direct mode, on the punched port): each has the other
    as a verified contact in its encrypted book, A calls, B's client answers the key the code
    verified, both show the same code and "verified", A talks with a test sentence and B's recording
    matches it (the same thresholds reject a sentence not said; --jitter 3). Both exit 0. parleyd's
    log names no device key: it only carried the exchange.
(b) Each failure has its own error, number and sentence: a third person joining the used code
    (460 taken); a code never made (461 unknown); a code nobody joined within rendezvous_ttl (its
    opener gets 463, peer never came) and then joined too late (462 expired).
(c) A wrong code fails the key exchange on both sides: a man in the middle (this test, holding two
    raw connections, as a server that paired two people with different codes would) carries A's
    messages for code 1 to C, who has code 2, and back. Both say so in a sentence, save nothing and
    exit 1.
(d) The guess limit: wrong codes from one address are answered 461 up to rendezvous_guesses, then
    464 (even for a right code); another address is still answered; a parley client over the
    limit shows 464 too. Asking for codes is limited per address as well (438 past
    rendezvous_open_burst).
(e) The token datagram gets no answer at all (nothing to amplify), and rendezvous messages need no
    login (they work right after HELLO; before HELLO they are refused).
(g) The relay for a pair whose punching failed, without root: two raw sides meet, one RDV_RELAY
    alone gets no answer, both get RDV_RELAYED once the other asks too, and then parleyd's voice port
    carries each side's datagrams unchanged to the other's public address and a stranger's to
    nobody (RDV_RELAY before anyone joined gets 430; a side whose UDP address is not its
    connection's own gets 444, so a forged token datagram cannot aim the relay at someone else). test_rendezvous_lab.py calls through it.
(f) Over IPv6 (where the machine has ::1): a parleyd on [::1] brings two clients together the same way,
    and they call over the punched IPv6 path (with no passphrase, so no contacts book: the call goes to
    the punched address, and each is told the contact was not kept).
"""
import os
import queue
import socket
import struct
import subprocess
import threading
import time

from harness import (MAX_LSD, MIN_SEGSNR, PARLEY, Checks, Client, Raw, Server, audiocmp, cleanup, error_code, frame,
                     heard, record_talk, s16, speech_wav, tmpdir)

RDV_OPEN, RDV_JOIN, RDV_SEND, RDV_RELAY = 0x0025, 0x0026, 0x0027, 0x0029
RDV_CODE, RDV_PEER, RDV_DATA, RDV_RELAYED, ERROR = 0x801C, 0x801D, 0x801E, 0x8020, 0x8009
TAKEN, UNKNOWN, EXPIRED, NO_PEER, GUESSES = 460, 461, 462, 463, 464


def rdv_code(payload):
    """code, token, udp_port, ttl of an RDV_CODE payload"""
    n = struct.unpack(">H", payload[:2])[0]
    code, tok = payload[2:2 + n].decode(), payload[2 + n:18 + n]
    udp, ttl = struct.unpack(">HI", payload[18 + n:24 + n])
    return code, tok, udp, ttl


def raw_datagram(srv, tok):
    """Sends the token datagram from a fresh socket; returns the socket (to read any answer)."""
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    u.sendto(b"PLRV" + tok, ("127.0.0.1", srv.udp))
    return u


def next_of(raw, types, timeout=20):
    """The next frame of one of types: (type, payload), or (None, None)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        f = raw.recv_frame(timeout=max(0.05, deadline - time.time()))
        if f is None:
            return None, None
        if f[0] in types:
            return f
    return None, None


class At(Client):
    """A JSON-mode client of a server at an address of the test's choosing (harness.Client's is
    127.0.0.1)."""

    def __init__(self, tmp, where, *args, name="c"):
        self.name, self.json_mode = name, True
        self.known_hosts = os.path.join(tmp, f"known_hosts-{name}")
        cmd = [PARLEY, "--json", "--known-hosts", self.known_hosts, "--identity",
               os.path.join(tmp, f"identity-{name}"), *args, where]
        env = dict(os.environ)
        env.pop("PARLEY_PASSPHRASE", None)  # no contacts book: (f) calls by address
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        self.events, self.seen, self.lines = queue.Queue(), [], []
        threading.Thread(target=self._read, daemon=True).start()


def ipv6_loopback():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def ended(c, timeout=20):
    try:
        c.proc.wait(timeout=timeout)
    except Exception:
        return None
    return c.proc.returncode


t = Checks("test_rendezvous")
tmp = tmpdir()
srv = srv2 = None
clients = []
try:
    srv = Server(tmp, "--rendezvous-ttl", "3")

    # (a) two clients with no account meet by code
    env_a, env_b = dict(os.environ, PARLEY_PASSPHRASE="alice's long passphrase"), dict(os.environ,
                                                                                      PARLEY_PASSPHRASE="bob's own")
    book_a, book_b = os.path.join(tmp, "a.book"), os.path.join(tmp, "b.book")
    a = Client(tmp, srv, "--rendezvous", "--jitter", "3", "--contacts", book_a, name="a", env=env_a)
    clients.append(a)
    ca = a.expect("rdv_code")
    t.check(ca is not None and ca.get("role") == "opener" and len(ca.get("code", "").split("-")) == 3,
            f"(a) A asks for a room code and gets one to say aloud: {ca and ca.get('code')}")
    code = ca["code"] if ca else "1-acorn-acorn"
    t.check(ca is not None and ca["code"] in ca.get("message", ""), "(a) A is told the code in a sentence")
    b = Client(tmp, srv, "--rendezvous", code, "--jitter", "3", "--contacts", book_b, name="b", env=env_b)
    clients.append(b)
    cb = b.expect("rdv_code")
    t.check(cb is not None and cb.get("role") == "joiner" and cb.get("code") == code, "(a) B joins that code")
    pa, pb = a.expect("rdv_peer"), b.expect("rdv_peer")
    t.check(pa is not None and pb is not None and pa.get("public", "").startswith("127.0.0.1:")
            and pb.get("public", "").startswith("127.0.0.1:"),
            f"(a) each learns the other's public address: {pa and pa.get('public')}, {pb and pb.get('public')}")
    va, vb = a.expect("rdv_verified"), b.expect("rdv_verified")
    t.check(va is not None and vb is not None, "(a) the key exchange succeeds on both sides")
    if va and vb:
        t.check(va["fingerprint"] == vb["own_fingerprint"] and vb["fingerprint"] == va["own_fingerprint"],
                f"(a) each holds the other's own device key: {va['fingerprint']} / {vb['fingerprint']}")
        t.check(va["fingerprint"] != vb["fingerprint"], "(a) two different devices")
    ra, rb = a.expect("rdv_path"), b.expect("rdv_path")
    t.check(ra is not None and rb is not None and ra.get("path") and rb.get("path"),
            f"(a) a direct path answers both ways: {ra and ra.get('path')} and {rb and rb.get('path')}")
    if ra and rb and pa and pb:
        t.check(ra["path"] == pa["public"] and rb["path"] == pb["public"],
                "(a) the path is the public address parleyd saw, punched from the same socket")
    # (b) taken: a third person joins the used code (while parleyd remembers it: rendezvous_ttl)
    c = Client(tmp, srv, "--rendezvous", code, name="c")
    clients.append(c)
    e = c.expect("error")
    t.check(e is not None and e.get("code") == TAKEN and e.get("name") == "RDV_TAKEN",
            f"(b) a third person joining a used code gets 460 taken: {e}")
    t.check(e is not None and "only once" in e.get("message", ""), "(b) ... with a sentence saying what to do")
    t.check(ended(c) == 1, "(b) ... and the client ends with status 1")

    # ... and talk, with no server in between
    da, db = a.expect("direct_ready"), b.expect("direct_ready")
    t.check(da is not None and db is not None and pb and pa and str(da.get("port")) == pb["public"].split(":")[-1]
            and str(db.get("port")) == pa["public"].split(":")[-1],
            "(a) both go on in direct mode on the UDP port the rendezvous punched")
    sa, sb = a.expect("contact_saved"), b.expect("contact_saved")
    t.check(sa is not None and sb is not None and sa.get("verified") == "yes" and sb.get("verified") == "yes"
            and va and vb and sa.get("fingerprint") == va["fingerprint"] and sb.get("fingerprint") == vb["fingerprint"]
            and sa.get("name") == code,
            f"(a) each saves the other as a verified contact, named by the code: {sa and sa.get('message')}")
    for book in (book_a, book_b):
        raw = open(book, "rb").read() if os.path.exists(book) else b""
        t.check(raw and code.encode() not in raw and b"127.0.0.1" not in raw,
                f"(a) {os.path.basename(book)} holds neither the contact's name nor its address in clear")
    ca_, cb_ = a.expect("call_state", state="active"), b.expect("call_state", state="active")
    t.check(ca_ is not None and cb_ is not None and ca_["call"] == cb_["call"],
            "(a) A calls B by the new contact, and B's client answers the key the code verified")
    qa, qb = a.expect("sas"), b.expect("sas")
    t.check(qa and qb and qa["sas"] == qb["sas"] and qa.get("verified") == "yes" and qb.get("verified") == "yes",
            f"(a) both show the same code, and the other's device as verified: {qa and qa['sas']}")
    speech = speech_wav(tmp, "speech-a", "The quick brown fox jumps over the lazy dog, twice.")
    other = speech_wav(tmp, "speech-x", "Seven silver spoons sat quietly on a wooden shelf.")
    rec = os.path.join(tmp, "b-heard.wav")
    sent = record_talk(a, b, speech, rec)
    t.check(sent and sent.get("frames", 0) > 100, f"(a) A talked: {sent}")
    ok, res = heard(speech, rec)
    print(f"measured: B heard A over the punched path: delay {res.get('delay_ms')} ms, segSNR "
          f"{res.get('segsnr_db')} dB, LSD {res.get('lsd_db')} dB")
    t.check(ok, f"(a) B's recording matches A's sentence (segSNR >= {MIN_SEGSNR}, LSD <= {MAX_LSD}): {res}")
    rc, res = audiocmp("--ref", other, "--test", rec, "--opus-ref", "--min-segsnr", MIN_SEGSNR, "--max-lsd", MAX_LSD)
    t.check(rc == 1, f"(a) the same thresholds reject a sentence that was not said: {res}")
    a.send({"cmd": "hangup"})
    t.check(b.expect("call_state", state="ended") is not None, "(a) A hangs up, and the call ends on B's side too")
    a.send({"cmd": "quit"})
    b.send({"cmd": "quit"})
    t.check(ended(a) == 0 and ended(b) == 0, "(a) both clients end with status 0")
    log = srv.logtext()
    t.check(va is None or (va["peer_key"] not in log and vb["peer_key"] not in log),
            "(a) parleyd's log names neither device key (it only carried the exchange)")

    # (b) unknown
    d = Client(tmp, srv, "--rendezvous", "42-zebra-zipper" if code != "42-zebra-zipper" else "43-zebra-zipper",
               name="d")
    clients.append(d)
    e = d.expect("error")
    t.check(e is not None and e.get("code") == UNKNOWN, f"(b) a code never made gets 461 unknown: {e}")
    t.check(ended(d) == 1, "(b) ... and the client ends with status 1")

    # (b) never came, then expired (rendezvous_ttl 3 s here)
    f = Client(tmp, srv, "--rendezvous", name="f")
    clients.append(f)
    cf = f.expect("rdv_code")
    t0 = time.monotonic()
    e = f.expect("error", timeout=15)
    waited = time.monotonic() - t0
    t.check(e is not None and e.get("code") == NO_PEER and e.get("about") == "RDV_OPEN",
            f"(b) a code nobody joins: its opener gets 463 peer never came after {waited:.1f} s: {e}")
    t.check(2.5 < waited < 6, "(b) ... after rendezvous_ttl (3 s), not before")
    t.check(ended(f) == 1, "(b) ... and the client ends with status 1")
    g = Client(tmp, srv, "--rendezvous", cf["code"] if cf else "1-acorn-acorn", name="g")
    clients.append(g)
    e = g.expect("error")
    t.check(e is not None and e.get("code") == EXPIRED, f"(b) joining it afterwards gets 462 expired: {e}")
    t.check(ended(g) == 1, "(b) ... and the client ends with status 1")

    # (e) the messages need HELLO but no login; the datagram gets no answer
    r = Raw(srv)
    r.send(frame(RDV_OPEN, s16("")))
    ty, p = next_of(r, (RDV_CODE, ERROR))
    t.check(ty == ERROR and error_code(p) == 430, "(e) before HELLO, RDV_OPEN is refused (430)")
    r.hello()
    r.send(frame(RDV_OPEN, s16("192.168.1.2:4000")))
    ty, p = next_of(r, (RDV_CODE, ERROR))
    t.check(ty == RDV_CODE, "(e) after HELLO, with no login, RDV_OPEN gets a code")
    if ty == RDV_CODE:
        rcode, tok, udp, ttl = rdv_code(p)
        t.check(udp == srv.udp and ttl == 3, f"(e) it names the voice port and the ttl ({udp}, {ttl} s)")
        u = raw_datagram(srv, tok)
        u.settimeout(1.0)
        try:
            got = u.recv(2048)
        except socket.timeout:
            got = None
        t.check(got is None, "(e) the token datagram gets no answer at all")
        u.close()
        r.send(frame(RDV_OPEN, s16("")))
        ty, p = next_of(r, (RDV_CODE, ERROR))
        t.check(ty == ERROR and error_code(p) == 466, "(e) a second RDV_OPEN on the same connection: 466 busy")
        r.send(frame(RDV_RELAY, b""))
        ty, p = next_of(r, (RDV_RELAYED, ERROR))
        t.check(ty == ERROR and error_code(p) == 430, "(e) RDV_RELAY before anyone joined: 430, nothing relayed")
    r.close()

    # (g) the relay for a pair whose punching failed: both ask RDV_RELAY, both are told RDV_RELAYED,
    # and parleyd's voice port carries each side's datagrams, unchanged, to the other's public
    # address (the one its token datagram came from), and nobody else's
    o, j = Raw(srv), Raw(srv)
    o.hello()
    j.hello()
    o.send(frame(RDV_OPEN, s16("")))
    _, po = next_of(o, (RDV_CODE,))
    j.send(frame(RDV_JOIN, s16(rdv_code(po)[0] if po else "") + s16("")))
    _, pj = next_of(j, (RDV_CODE,))
    uo, uj = raw_datagram(srv, rdv_code(po)[1] if po else b""), raw_datagram(srv, rdv_code(pj)[1] if pj else b"")
    met = next_of(o, (RDV_PEER,))[0] == RDV_PEER and next_of(j, (RDV_PEER,))[0] == RDV_PEER
    t.check(met, "(g) two raw sides meet (RDV_PEER on both)")
    o.send(frame(RDV_RELAY, b""))
    ty, _ = next_of(o, (RDV_RELAYED, ERROR), timeout=1)
    t.check(ty is None, "(g) one side's RDV_RELAY alone gets no answer yet")
    j.send(frame(RDV_RELAY, b""))
    t.check(next_of(o, (RDV_RELAYED,))[0] == RDV_RELAYED and next_of(j, (RDV_RELAYED,))[0] == RDV_RELAYED,
            "(g) when the other side asks too, both are told RDV_RELAYED")

    def got(u, timeout=2.0):
        u.settimeout(timeout)
        try:
            return u.recvfrom(2048)
        except socket.timeout:
            return None, None
    time.sleep(0.2)  # the relay thread takes the pair from its queue at its next wake-up
    uo.sendto(b"\x02any bytes at all", ("127.0.0.1", srv.udp))
    d, src = got(uj)
    t.check(d == b"\x02any bytes at all" and src == ("127.0.0.1", srv.udp),
            f"(g) a datagram from one side reaches the other unchanged, from parleyd's voice port: {d} {src}")
    uj.sendto(b"back", ("127.0.0.1", srv.udp))
    d, _ = got(uo)
    t.check(d == b"back", f"(g) and the other way: {d}")
    stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stranger.bind(("127.0.0.1", 0))
    stranger.sendto(b"not paired", ("127.0.0.1", srv.udp))
    t.check(got(uj, 1.0)[0] is None and got(uo, 0.2)[0] is None,
            "(g) a datagram from an address in no pair goes to neither side")
    for s_ in (o, j, uo, uj, stranger):
        s_.close()
    # (g) a token datagram from an address that is not the connection's own (here its TCP comes
    # from 127.0.0.2, its UDP from 127.0.0.1, as a forged source would): no relay, 444
    o, j = Raw(srv, src="127.0.0.2"), Raw(srv)
    o.hello()
    j.hello()
    o.send(frame(RDV_OPEN, s16("")))
    _, po = next_of(o, (RDV_CODE,))
    j.send(frame(RDV_JOIN, s16(rdv_code(po)[0] if po else "") + s16("")))
    _, pj = next_of(j, (RDV_CODE,))
    uo, uj = raw_datagram(srv, rdv_code(po)[1] if po else b""), raw_datagram(srv, rdv_code(pj)[1] if pj else b"")
    next_of(o, (RDV_PEER,))
    next_of(j, (RDV_PEER,))
    o.send(frame(RDV_RELAY, b""))
    ty, p = next_of(o, (RDV_RELAYED, ERROR))
    t.check(ty == ERROR and error_code(p) == 444,
            "(g) a side whose UDP address is not its connection's is not relayed (444)")
    j.send(frame(RDV_RELAY, b""))
    ty, _ = next_of(j, (RDV_RELAYED, ERROR), timeout=1)
    t.check(ty is None, "(g) ... so the other side's RDV_RELAY pairs it with nobody")
    for s_ in (o, j, uo, uj):
        s_.close()

    # (c) a wrong code: a man in the middle pairs A (code 1) with C (code 2)
    a2 = Client(tmp, srv, "--rendezvous", name="a2")
    clients.append(a2)
    c1 = a2.expect("rdv_code")
    x = Raw(srv)            # joins A's code, as the other person would
    x.hello()
    x.send(frame(RDV_JOIN, s16(c1["code"] if c1 else "") + s16("")))
    _, px = next_of(x, (RDV_CODE,))
    y = Raw(srv)            # opens code 2, which C joins
    y.hello()
    y.send(frame(RDV_OPEN, s16("")))
    _, py = next_of(y, (RDV_CODE,))
    code2 = rdv_code(py)[0] if py else "1-acorn-acorn"
    c2 = Client(tmp, srv, "--rendezvous", code2, name="c2")
    clients.append(c2)
    ux, uy = raw_datagram(srv, rdv_code(px)[1]), raw_datagram(srv, rdv_code(py)[1])
    relayed = 0
    deadline = time.time() + 15
    done = {"a2": None, "c2": None}
    while time.time() < deadline and (done["a2"] is None or done["c2"] is None):
        for src, dst in ((x, y), (y, x)):
            f_ = src.recv_frame(timeout=0.1)
            if f_ and f_[0] == RDV_DATA:
                dst.send(frame(RDV_SEND, f_[1]))
                relayed += 1
        for name, cl in (("a2", a2), ("c2", c2)):
            if done[name] is None:
                ev = cl.expect("rdv_failed", timeout=0.05)
                done[name] = ev if ev else (False if cl.expect("rdv_verified", timeout=0.01) else None)
    t.check(relayed >= 4, f"(c) the man in the middle carried the exchange both ways ({relayed} messages)")
    for name in ("a2", "c2"):
        ev = done[name]
        t.check(bool(ev) and ev.get("reason") == "key_exchange" and "different codes" in ev.get("message", ""),
                f"(c) {name}: the key exchange fails with a sentence: {ev and ev.get('message')}")
    t.check(ended(a2) == 1 and ended(c2) == 1, "(c) both end with status 1, nothing verified")
    for s_ in (x, y, ux, uy):
        s_.close()

    # (d) the guess limit, on a server of its own so (a)-(c) spent nothing of it
    srv2 = Server(tmp, "--rendezvous-guesses", "3", "--rendezvous-guess-rate", "0.0001",
                  "--rendezvous-open-burst", "3", "--rendezvous-open-rate", "0.0001",
                  data_dir=os.path.join(tmp, "data2"))
    o = Raw(srv2)
    o.hello()
    o.send(frame(RDV_OPEN, s16("")))
    _, po = next_of(o, (RDV_CODE,))
    real = rdv_code(po)[0] if po else "1-acorn-acorn"
    g1 = Raw(srv2)
    g1.hello()
    answers = []
    for guess in ("1-acorn-acorn", "2-acorn-acorn", "not a code", "3-acorn-acorn", real):
        if guess == real and real in ("1-acorn-acorn", "2-acorn-acorn", "3-acorn-acorn"):
            continue
        g1.send(frame(RDV_JOIN, s16(guess) + s16("")))
        ty, p = next_of(g1, (RDV_CODE, ERROR))
        answers.append(error_code(p) if ty == ERROR else "code")
    t.check(answers[:3] == [UNKNOWN] * 3, f"(d) the first 3 wrong codes from an address get 461: {answers}")
    t.check(answers[3:] == [GUESSES, GUESSES], f"(d) then 464, even for the right code: {answers[3:]}")
    g2 = Raw(srv2, src="127.0.0.2")
    g2.hello()
    g2.send(frame(RDV_JOIN, s16("4-acorn-acorn") + s16("")))
    ty, p = next_of(g2, (RDV_CODE, ERROR))
    t.check(ty == ERROR and error_code(p) == UNKNOWN, "(d) another address is still answered (461)")
    h = Client(tmp, srv2, "--rendezvous", "5-acorn-acorn", name="h")
    clients.append(h)
    e = h.expect("error")
    t.check(e is not None and e.get("code") == GUESSES and "wrong room codes" in e.get("message", ""),
            f"(d) a client over the limit is told so in a sentence: {e and e.get('message')}")
    # (d) asking for codes is limited per address too: 3 at once here, the first was o's
    opens = []
    for _ in range(3):
        r_ = Raw(srv2)
        r_.hello()
        r_.send(frame(RDV_OPEN, s16("")))
        ty, p = next_of(r_, (RDV_CODE, ERROR))
        opens.append("code" if ty == RDV_CODE else error_code(p))
        r_.close()
    t.check(opens == ["code", "code", 438], f"(d) codes asked for from one address: 3, then 438: {opens}")
    for s_ in (o, g1, g2):
        s_.close()
    t.check(srv2.stop() == 0, "the second parleyd shuts down cleanly")
    srv2 = None

    # (f) IPv6
    if not ipv6_loopback():
        print("skip (f): this machine has no IPv6 loopback (::1)")
    else:
        srv2 = Server(tmp, listen="::1", data_dir=os.path.join(tmp, "data6"))
        where = f"[::1]:{srv2.tcp}"
        a6 = At(tmp, where, "--rendezvous", name="a6")
        clients.append(a6)
        c6 = a6.expect("rdv_code")
        b6 = At(tmp, where, "--rendezvous", c6["code"] if c6 else "1-acorn-acorn", name="b6")
        clients.append(b6)
        p6a, p6b = a6.expect("rdv_peer"), b6.expect("rdv_peer")
        t.check(p6a is not None and p6b is not None and p6a.get("public", "").startswith("[::1]:"),
                f"(f) over IPv6 each learns the other's address: {p6a and p6a.get('public')}")
        v6a, v6b = a6.expect("rdv_path"), b6.expect("rdv_path")
        t.check(v6a is not None and v6b is not None and v6a.get("path", "").startswith("[::1]:")
                and v6b.get("path", "").startswith("[::1]:"),
                f"(f) and punch a direct IPv6 path: {v6a and v6a.get('path')}, {v6b and v6b.get('path')}")
        ns6 = a6.expect("contact_not_saved")
        t.check(ns6 is not None and "closed" in ns6.get("message", ""),
                f"(f) with no passphrase the contact is not kept, and it says why: {ns6 and ns6.get('message')}")
        c6a, c6b = a6.expect("call_state", state="active"), b6.expect("call_state", state="active")
        t.check(c6a is not None and c6b is not None, "(f) and they call each other over it all the same")
        for cl in (a6, b6):
            cl.send({"cmd": "quit"})
        t.check(ended(a6) == 0 and ended(b6) == 0, "(f) both end with status 0")
        t.check(srv2.stop() == 0, "the IPv6 parleyd shuts down cleanly")
        srv2 = None
finally:
    for cl in clients:
        cl.quit()
    if srv2 is not None:
        srv2.stop()
    if srv is not None:
        t.check(srv.stop() == 0, "parleyd shuts down cleanly")
    cleanup(tmp)
    t.finish()
