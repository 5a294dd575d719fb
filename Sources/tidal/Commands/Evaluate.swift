import TidalData
import TidalCore
import ArgumentParser
import Foundation
import TidalModel

/// `tidal evaluate`: the training metrics on new data, with the model's frozen scaling.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a trained model on new data (every complete window, or every sample) beside the baselines.",
        discussion: """
            When the file is the training file (same SHA-256) or, for a forecaster, the rows scored have times the model \
            learned from (the training and validation parts), a warning says so and the model's line reads \
            "(overlaps training)" instead of "(test)".

            Examples:
              tidal evaluate --model airline.tidal --data SampleSeries/airline.csv
              tidal evaluate --model italy.tidal --data SampleSeries/ItalyPowerDemand_TEST.csv --metrics eval.json
            """
    )

    @Option(help: "A model file written by `tidal train --out`.")
    var model: String

    @Option(help: "CSV file to score.")
    var data: String

    @Option(help: "Write the scores as JSON here.")
    var metrics: String?

    @Option(help: "Write SVG plots into this directory (forecast.svg or confusion.svg).")
    var plots: String?

    @Option(
        help: "Threads the windows or samples are scored on (default: the cores this process may use); the same scores for any count.")
    var threads: Int?

    @OptionGroup var csv: CSVInputOptions

    func validate() throws {
        if let threads, !(1 ... 1024).contains(threads) { throw ValidationError("--threads must lie in 1...1024, not \(threads)") }
    }

    func run() throws {
        try reportingErrors {
            var paths = OutputPaths()
            paths.input("--model", model)
            paths.input("--data", data)
            paths.file("--metrics", metrics)
            paths.directory("--plots", plots)
            try paths.check()
            let trained = try ModelFile.read(model)
            let scoring = try trained.evaluate(dataPath: data, options: csv.tableOptions(), threads: threads ?? Processors.available)
            let report = MetricsReport(evaluating: trained, scoring: scoring)
            if let overlap = scoring.overlap {
                Output.error("tidal: warning: the evaluated rows overlap the training rows: \(overlap); these are not test figures\n")
            }
            let outcome = TrainingOutcome(
                model: trained, result: TrainingResult(history: [], bestEpoch: 0, seconds: 0), report: report,
                forecastPlot: scoring.forecastPlot)
            Output.write(SummaryTable.render(outcome))
            if let metrics { try OutputPaths.write(Array(report.json()), to: metrics, flag: "--metrics") }
            if let plots { try PlotWriter.write(outcome, to: plots) }
        }
    }
}
