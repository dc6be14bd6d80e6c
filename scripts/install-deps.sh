#!/usr/bin/env bash
# Installs what parley needs to build and test on Debian 12, and nothing that is already there.
# Run as root (or with sudo available). Safe to run again.
set -euo pipefail

pkgs=(
  build-essential cmake pkg-config          # toolchain
  libevent-dev libssl-dev libsodium-dev      # event loop + TLS bufferevents, TLS, Argon2id/AEAD
  libopus-dev libsqlite3-dev libsndfile1-dev # codec, storage, WAV files
  libncurses-dev                             # the terminal UI
  libjansson-dev                             # the client's JSON mode
  libspeexdsp-dev libpulse-dev               # voice: echo canceller, noise suppression, resampler; sound devices
  openssl                                    # the CLI, to inspect certificates by hand
  clang libclang-rt-14-dev                   # libFuzzer targets and sanitizers
  python3 espeak-ng sox tmux                 # integration tests: drivers, test speech, the TUI
  tshark iproute2                            # integration tests: what crosses the wire; IPv6 lab
  pulseaudio pulseaudio-utils               # integration tests: a real sound server with a null sink
  man-db                                     # integration tests: the man pages render (man -l)
  python3-cryptography                       # integration tests: open sealed media as a test
  stun-client coturn                         # integration tests: real STUN clients and a STUN server
  nftables                                   # integration tests: the NAT lab's routers (tests/integration/natlab.py)
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything parley needs is already installed."
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
