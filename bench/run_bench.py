#!/usr/bin/env python3
"""Benchmarks parleyd's voice relay side by side, in one run, against references:

  parleyd   a real parleyd (--port 0 on 127.0.0.1), N raw TLS clients logged in and kept alive
            (PINGs answered), their session ids and voice keys handed to bench/relay_load;
  udp_echo  bench/udp_echo, the same batched forwarding with none of the relay's logic;
  coturn    turnserver with its own load generator turnutils_uclient, when coturn is installed
            (its model is 1:1 TURN relaying, not a room: see docs/BENCHMARKS.md).

Scenarios: (a) a room of 10 with 2 talkers at 50 packets/s each, (b) a room of 50 with 5 talkers,
(c) saturation: a room of 20, everyone talking, the aggregate rate stepped up a ladder (both
targets probed at each rung in turn) to the highest with loss < 1% and p99 latency < 50 ms,
(p) 1:1 pairs, the shape coturn relays. The server is pinned to core 0 and every load generator to
core 1. For each target and scenario it records the server's CPU time (utime+stime from
/proc/PID/stat, and the scheduler's runtime of its threads from /proc/PID/task/*/schedstat, of the
whole process and of parleyd's relay thread, "pl-relay", alone), the busy time of core 0 (softirq
included; tick-sampled, so coarse at low load), its peak RSS (VmHWM, reset before each scenario
through clear_refs), datagrams dropped at the server's socket, how much CPU the rest of the
machine used meanwhile (a run that others disturbed is made again, at most 3 times), and
relay_load's JSON line. Idle RSS is taken with no client and with N clients logged in.

Output: a human summary on stderr, and on stdout one JSON line per measurement and a final
{"summary": ...} line; --out FILE writes the same lines to FILE. Benchmarks never assert time:
the exit status is non-zero only when something could not be run at all.

Environment: PARLEY_BUILD (default ../build), PARLEYD (default $PARLEY_BUILD/parleyd),
PARLEY_BENCH_BIN (default $PARLEY_BUILD/bench: udp_echo and relay_load).
Use a Release or RelWithDebInfo build; a Debug or sanitizer build is refused (--allow-debug
overrides, for trying the script, never for numbers).
"""
import argparse
import json
import os
import resource
import select
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
os.environ.setdefault("PARLEY_BUILD", os.path.join(ROOT, "build"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402  (read-only use: Server, Raw, frame helpers)

BUILD = os.environ["PARLEY_BUILD"]
BENCH_BIN = os.environ.get("PARLEY_BENCH_BIN", os.path.join(BUILD, "bench"))
RELAY_LOAD = os.path.join(BENCH_BIN, "relay_load")
UDP_ECHO = os.path.join(BENCH_BIN, "udp_echo")
CLK_TCK = os.sysconf("SC_CLK_TCK")
RELAY_THREAD = "pl-relay"  # parleyd's voice relay thread (src/server/relay.c names it)
NCPU = os.cpu_count() or 1
SERVER_CPU, LOAD_CPU = (0, 1) if NCPU >= 2 else (None, None)
T_START = time.monotonic()
RUN_LIMIT_S = 600  # the whole run, whatever happens


def log(*a):
    print(f"[{time.monotonic() - T_START:6.1f}s]", *a, file=sys.stderr, flush=True)


OUT_LINES = []


def emit(obj):
    line = json.dumps(obj, sort_keys=False)
    OUT_LINES.append(line)
    print(line, flush=True)


# --- the machine and the process under test ------------------------------------------------------

def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    def sysctl(name):
        try:
            with open("/proc/sys/" + name.replace(".", "/")) as f:
                return f.read().strip()
        except OSError:
            return "?"
    return {"nproc": NCPU, "cpu": model, "kernel": os.uname().release,
            "rmem_max": sysctl("net.core.rmem_max"), "netdev_max_backlog": sysctl("net.core.netdev_max_backlog"),
            "python": sys.version.split()[0]}


def build_type_ok(parleyd):
    """(ok, description): the CMake build type of the tree parleyd came from, and no sanitizer."""
    d = os.path.dirname(os.path.abspath(parleyd))
    cache = None
    for _ in range(4):
        if os.path.exists(os.path.join(d, "CMakeCache.txt")):
            cache = os.path.join(d, "CMakeCache.txt")
            break
        d = os.path.dirname(d)
    bt, san = "", "OFF"
    if cache:
        with open(cache) as f:
            for line in f:
                if line.startswith("CMAKE_BUILD_TYPE:"):
                    bt = line.split("=", 1)[1].strip()
                elif line.startswith("PARLEY_SANITIZE:"):
                    san = line.split("=", 1)[1].strip()
    bt = bt or "RelWithDebInfo"  # the top-level CMakeLists.txt's default
    with open(parleyd, "rb") as f:
        asan = b"__asan_init" in f.read()
    ok = bt in ("Release", "RelWithDebInfo", "MinSizeRel") and san.upper() in ("OFF", "FALSE", "0", "") \
        and not asan
    return ok, f"{bt}{' +sanitizers' if asan or san.upper() == 'ON' else ''} ({cache or 'no CMakeCache.txt found'})"


def proc_cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15)


def proc_runtime_s(pid, thread=None):
    """CPU time of every thread of pid (or only of those named thread) from
    /proc/PID/task/TID/schedstat: the scheduler's own nanoseconds, not utime+stime's 10 ms ticks,
    so a low-rate run is not a dozen ticks of rounding. Threads that end during a measurement are
    not seen (parleyd's and udp_echo's last as long as the process). None when no thread has
    that name."""
    total, seen = 0, False
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for tid in tids:
        try:
            if thread is not None:
                with open(f"/proc/{pid}/task/{tid}/comm") as f:
                    if f.read().strip() != thread:
                        continue
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
            seen = True
        except (OSError, ValueError, IndexError):
            pass
    return total / 1e9 if seen else None


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmHWM", "VmRSS"):
                out[k] = int(v.split()[0])
    return out


def reset_hwm(pid):
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def cpu_busy_s(cpu):
    """Busy seconds of one core (user+nice+system+irq+softirq+steal) from /proc/stat."""
    if cpu is None:
        return 0.0
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(f"cpu{cpu} "):
                v = [int(x) for x in line.split()[1:]]
                return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / CLK_TCK
    return 0.0


def udp_drops(port):
    """Datagrams the kernel dropped at the 127.0.0.1:port (or 0.0.0.0:port) socket (receive buffer
    full)."""
    want = (f"0100007F:{port:04X}", f"00000000:{port:04X}")
    with open("/proc/net/udp") as f:
        for line in f:
            p = line.split()
            if len(p) > 12 and p[1] in want:
                return int(p[-1])
    return 0


def softnet_drops():
    total = 0
    with open("/proc/net/softnet_stat") as f:
        for line in f:
            total += int(line.split()[1], 16)
    return total


def all_cpu():
    """{pid: (cpu seconds, is a kernel thread)} for every process on the machine."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ppid = int(fields[1])
        out[int(d)] = ((int(fields[11]) + int(fields[12])) / CLK_TCK, ppid == 2 or int(d) == 2)
    return out


def foreign_cpu(before, after, ours):
    """CPU seconds used between two all_cpu() snapshots by processes that are not ours: (user
    processes, kernel threads such as ksoftirqd). Processes that started and ended in between are
    not seen."""
    user = kern = 0.0
    for pid, (cpu, kthread) in after.items():
        if pid in ours:
            continue
        d = cpu - before.get(pid, (0.0, kthread))[0]
        if kthread:
            kern += d
        else:
            user += d
    return round(user, 3), round(kern, 3)


def background(seconds=1.0):
    """How busy each core is with no benchmark running, and who keeps it busy."""
    def cores():
        v = {}
        with open("/proc/stat") as f:
            for line in f:
                if line.startswith("cpu") and line[3].isdigit():
                    x = [int(y) for y in line.split()[1:]]
                    v[line.split()[0]] = (x[0] + x[1] + x[2] + x[5] + x[6] + x[7], sum(x[:8]))
        return v
    c0, p0 = cores(), all_cpu()
    time.sleep(seconds)
    c1, p1 = cores(), all_cpu()
    busy = {k: round(100 * (c1[k][0] - c0[k][0]) / max(1, c1[k][1] - c0[k][1]), 1) for k in c1}
    top = []
    for pid, (cpu, _) in p1.items():
        d = cpu - p0.get(pid, (0.0, False))[0]
        if d >= 0.05 * seconds and pid != os.getpid():
            try:
                with open(f"/proc/{pid}/comm") as f:
                    name = f.read().strip()
            except OSError:
                name = "?"
            top.append(f"{name}[{pid}] {100 * d / seconds:.0f}%")
    return {"core_busy_pct": busy, "busy_processes": top}


def machine_times():
    """(busy seconds summed over every core: user+nice+system+irq+softirq, steal seconds). The
    kernel charges some softirq time to the task it interrupted as well, so the busy sum may come
    out a little below the sum of the tasks' times."""
    with open("/proc/stat") as f:
        x = [int(y) for y in f.readline().split()[1:]]
    return (x[0] + x[1] + x[2] + x[5] + x[6]) / CLK_TCK, x[7] / CLK_TCK


def steal_share(wall0, steal0):
    """Steal time since (wall0, steal0), as a percentage of one core: the CPU a shared machine's
    hypervisor kept from us, which delays audio threads however idle the machine looks."""
    wall = time.monotonic() - wall0
    return round(100.0 * (machine_times()[1] - steal0) / wall, 1) if wall > 0 else 0.0


DISTURBED_FRACTION = 0.10  # of one core: more CPU than that used by others spoils a measurement


class Meter:
    """CPU, memory and drops of one server process over one measurement, and how much CPU the
    rest of the machine used meanwhile (this is a shared machine: a measurement that others
    disturbed is retried)."""

    def __init__(self, pid, udp_port):
        self.pid, self.port = pid, udp_port

    def start(self):
        self.hwm_reset = reset_hwm(self.pid)
        self.t0 = time.monotonic()
        self.cpu0 = proc_cpu_s(self.pid)
        self.run0 = proc_runtime_s(self.pid)
        self.relay0 = proc_runtime_s(self.pid, RELAY_THREAD)
        self.core0 = cpu_busy_s(SERVER_CPU)
        self.drop0 = udp_drops(self.port)
        self.sn0 = softnet_drops()
        self.all0 = all_cpu()
        self.mach0, self.steal0 = machine_times()
        self.self0 = resource.getrusage(resource.RUSAGE_SELF)
        self.kids0 = children_cpu_s()

    def stop(self):
        wall = time.monotonic() - self.t0
        cpu = proc_cpu_s(self.pid) - self.cpu0
        runtime = (proc_runtime_s(self.pid) or 0.0) - (self.run0 or 0.0)
        relay1 = proc_runtime_s(self.pid, RELAY_THREAD)
        # parleyd's relay thread alone; a single-threaded server (udp_echo) is all relay.
        relay = relay1 - self.relay0 if relay1 is not None and self.relay0 is not None else runtime
        core = cpu_busy_s(SERVER_CPU) - self.core0
        st = proc_status(self.pid)
        fu, fk = foreign_cpu(self.all0, all_cpu(), {os.getpid(), self.pid})
        mach, steal = machine_times()
        me = resource.getrusage(resource.RUSAGE_SELF)
        mine = me.ru_utime + me.ru_stime - self.self0.ru_utime - self.self0.ru_stime
        load = children_cpu_s() - self.kids0
        # Busy time of the whole machine that neither the server, the load generator, this script
        # nor a kernel thread accounts for: other people's processes, short-lived ones included.
        others = (mach - self.mach0) - cpu - load - mine - fk
        return {"foreign_cpu_s": fu, "kthread_cpu_s": fk, "load_cpu_s": round(load, 3),
                "unexplained_cpu_s": round(others, 3), "steal_s": round(steal - self.steal0, 3),
                "disturbed": others > DISTURBED_FRACTION * wall or (steal - self.steal0) > DISTURBED_FRACTION * wall,
                "wall_s": round(wall, 3), "server_cpu_s": round(cpu, 3), "server_runtime_s": round(runtime, 4),
                "relay_runtime_s": round(relay, 4),
                "server_cpu_pct": round(100 * cpu / wall, 1) if wall else 0,
                "server_core_busy_pct": round(100 * core / wall, 1) if wall and SERVER_CPU is not None else None,
                "peak_rss_kb": st.get("VmHWM") if self.hwm_reset else None, "rss_kb": st.get("VmRSS"),
                "server_sock_drops": udp_drops(self.port) - self.drop0,
                "softnet_drops": softnet_drops() - self.sn0}


def spawn_pinned(cpu, fn):
    """Runs fn() (which forks a child) with this thread pinned to cpu, so the child and all its
    threads inherit the pin; the thread is put back on LOAD_CPU afterwards."""
    if cpu is None:
        return fn()
    os.sched_setaffinity(0, {cpu})
    try:
        return fn()
    finally:
        os.sched_setaffinity(0, {LOAD_CPU})


def run_load(args, stdin_text, timeout):
    """Runs relay_load; returns its JSON result."""
    p = subprocess.Popen([RELAY_LOAD, *[str(a) for a in args]], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(stdin_text, timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        return {"error": "relay_load timed out"}
    lines = [ln for ln in out.splitlines() if ln.startswith("{")]
    if not lines:
        return {"error": f"relay_load printed no result (exit {p.returncode}): {err.strip()[:300]}"}
    return json.loads(lines[-1])


def children_cpu_s():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


# --- the parleyd side: logged-in clients kept alive ----------------------------------------------

class Keeper(threading.Thread):
    """Reads every client's TLS connection: answers PINGs, notes which rooms each has joined.
    Sends from other threads go through send() under the same lock (one SSL object is not safe
    for a read and a write at once)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.raws, self.sessions, self.joined = [], [], []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.pings = 0
        self.closed = set()
        self.current = {}

    def add(self, raw, session):
        with self.lock:
            raw.sock.settimeout(0.05)
            self.raws.append(raw)
            self.sessions.append(session)
            self.joined.append(set())

    def send(self, i, data):
        with self.lock:
            self.raws[i].sock.settimeout(5)
            try:
                self.raws[i].send(data)
            finally:
                self.raws[i].sock.settimeout(0.05)

    def _read(self, i):
        r = self.raws[i]
        try:
            d = r.sock.recv(65536)
        except (socket.timeout, ssl.SSLWantReadError, BlockingIOError):
            return
        except OSError:
            d = b""
        if not d:
            self.closed.add(i)
            return
        r.buf += d
        for _ in range(10000):
            if len(r.buf) < 6:
                break
            n, t = struct.unpack(">IH", r.buf[:6])
            if len(r.buf) < n:
                break
            payload, r.buf = r.buf[6:n], r.buf[n:]
            if t == harness.PING:
                r.sock.settimeout(5)
                r.send(harness.frame(harness.PONG, payload))
                r.sock.settimeout(0.05)
                self.pings += 1
            elif t == harness.JOINED:
                rl = struct.unpack(">H", payload[:2])[0]
                room = payload[2:2 + rl].decode()
                nl = struct.unpack(">H", payload[2 + rl:4 + rl])[0]
                rest = payload[4 + rl + nl:]
                # a u64 session since protocol 2, a u32 before (to benchmark an older build)
                sess = struct.unpack(">Q", rest[:8])[0] if len(rest) >= 8 else struct.unpack(">I", rest[:4])[0]
                if sess == self.sessions[i]:
                    self.joined[i].add(room)

    def run(self):
        deadline = time.monotonic() + RUN_LIMIT_S
        while not self.stopping.is_set() and time.monotonic() < deadline:
            with self.lock:
                live = [i for i in range(len(self.raws)) if i not in self.closed]
                socks = {self.raws[i].sock: i for i in live}
                pending = [i for i in live if self.raws[i].sock.pending()]
            if pending:
                ready = pending
            else:
                try:
                    rl, _, _ = select.select(list(socks), [], [], 0.2)
                except (OSError, ValueError):
                    time.sleep(0.05)
                    continue
                ready = [socks[s] for s in rl]
            for i in ready:
                with self.lock:
                    self._read(i)

    def join(self, idxs, room, timeout=15):
        """Moves clients idxs from their last bench room (PART) to room (JOIN, so it becomes their
        voice room; a session may be in 16 rooms at most); True once each saw its JOINED."""
        for i in idxs:
            self.joined[i].discard(room)
            if self.current.get(i):
                self.send(i, harness.frame(harness.PART, harness.s16(self.current[i])))
            self.send(i, harness.frame(harness.JOIN, harness.s16(room)))
            self.current[i] = room
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(room in self.joined[i] for i in idxs):
                return True
            time.sleep(0.02)
        return False

    def stop(self):
        self.stopping.set()


class Parleyd:
    name = "parleyd"

    def __init__(self, tmp, nclients, listen=None):
        self.tmp = tmp
        # Every benchmark client comes from 127.0.0.1: lift the per-address connection and
        # registration limits where this parleyd has them.
        helptext = subprocess.run([harness.PARLEYD, "--help"], capture_output=True, text=True).stdout
        extra = ["--max-connections-per-ip", str(nclients + 8)] if "--max-connections-per-ip" in helptext else []
        if "--register-burst" in helptext:
            extra += ["--register-burst", str(nclients + 8)]
        # The per-sender voice budgets stay on (every packet is charged to its sender's buckets),
        # set above what one talker sends in saturation (c), so what is measured is their cost,
        # not their drops. The defaults (400 packets/s per sender) would cap (c) at 8000 pps in.
        if "--voice-packet-rate" in helptext:
            extra += ["--voice-packet-rate", "1000000", "--voice-packet-burst", "1000000",
                      "--voice-byte-rate", "1000000000", "--voice-byte-burst", "1000000000"]
        if listen is not None:  # a wildcard ("0.0.0.0") makes the relay read and set local addresses
            extra += ["--listen", listen]
        self.srv = spawn_pinned(SERVER_CPU, lambda: harness.Server(tmp, *extra))
        self.pid, self.port = self.srv.proc.pid, self.srv.udp
        self.keeper = Keeper()
        self.creds = []
        self.nclients = nclients
        self.room_seq = 0

    def idle_rss(self):
        time.sleep(0.3)
        return proc_status(self.pid)

    def login_all(self):
        self.keeper.start()
        t = time.monotonic()
        for i in range(self.nclients):
            raw = harness.Raw(self.srv)
            cred = raw.hello_login(f"bench{i:03d}", "bench-password-1")
            if not cred:
                raise RuntimeError(f"client {i} could not register:\n{self.srv.logtext()[-2000:]}")
            self.keeper.add(raw, cred["session"])
            self.creds.append(cred)
        return time.monotonic() - t

    def prepare(self, n, rooms=1):
        """Puts clients 0..n-1 in `rooms` fresh rooms of n/rooms consecutive clients (each client's
        voice room is its new room); returns relay_load's stdin and the extra arguments."""
        self.room_seq += 1
        per = n // rooms
        for k in range(rooms):
            room = f"#bench{self.room_seq}-{k}"
            if not self.keeper.join(list(range(k * per, (k + 1) * per)), room):
                raise RuntimeError(f"not every client joined {room}")
        text = "".join(f"{c['session']} {c['key'].hex()}\n" for c in self.creds[:n])
        return text, ["--mode", "relay", "--port", self.port]

    def finish(self):
        pass

    def stop(self):
        self.keeper.stop()
        for r in self.keeper.raws:
            r.close()
        return self.srv.stop()


class Echo:
    """A fresh udp_echo per measurement, so its listener set is exactly that room."""
    name = "udp_echo"

    def __init__(self):
        self.proc = None

    def prepare(self, n, rooms=1):
        self.finish()
        self.proc = spawn_pinned(SERVER_CPU, lambda: subprocess.Popen(
            [UDP_ECHO, "--max-seconds", "300"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        line = self.proc.stdout.readline()
        if not line.startswith("ready udp="):
            raise RuntimeError(f"udp_echo did not start: {line!r}")
        self.pid, self.port = self.proc.pid, int(line.split("=")[1])
        return "", ["--mode", "echo", "--port", self.port]

    def finish(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def stop(self):
        self.finish()


def measure_once(target, scenario, n, talkers, duration, rate, rooms):
    stdin, extra = target.prepare(n, rooms)
    meter = Meter(target.pid, target.port)
    args = [*extra, "--clients", n, "--rooms", rooms, "--talkers", talkers, "--duration", duration,
            "--label", f"{target.name}/{scenario}"]
    if rate:
        args += ["--rate", rate]
    meter.start()
    res = run_load(args, stdin, timeout=duration + 60)
    m = meter.stop()
    if isinstance(target, Echo):
        target.finish()
    res.update({"target": target.name, "scenario": scenario, "server": m})
    if "error" not in res:
        out_pkts = res["received"]  # datagrams the server sent that arrived
        res["server_us_per_delivered"] = round(1e6 * m["server_cpu_s"] / out_pkts, 2) if out_pkts else None
        res["server_runtime_us_per_delivered"] = round(1e6 * m["server_runtime_s"] / out_pkts, 3) if out_pkts else None
        res["relay_runtime_us_per_delivered"] = round(1e6 * m["relay_runtime_s"] / out_pkts, 3) if out_pkts else None
        res["core_us_per_delivered"] = round(1e6 * (m["server_core_busy_pct"] or 0) / 100 * m["wall_s"] / out_pkts,
                                             2) if out_pkts else None
    return res


def measure(target, scenario, n, talkers, duration, rate=None, quiet=False, rooms=1, attempts=3):
    """One relay_load run against target: n clients in `rooms` rooms, `talkers` talking in each.
    Run again (at most `attempts` in all) while other processes disturbed it; the least disturbed
    run is kept, and says how many were made."""
    best = None
    for k in range(attempts):
        r = measure_once(target, scenario, n, talkers, duration, rate, rooms)
        r["attempt"] = k + 1
        if best is None or r["server"]["unexplained_cpu_s"] < best["server"]["unexplained_cpu_s"]:
            best = r
        if not r["server"]["disturbed"]:
            break
        log(f"  {target.name}/{scenario}: disturbed by other processes "
            f"({r['server']['unexplained_cpu_s']} s CPU not ours, steal {r['server']['steal_s']} s); again")
    if not quiet:
        emit(best)
    return best


P99_LIMIT_US = 50000  # a queue that grows for the whole probe shows here before it overflows


def keeps_up(r, rate):
    """Loss under 1%, p99 under 50 ms (no standing queue), and the generator offered the rate."""
    return ("error" not in r and r["loss_pct"] < 1.0 and r["lat_us"]["p99"] < P99_LIMIT_US
            and r["tx_pps"] >= 0.97 * rate)


def saturate(targets, n, probe_s, final_s, ladder):
    """Steps the aggregate rate up a ladder, probing the targets one after the other at each rung
    (so a disturbance from the rest of the machine falls on both alike), until each has failed
    keeps_up() once undisturbed; then measures each at its highest passing rung for final_s seconds (one rung
    lower if that longer run does not keep up)."""
    best = {t.name: None for t in targets}
    live = list(targets)
    probes = {t.name: [] for t in targets}
    for rate in ladder:
        for t in list(live):
            r = measure(t, "c-probe", n, n, probe_s, rate=rate, quiet=True, attempts=2)
            ok = keeps_up(r, rate)
            probes[t.name].append({"rate": rate, "ok": ok, "loss_pct": r.get("loss_pct"),
                                   "p99_us": r.get("lat_us", {}).get("p99"),
                                   "server_cpu_pct": r["server"]["server_cpu_pct"],
                                   "disturbed": r["server"]["disturbed"]})
            log(f"  {t.name:8} {rate:6.0f} pps in: {'ok ' if ok else 'NO '} loss {r.get('loss_pct')}% "
                f"p99 {r.get('lat_us', {}).get('p99')} us, server CPU {r['server']['server_cpu_pct']}%"
                f"{' (disturbed)' if r['server']['disturbed'] else ''}")
            if ok:
                best[t.name] = rate
            elif not r["server"]["disturbed"] or rate == ladder[-1]:
                live.remove(t)
            # A failure while others disturbed the machine (after the retries) does not end the
            # climb: the next rung is tried, and the highest rung kept up is what counts.
        if not live:
            break
    out = []
    for t in targets:
        rate = best[t.name]
        if rate is None:
            r = {"target": t.name, "scenario": "c", "error": "no rate kept up", "probes": probes[t.name]}
        else:
            r = measure(t, "c", n, n, final_s, rate=rate, quiet=True)
            i = ladder.index(rate)
            if not keeps_up(r, rate) and not r["server"]["disturbed"] and i > 0:
                log(f"  {t.name} did not keep up with {rate} pps for {final_s:g} s; one rung down")
                r = measure(t, "c", n, n, final_s, rate=ladder[i - 1], quiet=True)
            r["probes"] = probes[t.name]
        emit(r)
        out.append(r)
    return out


# --- coturn: its own load generator, 1:1 relaying ------------------------------------------------

def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def coturn(tmp, clients, msgs, interval_ms, length):
    """turnserver on 127.0.0.1 with one relay thread, pinned like parleyd, and turnutils_uclient
    (pinned like relay_load) in client-to-client mode (-y): clients in pairs, each message going
    client -> server -> relay socket -> the peer's relay socket -> server -> peer, so the server
    receives two datagrams and sends two for each message delivered."""
    ts, uc = shutil.which("turnserver"), shutil.which("turnutils_uclient")
    if not ts or not uc:
        return {"target": "coturn", "error": "coturn is not installed (apt-get install coturn)"}
    port = free_udp_port()
    d = os.path.join(tmp, "coturn")
    os.makedirs(d, exist_ok=True)
    lo = 20000 + (port % 20000)
    cmd = [ts, "-n", "--no-cli", "--no-tls", "--no-dtls", "--no-tcp", "--listening-ip=127.0.0.1",
           "--relay-ip=127.0.0.1", f"--listening-port={port}", f"--min-port={lo}", f"--max-port={lo + 999}",
           "--allow-loopback-peers", "--lt-cred-mech", "--user=bench:benchpass", "--realm=bench",
           "--relay-threads=1", f"--pidfile={d}/pid", f"--userdb={d}/turndb", "--log-file=stdout",
           "--simple-log", "--no-stdout-log"]
    logf = open(os.path.join(d, "log.txt"), "w")
    proc = spawn_pinned(SERVER_CPU, lambda: subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT))
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and udp_port_bound(port) is False:
            time.sleep(0.05)
        time.sleep(0.3)
        rss0 = proc_status(proc.pid)
        meter = Meter(proc.pid, port)
        meter.start()
        ucmd = [uc, "-u", "bench", "-w", "benchpass", "-p", str(port), "-m", str(clients), "-y", "-c",
                "-n", str(msgs), "-l", str(length), "-z", str(interval_ms), "-e", "127.0.0.1", "127.0.0.1"]
        try:
            p = subprocess.run(ucmd, capture_output=True, text=True, timeout=120)
            out = p.stdout + p.stderr
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            out += "\n(timed out)"
        m = meter.stop()
        res = {"target": "coturn", "scenario": f"pairs-{clients}x{1000 // interval_ms}pps",
               "clients": clients, "msgs_per_client": msgs, "interval_ms": interval_ms, "length": length,
               "idle_rss_kb": rss0.get("VmRSS"), "server": m, "uclient": {}}
        for line in out.splitlines():
            line = line.split(": : ", 1)[-1].strip()
            if line.startswith("start_mclient: tot_send_msgs="):
                a, b = line.split(",")
                res["uclient"]["sent"] = int(a.split("=")[1])
                res["uclient"]["received"] = int(b.split("=")[1])
            elif line.startswith("Total transmit time is"):
                res["uclient"]["transmit_s"] = int(line.split()[-1])
            elif line.startswith("Total lost packets"):
                res["uclient"]["lost"] = line
            elif line.startswith("Average round trip delay"):
                res["uclient"]["rtt"] = line
            elif line.startswith("Average jitter"):
                res["uclient"]["jitter"] = line
        rcv = res["uclient"].get("received")
        if rcv:
            res["server_us_per_message"] = round(1e6 * m["server_cpu_s"] / rcv, 2)
            res["server_runtime_us_per_message"] = round(1e6 * m["server_runtime_s"] / rcv, 3)
            res["server_us_per_datagram_out"] = round(1e6 * m["server_cpu_s"] / (2 * rcv), 2)
            res["core_us_per_datagram_out"] = round(
                1e6 * (m["server_core_busy_pct"] or 0) / 100 * m["wall_s"] / (2 * rcv), 2)
        if not res["uclient"]:
            res["error"] = "turnutils_uclient output not understood: " + out[-500:]
        return res
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        logf.close()


def udp_port_bound(port):
    want = f"0100007F:{port:04X}"
    with open("/proc/net/udp") as f:
        return any(line.split()[1] == want for line in f.readlines()[1:] if len(line.split()) > 1)


# --- the run -------------------------------------------------------------------------------------

SCENARIOS = {
    "a": "(a) a room of 10, 2 talkers at 50 packets/s each",
    "b": "(b) a room of 50, 5 talkers at 50 packets/s each",
    "c": "(c) saturation: a room of 20, everyone talking, highest rate that keeps up",
    "p": "(p) 1:1 pairs: 20 clients, 10 pairs, both talking at 50 packets/s",
}


def markdown(lines):
    """Side-by-side tables (one per scenario, one column per target) from the JSON lines."""
    rows = [json.loads(ln) for ln in lines]
    out = []
    for sc, title in SCENARIOS.items():
        cols = [r for r in rows if r.get("scenario") == sc or
                (sc == "p" and r.get("target") == "coturn")]
        if not cols:
            continue
        out += [f"**{title}**", "", "| | " + " | ".join(r["target"] for r in cols) + " |",
                "|---|" + "---|" * len(cols)]

        def row(name, fn):
            vals = []
            for r in cols:
                try:
                    v = fn(r)
                except (KeyError, TypeError, ZeroDivisionError):
                    v = None
                vals.append("n/a" if v is None else str(v))
            if any(v != "n/a" for v in vals):
                out.append(f"| {name} | " + " | ".join(vals) + " |")

        def relay(fn):
            return lambda r: None if r["target"] == "coturn" or "error" in r else fn(r)

        def turn(fn):
            return lambda r: fn(r) if r["target"] == "coturn" and "error" not in r else None

        row("packets in, offered (pps)", relay(lambda r: f"{r['offered_pps']:.0f}"))
        row("packets sent", lambda r: r["sent"] if r["target"] != "coturn" else r["uclient"]["sent"])
        row("deliveries expected", relay(lambda r: r["expected"]))
        row("deliveries received", lambda r: r["received"] if r["target"] != "coturn"
            else r["uclient"]["received"])
        row("delivered (pps)", relay(lambda r: f"{r['delivered_pps']:.0f}"))
        row("loss %", relay(lambda r: f"{r['loss_pct']:.3f}"))
        row("latency p50 / p99 / max (us)", relay(
            lambda r: f"{r['lat_us']['p50']} / {r['lat_us']['p99']} / {r['lat_us']['max']}"))
        row("uclient: loss, RTT", turn(lambda r: r["uclient"]["lost"].replace("Total lost packets ", "")
                                       + "; " + r["uclient"]["rtt"].replace("Average round trip delay ", "avg ")))
        row("server CPU (s) / % of wall", lambda r: f"{r['server']['server_cpu_s']} / {r['server']['server_cpu_pct']}")
        row("server CPU per delivery (us)", lambda r: r["server_us_per_delivered"] if r["target"] != "coturn"
            else r["server_us_per_message"])
        row("... from schedstat, to the ns (us)", lambda r: r["server_runtime_us_per_delivered"]
            if r["target"] != "coturn" else r["server_runtime_us_per_message"])
        row("... relay thread alone (us)", relay(lambda r: r["relay_runtime_us_per_delivered"]))
        row("peak RSS (KiB)", lambda r: r["server"]["peak_rss_kb"])
        row("dropped at server socket", lambda r: r["server"]["server_sock_drops"])
        row("load generator CPU (s)", lambda r: r["server"]["load_cpu_s"])
        row("disturbed by others? (attempts)", lambda r: f"{'yes' if r['server']['disturbed'] else 'no'} "
            f"({r.get('attempt', 1)})")
        out.append("")
    for r in rows:
        if "idle" in r:
            out.append(f"- parleyd idle RSS with {r['idle']['clients']} clients: {r['idle']['rss_kb']} KiB")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=10, help="seconds per scenario (a) and (b)")
    ap.add_argument("--probe", type=float, default=2.5, help="seconds per saturation probe")
    ap.add_argument("--final", type=float, default=5, help="seconds of the saturation measurement")
    ap.add_argument("--ladder", default=",".join(str(r) for r in range(4000, 40001, 2000)),
                    help="aggregate rates (packets/s into the room) tried in saturation, in order")
    ap.add_argument("--clients", type=int, default=50, help="clients logged in (the largest room)")
    ap.add_argument("--listen", help="parleyd's --listen (default 127.0.0.1; 0.0.0.0 measures the relay "
                    "with IP_PKTINFO, as on a multi-homed host)")
    ap.add_argument("--no-coturn", action="store_true")
    ap.add_argument("--allow-debug", action="store_true")
    ap.add_argument("--out", help="also write the JSON lines to this file")
    ap.add_argument("--report", metavar="JSONL", help="only print the markdown tables of a saved run")
    a = ap.parse_args()
    if a.report:
        with open(a.report) as f:
            print(markdown([ln for ln in f if ln.strip()]))
        return

    for exe in (harness.PARLEYD, RELAY_LOAD, UDP_ECHO):
        if not os.access(exe, os.X_OK):
            sys.exit(f"run_bench: {exe} is missing; build a release tree first:\n"
                     "  cmake -S . -B build-release -DCMAKE_BUILD_TYPE=RelWithDebInfo && "
                     "cmake --build build-release --target bench")
    ok, bt = build_type_ok(harness.PARLEYD)
    if not ok and not a.allow_debug:
        sys.exit(f"run_bench: {harness.PARLEYD} is a {bt} build; benchmark a Release or RelWithDebInfo "
                 "build (cmake -DCMAKE_BUILD_TYPE=RelWithDebInfo), or pass --allow-debug to try the script.")
    if SERVER_CPU is not None:
        os.sched_setaffinity(0, {LOAD_CPU})  # children inherit: the generators run on LOAD_CPU
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("run_bench: stopped (time limit or SIGTERM)"))
    limit = threading.Timer(RUN_LIMIT_S, lambda: os.kill(os.getpid(), signal.SIGTERM))
    limit.daemon = True
    limit.start()

    info = machine()
    info.update({"parleyd": harness.PARLEYD, "build": bt, "server_cpu": SERVER_CPU, "load_cpu": LOAD_CPU,
                 "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")})
    emit({"machine": info})
    bg = background()
    emit({"background_before": bg})
    if any(v > 10 for v in bg["core_busy_pct"].values()):
        log(f"WARNING: the machine is not idle ({bg}); numbers will be disturbed")
    log(f"machine: {info['nproc']} x {info['cpu']}, kernel {info['kernel']}; parleyd {bt}")

    tmp = harness.tmpdir()
    rows, pd, echo = [], None, Echo()
    try:
        pd = Parleyd(tmp, a.clients, a.listen)
        idle0 = pd.idle_rss()
        login_s = pd.login_all()
        time.sleep(1.0)
        idle_n = pd.idle_rss()
        emit({"idle": {"clients": 0, "rss_kb": idle0.get("VmRSS"), "hwm_kb": idle0.get("VmHWM")}})
        emit({"idle": {"clients": a.clients, "rss_kb": idle_n.get("VmRSS"), "hwm_kb": idle_n.get("VmHWM"),
                       "login_s": round(login_s, 1),
                       "note": "hwm includes Argon2id's 64 MiB per registration"}})
        log(f"idle RSS: {idle0.get('VmRSS')} KiB with 0 clients, {idle_n.get('VmRSS')} KiB with "
            f"{a.clients} logged in ({login_s:.1f} s to register them)")

        scen = [("a", 10, 2), ("b", min(50, a.clients), 5)]
        for name, n, t in scen:
            for target in (pd, echo):
                log(f"scenario {name}: room of {n}, {t} talkers x 50 pps, {a.duration:g} s, {target.name}")
                rows.append(measure(target, name, n, t, a.duration))
        log("scenario c: saturation, room of 20, everyone talking, rate stepped up")
        ladder = [float(x) for x in a.ladder.split(",")]
        rows += saturate([pd, echo], 20, a.probe, a.final, ladder)
        for target in (pd, echo):
            log(f"scenario p: 10 rooms of 2, both talking, 50 pps each, {a.duration:g} s, {target.name}")
            rows.append(measure(target, "p", 20, 2, a.duration, rooms=10))
        if not a.no_coturn:
            log(f"scenario p: coturn, turnutils_uclient -y, 20 clients in pairs, 50 msgs/s each, "
                f"{0.6 * a.duration:g} s per client")
            c = None
            for k in range(2):
                r = coturn(tmp, 20, int(a.duration * 50 * 0.6), 20, 80)
                r["attempt"] = k + 1
                if c is None or r.get("server", {}).get("unexplained_cpu_s", 1e9) < \
                        c.get("server", {}).get("unexplained_cpu_s", 1e9):
                    c = r
                if not r.get("server", {}).get("disturbed"):
                    break
                log(f"  coturn: disturbed by other processes ({r['server']['unexplained_cpu_s']} s); again")
            emit(c)
            rows.append(c)
    finally:
        echo.stop()
        if pd:
            rc = pd.stop()
            log(f"parleyd exit status {rc}")
        harness.cleanup(tmp)

    log("results:\n" + markdown(OUT_LINES))
    emit({"background_after": background()})
    summary = {"summary": {"rows": len(rows), "seconds": round(time.monotonic() - T_START, 1)}}
    emit(summary)
    if a.out:
        with open(a.out, "w") as f:
            f.write("\n".join(OUT_LINES) + "\n")
    limit.cancel()


if __name__ == "__main__":
    main()
