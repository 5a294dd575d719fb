import Foundation
import TidalTestSupport
import XCTest

/// What `--help` shows and how flags and errors behave, as a newcomer meets them.
final class HelpCLITests: XCTestCase {
    /// Every command path, found by walking the SUBCOMMANDS sections of the help ("" is the root).
    func commandPaths(_ path: [String] = []) throws -> [[String]] {
        let help = try TidalBinary.tidal(path + ["--help"], environment: ["COLUMNS": "120"]).stdout
        guard let section = help.range(of: "\nSUBCOMMANDS:\n") else { return [path] }
        let names = help[section.upperBound...].split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("  "), let first = line.dropFirst(2).first, first.isLowercase else { return nil }
            return String(line.dropFirst(2).prefix { $0 != " " })
        }
        return try [path] + names.flatMap { try commandPaths(path + [$0]) }
    }

    /// The lines of a help text before its usage line (the abstract and the discussion).
    func overview(_ help: String) -> [Substring] {
        help.split(separator: "\n", omittingEmptySubsequences: false).prefix { !$0.hasPrefix("USAGE: ") }.dropLast().map { $0 }
    }

    func testExampleCommandsStayOnOneLineAndProseWraps() throws {
        let paths = try commandPaths()
        XCTAssertTrue(paths.contains(["predict"]) && paths.contains(["bench", "text"]), "\(paths)")
        for path in paths {
            let narrow = try TidalBinary.tidal(path + ["--help"], environment: ["COLUMNS": "80"])
            let wide = try TidalBinary.tidal(path + ["--help"], environment: ["COLUMNS": "400"])
            XCTAssertEqual(narrow.status, 0, narrow.stderr)
            // Indented lines (examples) are the same at any width; prose fits in 80 columns.
            let name = path.joined(separator: " ")
            XCTAssertEqual(overview(narrow.stdout).filter { $0.hasPrefix(" ") }, overview(wide.stdout).filter { $0.hasPrefix(" ") }, name)
            for line in overview(narrow.stdout) where !line.hasPrefix(" ") {
                XCTAssertLessThanOrEqual(line.count, 80, "\(name): \(line)")
            }
        }
        let forecast = try TidalBinary.tidal(["help", "forecast"], environment: ["COLUMNS": "80"])
        XCTAssertTrue(
            forecast.stdout.contains(
                "\n  tidal forecast --model airline.tidal --data SampleSeries/airline.csv --all > predictions.csv\n"),
            forecast.stdout)
        let bare = try TidalBinary.tidal([], environment: ["COLUMNS": "80"])
        XCTAssertEqual(bare.status, 64)
        XCTAssertTrue(
            bare.stderr.contains("\n  tidal train --data SampleSeries/airline.csv --target value --lookback 24 --season 12 --out"))
    }

    /// Defaults that --help used to hide.
    func testHelpShowsTheDefaults() throws {
        let help = try TidalBinary.tidal(["train", "--help"], environment: ["COLUMNS": "400"]).stdout
        for (flag, text) in [
            ("--lookback", "Default: forecasting two seasons (24 rows without a season"), ("--epochs", "Default: 100 for forecasting"),
            ("--patience", "Default: off."), ("--difference", "Default: 0 or the season"), ("--cell", "default: lstm"),
        ] {
            // The option's entry: its line and the indented lines under it.
            let lines = help.split(separator: "\n")
            guard let start = lines.firstIndex(where: { $0.hasPrefix("  \(flag) ") }) else { return XCTFail("\(flag) missing") }
            let entry = lines[start...].prefix { $0 == lines[start] || $0.hasPrefix("      ") }.joined(separator: " ")
            XCTAssertTrue(entry.contains(text), "\(flag): \(entry)")
        }
    }

    func testCompareOffersOnlyCells() throws {
        let help = try TidalBinary.tidal(["compare", "--help"], environment: ["COLUMNS": "400"]).stdout
        XCTAssertTrue(help.contains("\n  --cells <cells> "), help)
        XCTAssertTrue(help.contains("default: rnn,gru,lstm"), help)
        XCTAssertFalse(help.contains("--cell <"), help)
        let refused = try TidalBinary.tidal(["compare", "--cell", "gru", "--data", "SampleSeries/airline.csv"])
        XCTAssertEqual(refused.status, 64)
        XCTAssertTrue(refused.stderr.contains("Unknown option '--cell'. Did you mean '--cells'?"), refused.stderr)
        let bad = try TidalBinary.tidal(["compare", "--cells", "lstm,foo", "--data", "SampleSeries/airline.csv"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("'lstm,foo' is invalid for '--cells <cells>'"), bad.stderr)
    }

    /// `--target a,b` is `--target a --target b`, and so for every list flag.
    func testListFlagsTakeCommasOrRepetition() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let data = dir.appendingPathComponent("abc.csv").path
        var csv = "t,a,b,c\n"
        for t in 0 ..< 120 { csv += "\(t),\(sin(Double(t) / 3)),\(cos(Double(t) / 5)),\(Double(t % 7))\n" }
        try csv.write(toFile: data, atomically: true, encoding: .utf8)
        let fixed = [
            "train", "--data", data, "--epochs", "1", "--hidden", "4", "--ensemble", "1", "--lookback", "8", "--normalize", "zscore",
            "--difference", "0", "--val-fraction", "0.1",
        ]
        let commas = try TidalBinary.tidal(fixed + ["--target", "a,b", "--features", "a,b,c"])
        let repeated = try TidalBinary.tidal(fixed + ["--target", "a", "--target", "b", "--features", "a,b", "--features", "c"])
        XCTAssertEqual(commas.status, 0, commas.stderr)
        XCTAssertEqual(repeated.status, 0, repeated.stderr)
        let first = commas.stdout.prefix { $0 != "\n" }
        XCTAssertTrue(first.hasPrefix("forecast a,b: "), String(first))
        XCTAssertEqual(first, repeated.stdout.prefix { $0 != "\n" })
        XCTAssertEqual(commas.stdout, repeated.stdout)
        let empty = try TidalBinary.tidal(fixed + ["--target", "a,,b"])
        XCTAssertEqual(empty.status, 64)
        XCTAssertTrue(empty.stderr.contains("'a,,b' is invalid for '--target <target>'"), empty.stderr)
    }

    /// A failure while running (here a model of the wrong kind) is one line, without a usage block.
    func testRuntimeErrorsAreOneLine() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let model = dir.appendingPathComponent("c.tidal").path
        let train = try TidalBinary.tidal([
            "train", "--task", "classify", "--data", "SampleSeries/ItalyPowerDemand_TRAIN.csv", "--epochs", "1", "--hidden", "4",
            "--out", model, "--quiet",
        ])
        XCTAssertEqual(train.status, 0, train.stderr)
        let run = try TidalBinary.tidal(["forecast", "--model", model, "--data", "SampleSeries/airline.csv"])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(
            run.stderr,
            "tidal: \(model) is a classify model; this needs a forecasting model (use `tidal predict`, `tidal evaluate` or "
                + "`tidal replay`)\n")
        let ingest = try TidalBinary.tidal(["bench", "ingest", "--file", dir.appendingPathComponent("none.csv").path])
        XCTAssertEqual(ingest.status, 1)
        XCTAssertTrue(ingest.stderr.hasPrefix("tidal: ") && !ingest.stderr.contains("Usage"), ingest.stderr)
        XCTAssertEqual(ingest.stderr.filter { $0 == "\n" }.count, 1, ingest.stderr)
    }
}
