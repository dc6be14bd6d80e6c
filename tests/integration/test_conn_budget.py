"""Issue 6, defects 1, 2, 3, 10, 11 and the server's part of 13, through real processes: every
connection has one hard deadline from accept, whatever its state; a refused connection is closed
before any TLS work; out of descriptors, parleyd pauses accepting instead of spinning; every frame
(errors included) counts against one output budget and reading stops while output piles up;
nothing after BYE runs; every request type costs from the budget; files are the owner's alone and
one data directory has one parleyd."""
import os
import resource
import socket
import ssl
import stat
import struct
import subprocess
import threading
import time

from harness import (PARLEYD, PONG, PROTO, BYE, HELLO, SAY, DELIVERED, Checks, Client, Raw, Server, error_code,
                     finish, frame, refused, s16, tmpdir, ERROR)

t = Checks("conn_budget")
tmp = tmpdir()
srv = None
clients = []


def tcp(server, src):
    """A plain TCP connection that says nothing: no TLS ClientHello, ever."""
    s = socket.create_connection(("127.0.0.1", server.tcp), timeout=5, source_address=(src, 0))
    s.setblocking(False)
    return s


def closed(sock):
    """True once the peer has closed (EOF or reset); whatever it sent before is read and ignored."""
    try:
        while True:
            if sock.recv(65536) == b"":
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


try:
    # --- Defect 1: one hard deadline from accept; refusals without TLS ---
    srv = Server(tmp, "--login-timeout", "1000", "--max-connections-per-ip", "3")
    socks = [tcp(srv, "127.0.0.50") for _ in range(40)]
    time.sleep(0.5)
    early = sum(closed(s) for s in socks)
    t.check(early == 37, f"40 silent connections from one address, limit 3: {early} closed at once (want 37)")
    deadline = time.time() + 6
    while time.time() < deadline and sum(closed(s) for s in socks) < 40:
        time.sleep(0.1)
    late = sum(closed(s) for s in socks)
    t.check(late == 40, f"the 3 admitted ones, still in their TLS handshake, go at the deadline: {late}/40 closed")
    for s in socks:
        s.close()
    # 63 addresses once held all 1,000 slots; now an address holds 3 at most and not for long.
    a = Client(tmp, srv, name="a")
    clients.append(a)
    t.check(a.login("alice", "password-a") is not None, "a real client from another address still logs in")
    # A half-open TLS handshake (ClientHello sent, nothing more) is closed by the deadline too.
    raw = socket.create_connection(("127.0.0.1", srv.tcp), timeout=5, source_address=("127.0.0.51", 0))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    raw.sendall(out.read())  # the ClientHello, and then nothing more
    raw.setblocking(False)
    start = time.time()
    while time.time() - start < 5 and not closed(raw):
        time.sleep(0.05)
    t.check(closed(raw), f"a connection stuck in its handshake is closed after {time.time() - start:.1f} s")
    raw.close()

    # --- Defect 10: nothing runs after BYE, even frames already read with it ---
    b = Client(tmp, srv, name="b")
    clients.append(b)
    t.check(b.login("bob", "password-b") is not None, "bob is in #Lobby to listen")
    r = Raw(srv, src="127.0.0.52")
    r.hello_login("carol", "password-c")
    r.send(frame(BYE) + frame(SAY, struct.pack(">I", 1) + s16("#Lobby") + s16("said after BYE")))
    t.check(r.closed(timeout=5), "BYE closes the connection")
    t.check(b.expect("message", text="said after BYE", timeout=1.5) is None,
            "a SAY in the same write after BYE is not carried out")
    r.close()
    r = Raw(srv, src="127.0.0.52")
    r.hello_login("dave", "password-d")
    r.send(struct.pack(">IH", 3, HELLO) + frame(SAY, struct.pack(">I", 1) + s16("#Lobby") + s16("after a bad frame")))
    t.check(error_code(r.until(ERROR, timeout=5)) == 420 and r.closed(timeout=5), "a malformed frame: 420 and closed")
    t.check(b.expect("message", text="after a bad frame", timeout=1.5) is None,
            "nor a SAY after a fatal error in the same write")
    r.close()

    # --- Defect 11: every request type costs from the budget (PONG, DELIVERED included) ---
    for name, payload in (("PONG", frame(PONG, struct.pack(">Q", 12345))),
                          ("DELIVERED", frame(DELIVERED, struct.pack(">Q", 1)))):
        r = Raw(srv, src="127.0.0.53")
        r.hello_login(f"fl{name.lower()}", "password-f")
        r.send(payload * 500)
        codes, gone = set(), False
        while True:
            f = r.recv_frame(timeout=5)
            if f is None:
                gone = True
                break
            if f[0] == ERROR:
                codes.add(error_code(f[1]))
        t.check(438 in codes and gone, f"500 {name} frames at once: refused with 438, then dropped ({codes})")
        r.close()
    t.check(srv.alive(), "parleyd is alive")
    srv.stop()
    srv = None

    # --- Defect 3: one output budget for every frame; reading stops while output piles up ---
    srv = Server(tmp, "--request-burst", "1000000", "--request-rate", "1000000",
                 data_dir=os.path.join(tmp, "d3"))
    base_rss = srv.rss_kb()
    r = Raw(srv, src="127.0.0.54")
    r.send(frame(HELLO, struct.pack(">H", PROTO) + s16("ok")))
    r.until(0x8001)
    # Each extra HELLO earns an ERROR (430) back; the client never reads them.
    blob = frame(HELLO, struct.pack(">H", PROTO) + s16("again")) * 20000  # 340 KB of requests
    stop = time.time() + 6
    sent = 0

    def push():
        global sent
        r.sock.settimeout(1)
        while time.time() < stop and sent < 40 * len(blob):
            try:
                r.sock.sendall(blob)
                sent += len(blob)
            except (socket.timeout, ssl.SSLError, OSError):
                break

    th = threading.Thread(target=push)
    th.start()
    th.join(timeout=10)
    grown = srv.rss_kb() - base_rss
    t.check(grown < 16 * 1024, f"a client streaming HELLOs and never reading: parleyd grew {grown} KiB "
                               f"while it sent {sent // 1024} KiB (its reading stopped at the watermark)")
    t.check(sent < 40 * len(blob), f"the sender was held back: {sent // 1024} KiB of {40 * len(blob) // 1024} went out")
    r.close()
    t.check(srv.alive(), "parleyd is alive after the HELLO stream")
    c = Client(tmp, srv, name="c3")
    clients.append(c)
    t.check(c.login("erin", "password-e") is not None, "and serves others")
    srv.stop()
    srv = None

    # --- Defect 2: out of descriptors, accepting pauses instead of spinning ---
    def low_fds():
        resource.setrlimit(resource.RLIMIT_NOFILE, (48, 48))

    srv = Server(tmp, "--max-connections-per-ip", "1000", data_dir=os.path.join(tmp, "d2"), preexec=low_fds)
    held = []
    for i in range(80):  # more than the descriptors left: the rest wait in the backlog
        try:
            held.append(socket.create_connection(("127.0.0.1", srv.tcp), timeout=2, source_address=("127.0.0.55", 0)))
        except OSError:
            break
    time.sleep(0.5)
    cpu0, t0 = srv.cpu_s(), time.time()
    time.sleep(3)
    cpu = srv.cpu_s() - cpu0
    share = cpu / (time.time() - t0)
    t.check(share < 0.3, f"out of descriptors with {len(held)} connections: parleyd used {share:.0%} of a core (no spin)")
    log = srv.logtext()
    lines = sum("cannot accept connections" in line for line in log.splitlines())
    t.check(1 <= lines <= 2, f"the condition is logged once per interval, not per attempt: {lines} line(s)")
    for s in held:
        s.close()
    time.sleep(0.5)
    c = Client(tmp, srv, name="c2")
    clients.append(c)
    t.check(c.login("frank", "password-f") is not None, "descriptors free again: accepting resumed, a client logs in")
    srv.stop()
    srv = None

    # --- Defect 13 (server): files for the owner alone; one parleyd per data directory ---
    d13 = os.path.join(tmp, "d13")
    srv = Server(tmp, data_dir=d13, preexec=lambda: os.umask(0o022))
    modes = {n: stat.S_IMODE(os.stat(os.path.join(d13, n)).st_mode) for n in ("parley.db", "key.pem", "cert.pem")}
    dmode = stat.S_IMODE(os.stat(d13).st_mode)
    t.check(dmode == 0o700 and all(m == 0o600 for m in modes.values()),
            f"with umask 022: data directory {oct(dmode)}, files {[oct(m) for m in modes.values()]}")
    second = subprocess.run([PARLEYD, "--listen", "127.0.0.1", "--port", "0", "--udp-port", "0", "--data-dir", d13],
                            capture_output=True, text=True, timeout=20)
    t.check(second.returncode != 0 and f"process {srv.proc.pid}" in second.stderr and "--data-dir" in second.stderr,
            f"a second parleyd on the same data directory refuses, naming the first: {second.stderr.strip()[:160]}")
finally:
    finish(t, srv, clients, tmp)
