import TidalCore
import ArgumentParser
import Foundation
import TidalData
import TidalModel
import TidalNet

/// `tidal train`: fit a recurrent model, print one line per epoch and the test metrics beside the baselines.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a recurrent model on a CSV file and report test metrics beside simple baselines.",
        discussion: """
            Forecasting (default): windows of --lookback rows predict the next --horizon values of --target.
            Classification: whole samples in UCR (label,t0,…) or long (sample,label,t,ch0,…) layout, windows of a
            series labelled by --label, or text documents (--text with --label). Regression: one number per sample.

            Budget: small training parts train for epochs (full passes); above \(formatCount(TrainingBudget.stepThreshold)) \
            training windows, samples or documents, for \(TrainingBudget.defaultSteps) optimizer steps on batches drawn from \
            the whole part (--steps, --epochs to choose). The first output line states which. Progress goes to stderr: a bar \
            on a terminal, otherwise a status line (step or epoch, loss, elapsed, ETA) at most every 5 seconds.

            Examples:
              tidal train --data SampleSeries/airline.csv --target value --lookback 24 --season 12 --out airline.tidal
              tidal train --task classify --data SampleSeries/ItalyPowerDemand_TRAIN.csv --test SampleSeries/ItalyPowerDemand_TEST.csv
              tidal train --task classify --label state --lookback 12 --data SampleSeries/sensor.csv --out fault.tidal
              tidal train --task classify --text text --label label --data reviews.csv --out sentiment.tidal
            """
    )

    @OptionGroup var flags: TrainingFlags

    @Option(help: "Recurrent cell: lstm, gru, rnn or rnn-relu.")
    var cell: CellKind = .lstm

    @Option(help: "Write the trained model here (atomically).")
    var out: String?

    @Option(help: "Write the metrics as JSON here.")
    var metrics: String?

    @Option(help: "Write SVG plots here: loss.svg, test_mae.svg, forecast.svg, mase.svg (many series); accuracy.svg, confusion.svg.")
    var plots: String?

    @Flag(help: "Print nothing on stdout (no epoch lines, no table) and no progress on stderr; errors still go to stderr.")
    var quiet = false

    @Option(
        name: .customLong("checkpoint-every"),
        help:
            """
            Every N epochs (with a step budget: every N evaluations), write the whole training state (weights, optimizer \
            moments, random generators, early stopping, history) to --checkpoint, atomically; Ctrl-C writes one too. Continue \
            with --resume.
            """
    )
    var checkpointEvery: Int?

    @Option(help: "Where checkpoints go (default: <out>.checkpoint). Giving it turns checkpoints on at Ctrl-C.")
    var checkpoint: String?

    @Option(
        help:
            """
            Continue the run a checkpoint holds; the flags and data must be those it was written with (--epochs may be \
            raised). The result is bit-identical to the run's had it never stopped.
            """
    )
    var resume: String?

    @Option(
        name: .customLong("init-from"),
        help:
            """
            Start from this model's weights instead of a fresh initialisation (a warm start, to retrain on new data). Its \
            kind (forecast, classify, …) and network (cell, sizes, layers, inputs, outputs) must be the ones this run builds. \
            The data scaling is fitted on the new data as usual, not taken from the model.
            """
    )
    var initFrom: String?

    func validate() throws {
        if let checkpointEvery, !(1 ... 1_000_000).contains(checkpointEvery) {
            throw ValidationError("--checkpoint-every must lie in 1...1000000, not \(checkpointEvery)")
        }
        if checkpointEvery != nil && checkpoint == nil && out == nil {
            throw ValidationError("--checkpoint-every needs --checkpoint PATH or --out (checkpoints go to <out>.checkpoint)")
        }
        if resume != nil && initFrom != nil {
            throw ValidationError("--resume continues a run and --init-from starts a new one from a model; give one of them")
        }
    }

    /// Where checkpoints go: `--checkpoint`, or `<out>.checkpoint` with `--checkpoint-every`; nil: none.
    var checkpointPath: String? { checkpoint ?? (checkpointEvery != nil ? out.map { $0 + ".checkpoint" } : nil) }

    func run() throws {
        try reportingErrors {
            try checkOutputPaths()
            BLAS.setThreads(flags.threads ?? Processors.available)
            var request = try flags.request()
            request.cell = cell
            request.checkpointPath = checkpointPath
            request.checkpointEvery = checkpointEvery
            request.resumePath = resume
            request.initFromPath = initFrom
            request.shouldStop = { Interrupts.requested }
            // Ctrl-C is caught only while this command trains and writes; see `Interrupts`.
            Interrupts.install()
            defer { Interrupts.restore() }
            let observer = ConsoleObserver(quiet: quiet)
            let outcome = try Training.run(request, observer: observer)
            observer.finish()
            if let interruption = outcome.result.interruption {
                if let out { try OutputPaths.write(try ModelFile.encode(outcome.model), to: out, flag: "--out") }
                Output.error("tidal: \(interruptionMessage(interruption))\n")
                throw ExitCode(130)
            }
            if !quiet { Output.line(SummaryTable.render(outcome)) }
            if let warning = outcome.report.warning { Output.error("tidal: warning: \(warning)\n") }
            // The model first: it is what the training cost; a metrics or plots failure must not lose it.
            if let out {
                try OutputPaths.write(try ModelFile.encode(outcome.model), to: out, flag: "--out")
                if !quiet { Output.line("model written to \(out)") }
            }
            if let metrics { try OutputPaths.write(Array(outcome.report.json()), to: metrics, flag: "--metrics") }
            if let plots { try PlotWriter.write(outcome, to: plots) }
            if Interrupts.requested {
                Output.error("tidal: interrupted after training; every output was written\n")
                throw ExitCode(130)
            }
        }
    }

    /// The stderr line of a run stopped by Ctrl-C: where it stopped, which weights were saved where.
    func interruptionMessage(_ i: Interruption) -> String {
        var place = "interrupted in epoch \(i.epoch)"
        if i.batchesDone > 0 { place += " after batch \(i.batchesDone) of \(i.batchCount)" }
        if let done = i.stepsDone, let budget = i.stepBudget { place = "interrupted at step \(done) of \(budget)" }
        let which: String
        if i.stepsDone != nil {
            which =
                i.restoredEpoch.map { "the model from evaluation \($0) (the best validation score so far)" }
                ?? "the current weights (\(i.stepsDone ?? 0) steps)"
        } else if let best = i.restoredEpoch {
            which = "the model from epoch \(best) (the best validation score so far)"
        } else if i.batchesDone == 0 {
            which = i.epoch > 1 ? "the model from epoch \(i.epoch - 1) (the current weights)" : "the initial weights (nothing trained yet)"
        } else {
            which = "the current weights (\(i.epoch > 1 ? "epoch \(i.epoch - 1) and " : "")\(i.batchesDone) batches of epoch \(i.epoch))"
        }
        var parts = [place + "; " + (out.map { "saved \(which) to \($0)" } ?? "no --out given, so no model was saved")]
        if let path = checkpointPath { parts.append("the training state is in \(path) (continue with --resume \(path))") }
        if metrics != nil || plots != nil { parts.append("the test part was not scored, so no metrics or plots were written") }
        return parts.joined(separator: "; ")
    }
}

extension Train {
    /// Every output path checked before training starts: none may replace an input or another output,
    /// each must be a writable regular file (a directory for --plots) or a new name.
    func checkOutputPaths() throws {
        var paths = OutputPaths()
        paths.input("--data", flags.data)
        paths.input("--test", flags.test)
        // --resume and --init-from may name --checkpoint or --out: carrying a run on, or retraining a model
        // in place, replaces them on purpose.
        paths.file("--out", out)
        paths.file("--checkpoint", checkpointPath)
        paths.file("--metrics", metrics)
        paths.directory("--plots", plots)
        try paths.check()
    }
}

/// Epoch lines on stdout; progress on stderr: on a terminal a bar redrawn in place, otherwise (a
/// log, a pipe) one status line at most every `lineInterval` seconds. `--quiet` silences both.
final class ConsoleObserver: TrainingObserver {
    let quiet: Bool
    /// Stderr is a terminal: the bar.
    let bar: Bool
    /// Stderr is not a terminal: status lines.
    let lines: Bool
    /// Seconds between status lines: 5, or `TIDAL_STATUS_INTERVAL` (internal, for the tests).
    let lineInterval: Double
    var lastDraw = Date.distantPast
    var lastLine = Date()
    /// What the run is doing before its final training (the setting search), from `status`.
    var phase: String?

    init(quiet: Bool, terminal: Bool = isatty(2) == 1, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.quiet = quiet
        bar = !quiet && terminal
        lines = !quiet && !terminal
        lineInterval = environment["TIDAL_STATUS_INTERVAL"].flatMap(Double.init).map { max(0, $0) } ?? 5
    }

    func started(description: String) {
        if bar { Output.error("\r\u{1B}[K") }
        if !quiet { Output.line(description) }
        phase = nil
    }

    func status(_ message: String) {
        phase = message.hasSuffix("…") ? String(message.dropLast()) : message
        if bar { Output.error("\r\u{1B}[K\(message)") }
    }

    func epochEnded(_ r: EpochRecord, of total: Int, task: TaskKind) {
        if bar { Output.error("\r\u{1B}[K") }
        guard !quiet else { return }
        Output.line(EpochLine.render(r, of: total))
    }

    func batchEnded(_ index: Int, of count: Int, epoch: Int) {}

    func progressed(_ p: TrainingProgress) {
        let now = Date()
        if bar, now.timeIntervalSince(lastDraw) > 0.1 || p.step == p.totalSteps {
            lastDraw = now
            Output.error("\r\u{1B}[K" + (phase.map { $0 + ": " } ?? "") + ProgressText.bar(p))
        }
        if lines, now.timeIntervalSince(lastLine) >= lineInterval {
            lastLine = now
            Output.error("tidal: " + (phase.map { $0 + ": " } ?? "training: ") + ProgressText.line(p) + "\n")
        }
    }

    func finish() {
        if bar { Output.error("\r\u{1B}[K") }
    }
}

/// The words of the progress bar and of the status lines.
enum ProgressText {
    /// `epoch 3 [#####.....] 20/250  310 batches/s  ETA 4.1s`, or `step [###.......] 1200/4000 …`.
    static func bar(_ p: TrainingProgress) -> String {
        let (done, count) = p.hasStepBudget ? (p.step, p.totalSteps) : (p.batch, p.batchCount)
        let width = 30, filled = width * done / max(count, 1)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let rate = Double(p.step - p.stepsAtStart) / max(p.seconds, 1e-9)
        let head = p.hasStepBudget ? "step" : "epoch \(p.epoch)"
        return String(format: "%@ [%@] %d/%d  %.0f batches/s  ETA %@", head, bar, done, count, rate, eta(p))
    }

    /// `step 1,200/4,000 (30%), loss 0.0123, elapsed 12s, ETA 28s`, or `epoch 3/100, batch 20/250, …`.
    static func line(_ p: TrainingProgress) -> String {
        let position =
            p.hasStepBudget
            ? "step \(formatCount(p.step))/\(formatCount(p.totalSteps)) (\(100 * p.step / max(1, p.totalSteps))%)"
            : "epoch \(p.epoch)/\(p.epochs ?? 0), batch \(p.batch)/\(p.batchCount)"
        return position + ", loss " + formatMetric(p.loss) + ", elapsed " + duration(p.seconds) + ", ETA " + eta(p)
    }

    /// The time left, `≤ …` when early stopping may end the run sooner; `?` before the first step.
    static func eta(_ p: TrainingProgress) -> String {
        guard let left = p.secondsLeft else { return "?" }
        return (p.mayStopEarly ? "≤ " : "") + duration(left)
    }

    /// `4.1s`, `42.0s`, `3m05s`, `1h02m`.
    static func duration(_ seconds: Double) -> String {
        if seconds < 59.95 { return String(format: "%.1fs", seconds) }
        let s = Int(seconds.rounded())
        if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return String(format: "%dh%02dm", s / 3600, (s / 60) % 60)
    }
}

/// The textbook's epoch line: the figures the epoch record holds (accuracies for classifiers, the test MAE
/// for forecasters and regressors).
enum EpochLine {
    static func render(_ r: EpochRecord, of total: Int) -> String {
        let head = r.steps.map { "Step [\($0)/\(total)]" } ?? "Epoch [\(r.epoch)/\(total)]"
        var parts = [head, String(format: "Train Loss: %.4f", r.trainLoss)]
        if let a = r.trainAccuracy { parts.append(String(format: "Train Acc: %.1f%%", 100 * a)) }
        if let v = r.validation {
            parts.append(String(format: "Val Loss: %.4f", v.loss))
            if let a = v.accuracy { parts.append(String(format: "Val Acc: %.1f%%", 100 * a)) }
        }
        if let a = r.test?.accuracy { parts.append(String(format: "Test Acc: %.1f%%", 100 * a)) }
        if let m = r.test?.mae { parts.append("Test MAE: \(formatMetric(m))") }
        return parts.joined(separator: ", ")
    }
}

/// The model's test metrics beside the baselines on the same test samples: a column for every
/// metric the scores hold, then a classifier's confusion matrix and per-class precision and recall.
enum SummaryTable {
    static let metrics: [(name: String, value: KeyPath<MetricsReport.Scores, Double?> & Sendable)] = [
        ("accuracy", \.accuracy), ("macro-F1", \.macroF1), ("MAE", \.mae), ("RMSE", \.rmse), ("sMAPE %", \.smape), ("MASE", \.mase),
        ("mean MASE", \.meanMase), ("median MASE", \.medianMase),
    ]

    static func render(_ outcome: TrainingOutcome) -> String {
        let report = outcome.report
        guard let test = report.test else { return "no test part: nothing to score" }
        let baselines = report.baselines.sorted { $0.key < $1.key }
        let shown = metrics.filter { metric in ([test] + baselines.map(\.value)).contains { $0[keyPath: metric.value] != nil } }
        let label = "\(report.cell) " + (report.overlapsTraining == nil ? "(test)" : "(overlaps training)")
        var rows = [["model"] + shown.map(\.name), [label] + shown.map { format(test[keyPath: $0.value]) }]
        for (name, b) in baselines { rows.append([name] + shown.map { format(b[keyPath: $0.value]) }) }
        var out = TextTable.render(rows)
        if let intervals = test.intervals {
            // Conformal intervals: each level's coverage and mean width, and MSIS, for the model and each calibrated baseline.
            let labels = intervals.levels.keys.sorted { Double($0)! < Double($1)! }
            var rows = [["intervals"] + labels.flatMap { ["coverage \($0)", "width \($0)"] } + ["MSIS"]]
            for (name, s) in [(label, intervals)] + baselines.compactMap({ n, b in b.intervals.map { (n, $0) } }) {
                rows.append(
                    [name] + labels.flatMap { [format(s.levels[$0]?.coverage), format(s.levels[$0]?.width)] } + [format(s.msis)])
            }
            out += "\n" + TextTable.render(rows)
        }
        if let quantiles = test.quantiles {
            // A quantile head: the scaled pinball loss and each quantile's share of actual values at or below it.
            let labels = quantiles.coverage.keys.sorted { Double($0)! < Double($1)! }
            out +=
                "\n"
                + TextTable.render([
                    ["quantiles", "pinball (scaled)"] + labels.map { "coverage q\($0)" },
                    ["\(report.cell) (test)", format(quantiles.pinball)] + labels.map { format(quantiles.coverage[$0]) },
                ])
        }
        if let series = test.perSeries?.count {
            // Many series: MAE, RMSE and sMAPE are pooled over every error; MASE is per series.
            let beaten = baselines.compactMap { name, b in b.modelBetterOn.map { "\($0) of \(series) vs \(name)" } }
            out += "\nseries: \(series) scored; the model's MASE is lower on " + beaten.joined(separator: ", ")
        }
        if let confusion = test.confusion, let classes = test.classes {
            out += "\nconfusion (rows: actual, columns: predicted)\n"
            var c = [[""] + classes]
            for (i, row) in confusion.enumerated() { c.append([classes[i]] + row.map(String.init)) }
            out += TextTable.render(c)
            out +=
                "\n"
                + TextTable.render(
                    [["class", "precision", "recall"]]
                        + classes.indices.map { [classes[$0], format(test.precision?[$0]), format(test.recall?[$0])] })
        }
        return out
    }

    static func format(_ x: Double?) -> String { x.map(formatMetric) ?? "-" }
}
