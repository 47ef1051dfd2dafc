#!/usr/bin/env bash
# tst_packages: builds the Debian packages (scripts/package.sh: Release, build/package, reused when
# up to date), unpacks them into a scratch root with dpkg -x, and checks what an install would give:
# the files in their places, lintian without errors, the maintainer scripts (run against the scratch
# root, with the commands that would change this host's users or systemd replaced by loggers), and
# the installed server started from its unit's ExecStart answering /healthz 200.
# Nothing outside the scratch directory and the build directory is touched.
set -euo pipefail
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=${FORGEWIRE_PACKAGE_BUILD_DIR:-$source_dir/build/package}

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
step() { echo "--- $*"; }

for tool in dpkg-deb dpkg-shlibdeps dpkg-buildflags lintian desktop-file-validate curl man col; do
    command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/install-deps.sh"
done

scratch=$(mktemp -d /tmp/forgewire-packages.XXXXXX)
server_pid=
cleanup() {
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$scratch"
}
trap cleanup EXIT

step "build the packages ($build_dir)"
SKIP_DEPS=1 BUILD_DIR="$build_dir" bash "$source_dir/scripts/package.sh" >"$scratch/package.log" 2>&1 ||
    { tail -40 "$scratch/package.log"; fail "scripts/package.sh failed"; }
version=$(sed -n 's/^project(Forgewire VERSION \([0-9.]*\).*/\1/p' "$source_dir/CMakeLists.txt")
[[ -n $version ]] || fail "no version in CMakeLists.txt"
server_deb=$(ls "$build_dir"/forgewire-server_"$version"-1_*.deb)
tray_deb=$(ls "$build_dir"/forgewire-tray_"$version"-1_*.deb)
echo "$server_deb"
echo "$tray_deb"

step "control fields"
field() { dpkg-deb -f "$1" "$2"; }
[[ $(field "$server_deb" Package) == forgewire-server ]] || fail "server package name"
[[ $(field "$tray_deb" Package) == forgewire-tray ]] || fail "tray package name"
[[ $(field "$server_deb" Version) == "$version-1" ]] || fail "server version $(field "$server_deb" Version)"
server_depends=$(field "$server_deb" Depends)
tray_depends=$(field "$tray_deb" Depends)
echo "forgewire-server Depends: $server_depends"
echo "forgewire-tray Depends: $tray_depends"
# dpkg-shlibdeps ran (Qt and libc come from it), the plugin dependencies were added by hand, and
# the server pulls in nothing graphical.
for dep in libc6 libqt6core6 libqt6network6 libqt6sql6 libqt6sql6-sqlite adduser; do
    grep -Eq "(^|, )$dep( |,|$)" <<<"$server_depends" || fail "forgewire-server does not depend on $dep"
done
if grep -Eq 'libqt6(gui|widgets|dbus|svg)|libx11|libgl|keychain' <<<"$server_depends"; then
    fail "forgewire-server depends on a GUI library: $server_depends"
fi
for dep in libqt6widgets6 libqt6gui6 libqt6dbus6 libqt6svg6 qt6-qpa-plugins; do
    grep -Eq "(^|, )$dep( |,|$)" <<<"$tray_depends" || fail "forgewire-tray does not depend on $dep"
done

step "lintian"
# Errors fail the test; warnings are shown. Overrides, if ever needed, ship in the package with a reason.
lintian --fail-on error --allow-root --tag-display-limit 0 "$server_deb" "$tray_deb" 2>&1 |
    tee "$scratch/lintian.log" || fail "lintian reports errors (above)"

step "unpack into a scratch root"
root=$scratch/root
dpkg -x "$server_deb" "$root"
dpkg -x "$tray_deb" "$root"
unit=$root/lib/systemd/system/forgewire-server.service
expected=(
    usr/bin/forgewire-server
    lib/systemd/system/forgewire-server.service
    usr/share/forgewire/forgewire.example.ini
    usr/share/man/man1/forgewire-server.1.gz
    usr/share/doc/forgewire-server/copyright
    usr/share/doc/forgewire-server/changelog.Debian.gz
    usr/bin/forgewire-tray
    usr/share/applications/forgewire-tray.desktop
    etc/xdg/autostart/forgewire-tray.desktop
    usr/share/metainfo/org.codeberg.forgewire.tray.metainfo.xml
    usr/share/icons/hicolor/scalable/apps/forgewire-tray.svg
    usr/share/icons/hicolor/scalable/status/forgewire-tray-disconnected.svg
    usr/share/icons/hicolor/scalable/status/forgewire-tray-reconnecting.svg
    usr/share/man/man1/forgewire-tray.1.gz
    usr/share/doc/forgewire-tray/copyright
    usr/share/doc/forgewire-tray/changelog.Debian.gz
)
for path in "${expected[@]}"; do
    [[ -f $root/$path ]] || fail "$path is not in the packages"
done
# Nothing else: every file of both packages is one of the above.
(cd "$root" && find . -type f -printf '%P\n' | sort) >"$scratch/files"
printf '%s\n' "${expected[@]}" | sort >"$scratch/expected"
diff -u "$scratch/expected" "$scratch/files" || fail "the packages hold other files than expected"
# The server package alone holds only server files.
dpkg-deb -c "$server_deb" | grep -q tray && fail "forgewire-server ships a tray file"
[[ -x $root/usr/bin/forgewire-server && -x $root/usr/bin/forgewire-tray ]] || fail "binaries not executable"

step "--version"
[[ $("$root/usr/bin/forgewire-server" --version) == "forgewire-server $version" ]] || fail "server --version"
[[ $(env -u DISPLAY -u WAYLAND_DISPLAY "$root/usr/bin/forgewire-tray" --version) == "forgewire-tray $version" ]] ||
    fail "tray --version"

step "desktop file and AppStream metadata"
desktop-file-validate "$root/usr/share/applications/forgewire-tray.desktop"
desktop-file-validate "$root/etc/xdg/autostart/forgewire-tray.desktop"
dpkg-deb -I "$tray_deb" conffiles | grep -qx /etc/xdg/autostart/forgewire-tray.desktop ||
    fail "the autostart entry is not a conffile"
metainfo=$root/usr/share/metainfo/org.codeberg.forgewire.tray.metainfo.xml
if command -v appstreamcli >/dev/null; then
    appstreamcli validate --no-net "$metainfo"
else
    xmllint --noout "$metainfo"
fi
grep -q "<release version=\"$version\"" "$metainfo" || fail "metainfo's newest release is not $version"

step "man pages"
for page in forgewire-server forgewire-tray; do
    file=$root/usr/share/man/man1/$page.1.gz
    warnings=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l "$file" 2>&1 >/dev/null)
    [[ -z $warnings ]] || fail "$page(1) has groff warnings: $warnings"
    LC_ALL=C.UTF-8 MANWIDTH=200 man -E UTF-8 -l "$file" 2>/dev/null | col -b >"$scratch/$page.txt"
    grep -q "^NAME" "$scratch/$page.txt" || fail "$page(1) does not render"
done
# Every flag --help shows and every key of the example INI file is in forgewire-server(1).
flags=$("$root/usr/bin/forgewire-server" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u)
[[ $(wc -l <<<"$flags") -gt 20 ]] || fail "forgewire-server --help shows too few flags"
for flag in $flags; do
    grep -q -- "$flag" "$scratch/forgewire-server.txt" || fail "forgewire-server(1) lacks $flag"
done
keys=$(sed -nE 's/^;? ?([a-z_]+)=.*/\1/p' "$root/usr/share/forgewire/forgewire.example.ini" | grep -v '^dev' | sort -u)
[[ $(wc -l <<<"$keys") -gt 20 ]] || fail "too few keys in forgewire.example.ini"
for key in $keys; do
    grep -qE "^ +$key = " "$scratch/forgewire-server.txt" || fail "forgewire-server(1) lacks the setting $key"
done
for flag in $(env -u DISPLAY "$root/usr/bin/forgewire-tray" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
    grep -q -- "$flag" "$scratch/forgewire-tray.txt" || fail "forgewire-tray(1) lacks $flag"
done

step "maintainer scripts against the scratch root"
control=$scratch/control
dpkg-deb -e "$server_deb" "$control"
for script in postinst prerm postrm; do
    [[ -x $control/$script ]] || fail "$script missing or not executable"
done
# The host's users and systemd are not touched: these record how they were called instead.
shims=$scratch/shims
mkdir -p "$shims"
for cmd in adduser chown systemctl; do
    printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\n' "$cmd" "$scratch" >"$shims/$cmd"
    chmod +x "$shims/$cmd"
done
printf '#!/bin/sh\nexit 2\n' >"$shims/getent" # no forgewire user yet
chmod +x "$shims/getent"
run_script() { env PATH="$shims:$PATH" DPKG_ROOT="$root" "$control/$1" "${@:2}"; }

run_script postinst configure
conf=$root/etc/forgewire/forgewire.ini
[[ -f $conf ]] || fail "postinst did not write /etc/forgewire/forgewire.ini"
[[ $(stat -c %a "$conf") == 640 ]] || fail "forgewire.ini mode $(stat -c %a "$conf"), not 640"
[[ $(stat -c %a "$root/var/lib/forgewire") == 750 ]] || fail "/var/lib/forgewire is not 0750"
grep -q "^adduser --system --group .*forgewire$" "$scratch/calls" || fail "no system user created"
grep -q "^chown root:forgewire $conf.dpkg-new$" "$scratch/calls" || fail "forgewire.ini not given to root:forgewire"
grep -q "^chown forgewire:forgewire $root/var/lib/forgewire$" "$scratch/calls" || fail "state dir not given to forgewire"
jwt=$(sed -n 's/^jwt_secret=//p' "$conf")
publisher=$(sed -n 's/^publisher_secret=//p' "$conf")
[[ $jwt =~ ^[0-9a-f]{64}$ && $publisher =~ ^[0-9a-f]{64}$ ]] || fail "secrets not generated: '$jwt' '$publisher'"
[[ $jwt != "$publisher" ]] || fail "the two secrets are the same"
grep -q "^state=/var/lib/forgewire/state.sqlite$" "$conf" || fail "state path not in the config"
# An upgrade keeps the config and its secrets.
checksum=$(sha256sum <"$conf")
run_script postinst configure "$version-1"
[[ $(sha256sum <"$conf") == "$checksum" ]] || fail "an upgrade rewrote forgewire.ini"

step "start the installed server from its unit's ExecStart"
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
[[ $exec_start == "/usr/bin/forgewire-server --config /etc/forgewire/forgewire.ini" ]] ||
    fail "unexpected ExecStart: $exec_start"
grep -q '^User=forgewire$' "$unit" && grep -q '^StateDirectory=forgewire$' "$unit" || fail "unit user/state"
if command -v systemd-analyze >/dev/null; then
    # Every directive known to this systemd (an unknown one, a typo in the hardening, would be
    # silently ignored at run time): verify a copy whose ExecStart points into the scratch root.
    sed "s|^ExecStart=/usr/bin/|ExecStart=$root/usr/bin/|" "$unit" >"$scratch/forgewire-server.service"
    verify=$(systemd-analyze verify --man=no "$scratch/forgewire-server.service" 2>&1) ||
        fail "systemd-analyze verify: $verify"
    [[ -z $verify ]] || fail "systemd-analyze verify: $verify"
fi
# A port no socket on this host uses (/proc/net/tcp lists them in hex): the config's 8080/8081 may be taken.
free_port() {
    local port
    while :; do
        port=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768-)
        if ! grep -qi ":$(printf '%04X' "$port") " /proc/net/tcp /proc/net/tcp6 2>/dev/null && [[ $port != "${1:-}" ]]; then
            echo "$port"
            return
        fi
    done
}
port=$(free_port)
admin_port=$(free_port "$port")
# Paths into the scratch root; loopback and free ports instead of the config's *:8080 / 8081.
command=${exec_start//\/usr\/bin\//$root/usr/bin/}
command=${command//\/etc\/forgewire\//$root/etc/forgewire/}
# shellcheck disable=SC2086 # the unit's command line is split into words the way systemd does for it
$command --listen 127.0.0.1 --port "$port" --admin-port "$admin_port" \
    --state "$root/var/lib/forgewire/state.sqlite" >"$scratch/server.log" 2>&1 &
server_pid=$!
status=
for _ in $(seq 100); do
    status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$admin_port/healthz" || true)
    [[ $status == 200 ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
[[ $status == 200 ]] || { cat "$scratch/server.log"; fail "/healthz answered '$status'"; }
[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$admin_port/readyz") == 200 ]] || fail "/readyz"
# The generated publisher secret is the one the server accepts.
status=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $publisher" -d '{"count":1}' \
    "http://127.0.0.1:$admin_port/api/v1/users/7/notification-count")
[[ $status == 202 ]] || fail "publish with the generated secret answered $status"
kill -TERM "$server_pid"
wait "$server_pid" || fail "server exited with $? after SIGTERM"
server_pid=
[[ -f $root/var/lib/forgewire/state.sqlite ]] || fail "no state in /var/lib/forgewire"

step "purge"
run_script prerm remove
run_script postrm remove
[[ -f $conf ]] || fail "remove (not purge) deleted the config"
run_script postrm purge
[[ ! -e $conf && ! -e $root/etc/forgewire && ! -e $root/var/lib/forgewire ]] || fail "purge left config or state"
echo "PASS"
