import TidalCore
@testable import TidalData
import TidalTestSupport
import XCTest

/// A large file is parsed as two halves at once; the result must be exactly the front-to-back
/// read, whatever lies at the split point, and errors must name the same line.
final class PartedLoadTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tidal-parts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        Table.partedLoadMinimumBytes = 0  // every file takes the two-part path
    }

    override func tearDownWithError() throws {
        Table.partedLoadMinimumBytes = 8 << 20
        try? FileManager.default.removeItem(at: directory)
    }

    func write(_ text: String, _ name: String = "t.csv") throws -> String {
        let path = directory.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    /// The same file read front to back (no parts).
    func sequential(_ path: String, _ options: TableOptions) throws -> Table {
        try Table.load(source: FileByteSource(path: path), options: options)
    }

    func assertSame(_ a: Table, _ b: Table, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.header, b.header, what, file: file, line: line)
        XCTAssertEqual(a.names, b.names, what, file: file, line: line)
        XCTAssertEqual(a.lines, b.lines, what, file: file, line: line)
        XCTAssertEqual(a.missingCounts, b.missingCounts, what, file: file, line: line)
        XCTAssertEqual(a.time, b.time, what, file: file, line: line)
        XCTAssertEqual(a.columns.count, b.columns.count, what, file: file, line: line)
        for (x, y) in zip(a.columns, b.columns) {
            switch (x, y) {
            case let (.numeric(u), .numeric(v)):
                XCTAssertEqual(u.count, v.count, what, file: file, line: line)
                XCTAssertTrue(
                    zip(u, v).allSatisfy { $0.bitPattern == $1.bitPattern }, "\(what): numeric column differs", file: file, line: line)
            case let (.text(u), .text(v)): XCTAssertEqual(u, v, what, file: file, line: line)
            default: XCTFail("\(what): column kinds differ", file: file, line: line)
            }
        }
    }

    func testEverySplitPointGivesTheFrontToBackResult() throws {
        // Quoted fields with line feeds, CRLF, blank lines and missing cells, in every position
        // relative to the middle: shifting a prefix moves the split through all of them.
        var body = ""
        var g = testGenerator(3)
        for r in 0 ..< 60 {
            let note = r % 7 == 3 ? "\"multi\nline \"\"quoted\"\"\nnote\"" : (r % 5 == 0 ? "\"a, b\"" : "n\(r)")
            let value = r % 11 == 4 ? "" : String(format: "%.3f", Double(g.uniform(-50, 50)))
            let time = "2021-01-01T00:\(String(format: "%02d", r / 60)):\(String(format: "%02d", r % 60))"
            body += "\(time),\(note),\(value)\(r % 9 == 0 ? "\r\n" : "\n")"
            if r % 13 == 6 { body += "\n" }
        }
        var options = TableOptions()
        options.textColumns = ["note"]
        options.missing = .keep
        var parted = 0, refused = 0
        for padding in 0 ..< 40 {
            let text =
                "\u{FEFF}time,note,value\n" + (0 ..< padding).map { "2020-12-31T22:00:\(String(format: "%02d", $0)),pad,1\n" }.joined()
                + body
            let path = try write(text)
            let reference = try sequential(path, options)
            assertSame(try Table.load(path: path, options: options), reference, "padding \(padding)")
            // And the two-part reader itself: either the same table, or a refusal (split inside quotes).
            if let table = try Table.loadInParts(path: path, options: options) {
                assertSame(table, reference, "parts, padding \(padding)")
                parted += 1
            } else {
                refused += 1
            }
        }
        XCTAssertGreaterThan(parted, 20, "the two-part reader should take most of these files")
        XCTAssertGreaterThan(refused, 0, "some split points fall inside a quoted field and must be refused")
    }

    func testTheFirstPartMustEndBetweenRows() throws {
        // The check that refuses a split inside a quoted field, even when the second part would parse.
        for (text, between) in [
            ("a,b\n1,2\n", true), ("a,b\n1,\"x\n", false), ("a,b\n1,\"x\ny\"\n", true),
            ("a,b\r\n1,2\r\n", true), ("a,b\n1,\"x,\"\"\n", false),
        ] {
            let stream = try CSVStream(source: MemoryByteSource(text, chunkSize: 3))
            stream.sourceEndsInput = false
            try stream.forEachRecord { _ in true }
            XCTAssertEqual(stream.endedAtRowBoundary, between, text.debugDescription)
        }
    }

    func testStandardInputThatIsAFileIsReadInPartsFromItsOffset() throws {
        // `tidal describe - < data.csv`, after something already consumed the first line.
        var text = "skip me\n"
        text += "t,v\n"
        for r in 0 ..< 300 { text += "\(r),\(Double(r) / 4)\n" }
        let path = try write(text)
        let expected = try Table.load(source: MemoryByteSource(String(text.dropFirst(8)), name: "<stdin>"))
        let saved = dup(0)
        let fd = open(path, O_RDONLY)
        XCTAssertGreaterThanOrEqual(fd, 0)
        dup2(fd, 0)
        close(fd)
        defer { dup2(saved, 0); close(saved) }
        lseek(0, 8, SEEK_SET)
        let parted = try XCTUnwrap(try Table.loadInParts(path: "-", options: TableOptions()))
        assertSame(parted, expected, "stdin in parts")
        XCTAssertEqual(parted.source, "<stdin>")
        XCTAssertEqual(lseek(0, 0, SEEK_CUR), 8, "the parts must not move stdin's offset")
        assertSame(try Table.load(path: "-"), expected, "stdin front to back after the parts")
    }

    func testInferredTextColumnsAndNoHeader() throws {
        var text = ""
        for r in 0 ..< 200 { text += "\(r),\(r % 3 == 0 ? "x" : "y"),\(Double(r) / 8)\n" }
        let path = try write(text)
        var options = TableOptions()
        options.hasHeader = false
        options.inferTextColumns = true
        assertSame(try Table.load(path: path, options: options), try sequential(path, options), "inferred")
        // A column that turns to text only in the second half is an error front to back: the same here.
        var mixed = "a,b\n"
        for r in 0 ..< 200 { mixed += "\(r),\(r == 150 ? "oops" : String(r))\n" }
        let mixedPath = try write(mixed, "mixed.csv")
        XCTAssertThrowsError(try Table.load(path: mixedPath, options: TableOptions())) { error in
            XCTAssertEqual("\(error)", "\(mixedPath):152:2: column \"b\": expected a number, found \"oops\"")
        }
    }

    func testErrorsInTheSecondHalfNameTheirLine() throws {
        var text = "t,v\n"
        for r in 0 ..< 400 { text += "\(r),\(r == 350 ? "1.2.3" : String(r))\n" }
        let path = try write(text)
        XCTAssertThrowsError(try Table.load(path: path)) { error in
            XCTAssertEqual("\(error)", "\(path):352:2: column \"v\": expected a number, found \"1.2.3\"")
        }
        var ragged = "t,v\n"
        for r in 0 ..< 400 { ragged += r == 390 ? "\(r)\n" : "\(r),\(r)\n" }
        let raggedPath = try write(ragged, "ragged.csv")
        XCTAssertThrowsError(try Table.load(path: raggedPath)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(raggedPath):392:"), "\(error)")
        }
    }

    /// The rules of issue 14 (numbers beyond Float32, bad time cells, duplicate names, the wrong
    /// delimiter, long fields quoted short) give the same error through the two-part reader as
    /// front to back, with the bad cell in either half.
    func testTheNewIngestRulesGiveTheSequentialErrorsInEitherHalf() throws {
        func month(_ r: Int) -> String { String(format: "%04d-%02d", 1900 + r / 12, r % 12 + 1) }
        func file(_ bad: Int?, time: (Int) -> String = month, value: (Int) -> String = { "\($0)" }, header: String = "date,v") -> String {
            header + "\n" + (0 ..< 400).map { "\(time($0)),\(value($0))" }.joined(separator: "\n") + "\n"
        }
        let huge = String(repeating: "z", count: 5000)
        var cases: [(String, String)] = []
        for bad in [40, 350] {
            cases.append(("range\(bad)", file(bad, value: { $0 == bad ? "1e39" : "\($0)" })))
            cases.append(("negative\(bad)", file(bad, value: { $0 == bad ? "-1e308" : "\($0)" })))
            cases.append(("month\(bad)", file(bad, time: { $0 == bad ? "1949-13" : month($0) })))
            cases.append(("hello\(bad)", file(bad, time: { $0 == bad ? "hello" : month($0) })))
            cases.append(("huge\(bad)", file(bad, value: { $0 == bad ? huge : "\($0)" })))
        }
        cases.append(("duplicate", file(nil, header: "v,v")))
        cases.append(("semicolon", file(nil, header: "date;v").replacingOccurrences(of: ",", with: ";")))
        for (name, text) in cases {
            let path = try write(text, "\(name).csv")
            var sequentialError = "", partedError = ""
            XCTAssertThrowsError(try sequential(path, TableOptions()), name) { sequentialError = "\($0)" }
            XCTAssertThrowsError(try Table.load(path: path), name) { partedError = "\($0)" }
            XCTAssertEqual(partedError, sequentialError, name)
            XCTAssertTrue(sequentialError.hasPrefix("\(path):"), "\(name): \(sequentialError)")
            XCTAssertLessThan(sequentialError.utf8.count, 400, name)
            // The two-part reader itself never returns a table for such a file: it hands over.
            XCTAssertNil(try? Table.loadInParts(path: path, options: TableOptions()) ?? nil, name)
        }
    }
}
