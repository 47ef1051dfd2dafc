#!/usr/bin/env bash
# Installs the Debian packages forgewire needs to build, test and benchmark. Idempotent; run as root.
set -euo pipefail
packages=(
    build-essential cmake ninja-build pkg-config clang-format
    qt6-base-dev qt6-websockets-dev qt6-httpserver-dev qt6-svg-dev libqt6sql6-sqlite qtkeychain-qt6-dev
    qt6-l10n-tools qt6-tools-dev qt6-translations-l10n
    libgl-dev libhiredis-dev redis-server
    xvfb trayer xauth x11-apps dbus-x11 imagemagick curl
    clang libclang-rt-14-dev llvm
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
