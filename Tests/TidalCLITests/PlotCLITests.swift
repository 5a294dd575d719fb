import Foundation
import TidalTestSupport
import XCTest

/// The plots the binary writes: every SVG in a `--plots` directory parses as XML and renders
/// with `rsvg-convert` at its declared size (`SVGCheck`); the fan chart shows the intervals of a
/// calibrated model with date ticks, and a many-series run names its panels and writes `mase.svg`.
final class PlotCLITests: XCTestCase {
    /// Checks that `directory` holds exactly the SVG files `expected` and that each one renders.
    @discardableResult
    static func checkPlots(
        in directory: String, expecting expected: Set<String>, file: StaticString = #filePath, line: UInt = #line
    ) throws -> [String: SVGCheck.Summary] {
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".svg") })
        XCTAssertEqual(names, expected, "plots in \(directory)", file: file, line: line)
        var summaries: [String: SVGCheck.Summary] = [:]
        for name in names.sorted() { summaries[name] = try SVGCheck.verify(file: directory + "/" + name, file: file, line: line) }
        return summaries
    }

    func testACalibratedForecasterDrawsAFanChartWithDateTicks() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let model = dir.appendingPathComponent("a.tidal").path, plots = dir.appendingPathComponent("plots").path
        let train = try TidalBinary.tidal([
            "train", "--data", "SampleSeries/airline.csv", "--lookback", "12", "--season", "12", "--hidden", "4", "--epochs", "2",
            "--normalize", "window", "--difference", "0", "--level", "80,95", "--out", model, "--plots", plots, "--quiet",
        ])
        XCTAssertEqual(train.status, 0, train.stderr)
        let summaries = try Self.checkPlots(in: plots, expecting: ["loss.svg", "test_mae.svg", "forecast.svg"])
        let forecast = try XCTUnwrap(summaries["forecast.svg"])
        for entry in ["80 % interval", "95 % interval", "history", "actual (test)", "lstm forecast"] {
            XCTAssertTrue(forecast.texts.contains(entry), "legend entry \(entry): \(forecast.texts)")
        }
        // The history tail reaches back before the test part: airline's test years and earlier ones are ticked.
        XCTAssertTrue(forecast.texts.contains("1960") && forecast.texts.contains("1958"), "\(forecast.texts)")
        // evaluate --plots draws the same kind of chart over every scored window.
        let evaluated = dir.appendingPathComponent("evaluated").path
        let evaluate = try TidalBinary.tidal(["evaluate", "--model", model, "--data", "SampleSeries/airline.csv", "--plots", evaluated])
        XCTAssertEqual(evaluate.status, 0, evaluate.stderr)
        let scored = try XCTUnwrap(Self.checkPlots(in: evaluated, expecting: ["forecast.svg"])["forecast.svg"])
        XCTAssertTrue(scored.texts.contains("actual (scored)") && scored.texts.contains("95 % interval"), "\(scored.texts)")
    }

    func testManySeriesShowTheBestMedianAndWorstAndTheMASEDistribution() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let data = dir.appendingPathComponent("panel.csv").path, plots = dir.appendingPathComponent("plots").path
        var text = "unique_id,ds,y\n"
        for k in 0 ..< 28 {
            for (s, id) in ["north", "south", "east", "west", "centre"].enumerated() {
                let noise = Double((k * 7 + s * 13) % 11) - 5
                text += "\(id),\(2000 + k / 4)Q\(k % 4 + 1),\(Double(10 * (s + 1)) + Double(k % 4) * 3 + noise * Double(s) / 2)\n"
            }
        }
        try text.write(toFile: data, atomically: true, encoding: .utf8)
        let train = try TidalBinary.tidal([
            "train", "--data", data, "--lookback", "4", "--season", "4", "--test-start", "2005Q1", "--hidden", "4", "--epochs", "2",
            "--normalize", "window", "--difference", "0", "--out", dir.appendingPathComponent("m.tidal").path, "--plots", plots, "--quiet",
        ])
        XCTAssertEqual(train.status, 0, train.stderr)
        let summaries = try Self.checkPlots(in: plots, expecting: ["loss.svg", "test_mae.svg", "forecast.svg", "mase.svg"])
        let forecast = try XCTUnwrap(summaries["forecast.svg"])
        XCTAssertTrue(forecast.texts.contains { $0.contains("best, median and worst of 5 series") }, "\(forecast.texts)")
        for role in ["best", "median", "worst"] {
            XCTAssertEqual(forecast.texts.filter { $0.hasPrefix("series ") && $0.contains("— \(role), MASE") }.count, 1, role)
        }
        XCTAssertTrue(forecast.texts.contains("2005Q1") || forecast.texts.contains("2004Q1"), "quarter ticks: \(forecast.texts)")
        let mase = try XCTUnwrap(summaries["mase.svg"])
        XCTAssertTrue(mase.texts.contains { $0.hasPrefix("lstm (median ") }, "\(mase.texts)")
        XCTAssertTrue(mase.texts.contains { $0.hasPrefix("seasonal naive (median ") }, "\(mase.texts)")
    }
}
