#!/usr/bin/env bash
# Builds everything and runs the whole QtTest suite through CTest (real sockets on loopback,
# real redis-server and redis-sentinel processes, Xvfb for the tray), the format check and a short smoke run of every fuzz harness.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=Debug -DFORGEWIRE_BUILD_BENCH=OFF
cmake --build build/test -j "$(nproc)"
ulimit -n 20000 2>/dev/null || true
ctest --test-dir build/test --output-on-failure -j 1 --timeout 300
cmake --build build/test --target format-check
# Keeps the libFuzzer harnesses building and running (build/fuzz, clang++ with ASan+UBSan).
bash tests/fuzz/run-fuzzers.sh 10
