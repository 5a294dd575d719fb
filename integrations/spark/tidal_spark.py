#!/usr/bin/env python3
"""Tidal on Apache Spark: score and train many series with the same `tidal` binary in every task.

Spark partitions the rows by series and moves them; `tidal` does the numeric work in each task
through the stdin/stdout interface it offers on one machine. No Python runs inside `tidal`.

Library (PySpark, Python >= 3.10):

    replay(df, model_path, series_col, time_col=None, tidal=None)  -> ReplayResult(predictions, rejected, accounting)
    forecast(df, model_path, series_col, tidal=None)              -> DataFrame (one line per series)
    train_per_group(df, group_col, train_args, model_dir, tidal=None) -> DataFrame (group, model_path, metrics)
    sample_for_training(df, series_col, rows_per_series=None, series_fraction=None, seed=0) -> DataFrame

Command line:

    python3 tidal_spark.py replay --model M --data IN.csv --series COL --out OUT.csv [--master local[2]]
    python3 tidal_spark.py train-per-group --data IN.csv --group COL --out-dir DIR [--master …] -- <tidal train flags>

The binary: `tidal=` a path present on every node, or the name of a file shipped with
`SparkContext.addFile` / `spark-submit --files` (resolved with SparkFiles on each executor); by
default `$TIDAL`, else `swift build -c release --show-bin-path`/tidal.
"""

from __future__ import annotations

import argparse
import collections
import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from typing import Iterable, Iterator, NamedTuple, Sequence

ROW_COL = "__tidal_row"  # 1-based position of each row in the input (file order)
LINE_COL = "__tidal_line"  # the row as one CSV line, formatted in the JVM
BATCH_LINES = 2000  # rows written to a tidal process per write call

_REJECTED = re.compile(r"^tidal: <stdin>:(\d+)(?::\d+)?: row rejected: (.*)$")
_SUMMARY = re.compile(
    r"^replay: (\d+) rows read, (\d+) predictions written, (\d+) rejected, (\d+) warming up"
)


class TidalError(RuntimeError):
    """A `tidal` process failed (non-zero exit, or output that does not add up); carries its stderr."""


class Accounting(NamedTuple):
    """Rows read = predictions written + rejected + warming up, summed over every task."""

    rows_read: int
    predictions: int
    rejected: int
    warming_up: int

    def summary(self) -> str:
        """The words of `tidal replay`'s own summary line."""
        return (
            f"replay: {self.rows_read} rows read, {self.predictions} predictions written, "
            f"{self.rejected} rejected, {self.warming_up} warming up"
        )


class ReplayResult(NamedTuple):
    """What `replay` returns: typed predictions, the rejected rows and the checked accounting."""

    predictions: object  # pyspark.sql.DataFrame: series, row, time, time_h1, …, <target>_h1, …, gap
    rejected: object  # pyspark.sql.DataFrame: series, row, line, reason
    accounting: Accounting


# ---------------------------------------------------------------------------------------------
# Finding the binary


def default_tidal() -> str:
    """`$TIDAL`, else the release build of the checkout this file lives in."""
    env = os.environ.get("TIDAL")
    if env:
        return env
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    try:
        out = subprocess.run(
            ["swift", "build", "-c", "release", "--show-bin-path"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return os.path.join(out, "tidal")
    except (OSError, subprocess.CalledProcessError) as error:
        raise TidalError(f"no tidal binary: set $TIDAL or pass tidal= ({error})") from error


def resolve_tidal(tidal: str | None) -> str:
    """An executable path for `tidal` on this node: a path, or a file shipped with addFile/--files."""
    name = tidal or default_tidal()
    if os.path.isfile(name) and os.access(name, os.X_OK):
        return os.path.abspath(name)
    try:
        from pyspark import SparkFiles

        shipped = SparkFiles.get(os.path.basename(name))
        if os.path.isfile(shipped):
            if not os.access(shipped, os.X_OK):
                os.chmod(shipped, 0o755)
            return shipped
    except Exception:  # no SparkContext / SparkFiles root here
        pass
    found = shutil.which(name)
    if found:
        return found
    raise TidalError(f"tidal binary not found on this node: {name}")


def _shipped_name(spark, path: str) -> str:
    """Ship `path` to every executor (SparkContext.addFile) and return the name tasks resolve."""
    spark.sparkContext.addFile(path)
    return os.path.basename(path)


# ---------------------------------------------------------------------------------------------
# One tidal process, fed and read concurrently


class _Process:
    """A `tidal` subprocess whose stdin is fed from a writer thread and whose stderr a second
    thread drains, so a partition streams through without being held in memory."""

    def __init__(self, argv: Sequence[str], header: str, lines: Iterable[str], on_line=None):
        self.argv = list(argv)
        self.proc = subprocess.Popen(
            self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.rejected: list[tuple[int, str]] = []
        self.summary: tuple[int, int, int, int] | None = None
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=40)
        self.write_error: BaseException | None = None
        self.fed = 0
        self._writer = threading.Thread(target=self._feed, args=(header, lines, on_line), daemon=True)
        self._reader = threading.Thread(target=self._drain_stderr, daemon=True)
        self._writer.start()
        self._reader.start()

    def _feed(self, header: str, lines: Iterable[str], on_line) -> None:
        out = self.proc.stdin
        try:
            batch = [header]
            for item in lines:
                line = on_line(item) if on_line else item
                batch.append(line)
                self.fed += 1
                if len(batch) >= BATCH_LINES:
                    out.write(("\n".join(batch) + "\n").encode())
                    batch = []
            if batch:
                out.write(("\n".join(batch) + "\n").encode())
        except BrokenPipeError:
            pass  # tidal stopped reading; its exit status and stderr tell why
        except BaseException as error:  # an error upstream (Spark input); fail the task with it
            self.write_error = error
        finally:
            try:
                out.close()
            except BrokenPipeError:
                pass

    def _drain_stderr(self) -> None:
        for raw in self.proc.stderr:
            text = raw.decode(errors="replace").rstrip("\n")
            match = _REJECTED.match(text)
            if match:
                self.rejected.append((int(match.group(1)), match.group(2)))
                if len(self.rejected) <= 5:  # a few stay in the tail: with --strict they are the error
                    self.stderr_tail.append(text)
                continue
            match = _SUMMARY.match(text)
            if match:
                self.summary = tuple(int(g) for g in match.groups())
                continue
            self.stderr_tail.append(text)

    def stdout_lines(self) -> Iterator[str]:
        for raw in self.proc.stdout:
            yield raw.decode().rstrip("\n")

    def finish(self, what: str) -> None:
        """Wait for the process; a non-zero exit raises TidalError with tidal's stderr."""
        code = self.proc.wait()
        self._writer.join()
        self._reader.join()
        if self.write_error is not None:
            raise self.write_error
        if code != 0:
            tail = "\n".join(self.stderr_tail) or "(no stderr)"
            raise TidalError(f"{what} exited with status {code}: {tail}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _split(line: str) -> list[str]:
    return line.split(",") if '"' not in line else next(csv.reader([line]))


# ---------------------------------------------------------------------------------------------
# Schemas and probing (on the driver)


def probe_columns(tidal: str, model_path: str, header: Sequence[str]) -> list[str]:
    """The output header `tidal replay` writes for this model and input header (a header-only
    stream); fails with tidal's own message when the model cannot be read."""
    argv = [resolve_tidal(tidal), "replay", "--model", model_path]
    done = subprocess.run(argv, input=(_csv_header(header) + "\n").encode(), capture_output=True)
    lines = done.stdout.decode().splitlines()
    if done.returncode != 0 or not lines:
        err = done.stderr.decode().strip() or f"exit status {done.returncode}"
        raise TidalError(f"tidal replay --model {model_path}: {err}")
    return _split(lines[0])


def _field_type(name: str):
    from pyspark.sql import types as T

    # time_h1, … (the time each forecast step is for) are times like `time`, not numbers.
    if name in ("series", "time", "label") or re.fullmatch(r"time_h\d+", name):
        return T.StringType()
    if name in ("row", "gap", "anomaly"):
        return T.LongType()
    return T.DoubleType()


def _parsers(fields: Sequence[str]):
    """One text -> value function per output field (empty text -> None)."""
    kinds = {"string": str, "long": int, "double": float}
    out = []
    for name in fields:
        convert = kinds[_field_type(name).typeName()]
        out.append(lambda text, convert=convert: convert(text) if text != "" else None)
    return out


# ---------------------------------------------------------------------------------------------
# Preparing a DataFrame: file order, one CSV line per row, partitioned by a key


def _spark_of(df):
    return df.sparkSession


def _ensure_module_on_workers(spark) -> None:
    sc = spark.sparkContext
    if not getattr(sc, "_tidal_spark_shipped", False):
        if os.path.basename(__file__) != "pyspark-shell" and os.path.isfile(__file__):
            sc.addPyFile(os.path.abspath(__file__))
        sc._tidal_spark_shipped = True


def with_row_numbers(df, row_col: str = ROW_COL):
    """`df` with a 1-based row number in its current order (the file order for a CSV read), all in
    the JVM: monotonically_increasing_id (partition id in its upper bits, position below), made
    contiguous by each partition's start, from one counting pass over the input."""
    from pyspark.sql import functions as F

    mid = F.monotonically_increasing_id()
    tagged = df.withColumn("__tidal_mid", mid)
    part = F.shiftright(F.col("__tidal_mid"), 33)
    counts = sorted(tuple(r) for r in tagged.groupBy(part.alias("p")).count().collect())
    starts, total = [], 0
    for p, n in counts:
        starts += [F.lit(int(p)), F.lit(total)]
        total += n
    offset = F.element_at(F.create_map(*starts), part) if starts else F.lit(0)
    low = F.col("__tidal_mid").bitwiseAND(F.lit((1 << 33) - 1))
    return tagged.withColumn(row_col, (low + offset + 1).cast("long")).drop("__tidal_mid")


def _csv_lines(df, columns: Sequence[str], key_col: str, order: Sequence[str], partitions: int | None):
    """(key, row, line) per row, hash-partitioned by key and sorted within partitions; the CSV line
    is formatted in the JVM (to_csv), so Python only moves one string per row."""
    from pyspark.sql import functions as F

    spark = _spark_of(df)
    n = partitions or spark.sparkContext.defaultParallelism
    line = F.to_csv(
        F.struct(*[F.col(c).cast("string") for c in columns]),
        {"ignoreLeadingWhiteSpace": "false", "ignoreTrailingWhiteSpace": "false"},
    )
    return (
        df.repartition(n, F.col(key_col))
        .sortWithinPartitions(*order)
        .select(F.col(key_col).cast("string").alias("key"), F.col(ROW_COL).alias("row"), line.alias("line"))
    )


# ---------------------------------------------------------------------------------------------
# replay


def _replay_partition(rows: Iterator, argv, header, fields, acc) -> Iterator[tuple]:
    """One `tidal replay` for the partition's rows (key, row, line); yields ('p', …) predictions as
    they arrive, then ('r', …) rejected rows; checks tidal's summary against what it saw."""
    first = next(rows, None)
    if first is None:
        return
    fed = collections.deque()  # (row, series) of rows written but not yet matched to an output line

    def remember(item):
        fed.append((item[1], item[0]))
        return item[2]

    def all_rows():
        yield first
        yield from rows

    proc = _Process(argv, header, all_rows(), on_line=remember)
    pending: dict[int, tuple[int, str]] = {}  # position -> (row, series) of rows without a prediction
    position = 0
    predictions = 0
    row_at = fields.index("row")
    parsers = _parsers(fields)
    try:
        lines = proc.stdout_lines()
        next(lines, None)  # the header
        for line in lines:
            values = _split(line)
            k = int(values[row_at])
            while position < k:
                position += 1
                item = fed.popleft()
                if position < k:
                    pending[position] = item
            values[row_at] = item[0]
            predictions += 1
            yield ("p",) + tuple([p(v) for p, v in zip(parsers, values)]) + (None, None)
        while fed:
            position += 1
            pending[position] = fed.popleft()
        proc.finish("tidal replay")
    finally:
        proc.kill()
    if proc.summary is None:
        raise TidalError("tidal replay wrote no summary line: " + "\n".join(proc.stderr_tail))
    read, written, rejected, warming = proc.summary
    if read != proc.fed or written != predictions or rejected != len(proc.rejected):
        raise TidalError(
            f"tidal replay's summary ({read} read, {written} written, {rejected} rejected) does not match "
            f"this task ({proc.fed} fed, {predictions} parsed, {len(proc.rejected)} rejection lines)"
        )
    for line_no, reason in proc.rejected:
        row, series = pending.get(line_no - 1, (None, None))
        yield ("r", series) + (None,) * (len(fields) - 1) + (row, reason)
    acc[0].add(read)
    acc[1].add(written)
    acc[2].add(rejected)
    acc[3].add(warming)


def replay(
    df,
    model_path: str,
    series_col: str,
    time_col: str | None = None,
    tidal: str | None = None,
    partitions: int | None = None,
    strict: bool = False,
    row_col: str | None = None,
) -> ReplayResult:
    """Score every row of a long-format DataFrame through `tidal replay`, one process per partition.

    Rows are hash-partitioned by `series_col` and sorted within partitions by series, then
    `time_col` (or the input order: `row_col`, else a row number attached here), streamed as CSV
    into `tidal replay --model model_path`. Returns the typed predictions (tidal's columns; `row` is
    the input row number), the rejected rows (series, row, reason) and the accounting, summed over
    tasks with accumulators and checked (rows read = input rows = predicted + rejected + warming).
    A `tidal` that exits non-zero fails its task with tidal's stderr. The result is persisted.
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    spark = _spark_of(df)
    _ensure_module_on_workers(spark)
    tidal = tidal or default_tidal()
    columns = [c for c in df.columns if c != (row_col or ROW_COL)]
    fields = probe_columns(tidal, model_path, columns)
    if fields[:2] != ["series", "row"]:
        raise TidalError(
            f"{model_path} has no series column (its replay writes {','.join(fields[:3])}…); "
            "train it with --series to score many series through Spark"
        )
    if row_col:
        df = df.withColumnRenamed(row_col, ROW_COL)
    elif ROW_COL not in df.columns:
        df = with_row_numbers(df)
    order = [F.col(series_col)] + ([F.col(time_col)] if time_col else []) + [F.col(ROW_COL)]
    lines = _csv_lines(df, columns, series_col, order, partitions)

    sc = spark.sparkContext
    acc = [sc.accumulator(0) for _ in range(4)]
    argv = [tidal, "replay", "--model", model_path] + (["--strict"] if strict else [])
    header = _csv_header(columns)

    def run(rows):
        real = list(argv)
        real[0] = resolve_tidal(argv[0])
        return _replay_partition(iter(rows), real, header, fields, acc)

    schema = T.StructType(
        [T.StructField("kind", T.StringType())]
        + [T.StructField(f, _field_type(f)) for f in fields]
        + [T.StructField("rejected_row", T.LongType()), T.StructField("reason", T.StringType())]
    )
    tagged = spark.createDataFrame(lines.rdd.mapPartitions(run), schema, verifySchema=False).persist(StorageLevel.MEMORY_AND_DISK)
    counts = {r["kind"]: r["count"] for r in tagged.groupBy("kind").count().collect()}
    accounting = Accounting(*(a.value for a in acc))
    total = df.count()
    _check(accounting, total, counts.get("p", 0), counts.get("r", 0))
    predictions = tagged.filter(F.col("kind") == "p").select(*fields)
    rejected = tagged.filter(F.col("kind") == "r").select(
        F.col("series"), F.col("rejected_row").alias("row"), F.col("reason")
    )
    return ReplayResult(predictions, rejected, accounting)


def _csv_header(columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(columns)
    return buffer.getvalue()


def _check(acc: Accounting, total: int, predictions: int, rejected: int) -> None:
    problems = []
    if acc.rows_read != acc.predictions + acc.rejected + acc.warming_up:
        problems.append("rows read != predicted + rejected + warming up")
    if acc.rows_read != total:
        problems.append(f"{total} input rows but {acc.rows_read} read (a task counted twice or lost rows)")
    if acc.predictions != predictions:
        problems.append(f"{predictions} prediction rows but tidal reported {acc.predictions}")
    if acc.rejected != rejected:
        problems.append(f"{rejected} rejected rows but tidal reported {acc.rejected}")
    if problems:
        raise TidalError("accounting does not add up: " + "; ".join(problems) + f" ({acc.summary()})")


# ---------------------------------------------------------------------------------------------
# forecast


def _forecast_partition(rows: Iterator, argv, header, fields) -> Iterator[tuple]:
    first = next(rows, None)
    if first is None:
        return
    from array import array

    positions = array("q")  # input row of each fed position: 8 bytes a row, not the rows

    def remember(item):
        positions.append(item[1])
        return item[2]

    def all_rows():
        yield first
        yield from rows

    proc = _Process(argv, header, all_rows(), on_line=remember)
    out = []
    try:
        lines = proc.stdout_lines()
        next(lines, None)
        out = [_split(line) for line in lines]
        proc.finish("tidal forecast")
    finally:
        proc.kill()
    row_at = fields.index("row")
    parsers = _parsers(fields)
    for values in out:
        values = [p(v) for p, v in zip(parsers, values)]
        values[row_at] = positions[values[row_at] - 1]
        yield tuple(values)


def forecast(df, model_path: str, series_col: str, tidal: str | None = None, partitions: int | None = None):
    """The forecast after each series' last row: one `tidal forecast --data -` per partition of
    series (rows in input order); columns as `tidal forecast` writes them, `row` the input row."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    spark = _spark_of(df)
    _ensure_module_on_workers(spark)
    tidal = tidal or default_tidal()
    columns = [c for c in df.columns if c != ROW_COL]
    # tidal forecast writes replay's columns without the per-row ones
    fields = [f for f in probe_columns(tidal, model_path, columns) if f not in ("gap", "anomaly", "score")]
    if ROW_COL not in df.columns:
        df = with_row_numbers(df)
    lines = _csv_lines(df, columns, series_col, [F.col(series_col), F.col(ROW_COL)], partitions)
    argv = [tidal, "forecast", "--model", model_path, "--data", "-"]
    header = _csv_header(columns)

    def run(rows):
        real = list(argv)
        real[0] = resolve_tidal(argv[0])
        return _forecast_partition(iter(rows), real, header, fields)

    schema = T.StructType([T.StructField(f, _field_type(f)) for f in fields])
    return spark.createDataFrame(lines.rdd.mapPartitions(run), schema, verifySchema=False)


# ---------------------------------------------------------------------------------------------
# train_per_group


METRIC_FIELDS = [
    ("test_mae", "mae"),
    ("test_rmse", "rmse"),
    ("test_smape", "smape"),
    ("test_mase", "mean_mase"),
    ("test_accuracy", "accuracy"),
]


def _safe_name(group: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]", "_", group) or "_"
    if name != group or name.startswith("."):
        name = f"{name}-{hashlib.sha1(group.encode()).hexdigest()[:8]}"
    return name


def _install_atomically(src: str, model_dir: str, name: str) -> str:
    """Copy `src` to model_dir/name via a temporary file in model_dir and a rename, so readers
    see the whole model or none (and a retried task simply replaces it)."""
    final = os.path.join(model_dir, name)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=model_dir)
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
            shutil.copyfileobj(inp, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, final)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return final


def _train_group(tidal: str, group: str, header: str, lines: Iterable[str], train_args, model_dir) -> tuple:
    work = tempfile.mkdtemp(prefix="tidal-train-")
    try:
        model = os.path.join(work, "model.tidal")
        metrics_file = os.path.join(work, "metrics.json")
        argv = [tidal, "train", "--data", "-", "--out", model, "--metrics", metrics_file, "--quiet"]
        proc = _Process(argv + list(train_args), header, lines)
        try:
            for _ in proc.stdout_lines():
                pass
            proc.finish(f"tidal train (group {group})")
        finally:
            proc.kill()
        with open(metrics_file) as f:
            metrics = json.load(f)
        path = _install_atomically(model, model_dir, _safe_name(group) + ".tidal")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    test = metrics.get("test", {})
    picked = tuple(float(test[key]) if isinstance(test.get(key), (int, float)) else None for _, key in METRIC_FIELDS)
    return (group, path, proc.fed) + picked + (
        metrics.get("epochs_run"),
        metrics.get("train_seconds"),
        json.dumps(metrics, sort_keys=True),
    )


def _train_partition(rows: Iterator, tidal, header, train_args, model_dir) -> Iterator[tuple]:
    binary = resolve_tidal(tidal)
    rows = iter(rows)
    current = next(rows, None)
    while current is not None:
        group = current[0]
        state = {"next": None}

        def same_group(first=current, group=group):
            yield first[2]
            for item in rows:
                if item[0] != group:
                    state["next"] = item
                    return
                yield item[2]

        yield _train_group(binary, group, header, same_group(), train_args, model_dir)
        current = state["next"]


def train_per_group(
    df,
    group_col: str,
    train_args: Sequence[str],
    model_dir: str,
    tidal: str | None = None,
    partitions: int | None = None,
):
    """One model per group (a store, a region, a machine type), trained in parallel: rows are
    hash-partitioned by group and sorted by group and input order; each group's rows go to one
    `tidal train --data -` on stdin (without the group column unless train_args name it), and the
    model is written atomically to model_dir/<group>.tidal (a path every executor sees). Without
    --threads in train_args each training gets spark.task.cpus threads. Returns group, model_path,
    rows, test metrics, epochs_run, train_seconds and the whole metrics JSON."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    spark = _spark_of(df)
    _ensure_module_on_workers(spark)
    tidal = tidal or default_tidal()
    args = list(train_args)
    if "--threads" not in args:
        args += ["--threads", spark.conf.get("spark.task.cpus", "1")]
    columns = [c for c in df.columns if c != ROW_COL and (c != group_col or group_col in args)]
    os.makedirs(model_dir, exist_ok=True)
    if ROW_COL not in df.columns:
        df = with_row_numbers(df)
    lines = _csv_lines(df, columns, group_col, [F.col(group_col), F.col(ROW_COL)], partitions)
    header = _csv_header(columns)
    model_dir = os.path.abspath(model_dir)

    def run(rows):
        return _train_partition(rows, tidal, header, args, model_dir)

    schema = T.StructType(
        [
            T.StructField("group", T.StringType()),
            T.StructField("model_path", T.StringType()),
            T.StructField("rows", T.LongType()),
        ]
        + [T.StructField(name, T.DoubleType()) for name, _ in METRIC_FIELDS]
        + [
            T.StructField("epochs_run", T.LongType()),
            T.StructField("train_seconds", T.DoubleType()),
            T.StructField("metrics_json", T.StringType()),
        ]
    )
    return spark.createDataFrame(lines.rdd.mapPartitions(run), schema, verifySchema=False)


# ---------------------------------------------------------------------------------------------
# One global model on more data than one machine holds


def sample_for_training(
    df,
    series_col: str,
    rows_per_series: int | None = None,
    series_fraction: float | None = None,
    seed: int = 0,
    row_col: str | None = None,
):
    """A stratified training sample that keeps windows whole: a `series_fraction` of the series
    (sampleBy on the distinct ids, so every kept series is complete) and/or each series' last
    `rows_per_series` rows (a per-series cap: contiguous, so every window in it is a real one).
    Write it to one file for `tidal train`, then score everything with `replay`."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    order_col = row_col or ROW_COL
    if order_col not in df.columns:
        df = with_row_numbers(df, order_col)
    if series_fraction is not None:
        ids = df.select(series_col).distinct().withColumn("__k", F.lit(1))
        kept = ids.sampleBy("__k", {1: series_fraction}, seed).select(series_col)
        df = df.join(kept, on=series_col, how="left_semi")
    if rows_per_series is not None:
        w = Window.partitionBy(series_col).orderBy(F.col(order_col).desc())
        df = df.withColumn("__rank", F.row_number().over(w)).filter(F.col("__rank") <= rows_per_series)
        df = df.drop("__rank")
    return df.orderBy(series_col, order_col)


# ---------------------------------------------------------------------------------------------
# Command line


def local_session(master: str = "local[2]", name: str = "tidal-spark"):
    """A SparkSession bound to 127.0.0.1 with the UI off, its workers on this Python."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.appName(name)
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "8")
    )
    if master:
        builder = builder.master(master)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def read_csv(spark, path: str):
    """Every column as text (tidal parses the values itself, bad ones included), with the file's
    1-based data row number attached."""
    df = spark.read.option("header", "true").option("inferSchema", "false").csv(path)
    return with_row_numbers(df)


def _cli_inputs(spark, args):
    """A command-line run's tidal binary (shipped to the executors with --ship) and input DataFrame."""
    tidal = args.tidal or default_tidal()
    if args.ship:
        tidal = _shipped_name(spark, resolve_tidal(tidal))
    return tidal, read_csv(spark, args.data)


def _cli_replay(args) -> int:
    spark = local_session(args.master)
    try:
        tidal, df = _cli_inputs(spark, args)
        result = replay(
            df, args.model, args.series, args.time_column, tidal=tidal, partitions=args.partitions
        )
        with open(args.out + ".tmp", "w", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            fields = result.predictions.columns
            writer.writerow(fields)
            ordered = result.predictions.orderBy("series", "row")
            for row in ordered.toLocalIterator():
                writer.writerow(["" if v is None else repr(v) if isinstance(v, float) else v for v in row])
        os.replace(args.out + ".tmp", args.out)
        for r in result.rejected.orderBy("row").toLocalIterator():
            line = "?" if r["row"] is None else r["row"] + 1
            print(f"tidal_spark: {args.data}:{line}: series {r['series']}: row rejected: {r['reason']}", file=sys.stderr)
        summary = result.accounting.summary()
    except Exception as error:
        print(f"tidal_spark: {_message(error)}", file=sys.stderr)
        return 1
    finally:
        spark.stop()
    print(summary, file=sys.stderr)
    return 0


def _message(error: BaseException) -> str:
    """The useful part of an error raised in a task: tidal's own words when they are in it."""
    text = str(error)
    found = re.findall(r"TidalError: (.*?)(?:\n\s*at |\n\n|$)", text, re.S)
    return found[-1].strip() if found else text.strip().splitlines()[-1] if text.strip() else repr(error)


def _cli_train_per_group(args, train_args) -> int:
    spark = local_session(args.master)
    try:
        tidal, df = _cli_inputs(spark, args)
        result = train_per_group(df, args.group, train_args, args.out_dir, tidal=tidal, partitions=args.partitions)
        rows = result.drop("metrics_json").orderBy("group").collect()
    except Exception as error:
        print(f"tidal_spark: {_message(error)}", file=sys.stderr)
        return 1
    finally:
        spark.stop()
    fields = ["group", "model_path", "rows", "test_mae", "test_rmse", "test_mase", "epochs_run"]
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(fields)
    for r in rows:
        writer.writerow(["" if r[f] is None else r[f] for f in fields])
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    train_args: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, train_args = argv[:cut], argv[cut + 1 :]
    parser = argparse.ArgumentParser(prog="tidal_spark.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", required=True, help="input CSV (header row)")
    common.add_argument("--master", default="local[2]", help="Spark master (default local[2]; '' = spark-submit's)")
    common.add_argument("--tidal", help="tidal binary (default $TIDAL, else the release build)")
    common.add_argument("--ship", action="store_true", help="ship the binary to executors with addFile")
    common.add_argument("--partitions", type=int, help="partitions (default: Spark's default parallelism)")
    rp = sub.add_parser("replay", parents=[common], help="score every row through tidal replay")
    rp.add_argument("--model", required=True)
    rp.add_argument("--series", required=True, help="the series column")
    rp.add_argument("--time-column", help="sort within series by this column (default: file order)")
    rp.add_argument("--out", required=True, help="output CSV, sorted by series then row")
    tp = sub.add_parser("train-per-group", parents=[common], help="one tidal train per group; flags after --")
    tp.add_argument("--group", required=True)
    tp.add_argument("--out-dir", required=True)
    args = parser.parse_args(argv)
    if args.command == "replay":
        return _cli_replay(args)
    return _cli_train_per_group(args, train_args)


if __name__ == "__main__":
    sys.exit(main())
