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

            Examples:
              tidal train --data SampleSeries/airline.csv --target value --lookback 24 --season 12 --out airline.tidal
              tidal train --task classify --data SampleSeries/ItalyPowerDemand_TRAIN.csv --test SampleSeries/ItalyPowerDemand_TEST.csv
              tidal train --task classify --label state --lookback 12 --data SampleSeries/sensor.csv --out fault.tidal
              tidal train --task classify --text text --label label --data reviews.csv --out sentiment.tidal
            """
    )

    @OptionGroup var flags: TrainingFlags

    @Option(help: "Write the trained model here (atomically).")
    var out: String?

    @Option(help: "Write the metrics as JSON here.")
    var metrics: String?

    @Option(help: "Write SVG plots into this directory (loss.svg, accuracy.svg, forecast.svg, confusion.svg).")
    var plots: String?

    @Flag(help: "Print nothing on stdout (no epoch lines, no table); errors still go to stderr.")
    var quiet = false

    @Option(
        name: .customLong("checkpoint-every"),
        help:
            """
            Every N epochs, write the whole training state (weights, optimizer moments, random generators, early stopping, \
            history) to --checkpoint, atomically; Ctrl-C writes one too. Continue with --resume.
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
            BLAS.setThreads(flags.threads)
            var request = try flags.request()
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
        let which: String
        if let best = i.restoredEpoch {
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

/// Epoch lines on stdout; a progress bar on stderr only when stderr is a terminal.
final class ConsoleObserver: TrainingObserver {
    let quiet: Bool
    let progress: Bool
    var lastDraw = Date.distantPast
    var epochStart = Date()

    init(quiet: Bool) {
        self.quiet = quiet
        progress = !quiet && isatty(2) == 1
    }

    func started(description: String) {
        if progress { Output.error("\r\u{1B}[K") }
        if !quiet { Output.line(description) }
        epochStart = Date()
    }

    func status(_ message: String) {
        guard progress else { return }
        Output.error("\r\u{1B}[K\(message)")
    }

    func epochEnded(_ r: EpochRecord, of total: Int, task: TaskKind) {
        if progress { Output.error("\r\u{1B}[K") }
        epochStart = Date()
        guard !quiet else { return }
        Output.line(EpochLine.render(r, of: total))
    }

    func batchEnded(_ index: Int, of count: Int, epoch: Int) {
        guard progress else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) > 0.1 || index == count else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(epochStart)
        let rate = Double(index) / max(elapsed, 1e-9)
        let eta = Double(count - index) / max(rate, 1e-9)
        let width = 30, filled = width * index / max(count, 1)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        Output.error(String(format: "\r\u{1B}[Kepoch %d [%@] %d/%d  %.0f batches/s  ETA %.1fs", epoch, bar, index, count, rate, eta))
    }

    func finish() {
        if progress { Output.error("\r\u{1B}[K") }
    }
}

/// The textbook's epoch line: the figures the epoch record holds (accuracies for classifiers, the test MAE
/// for forecasters and regressors).
enum EpochLine {
    static func render(_ r: EpochRecord, of total: Int) -> String {
        var parts = ["Epoch [\(r.epoch)/\(total)]", String(format: "Train Loss: %.4f", r.trainLoss)]
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
    ]

    static func render(_ outcome: TrainingOutcome) -> String {
        let report = outcome.report
        guard let test = report.test else { return "no test part: nothing to score" }
        let baselines = report.baselines.sorted { $0.key < $1.key }
        let shown = metrics.filter { metric in ([test] + baselines.map(\.value)).contains { $0[keyPath: metric.value] != nil } }
        var rows = [["model"] + shown.map(\.name), ["\(report.cell) (test)"] + shown.map { format(test[keyPath: $0.value]) }]
        for (name, b) in baselines { rows.append([name] + shown.map { format(b[keyPath: $0.value]) }) }
        var out = TextTable.render(rows)
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
