"""Issue 2, item 5, and the account rules around it: a nickname already taken and a wrong
password each give a distinct numbered error with a readable sentence, in the JSON mode and in
the line mode a person uses; accounts persist across a restart; the protocol's other login
errors (bad nickname, short password, double login, wrong version, requests before login)."""
import struct
import time

from harness import (ERROR, HELLO, NO_DEVICE, PROTO, SAY, Checks, Client, Raw, Server, cleanup, error_code, frame,
                     s16, tmpdir)

t = Checks("auth")
tmp = tmpdir()
srv = Server(tmp)
clients = []


def client(**kw):
    c = Client(tmp, srv, name=f"c{len(clients)}", **kw)
    clients.append(c)
    return c


try:
    a = client()
    t.check(a.login("alice", "right-password") is not None, "alice registers")

    b = client()
    b.expect("welcome")
    b.send({"cmd": "register", "nick": "alice", "password": "another-pass"})
    taken = b.expect("error")
    t.check(taken is not None and taken["code"] == 401 and taken["name"] == "NICK_TAKEN",
            f"registering a taken nickname: {taken}")
    b.send({"cmd": "register", "nick": "ALICE", "password": "another-pass"})
    e = b.expect("error")
    t.check(e is not None and e["code"] == 401, "nicknames are taken regardless of case")
    b.send({"cmd": "login", "nick": "alice", "password": "wrong-password"})
    wrong = b.expect("error")
    t.check(wrong is not None and wrong["code"] == 402 and wrong["name"] == "AUTH_FAILED",
            f"wrong password: {wrong}")
    t.check(taken and wrong and taken["message"] != wrong["message"] and "nickname" in taken["message"]
            and "password" in wrong["message"], "the two errors have distinct sentences")
    b.send({"cmd": "login", "nick": "nobody", "password": "whatever-pass"})
    e = b.expect("error")
    t.check(e is not None and e["code"] == 402, "an unknown account is refused like a wrong password")
    b.send({"cmd": "login", "nick": "alice", "password": "right-password"})
    t.check(b.expect("logged_in", nick="alice") is not None,
            "logging in again to one account replaces the session it had (a client that reconnects)")
    e = a.expect("error")
    t.check(e is not None and e["code"] == 407 and "another connection" in e.get("detail", "")
            and a.expect("closed") is not None, f"the old session is told why and closed: {e}")
    b.quit()
    a = client()
    t.check(a.login("alice", "right-password", register=False) is not None, "alice logs in again")
    b = client()
    b.expect("welcome")
    b.send({"cmd": "register", "nick": "bad\"nick", "password": "whatever-pass"})
    e = b.expect("local_error")
    t.check(e is not None and "Nicknames" in e["message"], "the client explains nickname rules before sending")

    # The line mode, as a person sees it.
    h = client(json_mode=False)
    h.expect("line", timeout=10)  # the welcome line

    def said(text, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(text in line for line in h.lines):
                return True
            time.sleep(0.05)
        return False

    h.send("/login alice not-her-password")
    t.check(said("! Error 402 AUTH_FAILED: The nickname or the password is wrong"),
            "line mode prints the wrong-password sentence")
    h.send("/register alice some-password")
    t.check(said("! Error 401 NICK_TAKEN: That nickname already has an account"),
            "line mode prints the taken-nickname sentence")
    h.send("/frobnicate")
    t.check(said("Unknown command /frobnicate; type /help for the list."), "line mode explains an unknown command")
    h.send("hello?")
    t.check(said("Log in first: /login NICK PASSWORD"), "line mode says to log in when text is typed before login")
    t.check(h.quit() == 0, "line mode /quit exits 0")

    # Protocol-level rules, spoken raw.
    r = Raw(srv)
    r.send(frame(HELLO, struct.pack(">H", 99) + s16("future client")))
    p = r.until(ERROR)
    t.check(error_code(p) == 422 and r.closed(), "an incompatible protocol version: 422 and closed")
    r.close()
    r = Raw(srv)
    r.send(frame(HELLO, struct.pack(">H", PROTO) + s16("raw")))
    r.send(frame(SAY, struct.pack(">I", 1) + s16("#Lobby") + s16("hi")))
    t.check(error_code(r.until(ERROR)) == 425, "a message before login: 425")
    r.send(frame(2, s16("has space") + s16("long-enough") + s16("") + NO_DEVICE))
    t.check(error_code(r.until(ERROR)) == 423, "registering an invalid nickname: 423")
    r.send(frame(2, s16("shorty") + s16("short") + s16("") + NO_DEVICE))
    t.check(error_code(r.until(ERROR)) == 424, "registering a 5-character password: 424")
    r.close()

    # Accounts survive a restart of the server.
    a.quit()
    srv.stop()
    srv = Server(tmp, data_dir=srv.data_dir)
    c = client()
    t.check(c.login("alice", "right-password", register=False) is not None, "alice logs in after a restart")
finally:
    for c in clients:
        c.quit()
    t.check(srv.stop() == 0, "parleyd shuts down cleanly")
    cleanup(tmp)
t.finish()
