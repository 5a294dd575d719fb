import Foundation
import TidalCore
import TidalData
import TidalTestSupport
import XCTest

@testable import TidalModel

/// Quantile forecasters (`--quantiles`): the pair rule, conformalised quantile regression's
/// bounds, the pinball score, and trained models whose quantiles reach forecast, replay and the
/// model file without crossing.
final class QuantileTests: XCTestCase {
    func testThePairRuleTakesTheExactPairElseTheNearestAroundItElseTheWidest() {
        let q = [0.05, 0.1, 0.5, 0.9, 0.95]
        XCTAssertEqual(IntervalCalibration.pair(for: 80, in: q).map { [$0.lower, $0.upper] }, [1, 3])
        XCTAssertEqual(IntervalCalibration.pair(for: 90, in: q).map { [$0.lower, $0.upper] }, [0, 4])
        XCTAssertEqual(IntervalCalibration.pair(for: 85, in: q).map { [$0.lower, $0.upper] }, [0, 4])  // 0.075 / 0.925: around it
        XCTAssertEqual(IntervalCalibration.pair(for: 50, in: q).map { [$0.lower, $0.upper] }, [1, 3])
        XCTAssertEqual(IntervalCalibration.pair(for: 99, in: q).map { [$0.lower, $0.upper] }, [0, 4])  // the widest there is
        XCTAssertEqual(IntervalCalibration.pair(for: 80, in: [0.5, 0.9]).map { [$0.lower, $0.upper] }, [0, 1])
        XCTAssertNil(IntervalCalibration.pair(for: 80, in: [0.5]))
        XCTAssertEqual(TrainingRequest.resolvedQuantiles([0.9, 0.1]), [0.1, 0.5, 0.9])
        XCTAssertNotNil(TrainingRequest.quantileProblem([0.1, 0.1]))
        XCTAssertNotNil(TrainingRequest.quantileProblem([0.1, 1]))
        XCTAssertNil(TrainingRequest.quantileProblem([0.5, 0.1]))
    }

    func testConformalisedBoundsWidenThePairByTheScoreQuantile() {
        // CQR scores max(q_lo − y, y − q_hi)/s, sorted: 80 % of [-1, 0, 1, 2, 3] interpolates to 2.2.
        var c = IntervalCalibration(levels: [80], scores: [[5]])
        c.pairs = [.init(lower: 0.1, upper: 0.9, scores: [[3, -1, 1, 0, 2]])]
        let b = c.bounds(80, output: 0, point: 10, quantiles: [8, 10, 13], quantileLevels: [0.1, 0.5, 0.9], scale: 2)
        XCTAssertEqual(b.lo, 8 - 4.4, accuracy: 1e-5)
        XCTAssertEqual(b.hi, 13 + 4.4, accuracy: 1e-5)
        // A level whose pair holds no scores falls back to the symmetric band around the point.
        let fallback = c.bounds(80, output: 0, point: 10, quantiles: [8, 10, 13], quantileLevels: [0.2, 0.5, 0.8], scale: 2)
        XCTAssertEqual(fallback.lo, 0)
        XCTAssertEqual(fallback.hi, 20)
        // A negative score that would turn the band inside out collapses it to its middle.
        c.pairs = [.init(lower: 0.1, upper: 0.9, scores: [[-9]])]
        let narrow = c.bounds(80, output: 0, point: 10, quantiles: [8, 10, 13], quantileLevels: [0.1, 0.5, 0.9], scale: 1)
        XCTAssertEqual(narrow.lo, narrow.hi)
    }

    func testPinballScoreAndCoverage() {
        // Two values, quantiles 0.1 and 0.9: y = 10 in [8, 12]; y = 20 above [8, 12].
        let s = QuantileScores(actual: [10, 20], quantiles: [8, 12, 8, 12], levels: [0.1, 0.9], scale: 2)
        // ρ: 0.1·2, 0.1·2 (over by 2 → (0.9 − 1)·(−2)), 0.1·12, 0.9·8; mean over 4, divided by 2.
        XCTAssertEqual(s.pinball ?? 0, (0.2 + 0.2 + 1.2 + 7.2) / 4 / 2, accuracy: 1e-9)
        XCTAssertEqual(s.coverage, ["0.1": 0, "0.9": 0.5])
        let json = try! JSONEncoder().encode(s)
        XCTAssertEqual(try JSONDecoder().decode(QuantileScores.self, from: json), s)
    }

    /// A small quantile forecaster of airline (hidden 4, two epochs, one member).
    func quantileModel(quantiles: [Double], levels: [Double] = [], horizon: Int = 2) throws -> TrainingOutcome {
        var r = TrainingRequest(dataPath: SmallModel.airline)
        r.targets = ["value"]
        r.lookback = 12
        r.horizon = horizon
        r.season = 12
        r.hidden = 4
        r.epochs = 2
        r.ensemble = 1
        r.scaling = .window
        r.difference = 0
        r.quantiles = quantiles
        r.levels = levels
        r.createdAt = Date(timeIntervalSince1970: 0)
        return try Training.run(r)
    }

    func testAQuantileModelNeverCrossesAndKeepsItsQuantilesInItsFile() throws {
        let outcome = try quantileModel(quantiles: [0.9, 0.1])
        let scores = try XCTUnwrap(outcome.report.test?.quantiles)
        XCTAssertEqual(Set(scores.coverage.keys), ["0.1", "0.5", "0.9"])
        XCTAssertNotNil(scores.pinball)
        let bytes = try ModelFile.encode(outcome.model)
        XCTAssertEqual(bytes[8], 2, "a quantile model is written as format version 2")
        let back = try ModelFile.decode(bytes, path: "m.tidal")
        XCTAssertEqual(back, outcome.model)
        let forecaster = try back.forecaster()
        XCTAssertEqual(forecaster.spec.quantiles, [0.1, 0.5, 0.9], "0.5 is added: the median is the point forecast")
        XCTAssertEqual(
            forecaster.columns,
            .values([
                "value_h1", "value_h1_q0.1", "value_h1_q0.5", "value_h1_q0.9", "value_h2", "value_h2_q0.1", "value_h2_q0.5",
                "value_h2_q0.9",
            ]))
        let table = try Table.load(path: SmallModel.airline, options: forecaster.tableOptions())
        let all = try forecaster.forecastAll(table)
        for (_, v) in all {
            for j in [0, 4] {
                XCTAssertEqual(v[j], v[j + 2], "the point forecast is the median")
                XCTAssertTrue(v[j + 1] < v[j + 2] && v[j + 2] < v[j + 3], "\(v)")
            }
        }
        var lines: [String] = []
        let engine = try ReplayEngine(model: back, write: { lines.append($0) }, warn: { _ in })
        try engine.run(source: MemoryByteSource(try String(contentsOfFile: SmallModel.airline, encoding: .utf8)))
        // The time columns: the origin's, then the time of each horizon step.
        let times = ["time"] + (1 ... forecaster.spec.horizon).map { "time_h\($0)" }
        XCTAssertEqual(lines.first, "row," + (times + forecaster.spec.predictionNames).joined(separator: ",") + ",gap\n")
        let last = lines.last!.dropLast().split(separator: ",").dropFirst(1 + times.count).dropLast().map { Float($0)! }
        XCTAssertEqual(last, all.last!.values)
    }

    func testWithLevelsAQuantileModelIsConformalisedAroundItsPair() throws {
        let outcome = try quantileModel(quantiles: [0.1, 0.5, 0.9], levels: [80, 95], horizon: 1)
        guard case let .forecast(spec) = outcome.model.schema else { return XCTFail("not a forecaster") }
        let calibration = try XCTUnwrap(spec.calibration)
        // Both levels fall on the widest pair the model has: one pair of scores.
        XCTAssertEqual(calibration.pairs?.map { [$0.lower, $0.upper] }, [[0.1, 0.9]])
        XCTAssertNotNil(outcome.report.test?.intervals?.levels["80"])
        let forecaster = try ModelFile.decode(try ModelFile.encode(outcome.model), path: "m.tidal").forecaster()
        XCTAssertEqual(
            forecaster.columns,
            .values([
                "value_h1", "value_h1_q0.1", "value_h1_q0.5", "value_h1_q0.9", "value_h1_lo80", "value_h1_hi80", "value_h1_lo95",
                "value_h1_hi95",
            ]))
        let table = try Table.load(path: SmallModel.airline, options: forecaster.tableOptions())
        for (_, v) in try forecaster.forecastAll(table) {
            XCTAssertTrue(v[4] <= v[5] && v[6] <= v[4] && v[5] <= v[7], "the 95 % band holds the 80 % band: \(v)")
        }
        // Replay alerts against the conformalised band: a reading far above everything is flagged.
        var rows = try String(contentsOfFile: SmallModel.airline, encoding: .utf8).split(separator: "\n").map(String.init)
        rows[101] = rows[101].split(separator: ",")[0] + ",5000"
        var lines: [String] = []
        let engine = try ReplayEngine(model: outcome.model, alert: 80, write: { lines.append($0) }, warn: { _ in })
        try engine.run(source: MemoryByteSource(rows.joined(separator: "\n") + "\n"))
        let flagged = lines.first { $0.hasPrefix("101,") }?.dropLast().split(separator: ",", omittingEmptySubsequences: false)
        XCTAssertEqual(flagged?.suffix(2).first, "1", "\(flagged ?? [])")
    }

    func testDamagedQuantilesAreRefusedWhenTheFileIsRead() throws {
        let model = try quantileModel(quantiles: [0.1, 0.9], horizon: 1).model
        guard case var .forecast(spec) = model.schema else { return XCTFail("not a forecaster") }
        for bad in [[0.5, 0.1, 0.9], [0.1, 0.5, 1.5], [0.1, 0.2, 0.9], [0.1, 0.5, 0.5]] {
            spec.quantiles = bad
            var edited = model
            edited.schema = .forecast(spec)
            XCTAssertThrowsError(try ModelFile.decode(try ModelFile.encode(edited), path: "m.tidal")) {
                XCTAssertTrue("\($0)".contains("quantiles") && !"\($0)".contains("\n"), "\($0)")
            }
        }
        spec.quantiles = []
        var pointSpec = model
        pointSpec.schema = .forecast(spec)
        XCTAssertThrowsError(try ModelFile.decode(try ModelFile.encode(pointSpec), path: "m.tidal")) {
            XCTAssertTrue("\($0)".contains("quantiles"), "\($0)")
        }
    }
}
