import Foundation
import TidalTestSupport
import XCTest

/// Many series through the built binary: the series column found by name, one forecast line per
/// series, and a time that goes backwards within a series located by line and series.
final class PanelCLITests: XCTestCase {
    func panel() -> String {
        var text = "unique_id,ds,y\n"
        for k in 0 ..< 30 {
            for (id, scale) in [("north", 1.0), ("south", 50.0)] {
                text += "\(id),\(2000 + k / 4)Q\(k % 4 + 1),\(scale * (10 + Double(k % 4) + Double(k) / 10))\n"
            }
        }
        return text
    }

    func testNixtlaLongFormatTrainsForecastsAndReplaysBySeries() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let data = dir.appendingPathComponent("panel.csv").path, model = dir.appendingPathComponent("m.tidal").path
        let metrics = dir.appendingPathComponent("m.json").path
        try panel().write(toFile: data, atomically: true, encoding: .utf8)
        let train = try TidalBinary.tidal([
            "train", "--data", data, "--lookback", "8", "--test-start", "2006Q1", "--hidden", "4", "--epochs", "2", "--ensemble", "1",
            "--out", model, "--metrics", metrics,
        ])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stdout.contains("2 series (column \"unique_id\"), one global model"), train.stdout)
        XCTAssertTrue(train.stdout.contains("mean MASE"), train.stdout)
        XCTAssertTrue(train.stdout.contains("series: 2 scored"), train.stdout)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: metrics))) as! [String: Any]
        let test = report["test"] as! [String: Any]
        XCTAssertEqual((test["per_series"] as! [[String: Any]]).map { $0["series"] as! String }, ["north", "south"])
        XCTAssertNotNil(test["mean_mase"] as? Double)
        let forecast = try TidalBinary.tidal(["forecast", "--model", model, "--data", data])
        XCTAssertEqual(forecast.status, 0, forecast.stderr)
        let lines = forecast.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "series,row,time,time_h1,y_h1")
        let keys = lines.dropFirst().map { $0.split(separator: ",").prefix(4).joined(separator: ",") }
        XCTAssertEqual(keys, ["north,59,2007Q2,2007Q3", "south,60,2007Q2,2007Q3"])
        // Replay of the same rows: the last line of each series equals its forecast.
        let replay = try TidalBinary.tidal(["replay", "--model", model], stdin: panel())
        XCTAssertEqual(replay.status, 0, replay.stderr)
        let replayed = replay.stdout.split(separator: "\n")
        for line in lines.dropFirst() {
            let series = line.split(separator: ",")[0]
            let last = replayed.last { $0.hasPrefix(series + ",") }!
            XCTAssertEqual(last.split(separator: ",").dropLast().joined(separator: ","), line)
        }
        XCTAssertTrue(replay.stderr.contains("replay: 60 rows read, 46 predictions written, 0 rejected, 14 warming up"), replay.stderr)
    }

    func testATimeGoingBackwardsWithinASeriesIsLocated() throws {
        let bad = "series,time,value\na,2000Q1,1\nb,2000Q3,2\na,2000Q2,3\nb,2000Q2,4\n"
        let run = try TidalBinary.tidal(["train", "--data", "-", "--lookback", "1"], stdin: bad)
        XCTAssertNotEqual(run.status, 0)
        XCTAssertEqual(
            run.stderr,
            "tidal: <stdin>:5: series \"b\": time column \"time\" is not increasing: \"2000Q2\" comes after \"2000Q3\"; "
                + "sort each series by time\n")
    }

    func testTheManySeriesReplayBenchmarkRunsEachCountInAChild() throws {
        let run = try TidalBinary.tidal(["bench", "replay-series", "--series", "1,3", "--extra-rows", "2"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines[1].hasPrefix("3 series: 150 rows in "), String(lines[1]))
        XCTAssertTrue(lines[1].contains("peak RSS"), String(lines[1]))
    }
}
