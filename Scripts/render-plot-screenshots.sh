#!/usr/bin/env bash
# The plot screenshots in Docs/plots/ (and the long-memory page's SVGs): trains small models on
# the SampleSeries files with --plots, then renders the SVGs with rsvg-convert, the renderer the
# test suite checks every plot with (PlotChartTests, PlotCLITests). PNGs are re-encoded with
# pngquant when it is installed (Debian's pngquant), which keeps each to a few tens of KB.
# Usage: Scripts/render-plot-screenshots.sh [WORKDIR]   (TIDAL=path picks the binary; default: a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v rsvg-convert >/dev/null || { echo "render-plot-screenshots: rsvg-convert is missing: apt-get install librsvg2-bin" >&2; exit 1; }
if [ -z "${TIDAL:-}" ]; then
  swift build -c release -q --product tidal
  TIDAL=$(swift build -c release --show-bin-path)/tidal
fi
WORK=${1:-${TMPDIR:-/tmp}/tidal-plot-screenshots}
OUT=Docs/plots
mkdir -p "$WORK" "$OUT"

# One series with conformal intervals: the fan chart and the loss curve.
"$TIDAL" train --data SampleSeries/airline.csv --target value --lookback 24 --season 12 --level 80,95 --seed 0 \
  --out "$WORK/airline.tidal" --plots "$WORK/airline" --quiet >/dev/null
# Many series (20 regions, quarterly): best, median and worst by MASE, and the MASE distribution.
"$TIDAL" train --data SampleSeries/visnights.csv --season 4 --lookback 8 --test-start 2015Q1 --seed 0 \
  --out "$WORK/visnights.tidal" --plots "$WORK/visnights" --quiet >/dev/null
# Classification: accuracy per epoch and the confusion matrix.
"$TIDAL" train --task classify --data SampleSeries/GunPoint_TRAIN.csv --test SampleSeries/GunPoint_TEST.csv --seed 0 \
  --out "$WORK/gunpoint.tidal" --plots "$WORK/gunpoint" --quiet >/dev/null
# The long-memory comparison of Docs/long-memory.md: loss curves and gradient norms on log axes.
"$TIDAL" synth recall --length 60 --lag 50 --samples 1200 --classes 2 --seed 7 > "$WORK/recall_train.csv"
"$TIDAL" synth recall --length 60 --lag 50 --samples 400 --classes 2 --seed 8 > "$WORK/recall_test.csv"
"$TIDAL" compare --cells rnn,lstm --task classify --format ucr --data "$WORK/recall_train.csv" --test "$WORK/recall_test.csv" \
  --seed 0 --quiet --plots "$WORK/compare" >/dev/null
cp "$WORK/compare/compare_loss.svg" Docs/long-memory-loss.svg
cp "$WORK/compare/compare_gradients.svg" Docs/long-memory-gradients.svg

render() {  # render SOURCE.svg NAME
  rsvg-convert "$1" -o "$OUT/$2.png"
  if command -v pngquant >/dev/null; then pngquant --force --skip-if-larger --quality 70-95 --output "$OUT/$2.png" "$OUT/$2.png" || true; fi
  echo "$OUT/$2.png: $(wc -c <"$OUT/$2.png") bytes"
}
render "$WORK/airline/forecast.svg" forecast
render "$WORK/airline/loss.svg" loss
render "$WORK/visnights/forecast.svg" forecast-many-series
render "$WORK/visnights/mase.svg" mase
render "$WORK/gunpoint/accuracy.svg" accuracy
render "$WORK/gunpoint/confusion.svg" confusion
render "$WORK/compare/compare_loss.svg" compare-loss
render "$WORK/compare/compare_gradients.svg" compare-gradients
