"""Issue 7: calls between real parley processes through a real parleyd on loopback.

One-to-one calls, Opus and PCM, with both people talking at once and each recording what it hears;
every way a call ends (denied, busy, cancelled, timeout, failed when the callee's client dies,
offline with a missed-call notice), each followed by a call that works; the negotiation of seed
004 (accept, counter-offer taken, counter-offer refused, reject); a group call of three in which
one leaves. The relay's datagrams are tapped off the loopback interface (an AF_PACKET socket, as
tcpdump reads them) to show that the server forwards nothing it could read: no Opus frame the
sender wrote (PARLEY_VOICE_DUMP) appears in them, while the keys the clients installed
(PARLEY_KEYLOG) open them to exactly those frames. Forged datagrams, sent from the relay's port
with a raw socket, show that a tampered and a replayed packet are dropped and counted."""
import os
import struct
import time

from harness import (MAX_LSD, MIN_SEGSNR, Checks, Client, Server, audiocmp, cleanup, finish, heard, speech_wav,
                     tmpdir)
from mediatap import Tap, dumped, forge, keylog, open_sealed

OPUS = "opus:48000:1:i16:20"


t = Checks("calls")
tmp = tmpdir()
srv = Server(tmp)
tap = Tap(srv.udp)
clients = []


def client(name, srv=srv):
    env = dict(os.environ, PARLEY_VOICE_DUMP=os.path.join(tmp, f"dump-{name}"),
               PARLEY_KEYLOG=os.path.join(tmp, f"keys-{name}"))
    # A fixed 60 ms jitter buffer: these recordings judge what crosses the wire, and a machine
    # busy with sanitizers and parallel tests must not make the adaptive one time-scale them (it
    # has its own tests: unit_ajb, integration_voice_loss).
    # --relay-only: the tap below judges what the relay forwards, so the calls must stay on it
    # (test_call_path shows them going direct).
    c = Client(tmp, srv, "--jitter", "3", "--relay-only", name=name, env=env)
    clients.append(c)
    return c


def contacts(x, xn, y, yn):
    x.send({"cmd": "add", "nick": yn})
    y.expect("contact_request", nick=xn, kind="incoming")
    y.send({"cmd": "accept", "nick": xn})
    return x.expect("contact_added", nick=yn) and y.expect("contact_added", nick=xn)


def state(c, st, **kw):
    return c.expect("call_state", state=st, **kw)


def ended(c, reason):
    ev = state(c, "ended")
    return ev is not None and ev.get("reason") == reason, ev


def ring(x, y, yn, media=None):
    """x calls y: the caller hears it ring, the callee gets call_incoming. Returns the latter."""
    x.send({"cmd": "call", "nick": yn, **({"media": media} if media else {})})
    r = state(x, "ringing")
    inc = y.expect("call_incoming")
    return inc if r else None


def connect(x, y, yn, media=None):
    """x calls y and y answers: both active. Returns (x's active event, y's)."""
    ring(x, y, yn, media)
    y.send({"cmd": "answer"})
    return state(x, "active"), state(y, "active")


def hang(x, y):
    x.send({"cmd": "hangup"})
    return ended(x, "hung_up")[0] and ended(y, "hung_up")[0]


def record_both(pairs, wait_s=0.6):
    """Each (client, speech, rec) records into rec and talks with speech, all at once; returns the
    voice_sent events when all are done."""
    for c, _, rec in pairs:
        if rec:
            c.send({"cmd": "record", "file": rec})
            c.expect("recording")
    for c, speech, _ in pairs:
        if speech:
            c.send({"cmd": "voice_send", "file": speech})
    sent = [c.expect("voice_sent", timeout=60) if speech else None for c, speech, _ in pairs]
    time.sleep(wait_s)  # the last frames cross the jitter buffer
    for c, _, rec in pairs:
        if rec:
            c.send({"cmd": "stop_record"})
    time.sleep(0.3)
    return sent


def stats(c):
    c.send({"cmd": "stats"})
    return c.expect("voice_stats") or {}


try:
    a, b, cc, d = client("a"), client("b"), client("c"), client("d")
    la, lb, lc = a.login("alice", "alice-password"), b.login("bob", "bob-password"), cc.login("carol", "carol-pw-1")
    t.check(d.login("dave", "dave-password") is not None and la and lb and lc, "four users register")
    sa, sb, sc = (int(x["session"], 16) for x in (la, lb, lc))
    for x, xn, y, yn in ((a, "alice", b, "bob"), (a, "alice", cc, "carol"), (b, "bob", cc, "carol"),
                         (a, "alice", d, "dave")):
        t.check(contacts(x, xn, y, yn), f"{xn} and {yn} become contacts")
    d.quit()  # dave is offline from now on
    for x in (a, b, cc):
        x.expect("voice_ready")

    speech_a = speech_wav(tmp, "speech-a", "The quick brown fox jumps over the lazy dog, twice.")
    speech_b = speech_wav(tmp, "speech-b", "Seven silver spoons sat quietly on a wooden shelf.")
    speech_c = speech_wav(tmp, "speech-c", "Calls go through the relay sealed end to end.")

    # --- 1. a one-to-one Opus call, both talking at once ---
    inc = ring(a, b, "bob")
    t.check(inc is not None and inc.get("nick") == "alice" and inc.get("media") == OPUS
            and len(inc.get("fingerprint", "")) == 39 and inc.get("verified") == "no",
            f"bob's client shows the call: caller, offer, device key: {inc}")
    b.send({"cmd": "answer"})
    xa, xb = state(a, "active"), state(b, "active")
    t.check(xa and xb and xa.get("media") == OPUS and xb.get("media") == OPUS and xa["call"] == xb["call"],
            f"both sides active with the agreed format shown: {xa}, {xb}")
    qa, qb = a.expect("sas"), b.expect("sas")
    t.check(qa and qb and qa["sas"] == qb["sas"] and len(qa["sas"]) == 7,
            f"both see the same short authentication string: {qa and qa['sas']} / {qb and qb['sas']}")
    call_start = time.time()
    rec_a, rec_b = os.path.join(tmp, "a-heard.wav"), os.path.join(tmp, "b-heard.wav")
    sent = record_both([(a, speech_a, rec_a), (b, speech_b, rec_b)])
    call_talked = time.time()
    t.check(all(s and s["frames"] > 100 for s in sent), f"both talked: {sent}")
    ok, res = heard(speech_a, rec_b)
    print(f"measured: bob heard alice: delay {res.get('delay_ms')} ms, segSNR {res.get('segsnr_db')} dB, "
          f"LSD {res.get('lsd_db')} dB")
    t.check(ok, f"bob heard alice's sentence as Opus decodes it (segSNR >= {MIN_SEGSNR}, LSD <= {MAX_LSD}): {res}")
    ok, res = heard(speech_b, rec_a)
    print(f"measured: alice heard bob: delay {res.get('delay_ms')} ms, segSNR {res.get('segsnr_db')} dB, "
          f"LSD {res.get('lsd_db')} dB")
    t.check(ok, f"alice heard bob's sentence as Opus decodes it, at the same time: {res}")
    rc, res = audiocmp("--ref", speech_a, "--test", rec_a, "--opus-ref", "--min-segsnr", MIN_SEGSNR,
                       "--max-lsd", MAX_LSD)
    t.check(rc == 1, f"the same thresholds reject the wrong sentence (alice's own in her recording): {res}")

    # During the call: text still flows, presence says "in a call", a second caller gets busy.
    a.send({"cmd": "say", "to": "bob", "text": "still there?"})
    t.check(b.expect("message", text="still there?") is not None, "text still flows during the call")
    cc.send({"cmd": "status", "nick": "alice"})
    p = cc.expect("presence", nick="alice", presence="busy")
    t.check(p is not None and p.get("note") == "in a call", f"a status request answers 'in a call': {p}")
    cc.send({"cmd": "call", "nick": "bob"})
    ok, ev = ended(cc, "busy")
    t.check(ok, f"carol calling bob mid-call: busy: {ev}")
    m = b.expect("message", **{"from": "carol"})
    t.check(m is not None and m.get("call") and "missed call from carol" in m.get("text", ""),
            f"bob is told of carol's call without a second ring: {m}")
    t.check(stats(cc).get("received", -1) == 0, "carol, in #Lobby with both, received none of the call's voice")

    # The relay's view: sealed bytes only.
    fwd = tap.voice(sa, call_start, call_talked)
    frames_a = [f for f in dumped(os.path.join(tmp, "dump-a")) if len(f) >= 8]
    leaked = sum(1 for _, _, dg in fwd for f in frames_a if f in dg)
    t.check(len(fwd) > 100 and len(frames_a) > 100 and leaked == 0,
            f"none of alice's {len(frames_a)} Opus frames appears in the {len(fwd)} datagrams the relay forwarded")
    rx = [k for dr, s, kid, k in keylog(os.path.join(tmp, "keys-b")) if dr == "rx" and s == sa]
    opened = [open_sealed(rx[-1], dg) for _, _, dg in fwd] if rx else []
    found = sum(1 for f in frames_a if any(o and f in o for o in opened))
    t.check(rx and all(opened) and found >= 0.98 * len(frames_a),
            f"bob's key opens every forwarded datagram, and they hold alice's frames ({found}/{len(frames_a)})")
    b_port = fwd[-1][1] if fwd else 0
    last = fwd[-1][2] if fwd else b""
    before = stats(b)
    if last:
        body = bytearray(last)
        counter = struct.unpack(">Q", bytes(body[17:25]))[0]
        body[17:25] = struct.pack(">Q", counter + 1000)  # a fresh counter: only the tag can refuse it
        body[-1] ^= 0x01
        forge(srv.udp, b_port, bytes(body))
        forge(srv.udp, b_port, fwd[len(fwd) // 2][2])  # an old one, again
        time.sleep(0.5)
    after = stats(b)
    t.check(after.get("tampered", 0) == before.get("tampered", 0) + 1
            and after.get("replayed", 0) == before.get("replayed", 0) + 1
            and after.get("received", 0) >= before.get("received", 0),
            f"a tampered and a replayed datagram are dropped and counted: {before} -> {after}")
    t.check(hang(a, b), "alice hangs up: both told hung_up")

    # --- 2. a PCM call: raw i16 samples, near-lossless ---
    pcm = "pcm:48000:1:i16:10"
    xa, xb = connect(a, b, "bob", pcm)
    t.check(xa and xb and xa.get("media") == pcm and xb.get("media") == pcm and xa.get("codec") == "pcm",
            f"a PCM call is agreed and shown: {xa}")
    pcm_start = time.time()
    rec_a2, rec_b2 = os.path.join(tmp, "a-pcm.wav"), os.path.join(tmp, "b-pcm.wav")
    record_both([(a, speech_a, rec_a2), (b, speech_b, rec_b2)])
    rc1, r1 = audiocmp("--ref", speech_a, "--test", rec_b2, "--min-segsnr", "30", "--max-lsd", "0.5")
    rc2, r2 = audiocmp("--ref", speech_b, "--test", rec_a2, "--min-segsnr", "30", "--max-lsd", "0.5")
    print(f"measured: PCM call: segSNR {r1.get('segsnr_db')} / {r2.get('segsnr_db')} dB, "
          f"LSD {r1.get('lsd_db')} / {r2.get('lsd_db')} dB")
    t.check(rc1 == 0 and rc2 == 0, f"both heard the other's sentence near-losslessly (segSNR >= 30, LSD <= 0.5): {r1} {r2}")
    fwd = tap.voice(sa, pcm_start)
    rx = [k for dr, s, kid, k in keylog(os.path.join(tmp, "keys-b")) if dr == "rx" and s == sa]
    wav = open(speech_a, "rb").read()
    pcm_frames = [o for o in (open_sealed(rx[-1], dg) for _, _, dg in fwd) if o] if rx else []
    raw_hits = sum(1 for o in pcm_frames[10:60] if o[-960:] in wav)
    t.check(len(pcm_frames) > 100 and raw_hits >= 45,
            f"the PCM call carries raw 48 kHz i16 samples: {raw_hits}/50 sampled frames are 960 bytes of "
            "alice's WAV, sealed")
    t.check(hang(b, a), "bob hangs up: both told hung_up")

    # --- 3. negotiation ---
    inc = ring(a, b, "bob")
    b.send({"cmd": "answer", "media": "pcm:16000:1:i16:20"})
    off = a.expect("call_offer")
    t.check(off is not None and off.get("media") == "pcm:16000:1:i16:20",
            f"a counter-offer reaches the caller with its format: {off}")
    a.send({"cmd": "take"})
    xa, xb = state(a, "active"), state(b, "active")
    t.check(xa and xb and xa.get("media") == xb.get("media") == "pcm:16000:1:i16:20",
            f"the counter-offer taken: both active in it: {xa and xa.get('media')}")
    t.check(hang(a, b), "and hung up")
    ring(a, b, "bob")
    b.send({"cmd": "answer", "media": "pcm:8000:1:u8:20"})
    t.check(a.expect("call_offer") is not None, "another counter-offer")
    a.send({"cmd": "hangup"})
    ok1, e1 = ended(a, "denied")
    ok2, e2 = ended(b, "denied")
    t.check(ok1 and ok2, f"the caller refuses the counter-offer: denied on both sides: {e1} {e2}")
    ring(a, b, "bob")
    b.send({"cmd": "deny"})
    ok1, e1 = ended(a, "denied")
    ok2, e2 = ended(b, "denied")
    t.check(ok1 and ok2, f"the callee rejects: denied on both sides: {e1} {e2}")

    # --- 4. cancel, a dead callee, offline ---
    ring(a, b, "bob")
    a.send({"cmd": "hangup"})
    ok1, e1 = ended(a, "cancelled")
    ok2, e2 = ended(b, "cancelled")
    t.check(ok1 and ok2, f"the caller cancels while it rings: cancelled on both sides: {e1} {e2}")

    xa, xc = connect(a, cc, "carol")
    t.check(xa and xc, "alice calls carol, who answers")
    cc.proc.kill()
    cc.proc.wait()
    ok, ev = ended(a, "failed")
    t.check(ok, f"carol's client dies mid-call: alice is told the call failed: {ev}")
    cc = client("c2")
    t.check(cc.login("carol", "carol-pw-1", register=False) is not None, "carol comes back")
    inc = ring(a, cc, "carol")
    t.check(inc is not None, "and both are free: alice calls carol again and it rings")
    cc.send({"cmd": "deny"})
    t.check(ended(a, "denied")[0] and ended(cc, "denied")[0], "carol denies it")

    a.send({"cmd": "call", "nick": "dave"})
    ok, ev = ended(a, "offline")
    t.check(ok, f"calling dave, who is offline: offline: {ev}")
    d = client("d2")
    d.login("dave", "dave-password", register=False)
    m = d.expect("message", **{"from": "alice"})
    t.check(m is not None and m.get("call") and m.get("offline") and m.get("text") == "missed call from alice",
            f"dave finds the missed-call notice with his offline messages: {m}")
    # A call the server refuses outright leaves the caller free: the client used to stay "in a
    # call" that never got an id, and /hangup could not end it.
    a.send({"cmd": "call", "nick": "nobody"})
    e = a.expect("error", code=433)
    t.check(e is not None, f"calling an account that does not exist: error 433: {e}")
    inc = ring(a, cc, "carol")
    t.check(inc is not None, "and alice is not left in a call: calling carol right after it rings")
    cc.send({"cmd": "deny"})
    t.check(ended(a, "denied")[0] and ended(cc, "denied")[0], "carol denies it")

    # --- 5. a group call of three ---
    a.send({"cmd": "group_create", "name": "trio"})
    g = a.expect("group")
    gid = g["id"]
    for n in ("bob", "carol"):
        a.send({"cmd": "group_add", "group": gid, "nick": n})
        a.expect("group_member", nick=n)
    a.send({"cmd": "call_group", "group": gid})
    t.check(state(a, "ringing") is not None, "alice calls the group; it rings")
    ib, ic = b.expect("call_incoming"), cc.expect("call_incoming")
    t.check(ib and ic and ib.get("group") == gid and ic.get("group") == gid, "bob and carol are rung")
    b.send({"cmd": "answer"})
    t.check(state(a, "active") and state(b, "active"), "bob joins: the call is active for two")
    cc.send({"cmd": "answer"})
    t.check(state(cc, "active") is not None, "carol joins the running call")
    joins = [x.expect("call_member", nick=n, joined=True) for x, n in
             ((a, "carol"), (b, "carol"), (cc, "alice"), (cc, "bob"))]
    t.check(all(joins), "each member is told of the others (seed 507)")
    time.sleep(1.0)  # the sender keys cross
    group_start = time.time()
    recs = {}
    for speaker, sp, name in ((a, speech_a, "a"), (b, speech_b, "b"), (cc, speech_c, "c")):
        listeners = [(x, None, os.path.join(tmp, f"g-{n}-hears-{name}.wav")) for x, n in
                     ((a, "a"), (b, "b"), (cc, "c")) if x is not speaker]
        record_both([(speaker, sp, None)] + listeners)
        for _, _, rec in listeners:
            recs[rec] = sp
    results = {os.path.basename(r): heard(sp, r) for r, sp in recs.items()}
    t.check(all(ok for ok, _ in results.values()),
            f"in the group call each of the three heard both others: "
            f"{ {k: (v[1].get('segsnr_db'), v[1].get('lsd_db')) for k, v in results.items()} }")
    cc.send({"cmd": "hangup"})
    t.check(ended(cc, "hung_up")[0], "carol leaves the group call")
    t.check(a.expect("call_member", nick="carol", joined=False) and b.expect("call_member", nick="carol", joined=False),
            "alice and bob are told carol left")
    time.sleep(1.0)  # the new sender keys cross
    left_at = time.time()
    rec = os.path.join(tmp, "g-b-after.wav")
    record_both([(a, speech_a, None), (b, None, rec)])
    ok, res = heard(speech_a, rec)
    t.check(ok, f"alice and bob keep talking after carol left: {res}")
    keys_c = [k for dr, s, kid, k in keylog(os.path.join(tmp, "keys-c2")) if dr == "rx" and s == sa]
    keys_b = [k for dr, s, kid, k in keylog(os.path.join(tmp, "keys-b")) if dr == "rx" and s == sa]
    after = tap.voice(sa, left_at)
    during = tap.voice(sa, group_start, left_at - 1.0)
    c_opens_before = sum(1 for _, _, dg in during if any(open_sealed(k, dg) for k in keys_c))
    c_opens_after = sum(1 for _, _, dg in after if any(open_sealed(k, dg) for k in keys_c))
    b_opens_after = sum(1 for _, _, dg in after if open_sealed(keys_b[-1], dg)) if keys_b else 0
    t.check(len(after) > 100 and c_opens_before > 100 and c_opens_after == 0 and b_opens_after == len(after),
            f"after the rekey none of alice's {len(after)} datagrams opens with any key carol ever had "
            f"(she opened {c_opens_before} before leaving); bob's new key opens all {b_opens_after}")
    a.send({"cmd": "hangup"})
    t.check(ended(a, "hung_up")[0] and ended(b, "hung_up")[0], "alice hangs up: with one left the call ends")

    # --- 6. the ring timeout, on a server whose setting is short ---
    tmp2 = os.path.join(tmp, "short")
    os.mkdir(tmp2)
    srv2 = Server(tmp2, "--ring-timeout", "1500")
    e, f = client("e", srv2), client("f", srv2)
    e.login("erin", "erin-password")
    f.login("frank", "frank-password")
    contacts(e, "erin", f, "frank")
    ring(e, f, "frank")
    ok1, e1 = ended(e, "timeout")
    ok2, e2 = ended(f, "timeout")
    t.check(ok1 and ok2, f"nobody answers within ring_timeout: timeout on both sides: {e1} {e2}")
    m = f.expect("message", **{"from": "erin"})
    t.check(m is not None and m.get("call") and not m.get("offline"), f"frank, online, gets the missed-call notice: {m}")
    xe, xf = connect(e, f, "frank")
    t.check(xe and xf, "both are free again: the next call connects")
    t.check(hang(f, e), "and is hung up")
    for x in (e, f):
        x.quit()
    t.check(srv2.stop() == 0, "the second parleyd shuts down cleanly")
finally:
    tap.stop()
    finish(t, srv, clients, tmp)
