#!/usr/bin/env python3
"""Benchmark (not a test): a generated panel scored by one local `tidal replay` and through Spark.

    TIDAL=.build/release/tidal .venv-spark/bin/python integrations/spark/bench_tidal_spark.py \
        --series 1000 --rows 1000 --masters 'local[1]' 'local[2]'

Prints rows/s of each. Spark's figure covers replay() end to end (CSV read, row numbering, the
shuffle by series, the sort, the JVM -> Python -> tidal -> Python -> JVM transfer, the cached
result and the accounting check), not writing an output file.
"""

import argparse
import math
import os
import random
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tidal_spark  # noqa: E402


def generate(path, series, rows, seed=1):
    rng = random.Random(seed)
    params = [(rng.uniform(5, 50), rng.uniform(0.5, 5), rng.uniform(0, 6.3)) for _ in range(series)]
    with open(path, "w") as f:
        f.write("series,t,value\n")
        for t in range(rows):  # interleaved, as a feed arrives
            f.write("".join(
                f"s{s:04d},{t},{level + amp * math.sin(2 * math.pi * t / 24 + phase) + rng.gauss(0, 0.3 * amp):.4f}\n"
                for s, (level, amp, phase) in enumerate(params)
            ))


def spark_run(master, model, data, tidal):
    spark = tidal_spark.local_session(master, "tidal-spark-bench")
    try:
        started = time.perf_counter()
        result = tidal_spark.replay(tidal_spark.read_csv(spark, data), model, "series", tidal=tidal)
        seconds = time.perf_counter() - started
        print(f"{master}: {result.accounting.summary()}; {seconds:.1f} s", flush=True)
        return result.accounting.rows_read, seconds
    finally:
        spark.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--masters", nargs="*", default=["local[1]", "local[2]"])
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: one Spark run in this process
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    tidal = tidal_spark.resolve_tidal(os.environ.get("TIDAL") or None)
    if args.one:
        n, s = spark_run(args.one, args.model, args.data, tidal)
        print(f"RESULT {n} {s}")
        return
    work = tempfile.mkdtemp(prefix="tidal-spark-bench-")
    data, model = os.path.join(work, "panel.csv"), os.path.join(work, "m.tidal")
    generate(data, args.series, args.rows)
    train = os.path.join(work, "train.csv")
    with open(data) as f, open(train, "w") as g:  # train on the first 50 series' first 300 rows
        for i, line in enumerate(f):
            if i == 0 or (i <= 300 * args.series and int(line[1:5]) < 50):
                g.write(line)
    subprocess.run([tidal, "train", "--data", train, "--lookback", "24", "--season", "24", "--epochs", "2",
                    "--seed", "0", "--out", model, "--quiet"], check=True)
    print(f"panel: {args.series} series x {args.rows} rows = {args.series * args.rows} rows; model lookback 24, "
          f"lstm 64", flush=True)
    results = []
    with open(data) as f:
        started = time.perf_counter()
        done = subprocess.run([tidal, "replay", "--model", model], stdin=f, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, check=True)
        seconds = time.perf_counter() - started
    print(f"local tidal replay: {done.stderr.strip().splitlines()[-1]}; {seconds:.1f} s", flush=True)
    results.append(("local tidal replay", args.series * args.rows / seconds))
    for master in args.masters:
        out = subprocess.run([sys.executable, __file__, "--one", master, "--model", model, "--data", data],
                             capture_output=True, text=True)
        lines = [line for line in out.stdout.splitlines() if line.startswith(("RESULT", "local"))]
        if out.returncode != 0 or not lines:
            print(out.stderr[-2000:], file=sys.stderr)
            sys.exit(1)
        print(lines[0], flush=True)
        n, s = lines[-1].split()[1:]
        results.append((f"spark {master}", int(n) / float(s)))
    print("\n| run | rows/s |\n| --- | ---: |")
    for name, rate in results:
        print(f"| {name} | {rate:,.0f} |")


if __name__ == "__main__":
    main()
