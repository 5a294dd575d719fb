import Foundation
import TidalCore
import TidalData
@testable import TidalModel
import TidalNet
import TidalTestSupport
import XCTest

/// Replay of every kind of model against the batch path that reads whole files.
///
/// For each task a tiny model is trained in-process on a small CSV, then rows are replayed
/// through `ReplayEngine` (several chunk sizes) and every output line is compared with the line
/// the batch path's prediction for the same rows formats to: the same numbers to the last digit.
/// The same rows with three bad rows slipped in (a cell that is not a number, an empty cell, too
/// few fields) must give the same predictions for the good rows, a rejection line per bad row,
/// the `gap` column exactly where the window spans a rejected row, and counts that add up.
final class ReplayEveryTaskTests: XCTestCase {
    static let chunkSizes = [1, 7, 4096]

    // MARK: the shared check

    /// One task's replay case: a model, clean input rows and what the batch path predicts for them.
    struct Case {
        var name: String
        var model: TrainedModel
        /// The input's header line and clean data lines (no newlines).
        var header: String
        var rows: [String]
        /// The header replay must write, literally.
        var outputHeader: String
        /// Rows per prediction (1: every row on its own, no `gap` column).
        var window: Int
        /// Batch predictions by clean data row (1-based): the row's time and the predictor's values.
        var batch: [Int: (time: String?, values: [Float])]
        /// Bad rows, each with its rejection message for a given input line.
        var bad: [(row: String, message: (Int) -> String)]
    }

    struct Replayed {
        var lines: [String]
        var warnings: [String]
        var counts: ReplayCounts
    }

    func replay(
        _ model: TrainedModel, _ text: String, chunkSize: Int, strict: Bool = false,
        hasHeader: Bool = true
    ) throws -> Replayed {
        var lines: [String] = [], warnings: [String] = []
        let engine = try ReplayEngine(
            model: model, strict: strict, hasHeader: hasHeader,
            write: { lines.append($0) }, warn: { warnings.append($0) })
        var seen: [ReplayCounts] = []
        try engine.run(source: MemoryByteSource(text, name: "<stdin>", chunkSize: chunkSize)) { seen.append($0) }
        // After every row, every row read so far is accounted for.
        for c in seen { XCTAssertEqual(c.read, c.predicted + c.warming + c.rejected, "\(c)") }
        XCTAssertEqual(seen.last ?? ReplayCounts(), engine.counts)
        return Replayed(lines: lines, warnings: warnings, counts: engine.counts)
    }

    /// The line replay must write for clean row `clean`, printed as `row` with `gap`.
    func expectedLine(_ c: Case, columns: PredictionColumns, clean: Int, row: Int, gap: Bool?) -> String? {
        guard let b = c.batch[clean] else { return nil }
        // A forecaster with a time step labels each step with its time, as `forecast --all` does.
        let times = (try? c.model.forecaster())?.horizonTimes(after: b.time)
        return PredictionWriter.line(.csv, columns, row: row, time: b.time, values: b.values, gap: gap, horizonTimes: times)
    }

    // Long (about 100 lines): the whole replay contract for one case — clean rows, bad rows, gaps, strict mode, counts.
    func check(_ c: Case, file: StaticString = #filePath, line: UInt = #line) throws {
        let L = c.window, n = c.rows.count
        let columns = try c.model.rowPredictor().columns
        let gapColumn = L > 1
        XCTAssertEqual(
            c.batch.keys.sorted(), Array(L ... n), "\(c.name): the batch path predicts from the window-th row on",
            file: file, line: line)
        XCTAssertGreaterThan(c.batch.count, 0, file: file, line: line)

        // (a) clean rows: every line equals the batch path's, for every chunk size.
        let clean = ([c.header] + c.rows).joined(separator: "\n") + "\n"
        let want =
            [c.outputHeader + "\n"] + (L ... n).map { expectedLine(c, columns: columns, clean: $0, row: $0, gap: gapColumn ? false : nil)! }
        for chunk in Self.chunkSizes {
            let r = try replay(c.model, clean, chunkSize: chunk)
            XCTAssertEqual(r.warnings, [], "\(c.name) chunk \(chunk)", file: file, line: line)
            XCTAssertEqual(r.lines.count, want.count, "\(c.name) chunk \(chunk)", file: file, line: line)
            for (got, expected) in zip(r.lines, want) where got != expected {
                XCTFail("\(c.name) chunk \(chunk): \(got.debugDescription) != \(expected.debugDescription)", file: file, line: line)
                break
            }
            // (d) every row accounted for: the first window − 1 rows warm up.
            XCTAssertEqual(
                r.counts, ReplayCounts(read: n, predicted: n - L + 1, rejected: 0, warming: L - 1),
                "\(c.name) chunk \(chunk)", file: file, line: line)
        }

        // (b) bad rows: one during the warm-up (after the first row), two later, more than a window apart.
        let after = [1, L + 4, 2 * L + 9].map { min($0, n - 1) }
        XCTAssertEqual(after.count, c.bad.count, file: file, line: line)
        var input = [c.header], rowOf = [Int](repeating: 0, count: n + 1), messages: [String] = []
        for k in 0 ..< n {
            for (i, a) in after.enumerated() where a == k && k > 0 {
                input.append(c.bad[i].row)
                messages.append(c.bad[i].message(input.count))  // the bad row's 1-based input line
            }
            input.append(c.rows[k])
            rowOf[k + 1] = input.count - 1
        }
        XCTAssertEqual(messages.count, c.bad.count, file: file, line: line)
        // (c) gap: 1 for the window − 1 predictions after a rejection (their window reaches back past it).
        func gap(_ e: Int) -> Bool { after.contains { k in k + 1 <= e && e <= k + L - 1 } }
        let dirty = input.joined(separator: "\n") + "\n"
        let wantDirty =
            [c.outputHeader + "\n"]
            + (L ... n).map { expectedLine(c, columns: columns, clean: $0, row: rowOf[$0], gap: gapColumn ? gap($0) : nil)! }
        if gapColumn {
            let gaps = (L ... n).filter(gap)
            // The isolated rejections after row L + 4 and 2L + 9 flag exactly L − 1 predictions each; the one after row 1 flags
            // the first prediction (its window holds row 1) and no other.
            XCTAssertEqual(
                gaps, [L] + Array(after[1] + 1 ... after[1] + L - 1) + Array(after[2] + 1 ... after[2] + L - 1),
                c.name, file: file, line: line)
        }
        for chunk in Self.chunkSizes {
            let r = try replay(c.model, dirty, chunkSize: chunk)
            XCTAssertEqual(r.warnings, messages, "\(c.name) chunk \(chunk)", file: file, line: line)
            XCTAssertEqual(r.lines.count, wantDirty.count, "\(c.name) chunk \(chunk)", file: file, line: line)
            for (got, expected) in zip(r.lines, wantDirty) where got != expected {
                XCTFail(
                    "\(c.name) chunk \(chunk), with bad rows: \(got.debugDescription) != \(expected.debugDescription)",
                    file: file, line: line)
                break
            }
            let rejected = c.bad.count
            XCTAssertEqual(
                r.counts, ReplayCounts(read: n + rejected, predicted: n - L + 1, rejected: rejected, warming: L - 1),
                "\(c.name) chunk \(chunk)", file: file, line: line)
            XCTAssertEqual(r.counts.read, r.counts.predicted + r.counts.warming + r.counts.rejected, file: file, line: line)
        }
        for message in messages {
            XCTAssertFalse(message.contains("found \"\""), "an empty cell is a missing value: \(message)", file: file, line: line)
        }

        // strict: the first bad row stops replay with its rejection line, after the lines before it.
        var written: [String] = []
        let engine = try ReplayEngine(model: c.model, strict: true, write: { written.append($0) }, warn: { XCTFail("warned \($0)") })
        XCTAssertThrowsError(
            try engine.run(source: MemoryByteSource(dirty, name: "<stdin>", chunkSize: 7)), c.name,
            file: file, line: line
        ) { error in
            XCTAssertEqual(error as? ReplayError, .badRow(messages[0]), file: file, line: line)
        }
        XCTAssertEqual(written, Array(wantDirty.prefix(1 + max(0, after[0] - L + 1))), c.name, file: file, line: line)
        XCTAssertEqual(
            engine.counts,
            ReplayCounts(
                read: after[0] + 1, predicted: max(0, after[0] - L + 1), rejected: 1,
                warming: min(after[0], L - 1)), c.name, file: file, line: line)
        // Each kind of bad row alone stops strict replay too.
        for (i, b) in c.bad.enumerated() {
            let text = ([c.header] + c.rows.prefix(2) + [b.row]).joined(separator: "\n") + "\n"
            let strict = try ReplayEngine(model: c.model, strict: true, write: { _ in }, warn: { _ in })
            XCTAssertThrowsError(
                try strict.run(source: MemoryByteSource(text, name: "<stdin>")), "\(c.name) bad row \(i)",
                file: file, line: line
            ) { error in
                XCTAssertEqual(error as? ReplayError, .badRow(b.message(4)), file: file, line: line)
            }
        }
    }

    // MARK: data

    /// Writes `lines` as a CSV file in a fresh temporary directory.
    func write(_ lines: [String], _ name: String) throws -> String {
        let path = try TestPaths.temporaryDirectory(self).appendingPathComponent(name).path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `YYYY-MM` for month `i` from 2000-01.
    static func month(_ i: Int) -> String { String(format: "%04d-%02d", 2000 + i / 12, i % 12 + 1) }

    /// A seasonal monthly series with a trend.
    static func seriesValue(_ i: Int) -> String {
        String(format: "%.3f", 100 + Double(i) * 0.8 + 12 * sin(Double(i) * .pi / 6) + Double((i * 37) % 11) * 0.3)
    }

    static func badNumber(_ column: String, field: Int) -> (Int) -> String {
        { "<stdin>:\($0):\(field): row rejected: column \"\(column)\": expected a number, found \"abc\"" }
    }

    static func missing(_ column: String, field: Int) -> (Int) -> String {
        { "<stdin>:\($0):\(field): row rejected: column \"\(column)\": missing value" }
    }

    static func tooFew(expected: Int, found: Int) -> (Int) -> String {
        { "<stdin>:\($0): row rejected: expected \(expected) fields, found \(found)" }
    }

    /// The network outputs of every sample of `set` through the batch path: the dataset fills each sample into a batch
    /// and the network runs it. One sample a batch is what replay does, to the bit; the 64-sample batches of
    /// `SampleScoring.predictions` (padded and masked) agree to float rounding (a matrix product of another shape).
    func batchOutputs(_ model: TrainedModel, _ set: any SampleSource, file: StaticString = #filePath, line: UInt = #line) -> [[Float]] {
        let network = model.makeNetwork(), O = model.architecture.outputSize
        var one: [[Float]] = []
        predictInBatches(network, set, batchSize: 1) { _, output, _ in one.append(Array(UnsafeBufferPointer(start: output, count: O))) }
        let batched = SampleScoring.predictions(network, set)
        XCTAssertEqual(batched.count, one.count, file: file, line: line)
        for (a, b) in zip(one, batched) {
            for (x, y) in zip(a, b.values) { XCTAssertEqual(x, y, accuracy: 1e-5 * max(1, abs(y)), file: file, line: line) }
            if O > 1 { XCTAssertEqual(a.indices.max { a[$0] < a[$1] }, b.argmax, file: file, line: line) }
        }
        return one
    }

    // MARK: forecasting

    func forecastBatch(_ model: TrainedModel, path: String, times: [String]) throws -> [Int: (time: String?, values: [Float])] {
        let forecaster = try model.forecaster()
        let table = try Table.load(path: path, options: forecaster.tableOptions())
        var out: [Int: (time: String?, values: [Float])] = [:]
        // Origin o forecasts after rows 1 … o; replay predicts it on reading row o. (The last origin, past the data, too.)
        for (origin, values) in try forecaster.forecastAll(table) { out[origin] = (times[origin - 1], values) }
        return out
    }

    func testForecastReplayEqualsForecastAll() throws {
        let rows = (0 ..< 72).map { "\(Self.month($0)),\(Self.seriesValue($0))" }
        let path = try write(["time,value"] + rows, "series.csv")
        var request = TrainingRequest(dataPath: path)
        request.targets = ["value"]
        request.lookback = 6
        request.horizon = 2
        request.season = 12
        request.scaling = .zscore
        request.difference = 1
        request.hidden = 4
        request.epochs = 2
        let model = try Training.run(request).model
        let replayRows = Array(rows[20 ..< 60])
        let replayPath = try write(["time,value"] + replayRows, "replay.csv")
        try check(
            Case(
                name: "forecast", model: model, header: "time,value", rows: replayRows,
                outputHeader: "row,time,time_h1,time_h2,value_h1,value_h2,gap", window: 6,
                batch: try forecastBatch(model, path: replayPath, times: replayRows.map { String($0.prefix(7)) }),
                bad: [
                    ("2099-01,abc", Self.badNumber("value", field: 2)),
                    ("2099-01,", Self.missing("value", field: 2)),
                    ("2099-01", Self.tooFew(expected: 2, found: 1)),
                ]))
    }

    func testForecastWithACategoricalCovariateReplayEqualsForecastAll() throws {
        // The month as a categorical column; "13" never occurs in training and reads as <unk>.
        func row(_ i: Int, month: String? = nil) -> String {
            "\(Self.month(i)),\(Self.seriesValue(i)),\(month ?? String(Self.month(i).suffix(2)))"
        }
        let rows = (0 ..< 72).map { row($0) }
        let path = try write(["time,value,month"] + rows, "series.csv")
        var request = TrainingRequest(dataPath: path)
        request.targets = ["value"]
        request.categorical = ["month"]
        request.lookback = 5
        request.horizon = 1
        request.season = 12
        request.scaling = .window
        request.difference = 0
        request.hidden = 4
        request.epochs = 2
        let model = try Training.run(request).model
        guard case let .forecast(spec) = model.schema else { return XCTFail("not a forecaster") }
        XCTAssertEqual(spec.categorical.map(\.name), ["month"])
        var replayRows = Array(rows[24 ..< 64])
        replayRows[10] = row(34, month: "13")
        let replayPath = try write(["time,value,month"] + replayRows, "replay.csv")
        try check(
            Case(
                name: "forecast+categorical", model: model, header: "time,value,month", rows: replayRows,
                outputHeader: "row,time,time_h1,value_h1,gap", window: 5,
                batch: try forecastBatch(model, path: replayPath, times: replayRows.map { String($0.prefix(7)) }),
                bad: [
                    ("2099-01,abc,01", Self.badNumber("value", field: 2)),
                    ("2099-01,,01", Self.missing("value", field: 2)),
                    ("2099-01,5", Self.tooFew(expected: 3, found: 2)),
                ]))
    }

    // MARK: UCR rows

    /// A UCR file: class `a` rises, class `b` falls; some rows are shorter (trailing empty cells).
    static func ucrRows(_ count: Int, seed: UInt64, regression: Bool = false) -> [String] {
        var g = testGenerator(seed)
        return (0 ..< count).map { i in
            let rising = i % 2 == 0
            let length = i % 3 == 0 ? 7 : 10
            let values = (0 ..< 10).map { t -> String in
                guard t < length else { return "" }
                let v = (rising ? 1.0 : -1.0) * Double(t) / 5 + Double(g.normal()) * 0.3
                return String(format: "%.4f", v)
            }
            let label = regression ? String(format: "%.3f", (rising ? 2.0 : -1.0) + Double(length) / 10) : (rising ? "a" : "b")
            return ([label] + values).joined(separator: ",")
        }
    }

    static let ucrHeader = "label," + (0 ..< 10).map { "t\($0)" }.joined(separator: ",")

    func ucrModel(regression: Bool, bidirectional: Bool = false, pool: Pooling = .last) throws -> TrainedModel {
        let path = try write([Self.ucrHeader] + Self.ucrRows(48, seed: 1, regression: regression), "train.csv")
        var request = TrainingRequest(dataPath: path)
        request.bidirectional = bidirectional
        request.pool = pool
        request.task = regression ? .regress : .classify
        request.format = .ucr
        request.patch = 2
        request.hidden = 4
        request.epochs = 2
        return try Training.run(request).model
    }

    func ucrCase(_ model: TrainedModel, regression: Bool) throws -> Case {
        guard case let .samples(spec) = model.schema else { throw XCTSkip("not a sample model") }
        let rows = Self.ucrRows(30, seed: 2, regression: regression)
        let path = try write([Self.ucrHeader] + rows, "replay.csv")
        let data = try SampleDataset(spec: spec, set: try SampleSet.load(path: path, format: .ucr))
        var batch: [Int: (time: String?, values: [Float])] = [:]
        for (i, out) in batchOutputs(model, data).enumerated() {
            batch[i + 1] = (nil, regression ? [Float(spec.originalTarget(out[0]))] : out)
        }
        return Case(
            name: regression ? "ucr regression" : "ucr classification", model: model, header: Self.ucrHeader, rows: rows,
            outputHeader: regression ? "row,prediction" : "row,label,p_a,p_b", window: 1, batch: batch,
            bad: [
                ("a,0.1,0.2,abc,0.4", Self.badNumber("t2", field: 4)),
                ("a,0.1,,0.3,0.4", Self.missing("t1", field: 3)),
                ("a", { "<stdin>:\($0): row rejected: no values" }),
            ])
    }

    func testUCRClassificationReplayEqualsTheBatchPath() throws {
        try check(try ucrCase(try ucrModel(regression: false), regression: false))
    }

    /// Variable-length rows (7 and 10 values) are left-padded and masked in the batch path's batches: every pooling must
    /// ignore the padding there exactly as replay's one-row batches have none.
    func testPooledAndBidirectionalUCRReplayEqualsTheBatchPath() throws {
        for pool in Pooling.allCases {
            let model = try ucrModel(regression: pool == .mean, bidirectional: pool != .max, pool: pool)
            XCTAssertEqual(model.architecture.pool, pool)
            XCTAssertEqual(model.architecture.bidirectional, pool != .max)
            try check(try ucrCase(model, regression: pool == .mean))
        }
    }

    func testUCRRegressionReplayEqualsTheBatchPath() throws {
        let model = try ucrModel(regression: true)
        XCTAssertEqual(model.task, .regress)
        try check(try ucrCase(model, regression: true))
    }

    // MARK: windows of a labelled series

    static let sensorLines: [String] = {
        (try? String(contentsOfFile: TestPaths.sampleSeries.appendingPathComponent("sensor.csv").path, encoding: .utf8))?
            .split(separator: "\n").map(String.init) ?? []
    }()

    func windowsCase(categorical: Bool, bidirectional: Bool = false, pool: Pooling = .last) throws -> Case {
        let lines = Self.sensorLines
        XCTAssertEqual(lines.first, "timestamp,temperature,humidity,load,state")
        // The hour of the timestamp as a categorical column.
        func row(_ line: String) -> String { categorical ? line + "," + String(line.dropFirst(11).prefix(2)) : line }
        let header = lines[0] + (categorical ? ",hour" : "")
        let rows = lines[1 ... 140].map(row)  // faults at rows 94–108
        let path = try write([header] + rows, "sensor.csv")
        var request = TrainingRequest(dataPath: path)
        request.task = .classify
        request.labelColumn = "state"
        request.categorical = categorical ? ["hour"] : []
        request.lookback = 4
        request.patch = 1
        request.hidden = 4
        request.epochs = 1
        request.bidirectional = bidirectional
        request.pool = pool
        let model = try Training.run(request).model
        XCTAssertEqual(model.architecture.bidirectional, bidirectional)
        guard case let .windows(spec) = model.schema else { throw XCTSkip("not a window model: \(model.schema)") }
        XCTAssertEqual(spec.columns, ["temperature", "humidity", "load"])
        XCTAssertEqual(spec.categorical.map(\.name), categorical ? ["hour"] : [])
        let replayRows = Array(rows[79 ..< 125])
        let replayPath = try write([header] + replayRows, "replay.csv")
        var options = TableOptions()
        options.numericColumns = spec.columns
        options.textColumns = [spec.labelColumn] + spec.categorical.map(\.name)
        let table = try Table.load(path: replayPath, options: options)
        let set = SampleSet.windows(
            of: table, features: spec.columns, label: spec.labelColumn, lookback: spec.lookback,
            ends: 0 ..< table.rowCount, categorical: spec.categorical)
        var batch: [Int: (time: String?, values: [Float])] = [:]
        for (i, out) in batchOutputs(model, try SampleDataset(spec: spec.sample, set: set)).enumerated() {
            let end = i + spec.lookback  // the window's last row, 1-based
            batch[end] = (String(replayRows[end - 1].prefix(19)), out)
        }
        let fields = categorical ? 6 : 5
        let tail = categorical ? ",ok,05" : ",ok"
        return Case(
            name: categorical ? "windows+categorical" : "windows", model: model, header: header, rows: replayRows,
            outputHeader: "row,time,label,p_fault,p_ok,gap", window: 4, batch: batch,
            bad: [
                ("2024-02-01T05:00:00,abc,50,100" + tail, Self.badNumber("temperature", field: 2)),
                ("2024-02-01T05:00:00,20,,100" + tail, Self.missing("humidity", field: 3)),
                ("2024-02-01T05:00:00,20,50", Self.tooFew(expected: fields, found: 3)),
            ])
    }

    func testSeriesWindowReplayEqualsTheBatchPath() throws {
        try check(try windowsCase(categorical: false))
    }

    /// Replay recomputes the whole window at every row, so a bidirectional layer (which reads the window from its end
    /// back) and a pooling over its steps predict exactly what the batch path predicts for the same window.
    func testBidirectionalPooledSeriesWindowReplayEqualsTheBatchPath() throws {
        try check(try windowsCase(categorical: false, bidirectional: true, pool: .attention))
        try check(try windowsCase(categorical: true, bidirectional: true, pool: .last))
    }

    func testSeriesWindowWithACategoricalColumnReplayEqualsTheBatchPath() throws {
        let c = try windowsCase(categorical: true)
        try check(c)
        // A categorical column missing from a row's end is too few fields, not an empty value.
        let r = try replay(
            c.model, c.header + "\n" + c.rows[0].split(separator: ",").dropLast().joined(separator: ",") + "\n", chunkSize: 64)
        XCTAssertEqual(r.warnings, ["<stdin>:2: row rejected: expected 6 fields, found 5"])
    }

    // MARK: text

    func testTextReplayEqualsTheBatchPath() throws {
        var docs: [String] = []
        for i in 0 ..< 80 {
            docs.append(i % 2 == 0 ? "fresh,\"a good, fine film \(i % 7)\"" : "rotten,\"a bad dull film \(i % 5)\"")
        }
        let path = try write(["label,text"] + docs, "docs.csv")
        var request = TrainingRequest(dataPath: path)
        request.task = .classify
        request.textColumn = "text"
        request.labelColumn = "label"
        request.hidden = 4
        request.embeddingDimension = 4
        request.epochs = 2
        request.batchSize = 8
        let model = try Training.run(request).model
        guard case let .text(spec) = model.schema else { return XCTFail("not a text model") }
        // Replayed documents: seen and unseen words, a number (text, not a bad number), and an empty document.
        var rows = (0 ..< 24).map { i in i % 3 == 0 ? "fresh,\"good film \(i)\"" : i % 3 == 1 ? "rotten,dull unseen words" : "fresh,fine" }
        rows[5] = "rotten,12345"
        rows[9] = "fresh,"
        let replayPath = try write(["label,text"] + rows, "replay.csv")
        var options = TableOptions()
        options.timeColumn = ""
        let documents = try Documents.load(path: replayPath, textColumn: "text", labelColumn: "label", options: options)
        XCTAssertEqual(documents.texts[9], "")
        var batch: [Int: (time: String?, values: [Float])] = [:]
        for (i, out) in batchOutputs(model, try spec.dataset(documents, source: replayPath)).enumerated() { batch[i + 1] = (nil, out) }
        // A text model reads no numbers: the bad rows it has are those too short to hold the text column. An empty text is a
        // document (of one <unk>), as in training.
        let tooFew = Self.tooFew(expected: 2, found: 1)
        try check(
            Case(
                name: "text", model: model, header: "label,text", rows: rows, outputHeader: "row,label,p_fresh,p_rotten",
                window: 1, batch: batch, bad: [("fresh", tooFew), ("rotten", tooFew), ("x", tooFew)]))
    }

    // MARK: headers

    func testRowsWithoutAHeaderAreReadInTheModelsColumnOrder() throws {
        let rows = (0 ..< 40).map { "\(Self.month($0)),\(Self.seriesValue($0)),\(Self.month($0).suffix(2))" }
        let path = try write(["time,value,month"] + rows, "series.csv")
        var request = TrainingRequest(dataPath: path)
        request.targets = ["value"]
        request.categorical = ["month"]
        request.lookback = 4
        request.scaling = .zscore
        request.difference = 0
        request.hidden = 4
        request.epochs = 1
        let model = try Training.run(request).model
        let input = try model.rowPredictor().input
        XCTAssertEqual(input.columns, ["time", "value", "month"])
        XCTAssertEqual(RowReader.defaultHeader(input, fieldCount: 3), ["time", "value", "month"])
        XCTAssertEqual(RowReader.defaultHeader(input, fieldCount: 5), ["time", "value", "month", "extra3", "extra4"])
        XCTAssertEqual(RowReader.defaultHeader(input, fieldCount: 2), ["time", "value", "month"])
        XCTAssertEqual(RowReader.defaultHeader(RowInput(wideSample: true), fieldCount: 2), ["extra0", "extra1"])
        let withHeader = try replay(model, (["time,value,month"] + rows).joined(separator: "\n") + "\n", chunkSize: 7)
        let without = try replay(model, rows.joined(separator: "\n") + "\n", chunkSize: 7, hasHeader: false)
        XCTAssertEqual(without.lines, withHeader.lines)
        XCTAssertEqual(without.counts, withHeader.counts)
        XCTAssertEqual(without.lines.count, 1 + 40 - 4 + 1)
        // Extra fields past the model's columns are ignored.
        let extra = try replay(model, rows.map { $0 + ",x,y" }.joined(separator: "\n") + "\n", chunkSize: 7, hasHeader: false)
        XCTAssertEqual(extra.lines, withHeader.lines)
    }

    func testAHeaderWithoutTheModelsColumnsIsRefused() throws {
        let input = RowInput(
            numeric: ["temperature", "load"], categorical: [CategoricalColumn(name: "hour", trainingValues: ["01", "02"])],
            time: "timestamp", window: 3)
        XCTAssertThrowsError(try RowReader(header: ["timestamp", "load", "state"], input: input, source: "<stdin>")) { error in
            XCTAssertEqual(
                error as? ReplayError,
                .missingColumns(source: "<stdin>", missing: ["temperature", "hour"], header: ["timestamp", "load", "state"]))
            XCTAssertEqual(
                "\(error)", "<stdin>:1: the model needs column(s) \"temperature\", \"hour\", not in the header (timestamp,load,state)")
        }
        // The time column is copied when present, never required.
        let reader = try RowReader(header: ["hour", "load", "temperature"], input: input, source: "<stdin>")
        XCTAssertNil(reader.timeField)
        var r = reader
        try r.read(CSVRecord(fields: ["02", "7.5", "-1"], line: 2))
        XCTAssertEqual(r.numbers, [-1, 7.5])
        XCTAssertEqual(r.codes, [input.categorical[0].id(of: "02")])
        XCTAssertNotEqual(r.codes, [0])
    }

    // MARK: the ring window

    func testRingWindowKeepsTheLastRowsOldestFirst() {
        let ring = RingWindow<Float>(length: 3, width: 2)
        func rows() -> [Float] { ring.withRows { Array($0) } }
        XCTAssertFalse(ring.isFull)
        XCTAssertEqual(rows(), [])
        for r in 1 ... 8 {
            [Float(r), Float(10 * r)].withUnsafeBufferPointer(ring.push)
            XCTAssertEqual(ring.count, min(r, 3))
            XCTAssertEqual(ring.isFull, r >= 3)
            XCTAssertEqual(rows(), (max(1, r - 2) ... r).flatMap { [Float($0), Float(10 * $0)] }, "after \(r) rows")
        }
        // A window of one row holds the newest.
        let one = RingWindow<Int32>(length: 1, width: 1)
        for v: Int32 in [4, 5, 6] {
            [v].withUnsafeBufferPointer(one.push)
            XCTAssertTrue(one.isFull)
            XCTAssertEqual(one.withRows { Array($0) }, [v])
        }
    }

    func testRingWindowOfWidthZeroCountsRows() {
        // A model without categorical columns keeps a window of zero-width rows beside its numbers.
        let ring = RingWindow<Int32>(length: 4, width: 0)
        for r in 1 ... 6 {
            [Int32]().withUnsafeBufferPointer(ring.push)
            XCTAssertEqual(ring.count, min(r, 4))
            XCTAssertEqual(ring.isFull, r >= 4)
            XCTAssertEqual(ring.withRows { $0.count }, 0)
        }
    }
}
