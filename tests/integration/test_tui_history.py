"""Issue 10: PageUp at the top fetches older history, in the terminal UI (tmux). Dave (JSON) says
80 messages in #old; carol (TUI) joins and her window opens on the last 20. PageUp at the top of
the window asks the server for the messages before the oldest one shown and puts them above, in
order, the view staying where it was (messages 001-030 are made two days old, so the pages show
their day changes, once each); paging on up reaches message 001 and, above it, 'Start of history' (said once, however often
she presses PageUp there); paging down from there passes every message once, in order. Carol's
client starts from a config file: its nick logs in by the device key, its room is joined, and
colors = off draws the window bar without colour. Without
tmux the test is skipped (exit status 77)."""
import os
import re
import shutil
import sqlite3
import sys
import time

import tuidrive
from harness import TIMEOUT, Checks, Client, Server, cleanup, tmpdir
from tuidrive import body, line, screen, shows, status, wait

if not shutil.which("tmux"):
    print("tui_history: skipped, tmux is not installed", flush=True)
    sys.exit(77)

t = Checks("tui_history")
tuidrive.setup(t)
N = 80
START = "Start of history"


def numbers(rows):
    """The numbers of the messages on screen, top to bottom."""
    return [int(m.group(1)) for r in body(rows) for m in [re.search(r"<dave> old message (\d{3})", r)] if m]


def top_row(rows):
    b = [r for r in body(rows) if r.strip()]
    return b[0].rstrip() if b else ""


def page(key, before):
    """Presses PageUp or PageDown; returns the screen once its top row differs from before (or, at
    an end where nothing moves, after a while)."""
    tuidrive.keys(key)
    deadline = time.time() + 3 * tuidrive.SLOW
    rows = screen()
    while time.time() < deadline and top_row(rows) == before:
        time.sleep(0.05)
        rows = screen()
    return rows


tmp = tmpdir()
# Dave's 80 messages at once: a budget that takes them without pacing.
srv = Server(tmp, "--message-burst", "200", "--message-rate", "100", "--request-burst", "500")
clients = []
socket_path = None
try:
    dave = Client(tmp, srv, name="dave")
    clients.append(dave)
    t.check(dave.login("dave", "dave-password") is not None, "dave logs in (JSON mode)")
    dave.send({"cmd": "join", "room": "#old"})
    dave.expect("joined", room="#old", nick="dave")
    for i in range(1, N + 1):
        dave.send({"cmd": "say", "to": "#old", "text": f"old message {i:03d}", "tag": i})
    t.check(dave.expect("sent", tag=N) is not None, f"dave says {N} messages in #old")
    # Messages 001-030 are made two days old (in parleyd's database, while it is stopped), so the
    # pages of older history cross a day change.
    dave.quit()
    clients.remove(dave)
    t.check(srv.stop() == 0, "parleyd stops")
    db = sqlite3.connect(os.path.join(srv.data_dir, "parley.db"))
    with db:
        n = db.execute("UPDATE messages SET time_ms = time_ms - 2 * 86400000 WHERE text <= 'old message 030' "
                       "AND text LIKE 'old message %'").rowcount
    db.close()
    t.check(n == 30, f"messages 001-030 are two days old now ({n})")
    srv = Server(tmp, "--message-burst", "200", "--message-rate", "100", "--request-burst", "500",
                 data_dir=srv.data_dir)
    old_day = "Day changed to " + time.strftime("%A %-d %B %Y", time.localtime(time.time() - 2 * 86400))
    today = "Day changed to " + time.strftime("%A %-d %B %Y", time.localtime())

    # Carol's device key is registered once (JSON mode, the identity file her TUI uses); from
    # then on her config file logs her in and joins #old, with no password anywhere.
    reg = Client(tmp, srv, name="carol")
    t.check(reg.login("carol", "some-password") is not None and reg.quit() == 0, "carol registers her device")
    cfg = os.path.join(tmp, "carol.conf")
    open(cfg, "w").write("nick = carol\nrooms = #old\ncolors = off   # reverse video only\n")
    socket_path, exit_file, stty_file = tuidrive.start(tmp, srv.tcp, "carol", f"--config {cfg}")
    wait(lambda r: "[3:#old" in r[0], "the TUI starts")
    bar_row = screen(escapes=True)[0]
    reverse = re.search(r"\x1b\[([0-9;]*;)?7m", bar_row)
    colour = re.search(r"\x1b\[[0-9;]*(3[0-7]|4[0-7]|38;5|48;5)[;m]", bar_row)
    t.check(reverse and not colour,
            f"colors = off: the window bar is in reverse video, without colour: {bar_row!r}")
    wait(lambda r: "carol (online)" in status(r), "the config file's nick logs in by the device key")
    wait(lambda r: r[-2].startswith("[#old]") and any(f"old message {N:03d}" in x for x in body(r)),
         "and its room #old is joined: it opens on its last messages")
    rows = screen()
    t.check(numbers(rows) == list(range(N - 19, N + 1)), f"the last 20, in order: {numbers(rows)}")
    t.check(any("PageUp at the top" in r for r in body(rows)), "and says PageUp fetches older ones")
    t.check(not any("Nothing to show" in r for r in body(rows)),
            "#Lobby's empty history, fetched as its window opened, says nothing in #old")

    # The window fits on the screen, so it is at its top already: PageUp fetches the page before.
    before = top_row(rows)
    rows = page("PPage", before)
    wait(lambda r: min(numbers(r) or [N]) < N - 19, "PageUp at the top fetches older messages")
    rows = screen()
    nums = numbers(rows)
    t.check(nums == list(range(nums[0], N + 1)) and len(nums) > 20,
            f"they go in above, in order, and the screen is full ({nums[0]}..{nums[-1]})")

    # Up to the top of what is there: message 011, under its day. Reaching it asks for the page
    # before it, which goes in above while the view stays where it is: 011 on the second row (the
    # day line above it gives way to message 010, the page's last, of the same day).
    for _ in range(12):
        if 11 in numbers(rows):
            break
        rows = page("PPage", top_row(rows))
    t.check(11 in numbers(rows), f"paging up reaches message 011: {top_row(rows)!r}")
    wait(lambda r: "fetching older" not in status(r), "the page before it arrives")
    rows = screen()
    b = [r.rstrip() for r in body(rows)]
    at = [i for i, r in enumerate(b) if r.endswith("old message 011")]
    t.check(at == [1] and not any(START in r for r in b),
            f"and the view stays where it was, 011 on the second row: {b[:2]}")
    rows = page("PPage", top_row(rows))

    # Up to the start.
    for _ in range(12):
        if any(START in r for r in body(rows)):
            break
        rows = page("PPage", top_row(rows))
    wait(shows(START), f"paging up reaches '{START}'")
    rows = screen()
    nums = numbers(rows)
    t.check(nums and nums[0] == 1 and nums == list(range(1, len(nums) + 1)),
            f"with message 001 under it and the next ones in order: {nums[:5]}...")
    b = body(rows)
    t.check([i for i, r in enumerate(b) if START in r] < [i for i, r in enumerate(b) if "old message 001" in r],
            f"'{START}' is above message 001")
    for _ in range(3):
        rows = page("PPage", top_row(rows))
    time.sleep(0.3)  # a page, were one wrongly asked for, would arrive now
    rows = screen()
    t.check(sum(START in r for r in body(rows)) == 1 and numbers(rows)[:1] == [1],
            f"more PageUp there says it once and fetches nothing more: {numbers(rows)[:3]}")

    # Down again: every message once, in order, and each day change once, before its first message.
    seen = numbers(rows)
    days = set()

    def day_lines(rows):
        b = body(rows)
        for i, r in enumerate(b):
            if "Day changed to" in r:
                after = re.search(r"old message (\d{3})", b[i + 1]) if i + 1 < len(b) else None
                days.add((r.strip(), int(after.group(1)) if after else None))
    day_lines(rows)
    for _ in range(10):
        if seen and seen[-1] == N:
            break
        rows = page("NPage", top_row(rows))
        day_lines(rows)
        nums = numbers(rows)
        t.check(nums == list(range(nums[0], nums[0] + len(nums))) if nums else False,
                f"a page down shows consecutive messages: {nums[:1]}..{nums[-1:]}")
        seen += [n for n in nums if n > seen[-1]]
    t.check(seen == list(range(1, N + 1)), f"paging down passes all {N} messages, in order ({len(seen)})")
    t.check(days == {(old_day, 1), (today, 31)},
            f"the day changes show once each, before messages 001 and 031 (none repeated where pages meet): {days}")
finally:
    tuidrive.stop(socket_path)
    for c in clients:
        c.quit()
    t.check(srv.stop() == 0, "parleyd shuts down cleanly")
    cleanup(tmp)
t.finish()
