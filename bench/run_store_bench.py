#!/usr/bin/env python3
"""Benchmarks parleyd's message store (issue 6, "Storage off the event loop") side by side, in one
run, against bare SQLite on the same filesystem:

  sqlite/1     bench/sqlite_loop --batch 1: one message row per transaction, parleyd's table,
               statement and pragmas (WAL, synchronous=FULL): the most a store that commits each
               message on its own can do;
  sqlite/100   the same with 100 rows per transaction: the most a group commit can do;
  parleyd      a real parleyd and bench/pl_load playing N TLS clients (200) in rooms of K (10),
               each sending room messages as fast as the server answers, W SAYs outstanding each
               (1), with the rate limits raised for the run: acknowledged messages per second,
               and the time from each SAY to its SAY_OK, every delivery checked;
  parleyd@REV  with --ref REV: the same for another revision of the tree, exported with git
               archive and built beside the run (pl_load is copied in when that revision has
               none), so a before and an after are measured in the same run.

Target (issue 6): parleyd acknowledges at least 0.8x the rows per second of sqlite/100, with the
p99 time to SAY_OK at most 20 ms.

The server under test (parleyd with all its threads, or sqlite_loop) runs on core 0, pl_load and
this script on core 1. parleyd's clients register first (setup: N Argon2id hashes); what is
measured is the D seconds of messages that follow, between pl_load's "run:" and "drain:" lines.
For each measurement the script counts the CPU the rest of the machine used meanwhile and makes
it again (at most --attempts times) when others used more than 10% of a core.

Output: on stdout one JSON line per measurement and a final {"summary": ...}; progress and the
table on stderr; --out FILE keeps the lines, --report FILE prints the table of saved lines.
Benchmarks never assert time: the exit status is non-zero only when something could not be run.

Environment: PARLEY_BUILD (default ../build), PARLEYD (default $PARLEY_BUILD/parleyd),
PARLEY_BENCH_BIN (default $PARLEY_BUILD/bench: pl_load and sqlite_loop). Use a Release or
RelWithDebInfo build; a Debug or sanitizer build is refused (--allow-debug overrides, for trying
the script, never for numbers).
"""
import argparse
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
os.environ.setdefault("PARLEY_BUILD", os.path.join(ROOT, "build"))
sys.path.insert(0, HERE)
import run_bench as rb  # noqa: E402  (machine facts, CPU accounting, pinning, the build-type check)

BUILD = os.environ["PARLEY_BUILD"]
PARLEYD = os.environ.get("PARLEYD", os.path.join(BUILD, "parleyd"))
BENCH_BIN = os.environ.get("PARLEY_BENCH_BIN", os.path.join(BUILD, "bench"))
PL_LOAD = os.path.join(BENCH_BIN, "pl_load")
SQLITE_LOOP = os.path.join(BENCH_BIN, "sqlite_loop")
PER_IP = 16  # parleyd's default max_connections_per_ip: clients come from N/16 loopback addresses
RUN_LIMIT_S = 1800
T_START = time.monotonic()
OUT_LINES = []


def log(*a):
    print(f"[{time.monotonic() - T_START:6.1f}s]", *a, file=sys.stderr, flush=True)


def emit(obj):
    line = json.dumps(obj)
    OUT_LINES.append(line)
    print(line, flush=True)


# --- CPU accounting over one measurement ---------------------------------------------------------

def pid_cpu(pid):
    try:
        return rb.proc_cpu_s(pid)
    except OSError:
        return None


class Window:
    """CPU used between start() and stop(): by the server, the load generator, this script, kernel
    threads and everyone else. Processes that are gone by stop() give their CPU as `known`."""

    def start(self, server_pid=None, load_pid=None):
        self.pids = (server_pid, load_pid)
        self.t0 = time.monotonic()
        self.srv0 = pid_cpu(server_pid) if server_pid else 0.0
        self.load0 = pid_cpu(load_pid) if load_pid else 0.0
        self.all0 = rb.all_cpu()
        self.mach0, self.steal0 = rb.machine_times()
        self.self0 = os.times()

    def stop(self, known_server_cpu=None):
        wall = time.monotonic() - self.t0
        server_pid, load_pid = self.pids
        srv = (pid_cpu(server_pid) or self.srv0) - self.srv0 if server_pid else known_server_cpu or 0.0
        load = (pid_cpu(load_pid) or self.load0) - self.load0 if load_pid else 0.0
        _, kthreads = rb.foreign_cpu(self.all0, rb.all_cpu(), {os.getpid(), server_pid, load_pid})
        mach, steal = rb.machine_times()
        me = os.times()
        mine = me.user + me.system - self.self0.user - self.self0.system
        others = (mach - self.mach0) - srv - load - mine - kthreads
        return {"wall_s": round(wall, 3), "server_cpu_s": round(srv, 3),
                "server_cpu_pct": round(100 * srv / wall, 1) if wall else 0,
                "load_cpu_s": round(load, 3), "load_cpu_pct": round(100 * load / wall, 1) if wall else 0,
                "kthread_cpu_s": round(kthreads, 3), "others_cpu_s": round(others, 3),
                "steal_s": round(steal - self.steal0, 3),
                "disturbed": others > rb.DISTURBED_FRACTION * wall or (steal - self.steal0) > rb.DISTURBED_FRACTION * wall}


def best_of(attempts, fn, name):
    """Runs fn() until a result is not disturbed, at most `attempts` times; keeps the least
    disturbed."""
    best = None
    for k in range(attempts):
        r = fn()
        r["attempt"] = k + 1
        if "error" in r:
            return r
        if best is None or r["cpu"]["others_cpu_s"] < best["cpu"]["others_cpu_s"]:
            best = r
        if not r["cpu"]["disturbed"]:
            break
        log(f"  {name}: disturbed by other processes ({r['cpu']['others_cpu_s']} s of CPU); again")
    return best


# --- the targets ---------------------------------------------------------------------------------

def filesystem(path):
    """The mount that holds path: device, type and options, from /proc/mounts."""
    best = ("?", "/", "?", "?")
    real = os.path.realpath(path)
    with open("/proc/mounts") as f:
        for line in f:
            dev, mnt, typ, opts = line.split()[:4]
            if (real == mnt or real.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best[1]):
                best = (dev, mnt, typ, opts)
    st = os.statvfs(path)
    return {"path": path, "device": best[0], "mount": best[1], "type": best[2], "options": best[3],
            "free_gb": round(st.f_bavail * st.f_frsize / 1e9, 1)}


def sqlite_target(workdir, batch, a, schema_from):
    def once():
        w = Window()
        w.start()
        cmd = [SQLITE_LOOP, "--dir", workdir, "--batch", str(batch), "--duration", str(a.duration),
               "--text-bytes", str(a.text_bytes), "--label", f"sqlite/{batch}"]
        if schema_from:
            cmd += ["--schema-from", schema_from]
        p = rb.spawn_pinned(rb.SERVER_CPU, lambda: subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                                                    stderr=subprocess.PIPE, text=True))
        out, err = p.communicate(timeout=a.duration + 120)
        lines = [ln for ln in out.splitlines() if ln.startswith("{")]
        if not lines:
            return {"target": f"sqlite/{batch}", "error": f"sqlite_loop printed nothing: {err.strip()[:300]}"}
        r = json.loads(lines[-1])
        cpu = w.stop(known_server_cpu=r.get("cpu_s", 0.0))
        return {"target": f"sqlite/{batch}", **r, "cpu": cpu}
    return best_of(a.attempts, once, f"sqlite/{batch}")


def parleyd_args(binary, clients):
    """Limits raised for the run: connections in all, chat messages and other requests (as fast as
    the server answers), and registrations per address where the binary has that limit."""
    helptext = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
    args = ["--max-connections", str(clients + 64), "--message-burst", "1000000", "--message-rate", "1000000",
            "--request-burst", "1000000", "--request-rate", "1000000"]
    if "--register-burst" in helptext:
        args += ["--register-burst", str(clients), "--register-rate", "1000"]
    return args


def parleyd_target(name, binary, pl_load, workdir, a):
    """One measurement: a fresh parleyd and data directory, pl_load registers the clients, then
    sends for a.duration seconds; the CPU window is pl_load's "run:" to "drain:"."""
    data = os.path.join(workdir, f"data-{name.replace('/', '_').replace('@', '_')}-{time.monotonic_ns()}")
    cmd = [binary, "--listen", "127.0.0.1", "--port", "0", "--udp-port", "0", "--data-dir", data,
           "--name", "storebench", *parleyd_args(binary, a.clients)]
    logf = open(data + ".log", "w")
    srv = rb.spawn_pinned(rb.SERVER_CPU, lambda: subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=logf, text=True))
    res = {"target": name, "parleyd": binary, "data_dir": data}
    try:
        line = srv.stdout.readline()
        if not line.startswith("ready "):
            res["error"] = f"parleyd did not start: {line!r}"
            return res
        kv = dict(p.split("=", 1) for p in line.split()[1:])
        lcmd = [pl_load, "--port", kv["tcp"], "--clients", str(a.clients), "--room-size", str(a.room_size),
                "--auth", "register", "--duration", str(a.duration), "--window", str(a.window),
                "--text-bytes", str(a.text_bytes), "--concurrency", "8", "--drain", "30",
                "--src-addrs", str(math.ceil(a.clients / PER_IP)), "--fingerprint", kv["fingerprint"],
                "--max-seconds", "900", "--label", name]
        p = subprocess.Popen(lcmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        w, cpu, tail = Window(), None, []
        out_chunks = []
        reader = threading.Thread(target=lambda: out_chunks.append(p.stdout.read()), daemon=True)
        reader.start()
        for line in p.stderr:  # ends when pl_load exits
            tail = (tail + [line.rstrip()])[-5:]
            if "] run:" in line:
                w.start(srv.pid, p.pid)
            elif "] drain:" in line and cpu is None:
                cpu = w.stop()
        p.wait(timeout=60)
        reader.join(timeout=10)
        lines = [ln for ln in "".join(out_chunks).splitlines() if ln.startswith("{")]
        if not lines or cpu is None:
            res["error"] = f"pl_load exit {p.returncode}, no run measured: {' / '.join(tail)[-400:]}"
            return res
        res.update(json.loads(lines[-1]))
        res["cpu"] = cpu
        return res
    finally:
        srv.send_signal(signal.SIGTERM)
        try:
            res["parleyd_exit"] = srv.wait(timeout=30)
        except subprocess.TimeoutExpired:
            srv.kill()
            res["parleyd_exit"] = srv.wait()
        logf.close()


def build_ref(rev, where):
    """Exports revision rev of this repository into where/src with git archive and builds its
    parleyd and pl_load (RelWithDebInfo) in where/build. Returns (parleyd, pl_load, description)."""
    sha = subprocess.run(["git", "-C", ROOT, "rev-parse", "--verify", rev + "^{commit}"], capture_output=True,
                         text=True, check=True).stdout.strip()
    src, build = os.path.join(where, "src"), os.path.join(where, "build")
    stamp = os.path.join(where, "rev")
    if not (os.path.exists(stamp) and open(stamp).read().strip() == sha):
        shutil.rmtree(where, ignore_errors=True)
        os.makedirs(src)
        log(f"exporting {rev} ({sha[:12]}) into {src}")
        arch = subprocess.Popen(["git", "-C", ROOT, "archive", sha], stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", src], stdin=arch.stdout, check=True)
        arch.wait()
        if not os.path.exists(os.path.join(src, "bench", "pl_load.c")):
            # A revision from before pl_load: give it this one (it builds against protocol 1 too).
            for f in ("pl_load.c", "pl_load.h", "pl_load_ledger.c", "jout.h"):
                shutil.copy(os.path.join(HERE, f), os.path.join(src, "bench", f))
            with open(os.path.join(src, "bench", "CMakeLists.txt"), "a") as f:
                f.write("\npkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)\n"
                        "add_executable(pl_load pl_load.c pl_load_ledger.c)\n"
                        "target_link_libraries(pl_load PRIVATE parley PkgConfig::JANSSON)\n")
        log(f"building {rev}'s parleyd and pl_load (RelWithDebInfo) in {build}")
        subprocess.run(["cmake", "-S", src, "-B", build, "-DCMAKE_BUILD_TYPE=RelWithDebInfo"], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", build, "-j2", "--target", "parleyd", "pl_load"], check=True,
                       stdout=subprocess.DEVNULL)
        with open(stamp, "w") as f:
            f.write(sha + "\n")
    subject = subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%h %s", sha], capture_output=True,
                             text=True).stdout.strip()
    return os.path.join(build, "parleyd"), os.path.join(build, "bench", "pl_load"), subject


# --- the table -----------------------------------------------------------------------------------

def markdown(lines):
    rows = [json.loads(ln) for ln in lines]
    order = {"sqlite/1": 0, "sqlite/100": 1}
    cols = sorted((r for r in rows if "target" in r), key=lambda r: (order.get(r["target"], 2), r["target"] == "parleyd"))
    summ = next((r["summary"] for r in rows if "summary" in r), {})
    if not cols:
        return "(no measurements)"
    s100 = next((r for r in cols if r["target"] == "sqlite/100" and "error" not in r), None)
    out = ["| | " + " | ".join(r["target"] for r in cols) + " |", "|---|" + "---|" * len(cols)]

    def row(name, fn):
        vals = []
        for r in cols:
            try:
                v = None if "error" in r else fn(r)
            except (KeyError, TypeError, ZeroDivisionError):
                v = None
            vals.append("n/a" if v is None else str(v))
        out.append(f"| {name} | " + " | ".join(vals) + " |")

    def is_sql(r):
        return r["target"].startswith("sqlite/")

    def rate(r):
        return r["rows_per_s"] if is_sql(r) else r["acked_per_s"]

    row("rows committed / messages acknowledged per s", lambda r: f"{rate(r):.0f}")
    if s100:
        row("x sqlite/100", lambda r: f"{rate(r) / s100['rows_per_s']:.3f}")
    row("commit / SAY_OK time p50 / p99 / max (ms)", lambda r: (
        f"{r['commit_us_p50'] / 1000:.2f} / {r['commit_us_p99'] / 1000:.2f} / {r['commit_us_max'] / 1000:.2f}"
        if is_sql(r) else f"{r['say_ok_ms_p50']:.2f} / {r['say_ok_ms_p99']:.2f} / {r['say_ok_ms_max']:.2f}"))
    row("rows per commit", lambda r: r["batch"] if is_sql(r) else None)
    row("clients, room size, SAYs outstanding each", lambda r: None if is_sql(r) else
        f"{r['clients']}, {r['room_size']}, {r['window']}")
    row("messages sent / acknowledged", lambda r: None if is_sql(r) else f"{r['sent']} / {r['acked']}")
    row("deliveries expected / received", lambda r: None if is_sql(r) else
        f"{r['deliveries_expected']} / {r['deliveries_received']}")
    row("missing, duplicates, disconnects", lambda r: None if is_sql(r) else
        f"{r['deliveries_missing']}, {r['duplicates']}, {r['disconnects']}")
    row("ERRORs", lambda r: None if is_sql(r) else
        (", ".join(f"{k[4:]}: {v}" for k, v in r.items() if k.startswith("err_")) or "none"))
    row("server CPU (s) / % of wall", lambda r: f"{r['cpu']['server_cpu_s']} / {r['cpu']['server_cpu_pct']}")
    row("load generator CPU (% of wall)", lambda r: None if is_sql(r) else r["cpu"]["load_cpu_pct"])
    row("disturbed by others? (attempts)", lambda r: f"{'yes' if r['cpu']['disturbed'] else 'no'} ({r['attempt']})")
    for r in cols:
        if "error" in r:
            out.append(f"- {r['target']}: {r['error']}")
    for t, v in summ.get("verdicts", {}).items():
        out.append(f"- {t}: {v}")
    return "\n".join(out)


def verdict(r, s100):
    """Against issue 6's target: >= 0.8x sqlite/100's rows per second, p99 SAY_OK <= 20 ms."""
    ratio = r["acked_per_s"] / s100["rows_per_s"]
    ok = ratio >= 0.8 and r["say_ok_ms_p99"] <= 20
    return (f"{r['acked_per_s']:.0f} messages/s = {ratio:.3f}x sqlite/100 (target >= 0.8x, "
            f"{0.8 * s100['rows_per_s']:.0f}/s), p99 SAY_OK {r['say_ok_ms_p99']:.2f} ms (target <= 20): "
            f"{'met' if ok else 'not met'}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=10, help="seconds of each measurement")
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--room-size", type=int, default=10)
    ap.add_argument("--window", type=int, default=1, help="SAYs outstanding per client")
    ap.add_argument("--text-bytes", type=int, default=64, help="bytes of each message's text")
    ap.add_argument("--ref", help="also measure this git revision's parleyd (e.g. HEAD: the committed tree)")
    ap.add_argument("--ref-build", help="where to export and build --ref (kept and reused; default: a "
                    "temporary directory)")
    ap.add_argument("--dir", help="where the databases go (default: a new directory under $TMPDIR or /tmp)")
    ap.add_argument("--attempts", type=int, default=2, help="at most this many tries of a disturbed measurement")
    ap.add_argument("--allow-debug", action="store_true")
    ap.add_argument("--out", help="also write the JSON lines to this file")
    ap.add_argument("--report", metavar="JSONL", help="only print the table of a saved run")
    a = ap.parse_args()
    if a.report:
        with open(a.report) as f:
            print(markdown([ln for ln in f if ln.strip()]))
        return

    for exe in (PARLEYD, PL_LOAD, SQLITE_LOOP):
        if not os.access(exe, os.X_OK):
            sys.exit(f"run_store_bench: {exe} is missing; build a release tree first:\n"
                     "  cmake -S . -B build-release -DCMAKE_BUILD_TYPE=RelWithDebInfo && "
                     "cmake --build build-release -j2 --target parleyd pl_load sqlite_loop")
    ok, bt = rb.build_type_ok(PARLEYD)
    if not ok and not a.allow_debug:
        sys.exit(f"run_store_bench: {PARLEYD} is a {bt} build; benchmark a Release or RelWithDebInfo build "
                 "(cmake -DCMAKE_BUILD_TYPE=RelWithDebInfo), or pass --allow-debug to try the script.")
    if rb.SERVER_CPU is not None:
        os.sched_setaffinity(0, {rb.LOAD_CPU})  # children inherit: pl_load runs on LOAD_CPU
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("run_store_bench: stopped (time limit or SIGTERM)"))
    limit = threading.Timer(RUN_LIMIT_S, lambda: os.kill(os.getpid(), signal.SIGTERM))
    limit.daemon = True
    limit.start()

    workdir = a.dir or rb.harness.tmpdir()
    os.makedirs(workdir, exist_ok=True)
    ref_tmp = None
    info = rb.machine()
    info.update({"parleyd": PARLEYD, "build": bt, "server_cpu": rb.SERVER_CPU, "load_cpu": rb.LOAD_CPU,
                 "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "filesystem": filesystem(workdir),
                 "settings": {"duration_s": a.duration, "clients": a.clients, "room_size": a.room_size,
                              "window": a.window, "text_bytes": a.text_bytes}})
    emit({"machine": info})
    bg = rb.background()
    emit({"background_before": bg})
    log(f"machine: {info['nproc']} x {info['cpu']}; databases on {info['filesystem']['device']} "
        f"({info['filesystem']['type']}) at {workdir}; parleyd {bt}")
    try:
        targets = []
        if a.ref:
            where = a.ref_build or os.path.join(workdir, "ref")
            ref_tmp = None if a.ref_build else where
            pd, pl, subject = build_ref(a.ref, where)
            targets.append((f"parleyd@{a.ref}", pd, pl, subject))
        targets.append(("parleyd", PARLEYD, PL_LOAD, "the working tree"))
        schema_from = None
        for name, pd, pl, what in targets:
            log(f"{name} ({what}): {a.clients} clients, rooms of {a.room_size}, {a.window} outstanding each, "
                f"{a.duration:g} s")
            r = best_of(a.attempts, lambda: parleyd_target(name, pd, pl, workdir, a), name)
            r["revision"] = what
            emit(r)
            if "error" not in r:
                log(f"  {r['acked_per_s']:.0f} messages/s acknowledged, SAY_OK p50 {r['say_ok_ms_p50']:.2f} ms, "
                    f"p99 {r['say_ok_ms_p99']:.2f} ms; parleyd CPU {r['cpu']['server_cpu_pct']}%")
                schema_from = os.path.join(r["data_dir"], "parley.db")
        for batch in (1, 100):
            log(f"sqlite/{batch}: {batch} rows per commit, {a.duration:g} s")
            r = sqlite_target(workdir, batch, a, schema_from)
            emit(r)
            if "error" not in r:
                log(f"  {r['rows_per_s']:.0f} rows/s, commit p50 {r['commit_us_p50']} us, p99 {r['commit_us_p99']} us")
    finally:
        if not a.dir:
            rb.harness.cleanup(workdir)
        elif ref_tmp:
            shutil.rmtree(ref_tmp, ignore_errors=True)

    rows = [json.loads(ln) for ln in OUT_LINES if '"target"' in ln]
    s100 = next((r for r in rows if r.get("target") == "sqlite/100" and "error" not in r), None)
    verdicts = {r["target"]: verdict(r, s100) for r in rows
                if s100 and r["target"].startswith("parleyd") and "error" not in r}
    emit({"background_after": rb.background()})
    emit({"summary": {"verdicts": verdicts, "seconds": round(time.monotonic() - T_START, 1)}})
    log("results:\n" + markdown(OUT_LINES))
    if a.out:
        with open(a.out, "w") as f:
            f.write("\n".join(OUT_LINES) + "\n")
    limit.cancel()


if __name__ == "__main__":
    main()
