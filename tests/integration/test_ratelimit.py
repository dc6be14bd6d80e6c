"""Issue 3, item 5, and the other limits: a client flooding messages is refused with its error
while the others' messages still flow; failed logins are limited per account and per address
(before any password is checked); connections are limited per address."""
import struct
import time

import harness

from harness import (finish, ERROR, NO_DEVICE, PROTO, Checks, Client, Raw, Server, cleanup, error_code, frame, s16,
                     tmpdir)

t = Checks("ratelimit")
tmp = tmpdir()
srv = Server(tmp, "--message-burst", "5", "--message-rate", "2", "--login-burst", "3",
             "--login-rate", "0.05", "--login-account-burst", "3", "--login-account-rate", "0.05",
             "--max-connections-per-ip", "6")
clients = []


def client(nick):
    c = Client(tmp, srv, name=nick)
    clients.append(c)
    return c if c.login(nick, f"pw-{nick}-123") else None


try:
    flood, calm, watch = client("flood"), client("calm"), client("watch")
    t.check(flood and calm and watch, "three users online")

    # The flood: 40 messages at once. The burst goes through, the rest is refused with 438.
    for i in range(40):
        flood.send({"cmd": "say", "to": "#Lobby", "text": f"flood {i}", "tag": i + 1})
    sent = refused = 0
    deadline = time.time() + 15
    while sent + refused < 40 and time.time() < deadline:
        ev = flood.expect("sent", timeout=0.2)
        if ev:
            sent += 1
        ev = flood.expect("error", timeout=0.01, code=438)
        if ev:
            refused += 1
    t.check(5 <= sent <= 8 and refused == 40 - sent, f"the flood: {sent} sent, {refused} refused with 438")
    # Meanwhile another user's messages flow, one a second.
    for i in range(3):
        calm.send({"cmd": "say", "to": "#Lobby", "text": f"calm {i}", "tag": i + 1})
        t.check(calm.expect("sent", tag=i + 1) is not None and watch.expect("message", text=f"calm {i}") is not None,
                f"calm message {i} is delivered during the flood")
        time.sleep(0.6)
    # The flooder recovers at the steady rate.
    time.sleep(1.0)
    flood.send({"cmd": "say", "to": "#Lobby", "text": "after the pause", "tag": 99})
    t.check(flood.expect("sent", tag=99) is not None, "after a pause the flooder may talk again")

    # Failed logins per account (the account-wide bucket, set small here): 3 wrong passwords for calm
    # from three different addresses, then the right password from a fourth address is refused too
    # (439), without a password check.
    def login_raw(nick, password, src):
        r = Raw(srv, src=src)
        r.send(frame(1, struct.pack(">H", PROTO) + s16("rawtest")))
        r.until(0x8001)
        r.send(frame(3, s16(nick) + s16(password) + NO_DEVICE))
        f = r.recv_frame(timeout=10)
        while f and f[0] not in (ERROR, 0x8002):
            f = r.recv_frame(timeout=10)
        r.close()
        return "ok" if f and f[0] == 0x8002 else error_code(f[1]) if f else None

    codes = [login_raw("calm", "wrong-password", f"127.0.0.{10 + i}") for i in range(3)]
    t.check(codes == [402, 402, 402], f"three wrong passwords: {codes}")
    t.check(login_raw("calm", "pw-calm-123", "127.0.0.20") == 439,
            "then even the right password is refused for that account (439)")
    # Failed logins per address: 3 unknown accounts from one address, then a fourth is refused.
    codes = [login_raw(f"nobody{i}", "whatever-pw", "127.0.0.30") for i in range(3)]
    last = login_raw("watch", "pw-watch-123", "127.0.0.30")
    t.check(codes == [402, 402, 402] and last == 439, f"per address: {codes} then {last}")
    flood.quit()
    calm.expect("parted", nick="flood")
    t.check(login_raw("flood", "pw-flood-123", "127.0.0.31") == "ok", "another address logs in normally")
    e = calm.expect("error", timeout=0.5)
    t.check(calm.proc.poll() is None and e is None, "the logged-in calm session was never disturbed")

    # Connections per address: 6 allowed from 127.0.0.40, the 7th is turned away before TLS.
    conns = [Raw(srv, src="127.0.0.40") for _ in range(6)]
    t.check(harness.refused(srv, src="127.0.0.40"), "the 7th connection from one address is closed before TLS")
    r = Raw(srv, src="127.0.0.41")
    r.send(frame(1, struct.pack(">H", PROTO) + s16("rawtest")))
    t.check(r.until(0x8001) is not None, "another address is still welcome")
    r.close()
    for c in conns:
        c.close()
finally:
    finish(t, srv, clients, tmp)
