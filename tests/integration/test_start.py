"""Issue 10, server operations: starting and stopping as a service does. A start that fails
because a port (TCP, UDP or metrics) is taken leaves no data directory, certificate or database
behind; one that fails later (the admin socket cannot be made) removes what it had made, and
leaves a data directory that was there before as it was. Under systemd's Type=notify, parleyd
sends READY=1 once it serves, RELOADING=1 (with MONOTONIC_USEC) and READY=1 around a SIGHUP, and
STOPPING=1 on SIGTERM, to a path or an abstract $NOTIFY_SOCKET."""
import os
import signal
import socket
import subprocess

from harness import PARLEYD, Checks, Server, cleanup, tmpdir

t = Checks("start")
tmp = tmpdir()
srv = None


def start(data_dir, *args):
    return subprocess.run([PARLEYD, "--listen", "127.0.0.1", "--data-dir", data_dir, *args],
                          capture_output=True, text=True, timeout=30)


def taken(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    if kind == socket.SOCK_STREAM:
        s.listen(1)
    return s, s.getsockname()[1]


try:
    # --- ports first, files after ---
    for what, kind, args in (("TCP", socket.SOCK_STREAM, lambda p: ["--port", str(p), "--udp-port", "0"]),
                             ("UDP", socket.SOCK_DGRAM, lambda p: ["--port", "0", "--udp-port", str(p)]),
                             ("metrics", socket.SOCK_STREAM,
                              lambda p: ["--port", "0", "--udp-port", "0", "--metrics-listen", f"127.0.0.1:{p}"])):
        s, port = taken(kind)
        d = os.path.join(tmp, f"fresh-{what}", "data")
        p = start(d, *args(port))
        s.close()
        t.check(p.returncode == 1 and str(port) in p.stderr, f"{what} port {port} in use: exit 1, {p.stderr.strip()[:120]}")
        t.check(not os.path.exists(os.path.dirname(d)), f"... and no data directory was made ({what})")

    # A failure after the data directory was made: what was made goes again.
    d = os.path.join(tmp, "late", "a", "data")
    p = start(d, "--port", "0", "--udp-port", "0", "--admin-socket", os.path.join(tmp, "missing", "admin.sock"))
    t.check(p.returncode == 1 and "Cannot make the admin socket" in p.stderr, f"the admin socket fails: {p.stderr.strip()}")
    t.check(not os.path.exists(os.path.join(tmp, "late")), "the directories, certificate and database made are removed")
    # A data directory that was there keeps what it had.
    d = os.path.join(tmp, "kept")
    srv = Server(tmp, data_dir=d)
    fp = srv.fingerprint
    srv.stop()
    before = sorted(os.listdir(d))
    p = start(d, "--port", "0", "--udp-port", "0", "--admin-socket", os.path.join(tmp, "missing", "admin.sock"))
    t.check(p.returncode == 1 and sorted(os.listdir(d)) == before, f"an existing data directory is left as it was: {before}")
    srv = Server(tmp, data_dir=d)
    t.check(srv.fingerprint == fp, "and its certificate still serves")
    srv.stop()
    srv = None

    # --- Type=notify ---
    for label, addr in (("a path", os.path.join(tmp, "notify.sock")), ("the abstract namespace", f"\0parley-{os.getpid()}")):
        ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        ns.bind(addr)
        ns.settimeout(10)
        env = dict(os.environ, NOTIFY_SOCKET=addr if addr[0] != "\0" else "@" + addr[1:])
        srv = Server(tmp, data_dir=os.path.join(tmp, "notify"), env=env)

        def recv():
            try:
                return ns.recv(4096).decode()
            except socket.timeout:
                return ""

        msg = recv()
        t.check("READY=1" in msg.splitlines(), f"{label}: READY=1 once it serves ({msg!r})")
        srv.proc.send_signal(signal.SIGHUP)
        msg1, msg2 = recv(), recv()
        t.check("RELOADING=1" in msg1.splitlines() and "MONOTONIC_USEC=" in msg1 and "READY=1" in msg2.splitlines(),
                f"{label}: SIGHUP sends RELOADING=1 then READY=1 ({msg1!r}, {msg2!r})")
        srv.proc.send_signal(signal.SIGTERM)
        msg = recv()
        t.check("STOPPING=1" in msg.splitlines(), f"{label}: SIGTERM sends STOPPING=1 ({msg!r})")
        try:
            code = srv.proc.wait(timeout=15)  # not srv.stop(): a second SIGTERM would cut the shutdown short
        except subprocess.TimeoutExpired:
            code = None
        srv.stop()
        t.check(code == 0, f"{label}: and it exits cleanly ({code})")
        srv = None
        ns.close()
    p = subprocess.run([PARLEYD, "--listen", "127.0.0.1", "--port", "0", "--udp-port", "0", "--data-dir",
                        os.path.join(tmp, "nonotify"), "--help"], capture_output=True, text=True,
                       env=dict(os.environ, NOTIFY_SOCKET=""))
    t.check(p.returncode == 0, "an empty NOTIFY_SOCKET is no systemd, not an error")
finally:
    if srv is not None:
        srv.stop()
    cleanup(tmp)
t.finish()
