"""The NAT lab (issue 9): real NATs in network namespaces, as ../shared/docs/TESTING.md builds them.

    pub   203.0.113.0/24, a bridge ("pbr") where parleyd lives at 203.0.113.1
      |-- router A: 203.0.113.10 outside, 192.168.10.1 inside -- host A 192.168.10.2
      |-- router B: 203.0.113.20 outside, 192.168.20.1 inside -- host B 192.168.20.2

Each router is one of four kinds, set (and changed) with Lab.set_nat:
  none             routed, no NAT: the host's own address is seen outside (the routers and the
                   public side have routes to both LANs);
  full_cone        endpoint-independent mapping and filtering: masquerade persistent, plus a
                   prerouting rule that sends every inbound UDP datagram to the host;
  port_restricted  Linux's plain masquerade: one mapping per source, filtered by conntrack;
  symmetric        masquerade random: a new public port for every destination.
Behind a NAT the router forwards inbound only what conntrack knows (or full cone's DNAT let in),
and (firewall=True, the default) drops unsolicited datagrams to itself, as home routers' firewalls
do (OpenWrt's wan zone, for one). That matters: without it (TESTING.md's bare recipe,
firewall=False) such a datagram leaves a conntrack entry for the router itself, and when the host
behind it then sends to the same peer address the NAT finds its usual port taken and picks another,
so the peer's filter drops everything: hole punching between two port-restricted NATs fails
whenever one side's first check arrives before the other side's first one leaves.

Namespace names carry this process's id and a random tag, so a crashed run never collides with a
new one; they are deleted at exit (atexit and SIGTERM/SIGINT), and a run deletes those left by runs
whose process is gone. Interfaces are made inside the namespaces, never in the machine's own.

Lab.prefix(ns) is the command prefix ("ip netns exec NS") that harness.Server and harness.Client
take to run parleyd and parley inside a namespace.

Run as a script it is also the one-socket STUN probe the lab test runs inside a namespace:
    natlab.py stun-probe HOST:PORT [HOST:PORT ...]
sends a Binding request to each target from one UDP socket and prints "local IP:PORT" and then
"mapped TARGET IP:PORT" per answer, which shows a symmetric NAT giving two ports to two
destinations."""
import atexit
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

KINDS = ("none", "full_cone", "port_restricted", "symmetric")
PUB_NET = "203.0.113"
SERVER_IP = PUB_NET + ".1"
SIDES = {"A": {"lan": "192.168.10", "out": PUB_NET + ".10"}, "B": {"lan": "192.168.20", "out": PUB_NET + ".20"}}
PREFIX = "plnat"

_labs = []


def unavailable():
    """None when the lab can be built here, else a sentence saying why not."""
    if os.geteuid() != 0:
        return "the NAT lab needs root (network namespaces and nftables); run the test as root"
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None:
            return (f"the NAT lab needs the '{tool}' command; install Debian's "
                    f"{'iproute2' if tool == 'ip' else 'nftables'} package (scripts/install-deps.sh)")
    name = f"{PREFIX}{os.getpid()}-probe{random.randrange(1 << 30):x}"
    p = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if p.returncode != 0:
        return f"network namespaces are not available here: ip netns add said: {p.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return None


def _sh(*args, ns=None, inp=None, check=True):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    p = subprocess.run(cmd, input=inp, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"natlab: {' '.join(cmd)} failed: {p.stderr.strip()}")
    return p.stdout


def _pid_alive(pid):
    """Whether a process runs (a zombie, dead but not yet reaped, does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def reap_stale():
    """Deletes namespaces that runs which are gone (killed, crashed) left behind, and ends what
    still runs in them."""
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        m = re.match(rf"^({PREFIX}(\d+)-\S+)", line)
        if m and not _pid_alive(int(m.group(2))):
            pids = subprocess.run(["ip", "netns", "pids", m.group(1)], capture_output=True, text=True).stdout
            for pid in (int(p) for p in pids.split() if p.isdigit()):
                try:
                    os.kill(pid, signal.SIGKILL)  # left inside by a run that is gone
                except ProcessLookupError:
                    pass
            subprocess.run(["ip", "netns", "del", m.group(1)], capture_output=True)


def _teardown_all():
    for lab in list(_labs):
        lab.close()


def _on_signal(signum, _frame):
    _teardown_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


class Lab:
    def __init__(self, firewall=True):
        reap_stale()
        self.firewall = firewall
        tag = f"{PREFIX}{os.getpid()}-{random.randrange(1 << 24):06x}"
        self.ns = {"pub": f"{tag}-pub", "rA": f"{tag}-rA", "hA": f"{tag}-hA", "rB": f"{tag}-rB",
                   "hB": f"{tag}-hB"}
        self.kind = {"A": None, "B": None}
        self.procs = []
        self.closed = False
        if not _labs:
            atexit.register(_teardown_all)
            for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                signal.signal(s, _on_signal)
        _labs.append(self)
        try:
            self._build()
        except BaseException:
            self.close()
            raise

    def _build(self):
        ns = self.ns
        for n in ns.values():
            _sh("ip", "netns", "add", n)
            _sh("ip", "-n", n, "link", "set", "lo", "up")
        pub = ns["pub"]
        # Not "br": `ip link set br up` parses br as "broadcast" (TESTING.md).
        _sh("ip", "-n", pub, "link", "add", "name", "pbr", "type", "bridge")
        _sh("ip", "-n", pub, "addr", "add", SERVER_IP + "/24", "dev", "pbr")
        _sh("ip", "-n", pub, "link", "set", "pbr", "up")
        for side, cfg in SIDES.items():
            r, h = ns["r" + side], ns["h" + side]
            lo = side.lower()
            # host <-> router: h0 in the host, r1 in the router; router <-> bridge: rout / p<side>.
            _sh("ip", "-n", h, "link", "add", "h0", "type", "veth", "peer", "name", "r1", "netns", r)
            _sh("ip", "-n", r, "link", "add", "rout", "type", "veth", "peer", "name", "p" + lo, "netns", pub)
            _sh("ip", "-n", pub, "link", "set", "p" + lo, "master", "pbr", "up")
            _sh("ip", "-n", h, "addr", "add", cfg["lan"] + ".2/24", "dev", "h0")
            _sh("ip", "-n", h, "link", "set", "h0", "up")
            _sh("ip", "-n", h, "route", "add", "default", "via", cfg["lan"] + ".1")
            _sh("ip", "-n", r, "addr", "add", cfg["lan"] + ".1/24", "dev", "r1")
            _sh("ip", "-n", r, "addr", "add", cfg["out"] + "/24", "dev", "rout")
            _sh("ip", "-n", r, "link", "set", "r1", "up")
            _sh("ip", "-n", r, "link", "set", "rout", "up")
            _sh("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=r)
            # The public side knows the way to both LANs (used only when a router does not NAT).
            _sh("ip", "-n", pub, "route", "add", cfg["lan"] + ".0/24", "via", cfg["out"])
            other = SIDES["B" if side == "A" else "A"]
            _sh("ip", "-n", r, "route", "add", other["lan"] + ".0/24", "via", other["out"])
            self.set_nat(side, "none")

    def set_nat(self, side, kind):
        """Makes router side ("A" or "B") a NAT of that kind; flows already tracked keep theirs."""
        if kind not in KINDS:
            raise ValueError(f"natlab: unknown NAT kind {kind!r}; one of {', '.join(KINDS)}")
        host = SIDES[side]["lan"] + ".2"
        rules = ["flush ruleset"]
        if kind != "none":
            post = {"full_cone": "masquerade persistent", "port_restricted": "masquerade",
                    "symmetric": "masquerade random"}[kind]
            nat = ["table ip nat {",
                   f'  chain post {{ type nat hook postrouting priority 100; oifname "rout" {post}; }}']
            if kind == "full_cone":
                nat.append(f'  chain pre {{ type nat hook prerouting priority -100; iifname "rout" '
                           f'udp dport 1024-65535 dnat to {host}; }}')
            else:
                nat.append("  chain pre { type nat hook prerouting priority -100; }")
            nat.append("}")
            rules += nat
            # A NAT lets in only what answers a flow from inside (or what full cone's DNAT sends in).
            rules += ["table ip filter {",
                      '  chain inbound { type filter hook forward priority 0; policy accept;',
                      '    iifname "rout" ct state established,related accept;',
                      '    iifname "rout" ct status dnat accept;',
                      '    iifname "rout" drop; }',
                      *(['  chain input { type filter hook input priority 0; policy accept;',
                         '    iifname "rout" ct state established,related accept;',
                         '    iifname "rout" drop; }'] if self.firewall else []),
                      "}"]
        _sh("nft", "-f", "-", ns=self.ns["r" + side], inp="\n".join(rules) + "\n")
        self.kind[side] = kind

    def block(self, side, peer):
        """Drops UDP between router side and the address peer both ways (a direct path that
        stops, while the way to parleyd stays open). unblock(side) lifts it."""
        _sh("nft", "-f", "-", ns=self.ns["r" + side],
            inp=f"table ip block {{ chain inbound {{ type filter hook forward priority -10;\n"
                f"ip daddr {peer} meta l4proto udp drop\nip saddr {peer} meta l4proto udp drop\n}}\n}}\n")

    def unblock(self, side):
        _sh("nft", "delete", "table", "ip", "block", ns=self.ns["r" + side], check=False)

    def prefix(self, where):
        """The command prefix that runs a program in namespace where ("pub", "hA", "hB", ...)."""
        return ["ip", "netns", "exec", self.ns[where]]

    def run(self, where, *cmd, timeout=30):
        """Runs cmd in a namespace; returns (exit status, stdout + stderr)."""
        try:
            p = subprocess.run(self.prefix(where) + list(cmd), capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, f"{' '.join(cmd)} did not finish within {timeout} s"
        return p.returncode, p.stdout + p.stderr

    def free_udp_port(self, where, ip):
        """A UDP port the kernel picked as free on ip inside a namespace."""
        rc, out = self.run(where, sys.executable, "-c",
                           f"import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                           f"s.bind(({ip!r}, 0)); print(s.getsockname()[1])")
        if rc != 0:
            raise RuntimeError(f"natlab: could not pick a free UDP port in {where}: {out}")
        return int(out.strip())

    def stun_probe(self, where, *targets):
        """From one socket in namespace where, a Binding request to each "IP:PORT": returns
        (local "IP:PORT", {target: mapped "IP:PORT"})."""
        rc, out = self.run(where, sys.executable, os.path.abspath(__file__), "stun-probe", *targets)
        local, mapped = None, {}
        for line in out.splitlines():
            f = line.split()
            if len(f) == 2 and f[0] == "local":
                local = f[1]
            elif len(f) == 3 and f[0] == "mapped":
                mapped[f[1]] = f[2]
        return local, mapped

    def close(self):
        """Ends every process still inside the lab's namespaces (a test that died midway leaves its
        parleyd and clients there), then deletes the namespaces."""
        if self.closed:
            return
        self.closed = True
        pids = set()
        for n in self.ns.values():
            out = subprocess.run(["ip", "netns", "pids", n], capture_output=True, text=True).stdout
            pids |= {int(p) for p in out.split() if p.isdigit() and int(p) != os.getpid()}
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.time() + 3
            while sig == signal.SIGTERM and time.time() < deadline and any(_pid_alive(p) for p in pids):
                time.sleep(0.05)
        for n in self.ns.values():
            subprocess.run(["ip", "netns", "del", n], capture_output=True)
        if self in _labs:
            _labs.remove(self)


# --- the STUN probe, run inside a namespace ---

def _probe(targets):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 0))
    s.settimeout(0.5)
    # The local address: the one a route to the first target would use.
    t0 = targets[0].rsplit(":", 1)
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.connect((t0[0], int(t0[1])))
    print(f"local {c.getsockname()[0]}:{s.getsockname()[1]}", flush=True)
    c.close()
    for target in targets:
        host, port = target.rsplit(":", 1)
        tid = os.urandom(12)
        req = struct.pack(">HHI", 0x0001, 0, 0x2112A442) + tid
        for _ in range(4):
            s.sendto(req, (host, int(port)))
            try:
                while True:
                    data, _src = s.recvfrom(2048)
                    if len(data) >= 20 and data[8:20] == tid:
                        break
            except socket.timeout:
                continue
            i = 20
            while i + 4 <= len(data):
                at, n = struct.unpack(">HH", data[i:i + 4])
                v = data[i + 4:i + 4 + n]
                if at == 0x0020 and n == 8:
                    p = struct.unpack(">H", v[2:4])[0] ^ 0x2112
                    ip = bytes(x ^ y for x, y in zip(v[4:8], struct.pack(">I", 0x2112A442)))
                    print(f"mapped {target} {socket.inet_ntoa(ip)}:{p}", flush=True)
                    break
                i += 4 + ((n + 3) & ~3)
            break


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "stun-probe":
        _probe(sys.argv[2:])
    else:
        print("usage: natlab.py stun-probe HOST:PORT [HOST:PORT ...]", file=sys.stderr)
        sys.exit(2)
