import ArgumentParser
import Foundation
import TidalCore
import TidalData
import TidalModel

/// `tidal bench scale`: how training with the default flags grows with the rows.
struct BenchScale: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Wall time and peak memory of `tidal train` with default flags on generated series of growing length.",
        discussion: """
            For every --rows: a `tidal synth sensor` series, trained with default flags (target temperature, --lookback 48 \
            --season 24, seed 0) in a child process: wall time, peak resident memory (the child's), the size of the column \
            trained on as Float32, test MAE; then `tidal evaluate` and (up to 100,000 rows) `tidal forecast --all` on the \
            same file, in windows per second. At --full-epoch-rows the same run with the full-epoch budget (--epochs 100, \
            what the default was before step budgets) is put beside it. With a Python that imports torch \
            (--python), Scripts/torch_scale.py trains the same network shape for the same step budget; otherwise that \
            column says unavailable. The time exponent is the slope of log(wall time) against log(rows) from the first \
            to the last row count: 1 is linear growth. Then --panel: a generated many-series log (`tidal synth sensor \
            --series`), one global model trained with default flags and evaluated the same way (no full-epoch or PyTorch run).

            Examples:
              tidal bench scale
              tidal bench scale --rows 10000 --rows 100000 --panel none --json
              tidal bench scale --python ~/.cache/tidal-venv-torch/bin/python
            """)

    @Option(help: "Rows of a generated series (repeatable, or comma-separated).")
    var rows: [ListArgument<Int>] = [ListArgument([10_000, 100_000, 1_000_000])]
    @Option(
        help: """
            A generated many-series log trained the same way, as SERIESxROWS (`tidal synth sensor --series SERIES --rows ROWS`; \
            none: skip it).
            """)
    var panel = "1000x1000"
    @Option(name: .customLong("full-epoch-rows"), help: "Rows at which the full-epoch budget is also trained (0: nowhere).")
    var fullEpochRows = 100_000
    @Option(help: "The Python that runs Scripts/torch_scale.py.")
    var python = "python3"
    @Option(name: .customLong("torch-script"), help: "The PyTorch script (default: Scripts/torch_scale.py of this source tree).")
    var torchScript: String?
    @Option(help: "Threads of every run (default: the cores this process may use).")
    var threads: Int?
    @Flag(help: "Print one JSON object.")
    var json = false

    static let defaultTorchScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Scripts/torch_scale.py").path

    func validate() throws {
        guard !rows.isEmpty, rows.flattened().allSatisfy({ (1000 ... 100_000_000).contains($0) }) else {
            throw ValidationError("--rows must lie in 1000...100000000")
        }
        if let threads, !(1 ... 1024).contains(threads) { throw ValidationError("--threads must lie in 1...1024, not \(threads)") }
        _ = try panelShape()
    }

    /// `--panel` as (series, rows per series), or nil for none.
    func panelShape() throws -> (series: Int, rows: Int)? {
        if panel == "none" { return nil }
        let parts = panel.split(separator: "x").map { Int($0) }
        guard parts.count == 2, let n = parts[0], let r = parts[1], (2 ... 100_000).contains(n), (100 ... 1_000_000).contains(r),
            n * r <= 100_000_000
        else {
            throw ValidationError(
                "--panel must be SERIESxROWS (2...100000 series of 100...1000000 rows, 10^8 rows in all) or none, not '\(panel)'")
        }
        return (n, r)
    }

    func run() throws {
        try reportingErrors {
            let result = try ScaleBench(
                rows: rows.flattened(), panel: try panelShape(), fullEpochRows: fullEpochRows, python: python,
                torchScript: torchScript ?? BenchScale.defaultTorchScript,
                threads: threads ?? Processors.available
            ).measure(progress: json ? { _ in } : { Output.error("tidal bench scale: \($0)\n") })
            if json { try printJSON(result) } else { Output.write(result.table()) }
        }
    }
}

/// One training run of the scale benchmark.
struct ScaleRun: Codable, Equatable {
    /// `4000 steps` or `29 epochs`: what the run trained.
    var budget: String
    var wallSeconds: Double
    var peakRSSMegabytes: Double
    var testMAE: Double

    enum CodingKeys: String, CodingKey {
        case budget, wallSeconds = "wall_s", peakRSSMegabytes = "peak_rss_mb", testMAE = "test_mae"
    }
}

/// The PyTorch loop given the same step budget (`Scripts/torch_scale.py`).
struct TorchScaleRun: Codable, Equatable {
    var steps: Int
    /// The training loop alone, and the whole script (reading the file, scoring).
    var trainSeconds: Double, totalSeconds: Double
    var stepsPerSecond: Double
    var testMAE: Double
    var peakRSSMegabytes: Double

    enum CodingKeys: String, CodingKey {
        case steps, trainSeconds = "train_s", totalSeconds = "total_s", stepsPerSecond = "steps_per_s", testMAE = "test_mae"
        case peakRSSMegabytes = "peak_rss_mb"
    }
}

/// One series length.
struct ScaleBenchRow: Codable, Equatable {
    /// All rows of the file; for the generated many-series log, `series` × rows per series.
    var rows: Int
    /// The many-series log's series count; nil for one series.
    var series: Int?
    var trainingWindows: Int
    /// The column trained on, as Float32 (rows × 4 bytes).
    var columnMegabytes: Double
    /// `tidal train` with default flags.
    var defaults: ScaleRun
    /// The full-epoch budget on the same series (`--epochs 100`), at `--full-epoch-rows` only.
    var fullEpoch: ScaleRun?
    /// How far the default's test MAE lies from the full-epoch one's, in percent.
    var maeDifferencePercent: Double?
    var torch: TorchScaleRun?
    /// `tidal evaluate` on the whole file (reading it included), windows per second.
    var evaluateWindowsPerSecond: Double
    /// `tidal forecast --all` on the whole file (up to 100,000 rows), windows per second.
    var forecastAllWindowsPerSecond: Double?

    enum CodingKeys: String, CodingKey {
        case rows, series, trainingWindows = "training_windows", columnMegabytes = "column_mb", defaults, fullEpoch = "full_epoch"
        case maeDifferencePercent = "mae_difference_percent", torch, evaluateWindowsPerSecond = "evaluate_windows_per_s"
        case forecastAllWindowsPerSecond = "forecast_all_windows_per_s"
    }
}

/// `tidal bench scale --json`.
struct ScaleBenchResult: Codable, Equatable {
    var threads: Int
    var lookback: Int
    var season: Int
    /// `torch 2.15.0`, or why the PyTorch column is unavailable.
    var torch: String
    var rows: [ScaleBenchRow]
    /// Slope of log(wall time) against log(rows) between the first and last lengths (1: linear).
    var timeExponent: Double?

    enum CodingKeys: String, CodingKey {
        case threads, lookback, season, torch, rows, timeExponent = "time_exponent"
    }

    /// The text table.
    func table() -> String {
        func f(_ x: Double?, _ format: String) -> String { x.map { String(format: format, $0) } ?? "-" }
        var lines = [
            [
                "rows", "windows", "default budget", "wall s", "peak MB", "column MB", "test MAE", "full-epoch wall s",
                "full-epoch MAE", "MAE Δ %", "torch wall s", "torch MAE", "evaluate win/s", "forecast --all win/s",
            ]
        ]
        for r in rows {
            lines.append([
                r.series.map { "\(formatCount($0)) × \(formatCount(r.rows / $0))" } ?? formatCount(r.rows), formatCount(r.trainingWindows),
                r.defaults.budget, f(r.defaults.wallSeconds, "%.1f"),
                f(r.defaults.peakRSSMegabytes, "%.0f"), f(r.columnMegabytes, "%.1f"), f(r.defaults.testMAE, "%.4f"),
                f(r.fullEpoch?.wallSeconds, "%.1f") + (r.fullEpoch.map { " (\($0.budget))" } ?? ""), f(r.fullEpoch?.testMAE, "%.4f"),
                f(r.maeDifferencePercent, "%+.2f"), f(r.torch?.totalSeconds, "%.1f"), f(r.torch?.testMAE, "%.4f"),
                f(r.evaluateWindowsPerSecond, "%.0f"), f(r.forecastAllWindowsPerSecond, "%.0f"),
            ])
        }
        return TextTable.render(lines) + "\n"
            + "threads \(threads), lookback \(lookback), season \(season); PyTorch: \(torch); time exponent "
            + f(timeExponent, "%.2f") + " (1 = linear in rows; one series)"
            + (rows.contains { $0.series != nil } ? "; SERIES × ROWS: one global model on a generated many-series log" : "") + "\n"
    }
}

/// The measurements of `tidal bench scale`, each in a child process.
struct ScaleBench {
    let rows: [Int]
    /// The generated many-series log, or nil.
    let panel: (series: Int, rows: Int)?
    let fullEpochRows: Int
    let python: String
    let torchScript: String
    let threads: Int
    static let lookback = 48, season = 24

    func measure(progress: (String) -> Void) throws -> ScaleBenchResult {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let torch = torchStatus(in: directory)
        var result = ScaleBenchResult(threads: threads, lookback: Self.lookback, season: Self.season, torch: torch.status, rows: [])
        for n in rows {
            progress("\(formatCount(n)) rows: generating")
            let data = directory.path("sensor_\(n).csv")
            try writeSensor(rows: n, to: data)
            progress("\(formatCount(n)) rows: training with default flags")
            let model = directory.path("m\(n).tidal")
            let defaults = try train(data, extra: ["--out", model], in: directory)
            var row = ScaleBenchRow(
                rows: n, trainingWindows: Int(Double(n) * 0.8) - Self.lookback, columnMegabytes: Double(n) * 4 / 1e6,
                defaults: defaults.run, evaluateWindowsPerSecond: .nan)
            if n == fullEpochRows {
                progress("\(formatCount(n)) rows: training with the full-epoch budget (--epochs 100)")
                let full = try train(data, extra: ["--epochs", "100"], in: directory).run
                row.fullEpoch = full
                row.maeDifferencePercent = 100 * (defaults.run.testMAE - full.testMAE) / full.testMAE
            }
            progress("\(formatCount(n)) rows: evaluate and forecast --all")
            let evaluate = try ChildProcess.run(
                ChildProcess.tidal, ["evaluate", "--model", model, "--data", data, "--threads", "\(threads)"], in: directory)
            row.evaluateWindowsPerSecond = Double(n - Self.lookback) / evaluate.seconds
            if n <= 100_000 {
                let all = try ChildProcess.run(
                    ChildProcess.tidal, ["forecast", "--model", model, "--data", data, "--all", "--threads", "\(threads)"], in: directory)
                row.forecastAllWindowsPerSecond = Double(n - Self.lookback + 1) / all.seconds
            }
            if torch.available, let steps = defaults.steps {
                progress("\(formatCount(n)) rows: PyTorch, \(steps) steps")
                row.torch = try torchRun(data, steps: steps, in: directory)
            }
            result.rows.append(row)
        }
        let single = result.rows
        if let panel { result.rows.append(try measurePanel(panel, in: directory, progress: progress)) }
        if let first = single.first, let last = single.last, last.rows > first.rows {
            result.timeExponent =
                log(last.defaults.wallSeconds / first.defaults.wallSeconds) / log(Double(last.rows) / Double(first.rows))
        }
        return result
    }

    /// The generated many-series log: `tidal train` with default flags (one global model; the
    /// series column is found by its name), then `tidal evaluate`. No full-epoch or PyTorch run.
    func measurePanel(_ panel: (series: Int, rows: Int), in directory: ScratchDirectory, progress: (String) -> Void) throws -> ScaleBenchRow
    {
        let label = "\(formatCount(panel.series)) series × \(formatCount(panel.rows)) rows"
        progress("\(label): generating")
        let data = directory.path("sensors.csv")
        try write(to: data) { Synthetic.sensorPanel(series: panel.series, rows: panel.rows, seed: 0, write: $0) }
        progress("\(label): training with default flags")
        let model = directory.path("panel.tidal")
        let defaults = try train(data, extra: ["--out", model], in: directory)
        let total = panel.series * panel.rows
        var row = ScaleBenchRow(
            rows: total, series: panel.series, trainingWindows: panel.series * (Int(Double(panel.rows) * 0.8) - Self.lookback),
            columnMegabytes: Double(total) * 4 / 1e6, defaults: defaults.run, evaluateWindowsPerSecond: .nan)
        progress("\(label): evaluate")
        let evaluate = try ChildProcess.run(
            ChildProcess.tidal, ["evaluate", "--model", model, "--data", data, "--threads", "\(threads)"], in: directory)
        row.evaluateWindowsPerSecond = Double(panel.series * (panel.rows - Self.lookback)) / evaluate.seconds
        return row
    }

    /// `tidal train` with default flags (and `extra`) on `data`: the run and its step count.
    func train(_ data: String, extra: [String], in directory: ScratchDirectory) throws -> (run: ScaleRun, steps: Int?) {
        let metrics = directory.path("metrics.json")
        let arguments = [
            "train", "--data", data, "--target", "temperature", "--lookback", "\(Self.lookback)", "--season", "\(Self.season)",
            "--seed", "0", "--threads", "\(threads)", "--metrics", metrics, "--quiet",
        ]
        let child = try ChildProcess.run(ChildProcess.tidal, arguments + extra, in: directory)
        let report = try JSONDecoder().decode(MetricsReport.self, from: Data(contentsOf: URL(fileURLWithPath: metrics)))
        let budget = report.stepsRun.map { "\($0) steps" } ?? "\(report.epochsRun) epochs"
        return (
            ScaleRun(budget: budget, wallSeconds: child.seconds, peakRSSMegabytes: child.peakMegabytes, testMAE: report.test?.mae ?? .nan),
            report.stepsRun
        )
    }

    /// Whether `python` imports torch, and the column's label.
    func torchStatus(in directory: ScratchDirectory) -> (available: Bool, status: String) {
        guard FileManager.default.fileExists(atPath: torchScript) else { return (false, "unavailable: no \(torchScript)") }
        guard let probe = try? ChildProcess.run(python, ["-c", "import torch; print(torch.__version__)"], in: directory) else {
            return (false, "unavailable: \(python) cannot import torch")
        }
        return (true, "torch " + probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines) + " (\(python))")
    }

    func torchRun(_ data: String, steps: Int, in directory: ScratchDirectory) throws -> TorchScaleRun {
        let child = try ChildProcess.run(
            python,
            [
                torchScript, "--data", data, "--target", "temperature", "--lookback", "\(Self.lookback)", "--steps", "\(steps)",
                "--threads", "\(threads)",
            ], in: directory)
        struct Output: Decodable {
            var train_seconds: Double, total_seconds: Double, steps_per_s: Double, test_mae: Double
        }
        let o = try JSONDecoder().decode(Output.self, from: Data(child.stdout.utf8))
        return TorchScaleRun(
            steps: steps, trainSeconds: o.train_seconds, totalSeconds: child.seconds, stepsPerSecond: o.steps_per_s,
            testMAE: o.test_mae, peakRSSMegabytes: child.peakMegabytes)
    }

    /// `tidal synth sensor --rows n --seed 0`, written to `path`.
    func writeSensor(rows n: Int, to path: String) throws {
        try write(to: path) { Synthetic.sensor(rows: n, seed: 0, write: $0) }
    }

    /// What `generate` writes, into a new file at `path`.
    func write(to path: String, _ generate: ((String) -> Void) -> Void) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CommandError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var chunk = "", failure: Int32 = 0
        generate { text in
            chunk += text
            if chunk.utf8.count > 1 << 20, failure == 0 {
                failure = Output.writeAll(fd, chunk)
                chunk = ""
            }
        }
        if failure == 0 { failure = Output.writeAll(fd, chunk) }
        if failure != 0 { throw CommandError("cannot write \(path): \(String(cString: strerror(failure)))") }
    }
}
