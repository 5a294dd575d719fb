import TidalCore
import TidalData

/// Reads the fields a `RowInput` needs from CSV records, with the ingest layer's typed errors.
struct RowReader {
    let input: RowInput
    let source: String
    let header: [String]
    private let numericFields: [Int]
    private let categoryFields: [Int]
    private let textFields: [Int]
    let timeField: Int?
    /// A many-series model's series column.
    let seriesField: Int?
    /// Wide samples: the label column's field, skipped.
    private let labelField: Int?
    /// Values of the newest row: numbers `[numeric]`, categorical ids `[categorical]`, texts, and a wide sample.
    var numbers: [Float]
    var codes: [Int32]
    var texts: [String]
    var sample: [Float] = []
    /// What the time checks remember of one series' accepted rows.
    struct TimeOrder {
        /// The time key and kind of the last accepted row, when the model and the input have a time column
        /// and the first accepted row's time parsed (`TimeKey`); later rows must be later and of the same kind.
        var lastTime: (key: Double, kind: TimeKey.Kind, text: String)?
        /// Whether the first accepted row's time was a free label: then times are not checked.
        var timeIsLabel = false
    }
    /// The time order of the series being read (a many-series reader swaps it per series).
    var timeOrder = TimeOrder()

    /// Maps the header's names to the input's columns.
    /// - Throws: `ReplayError.missingColumns` when the header lacks a column the model reads.
    init(header: [String], input: RowInput, source: String) throws {
        self.input = input
        self.source = source
        self.header = header
        var missing: [String] = []
        func field(_ name: String) -> Int {
            if let i = header.firstIndex(of: name) { return i }
            missing.append(name)
            return -1
        }
        numericFields = input.numeric.map(field)
        categoryFields = input.categorical.map { field($0.name) }
        textFields = input.text.map(field)
        seriesField = input.series.map(field)
        if !missing.isEmpty { throw ReplayError.missingColumns(source: source, missing: missing, header: header) }
        timeField = input.time.flatMap { header.firstIndex(of: $0) }
        labelField = input.wideSample ? header.firstIndex { ["label", "target", "class"].contains($0.lowercased()) } : nil
        numbers = Array(repeating: 0, count: input.numeric.count)
        codes = Array(repeating: 0, count: input.categorical.count)
        texts = Array(repeating: "", count: input.text.count)
    }

    /// The names a header-less input is read with: the model's columns in order, then `extraN`.
    static func defaultHeader(_ input: RowInput, fieldCount: Int) -> [String] {
        let names = input.wideSample ? [] : input.columns
        return names + (names.count ..< max(names.count, fieldCount)).map { "extra\($0)" }
    }

    /// Whether `record` holds exactly the model's columns and reads as a data row in their order
    /// (what a first line that is data rather than a header looks like).
    static func readsAsData(_ record: CSVRecord, input: RowInput, source: String) -> Bool {
        guard !input.wideSample, !input.numeric.isEmpty, record.count == input.columns.count,
            var reader = try? RowReader(header: input.columns, input: input, source: source)
        else { return false }
        return (try? reader.read(record)) != nil
    }

    /// Parses `record` into `numbers`, `codes`, `texts` and `sample`; a row that throws is not accepted.
    /// - Throws: `DataError` naming the line and field: too few fields or more than the header, a missing
    ///   value, a cell that is not a number or beyond Float32, a time that does not parse or is not after
    ///   the last accepted row's (as `forecast` checks a file).
    mutating func read(_ record: CSVRecord) throws {
        guard record.count <= header.count else {
            throw DataError.raggedRow(SourceLocation(source: source, line: record.line), expected: header.count, found: record.count)
        }
        if input.wideSample { return try readSample(record) }
        let last = max(numericFields.max() ?? -1, categoryFields.max() ?? -1, textFields.max() ?? -1, timeField ?? -1, seriesField ?? -1)
        guard record.count > last else {
            throw DataError.raggedRow(SourceLocation(source: source, line: record.line), expected: header.count, found: record.count)
        }
        for (c, field) in numericFields.enumerated() {
            numbers[c] = try record.requireNumber(field, source: source, column: input.numeric[c])
        }
        if let timeField { try checkTime(record, timeField) }
        for (k, field) in categoryFields.enumerated() { codes[k] = input.categorical[k].id(of: record.string(field)) }
        for (k, field) in textFields.enumerated() { texts[k] = record.string(field) }
    }

    /// The time rules of `Table` for a stream: once the first accepted row's time parses, every
    /// later row's must parse as the same kind and come after the last accepted row's. Run last
    /// of the checks, so that the time is remembered only for a row that is accepted.
    private mutating func checkTime(_ record: CSVRecord, _ field: Int) throws {
        if timeOrder.timeIsLabel { return }
        let parsed = record.withField(field, TimeKey.orderKey(bytes:))
        guard let previous = timeOrder.lastTime else {
            if let parsed { timeOrder.lastTime = (parsed.key, parsed.kind, record.string(field)) } else { timeOrder.timeIsLabel = true }
            return
        }
        let name = header[field]
        guard let parsed, parsed.kind == previous.kind else {
            throw DataError.badTime(record.location(ofField: field, source: source), column: name, text: record.string(field))
        }
        guard parsed.key > previous.key else {
            if let id = series(record) {
                throw DataError.seriesTimeNotIncreasing(
                    record.location(ofField: field, source: source), series: id, column: name, previous: previous.text,
                    current: record.string(field))
            }
            throw DataError.timeNotIncreasing(
                record.location(ofField: field, source: source), column: name, previous: previous.text, current: record.string(field))
        }
        timeOrder.lastTime = (parsed.key, parsed.kind, record.string(field))
    }

    /// A UCR row: every field but the label is a value. Trailing missing fields shorten the
    /// sample; a missing value before the last one is an error, as when training reads the file.
    private mutating func readSample(_ record: CSVRecord) throws {
        sample.removeAll(keepingCapacity: true)
        var last = record.count - 1
        while last >= 0, last == labelField || record.number(last) == .missing { last -= 1 }
        for field in 0 ..< last + 1 where field != labelField {
            let name = field < header.count ? header[field] : "field \(field + 1)"
            sample.append(try record.requireNumber(field, source: source, column: name))
        }
        if sample.isEmpty { throw DataError.layout(SourceLocation(source: source, line: record.line), reason: "no values") }
    }

    /// The row's series id, for a many-series model (nil when the row lacks the field).
    func series(_ record: CSVRecord) -> String? { seriesField.flatMap { $0 < record.count ? record.string($0) : nil } }

    /// The newest row's time, when the model and the input have a time column.
    func time(_ record: CSVRecord) -> String? { timeField.flatMap { $0 < record.count ? record.string($0) : nil } }
}

extension DataError {
    /// The line replay writes for a rejected row: where, what, and that the row was left out.
    var rejection: String {
        let q = DataError.quote
        switch self {
        case let .missingValue(at, column): return "\(at): row rejected: column \(q(column)): missing value"
        case let .notANumber(at, column, text): return "\(at): row rejected: column \(q(column)): expected a number, found \(q(text))"
        case let .outOfRange(at, column, text):
            return "\(at): row rejected: column \(q(column)): \(q(text)) is beyond the range of a 32-bit float"
        case let .raggedRow(at, expected, found): return "\(at): row rejected: expected \(expected) fields, found \(found)"
        case let .layout(at, reason): return "\(at): row rejected: \(reason)"
        case let .nulByte(at, offset): return "\(at): row rejected: NUL byte at byte offset \(offset)"
        case let .invalidUTF8(at, column): return "\(at): row rejected: column \(q(column)): the bytes are not valid UTF-8"
        case let .badTime(at, column, text): return "\(at): row rejected: time column \(q(column)): \(q(text)) is not a time"
        case let .timeNotIncreasing(at, column, previous, current):
            return "\(at): row rejected: time column \(q(column)): \(q(current)) is not after \(q(previous))"
        case let .seriesTimeNotIncreasing(at, series, column, previous, current):
            return "\(at): row rejected: series \(q(series)): time column \(q(column)): \(q(current)) is not after \(q(previous))"
        default: return "\(self) (row rejected)"
        }
    }
}
