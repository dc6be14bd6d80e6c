"""Direct mode in the terminal UI, driven as a person drives it: `parley --direct` (no server) in a
tmux pane of fixed size, keys typed with tmux send-keys and the screen read back with capture-pane
(tuidrive.py); bob is a JSON-mode direct client on the other side, on loopback.

Carol's terminal shows the same interface as server mode: the window bar with the status window,
the status line (the UDP port she listens on, her name, the call) and the input line. There she
reads /help's direct-mode commands, gets a usage sentence for /call without an address, adds bob to
her encrypted contacts book and lists it, asks bob's status (he is not rung), calls him by the
contact's name: the call gets a window of its own named bob, the status line says the call is on,
the short authentication string is shown, and text goes both ways in bob's window. She hangs up and
both sides are told. She looks at the status window (Alt-1); then bob calls her: her bob window
comes back by itself and it rings there with /answer or /deny, and she denies it. /quit ends the client with status 0 and gives the terminal back in its normal mode.
`--plain` and `--json` keep the line modes (test_direct.py).

Then the same after a rendezvous (parleyd on loopback): carol runs `parley --rendezvous` in the
terminal UI and reads her room code on the screen; dan (JSON) joins with it; after the key exchange
carol's client goes on in direct mode in the terminal UI, calls dan by the contact named by the
code, in a window of that name, and dan's client answers by itself. Without tmux it is skipped
(exit status 77)."""
import os
import queue
import shutil
import subprocess
import sys
import threading
import time

import tuidrive
from harness import PARLEY, TIMEOUT, Checks, Client, Server, cleanup, tmpdir
from tuidrive import SLOW, bar, body, line, screen, shows, status, typed, wait

if not shutil.which("tmux"):
    print("direct_tui: skipped, tmux is not installed", flush=True)
    sys.exit(77)

t = Checks("direct_tui")
tuidrive.setup(t)


class Direct(Client):
    """A parley --direct client in JSON mode (no server), as test_direct.py runs it."""

    def __init__(self, tmp, name):
        self.name, self.json_mode = name, True
        env = dict(os.environ)
        env.pop("PARLEY_PASSPHRASE", None)
        cmd = [PARLEY, "--json", "--direct", "--identity", os.path.join(tmp, f"identity-{name}"), "--contacts",
               os.path.join(tmp, f"contacts-{name}.book"), "--nick", name, "--jitter", "3", "--port", "0"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env)
        self.events, self.seen, self.lines = queue.Queue(), [], []
        threading.Thread(target=self._read, daemon=True).start()
        self.ready = self.expect("direct_ready")
        self.port = self.ready["port"] if self.ready else 0


tmp = tmpdir()
bob = dan = srv = None
socket_path = None
try:
    bob = Direct(tmp, "bob")
    t.check(bob.ready is not None, f"bob listens in direct mode (JSON) on port {bob.port}")
    passfile = os.path.join(tmp, "carol-pass")
    with open(passfile, "w") as f:
        f.write("carol's long passphrase\n")
    extra = (f"--direct --port 0 --nick carol --jitter 3 --contacts {os.path.join(tmp, 'carol.book')} "
             f"--passphrase-file {passfile}")
    socket_path, exit_file, stty_file = tuidrive.start(tmp, None, "carol", extra)

    wait(shows("Direct mode: listening on UDP port"), "the terminal UI starts in direct mode and says where it listens")
    rows = screen()
    t.check("[1:status]" in bar(rows), f"the window bar shows the status window: {bar(rows)!r}")
    t.check("direct, UDP port" in status(rows) and "carol" in status(rows) and "no call" in status(rows),
            f"the status line shows the port, carol's name and no call: {status(rows)!r}")

    line("/help")
    wait(shows("/call HOST:PORT|NAME"), "/help lists direct mode's commands")
    wait(shows("/status HOST:PORT|NAME"), "... /status among them")
    tuidrive.text("/ver")
    tuidrive.keys("Tab")
    wait(typed("[status] /verify "), "Tab completes direct mode's commands: /ver -> /verify")
    tuidrive.keys("C-u")
    tuidrive.text("/sta")
    tuidrive.keys("Tab")
    wait(typed("[status] /stats "), "... /sta -> /stats first")
    tuidrive.keys("Tab")
    wait(typed("[status] /status "), "... then /status, a command of direct mode's")
    tuidrive.keys("C-u")
    line("/call")
    wait(shows("Usage: /call HOST:PORT|NAME [FORMAT]"), "/call without an address gets a usage sentence")

    line(f"/contact add bob 127.0.0.1:{bob.port}")
    wait(shows(f"Contact bob added at 127.0.0.1:{bob.port}."), "carol adds bob to her contacts book")
    line("/contacts")
    wait(lambda r: sum(1 for x in body(r) if f"127.0.0.1:{bob.port}" in x) >= 1, "/contacts lists bob at his address")

    line("/status bob")
    wait(shows(f"bob at 127.0.0.1:{bob.port} is online (calls itself bob"), "/status bob: bob is there (online)")
    t.check(bob.expect("call_incoming", timeout=1.0) is None, "bob's client did not ring for the status request")

    line("/call bob")
    inc = bob.expect("call_incoming")
    t.check(inc is not None and inc.get("nick") == "carol", f"bob is rung by carol: {inc}")
    wait(lambda r: "[2:bob]" in bar(r), "the call gets a window of its own, [2:bob], shown at once")
    if inc:
        bob.send({"cmd": "answer"})
    ab = bob.expect("call_state", state="active")
    t.check(ab is not None, "bob answers: his side is active")
    wait(lambda r: "call with bob" in status(r), "carol's status line says the call with bob is on")
    wait(shows("Call with bob (127.0.0.1:"), "carol's bob window says the call is active")
    sas = bob.expect("sas")
    if sas:
        wait(shows(sas["sas"]), f"carol's screen shows the same short authentication string as bob's ({sas['sas']})")
    line("hello bob, straight through")
    tx = bob.expect("text")
    t.check(tx is not None and tx.get("text") == "hello bob, straight through",
            f"plain text typed in the window goes to bob: {tx}")
    bob.send({"cmd": "say", "text": "hi carol, no server at all"})
    wait(shows("hi carol, no server at all"), "bob's message shows in carol's bob window")
    line("/hangup")
    eb = bob.expect("call_state", state="ended")
    t.check(eb is not None and eb.get("reason") == "hung_up", f"/hangup ends the call for bob too: {eb}")
    wait(lambda r: "no call" in status(r), "carol's status line drops the call")
    tuidrive.keys("M-1")
    wait(lambda r: shows("Direct mode: listening on UDP port")(r) and not shows("hi carol")(r),
         "Alt-1 shows the status window, where the call's messages are not")

    port_line = next((x for x in body(screen()) if "listening on UDP port" in x), "")
    carol_port = None
    for word in port_line.replace(",", " ").split():
        if word.isdigit():
            carol_port = word
            break
    if not carol_port:  # the first window may have scrolled: the status line names it too
        st = status(screen())
        carol_port = st.split("UDP port", 1)[1].split()[0].strip(",]") if "UDP port" in st else "0"
    bob.send({"cmd": "call", "to": f"127.0.0.1:{carol_port}"})
    wait(lambda r: shows("/answer, or /deny")(r) and shows("hi carol")(r),
         f"bob calls carol at port {carol_port}: her bob window comes back by itself and it rings there, "
         f"with /answer or /deny")
    wait(lambda r: "ringing" in status(r), "the status line says it rings")
    line("/deny")
    ed = bob.expect("call_state", state="ended")
    t.check(ed is not None and ed.get("reason") == "denied", f"/deny refuses it: bob is told denied: {ed}")

    line("/quit")
    deadline = time.time() + TIMEOUT * SLOW
    while time.time() < deadline and not os.path.exists(stty_file):
        time.sleep(0.05)
    code = open(exit_file).read().strip() if os.path.exists(exit_file) else None
    t.check(code == "EXIT=0", f"/quit ends the client with status 0 ({code})")
    stty = open(stty_file).read() if os.path.exists(stty_file) else ""
    t.check(" icanon" in stty and " echo " in stty and " icrnl" in stty,
            "the terminal is back in its normal mode (icanon, echo, icrnl)")
    tuidrive.stop(socket_path)
    socket_path = None

    # --- after a rendezvous ---
    srv = Server(tmp)
    tmp2 = os.path.join(tmp, "rdv")
    os.mkdir(tmp2)
    extra = (f"--rendezvous --jitter 3 --contacts {os.path.join(tmp2, 'carol.book')} "
             f"--passphrase-file {passfile}")
    socket_path, exit_file, stty_file = tuidrive.start(tmp2, srv.tcp, "carol", extra)
    code = None

    def code_shown(rows):
        global code
        for r in body(rows):
            if "Your room code is " in r:
                code = r.split("Your room code is ", 1)[1].split(".")[0].strip()
                return True
        return False
    wait(code_shown, "carol asks for a room code in the terminal UI and reads it on the screen")
    env = dict(os.environ, PARLEY_PASSPHRASE="dan's passphrase")
    dan = Client(tmp2, srv, "--rendezvous", code or "1-acorn-acorn", "--jitter", "3", "--contacts",
                 os.path.join(tmp2, "dan.book"), name="dan", env=env)
    t.check(dan.expect("rdv_verified") is not None, f"dan joins with the code she read ({code}): the key exchange succeeds")
    wait(lambda r: f"2:{code}]" in bar(r), f"carol's client goes on in direct mode in the terminal UI, calling dan in a "
         f"window named by the code: {bar(screen())!r}")
    t.check(dan.expect("call_state", state="active") is not None, "dan's client answers her call by itself")
    wait(lambda r: f"call with {code}" in status(r), "carol's status line shows the call")
    wait(shows(f"Call with {code} ("), "and her window says it is active")
    line("/hangup")
    t.check(dan.expect("call_state", state="ended") is not None, "carol hangs up: dan is told")
    line("/quit")
    deadline = time.time() + TIMEOUT * SLOW
    while time.time() < deadline and not os.path.exists(stty_file):
        time.sleep(0.05)
    code_ = open(exit_file).read().strip() if os.path.exists(exit_file) else None
    t.check(code_ == "EXIT=0", f"/quit ends the client with status 0 ({code_})")
finally:
    tuidrive.stop(socket_path)
    for c in (bob, dan):
        if c:
            c.quit()
    if srv is not None:
        t.check(srv.stop() == 0, "parleyd shuts down cleanly")
    cleanup(tmp)
t.finish()
