#!/usr/bin/env bash
# What it costs a publish to wait for a Redis replica (wait_replicas, README "Multi-node with Redis").
# One forgewire-server (Release) on a Redis primary with one replica and one sentinel, all on loopback,
# three ways in the same run: redis:// straight to the primary, redis-sentinel:// with wait_replicas=0,
# and redis-sentinel:// with wait_replicas=1 (the default). Each runs the load generator's unicast
# scenario (retained notification counts to random users, every one a state write) twice: batches of
# 200 with 4 in flight (throughput), and single publishes one at a time (each publish's round trip).
#
#   tests/bench/run-replica-wait.sh        # ~1 minute on two cores
#
# Env: BUILD_DIR (default <repo>/build-bench), USERS (default 1000), DURATION_MS (default 5000).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
USERS=${USERS:-1000}
DURATION_MS=${DURATION_MS:-5000}
JWT_SECRET=bench-jwt-secret
PUBLISHER_SECRET=bench-publisher-secret
log() { echo "[replica-wait] $*" >&2; }

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

PRIMARY=$(free_port) REPLICA=$(free_port) SENTINEL=$(free_port)
redis-server --port "$PRIMARY" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" \
    --repl-diskless-sync-delay 0 >"$WORK/primary.log" 2>&1 &
PIDS+=($!)
sleep 0.3
redis-server --port "$REPLICA" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" \
    --replicaof 127.0.0.1 "$PRIMARY" >"$WORK/replica.log" 2>&1 &
PIDS+=($!)
printf 'port %s\nbind 127.0.0.1\ndir %s\nsentinel monitor fwbench 127.0.0.1 %s 1\n' \
    "$SENTINEL" "$WORK" "$PRIMARY" >"$WORK/sentinel.conf"
redis-sentinel "$WORK/sentinel.conf" >"$WORK/sentinel.log" 2>&1 &
PIDS+=($!)
# Streaming to the replica starts with its first acknowledgement: wait until a write's WAIT succeeds.
for _ in $(seq 100); do
    redis-cli -p "$PRIMARY" set fw:bench:replicated 1 >/dev/null 2>&1 || true
    [[ $(redis-cli -p "$PRIMARY" wait 1 100 2>/dev/null) == 1 ]] && break
    sleep 0.1
done

run() { # label engine-url
    local label=$1 url=$2 port admin pid line
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
        # No retained counts from the run before: a client would get one after hello, counted as a delivery.
        redis-cli -p "$PRIMARY" flushall >/dev/null
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

log "primary :$PRIMARY, replica :$REPLICA, sentinel :$SENTINEL; $USERS users, ${DURATION_MS} ms per run"
run "redis:// (primary)" "redis://127.0.0.1:$PRIMARY/0"
run "redis-sentinel://, wait_replicas=0" "redis-sentinel://127.0.0.1:$SENTINEL/fwbench?wait_replicas=0"
run "redis-sentinel://, wait_replicas=1" "redis-sentinel://127.0.0.1:$SENTINEL/fwbench"
log "WAIT calls on the primary: $(redis-cli -p "$PRIMARY" info commandstats | grep -o 'cmdstat_wait:calls=[0-9]*' || echo none)"
