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
    /// A missing value where the chosen policy does not allow one.
    case missingValue(SourceLocation, column: String)
    /// A column named on the command line is not in the input.
    case unknownColumn(source: String, requested: String, known: [String])
    /// The time column is not in increasing order.
    case timeNotIncreasing(SourceLocation, column: String, previous: String, current: String)
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
            return "\(at): column \"\(column)\": the bytes are not valid UTF-8; convert the file to UTF-8 (iconv -t UTF-8)"
        case let .notANumber(at, column, text):
            return "\(at): column \"\(column)\": expected a number, found \"\(text)\""
        case let .missingValue(at, column):
            return "\(at): column \"\(column)\": missing value; use --fill ffill|linear|drop to fill or drop such rows"
        case let .unknownColumn(source, requested, known):
            return "\(source): no column \"\(requested)\"; the columns are: \(known.map { "\"\($0)\"" }.joined(separator: ", "))"
        case let .timeNotIncreasing(at, column, previous, current):
            return "\(at): time column \"\(column)\" is not increasing: \"\(current)\" comes after \"\(previous)\"; sort the file by time"
        case let .layout(at, reason):
            return "\(at): \(reason)"
        case let .unusable(source, reason):
            return "\(source): \(reason)"
        }
    }
}
