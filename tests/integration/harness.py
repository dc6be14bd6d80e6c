"""Shared pieces of parley's integration tests: real parleyd and parley processes on loopback,
free ports chosen by the kernel (port 0, read back from parleyd's "ready" line), JSON-mode
clients driven line by line, test speech from espeak-ng, and a raw TLS speaker of the wire
protocol for feeding the server bytes no real client would send."""
import array
import atexit
import ctypes
import ctypes.util
import json
import math
import os
import queue
import random
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import wave

BUILD = os.environ.get("PARLEY_BUILD", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
PARLEYD = os.environ.get("PARLEYD", os.path.join(BUILD, "parleyd"))
PARLEY = os.environ.get("PARLEY", os.path.join(BUILD, "parley"))
AUDIOCMP = os.environ.get("AUDIOCMP", os.path.join(BUILD, "tests", "tools", "audiocmp"))
TIMEOUT = float(os.environ.get("PARLEY_TEST_TIMEOUT", "20"))

# The clients' configuration directory (client/confdir.h) is a fresh one, so a config file of the
# person running the tests (~/.config/parley/config: a nick, rooms) steers none of their clients.
if "PARLEY_HOME" not in os.environ:
    os.environ["PARLEY_HOME"] = tempfile.mkdtemp(prefix="parley-test-home-")
    atexit.register(shutil.rmtree, os.environ["PARLEY_HOME"], ignore_errors=True)


class Checks:
    """Counts named checks and prints the closing 'N passed, N failed' line."""

    def __init__(self, name):
        self.name, self.passed, self.failed = name, 0, 0

    def check(self, cond, what):
        if cond:
            self.passed += 1
            print(f"ok   {what}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {what}", flush=True)
        return cond

    def finish(self):
        # Called from a `finally`: the exit below would hide an exception on its way out, so a
        # test that raised counts as failed here.
        exc = sys.exc_info()[1]
        if exc is not None and not isinstance(exc, SystemExit):
            traceback.print_exc()
            self.check(False, f"the test ran to its end (it raised {exc!r})")
        print(f"{self.name}: {self.passed} passed, {self.failed} failed", flush=True)
        sys.exit(1 if self.failed or not self.passed else 0)


class Server:
    def __init__(self, tmp, *args, data_dir=None, port=0, name="testserver", listen="127.0.0.1", preexec=None,
                 env=None, prefix=None):
        self.data_dir = data_dir or os.path.join(tmp, "data")
        self.log_path = os.path.join(tmp, f"parleyd-{int(time.time()*1000)}.log")
        self.log = open(self.log_path, "w")
        # prefix: a command that runs parleyd elsewhere, such as ["ip", "netns", "exec", NS]
        # (tests/integration/natlab.py); the address clients reach it at is then listen's.
        self.host = listen if prefix and listen not in ("", "0.0.0.0", "::") else "127.0.0.1"
        self.proc = subprocess.Popen(
            [*(prefix or []), PARLEYD, "--listen", listen, "--port", str(port), "--udp-port", "0",
             "--data-dir", self.data_dir, *(["--name", name] if name else []),
             # Tests register many accounts from 127.0.0.1; the test of that limit sets its own
             # (a later option wins).
             "--register-burst", "1000", *args],
            stdout=subprocess.PIPE, stderr=self.log, text=True, preexec_fn=preexec, env=env)
        line = self.proc.stdout.readline()
        if not line.startswith("ready "):
            self.proc.kill()
            raise RuntimeError(f"parleyd did not start: {line!r}; log:\n{open(self.log_path).read()}")
        kv = dict(p.split("=", 1) for p in line.split()[1:])
        self.tcp, self.udp, self.fingerprint = int(kv["tcp"]), int(kv["udp"]), kv["fingerprint"]
        self.metrics = int(kv["metrics"]) if "metrics" in kv else None  # with --metrics-listen

    def kill9(self):
        """SIGKILL: no chance to flush or close anything."""
        self.proc.kill()
        self.proc.wait()
        self.log.close()

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        """SIGTERM, then the exit status (0 for a clean shutdown, sanitizers included)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def logtext(self):
        with open(self.log_path) as f:
            return f.read()

    def rss_kb(self):
        """Resident memory now, in KiB (VmRSS)."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def cpu_s(self):
        """CPU time used so far (user and system), in seconds."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Client:
    """A parley client in JSON mode; events are read by a thread into a queue."""

    def __init__(self, tmp, server, *args, name="c", json_mode=True, env=None, prefix=None):
        """prefix: a command that runs parley elsewhere, such as ["ip", "netns", "exec", NS]."""
        self.name = name
        self.known_hosts = os.path.join(tmp, f"known_hosts-{name}")
        self.identity = os.path.join(tmp, f"identity-{name}")  # this client's device, its own
        cmd = [PARLEY, "--known-hosts", self.known_hosts, "--identity", self.identity, *args,
               f"{getattr(server, 'host', '127.0.0.1')}:{server.tcp}"]
        if json_mode:
            cmd.insert(1, "--json")
        cmd = [*(prefix or []), *cmd]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        self.events, self.seen, self.lines = queue.Queue(), [], []
        self.json_mode = json_mode
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)
            if self.json_mode:
                try:
                    ev = json.loads(line)
                except ValueError:
                    ev = {"event": "unparsable", "line": line}
            else:
                ev = {"event": "line", "line": line.rstrip("\n")}
            self.events.put(ev)
        self.events.put({"event": "eof"})

    def send(self, obj):
        self.proc.stdin.write((json.dumps(obj) if isinstance(obj, dict) else obj) + "\n")
        self.proc.stdin.flush()

    def expect(self, event, timeout=TIMEOUT, **fields):
        """The first event (seen before or arriving) with that name and those field values."""
        def match(ev):
            return ev.get("event") == event and all(ev.get(k) == v for k, v in fields.items())
        for i, ev in enumerate(self.seen):
            if match(ev):
                return self.seen.pop(i)
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                ev = self.events.get(timeout=max(0.01, deadline - time.time()))
            except queue.Empty:
                break
            if match(ev):
                return ev
            self.seen.append(ev)
            if ev.get("event") == "eof":
                break
        return None

    def login(self, nick, password, register=True):
        self.expect("welcome")
        self.send({"cmd": "register" if register else "login", "nick": nick, "password": password})
        return self.expect("logged_in")

    def quit(self, timeout=15):
        if self.proc.poll() is None:
            try:
                self.send({"cmd": "quit"} if self.json_mode else "/quit")
            except (BrokenPipeError, ValueError):
                pass
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.proc.returncode


def finish(t, srv, clients, tmp):
    """The end of every test: clients quit, the server must shut down cleanly (a sanitizer report
    makes its exit status non-zero), the temporary directory goes, and the closing line. Called
    from a `finally`: a test that raised fails in Checks.finish."""
    for c in clients:
        if c:
            c.quit()
    if srv is not None:
        t.check(srv.stop() == 0, "parleyd shuts down cleanly")
    cleanup(tmp)
    t.finish()


def tmpdir():
    d = tempfile.mkdtemp(prefix="parley-test-")
    return d


def cleanup(d):
    shutil.rmtree(d, ignore_errors=True)


def speech_wav(tmp, name, text):
    """Test speech as TESTING.md makes it: espeak-ng, then 48 kHz mono 16-bit with headroom."""
    raw = os.path.join(tmp, name + "-raw.wav")
    out = os.path.join(tmp, name + ".wav")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", raw, text], check=True)
    subprocess.run(["sox", raw, "-r", "48000", "-c", "1", "-b", "16", "-e", "signed-integer", out,
                    "gain", "-n", "-3", "rate", "-v"], check=True)
    return out


MIN_SEGSNR, MAX_LSD = "20", "2"  # what a loss-free path must reach against Opus's own decode


def talk(a, b, speech, rec, timeout=60):
    """A talks with the WAV speech while B records into rec; B then quits so the WAV is complete.
    Returns (A's voice_sent event, B's voice_stats event)."""
    b.send({"cmd": "record", "file": rec})
    b.expect("recording")
    a.send({"cmd": "voice_send", "file": speech})
    sent = a.expect("voice_sent", timeout=timeout)
    time.sleep(0.6)  # the last frames cross the jitter buffer
    b.quit()
    return sent, b.expect("voice_stats")


def record_talk(a, b, speech, rec, timeout=60):
    """A talks with the WAV speech while B records into rec and then stops recording (B goes on,
    as talk's B does not). Returns A's voice_sent event."""
    b.send({"cmd": "record", "file": rec})
    b.expect("recording")
    a.send({"cmd": "voice_send", "file": speech})
    sent = a.expect("voice_sent", timeout=timeout)
    time.sleep(0.6)  # the last frames cross the jitter buffer
    b.send({"cmd": "stop_record"})
    time.sleep(0.3)  # the WAV is closed
    return sent


def heard(ref, rec):
    """Judges rec against ref as Opus decodes it; returns (passed, audiocmp's result)."""
    rc, res = audiocmp("--ref", ref, "--test", rec, "--opus-ref",
                       "--min-segsnr", MIN_SEGSNR, "--max-lsd", MAX_LSD)
    return rc == 0, res


def tone_gaps(wav, spans):
    """For each (what, from_s, to_s) of the recording: (what, the longest run of 5 ms windows in it
    below a quarter of the tone's level, in ms, from_s, to_s); None when the recording is missing
    or the tone does not cover the span."""
    try:
        w = wave.open(wav)
        rate, data = w.getframerate(), array.array("h", w.readframes(w.getnframes()))
    except (OSError, EOFError, wave.Error):
        return [(what, None, lo, hi) for what, lo, hi in spans]
    win = rate // 200
    rms = [math.sqrt(sum(x * x for x in data[i:i + win]) / win) for i in range(0, len(data) - win, win)]
    loud = sorted(r for r in rms if r > 1000)
    level = loud[len(loud) // 2] if loud else 0
    out = []
    for what, lo, hi in spans:
        seg = rms[max(0, int(lo * 200)):int(hi * 200)]
        if not level or len(seg) < (hi - lo) * 200 - 2:
            out.append((what, None, lo, hi))
            continue
        run = best = 0
        for r in seg:
            run = run + 1 if r < level / 4 else 0
            best = max(best, run)
        out.append((what, best * 5, lo, hi))
    return out


def audiocmp(*args):
    """Runs audiocmp; returns (exit code, its JSON result)."""
    p = subprocess.run([AUDIOCMP, *args], capture_output=True, text=True)
    try:
        res = json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        res = {"error": p.stderr.strip()}
    return p.returncode, res


def decode_dump(dump, out):
    """Decodes the Opus frames PARLEY_VOICE_DUMP wrote (u16 length, then the frame, each) with a
    fresh libopus decoder, as a loss-free receiver plays them, into a 48 kHz mono WAV."""
    lib = ctypes.CDLL(ctypes.util.find_library("opus") or "libopus.so.0")
    lib.opus_decoder_create.restype = ctypes.c_void_p
    lib.opus_decoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    lib.opus_decode.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int32,
                                ctypes.POINTER(ctypes.c_int16), ctypes.c_int, ctypes.c_int]
    lib.opus_decoder_destroy.argtypes = [ctypes.c_void_p]
    err = ctypes.c_int()
    dec = lib.opus_decoder_create(48000, 1, ctypes.byref(err))
    pcm = (ctypes.c_int16 * 5760)()
    data, i, frames = open(dump, "rb").read(), 0, 0
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(48000)
        while i + 2 <= len(data):
            n = struct.unpack(">H", data[i:i + 2])[0]
            got = lib.opus_decode(dec, data[i + 2:i + 2 + n], n, pcm, 5760, 0)
            if got > 0:
                w.writeframes(bytes(memoryview(pcm).cast("B")[:2 * got]))
                frames += 1
            i += 2 + n
    lib.opus_decoder_destroy(dec)
    return frames


IMPAIR = os.environ.get("IMPAIR", os.path.join(BUILD, "tests", "tools", "impair"))


class Impair:
    """tests/tools/impair, the UDP impairment proxy, in front of a server's voice port; a client
    started with --udp-via 127.0.0.1:<port> sends its voice through it. stop() returns its counts."""

    def __init__(self, server, *args):
        self.proc = subprocess.Popen([IMPAIR, "--to", f"127.0.0.1:{server.udp}", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("ready port="):
            self.proc.kill()
            raise RuntimeError(f"impair did not start: {line!r} {self.proc.stderr.read()}")
        self.port = int(line.split("=", 1)[1])
        self.via = f"127.0.0.1:{self.port}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=10)
        try:
            return json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return {}


# --- the wire protocol, spoken by hand (docs/PROTOCOL.md) ---

PROTO = 6
NO_DEVICE = b"\0" * 32 + b"\0\0"  # REGISTER/LOGIN: no device key, empty device name
HELLO, REGISTER, LOGIN, PONG, JOIN, PART, SAY, BYE = 1, 2, 3, 4, 5, 6, 7, 8
DELIVERED, LOGIN_KEY, DEVICES_GET, DEVICE_REVOKE, KEYS_GET, CONTACT_ANSWER = 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D
LIST_END, OK, DEVICE, CONTACT_REQUEST = 0x8011, 0x8012, 0x8013, 0x8014
WELCOME, AUTH_OK, PING, JOINED, PARTED, USERLIST, TEXT, SAY_OK, ERROR = (
    0x8001, 0x8002, 0x8003, 0x8004, 0x8005, 0x8006, 0x8007, 0x8008, 0x8009)


def s16(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack(">H", len(b)) + b


def frame(mtype, payload=b""):
    return struct.pack(">IH", len(payload) + 6, mtype) + payload


class Raw:
    """A raw TLS connection to parleyd that sends frames by hand and reads them back."""

    def __init__(self, server, tls=True, src=None):
        """src: a loopback source address ("127.0.0.2"), to look like another host."""
        sock = socket.create_connection(("127.0.0.1", server.tcp), timeout=TIMEOUT,
                                        source_address=(src, 0) if src else None)
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(sock)
        self.sock, self.buf = sock, b""

    def send(self, data):
        self.sock.sendall(data)

    def recv_frame(self, timeout=TIMEOUT):
        """(type, payload), or None when the server closed the connection."""
        self.sock.settimeout(timeout)
        while True:
            if len(self.buf) >= 6:
                n, t = struct.unpack(">IH", self.buf[:6])
                if len(self.buf) >= n:
                    f, self.buf = self.buf[:n], self.buf[n:]
                    return t, f[6:]
            try:
                d = self.sock.recv(65536)
            except (ConnectionResetError, ssl.SSLError, OSError):
                d = b""
            if not d:
                return None
            self.buf += d

    def until(self, mtype, timeout=TIMEOUT):
        """Frames until one of mtype; returns its payload (None if the connection closed)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            f = self.recv_frame(timeout=max(0.05, deadline - time.time()))
            if f is None:
                return None
            if f[0] == PING and mtype != PING:
                self.send(frame(PONG, f[1]))
                continue
            if f[0] == mtype:
                return f[1]
        return None

    def closed(self, timeout=TIMEOUT):
        """True when the server closes the connection (frames before the close are skipped)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.recv_frame(timeout=max(0.05, deadline - time.time())) is None:
                return True
        return False

    def hello(self):
        """HELLO; returns WELCOME's challenge (None if the server closed)."""
        self.send(frame(HELLO, struct.pack(">H", PROTO) + s16("rawtest 1")))
        p = self.until(WELCOME)
        if p is None:
            return None
        n = struct.unpack(">H", p[2:4])[0]
        return p[4 + n:36 + n]

    def hello_login(self, nick, password, register=True, device_key=b"\0" * 32, device_name=""):
        if self.hello() is None:
            return None
        body = (s16(nick) + s16(password) + (s16("") if register else b"") + device_key + s16(device_name))
        self.send(frame(REGISTER if register else LOGIN, body))
        p = self.until(AUTH_OK)
        if p is None:
            return None
        n = struct.unpack(">H", p[:2])[0]
        if len(p) - 2 - n == 4 + 2 + 32:  # protocol 1's u32 session, until the u64 lands everywhere
            sess, udp = struct.unpack(">IH", p[2 + n:8 + n])
            return {"session": sess, "udp": udp, "key": p[8 + n:40 + n]}
        sess, udp = struct.unpack(">QH", p[2 + n:12 + n])  # u64 session, u16 udp_port, key, u8 flags
        return {"session": sess, "udp": udp, "key": p[12 + n:44 + n]}

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def refused(server, src=None, timeout=TIMEOUT):
    """True when parleyd closes a new connection without starting TLS: what a connection over the
    limits gets (turned away at accept, before any TLS work)."""
    sock = socket.create_connection(("127.0.0.1", server.tcp), timeout=timeout,
                                    source_address=(src, 0) if src else None)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        ctx.wrap_socket(sock).close()
        return False
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError, OSError):
        return True
    finally:
        sock.close()


def error_code(payload):
    return struct.unpack(">H", payload[:2])[0] if payload and len(payload) >= 2 else None


def random_bytes(rng, n):
    return bytes(rng.getrandbits(8) for _ in range(n))
