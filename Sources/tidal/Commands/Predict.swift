import TidalCore
import ArgumentParser
import Foundation
import TidalData
import TidalModel

/// `tidal predict`: a class (and every class probability) for each row of a file.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict every row of a CSV file: `row,label,p_<class>…` for classifiers, `row,prediction` for regressors.",
        discussion: """
            The same reader, rules and arithmetic as `tidal replay`, on a whole file (a forecasting model gives replay's columns;
            `tidal forecast --all` is the usual way there). Bad rows are reported on stderr and the exit status is then 1.

            Examples:
              tidal predict --model sentiment.tidal --data reviews.csv
              tidal predict --model italy.tidal --data SampleSeries/ItalyPowerDemand_TEST.csv --output jsonl
            """
    )

    @Option(help: "A classification model file.")
    var model: String

    @Option(help: "CSV file, or - for standard input.")
    var data: String

    @Option(help: "Output format: csv or jsonl.")
    var output: PredictionFormat = .csv

    @Flag(name: .customLong("no-header"), help: "Rows carry no header.")
    var noHeader = false

    func run() throws {
        try reportingErrors {
            let trained = try ModelFile.read(model)
            let out = BufferedOutput()
            let engine = try ReplayEngine(
                model: trained, format: output, hasHeader: !noHeader,
                write: out.write, warn: { Output.error("tidal: " + $0 + "\n") })
            try engine.run(source: FileByteSource(path: data))
            out.flush()
            if engine.counts.rejected > 0 { throw ExitCode(1) }
        }
    }
}
