"""Issue 3, item 1: every social feature and its error paths through real processes on loopback:
accounts (amend password, real name, picture), contacts (a request the other side accepts; both
sides told, listed with status), presence (pushed to contacts, asked for without a call, shown to
contacts only), groups (members told, listed with members and last update), rooms (create by
joining, list, user list, announcements: a PART is "left", a connection that ends "has quit") and
history paging."""
import os
import re
import struct
import time

from harness import finish, Checks, Client, Server, cleanup, tmpdir

t = Checks("social")
tmp = tmpdir()
srv = Server(tmp, "--message-burst", "100", "--message-rate", "100")
clients = []


def client(name, nick, register=True, password=None):
    c = Client(tmp, srv, name=name)
    clients.append(c)
    ok = c.login(nick, password or f"pw-{nick}-123", register=register)
    return c if ok else None


def err(c, code, what):
    e = c.expect("error")
    t.check(e is not None and e["code"] == code, f"{what}: error {e and e['code']} (want {code})")
    return e


try:
    a = client("a", "alice")
    b = client("b", "bob")
    t.check(a is not None and b is not None, "alice and bob are online")

    # --- contacts: asked, then accepted ---
    a.send({"cmd": "add", "nick": "BOB"})
    ra = a.expect("contact_request", nick="bob")
    rb = b.expect("contact_request", nick="alice")
    t.check(ra and ra["kind"] == "sent" and rb and rb["kind"] == "incoming",
            f"alice's request is confirmed to her and shown to bob: {ra} {rb}")
    a.send({"cmd": "add", "nick": "bob"})
    err(a, 452, "asking again while the request waits")
    b.send({"cmd": "accept", "nick": "alice"})
    ca = a.expect("contact_added")
    cb = b.expect("contact_added")
    t.check(ca and ca["nick"] == "bob" and ca["presence"] == "online", f"alice is told bob is a contact: {ca}")
    t.check(cb and cb["nick"] == "alice" and cb["presence"] == "online", f"bob is told too (205 both sides): {cb}")
    a.send({"cmd": "add", "nick": "bob"})
    err(a, 434, "adding a contact twice")
    a.send({"cmd": "add", "nick": "nobody"})
    err(a, 405, "adding an unknown user")
    a.send({"cmd": "add", "nick": "alice"})
    err(a, 443, "adding yourself")
    a.send({"cmd": "del", "nick": "carol"})
    err(a, 406, "deleting someone who is not a contact")

    c = client("c", "carol")
    a.send({"cmd": "add", "nick": "carol"})
    c.expect("contact_request", nick="alice", kind="incoming")
    c.send({"cmd": "add", "nick": "alice"})  # asking back is consent
    t.check(a.expect("contact_added", nick="carol") is not None and c.expect("contact_added", nick="alice"),
            "carol asking alice back makes them contacts")
    a.send({"cmd": "contacts"})
    listed = [a.expect("presence", nick=n) for n in ("bob", "carol")]
    end = a.expect("end", about="CONTACTS_GET")
    t.check(all(listed) and end and end["count"] == 2 and all(p["presence"] == "online" for p in listed),
            f"contacts are listed with their status: {listed} {end}")

    # --- presence ---
    b.send({"cmd": "set_status", "presence": "away", "note": "lunch"})
    p = a.expect("presence", nick="bob", presence="away")
    t.check(p is not None and p["note"] == "lunch", f"bob going away is pushed to his contact alice: {p}")
    t.check(b.expect("presence", nick="bob", presence="away") is not None, "bob sees his own new status")
    b.send({"cmd": "set_status", "presence": "busy"})
    t.check(a.expect("presence", nick="bob", presence="busy") is not None, "busy is pushed too")
    a.send({"cmd": "status", "nick": "bob"})
    p = a.expect("presence", nick="bob")
    t.check(p is not None and p["presence"] == "busy", "alice asks bob's status without calling (seed 000)")
    c.send({"cmd": "status", "nick": "bob"})
    err(c, 406, "carol, not bob's contact, is not told his status")
    c.send({"cmd": "whois", "nick": "bob"})
    w = c.expect("profile", nick="bob")
    t.check(w is not None and w["presence"] == "hidden", f"nor does his profile show it to her: {w}")
    c.send({"cmd": "status", "nick": "ghost"})
    err(c, 433, "the status of an unknown user")
    b.send({"cmd": "set_status", "presence": "online"})
    a.expect("presence", nick="bob", presence="online")
    c.quit()
    t.check(a.expect("presence", nick="carol", presence="offline") is not None, "carol leaving: alice sees offline")
    a.send({"cmd": "del", "nick": "carol"})
    t.check(a.expect("contact_deleted", nick="carol") is not None, "alice deletes carol (206)")
    a.send({"cmd": "contacts"})
    end = a.expect("end", about="CONTACTS_GET")
    t.check(end is not None and end["count"] == 1, "one contact left")

    # --- groups ---
    a.send({"cmd": "group_create", "name": "band practice"})
    g = a.expect("group")
    t.check(g is not None and g["members"] == ["alice"] and g["name"] == "band practice", f"group created: {g}")
    gid = g["id"]
    a.send({"cmd": "group_add", "group": gid, "nick": "bob"})
    ma = a.expect("group_member", nick="bob")
    mb = b.expect("group_member", nick="bob")
    gb = b.expect("group", id=gid)
    t.check(ma and ma["joined"] and mb and gb and sorted(gb["members"]) == ["alice", "bob"],
            "adding bob tells every member (203) and gives bob the group")
    a.send({"cmd": "group_add", "group": gid, "nick": "bob"})
    err(a, 437, "adding a member twice")
    a.send({"cmd": "group_add", "group": 999999, "nick": "bob"})
    err(a, 435, "an unknown group")
    d = client("d", "dave")
    d.send({"cmd": "group_add", "group": gid, "nick": "dave"})
    err(d, 436, "a non-member adding to a group")
    d.send({"cmd": "group_quit", "group": gid})
    err(d, 436, "a non-member quitting a group")
    a.send({"cmd": "group_add", "group": gid, "nick": "ghost"})
    err(a, 405, "adding an unknown user to a group")
    a.send({"cmd": "group_create", "name": "short-lived"})
    g2 = a.expect("group", name="short-lived")
    a.send({"cmd": "group_quit", "group": g2["id"]})
    a.expect("group_member", group=g2["id"], joined=False)
    a.send({"cmd": "group_add", "group": g2["id"], "nick": "bob"})
    err(a, 435, "a group whose last member left is gone")
    a.send({"cmd": "group_create", "name": "x" * 49})
    e = a.expect("local_error")
    t.check(e is not None and "at most 48 bytes" in e["message"], f"the client refuses a 49-byte group name: {e}")
    b.send({"cmd": "group_quit", "group": gid})
    q = a.expect("group_member", nick="bob", joined=False)
    t.check(q is not None and b.expect("group_member", nick="bob", joined=False) is not None,
            "bob quitting tells those who stay and bob (204)")
    a.send({"cmd": "groups"})
    g = a.expect("group", id=gid)
    end = a.expect("end", about="GROUPS_GET")
    t.check(g and g["members"] == ["alice"] and g["updated"] >= q["updated"] and end and end["count"] == 1,
            f"groups are listed with members and last-update date: {g}")

    # --- rooms ---
    a.send({"cmd": "join", "room": "#tea"})
    t.check(a.expect("joined", room="#tea", nick="alice") is not None, "joining a new room creates it")
    b.send({"cmd": "join", "room": "#TEA"})
    t.check(a.expect("joined", room="#tea", nick="bob") is not None, "bob's join of #TEA is announced in #tea")
    ul = b.expect("userlist", room="#tea")
    t.check(ul and sorted(ul["users"]) == ["alice", "bob"], f"the joiner gets the user list: {ul}")
    d.send({"cmd": "rooms"})
    rooms = {}
    while True:
        ev = d.expect("room", timeout=5)
        if not ev:
            break
        rooms[ev["room"]] = ev["users"]
        if len(rooms) == 2:
            break
    end = d.expect("end", about="ROOMS_GET")
    t.check(rooms.get("#Lobby") == 3 and rooms.get("#tea") == 2 and end and end["count"] == 2,
            f"rooms are listed with their sizes: {rooms}")
    d.send({"cmd": "names", "room": "#tea"})
    ul = d.expect("userlist", room="#tea")
    t.check(ul and sorted(ul["users"]) == ["alice", "bob"], "anyone can see a room's user list (NAMES)")
    b.send({"cmd": "part", "room": "#tea"})
    p = a.expect("parted", room="#tea", nick="bob")
    t.check(p is not None and p.get("quit") is False, f"bob leaving #tea is announced, as a part: {p}")
    b.send({"cmd": "part", "room": "#tea"})
    err(b, 427, "leaving a room you are not in")
    b.send({"cmd": "join", "room": "no-hash"})
    t.check(b.expect("local_error") is not None, "the client refuses a room name without #")
    d.send({"cmd": "say", "to": "#tea", "text": "hi"})
    err(d, 427, "talking in a room you are not in")

    # --- history ---
    for i in range(25):
        a.send({"cmd": "say", "to": "#tea", "text": f"tea message {i}", "tag": 100 + i})
        a.expect("sent", tag=100 + i)
    a.send({"cmd": "history", "target": "#tea", "limit": 10})
    page = [a.expect("message", history=True) for _ in range(10)]
    end = a.expect("end", about="HISTORY")
    texts = [p and p["text"] for p in page]
    t.check(texts == [f"tea message {i}" for i in range(15, 25)] and end and end["more"],
            f"the last 10 messages, oldest first, and more exist: {texts[:2]}...")
    a.send({"cmd": "history", "target": "#tea", "limit": 10, "before": page[0]["id"]})
    page2 = [a.expect("message", history=True) for _ in range(10)]
    a.expect("end", about="HISTORY")
    t.check([p and p["text"] for p in page2] == [f"tea message {i}" for i in range(5, 15)], "paging back")
    a.send({"cmd": "history", "target": "#tea", "limit": 200, "before": page2[0]["id"]})
    page3 = [a.expect("message", history=True) for _ in range(5)]
    end = a.expect("end", about="HISTORY")
    t.check([p and p["text"] for p in page3] == [f"tea message {i}" for i in range(5)] and end and not end["more"],
            "the first page ends the history")
    a.send({"cmd": "say", "to": "bob", "text": "psst"})
    b.expect("message", text="psst")
    b.send({"cmd": "history", "target": "alice", "limit": 5})
    h = b.expect("message", history=True)
    t.check(h is not None and h["text"] == "psst" and h["from"] == "alice", "a conversation's history, per person")
    d.send({"cmd": "history", "target": "#tea", "limit": 5})
    err(d, 427, "the history of a room you are not in")
    a.send({"cmd": "say", "to": "ghost", "text": "hello?"})
    err(a, 433, "a message to an unknown account")

    # --- profile and password ---
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    pic = os.path.join(tmp, "me.png")
    open(pic, "wb").write(png)
    a.send({"cmd": "profile", "realname": "Alice Liddell", "picture": pic})
    t.check(a.expect("ok", about="SET_PROFILE") is not None, "alice sets her real name and picture")
    b.send({"cmd": "whois", "nick": "alice"})
    pr = b.expect("profile")
    import hashlib
    t.check(pr and pr["realname"] == "Alice Liddell" and pr["picture_bytes"] == len(png) and
            pr["picture_sha256"] == hashlib.sha256(png).hexdigest() and pr["presence"] == "online",
            f"bob sees her profile, picture intact: {pr and {k: pr[k] for k in ('realname', 'picture_bytes')}}")
    a.send({"cmd": "profile", "realname": "Alice L."})
    a.expect("ok", about="SET_PROFILE")
    b.send({"cmd": "whois", "nick": "alice"})
    pr = b.expect("profile")
    t.check(pr and pr["realname"] == "Alice L." and pr["picture_bytes"] == len(png), "changing the name keeps the picture")
    bad = os.path.join(tmp, "bad.png")
    open(bad, "wb").write(b"GIF89a" + b"x" * 100)
    a.send({"cmd": "profile", "picture": bad})
    err(a, 441, "a picture that is not PNG or JPEG")
    big = os.path.join(tmp, "big.png")
    open(big, "wb").write(png * 10)
    a.send({"cmd": "profile", "picture": big})
    e = a.expect("local_error")
    t.check(e is not None and "8192" in e["message"], "the client refuses a picture over 8 KiB with a sentence")
    b.send({"cmd": "whois", "nick": "ghost"})
    err(b, 433, "the profile of an unknown user")
    a.send({"cmd": "profile", "realname": "Evil\u009b31mName"})
    err(a, 444, "a real name with a C1 control (CSI) is refused")

    a.send({"cmd": "passwd", "old": "wrong-old-pw", "new": "new-password-1"})
    e = err(a, 402, "changing the password with a wrong current one")
    t.check(e and "current password is wrong" in e.get("message", "") and e.get("cmd") == "passwd",
            f"which says the current password is wrong: {e and e.get('message')}")
    a.send({"cmd": "passwd", "old": "pw-alice-123", "new": "short"})
    err(a, 424, "a new password that is too short")
    a.send({"cmd": "passwd", "old": "pw-alice-123", "new": "new-password-1"})
    b.send({"cmd": "say", "to": "alice", "text": "during the change"})
    t.check(a.expect("ok", about="SET_PASSWORD") is not None, "alice changes her password")
    m = a.expect("message", text="during the change")
    t.check(m is not None and not m["offline"], "she stays online while it is checked (a live message)")
    a.quit()
    p = b.expect("parted", nick="alice")
    t.check(p is not None and p.get("quit") is True, f"alice's /quit is announced as a quit, not a part: {p}")
    a2 = Client(tmp, srv, name="a2")
    clients.append(a2)
    a2.expect("welcome")
    a2.send({"cmd": "login", "nick": "alice", "password": "pw-alice-123"})
    err(a2, 402, "the old password no longer works")
    a2.send({"cmd": "login", "nick": "alice", "password": "new-password-1"})
    t.check(a2.expect("logged_in") is not None, "the new one does")
    t.check(b.expect("presence", nick="alice", presence="online") is not None, "alice's contact sees her come back")

    # --- leaving and quitting, as a room window says them (line mode prints what windows get) ---
    w = Client(tmp, srv, name="w", json_mode=False)
    clients.append(w)

    def said(pattern, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(re.search(pattern, line) for line in w.lines):
                return True
            time.sleep(0.05)
        return False

    t.check(said("Connected to"), "a line-mode client connects")
    w.send("/register walt pw-walt-123")
    t.check(said("Logged in as walt"), "walt logs in (line mode)")
    w.send("/join #porch")
    fay, gus = client("f", "fay"), client("g", "gus")
    for c in (fay, gus):
        c.send({"cmd": "join", "room": "#porch"})
    t.check(said(r"\d\d:\d\d gus joined #porch"), "walt sees fay and gus join #porch")
    fay.send({"cmd": "part", "room": "#porch"})
    t.check(said(r"\d\d:\d\d fay left #porch"), "fay's /part shows as 'fay left #porch'")
    gus.proc.kill()  # the connection drops: no BYE, no /quit
    gus.proc.wait()
    t.check(said(r"\d\d:\d\d gus has quit", timeout=15), "gus's dropped connection shows as 'gus has quit'")
    t.check(not said("gus left", timeout=0.2) and not said("fay has quit", timeout=0.2),
            "and neither is shown the other way")
    clients.remove(gus)
finally:
    finish(t, srv, clients, tmp)
