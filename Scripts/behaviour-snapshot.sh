#!/usr/bin/env bash
# Records what the release binary does on a fixed set of runs, for refactors that must leave behaviour
# unchanged: the --metrics JSON of every training run the acceptance checks make (train_seconds and
# creation time dropped), and forecast --all / predict / replay outputs of the trained models.
#   Scripts/behaviour-snapshot.sh OUT_DIR        then: diff -r BEFORE_DIR AFTER_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: Scripts/behaviour-snapshot.sh OUT_DIR}
data=${TIDAL_DATA:-../shared/data}
mkdir -p "$out"
swift build -c release -q
t=$(swift build -c release --show-bin-path)/tidal
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
clean() { python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
def strip(x):
    if isinstance(x, dict): return {k: strip(v) for k, v in x.items() if k not in ('train_seconds','created','seconds')}
    if isinstance(x, list): return [strip(v) for v in x]
    return x
json.dump(strip(d), open(sys.argv[2],'w'), indent=1, sort_keys=True)" "$1" "$2"; }
run() { # name, then tidal train arguments
  local n=$1; shift
  "$t" train "$@" --out "$work/$n.tidal" --metrics "$work/$n.json" --quiet >"$out/$n.train.log" 2>&1 || echo "exit $?" >>"$out/$n.train.log"
  [ -f "$work/$n.json" ] && clean "$work/$n.json" "$out/$n.json"
  "$t" inspect "$work/$n.tidal" >"$out/$n.inspect" 2>&1 || true
  sed -i '/created\|seconds/d' "$out/$n.inspect"
}
for spec in airline:12 co2_monthly:12 wineind:12 elnino:12 sunspots_monthly:1; do
  IFS=: read -r n m <<<"$spec"; lb=$(( m > 4 ? 2*m : 12 ))
  run "$n" --data "$data/forecasting/$n.csv" --target value --lookback $lb --horizon 1 --season $m --seed 0
  "$t" forecast --model "$work/$n.tidal" --data "$data/forecasting/$n.csv" --all >"$out/$n.forecast-all" 2>&1 || true
  "$t" replay --model "$work/$n.tidal" <"$data/forecasting/$n.csv" >"$out/$n.replay" 2>&1 || true
  "$t" evaluate --model "$work/$n.tidal" --data "$data/forecasting/$n.csv" >"$out/$n.evaluate" 2>&1 || true
done
for spec in GunPoint:ucr ItalyPowerDemand:ucr ArrowHead:ucr BasicMotions:long; do
  IFS=: read -r n f <<<"$spec"
  run "$n" --task classify --format $f --data "$data/classification/${n}_TRAIN.csv" --test "$data/classification/${n}_TEST.csv" --seed 0
  "$t" predict --model "$work/$n.tidal" --data "$data/classification/${n}_TEST.csv" >"$out/$n.predict" 2>&1 || true
  "$t" evaluate --model "$work/$n.tidal" --data "$data/classification/${n}_TEST.csv" >"$out/$n.evaluate" 2>&1 || true
done
run tecator --task regress --data "$data/regression/Tecator_TRAIN.csv" --test "$data/regression/Tecator_TEST.csv" --seed 0 --epochs 20
"$t" predict --model "$work/tecator.tidal" --data "$data/regression/Tecator_TEST.csv" >"$out/tecator.predict" 2>&1 || true
S=$data/forecasting/elnino.csv
run dreplay --data "$S" --target value --lookback 12 --horizon 2 --epochs 5 --seed 1
"$t" forecast --model "$work/dreplay.tidal" --data "$S" --all >"$out/dreplay.forecast-all" 2>&1 || true
{ head -30 "$S"; echo "x,notanumber"; sed -n 31,60p "$S"; echo ",,,"; sed -n "61,\$p" "$S"; } >"$work/bad.csv"
"$t" replay --model "$work/dreplay.tidal" <"$work/bad.csv" >"$out/dreplay.replay-bad" 2>&1 || true
"$t" replay --model "$work/dreplay.tidal" --output jsonl <"$S" >"$out/dreplay.replay-jsonl" 2>&1 || true
run sensor --data SampleSeries/sensor.csv --target temperature --features temperature --features humidity \
    --features load --lookback 48 --horizon 6 --season 24 --seed 0 --epochs 5
"$t" forecast --model "$work/sensor.tidal" --data SampleSeries/sensor.csv --all >"$out/sensor.forecast-all" 2>&1 || true
run fault --task classify --label state --lookback 12 --data SampleSeries/sensor.csv --seed 0 --epochs 5
"$t" replay --model "$work/fault.tidal" <SampleSeries/sensor.csv >"$out/fault.replay" 2>&1 || true
"$t" predict --model "$work/fault.tidal" --data SampleSeries/sensor.csv >"$out/fault.predict" 2>&1 || true
run faultcat --task classify --label state --lookback 12 --data SampleSeries/sensor.csv --categorical humidity --seed 0 --epochs 3
"$t" replay --model "$work/faultcat.tidal" <SampleSeries/sensor.csv >"$out/faultcat.replay" 2>&1 || true
run sensorcat --data SampleSeries/sensor.csv --target temperature --categorical state --lookback 24 --seed 0 --epochs 3
"$t" replay --model "$work/sensorcat.tidal" <SampleSeries/sensor.csv >"$out/sensorcat.replay" 2>&1 || true
run text --task classify --text text --label label --data "$data/text/rotten_tomatoes.csv" --test-fraction 0.2 --seed 0
head -51 "$data/text/rotten_tomatoes.csv" | "$t" replay --model "$work/text.tidal" >"$out/text.replay" 2>&1 || true
"$t" synth recall --length 60 --lag 50 --samples 1200 --classes 2 --seed 7 >"$work/rtrain.csv"
"$t" synth recall --length 60 --lag 50 --samples 400 --classes 2 --seed 8 >"$work/rtest.csv"
"$t" compare --cells rnn,lstm --task classify --format ucr --data "$work/rtrain.csv" --test "$work/rtest.csv" \
   --seed 0 --metrics "$work/cmp.json" --quiet >"$out/compare.log" 2>&1 || true
clean "$work/cmp.json" "$out/compare.json"
run threads2 --data "$data/forecasting/airline.csv" --target value --lookback 24 --season 12 --seed 0 --threads 2
echo "snapshot written to $out"
