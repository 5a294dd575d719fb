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
            Output: a header `row,time,time_h1,…,time_hH,<target>_h1,…,<target>_hH` (`row` = the 1-based data row the \
            window ends at; `time` = that row's time value, when the file has a time column; `time_hN` = the time the \
            N-th step is for, from the step of the training times: months, quarters, days, hours, minutes or a constant \
            number), then one line per window. Irregular training times give no time_h columns (a note on stderr says \
            so). --long writes one line per window and step instead: `row,time,step,forecast_time,<target>`. A model \
            trained on many series (long format, a series column) writes `series` first and forecasts each series on \
            its own: without --all one line per series, after its last row.

            Examples:
              tidal forecast --model airline.tidal --data SampleSeries/airline.csv
              tidal forecast --model airline.tidal --data SampleSeries/airline.csv --all > predictions.csv
              tidal forecast --model airline.tidal --data SampleSeries/airline.csv --long
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

    @Flag(help: "One line per forecast step (row,time,step,forecast_time,<target>) instead of one per window.")
    var long = false

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
            let results = try forecaster.forecast(table, all: all, threads: threads ?? Processors.available)
            if !results.tooShort.isEmpty {
                let listed = results.tooShort.prefix(5).joined(separator: ", ") + (results.tooShort.count > 5 ? ", …" : "")
                Output.error(
                    "tidal: warning: \(results.tooShort.count) series shorter than the model's lookback "
                        + "(\(forecaster.spec.lookback) rows) have no forecast: \(listed)\n")
            }
            if table.time != nil, let note = forecaster.missingTimeStepNote { Output.error("tidal: \(note)\n") }
            let spec = forecaster.spec, time = table.time != nil
            var out = ""
            if output == .csv {
                out =
                    long
                    ? PredictionWriter.longForecastHeader(spec: spec, time: time) : PredictionWriter.forecastHeader(spec: spec, time: time)
            }
            for line in results.lines {
                let origin = table.time?[line.row - 1]
                let times = forecaster.horizonTimes(after: origin)
                out +=
                    long
                    ? PredictionWriter.longForecastLines(
                        output, spec: spec, row: line.row, time: origin, horizonTimes: times, values: line.values, series: line.series)
                    : PredictionWriter.line(
                        output, forecaster.columns, row: line.row, time: origin, values: line.values, gap: nil, series: line.series,
                        horizonTimes: times)
            }
            Output.write(out)
        }
    }
}

extension PredictionFormat: ExpressibleByArgument {}
