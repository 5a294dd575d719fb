#!/usr/bin/env bash
# Runs one libFuzzer target, or all of them one after another, for SECONDS each.
#
#   Scripts/fuzz.sh TARGET SECONDS [libFuzzer flags…]    TARGET: csv, model, replay or all
#   Scripts/fuzz.sh csv 0 -runs=1000000                  SECONDS 0: no time limit (stop by -runs)
#
# The targets live in Fuzz/, a package of their own that depends on the main package by path,
# so `swift build` / `swift test` of the main package never build them (they need flags the
# main build must not get: -sanitize=fuzzer,address and -parse-as-library). They are built in
# the debug configuration (testability for @testable import; not the release one, whose numeric
# modules are -Ounchecked) with -O added: bounds and overflow checks stay on, and a run is about
# ten times faster than at -Onone. Into .build-fuzz/.
#
# Limits: -rss_limit_mb=1024 (and so a malloc_limit of 1 GB: one allocation over 1 GB is a
# failure), -timeout=10 (one input taking over 10 s is a hang). New inputs go to
# .build-fuzz/corpus/TARGET, seeded from Fuzz/corpus/TARGET (which is only read); crashes, hangs and
# OOMs are written to .build-fuzz/artifacts/TARGET/. Prints libFuzzer's final stats per target;
# exits non-zero when any target fails.
#
# The Swift runtime's crash backtracer is turned off (SWIFT_BACKTRACE=enable=no): it otherwise
# takes over the fatal signal and libFuzzer never writes the crashing input.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: $0 csv|model|replay|all SECONDS [libFuzzer flags…]" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
target=$1 seconds=$2
shift 2
[[ $seconds =~ ^[0-9]+$ ]] || usage
case $target in
    all) targets=(csv model replay) ;;
    csv | model | replay) targets=("$target") ;;
    *) usage ;;
esac

scratch=.build-fuzz
echo "fuzz: building the targets (debug + -O, -sanitize=fuzzer,address) in $scratch" >&2
nice -n 10 swift build --package-path Fuzz -c debug --scratch-path "$scratch" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -O 2>&1 |
    grep -v -e "ld.gold: warning: Cannot export local symbol" >&2 || true
bin=$(swift build --package-path Fuzz -c debug --scratch-path "$scratch" --show-bin-path)

status=0
for t in "${targets[@]}"; do
    [[ -x $bin/fuzz-$t ]] || { echo "fuzz: $bin/fuzz-$t was not built" >&2; exit 1; }
    mkdir -p "$scratch/corpus/$t" "$scratch/artifacts/$t"
    log="$scratch/fuzz-$t.log"
    limit=()
    [[ $seconds -gt 0 ]] && limit=(-max_total_time="$seconds")
    echo "fuzz: $t for ${seconds}s $* (log: $log)" >&2
    start=$(date +%s)
    rc=0
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=0} \
        nice -n 10 "$bin/fuzz-$t" "$scratch/corpus/$t" "Fuzz/corpus/$t" \
        -rss_limit_mb=1024 -timeout=10 -print_final_stats=1 -artifact_prefix="$scratch/artifacts/$t/" \
        "${limit[@]}" "$@" >"$log" 2>&1 || rc=$?
    elapsed=$(($(date +%s) - start))
    # libFuzzer's closing lines: "#N DONE …", "Done N runs in S second(s)" and the stat:: lines.
    grep -E "^#[0-9]+ +DONE|^Done [0-9]+ runs|^stat::" "$log" | sed "s/^/$t: /" || true
    if [[ $rc -ne 0 ]]; then
        status=1
        echo "$t: FAILED (exit $rc after ${elapsed}s):" >&2
        grep -E "ERROR: libFuzzer|SUMMARY|Fatal error|fuzz invariant|Test unit written|out-of-memory|timeout" "$log" | head -20 >&2 || true
    else
        echo "$t: ok, ${elapsed}s, no crash, hang or OOM" >&2
    fi
done
exit $status
