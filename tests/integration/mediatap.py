"""What crosses the relay in a call or a voice room, seen as a third party would see it: every UDP
datagram the relay sends on loopback, tapped with an AF_PACKET socket as tcpdump reads them (root
only); datagrams forged from the relay's port with a raw socket; and the test hooks with which a
client shows what it sent and which keys it holds (PARLEY_VOICE_DUMP, PARLEY_KEYLOG), so a test
can show that the server forwards nothing it could read."""
import os
import socket
import struct
import threading
import time

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

VOICE = 3


class Tap:
    """Copies every UDP datagram sent from the relay's port on loopback: (time, dst port, bytes)."""

    def __init__(self, port):
        self.port, self.pkts, self.running = port, [], True
        self.ports = {}  # session -> the UDP port its client sends from (seen in what it sends the relay)
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0003))
        self.sock.bind(("lo", 0))
        self.sock.settimeout(0.2)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            # Loopback shows each datagram twice, leaving and arriving; keep the arrival. IPv4 only.
            if addr[2] != socket.PACKET_HOST or len(data) < 42 or data[12:14] != b"\x08\x00" or data[23] != 17:
                continue
            u = 14 + (data[14] & 0x0F) * 4
            sport, dport = struct.unpack(">HH", data[u:u + 4])
            if sport == self.port:
                self.pkts.append((time.time(), dport, bytes(data[u + 8:])))
            elif dport == self.port and len(data) >= u + 8 + 16:
                self.ports[struct.unpack(">Q", data[u + 10:u + 18])[0]] = sport

    def voice(self, sender, since=0.0, until=None):
        """The VOICE datagrams of one sender the relay forwarded: (time, dst port, datagram)."""
        out = []
        for ts, dport, d in list(self.pkts):
            if ts >= since and (until is None or ts < until) and len(d) > 16 and d[1] == VOICE \
                    and struct.unpack(">Q", d[2:10])[0] == sender:
                out.append((ts, dport, d))
        return out

    def stop(self):
        self.running = False
        self.thread.join()
        self.sock.close()


def forge(src_port, dst_port, payload):
    """A UDP datagram from the relay's port (a raw socket: root only) to a client."""
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
    s.sendto(struct.pack(">HHHH", src_port, dst_port, 8 + len(payload), 0) + payload, ("127.0.0.1", 0))
    s.close()


def open_sealed(key, d):
    """The frame inside a sealed VOICE datagram (docs/PROTOCOL.md 18.5), or None."""
    hdr, body = d[:16], d[16:]
    if len(body) < 25:
        return None
    nonce = b"\0\0\0" + body[:9]
    try:
        return ChaCha20Poly1305(key).decrypt(nonce, body[9:], hdr + body[:9])
    except Exception:
        return None


def keylog(path):
    """What PARLEY_KEYLOG wrote: [(dir, session, key id, key)]."""
    if not os.path.exists(path):
        return []
    out = []
    for line in open(path):
        d, sess, kid, hexkey = line.split()
        out.append((d, int(sess, 16), int(kid), bytes.fromhex(hexkey)))
    return out


def dumped(path):
    """The frames PARLEY_VOICE_DUMP wrote: u16 length, then the frame, each."""
    data, out, i = open(path, "rb").read() if os.path.exists(path) else b"", [], 0
    while i + 2 <= len(data):
        n = struct.unpack(">H", data[i:i + 2])[0]
        out.append(data[i + 2:i + 2 + n])
        i += 2 + n
    return out
