import Foundation
import TidalCore
import TidalData
import TidalModel
import TidalTestSupport
import XCTest

/// Replay's bad rows of issue 14 (finding 8): NUL bytes, invalid UTF-8, extra cells, times that
/// go backwards or do not parse, values beyond Float32 — each reported, skipped and counted
/// (or stopping replay with `strict`) — and the order of writes and published counts.
final class ReplayBadRowTests: XCTestCase {
    struct Replayed {
        var lines: [String]
        var warnings: [String]
        var counts: ReplayCounts
    }

    /// The airline rows as lines (header first), with `bad` inserted before data row 30 (input line 32).
    func airline(inserting bad: [UInt8]) throws -> [UInt8] {
        let rows = try String(contentsOfFile: SmallModel.airline, encoding: .utf8).split(separator: "\n").map { Array($0.utf8) }
        var bytes: [UInt8] = []
        for (i, row) in rows.enumerated() {
            if i == 31 { bytes += bad + [0x0A] }
            bytes += row + [0x0A]
        }
        return bytes
    }

    func replay(_ bytes: [UInt8], chunkSize: Int = 64, strict: Bool = false) throws -> Replayed {
        var lines: [String] = [], warnings: [String] = []
        let engine = try ReplayEngine(
            model: try SmallModel.forecaster(), strict: strict, write: { lines.append($0) }, warn: { warnings.append($0) })
        try engine.run(source: MemoryByteSource(bytes, name: "<stdin>", chunkSize: chunkSize)) { c in
            XCTAssertEqual(c.read, c.predicted + c.warming + c.rejected, "\(c)")
        }
        return Replayed(lines: lines, warnings: warnings, counts: engine.counts)
    }

    /// Every kind of bad row, inserted as line 32: the warning, and the clean rows all predicted.
    func testEachBadRowIsReportedSkippedAndCounted() throws {
        let cases: [(name: String, row: [UInt8], warning: String)] = [
            ("NUL byte", Array("1951-07,1\0".utf8), "<stdin>:32:10: row rejected: NUL byte at byte offset 385"),
            (
                "invalid UTF-8", Array("1951-07,".utf8) + [0xC3, 0x28],
                "<stdin>:32:2: row rejected: column \"value\": the bytes are not valid UTF-8"
            ),
            ("extra cells", Array("1951-07,150,9".utf8), "<stdin>:32: row rejected: expected 2 fields, found 3"),
            (
                "time backwards", Array("1950-01,150".utf8),
                "<stdin>:32:1: row rejected: time column \"timestamp\": \"1950-01\" is not after \"1951-06\""
            ),
            (
                "repeated time", Array("1951-06,150".utf8),
                "<stdin>:32:1: row rejected: time column \"timestamp\": \"1951-06\" is not after \"1951-06\""
            ),
            ("bad month", Array("1951-13,150".utf8), "<stdin>:32:1: row rejected: time column \"timestamp\": \"1951-13\" is not a time"),
            ("a label", Array("hello,150".utf8), "<stdin>:32:1: row rejected: time column \"timestamp\": \"hello\" is not a time"),
            (
                "beyond Float32", Array("1951-07,1e39".utf8),
                "<stdin>:32:2: row rejected: column \"value\": \"1e39\" is beyond the range of a 32-bit float"
            ),
        ]
        let clean = try replay(try airline(inserting: []))  // a blank line: skipped, not counted
        for c in cases {
            for chunk in [1, 5, 4096] {
                let r = try replay(try airline(inserting: c.row), chunkSize: chunk)
                XCTAssertEqual(r.warnings, [c.warning], "\(c.name) chunk \(chunk)")
                XCTAssertEqual(r.counts, ReplayCounts(read: 145, predicted: 133, rejected: 1, warming: 11), "\(c.name) chunk \(chunk)")
                // The clean rows' predictions are those of the clean file (row numbers shift past the bad row).
                XCTAssertEqual(r.lines.count, clean.lines.count, c.name)
                XCTAssertEqual(r.lines.last?.split(separator: ",")[2 ... 3], clean.lines.last?.split(separator: ",")[2 ... 3], c.name)
            }
            XCTAssertThrowsError(try replay(try airline(inserting: c.row), strict: true), c.name) { error in
                XCTAssertEqual("\(error)", c.warning, c.name)
            }
        }
    }

    func testABadHeaderStillStopsReplay() throws {
        XCTAssertThrowsError(try replay(Array("time\0stamp,value\n1949-01,1\n".utf8))) { error in
            XCTAssertEqual(error as? DataError, .nulByte(SourceLocation(source: "<stdin>", line: 1, column: 5), byteOffset: 4))
        }
    }

    func testRejectedRowsDoNotMoveTheTimeOn() throws {
        // A row far in the future that is rejected (bad value) does not make the next good row "backwards".
        let r = try replay(try airline(inserting: Array("2999-01,x".utf8)))
        XCTAssertEqual(r.warnings, ["<stdin>:32:2: row rejected: column \"value\": expected a number, found \"x\""])
        XCTAssertEqual(r.counts.rejected, 1)
    }

    /// For every prediction line: `willWrite`, then the write, then the counts that include it.
    func testCountsArePublishedAfterTheWriteTheyCount() throws {
        var events: [String] = []
        let engine = try ReplayEngine(
            model: try SmallModel.forecaster(), write: { _ in events.append("write") }, warn: { _ in events.append("warn") })
        try engine.run(
            source: MemoryByteSource(try airline(inserting: Array("1951-07,x".utf8)), name: "<stdin>", chunkSize: 7),
            onCounts: { events.append("counts \($0.predicted)") }, willWrite: { events.append("will") })
        XCTAssertEqual(events.first, "write")  // the CSV header line, not a prediction
        var predicted = 0
        var i = 1
        while i < events.count {
            if events[i] == "will" {
                XCTAssertEqual(Array(events[i ..< i + 3]), ["will", "write", "counts \(predicted + 1)"])
                predicted += 1
                i += 3
            } else {
                XCTAssertTrue(events[i].hasPrefix("counts") || events[i] == "warn", events[i])
                if events[i].hasPrefix("counts") { XCTAssertEqual(events[i], "counts \(predicted)") }
                i += 1
            }
        }
        XCTAssertEqual(predicted, 133)
    }
}
