"""The impairment proxy's socket loop (tests/tools/impair), end to end on loopback: a stand-in
server echoes every datagram back; 2,000 numbered datagrams go out through the proxy at a steady
pace with 10% random loss, 5% duplication and 20 +- 20 ms of jitter in both directions. What
comes back must agree with the counts the proxy prints (every datagram it kept arrives, the
duplicates twice, some out of order, nothing lost on the way), and the same seed must make the same
decisions again (another seed other ones).

  test_impair.py IMPAIR"""
import json
import signal
import socket
import subprocess
import sys
import time

IMPAIR = sys.argv[1]
N = 2000


def run(seed):
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(("127.0.0.1", 0))
    srv.setblocking(False)
    p = subprocess.Popen([IMPAIR, "--to", f"127.0.0.1:{srv.getsockname()[1]}", "--loss", "10", "--dup", "5",
                          "--delay", "20", "--jitter", "20", "--seed", str(seed)],
                         stdout=subprocess.PIPE, text=True)
    port = int(p.stdout.readline().split("=")[1])
    cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    cli.setblocking(False)
    got, at_server = [], []

    def pump():
        nonlocal at_server
        while True:
            try:
                d, a = srv.recvfrom(2048)
            except BlockingIOError:
                break
            at_server.append(int(d))
            srv.sendto(d, a)
        while True:
            try:
                got.append(int(cli.recv(2048)))
            except BlockingIOError:
                break

    for i in range(N):
        cli.sendto(str(i).encode(), ("127.0.0.1", port))
        time.sleep(0.002)  # 500 a second: the 40 ms jitter spread covers about 20 of them
        pump()
    end = time.time() + 0.5
    while time.time() < end:
        pump()
        time.sleep(0.005)
    p.send_signal(signal.SIGTERM)
    counts = json.loads(p.stdout.read().strip().splitlines()[-1])
    p.wait()
    return got, at_server, counts


passed = failed = 0


def check(cond, what):
    global passed, failed
    passed += bool(cond)
    failed += not cond
    print(("ok   " if cond else "FAIL ") + what, flush=True)


got, at_server, c = run(5)
at_server_ids = sorted(at_server)
at_server = len(at_server)
up, down = c["up"], c["down"]
print(f"measured: {json.dumps(c)}; {at_server} at the server, {len(got)} back")
check(up["in"] == N and up["out"] == at_server, f"up: the server got every copy the proxy kept: {up['out']} == {at_server}")
check(down["in"] == at_server and down["out"] == len(got), f"down: the client got every copy: {down['out']} == {len(got)}")
for name, d in (("up", up), ("down", down)):
    check(0.07 < d["lost_random"] / d["in"] < 0.13, f"{name}: about 10% lost: {d['lost_random']} of {d['in']}")
    check(0.03 < d["dup"] / d["in"] < 0.07, f"{name}: about 5% duplicated: {d['dup']}")
    check(d["reordered"] > 0, f"{name}: the jitter reordered some: {d['reordered']}")
late = sum(1 for i in range(1, len(got)) if got[i] < got[i - 1])
check(late > 0, f"datagrams arrived out of order: {late}")
check(len(got) - len(set(got)) > 0, f"duplicates arrived: {len(got) - len(set(got))}")
check(c["overflow"] == 0 and c["unknown"] == 0 and c["clients"] == 1, "no overflow, no stranger, one client")
# The same seed: the same datagrams lost and doubled on the way up (sent in one order, so decided
# in one order), and the same counts on the way down; only the reordering depends on the clock.
got2, at_server2, c2 = run(5)
same = ("in", "out", "lost_random", "dup")
check(sorted(at_server2) == at_server_ids and all(c2[d][k] == c[d][k] for d in ("up", "down") for k in same),
      "the same seed makes the same decisions")
got3, at_server3, c3 = run(6)
check(sorted(at_server3) != at_server_ids, "another seed makes other ones")
print(f"impair: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
