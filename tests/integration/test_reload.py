"""Issue 10, server operations: logs and SIGHUP. The log is quiet by default (notice: no line per
login); log_file puts it in a file. SIGHUP reads the config file again: message_burst lowered in
the file makes a flood refused sooner, for open connections and new ones; log_level raised to
info makes logins show; a setting that needs a restart is logged as not changed; max_connections
above its value at start is capped, and said so; the file logrotate moved is let go and a new one
opened. A config with a mistake changes nothing and parleyd keeps running."""
import os
import signal
import struct
import time

from harness import ERROR, SAY, SAY_OK, Checks, Raw, Server, error_code, finish, frame, s16, tmpdir

t = Checks("reload")
tmp = tmpdir()
srv = None
raws = []
conf = os.path.join(tmp, "parleyd.conf")
logf = os.path.join(tmp, "parleyd.log")


def write_conf(**kv):
    with open(conf, "w") as f:
        f.write("# written by test_reload\n")
        for k, v in kv.items():
            f.write(f"{k} = {v}\n")


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def wait_for(path, text, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if text in read(path):
            return True
        time.sleep(0.05)
    return False


def flood(r, n, tag0):
    """n SAYs at once; (SAY_OKs, 438s) among the answers."""
    for i in range(n):
        r.send(frame(SAY, struct.pack(">I", tag0 + i) + s16("#Lobby") + s16(f"flood {i}")))
    ok = refused = 0
    while ok + refused < n:
        f = r.recv_frame(timeout=10)
        if f is None:
            break
        if f[0] == SAY_OK:
            ok += 1
        elif f[0] == ERROR and error_code(f[1]) == 438:
            refused += 1
    return ok, refused


def hup():
    srv.proc.send_signal(signal.SIGHUP)


try:
    base = dict(message_burst=8, message_rate=0.5, log_file=logf, max_connections=50)
    write_conf(**base)
    srv = Server(tmp, "--config", conf)
    t.check(wait_for(logf, "listening"), "log_file: the log goes to the file")
    a = Raw(srv)
    raws.append(a)
    a.hello_login("alice", "password-alice")
    ok, refused = flood(a, 6, 1)
    t.check((ok, refused) == (6, 0), f"message_burst 8: 6 messages at once all go: {ok} ok, {refused} refused")
    time.sleep(0.3)
    t.check("alice" not in read(logf), "quiet by default: a login is not logged at notice")

    # logrotate moves the file, the config changes, SIGHUP.
    os.rename(logf, logf + ".1")
    write_conf(**{**base, "message_burst": 2, "log_level": "info", "workers": 3, "max_connections": 5000,
                  "name": "Renamed"})
    hup()
    t.check(wait_for(logf, "reload: read the config again"), "SIGHUP: a new log file is opened where the old was")
    log = read(logf)
    t.check("reload: message_burst changed from 8 to 2" in log, "the change is logged")
    t.check("workers is now 3 in the config, but it changes only with a restart" in log,
            "a setting that needs a restart is logged as not changed")
    t.check("max_connections 5000 is above 50, its value at start" in log, "max_connections above its start is capped")
    t.check("reload" not in read(logf + ".1") and "listening" in read(logf + ".1"),
            "the rotated file keeps what was written before")
    time.sleep(2.5)  # alice's bucket would refill past 2 if the old burst still held
    ok, refused = flood(a, 6, 10)
    t.check(ok <= 3 and refused >= 3, f"alice, connected before: now {ok} go and {refused} are refused")
    b = Raw(srv)
    raws.append(b)
    b.hello_login("bob", "password-bob")
    ok, refused = flood(b, 6, 1)
    t.check(ok <= 3 and refused >= 3, f"bob, connected after: {ok} go, {refused} refused")
    t.check(wait_for(logf, "bob logged in"), "log_level info from the file: logins are logged now")

    # A mistake in the file: nothing changes, parleyd runs on.
    with open(conf, "a") as f:
        f.write("message_burst = lots\n")
    hup()
    t.check(wait_for(logf, "The running settings stay."), "a bad config on SIGHUP is logged, and ignored")
    time.sleep(2.5)
    ok, refused = flood(b, 6, 20)
    t.check(ok <= 3 and refused >= 3 and srv.alive(), f"message_burst is still 2 and parleyd runs: {ok}/{refused}")
    lines = read(logf).splitlines()
    t.check(all(len(l) > 25 and l[4] == "-" and l[10] == "T" for l in lines),
            f"every log line is one timestamped event ({len(lines)} lines)")
finally:
    for r in raws:
        r.close()
    finish(t, srv, [], tmp)
