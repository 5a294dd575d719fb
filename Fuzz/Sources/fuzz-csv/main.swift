// libFuzzer target `csv`: arbitrary bytes through CSVStream in a chunking the input chooses, and
// through the Table loader. Input: byte 0 = flags (bits 0–2: how many chunk-size bytes follow,
// bits 3–4: delimiter, bits 5–7: Table options), byte 1 = the stream's buffer size, byte 2 =
// more options (bit 0: ragged rows allowed), then the chunk sizes (each 1 … 256, cycled), then the CSV text.
//
// Checked: every call either throws a `DataError` or returns; and the records (or the error) of
// the chosen chunking equal those of reading the whole input in one chunk.
import FuzzSupport
import TidalData

/// What one read of the input gave: every record's line and fields, then the error if any.
struct Outcome: Equatable {
    var records: [[String]] = []
    var error: String?
}

func readAll(_ text: [UInt8], sizes: [Int], delimiter: UInt8, bufferSize: Int, uniform: Bool) -> Outcome {
    var outcome = Outcome()
    do {
        let stream = try CSVStream(source: ChunkedByteSource(text, sizes: sizes), delimiter: delimiter, bufferSize: bufferSize)
        stream.requiresUniformFieldCount = uniform
        try stream.forEachRecord { record in
            outcome.records.append(["\(record.line)"] + record.strings)
            return true
        }
    } catch let error as DataError {
        outcome.error = error.description
    } catch {
        fuzzFailure("CSVStream threw \(type(of: error)), not a DataError: \(error)")
    }
    return outcome
}

func tableOptions(_ flags: UInt8, delimiter: UInt8) -> TableOptions {
    var options = TableOptions()
    options.delimiter = delimiter
    options.hasHeader = flags & 0x20 == 0
    options.inferTextColumns = flags & 0x40 != 0
    options.missing = MissingPolicy.allCases[Int(flags >> 5) % MissingPolicy.allCases.count]
    if flags & 0x80 != 0 { options.timeColumn = "" }
    return options
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let flags = input.byte()
    let delimiter: UInt8 = [UInt8(ascii: ","), UInt8(ascii: ";"), 0x09, UInt8(ascii: ",")][Int(flags >> 3) & 3]
    let bufferSize = 1 + Int(input.byte())
    let uniform = input.byte() & 1 == 0
    let sizes = (0 ..< Int(flags & 7)).map { _ in 1 + Int(input.byte()) }
    let text = input.rest

    let chunked = readAll(text, sizes: sizes, delimiter: delimiter, bufferSize: bufferSize, uniform: uniform)
    // The reference: the whole input in one chunk.
    let whole = readAll(text, sizes: [], delimiter: delimiter, bufferSize: max(1, text.count), uniform: uniform)
    if chunked != whole {
        fuzzFailure("chunks \(sizes), buffer \(bufferSize) read \(chunked), one chunk read \(whole)")
    }

    do {
        let table = try Table.load(source: ChunkedByteSource(text, sizes: sizes), options: tableOptions(flags, delimiter: delimiter))
        for column in table.columns {
            let count: Int
            switch column {
            case let .numeric(values): count = values.count
            case let .text(values): count = values.count
            }
            if count != table.rowCount { fuzzFailure("a column of \(count) values in a table of \(table.rowCount) rows") }
        }
    } catch is DataError {
    } catch {
        fuzzFailure("Table.load threw \(type(of: error)), not a DataError: \(error)")
    }
    return 0
}

@_cdecl("fuzz_csv_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzCSV)
}
