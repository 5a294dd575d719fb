import Foundation
import TidalCore
import TidalData
import TidalTestSupport
import XCTest

@testable import TidalModel

/// Conformal intervals (`--level`): the quantile rule, the window scale, the scores, and
/// calibrated models whose bounds reach forecast, replay and the model file.
final class IntervalTests: XCTestCase {
    func testQuantilesInterpolateTheSortedScores() {
        let c = IntervalCalibration(levels: [80, 95], scores: [[4, 1, 3, 2, 5], [.nan, 7]])
        XCTAssertEqual(c.scores, [[1, 2, 3, 4, 5], [7]])
        XCTAssertEqual(c.quantile(80, output: 0), 4.2, accuracy: 1e-6)  // position 4 · 0.8 = 3.2
        XCTAssertEqual(c.quantile(50, output: 0), 3)
        XCTAssertEqual(c.quantile(95, output: 1), 7)
        XCTAssertEqual(c.count, 1)
        XCTAssertEqual(c.names(["v_h1"]), ["v_h1", "v_h1_lo80", "v_h1_hi80", "v_h1_lo95", "v_h1_hi95"])
        XCTAssertEqual(IntervalCalibration.label(99.5), "99.5")
    }

    func testTheWindowScaleIsTheMeanOneStepChange() {
        let raw: [Float] = [1, 0, 3, 0, 2, 0, 6, 0]  // column 0: 1 3 2 6
        raw.withUnsafeBufferPointer { p in
            XCTAssertEqual(IntervalCalibration.windowScale(p.baseAddress!, rows: 4, column: 0, columns: 2), (2 + 1 + 4) / 3)
            XCTAssertEqual(IntervalCalibration.windowScale(p.baseAddress!, rows: 4, column: 1, columns: 2), 1)  // flat
        }
    }

    func testCoverageWidthAndMSISFollowTheM4Definition() {
        // y = 10 inside [9, 11]; y = 14 above [9, 11] by 3; y = 5 below [6, 8] by 1.
        let s = IntervalScores(
            actual: [10, 14, 5], bounds: [95: [(9, 11), (9, 11), (6, 8)], 80: [(9.5, 10.5), (9.5, 10.5), (6.5, 7.5)]], scale: 2)
        XCTAssertEqual(s.levels["95"]?.coverage ?? 0, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(s.levels["95"]?.width, 2)
        XCTAssertEqual(s.levels["80"]?.coverage ?? 0, 1.0 / 3, accuracy: 1e-12)
        // MSIS = mean(2, 2 + 40·3, 2 + 40·1) / 2
        XCTAssertEqual(s.msis ?? 0, (2 + 122 + 42) / 3 / 2, accuracy: 1e-9)
        let json = String(decoding: try! JSONEncoder().encode(s), as: UTF8.self)
        XCTAssertTrue(json.contains("\"msis\"") && json.contains("\"80\":{") && json.contains("\"coverage\""), json)
        XCTAssertEqual(try JSONDecoder().decode(IntervalScores.self, from: Data(json.utf8)), s)
    }

    /// A small calibrated forecaster of airline (hidden 4, two epochs, one member).
    func calibrated(levels: [Double], horizon: Int) throws -> TrainingOutcome {
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
        r.levels = levels
        r.createdAt = Date(timeIntervalSince1970: 0)
        return try Training.run(r)
    }

    func testACalibratedModelWritesItsBoundsEverywhereAndKeepsThemInItsFile() throws {
        let outcome = try calibrated(levels: [80, 95], horizon: 2)
        let intervals = try XCTUnwrap(outcome.report.test?.intervals)
        XCTAssertEqual(Set(intervals.levels.keys), ["80", "95"])
        XCTAssertGreaterThan(intervals.levels["95"]!.width, intervals.levels["80"]!.width)
        XCTAssertNotNil(intervals.msis)
        // The baselines are calibrated the same way on the same held-out windows.
        XCTAssertEqual(Set(outcome.report.baselines["naive"]?.intervals?.levels.keys ?? [:].keys), ["80", "95"])
        XCTAssertNotNil(outcome.report.baselines["seasonal_naive"]?.intervals?.msis)
        let bytes = try ModelFile.encode(outcome.model)
        XCTAssertEqual(bytes[8], 2, "a calibrated model is written as format version 2")
        XCTAssertEqual(ModelFile.version(of: try SmallModel.forecaster()), 1)
        let back = try ModelFile.decode(bytes, path: "m.tidal")
        XCTAssertEqual(back, outcome.model)
        let forecaster = try back.forecaster()
        XCTAssertEqual(
            forecaster.columns,
            .values([
                "value_h1", "value_h1_lo80", "value_h1_hi80", "value_h1_lo95", "value_h1_hi95", "value_h2", "value_h2_lo80",
                "value_h2_hi80", "value_h2_lo95", "value_h2_hi95",
            ]))
        let table = try Table.load(path: SmallModel.airline, options: forecaster.tableOptions())
        let all = try forecaster.forecastAll(table)
        for (_, v) in all {
            for j in [0, 5] { XCTAssertTrue(v[j + 3] <= v[j + 1] && v[j + 1] <= v[j] && v[j] <= v[j + 2] && v[j + 2] <= v[j + 4], "\(v)") }
        }
        // Replay writes the same bounds for the same rows.
        var lines: [String] = []
        let engine = try ReplayEngine(model: back, write: { lines.append($0) }, warn: { _ in })
        try engine.run(source: MemoryByteSource(try String(contentsOfFile: SmallModel.airline, encoding: .utf8)))
        XCTAssertEqual(lines.first, "row,time,time_h1,time_h2," + forecaster.spec.predictionNames.joined(separator: ",") + ",gap\n")
        XCTAssertTrue(lines.last!.hasPrefix("144,1960-12,1961-01,1961-02,"), lines.last!)
        let last = lines.last!.dropLast().split(separator: ",").dropFirst(4).dropLast().map { Float($0)! }
        XCTAssertEqual(last, all.last!.values)
    }

    func testReplayAlertsFlagAReadingFarOutsideThePredictedBand() throws {
        let model = try calibrated(levels: [90], horizon: 1).model
        var rows = try String(contentsOfFile: SmallModel.airline, encoding: .utf8).split(separator: "\n").map(String.init)
        rows[101] = rows[101].split(separator: ",")[0] + ",5000"  // data row 101: far above anything before it
        var lines: [String] = []
        let engine = try ReplayEngine(model: model, alert: 99, write: { lines.append($0) }, warn: { _ in })
        try engine.run(source: MemoryByteSource(rows.joined(separator: "\n") + "\n"))
        XCTAssertTrue(lines[0].hasSuffix(",gap,anomaly,score\n"), lines[0])
        let byRow = Dictionary(
            uniqueKeysWithValues: lines.dropFirst().map { line -> (Int, [String]) in
                let f = line.dropLast().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                return (Int(f[0])!, f)
            })
        XCTAssertEqual(byRow[12]?.suffix(2), ["", ""], "the first prediction has no band to be checked against")
        XCTAssertEqual(byRow[101]?.suffix(2).first, "1")
        XCTAssertGreaterThan(Float(byRow[101]!.last!)!, 1)
        XCTAssertEqual(engine.counts.anomalies, byRow.values.filter { $0[$0.count - 2] == "1" }.count)
        XCTAssertTrue(engine.counts.summary.hasSuffix(" anomalies"), engine.counts.summary)
        XCTAssertThrowsError(try ReplayEngine(model: try SmallModel.forecaster(), alert: 99, write: { _ in }, warn: { _ in })) {
            XCTAssertEqual($0 as? ReplayError, .notCalibrated)
        }
    }

    func testADamagedCalibrationIsRefusedWhenTheFileIsRead() throws {
        let model = try calibrated(levels: [80], horizon: 2).model
        guard case var .forecast(spec) = model.schema else { return XCTFail("not a forecaster") }
        let good = spec.calibration!
        for bad in [
            IntervalCalibration(levels: [80], scores: [good.scores[0]]), IntervalCalibration(levels: [120], scores: good.scores),
            IntervalCalibration(levels: [80], scores: [[], good.scores[1]]),
        ] {
            spec.calibration = bad
            var edited = model
            edited.schema = .forecast(spec)
            XCTAssertThrowsError(try ModelFile.decode(try ModelFile.encode(edited), path: "m.tidal")) {
                XCTAssertTrue("\($0)".contains("calibration"), "\($0)")
            }
        }
    }
}
