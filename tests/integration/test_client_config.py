"""Issue 10: the client's config file. A file in the configuration directory (PARLEY_HOME here)
gives the server, the nickname and the rooms: `parley --json` with no server argument connects
there, logs in by this device's key (no password anywhere) and joins the rooms; `parley club` takes
the settings of the file's [club] section instead. --config picks
another file, and the command line wins over it (a server argument, --rooms). A wrong line, and a
password in the file, stop the client with a sentence naming the file and the line."""
import json
import os
import subprocess

from harness import PARLEY, Checks, Client, Server, cleanup, tmpdir

t = Checks("client_config")
tmp = tmpdir()
srv = Server(tmp)
home = os.path.join(tmp, "home")
os.makedirs(home)
env = dict(os.environ, PARLEY_HOME=home)
env.pop("PARLEY_PASSWORD", None)


def run(*args, stdin=""):
    """parley --json with the config directory at home; returns (exit status, events, stderr)."""
    p = subprocess.run([PARLEY, "--json", *args], input=stdin, capture_output=True, text=True, timeout=60,
                       env=env)
    return p.returncode, [json.loads(x) for x in p.stdout.splitlines() if x.startswith("{")], p.stderr


def joined(events):
    """The rooms erin joined besides #Lobby (every login starts there)."""
    return [e["room"] for e in events if e.get("event") == "joined" and e.get("nick") == "erin"
            and e["room"] != "#Lobby"]


try:
    # erin registers this device's key once, with her password.
    ident, kh = os.path.join(tmp, "identity-erin"), os.path.join(tmp, "known_hosts-erin")
    erin = Client(tmp, srv, name="erin")
    t.check(erin.login("erin", "erin-password") is not None, "erin registers (her device key with it)")
    t.check(erin.quit() == 0, "and quits")

    open(os.path.join(home, "config"), "w").write(
        "# erin's parley\n"
        f"server = 127.0.0.1:{srv.tcp}\n"
        "nick = erin            # logs in by the device key\n"
        "rooms = #one, #two     # joined after login\n"
        f"identity = {ident}\n"
        f"known_hosts = {kh}\n"
        "colors = off\n"
        "[club]                 # parley club: another server's settings\n"
        f"server = localhost:{srv.tcp}\n"
        "rooms = #four\n")
    names = json.dumps({"cmd": "names", "room": "#two", "tag": 7}) + "\n"
    code, ev, err = run(stdin=names)
    li = [e for e in ev if e.get("event") == "logged_in"]
    t.check(code == 0, f"parley with no server argument runs on the config file's ({code}, {err.strip()})")
    t.check(li and li[0].get("nick") == "erin", f"logs in as the file's nick, without a password: {li}")
    t.check(joined(ev) == ["#one", "#two"], f"joins the file's rooms, in order: {joined(ev)}")
    ul = [e for e in ev if e.get("event") == "userlist" and e.get("tag") == 7]
    t.check(ul and "erin" in ul[0].get("users", []), f"and is in them: {ul}")

    # A section: `parley club` takes the settings under [club] over the general ones.
    code, ev, err = run("club", stdin=json.dumps({"cmd": "names", "room": "#four"}) + "\n")
    tr = [e for e in ev if e.get("event") == "trust"]
    t.check(code == 0 and tr and tr[0].get("server") == f"localhost:{srv.tcp}",
            f"parley club connects to the server of [club] ({code}, {tr[:1]}, {err.strip()})")
    t.check(joined(ev) == ["#four"], f"as erin, joining the rooms of [club]: {joined(ev)}")

    # --config: another file; a server argument and --rooms win over it.
    other = os.path.join(tmp, "other.conf")
    open(other, "w").write(f"server = 127.0.0.1:1\nnick = erin\nrooms = #one\nidentity = {ident}\n"
                           f"known_hosts = {kh}\n")
    code, ev, err = run("--config", other, "--rooms", "#three", f"127.0.0.1:{srv.tcp}",
                        stdin=json.dumps({"cmd": "names", "room": "#three"}) + "\n")
    t.check(code == 0 and any(e.get("event") == "logged_in" for e in ev),
            f"the server argument wins over the file's ({code}, {err.strip()})")
    t.check(joined(ev) == ["#three"], f"and --rooms over its rooms: {joined(ev)}")

    # Mistakes: the client does not start, and says where and what.
    bad = os.path.join(tmp, "bad.conf")
    open(bad, "w").write(f"server = 127.0.0.1:{srv.tcp}\npassword = erin-password\n")
    code, ev, err = run("--config", bad)
    t.check(code == 2 and f"{bad} line 2:" in err and "never read from a file" in err and not ev,
            f"a password in the file is refused, naming file and line ({code}): {err.strip()}")
    open(bad, "w").write("nick = erin\n\nrooms = #tea #music\n")
    code, ev, err = run("--config", bad)
    t.check(code == 2 and f"{bad} line 3:" in err and "Separate rooms with commas" in err,
            f"a wrong rooms line says what to write ({code}): {err.strip()}")
    p = subprocess.run([PARLEY, "--config", bad, "--help"], capture_output=True, text=True, timeout=30, env=env)
    t.check(p.returncode == 0 and "--config FILE" in p.stdout, "--help works whatever the config file says")
    code, ev, err = run("--config", os.path.join(tmp, "missing.conf"))
    t.check(code == 2 and "missing.conf" in err and "--config" in err,
            f"a --config file that is not there is named ({code}): {err.strip()}")
finally:
    t.check(srv.stop() == 0, "parleyd shuts down cleanly")
    cleanup(tmp)
t.finish()
