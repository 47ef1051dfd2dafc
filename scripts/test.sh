#!/usr/bin/env bash
# Builds everything and runs the whole QtTest suite through CTest (real sockets on loopback,
# a real redis-server, Xvfb for the tray), then the format check.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=Debug -DFORGEWIRE_BUILD_BENCH=OFF
cmake --build build/test -j "$(nproc)"
ulimit -n 20000 2>/dev/null || true
ctest --test-dir build/test --output-on-failure -j 1 --timeout 300
