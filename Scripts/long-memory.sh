#!/usr/bin/env bash
# The long-memory experiment of Docs/long-memory.md: test accuracy of RNN, GRU and LSTM on the
# recall task as the lag grows, at (nearly) equal parameter budget and equal epochs.
# Usage: Scripts/long-memory.sh [OUTDIR]   (needs a release build: swift build -c release)
set -euo pipefail
cd "$(dirname "$0")/.."
TIDAL=${TIDAL:-$(swift build -c release --show-bin-path)/tidal}
OUT=${1:-${TMPDIR:-/tmp}/tidal-long-memory}
EPOCHS=${EPOCHS:-60}
mkdir -p "$OUT"
printf '| lag | steps | rnn (h128) | gru (h74) | lstm (h64) |\n|---|---|---|---|---|\n'
for lag in 10 25 50 100; do
  length=$((lag + 10))
  "$TIDAL" synth recall --length $length --lag $lag --samples 1200 --classes 2 --seed 7 > "$OUT/train_$lag.csv"
  "$TIDAL" synth recall --length $length --lag $lag --samples 400 --classes 2 --seed 8 > "$OUT/test_$lag.csv"
  row="| $lag | $length |"
  for spec in rnn:128 gru:74 lstm:64; do
    IFS=: read -r cell hidden <<<"$spec"
    "$TIDAL" train --task classify --format ucr --data "$OUT/train_$lag.csv" --test "$OUT/test_$lag.csv" \
      --cell $cell --hidden $hidden --patch 1 --epochs $EPOCHS --seed 0 --quiet --metrics "$OUT/$cell-$lag.json"
    acc=$(python3 -c "import json,sys; print(f\"{json.load(open(sys.argv[1]))['test']['accuracy']:.3f}\")" "$OUT/$cell-$lag.json")
    row="$row $acc |"
  done
  echo "$row"
done
