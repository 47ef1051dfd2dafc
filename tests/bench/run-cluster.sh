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

LOG_TAG=cluster
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/redis-bench-common.sh"

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
