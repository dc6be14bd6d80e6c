"""Issue 10: the JSON mode as a bot uses it, a pipe in and a pipe out.

The README's one-line example really sends its message (the client waits for its login before
running what was piped, and end of input quits only once it is answered); a script that registers
and then joins, talks and lists in one pipe gets each thing done in order; every event answering a
command carries the command's "cmd" and "tag", errors (the server's and the client's own)
included; a failed login exits non-zero; a refused connection says nobody answers there; and
every event the client can emit has its table, with all its fields, in docs/JSON.md."""
import json
import os
import re
import subprocess

from harness import PARLEY, Checks, Client, Server, cleanup, finish, tmpdir

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")

t = Checks("json_bot")
tmp = tmpdir()
srv = Server(tmp)
clients = []


def pipe(lines, *args, env_extra=None, name="bot"):
    """Runs parley --json with lines on stdin until it exits; returns (exit status, events)."""
    env = dict(os.environ, **(env_extra or {}))
    p = subprocess.run([PARLEY, "--json", "--known-hosts", os.path.join(tmp, f"kh-{name}"),
                        "--identity", os.path.join(tmp, f"id-{name}"), *args, f"127.0.0.1:{srv.tcp}"],
                       input="".join(json.dumps(x) + "\n" if isinstance(x, dict) else x for x in lines),
                       capture_output=True, text=True, timeout=60, env=env)
    return p.returncode, [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]


def first(events, name, **fields):
    for ev in events:
        if ev.get("event") == name and all(ev.get(k) == v for k, v in fields.items()):
            return ev
    return None


try:
    bob = Client(tmp, srv, name="bob")
    clients.append(bob)
    t.check(bob.login("bob", "bob-password") is not None, "bob is in #Lobby, listening")

    # --- a whole script in one pipe, before any login ---
    rc, ev = pipe([{"cmd": "register", "nick": "carol", "password": "carol-password", "tag": 1},
                   {"cmd": "join", "room": "#tea", "tag": 2},
                   {"cmd": "say", "to": "#tea", "text": "first in tea", "tag": 3},
                   {"cmd": "say", "to": "#nowhere", "text": "lost", "tag": 4},
                   {"cmd": "devices", "tag": 5},
                   {"cmd": "whois", "nick": "not a nick", "tag": 6},
                   {"cmd": "say", "to": "#tea", "tag": 7},
                   {"cmd": "names", "room": "#tea", "tag": 8}], name="carol")
    t.check(rc == 0, f"a script that registers and goes on exits 0 at the end of its input ({rc})")
    li = first(ev, "logged_in")
    t.check(li and li.get("cmd") == "register" and li.get("tag") == 1,
            f"the commands after the register waited for it, and logged_in answers it: {li}")
    j = first(ev, "joined", room="#tea")
    t.check(j and j.get("cmd") == "join" and j.get("tag") == 2, f"joined carries join's tag: {j}")
    s = first(ev, "sent", tag=3)
    t.check(s and s.get("cmd") == "say", f"sent carries say's tag: {s}")
    e = first(ev, "error", tag=4)
    t.check(e and e.get("cmd") == "say" and e.get("code") == 427 and "join it first" in e.get("message", ""),
            f"the server's error carries the tag of the command it refuses: {e}")
    d = first(ev, "end", about="DEVICES_GET")
    t.check(d and d.get("cmd") == "devices" and d.get("tag") == 5, f"a listing's end carries its tag: {d}")
    le = [x for x in ev if x.get("event") == "local_error"]
    t.check(any(x.get("tag") == 6 and x.get("cmd") == "whois" for x in le)
            and any(x.get("tag") == 7 and x.get("cmd") == "say" and "text" in x.get("message", "") for x in le),
            f"the client's own errors carry the tag and name of the command they refuse: {le}")
    u = first(ev, "userlist", room="#tea", tag=8)
    t.check(u and u.get("cmd") == "names", f"names is answered by a userlist with its tag: {u}")

    # --- the README's one-line example ---
    readme = open(os.path.join(ROOT, "README.md")).read()
    m = re.search(r"PARLEY_PASSWORD=(\S+) \./build/parley --json --nick (\S+) localhost\n(\{.*\})\n", readme)
    t.check(m is not None, "the README shows its one-line JSON example")
    if m:
        pw, nick, line = m.group(1), m.group(2), m.group(3)
        rc, _ = pipe([{"cmd": "register", "nick": nick, "password": pw}], name="readme")
        t.check(rc == 0, f"{nick} registers first ({rc})")
        rc, ev = pipe([line + "\n"], "--nick", nick, env_extra={"PARLEY_PASSWORD": pw}, name="readme")
        said = json.loads(line)
        heard = bob.expect("message", **{"from": nick, "text": said["text"]})
        t.check(rc == 0 and first(ev, "sent") is not None and heard is not None,
                f"echo '{line}' | the README's command sends it: exit {rc}, bob got {heard}")

    # --- failures a script must be able to tell ---
    rc, ev = pipe([{"cmd": "say", "to": "#Lobby", "text": "never sent"}], "--nick", "carol", "--no-identity",
                  env_extra={"PARLEY_PASSWORD": "wrong-password"}, name="wrong")
    e = first(ev, "error")
    t.check(rc == 2 and e and e.get("code") == 402 and first(ev, "sent") is None,
            f"a failed login exits 2, having said why, and nothing after it runs: exit {rc}, {e}")
    rc, ev = pipe([{"cmd": "login", "nick": "carol", "password": "wrong-password"}], "--no-identity", name="wrong2")
    e = first(ev, "error")
    t.check(rc == 2 and e and e.get("cmd") == "login", f"so does a failed login command: exit {rc}, {e}")
    srv_down = subprocess.run([PARLEY, "--json", "--no-identity", "--known-hosts", os.path.join(tmp, "kh-x"),
                               "127.0.0.1:1"], input="", capture_output=True, text=True, timeout=30)
    closed = [json.loads(x) for x in srv_down.stdout.splitlines() if x.startswith("{")]
    t.check(srv_down.returncode == 1 and closed and "nothing answers there" in closed[-1].get("message", "")
            and "refused" in closed[-1].get("message", "").lower(),
            f"a refused connection says that nothing answers there: {closed}")

    # --- every event the client emits has its table in docs/JSON.md, with every field it writes ---
    doc = open(os.path.join(ROOT, "docs", "JSON.md")).read()
    tables = {}  # event name -> the text of its section (headings may name several events)
    for sec in re.split(r"^### ", doc, flags=re.M)[1:]:
        head, _, body = sec.partition("\n")
        for n in re.findall(r"`([a-z_]+)`", head):
            tables[n] = body
    emitted = {}  # event name -> fields the source writes into it
    for f in ("ui.c", "client.c", "client_cmd.c", "call.c", "callpath.c", "direct.c", "direct_cmd.c", "rdvc.c"):
        src = open(os.path.join(ROOT, "src", "client", f)).read()
        for m in re.finditer(r"\bevent\(([^;]*?)\);(.*?)(?:\bemit\(|\n\t\}\n|\bbreak;)", src, re.S):
            fields = re.findall(r'(?:jset_\w+|json_object_set_new)\(o, "([a-z_0-9]+)"', m.group(2))
            for n in re.findall(r'"([a-z_]+)"', m.group(1)):
                emitted.setdefault(n, set()).update(fields)
        for n in re.findall(r'(?:pl_ui_info\([^,]+,|\bsay\(c,) "([a-z_]+)"', src):
            emitted.setdefault(n, set()).add("message")
        # pl_ui_event's events (direct mode): their fields are the keys of the kv list before it.
        for m in re.finditer(r'kv\[\] = \{(.*?)\};\s*pl_ui_event\([^,]+, "([a-z_]+)"', src, re.S):
            keys = [k.strip().strip('"').lstrip("#") for k in m.group(1).split(",")[0::2]]
            emitted.setdefault(m.group(2), set()).update([k for k in keys if k != "NULL"] + ["message"])
    ui = open(os.path.join(ROOT, "src", "client", "ui.c")).read()
    call_body = ui[ui.index("void pl_ui_call("):]
    call_body = call_body[:call_body.index("\n}\n")]
    call_fields = set(re.findall(r'(?:jset_\w+|json_object_set_new)\(o, "([a-z_0-9]+)"', call_body))
    call_fields.update(re.findall(r'\{"([a-z_]+)", e->', call_body))
    for f in ("call.c", "direct.c", "direct_cmd.c"):
        for n in re.findall(r'\.event = "([a-z_]+)"', open(os.path.join(ROOT, "src", "client", f)).read()):
            emitted.setdefault(n, set()).update(call_fields)
    no_table = sorted(n for n in emitted if n not in tables)
    no_field = sorted(f"{n}.{fl}" for n, fs in emitted.items() if n in tables for fl in fs
                      if not re.search(r"^\|[^|\n]*\b" + fl + r"\b[^|\n]*\|", tables[n], re.M))
    t.check(len(emitted) > 30 and not no_table and not no_field,
            f"each of the {len(emitted)} events the client emits has a table in docs/JSON.md with all its "
            f"fields (no table: {no_table}; fields missing: {no_field})")
    missing = sorted(n for n in emitted if f"`{n}`" not in readme)
    t.check(not missing, f"and is named in the README's list (missing: {missing})")
finally:
    finish(t, srv, clients, tmp)
