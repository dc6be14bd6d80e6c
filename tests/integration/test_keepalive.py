"""Keepalive: the server PINGs with a random token; a client that answers stays, a connection
that does not is dropped with ERROR 431, its user leaves its rooms, and the others are told.
A connection that never logs in is closed at the login deadline."""
import struct
import time

from harness import ERROR, PING, PARTED, Checks, Client, Raw, Server, cleanup, error_code, tmpdir

t = Checks("keepalive")
tmp = tmpdir()
# info: why a session was closed is logged at info (the default, notice, is quieter).
srv = Server(tmp, "--ping-interval", "200", "--ping-timeout", "400", "--login-timeout", "800", "--log-level", "info")
a = Client(tmp, srv, name="a")
try:
    t.check(a.login("alice", "password-a") is not None, "A logs in")
    r = Raw(srv)
    t.check(r.hello_login("silent", "password-s") is not None, "a raw client logs in")
    p1 = r.recv_frame(timeout=3)
    while p1 and p1[0] != PING:
        p1 = r.recv_frame(timeout=3)
    t.check(p1 is not None and len(p1[1]) == 8, "the server sends PING with an 8-byte token")
    # Never answer: expect ERROR 431, then the close.
    err = None
    deadline = time.time() + 5
    while time.time() < deadline:
        f = r.recv_frame(timeout=1)
        if f is None:
            break
        if f[0] == ERROR:
            err = error_code(f[1])
    t.check(err == 431, f"the silent client is dropped with 431 (got {err})")
    t.check(a.expect("parted", room="#Lobby", nick="silent") is not None, "A is told the silent user left")
    r.close()

    # A real client answers PINGs and stays through many intervals.
    time.sleep(2.0)
    a.send({"cmd": "say", "to": "#Lobby", "text": "still here"})
    t.check(a.expect("message", text="still here") is not None, "A answered PINGs and is still connected")

    r = Raw(srv)
    start = time.time()
    t.check(r.closed(timeout=5) and time.time() - start < 3, "a connection that never logs in is closed")
    r.close()
    t.check("no PONG in time" in srv.logtext(), "the server log says why it dropped the silent client")
finally:
    a.quit()
    t.check(srv.stop() == 0, "parleyd shuts down cleanly")
    cleanup(tmp)
t.finish()
