"""Issue 6, defects 5, 6, 7 and 13 (names), through real processes: session ids are 64-bit, random
and never reused, and password work queued for a connection that closed is dropped; the failed-
login limiter takes its token when a login is submitted, so simultaneous guesses cannot all be
checked, and counts per account and address pair so a guesser elsewhere cannot lock the owner
out, while a device-key login is never held back by password guessing; registrations are limited
per address and the password workers' queue is bounded ("busy, retry in N s"); nicknames may not
hold invisible format characters."""
import os
import struct
import threading

from harness import (AUTH_OK, ERROR, NO_DEVICE, PROTO, Checks, Client, Raw, Server, error_code, finish, frame,
                     s16, tmpdir, HELLO, LOGIN, REGISTER, WELCOME)

t = Checks("login_limits")
tmp = tmpdir()
srv = None
clients = []


def answer(r, timeout=20):
    """AUTH_OK -> "ok", else the ERROR code, else None."""
    while True:
        f = r.recv_frame(timeout=timeout)
        if f is None:
            return None
        if f[0] == AUTH_OK:
            return "ok"
        if f[0] == ERROR:
            return error_code(f[1])


def hello(r):
    r.send(frame(HELLO, struct.pack(">H", PROTO) + s16("limits")))
    return r.until(WELCOME) is not None


def login_frame(nick, pw):
    return frame(LOGIN, s16(nick) + s16(pw) + NO_DEVICE)


try:
    srv = Server(tmp, "--login-burst", "3", "--login-rate", "0.01", "--verbose")
    owner = Client(tmp, srv, name="owner")
    clients.append(owner)
    t.check(owner.login("bob", "right-password") is not None, "bob registers (with this device's key)")
    owner.quit()

    # --- Defect 5: ids are 64-bit, random, never reused ---
    ids = []
    for i in range(40):
        r = Raw(srv, src="127.0.0.70")
        cred = r.hello_login(f"idtest{i % 4}", "password-i", register=i < 4)
        if cred:
            ids.append(cred["session"])
        r.close()
    t.check(len(ids) == 40 and len(set(ids)) == 40, f"40 logins, 40 distinct session ids ({len(set(ids))})")
    t.check(any(x >= 2**32 for x in ids), "ids use all 64 bits")
    ordered = sorted(ids)
    gaps = [b - a for a, b in zip(ordered, ordered[1:])]
    t.check(min(gaps) > 2**40, f"and are scattered, not counted (smallest gap {min(gaps):#x})")

    # --- Defect 6: the token is taken when a login is submitted ---
    rs = [Raw(srv, src="127.0.0.71") for _ in range(14)]
    for r in rs:
        hello(r)
    for r in rs:
        r.send(login_frame("bob", "wrong-guess"))
    codes = [answer(r) for r in rs]
    for r in rs:
        r.close()
    t.check(codes.count(402) == 3 and codes.count(439) == 11,
            f"14 simultaneous wrong guesses from one address: {codes.count(402)} checked, {codes.count(439)} refused")
    # ...and per account and address: the owner elsewhere still gets in, by password too.
    r = Raw(srv, src="127.0.0.1")
    hello(r)
    r.send(login_frame("bob", "right-password"))
    t.check(answer(r) == "ok", "while the guesser is refused, the owner's password login from home succeeds")
    r.close()
    r = Raw(srv, src="127.0.0.71")
    hello(r)
    r.send(login_frame("bob", "right-password"))
    t.check(answer(r) == 439, "the guesser's address stays refused, even with the right password (439)")
    r.close()

    # --- Defect 5, second half: queued password work of a closed connection is dropped ---
    srv.stop()
    srv = Server(tmp, "--workers", "1", "--worker-queue", "64", "--verbose", data_dir=srv.data_dir)
    rs = []
    for i in range(20):
        r = Raw(srv, src=f"127.0.1.{i + 1}")
        hello(r)
        rs.append(r)
    for r in rs:
        r.send(login_frame("bob", "wrong-guess"))
    for r in rs:
        r.close()
    r = Raw(srv, src="127.0.0.1")
    hello(r)
    r.send(login_frame("bob", "right-password"))
    t.check(answer(r) == "ok", "after 20 connections closed with their logins queued, a login succeeds")
    r.close()
    dropped = srv.logtext().count("its queued password check dropped")
    t.check(dropped >= 10, f"the queued checks of the closed connections were dropped unworked: {dropped} of 20")

    # --- Defect 7: bounded queue, "busy, retry in N s" ---
    srv.stop()
    srv = Server(tmp, "--workers", "1", "--worker-queue", "2", data_dir=srv.data_dir)
    rs = []
    for i in range(10):
        r = Raw(srv, src=f"127.0.2.{i + 1}")
        hello(r)
        rs.append(r)
    for r in rs:
        r.send(login_frame("bob", "wrong-guess"))
    codes, details = [], []
    for r in rs:
        f = r.until(ERROR, timeout=20)
        codes.append(error_code(f))
        if error_code(f) == 447:
            n = struct.unpack(">H", f[4:6])[0]
            details.append(f[6:6 + n].decode())
        r.close()
    t.check(447 in codes and 402 in codes, f"10 logins at once, one worker, queue of 2: {codes}")
    t.check(details and all(d.startswith("retry in ") and d.endswith(" s") for d in details),
            f"the busy answer says when to retry: {details[:2]}")

    # --- Defect 7: registrations per address ---
    srv.stop()
    srv = Server(tmp, "--register-burst", "3", "--register-rate", "0.001", data_dir=srv.data_dir)
    got = []
    for i in range(4):
        r = Raw(srv, src="127.0.0.72")
        hello(r)
        r.send(frame(REGISTER, s16(f"reg{i}") + s16("password-r") + s16("") + NO_DEVICE))
        got.append(answer(r))
        r.close()
    t.check(got == ["ok", "ok", "ok", 454], f"registrations from one address: {got} (the 4th gets 454)")
    r = Raw(srv, src="127.0.0.73")
    hello(r)
    r.send(frame(REGISTER, s16("reg9") + s16("password-r") + s16("") + NO_DEVICE))
    t.check(answer(r) == "ok", "another address may still register")
    r.close()

    # --- Defect 13: invisible characters in nicknames ---
    for what, nick in (("a zero-width space", "bo\u200bb"), ("a right-to-left override", "\u202ebob"),
                       ("a zero-width joiner", "b\u200dob"), ("a word joiner", "bob\u2060")):
        r = Raw(srv, src="127.0.0.74")
        hello(r)
        r.send(frame(REGISTER, s16(nick) + s16("password-r") + s16("") + NO_DEVICE))
        t.check(answer(r) == 423, f"a nickname with {what} is refused (423)")
        r.close()

    # --- The owner with a device is never locked out by guessing ---
    srv.stop()
    srv = Server(tmp, "--login-burst", "3", "--login-rate", "0.001", "--login-account-burst", "5",
                 "--login-account-rate", "0.001", data_dir=srv.data_dir)
    for src in ("127.0.0.75", "127.0.0.76"):
        for _ in range(3):
            r = Raw(srv, src=src)
            hello(r)
            r.send(login_frame("bob", "wrong-guess"))
            answer(r)
            r.close()
    r = Raw(srv, src="127.0.0.1")
    hello(r)
    r.send(login_frame("bob", "right-password"))
    t.check(answer(r) == 439, "guesses from several addresses drain the account's slow bucket: password logins wait")
    r.close()
    owner = Client(tmp, srv, "--nick", "bob", name="owner")
    clients.append(owner)
    t.check(owner.expect("logged_in") is not None, "but bob's device logs in by its key, as if nothing happened")
finally:
    finish(t, srv, clients, tmp)
