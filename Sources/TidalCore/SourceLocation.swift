/// Where in an input a problem was found: the source's name, a 1-based line and column.
///
/// Printed the way compilers print positions, `prices.csv:1043:3`, so editors and
/// terminals can jump to it.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    /// The file path as the user gave it, or `<stdin>`.
    public var source: String
    /// 1-based line number in the input (physical lines, counting `\n`).
    public var line: Int
    /// 1-based column: the field number for CSV cells, the byte in the line for byte-level faults.
    public var column: Int?

    /// A location in `source`; `column` nil when the problem concerns the whole line.
    public init(source: String, line: Int, column: Int? = nil) {
        self.source = source
        self.line = line
        self.column = column
    }

    /// `source:line:column`, or `source:line` without a column.
    public var description: String {
        if let column { return "\(source):\(line):\(column)" }
        return "\(source):\(line)"
    }
}
