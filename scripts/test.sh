#!/usr/bin/env bash
# Runs every parley test: installs what is missing (scripts/install-deps.sh: nothing when it is all
# there), builds with AddressSanitizer and UndefinedBehaviorSanitizer in
# build-asan/ and runs the unit, tool and integration tests with ctest; then builds the libFuzzer
# targets, fuzzes each for a few seconds and replays every committed corpus (scripts/fuzz.sh).
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPARLEY_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir build-asan --output-on-failure -j"$jobs"

bash scripts/fuzz.sh run "${PARLEY_FUZZ_SECONDS:-10}"
