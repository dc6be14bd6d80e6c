"""Issue 6, defect 9, through real processes in a network namespace of the test's own: per-address
limits count an IPv6 client by its /64, since one subscriber is usually given a whole /64 and could
otherwise take a fresh address for every connection. Connections per address and failed logins per
address are checked from several addresses of one /64 and from another /64. Needs root (for the
namespace); without it the test says so and is skipped."""
import os
import socket
import ssl
import struct
import subprocess
import sys

INNER = "PARLEY_IPV6_NETNS"
if os.environ.get(INNER) != "1":
    if os.geteuid() != 0:
        print("SKIP ipv6_limits: needs root to make a network namespace with IPv6 addresses")
        sys.exit(0)
    env = dict(os.environ, **{INNER: "1"})
    sys.exit(subprocess.run(["unshare", "--net", sys.executable, *sys.argv], env=env).returncode)

from harness import (AUTH_OK, ERROR, LOGIN, NO_DEVICE, PROTO, HELLO, WELCOME, Checks, Server, error_code, finish,
                     frame, s16, tmpdir)

SERVER = "2001:db8:99::1"
A = ["2001:db8:1::1", "2001:db8:1::2", "2001:db8:1::3", "2001:db8:1:0:ffff::4", "2001:db8:1::5", "2001:db8:1::6"]
B = "2001:db8:2::1"
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
for addr in [SERVER, *A, B]:
    subprocess.run(["ip", "-6", "addr", "add", f"{addr}/128", "dev", "lo", "nodad"], check=True)

t = Checks("ipv6_limits")
tmp = tmpdir()
srv = None


class Conn:
    """A TLS connection from a chosen IPv6 source address, speaking frames by hand."""

    def __init__(self, src):
        self.sock = socket.create_connection((SERVER, srv.tcp), timeout=10, source_address=(src, 0))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        self.tls = ctx.wrap_socket(self.sock)
        self.buf = b""

    def frame(self):
        while True:
            if len(self.buf) >= 6:
                n, ty = struct.unpack(">IH", self.buf[:6])
                if len(self.buf) >= n:
                    f, self.buf = self.buf[:n], self.buf[n:]
                    return ty, f[6:]
            d = self.tls.recv(65536)
            if not d:
                return None
            self.buf += d

    def until(self, *types):
        while True:
            f = self.frame()
            if f is None or f[0] in types:
                return f

    def close(self):
        self.tls.close()


def admitted(src):
    """True when a connection from src gets through the TLS handshake (is admitted)."""
    try:
        c = Conn(src)
        return c
    except (ssl.SSLError, OSError):
        return None


try:
    srv = Server(tmp, "--max-connections-per-ip", "2", listen="::")
    c1, c2 = admitted(A[0]), admitted(A[1])
    t.check(c1 is not None and c2 is not None, "two connections from two addresses of one /64 are admitted")
    t.check(admitted(A[2]) is None, "a third from yet another address of that /64 is turned away (limit 2 per /64)")
    t.check(admitted(A[3]) is None, "and so is one from a far corner of the same /64")
    c3 = admitted(B)
    t.check(c3 is not None, "an address in another /64 is admitted")
    for c in (c1, c2, c3):
        c.close()
    srv.stop()
    # Failed logins, on a server whose connection limit is out of the way.
    srv = Server(tmp, "--login-burst", "2", "--login-rate", "0.001", listen="::", data_dir=os.path.join(tmp, "d2"))

    def login(src, nick):
        c = Conn(src)
        c.tls.sendall(frame(HELLO, struct.pack(">H", PROTO) + s16("v6")))
        c.until(WELCOME)
        c.tls.sendall(frame(LOGIN, s16(nick) + s16("not-the-password") + NO_DEVICE))
        f = c.until(AUTH_OK, ERROR)
        c.close()
        return error_code(f[1]) if f and f[0] == ERROR else f and f[0]

    codes = [login(A[4], "ghost1"), login(A[5], "ghost2"), login(A[0], "ghost3")]
    t.check(codes == [402, 402, 439], f"failed logins count per /64: {codes} (the third address is refused)")
    t.check(login(B, "ghost4") == 402, "another /64 is not affected")
finally:
    finish(t, srv, [], tmp)
