"""Certificate pinning: the client trusts a server's certificate on first use, recognises it after,
and refuses a changed one with a sentence that says what to do, exiting with status 3. Also the
self-signed certificate made on parleyd's first start, and the connection limit."""
import os

from harness import ERROR, Checks, Client, Raw, Server, cleanup, error_code, refused, tmpdir

t = Checks("tofu")
tmp = tmpdir()
srv = Server(tmp, data_dir=os.path.join(tmp, "d1"))
try:
    t.check(os.path.exists(os.path.join(tmp, "d1", "cert.pem")) and
            oct(os.stat(os.path.join(tmp, "d1", "key.pem")).st_mode & 0o777) == "0o600",
            "first start made a certificate and a private key only its owner can read")
    c = Client(tmp, srv, name="same")
    tr = c.expect("trust")
    t.check(tr is not None and tr["first_use"] and tr["fingerprint"] == srv.fingerprint,
            "first connection pins the server's certificate")
    c.quit()
    c = Client(tmp, srv, name="same")
    tr = c.expect("trust")
    t.check(tr is not None and not tr["first_use"], "second connection recognises it")
    c.quit()

    port = srv.tcp
    srv.stop()
    srv = Server(tmp, data_dir=os.path.join(tmp, "d2"), port=port)
    t.check(srv.fingerprint != tr["fingerprint"], "a second data directory has another certificate")
    c = Client(tmp, srv, name="same")
    e = c.expect("local_error")
    t.check(e is not None and "different certificate" in e["message"] and "known_hosts-same" in e["message"],
            f"a changed certificate is refused with what to do: {e and e['message'][:120]}")
    t.check(c.quit() == 3, "the client exits with status 3")
    t.check(c.expect("welcome", timeout=0.5) is None, "nothing was sent to the impostor")
    srv.stop()

    srv = Server(tmp, "--max-connections", "2", data_dir=os.path.join(tmp, "d3"))
    a = Client(tmp, srv, name="a")
    b = Client(tmp, srv, name="b")
    t.check(a.login("alice", "password-a") is not None and b.login("bob", "password-b") is not None,
            "two clients fill a server limited to 2")
    t.check(refused(srv), "the third is closed at once, before any TLS work")
    a.quit()
    b.expect("parted", nick="alice")
    c = Client(tmp, srv, name="c")
    t.check(c.login("carol", "password-c") is not None, "after one leaves, a new client gets in")
    c.quit()
    b.quit()
finally:
    t.check(srv.stop() == 0, "parleyd shuts down cleanly")
    cleanup(tmp)
t.finish()
