import TidalCore

/// What to do with a missing numeric value (an empty cell, `nan`, `NA`).
public enum MissingPolicy: String, CaseIterable, Sendable, Codable {
    /// Stop with an error naming the row and column (the default).
    case error
    /// Carry the last value forward (leading gaps take the first value).
    case ffill
    /// Interpolate linearly between the neighbours (edges take the nearest value).
    case linear
    /// Drop the whole row.
    case drop
    /// Keep missing values as NaN (for `describe`, which counts them).
    case keep
}

/// How to read a CSV file into a `Table`.
public struct TableOptions: Sendable {
    /// Whether the first row names the columns (default true). Without a header the columns
    /// are named by their 0-based index: `0`, `1`, ….
    public var hasHeader = true
    /// Field delimiter: `,`, `;` or tab.
    public var delimiter: UInt8 = UInt8(ascii: ",")
    /// The time column by name or index; nil picks a column named `timestamp`, `time`, `date` or `ds`; "" means none.
    public var timeColumn: String?
    /// Numeric columns to keep, by name or 0-based index; nil keeps every column that holds numbers.
    public var numericColumns: [String]?
    /// Columns to keep as text (labels, categories, documents).
    public var textColumns: [String] = []
    /// What to do with missing numeric values.
    public var missing: MissingPolicy = .error
    /// With `numericColumns == nil`: a column whose first value is not a number becomes a text
    /// column instead of an error.
    public var inferTextColumns = false
    /// Whether the file may hold many series in long format (one row per series and time step):
    /// then `seriesColumn` names the column telling them apart.
    public var readsSeries = false
    /// With `readsSeries`: the series column by name or index; nil picks a column named
    /// `unique_id`, `series`, `series_id` or `id` (the file is one series without one, or when that
    /// column's values never repeat: a row number); "" means none. Its values are kept as text,
    /// and the time order is checked within each series.
    public var seriesColumn: String?

    /// Options for a comma-separated file with a header and no missing values.
    public init() {}
}

/// Columns read from a CSV file: numeric columns as `Float`, text columns as strings.
///
/// Value type; only the kept columns are stored (the raw text never is).
public struct Table: Sendable {
    /// One kept column.
    public enum Values: Sendable {
        case numeric([Float])
        case text([String])
    }

    /// The file path or `<stdin>`.
    public var source: String
    /// Every column name in the file, in file order.
    public var header: [String]
    /// Kept columns, in the order they were asked for (or file order).
    public var names: [String]
    /// The kept columns' values, parallel to `names`.
    public var columns: [Values]
    /// Missing cells seen per kept column before the missing-value policy was applied.
    public var missingCounts: [Int]
    /// The time column's name and its values, when there is one.
    public var timeName: String?
    /// The time column's values, one per row.
    public var time: TextColumn?
    /// The input line of each row (for messages).
    public var lines: [Int]
    /// The series column of a many-series file (`TableOptions.readsSeries`); its values are the text column of that name.
    public var seriesName: String?

    /// Number of data rows.
    public var rowCount: Int { lines.count }

    /// The numeric column `name`, or nil.
    public func numeric(_ name: String) -> [Float]? {
        guard let i = names.firstIndex(of: name), case let .numeric(v) = columns[i] else { return nil }
        return v
    }

    /// The text column `name`, or nil.
    public func text(_ name: String) -> [String]? {
        guard let i = names.firstIndex(of: name), case let .text(v) = columns[i] else { return nil }
        return v
    }

    /// Reads a whole CSV file (or `-` for standard input).
    ///
    /// A large regular file is parsed in two halves at once (see `loadInParts`); the result is
    /// the same as reading it front to back, and any problem is reported from a front-to-back read.
    public static func load(path: String, options: TableOptions = TableOptions()) throws -> Table {
        if let table = try loadInParts(path: path, options: options) { return table }
        return try load(source: FileByteSource(path: path), options: options)
    }

    /// Reads every row from `source`.
    /// - Throws: `DataError` with the source, line and column of the first problem.
    public static func load(source: any ByteSource, options: TableOptions = TableOptions()) throws -> Table {
        let stream = try CSVStream(source: source, delimiter: options.delimiter)
        var loader = TableLoader(source: stream.sourceName, options: options)
        try loader.read(stream)
        return try loader.finish()
    }

    /// Resolves a column given by name or by 0-based index against `header`.
    /// - Throws: `DataError.unknownColumn` listing the known columns.
    public static func resolve(_ selector: String, in header: [String], source: String) throws -> Int {
        if let i = header.firstIndex(of: selector) { return i }
        if let i = Int(selector), i >= 0, i < header.count { return i }
        throw DataError.unknownColumn(source: source, requested: selector, known: header)
    }

    /// Names that mark a time column when `--time-column` is not given.
    public static let timeColumnNames: Set<String> = ["timestamp", "time", "date", "ds"]

    /// Names that mark a series column when `TableOptions.readsSeries` is set and no column is named.
    public static let seriesColumnNames = ["unique_id", "series", "series_id", "id"]

    /// Each row's series id, when the table has a series column.
    public var seriesIDs: [String]? { seriesName.flatMap(text) }
}

/// One numeric column being read.
final class FloatColumn {
    var values: [Float] = []
}

struct TableLoader {
    enum Slot {
        case numeric(Int)  // index into numeric storage
        case text(Int)
        case undecided(Int)  // infer mode, no value seen yet: index into numeric storage
    }

    let source: String
    let options: TableOptions
    var header: [String]?
    var keptFields: [Int] = []
    var slots: [Slot] = []
    /// Numeric columns, each in its own box: appending to one mutates only that column's array.
    var numericStore: [FloatColumn] = []
    var textStore: [[String]] = []
    var missing: [Int] = []
    var timeField: Int?
    var seriesField: Int?
    /// Whether the series column was found by its name (not given): then a column whose values never repeat is not one.
    var seriesDetected = false
    var timeValues = TextColumn()
    var lines: [Int] = []
    /// Rows expected (an estimate): columns are reserved for this many when they are set up.
    var expectedRows = 0

    init(source: String, options: TableOptions) {
        self.source = source
        self.options = options
    }

    mutating func begin(with first: CSVRecord) throws {
        let names = options.hasHeader ? first.strings : (0 ..< first.count).map(String.init)
        if options.hasHeader { try Self.checkHeader(names, line: first.line, source: source, delimiter: options.delimiter) }
        header = names
        if let explicit = options.timeColumn {
            // An empty name means: no time column, and no guessing one.
            timeField = explicit.isEmpty ? nil : try Table.resolve(explicit, in: names, source: source)
        } else {
            timeField = names.firstIndex { Table.timeColumnNames.contains($0.lowercased()) }
        }
        var textFields = try options.textColumns.map { try Table.resolve($0, in: names, source: source) }
        if options.readsSeries {
            if let explicit = options.seriesColumn {
                seriesField = explicit.isEmpty ? nil : try Table.resolve(explicit, in: names, source: source)
            } else {
                seriesField = Table.seriesColumnNames.lazy.compactMap { wanted in names.firstIndex { $0.lowercased() == wanted } }.first
                seriesDetected = seriesField != nil
            }
            if let seriesField, !textFields.contains(seriesField) { textFields.append(seriesField) }
        }
        var numericFields: [Int]
        if let wanted = options.numericColumns {
            numericFields = try wanted.map { try Table.resolve($0, in: names, source: source) }
        } else {
            numericFields = names.indices.filter { $0 != timeField && !textFields.contains($0) }
        }
        for field in numericFields {
            keptFields.append(field)
            slots.append(
                options.numericColumns == nil && options.inferTextColumns ? .undecided(numericStore.count) : .numeric(numericStore.count))
            numericStore.append(FloatColumn())
        }
        for field in textFields where !numericFields.contains(field) {
            keptFields.append(field)
            slots.append(.text(textStore.count))
            textStore.append([])
        }
        missing = Array(repeating: 0, count: keptFields.count)
        if expectedRows > 0 {
            for s in numericStore.indices { numericStore[s].values.reserveCapacity(expectedRows) }
            lines.reserveCapacity(expectedRows)
            if timeField != nil { timeValues.reserve(rows: expectedRows, bytesPerValue: 24) }
        }
    }

    /// Reads every row of `stream`; when the columns are not set up yet, the first row sets them up.
    mutating func read(_ stream: CSVStream) throws {
        if header != nil { stream.fieldNames = header }
        try stream.forEachRecord { record in
            if header == nil {
                try begin(with: record)
                stream.fieldNames = header
                if options.hasHeader { return true }
            }
            try add(record)
            return true
        }
    }

    mutating func add(_ record: CSVRecord) throws {
        for (k, field) in keptFields.enumerated() {
            switch slots[k] {
            case let .numeric(s):
                numericStore[s].values.append(try number(record, field, k))
            case let .undecided(s):
                switch record.number(field) {
                case let .value(v):
                    slots[k] = .numeric(s)
                    numericStore[s].values.append(try float(v, record, field))
                case .missing:
                    numericStore[s].values.append(.nan)
                    missing[k] += 1
                case .invalid:
                    // The first value is text: the whole column is text.
                    slots[k] = .text(textStore.count)
                    textStore.append(Array(repeating: "", count: numericStore[s].values.count) + [record.string(field)])
                }
            case let .text(s):
                textStore[s].append(record.string(field))
            }
        }
        if let timeField { record.withField(timeField) { timeValues.append($0) } }
        lines.append(record.line)
    }

    mutating func number(_ record: CSVRecord, _ field: Int, _ k: Int) throws -> Float {
        switch record.number(field) {
        case let .value(v): return try float(v, record, field)
        case .missing:
            missing[k] += 1
            if options.missing == .error {
                throw DataError.missingValue(record.location(ofField: field, source: source), column: header![field])
            }
            return .nan
        case .invalid:
            throw DataError.notANumber(record.location(ofField: field, source: source), column: header![field], text: record.string(field))
        }
    }

    /// `v` as a Float: a value beyond Float32's range is an error, not an infinity (one compare per cell).
    @inline(__always)
    func float(_ v: Double, _ record: CSVRecord, _ field: Int) throws -> Float {
        let value = Float(v)
        if value.isInfinite {
            throw DataError.outOfRange(record.location(ofField: field, source: source), column: header![field], text: record.string(field))
        }
        return value
    }

    mutating func finish() throws -> Table {
        guard let header else { throw DataError.emptyInput(source: source) }
        if lines.isEmpty { throw DataError.headerOnly(source: source) }
        var columns: [Table.Values] = slots.map { slot in
            switch slot {
            case let .numeric(s), let .undecided(s): return .numeric(numericStore[s].values)
            case let .text(s): return .text(textStore[s])
            }
        }
        var table = Table(
            source: source, header: header, names: keptFields.map { header[$0] }, columns: columns,
            missingCounts: missing, timeName: timeField.map { header[$0] },
            time: timeField == nil ? nil : timeValues, lines: lines, seriesName: seriesField.map { header[$0] })
        if seriesDetected, let ids = table.seriesIDs, Set(ids).count == ids.count {
            // Every row its own id: a row number, not a series column; the file is one series.
            table.seriesName = nil
        }
        try checkTimeOrder(table)
        switch options.missing {
        case .error, .keep: break
        case .ffill, .linear:
            // Within each series: a gap is never filled from another series' values.
            let layout = SeriesLayout(table)
            for i in columns.indices {
                if case var .numeric(v) = columns[i] {
                    for range in layout.ranges {
                        let rows = layout.order[range]
                        var part = rows.map { v[$0] }
                        try fill(&part, linear: options.missing == .linear, name: table.names[i])
                        for (k, r) in rows.enumerated() { v[r] = part[k] }
                    }
                    columns[i] = .numeric(v)
                }
            }
            table.columns = columns
        case .drop:
            var keep = [Bool](repeating: true, count: lines.count)
            for column in columns { if case let .numeric(v) = column { for r in v.indices where v[r].isNaN { keep[r] = false } } }
            func filter<T>(_ a: [T]) -> [T] { a.indices.compactMap { keep[$0] ? a[$0] : nil } }
            func filterText(_ a: TextColumn) -> TextColumn { TextColumn(a.indices.compactMap { keep[$0] ? a[$0] : nil }) }
            table.columns = columns.map { column in
                switch column {
                case let .numeric(v): return .numeric(filter(v))
                case let .text(v): return .text(filter(v))
                }
            }
            table.lines = filter(lines)
            table.time = table.time.map(filterText)
            if table.lines.isEmpty {
                throw DataError.unusable(source: source, reason: "every row has a missing value; nothing is left after --fill drop")
            }
        }
        return table
    }

    func fill(_ v: inout [Float], linear: Bool, name: String) throws {
        guard let firstValid = v.firstIndex(where: { !$0.isNaN }) else {
            throw DataError.unusable(source: source, reason: "column \"\(name)\" holds no values at all")
        }
        for r in 0 ..< firstValid { v[r] = v[firstValid] }
        var last = firstValid
        var r = firstValid + 1
        while r < v.count {
            if v[r].isNaN {
                var next = r
                while next < v.count, v[next].isNaN { next += 1 }
                for g in r ..< next {
                    if linear, next < v.count {
                        let t = Float(g - last) / Float(next - last)
                        v[g] = v[last] + t * (v[next] - v[last])
                    } else {
                        v[g] = v[last]
                    }
                }
                r = next
            } else {
                last = r
                r += 1
            }
        }
    }

    /// A header must name each column once, and a one-column header that holds `;` or a tab
    /// (while read with another delimiter) means the wrong delimiter: both are errors.
    static func checkHeader(_ names: [String], line: Int, source: String, delimiter: UInt8) throws {
        if names.count == 1 {
            for (byte, text) in [(UInt8(ascii: ";"), ";"), (0x09, "\t"), (UInt8(ascii: ","), ",")]
            where byte != delimiter && names[0].utf8.contains(byte) {
                throw DataError.wrongDelimiter(SourceLocation(source: source, line: line), header: names[0], delimiter: text)
            }
        }
        var seen: [String: Int] = [:]
        for (i, name) in names.enumerated() {
            if let first = seen[name] {
                throw DataError.duplicateColumn(
                    SourceLocation(source: source, line: line, column: i + 1), name: name, firstColumn: first + 1)
            }
            seen[name] = i
        }
    }

    /// Checks the time column: increasing, and every cell a time when the column is one.
    ///
    /// A column is taken as time when at least half its cells parse (`TimeKey`) as the same
    /// kind (calendar or number) as the first cell that parses; then every other cell is an
    /// error (`1949-13` or `hello` among months). A column where fewer parse is a free label and
    /// is not checked. The first problem in file order is reported.
    func checkTimeOrder(_ table: Table) throws {
        guard let times = table.time, let name = table.timeName, times.count > 1, let field = timeField else { return }
        // Within each series of a many-series file (their rows may interleave); else over the whole column.
        let ids = table.seriesIDs
        var group: [String: Int] = [:]
        let groupOf: (Int) -> Int = { r in
            guard let ids else { return 0 }
            if let g = group[ids[r]] { return g }
            group[ids[r]] = group.count
            return group.count - 1
        }
        var kind: TimeKey.Kind?
        var previous: [(key: Double, row: Int)?] = []
        var parsedCount = 0
        var firstBad: Int?
        var firstDisorder: (row: Int, previous: Int)?
        for r in 0 ..< times.count {
            let g = groupOf(r)
            if g == previous.count { previous.append(nil) }
            guard let parsed = times.withBytes(r, TimeKey.orderKey(bytes:)), parsed.kind == (kind ?? parsed.kind) else {
                if firstBad == nil { firstBad = r }
                continue
            }
            kind = parsed.kind
            parsedCount += 1
            if let last = previous[g], parsed.key <= last.key, firstDisorder == nil { firstDisorder = (r, last.row) }
            previous[g] = (parsed.key, r)
        }
        if let bad = firstBad {
            guard parsedCount >= times.count - parsedCount else { return }  // mostly labels: not a time column
            if firstDisorder.map({ $0.row < bad }) != true {
                throw DataError.badTime(
                    SourceLocation(source: source, line: table.lines[bad], column: field + 1), column: name, text: times[bad])
            }
        }
        if let (r, p) = firstDisorder {
            // No bad cell before row r (it would have been reported): the previous cell parsed.
            let at = SourceLocation(source: source, line: table.lines[r])
            if let ids {
                throw DataError.seriesTimeNotIncreasing(at, series: ids[r], column: name, previous: times[p], current: times[r])
            }
            throw DataError.timeNotIncreasing(at, column: name, previous: times[p], current: times[r])
        }
    }
}
