#!/usr/bin/env bash
# Builds the Debian packages forgewire-server and forgewire-tray: a Release build with the /usr
# prefix in its own build directory, then CPack (DEB, one package per component, Depends computed
# by dpkg-shlibdeps). Prints the paths of the .deb files.
#
#   bash scripts/package.sh                 # build/package, packages in build/package/*.deb
#   BUILD_DIR=/tmp/fw bash scripts/package.sh
#   NO_TRAY=1 bash scripts/package.sh       # forgewire-server only (no Qt Widgets needed)
set -euo pipefail
cd "$(dirname "$0")/.."
source_dir=$PWD
build_dir=${BUILD_DIR:-build/package}

if [[ ${SKIP_DEPS:-0} != 1 ]]; then
    bash scripts/install-deps.sh
fi

# Debian's hardening flags (stack protector, _FORTIFY_SOURCE, full RELRO, bind now), as a Debian
# build would use them; -g is left out since CPack strips the binaries anyway.
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
cxxflags="$(dpkg-buildflags --get CXXFLAGS | sed 's/\(^\| \)-g\( \|$\)/ /') $(dpkg-buildflags --get CPPFLAGS)"
ldflags=$(dpkg-buildflags --get LDFLAGS)

launcher=()
if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
tray=ON
if [[ ${NO_TRAY:-0} == 1 ]]; then
    tray=OFF
fi
cmake -S "$source_dir" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
    -DCMAKE_CXX_FLAGS="$cxxflags" -DCMAKE_EXE_LINKER_FLAGS="$ldflags" \
    -DFORGEWIRE_BUILD_TRAY="$tray" -DFORGEWIRE_BUILD_TESTS=OFF -DFORGEWIRE_BUILD_BENCH=OFF "${launcher[@]}" >/dev/null
cmake --build "$build_dir" -j "${JOBS:-$(nproc)}"
rm -f "$build_dir"/*.deb
(cd "$build_dir" && cpack -G DEB >/dev/null)
ls -1 "$build_dir"/*.deb
