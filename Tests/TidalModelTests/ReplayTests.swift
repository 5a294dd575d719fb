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
            XCTAssertEqual(lines.first, "row,time,time_h1,time_h2,value_h1,value_h2,gap\n")
            let body = lines.dropFirst().map { $0.dropLast().split(separator: ",").map(String.init) }
            XCTAssertEqual(body.count, expected.count, "chunk \(chunk)")
            for (fields, want) in zip(body, expected) {
                XCTAssertEqual(Int(fields[0]), want.origin)
                XCTAssertEqual(fields[4 ..< 6].map { Float($0)! }, want.values, "chunk \(chunk) row \(fields[0])")
                XCTAssertEqual(fields[6], "0")
            }
            // Each line's time, then the months its two steps are for.
            XCTAssertEqual(body.first?[1 ..< 4], ["1949-12", "1950-01", "1950-02"])
            XCTAssertEqual(body.last?[1 ..< 4], ["1960-12", "1961-01", "1961-02"])
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

    /// A source that notes, at each read, how many lines the engine had written before it.
    final class WatchedSource: ByteSource {
        let name = "<stdin>"
        var bytes: [UInt8]
        var linesAtRead: [Int] = []
        let written: () -> Int
        init(_ text: String, written: @escaping () -> Int) {
            bytes = Array(text.utf8)
            self.written = written
        }
        func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            linesAtRead.append(written())
            // One line per read, as `tail -f` hands them on.
            guard !bytes.isEmpty else { return 0 }
            let n = min(buffer.count, (bytes.firstIndex(of: 0x0A) ?? bytes.count - 1) + 1)
            buffer.copyBytes(from: bytes[..<n])
            bytes.removeFirst(n)
            return n
        }
    }

    func testAFirstLineOfDataIsNamedAndNoHeaderReadsTheModelsColumns() throws {
        let rows = "1958-01,340\n1958-02,318\n"
        XCTAssertThrowsError(try replay(rows, chunkSize: 5)) { error in
            XCTAssertEqual(
                "\(error)",
                "<stdin>:1: the first line looks like data, not a header; pass --no-header (columns: timestamp,value) "
                    + "or start tail with -n +1"
            )
        }
        // A first line that is neither the model's header nor its data (a bad number, a field too many) is a header without the columns.
        for header in ["1958-01,x\n", "1958-01,340,1\n"] {
            XCTAssertThrowsError(try replay(header + rows, chunkSize: 64)) { error in
                XCTAssertTrue("\(error)".contains("the model needs column(s)"), "\(error)")
            }
        }
        // --no-header: the model's order (time first); the CSV header is out before the first read.
        let model = try SmallModel.forecaster()
        var lines: [String] = []
        let engine = try ReplayEngine(model: model, hasHeader: false, write: { lines.append($0) }, warn: { _ in })
        let text = try String(contentsOfFile: SmallModel.airline, encoding: .utf8).split(separator: "\n").dropFirst()
        let source = WatchedSource(text.joined(separator: "\n") + "\n", written: { lines.count })
        try engine.run(source: source)
        XCTAssertEqual(source.linesAtRead.first, 1)
        XCTAssertEqual(lines.first, "row,time,time_h1,time_h2,value_h1,value_h2,gap\n")
        // Line by line: when row 12 (the first full window) is read no prediction is out; its own is out before row 13 is read.
        XCTAssertEqual(Array(source.linesAtRead[10 ... 13]), [1, 1, 2, 3])
        XCTAssertEqual(lines.count, 1 + 133)
        XCTAssertTrue(lines[1].hasPrefix("12,1949-12,1950-01,1950-02,"), lines[1])
    }

    func testMissingColumnsAreRefusedAtTheHeader() throws {
        XCTAssertThrowsError(try replay("time,level\n2020-01,1\n", chunkSize: 64)) { error in
            XCTAssertEqual("\(error)", "<stdin>:1: the model needs column(s) \"value\", not in the header (time,level)")
        }
    }
}
