#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang++, ASan+UBSan, build/fuzz) and runs each for a while.
#
#   tests/fuzz/run-fuzzers.sh [seconds-per-harness] [harness...]
#
# Default: 10 s each, every harness, one after the other. Each runs on a copy of its seed corpus in
# build/fuzz/corpus-work/<name> (the repo's corpus is never changed; copy finds worth keeping into
# tests/fuzz/corpus/<name>/ by hand), logs to build/fuzz/logs/<name>.log and writes crashing inputs
# to build/fuzz/artifacts/. Prints the exec count and coverage per harness; exits non-zero if any
# harness crashed, leaked, timed out or broke an invariant.
#
# FUZZ_KEEP_GOING=1 runs libFuzzer in fork mode and keeps fuzzing after a crash, so a long run
# reports every crash it finds instead of stopping at the first. FUZZ_LOG_PREFIX (default "logs/")
# names the logs: build/fuzz/<prefix><name>.log.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${1:-10}
shift || true
all=(wsframe http jwt protocol publish config)
harnesses=("${@:-${all[@]}}")
build=build/fuzz

if [[ ! -f $build/build.ninja ]]; then
    launcher=()
    command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
        -DFORGEWIRE_BUILD_FUZZERS=ON -DFORGEWIRE_BUILD_TRAY=OFF -DFORGEWIRE_BUILD_TESTS=OFF \
        -DFORGEWIRE_BUILD_BENCH=OFF -DFORGEWIRE_WITH_REDIS=OFF "${launcher[@]}"
fi
cmake --build "$build" -j "$(nproc)" --target "${harnesses[@]/%/_fuzzer}"

mkdir -p "$build/artifacts" "$build/logs" "$build/corpus-work"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export QT_LOGGING_RULES='*=false'

failed=()
for name in "${harnesses[@]}"; do
    work=$build/corpus-work/$name
    mkdir -p "$work"
    cp -n tests/fuzz/corpus/"$name"/* "$work"/
    dict=()
    case $name in
    http | config) dict=(-dict="tests/fuzz/$name.dict") ;;
    jwt | protocol | publish) dict=(-dict=tests/fuzz/json.dict) ;;
    esac
    mode=()
    [[ ${FUZZ_KEEP_GOING:-0} == 1 ]] && mode=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    log=$build/${FUZZ_LOG_PREFIX:-logs/}$name.log
    mkdir -p "$(dirname "$log")"
    artifactsBefore=$(find "$build/artifacts" -maxdepth 1 -name "$name-*" | wc -l)
    status=0
    "$build/tests/fuzz/${name}_fuzzer" "$work" "${dict[@]}" "${mode[@]}" -max_total_time="$seconds" \
        -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 -artifact_prefix="$build/artifacts/$name-" \
        >"$log" 2>&1 || status=$?
    # Fork mode exits 0 after ignored crashes; the artifacts they left count as failures.
    newArtifacts=$(($(find "$build/artifacts" -maxdepth 1 -name "$name-*" | wc -l) - artifactsBefore))
    ((newArtifacts == 0 || status != 0)) || status=1
    # "Done N runs" ends a clean run; after a crash the last status line ("#N ...") tells how far it got.
    runs=$(grep -oE 'Done [0-9]+ runs' "$log" | tail -n1 | grep -oE '[0-9]+' ||
        grep -oE '^#[0-9]+' "$log" | tail -n1 | tr -d '#' || echo '?')
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n1 || true)
    if ((status != 0)); then
        echo "FAIL $name: exit $status after ${runs} runs, ${cov:-cov: ?}, $newArtifacts new artifact(s);" \
            "see $log and $build/artifacts/$name-*"
        grep -E 'ERROR: |runtime error|invariant broken|SUMMARY' "$log" | head -n 5 || true
        failed+=("$name")
    else
        echo "ok   $name: ${runs} runs in ${seconds} s, ${cov:-cov: ?}"
    fi
done
if ((${#failed[@]})); then
    echo "crashed: ${failed[*]}"
    exit 1
fi
