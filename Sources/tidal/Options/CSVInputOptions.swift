import TidalCore
import ArgumentParser
import TidalData

/// How CSV input is read; shared by every command that reads CSV.
struct CSVInputOptions: ParsableArguments {
    @Flag(name: .customLong("no-header"), help: "The first row is data; columns are named by 0-based index.")
    var noHeader = false

    @Option(help: "Field delimiter: ',' (default), ';' or 'tab'.")
    var delimiter: String = ","

    @Option(
        name: .customLong("time-column"),
        help: "The time column (name or 0-based index). Default: a column named timestamp, time, date or ds.")
    var timeColumn: String?

    @Option(
        help:
            """
            Forecasting many series in one long-format file (one row per series and time step): the column naming each row's \
            series (name or 0-based index). Default: a column named unique_id, series, series_id or id; '' for none (one series). \
            A model remembers it: forecast, evaluate and replay read the same column.
            """)
    var series: String?

    @Option(help: "Missing values: error (default), ffill, linear or drop.")
    var fill: MissingPolicy = .error

    var delimiterByte: UInt8 {
        switch delimiter {
        case "tab", "\\t", "\t": return 0x09
        default: return delimiter.utf8.first ?? UInt8(ascii: ",")
        }
    }

    func validate() throws {
        guard [",", ";", "tab", "\\t", "\t", "|"].contains(delimiter) else {
            throw ValidationError("--delimiter must be ',', ';', 'tab' or '|', not '\(delimiter)'")
        }
    }

    func tableOptions() -> TableOptions {
        var options = TableOptions()
        options.hasHeader = !noHeader
        options.delimiter = delimiterByte
        options.timeColumn = timeColumn
        options.missing = fill
        options.seriesColumn = series
        return options
    }
}

extension MissingPolicy: ExpressibleByArgument {}

/// Windowing and split flags; shared by describe, train and the commands built on it.
struct WindowOptions: ParsableArguments {
    @Option(
        help:
            """
            Input rows per window. Default: forecasting two seasons (24 rows without a season, see --season); classifying \
            windows by --label 24 rows; describe counts windows only when it is given.
            """
    )
    var lookback: Int?

    @Option(help: "Target rows predicted per window (direct multi-step).")
    var horizon: Int = 1

    @Option(help: "Rows between successive window origins.")
    var stride: Int = 1

    @Option(name: .customLong("test-fraction"), help: "Last fraction of rows used as the test part.")
    var testFraction: Double = 0.2

    @Option(
        name: .customLong("test-start"),
        help:
            """
            Forecasting: every row at or after this time (e.g. 2013Q1, 2020-06-01) is in the test part of its series, one cut for \
            every series; replaces --test-fraction. Needs a time column.
            """)
    var testStart: String?

    @Option(name: .customLong("val-fraction"), help: "Last fraction of the rows before the test part used for validation.")
    var valFraction: Double = 0.0

    func validate() throws {
        if let lookback, lookback < 1 { throw ValidationError("--lookback must be at least 1") }
        if horizon < 1 { throw ValidationError("--horizon must be at least 1") }
        if stride < 1 { throw ValidationError("--stride must be at least 1") }
        guard (0 ..< 1).contains(testFraction) else { throw ValidationError("--test-fraction must lie in [0, 1)") }
        guard (0 ..< 1).contains(valFraction) else { throw ValidationError("--val-fraction must lie in [0, 1)") }
    }
}
