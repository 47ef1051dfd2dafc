# Sourced by the Redis engine benches (run-replica-wait.sh, run-cluster.sh): builds forgewire-server and
# forgewire-bench (Release), cleans up every process they started, and runs one engine through the
# load generator's unicast scenario. Before sourcing, set LOG_TAG; before run(), define
# `flush URL` (empties what the engine at URL stores, so no run starts with another's retained counts).
#
# Env: BUILD_DIR (default <repo>/build-bench), USERS (default 1000), DURATION_MS (default 5000).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
USERS=${USERS:-1000}
DURATION_MS=${DURATION_MS:-5000}
JWT_SECRET=bench-jwt-secret
PUBLISHER_SECRET=bench-publisher-secret
log() { echo "[$LOG_TAG] $*" >&2; }

log "building forgewire-server and forgewire-bench (Release) in $BUILD_DIR"
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFORGEWIRE_BUILD_TRAY=OFF \
    -DFORGEWIRE_BUILD_TESTS=OFF -DFORGEWIRE_BUILD_BENCH=ON >/dev/null
ninja -C "$BUILD_DIR" -j2 forgewire-server forgewire-bench >/dev/null
BENCH=$BUILD_DIR/tests/bench/forgewire-bench
SERVER=$BUILD_DIR/server/forgewire-server

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# One node on `url`, then batches of 200 with 4 in flight (throughput) and single publishes one at a
# time (each publish's round trip); one line each.
run() { # label engine-url
    local label=$1 url=$2 port admin pid line published
    port=$(free_port) admin=$(free_port)
    "$SERVER" --listen 127.0.0.1 --port "$port" --admin-port "$admin" --jwt-secret "$JWT_SECRET" \
        --publisher-secret "$PUBLISHER_SECRET" --engine "$url" --log-level warning \
        --max-connections-per-address 20000 >>"$WORK/server.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$admin/readyz") == 200 ]] && break
        sleep 0.1
    done
    for shape in "200 4" "1 1"; do
        set -- $shape
        flush "$url"
        line=$("$BENCH" --scenario unicast --connections "$USERS" --duration-ms "$DURATION_MS" --batch "$1" \
            --window "$2" --port "$port" --admin-port "$admin" --jwt-secret "$JWT_SECRET" \
            --publisher-secret "$PUBLISHER_SECRET" --pid "$pid" | grep '^RESULT' || true)
        published=$(grep -o 'published=[0-9]*' <<<"$line" | cut -d= -f2)
        printf '%-34s batch %3s, %s in flight: publishes/s=%s %s\n' "$label" "$1" "$2" \
            "$((${published:-0} * 1000 / DURATION_MS))" "${line#RESULT scenario=unicast }"
    done
    kill "$pid"
    wait "$pid" 2>/dev/null || true
}
