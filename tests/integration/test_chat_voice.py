"""Issue 2, item 1: a real parleyd and two real parley clients on loopback. A and B register,
land in #Lobby, exchange chat both ways; then A talks with an espeak-ng WAV and B records. B's
recording, aligned by cross-correlation, must match A's speech as Opus decodes it (segSNR and
LSD), and must NOT match a different sentence, so a broken voice path fails the test."""
import os

from harness import (finish, MAX_LSD, MIN_SEGSNR, Checks, Client, Server, audiocmp, cleanup, heard,
                     speech_wav, tmpdir)

t = Checks("chat_voice")
tmp = tmpdir()
srv = Server(tmp)
a = Client(tmp, srv, name="a")
b = Client(tmp, srv, "--jitter", "3", name="b")  # fixed: it judges the stream, not the adaptation
try:
    t.check(a.login("alice", "correct horse") is not None, "A registers and logs in")
    t.check(b.login("bob", "battery staple") is not None, "B registers and logs in")
    t.check(a.expect("joined", room="#Lobby", nick="alice") is not None, "A lands in #Lobby")
    ul = b.expect("userlist", room="#Lobby")
    t.check(ul is not None and sorted(ul["users"]) == ["alice", "bob"], f"B sees both in #Lobby: {ul}")
    t.check(a.expect("joined", room="#Lobby", nick="bob") is not None, "A is told B joined #Lobby")

    a.send({"cmd": "say", "to": "#Lobby", "text": "hello bob, can you hear me? ünïcødé", "tag": 7})
    m = b.expect("message", to="#Lobby", **{"from": "alice"})
    t.check(m is not None and m["text"] == "hello bob, can you hear me? ünïcødé", "B receives A's room message")
    t.check(a.expect("sent", tag=7) is not None, "A's message is acknowledged with its tag")
    b.send({"cmd": "say", "to": "#Lobby", "text": "loud and clear"})
    m = a.expect("message", to="#Lobby", **{"from": "bob"})
    t.check(m is not None and m["text"] == "loud and clear", "A receives B's room message")
    b.send({"cmd": "say", "to": "alice", "text": "a private word"})
    m = a.expect("message", to="alice", **{"from": "bob"})
    t.check(m is not None and m["text"] == "a private word", "A receives B's private message")

    speech = speech_wav(tmp, "speech", "The quick brown fox jumps over the lazy dog. "
                        "Parley carries voice from one client to another through the relay.")
    wrong = speech_wav(tmp, "wrong", "Completely different words are spoken in this other sentence, "
                       "so that nothing lines up with the first one.")
    rec = os.path.join(tmp, "b-heard.wav")
    t.check(a.expect("voice_ready") is not None, "A's voice address is bound")
    t.check(b.expect("voice_ready") is not None, "B's voice address is bound")
    b.send({"cmd": "record", "file": rec})
    b.expect("recording")
    a.send({"cmd": "voice_send", "file": speech})
    sent = a.expect("voice_sent", timeout=60)
    # B saw who was talking (the TUI marks them; JSON says it as it changes): alice, then nobody
    marked = b.expect("talking", nicks=["alice"], timeout=2)
    quiet = b.expect("talking", nicks=[], timeout=3)
    t.check(marked is not None and quiet is not None,
            f"B is told alice is talking while she talks, and that nobody is once she stops: {marked}, {quiet}")
    b.quit()
    stats = b.expect("voice_stats")
    t.check(sent is not None and sent["frames"] > 100, f"A sent its speech: {sent}")
    t.check(stats is not None and stats["received"] >= sent["frames"] * 0.98,
            f"B received A's packets: {stats}")

    ok, res = heard(speech, rec)
    print(f"measured: delay {res.get('delay_ms')} ms, segSNR {res.get('segsnr_db')} dB, "
          f"LSD {res.get('lsd_db')} dB, correlation {res.get('correlation')}")
    t.check(ok, f"B heard A's speech as Opus decodes it (segSNR >= {MIN_SEGSNR}, LSD <= {MAX_LSD}): {res}")
    rc, res = audiocmp("--ref", wrong, "--test", rec, "--opus-ref",
                       "--min-segsnr", MIN_SEGSNR, "--max-lsd", MAX_LSD)
    print(f"wrong signal: segSNR {res.get('segsnr_db')} dB, LSD {res.get('lsd_db')} dB")
    t.check(rc == 1, f"the same thresholds reject a different sentence: {res}")

    t.check(a.quit() == 0, "A quits cleanly")
finally:
    finish(t, srv, [a, b], tmp)
