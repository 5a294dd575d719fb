#!/usr/bin/env python3
"""Tests of tidal_spark against the local `tidal` binary, on local[2] Spark (plain unittest).

    TIDAL=.build/release/tidal .venv-spark/bin/python integrations/spark/test_tidal_spark.py
"""

import csv
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tidal_spark  # noqa: E402

TIDAL = None


def write_panel(path, series=12, rows=80, bad_every=41, seed=5):
    """A long-format panel, series interleaved row by row (as a live feed arrives), bad values mixed in."""
    rng = random.Random(seed)
    params = [(rng.uniform(5, 50), rng.uniform(0.5, 5), rng.uniform(0, 6.3)) for _ in range(series)]
    with open(path, "w") as f:
        f.write("series,t,value\n")
        i = 0
        for t in range(rows):
            for s, (level, amp, phase) in enumerate(params):
                v = level + amp * math.sin(2 * math.pi * t / 12 + phase) + rng.gauss(0, 0.2 * amp)
                f.write(f"s{s:02d},{t},{'oops' if i % bad_every == 7 else f'{v:.4f}'}\n")
                i += 1


def tidal(*args, stdin=None):
    return subprocess.run([TIDAL, *args], stdin=stdin, capture_output=True, text=True)


class TidalSparkTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="tidal-spark-test-")
        cls.panel = os.path.join(cls.dir, "panel.csv")
        cls.clean = os.path.join(cls.dir, "clean.csv")
        cls.model = os.path.join(cls.dir, "m.tidal")
        write_panel(cls.panel)
        with open(cls.panel) as f, open(cls.clean, "w") as g:
            g.writelines(line for line in f if "oops" not in line)
        done = tidal("train", "--data", cls.clean, "--target", "value", "--time-column", "t", "--lookback", "12",
                     "--season", "12", "--epochs", "2", "--seed", "0", "--out", cls.model, "--quiet")
        assert done.returncode == 0, done.stderr
        cls.spark = tidal_spark.local_session("local[2]", "tidal-spark-test")

    @classmethod
    def tearDownClass(cls):
        cls.spark.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def local_replay(self):
        with open(self.panel) as f:
            done = tidal("replay", "--model", self.model, stdin=f)
        self.assertEqual(done.returncode, 0, done.stderr)
        rows = list(csv.DictReader(done.stdout.splitlines()))
        return rows, done.stderr

    def test_replay_equals_local_replay_for_every_series_and_time(self):
        local, _ = self.local_replay()
        result = tidal_spark.replay(tidal_spark.read_csv(self.spark, self.panel), self.model, "series", tidal=TIDAL)
        spark_rows = [r.asDict() for r in result.predictions.collect()]
        self.assertEqual(result.predictions.columns, list(local[0].keys()))
        want = {(r["series"], r["time"]): r for r in local}
        got = {(r["series"], r["time"]): r for r in spark_rows}
        self.assertEqual(want.keys(), got.keys())
        self.assertGreater(len(want), 500)
        for key, w in want.items():
            g = got[key]
            self.assertEqual(int(w["row"]), g["row"], key)  # the file's row number, not the task's
            self.assertEqual(int(w["gap"]), g["gap"], key)
            self.assertAlmostEqual(float(w["value_h1"]), g["value_h1"], delta=1e-6 * max(1, abs(g["value_h1"])))
        self.assertTrue(any(r["gap"] == 1 for r in spark_rows))  # windows over bad rows are flagged

    def test_accounting_and_rejected_rows_are_exact(self):
        local, err = self.local_replay()
        summary = re.search(r"replay: (\d+) rows read, (\d+) predictions written, (\d+) rejected, (\d+) warming up", err)
        want = tidal_spark.Accounting(*(int(g) for g in summary.groups()))
        result = tidal_spark.replay(tidal_spark.read_csv(self.spark, self.panel), self.model, "series", tidal=TIDAL)
        self.assertEqual(result.accounting, want)
        self.assertEqual(result.accounting.summary(), summary.group(0))
        self.assertEqual(result.predictions.count(), want.predictions)
        # every rejected row: its series and file row as tidal reports it on one stream
        lines = [int(m) for m in re.findall(r"<stdin>:(\d+):\d+: row rejected", err)]
        with open(self.panel) as f:
            file_rows = list(csv.reader(f))
        want_rejected = sorted((file_rows[n - 1][0], n - 1) for n in lines)
        got = sorted((r["series"], r["row"]) for r in result.rejected.collect())
        self.assertEqual(got, want_rejected)
        self.assertEqual(len(got), want.rejected)
        self.assertTrue(all("expected a number" in r["reason"] for r in result.rejected.collect()))

    def test_corrupt_model_fails_with_tidals_message(self):
        bad = os.path.join(self.dir, "corrupt.tidal")
        with open(self.model, "rb") as f:
            data = bytearray(f.read())
        data[:8] = b"garbage!"
        with open(bad, "wb") as f:
            f.write(data)
        message = tidal("inspect", bad).stderr.strip().removeprefix("tidal: ").split(";")[0]
        self.assertIn("not a Tidal model file", message)
        with self.assertRaises(tidal_spark.TidalError) as caught:
            tidal_spark.replay(tidal_spark.read_csv(self.spark, self.panel), bad, "series", tidal=TIDAL)
        self.assertIn("not a Tidal model file", str(caught.exception))

    def test_a_failing_tidal_fails_its_task_with_tidals_stderr(self):
        # --strict: tidal stops with a non-zero exit at the first bad row, inside a task
        self.spark.sparkContext.setLogLevel("OFF")  # the failed task's Java stack trace is expected
        try:
            with self.assertRaises(Exception) as caught:
                tidal_spark.replay(tidal_spark.read_csv(self.spark, self.panel), self.model, "series",
                                   tidal=TIDAL, strict=True)
        finally:
            self.spark.sparkContext.setLogLevel("ERROR")
        text = str(caught.exception)
        self.assertIn("tidal replay exited with status", text)
        self.assertIn('expected a number, found "oops"', text)

    def test_forecast_equals_local_forecast(self):
        done = tidal("forecast", "--model", self.model, "--data", self.clean)
        self.assertEqual(done.returncode, 0, done.stderr)
        want = {r["series"]: r for r in csv.DictReader(done.stdout.splitlines())}
        got = {r["series"]: r for r in tidal_spark.forecast(
            tidal_spark.read_csv(self.spark, self.clean), self.model, "series", tidal=TIDAL).collect()}
        self.assertEqual(want.keys(), got.keys())
        for s, w in want.items():
            self.assertEqual(int(w["row"]), got[s]["row"])
            self.assertEqual(w["time"], got[s]["time"])
            self.assertAlmostEqual(float(w["value_h1"]), got[s]["value_h1"], places=5)

    def test_train_per_group_matches_local_train_with_the_same_seed(self):
        grouped = os.path.join(self.dir, "groups.csv")
        with open(self.clean) as f, open(grouped, "w") as g:
            reader = csv.reader(f)
            g.write("group," + ",".join(next(reader)) + "\n")
            for row in reader:
                if row[0] < "s06":
                    g.write(("g1," if row[0] < "s03" else "g2,") + ",".join(row) + "\n")
        args = ["--series", "series", "--time-column", "t", "--target", "value", "--lookback", "12",
                "--season", "12", "--epochs", "2", "--seed", "0"]
        out_dir = os.path.join(self.dir, "models")
        result = tidal_spark.train_per_group(tidal_spark.read_csv(self.spark, grouped), "group", args, out_dir,
                                             tidal=TIDAL)
        rows = {r["group"]: r for r in result.collect()}
        self.assertEqual(sorted(rows), ["g1", "g2"])
        self.assertEqual(sorted(os.listdir(out_dir)), ["g1.tidal", "g2.tidal"])  # no temporary files left
        for group, row in rows.items():
            self.assertEqual(tidal("inspect", row["model_path"]).returncode, 0)
            part = os.path.join(self.dir, f"{group}.csv")
            with open(grouped) as f, open(part, "w") as g:
                reader = csv.reader(f)
                g.write(",".join(next(reader)[1:]) + "\n")
                n = 0
                for r in reader:
                    if r[0] == group:
                        g.write(",".join(r[1:]) + "\n")
                        n += 1
            self.assertEqual(row["rows"], n)
            metrics = os.path.join(self.dir, f"{group}.json")
            done = tidal("train", "--data", part, *args, "--threads", "1", "--metrics", metrics, "--quiet")
            self.assertEqual(done.returncode, 0, done.stderr)
            with open(metrics) as f:
                want = json.load(f)
            got = json.loads(row["metrics_json"])
            want.pop("train_seconds")
            got.pop("train_seconds")
            self.assertEqual(got, want, group)
            self.assertEqual(row["test_mae"], want["test"]["mae"])


def main():
    global TIDAL
    TIDAL = tidal_spark.resolve_tidal(os.environ.get("TIDAL") or None)
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(TidalSparkTest)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors)
    print(f"spark: {result.testsRun - failed - len(result.skipped)} passed, {failed} failed")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
