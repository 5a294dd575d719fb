/// The series of a many-series table in long format, each one's rows gathered together.
///
/// Series are numbered in the order their first row appears; within a series the rows keep
/// file order (which the table has checked is time order). A table without a series column is
/// one series holding every row, in order.
public struct SeriesLayout: Sendable, Equatable {
    /// Each series' id, in order of first appearance; `[""]` for a table without a series column.
    public let names: [String]
    /// The table's row indices, series by series (a permutation of `0 ..< rowCount`).
    public let order: [Int]
    /// Each series' positions in `order`.
    public let ranges: [Range<Int>]
    /// Whether the table had a series column (even one holding a single id).
    public let isPanel: Bool

    /// The layout of `rowCount` rows whose series ids are `ids` (nil: one series, in order).
    public init(ids: [String]?, rowCount: Int) {
        guard let ids else {
            names = [""]
            order = Array(0 ..< rowCount)
            ranges = [0 ..< rowCount]
            isPanel = false
            return
        }
        var index: [String: Int] = [:]
        var names: [String] = []
        var rows: [[Int]] = []
        for (r, id) in ids.enumerated() {
            if let s = index[id] {
                rows[s].append(r)
            } else {
                index[id] = names.count
                names.append(id)
                rows.append([r])
            }
        }
        var order: [Int] = []
        order.reserveCapacity(ids.count)
        var ranges: [Range<Int>] = []
        for part in rows {
            ranges.append(order.count ..< order.count + part.count)
            order += part
        }
        self.names = names
        self.order = order
        self.ranges = ranges
        isPanel = true
    }

    /// The layout of `table`'s series (one series without a series column).
    public init(_ table: Table) { self.init(ids: table.seriesIDs, rowCount: table.rowCount) }

    /// Number of series.
    public var count: Int { names.count }

    /// `values` (`width` per row, in table order) with their rows in layout order.
    public func gather<T>(_ values: [T], width: Int) -> [T] {
        guard isPanel, width > 0 else { return values }
        var result: [T] = []
        result.reserveCapacity(values.count)
        for r in order { result += values[r * width ..< (r + 1) * width] }
        return result
    }
}
