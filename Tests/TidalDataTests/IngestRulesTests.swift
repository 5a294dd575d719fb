import TidalCore
@testable import TidalData
import TidalTestSupport
import XCTest

/// The ingest rules of issue 14 (finding 10): numbers beyond Float32, time cells that are not
/// times, duplicate column names, a file read with the wrong delimiter, short quotes of huge
/// fields, and NUL / invalid UTF-8 rows reported one by one when the caller asks.
final class IngestRulesTests: XCTestCase {
    func load(_ text: String, _ configure: (inout TableOptions) -> Void = { _ in }, chunkSize: Int = 1 << 16) throws -> Table {
        var options = TableOptions()
        configure(&options)
        return try Table.load(source: MemoryByteSource(text, name: "d.csv", chunkSize: chunkSize), options: options)
    }

    func message(_ text: String, _ configure: (inout TableOptions) -> Void = { _ in }) -> String? {
        do {
            _ = try load(text, configure)
            return nil
        } catch { return "\(error)" }
    }

    // MARK: numbers

    func testValuesBeyondFloat32AreErrorsWithTheirPlace() throws {
        for value in ["1e39", "1e308", "-1e39", "3.5e38", "0x1p200"] {
            let text = "time,a,b\n2020-01,1,2\n2020-02,3,\(value)\n"
            XCTAssertEqual(
                message(text),
                "d.csv:3:3: column \"b\": \"\(value)\" is beyond the range of a 32-bit float (±3.4e38); rescale the column", value)
            // The same through an inferred column and an explicitly chosen one.
            XCTAssertNotNil(message(text) { $0.inferTextColumns = true }?.range(of: "d.csv:3:3:"), value)
            XCTAssertNotNil(message(text) { $0.numericColumns = ["b"] }?.range(of: "d.csv:3:3:"), value)
            XCTAssertThrowsError(try CSVRecord(fields: ["1", value], line: 9).requireNumber(1, source: "r.csv", column: "b")) {
                XCTAssertEqual($0 as? DataError, .outOfRange(SourceLocation(source: "r.csv", line: 9, column: 2), column: "b", text: value))
            }
        }
        // The largest finite Float32 values, tiny values (they round to 0) and missing markers are fine.
        let table = try load("a\n3.4e38\n-3.4e38\n1e-50\nnan\n\nNA\n") { $0.missing = .keep }
        let a = table.numeric("a")!
        XCTAssertEqual(a[0], Float(3.4e38))
        XCTAssertEqual(a[1], -Float(3.4e38))
        XCTAssertEqual(a[2], 0)
        XCTAssertTrue(a[3].isNaN)
        XCTAssertEqual(table.missingCounts, [2])
    }

    // MARK: time cells

    func testTimeCellsThatDoNotParseInATimeColumnAreErrors() throws {
        for bad in ["1949-13", "hello", "1949-01-32", "12.5"] {
            let text = "month,value\n1949-01,1\n1949-02,2\n\(bad),3\n1949-04,4\n"
            XCTAssertEqual(
                message(text) { $0.timeColumn = "month" },
                "d.csv:4:1: time column \"month\": \"\(bad)\" is not a time like the column's other values "
                    + "(YYYY, YYYY-MM, YYYY-MM-DD[THH:MM[:SS]], YYYYQn or a number); fix the cell",
                bad)
        }
        // A bad first cell counts too; a column of labels (fewer than half parse) is not a time column.
        XCTAssertEqual(message("date,v\nhello,1\n2020-01,2\n2020-02,3\n")?.hasPrefix("d.csv:2:1: time column \"date\""), true)
        XCTAssertNil(message("date,v\nmon,1\ntue,2\n2020-01,3\n"))
        // Order is still checked, and the first problem in file order is the one reported.
        XCTAssertEqual(
            message("time,v\n2020-02,1\n2020-01,2\nhello,3\n"),
            "d.csv:3: time column \"time\" is not increasing: \"2020-01\" comes after \"2020-02\"; sort the file by time")
        XCTAssertEqual(message("time,v\n2020-01,1\nhello,2\n2020-03,3\n2020-02,4\n")?.hasPrefix("d.csv:3:1:"), true)
        // The time column chosen by option, in the second field.
        XCTAssertEqual(
            message("v,when\n1,2020-01-01\n2,2020-01-02\n3,2020-01-99\n") { $0.timeColumn = "when" }?.hasPrefix("d.csv:4:2:"), true)
    }

    // MARK: headers

    func testDuplicateColumnNamesAreErrors() {
        XCTAssertEqual(
            message("time,a,b,a\n2020,1,2,3\n"),
            "d.csv:1:4: column \"a\" appears twice in the header (also column 2); rename one of them")
        // Without a header the names are indices: never duplicates.
        XCTAssertNil(message("1,1\n2,2\n") { $0.hasHeader = false })
    }

    func testAHeaderThatHoldsAnotherDelimiterSaysWhichToPass() {
        XCTAssertEqual(
            message("time;value\n2020-01;1\n2020-02;2\n"),
            "d.csv:1: the header \"time;value\" reads as one column but holds ';'; pass --delimiter ';'")
        XCTAssertEqual(
            message("time\tvalue\n2020-01\t1\n"),
            "d.csv:1: the header \"time\tvalue\" reads as one column but holds tabs; pass --delimiter 'tab'")
        XCTAssertEqual(message("time,value\n2020-01,1\n") { $0.delimiter = UInt8(ascii: ";") }?.hasSuffix("pass --delimiter ','"), true)
        // Read with the right delimiter, all is well; a real one-column file too.
        XCTAssertNil(message("time;value\n2020-01;1\n2020-02;2\n") { $0.delimiter = UInt8(ascii: ";") })
        XCTAssertNil(message("value\n1\n2\n"))
    }

    // MARK: quoting

    func testMessagesQuoteAtMostEightyCharactersOfAField() {
        let huge = String(repeating: "x", count: 50_000)
        let text = "a,b\n1,\(huge)\n"
        let m = message(text)!
        XCTAssertEqual(m, "d.csv:2:2: column \"b\": expected a number, found \"\(huge.prefix(80))…\" (50000 bytes)")
        // Multi-byte characters are not cut in half, and short fields are quoted whole.
        XCTAssertEqual(DataError.quote(String(repeating: "é", count: 81)), "\"\(String(repeating: "é", count: 80))…\" (162 bytes)")
        XCTAssertEqual(DataError.quote(String(repeating: "é", count: 80)), "\"\(String(repeating: "é", count: 80))\"")
        // A huge column name is cut too.
        let long = String(repeating: "n", count: 1000)
        XCTAssertLessThan(message("a,\(long)\n1,zz\n")!.utf8.count, 300)
        XCTAssertLessThan("\(DataError.unknownColumn(source: "s", requested: long, known: [long, "a"]))".utf8.count, 300)
    }

    // MARK: bad rows reported one by one

    func testNulAndInvalidUTF8RowsGoToTheBadRowHandlerAndTheStreamGoesOn() throws {
        var bytes = Array("a,b\n1,2\n3,x\0y\n5,6\n".utf8)
        bytes += [0x37, 0x2C, 0xFF, 0xFE, 0x0A]  // 7,<not UTF-8>
        bytes += Array("9,10\n\"q\0\nr\",11\n12,13".utf8)
        for chunk in [1, 2, 3, 5, 8, 64] {
            let stream = try CSVStream(source: MemoryByteSource(bytes, name: "s.csv", chunkSize: chunk))
            stream.fieldNames = ["a", "b"]
            var good: [[String]] = [], bad: [DataError] = []
            try stream.forEachRecord(onBadRow: {
                bad.append($0); return true
            }) {
                good.append($0.strings); return true
            }
            XCTAssertEqual(good, [["a", "b"], ["1", "2"], ["5", "6"], ["9", "10"], ["12", "13"]], "chunk \(chunk)")
            XCTAssertEqual(
                bad,
                [
                    .nulByte(SourceLocation(source: "s.csv", line: 3, column: 4), byteOffset: 11),
                    .invalidUTF8(SourceLocation(source: "s.csv", line: 5, column: 2), column: "b"),
                    .nulByte(SourceLocation(source: "s.csv", line: 7, column: 3), byteOffset: 30),
                ], "chunk \(chunk)")
            // The default read stays strict about the whole file: the first NUL ends it.
            let strict = try CSVStream(source: MemoryByteSource(bytes, name: "s.csv", chunkSize: chunk))
            XCTAssertThrowsError(try strict.forEachRecord { _ in true }) {
                XCTAssertEqual($0 as? DataError, .nulByte(SourceLocation(source: "s.csv", line: 3, column: 4), byteOffset: 11))
            }
        }
    }

    func testTheBadRowHandlerCanStopTheRead() throws {
        let stream = try CSVStream(source: MemoryByteSource(Array("a\n\0\nb\n".utf8), name: "s.csv"))
        var good = 0
        try stream.forEachRecord(onBadRow: { _ in false }) { _ in
            good += 1; return true
        }
        XCTAssertEqual(good, 1)
    }
}

/// Integer time columns stay one kind past 999 (four digits would otherwise read as a year).
final class IntegerTimeTests: XCTestCase {
    func testAnIntegerTimeColumnIsNumbersThroughout() throws {
        let text = "time,v\n" + (995 ..< 1010).map { "\($0),1" }.joined(separator: "\n") + "\n"
        XCTAssertEqual(try Table.load(source: MemoryByteSource(text, name: "i.csv")).rowCount, 15)
        let back = "time,v\n998,1\n999,1\n1000,1\n999,1\n"
        XCTAssertThrowsError(try Table.load(source: MemoryByteSource(back, name: "i.csv"))) {
            XCTAssertEqual("\($0)", "i.csv:5: time column \"time\" is not increasing: \"999\" comes after \"1000\"; sort the file by time")
        }
        XCTAssertEqual(try Table.load(source: MemoryByteSource("time,v\n-5,1\n3,1\n1949,1\n20000,1\n", name: "i.csv")).rowCount, 4)
    }
}
