extension SampleSet {
    /// Windows of `lookback` rows over a long series, each labelled by the label column at its
    /// last row: the windows ending at rows `ends` (every `stride`-th from the first complete one).
    ///
    /// - Parameters:
    ///   - table: the series, one row per time step.
    ///   - features: numeric columns of `table`, in channel order.
    ///   - label: a text or numeric column of `table` (numbers are written as `3`, or `2.5`).
    ///   - lookback: rows per window.
    ///   - stride: rows between the ends of successive windows.
    ///   - ends: the rows a window may end at (a window ending before row `lookback − 1` is skipped).
    ///   - categorical: columns of `table` read as text; each row's ids join its window's codes.
    public static func windows(
        of table: Table, features: [String], label: String, lookback: Int, stride: Int = 1,
        ends: Range<Int>, categorical: [CategoricalColumn] = []
    ) -> SampleSet {
        let F = features.count, K = categorical.count
        let columns = features.map { table.numeric($0)! }
        let labels = table.text(label) ?? table.numeric(label)!.map(formatLabel)
        let categoryValues = categorical.map { table.text($0.name)! }
        var set = SampleSet(source: table.source, channels: F, values: [], offsets: [0], labels: [], lines: [])
        set.categoryCount = K
        for e in Swift.stride(from: max(ends.lowerBound, lookback - 1), to: ends.upperBound, by: stride) {
            for r in (e - lookback + 1) ... e {
                for f in 0 ..< F { set.values.append(columns[f][r]) }
                for k in 0 ..< K { set.codes.append(categorical[k].id(of: categoryValues[k][r])) }
            }
            set.offsets.append(set.values.count / F)
            set.labels.append(labels[e])
            set.lines.append(table.lines[e])
        }
        return set
    }

    /// A numeric label as a class name: `3` for whole numbers, else the shortest float text.
    public static func formatLabel(_ v: Float) -> String { v == v.rounded() ? String(Int(v)) : "\(v)" }
}
