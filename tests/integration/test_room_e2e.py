"""Issue 7: room voice end to end encrypted, between real parley processes through a real parleyd.

Alice, bob and carol (each with a device key) and dave (run without one) are in #e2e. Alice talks:
bob and carol hear her sentence as Opus decodes it, while none of the Opus frames alice sent
appears in the datagrams the relay forwarded (tapped off loopback), and the keys bob's client holds
open them; dave, with no device key to seal a key to, plays none of it, and neither does bob a
clear packet forged in alice's name from the relay's port (what a server that wanted to put words
in her mouth would send). Carol leaves the room: alice's next sentence still reaches bob, under a
new key that none of the keys carol ever held opens."""
import os
import struct
import time
import wave

from harness import Checks, Client, Server, cleanup, finish, heard, speech_wav, tmpdir
from mediatap import Tap, dumped, forge, keylog, open_sealed

ROOM = "#e2e"

t = Checks("room_e2e")
tmp = tmpdir()
srv = Server(tmp)
tap = Tap(srv.udp)
clients = []


def client(name, *args):
    env = dict(os.environ, PARLEY_VOICE_DUMP=os.path.join(tmp, f"dump-{name}"),
               PARLEY_KEYLOG=os.path.join(tmp, f"keys-{name}"))
    c = Client(tmp, srv, "--jitter", "3", *args, name=name, env=env)  # fixed: see test_calls.py
    clients.append(c)
    return c


def stats(c):
    c.send({"cmd": "stats"})
    return c.expect("voice_stats") or {}


def peak(path):
    """The largest sample in a 16-bit WAV (0 for silence or no file)."""
    if not os.path.exists(path):
        return -1
    with wave.open(path) as w:
        data = w.readframes(w.getnframes())
    return max((abs(v) for (v,) in struct.iter_unpack("<h", data)), default=0)


def rx_keys(name, sender):
    return [k for d, s, _, k in keylog(os.path.join(tmp, f"keys-{name}")) if d == "rx" and s == sender]


def talk(speaker, speech, listeners):
    """The speaker talks with speech while each (client, rec) records; returns (start, end, sent)."""
    for c, rec in listeners:
        c.send({"cmd": "record", "file": rec})
        c.expect("recording")
    start = time.time()
    speaker.send({"cmd": "voice_send", "file": speech})
    sent = speaker.expect("voice_sent", timeout=60)
    time.sleep(0.6)  # the last frames cross the jitter buffer
    for c, _ in listeners:
        c.send({"cmd": "stop_record"})
    time.sleep(0.3)
    return start, time.time(), sent


try:
    a, b, cc, d = client("a"), client("b"), client("c"), client("d", "--no-identity")
    la, lb = a.login("alice", "alice-password"), b.login("bob", "bob-password")
    lc, ld = cc.login("carol", "carol-pw-1"), d.login("dave", "dave-password")
    t.check(la and lb and lc and ld, "four users log in (dave without a device key)")
    sa = int(la["session"], 16)
    for x in (a, b, cc, d):
        x.expect("voice_ready")
    for i, x in enumerate((a, b, cc, d)):
        x.send({"cmd": "join", "room": ROOM})
        ul = x.expect("userlist", room=ROOM)
        t.check(ul is not None and len(ul["users"]) == i + 1, f"member {i + 1} joins {ROOM}: {ul and ul['users']}")

    speech1 = speech_wav(tmp, "speech-1", "Room voice is sealed from the first word to the last.")
    speech2 = speech_wav(tmp, "speech-2", "Whoever left the room cannot listen any more.")

    # --- alice talks to the room ---
    recs = {n: os.path.join(tmp, f"{n}-1.wav") for n in ("b", "c", "d")}
    start, end, sent = talk(a, speech1, [(b, recs["b"]), (cc, recs["c"]), (d, recs["d"])])
    t.check(sent and sent["frames"] > 100, f"alice talked in {ROOM}: {sent}")
    for n, who in (("b", "bob"), ("c", "carol")):
        ok, res = heard(speech1, recs[n])
        print(f"measured: {who} heard alice: segSNR {res.get('segsnr_db')} dB, LSD {res.get('lsd_db')} dB")
        t.check(ok, f"{who} heard alice's sentence as Opus decodes it: {res}")
    t.check(peak(recs["d"]) == 0, f"dave, without a device key, played none of it (peak sample {peak(recs['d'])})")

    fwd = tap.voice(sa, start, end)
    frames = [f for f in dumped(os.path.join(tmp, "dump-a")) if len(f) >= 8]
    leaked = sum(1 for _, _, dg in fwd for f in frames if f in dg)
    t.check(len(fwd) > 300 and len(frames) > 100 and leaked == 0,
            f"none of alice's {len(frames)} Opus frames appears in the {len(fwd)} datagrams the relay forwarded "
            f"to the room")
    kb = rx_keys("b", sa)
    opened = [o for o in (open_sealed(kb[-1], dg) for _, _, dg in fwd) if o] if kb else []
    found = sum(1 for f in frames if any(f in o for o in opened))
    print(f"measured: bob's room key opens {len(opened)} of the {len(fwd)} datagrams (one copy per listener), "
          f"{found}/{len(frames)} of alice's frames")
    t.check(kb and found >= 0.95 * len(frames),
            f"the key alice sealed to bob's device opens her frames: {found}/{len(frames)}")

    # A server putting words in alice's mouth: her frame, in clear, from the relay's port to bob.
    b_port = tap.ports.get(int(lb["session"], 16))
    before = stats(b)
    forged = 0
    if fwd and b_port and frames:
        hdr = bytearray(fwd[-1][2][:16])
        seq = struct.unpack(">H", hdr[10:12])[0]
        for k in range(10):  # her frames, each in clear, as a voice in the room would send them
            struct.pack_into(">H", hdr, 10, (seq + 50 + k) & 0xFFFF)
            forge(srv.udp, b_port, bytes(hdr) + frames[len(frames) // 2 + k])
            forged += 1
        time.sleep(0.4)
    after = stats(b)
    refused = after.get("dropped", 0) + after.get("tampered", 0) - before.get("dropped", 0) - before.get("tampered", 0)
    t.check(forged == 10 and refused >= 10 and after.get("played", 0) == before.get("played", 0),
            f"{forged} clear packets forged in alice's name are dropped ({refused}), none played: "
            f"played {before.get('played')} -> {after.get('played')}")

    # --- carol leaves; alice talks again ---
    cc.send({"cmd": "part", "room": ROOM})
    t.check(a.expect("parted", room=ROOM, nick="carol") is not None, "carol leaves the room")
    time.sleep(0.3)  # alice's new key reaches bob
    rec_b2 = os.path.join(tmp, "b-2.wav")
    start2, end2, sent = talk(a, speech2, [(b, rec_b2)])
    ok, res = heard(speech2, rec_b2)
    print(f"measured: after the rekey bob heard alice: segSNR {res.get('segsnr_db')} dB, LSD {res.get('lsd_db')} dB")
    t.check(ok, f"bob still hears alice, under her new key: {res}")
    fwd2 = tap.voice(sa, start2, end2)
    kc = rx_keys("c", sa)
    carol_opens = sum(1 for _, _, dg in fwd2 for k in kc if open_sealed(k, dg))
    kb2 = rx_keys("b", sa)
    bob_opens = sum(1 for _, _, dg in fwd2 if kb2 and open_sealed(kb2[-1], dg))
    carol_before = sum(1 for _, _, dg in fwd for k in kc if open_sealed(k, dg))
    print(f"measured: after carol left, her {len(kc)} key(s) open {carol_opens} of {len(fwd2)} datagrams "
          f"(they opened {carol_before} before); bob's newest opens {bob_opens}")
    t.check(kc and carol_before > 100 and carol_opens == 0 and len(kb2) > len(kb) and bob_opens >= 0.95 * len(fwd2),
            f"none of alice's {len(fwd2)} datagrams after carol left opens with any key carol held; bob's new key "
            f"opens {bob_opens}")
finally:
    tap.stop()
    finish(t, srv, clients, tmp)
