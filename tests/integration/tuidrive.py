"""Driving the terminal UI as a person does: the real parley client in a tmux pane of fixed size,
keys typed with send-keys, the screen read back with capture-pane. Used by test_tui.py and
test_tui_daily.py: setup() names the Checks that wait() reports to."""
import os
import shlex
import subprocess
import time

from harness import PARLEY, TIMEOUT

COLS, ROWS = 100, 30
TERM = os.environ.get("PARLEY_TUI_TERM", "screen-256color")
SOCK = f"parley-tui-{os.getpid()}"
PANE = "tui"
SLOW = 4 if os.environ.get("PARLEY_TUI_PREFIX") else 1  # valgrind is slow

t = None


def setup(checks):
    global t
    t = checks


def tmux(*args):
    return subprocess.run(["tmux", "-u", "-L", SOCK, *args], capture_output=True, text=True)


def screen(escapes=False):
    """The pane as rows of text (with SGR escapes when asked)."""
    return tmux("capture-pane", "-p", *(["-e"] if escapes else []), "-t", PANE).stdout.split("\n")


def wait(pred, what, timeout=TIMEOUT):
    """Polls the screen until pred(rows) holds; prints the screen when it never does."""
    deadline = time.time() + timeout * SLOW
    rows = []
    while time.time() < deadline:
        rows = screen()
        if pred(rows):
            return t.check(True, what)
        time.sleep(0.05)
    t.check(False, what)
    print("--- screen ---\n" + "\n".join(rows) + "\n--------------", flush=True)
    return False


def text(s):
    tmux("send-keys", "-t", PANE, "-l", s)


def keys(*k):
    tmux("send-keys", "-t", PANE, *k)


def line(s):
    text(s)
    keys("Enter")


def bar(rows):
    return rows[0] if rows else ""


def status(rows):
    return rows[-3] if len(rows) >= 3 else ""


def input_row(rows):
    return rows[-2] if len(rows) >= 2 else ""


def body(rows):
    """The scrollback rows, without the user list."""
    return [r.split("\u2502")[0] for r in rows[1:-3]]


def userlist(rows):
    names = (r.rsplit("\u2502", 1)[1].strip() for r in rows[1:-3] if "\u2502" in r)
    return [n for n in names if n]


def cursor_x():
    return int(tmux("display-message", "-p", "-t", PANE, "#{cursor_x}").stdout.strip() or -1)


def typed(s):
    """The input line holds s (capture-pane drops trailing spaces; the cursor shows them)."""
    return lambda rows: input_row(rows).rstrip() == s.rstrip() and cursor_x() == len(s)


def shows(s):
    return lambda rows: any(s in r for r in body(rows))




def start(tmp, srv_tcp, name, extra=""):
    """Starts the client for name in a new tmux session; the shell records its exit status in
    tmp/exit and the terminal's mode after it in tmp/stty, then stays so the screen can be read.
    srv_tcp None: no server address (direct mode)."""
    exit_file, stty_file = os.path.join(tmp, "exit"), os.path.join(tmp, "stty")
    prefix = os.environ.get("PARLEY_TUI_PREFIX", "")
    client = (f"{prefix} {shlex.quote(PARLEY)} --known-hosts {shlex.quote(os.path.join(tmp, 'kh'))} "
              f"--identity {shlex.quote(os.path.join(tmp, 'identity-' + name))} {extra}"
              f"{f' 127.0.0.1:{srv_tcp}' if srv_tcp is not None else ''}")
    shell = (f"TERM={TERM} LANG=C.UTF-8; export TERM LANG; {client}; echo EXIT=$? > {exit_file}; "
             f"stty -a > {stty_file}.part; mv {stty_file}.part {stty_file}; exec sleep 600")
    tmux("-f", "/dev/null", "new-session", "-d", "-s", PANE, "-x", str(COLS), "-y", str(ROWS), "sh", "-c", shell)
    return tmux("display-message", "-p", "#{socket_path}").stdout.strip(), exit_file, stty_file


def stop(socket_path):
    tmux("kill-server")
    if socket_path and os.path.exists(socket_path):
        os.unlink(socket_path)  # tmux leaves it behind
