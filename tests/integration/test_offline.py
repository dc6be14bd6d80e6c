"""Issue 3, item 3: offline delivery. B is offline; A sends 3 messages; B logs in and receives
exactly those 3, in order, marked as having waited; a second login receives none again. Messages
that wait survive a restart of the server."""
import time

from harness import finish, Checks, Client, Server, cleanup, tmpdir

t = Checks("offline")
tmp = tmpdir()
srv = Server(tmp)
clients = []


def login(nick, register=False):
    c = Client(tmp, srv, name=f"{nick}{len(clients)}")
    clients.append(c)
    return c if c.login(nick, f"pw-{nick}-123", register=register) else None


def offline_messages(c, settle=1.5):
    """The offline messages c receives within `settle` seconds of the last one."""
    got = []
    while True:
        ev = c.expect("message", timeout=settle, offline=True)
        if not ev:
            return got
        got.append(ev)


try:
    a = login("alice", register=True)
    b = login("bob", register=True)
    t.check(a is not None and b is not None, "alice and bob registered")
    b.quit()
    a.expect("parted", nick="bob")

    texts = ["first, while you were out", "second: ünïcødé ✓", "third and last"]
    ids = []
    for i, text in enumerate(texts):
        a.send({"cmd": "say", "to": "bob", "text": text, "tag": i + 1})
        ok = a.expect("sent", tag=i + 1)
        t.check(ok is not None, f"message {i + 1} to offline bob is acknowledged")
        ids.append(ok and ok["id"])

    b = login("bob")
    got = offline_messages(b)
    t.check([g["text"] for g in got] == texts, f"bob receives exactly the 3, in order: {[g['text'] for g in got]}")
    t.check([g["id"] for g in got] == ids and all(g["from"] == "alice" for g in got), "with their ids and sender")
    b.send({"cmd": "stats"})  # a round trip: the DELIVERED acks have reached the server
    b.expect("local_error")
    b.quit()

    b = login("bob")
    again = offline_messages(b, settle=2.0)
    t.check(again == [], f"a second login receives none again ({len(again)})")
    b.quit()
    a.expect("parted", nick="bob")

    # Waiting messages survive a restart of parleyd.
    a.send({"cmd": "say", "to": "bob", "text": "across a restart", "tag": 9})
    t.check(a.expect("sent", tag=9) is not None, "a fourth message is acknowledged")
    a.quit()
    srv.stop()
    srv = Server(tmp, data_dir=srv.data_dir)
    b = login("bob")
    got = offline_messages(b)
    t.check([g["text"] for g in got] == ["across a restart"], "it is delivered after the restart, once")
    b.quit()
    b = login("bob")
    t.check(offline_messages(b, settle=1.0) == [], "and not again")

    # A message to someone online is delivered live and does not wait.
    a = login("alice")
    a.send({"cmd": "say", "to": "bob", "text": "live one", "tag": 10})
    live = b.expect("message", text="live one")
    t.check(live is not None and not live["offline"], "a message to an online user arrives live")
    b.quit()
    b = login("bob")
    t.check(offline_messages(b, settle=1.0) == [], "and is not delivered again at the next login")
finally:
    finish(t, srv, clients, tmp)
