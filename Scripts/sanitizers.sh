#!/usr/bin/env bash
# Runs the main package's test suite under AddressSanitizer, ThreadSanitizer, or both.
#
#   Scripts/sanitizers.sh [address|thread|all]      (default: all)
#
# Each sanitizer has its own scratch path (.build-asan, .build-tsan; git-ignored), so the normal
# .build is untouched. Prints the XCTest totals and the time taken; exits non-zero on a test
# failure or any sanitizer report (halt_on_error: the first report stops the run).
# Leak checking is on in the test process (a direct leak fails the run; blocks reachable only from
# suppressed ones are listed, not failed), with Scripts/lsan-suppressions.txt for the Swift runtime's weak side tables.
# The Swift runtime's backtracer is turned off so the sanitizer's own report is printed.
set -euo pipefail
cd "$(dirname "$0")/.."

which=${1:-all}
case $which in
    all) sanitizers=(address thread) ;;
    address | thread) sanitizers=("$which") ;;
    *) echo "usage: $0 [address|thread|all]" >&2; exit 2 ;;
esac

export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}
# The tidal processes the tests start: memory errors still halt them, but objects alive when a
# command exits (every error path ends in exit) are not leaks. See TestPaths.childEnvironment.
export TIDAL_CHILD_ASAN_OPTIONS=${TIDAL_CHILD_ASAN_OPTIONS:-halt_on_error=1:detect_leaks=0}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/Scripts/lsan-suppressions.txt:print_suppressions=0}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}

status=0
for s in "${sanitizers[@]}"; do
    case $s in address) scratch=.build-asan ;; thread) scratch=.build-tsan ;; esac
    log="$scratch/sanitizer-tests.log"
    mkdir -p "$scratch"
    start=$(date +%s)
    rc=0
    swift build --build-tests --sanitize="$s" --scratch-path "$scratch" >"$scratch/sanitizer-build.log" 2>&1 || rc=$?
    built=$(date +%s)
    if [[ $rc -ne 0 ]]; then
        echo "$s: build FAILED ($((built - start))s); see $scratch/sanitizer-build.log" >&2
        status=1
        continue
    fi
    swift test --skip-build --sanitize="$s" --scratch-path "$scratch" >"$log" 2>&1 || rc=$?
    done_at=$(date +%s)
    totals=$(grep -E "Executed [0-9]+ tests?" "$log" | tail -1 | sed 's/^[[:space:]]*//')
    echo "$s: build $((built - start))s, tests $((done_at - built))s: ${totals:-no XCTest totals}"
    if grep -qE "ERROR: AddressSanitizer|WARNING: ThreadSanitizer|SUMMARY: (Address|Thread)Sanitizer: [a-z-]+ " "$log" ||
        grep -q "^Direct leak" "$log"; then
        grep -E "ERROR: |WARNING: ThreadSanitizer|SUMMARY: |^Direct leak" "$log" | head -10
        rc=1
    elif grep -q "ERROR: LeakSanitizer" "$log"; then
        # No direct leak: every block reported hangs off a suppressed one (XCTest's test-case objects
        # behind Swift's weak side tables, which LeakSanitizer cannot follow), so none is ours.
        echo "$s: $(grep -c '^Indirect leak' "$log") indirect leak reports below suppressed XCTest objects, no direct leak"
    fi
    if [[ $rc -ne 0 ]]; then
        echo "$s: FAILED (exit $rc); see $log" >&2
        status=1
    else
        echo "$s: clean"
    fi
done
exit $status
