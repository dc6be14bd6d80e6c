"""Issue 6, defect 12: nothing from the network drives the terminal. A fake parleyd, a TLS listener
speaking the wire protocol by hand, plays a malicious server: its name, the nickname it logs the
client in as, rooms, messages, an ERROR detail, presence notes, contact requests, devices, groups,
a profile and a user list are all full of terminal escape sequences (ESC [2J clears the screen,
OSC 0 sets the window title, U+009B is the one-byte CSI), BEL, DEL, line breaks that would fake a
line, and invalid UTF-8 (a bare 0x9B is CSI to an 8-bit terminal).

The real client connects to it three times:
- in --plain mode, every byte it writes (stdout and stderr) must be valid UTF-8 with no control
  character but the newline, no DEL and no C1 control, and the hostile strings must still be shown
  (made visible, as ^[ and <U+009B>), not dropped;
- in --json mode, every line must be valid UTF-8 and valid JSON, hold no raw control byte either,
  and every message the server sent must have its event (an invalid UTF-8 string must not make an
  event vanish);
- in the terminal UI (in tmux, when it is installed), the OSC 0 sequence in what the UI shows must
  not set the pane's title, nor in what it replays on the terminal after it closes: the fake server
  hangs up, the client says it reconnects, /quit ends it, and the last notices (the server's name,
  the ERROR) are printed as the UI ends."""
import json
import os
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

from harness import (AUTH_OK, ERROR, HELLO, JOINED, PARLEY, TEXT, TIMEOUT, USERLIST, WELCOME, Checks,
                     cleanup, frame, tmpdir)

PRESENCE, CONTACT_ADDED, PROFILE, GROUP, GROUP_MEMBER, ROOM_INFO, LIST_END = (
    0x800D, 0x800B, 0x800A, 0x800E, 0x800F, 0x8010, 0x8011)
DEVICE, CONTACT_REQUEST = 0x8013, 0x8014
LOGINS = {0x0002, 0x0003, 0x0019}  # REGISTER, LOGIN, LOGIN_KEY
BYE = 0x0008

CLEAR = b"\x1b[2J"              # ESC [ 2 J: clears the screen
TITLE = b"\x1b]0;pwned\x07"     # OSC 0: sets the window title to "pwned"
C1_CSI = "\u009b".encode()      # U+009B, CSI as one character
BARE_CSI = b"\x9b"              # CSI to an 8-bit terminal; invalid UTF-8
FAKE_LINE = b"\r\n! Error 402 fake"


def hostile(prefix, n):
    """Up to n bytes: prefix, then every kind of trouble, the sharpest first."""
    return (prefix.encode() + CLEAR + C1_CSI + b"2J" + TITLE + BARE_CSI + b"2J\xff\x07\x7f" + FAKE_LINE)[:n]


def s(b):
    return struct.pack(">H", len(b)) + b


def u8(v): return struct.pack(">B", v)
def u16(v): return struct.pack(">H", v)
def u32(v): return struct.pack(">I", v)
def u64(v): return struct.pack(">Q", v)


NICK = hostile("m", 32)
ROOM = b"#" + hostile("r", 31)
PEER = hostile("eve", 32)
SENTINEL = b"end of the barrage"
NOW = int(time.time() * 1000)


def barrage():
    """(frames after the login, the JSON events they must give)."""
    out = [
        (JOINED, s(ROOM) + s(NICK) + u64(1) + bytes(32), "joined"),
        (USERLIST, s(ROOM) + u8(0) + u16(2) + s(NICK) + u64(1) + bytes(32) + s(PEER) + u64(2) + bytes(32), "userlist"),
        (TEXT, u64(7) + u64(NOW) + u8(0) + s(ROOM) + s(PEER) + s(hostile("room text ", 400)), "message"),
        (TEXT, u64(8) + u64(NOW) + u8(0) + s(NICK) + s(PEER) + s(hostile("private text ", 400)), "message"),
        (ERROR, u16(444) + u16(0x0007) + s(hostile("detail ", 200)), "error"),
        (PRESENCE, s(PEER) + u8(2) + s(hostile("note ", 128)), "presence"),
        (CONTACT_ADDED, s(PEER) + u8(1) + s(hostile("note ", 128)), "contact_added"),
        (CONTACT_REQUEST, s(PEER) + u8(0), "contact_request"),
        (DEVICE, s(NICK) + bytes(range(32)) + s(hostile("laptop ", 32)) + u64(NOW) + u64(NOW) + u8(1), "device"),
        (GROUP, u32(5) + s(hostile("group ", 48)) + u64(NOW) + u16(2) + s(NICK) + s(PEER), "group"),
        (GROUP_MEMBER, u32(5) + s(PEER) + u8(1) + u64(NOW), "group_member"),
        (PROFILE, s(PEER) + s(hostile("Real ", 64)) + u64(NOW) + u8(4) + s(hostile("n", 128)) + u16(0), "profile"),
        (ROOM_INFO, s(ROOM) + u32(3), "room"),
        (LIST_END, u16(0x0015) + u32(1) + u8(0), "end"),
        (TEXT, u64(9) + u64(NOW) + u8(0) + s(ROOM) + s(b"server") + s(SENTINEL), "message"),
    ]
    return [frame(t, p) for t, p, _ in out], ["welcome", "logged_in"] + [e for _, _, e in out]


class FakeServer:
    """A TLS listener that speaks the wire protocol by hand, one connection after another."""

    def __init__(self, tmp):
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=evil"],
                       check=True, capture_output=True)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.tcp = self.sock.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # voice goes here, unanswered
        self.udp.bind(("127.0.0.1", 0))
        self.served = 0
        self.errors = []
        self.hang_up = None  # seconds after the barrage to close the connection; None: wait for BYE
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                self._serve(self.ctx.wrap_socket(conn, server_side=True))
            except Exception as e:  # noqa: BLE001 - reported by the test
                self.errors.append(repr(e))
            self.served += 1

    def _serve(self, c):
        c.settimeout(TIMEOUT)
        buf = b""

        def next_frame(timeout):
            nonlocal buf
            c.settimeout(timeout)
            while True:
                if len(buf) >= 6:
                    n, t = struct.unpack(">IH", buf[:6])
                    if len(buf) >= n:
                        f, buf = buf[:n], buf[n:]
                        return t
                try:
                    d = c.recv(65536)
                except (socket.timeout, ssl.SSLError, OSError):
                    return None
                if not d:
                    return None
                buf += d

        if next_frame(TIMEOUT) != HELLO:
            raise RuntimeError("no HELLO")
        c.sendall(frame(WELCOME, u16(2) + s(hostile("evil.example ", 64)) + os.urandom(32)))
        deadline = time.time() + 5
        while time.time() < deadline and next_frame(max(0.05, deadline - time.time())) not in LOGINS:
            pass
        c.sendall(frame(AUTH_OK, s(NICK) + u64(0x1122334455667788) + u16(self.udp.getsockname()[1]) +
                        os.urandom(32) + u8(1) + u16(0)))
        frames, _ = barrage()
        for f in frames:
            c.sendall(f)
        if self.hang_up is not None:
            end = time.time() + self.hang_up
            while time.time() < end and next_frame(max(0.05, end - time.time())) not in (None, BYE):
                pass
        else:
            while next_frame(TIMEOUT) not in (None, BYE):
                pass
        c.close()

    def close(self):
        self.sock.close()
        self.udp.close()


def run_client(tmp, srv, mode, name):
    """The client in --plain or --json mode against the fake server: (stdout bytes, stderr bytes)."""
    env = dict(os.environ, HOME=os.path.join(tmp, name), PARLEY_PASSWORD="mallory-password", LANG="C.UTF-8")
    os.makedirs(env["HOME"], exist_ok=True)
    p = subprocess.Popen([PARLEY, mode, "--known-hosts", os.path.join(tmp, f"kh-{name}"), "--nick", "mallory",
                          "--register", f"127.0.0.1:{srv.tcp}"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out = bytearray()

    def read():
        for chunk in iter(lambda: p.stdout.read1(65536), b""):
            out.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.time() + TIMEOUT
    while time.time() < deadline and SENTINEL not in out and p.poll() is None:
        time.sleep(0.05)
    time.sleep(0.3)
    p.stdin.close()  # end of input is /quit
    try:
        p.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    reader.join(timeout=5)
    return bytes(out), p.stderr.read()


def terminal_safe(data):
    """None when data is valid UTF-8 with no control character but the newline, else what is wrong."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return f"invalid UTF-8 at byte {e.start}: {data[max(0, e.start - 20):e.start + 10]!r}"
    for i, ch in enumerate(text):
        if (ord(ch) < 0x20 and ch != "\n") or 0x7f <= ord(ch) <= 0x9f:
            return f"control U+{ord(ch):04X} at {i}: {text[max(0, i - 20):i + 10]!r}"
    return None


t = Checks("escapes")
tmp = tmpdir()
srv = FakeServer(tmp)
try:
    # --- the plain mode ---
    out, err = run_client(tmp, srv, "--plain", "plain")
    for what, data in (("stdout", out), ("stderr", err)):
        bad = terminal_safe(data)
        t.check(bad is None, f"--plain: the client's {what} holds no raw control byte and is valid UTF-8 ({bad})")
    text = out.decode("utf-8", "replace")
    t.check(SENTINEL.decode() in text, "--plain: every message was shown, the last one too")
    t.check("^[[2J" in text and "^[]0;pwned^G" in text,
            "--plain: ESC [2J and OSC 0 are shown as visible text (^[[2J, ^[]0;pwned^G)")
    t.check("<U+009B>2J" in text, "--plain: the C1 CSI is shown as <U+009B>")
    t.check("\ufffd2J" in text, "--plain: invalid UTF-8 (a bare 0x9B) is shown as U+FFFD")
    t.check("^M^J! Error 402 fake" in text and not any(line.startswith("! Error 402 fake")
                                                        for line in text.split("\n")),
            "--plain: a line break in a detail cannot fake a line of its own")
    for label in ("Connected to evil.example", "Error 444", "note ", "asks to become your contact",
                  "device 'laptop ", "Group 5 \"group ", "presence not shared (not a contact)", "Real "):
        t.check(label in text, f"--plain: shown: {label!r}")

    # --- the JSON mode ---
    out, err = run_client(tmp, srv, "--json", "json")
    t.check(terminal_safe(err) is None, f"--json: stderr is terminal-safe ({terminal_safe(err)})")
    lines = out.split(b"\n")
    t.check(lines[-1] == b"", "--json: the output ends with a newline")
    events, bad = [], []
    for raw in lines[:-1]:
        try:
            ev = json.loads(raw.decode("utf-8"))
            events.append(ev)
        except (UnicodeDecodeError, ValueError) as e:
            bad.append((raw[:80], str(e)))
        if any(b < 0x20 or b == 0x7f for b in raw) or any(
                raw[i] == 0xc2 and 0x80 <= raw[i + 1] <= 0x9f for i in range(len(raw) - 1)):
            bad.append((raw[:80], "a raw control byte"))
    t.check(not bad, f"--json: every line is valid UTF-8 and valid JSON, with no raw control byte ({bad[:2]})")
    names = [e.get("event") for e in events]
    _, want = barrage()
    missing = [w for w in want if w not in names or names.count(w) < want.count(w)]
    t.check(not missing, f"--json: every message the server sent has its event ({missing or 'all there'})")
    err_ev = next((e for e in events if e.get("event") == "error"), {})
    t.check(err_ev.get("detail", "").startswith("detail \x1b[2J\u009b2J\x1b]0;pwned\x07\ufffd2J\ufffd\x07\x7f"),
            f"--json: the detail arrives whole, controls escaped and invalid UTF-8 as U+FFFD: "
            f"{err_ev.get('detail', '')[:40]!r}")
    li = next((e for e in events if e.get("event") == "logged_in"), {})
    t.check(li.get("session") == "1122334455667788" and li.get("device_added") is True,
            f"--json: logged_in has a 16-hex-digit session and device_added: {li}")
    dev = next((e for e in events if e.get("event") == "device"), {})
    t.check(dev.get("key") == bytes(range(32)).hex() and len(dev.get("fingerprint", "")) == 39 and dev.get("this"),
            f"--json: the device event has its key, fingerprint and flags: {dev}")
    prof = next((e for e in events if e.get("event") == "profile"), {})
    t.check(prof.get("presence") == "hidden", f"--json: a profile whose presence is not shared says hidden: {prof}")

    # --- the terminal UI, in tmux ---
    if shutil.which("tmux"):
        sock = f"parley-escapes-{os.getpid()}"

        def tmux(*args):
            return subprocess.run(["tmux", "-u", "-L", sock, *args], capture_output=True, text=True)

        exit_file = os.path.join(tmp, "tui-exit")
        home = os.path.join(tmp, "tui")
        os.makedirs(home, exist_ok=True)
        client = (f"HOME={home} PARLEY_PASSWORD=mallory-password TERM=screen-256color LANG=C.UTF-8 {PARLEY} "
                  f"--known-hosts {tmp}/kh-tui --nick mallory --register 127.0.0.1:{srv.tcp}")
        tmux("-f", "/dev/null", "new-session", "-d", "-s", "esc", "-x", "120", "-y", "30",
             "sh", "-c", f"printf '\\033]2;clean\\007'; {client}; echo EXIT=$? > {exit_file}; exec sleep 600")
        try:
            served = srv.served
            srv.hang_up = 6.0
            # Joining the hostile room switches to its window, named with the escapes made visible.
            deadline = time.time() + TIMEOUT
            screen = ""
            while time.time() < deadline and "#r^[[2J<U+009B>2J" not in screen:
                time.sleep(0.05)
                screen = tmux("capture-pane", "-p", "-t", "esc").stdout
            t.check("#r^[[2J<U+009B>2J" in screen,
                    f"TUI: the hostile room's window is named with the escapes made visible: {screen[:100]!r}")
            title = tmux("display-message", "-p", "-t", "esc", "#{pane_title}").stdout.strip()
            t.check("pwned" not in title, f"TUI: the window title is not set by the server ({title!r})")
            # When the server hangs up, the client says it will reconnect and stays; /quit ends it.
            deadline = time.time() + TIMEOUT
            while time.time() < deadline and "reconnecting" not in screen:
                time.sleep(0.05)
                screen = tmux("capture-pane", "-p", "-t", "esc").stdout
            tmux("send-keys", "-t", "esc", "/quit", "Enter")
            deadline = time.time() + TIMEOUT
            while time.time() < deadline and not os.path.exists(exit_file):
                time.sleep(0.05)
            time.sleep(0.2)
            screen = tmux("capture-pane", "-p", "-t", "esc").stdout
            title = tmux("display-message", "-p", "-t", "esc", "#{pane_title}").stdout.strip()
            t.check(os.path.exists(exit_file), "TUI: when the server hangs up the client reconnects; /quit ends it")
            t.check("pwned" not in title,
                    f"TUI: what it replays on the terminal after it closes does not set the title ({title!r})")
            t.check("Error 444" in screen and "^[]0;pwned^G" in screen and "<U+009B>" in screen,
                    "TUI: the replayed notices are there (the ERROR among them), the escapes shown as visible text")
            t.check(srv.served > served, "TUI: the fake server served the terminal UI")
        finally:
            path = tmux("display-message", "-p", "#{socket_path}").stdout.strip()
            tmux("kill-server")
            if path and os.path.exists(path):
                os.unlink(path)  # tmux leaves it behind
    else:
        print("escapes: tmux is not installed; the terminal UI part is skipped", flush=True)
    t.check(not srv.errors, f"the fake server ran its script every time ({srv.errors})")
finally:
    srv.close()
    cleanup(tmp)
    t.finish()
