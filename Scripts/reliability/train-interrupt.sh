#!/usr/bin/env bash
# Finding 9 of issue 14: Ctrl-C during `tidal train` must save the model so far, say so, and exit 130;
# a second Ctrl-C exits at once; a checkpoint written at Ctrl-C resumes to bit-identical weights.
#
# Defines check_9 TIDAL WORKDIR (prints "ok 9: ..." or "FAIL 9: ...", returns 0 or 1).
# Run alone: TIDAL=.build/debug/tidal bash Scripts/reliability/train-interrupt.sh

# The weight bytes of a model file (header, zstd frame, u32 JSON length, JSON, weights), hashed.
_tidal_weights_md5() {
    python3 - "$1" <<'PY'
import ctypes, ctypes.util, hashlib, struct, sys
zstd = ctypes.CDLL(ctypes.util.find_library("zstd") or "libzstd.so.1")  # the library tidal links; no zstd tool needed
zstd.ZSTD_getFrameContentSize.restype = ctypes.c_ulonglong
zstd.ZSTD_decompress.restype = ctypes.c_size_t
data = open(sys.argv[1], "rb").read()
frame = data[32:]
size = zstd.ZSTD_getFrameContentSize(frame, len(frame))
out = ctypes.create_string_buffer(size)
payload = out.raw[:zstd.ZSTD_decompress(out, size, frame, len(frame))]
(n,) = struct.unpack_from("<I", payload, 0)
print(hashlib.md5(payload[4 + n:]).hexdigest())
PY
}

# Starts a long training in the background, waits until it has printed an epoch line, sends SIGINT.
# Sets _pid; the caller waits for it.
_tidal_start_and_interrupt() {
    local tidal=$1 dir=$2 data=$3; shift 3
    "$tidal" train --data "$data" --season 12 --lookback 24 --hidden 6 --normalize zscore --difference 12 \
        --val-fraction 0.1 "$@" >"$dir/stdout" 2>"$dir/stderr" &
    _pid=$!
    local i
    for i in $(seq 1 600); do
        grep -q '^Epoch \[3/' "$dir/stdout" 2>/dev/null && break
        kill -0 "$_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -INT "$_pid" 2>/dev/null
}

check_9() {
    local tidal=${1:?usage: check_9 TIDAL WORKDIR} work=${2:?usage: check_9 TIDAL WORKDIR}
    local root data dir status
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    data="$root/SampleSeries/airline.csv"
    dir="$work/check-9"
    rm -rf "$dir" && mkdir -p "$dir" || { echo "FAIL 9: cannot make $dir"; return 1; }

    # 1. One SIGINT: the model so far is saved, stderr says so with the epoch, exit 130.
    _tidal_start_and_interrupt "$tidal" "$dir" "$data" --epochs 100000 --out "$dir/m.tidal" --checkpoint "$dir/m.ckpt"
    wait "$_pid"; status=$?
    [ "$status" = 130 ] || { echo "FAIL 9: one SIGINT: exit $status, expected 130 ($(head -c 300 "$dir/stderr"))"; return 1; }
    grep -Eq '^tidal: interrupted in epoch [0-9]+.*saved .* to .*m\.tidal' "$dir/stderr" ||
        { echo "FAIL 9: one SIGINT: no 'interrupted in epoch N; saved ... to m.tidal' line: $(head -c 300 "$dir/stderr")"; return 1; }
    "$tidal" inspect "$dir/m.tidal" >/dev/null 2>&1 || { echo "FAIL 9: the model saved at SIGINT does not load"; return 1; }
    [ -s "$dir/m.ckpt" ] || { echo "FAIL 9: no checkpoint written at SIGINT"; return 1; }
    local epoch
    epoch=$(sed -n 's/^tidal: interrupted in epoch \([0-9]*\).*/\1/p' "$dir/stderr")

    # 2. Resumed from that checkpoint to epoch E, it equals a straight run of E epochs, bit for bit.
    local total=$((epoch + 2)) flags=(--season 12 --lookback 24 --hidden 6 --normalize zscore --difference 12 --val-fraction 0.1
        --ensemble 1)
    "$tidal" train --data "$data" "${flags[@]}" --epochs "$total" --out "$dir/straight.tidal" --quiet 2>"$dir/e1" ||
        { echo "FAIL 9: straight run failed: $(head -c 300 "$dir/e1")"; return 1; }
    "$tidal" train --data "$data" "${flags[@]}" --epochs "$total" --resume "$dir/m.ckpt" --out "$dir/resumed.tidal" --quiet 2>"$dir/e2" ||
        { echo "FAIL 9: resumed run failed: $(head -c 300 "$dir/e2")"; return 1; }
    [ "$(_tidal_weights_md5 "$dir/straight.tidal")" = "$(_tidal_weights_md5 "$dir/resumed.tidal")" ] ||
        { echo "FAIL 9: interrupted in epoch $epoch and resumed to $total: weights differ from a straight run"; return 1; }
    if "$tidal" train --data "$data" "${flags[@]}" --hidden 5 --epochs "$total" --resume "$dir/m.ckpt" --quiet 2>"$dir/e3"; then
        echo "FAIL 9: a checkpoint of another architecture was accepted"; return 1
    fi
    grep -q 'hidden: 6 in the checkpoint, 5 in this run' "$dir/e3" ||
        { echo "FAIL 9: mismatch message does not name --hidden: $(head -c 300 "$dir/e3")"; return 1; }

    # 3. Two SIGINTs: exit 130 at once, no model written.
    rm -f "$dir/stdout"
    _tidal_start_and_interrupt "$tidal" "$dir" "$data" --epochs 100000 --out "$dir/twice.tidal"
    kill -INT "$_pid" 2>/dev/null
    wait "$_pid"; status=$?
    [ "$status" = 130 ] || { echo "FAIL 9: two SIGINTs: exit $status, expected 130"; return 1; }
    if [ -e "$dir/twice.tidal" ] && ! grep -q interrupted "$dir/stderr"; then
        echo "FAIL 9: two SIGINTs: a model was written"; return 1
    fi

    echo "ok 9: SIGINT in epoch $epoch saved a loadable model and a checkpoint, exit 130; resumed to epoch $total it equals" \
        "a straight run bit for bit; another run's checkpoint refused; a second SIGINT exits 130 at once"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    TIDAL=${TIDAL:-.build/debug/tidal}
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    check_9 "$TIDAL" "$work"
fi
