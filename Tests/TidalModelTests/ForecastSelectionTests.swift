import Foundation
import TidalData
@testable import TidalModel
import TidalTestSupport
import XCTest

/// The automatic choice of forecast scaling, differencing, skip and weight decay.
final class ForecastSelectionTests: XCTestCase {
    func testDefaultsFollowTheDifferencing() throws {
        var request = TrainingRequest(dataPath: "s")
        request.targets = ["v"]
        var plan = try request.resolved()
        XCTAssertEqual(ForecastPipeline.defaults(difference: 0, plan).skip, true)
        XCTAssertEqual(ForecastPipeline.defaults(difference: 0, plan).weightDecay, 0)
        XCTAssertEqual(ForecastPipeline.defaults(difference: 12, plan).skip, false)
        XCTAssertEqual(ForecastPipeline.defaults(difference: 1, plan).weightDecay, 0.03)
        // What the user set is kept whatever the differencing.
        plan.request.skip = true
        plan.request.weightDecay = 0.5
        XCTAssertEqual(ForecastPipeline.defaults(difference: 12, plan).skip, true)
        XCTAssertEqual(ForecastPipeline.defaults(difference: 0, plan).weightDecay, 0.5)
    }

    func testCandidatesAreNarrowedByTheFlagsGiven() throws {
        var request = TrainingRequest(dataPath: "s")
        request.targets = ["v"]
        let plan = try request.resolved()
        var setup = ForecastSetup(targets: ["v"])
        setup.season = 12
        func names() -> [String] { ForecastSettingSearch.candidates(setup, plan).map(\.name) }
        XCTAssertEqual(names(), ["window/d0", "zscore/d12"])
        XCTAssertEqual(ForecastSettingSearch.candidates(setup, plan).map(\.skip), [true, false])
        setup.difference = 1
        XCTAssertEqual(names(), ["window/d1", "zscore/d1"])
        setup.scaling = .minmax
        XCTAssertEqual(names(), ["minmax/d1"])
        setup.difference = nil
        XCTAssertEqual(names(), ["minmax/d0", "minmax/d12"])
        // A window no longer than the season cannot hold a seasonal difference: lag 1 instead.
        setup.lookback = 12
        XCTAssertEqual(names(), ["minmax/d0", "minmax/d1"])
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
        request.targets = ["value"]
        request.lookback = 24
        request.season = 12
        request.hidden = 4
        request.epochs = 3
        request.batchSize = 16
        return request
    }

    func select(_ path: String, _ request: TrainingRequest) throws -> ForecastSelection? {
        var options = TableOptions()
        options.numericColumns = ["value"]
        let plan = try request.resolved()
        return try ForecastSettingSearch(table: Table.load(path: path, options: options), setup: plan.forecast, plan: plan, observer: nil)
            .run()
    }

    func testSmallTrainingPartsAreBacktestedWithoutLookingAtTheTestPart() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        // 120 rows: training rows 0 ..< 96. The second file's test part is wild; the choice must not change.
        let tame = try writeSeries(dir, rows: 120, clean: 120, name: "tame.csv")
        let wild = try writeSeries(dir, rows: 120, clean: 96, name: "wild.csv")
        let r = request(tame)
        let a = try XCTUnwrap(select(tame, r))
        let b = try XCTUnwrap(select(wild, r))
        XCTAssertTrue(a.note.contains("rolling-origin evaluation on 3 folds"), a.note)
        XCTAssertTrue(a.note.contains("window/d0: ") && a.note.contains("zscore/d12: "), a.note)
        XCTAssertEqual(a.note, b.note)
        XCTAssertEqual(a.candidate, b.candidate)
        XCTAssertTrue((1 ... 3).contains(a.epochs))
        // Same seed, same choice.
        XCTAssertEqual(try select(tame, r)?.note, a.note)
    }

    func testAFoldSeesOnlyItsRows() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let path = try writeSeries(dir, rows: 120, clean: 60, name: "s.csv")
        var options = TableOptions()
        options.numericColumns = ["value"]
        let table = try Table.load(path: path, options: options)
        var setup = try request(path).resolved().forecast
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
        let rows = ForecastSettingSearch.foldedWindowLimit + 400
        let path = try writeSeries(dir, rows: rows, clean: rows, name: "long.csv")
        var r = request(path)
        r.epochs = 1
        r.batchSize = 256
        let choice = try XCTUnwrap(select(path, r))
        XCTAssertTrue(choice.note.hasPrefix("chosen on a validation tail of the training part (MAE window/d0: "), choice.note)
        XCTAssertTrue(choice.note.contains("naive ") && choice.note.hasSuffix(")") && !choice.note.contains("refitted"), choice.note)
        XCTAssertEqual(choice.epochs, 1)
    }

    /// The refit clause names the epochs the final run takes, and why they differ from the budget asked for.
    func testTheRefitClauseNamesTheEpochsRun() {
        let candidate = ForecastCandidate(scaling: .zscore, difference: 12, skip: false, weightDecay: 0.03)
        let selection = ForecastSelection(candidate: candidate, epochs: 19, note: "chosen", warning: nil)
        var training = TrainingConfiguration()
        training.epochs = 20
        XCTAssertEqual(selection.refit(&training, earlyStops: false), ", refitted for 19 epochs (its trial's best, of up to 20)")
        XCTAssertEqual(training.epochs, 19)
        training.epochs = 19
        XCTAssertEqual(selection.refit(&training, earlyStops: false), ", refitted for 19 epochs")
        // Patience on the user's validation part ends the run: the requested budget stays.
        training.epochs = 20
        training.patience = 5
        XCTAssertEqual(
            selection.refit(&training, earlyStops: true),
            "; the final run stops early instead (patience 5 on the validation part, up to 20 epochs)")
        XCTAssertEqual(training.epochs, 20)
        training.steps = 2400
        XCTAssertEqual(selection.refit(&training, earlyStops: false), ", refitted for 2,400 steps")
        XCTAssertEqual(training.epochs, 20)
    }

    /// Rows of a seeded Gaussian random walk, for which the naive forecast is the best one.
    func writeRandomWalk(_ dir: URL, rows: Int) throws -> String {
        var g = testGenerator(11)
        var level = 100.0, csv = "t,value\n"
        for t in 0 ..< rows {
            level += Double(g.uniform(-1, 1)) * 3
            csv += "\(t),\(level)\n"
        }
        let path = dir.appendingPathComponent("walk.csv").path
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testWhenNoSettingBeatsTheBaselinesItSaysSoAndTakesTheDifferencedOne() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let path = try writeRandomWalk(dir, rows: 150)
        var r = request(path)
        r.season = 1
        r.lookback = 12
        let choice = try XCTUnwrap(select(path, r))
        XCTAssertTrue(choice.note.contains("; naive "), choice.note)
        let warning = try XCTUnwrap(choice.warning, choice.note)
        XCTAssertTrue(warning.hasPrefix("no network setting beat naive on the training part's backtest"), warning)
        XCTAssertEqual(choice.candidate.difference, 1)
        XCTAssertTrue(warning.contains("trained the safest setting, zscore/d1"), warning)
    }

    func testAShortSeriesWithALongHorizonIsComparedOnTheValidationTail() throws {
        // 100 rows, horizon 12: no fold leaves a validation tail of a whole window, so the folds give way to the tail.
        let dir = try TestPaths.temporaryDirectory(self)
        let path = try writeSeries(dir, rows: 100, clean: 100, name: "short.csv")
        var r = request(path)
        r.lookback = 12
        r.horizon = 12
        r.season = 1
        let choice = try XCTUnwrap(select(path, r))
        XCTAssertTrue(choice.note.hasPrefix("chosen on a validation tail of the training part (MAE window/d0: "), choice.note)
    }
}
