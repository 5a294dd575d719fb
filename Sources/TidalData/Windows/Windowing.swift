/// How windows are cut from a series: `lookback` input rows, `horizon` target rows, every `stride` rows.
public struct WindowSpec: Sendable, Equatable, Codable {
    /// Input rows per window.
    public var lookback: Int
    /// Target rows per window.
    public var horizon: Int
    /// Rows between successive window origins.
    public var stride: Int

    /// A window spec.
    /// - Precondition: `lookback`, `horizon` and `stride` are at least 1.
    public init(lookback: Int, horizon: Int = 1, stride: Int = 1) {
        precondition(lookback >= 1 && horizon >= 1 && stride >= 1, "lookback, horizon and stride must be at least 1")
        self.lookback = lookback
        self.horizon = horizon
        self.stride = stride
    }
}

/// The chronological split of `rowCount` rows into training, validation and test parts.
///
/// Test starts at `s = floor((1 − testFraction) · n)` (the protocol of `bench/baselines.md`);
/// validation is the last `valFraction` of the rows before `s`; training is what precedes it.
public struct ChronologicalSplit: Sendable, Equatable {
    /// Rows split.
    public let rowCount: Int
    /// Rows `0 ..< trainEnd` are training rows.
    public let trainEnd: Int
    /// Rows `trainEnd ..< testStart` are validation rows; `testStart ..< rowCount` are test rows.
    public let testStart: Int

    /// Splits `n` rows.
    /// - Precondition: both fractions lie in [0, 1).
    public init(rowCount n: Int, testFraction: Double, valFraction: Double) {
        precondition((0 ..< 1).contains(testFraction) && (0 ..< 1).contains(valFraction), "fractions must lie in [0, 1)")
        rowCount = n
        testStart = Int((Double(n) * (1 - testFraction)).rounded(.down))
        trainEnd = testStart - Int((Double(testStart) * valFraction).rounded(.down))
    }

    /// Splits `n` rows with the test part starting at row `testStart` (a cut at a time); the
    /// validation part is the last `valFraction` of the rows before it.
    /// - Precondition: `0 ≤ testStart ≤ n` and `valFraction` lies in [0, 1).
    public init(rowCount n: Int, testStart: Int, valFraction: Double) {
        precondition((0 ... n).contains(testStart) && (0 ..< 1).contains(valFraction), "testStart must lie in 0...n")
        rowCount = n
        self.testStart = testStart
        trainEnd = testStart - Int((Double(testStart) * valFraction).rounded(.down))
    }
}

/// Window origins per part. An origin `o` is the first target row: the window's inputs are
/// rows `o − lookback ..< o`, its targets rows `o ..< o + horizon`. A window belongs to the
/// part its targets lie in; its lookback may reach back into the earlier part.
public struct WindowOrigins: Sendable, Equatable {
    /// Origins of the windows whose targets are training rows.
    public var train: [Int]
    /// Origins of the windows whose targets are validation rows.
    public var validation: [Int]
    /// Origins of the windows whose targets are test rows.
    public var test: [Int]

    /// The origins of every part, `stride` apart from each part's first possible origin.
    public init(split: ChronologicalSplit, spec: WindowSpec) {
        func origins(_ from: Int, _ to: Int) -> [Int] {
            // targets within from ..< to; anchored at the part's first possible origin
            let first = max(from, spec.lookback)
            let last = to - spec.horizon
            guard first <= last else { return [] }
            return Array(Swift.stride(from: first, through: last, by: spec.stride))
        }
        train = origins(0, split.trainEnd)
        validation = origins(split.trainEnd, split.testStart)
        test = origins(split.testStart, split.rowCount)
    }

    /// Every origin whose lookback is complete, `lookback ... rowCount` (the last one forecasts
    /// past the end of the data): what `forecast --all` and `replay` predict.
    public static func all(rowCount: Int, lookback: Int) -> ClosedRange<Int>? {
        rowCount >= lookback ? lookback ... rowCount : nil
    }
}
