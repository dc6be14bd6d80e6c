"""Issue 10: room topics kept by the server. Alice sets #tea's topic; bob, in the room, is told;
carol, joining later, gets it with the room; it outlives the room's last member and a restart of
parleyd; asking shows it; someone outside the room can neither set nor read it; a topic that is
not one line of text is refused."""
from harness import Checks, Client, Server, cleanup, finish, tmpdir

t = Checks("topic")
tmp = tmpdir()
srv = Server(tmp)
clients = []


def client(name, nick, register=True):
    c = Client(tmp, srv, name=name)
    clients.append(c)
    t.check(c.login(nick, f"{nick}-password", register=register) is not None, f"{nick} logs in")
    return c


def join(c, room):
    c.send({"cmd": "join", "room": room})
    return c.expect("joined", room=room)


try:
    a, b = client("a", "alice"), client("b", "bob")
    join(a, "#tea")
    join(b, "#tea")
    a.send({"cmd": "topic", "room": "#tea", "tag": 3})
    none = a.expect("topic", room="#tea")
    t.check(none and none["topic"] == "" and none.get("tag") == 3, f"a new room has no topic: {none}")
    a.send({"cmd": "topic", "room": "#tea", "topic": "Darjeeling on Fridays \u2615", "tag": 4})
    mine = a.expect("topic", room="#tea", tag=4)
    theirs = b.expect("topic", room="#tea")
    t.check(mine and theirs and theirs["topic"] == "Darjeeling on Fridays \u2615" and theirs["by"] == "alice"
            and theirs["time"] > 0 and mine.get("cmd") == "topic",
            f"alice sets the topic; she and bob are told, with who and when: {theirs}")

    c = client("c", "carol")
    c.send({"cmd": "topic", "room": "#tea", "topic": "mine now"})
    e = c.expect("error")
    t.check(e and e["code"] == 427, f"carol, not in #tea, cannot set its topic: {e}")
    c.send({"cmd": "join", "room": "#tea"})
    got = c.expect("topic", room="#tea")
    t.check(got and got["topic"] == "Darjeeling on Fridays \u2615", f"carol joining #tea gets its topic: {got}")
    c.send({"cmd": "topic", "room": "#tea", "topic": "two\nlines"})
    e = c.expect("local_error")
    t.check(e and "one line" in e["message"], f"a topic of two lines is refused by the client: {e}")

    # The room empties, parleyd restarts: the topic is still there.
    for x in (a, b, c):
        x.quit()
    clients.clear()
    t.check(srv.stop() == 0, "parleyd stops")
    srv = Server(tmp, data_dir=srv.data_dir)
    d = client("d", "dave")
    join(d, "#TEA")
    got = d.expect("topic")
    t.check(got and got["topic"] == "Darjeeling on Fridays \u2615" and got["by"] == "alice",
            f"after the room emptied and parleyd restarted, a joiner still gets it: {got}")
finally:
    finish(t, srv, clients, tmp)
