"""Issue 6, defect 4, through real processes: a backlog of messages for an offline user can no
longer lock them out. 2,500 private messages of 1,000 bytes (2.5 MB, more than a client's output
budget of 1 MiB) wait for bob; at login they arrive in pages, each acknowledged by the client
before the next is sent, paced by the socket: every one arrives, in order, once, and bob stays
connected. What waits per recipient is capped: a sender to a full mailbox gets its own error."""
import struct
import time

from harness import (ERROR, SAY, SAY_OK, Checks, Client, Raw, Server, error_code, finish, frame, s16, tmpdir)

N, SIZE = 2500, 1000
t = Checks("offline_backlog")
tmp = tmpdir()
clients = []
srv = Server(tmp, "--message-burst", "100000", "--message-rate", "100000", "--request-burst", "100000",
             "--request-rate", "100000", "--mailbox-max", "3000")


def flood(r, to, n, tag0=0):
    """Sends n private messages, pipelined; returns {tag: id} of those acknowledged and the errors."""
    acked, errors = {}, []
    for i in range(n):
        text = f"{i:05d} " + "x" * (SIZE - 6)
        r.send(frame(SAY, struct.pack(">I", tag0 + i) + s16(to) + s16(text)))
    while len(acked) + len(errors) < n:
        f = r.recv_frame(timeout=30)
        if f is None:
            break
        if f[0] == SAY_OK:
            tag, mid = struct.unpack(">IQ", f[1])
            acked[tag] = mid
        elif f[0] == ERROR:
            errors.append(error_code(f[1]))
            if errors[-1] != 446:
                print(f"   an ERROR other than 446: {f[1]!r}", flush=True)
    return acked, errors


try:
    b = Client(tmp, srv, name="b")
    clients.append(b)
    t.check(b.login("bob", "password-b") is not None, "bob registers")
    b.quit()
    r = Raw(srv)
    r.hello_login("mallory", "password-m")
    start = time.time()
    acked, errors = flood(r, "bob", N)
    t.check(len(acked) == N and not errors, f"{len(acked)} messages of {SIZE} bytes wait for bob "
                                            f"({time.time() - start:.1f} s to store)")

    b = Client(tmp, srv, "--nick", "bob", name="b")
    clients.append(b)
    t.check(b.expect("logged_in") is not None, "bob logs in (by his device key)")
    got = []
    deadline = time.time() + 120
    while len(got) < N and time.time() < deadline:
        ev = b.expect("message", timeout=10, offline=True)
        if ev is None:
            break
        got.append(int(ev["text"][:5]))
    t.check(got == list(range(N)), f"all {N} arrive, in order, each once: {len(got)} received")
    ends = [e for e in b.seen if e.get("event") == "end" and e.get("about") == "DELIVERED"]
    t.check(b.proc.poll() is None and not any(e.get("event") == "closed" for e in b.seen),
            f"bob is still connected, the backlog crossed in pages ({len(ends)} page ends seen)")
    b.send({"cmd": "say", "to": "bob", "text": "live after the backlog", "tag": 7})
    t.check(b.expect("sent", tag=7) is not None, "and he can talk")
    b.quit()
    b = Client(tmp, srv, "--nick", "bob", name="b")
    clients.append(b)
    b.expect("logged_in")
    t.check(b.expect("message", timeout=2, offline=True) is None, "the next login gets none again: all acknowledged")
    b.quit()

    # The cap: a recipient's mailbox holds mailbox_max messages; the sender of the next is told.
    srv.stop()
    srv = Server(tmp, "--message-burst", "100000", "--message-rate", "100000", "--request-burst", "100000",
                 "--request-rate", "100000", "--mailbox-max", "100", data_dir=srv.data_dir)
    r = Raw(srv)
    r.hello_login("mallory", "password-m", register=False)
    acked, errors = flood(r, "bob", 130)
    t.check(len(acked) == 100 and errors == [446] * 30,
            f"130 to an offline bob with a mailbox of 100: {len(acked)} stored, {len(errors)} refused "
            f"(codes {sorted(set(errors))}, 446 expected)")
    if errors != [446] * 30:
        print("parleyd's log ends:\n" + srv.logtext()[-3000:], flush=True)
    r.close()
    b = Client(tmp, srv, "--nick", "bob", name="b")
    clients.append(b)
    b.expect("logged_in")
    n = 0
    while b.expect("message", timeout=5, offline=True):
        n += 1
    t.check(n == 100, f"bob receives the 100 that were kept: {n}")
finally:
    finish(t, srv, clients, tmp)
