import Foundation
import TidalData
@testable import TidalModel
import TidalTestSupport
import XCTest

/// The automatic choice of forecast scaling, differencing, skip and weight decay.
final class ForecastSelectionTests: XCTestCase {
    func testDefaultsFollowTheDifferencing() {
        var request = TrainingRequest(dataPath: "s")
        XCTAssertEqual(TrainingSession.forecastDefaults(difference: 0, request).skip, true)
        XCTAssertEqual(TrainingSession.forecastDefaults(difference: 0, request).weightDecay, 0)
        XCTAssertEqual(TrainingSession.forecastDefaults(difference: 12, request).skip, false)
        XCTAssertEqual(TrainingSession.forecastDefaults(difference: 1, request).weightDecay, 0.03)
        // What the user set is kept whatever the differencing.
        request.skip = true
        request.weightDecay = 0.5
        XCTAssertEqual(TrainingSession.forecastDefaults(difference: 12, request).skip, true)
        XCTAssertEqual(TrainingSession.forecastDefaults(difference: 0, request).weightDecay, 0.5)
    }

    func testCandidatesAreNarrowedByTheFlagsGiven() {
        let request = TrainingRequest(dataPath: "s")
        var setup = ForecastSetup(targets: ["v"])
        setup.season = 12
        func names() -> [String] { TrainingSession.forecastCandidates(setup, request).map(\.name) }
        XCTAssertEqual(names(), ["window/d0", "zscore/d12"])
        XCTAssertEqual(TrainingSession.forecastCandidates(setup, request).map(\.skip), [true, false])
        setup.difference = 1
        XCTAssertEqual(names(), ["window/d1", "zscore/d1"])
        setup.scaling = .minmax
        XCTAssertEqual(names(), ["minmax/d1"])
        setup.difference = nil
        XCTAssertEqual(names(), ["minmax/d0", "minmax/d12"])
    }

    /// A seasonal series with noise: `rows` rows, the first `clean` of them well behaved.
    func writeSeries(_ dir: URL, rows: Int, clean: Int, name: String) throws -> String {
        var g = testGenerator(5)
        var csv = "t,value\n"
        for t in 0 ..< rows {
            let v = t < clean ? 100 + Double(t) * 0.5 + 20 * sin(Double(t) * .pi / 6) + Double(g.uniform(-3, 3)) : 1e6 * Double(t % 3)
            csv += "\(t),\(v)\n"
        }
        let path = dir.appendingPathComponent(name).path
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func request(_ path: String) -> TrainingRequest {
        var request = TrainingRequest(dataPath: path)
        request.forecast = ForecastSetup(targets: ["value"])
        request.forecast.lookback = 24
        request.forecast.season = 12
        request.hidden = 4
        request.training.epochs = 3
        request.training.batchSize = 16
        return request
    }

    func testSmallTrainingPartsAreBacktestedWithoutLookingAtTheTestPart() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        // 120 rows: training rows 0 ..< 96. The second file's test part is wild; the choice must not change.
        let tame = try writeSeries(dir, rows: 120, clean: 120, name: "tame.csv")
        let wild = try writeSeries(dir, rows: 120, clean: 96, name: "wild.csv")
        var options = TableOptions()
        options.numericColumns = ["value"]
        let r = request(tame)
        let a = try XCTUnwrap(TrainingSession.selectForecastSettings(table: Table.load(path: tame, options: options), setup: r.forecast, request: r, observer: nil))
        let b = try XCTUnwrap(TrainingSession.selectForecastSettings(table: Table.load(path: wild, options: options), setup: r.forecast, request: r, observer: nil))
        XCTAssertTrue(a.note.contains("rolling-origin evaluation on 3 folds"), a.note)
        XCTAssertTrue(a.note.contains("window/d0: ") && a.note.contains("zscore/d12: "), a.note)
        XCTAssertEqual(a.note, b.note)
        XCTAssertEqual(a.candidate, b.candidate)
        XCTAssertTrue((1 ... 3).contains(a.epochs))
        // Same seed, same choice.
        XCTAssertEqual(try TrainingSession.selectForecastSettings(table: Table.load(path: tame, options: options), setup: r.forecast, request: r, observer: nil)?.note, a.note)
    }

    func testAFoldSeesOnlyItsRows() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let path = try writeSeries(dir, rows: 120, clean: 60, name: "s.csv")
        var options = TableOptions()
        options.numericColumns = ["value"]
        let table = try Table.load(path: path, options: options)
        var setup = request(path).forecast
        setup.rowLimit = 60
        setup.scaling = .zscore
        setup.difference = 0
        let fold = try ForecastTask(table: table, setup: setup)
        XCTAssertEqual(fold.split.rowCount, 60)
        XCTAssertEqual(fold.split.testStart, 48)
        XCTAssertEqual(fold.test.origins.last, 59)
        // The z-score was fitted on the fold's training rows, all of them tame.
        XCTAssertLessThan(abs(fold.spec.normalizer.shift[0] - 110), 20)
    }

    func testLargeTrainingPartsUseOneValidationTail() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let rows = TrainingSession.foldedSelectionWindowLimit + 400
        let path = try writeSeries(dir, rows: rows, clean: rows, name: "long.csv")
        var r = request(path)
        r.training.epochs = 1
        r.training.batchSize = 256
        var options = TableOptions()
        options.numericColumns = ["value"]
        let choice = try XCTUnwrap(TrainingSession.selectForecastSettings(table: Table.load(path: path, options: options), setup: r.forecast, request: r, observer: nil))
        XCTAssertTrue(choice.note.hasPrefix("chosen on a validation tail of the training part (MAE window/d0: "), choice.note)
        XCTAssertTrue(choice.note.hasSuffix("refitted for 1 epochs"), choice.note)
    }
}
