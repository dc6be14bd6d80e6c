"""Issue 9, rendezvous by room code through real NATs (tests/integration/natlab.py): parleyd runs on
the lab's public bridge, two people with no account sit behind router A and router B, and for each
pair of NAT kinds below they meet by a code and call.

A runs `parley --rendezvous` in host A and gets a code; B runs `parley --rendezvous CODE` in host B.
Each learns the other's public address from parleyd, the key exchange (SPAKE2) succeeds on both
sides, each holds the other's own device key, and each punches. Where punching gets through, the
call goes direct (rdv_path names the peer's address, `via` direct); where it cannot (a symmetric
NAT facing a NAT that filters by port), both ask parleyd to carry their datagrams (RDV_RELAY) and
the call goes through parleyd's voice port instead (`via` relay). Either way A calls B in direct
mode, B's client answers the key the code verified, both show the same authentication string, A
talks a test sentence and B's recording is judged against it as Opus decodes it (test_calls.py's
thresholds). A table prints each pair's path and the times from B's join to the verified key
exchange, to the path, and to both sides' call being active.

Every call must connect: the pairs whose NATs allow a punched path go direct (none/none,
cone/cone, port-restricted/port-restricted, cone/symmetric), and the rest (port-restricted/
symmetric and symmetric/symmetric) go through the relay.

Needs root and network namespaces; without them it says so and is skipped (exit status 77)."""
import os
import sys
import time

import natlab

why = natlab.unavailable()
if why:
    print(f"SKIP rendezvous_lab: {why}.")
    sys.exit(77)

from harness import MAX_LSD, MIN_SEGSNR, Checks, Client, Server, finish, heard, speech_wav, tmpdir

SHORT = {"none": "no NAT", "full_cone": "full cone", "port_restricted": "port-restr.", "symmetric": "symmetric"}
# (A's kind, B's kind, the path the call must take)
PAIRS = [("none", "none", "direct"), ("full_cone", "full_cone", "direct"),
         ("port_restricted", "port_restricted", "direct"), ("full_cone", "symmetric", "direct"),
         ("port_restricted", "symmetric", "relay"), ("symmetric", "symmetric", "relay")]

t = Checks("rendezvous_lab")
tmp = tmpdir()
lab = srv = None
clients = []


def person(side, name, *args):
    env = dict(os.environ, PARLEY_PASSPHRASE=f"{name}'s own passphrase")
    c = Client(tmp, srv, "--rendezvous", *args, "--jitter", "3", "--contacts", os.path.join(tmp, f"{name}.book"),
               name=name, env=env, prefix=lab.prefix("h" + side))
    clients.append(c)
    return c


def bye(*cs):
    for c in cs:
        c.quit()
        clients.remove(c)


try:
    lab = natlab.Lab()
    srv = Server(tmp, listen=natlab.SERVER_IP, prefix=lab.prefix("pub"))
    t.check(srv.alive(), f"parleyd runs on the lab's public bridge at {natlab.SERVER_IP} (tcp {srv.tcp}, udp {srv.udp})")
    relay_addr = f"{natlab.SERVER_IP}:{srv.udp}"
    speech = speech_wav(tmp, "speech", "We met by a spoken code and talk through every router.")
    table = []
    for ka, kb, want in PAIRS:
        label = f"A {ka} / B {kb}"
        lab.set_nat("A", ka)
        lab.set_nat("B", kb)
        a = person("A", f"a-{ka}-{kb}")
        ca = a.expect("rdv_code")
        if not t.check(ca is not None and ca.get("role") == "opener", f"{label}: A gets a room code: {ca}"):
            bye(a)
            table.append((ka, kb, "no code", None, None, None))
            continue
        t_join = time.time()
        b = person("B", f"b-{ka}-{kb}", ca["code"])
        pa, pb = a.expect("rdv_peer"), b.expect("rdv_peer")
        want_a = natlab.SIDES["B"]["lan" if kb == "none" else "out"] + (".2" if kb == "none" else "")
        t.check(pa is not None and pb is not None and pa.get("public", "").split(":")[0] == want_a,
                f"{label}: each learns the other's public address from parleyd: {pa and pa.get('public')} / "
                f"{pb and pb.get('public')}")
        va, vb = a.expect("rdv_verified"), b.expect("rdv_verified")
        t_ver = time.time() - t_join
        t.check(va is not None and vb is not None and va["fingerprint"] == vb["own_fingerprint"]
                and vb["fingerprint"] == va["own_fingerprint"],
                f"{label}: the key exchange succeeds and each holds the other's own device key")
        ra, rb = a.expect("rdv_path", timeout=40), b.expect("rdv_path", timeout=40)
        t_path = time.time() - t_join
        via = ra.get("via") if ra and rb and ra.get("via") == rb.get("via") else "none"
        t.check(ra is not None and rb is not None and via == want and ra.get("path") and rb.get("path"),
                f"{label}: the path is {want} on both sides: {ra} / {rb}")
        if via == "relay":
            t.check(ra["path"] == relay_addr and rb["path"] == relay_addr,
                    f"{label}: through parleyd's voice port ({relay_addr}): {ra['path']} / {rb['path']}")
        elif via == "direct":
            t.check(relay_addr not in (ra["path"], rb["path"]), f"{label}: not through parleyd")
        xa = a.expect("call_state", state="active", timeout=20)
        xb = b.expect("call_state", state="active", timeout=5)
        t_call = time.time() - t_join
        connected = t.check(xa is not None and xb is not None and xa["call"] == xb["call"],
                            f"{label}: A calls B by the code's contact and B's client answers: the call connects")
        if not connected:
            for who, c in (("A", a), ("B", b)):
                print(f"  {who} said:\n    " + "    ".join(c.lines[-12:]))
        if connected:
            word = "through the server's relay" if via == "relay" else "direct."
            t.check(word in xa.get("message", "") and word in xb.get("message", ""),
                    f"{label}: both sides say the call goes {word.rstrip('.')}: {xa.get('message')}")
        qa, qb = a.expect("sas", timeout=3), b.expect("sas", timeout=3)
        t.check(qa and qb and qa["sas"] == qb["sas"] and qa.get("verified") == "yes" and qb.get("verified") == "yes",
                f"{label}: both show the same code, the other's device verified: {qa and qa['sas']}")
        res = {}
        if connected:
            rec = os.path.join(tmp, f"heard-{ka}-{kb}.wav")
            b.send({"cmd": "record", "file": rec})
            b.expect("recording")
            a.send({"cmd": "voice_send", "file": speech})
            sent = a.expect("voice_sent", timeout=60)
            time.sleep(0.6)  # the last frames cross the jitter buffer
            b.send({"cmd": "stop_record"})
            time.sleep(0.3)
            ok, res = heard(speech, rec)
            t.check(sent is not None and ok, f"{label}: B's recording matches A's sentence (segSNR >= {MIN_SEGSNR}, "
                    f"LSD <= {MAX_LSD}): {res}")
            a.send({"cmd": "hangup"})
            t.check(b.expect("call_state", state="ended") is not None, f"{label}: A hangs up, B is told")
        bye(a, b)
        table.append((ka, kb, via if connected else "failed", t_ver, t_path, t_call if connected else None,
                      res.get("segsnr_db")))

    t.check(len(table) == len(PAIRS) and all(row[2] not in ("failed", "no code") for row in table),
            f"every one of the {len(PAIRS)} pairs met, connected and carried audio")
    print()
    print(f"{'A':<12} {'B':<12} {'path':<7} {'->verified':>11} {'->path':>9} {'->call':>9} {'segSNR':>7}")
    for row in table:
        ka, kb, via = row[:3]
        ms = [f"{x * 1000:.0f} ms" if x is not None else "-" for x in row[3:6]] if len(row) > 6 else ["-"] * 3
        snr = f"{row[6]:.1f}" if len(row) > 6 and row[6] is not None else "-"
        print(f"{SHORT[ka]:<12} {SHORT[kb]:<12} {via:<7} {ms[0]:>11} {ms[1]:>9} {ms[2]:>9} {snr:>7}")
    print("(times from B's `parley --rendezvous CODE`, process start included)")
    print()
finally:
    try:
        finish(t, srv, clients, tmp)
    finally:
        if lab:
            lab.close()
