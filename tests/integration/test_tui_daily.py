"""Issue 10: the terminal UI as someone who keeps it open all day uses it, with parleyd's default
message budget. Carol (TUI, in tmux) and dave (JSON): a mention of carol rings and marks its
window; /me, /names, /query and /close; a pasted block of 12 lines arrives whole and in order
(more than the server takes at once: the client paces it); then parleyd restarts under carol,
whose client reconnects by itself, logs in by its device key, rejoins #tea and keeps its
windows and scrollback, and its --log-dir kept every window's lines. Without tmux the test is skipped (exit status 77)."""
import os
import re
import shutil
import sys
import time

import tuidrive
from harness import TIMEOUT, Checks, Client, Server, cleanup, tmpdir
from tuidrive import PANE, bar, body, line, screen, shows, status, tmux, userlist, wait

if not shutil.which("tmux"):
    print("tui_daily: skipped, tmux is not installed", flush=True)
    sys.exit(77)

t = Checks("tui_daily")
tuidrive.setup(t)


def bell():
    return tmux("display-message", "-p", "-t", PANE, "#{window_bell_flag}").stdout.strip() == "1"


def clear_bell():
    tmux("select-window", "-t", PANE)  # seen: tmux clears the flag
    tmux("send-keys", "-t", PANE, "")


tmp = tmpdir()
srv = Server(tmp)  # parleyd's defaults: a burst of 8 messages, then 2 a second
clients = []
socket_path = None
try:
    logs = os.path.join(tmp, "logs")
    socket_path, exit_file, stty_file = tuidrive.start(tmp, srv.tcp, "carol", extra=f"--log-dir {logs}")
    wait(shows("Connected to testserver"), "the TUI starts")
    line("/register carol some-password")
    wait(lambda r: "carol (online)" in status(r), "carol registers")
    line("/join #tea")
    wait(lambda r: "[3:#tea]" in bar(r), "carol joins #tea")
    dave = Client(tmp, srv, name="dave")
    clients.append(dave)
    t.check(dave.login("dave", "dave-password") is not None, "dave logs in (JSON mode)")
    dave.send({"cmd": "join", "room": "#tea"})
    dave.expect("joined", room="#tea", nick="dave")
    wait(lambda r: userlist(r) == ["carol", "dave"], "dave is in carol's user list")
    t.check(any(re.search(r"\d\d:\d\d dave joined #tea", r) for r in body(screen())), "joins are shown with their time")

    # --- a mention, while carol looks at another window ---
    tuidrive.keys("M-2")
    wait(lambda r: "[#Lobby]" in r[-2], "carol looks at #Lobby")
    clear_bell()
    dave.send({"cmd": "say", "to": "#tea", "text": "just chatting"})
    wait(lambda r: "[3:#tea*]" in bar(r), "a message in #tea marks it * (activity)")
    t.check(not bell(), "a message that does not name carol does not ring")
    dave.send({"cmd": "say", "to": "#tea", "text": "Carol, tea is ready"})
    wait(lambda r: "[3:#tea@]" in bar(r), "a message naming carol marks #tea @ (a mention)")
    deadline = time.time() + TIMEOUT
    while time.time() < deadline and not bell():
        time.sleep(0.05)
    t.check(bell(), "and rings the terminal's bell")
    tuidrive.keys("M-3")
    wait(shows("<dave> Carol, tea is ready"), "the mention shows in #tea")
    colored = [r for r in screen(escapes=True) if "Carol, tea is ready" in r]
    t.check(colored and ("\x1b[35m" in colored[0] or "\x1b[38;5;5m" in colored[0] or "\x1b[1m" in colored[0]),
            f"highlighted: {colored[:1]}")
    t.check(not any("dave> just chatting" in r and "\x1b[35m" in r for r in screen(escapes=True)),
            "the plain message is not")
    esc = "\n".join(screen(escapes=True))
    dave_colors = set(re.findall(r"<((?:\x1b\[[0-9;]*m)+)dave", esc))
    t.check(len(re.findall(r"<(?:\x1b\[[0-9;]*m)+dave", esc)) >= 2 and len(dave_colors) == 1
            and any(re.search(r"\[(3[1-7]|38;5;[1-7])m", c) for c in dave_colors),
            f"dave's nickname has a colour of its own, the same on every line: {dave_colors}")

    # --- /me, /names, /query, /close ---
    line("/me pours the tea")
    m = dave.expect("message", **{"from": "carol"})
    t.check(m and m.get("text") == "/me pours the tea" and m.get("action") is True,
            f"/me reaches dave as an action: {m}")
    wait(shows("* carol pours the tea"), "and shows as '* carol pours the tea'")
    line("/names")
    wait(shows("In #tea (2): carol, dave"), "/names prints who is in #tea")
    line("/query dave")
    wait(lambda r: "[4:dave]" in bar(r) and r[-2].startswith("[dave]"), "/query dave opens dave's window")
    line("a word in private")
    m = dave.expect("message", to="dave")
    t.check(m and m.get("text") == "a word in private" and m.get("mention") is True,
            f"text typed there goes to dave alone (a mention for him): {m}")
    line("/close")
    wait(lambda r: "dave]" not in bar(r), "/close closes it")
    line("/query dave")
    wait(lambda r: "[4:dave]" in bar(r), "again")
    wait(shows("(history)"), "a conversation's window opens on its last messages")
    t.check(any("(history)" in r and "<carol> a word in private" in r for r in body(screen())),
            "the one carol wrote is there")
    line("/part")
    wait(lambda r: "dave]" not in bar(r) and "[3:#tea]" in bar(r), "/part in a private window closes it too")
    tuidrive.keys("M-3")
    wait(lambda r: r[-2].startswith("[#tea]"), "back in #tea")

    # --- a pasted block: 12 lines, more than the server's burst of 8 ---
    block = "".join(f"pasted line {i:02d}\n" for i in range(1, 13))
    paste = os.path.join(tmp, "paste")
    open(paste, "w").write(block)
    tmux("load-buffer", paste)
    tmux("paste-buffer", "-d", "-t", PANE)
    got = []
    deadline = time.time() + 30
    while time.time() < deadline and len(got) < 12:
        m = dave.expect("message", timeout=max(0.1, deadline - time.time()), to="#tea", **{"from": "carol"})
        if m:
            got.append(m["text"])
    t.check(got == [f"pasted line {i:02d}" for i in range(1, 13)],
            f"all 12 pasted lines reach dave, in order ({len(got)}): {got[:3]}...{got[-2:]}")
    wait(shows("pasted line 12"), "and show in carol's #tea")
    t.check(not any("Too many messages" in r or "RATE" in r for r in body(screen())),
            "with no refusal shown to carol (the client paced them)")

    # --- a line longer than one message goes as several, cut between words ---
    long_line = " ".join(f"w{i:04d}" for i in range(750))  # 4,499 bytes: more than a message holds
    open(paste, "w").write(long_line)
    tmux("load-buffer", paste)
    tmux("paste-buffer", "-d", "-t", PANE)
    tuidrive.keys("Enter")
    parts = []
    while len(" ".join(parts)) < len(long_line):
        m = dave.expect("message", timeout=15, to="#tea", **{"from": "carol"})
        if not m:
            break
        parts.append(m["text"])
    t.check(len(parts) == 2 and " ".join(parts) == long_line and all(len(p.encode()) <= 4000 for p in parts),
            f"a {len(long_line)}-byte line arrives as {len(parts)} messages, cut between words: "
            f"{[len(p) for p in parts]}")

    # --- parleyd restarts under carol ---
    before = [r for r in body(screen()) if r.strip()]
    dave.quit()
    clients.remove(dave)
    t.check(srv.stop() == 0, "parleyd stops")
    wait(lambda r: "reconnecting" in status(r), "carol's status line says it reconnects")
    tuidrive.keys("M-1")
    wait(shows("Reconnecting in"), "and the status window why: the connection was lost, and when it tries again")
    tuidrive.keys("M-3")
    time.sleep(1.5)  # a try or two find nobody there
    srv = Server(tmp, data_dir=srv.data_dir, port=srv.tcp)
    wait(lambda r: "carol (online)" in status(r), "parleyd is back: carol's client logs in by itself (device key)",
         timeout=60)
    wait(lambda r: "[3:#tea]" in bar(r) and r[-2].startswith("[#tea]"),
         "the same windows, #tea still the current one")
    rows = screen()
    t.check(any("w0749" in r for r in body(rows)) and any("w0700" in r for r in body(rows)),
            f"the scrollback of #tea is kept ({len(before)} rows before)")
    dave = Client(tmp, srv, name="dave2")
    clients.append(dave)
    t.check(dave.login("dave", "dave-password", register=False) is not None, "dave logs in again")
    dave.send({"cmd": "join", "room": "#tea"})
    ul = dave.expect("userlist", room="#tea")
    t.check(ul and "carol" in ul["users"], f"carol is back in #tea: {ul}")
    dave.send({"cmd": "say", "to": "#tea", "text": "welcome back"})
    wait(shows("<dave> welcome back"), "and hears it")
    line("glad to be back")
    m = dave.expect("message", text="glad to be back")
    t.check(m is not None, "what carol types reaches dave again")
    line("/quit")
    deadline = time.time() + TIMEOUT
    while time.time() < deadline and not os.path.exists(stty_file):
        time.sleep(0.05)
    code = open(exit_file).read().strip() if os.path.exists(exit_file) else None
    t.check(code == "EXIT=0", f"/quit ends the client with status 0 ({code})")
    tea = open(os.path.join(logs, "#tea.log")).read() if os.path.exists(os.path.join(logs, "#tea.log")) else ""
    t.check(re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \d\d:\d\d <dave> Carol, tea is ready$", tea, re.M)
            and tea.index("pasted line 01") < tea.index("pasted line 12") < tea.index("glad to be back"),
            f"--log-dir kept #tea's lines in order, dated, across the restart ({len(tea.splitlines())} lines)")
    t.check(os.path.exists(os.path.join(logs, "status.log")), "and the status window's")
finally:
    tuidrive.stop(socket_path)
    for c in clients:
        c.quit()
    t.check(srv.stop() == 0, "parleyd shuts down cleanly")
    cleanup(tmp)
t.finish()
