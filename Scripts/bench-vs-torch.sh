#!/usr/bin/env bash
# Training throughput of Tidal and PyTorch side by side, same machine, same thread count, one
# configuration right after the other; prints the rows of the table in Docs/performance.md.
# Usage: Scripts/bench-vs-torch.sh [THREADS...]      (default: 1 2)
# Needs the release build and a Python with torch (TORCH_PYTHON, default ~/.cache/tidal-venv-torch/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."
TIDAL=.build/release/tidal
PY=${TORCH_PYTHON:-$HOME/.cache/tidal-venv-torch/bin/python}
RATE=${TORCH_RATE_SCRIPT:-../shared/acceptance/torch_train_rate.py}
[ -x "$TIDAL" ] || { echo "build first: swift build -c release" >&2; exit 1; }
"$PY" -c 'import torch' 2>/dev/null || { echo "no torch in $PY (set TORCH_PYTHON)" >&2; exit 1; }
echo "| config | threads | Tidal windows/s (GFLOP/s) | PyTorch windows/s | Tidal / PyTorch |"
echo "|---|---|---|---|---|"
for threads in "${@:-1 2}"; do
  for spec in lstm:A lstm:B lstm:C gru:A rnn:A; do
    IFS=: read -r cell cfg <<<"$spec"
    read -r ours gflops < <("$TIDAL" bench train --config "$cfg" --cell "$cell" --threads "$threads" --json |
      python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["windows_per_s"], d["gflops"])')
    theirs=$("$PY" "$RATE" "$cell" "$cfg" "$threads")
    python3 -c "print(f'| {\"$cell\".upper()} $cfg | $threads | {$ours:,.0f} ({$gflops:.1f}) | {$theirs:,.0f} | {$ours/$theirs:.2f}× |')"
  done
done
