#!/usr/bin/env bash
# Installs the Debian packages forgewire needs to build, test, package and benchmark. Idempotent; run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(
    build-essential cmake ninja-build pkg-config clang-format
    qt6-base-dev qt6-websockets-dev qt6-httpserver-dev qt6-svg-dev libqt6sql6-sqlite qtkeychain-qt6-dev
    qt6-l10n-tools qt6-tools-dev qt6-translations-l10n
    libgl-dev libsqlite3-dev libhiredis-dev redis-server redis-sentinel
    xvfb trayer xauth x11-apps dbus-x11 imagemagick curl
    clang libclang-rt-14-dev llvm
    chromium nodejs
    dpkg-dev fakeroot lintian desktop-file-utils appstream file
)
# The browser test (tests/browser) drives Chromium with node; Debian's npm package is only needed
# where node came without npm (a NodeSource nodejs ships its own and conflicts with it).
command -v npm >/dev/null 2>&1 || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# playwright-core, pinned by tests/browser/package-lock.json; it drives the Chromium installed above
# and downloads no browser of its own.
lock=tests/browser/package-lock.json
installed=tests/browser/node_modules/.package-lock.json
if [[ ! -f "$installed" || "$lock" -nt "$installed" ]]; then
    npm ci --prefix tests/browser --ignore-scripts --no-audit --no-fund --loglevel=error
fi
