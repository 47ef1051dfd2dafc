#!/usr/bin/env bash
# Publishes/s through a Redis Cluster of 1 shard and of 3 shards (README "Multi-node with Redis"),
# in the same run, with a single Redis (redis://) as the reference. Each cluster is cluster-enabled
# redis-servers on loopback, slots split evenly, no replicas; one forgewire-server (Release) runs the
# load generator's unicast scenario against it (retained notification counts to random users, each a
# state write to the user's shard): batches of 200 with 4 in flight (throughput), and single
# publishes one at a time (each publish's round trip).
#
#   tests/bench/run-cluster.sh        # ~1 minute on two cores
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
log() { echo "[cluster] $*" >&2; }

log "building forgewire-server and forgewire-bench (Release) in $BUILD_DIR"
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFORGEWIRE_BUILD_TRAY=OFF \
    -DFORGEWIRE_BUILD_TESTS=OFF -DFORGEWIRE_BUILD_BENCH=ON >/dev/null
ninja -C "$BUILD_DIR" -j2 forgewire-server forgewire-bench >/dev/null
BENCH=$BUILD_DIR/tests/bench/forgewire-bench
SERVER=$BUILD_DIR/server/forgewire-server

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# A cluster node also listens on its port + 10000 (the cluster bus): at most 55535, both free.
free_cluster_port() {
    python3 -c '
import socket
while True:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
    if port > 55535: continue
    try:
        b = socket.socket(); b.bind(("127.0.0.1", port + 10000)); print(port); break
    except OSError: pass'
}
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

redis() { # port [extra arguments...]
    local port=$1
    shift
    mkdir -p "$WORK/$port"
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK/$port" "$@" \
        >"$WORK/$port/log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 50); do
        [[ $(redis-cli -p "$port" ping 2>/dev/null) == PONG ]] && return
        sleep 0.1
    done
    log "redis-server on :$port did not start"
    exit 1
}

CLUSTER_URL=
cluster() { # shards; sets CLUSTER_URL (not a subshell: its servers must be in PIDS)
    local shards=$1 ports=() share first last i
    for ((i = 0; i < shards; i++)); do
        ports+=("$(free_cluster_port)")
        redis "${ports[i]}" --cluster-enabled yes --cluster-config-file nodes.conf \
            --cluster-require-full-coverage no
    done
    share=$((16384 / shards))
    for ((i = 0; i < shards; i++)); do
        first=$((i * share))
        last=$((i == shards - 1 ? 16383 : first + share - 1))
        redis-cli -p "${ports[i]}" cluster addslotsrange "$first" "$last" >/dev/null
        ((i > 0)) && redis-cli -p "${ports[i]}" cluster meet 127.0.0.1 "${ports[0]}" >/dev/null
    done
    for port in "${ports[@]}"; do
        for _ in $(seq 100); do
            info=$(redis-cli -p "$port" cluster info)
            grep -q cluster_slots_assigned:16384 <<<"$info" && grep -q "cluster_known_nodes:$shards" <<<"$info" &&
                grep -q cluster_state:ok <<<"$info" && break
            sleep 0.1
        done
    done
    CLUSTER_URL=redis-cluster://
    for port in "${ports[@]}"; do CLUSTER_URL+="127.0.0.1:$port,"; done
    CLUSTER_URL=${CLUSTER_URL%,}
}

flush() { # engine URL: every server it names
    local servers=${1#*://}
    servers=${servers%%/*}
    for server in ${servers//,/ }; do redis-cli -p "${server##*:}" flushall >/dev/null; done
}

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
        flush "$url"
        line=$("$BENCH" --scenario unicast --connections "$USERS" --duration-ms "$DURATION_MS" --batch "$1" \
            --window "$2" --port "$port" --admin-port "$admin" --jwt-secret "$JWT_SECRET" \
            --publisher-secret "$PUBLISHER_SECRET" --pid "$pid" | grep '^RESULT' || true)
        published=$(grep -o 'published=[0-9]*' <<<"$line" | cut -d= -f2)
        printf '%-28s batch %3s, %s in flight: publishes/s=%s %s\n' "$label" "$1" "$2" \
            "$((${published:-0} * 1000 / DURATION_MS))" "${line#RESULT scenario=unicast }"
    done
    kill "$pid"
    wait "$pid" 2>/dev/null || true
}

SINGLE=$(free_port)
redis "$SINGLE"
cluster 1
ONE=$CLUSTER_URL
cluster 3
THREE=$CLUSTER_URL
log "single :$SINGLE, 1-shard $ONE, 3-shard $THREE; $USERS users, ${DURATION_MS} ms per run"
run "redis:// (one Redis)" "redis://127.0.0.1:$SINGLE/0"
run "redis-cluster://, 1 shard" "$ONE"
run "redis-cluster://, 3 shards" "$THREE"
