"""The server's config: --help lists every setting with its default, the sample config file is
valid and complete, a config file sets limits and names, the command line wins over it, and a
mistake in the file is reported with its file, line and what to do."""
import os
import subprocess

from harness import PARLEYD, PROTO, Checks, Client, Raw, Server, cleanup, error_code, refused, tmpdir

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(HERE, "..", "..", "docs", "parleyd.conf.sample")

t = Checks("config")
tmp = tmpdir()
try:
    h = subprocess.run([PARLEYD, "--help"], capture_output=True, text=True)
    keys = [line.split("=")[0].strip() for line in open(SAMPLE) if "=" in line and not line.startswith("#")]
    t.check(h.returncode == 0 and all(f"--{k.replace('_', '-')}" in h.stdout for k in keys),
            f"--help lists every setting of the sample file ({len(keys)})")
    t.check("(default 16)" in h.stdout and "(default 8)" in h.stdout, "--help gives the defaults")
    v = subprocess.run([PARLEYD, "--version"], capture_output=True, text=True).stdout.strip()
    t.check(v.endswith(f"(protocol {PROTO})"), f"--version names the protocol it speaks ({PROTO}): {v}")

    srv = Server(tmp, "--config", SAMPLE)
    t.check(srv.alive(), "the sample config file starts a server (ports from the command line win)")
    srv.stop()

    conf = os.path.join(tmp, "my.conf")
    with open(conf, "w") as f:
        f.write("# a test server\nname = Configured Server   # with a comment\nmax_connections_per_ip = 2\n"
                "port = 1\n")
    srv = Server(tmp, "--config", conf, name=None)  # --port 0 on the command line wins over port = 1
    c = Client(tmp, srv, name="c")
    w = c.expect("welcome")
    t.check(w is not None and w["server"] == "Configured Server", f"the server name comes from the file: {w}")
    c.quit()
    r1, r2 = Raw(srv), Raw(srv)
    t.check(refused(srv), "max_connections_per_ip = 2 from the file is enforced: the third is turned away")
    for r in (r1, r2):
        r.close()
    srv.stop()

    def bad(content, *expect):
        with open(conf, "w") as f:
            f.write(content)
        p = subprocess.run([PARLEYD, "--config", conf, "--data-dir", os.path.join(tmp, "x")],
                           capture_output=True, text=True, timeout=10)
        return p.returncode == 2 and all(e in p.stderr for e in expect), p.stderr.strip()

    ok, msg = bad("port = 7787\nmax_conections = 5\n", "line 2", "unknown setting 'max_conections'", "--help")
    t.check(ok, f"a misspelt setting: {msg}")
    ok, msg = bad("message_rate = fast\n", "line 1", "message_rate needs a number")
    t.check(ok, f"a bad value: {msg}")
    ok, msg = bad("just some words\n", "line 1", "expected 'key = value'")
    t.check(ok, f"a line without '=': {msg}")
    p = subprocess.run([PARLEYD, "--config", os.path.join(tmp, "missing.conf")], capture_output=True, text=True)
    t.check(p.returncode == 2 and "Cannot read the config file" in p.stderr, "a missing config file")
    p = subprocess.run([PARLEYD, "--max-frame", "100"], capture_output=True, text=True)
    t.check(p.returncode == 2 and "--max-frame: max_frame needs a whole number from 12288 to 65536" in p.stderr,
            f"an out-of-range option: {p.stderr.strip()}")
finally:
    cleanup(tmp)
t.finish()
