#!/usr/bin/env bash
# Issue 14, findings 8 (replay bad rows and signal counts) and 10 (numbers, times, headers,
# long fields, the wrong delimiter), reproduced against the built binary.
#
#   TIDAL=.build/debug/tidal bash Scripts/reliability/ingest-replay.sh
#
# Sourced by Scripts/reliability-check.sh, it defines check_8 and check_10, each taking the
# binary and a work directory and printing one `ok N: …` or `FAIL N: …` line per check; each
# returns non-zero when any of its checks failed. Small generated CSVs only (seconds).

# One result line; remembers a failure in _ir_failed.
_ir_result() {  # number, description, command-status (0 = passed)
    if [ "$3" -eq 0 ]; then echo "ok $1: $2"; else echo "FAIL $1: $2"; _ir_failed=1; fi
}

# A monthly series of $2 rows with a header, to file $1 (YYYY-MM, 4-digit years: at most 8000 rows).
_ir_series() {
    python3 - "$1" "$2" <<'EOF'
import math, sys
path, rows = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write("timestamp,value\n")
    for i in range(rows):
        f.write("%04d-%02d,%.2f\n" % (1950 + i // 12, i % 12 + 1, 100 + 10 * math.sin(i / 3) + i % 50))
EOF
}

# Runs "$@" with stdout to $_ir_out and stderr to $_ir_err; sets _ir_status.
_ir_run() {
    "$@" >"$_ir_out" 2>"$_ir_err"
    _ir_status=$?
}

# Passes when the last run failed (non-zero, no signal) and stderr holds every given text.
_ir_refused_with() {
    [ "$_ir_status" -ne 0 ] && [ "$_ir_status" -lt 128 ] || return 1
    local text
    for text in "$@"; do grep -qF -- "$text" "$_ir_err" || return 1; done
}

check_10() {
    local tidal=$1 dir=$2
    _ir_failed=0
    _ir_out=$dir/out.txt _ir_err=$dir/err.txt
    mkdir -p "$dir"
    _ir_series "$dir/clean.csv" 60
    "$tidal" train --data "$dir/clean.csv" --out "$dir/m10.tidal" --lookback 6 --horizon 1 --hidden 4 --epochs 1 \
        >/dev/null 2>&1 || { _ir_result 10 "a model trains on the clean series" 1; return 1; }

    # Values beyond Float32, in each command, named by file:line:column.
    local value file
    for value in 1e39 1e308 -1e39; do
        file=$dir/range$value.csv
        sed "31s/,.*/,$value/" "$dir/clean.csv" >"$file"
        _ir_run "$tidal" describe "$file"
        _ir_refused_with "$file:31:2:" "beyond the range of a 32-bit float"
        _ir_result 10 "describe refuses $value with file:line:column" $?
        _ir_run "$tidal" forecast --model "$dir/m10.tidal" --data "$file"
        _ir_refused_with "$file:31:2:" "beyond the range of a 32-bit float" && ! grep -q nan "$_ir_out"
        _ir_result 10 "forecast refuses $value (no nan printed)" $?
        _ir_run "$tidal" train --data "$file" --out "$dir/never.tidal" --lookback 6 --horizon 1 --hidden 4 --epochs 1
        _ir_refused_with "$file:31:2:" "beyond the range" && ! grep -q -- "--lr" "$_ir_err" && [ ! -e "$dir/never.tidal" ]
        _ir_result 10 "train refuses $value before training (no \"try a lower --lr\")" $?
    done
    # Missing markers stay missing: describe counts them.
    sed "31s/,.*/,nan/" "$dir/clean.csv" >"$dir/nan.csv"
    _ir_run "$tidal" describe "$dir/nan.csv"
    [ "$_ir_status" -eq 0 ] && ! grep -q "inf" "$_ir_out"
    _ir_result 10 "nan is still a missing value, not an error" $?

    # Time cells that are not times in a time column.
    local cell
    for cell in 1949-13 hello 1950-01-32; do
        file=$dir/time-$cell.csv
        sed "21s/^[^,]*,/$cell,/" "$dir/clean.csv" >"$file"
        _ir_run "$tidal" describe "$file"
        _ir_refused_with "$file:21:1:" "\"$cell\" is not a time"
        _ir_result 10 "describe refuses the time cell $cell with file:line:column" $?
        _ir_run "$tidal" forecast --model "$dir/m10.tidal" --data "$file"
        _ir_refused_with "$file:21:1:" "\"$cell\" is not a time"
        _ir_result 10 "forecast refuses the time cell $cell" $?
    done

    # Duplicate column names.
    { echo "timestamp,value,value"; tail -n +2 "$dir/clean.csv" | sed 's/$/,1/'; } >"$dir/dup.csv"
    _ir_run "$tidal" describe "$dir/dup.csv"
    _ir_refused_with "$dir/dup.csv:1:3:" "\"value\" appears twice"
    _ir_result 10 "a header naming a column twice is refused" $?

    # A huge field is quoted short: 1 MB in the cell, a short line on stderr.
    python3 -c "
import sys
rows = open(sys.argv[1]).read().splitlines()
rows[10] = rows[10].split(',')[0] + ',' + 'x' * 1_000_000
open(sys.argv[2], 'w').write('\n'.join(rows) + '\n')" "$dir/clean.csv" "$dir/huge.csv"
    _ir_run "$tidal" describe "$dir/huge.csv"
    local size
    size=$(wc -c <"$_ir_err")
    _ir_refused_with "$dir/huge.csv:11:2:" "…" "(1000000 bytes)" && [ "$size" -lt 1000 ]
    _ir_result 10 "a 1 MB bad field is quoted in $size bytes of stderr" $?

    # A semicolon (or tab) file read without --delimiter says which delimiter to pass.
    tr ',' ';' <"$dir/clean.csv" >"$dir/semi.csv"
    _ir_run "$tidal" describe "$dir/semi.csv"
    _ir_refused_with "$dir/semi.csv:1:" "pass --delimiter ';'"
    _ir_result 10 "a ';' file without --delimiter: \"pass --delimiter ';'\"" $?
    tr ',' '\t' <"$dir/clean.csv" >"$dir/tab.csv"
    _ir_run "$tidal" describe "$dir/tab.csv"
    _ir_refused_with "$dir/tab.csv:1:" "pass --delimiter 'tab'"
    _ir_result 10 "a tab file without --delimiter: \"pass --delimiter 'tab'\"" $?
    _ir_run "$tidal" describe "$dir/semi.csv" --delimiter ';'
    [ "$_ir_status" -eq 0 ]
    _ir_result 10 "the ';' file with --delimiter ';' is read" $?
    return $_ir_failed
}

# The summary's "N predictions written" and the prediction lines in $1 (header excluded) agree.
_ir_counts_agree() {
    local written summary
    written=$(($(grep -c . "$1") - 1))
    [ "$written" -lt 0 ] && written=0
    summary=$(sed -n 's/.* rows read, \([0-9]*\) predictions written.*/\1/p' "$2" | tail -1)
    [ -n "$summary" ] && [ "$summary" -eq "$written" ]
}

check_8() {
    local tidal=$1 dir=$2
    _ir_failed=0
    _ir_out=$dir/out.txt _ir_err=$dir/err.txt
    mkdir -p "$dir"
    _ir_series "$dir/clean.csv" 60
    "$tidal" train --data "$dir/clean.csv" --out "$dir/m8.tidal" --lookback 6 --horizon 1 --hidden 4 --epochs 1 \
        >/dev/null 2>&1 || { _ir_result 8 "a model trains on the clean series" 1; return 1; }
    _ir_run "$tidal" replay --model "$dir/m8.tidal" --input "$dir/clean.csv"
    local clean_lines
    clean_lines=$(wc -l <"$_ir_out")

    # One bad row at line 31, each kind; replay goes on, reports it, counts it; --strict stops.
    local name row
    while IFS='|' read -r name row; do
        # shellcheck disable=SC2059 # the row is a printf format: it spells its bytes in octal
        { head -n 30 "$dir/clean.csv"; printf "$row\n"; tail -n +31 "$dir/clean.csv"; } >"$dir/bad.csv"
        _ir_run "$tidal" replay --model "$dir/m8.tidal" --input "$dir/bad.csv"
        [ "$_ir_status" -eq 0 ] && grep -q "bad.csv:31.*row rejected" "$_ir_err" && grep -q " 1 rejected" "$_ir_err" \
            && [ "$(wc -l <"$_ir_out")" -eq "$clean_lines" ] && _ir_counts_agree "$_ir_out" "$_ir_err"
        _ir_result 8 "replay reports, skips and counts a row with $name (exit $_ir_status)" $?
        _ir_run "$tidal" replay --model "$dir/m8.tidal" --input "$dir/bad.csv" --strict
        _ir_refused_with "bad.csv:31"
        _ir_result 8 "replay --strict stops at the row with $name (exit $_ir_status)" $?
    done <<'EOF'
a NUL byte|1952-06,1\0000
invalid UTF-8|1952-06,\303\050
extra cells|1952-06,120,7
a time going backwards|1951-01,120
a repeated time|1952-05,120
a month 13|1952-13,120
a value beyond Float32|1952-06,1e39
EOF

    # SIGINT/SIGTERM during a burst: the summary counts exactly the lines written.
    python3 -c "
import datetime, sys
day = datetime.date(1900, 1, 1)
with open(sys.argv[1], 'w') as f:
    f.write('timestamp,value\\n')
    for i in range(100_000):
        f.write('%s,%d\\n' % (day + datetime.timedelta(days=i), 100 + i % 50))" "$dir/long.csv"
    local trial bad=0 interrupted=0 signal delay
    for trial in $(seq 1 16); do
        signal=INT; [ $((trial % 2)) -eq 0 ] && signal=TERM
        delay=$(awk -v t="$trial" 'BEGIN { printf "%.3f", 0.02 + (t * 37 % 100) / 400 }')
        "$tidal" replay --model "$dir/m8.tidal" --input "$dir/long.csv" >"$dir/burst.out" 2>"$dir/burst.err" &
        local pid=$!
        sleep "$delay"
        kill -s "$signal" "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        _ir_counts_agree "$dir/burst.out" "$dir/burst.err" || bad=$((bad + 1))
        grep -q "(interrupted)" "$dir/burst.err" && interrupted=$((interrupted + 1))
    done
    [ "$bad" -eq 0 ] && [ "$interrupted" -gt 0 ]
    _ir_result 8 "SIGINT/SIGTERM mid-burst: summary = lines written in every trial ($interrupted of 16 interrupted, $bad off)" $?
    return $_ir_failed
}

# Run alone: both checks against $TIDAL in a temporary directory.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    TIDAL=${TIDAL:-.build/debug/tidal}
    [ -x "$TIDAL" ] || { echo "no binary at $TIDAL (set TIDAL)" >&2; exit 2; }
    TIDAL=$(cd "$(dirname "$TIDAL")" && pwd)/$(basename "$TIDAL")
    work=$(mktemp -d "${TMPDIR:-/tmp}/tidal-reliability.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    status=0
    check_8 "$TIDAL" "$work/8" || status=1
    check_10 "$TIDAL" "$work/10" || status=1
    exit $status
fi
