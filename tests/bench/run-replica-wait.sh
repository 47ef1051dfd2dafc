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

LOG_TAG=replica-wait
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/redis-bench-common.sh"

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
# No retained counts from the run before: a client would get one after hello, counted as a delivery.
flush() { redis-cli -p "$PRIMARY" flushall >/dev/null; }

log "primary :$PRIMARY, replica :$REPLICA, sentinel :$SENTINEL; $USERS users, ${DURATION_MS} ms per run"
run "redis:// (primary)" "redis://127.0.0.1:$PRIMARY/0"
run "redis-sentinel://, wait_replicas=0" "redis-sentinel://127.0.0.1:$SENTINEL/fwbench?wait_replicas=0"
run "redis-sentinel://, wait_replicas=1" "redis-sentinel://127.0.0.1:$SENTINEL/fwbench"
log "WAIT calls on the primary: $(redis-cli -p "$PRIMARY" info commandstats | grep -o 'cmdstat_wait:calls=[0-9]*' || echo none)"
