#!/bin/sh
# Runs a test binary on a private Xvfb display with trayer as the XEmbed system tray, the way a
# desktop session without StatusNotifier support hosts forgewire-tray.
# Usage: run-under-xvfb.sh <test binary> [test arguments...]
set -u
test_binary="$1"
shift

for tool in Xvfb trayer; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        # The test sees this and skips with the reason instead of failing.
        export FORGEWIRE_XVFB_MISSING="$tool is not installed (Debian: apt-get install xvfb trayer)"
        export QT_QPA_PLATFORM=offscreen
        exec "$test_binary" "$@"
    fi
done

work=$(mktemp -d)
xvfb_pid=""
trayer_pid=""
# Bounded: a helper that ignores SIGTERM must not keep the test (and CTest, which waits for every
# process holding its output pipe) until the timeout.
stop() {
    [ -n "$1" ] || return 0
    kill "$1" 2>/dev/null
    for _ in $(seq 40); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.05
    done
    kill -9 "$1" 2>/dev/null
}
cleanup() {
    stop "$trayer_pid"
    stop "$xvfb_pid"
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# -displayfd picks a free display number and writes it once the server accepts clients.
# Their output goes to files, not to CTest's pipe (see stop()).
Xvfb -displayfd 3 -screen 0 800x600x24 -nolisten tcp 3>"$work/display" >"$work/xvfb.log" 2>&1 </dev/null &
xvfb_pid=$!
for _ in $(seq 100); do
    [ -s "$work/display" ] && break
    sleep 0.05
done
if [ ! -s "$work/display" ]; then
    echo "Xvfb did not start:" >&2
    cat "$work/xvfb.log" >&2
    exit 1
fi
DISPLAY=":$(cat "$work/display")"
export DISPLAY

trayer --edge top --align right --widthtype request --height 32 --SetDockType true \
    --transparent false --tint 0x303030 --expand true >"$work/trayer.log" 2>&1 </dev/null &
trayer_pid=$!

# A StatusNotifier host on some session bus would take the icon away from trayer; D-Bus
# notifications would bypass the tray balloon this test wants to see. Not merely unset: with DISPLAY
# set and no address, libdbus autolaunches a session bus for the display (dbus-x11), a daemon that
# outlives the test and holds CTest's output pipe until the test times out. "disabled:" never connects.
export DBUS_SESSION_BUS_ADDRESS=disabled:
export QT_QPA_PLATFORM=xcb
export XDG_CONFIG_HOME="$work/config"
"$test_binary" "$@"
status=$?
exit $status
