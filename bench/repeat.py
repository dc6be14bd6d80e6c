#!/usr/bin/env python3
"""Repeats scenarios of bench/run_bench.py, parleyd and udp_echo interleaved, to put run-to-run
noise around the ratio of their CPU per delivery (one run of run_bench.py gives one sample):

  a     a room of 10, 2 talkers at 50 packets/s (--duration s)
  p     10 rooms of 2, both talking at 50 packets/s (--duration s)
  c     a room of 20, everyone talking, at a fixed aggregate --rate (5 s)

Each is measured --reps times per target, in the order parleyd, udp_echo, parleyd, ... so that a
disturbance falls on both alike. CPU is the server's scheduler runtime (schedstat, to the ns), of
the whole process and of parleyd's relay thread alone (the signalling thread, which keeps the 20
TLS clients alive, is the rest). It prints one JSON line per measurement on stdout and, on stderr,
per scenario the medians and udp_echo's median divided by parleyd's (1.0: the same cost; 0.9:
parleyd costs 11% more).

Environment and build as run_bench.py (PARLEY_BUILD; a Release or RelWithDebInfo build). --listen
0.0.0.0 runs parleyd on a wildcard address, where the relay reads and sets each datagram's local
address (IP_PKTINFO).
"""
import argparse
import json
import os
import statistics
import sys

import run_bench as rb


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--duration", type=float, default=20, help="seconds of (a) and (p)")
    ap.add_argument("--rate", type=float, default=30000, help="packets/s into the room of 20 in (c)")
    ap.add_argument("--scenarios", default="a,p,c")
    ap.add_argument("--listen", help="parleyd's --listen (default 127.0.0.1)")
    a = ap.parse_args()
    ok, bt = rb.build_type_ok(rb.harness.PARLEYD)
    if not ok:
        sys.exit(f"repeat: {rb.harness.PARLEYD} is a {bt} build; use a Release or RelWithDebInfo build")
    if rb.SERVER_CPU is not None:
        os.sched_setaffinity(0, {rb.LOAD_CPU})
    tmp = rb.harness.tmpdir()
    pd, echo = None, rb.Echo()
    res = {}
    try:
        pd = rb.Parleyd(tmp, 20, a.listen)
        pd.login_all()
        for k in range(a.reps):
            for sc in a.scenarios.split(","):
                for t in (pd, echo):
                    if sc == "a":
                        r = rb.measure(t, "a", 10, 2, a.duration, quiet=True)
                    elif sc == "p":
                        r = rb.measure(t, "p", 20, 2, a.duration, quiet=True, rooms=10)
                    else:
                        r = rb.measure(t, "c", 20, 20, 5, rate=a.rate, quiet=True)
                    r["rep"] = k + 1
                    print(json.dumps(r), flush=True)
                    res.setdefault(sc, {}).setdefault(t.name, []).append(r)
                    rb.log(f"{sc} {t.name} rep {k + 1}: {r.get('server_runtime_us_per_delivered')} us per delivery "
                           f"({r.get('relay_runtime_us_per_delivered')} relay thread), "
                           f"loss {r.get('loss_pct')}%, p99 {r.get('lat_us', {}).get('p99')} us"
                           f"{' (disturbed)' if r['server']['disturbed'] else ''}")
    finally:
        echo.stop()
        if pd:
            pd.stop()
        rb.harness.cleanup(tmp)
    for sc, d in res.items():
        summary = {"scenario": sc, "listen": a.listen or "127.0.0.1", "reps": a.reps,
                   "disturbed": sum(r["server"]["disturbed"] for rows in d.values() for r in rows)}
        for key, name in (("server_runtime_us_per_delivered", "process"), ("relay_runtime_us_per_delivered", "relay")):
            med = {n: statistics.median(r[key] for r in rows) for n, rows in d.items()}
            summary[name] = {"us_per_delivery": {n: [r[key] for r in rows] for n, rows in d.items()},
                             "median": med, "udp_echo_over_parleyd": round(med["udp_echo"] / med["parleyd"], 3)}
        print(json.dumps({"summary": summary}), flush=True)
        rb.log(json.dumps(summary))


if __name__ == "__main__":
    main()
