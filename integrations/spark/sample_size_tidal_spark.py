#!/usr/bin/env python3
"""Sample size against accuracy for one global model (Docs/spark.md): stratified samples of a panel
drawn with sample_for_training, one tidal train each, tidal evaluate on every series' last 48 rows.

    TIDAL=.build/release/tidal .venv-spark/bin/python integrations/spark/sample_size_tidal_spark.py
"""
import json, math, os, random, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tidal_spark as ts
T = ts.resolve_tidal(os.environ.get('TIDAL') or None); W = tempfile.mkdtemp(prefix='tidal-sample-size-')
rng = random.Random(11)
with open(f'{W}/hist.csv', 'w') as h, open(f'{W}/hold.csv', 'w') as o:
    h.write('series,t,value\n'); o.write('series,t,value\n')
    for s in range(120):
        level, amp, phase = rng.uniform(5, 50), rng.uniform(0.5, 5), rng.uniform(0, 6.3)
        for t in range(480):
            v = level + amp * math.sin(2 * math.pi * t / 24 + phase) + rng.gauss(0, 0.3 * amp)
            line = f"s{s:03d},{t},{v:.4f}\n"
            if t < 432: h.write(line)
            if t >= 432 - 24: o.write(line)
spark = ts.local_session('local[2]')
df = ts.read_csv(spark, f'{W}/hist.csv')
print('| series kept | rows per series | training rows | holdout MAE | holdout MASE | train s |')
print('| ---: | ---: | ---: | ---: | ---: | ---: |')
for frac, cap in [(0.1, 96), (0.1, 432), (0.25, 96), (0.25, 432), (1.0, 48), (1.0, 96), (1.0, 432)]:
    sample = ts.sample_for_training(df, 'series', rows_per_series=cap, series_fraction=None if frac == 1.0 else frac, seed=3)
    rows = sample.drop(ts.ROW_COL).collect()
    path = f'{W}/s.csv'
    with open(path, 'w') as f:
        f.write('series,t,value\n'); f.writelines(f"{r['series']},{r['t']},{r['value']}\n" for r in rows)
    nser = len({r['series'] for r in rows})
    t0 = time.time()
    subprocess.run([T, 'train', '--data', path, '--lookback', '24', '--season', '24', '--epochs', '3', '--seed', '0',
                    '--threads', '2', '--out', f'{W}/m.tidal', '--quiet'], check=True)
    secs = time.time() - t0
    subprocess.run([T, 'evaluate', '--model', f'{W}/m.tidal', '--data', f'{W}/hold.csv', '--metrics', f'{W}/e.json'],
                   check=True, capture_output=True)
    e = json.load(open(f'{W}/e.json'))
    m = e.get('model', e.get('test', e))
    print(f"| {nser} of 120 | {cap} | {len(rows)} | {m.get('mae'):.4f} | {m.get('mean_mase', m.get('mase')):.4f} | {secs:.1f} |", flush=True)
spark.stop()
