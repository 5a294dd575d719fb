import TidalCore
import TidalData

/// The rows of its training file a model learned from, saved in the model file so that
/// `evaluate` can tell when the rows it scores are not new to the model.
///
/// The rows are those before the test part: the training part the weights were fitted on and the
/// validation part that chose the epoch count or stopped training early (neither is a test of the
/// model). Rows are 1-based data rows of the training file (the header not counted); for many
/// series they span the first to the last such row of any series, and the times the earliest and
/// latest of them.
public struct TrainingRange: Sendable, Codable, Equatable {
    /// The first data row (1-based) the model learned from.
    public var firstRow: Int
    /// The last data row (1-based) the model learned from.
    public var lastRow: Int
    /// The earliest time of those rows, when the file has a time column whose values are times.
    public var firstTime: String?
    /// The latest time of those rows.
    public var lastTime: String?

    /// A range from its parts.
    public init(firstRow: Int, lastRow: Int, firstTime: String? = nil, lastTime: String? = nil) {
        self.firstRow = firstRow
        self.lastRow = lastRow
        self.firstTime = firstTime
        self.lastTime = lastTime
    }

    /// `rows 1–115, 1949-01 … 1958-07`.
    public var description: String {
        "rows \(firstRow)–\(lastRow)" + (firstTime.map { first in ", \(first) … \(lastTime ?? first)" } ?? "")
    }

    /// How many of `times` lie between `firstTime` and `lastTime` (inclusive, as `TimeKey` orders
    /// them); 0 when the range has no times or a time is of another kind.
    public func overlapCount(_ times: [String]) -> Int {
        guard let firstTime, let lastTime, let low = Self.key(firstTime), let high = Self.key(lastTime) else { return 0 }
        return times.reduce(0) { count, text in
            guard let k = Self.key(text), k.kind == low.kind else { return count }
            return count + (k.key >= low.key && k.key <= high.key ? 1 : 0)
        }
    }

    static func key(_ text: String) -> (key: Double, kind: TimeKey.Kind)? {
        Array(text.utf8).withUnsafeBufferPointer(TimeKey.orderKey(bytes:))
    }
}

extension ForecastTask {
    /// The rows before each series' test part, in the table's row numbers and times.
    func learnedRange() -> TrainingRange? {
        var rows: [Int] = []
        for (range, split) in zip(layout.ranges, splits) where split.testStart > 0 {
            rows += layout.order[range.lowerBound ..< range.lowerBound + min(split.testStart, range.count)]
        }
        guard let first = rows.min(), let last = rows.max() else { return nil }
        var result = TrainingRange(firstRow: first + 1, lastRow: last + 1)
        // `time` is in layout order; positions before each test part.
        if let time {
            var keyed: [(key: Double, text: String)] = []
            var kind: TimeKey.Kind?
            for (range, split) in zip(layout.ranges, splits) {
                for p in range.lowerBound ..< range.lowerBound + min(split.testStart, range.count) {
                    guard let k = TrainingRange.key(time[p]), k.kind == (kind ?? k.kind) else { return result }
                    kind = k.kind
                    keyed.append((k.key, time[p]))
                }
            }
            result.firstTime = keyed.min { $0.key < $1.key }?.text
            result.lastTime = keyed.max { $0.key < $1.key }?.text
        }
        return result
    }
}
