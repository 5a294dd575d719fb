import TidalCore
import ArgumentParser
import Foundation
import TidalData
import TidalModel

/// `tidal forecast`: the forecast after the last row (or after every window) as CSV on stdout.
struct Forecast: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Forecast the next values after the last row of a CSV file (or after every complete window with --all).",
        discussion: """
            Output: a header `row,time,<target>_h1,…,<target>_hH` (`row` = the 1-based data row the window ends at; \
            `time` = that row's time value, when the file has a time column), then one line per window.

            Examples:
              tidal forecast --model airline.tidal --data SampleSeries/airline.csv
              tidal forecast --model airline.tidal --data SampleSeries/airline.csv --all > predictions.csv
            """
    )

    @Option(help: "A model file written by `tidal train --out`.")
    var model: String

    @Option(help: "CSV file with the model's columns, or - for standard input.")
    var data: String

    @Flag(help: "One line for every complete window, not only the last.")
    var all = false

    @Option(help: "Output format: csv or jsonl.")
    var output: PredictionFormat = .csv

    @Option(
        help: "With --all: threads the windows are split over (default: the cores this process may use); the same numbers for any count.")
    var threads: Int?

    @OptionGroup var csv: CSVInputOptions

    func validate() throws {
        if let threads, !(1 ... 1024).contains(threads) { throw ValidationError("--threads must lie in 1...1024, not \(threads)") }
    }

    func run() throws {
        try reportingErrors {
            let forecaster = try ModelFile.read(model).forecaster(name: model)
            let table = try Table.load(path: data, options: forecaster.tableOptions(csv.tableOptions()))
            let results =
                all ? try forecaster.forecastAll(table, threads: threads ?? Processors.available) : [try forecaster.forecastLast(table)]
            var out = output == .csv ? PredictionWriter.forecastHeader(spec: forecaster.spec, time: table.time != nil) : ""
            for (origin, values) in results {
                out += PredictionWriter.line(
                    output, forecaster.columns, row: origin, time: table.time?[origin - 1], values: values, gap: nil)
            }
            Output.write(out)
        }
    }
}

extension PredictionFormat: ExpressibleByArgument {}
