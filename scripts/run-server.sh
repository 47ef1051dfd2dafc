#!/usr/bin/env bash
# Builds forgewire-server and runs it on its embedded default: in-memory fan-out + SQLite state.
# Clients: ws://localhost:8080/-/ws   Publish API: http://127.0.0.1:8081   (see README.md)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DFORGEWIRE_BUILD_TESTS=OFF \
    -DFORGEWIRE_BUILD_BENCH=OFF -DFORGEWIRE_BUILD_TRAY=OFF
cmake --build build/release --target forgewire-server
mkdir -p var
exec build/release/server/forgewire-server --config resources/forgewire-dev.ini "$@"
