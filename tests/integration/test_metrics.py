"""Issue 10, server operations: the Prometheus endpoint. A scrape is plain HTTP GET; the text
parses as the exposition format; and every family the issue names moves when its cause happens:
connections, logins by result, messages, rooms, relay packets and bytes in and out, relay drops by
reason, refusals by budget (requests, messages, admission, the login limiter), the store's commit
histogram (cumulative buckets whose +Inf equals the count). Anything but GET /metrics is refused."""
import hashlib
import hmac
import re
import socket
import struct
import time
import urllib.error
import urllib.request

from harness import (ERROR, JOIN, LOGIN, NO_DEVICE, SAY, SAY_OK, Checks, Raw, Server, error_code, finish, frame,
                     refused, s16, tmpdir)

t = Checks("metrics")
tmp = tmpdir()
srv = None
raws = []

LINE = re.compile(r'^([a-z_]+)(\{([a-z_]+)="([^"]*)"\})? ([0-9.e+-]+|\+Inf)$')


def scrape():
    """{(name, label value or None): value}, and the raw text."""
    with urllib.request.urlopen(f"http://127.0.0.1:{srv.metrics}/metrics", timeout=10) as r:
        ctype = r.headers.get("Content-Type", "")
        text = r.read().decode()
    out, bad = {}, []
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        m = LINE.match(line)
        if not m:
            bad.append(line)
            continue
        out[(m.group(1), m.group(4))] = float(m.group(5))
    return out, text, ctype, bad


def raw(nick, src="127.0.0.1", register=True, password=None):
    r = Raw(srv, src=src)
    raws.append(r)
    auth = r.hello_login(nick, password or f"password-{nick}", register=register)
    return r, auth


def mac(key, data):
    return hmac.new(key, data, hashlib.sha256).digest()[:16]


try:
    srv = Server(tmp, "--metrics-listen", "127.0.0.1:0", "--login-burst", "2", "--message-burst", "3",
                 "--request-burst", "20", "--max-connections-per-ip", "4")
    t.check(srv.metrics is not None and srv.metrics > 0, f"the ready line names the metrics port: {srv.metrics}")
    m0, text, ctype, bad = scrape()
    t.check(ctype.startswith("text/plain") and "version=0.0.4" in ctype, f"the exposition content type: {ctype}")
    t.check(not bad, f"every line parses as a sample or a comment ({bad[:3]})")
    families = ["parleyd_connections", "parleyd_logins_total", "parleyd_messages_stored_total", "parleyd_rooms",
                "parleyd_calls", "parleyd_relay_packets_total", "parleyd_relay_bytes_total",
                "parleyd_relay_drops_total", "parleyd_refusals_total", "parleyd_store_commit_seconds",
                "parleyd_worker_queue_length"]
    t.check(all(f"# TYPE {f} " in text for f in families), "every family the issue names is there, with its TYPE")
    t.check(m0[("parleyd_rooms", None)] == 1 and m0[("parleyd_connections", None)] == 0,
            "at start: one room (#Lobby), no connections")

    # Logins by result, connections, rooms, messages.
    a, auth_a = raw("alice")
    b, auth_b = raw("bob")
    a.send(frame(JOIN, s16("#metrics")))
    for i in range(2):
        a.send(frame(SAY, struct.pack(">I", i + 1) + s16("#Lobby") + s16(f"hello {i}")))
        a.until(SAY_OK)
    bad_pw = Raw(srv)
    raws.append(bad_pw)
    bad_pw.hello()

    def login(nick, password):
        bad_pw.send(frame(LOGIN, s16(nick) + s16(password) + NO_DEVICE))
        return error_code(bad_pw.until(ERROR))

    codes = [login("alice", "wrong-password"), login("bob", "wrong-again")]
    t.check(codes == [402, 402], f"two wrong passwords: {codes}")
    m1, *_ = scrape()
    t.check(m1[("parleyd_logins_total", "registered")] == 2, "logins{result=registered} counts both registrations")
    t.check(m1[("parleyd_logins_total", "failed")] >= 1, "logins{result=failed} counts a wrong password")
    t.check(m1[("parleyd_connections", None)] == 3 and m1[("parleyd_sessions", None)] == 2,
            f"3 connections, 2 logged in: {m1[('parleyd_connections', None)]}, {m1[('parleyd_sessions', None)]}")
    t.check(m1[("parleyd_rooms", None)] == 2, "rooms: #Lobby and #metrics")
    t.check(m1[("parleyd_messages_stored_total", None)] == 2, "two messages stored")

    # The login limiter (login_burst 2): the third wrong password from this address is refused.
    codes = [login("alice", "wrong-password") for _ in range(3)]
    t.check(codes == [439] * 3, f"then the address's login budget (2) is spent: {codes}")
    # The message budget (burst 3, of which 2 are spent) and the request budget (burst 20).
    for i in range(4):
        a.send(frame(SAY, struct.pack(">I", 10 + i) + s16("#Lobby") + s16("flood")))
    b.send(frame(4, struct.pack(">Q", 1)) * 40)  # PONGs: each takes a request token
    # Admission: max_connections_per_ip 4.
    for _ in range(4):
        raws.append(Raw(srv, src="127.0.0.9"))
    t.check(refused(srv, src="127.0.0.9"), "a fifth connection from one address is turned away")
    time.sleep(0.5)
    m2, *_ = scrape()
    refusal = {k[1]: v for k, v in m2.items() if k[0] == "parleyd_refusals_total"}
    t.check(refusal.get("login_limiter", 0) >= 1 and m2[("parleyd_logins_total", "limited")] >= 1,
            f"the login limiter's refusals count: {refusal.get('login_limiter')}")
    t.check(refusal.get("message", 0) >= 1, f"messages past message_burst count: {refusal.get('message')}")
    t.check(refusal.get("request", 0) >= 1, f"frames past request_burst count: {refusal.get('request')}")
    t.check(refusal.get("admission_per_address", 0) >= 1, "a connection turned away at accept counts")

    # The relay: a garbage datagram (in, dropped as malformed) and a valid BIND (in, a CHALLENGE out).
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(3)
    u.sendto(b"not voice at all", ("127.0.0.1", srv.udp))
    head = struct.pack(">BBQHI", 2, 1, auth_a["session"], 0, 0) + struct.pack(">Q", 1)
    u.sendto(head + mac(auth_a["key"], head), ("127.0.0.1", srv.udp))
    try:
        reply = u.recv(2048)
    except socket.timeout:
        reply = b""
    u.close()
    t.check(len(reply) > 0 and reply[1] == 4, "the BIND gets a CHALLENGE")
    time.sleep(0.3)
    m3, *_ = scrape()
    t.check(m3[("parleyd_relay_packets_total", "in")] == 2 and m3[("parleyd_relay_bytes_total", "in")] >= 40 + 16,
            f"relay packets and bytes in: {m3[('parleyd_relay_packets_total', 'in')]}, "
            f"{m3[('parleyd_relay_bytes_total', 'in')]}")
    t.check(m3[("parleyd_relay_packets_total", "out")] == 1 and m3[("parleyd_relay_bytes_total", "out")] == len(reply),
            f"relay packets and bytes out: the one CHALLENGE of {len(reply)} bytes")
    t.check(m3[("parleyd_relay_drops_total", "malformed")] == 1, "relay drops{reason=malformed} counts the garbage")

    # The store's commit histogram: cumulative buckets, +Inf equal to the count, which moved.
    buckets = sorted((float(k[1]), v) for k, v in m3.items()
                     if k[0] == "parleyd_store_commit_seconds_bucket" and k[1] != "+Inf")
    inf = m3[("parleyd_store_commit_seconds_bucket", "+Inf")]
    count = m3[("parleyd_store_commit_seconds_count", None)]
    t.check(all(buckets[i][1] <= buckets[i + 1][1] for i in range(len(buckets) - 1)) and inf == count and count >= 3,
            f"commit histogram: {len(buckets)} cumulative buckets, +Inf {inf} == count {count}")
    t.check(m3[("parleyd_store_commit_seconds_sum", None)] > 0, "and a sum of seconds")

    # Only GET /metrics.
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{srv.metrics}/other", timeout=5)
        code = 200
    except urllib.error.HTTPError as e:
        code = e.code
    t.check(code == 404, f"another path: {code}")
    try:
        urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{srv.metrics}/metrics", data=b""), timeout=5)
        code = 200
    except urllib.error.HTTPError as e:
        code = e.code
    t.check(code in (405, 501), f"a POST is refused: {code}")  # libevent says 501 Not Implemented
    for r in raws:
        r.close()
    time.sleep(0.5)
    m4, *_ = scrape()
    t.check(m4[("parleyd_connections", None)] == 0 and m4[("parleyd_rooms", None)] == 1,
            "connections and rooms go back down when the clients leave")
    t.check(srv.alive(), "parleyd is alive")
finally:
    for r in raws:
        r.close()
    finish(t, srv, [], tmp)
