/// Text documents of a CSV file: one per row, with their labels when the file has a label column.
public struct Documents: Sendable {
    /// Each document's text.
    public var texts: [String]
    /// Each document's label as written (nil when no label column was asked for).
    public var labels: [String]?
    /// Each document's input line (for messages).
    public var lines: [Int]

    /// Reads the text column (and the label column) of a CSV file; other columns are ignored.
    public static func load(path: String, textColumn: String, labelColumn: String?, options: TableOptions) throws -> Documents {
        var o = options
        o.numericColumns = []
        o.textColumns = [textColumn] + (labelColumn.map { [$0] } ?? [])
        o.timeColumn = o.timeColumn ?? ""
        let table = try Table.load(path: path, options: o)
        return Documents(
            texts: table.text(table.names[0])!, labels: labelColumn.map { _ in table.text(table.names[1])! }, lines: table.lines)
    }

    /// The documents at `range`.
    public func slice(_ range: Range<Int>) -> Documents {
        Documents(texts: Array(texts[range]), labels: labels.map { Array($0[range]) }, lines: Array(lines[range]))
    }

    /// Number of documents.
    public var count: Int { texts.count }
}
