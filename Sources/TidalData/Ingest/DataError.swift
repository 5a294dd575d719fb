import TidalCore

/// Everything that can be wrong with input data, each case carrying where and what.
///
/// The description is one line in compiler style, for example
/// `prices.csv:1043:3: column "close": expected a number, found "12,5x"`.
public enum DataError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file could not be opened or read.
    case unreadable(path: String, reason: String)
    /// The input holds no bytes or only blank lines.
    case emptyInput(source: String)
    /// The input has a header but no data rows.
    case headerOnly(source: String)
    /// A row has a different number of fields than the header (or the first row).
    case raggedRow(SourceLocation, expected: Int, found: Int)
    /// A quoted field is never closed.
    case unterminatedQuote(SourceLocation)
    /// libcsv rejected the bytes (a stray quote in strict mode, for example).
    case malformed(SourceLocation, reason: String)
    /// A NUL byte, which never belongs in a text file.
    case nulByte(SourceLocation, byteOffset: Int)
    /// Bytes that are not UTF-8.
    case invalidUTF8(SourceLocation, column: String)
    /// A cell that should hold a number does not.
    case notANumber(SourceLocation, column: String, text: String)
    /// A number whose magnitude is beyond Float32's range (about ±3.4e38): it would become infinity.
    case outOfRange(SourceLocation, column: String, text: String)
    /// A cell of a time column that does not parse as a time while the column's other values do.
    case badTime(SourceLocation, column: String, text: String)
    /// A header names the same column twice; `column` of the location is the second one.
    case duplicateColumn(SourceLocation, name: String, firstColumn: Int)
    /// The header is one column that holds another delimiter (`;` or tab): the file was read with the wrong one.
    case wrongDelimiter(SourceLocation, header: String, delimiter: String)
    /// A missing value where the chosen policy does not allow one.
    case missingValue(SourceLocation, column: String)
    /// A column named on the command line is not in the input.
    case unknownColumn(source: String, requested: String, known: [String])
    /// The time column is not in increasing order.
    case timeNotIncreasing(SourceLocation, column: String, previous: String, current: String)
    /// Within one series of a many-series file, a time is not after the series' previous one.
    case seriesTimeNotIncreasing(SourceLocation, series: String, column: String, previous: String, current: String)
    /// A file of a fixed layout (UCR wide, long) breaks that layout.
    case layout(SourceLocation, reason: String)
    /// The data are too short or otherwise unusable for what was asked.
    case unusable(source: String, reason: String)

    /// The message, one line: where (`file:line:column`), what was wrong, and what to do.
    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "\(path): cannot read: \(reason)"
        case let .emptyInput(source):
            return "\(source): the input is empty; give a CSV file with a header row and data rows"
        case let .headerOnly(source):
            return "\(source): the input has a header but no data rows"
        case let .raggedRow(at, expected, found):
            return "\(at): expected \(expected) fields, found \(found); every row needs as many fields as the header"
        case let .unterminatedQuote(at):
            return "\(at): a quoted field is never closed; add the closing \" or remove the opening one"
        case let .malformed(at, reason):
            return "\(at): malformed CSV: \(reason)"
        case let .nulByte(at, offset):
            return "\(at): NUL byte at byte offset \(offset); this does not look like a text CSV file"
        case let .invalidUTF8(at, column):
            return "\(at): column \(Self.quote(column)): the bytes are not valid UTF-8; convert the file to UTF-8 (iconv -t UTF-8)"
        case let .notANumber(at, column, text):
            return "\(at): column \(Self.quote(column)): expected a number, found \(Self.quote(text))"
        case let .outOfRange(at, column, text):
            return "\(at): column \(Self.quote(column)): \(Self.quote(text)) is beyond the range of a 32-bit float (±3.4e38); "
                + "rescale the column"
        case let .badTime(at, column, text):
            return "\(at): time column \(Self.quote(column)): \(Self.quote(text)) is not a time like the column's other values "
                + "(YYYY, YYYY-MM, YYYY-MM-DD[THH:MM[:SS]], YYYYQn or a number); fix the cell"
        case let .duplicateColumn(at, name, firstColumn):
            return "\(at): column \(Self.quote(name)) appears twice in the header (also column \(firstColumn)); rename one of them"
        case let .wrongDelimiter(at, header, delimiter):
            let flag = delimiter == "\t" ? "tab" : delimiter
            return
                "\(at): the header \(Self.quote(header)) reads as one column but holds \(delimiter == "\t" ? "tabs" : "'\(delimiter)'"); "
                + "pass --delimiter '\(flag)'"
        case let .missingValue(at, column):
            return "\(at): column \(Self.quote(column)): missing value; use --fill ffill|linear|drop to fill or drop such rows"
        case let .unknownColumn(source, requested, known):
            let names =
                known.prefix(50).map(Self.quote).joined(separator: ", ") + (known.count > 50 ? ", … (\(known.count) columns)" : "")
            return "\(source): no column \(Self.quote(requested)); the columns are: \(names)"
        case let .seriesTimeNotIncreasing(at, series, column, previous, current):
            return
                "\(at): series \(Self.quote(series)): time column \(Self.quote(column)) is not increasing: \(Self.quote(current)) comes "
                + "after \(Self.quote(previous)); sort each series by time"
        case let .timeNotIncreasing(at, column, previous, current):
            return
                "\(at): time column \(Self.quote(column)) is not increasing: \(Self.quote(current)) comes after \(Self.quote(previous)); "
                + "sort the file by time"
        case let .layout(at, reason):
            return "\(at): \(reason)"
        case let .unusable(source, reason):
            return "\(source): \(reason)"
        }
    }

    /// The most characters of a cell a message quotes.
    public static let quotedCharacterLimit = 80

    /// `text` in double quotes for a message; a longer text is cut at `quotedCharacterLimit` characters
    /// with `…` and its full length, so one huge field cannot flood the terminal:
    /// `"aaaa…" (50000000 bytes)`.
    public static func quote(_ text: String) -> String {
        // Only the first characters are walked: a 50 MB field costs no more than a short one.
        var end = text.startIndex
        var count = 0
        while count < quotedCharacterLimit, end < text.endIndex {
            text.formIndex(after: &end)
            count += 1
        }
        if end == text.endIndex { return "\"\(text)\"" }
        return "\"\(text[..<end])…\" (\(text.utf8.count) bytes)"
    }
}
