"""Issue 10, server operations: `cmake --install` of the build ctest runs from, into a temporary
prefix (and with DESTDIR, as a package build does): the two programs, three man pages that render
with `man -l` without a groff warning and describe every setting and option the programs list, the
sample config (in the doc directory, and as the config file, never over an edited one), and a
systemd unit with Type=notify and the sandboxing, whose paths are the prefix's and which
`systemd-analyze verify` accepts where systemd is installed. The installed parleyd starts on the
installed config."""
import os
import re
import shutil
import subprocess

from harness import BUILD, PARLEYD, PARLEY, Checks, Server, cleanup, tmpdir

t = Checks("install")
tmp = tmpdir()
srv = None


def install(prefix, destdir=None):
    env = dict(os.environ)
    if destdir:
        env["DESTDIR"] = destdir
    return subprocess.run(["cmake", "--install", BUILD, "--prefix", prefix], capture_output=True, text=True,
                          env=env, timeout=120)


def unroff(path):
    """The man page's source with roff's escaped dashes as plain ones."""
    with open(path) as f:
        return f.read().replace("\\-", "-")


try:
    prefix = os.path.join(tmp, "prefix")
    p = install(prefix)
    t.check(p.returncode == 0, f"cmake --install --prefix {prefix}: {p.stderr.strip()[-300:]}")
    files = {
        "parleyd": "bin/parleyd", "parley": "bin/parley",
        "parley.1": "share/man/man1/parley.1", "parleyd.conf.5": "share/man/man5/parleyd.conf.5",
        "parleyd.8": "share/man/man8/parleyd.8", "sample": "share/doc/parley/parleyd.conf.sample",
        "config": "etc/parleyd.conf", "unit": "lib/systemd/system/parleyd.service",
    }
    where = {k: os.path.join(prefix, v) for k, v in files.items()}
    missing = [v for k, v in files.items() if not os.path.isfile(where[k])]
    t.check(not missing, f"installed: {', '.join(files.values())} (missing: {missing})")
    t.check(os.access(where["parleyd"], os.X_OK) and os.access(where["parley"], os.X_OK), "the programs are executable")

    # Man pages render, without warnings.
    for page in ("parleyd.8", "parleyd.conf.5", "parley.1"):
        r = subprocess.run(["man", "-l", where[page]], capture_output=True, text=True, env=dict(os.environ, MANWIDTH="80"))
        text = re.sub(".\b", "", r.stdout)  # bold and underline as overstrikes, when not on a terminal
        g = subprocess.run(["groff", "-man", "-ww", "-z", where[page]], capture_output=True, text=True)
        t.check(r.returncode == 0 and "NAME" in text and "SEE ALSO" in text and not g.stderr,
                f"man -l {page} renders ({len(r.stdout.splitlines())} lines; groff says {g.stderr.strip()[:100]!r})")

    # Every setting parleyd --help lists has its entry in parleyd.conf(5); every option of
    # parley --help is in parley(1).
    h = subprocess.run([where["parleyd"], "--help"], capture_output=True, text=True).stdout
    settings = [m.group(1).replace("-", "_") for m in re.finditer(r"^  --([a-z-]+) ", h, re.M)
                if m.group(1) not in ("config", "help")]
    conf5 = unroff(where["parleyd.conf.5"])
    missing = [k for k in settings if not re.search(rf"^\.TP\n\.B {k}\n", conf5, re.M)]
    t.check(len(settings) > 30 and not missing,
            f"parleyd.conf(5) describes each of the {len(settings)} settings of parleyd --help (missing: {missing})")
    restart = [m.group(1).replace("-", "_") for m in re.finditer(r"^  --([a-z-]+) .*\[restart\]$", h, re.M)]

    def entry(k):
        m = re.search(rf"^\.TP\n\.B {k}\n(.*?)(?=^\.TP|^\.S[SH])", conf5, re.M | re.S)
        return m.group(1) if m else ""

    unmarked = [k for k in restart if "[restart]" not in entry(k)]
    marked = [k for k in settings if k not in restart and "[restart]" in entry(k)]
    t.check(restart and not unmarked and not marked,
            f"and marks the {len(restart)} that need a restart, no other (unmarked: {unmarked}, wrongly: {marked})")
    h = subprocess.run([where["parley"], "--help"], capture_output=True, text=True).stdout
    options = set(re.findall(r"(--[a-z][a-z-]+)", h))
    page = unroff(where["parley.1"])
    missing = sorted(o for o in options if o not in page)
    t.check(len(options) > 8 and not missing, f"parley(1) has each of the {len(options)} options of parley --help "
                                              f"(missing: {missing})")
    page8 = unroff(where["parleyd.8"])
    admin_help = subprocess.run([where["parleyd"], "admin", "--help"], capture_output=True, text=True).stdout
    commands = sorted(set(re.findall(r"^  ([a-z-]+) ", admin_help, re.M)))
    missing = [c for c in commands if not re.search(rf"^\.BI? \"?{c}\b", page8, re.M)]
    t.check(len(commands) >= 8 and not missing, f"parleyd(8) describes the admin commands {commands} (missing: {missing})")

    # The unit.
    with open(where["unit"]) as f:
        unit = f.read()
    want = ["Type=notify", f"ExecStart={prefix}/bin/parleyd --config {prefix}/etc/parleyd.conf",
            "ExecReload=/bin/kill -HUP $MAINPID", "DynamicUser=yes", "StateDirectory=parleyd", "ProtectSystem=strict",
            "ProtectHome=yes", "NoNewPrivileges=yes", "PrivateTmp=yes", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
            "SystemCallFilter=@system-service", "CapabilityBoundingSet=\n"]
    t.check(all(w in unit for w in want), f"the unit: {[w for w in want if w not in unit]} missing")
    if shutil.which("systemd-analyze"):
        # MANPATH: its Documentation= man pages are the ones just installed.
        v = subprocess.run(["systemd-analyze", "verify", where["unit"]], capture_output=True, text=True,
                           env=dict(os.environ, MANPATH=os.path.join(prefix, "share", "man")), timeout=60)
        t.check(v.returncode == 0 and not v.stderr.strip(), f"systemd-analyze verify accepts the unit: {v.stderr.strip()}")
    else:
        print("skip systemd-analyze verify: systemd-analyze is not installed here", flush=True)

    # The installed parleyd runs on the installed config.
    srv = Server(tmp, "--config", where["config"], data_dir=os.path.join(tmp, "data"))
    t.check(srv.alive(), "the installed config starts a server")
    t.check(srv.stop() == 0, "which stops cleanly")
    srv = None

    # Installing again keeps an edited config; a package build (DESTDIR) gets /usr paths.
    with open(where["config"], "a") as f:
        f.write("name = edited by the admin\n")
    p = install(prefix)
    with open(where["config"]) as f:
        t.check(p.returncode == 0 and "edited by the admin" in f.read(), "a second install keeps the edited config")
    dest = os.path.join(tmp, "dest")
    p = install("/usr", destdir=dest)
    with open(os.path.join(dest, "usr/lib/systemd/system/parleyd.service")) as f:
        unit = f.read()
    t.check(p.returncode == 0 and "ExecStart=/usr/bin/parleyd --config /etc/parleyd.conf" in unit and
            os.path.isfile(os.path.join(dest, "etc/parleyd.conf")) and os.path.isfile(os.path.join(dest, "usr/bin/parleyd")),
            "DESTDIR=... --prefix /usr: files under DESTDIR, paths in the unit without it, config in /etc")
finally:
    if srv is not None:
        srv.stop()
    cleanup(tmp)
t.finish()
