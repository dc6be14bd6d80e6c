#!/usr/bin/env bash
# Installs what is missing, builds parley in build/, and starts parleyd in the foreground on its
# embedded defaults: TLS and voice on port 7787, SQLite and a self-signed certificate (made on
# first start) in ~/.local/share/parleyd. Extra arguments go to parleyd (see parleyd --help).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target parleyd parley-client
exec ./build/parleyd "$@"
