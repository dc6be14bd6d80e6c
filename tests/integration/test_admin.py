"""Issue 10, server operations: `parleyd admin` over the owner-only UNIX socket in the data
directory. users lists who is logged in; kick closes a session with ERROR 455 saying an admin did
it; an account ban refuses logins (455, saying until when) and an address ban turns connections
away at accept, both closing the sessions they cover, both surviving a restart, both lifted by
unban, and a ban with a length ends by itself; reset-password prints a new password (or takes one
from stdin) that works where the old one no longer does; delete removes the account and its
devices, contacts, requests, group memberships, waiting messages and private conversations, and
leaves its room messages. Mistakes get a sentence and exit status 1."""
import os
import sqlite3
import stat
import struct
import subprocess
import time

from harness import (ERROR, LOGIN, NO_DEVICE, PARLEYD, SAY, SAY_OK, Checks, Raw, Server, error_code, finish, frame,
                     refused, s16, tmpdir)

CONTACT_ADD, CONTACT_ANSWER, GROUP_CREATE, GROUP_ADD = 0x0C, 0x1D, 0x11, 0x12
CONTACT_ADDED, GROUP, CONTACT_REQUEST = 0x800B, 0x800E, 0x8014

t = Checks("admin")
tmp = tmpdir()
srv = None
raws = []


def admin(*args, stdin=None):
    p = subprocess.run([PARLEYD, "admin", "--data-dir", srv.data_dir, *args], capture_output=True, text=True,
                       input=stdin, timeout=30)
    return p.returncode, p.stdout, p.stderr.strip()


def connect(nick, src="127.0.0.1", register=True, password=None):
    r = Raw(srv, src=src)
    raws.append(r)
    return r, r.hello_login(nick, password or f"password-{nick}", register=register)


def login_code(nick, password, src="127.0.0.1"):
    """The answer to a password login: 0 for AUTH_OK, else the ERROR's code and detail."""
    r = Raw(srv, src=src)
    raws.append(r)
    if r.hello() is None:
        return None, ""
    r.send(frame(LOGIN, s16(nick) + s16(password) + NO_DEVICE))
    while True:
        f = r.recv_frame(timeout=10)
        if f is None:
            return None, ""
        if f[0] == 0x8002:
            r.close()
            return 0, ""
        if f[0] == ERROR:
            n = struct.unpack(">H", f[1][4:6])[0]
            r.close()
            return error_code(f[1]), f[1][6:6 + n].decode()


def closed_with(r, code):
    """The ERROR r got before the server closed it: (code, detail), or None if it stayed open."""
    got = None
    while True:
        f = r.recv_frame(timeout=5)
        if f is None:
            return got
        if f[0] == ERROR and error_code(f[1]) == code:
            n = struct.unpack(">H", f[1][4:6])[0]
            got = (code, f[1][6:6 + n].decode())


def db():
    return sqlite3.connect(f"file:{os.path.join(srv.data_dir, 'parley.db')}?mode=ro", uri=True)


try:
    srv = Server(tmp)
    sock = os.path.join(srv.data_dir, "admin.sock")
    st = os.stat(sock)
    t.check(stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600,
            f"the admin socket is in the data directory, mode {oct(stat.S_IMODE(st.st_mode))}")

    # --- users, kick ---
    a, _ = connect("alice")
    b, _ = connect("bob", src="127.0.0.5")
    rc, out, err = admin("users")
    lines = out.splitlines()
    t.check(rc == 0 and any(l.startswith("alice ") and "127.0.0.1:" in l and "(password)" in l for l in lines)
            and any(l.startswith("bob ") and "127.0.0.5:" in l for l in lines) and "2 logged in" in out,
            f"users lists nick, address, since and device:\n{out}")
    rc, out, err = admin("kick", "bob", "flooding", "the", "lobby")
    t.check(rc == 0 and "closed the session of bob" in out, f"kick bob: {rc} {out.strip()} {err}")
    got = closed_with(b, 455)
    t.check(got is not None and "an administrator closed this session: flooding the lobby" in got[1],
            f"bob gets ERROR 455 saying an admin closed it, and is closed: {got}")
    t.check(login_code("bob", "password-bob", src="127.0.0.5")[0] == 0, "a kicked user may log in again")
    rc, out, err = admin("kick", "nobody")
    t.check(rc == 1 and "Nobody is logged in as 'nobody'" in err, f"kicking nobody: {rc} {err}")

    # --- bans ---
    c, _ = connect("carol")
    rc, out, err = admin("ban", "account", "carol", "1h", "spam")
    t.check(rc == 0 and "carol" in out and "1 session(s) closed" in out, f"ban account carol 1h: {out.strip()} {err}")
    got = closed_with(c, 455)
    t.check(got is not None and "banned until" in got[1] and "spam" in got[1], f"carol's session ends with 455: {got}")
    code, detail = login_code("carol", "password-carol")
    t.check(code == 455 and "banned until" in detail, f"carol's login is refused: {code} {detail}")
    code, _ = login_code("carol", "wrong-password")
    t.check(code == 455, "before any password check: a wrong password gets 455 too")
    d, _ = connect("dave", src="127.0.0.2")
    rc, out, err = admin("ban", "address", "127.0.0.2", "1d")
    t.check(rc == 0 and "127.0.0.2/32" in out, f"ban address 127.0.0.2: {out.strip()} {err}")
    t.check(closed_with(d, 455) is not None, "dave, on that address, is closed with 455")
    t.check(refused(srv, src="127.0.0.2"), "a new connection from 127.0.0.2 is turned away at accept")
    t.check(not refused(srv, src="127.0.0.3"), "127.0.0.3 still gets in")
    rc, out, err = admin("ban", "address", "10.1.0.0/16", "forever")
    t.check(rc == 0 and "10.1.0.0/16" in out, "a range, for ever")
    rc, out, err = admin("bans")
    t.check(rc == 0 and "carol" in out and "127.0.0.2/32" in out and "10.1.0.0/16" in out and "3 ban(s)" in out,
            f"bans lists them:\n{out}")
    rc, out, err = admin("ban", "account", "erin", "2s")
    t.check(rc == 0 and "no account has the nickname erin" in out, "a nickname with no account can be banned")
    r = Raw(srv)
    raws.append(r)
    r.hello()
    r.send(frame(2, s16("erin") + s16("password-erin") + s16("") + NO_DEVICE))
    t.check(error_code(r.until(ERROR)) == 455, "and then nobody can register it")
    time.sleep(2.2)
    t.check(connect("erin")[1] is not None, "a 2 s ban ends by itself: erin registers")
    for bad, want in ((["ban", "account", "carol"], "length"), (["ban", "person", "carol", "1h"], "account NICK"),
                      (["ban", "address", "300.1.1.1", "1h"], "not an IPv4 or IPv6"),
                      (["ban", "account", "carol", "soon"], "length"), (["frobnicate"], "Unknown command"),
                      (["unban", "account", "nobody"], "has no ban")):
        rc, out, err = admin(*bad)
        t.check(rc == 1 and want in err, f"{' '.join(bad)}: {err}")

    # Bans survive a restart.
    for r in raws:
        r.close()
    raws.clear()
    t.check(srv.stop() == 0, "parleyd stops cleanly")
    srv = Server(tmp, data_dir=srv.data_dir)
    t.check(login_code("carol", "password-carol")[0] == 455, "after a restart carol is still banned")
    t.check(refused(srv, src="127.0.0.2"), "and 127.0.0.2 still turned away")
    rc, out, err = admin("unban", "account", "carol")
    t.check(rc == 0 and login_code("carol", "password-carol")[0] == 0, "unban account carol: she logs in")
    rc, out, err = admin("unban", "address", "127.0.0.2")
    t.check(rc == 0 and not refused(srv, src="127.0.0.2"), "unban address 127.0.0.2: it gets in")
    rc, out, err = admin("bans")
    t.check(rc == 0 and "1 ban(s)" in out and "10.1.0.0/16" in out, f"one ban left: {out.strip()}")

    # --- reset-password ---
    rc, out, err = admin("reset-password", "alice")
    new = out.strip()
    t.check(rc == 0 and len(new) == 20 and " " not in new, f"reset-password prints a new password: {new!r} {err}")
    t.check(login_code("alice", "password-alice")[0] == 402, "the old password no longer works")
    t.check(login_code("alice", new)[0] == 0, "the new one does")
    rc, out, err = admin("reset-password", "alice", "-", stdin="typed on stdin\n")
    t.check(rc == 0 and out.strip() == "" and login_code("alice", "typed on stdin")[0] == 0,
            f"reset-password NICK - reads it from stdin, prints nothing: {rc} {out!r} {err}")
    rc, out, err = admin("reset-password", "alice", "-", stdin="short\n")
    t.check(rc == 1 and "8 to 128" in err, f"a too short password is refused: {err}")
    rc, out, err = admin("reset-password", "nobody")
    t.check(rc == 1 and "No account has the nickname 'nobody'" in err, f"no such account: {err}")

    # --- delete ---
    f, _ = connect("frank")
    g, _ = connect("george")
    f.send(frame(CONTACT_ADD, s16("george")))
    g.until(CONTACT_REQUEST)
    g.send(frame(CONTACT_ANSWER, s16("frank") + b"\x01"))
    f.until(CONTACT_ADDED)
    f.send(frame(CONTACT_ADD, s16("alice")))  # a request left waiting
    f.send(frame(GROUP_CREATE, s16("band")))
    gid = struct.unpack(">I", f.until(GROUP)[:4])[0]
    f.send(frame(GROUP_ADD, struct.pack(">I", gid) + s16("george")))
    f.until(GROUP)
    f.send(frame(SAY, struct.pack(">I", 1) + s16("george") + s16("private words")))
    f.until(SAY_OK)
    f.send(frame(SAY, struct.pack(">I", 2) + s16("#Lobby") + s16("said in the lobby")))
    f.until(SAY_OK)
    f.send(frame(SAY, struct.pack(">I", 3) + s16("carol") + s16("waits for carol")))  # carol is offline
    f.until(SAY_OK)
    g.send(frame(SAY, struct.pack(">I", 1) + s16("frank") + s16("a private answer")))
    g.until(SAY_OK)
    rc, out, err = admin("delete", "Frank")
    t.check(rc == 0 and "deleted frank" in out, f"delete Frank (any case): {out.strip()} {err}")
    got = closed_with(f, 455)
    t.check(got is not None and "deleted this account" in got[1], f"frank's session ends with 455: {got}")
    with db() as conn:
        q = lambda sql, *a: conn.execute(sql, a).fetchone()[0]
        t.check(q("SELECT COUNT(*) FROM accounts WHERE nick = 'frank'") == 0, "the account is gone")
        t.check(q("SELECT COUNT(*) FROM contacts WHERE owner = 'frank' OR contact = 'frank'") == 0,
                "its contacts, both ways")
        t.check(q("SELECT COUNT(*) FROM contact_requests WHERE requester = 'frank' OR target = 'frank'") == 0,
                "its contact requests")
        t.check(q("SELECT COUNT(*) FROM group_members WHERE nick = 'frank'") == 0 and
                q("SELECT COUNT(*) FROM group_members WHERE group_id = ?", gid) == 1, "its group memberships (george stays)")
        t.check(q("SELECT COUNT(*) FROM messages WHERE conv LIKE '@%frank%'") == 0, "its private conversations")
        t.check(q("SELECT COUNT(*) FROM pending p JOIN messages m ON m.id = p.msg_id WHERE m.sender = 'frank'") == 0,
                "and what it left waiting for others")
        t.check(q("SELECT COUNT(*) FROM messages WHERE sender = 'frank' AND conv = '#lobby'") == 1,
                "what it said in #Lobby stays")
        t.check(q("SELECT COUNT(*) FROM accounts WHERE nick = 'george'") == 1, "george is untouched")
    t.check(connect("frank", password="a-new-frank")[1] is not None, "the nickname can be registered again")
    rc, out, err = admin("delete", "nobody")
    t.check(rc == 1 and "No account" in err, f"deleting nobody: {err}")

    # --- the command line's own errors ---
    p = subprocess.run([PARLEYD, "admin", "--data-dir", os.path.join(tmp, "none"), "users"], capture_output=True,
                       text=True, timeout=10)
    t.check(p.returncode == 1 and "cannot reach parleyd" in p.stderr and "--data-dir" in p.stderr,
            f"no parleyd there: {p.stderr.strip()}")
    p = subprocess.run([PARLEYD, "admin", "--socket", sock, "help"], capture_output=True, text=True, timeout=10)
    t.check(p.returncode == 0 and "reset-password" in p.stdout and "ban address" in p.stdout, "--socket PATH, help")
    p = subprocess.run([PARLEYD, "admin", "--bogus", "x", "users"], capture_output=True, text=True, timeout=10)
    t.check(p.returncode == 2, "an unknown option: exit status 2")
    t.check(srv.alive(), "parleyd is alive")
finally:
    for r in raws:
        r.close()
    finish(t, srv, [], tmp)
