#!/usr/bin/env python3
"""Benchmarks how fast a call connects through real NATs (issue 9, must-show 6), in the NAT lab of
tests/integration/natlab.py (network namespaces: root). parleyd runs on the lab's public bridge,
alice behind router A, bob behind router B; for each pair of router kinds (the same 10 unordered
pairs as test_natlab.py: no NAT, full cone, port-restricted cone, symmetric), N calls, each with
fresh clients (a cold start: new sockets, new NAT mappings), alice calling, bob answering at once,
alice talking a short sentence from the moment her side is active, bob recording from before the
call. Per call:

  first_pkt_ms   `call` -> the callee's first received voice packet: bob's voice_stats polled
                 (the `stats` command, again 2 ms after each answer, once he has answered) until `received` > 0;
                 the time is when that voice_stats line reached us.
  audio_ms       `call` -> the sentence's start in bob's recording (audiocmp's cross-correlation
                 delay, less the time between his recording's start and alice's `call`): what a
                 person hears, so the jitter buffer (--jitter 3, 60 ms) is in it.
  direct_ms      `call` -> the later of the two sides' first `call_path` event saying direct
                 (lan, direct or punched); none where the call stays on the relay.
  path           the path that event named, else "relayed".

Answering is in every time (bob answers as soon as his client says it rings; the test driver's
round trips are a few ms). Side by side, in the same run, two references:

  relay-only     the same pairs, the same calls with `parley --relay-only` on both sides (the ICE
                 agent off: media stays on parleyd's relay), first_pkt_ms and audio_ms: how fast a
                 call talks when nothing tries to go direct. parley starts every call on the relay,
                 so the ICE calls should talk as soon as these.
  stun floor     coturn's turnutils_stunclient from host A (the pair's router A) to parleyd's STUN,
                 wall time of the process less that of `ip netns exec NS true` (so process start
                 noise of a few ms is in it), and the same exchange timed inside one process in
                 host A (stun_rtt: sendto to the answer, from one socket): one STUN exchange in the
                 lab, the floor under any connectivity check and so under any direct path.

Each call also records the hypervisor's steal time over its span (% of one core, /proc/stat): this
VM shares its cores, and stolen CPU delays every process and every packet of the lab alike.

Output: one JSON line per measurement on stdout, then per-pair medians and a final {"summary": ...};
progress and the table on stderr. Benchmarks never assert: the exit status is non-zero only when
something could not run. Environment: PARLEY_BUILD (default ../build; a Release or RelWithDebInfo
build: `cmake -S . -B build-release -DCMAKE_BUILD_TYPE=RelWithDebInfo`). Options: --calls N
(default 5), --quick (2 calls a pair), --pairs KIND:KIND,... (a subset), --out FILE.
"""
import argparse
import itertools
import json
import os
import shutil
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
os.environ.setdefault("PARLEY_BUILD", os.path.join(ROOT, "build"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, HERE)
import harness as h  # noqa: E402
import natlab  # noqa: E402
import run_bench as rb  # noqa: E402

T0 = time.monotonic()
LINES = []
PAIRS = list(itertools.combinations_with_replacement(natlab.KINDS, 2))
SHORT = {"none": "no NAT", "full_cone": "full cone", "port_restricted": "port-restr.", "symmetric": "symmetric"}
DIRECT = ("lan", "direct", "punched")
BIRTHDAY = {("port_restricted", "symmetric")}  # direct by birthday probing: rounds of ~10 s
RELAYED = {("symmetric", "symmetric")}          # nothing gets through: the call stays relayed


def log(*a):
    print(f"[{time.monotonic() - T0:6.1f}s]", *a, file=sys.stderr, flush=True)


def emit(obj):
    LINES.append(obj)
    print(json.dumps(obj), flush=True)


class TClient(h.Client):
    """harness.Client whose events carry the monotonic time they reached us ("_t")."""

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)
            try:
                ev = json.loads(line)
            except ValueError:
                ev = {"event": "unparsable", "line": line}
            ev["_t"] = time.monotonic()
            self.events.put(ev)
        self.events.put({"event": "eof", "_t": time.monotonic()})


class Bench:
    def __init__(self, lab, srv, tmp, speech):
        self.lab, self.srv, self.tmp, self.speech = lab, srv, tmp, speech
        self.clients = []

    def start(self, side, nick, extra, register=False):
        c = TClient(self.tmp, self.srv, "--jitter", "3", *extra, name=nick, prefix=self.lab.prefix("h" + side))
        self.clients.append(c)
        if c.login(nick, nick + "-password", register=register) is None:
            return None
        return c

    def stop(self, *cs):
        for c in cs:
            if c:
                c.quit()
                if c in self.clients:
                    self.clients.remove(c)

    def call(self, ka, kb, mode, i):
        """One call; returns its measurement (a dict), or one with "error"."""
        extra = ["--relay-only"] if mode == "relay" else []
        m = {"item": "call", "a": ka, "b": kb, "mode": mode, "i": i}
        a, b = self.start("A", "alice", extra), self.start("B", "bob", extra)
        try:
            if a is None or b is None or a.expect("voice_ready") is None or b.expect("voice_ready") is None:
                m["error"] = "a client did not log in or get voice through its router"
                return m
            rec = os.path.join(self.tmp, f"heard-{ka}-{kb}-{mode}-{i}.wav")
            b.send({"cmd": "record", "file": rec})
            r = b.expect("recording")
            w0, s0 = time.monotonic(), rb.machine_times()[1]
            t_call = time.monotonic()
            a.send({"cmd": "call", "nick": "bob"})
            inc = b.expect("call_incoming")
            if inc:
                b.send({"cmd": "answer"})
            xa = a.expect("call_state", state="active")
            if xa:
                a.send({"cmd": "voice_send", "file": self.speech})
            xb = b.expect("call_state", state="active")
            if not (r and inc and xa and xb):
                m["error"] = "the call did not connect"
                return m
            m["active_ms"] = round((xb["_t"] - t_call) * 1000, 1)
            # bob's first received packet: voice_stats polled until it counts one.
            first = None
            deadline = time.monotonic() + 5
            while first is None and time.monotonic() < deadline:
                b.send({"cmd": "stats"})
                vs = b.expect("voice_stats", timeout=1)
                if vs and vs.get("received", 0) > 0:
                    first = vs["_t"]
                else:
                    time.sleep(0.002)
            m["first_pkt_ms"] = round((first - t_call) * 1000, 1) if first else None
            # the direct path, on both sides
            if mode == "ice":
                wait = 3 if (ka, kb) in RELAYED else 30 if (ka, kb) in BIRTHDAY else 8
                pa = a.expect("call_path", timeout=wait)
                pa = pa if pa and pa.get("path") in DIRECT else None
                pb = b.expect("call_path", timeout=3 if pa else 0.3)
                pb = pb if pb and pb.get("path") in DIRECT else None
                if pa and pb:
                    m["direct_ms"] = round((max(pa["_t"], pb["_t"]) - t_call) * 1000, 1)
                    m["direct_a_ms"] = round((pa["_t"] - t_call) * 1000, 1)
                    m["path"], m["rtt_ms"] = pa["path"], pa.get("rtt_ms")
                else:
                    m["direct_ms"], m["path"] = None, "relayed"
            else:
                m["path"] = "relay-only"
            sent = a.expect("voice_sent", timeout=60)
            time.sleep(0.6)  # the last frames cross the jitter buffer
            b.send({"cmd": "stop_record"})
            time.sleep(0.3)
            a.send({"cmd": "hangup"})
            a.expect("call_state", state="ended")
            b.expect("call_state", state="ended")
            m["steal_pct"] = rb.steal_share(w0, s0)
            rc, res = h.audiocmp("--ref", self.speech, "--test", rec, "--max-delay-ms", "30000")
            if sent and "delay_ms" in res:
                m["audio_ms"] = round(res["delay_ms"] - (t_call - r["_t"]) * 1000, 1)
                m["correlation"] = res.get("correlation")
            else:
                m["audio_ms"] = None
            return m
        finally:
            self.stop(a, b)

    def stun_rtt(self, n, port):
        """n STUN exchanges from one socket in host A, each timed inside that process (ms)."""
        rc, out = self.lab.run("hA", sys.executable, "-c", STUN_RTT, natlab.SERVER_IP, str(port), str(n))
        return [float(x) for x in out.split()] if rc == 0 else []

    def stun_floor(self, n, port):
        """turnutils_stunclient's wall time from host A less `ip netns exec NS true`'s, n times."""
        out = []
        if not shutil.which("turnutils_stunclient"):
            return out  # main() said so once
        for _ in range(n):
            t = time.monotonic()
            self.lab.run("hA", "true")
            base = time.monotonic() - t
            t = time.monotonic()
            rc, text = self.lab.run("hA", "turnutils_stunclient", "-p", str(port), natlab.SERVER_IP, timeout=10)
            wall = time.monotonic() - t
            if rc == 0 and "UDP reflexive addr" in text:
                out.append(round((wall - base) * 1000, 2))
        return out


# One STUN Binding exchange timed inside the process that makes it (run in a namespace by
# Bench.stun_rtt): argv = server IP, port, count; prints one round trip in ms per line.
STUN_RTT = """
import os, socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
for _ in range(int(sys.argv[3])):
    tid = os.urandom(12)
    t = time.perf_counter()
    s.sendto(struct.pack(">HHI", 1, 0, 0x2112A442) + tid, (sys.argv[1], int(sys.argv[2])))
    try:
        while s.recv(2048)[8:20] != tid:
            pass
    except socket.timeout:
        continue
    print(round((time.perf_counter() - t) * 1000, 3))
"""


def stats(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return {"median": round(statistics.median(xs), 2), "min": round(min(xs), 2), "max": round(max(xs), 2),
            "n": len(xs)}


def fmt(s, digits=0):
    return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}-{s['max']:.{digits}f})" if s else "-"


def parse_pairs(text):
    out = []
    for item in text.split(","):
        ka, _, kb = item.partition(":")
        if ka not in natlab.KINDS or kb not in natlab.KINDS:
            raise SystemExit(f"connect_bench: --pairs takes KIND:KIND,... with kinds from {', '.join(natlab.KINDS)}; "
                             f"'{item}' is not one")
        out.append((ka, kb))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=5, help="calls per pair and mode (default 5)")
    ap.add_argument("--quick", action="store_true", help="2 calls per pair and mode")
    ap.add_argument("--pairs", help="a subset of pairs: KIND:KIND,... (kinds: " + ", ".join(natlab.KINDS) + ")")
    ap.add_argument("--allow-debug", action="store_true")
    ap.add_argument("--out", help="also write the JSON lines to this file")
    args = ap.parse_args()
    n = 2 if args.quick else args.calls
    pairs = parse_pairs(args.pairs) if args.pairs else PAIRS
    ok, bt = rb.build_type_ok(h.PARLEYD)
    if not ok and not args.allow_debug:
        log(f"refusing a {bt} build: benchmarks need Release or RelWithDebInfo "
            f"(cmake -S . -B build-release -DCMAKE_BUILD_TYPE=RelWithDebInfo, then PARLEY_BUILD=build-release)")
        return 2
    why = natlab.unavailable()
    if why:
        log(f"the connect benchmark runs in the NAT lab, and {why}.")
        return 2
    for tool in ("espeak-ng", "sox"):
        if not shutil.which(tool):
            log(f"{tool} is not installed (scripts/install-deps.sh)")
            return 2
    if not shutil.which("turnutils_stunclient"):
        log("coturn's turnutils_stunclient is not installed (Debian's coturn package): no STUN floor this run")
    emit({"machine": rb.machine(), "build": bt, "calls": n, "pairs": [list(p) for p in pairs]})
    tmp = h.tmpdir()
    lab = srv = None
    w_all, s_all = time.monotonic(), rb.machine_times()[1]
    bench = None
    try:
        lab = natlab.Lab()
        stun_port = lab.free_udp_port("pub", natlab.SERVER_IP)
        srv = h.Server(tmp, "--stun-port", str(stun_port), "--stun-burst", "1000", "--stun-rate", "1000",
                       listen=natlab.SERVER_IP, prefix=lab.prefix("pub"))
        speech = h.speech_wav(tmp, "speech", "Through every kind of router the call gets through.")
        bench = Bench(lab, srv, tmp, speech)
        lab.set_nat("A", "none")
        lab.set_nat("B", "none")
        a, b = bench.start("A", "alice", [], True), bench.start("B", "bob", [], True)
        if a is None or b is None:
            log("alice and bob could not register with parleyd in the lab")
            return 2
        a.send({"cmd": "add", "nick": "bob"})
        b.expect("contact_request", nick="alice", kind="incoming")
        b.send({"cmd": "accept", "nick": "alice"})
        a.expect("contact_added", nick="bob")
        b.expect("contact_added", nick="alice")
        bench.stop(a, b)

        rows = []
        for ka, kb in pairs:
            lab.set_nat("A", ka)
            lab.set_nat("B", kb)
            log(f"A {ka} / B {kb}: {n} calls with the ICE agent, {n} relay-only, {n} STUN exchanges")
            per = {"ice": [], "relay": []}
            for i in range(n):
                for mode in ("ice", "relay"):  # interleaved: a slow spell of the VM hits both alike
                    m = bench.call(ka, kb, mode, i)
                    emit(m)
                    per[mode].append(m)
                    if "error" in m:
                        log(f"   {mode} call {i}: {m['error']}")
            floor = bench.stun_floor(n, srv.udp)
            for x in floor:
                emit({"item": "stun_floor", "a": ka, "b": kb, "ms": x})
            rtt = bench.stun_rtt(n, srv.udp)
            for x in rtt:
                emit({"item": "stun_rtt", "a": ka, "b": kb, "ms": x})
            ice, rel = per["ice"], per["relay"]
            paths = sorted({m.get("path", "failed") for m in ice if "error" not in m})
            row = {"item": "pair", "a": ka, "b": kb,
                   "connected": sum(1 for m in ice + rel if "error" not in m), "calls": len(ice) + len(rel),
                   "paths": paths,
                   "ice_first_pkt_ms": stats([m.get("first_pkt_ms") for m in ice]),
                   "ice_audio_ms": stats([m.get("audio_ms") for m in ice]),
                   "direct_ms": stats([m.get("direct_ms") for m in ice]),
                   "direct_n": sum(1 for m in ice if m.get("direct_ms") is not None),
                   "relay_first_pkt_ms": stats([m.get("first_pkt_ms") for m in rel]),
                   "relay_audio_ms": stats([m.get("audio_ms") for m in rel]),
                   "stun_floor_ms": stats(floor),
                   "stun_rtt_ms": stats(rtt),
                   "steal_pct": stats([m.get("steal_pct") for m in ice + rel])}
            emit(row)
            rows.append(row)
            log(f"   {'/'.join(paths)}: first packet {fmt(row['ice_first_pkt_ms'])} ms (relay-only "
                f"{fmt(row['relay_first_pkt_ms'])}), heard {fmt(row['ice_audio_ms'])} ms (relay-only "
                f"{fmt(row['relay_audio_ms'])}), direct {fmt(row['direct_ms'])} ms in {row['direct_n']}/{n}, "
                f"turnutils_stunclient {fmt(row['stun_floor_ms'])} ms, STUN RTT {fmt(row['stun_rtt_ms'], 2)} ms, steal {fmt(row['steal_pct'])} %")

        print(file=sys.stderr)
        print("Times from `call`, ms: median (min-max) over the calls; answering included.", file=sys.stderr)
        head = (f"{'A':<12} {'B':<12} {'path':<8} {'direct':>6} {'to direct':>18} {'1st packet':>16} "
                f"{'relay-only':>16} {'heard':>16} {'relay-only':>16} {'stunclient':>10} {'STUN rtt':>8} {'steal %':>12}")
        print(head, file=sys.stderr)
        for r in rows:
            print(f"{SHORT[r['a']]:<12} {SHORT[r['b']]:<12} {'/'.join(r['paths']):<8} "
                  f"{str(r['direct_n']) + '/' + str(n):>6} {fmt(r['direct_ms']):>18} "
                  f"{fmt(r['ice_first_pkt_ms']):>16} {fmt(r['relay_first_pkt_ms']):>16} "
                  f"{fmt(r['ice_audio_ms']):>16} {fmt(r['relay_audio_ms']):>16} "
                  f"{(str(r['stun_floor_ms']['median']) if r['stun_floor_ms'] else '-'):>10} "
                  f"{(str(r['stun_rtt_ms']['median']) if r['stun_rtt_ms'] else '-'):>8} "
                  f"{fmt(r['steal_pct']):>12}", file=sys.stderr)
        print(file=sys.stderr)
    finally:
        if bench:
            bench.stop(*list(bench.clients))
        if srv:
            srv.stop()
        if lab:
            lab.close()
        h.cleanup(tmp)
    emit({"summary": {"seconds": round(time.monotonic() - T0, 1),
                      "steal_pct": rb.steal_share(w_all, s_all)}})
    if args.out:
        with open(args.out, "w") as f:
            f.writelines(json.dumps(x) + "\n" for x in LINES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
