"""The terminal UI driven as a person drives it: a real parleyd, the real parley client in a tmux
pane of fixed size, keys typed with tmux send-keys and the screen read back with capture-pane.
Carol uses the TUI; dave is a JSON-mode client on the other side. Covers login, joining a room,
the window bar, the user list, chat both ways (UTF-8 included), tab completion of nicknames and
commands, input history, an error sentence, window switching with activity marks, a private
conversation window, scrolling back, a terminal resize, /quit with exit status 0 and the terminal
given back in its normal mode.

PARLEY_TUI_PREFIX (e.g. "valgrind --leak-check=full --log-file=/tmp/vg.%p") runs the client under
a wrapper; PARLEY_TUI_TERM sets TERM in the pane (default screen-256color). Without tmux the test
is skipped (exit status 77)."""
import os
import re
import shutil
import sys
import time

import tuidrive
from harness import TIMEOUT, Checks, Client, Server, cleanup, speech_wav, tmpdir
from tuidrive import (COLS, PANE, ROWS, SLOW, bar, body, input_row, keys, line, screen, shows, status, text,
                      tmux, typed, userlist, wait)

if not shutil.which("tmux"):
    print("tui: skipped, tmux is not installed", flush=True)
    sys.exit(77)

t = Checks("tui")
tuidrive.setup(t)


tmp = tmpdir()
srv = Server(tmp, "--message-rate", "1000000", "--message-burst", "1000000", "--request-rate", "1000000",
             "--request-burst", "1000000")
dave = None
socket_path = None
try:
    socket_path, exit_file, stty_file = tuidrive.start(tmp, srv.tcp, "carol")

    wait(shows("Connected to testserver"), "the TUI starts and shows the server's welcome")
    t.check("[1:status]" in bar(screen()), "the window bar shows the status window")
    line("/register carol some-password")
    wait(lambda r: "carol (online)" in status(r), "after /register the status line shows carol online")
    wait(lambda r: "[2:#Lobby]" in bar(r), "#Lobby, joined on login, gets window 2")
    keys("M-1")
    wait(shows("Logged in as carol."), "Alt-1 shows the status window with 'Logged in as carol.'")
    t.check(input_row(screen()).startswith("[status]"), "the input prompt names the status window")

    dave = Client(tmp, srv, name="dave")
    t.check(dave.login("dave", "dave-password") is not None, "dave logs in (JSON mode)")

    line("/join #tea")
    wait(lambda r: "[3:#tea]" in bar(r), "after /join #tea the window bar shows [3:#tea]")
    wait(lambda r: "#tea" in status(r) and input_row(r).startswith("[#tea]"),
         "the status line and the prompt name #tea")
    wait(lambda r: userlist(r) == ["carol"], "the user list shows carol alone")

    dave.send({"cmd": "join", "room": "#tea"})
    t.check(dave.expect("joined", room="#tea", nick="dave") is not None, "dave joins #tea")
    wait(lambda r: userlist(r) == ["carol", "dave"], "dave appears in the user list, sorted")
    wait(shows("dave joined #tea"), "the join is announced in #tea")
    dave.send({"cmd": "say", "to": "#tea", "text": "tea, carol? ünïcødé 日本語"})
    wait(shows("<dave> tea, carol? ünïcødé 日本語"), "dave's message shows in #tea, UTF-8 intact")

    line("yes please, with milk")
    m = dave.expect("message", to="#tea", **{"from": "carol"})
    t.check(m is not None and m["text"] == "yes please, with milk", f"dave receives carol's message: {m}")
    wait(shows("<carol> yes please, with milk"), "carol's own message shows in #tea")

    keys("Up")
    wait(typed("[#tea] yes please, with milk"), "Up recalls the last line")
    keys("C-u")
    wait(typed("[#tea] "), "Ctrl-U clears it")

    text("da")
    keys("Tab")
    wait(typed("[#tea] dave: "), "'da' + Tab completes to 'dave: '")
    line("two sugars?")
    m = dave.expect("message", to="#tea", **{"from": "carol"})
    t.check(m is not None and m["text"] == "dave: two sugars?", f"the completed line reaches dave: {m}")
    text("/jo")
    keys("Tab")
    wait(typed("[#tea] /join "), "'/jo' + Tab completes to '/join '")
    keys("C-u")

    line("/join nohash")
    wait(shows("Room names start with '#': try /join #nohash"), "a bad /join shows its sentence")
    err = [r for r in screen(escapes=True) if "Room names start" in r]
    t.check(bool(err) and ("\x1b[1" in err[0] or "31m" in err[0]), f"the error is highlighted: {err!r}")

    keys("M-1")
    wait(lambda r: input_row(r).startswith("[status]"), "Alt-1 switches to the status window")
    dave.send({"cmd": "say", "to": "#tea", "text": "while you were away"})
    wait(lambda r: "[3:#tea*]" in bar(r), "a message in #tea marks its window with '*'")
    keys("M-3")
    wait(lambda r: "[3:#tea]" in bar(r) and shows("while you were away")(r),
         "Alt-3 shows #tea with the message and clears the mark")
    keys("C-p")
    wait(lambda r: input_row(r).startswith("[#Lobby]"), "Ctrl-P goes to the previous window")
    keys("C-n")
    wait(lambda r: input_row(r).startswith("[#tea]"), "Ctrl-N goes to the next window")

    dave.send({"cmd": "say", "to": "carol", "text": "a private word"})
    wait(lambda r: "[4:dave@]" in bar(r), "a private message opens window [4:dave], marked @ as a message to carol")
    keys("M-4")
    wait(shows("a private word"), "the conversation window shows it")
    line("understood")
    m = dave.expect("message", to="dave", **{"from": "carol"})
    t.check(m is not None and m["text"] == "understood", "plain text in a conversation window goes to dave")
    wait(lambda r: shows("understood")(r) and "carol" not in bar(r),
         "carol's own line shows in the conversation with dave, not in a window of her own")
    keys("M-3")

    for i in range(40):
        dave.send({"cmd": "say", "to": "#tea", "text": f"numbered line {i:02d}"})
    wait(shows("numbered line 39"), "40 lines arrive; the newest is at the bottom")
    t.check(not shows("numbered line 00")(screen()), "the oldest has scrolled off the screen")
    keys("PPage")
    keys("PPage")
    wait(lambda r: shows("numbered line 02")(r) and "-- more --" in status(r),
         "PageUp scrolls back, and the status line says there is more")
    keys("NPage")
    keys("NPage")
    keys("NPage")
    wait(lambda r: shows("numbered line 39")(r) and "-- more --" not in status(r),
         "PageDown returns to the newest line")

    # The scrollback is a ring of 2000 lines: after 2100 more, the oldest kept is bulk 0100.
    for i in range(2100):
        dave.send({"cmd": "say", "to": "#tea", "text": f"bulk {i:04d}"})
    wait(shows("bulk 2099"), "2100 more lines arrive", timeout=60)
    keys("-N", "150", "PPage")
    wait(lambda r: body(r)[0].rstrip().endswith("<dave> bulk 0100"), "PageUp reaches the oldest line kept: "
         "the window keeps its last 2000 lines")
    keys("-N", "150", "NPage")
    wait(lambda r: shows("bulk 2099")(r) and "-- more --" not in status(r), "PageDown comes back")

    tmux("resize-window", "-t", PANE, "-x", "50", "-y", "16")
    wait(lambda r: len(r) >= 16 and not userlist(r) and input_row(r).startswith("[#tea]")
         and shows("bulk 2099")(r), "at 50 columns the user list is hidden and the screen redrawn")
    tmux("resize-window", "-t", PANE, "-x", str(COLS), "-y", str(ROWS))
    wait(lambda r: userlist(r) == ["carol", "dave"], "back at 100 columns the user list returns")
    keys("C-l")
    wait(lambda r: "[3:#tea]" in bar(r) and shows("bulk 2099")(r), "Ctrl-L redraws the screen")

    # --- a call: rung, answered, its state and code shown, who talks marked, hung up ---
    speech = speech_wav(tmp, "dave", "Hello carol, this is dave talking on the call.")
    line("/add dave")
    dave.expect("contact_request", nick="carol", kind="incoming")
    dave.send({"cmd": "accept", "nick": "carol"})
    t.check(dave.expect("contact_added", nick="carol") is not None, "carol and dave become contacts")
    dave.send({"cmd": "call", "nick": "carol"})
    wait(shows("dave calls you (Opus 48000 Hz mono, 20 ms; device "), "an incoming call shows its caller, "
         "offer and device key")
    wait(lambda r: "/answer, or /deny" in " ".join(body(r)) and "ringing" in status(r),
         "with what to type, and the status line says it rings")
    bell = tmux("display-message", "-p", "-t", PANE, "#{window_bell_flag}").stdout.strip()
    t.check(bell == "1", f"the terminal bell rang for it (tmux's bell flag: {bell!r})")
    line("/answer")
    sas = dave.expect("sas")
    wait(lambda r: sas is not None and shows(f"Code to compare with dave aloud: {sas['sas']}")(r),
         f"the code to compare aloud is shown, the same as dave's ({sas and sas['sas']})")
    wait(lambda r: "call with dave 00:0" in status(r) and "Opus 48000 Hz mono" in status(r)
         and "not verified" in status(r), "the status line shows the call, its duration, format and trust")
    wait(lambda r: "direct LAN" in status(r) or shows("(direct LAN")(r),
         "the call's path is shown: direct LAN (both clients on this host)")
    t.check(not shows("dave is busy")(screen()), "dave going busy 'in a call' with carol is not news on her screen")
    wait(lambda r: "[mic [" in bar(r) and "] vad]" in bar(r), "the window bar shows carol's microphone meter and mode")
    keys("M-3")
    dave.send({"cmd": "voice_send", "file": speech})
    wait(lambda r: any(n.lstrip("\u266a*") == "dave" and n[0] in "\u266a*" for n in userlist(r)),
         "while dave talks, carol's user list marks him as talking")
    t.check(dave.expect("voice_sent", timeout=60) is not None, "dave's speech was sent")
    wait(lambda r: "dave" in userlist(r), "once he stops, the mark goes")
    line("/stats")

    def readout(r):
        """/stats's lines, the rows they wrapped over joined again."""
        return " ".join(" ".join(x.split()) for x in body(r))
    # The network's share is "?" until the far end reports (carol sends nothing: no sound device).
    delay = r"Delay, mouth to ear: (at least )?\d+\.\d ms = capture \d+\.\d \+ encode \d+\.\d \+ " \
            r"network (\d+\.\d|\?) \(one way\) \+ jitter buffer \d+\.\d \+ playout \d+\.\d"
    wait(lambda r: re.search(delay, readout(r)) and re.search(r"Receiving: [1-9]\d* packets", readout(r))
         and "Sending: " in readout(r) and "Audio: " in readout(r),
         "/stats shows where the delay goes, part by part, and what was received and sent")
    line("/verify")
    wait(shows("dave's device"), "/verify marks dave's device as verified")
    wait(lambda r: "call with dave" in status(r) and ", verified" in status(r), "the status line says verified")
    line("/hangup")
    ev = dave.expect("call_state", state="ended")
    t.check(ev is not None and ev.get("reason") == "hung_up", f"/hangup ends the call for dave: {ev}")
    wait(lambda r: shows("Call with dave ended: hung up.")(r) and "call with" not in status(r),
         "carol's screen says it ended and the status line drops it")
    wait(lambda r: "[#tea mic [" in bar(r), "out of the call, the window bar names the room carol's voice is in")

    line("/quit")
    deadline = time.time() + TIMEOUT * SLOW
    while time.time() < deadline and not os.path.exists(stty_file):
        time.sleep(0.05)
    code = open(exit_file).read().strip() if os.path.exists(exit_file) else None
    t.check(code == "EXIT=0", f"/quit ends the client with status 0 ({code})")
    stty = open(stty_file).read() if os.path.exists(stty_file) else ""
    t.check(" icanon" in stty and " echo " in stty and " icrnl" in stty,
            "the terminal is back in its normal mode (icanon, echo, icrnl)")
    wait(lambda r: any("Disconnected." in x for x in r), "the last notices stay on the terminal")
finally:
    tuidrive.stop(socket_path)
    if dave:
        dave.quit()
    t.check(srv.stop() == 0, "parleyd shuts down cleanly")
    cleanup(tmp)
t.finish()
