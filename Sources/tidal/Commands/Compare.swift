import TidalData
import TidalCore
import ArgumentParser
import Foundation
import TidalModel
import TidalNet

/// `tidal compare`: the same data, split, seed and budget for several cells, side by side.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train several cell types on identical splits, seed and budget; print their test metrics side by side.",
        discussion: """
            Every cell reads the same input. For whole samples without --patch that is the default patch (at most 64
            network steps per sample): the cross-validation over patch lengths that train runs is skipped here, because
            it would hand each cell a different input (a vanilla RNN given 8 time steps per network step no longer needs
            long memory), and the comparison is between the cells.

            With --plots: compare_loss.svg (every cell's training loss per epoch) and compare_gradients.svg (for each cell,
            the norm of the gradient reaching each time step of the first layer, averaged over the last epoch: the picture
            of vanishing gradients).

            With --per-series (forecasting a many-series file): beside each cell's global model, one local model per series
            of the same cell, split, seed and budget, trained --threads at a time; the table gives the mean and median MASE
            over series of both.

            Examples:
              tidal compare --cells lstm --data SampleSeries/visnights.csv --season 4 --lookback 8 --test-start 2013Q1 --per-series
              tidal synth recall --length 60 --lag 50 --samples 1200 --seed 7 > train.csv
              tidal synth recall --length 60 --lag 50 --samples 400 --seed 8 > test.csv
              tidal compare --cells rnn,gru,lstm --task classify --data train.csv --test test.csv --plots plots/
            """
    )

    @Option(help: "Cells to train, in order (repeatable, or comma-separated).")
    var cells: [ListArgument<CellKind>] = [ListArgument([.rnn, .gru, .lstm])]

    @OptionGroup var flags: TrainingFlags

    @Option(help: "Write {\"results\": [...]} as JSON here.")
    var metrics: String?

    @Option(help: "Write compare_loss.svg and compare_gradients.svg into this directory.")
    var plots: String?

    @Flag(help: "Print only the final table.")
    var quiet = false

    @Flag(
        name: .customLong("per-series"),
        help: "Many series: also train one local model per series for each cell, and compare mean and median MASE over series.")
    var perSeries = false

    func validate() throws {
        if perSeries && flags.task != .forecast {
            throw ValidationError("--per-series compares forecasters of many series (--task forecast)")
        }
    }

    func run() throws {
        try reportingErrors {
            var paths = OutputPaths()
            paths.input("--data", flags.data)
            paths.input("--test", flags.test)
            paths.file("--metrics", metrics)
            paths.directory("--plots", plots)
            try paths.check()
            BLAS.setThreads(flags.threads ?? Processors.available)
            var outcomes: [(CellKind, TrainingOutcome)] = []
            var locals: [(CellKind, PerSeriesOutcome)] = []
            for cell in cells.flattened() {
                var request = try flags.request()
                request.cell = cell
                request.tracksStepGradients = true
                request.choosesPatch = false
                if !quiet { Output.line("== \(cell.rawValue)") }
                let observer = ConsoleObserver(quiet: quiet)
                let outcome = try Training.run(request, observer: observer)
                observer.finish()
                outcomes.append((cell, outcome))
                if perSeries {
                    if !quiet { Output.line("== \(cell.rawValue), one local model per series") }
                    var local = try flags.request()
                    local.cell = cell
                    local.choosesPatch = false
                    let runs = try Training.runPerSeries(local, threads: flags.threads ?? Processors.available)
                    for run in runs.runs where run.outcome == nil {
                        Output.error("tidal: warning: series \(run.series): no local model: \(run.failure ?? "")\n")
                    }
                    locals.append((cell, runs))
                }
            }
            Output.write(perSeries ? seriesTable(outcomes, locals) : table(outcomes))
            if let metrics {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try OutputPaths.write(Array(try encoder.encode(CompareReport(outcomes, locals: locals))), to: metrics, flag: "--metrics")
            }
            if let plots { try writePlots(outcomes, to: plots) }
        }
    }

    func table(_ outcomes: [(CellKind, TrainingOutcome)]) -> String {
        let classify = outcomes.contains { $0.1.report.test?.accuracy != nil }
        var rows = [
            ["cell", classify ? "test accuracy" : "test MAE", classify ? "macro-F1" : "test RMSE", "parameters", "epochs", "train s"]
        ]
        for (cell, o) in outcomes {
            let t = o.report.test
            rows.append([
                cell.rawValue, SummaryTable.format(classify ? t?.accuracy : t?.mae), SummaryTable.format(classify ? t?.macroF1 : t?.rmse),
                "\(o.report.parameters)", "\(o.result.epochsRun)", String(format: "%.1f", o.result.seconds),
            ])
        }
        return TextTable.render(rows)
    }

    /// Global against local models: mean and median MASE over series, and the series each covers.
    func seriesTable(_ outcomes: [(CellKind, TrainingOutcome)], _ locals: [(CellKind, PerSeriesOutcome)]) -> String {
        var rows = [["model", "mean MASE", "median MASE", "series", "train s"]]
        for ((cell, global), (_, local)) in zip(outcomes, locals) {
            let t = global.report.test
            rows.append([
                "\(cell.rawValue) global", SummaryTable.format(t?.meanMase), SummaryTable.format(t?.medianMase),
                "\(t?.perSeries?.count ?? 0)", String(format: "%.1f", global.result.seconds),
            ])
            let seconds = local.runs.compactMap { $0.outcome?.result.seconds }.reduce(0, +)
            rows.append([
                "\(cell.rawValue) per series", SummaryTable.format(local.meanMASE), SummaryTable.format(local.medianMASE),
                "\(local.mases.count)", String(format: "%.1f", seconds),
            ])
        }
        for (name, b) in outcomes.first?.1.report.baselines.sorted(by: { $0.key < $1.key }) ?? [] {
            rows.append([name, SummaryTable.format(b.meanMase), SummaryTable.format(b.medianMase), "\(b.perSeries?.count ?? 0)", "-"])
        }
        return TextTable.render(rows)
    }

    func writePlots(_ outcomes: [(CellKind, TrainingOutcome)], to directory: String) throws {
        try PlotWriter.write(TrainingPlots.compare(outcomes.map { ($0.0.rawValue, $0.1.result) }), to: directory)
    }
}

/// `compare --metrics`: every cell's test scores, training time, size and epochs.
struct CompareReport: Encodable {
    struct Cell: Encodable {
        var cell: String
        /// The finite test metrics by name (`mae`, `rmse`, `smape`, `mase`, `accuracy`, `macro_f1`).
        var test: [String: Double]
        var trainSeconds: Double
        var parameters: Int
        var epochsRun: Int

        enum CodingKeys: String, CodingKey {
            case cell, test, trainSeconds = "train_seconds", parameters, epochsRun = "epochs_run"
        }
    }

    var results: [Cell]

    init(_ outcomes: [(CellKind, TrainingOutcome)], locals: [(CellKind, PerSeriesOutcome)] = []) {
        results = outcomes.map { cell, o in
            var test: [String: Double] = [:]
            if let t = o.report.test {
                let figures = [
                    ("mae", t.mae), ("rmse", t.rmse), ("smape", t.smape), ("mase", t.mase), ("accuracy", t.accuracy),
                    ("macro_f1", t.macroF1), ("mean_mase", t.meanMase), ("median_mase", t.medianMase),
                ]
                for case let (name, value?) in figures where value.isFinite { test[name] = value }
            }
            return Cell(
                cell: cell.rawValue, test: test, trainSeconds: o.result.seconds, parameters: o.report.parameters,
                epochsRun: o.result.epochsRun)
        }
        for (cell, local) in locals {
            let trained = local.runs.compactMap(\.outcome)
            results.append(
                Cell(
                    cell: cell.rawValue + " per series",
                    test: ["mean_mase": local.meanMASE, "median_mase": local.medianMASE].filter { $0.value.isFinite },
                    trainSeconds: trained.map(\.result.seconds).reduce(0, +), parameters: trained.map(\.report.parameters).reduce(0, +),
                    epochsRun: trained.map(\.result.epochsRun).max() ?? 0))
        }
    }
}
