"""Issue 9, IPv6 everywhere: a call's candidates of both families are gathered and checked, and
gathered again when a device's addresses change during the call.

1. Peers that reach each other directly only over IPv6. parleyd, alice and bob run in one network
   namespace, parleyd on 127.0.0.1 (the clients talk to it over IPv4 alone); an nftables rule there
   drops every IPv4 UDP datagram that is neither to nor from parleyd's voice port, so no direct IPv4
   path exists. The clients gather loopback of both families (their second socket, of the family
   parleyd is not on, carries IPv6), and the call must go direct over IPv6: both `call_path` events
   name the peer at [::1], and what alice says bob hears (Opus as it decodes it). Then the other
   way round: IPv6 UDP dropped, the next call goes direct over IPv4 (127.0.0.1); and the mirror,
   parleyd on ::1 (the voice socket IPv6, the second socket IPv4) with direct IPv6 dropped: direct
   over IPv4, and bob hears alice.

2. An address changes during a call. A bridge in a namespace carries parleyd (10.99.0.1) and two
   hosts, A (10.99.0.2, fd99::2) and B (10.99.0.3, fd99::3); each host drops IPv4 UDP to the other,
   so the direct path is IPv6 (the ULAs), while parleyd stays reachable over IPv4. Alice talks a
   steady tone to bob on the direct path; then A gets fd99::12 and loses fd99::2, the address the
   path used. The call must move to the relay at once (within a second, both sides), go direct
   again on the new address (bob's call_path names [fd99::12]), and the tone must go on: the
   longest gap in bob's recording around the change is printed and must stay under 300 ms. Then the
   address flaps (three more moves 300 ms apart): the call ends direct on the last one, and no
   description draws a 438 from parleyd (the client paces them to its default budget).

Needs root, network namespaces and nft; without them it says so and is skipped (exit status 77)."""
import atexit
import os
import random
import subprocess
import time

import natlab

why = natlab.unavailable()
if why:
    print(f"SKIP call_v6: {why}.")
    raise SystemExit(77)

from harness import Checks, Client, Server, finish, heard, record_talk, speech_wav, tmpdir, tone_gaps

t = Checks("call_v6")
tmp = tmpdir()
clients = []
namespaces = []
srv = srv1 = None


def sh(*args, ns=None, inp=None):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    p = subprocess.run(cmd, input=inp, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {p.stderr.strip()}")
    return p.stdout


def netns(tag):
    """A fresh namespace with loopback up; natlab's naming, so a crashed run's are reaped."""
    name = f"{natlab.PREFIX}{os.getpid()}-v6{tag}{random.randrange(1 << 20):05x}"
    sh("ip", "netns", "add", name)
    namespaces.append(name)
    sh("ip", "-n", name, "link", "set", "lo", "up")
    return name


def drop_namespaces():
    for n in namespaces:
        pids = subprocess.run(["ip", "netns", "pids", n], capture_output=True, text=True).stdout.split()
        for pid in pids:
            subprocess.run(["kill", "-9", pid], capture_output=True)
        subprocess.run(["ip", "netns", "del", n], capture_output=True)
    namespaces.clear()


atexit.register(drop_namespaces)
natlab.reap_stale()


def prefix(ns):
    return ["ip", "netns", "exec", ns]


def pair(server, ns_a, ns_b, suffix):
    a = Client(tmp, server, "--jitter", "3", name="a" + suffix, prefix=prefix(ns_a))
    b = Client(tmp, server, "--jitter", "3", name="b" + suffix, prefix=prefix(ns_b))
    clients.extend([a, b])
    la, lb = a.login("alice", "alice-password"), b.login("bob", "bob-password")
    a.send({"cmd": "add", "nick": "bob"})
    b.expect("contact_request", nick="alice", kind="incoming")
    b.send({"cmd": "accept", "nick": "alice"})
    ok = la and lb and a.expect("contact_added", nick="bob") and b.expect("contact_added", nick="alice")
    a.expect("voice_ready")
    b.expect("voice_ready")
    return a, b, bool(ok)


def call(a, b):
    a.send({"cmd": "call", "nick": "bob"})
    if b.expect("call_incoming"):
        b.send({"cmd": "answer"})
    return a.expect("call_state", state="active") and b.expect("call_state", state="active")


def hangup(a, b):
    a.send({"cmd": "hangup"})
    return a.expect("call_state", state="ended") and b.expect("call_state", state="ended")


def quit_clean(*cs):
    """Each client quits with status 0: no sanitizer report from the second socket, the interface
    watch or the paced descriptions."""
    for c in cs:
        rc = c.quit()
        clients.remove(c)
        err = c.proc.stderr.read() if rc else ""
        t.check(rc == 0, f"client {c.name} quits cleanly (status {rc}) {err[-2000:]}")


def remote(ev):
    return str((ev or {}).get("remote", ""))


try:
    # --- 1: direct only over IPv6, parleyd over IPv4 on loopback ---
    n1 = netns("lo")
    srv1 = srv = Server(tmp, listen="127.0.0.1", prefix=prefix(n1), data_dir=os.path.join(tmp, "data1"))
    # IPv4 UDP only to and from parleyd's voice port; locally generated loopback traffic passes the
    # output hook once, so rules there cover both directions. (Not "sport != P dport != P drop" in
    # one rule: nft merges the two adjacent port matches into one 32-bit compare, which then drops
    # what has either port unlike P, parleyd's own datagrams too.)
    sh("nft", "-f", "-", ns=n1, inp=f"table ip v4cut {{ chain out {{ type filter hook output priority 0;\n"
                                     f"udp sport {srv.udp} accept\nudp dport {srv.udp} accept\n"
                                     f"meta l4proto udp drop\n}}\n}}\n")
    a, b, ok = pair(srv, n1, n1, "1")
    t.check(ok, "alice and bob (parleyd on 127.0.0.1 in a namespace) are contacts")
    speech = speech_wav(tmp, "speech", "The quick brown fox jumps over the lazy dog, twice.")
    t0 = time.time()
    t.check(call(a, b), "alice's call to bob is active")
    pa, pb = a.expect("call_path", timeout=10), b.expect("call_path", timeout=5)
    took = time.time() - t0
    print(f"measured: IPv6-only direct path after {took * 1000:.0f} ms: alice {pa}, bob {pb}")
    for who, p in (("alice", pa), ("bob", pb)):
        t.check(p is not None and p.get("path") == "lan" and remote(p).startswith("[::1]:"),
                f"{who}'s call goes direct over IPv6 while direct IPv4 is dropped: {p}")
    rec = os.path.join(tmp, "b-heard-v6.wav")
    sent = record_talk(a, b, speech, rec)
    res = heard(speech, rec)
    t.check(sent and sent["frames"] > 100 and res[0], f"bob heard alice over the IPv6 path: {sent}, {res[1]}")
    t.check(a.expect("call_path", timeout=1) is None, "the IPv6 path stays while the call goes on")
    t.check(hangup(a, b), "the call ends")

    sh("nft", "delete", "table", "ip", "v4cut", ns=n1)
    sh("nft", "-f", "-", ns=n1, inp="table ip6 v6cut { chain out { type filter hook output priority 0;\n"
                                    "meta l4proto udp drop\n}\n}\n")
    t.check(call(a, b), "a second call, IPv6 UDP dropped now, is active")
    pa, pb = a.expect("call_path", timeout=10), b.expect("call_path", timeout=5)
    for who, p in (("alice", pa), ("bob", pb)):
        t.check(p is not None and p.get("path") == "lan" and remote(p).startswith("127.0.0.1:"),
                f"{who}'s call goes direct over IPv4 when IPv6 is what is dropped: {p}")
    t.check(hangup(a, b), "the second call ends")
    quit_clean(a, b)
    t.check(srv1.stop() == 0, "the first parleyd shuts down cleanly")
    srv = None

    # --- 1b: the mirror: parleyd on ::1 (the voice socket IPv6, the second socket IPv4), direct IPv6
    # UDP dropped but parleyd's: the call goes direct over IPv4 ---
    sh("nft", "delete", "table", "ip6", "v6cut", ns=n1)
    srv = Server(tmp, listen="::1", prefix=prefix(n1), data_dir=os.path.join(tmp, "data3"))
    srv.host = "[::1]"
    sh("nft", "-f", "-", ns=n1, inp=f"table ip6 v6cut {{ chain out {{ type filter hook output priority 0;\n"
                                     f"udp sport {srv.udp} accept\nudp dport {srv.udp} accept\n"
                                     f"meta l4proto udp drop\n}}\n}}\n")
    a, b, ok = pair(srv, n1, n1, "3")
    t.check(ok and call(a, b), "with parleyd on ::1, alice's call to bob is active")
    pa, pb = a.expect("call_path", timeout=10), b.expect("call_path", timeout=5)
    for who, p in (("alice", pa), ("bob", pb)):
        t.check(p is not None and p.get("path") == "lan" and remote(p).startswith("127.0.0.1:"),
                f"parleyd on ::1, direct IPv6 dropped: {who}'s call goes direct over IPv4: {p}")
    rec = os.path.join(tmp, "b-heard-v4.wav")
    sent = record_talk(a, b, speech, rec)
    res = heard(speech, rec)
    t.check(sent and sent["frames"] > 100 and res[0], f"bob heard alice over IPv4 beside IPv6: {sent}, {res[1]}")
    t.check(hangup(a, b), "the call ends")
    quit_clean(a, b)
    t.check(srv.stop() == 0, "the IPv6 parleyd shuts down cleanly")
    srv = None

    # --- 2: A's address changes during a call ---
    pub, ha, hb = netns("p"), netns("a"), netns("b")
    sh("ip", "-n", pub, "link", "add", "name", "pbr", "type", "bridge")
    sh("ip", "-n", pub, "addr", "add", "10.99.0.1/24", "dev", "pbr")
    sh("ip", "-n", pub, "link", "set", "pbr", "up")
    for h, k, other in ((ha, 2, 3), (hb, 3, 2)):
        side = "a" if h == ha else "b"
        sh("ip", "-n", h, "link", "add", "h0", "type", "veth", "peer", "name", "p" + side, "netns", pub)
        sh("ip", "-n", pub, "link", "set", "p" + side, "master", "pbr", "up")
        sh("ip", "-n", h, "addr", "add", f"10.99.0.{k}/24", "dev", "h0")
        sh("ip", "-n", h, "addr", "add", f"fd99::{k}/64", "dev", "h0", "nodad")
        sh("ip", "-n", h, "link", "set", "h0", "up")
        sh("nft", "-f", "-", ns=h, inp=f"table ip nodirect {{ chain out {{ type filter hook output priority 0;\n"
                                       f"ip daddr 10.99.0.{other} meta l4proto udp drop\n}}\n}}\n")
    srv = Server(tmp, listen="10.99.0.1", prefix=prefix(pub), data_dir=os.path.join(tmp, "data2"))
    a, b, ok = pair(srv, ha, hb, "2")
    t.check(ok, "alice on host A and bob on host B (parleyd on the bridge at 10.99.0.1) are contacts")
    tone = os.path.join(tmp, "tone.wav")
    subprocess.run(["sox", "-n", "-r", "48000", "-c", "1", "-b", "16", "-e", "signed-integer", tone,
                    "synth", "14", "sine", "440", "gain", "-6"], check=True)
    rec = os.path.join(tmp, "b-heard-change.wav")
    b.send({"cmd": "record", "file": rec})
    b.expect("recording")
    t_rec = time.time()
    active = call(a, b)
    if active:
        a.send({"cmd": "voice_send", "file": tone})
    t.check(active, "alice's call to bob across the bridge is active")
    pa, pb = a.expect("call_path", timeout=10), b.expect("call_path", timeout=5)
    t.check(remote(pa).startswith("[fd99::3]:") and remote(pb).startswith("[fd99::2]:"),
            f"the call goes direct over the hosts' IPv6 ULAs: {pa} / {pb}")
    time.sleep(2.0)
    sh("ip", "-n", ha, "addr", "add", "fd99::12/64", "dev", "h0", "nodad")
    sh("ip", "-n", ha, "addr", "del", "fd99::2/64", "dev", "h0")
    t_change = time.time()
    ra = a.expect("call_path", path="relayed", timeout=4)
    ta = time.time()
    rb = b.expect("call_path", path="relayed", timeout=2)
    tb = time.time()
    ev = a.expect("call_addresses", path_gone="yes", timeout=1)
    t.check(ra is not None and rb is not None and tb - t_change < 1.0,
            f"A's address the path used went: both on the relay within a second "
            f"(alice {(ta - t_change) * 1000:.0f} ms, bob {(tb - t_change) * 1000:.0f} ms): {ra} / {rb}")
    t.check(ev is not None, f"alice is told her address the path used went: {ev}")
    da = a.expect("call_path", path="lan", timeout=8)
    db = b.expect("call_path", path="lan", timeout=3)
    t_back = time.time()
    t.check(da is not None and db is not None and remote(db).startswith("[fd99::12]:") and
            remote(da).startswith("[fd99::3]:"),
            f"direct again on A's new address {(t_back - t_change) * 1000:.0f} ms after the change: {da} / {db}")
    # The address flaps: three more moves 300 ms apart. Descriptions beyond parleyd's budget
    # (cand_burst 4) wait rather than draw a 438: bob meets A's last address in its checks first (a
    # peer-reflexive candidate: "punched") and calls the path lan when the description comes.
    old = "fd99::12"
    for k in (13, 14, 15):
        sh("ip", "-n", ha, "addr", "add", f"fd99::{k}/64", "dev", "h0", "nodad")
        sh("ip", "-n", ha, "addr", "del", f"{old}/64", "dev", "h0")
        old = f"fd99::{k}"
        t_flap = time.time()  # the last move
        time.sleep(0.3)
    first = last = None
    while time.time() < t_flap + 15 and not (last and last.get("path") == "lan" and
                                             remote(last).startswith("[fd99::15]:")):
        last = b.expect("call_path", timeout=max(0.1, t_flap + 15 - time.time()))
        if last and last.get("path") != "relayed" and remote(last).startswith("[fd99::15]:") and not first:
            first = (round(time.time() - t_flap, 3), last.get("path"))
    print(f"measured: after the flaps, bob direct to A's last address (s after the last move, path): {first}; lan "
          f"{(time.time() - t_flap) * 1000:.0f} ms after the last move")
    t.check(first is not None and first[0] < 2.0, f"after three more moves, bob's path goes direct to A's last "
            f"address within 2 s: {first}")
    t.check(last is not None and last.get("path") == "lan" and remote(last).startswith("[fd99::15]:"),
            f"and is named lan once A's paced description names it: {last}")
    err = a.expect("error", timeout=0.1)
    t.check(err is None, f"no description drew an error from parleyd (its budget is kept): {err}")
    sent = a.expect("voice_sent", timeout=30)
    time.sleep(0.6)
    b.send({"cmd": "stop_record"})
    time.sleep(0.3)
    t.check(hangup(a, b), "the call across the bridge ends")
    quit_clean(a, b)
    spans = (("the address change", t_change - 0.5 - t_rec, t_back + 1.0 - t_rec),)
    for what, gap, lo, hi in tone_gaps(rec, spans):
        print(f"measured: audio gap at {what}: {gap} ms (bob's recording {lo:.2f}-{hi:.2f} s); to the relay "
              f"{(ta - t_change) * 1000:.0f} ms, direct again {(t_back - t_change) * 1000:.0f} ms")
        t.check(sent is not None and gap is not None and gap < 300,
                f"the tone bob hears goes on across {what}: longest gap {gap} ms")
finally:
    try:
        finish(t, srv, clients, tmp)
    finally:
        drop_namespaces()
