import Foundation
import TidalTestSupport
import XCTest

/// `tidal train --quantiles` end to end: the columns of forecast, forecast --all, replay and
/// JSON lines, the scores in the table and in --metrics, and the flag's errors.
final class QuantileCLITests: XCTestCase {
    let airline = "SampleSeries/airline.csv"

    func testQuantileModelEndToEnd() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let model = dir.appendingPathComponent("q.tidal").path, metrics = dir.appendingPathComponent("m.json").path
        // Two occurrences, one of them comma-separated; 0.5 is added.
        let train = try TidalBinary.tidal([
            "train", "--data", airline, "--lookback", "12", "--season", "12", "--hidden", "4", "--epochs", "2", "--ensemble", "1",
            "--normalize", "window", "--difference", "0", "--quantiles", "0.9", "--quantiles", "0.1", "--level", "80",
            "--out", model, "--metrics", metrics,
        ])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stdout.contains("conformalised quantile regression"), train.stdout)
        XCTAssertTrue(train.stdout.contains("coverage q0.1") && train.stdout.contains("pinball (scaled)"), train.stdout)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: metrics))) as! [String: Any]
        let quantiles = try XCTUnwrap((json["test"] as? [String: Any])?["quantiles"] as? [String: Any])
        XCTAssertNotNil(quantiles["pinball"] as? Double)
        XCTAssertEqual(Set((quantiles["coverage"] as? [String: Double] ?? [:]).keys), ["0.1", "0.5", "0.9"])

        let all = try TidalBinary.tidal(["forecast", "--model", model, "--data", airline, "--all"])
        XCTAssertEqual(all.status, 0, all.stderr)
        let lines = all.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first, "row,time,time_h1,value_h1,value_h1_q0.1,value_h1_q0.5,value_h1_q0.9,value_h1_lo80,value_h1_hi80")
        for line in lines.dropFirst() {
            let v = line.split(separator: ",").dropFirst(3).map { Float($0)! }
            XCTAssertTrue(v[1] < v[2] && v[2] < v[3] && v[0] == v[2] && v[4] <= v[5], String(line))
        }
        let replay = try TidalBinary.tidal(
            ["replay", "--model", model],
            stdin: try String(contentsOfFile: TestPaths.packageRoot.appendingPathComponent(airline).path, encoding: .utf8))
        XCTAssertEqual(replay.status, 0, replay.stderr)
        let replayLines = replay.stdout.split(separator: "\n")
        XCTAssertEqual(replayLines.count, lines.count)
        for (f, r) in zip(lines.dropFirst(), replayLines.dropFirst()) { XCTAssertEqual(String(r), f + ",0") }

        let jsonl = try TidalBinary.tidal(["forecast", "--model", model, "--data", airline, "--output", "jsonl"])
        XCTAssertEqual(jsonl.status, 0, jsonl.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(jsonl.stdout.utf8)) as! [String: Any]
        XCTAssertNotNil(object["value_h1_q0.9"] as? Double, jsonl.stdout)
        let evaluate = try TidalBinary.tidal(["evaluate", "--model", model, "--data", airline])
        XCTAssertEqual(evaluate.status, 0, evaluate.stderr)
        XCTAssertTrue(evaluate.stdout.contains("coverage q0.9"), evaluate.stdout)
    }

    func testBadQuantilesAreRefusedWithTheFlagsName() throws {
        for (value, message) in [
            ("0.1,1.2", "1.2 is not a quantile in (0, 1)"), ("0.1,0.1", "a quantile is given twice"), ("0.1,x", "is invalid"),
        ] {
            let run = try TidalBinary.tidal(["train", "--data", airline, "--quantiles", value, "--epochs", "1"])
            XCTAssertNotEqual(run.status, 0, value)
            XCTAssertTrue(run.stderr.contains("--quantiles") && run.stderr.contains(message), run.stderr)
        }
    }
}
