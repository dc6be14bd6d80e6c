#!/usr/bin/env python3
"""Benchmarks parley's voice path (issue 8, must-show 5-7) side by side, in one run:

  delay     mouth-to-ear delay through the real device path on a clean loopback, measured on one
            clock: a PulseAudio server of the run's own (as tests/integration/test_audio_device.py)
            with a stereo null sink "both" and two mono sinks remapped onto its channels: "mic"
            onto the left, "spk" onto the right. paplay feeds the sentence into "mic", whose monitor
            is A's microphone; B plays to "spk". One parecord records both.monitor, so the left
            channel is the speech as it enters A's source and the right is B's sound as it leaves
            B's sink, each at the moment the sound server renders it; the delay is the
            cross-correlation delay (audiocmp) of the right channel against the left. Nothing of
            the tools' own start-up is in it (it used to be two streams and a calibration, which
            spread by 40 ms and read about 35 ms high). A self-check first measures PulseAudio's own
            module-loopback from "mic"'s monitor to "spk", held at 60 ms, the same way. B with its adaptive buffer (the default) and with a fixed 60 ms one
            (--jitter 3), with 20 ms frames, and the adaptive one with 10 ms frames (--frame-ms 10
            on both clients).
  loss      quality under loss: A talks the sentence (a WAV: voice_send) through
            tests/tools/impair to B, which records; segSNR and LSD of B's recording against the
            loss-free decode of the frames A sent (PARLEY_VOICE_DUMP), for three chains:
              ref        --plc-only on both ends, B behind a fixed 60 ms buffer (--jitter 3)
              parley     FEC + RED + the adaptive jitter buffer (B without --jitter)
              parley60   FEC + RED behind the fixed 60 ms buffer
            at 5%, 10% and 20% random loss and Gilbert-Elliott bursty loss of 10% average, with
            the delay each buffer added: audiocmp's alignment delay of the recording (the same
            recording setup for every chain, so differences between chains are differences in
            delay) and B's voice_stats jitter-buffer latency (latency_ms.jitter). No jitter is
            added: loss only, on loopback. Each recording is judged twice: with one alignment,
            and tracked (audiocmp --track-ms 40: every 200 ms segment aligned apart), which
            follows a delay that moves as the adaptive buffer conceals or time-scales.
  cpu       CPU per call on the client: alice and bob (contacts) in a 1:1 Opus call, each with a
            PulseAudio microphone fed with speech and a speaker, processing on (echo cancellation,
            noise suppression, gain), voice mode continuous, both talking for D seconds: each
            client process's CPU from /proc/PID/stat over the window, and the audio thread's
            cpu_pct from --voice-stats.

Output: one JSON line per measurement on stdout, a final {"summary": ...}; progress and tables on
stderr. Benchmarks never assert: the exit status is non-zero only when something could not run.
Environment: PARLEY_BUILD (default ../build). --quick: fewer repetitions and a shorter call.
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
os.environ.setdefault("PARLEY_BUILD", os.path.join(ROOT, "build"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, HERE)
import harness as h  # noqa: E402
import run_bench as rb  # noqa: E402

T0 = time.monotonic()
LINES = []
MAX_DELAY_MS = "30000"


def log(*a):
    print(f"[{time.monotonic() - T0:6.1f}s]", *a, file=sys.stderr, flush=True)


def emit(obj):
    LINES.append(obj)
    print(json.dumps(obj), flush=True)


# --- PulseAudio of our own (test_audio_device.py's setup) ----------------------------------------

def start_pulse(tmp, sinks, lines=()):
    """A PulseAudio of the run's own with mono null sinks (the first is the default) and any further
    configuration lines."""
    xdg = os.path.join(tmp, "xdg")
    os.makedirs(xdg, mode=0o700, exist_ok=True)
    sock = os.path.join(xdg, "pulse.sock")
    conf = os.path.join(tmp, "null.pa")
    with open(conf, "w") as f:
        f.write(f"load-module module-native-protocol-unix auth-anonymous=1 socket={sock}\n")
        for s in sinks:
            f.write(f"load-module module-null-sink sink_name={s} rate=48000 channels=1 norewinds=1\n")
        f.write(f"set-default-sink {sinks[0]}\n")
        for line in lines:
            f.write(line + "\n")
    env = dict(os.environ, XDG_RUNTIME_DIR=xdg, PULSE_SERVER=f"unix:{sock}", HOME=tmp)
    logf = open(os.path.join(tmp, "pa.log"), "w")
    # No shared memory (as test_audio_device.py): its memfd blocks glitched this sound server.
    p = subprocess.Popen(["pulseaudio", "-n", "-F", conf, "--daemonize=no", "--exit-idle-time=-1",
                          "--disable-shm=yes", "--log-target=stderr"], stdout=logf, stderr=logf, env=env)
    for _ in range(100):
        if p.poll() is not None:
            break
        if subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0:
            return p, env
        time.sleep(0.1)
    stop(p)
    raise RuntimeError("pulseaudio did not start: " + open(os.path.join(tmp, "pa.log")).read()[-400:])


def stop(p):
    if p and p.poll() is None:
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def parecord(env, dev, out, channels=1):
    cmap = ["--channel-map=front-left,front-right"] if channels == 2 else []
    return subprocess.Popen(["parecord", "--latency-msec=10", "-d", dev, "--rate=48000", f"--channels={channels}",
                             *cmap, "--format=s16le", "--file-format=wav", out], env=env)


def play_recorded(env, rec_dev, play_dev, speech, out, tail_s, channels=1):
    """parecord rec_dev, then paplay speech into play_dev; False when paplay failed."""
    rec = parecord(env, rec_dev, out, channels)
    time.sleep(1.0)
    p = subprocess.run(["paplay", "--latency-msec=10", "-d", play_dev, speech], env=env, timeout=60)
    time.sleep(tail_s)
    rec.send_signal(signal.SIGTERM)
    rec.wait(timeout=10)
    return p.returncode == 0


# --- 5. mouth-to-ear delay --------------------------------------------------------------------------

# (label, both clients' frame option, B's buffer option)
DELAY_RUNS = (("adaptive", [], []), ("adaptive10", ["--frame-ms", "10"], []),
              ("fixed60", [], ["--jitter", "3"]))

# "mic" and "spk" are the left and right channels of "both"; the clients' other ends (A's speaker,
# B's microphone) go to "void".
ONE_CLOCK = ("load-module module-null-sink sink_name=both rate=48000 channels=2 "
             "channel_map=front-left,front-right norewinds=1",
             "load-module module-remap-sink sink_name=mic master=both channels=1 channel_map=mono "
             "master_channel_map=front-left remix=no",
             "load-module module-remap-sink sink_name=spk master=both channels=1 channel_map=mono "
             "master_channel_map=front-right remix=no",
             "set-default-source void.monitor")


def split_delay(rec, tmp):
    """The delay (ms) of a stereo recording's right channel after its left, with the audiocmp
    result and the left channel's file."""
    left, right = os.path.join(tmp, "left.wav"), os.path.join(tmp, "right.wav")
    subprocess.run(["sox", rec, left, "remix", "1"], check=True)
    subprocess.run(["sox", rec, right, "remix", "2"], check=True)
    rc, res = h.audiocmp("--ref", left, "--test", right, "--max-delay-ms", "2000")
    return res.get("delay_ms"), res, left


def bench_delay(tmp, speech, reps):
    pulse, env = start_pulse(tmp, ["void"], ONE_CLOCK)
    srv = h.Server(tmp)
    out = {}
    try:
        # Self-check of the method: PulseAudio's own loopback from A's microphone to B's speaker,
        # held at 60 ms, measured as the calls are.
        mod = subprocess.run(["pactl", "load-module", "module-loopback", "source=mic.monitor", "sink=spk",
                              "latency_msec=60"], env=env, capture_output=True, text=True, check=True).stdout.strip()
        time.sleep(4.0)  # the loopback settles on its latency
        rec = os.path.join(tmp, "selfcheck.wav")
        ok = play_recorded(env, "both.monitor", "mic", speech, rec, 0.5, channels=2)
        subprocess.run(["pactl", "unload-module", mod], env=env, check=True)
        if not ok:
            raise RuntimeError("paplay failed in the self-check")
        d, res, _ = split_delay(rec, tmp)
        emit({"item": "delay", "run": "selfcheck", "want_ms": 60.0, "delay_ms": d,
              "correlation": res.get("correlation")})
        out["selfcheck_ms"] = d
        # Each repetition is a call of its own (new clients): within a call the delay measured on
        # one clock does not move, from call to call it does (the buffers each starts with).
        for label, fargs, bargs in DELAY_RUNS:
            vals = []
            for i in range(reps):
                a = h.Client(tmp, srv, "--input", "mic.monitor", "--output", "void", "--no-processing",
                             "--voice-mode", "continuous", *fargs, name=f"da-{label}-{i}", env=env)
                b = h.Client(tmp, srv, "--input", "void.monitor", "--output", "spk", *fargs, *bargs,
                             name=f"db-{label}-{i}", env=env)
                try:
                    a.login(f"da{label}{i}", "correct horse")
                    b.login(f"db{label}{i}", "battery staple")
                    a.expect("voice_ready")
                    b.expect("voice_ready")
                    time.sleep(1.0)  # both streams settle
                    rec = os.path.join(tmp, f"m2e-{label}-{i}.wav")
                    if not play_recorded(env, "both.monitor", "mic", speech, rec, 1.0, channels=2):
                        raise RuntimeError("paplay failed")
                    m2e, res, left = split_delay(rec, tmp)
                    rc, said = h.audiocmp("--ref", speech, "--test", left, "--max-delay-ms", "30000")
                    vals.append(m2e)
                    b.send({"cmd": "stats"})
                    st = b.expect("voice_stats") or {}
                    a.send({"cmd": "stats"})
                    sa = a.expect("voice_stats") or {}
                    emit({"item": "delay", "run": label, "frame_ms": 10 if "10" in label else 20, "rep": i,
                          "mouth_to_ear_ms": m2e, "correlation": res.get("correlation"),
                          "segsnr_db": res.get("segsnr_db"), "mic_correlation": said.get("correlation"),
                          "b_latency_ms": st.get("latency_ms"),
                          "a_latency_ms": sa.get("latency_ms"), "b_jb_target_ms": st.get("jb_target_ms"),
                          "b_jitter_ms": st.get("jitter_ms"), "b_play_jitter_ms": st.get("play_jitter_ms"),
                          "b_counts": {k: st.get(k) for k in ("received", "lost", "fec", "red_recovered", "concealed",
                                                              "late", "dup", "shrunk", "stretched", "skipped_silent")},
                          "a_counts": {k: sa.get(k) for k in ("sent", "redundancy", "expected_loss", "remote_loss")}})
                finally:
                    a.quit()
                    b.quit()
                os.unlink(rec)
            out[label] = (statistics.median(vals), min(vals), max(vals), st.get("latency_ms"),
                          sa.get("latency_ms"))
    finally:
        srv.stop()
        stop(pulse)
    return out


# --- 6. quality under loss --------------------------------------------------------------------------

# audiocmp --track-ms: each 200 ms segment aligned apart, within this of the one before, so that a
# buffer that moves its delay (time-scaling, concealment) is judged on its sound, not on where it
# landed; chains that never move (the fixed buffers) score the same either way.
TRACK_MS = "40"
CHAINS = {"ref": (["--plc-only"], ["--plc-only", "--jitter", "3"]),
          "parley": ([], []),
          "parley60": ([], ["--jitter", "3"])}
LOSSES = {"none": [], "random5": ["--loss", "5"], "random10": ["--loss", "10"], "random20": ["--loss", "20"],
          # good -> bad 4.44%, back 40%, all lost while bad: 10% on average, bursts of 2.5 (test_voice_loss)
          "bursty10": ["--burst", "4.4444,40,100"]}


def bench_loss(tmp, speech, seeds):
    """The first seed runs every loss; the others repeat the loss-free run and the 10% ones (the
    target's point), to keep the whole benchmark near five minutes."""
    srv = h.Server(tmp)
    res_all = {}
    n = 0
    try:
        for seed in seeds:
            for loss, largs in LOSSES.items():
                if seed != seeds[0] and loss not in ("none", "random10", "bursty10"):
                    continue
                for chain, (aargs, bargs) in CHAINS.items():
                    n += 1
                    label = f"{chain}-{loss}-{seed}"
                    proxy = h.Impair(srv, "--seed", str(seed), *largs)
                    dump = os.path.join(tmp, f"dump-{label}")
                    a = h.Client(tmp, srv, "--udp-via", proxy.via, *aargs, name=f"a{n}",
                                 env=dict(os.environ, PARLEY_VOICE_DUMP=dump))
                    b = h.Client(tmp, srv, *bargs, name=f"b{n}")
                    try:
                        a.login(f"a{n}", "correct horse")
                        b.login(f"b{n}", "battery staple")
                        a.expect("voice_ready")
                        b.expect("voice_ready")
                        rec = os.path.join(tmp, f"heard-{label}.wav")
                        sent, st = h.talk(a, b, speech, rec)
                        a.quit()
                    finally:
                        counts = proxy.stop()
                    ref = os.path.join(tmp, f"sent-{label}.wav")
                    h.decode_dump(dump, ref)
                    rc, r = h.audiocmp("--ref", ref, "--test", rec, "--max-delay-ms", "10000")
                    rc, rt = h.audiocmp("--ref", ref, "--test", rec, "--max-delay-ms", "10000",
                                        "--track-ms", TRACK_MS)
                    up = counts.get("up", {})
                    st = st or {}
                    row = {"item": "loss", "chain": chain, "loss": loss, "seed": seed,
                           "segsnr_db": r.get("segsnr_db"), "lsd_db": r.get("lsd_db"), "delay_ms": r.get("delay_ms"),
                           "correlation": r.get("correlation"),
                           "tracked_segsnr_db": rt.get("segsnr_db"), "tracked_lsd_db": rt.get("lsd_db"),
                           "tracked_lag_min_ms": rt.get("lag_min_ms"), "tracked_lag_max_ms": rt.get("lag_max_ms"),
                           "proxy_in": up.get("in"), "proxy_lost": up.get("lost_random", 0) + up.get("lost_burst", 0),
                           "jb_latency_ms": (st.get("latency_ms") or {}).get("jitter"),
                           "jb_target_ms": st.get("jb_target_ms")}
                    for k in ("received", "lost", "fec", "red_recovered", "concealed", "late", "stretched", "shrunk"):
                        row[k] = st.get(k)
                    emit(row)
                    res_all.setdefault((chain, loss), []).append(row)
                    for f in (dump, ref, rec):
                        if os.path.exists(f):
                            os.unlink(f)
    finally:
        srv.stop()
    return res_all


# --- 7. CPU per call ----------------------------------------------------------------------------------

def bench_cpu(tmp, speech_a, speech_b, seconds):
    pulse, env = start_pulse(tmp, ["spka", "spkb", "mica", "micb"])
    srv = h.Server(tmp)
    feeders, out = [], {}
    sa_file, sb_file = os.path.join(tmp, "vs-a.jsonl"), os.path.join(tmp, "vs-b.jsonl")
    a = h.Client(tmp, srv, "--input", "mica.monitor", "--output", "spka", "--voice-mode", "continuous",
                 "--voice-stats", sa_file, name="ca", env=env)
    b = h.Client(tmp, srv, "--input", "micb.monitor", "--output", "spkb", "--voice-mode", "continuous",
                 "--voice-stats", sb_file, name="cb", env=env)
    try:
        a.login("alice", "alice-password")
        b.login("bob", "bob-password")
        a.send({"cmd": "add", "nick": "bob"})
        b.expect("contact_request", nick="alice", kind="incoming")
        b.send({"cmd": "accept", "nick": "alice"})
        ok = a.expect("contact_added", nick="bob") and b.expect("contact_added", nick="alice")
        a.expect("voice_ready")
        b.expect("voice_ready")
        a.send({"cmd": "call", "nick": "bob"})
        b.expect("call_incoming")
        b.send({"cmd": "answer"})
        xa, xb = a.expect("call_state", state="active"), b.expect("call_state", state="active")
        if not (ok and xa and xb):
            raise RuntimeError(f"the call did not start: contacts {bool(ok)}, {xa}, {xb}")
        # both talk: each microphone is fed with speech in a loop for the whole window
        for mic, sp in (("mica", speech_a), ("micb", speech_b)):
            feeders.append(subprocess.Popen(
                ["sh", "-c", f"while :; do paplay --latency-msec=10 -d {mic} '{sp}' || exit; done"], env=env,
                start_new_session=True))
        time.sleep(2.0)  # warm up: echo canceller, buffers
        c0 = {n: rb.proc_cpu_s(c.proc.pid) for n, c in (("alice", a), ("bob", b))}
        s0 = time.monotonic()
        time.sleep(seconds)
        c1 = {n: rb.proc_cpu_s(c.proc.pid) for n, c in (("alice", a), ("bob", b))}
        wall = time.monotonic() - s0
        stats = {}
        for n, c in (("alice", a), ("bob", b)):
            c.send({"cmd": "stats"})
            stats[n] = c.expect("voice_stats") or {}
        for n, f in (("alice", sa_file), ("bob", sb_file)):
            vals = []
            if os.path.exists(f):
                with open(f) as fh:
                    for line in fh:
                        try:
                            vals.append(json.loads(line).get("cpu_pct"))
                        except ValueError:
                            pass
            vals = [v for v in vals if v is not None][2:]  # past the warm-up
            st = stats[n]
            row = {"item": "cpu", "client": n, "wall_s": round(wall, 2),
                   "process_cpu_s": round(c1[n] - c0[n], 3),
                   "process_core_fraction": round((c1[n] - c0[n]) / wall, 4),
                   "audio_thread_cpu_pct_median": round(statistics.median(vals), 2) if vals else None,
                   "audio_thread_cpu_pct_max": round(max(vals), 2) if vals else None,
                   "sent": st.get("sent"), "received": st.get("received"), "backend": st.get("backend"),
                   "latency_ms": st.get("latency_ms")}
            emit(row)
            out[n] = row
        a.send({"cmd": "hangup"})
    finally:
        for p in feeders:  # the loop and its paplay: the process group this script started
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            p.wait()
        a.quit()
        b.quit()
        srv.stop()
        stop(pulse)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, a shorter call")
    ap.add_argument("--only", choices=["delay", "loss", "cpu"], action="append")
    ap.add_argument("--allow-debug", action="store_true")
    ap.add_argument("--out", help="also write the JSON lines to this file")
    args = ap.parse_args()
    ok, bt = rb.build_type_ok(h.PARLEYD)
    if not ok and not args.allow_debug:
        log(f"refusing a {bt} build: benchmarks need Release or RelWithDebInfo")
        return 2
    for tool in ("pulseaudio", "paplay", "parecord", "espeak-ng", "sox"):
        if not shutil.which(tool):
            log(f"{tool} is not installed (scripts/install-deps.sh)")
            return 2
    only = args.only or ["delay", "loss", "cpu"]
    m = rb.machine()
    emit({"machine": m, "build": bt, "quick": args.quick})
    tmp = h.tmpdir()
    try:
        speech = h.speech_wav(tmp, "speech", "The quick brown fox jumps over the lazy dog. Parley keeps a call "
                              "clear when the network loses one packet in ten, one at a time or in bursts.")
        speech_b = h.speech_wav(tmp, "speech-b", "Seven silver spoons sat quietly on a wooden shelf, "
                                "while the kettle sang in the kitchen.")
        if "delay" in only:
            log("5. mouth-to-ear delay")
            short = h.speech_wav(tmp, "short", "The quick brown fox jumps over the lazy dog.")
            w0, s0 = time.monotonic(), rb.machine_times()[1]
            d = bench_delay(tmp, short, 3 if args.quick else 7)
            steal = rb.steal_share(w0, s0)
            emit({"item": "delay_steal", "steal_pct_of_one_core": steal})
            log(f"   the hypervisor took {steal:.1f}% of a core meanwhile (steal time; real-time sound suffers)")
            log(f"   self-check: PulseAudio's loopback held at 60 ms measured {d['selfcheck_ms']} ms")
            for k, _, _ in DELAY_RUNS:
                v = d[k]
                log(f"   B {k}: mouth-to-ear median {v[0]:.1f} ms (min {v[1]:.1f}, max {v[2]:.1f}); "
                    f"B's breakdown {v[3]}; A's {v[4]}")
        if "loss" in only:
            log("6. quality under loss")
            w0, s0 = time.monotonic(), rb.machine_times()[1]
            r = bench_loss(tmp, speech, [8] if args.quick else [8, 9])
            steal = rb.steal_share(w0, s0)
            emit({"item": "loss_steal", "steal_pct_of_one_core": steal})
            log(f"   the hypervisor took {steal:.1f}% of a core meanwhile (steal time)")
            log(f"   {'loss':9} " + " ".join(f"{c + ' segSNR LSD tracked delay jb':>36}" for c in CHAINS))
            for loss in LOSSES:
                cells = []
                for c in CHAINS:
                    rows = r[(c, loss)]
                    sn = statistics.mean(x["segsnr_db"] for x in rows)
                    ls = statistics.mean(x["lsd_db"] for x in rows)
                    dl = statistics.mean(x["delay_ms"] for x in rows)
                    jb = statistics.mean((x["jb_latency_ms"] or 0) for x in rows)
                    ts = statistics.mean(x["tracked_segsnr_db"] for x in rows)
                    tl = statistics.mean(x["tracked_lsd_db"] for x in rows)
                    cells.append(f"{sn:6.1f} {ls:5.2f} {ts:5.1f}/{tl:4.2f} {dl:6.1f} {jb:6.1f}")
                    emit({"item": "loss_mean", "chain": c, "loss": loss, "segsnr_db": round(sn, 2),
                          "lsd_db": round(ls, 3), "tracked_segsnr_db": round(ts, 2), "tracked_lsd_db": round(tl, 3),
                          "align_delay_ms": round(dl, 2), "jb_latency_ms": round(jb, 1), "runs": len(rows)})
                log(f"   {loss:9} " + " ".join(f"{x:>36}" for x in cells))
        if "cpu" in only:
            log("7. CPU per call")
            c = bench_cpu(tmp, speech, speech_b, 8 if args.quick else 20)
            for n, row in c.items():
                log(f"   {n}: process {row['process_core_fraction'] * 100:.1f}% of a core, audio thread "
                    f"{row['audio_thread_cpu_pct_median']}% (median), sent {row['sent']} received {row['received']}")
    finally:
        h.cleanup(tmp)
    emit({"summary": {"seconds": round(time.monotonic() - T0, 1)}})
    if args.out:
        with open(args.out, "w") as f:
            f.writelines(json.dumps(x) + "\n" for x in LINES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
