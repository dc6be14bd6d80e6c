#!/usr/bin/env python3
"""Self-test of audiocmp: real espeak-ng speech, real sox edits, real Opus through parley's codec.

usage: test_audiocmp.py [PATH/TO/audiocmp]   (default: $AUDIOCMP, else ./audiocmp)

Checks that audiocmp finds known delays to the sample, passes a delayed copy and a delayed Opus
decode (with --opus-ref), and fails a different sentence and white noise under the same
thresholds; that --track-ms follows a delay that moves midway (as time-scaling makes it) where one
alignment cannot, and still fails a different sentence; also its usage and file errors (exit 2). Prints every measurement and a closing
"N passed, N failed"; exits 1 on any failure, 77 (skipped) when espeak-ng or sox is missing.
Audio lives in a mktemp -d directory removed at exit; nothing is written elsewhere.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

RATE = 48000
MIN_SEGSNR = 20.0
MAX_LSD = 2.0
PAD_S = 0.37
PAD_SAMPLES = round(PAD_S * RATE)  # 17760
OPUS_LOOKAHEAD = 312               # Opus at 48 kHz: 6.5 ms algorithmic delay
KEYS = ["delay_samples", "delay_ms", "correlation", "segsnr_db", "lsd_db", "frames", "pass"]

SPEECH = ("The quick brown fox jumps over the lazy dog. Parley carries voices between people "
          "who run their own server, and we check that every word arrives.")
OTHER = ("Seven silver spoons lay on the wooden table near the window, and nobody in the "
         "house could say where they had come from.")

passed = 0
failed = 0


def result(ok, name, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)


def sh(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def audiocmp(*args):
    """Runs audiocmp; returns (exit code, parsed JSON or None, stderr, seconds)."""
    t0 = time.monotonic()
    p = subprocess.run([AUDIOCMP, *args], capture_output=True, text=True)
    dt = time.monotonic() - t0
    out = None
    lines = p.stdout.strip().splitlines()
    if lines:
        try:
            out = json.loads(lines[-1])
        except json.JSONDecodeError:
            out = None
    return p.returncode, out, p.stderr.strip(), dt


def fmt(j, dt):
    if j is None:
        return "no JSON"
    return (f"delay {j['delay_samples']} samples ({j['delay_ms']} ms), corr {j['correlation']}, "
            f"segSNR {j['segsnr_db']} dB, LSD {j['lsd_db']} dB, {j['frames']} frames, "
            f"pass {str(j['pass']).lower()}, {dt * 1000:.0f} ms")


def compare(name, ref, test, *extra, want_rc, want_delay=None, delay_tol=1, thresholds=True):
    """One comparison; checks exit code, JSON shape and (optionally) the delay found."""
    args = ["--ref", ref, "--test", test, *extra]
    if thresholds:
        args += ["--min-segsnr", str(MIN_SEGSNR), "--max-lsd", str(MAX_LSD)]
    rc, j, err, dt = audiocmp(*args)
    problems = []
    keys = KEYS[:-1] + ["lag_min_ms", "lag_max_ms", "pass"] if "--track-ms" in extra else KEYS
    if j is None or list(j.keys()) != keys:
        problems.append(f"stdout is not the expected JSON line (keys {list(j) if j else None})")
    if rc != want_rc:
        problems.append(f"exit {rc}, expected {want_rc}" + (f" ({err})" if err else ""))
    if j is not None and rc in (0, 1) and j.get("pass") != (rc == 0):
        problems.append("\"pass\" disagrees with the exit code")
    if j is not None and want_delay is not None and abs(j["delay_samples"] - want_delay) > delay_tol:
        problems.append(f"delay {j['delay_samples']}, expected {want_delay} +- {delay_tol}")
    detail = fmt(j, dt) + ("; " + "; ".join(problems) if problems else "")
    result(not problems, name, detail)
    return j, dt


def expect_usage_error(name, *args):
    rc, _, err, _ = audiocmp(*args)
    ok = rc == 2 and len(err) > 0
    result(ok, name, f"exit {rc}, stderr: {err or '(empty)'}")


def speech(tmp, name, text):
    raw = os.path.join(tmp, name + "_raw.wav")
    out = os.path.join(tmp, name + ".wav")
    # exactly as docs/TESTING.md says
    sh("espeak-ng", "-v", "en-us", "-s", "150", "-w", raw, text)
    sh("sox", raw, "-r", "48000", "-c", "1", "-b", "16", "-e", "signed-integer", out,
       "gain", "-n", "-3", "rate", "-v")
    return raw, out


def seconds(path):
    p = subprocess.run(["soxi", "-D", path], capture_output=True, text=True, check=True)
    return float(p.stdout)


def main(tmp):
    p = lambda n: os.path.join(tmp, n)  # noqa: E731

    raw, ref = speech(tmp, "speech", SPEECH)
    _, other = speech(tmp, "other", OTHER)
    print(f"speech: {seconds(ref):.2f} s, other sentence: {seconds(other):.2f} s", flush=True)
    sh("sox", ref, p("delayed.wav"), "pad", str(PAD_S))
    sh("sox", ref, p("early.wav"), "trim", "0.05")  # TEST 50 ms ahead of REF
    sh("sox", "-n", "-r", "48000", "-c", "1", "-b", "16", p("noise.wav"),
       "synth", "12", "whitenoise", "vol", "0.3")
    sh("sox", "-n", "-r", "48000", "-c", "1", "-b", "16", p("silence.wav"), "trim", "0", "12")
    sh("sox", other, p("other_delayed.wav"), "pad", str(PAD_S))

    # usage and file errors: exit 2 with a sentence on stderr
    expect_usage_error("no arguments is a usage error")
    expect_usage_error("missing --test is a usage error", "--ref", ref)
    expect_usage_error("a non-number threshold is a usage error",
                       "--ref", ref, "--test", ref, "--min-segsnr", "lots")
    expect_usage_error("an unknown option is a usage error", "--ref", ref, "--test", ref, "--x")
    expect_usage_error("a missing file is a file error", "--ref", p("nope.wav"), "--test", ref)
    expect_usage_error("a 22050 Hz file is a file error", "--ref", raw, "--test", ref)

    # right signals
    compare("identical files", ref, ref, want_rc=0, want_delay=0, delay_tol=0)
    rc, j, _, _ = audiocmp("--ref", ref, "--test", ref)
    result(j is not None and j["segsnr_db"] == 35.0 and j["lsd_db"] < 0.001
           and j["correlation"] >= 0.9999,
           "identical files give segSNR 35, LSD ~0, correlation 1",
           fmt(j, 0) if j else "no JSON")
    compare(f"copy delayed {PAD_S} s", ref, p("delayed.wav"), want_rc=0, want_delay=PAD_SAMPLES)
    compare("copy 50 ms early (negative lag)", ref, p("early.wav"), want_rc=0,
            want_delay=-round(0.05 * RATE))
    compare("delay beyond --max-delay-ms 200 is not found and fails", ref, p("delayed.wav"),
            "--max-delay-ms", "200", want_rc=1)

    # Opus path: the receiver's decode of the same stream, delayed
    rc, j, err, dt = audiocmp("--opus-roundtrip", ref, p("opus.wav"))
    n_in, n_out = round(seconds(ref) * RATE), round(seconds(p("opus.wav")) * RATE)
    result(rc == 0 and n_out % 960 == 0 and 0 <= n_out - n_in < 960,
           "--opus-roundtrip writes whole 960-sample frames",
           f"exit {rc}, {n_in} -> {n_out} samples, {j}, {dt * 1000:.0f} ms {err}")
    sh("sox", p("opus.wav"), p("opus_delayed.wav"), "pad", str(PAD_S))
    j, t_opus = compare("Opus decode delayed, with --opus-ref", ref, p("opus_delayed.wav"),
                        "--opus-ref", want_rc=0, want_delay=PAD_SAMPLES)
    compare("Opus decode delayed, against the original (no --opus-ref) fails: Opus does not "
            "keep the waveform", ref, p("opus_delayed.wav"), want_rc=1,
            want_delay=PAD_SAMPLES + OPUS_LOOKAHEAD, delay_tol=48)

    # wrong signals must fail the same thresholds
    compare("different sentence", ref, p("other_delayed.wav"), want_rc=1)
    compare("different sentence, with --opus-ref", ref, p("other_delayed.wav"), "--opus-ref",
            want_rc=1)
    compare("white noise", ref, p("noise.wav"), want_rc=1)
    compare("white noise, with --opus-ref", ref, p("noise.wav"), "--opus-ref", want_rc=1)
    compare("silence (nothing delivered)", ref, p("silence.wav"), "--opus-ref", want_rc=1)

    # A delay that changes midway, as an adaptive jitter buffer's does when it time-scales: 15 ms
    # of silence put in at 1.5 s, 10 ms taken out at 3 s. One global alignment misjudges it;
    # --track-ms follows it, and still fails a wrong sentence.
    sh("sox", ref, p("part1.wav"), "trim", "0", "1.5")
    sh("sox", ref, p("part2.wav"), "trim", "1.5", "1.5")
    sh("sox", ref, p("part3.wav"), "trim", "3.01")
    sh("sox", "-n", "-r", "48000", "-c", "1", "-b", "16", "-e", "signed-integer", p("gap.wav"), "trim", "0", "0.015")
    sh("sox", p("part1.wav"), p("gap.wav"), p("part2.wav"), p("part3.wav"), p("scaled.wav"), "pad", str(PAD_S))
    one, _ = compare("a delay that moves by +15 then -10 ms, one alignment", ref, p("scaled.wav"),
                     want_rc=0, want_delay=PAD_SAMPLES, delay_tol=round(0.016 * RATE), thresholds=False)
    j, _ = compare("the same with --track-ms 30: passes", ref, p("scaled.wav"), "--track-ms", "30", want_rc=0)
    ok = j is not None and one is not None and j["segsnr_db"] >= 33 and j["lsd_db"] <= 0.3 \
        and one["segsnr_db"] <= j["segsnr_db"] - 5 and one["lsd_db"] >= j["lsd_db"] + 0.5
    result(ok, "tracked, the sound is judged as it is (segSNR >= 33, LSD <= 0.3); one alignment judges where it "
           "landed (5 dB and 0.5 dB worse)", f"one: {fmt(one, 0) if one else None}; tracked: {fmt(j, 0) if j else None}")
    ok = j is not None and abs(j.get("lag_min_ms", 0) - PAD_S * 1000) <= 4 \
        and abs(j.get("lag_max_ms", 0) - (PAD_S * 1000 + 15)) <= 4
    result(ok, "--track-ms reports the delays the recording took (370 and 385 ms)",
           f"lag_min_ms {j.get('lag_min_ms') if j else None}, lag_max_ms {j.get('lag_max_ms') if j else None}")
    compare("different sentence with --track-ms 30 still fails", ref, p("other_delayed.wav"), "--track-ms", "30",
            want_rc=1)
    expect_usage_error("--track-ms 0 is a usage error", "--ref", ref, "--test", ref, "--track-ms", "0")

    # no thresholds given: always passes, but still measures
    compare("no thresholds: measures and passes", ref, p("noise.wav"), want_rc=0,
            thresholds=False)
    print(f"timing: --opus-ref comparison of {seconds(ref):.1f} s of speech took "
          f"{t_opus * 1000:.0f} ms", flush=True)


if __name__ == "__main__":
    AUDIOCMP = os.path.abspath(sys.argv[1] if len(sys.argv) > 1
                               else os.environ.get("AUDIOCMP", "./audiocmp"))
    if not os.access(AUDIOCMP, os.X_OK):
        print(f"test_audiocmp: {AUDIOCMP} is not an executable; build audiocmp and pass its "
              "path as the first argument.", file=sys.stderr)
        sys.exit(2)
    missing = [t for t in ("espeak-ng", "sox", "soxi") if shutil.which(t) is None]
    if missing:
        print(f"SKIP: {', '.join(missing)} not installed (apt-get install espeak-ng sox)")
        sys.exit(77)
    # a ctest timeout sends SIGTERM: leave through SystemExit so the temp directory goes too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="audiocmp-test.") as tmpdir:
        try:
            main(tmpdir)
        except subprocess.CalledProcessError as e:
            result(False, "preparing audio",
                   f"{' '.join(map(str, e.cmd))} exited {e.returncode}: "
                   f"{e.stderr.decode(errors='replace').strip() if e.stderr else ''}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 and passed > 0 else 1)
