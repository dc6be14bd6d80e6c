"""Issue 9, must-show 5 in the NAT lab: direct mode (`parley --direct`, no parleyd anywhere) between
the lab's two LANs with no NAT on either router (tests/integration/natlab.py).

Alice runs in host A (192.168.10.2), bob in host B (192.168.20.2), each listening on a port the
kernel picked. Alice asks bob's status by address (answered without ringing), then calls him at
192.168.20.2:PORT through the two routers; bob answers, both show the same short authentication
string naming the other's device key, bob records while alice talks a test sentence and the
recording is judged against it as Opus decodes it (test_direct.py's thresholds), and alice hangs
up: both sides are told. Then bob calls alice back the same way and hangs up himself, so each side
has rung the other by address. test_direct.py covers the rest of direct mode on loopback.

Needs root and network namespaces; without them it says so and is skipped (exit status 77)."""
import os
import queue
import subprocess
import sys
import threading
import time

import natlab

why = natlab.unavailable()
if why:
    print(f"SKIP direct_lab: {why}.")
    sys.exit(77)

from harness import MAX_LSD, MIN_SEGSNR, PARLEY, Checks, Client, cleanup, heard, speech_wav, tmpdir

HOST = {side: natlab.SIDES[side]["lan"] + ".2" for side in natlab.SIDES}


class LabDirect(Client):
    """A parley --direct client in JSON mode inside one of the lab's hosts (no server)."""

    def __init__(self, lab, side, tmp, name):
        self.name, self.json_mode = name, True
        env = dict(os.environ)
        env.pop("PARLEY_PASSPHRASE", None)
        cmd = [*lab.prefix("h" + side), PARLEY, "--json", "--direct", "--identity",
               os.path.join(tmp, f"identity-{name}"), "--contacts", os.path.join(tmp, f"contacts-{name}.book"),
               "--nick", name, "--jitter", "3", "--port", "0"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env)
        self.events, self.seen, self.lines = queue.Queue(), [], []
        threading.Thread(target=self._read, daemon=True).start()
        self.ready = self.expect("direct_ready")
        self.port = self.ready["port"] if self.ready else 0
        self.addr = f"{HOST[side]}:{self.port}"


def call(t, x, y, label):
    """x calls y by address, y answers; checks the ringing, both sides active and the codes."""
    x.send({"cmd": "call", "to": y.addr})
    r = x.expect("call_state", state="ringing")
    inc = y.expect("call_incoming")
    if inc:
        y.send({"cmd": "answer"})
    ax, ay = x.expect("call_state", state="active"), y.expect("call_state", state="active")
    qx, qy = x.expect("sas"), y.expect("sas")
    t.check(r is not None and inc is not None and inc.get("nick") == x.name,
            f"{label}: {x.name} calls {y.addr} across the routers, it rings, {y.name} sees who calls: {inc}")
    t.check(ax is not None and ay is not None and ax["call"] == ay["call"],
            f"{label}: both sides active in the same call: {ax} / {ay}")
    t.check(qx is not None and qy is not None and qx["sas"] == qy["sas"] and len(qx["sas"]) == 7
            and qx["fingerprint"] == y.ready["fingerprint"] and qy["fingerprint"] == x.ready["fingerprint"],
            f"{label}: both show the same short authentication string, naming the other's device: "
            f"{qx and qx['sas']} / {qy and qy['sas']}")
    return ax is not None and ay is not None


def hangup(t, x, y, label):
    x.send({"cmd": "hangup"})
    ex, ey = x.expect("call_state", state="ended"), y.expect("call_state", state="ended")
    t.check(ex is not None and ey is not None and ex.get("reason") == "hung_up" and ey.get("reason") == "hung_up",
            f"{label}: {x.name} hangs up: both sides are told hung_up: {ex} / {ey}")


t = Checks("direct_lab")
tmp = tmpdir()
lab = None
clients = []
try:
    lab = natlab.Lab()
    lab.set_nat("A", "none")
    lab.set_nat("B", "none")
    pub = subprocess.run(["ip", "netns", "pids", lab.ns["pub"]], capture_output=True, text=True).stdout.split()
    t.check(not pub, f"nothing runs on the lab's public side, where parleyd would be: direct mode needs no server {pub}")
    a = LabDirect(lab, "A", tmp, "alice")
    b = LabDirect(lab, "B", tmp, "bob")
    clients += [a, b]
    t.check(a.ready is not None and b.ready is not None and a.port and b.port,
            f"alice listens in host A ({a.addr}), bob in host B ({b.addr}), behind two routers with no NAT")

    a.send({"cmd": "status", "to": b.addr})
    st = a.expect("status")
    t.check(st is not None and st.get("presence") == "online" and st.get("name") == "bob",
            f"alice asks bob's status across the routers: online, his name: {st}")
    t.check(b.expect("call_incoming", timeout=1.0) is None, "bob's client did not ring for a status request")

    if call(t, a, b, "A -> B"):
        speech = speech_wav(tmp, "speech-a", "Two networks apart and no server between them.")
        rec = os.path.join(tmp, "b-heard.wav")
        b.send({"cmd": "record", "file": rec})
        b.expect("recording")
        a.send({"cmd": "voice_send", "file": speech})
        sent = a.expect("voice_sent", timeout=60)
        time.sleep(0.6)  # the last frames cross the jitter buffer
        b.send({"cmd": "stop_record"})
        time.sleep(0.3)
        ok, res = heard(speech, rec)
        print(f"measured: bob heard alice across the lab: delay {res.get('delay_ms')} ms, "
              f"segSNR {res.get('segsnr_db')} dB, LSD {res.get('lsd_db')} dB")
        t.check(sent is not None and ok,
                f"A -> B: bob's recording matches alice's sentence (segSNR >= {MIN_SEGSNR}, LSD <= {MAX_LSD}): {res}")
        b.send({"cmd": "stats"})
        vs = b.expect("voice_stats") or {}
        t.check(vs.get("tampered", -1) == 0 and vs.get("received", 0) > 50, f"A -> B: bob took alice's sealed "
                f"frames: received {vs.get('received')}, tampered {vs.get('tampered')}")
    hangup(t, a, b, "A -> B")

    if call(t, b, a, "B -> A"):
        time.sleep(0.5)
    hangup(t, b, a, "B -> A")
finally:
    for c in clients:
        c.quit()
    cleanup(tmp)
    try:
        t.finish()
    finally:
        if lab:
            lab.close()
