import Foundation
import TidalCore
import TidalData
import TidalTestSupport
import XCTest

@testable import TidalModel

/// Many series in one long-format file: grouping, the time cut, windows that stay in their
/// series, the per-series protocol, and forecasts and replay keyed by series.
///
/// A generated quarterly panel of three series of unlike lengths and scales, its rows interleaved
/// (each series' rows in time order), trained small (hidden 4, two epochs, one member).
final class PanelTests: XCTestCase {
    /// Quarter `k` after 2000Q1 as text.
    static func quarter(_ k: Int) -> String { "\(2000 + k / 4)Q\(k % 4 + 1)" }

    /// `series,time,value` rows: series `a` 40 quarters from 2000Q1, `b` 28 from 2003Q1 at a
    /// hundred times the scale, `c` 6 quarters (too short for a window), interleaved at random
    /// (the same values for every `interleaving`).
    static func panelRows(interleaving seed: UInt64 = 5) -> [[String]] {
        var values = SeededGenerator(seed: 5)
        func noise() -> Double { Double(values.next() % 1000) / 1000 - 0.5 }
        var queues: [[[String]]] = [
            (0 ..< 40).map { k in ["a", quarter(k), "\(10 + Double(k % 4) * 2 + noise())"] },
            (12 ..< 40).map { k in ["b", quarter(k), "\(1000 + Double(k) * 5 + Double(k % 4) * 100 + 10 * noise())"] },
            (34 ..< 40).map { k in ["c", quarter(k), "\(3 + noise())"] },
        ]
        var rows: [[String]] = []
        var generator = SeededGenerator(seed: seed)
        while !queues.isEmpty {
            let q = Int(generator.next() % UInt64(queues.count))
            rows.append(queues[q].removeFirst())
            if queues[q].isEmpty { queues.remove(at: q) }
        }
        return rows
    }

    static func csv(_ rows: [[String]]) -> String { "series,time,value\n" + rows.map { $0.joined(separator: ",") + "\n" }.joined() }

    func write(_ text: String, _ name: String) throws -> String {
        let path = try TestPaths.temporaryDirectory(self).appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func request(_ path: String) -> TrainingRequest {
        var r = TrainingRequest(dataPath: path)
        r.targets = ["value"]
        r.lookback = 8
        r.season = 4
        r.testStart = "2008Q1"
        r.hidden = 4
        r.epochs = 2
        r.ensemble = 1
        r.threads = 1
        r.createdAt = Date(timeIntervalSince1970: 0)
        return r
    }

    func seriesOptions() -> TableOptions {
        var o = TableOptions()
        o.numericColumns = ["value"]
        o.readsSeries = true
        return o
    }

    func testLayoutGathersInterleavedSeriesInOrderOfFirstAppearance() {
        let layout = SeriesLayout(ids: ["a", "b", "a", "c", "b"], rowCount: 5)
        XCTAssertEqual(layout.names, ["a", "b", "c"])
        XCTAssertEqual(layout.order, [0, 2, 1, 4, 3])
        XCTAssertEqual(layout.ranges, [0 ..< 2, 2 ..< 4, 4 ..< 5])
        XCTAssertEqual(layout.gather([10, 11, 12, 13, 14, 15, 16, 17, 18, 19], width: 2), [10, 11, 14, 15, 12, 13, 18, 19, 16, 17])
        XCTAssertEqual(SeriesLayout(ids: nil, rowCount: 3).ranges, [0 ..< 3])
    }

    func testTheSeriesColumnIsFoundByNameAndTimeOrderIsCheckedWithinEachSeries() throws {
        let ok = try Table.load(
            source: MemoryByteSource("unique_id,ds,y\na,1,1\nb,1,2\na,2,3\nb,2,4\n", name: "<stdin>"), options: seriesOptions(["y"]))
        XCTAssertEqual(ok.seriesName, "unique_id")
        XCTAssertEqual(ok.seriesIDs, ["a", "b", "a", "b"])
        XCTAssertThrowsError(
            try Table.load(
                source: MemoryByteSource("series,time,value\na,1,1\nb,5,2\na,2,3\nb,4,4\n", name: "<stdin>"), options: seriesOptions())
        ) { error in
            XCTAssertEqual(
                "\(error)",
                "<stdin>:5: series \"b\": time column \"time\" is not increasing: \"4\" comes after \"5\"; sort each series by time")
        }
        // Without reading series the same file is one series whose time goes backwards.
        var single = seriesOptions()
        single.readsSeries = false
        XCTAssertThrowsError(try Table.load(source: MemoryByteSource("series,time,value\na,1,1\nb,5,2\na,2,3\n"), options: single))
    }

    func seriesOptions(_ numeric: [String]) -> TableOptions {
        var o = seriesOptions()
        o.numericColumns = numeric
        return o
    }

    /// The generated panel cut at 2008Q1: lookback 8, season 4, per-window scaling, no differencing.
    func cutTask(horizon: Int) throws -> ForecastTask {
        let path = try write(Self.csv(Self.panelRows()), "panel.csv")
        let table = try Table.load(path: path, options: seriesOptions())
        var setup = ForecastSetup(targets: ["value"])
        setup.lookback = 8
        setup.horizon = horizon
        setup.season = 4
        setup.testStart = "2008Q1"
        setup.scaling = .window
        setup.difference = 0
        return try ForecastTask(table: table, setup: setup)
    }

    func testWindowsStayInTheirSeriesAndTheCutSplitsEverySeriesAtOneTime() throws {
        let task = try cutTask(horizon: 2)
        XCTAssertEqual(Set(task.layout.names), ["a", "b", "c"])
        XCTAssertEqual(task.layout.names.first, Self.panelRows()[0][0])
        let time = task.time!
        for (set, isTest) in [(task.train, false), (task.test, true)] {
            for (i, o) in set.origins.enumerated() {
                let range = set.segments[set.originSeries[i]]
                XCTAssertGreaterThanOrEqual(o - 8, range.lowerBound, "window reaches into the previous series")
                XCTAssertLessThanOrEqual(o + 2, range.upperBound, "targets reach into the next series")
                // Training targets lie before the cut, test targets at or after it.
                XCTAssertEqual(time[o] >= "2008Q1", isTest, "origin \(o)")
                if !isTest { XCTAssertLessThan(time[o + 1], "2008Q1") }
            }
        }
        // Series c (6 rows) has no window at all and is said to be left out.
        XCTAssertEqual(Set(task.test.originSeries.map { task.layout.names[$0] }), ["a", "b"])
        XCTAssertTrue(task.leftOut?.contains("1 of 3 series have no training window") ?? false, task.leftOut ?? "nil")
        // Every test origin of a and b is scored: 40 − 32 − 1 for a, and for b the same quarters.
        XCTAssertEqual(task.test.count, 2 * 7)
    }

    func testBalancedSamplingGroupsTheTrainingWindowsBySeries() throws {
        let task = try cutTask(horizon: 1)
        let groups = try XCTUnwrap(task.train.sampleGroups)
        // Every window in exactly one group, each group one series' windows (c has none).
        XCTAssertEqual(groups.flatMap { $0 }.sorted(), Array(0 ..< task.train.count))
        for (s, group) in groups.enumerated() { XCTAssertTrue(group.allSatisfy { task.train.originSeries[$0] == s }) }
        XCTAssertEqual(groups.filter { !$0.isEmpty }.count, 2)
        // One series is one group: nothing to balance.
        XCTAssertNil(ForecastDataset(spec: task.train.spec, raw: task.train.raw, origins: [8, 9]).sampleGroups)
    }

    func testNothingAtOrAfterTheCutChangesTheModel() throws {
        let rows = Self.panelRows()
        let wild = rows.map { r in r[1] >= "2008Q1" ? [r[0], r[1], "1e9"] : r }
        let a = try Training.run(request(try write(Self.csv(rows), "panel.csv")))
        let b = try Training.run(request(try write(Self.csv(wild), "wild.csv")))
        XCTAssertEqual(a.model.schema, b.model.schema)
        XCTAssertEqual(weights(a), weights(b))
        XCTAssertEqual(a.report.choices, b.report.choices)
        XCTAssertNotEqual(a.report.test?.meanMase, b.report.test?.meanMase)
    }

    func testSeriesMetricsScaleEachSeriesByItsOwnTrainingPart() {
        var spec = ForecastSpec(
            features: ["v"], targets: ["v"], timeColumn: nil, lookback: 1, horizon: 1, difference: 0, scaling: .none,
            normalizer: Normalizer(kind: .none, statistics: [RunningStatistics()]), season: 1)
        spec.seriesColumn = "s"
        // Series 0: 1 2 4 7 (test origin 3); series 1: 10 30 20 (test origin 2, raw row 6).
        let set = ForecastDataset(spec: spec, raw: [1, 2, 4, 7, 10, 30, 20], origins: [3, 6], segments: [0 ..< 4, 4 ..< 7])
        let naive = set.naive()
        XCTAssertEqual(naive, [4, 30])
        // Scales: series 0 mean(|2−1|, |4−2|) = 1.5 over its first 3 rows; series 1 |30−10| = 20 over 2.
        let m = set.seriesMetrics(of: naive, scales: [1.5, 20], names: ["x", "y"])
        XCTAssertEqual(m.series.map(\.metrics.mase), [3 / 1.5, 10 / 20.0])
        XCTAssertEqual(m.meanMASE, (2 + 0.5) / 2)
        XCTAssertEqual(m.medianMASE, (2 + 0.5) / 2)
        XCTAssertEqual(m.pooled.mae, 6.5)
        XCTAssertEqual(m.series.map(\.origins), [1, 1])
        // Seasonal naive never reaches back into the previous series.
        XCTAssertTrue(
            ForecastDataset(spec: spec, raw: [1, 2, 4, 7, 10, 30, 20], origins: [5], segments: [0 ..< 4, 4 ..< 7])
                .seasonalNaive(period: 2)[0].isNaN)
    }

    func testTheBaselinesReproduceTheReferencePanelFigures() throws {
        let reference = TestPaths.shared.appendingPathComponent("bench/panel_baselines.json")
        let data = TestPaths.data.appendingPathComponent("panel/visnights.csv").path
        guard FileManager.default.fileExists(atPath: reference.path), FileManager.default.fileExists(atPath: data) else {
            throw XCTSkip("../shared/bench/panel_baselines.json or the visnights panel is not here")
        }
        let sets = try JSONSerialization.jsonObject(with: Data(contentsOf: reference)) as! [String: Any]
        let visnights = (sets["sets"] as! [[String: Any]]).first { $0["set"] as? String == "visnights" }!
        let horizons = visnights["horizons"] as! [String: [String: [String: Any]]]
        let table = try Table.load(path: data, options: seriesOptions())
        for h in [1, 4] {
            var setup = ForecastSetup(targets: ["value"])
            setup.lookback = 8
            setup.horizon = h
            setup.season = 4
            setup.testStart = "2013Q1"
            setup.scaling = .window
            setup.difference = 0
            let task = try ForecastTask(table: table, setup: setup)
            let naive = task.seriesMetrics(of: task.test.naive(), on: task.test)
            let seasonal = task.seriesMetrics(of: task.test.seasonalNaive(period: 4), on: task.test)
            let want = horizons["\(h)"]!
            XCTAssertEqual(naive.meanMASE, want["naive"]!["mean_mase"] as! Double, accuracy: 1e-5)
            XCTAssertEqual(seasonal.meanMASE, want["snaive_m4"]!["mean_mase"] as! Double, accuracy: 1e-5)
            XCTAssertEqual(seasonal.medianMASE, want["snaive_m4"]!["median_mase"] as! Double, accuracy: 1e-5)
            XCTAssertEqual(naive.pooled.smape, want["naive"]!["smape"] as! Double, accuracy: 1e-4)
            XCTAssertEqual(naive.series.count, 20)
        }
    }

    func testForecastAndReplayOfAnyInterleavingAgreeForEverySeriesAndTime() throws {
        let rows = Self.panelRows()
        let outcome = try Training.run(request(try write(Self.csv(rows), "panel.csv")))
        XCTAssertEqual(Set(outcome.report.test?.perSeries?.map(\.series) ?? []), ["a", "b"])
        let forecaster = try outcome.model.forecaster()
        let table = try Table.load(path: try write(Self.csv(rows), "again.csv"), options: forecaster.tableOptions())
        let all = try forecaster.forecast(table, all: true)
        XCTAssertEqual(all.tooShort, ["c"])
        let times = table.time!
        var expected: [String: [Float]] = [:]
        for line in all.lines { expected["\(line.series!) \(times[line.row - 1])"] = line.values }
        XCTAssertEqual(expected.count, (40 - 7) + (28 - 7))
        // Without --all: one line per series, after its last row.
        let last = try forecaster.forecast(table, all: false).lines
        XCTAssertEqual(last.count, 2)
        for line in last { XCTAssertEqual(line, all.lines.last { $0.series == line.series }) }
        // The file's order, another random interleaving, and one series after the other: each series' order kept.
        for order in [rows, Self.panelRows(interleaving: 9), rows.filter { $0[0] == "b" } + rows.filter { $0[0] != "b" }] {
            let text = Self.csv(order)
            var lines: [String] = [], warnings: [String] = []
            let engine = try ReplayEngine(model: outcome.model, write: { lines.append($0) }, warn: { warnings.append($0) })
            try engine.run(source: MemoryByteSource(text, chunkSize: 7))
            XCTAssertEqual(warnings, [])
            XCTAssertEqual(lines.first, "series,row,time,time_h1,value_h1,gap\n")
            var got: [String: [Float]] = [:]
            for line in lines.dropFirst() {
                let f = line.dropLast().split(separator: ",").map(String.init)
                got["\(f[0]) \(f[2])"] = [Float(f[4])!]
                // Each series' step is the one quarter all series share.
                XCTAssertEqual(f[3], TimeStep(unit: .month, amount: 3).time(after: f[2], steps: 1), line)
            }
            XCTAssertEqual(got, expected)
            // Every series warms up on its own: 7 rows for a and b, all 6 of c.
            XCTAssertEqual(engine.counts, ReplayCounts(read: rows.count, predicted: expected.count, rejected: 0, warming: 7 + 7 + 6))
        }
    }

    func testLocalModelsPerSeriesDoNotDependOnTheThreadCountAndNameWhatFailed() throws {
        let path = try write(Self.csv(Self.panelRows()), "panel.csv")
        var r = request(path)
        r.difference = 0
        r.scaling = .window
        let one = try Training.runPerSeries(r, threads: 1)
        let two = try Training.runPerSeries(r, threads: 2)
        XCTAssertEqual(one.runs.map(\.series), SeriesLayout(try Table.load(path: path, options: seriesOptions())).names)
        XCTAssertEqual(one.mases, two.mases)
        XCTAssertEqual(one.mases.count, 2)
        let failed = one.runs.first { $0.series == "c" }!
        XCTAssertNil(failed.outcome)
        XCTAssertTrue(failed.failure?.contains("lookback") ?? false, failed.failure ?? "nil")
        // A local model of a scores that series exactly as the global report's per-series entry would: its own scale.
        let a = one.runs.first { $0.series == "a" }!.outcome!.report.test!
        XCTAssertNil(a.perSeries)
        XCTAssertNotNil(a.mase)
    }

    func testASeriesEmbeddingLearnsTheTrainingIdsAndReadsAnUnseenOneAsUnknown() throws {
        var r = request(try write(Self.csv(Self.panelRows()), "panel.csv"))
        r.seriesEmbedding = true
        let model = try Training.run(r).model
        let forecaster = try model.forecaster()
        XCTAssertEqual(forecaster.spec.categorical.map(\.name), ["series"])
        XCTAssertEqual(Set(forecaster.spec.categorical[0].values.dropFirst()), ["a", "b"], "c has no training rows")
        // A series never seen in training is forecast too (its id reads <unk>).
        let unseen = Self.panelRows().filter { $0[0] == "a" }.map { ["z", $0[1], $0[2]] }
        let table = try Table.load(path: try write(Self.csv(unseen), "unseen.csv"), options: forecaster.tableOptions())
        XCTAssertEqual(try forecaster.forecast(table, all: false).lines.map(\.series), ["z"])
        var plain = request(try write(Self.csv(Self.panelRows()), "plain.csv"))
        plain.seriesEmbedding = true
        plain.dataPath = SmallModel.airline
        plain.testStart = nil
        plain.season = 12
        XCTAssertThrowsError(try Training.run(plain)) {
            XCTAssertTrue("\($0)".contains("--series-embedding needs a series column"), "\($0)")
        }
    }

    func testGapsAreFilledWithinTheirSeriesAndARowNumberColumnIsNoSeriesColumn() throws {
        var o = seriesOptions()
        o.missing = .linear
        let t = try Table.load(source: MemoryByteSource("series,time,value\na,1,10\nb,1,500\na,2,\nb,2,510\na,3,30\n"), options: o)
        XCTAssertEqual(t.numeric("value"), [10, 500, 20, 510, 30])
        let ids = try Table.load(source: MemoryByteSource("id,time,value\n1,1,10\n2,2,11\n3,3,12\n"), options: seriesOptions())
        XCTAssertNil(ids.seriesName, "an id that never repeats numbers rows")
        var named = seriesOptions()
        named.seriesColumn = "id"
        XCTAssertEqual(try Table.load(source: MemoryByteSource("id,time,value\n1,1,10\n2,2,11\n"), options: named).seriesName, "id")
    }

    func testATimeCutKeepsTheSettingSearchOffTheTestRows() throws {
        // A single series cut at a time: the search compares on the validation tail before the cut, never on folds.
        var r = request(SmallModel.airline)
        r.testStart = "1958-01"
        r.season = 12
        r.lookback = 12
        let outcome = try Training.run(r)
        XCTAssertTrue(outcome.report.choices?.contains("chosen on a validation tail") ?? false, outcome.report.choices ?? "")
        let rows = try String(contentsOfFile: SmallModel.airline, encoding: .utf8).split(separator: "\n").map(String.init)
        let wild = rows.map {
            $0.hasPrefix("1958") || $0.hasPrefix("1959") || $0.hasPrefix("1960") ? $0.split(separator: ",")[0] + ",1e7" : $0
        }
        var w = r
        w.dataPath = try write(wild.joined(separator: "\n") + "\n", "wild-airline.csv")
        let other = try Training.run(w)
        XCTAssertEqual(weights(outcome), weights(other))
        XCTAssertEqual(outcome.report.choices, other.report.choices)
    }
}
