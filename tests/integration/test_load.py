"""parleyd under a crowd, with bench/pl_load playing the clients (N TLS connections in one process).

PARLEY_LOAD_CLIENTS clients (default 1000) first register with a password and a device key (setup:
N Argon2id hashes, not what is measured). Then they log in by key, join rooms of 10, answer PINGs
and send room messages for PARLEY_LOAD_SECONDS (default 60): no connection may drop, and every
acknowledged message must reach every member of its room exactly once. parleyd is then stopped
with SIGTERM and started again on the same data directory, and all N log back in by key. The test
prints how long that took (the target is 5 s on the 2-core build machines) but does not check it:
tests assert behaviour, not wall-clock time."""
import json
import math
import os
import subprocess
import time

from harness import BUILD, PARLEYD, Checks, Server, cleanup, tmpdir

N = int(os.environ.get("PARLEY_LOAD_CLIENTS", "1000"))
SECONDS = float(os.environ.get("PARLEY_LOAD_SECONDS", "60"))
RATE = os.environ.get("PARLEY_LOAD_RATE", "0.5")  # room messages per second per client
PL_LOAD = os.environ.get("PL_LOAD", os.path.join(BUILD, "bench", "pl_load"))
PER_IP = 16  # parleyd's default max_connections_per_ip, left as it is

t = Checks("load")


def server_args():
    """Settings for the run. Raised: connections in all (N and a margin), registrations per address
    (setup registers N accounts), Argon2id workers (setup only). Shortened: the PING interval, so
    every client is PINGed several times during the run (with a generous timeout, for ASan builds).
    Left at their defaults: connections per address (the clients come from N/16 loopback
    addresses), message and request rates (each client sends well under them)."""
    helptext = subprocess.run([PARLEYD, "--help"], capture_output=True, text=True).stdout
    args = ["--max-connections", str(N + 64), "--ping-interval", "2000", "--ping-timeout", "15000"]
    for opt, value in (("--register-burst", str(N)), ("--register-rate", "1000"), ("--workers", "2")):
        if opt in helptext:  # settings newer than some parleyd builds: passed when this one has them
            args += [opt, value]
    return args


def pl_load(srv, what, *args, timeout=600):
    """Runs pl_load against srv; returns its JSON result (or {"error": ...})."""
    cmd = [PL_LOAD, "--port", str(srv.tcp), "--clients", str(N), "--src-addrs", str(math.ceil(N / PER_IP)),
           "--seed", SEED, "--prefix", "ld", "--fingerprint", srv.fingerprint, "--label", what, *args]
    started = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"pl_load ({what}) did not finish in {timeout} s"}
    for line in p.stderr.splitlines()[-8:]:
        print(f"  {line}")
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    if p.returncode != 0 or not lines:
        return {"error": f"pl_load ({what}) exit {p.returncode}: {p.stderr.strip()[-500:]}"}
    res = json.loads(lines[-1])
    print(f"{what} ({time.monotonic() - started:.1f} s): {lines[-1]}", flush=True)
    return res


def errors_of(r):
    return {k: v for k, v in r.items() if k.startswith("err_")}


def still_up(srv, after):
    """parleyd must survive each phase; when it did not, the end of its log says why (a sanitizer
    report, say)."""
    if t.check(srv.alive(), f"parleyd is still running after {after}"):
        return True
    print("parleyd's log ends with:\n" + "\n".join(srv.logtext().splitlines()[-40:]), flush=True)
    return False


SEED = f"test_load-{os.getpid()}-{time.time()}"
tmp = tmpdir()
data = os.path.join(tmp, "data")
srv = None
try:
    if not t.check(os.access(PL_LOAD, os.X_OK), f"the load generator is built ({PL_LOAD})"):
        raise SystemExit
    srv = Server(tmp, *server_args(), data_dir=data)

    # Setup: N accounts, each with its device key. At most 8 registrations wait for Argon2id at
    # once, so none comes near the login deadline.
    r = pl_load(srv, "register", "--auth", "register", "--duration", "0", "--concurrency", "8",
                "--max-seconds", "900")
    t.check(r.get("logins_ok") == N, f"setup: {N} accounts registered ({r.get('logins_ok')} ok, "
            f"{r.get('logins_failed')} failed, errors {errors_of(r)}; {r.get('login_s')} s)")
    t.check(r.get("devices_added") == N, f"each registration added its device key ({r.get('devices_added')})")
    if not still_up(srv, "the registrations"):
        raise SystemExit

    # The run: log in by key, rooms of 10, messages for SECONDS.
    r = pl_load(srv, "run", "--auth", "key", "--room-size", "10", "--duration", str(SECONDS), "--rate", RATE,
                "--concurrency", "64", "--drain", "30", "--max-seconds", str(SECONDS + 300))
    t.check(r.get("logins_ok") == N and r.get("ready") == N,
            f"all {N} log in by key and join their rooms ({r.get('logins_ok')} logged in, {r.get('ready')} joined, "
            f"errors {errors_of(r)}; {r.get('login_s')} s)")
    t.check(r.get("disconnects") == 0, f"no connection dropped during {SECONDS:g} s ({r.get('disconnects')})")
    t.check(r.get("pings_answered", 0) >= N, f"PINGs really happened and were answered ({r.get('pings_answered')})")
    sent, acked = r.get("sent", 0), r.get("acked", 0)
    t.check(sent > 0 and acked == sent, f"every message sent was acknowledged ({acked} of {sent}; "
            f"{r.get('refused')} refused, {r.get('unanswered')} unanswered)")
    t.check(r.get("deliveries_expected", 0) > 0 and r.get("deliveries_received") == r.get("deliveries_expected")
            and r.get("deliveries_missing") == 0,
            f"every acknowledged message reached every member of its room ({r.get('deliveries_received')} of "
            f"{r.get('deliveries_expected')} deliveries, {r.get('deliveries_missing')} missing)")
    t.check(r.get("duplicates") == 0 and r.get("misrouted") == 0 and r.get("stray_text") == 0,
            f"exactly once, to the right room ({r.get('duplicates')} duplicates, {r.get('misrouted')} misrouted, "
            f"{r.get('stray_text')} stray)")
    t.check(r.get("id_mismatch") == 0, f"SAY_OK and TEXT agree on every id ({r.get('id_mismatch')} differ)")
    print(f"SAY_OK latency: p50 {r.get('say_ok_ms_p50')} ms, p99 {r.get('say_ok_ms_p99')} ms, "
          f"max {r.get('say_ok_ms_max')} ms; {r.get('acked_per_s')} messages/s acknowledged")
    if not still_up(srv, "the run"):
        raise SystemExit

    # Restart on the same data directory; everyone comes back by key.
    if not t.check(srv.stop() == 0, "parleyd stops cleanly on SIGTERM with the crowd gone"):
        print("parleyd's log ends with:\n" + "\n".join(srv.logtext().splitlines()[-40:]), flush=True)
    srv = Server(tmp, *server_args(), data_dir=data)
    r = pl_load(srv, "relogin", "--auth", "key", "--room-size", "10", "--duration", "0", "--concurrency", "64",
                "--max-seconds", "300")
    t.check(r.get("logins_ok") == N, f"after a restart all {N} log back in by key ({r.get('logins_ok')} ok, "
            f"errors {errors_of(r)})")
    print(f"re-login after restart: {N} clients by key in {r.get('login_s')} s "
          f"(first connect to last AUTH_OK; target within 5 s); each login p50 "
          f"{r.get('login_ms_each_p50')} ms, p99 {r.get('login_ms_each_p99')} ms", flush=True)
    t.check(srv.stop() == 0, "parleyd shuts down cleanly")
    srv = None
except SystemExit:
    pass
finally:
    if srv is not None and srv.alive():
        srv.stop()
    cleanup(tmp)
t.finish()
