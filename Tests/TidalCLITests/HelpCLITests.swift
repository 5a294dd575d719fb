import Foundation
import TidalTestSupport
import XCTest

/// What `--help` shows and how flags and errors behave, as a newcomer meets them.
final class HelpCLITests: XCTestCase {
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
}
