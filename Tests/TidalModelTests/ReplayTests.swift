import Foundation
import TidalData
import TidalModel
import TidalTestSupport
import XCTest

final class ReplayTests: XCTestCase {
    func replay(_ text: String, chunkSize: Int, strict: Bool = false) throws -> (lines: [String], warnings: [String], counts: ReplayCounts)
    {
        let model = try SmallModel.forecaster()
        var lines: [String] = [], warnings: [String] = []
        let engine = try ReplayEngine(model: model, strict: strict, write: { lines.append($0) }, warn: { warnings.append($0) })
        try engine.run(source: MemoryByteSource(text, name: "<stdin>", chunkSize: chunkSize))
        return (lines, warnings, engine.counts)
    }

    func testReplayEqualsForecastAllForEveryChunkSize() throws {
        let text = try String(contentsOfFile: SmallModel.airline, encoding: .utf8)
        let model = try SmallModel.forecaster()
        let forecaster = try model.forecaster()
        let table = try Table.load(
            path: SmallModel.airline,
            options: {
                var o = TableOptions(); o.numericColumns = ["value"]; return o
            }())
        let expected = forecaster.predictAll(raw: try forecaster.rawRows(table))  // origins lookback … n, as forecast --all
        var generator = testGenerator(11)
        for chunk in [1, 3, 7, 64, 4096] + (0 ..< 3).map({ _ in 1 + Int(generator.next() % 200) }) {
            let (lines, warnings, counts) = try replay(text, chunkSize: chunk)
            XCTAssertEqual(warnings, [])
            XCTAssertEqual(lines.first, "row,time,value_h1,value_h2,gap\n")
            let body = lines.dropFirst().map { $0.dropLast().split(separator: ",").map(String.init) }
            XCTAssertEqual(body.count, expected.count, "chunk \(chunk)")
            for (fields, want) in zip(body, expected) {
                XCTAssertEqual(Int(fields[0]), want.origin)
                XCTAssertEqual(fields[2 ..< 4].map { Float($0)! }, want.values, "chunk \(chunk) row \(fields[0])")
                XCTAssertEqual(fields[4], "0")
            }
            XCTAssertEqual(counts, ReplayCounts(read: 144, predicted: 133, rejected: 0, warming: 11))
        }
    }

    func testBadRowsAreReportedSkippedAndCounted() throws {
        var rows = try String(contentsOfFile: SmallModel.airline, encoding: .utf8).split(separator: "\n").map(String.init)
        rows.insert("1955-13,notanumber", at: 40)
        let (lines, warnings, counts) = try replay(rows.joined(separator: "\n") + "\n", chunkSize: 100)
        XCTAssertEqual(warnings, ["<stdin>:41:2: row rejected: column \"value\": expected a number, found \"notanumber\""])
        XCTAssertEqual(counts.read, counts.predicted + counts.warming + counts.rejected)
        XCTAssertEqual(counts.rejected, 1)
        // The 11 predictions whose 12-row window still reaches back past the bad row say so.
        let gaps = lines.dropFirst().map { $0.hasSuffix(",1\n") }
        XCTAssertEqual(gaps.filter { $0 }.count, 11)
        XCTAssertThrowsError(try replay(rows.joined(separator: "\n") + "\n", chunkSize: 100, strict: true)) { error in
            XCTAssertEqual("\(error)", "<stdin>:41:2: row rejected: column \"value\": expected a number, found \"notanumber\"")
        }
    }

    func testMissingColumnsAreRefusedAtTheHeader() throws {
        XCTAssertThrowsError(try replay("time,level\n2020-01,1\n", chunkSize: 64)) { error in
            XCTAssertEqual("\(error)", "<stdin>:1: the model needs column(s) \"value\", not in the header (time,level)")
        }
    }
}
