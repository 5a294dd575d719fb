import TidalData
import TidalTestSupport
import XCTest

final class CSVStreamTests: XCTestCase {
    func records(_ text: String, chunkSize: Int = 4096, delimiter: UInt8 = UInt8(ascii: ",")) throws -> [(Int, [String])] {
        try records(Array(text.utf8), chunkSize: chunkSize, delimiter: delimiter)
    }

    func records(_ bytes: [UInt8], chunkSize: Int = 4096, delimiter: UInt8 = UInt8(ascii: ",")) throws -> [(Int, [String])] {
        let stream = try CSVStream(source: MemoryByteSource(bytes, name: "t.csv", chunkSize: chunkSize), delimiter: delimiter)
        var out: [(Int, [String])] = []
        try stream.forEachRecord {
            out.append(($0.line, $0.strings)); return true
        }
        return out
    }

    func error(_ text: String) -> String {
        do {
            _ = try Table.load(source: MemoryByteSource(text, name: "t.csv"))
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    let tricky =
        "\u{FEFF}time,name,value\r\n2020-01,\"a, b\",1.5\r\n2020-02,\"say "
        + "\"\"hi\"\"\",2e3\n2020-03,\"two\nlines\",-0.25\n\n2020-04,plain,  7  \n\n\n"

    func testChunkSizesGiveIdenticalRows() throws {
        let reference = try records(tricky, chunkSize: 1 << 16)
        XCTAssertEqual(
            reference.map(\.1),
            [
                ["time", "name", "value"], ["2020-01", "a, b", "1.5"], ["2020-02", "say \"hi\"", "2e3"],
                ["2020-03", "two\nlines", "-0.25"], ["2020-04", "plain", "7"],
            ])
        XCTAssertEqual(reference.map(\.0), [1, 2, 3, 4, 7])
        for size in [1, 2, 3, 7, 64, 4096] {
            let got = try records(tricky, chunkSize: size)
            XCTAssertEqual(got.map(\.1), reference.map(\.1), "chunk size \(size)")
            XCTAssertEqual(got.map(\.0), reference.map(\.0), "chunk size \(size)")
        }
    }

    /// A malformed field before a NUL byte on the same line is the error, whatever the chunking
    /// (found by `Scripts/fuzz.sh csv`: one chunk reported the NUL, small chunks the quote).
    func testTheFirstProblemOnALineIsReportedInEveryChunking() throws {
        let bytes = Array("a,b\nx\"y\"z,1\0\n".utf8)
        var messages: Set<String> = []
        for chunk in 1 ... bytes.count {
            XCTAssertThrowsError(try records(bytes, chunkSize: chunk)) { messages.insert("\($0)") }
        }
        XCTAssertEqual(messages.count, 1, "\(messages)")
        XCTAssertTrue(messages.first?.contains("malformed CSV") == true, "\(messages)")
    }

    func testDelimiters() throws {
        XCTAssertEqual(try records("a;b\n1;2\n", delimiter: UInt8(ascii: ";")).map(\.1), [["a", "b"], ["1", "2"]])
        XCTAssertEqual(try records("a\tb\n1\t 2\n", delimiter: 0x09).map(\.1), [["a", "b"], ["1", "2"]])
    }

    func testNumbersParseAsStrtod() throws {
        let table = try Table.load(
            source: MemoryByteSource("x\n1\n-2.5\n1e-3\n3.14159265358979\n0x10\n3.4e38\n0.1\n", name: "n.csv"),
            options: {
                var o = TableOptions(); o.numericColumns = ["x"]; return o
            }())
        let expected: [Double] = [1, -2.5, 1e-3, 3.14159265358979, 16, 3.4e38, 0.1]
        let got = table.numeric("x")!
        XCTAssertEqual(got.count, expected.count)
        XCTAssertEqual(got[0], 1); XCTAssertEqual(got[1], -2.5); XCTAssertEqual(got[2], Float(1e-3)); XCTAssertEqual(got[4], 16);
        XCTAssertEqual(got[5], Float(3.4e38));
        XCTAssertEqual(got[6], Float(0.1))
        // The exact fast path agrees bit for bit with strtod on many decimals.
        var generator = testGenerator(7)
        for _ in 0 ..< 20000 {
            let mantissa = Int64(bitPattern: generator.next()) % 1_000_000_000_000
            let exponent = Int(generator.next() % 30) - 15
            let text = "\(mantissa)e\(exponent)"
            var bytes = Array(text.utf8); bytes.append(0)
            let fast = bytes.withUnsafeBufferPointer { NumberParser.parse($0.baseAddress!, count: text.utf8.count) }
            XCTAssertEqual(fast, .value(strtod(text, nil)), text)
        }
    }

    func testMissingValues() throws {
        var options = TableOptions()
        options.missing = .keep
        let table = try Table.load(source: MemoryByteSource("v\n1\n\nNA\nnan\n4\n", name: "m.csv"), options: options)
        // The blank line is skipped, NA and nan are missing.
        XCTAssertEqual(table.rowCount, 4)
        XCTAssertEqual(table.missingCounts, [2])
        options.missing = .linear
        XCTAssertEqual(
            try Table.load(source: MemoryByteSource("v\n1\nNA\nnan\n4\n", name: "m.csv"), options: options).numeric("v"), [1, 2, 3, 4])
        options.missing = .ffill
        XCTAssertEqual(
            try Table.load(source: MemoryByteSource("v\n1\nNA\nnan\n4\n", name: "m.csv"), options: options).numeric("v"), [1, 1, 1, 4])
        options.missing = .drop
        XCTAssertEqual(
            try Table.load(source: MemoryByteSource("v\n1\nNA\nnan\n4\n", name: "m.csv"), options: options).numeric("v"), [1, 4])
    }

    func testBadInputMessages() {
        XCTAssertEqual(
            error("time,value\n2020-01,1\n2020-02,12,5x\n"),
            "t.csv:3: expected 2 fields, found 3; every row needs as many fields as the header")
        XCTAssertEqual(
            error("time,value\n2020-01,1\n2020-02,\"12,5x\"\n"), "t.csv:3:2: column \"value\": expected a number, found \"12,5x\"")
        XCTAssertEqual(error("a,b\n1,2\n3\n"), "t.csv:3: expected 2 fields, found 1; every row needs as many fields as the header")
        XCTAssertEqual(error("a,b\n1,\"2\n"), "t.csv:2: a quoted field is never closed; add the closing \" or remove the opening one")
        XCTAssertEqual(error("a,b\n1,2\n3,4\u{0}\n"), "t.csv:3:4: NUL byte at byte offset 11; this does not look like a text CSV file")
        XCTAssertEqual(error(""), "t.csv: the input is empty; give a CSV file with a header row and data rows")
        XCTAssertEqual(error("a,b\n"), "t.csv: the input has a header but no data rows")
        XCTAssertEqual(error("a,b\n1,\n"), "t.csv:2:2: column \"b\": missing value; use --fill ffill|linear|drop to fill or drop such rows")
        XCTAssertEqual(
            error("time,v\n2020-02,1\n2020-01,2\n"),
            "t.csv:3: time column \"time\" is not increasing: \"2020-01\" comes after \"2020-02\"; sort the file by time")
        XCTAssertTrue(error("a,b\n1,x\"y\n").hasPrefix("t.csv:2: malformed CSV"))
        var options = TableOptions()
        options.numericColumns = ["close"]
        XCTAssertThrowsError(try Table.load(source: MemoryByteSource("open,high\n1,2\n", name: "t.csv"), options: options)) { error in
            XCTAssertEqual("\(error)", "t.csv: no column \"close\"; the columns are: \"open\", \"high\"")
        }
        var bytes = Array("a,b\n1,2\n".utf8)
        bytes += [0x33, 0x2C, 0xC3, 0x28, 0x0A]
        options = TableOptions()
        options.textColumns = ["b"]
        options.numericColumns = ["a"]
        XCTAssertThrowsError(try Table.load(source: MemoryByteSource(bytes, name: "t.csv"), options: options)) { error in
            XCTAssertEqual("\(error)", "t.csv:3:2: column \"b\": the bytes are not valid UTF-8; convert the file to UTF-8 (iconv -t UTF-8)")
        }
    }

    func testColumnsByNameOrIndexAndNoHeader() throws {
        var options = TableOptions()
        options.numericColumns = ["1"]
        XCTAssertEqual(try Table.load(source: MemoryByteSource("x,y\n1,2\n3,4\n"), options: options).numeric("y"), [2, 4])
        options.hasHeader = false
        XCTAssertEqual(try Table.load(source: MemoryByteSource("1,2\n3,4\n"), options: options).numeric("1"), [2, 4])
    }

    func testRowsArriveBeforeEndOfInput() throws {
        // A source that fails if asked for more after the first line: the first row must
        // already have been delivered from the bytes of that line alone.
        struct OneLineThenFail: ByteSource {
            var name = "pipe"
            var sent = false
            mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
                if sent { throw CancellationError() }
                sent = true
                let line = Array("a,b\n".utf8)
                buffer.copyBytes(from: line)
                return line.count
            }
        }
        let stream = try CSVStream(source: OneLineThenFail())
        var first: [String]?
        XCTAssertThrowsError(
            try stream.forEachRecord {
                first = $0.strings; return true
            })
        XCTAssertEqual(first, ["a", "b"])
    }
}
