#!/usr/bin/env bash
# Runs every benchmark scenario against forgewire-server (both transports: epoll and qt) and both
# peer servers (Go/nhooyr.io/websocket and Node.js/ws) in the same run, each server fresh for each
# scenario, and prints a markdown table with forgewire/peer ratios (OUT/table.md) and the same figures
# as JSON (OUT/results.json) so runs can be compared. Loopback only; every phase is bounded in time.
#
#   tests/bench/run-bench.sh            # full run (~3 minutes on two cores)
#   QUICK=1 tests/bench/run-bench.sh    # smaller N, shorter phases (smoke test)
#
# Env: BUILD_DIR (default <repo>/build-bench), WORKERS (forgewire --workers, default 0 = one per core),
#      BROADCAST_N, UNICAST_N, LATENCY_N, LATENCY_RATE, IDLE_N, STORM_N, RESTART_N, DURATION_MS,
#      SERVERS (default "forgewire forgewire-qt go node floor"; the peers are built only when listed;
#      "floor" is forgewire-bench-floor, the same fan-out with raw sockets only: what the kernel costs),
#      SCENARIOS (default "broadcast unicast latency idle storm restart").
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
OUT=${OUT:-$HERE/out}
SERVERS=${SERVERS:-forgewire forgewire-qt go node floor}
wants() { [[ " $SERVERS " == *" $1 "* ]]; }
WORKERS=${WORKERS:-0}
if [[ -n "${QUICK:-}" ]]; then
    BROADCAST_N=${BROADCAST_N:-500} UNICAST_N=${UNICAST_N:-500} IDLE_N=${IDLE_N:-2000}
    STORM_N=${STORM_N:-1000} DURATION_MS=${DURATION_MS:-2000} LATENCY_N=${LATENCY_N:-500}
    RESTART_N=${RESTART_N:-1000}
fi
BROADCAST_N=${BROADCAST_N:-2000}
UNICAST_N=${UNICAST_N:-2000}
IDLE_N=${IDLE_N:-10000}
STORM_N=${STORM_N:-5000}
LATENCY_N=${LATENCY_N:-2000}
LATENCY_RATE=${LATENCY_RATE:-20}
RESTART_N=${RESTART_N:-10000}
DURATION_MS=${DURATION_MS:-5000}
JWT_SECRET=bench-jwt-secret
PUBLISHER_SECRET=bench-publisher-secret
mkdir -p "$OUT"

log() { echo "[bench] $*" >&2; }

# --- tools (idempotent) -------------------------------------------------------------------------
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
if wants go && { ! command -v go >/dev/null || [[ ! -d /usr/share/gocode/src/nhooyr.io/websocket ]]; }; then
    log "installing golang-go and golang-nhooyr-websocket-dev"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go golang-nhooyr-websocket-dev >/dev/null
fi
if wants node && ! command -v node >/dev/null; then
    log "installing nodejs and npm"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
if wants node && [[ ! -d "$HERE/peers/node/node_modules/ws" ]]; then
    log "npm ci (ws)"
    (cd "$HERE/peers/node" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

# --- builds -------------------------------------------------------------------------------------
log "building forgewire-server and forgewire-bench (Release) in $BUILD_DIR"
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFORGEWIRE_BUILD_TRAY=OFF \
    -DFORGEWIRE_BUILD_TESTS=OFF -DFORGEWIRE_BUILD_BENCH=ON >/dev/null
ninja -C "$BUILD_DIR" -j2 forgewire-server forgewire-bench forgewire-bench-floor >/dev/null
GO_PEER=$HERE/peers/go/forgewire-peer-go
if wants go; then
    log "building the Go peer against Debian's nhooyr.io/websocket"
    (cd "$HERE/peers/go" && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=${GOCACHE:-$OUT/gocache} \
        go build -o "$GO_PEER" .)
fi
BENCH=$BUILD_DIR/tests/bench/forgewire-bench
FLOOR=$BUILD_DIR/tests/bench/forgewire-bench-floor
SERVER=$BUILD_DIR/server/forgewire-server

# Every bench client comes from 127.0.0.1: forgewire gets a per-address cap that fits (the peers have
# none). The pending-handshake cap stays at its default: past it the listener waits, it does not refuse.
# Two servers of 10,000 connections each side of loopback need fds on both ends.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
log "fd limit $(ulimit -n); $(nproc) cores"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

SERVER_PID=
start_server() { # name port admin_port
    local name=$1 port=$2 admin=$3
    case $name in
    forgewire | forgewire-qt)
        local transport=()
        [[ $name == forgewire-qt ]] && transport=(--transport qt)
        "$SERVER" --listen 127.0.0.1 --port "$port" --admin-port "$admin" --jwt-secret "$JWT_SECRET" \
            --publisher-secret "$PUBLISHER_SECRET" --state :memory: --workers "$WORKERS" \
            "${transport[@]}" --max-connections 20000 --max-connections-per-address 20000 \
            --log-level warning >>"$OUT/$name.log" 2>&1 &
        ;;
    go)
        "$GO_PEER" --port "$port" --admin-port "$admin" --jwt-secret "$JWT_SECRET" \
            --publisher-secret "$PUBLISHER_SECRET" >>"$OUT/$name.log" 2>&1 &
        ;;
    node)
        node "$HERE/peers/node/server.js" --port "$port" --admin-port "$admin" --jwt-secret "$JWT_SECRET" \
            --publisher-secret "$PUBLISHER_SECRET" >>"$OUT/$name.log" 2>&1 &
        ;;
    esac
    SERVER_PID=$!
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$admin") 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    log "$name did not start; see $OUT/$name.log"
    return 1
}
stop_server() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
    fi
}
trap stop_server EXIT

declare -A R # R[server.key]=value
# The floor: broadcast (coalesced sendmsg, as forgewire's Outbox) and latency scenarios only, with the
# same connections, rate, window and duration; its CPU figure is the writer threads' (the "server").
run_floor() { # scenario connections
    local scenario=$1 n=$2 line kv
    local args=(--connections "$n" --duration-ms "$DURATION_MS" --writers "$(nproc)")
    case $scenario in
    broadcast) args+=(--mode saturate --coalesce --window 4) ;;
    latency) args+=(--mode latency --rate "$LATENCY_RATE") ;;
    *) return 0 ;;
    esac
    log "floor: $scenario with $n connections"
    if ! line=$(timeout 120 "$FLOOR" "${args[@]}" 2>>"$OUT/bench-floor-$scenario.err" | grep '^RESULT'); then
        log "floor $scenario failed (see $OUT/bench-floor-$scenario.err)"
        return 0
    fi
    echo "floor ${line/RESULT mode=saturate/RESULT scenario=broadcast}" | sed 's/RESULT mode=latency/RESULT scenario=latency/' >>"$OUT/results.txt"
    log "  $line"
    # Only the rows it measures the same way: its saturated p99 is the "broadcast saturated" row; the
    # one-publication-at-a-time broadcast latency rows are the latency scenario's business.
    local key
    for kv in ${line#RESULT }; do
        key=${kv%%=*}
        case $scenario.$key in
        broadcast.deliveries_per_s | broadcast.cpu_us_per_delivery | latency.p50_us | latency.p99_us) ;;
        broadcast.p99_us) key=load_p99_us ;;
        *) continue ;;
        esac
        R[floor.$scenario.$key]=${kv#*=}
    done
    sleep 1
}
run_scenario() { # server scenario connections
    local name=$1 scenario=$2 n=$3 port admin line
    if [[ $name == floor ]]; then
        run_floor "$scenario" "$n"
        return 0
    fi
    port=$(free_port)
    admin=$(free_port)
    start_server "$name" "$port" "$admin"
    log "$name: $scenario with $n connections"
    local args=(--scenario "$scenario" --port "$port" --admin-port "$admin" --jwt-secret "$JWT_SECRET"
        --publisher-secret "$PUBLISHER_SECRET" --connections "$n" --duration-ms "$DURATION_MS"
        --pid "$SERVER_PID" --rate "$LATENCY_RATE")
    if [[ $scenario == restart ]]; then
        # Every client connected, then the server gets SIGTERM (its drain closes them with 1001) and
        # a new one starts on the same ports; the clients come back with PROTOCOL.md's backoff.
        local out=$OUT/bench-$name-restart.out bench_pid
        : >"$out"
        timeout 300 "$BENCH" "${args[@]}" >"$out" 2>>"$OUT/bench-$name-$scenario.err" &
        bench_pid=$!
        for _ in $(seq 1500); do
            grep -q '^READY' "$out" && break
            kill -0 "$bench_pid" 2>/dev/null || break
            sleep 0.1
        done
        stop_server
        start_server "$name" "$port" "$admin" || true
        wait "$bench_pid" || log "$name restart failed (see $OUT/bench-$name-$scenario.err)"
        line=$(grep '^RESULT' "$out" || true)
    elif line=$(timeout 180 "$BENCH" "${args[@]}" 2>>"$OUT/bench-$name-$scenario.err" | grep '^RESULT'); then
        :
    else
        log "$name $scenario failed (see $OUT/bench-$name-$scenario.err)"
    fi
    stop_server
    echo "$name $line" >>"$OUT/results.txt"
    log "  $line"
    local kv
    for kv in ${line#RESULT }; do
        R[$name.$scenario.${kv%%=*}]=${kv#*=}
    done
    sleep 1 # let TIME_WAIT and the kernel settle between servers
}

: >"$OUT/results.txt"
for scenario in ${SCENARIOS:-broadcast unicast latency idle storm restart}; do
    case $scenario in
    broadcast) n=$BROADCAST_N ;; unicast) n=$UNICAST_N ;; idle) n=$IDLE_N ;; storm) n=$STORM_N ;;
    latency) n=$LATENCY_N ;; restart) n=$RESTART_N ;;
    esac
    # Servers take turns within a scenario so a noisy neighbour hits all of them alike.
    for name in $SERVERS; do
        run_scenario "$name" "$scenario" "$n"
    done
done

# --- table --------------------------------------------------------------------------------------
val() { echo "${R[$1.$2]:-}"; }
fmt() { # value scale decimals
    [[ -z "$1" ]] && { echo "n/a"; return; }
    awk -v v="$1" -v s="$2" -v d="$3" 'BEGIN { printf("%.*f", d, v / s) }'
}
ratio() {
    [[ -z "$1" || -z "$2" ]] && { echo "n/a"; return; }
    awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf("%.2f", a / b) }'
}
row() { # label key scale decimals
    local label=$1 key=$2 scale=$3 dec=$4 line="| $1 |"
    for name in forgewire forgewire-qt go node floor; do
        line+=" $(fmt "$(val $name "$key")" "$scale" "$dec") |"
    done
    line+=" $(ratio "$(val forgewire "$key")" "$(val go "$key")") | $(ratio "$(val forgewire "$key")" "$(val node "$key")") |"
    echo "$line"
}
{
    echo
    echo "$(nproc) cores, loopback, one load generator process; forgewire --workers $WORKERS (0 = one per core)."
    echo
    echo "| scenario | forgewire-server (epoll) | forgewire-server (qt) | Go (nhooyr.io/websocket) | Node.js (ws) | raw sockets (floor) | forgewire / Go | forgewire / Node |"
    echo "|---|---|---|---|---|---|---|---|"
    row "broadcast to $BROADCAST_N: deliveries/s (higher is better)" broadcast.deliveries_per_s 1 0
    row "broadcast to $BROADCAST_N: p50 latency, ms (lower is better)" broadcast.p50_us 1000 2
    row "broadcast to $BROADCAST_N: p99 latency, ms (lower is better)" broadcast.p99_us 1000 2
    row "broadcast saturated: p99 latency, ms (lower is better)" broadcast.load_p99_us 1000 2
    row "unicast, $UNICAST_N users: deliveries/s (higher is better)" unicast.deliveries_per_s 1 0
    row "unicast: p99 latency, ms (lower is better)" unicast.p99_us 1000 2
    row "broadcast saturated: server CPU per delivery, us (lower is better)" broadcast.cpu_us_per_delivery 1 3
    row "unicast: server CPU per delivery, us (lower is better)" unicast.cpu_us_per_delivery 1 3
    row "$LATENCY_N subscribers x $LATENCY_RATE msg/s: p50 latency, ms (lower is better)" latency.p50_us 1000 2
    row "$LATENCY_N subscribers x $LATENCY_RATE msg/s: p99 latency, ms (lower is better)" latency.p99_us 1000 2
    row "idle: KiB RSS per connection at $IDLE_N (lower is better)" idle.kib_per_connection 1 1
    row "connect storm: s until $STORM_N hellos (lower is better)" storm.seconds 1 2
    row "restart with $RESTART_N clients: s until all have hello again (lower is better)" restart.seconds 1 2
    row "restart: attempts the server refused (lower is better)" restart.refused 1 0
} | tee "$OUT/table.md"

# The same figures as JSON, for comparing runs.
python3 - "$OUT/results.txt" "$OUT/results.json" "$(nproc)" "$WORKERS" <<'PY'
import json, sys, datetime
results = {}
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) < 2 or parts[1] != "RESULT":
        continue
    fields = dict(p.split("=", 1) for p in parts[2:] if "=" in p)
    def number(v):
        try:
            return int(v)
        except ValueError:
            try:
                return float(v)
            except ValueError:
                return v
    results.setdefault(parts[0], {})[fields.pop("scenario", "?")] = {k: number(v) for k, v in fields.items()}
json.dump({"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "cores": int(sys.argv[3]), "workers": int(sys.argv[4]), "results": results},
          open(sys.argv[2], "w"), indent=2, sort_keys=True)
PY
log "results: $OUT/table.md and $OUT/results.json"
