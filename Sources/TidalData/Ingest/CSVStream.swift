internal import CCSV
import TidalCore
#if canImport(Glibc)
    import Glibc
#endif

/// Reads CSV rows from any byte source with libcsv's push parser, one row at a time.
///
/// The same code reads files, standard input and pipes. Input is fed to `csv_parse` one
/// line segment at a time, so each row is handed to the caller as soon as its line
/// terminator has arrived — on a pipe, before the next line is even written — and every
/// callback knows the line it is on. Only a bounded buffer is held: never the whole text.
///
/// Handled here, for every consumer alike: a UTF-8 byte-order mark, LF and CRLF line ends,
/// quoted fields with delimiters, doubled quotes and newlines, blank lines, ragged rows,
/// unterminated quotes, NUL bytes and invalid UTF-8.
///
/// ```swift
/// let stream = try CSVStream(source: FileByteSource(path: "prices.csv"))
/// try stream.forEachRecord { record in
///     print(record.line, record.strings)
///     return true   // keep going
/// }
/// ```
public final class CSVStream {
    /// The source's name for messages (`prices.csv` or `<stdin>`).
    public let sourceName: String
    /// Column names, once the caller knows them; errors then name the column.
    public var fieldNames: [String]?
    /// When true (the default) every row must have as many fields as the first one.
    public var requiresUniformFieldCount = true

    private var source: any ByteSource
    private let parser: UnsafeMutablePointer<csv_parser>
    private let context = ParseContext()
    private var buffer: UnsafeMutableRawBufferPointer
    /// The field count every row must have; nil until the first row sets it.
    var expectedFieldCount: Int?
    /// Whether a UTF-8 byte-order mark at the start is skipped (false for a source that starts mid-file).
    var skipsByteOrderMark = true
    /// Whether the end of the source is the end of the input (false for the first part of a file
    /// parsed in parts: no `csv_fini`, and `endedAtRowBoundary` tells whether the part ended between rows).
    var sourceEndsInput = true
    /// After `forEachRecord` with `sourceEndsInput == false`: whether the parser stood between rows.
    private(set) var endedAtRowBoundary = false
    /// After `forEachRecord`: the line number the next byte would be on (1 + line feeds read).
    private(set) var nextLine = 1

    /// Creates a reader.
    /// - Parameters:
    ///   - source: where the bytes come from.
    ///   - delimiter: the field separator: `,` (default), `;` or tab.
    ///   - bufferSize: bytes asked of the source per read.
    public init(source: any ByteSource, delimiter: UInt8 = UInt8(ascii: ","), bufferSize: Int = 1 << 18) throws {
        self.source = source
        self.sourceName = source.name
        parser = .allocate(capacity: 1)
        let options = UInt8(CSV_STRICT | CSV_STRICT_FINI)
        guard csv_init(parser, options) == 0 else {
            parser.deallocate()
            throw DataError.unreadable(path: source.name, reason: "libcsv could not initialise (out of memory)")
        }
        csv_set_delim(parser, delimiter)
        // With a tab delimiter a tab is not padding; spaces stay padding either way.
        if delimiter == 0x09 { csv_set_space_func(parser, { $0 == 0x20 ? 1 : 0 }) }
        buffer = .allocate(byteCount: bufferSize, alignment: 16)
    }

    deinit {
        csv_free(parser)
        parser.deallocate()
        buffer.deallocate()
    }

    /// Calls `body` with every non-blank row, in order, as soon as the row is complete.
    ///
    /// - Parameter body: receives each record; return `false` to stop reading.
    /// - Throws: `DataError` for malformed input, with source, line and column; any error `body` throws.
    public func forEachRecord(_ body: (CSVRecord) throws -> Bool) throws {
        try forEachRecord(reportingBadRows: false, body, onBadRow: { throw $0 })
    }

    /// Like `forEachRecord(_:)`, but a row holding a NUL byte or bytes that are not UTF-8 is
    /// handed to `onBadRow` (its `DataError`, with line and column) instead of ending the read;
    /// the stream then goes on with the next row. Replay reads this way, so one bad row of a
    /// long stream is reported and skipped like any other.
    ///
    /// - Parameters:
    ///   - body: receives each good record; return `false` to stop reading.
    ///   - onBadRow: receives each bad row's error (`nulByte` or `invalidUTF8`); return `false`
    ///     to stop reading, or throw.
    /// - Throws: `DataError` for input libcsv cannot parse (a stray quote, an unclosed quote);
    ///   any error `body` or `onBadRow` throws.
    public func forEachRecord(onBadRow: (DataError) throws -> Bool, _ body: (CSVRecord) throws -> Bool) throws {
        try forEachRecord(reportingBadRows: true, body, onBadRow: onBadRow)
    }

    /// The read itself; bad rows go to `onBadRow` when `reportingBadRows`, else NUL bytes throw at once.
    ///
    /// It is long (about 100 lines) because its nested `deliver` and `feed` share one pass's
    /// line, byte and column counters with the libcsv callbacks; apart they would pass them around.
    private func forEachRecord(
        reportingBadRows: Bool, _ body: (CSVRecord) throws -> Bool, onBadRow: (DataError) throws -> Bool
    ) throws {
        let ctx = Unmanaged.passUnretained(context).toOpaque()
        var line = 1
        var byteOffset = 0
        var columnInLine = 0

        func deliver() throws -> Bool {
            defer { context.finishRow() }
            guard context.rowComplete else { return true }
            let record = context.record
            if record.isBlank { return true }
            if let nul = context.nulByte { return try onBadRow(nul) }
            if let bad = context.invalidUTF8Field {
                let name = fieldNames.flatMap { bad < $0.count ? $0[bad] : nil } ?? "field \(bad + 1)"
                return try onBadRow(DataError.invalidUTF8(record.location(ofField: bad, source: sourceName), column: name))
            }
            if requiresUniformFieldCount {
                if let expected = expectedFieldCount {
                    if record.count != expected {
                        throw DataError.raggedRow(
                            SourceLocation(source: sourceName, line: record.line), expected: expected, found: record.count)
                    }
                } else {
                    expectedFieldCount = record.count
                }
            }
            return try body(record)
        }

        func feed(_ start: UnsafePointer<UInt8>, _ count: Int) throws -> Bool {
            var position = 0
            while position < count {
                // One segment: up to and including the next CR or LF, checking for NUL on the way.
                let remaining = count - position
                let newline = memchr(start + position, 0x0A, remaining).map {
                    UnsafePointer<UInt8>($0.assumingMemoryBound(to: UInt8.self)) - start
                }
                var end = newline.map { $0 + 1 } ?? count
                var terminator: UInt8 = newline == nil ? 0 : 0x0A
                // A CR (old Mac line end, or the CR of CRLF) or a NUL before it? Check all bytes at once first.
                var suspicious = false
                for i in position ..< end { let b = start[i]; suspicious = suspicious || b == 0x0D || b == 0 }
                if suspicious {
                    for i in position ..< end {
                        let byte = start[i]
                        if byte == 0, context.nulByte == nil {
                            if !reportingBadRows {
                                // The bytes before the NUL first: a malformed field earlier on the line is the first
                                // problem, whatever the chunking (a chunk may end before the NUL or after it).
                                context.currentLine = line
                                if i > position,
                                    csv_parse(parser, start + position, i - position, fieldCallback, rowCallback, ctx) != i - position
                                {
                                    throw malformedError(line: context.rowStartLine ?? line)
                                }
                            }
                            let error = DataError.nulByte(
                                SourceLocation(source: sourceName, line: line, column: columnInLine + i - position + 1),
                                byteOffset: byteOffset + i - position)
                            // Reporting bad rows: the row is parsed on and handed to `onBadRow` once complete.
                            guard reportingBadRows else { throw error }
                            context.nulByte = error
                        }
                        if byte == 0x0D { end = i + 1; terminator = 0x0D; break }
                    }
                }
                let length = end - position
                context.currentLine = line
                let used = csv_parse(parser, start + position, length, fieldCallback, rowCallback, ctx)
                if used != length {
                    throw malformedError(line: context.rowStartLine ?? line)
                }
                byteOffset += length
                if terminator == 0x0A { line += 1; columnInLine = 0 } else { columnInLine += length }
                position = end
                if context.rowComplete, try !deliver() { return false }
            }
            return true
        }

        // A UTF-8 byte-order mark is skipped; bytes that only begin like one are data.
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        var bomMatched = 0
        var bomDecided = !skipsByteOrderMark
        while true {
            let n = try source.read(into: buffer)
            if n == 0 { break }
            var start = UnsafePointer(buffer.baseAddress!.assumingMemoryBound(to: UInt8.self))
            var count = n
            while !bomDecided && count > 0 {
                if start[0] == bom[bomMatched] {
                    bomMatched += 1
                    start += 1
                    count -= 1
                    if bomMatched == 3 { bomDecided = true; byteOffset = 3 }
                } else {
                    bomDecided = true
                    if bomMatched > 0, try !bom.withUnsafeBufferPointer({ try feed($0.baseAddress!, bomMatched) }) { return }
                }
            }
            if count > 0, try !feed(start, count) { return }
        }
        if !bomDecided && bomMatched > 0, try !bom.withUnsafeBufferPointer({ try feed($0.baseAddress!, bomMatched) }) { return }
        nextLine = line
        if !sourceEndsInput {
            // libcsv's state 0 is ROW_NOT_BEGUN: the last row ended and nothing of the next one was read.
            endedAtRowBoundary = parser.pointee.pstate == 0 && parser.pointee.entry_pos == 0 && !context.rowComplete
            return
        }
        context.currentLine = line
        if csv_fini(parser, fieldCallback, rowCallback, ctx) != 0 {
            throw DataError.unterminatedQuote(SourceLocation(source: sourceName, line: context.rowStartLine ?? line))
        }
        _ = try deliver()
    }

    private func malformedError(line: Int) -> DataError {
        let code = csv_error(parser)
        let reason =
            code == CSV_EPARSE
            ? "a quote character inside an unquoted field, or text after a closing quote; quote the whole field and double any quote "
                + "inside it"
            : String(cString: csv_strerror(code))
        return .malformed(SourceLocation(source: sourceName, line: line), reason: reason)
    }
}

/// The state libcsv's callbacks write into, reached through the `void *data` pointer.
private final class ParseContext {
    var storage = RecordStorage()
    var rowComplete = false
    var currentLine = 1
    var rowStartLine: Int?
    var invalidUTF8Field: Int?
    /// The first NUL byte of the row being read (only when bad rows are reported, not thrown).
    var nulByte: DataError?

    /// The finished row; the storage is reused for the next one unless the consumer kept it.
    var record: CSVRecord { CSVRecord(storage: storage) }

    func finishRow() {
        if rowComplete {
            if !isKnownUniquelyReferenced(&storage) { storage = RecordStorage() }
            storage.reset()
            rowComplete = false
            rowStartLine = nil
            invalidUTF8Field = nil
            if nulByte != nil { nulByte = nil }
        }
    }

    @inline(__always)
    func addField(_ pointer: UnsafeRawPointer?, _ length: Int) {
        var newlines = 0
        let bytes = pointer?.assumingMemoryBound(to: UInt8.self)
        if let bytes, length > 0 {
            // One pass (vectorized) for both questions: any non-ASCII byte? any line feed?
            var high: UInt8 = 0
            var feeds = 0
            for i in 0 ..< length { let b = bytes[i]; high |= b; feeds &+= b == 0x0A ? 1 : 0 }
            if high >= 0x80, invalidUTF8Field == nil,
                String(validating: UnsafeBufferPointer(start: bytes, count: length), as: UTF8.self) == nil
            {
                invalidUTF8Field = storage.count
            }
            newlines = feeds
        }
        let fieldLine = currentLine - newlines
        // The context owns the storage for the whole call: no retain needed.
        Unmanaged.passUnretained(storage)._withUnsafeGuaranteedRef { $0.append(bytes, length, line: fieldLine) }
        if rowStartLine == nil {
            rowStartLine = fieldLine
            storage.line = fieldLine
        }
    }
}

private let fieldCallback: @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeMutableRawPointer?) -> Void = { field, length, data in
    // The stream keeps the context alive for the whole parse: no retain needed here.
    Unmanaged<ParseContext>.fromOpaque(data!)._withUnsafeGuaranteedRef { $0.addField(UnsafeRawPointer(field), length) }
}

private let rowCallback: @convention(c) (Int32, UnsafeMutableRawPointer?) -> Void = { _, data in
    Unmanaged<ParseContext>.fromOpaque(data!)._withUnsafeGuaranteedRef { $0.rowComplete = true }
}
