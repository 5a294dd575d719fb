import TidalCore
import ArgumentParser
import TidalData

/// `tidal describe FILE.csv`: per-column statistics and the windows a split would give.
struct Describe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print per-column statistics of a CSV file and how many windows a split gives.",
        discussion: """
            Numeric columns: count, missing, min, max, mean, std (sample, n − 1). Text columns: count,
            missing (empty cells) and distinct values. The time column is checked for increasing order.

            Examples:
              tidal describe SampleSeries/airline.csv
              tidal describe SampleSeries/airline.csv --lookback 24 --horizon 12
              tail -n 500 sensor.csv | tidal describe -
            """
    )

    @Argument(help: "CSV file, or - for standard input.")
    var file: String

    @OptionGroup var csv: CSVInputOptions
    @OptionGroup var windows: WindowOptions

    func run() throws {
        var options = csv.tableOptions()
        options.inferTextColumns = true
        if options.missing == .error { options.missing = .keep }
        let table = try reportingErrors { try Table.load(path: file, options: options) }
        Output.write(DescribeReport(table: table, windows: windows).render())
    }
}

struct DescribeReport {
    let table: Table
    let windows: WindowOptions

    func render() -> String {
        var out = "\(table.source): \(table.rowCount) rows, \(table.header.count) columns"
        if let name = table.timeName, let time = table.time {
            out += ", time column \"\(name)\" (\(time.first!) … \(time.last!))"
        }
        out += "\n"
        var rows = [["column", "kind", "count", "missing", "min", "max", "mean", "std"]]
        for (name, values) in zip(table.names, table.columns) {
            switch values {
            case let .numeric(v):
                var stats = RunningStatistics()
                v.withUnsafeBufferPointer { stats.add(contentsOf: $0) }
                let missing = v.count - stats.count
                rows.append([
                    name, "numeric", "\(stats.count)", "\(missing)",
                    stats.count > 0 ? format(stats.minimum) : "-", stats.count > 0 ? format(stats.maximum) : "-",
                    stats.count > 0 ? format(stats.mean) : "-", stats.count > 1 ? format(stats.sampleVariance.squareRoot()) : "-",
                ])
            case let .text(v):
                let missing = v.filter(\.isEmpty).count
                rows.append([name, "text (\(Set(v).count) distinct)", "\(v.count - missing)", "\(missing)", "-", "-", "-", "-"])
            }
        }
        out += TextTable.render(rows)
        let n = table.rowCount
        let split = ChronologicalSplit(rowCount: n, testFraction: windows.testFraction, valFraction: windows.valFraction)
        out +=
            "split: train rows 0..<\(split.trainEnd), validation rows \(split.trainEnd)..<\(split.testStart), "
            + "test rows \(split.testStart)..<\(n)\n"
        if let lookback = windows.lookback {
            let spec = WindowSpec(lookback: lookback, horizon: windows.horizon, stride: windows.stride)
            let origins = WindowOrigins(split: split, spec: spec)
            out +=
                "windows (lookback \(lookback), horizon \(windows.horizon), stride \(windows.stride)): train \(origins.train.count), "
                + "validation \(origins.validation.count), test \(origins.test.count)\n"
        }
        return out
    }

    func format(_ x: Double) -> String { formatNumber(x) }
}
