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
    /// Wide samples: the label column's field, skipped.
    private let labelField: Int?
    /// Values of the newest row: numbers `[numeric]`, categorical ids `[categorical]`, texts, and a wide sample.
    var numbers: [Float]
    var codes: [Int32]
    var texts: [String]
    var sample: [Float] = []

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

    /// Parses `record` into `numbers`, `codes`, `texts` and `sample`.
    /// - Throws: `DataError` naming the line and field: too few fields, a missing value, a cell that is not a number.
    mutating func read(_ record: CSVRecord) throws {
        if input.wideSample { return try readSample(record) }
        let last = max(numericFields.max() ?? -1, categoryFields.max() ?? -1, textFields.max() ?? -1)
        guard record.count > last else {
            throw DataError.raggedRow(SourceLocation(source: source, line: record.line), expected: header.count, found: record.count)
        }
        for (c, field) in numericFields.enumerated() {
            numbers[c] = try record.requireNumber(field, source: source, column: input.numeric[c])
        }
        for (k, field) in categoryFields.enumerated() { codes[k] = input.categorical[k].id(of: record.string(field)) }
        for (k, field) in textFields.enumerated() { texts[k] = record.string(field) }
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

    /// The newest row's time, when the model and the input have a time column.
    func time(_ record: CSVRecord) -> String? { timeField.flatMap { $0 < record.count ? record.string($0) : nil } }
}

extension DataError {
    /// The line replay writes for a rejected row: where, what, and that the row was left out.
    var rejection: String {
        switch self {
        case let .missingValue(at, column): return "\(at): row rejected: column \"\(column)\": missing value"
        case let .notANumber(at, column, text): return "\(at): row rejected: column \"\(column)\": expected a number, found \"\(text)\""
        case let .raggedRow(at, expected, found): return "\(at): row rejected: expected \(expected) fields, found \(found)"
        case let .layout(at, reason): return "\(at): row rejected: \(reason)"
        default: return "\(self) (row rejected)"
        }
    }
}
