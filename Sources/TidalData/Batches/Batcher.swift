import TidalCore

/// How training batches pick their samples when the samples fall into groups (the windows of
/// each series in a many-series file).
public enum BatchSampling: String, CaseIterable, Sendable {
    /// Every sample equally likely: a long series contributes in proportion to its windows.
    case uniform
    /// Every group equally likely, then a sample within it: a short series is seen as often as a
    /// long one (draws with replacement, also within an epoch).
    case balanced
}

/// Splits sample indices into batches: a seeded shuffle for every training epoch, seeded uniform
/// draws for a step budget, a fixed order for evaluation. The last partial batch of an epoch is kept.
///
/// Batches themselves are filled time-major, `[T, B, F]`, the layout the recurrent core
/// reads: the per-step matrix product then sees one contiguous `[B, F]` block.
public struct SequenceBatcher: Sendable {
    /// Samples to batch, indexed `0 ..< sampleCount`.
    public let sampleCount: Int
    /// Samples per batch (the last one may hold fewer).
    public let batchSize: Int
    /// The shuffle generator; a training checkpoint saves and restores it.
    package var generator: SeededGenerator

    /// A batcher whose shuffles are fixed by `seed`.
    /// - Precondition: `batchSize >= 1`.
    public init(sampleCount: Int, batchSize: Int, seed: UInt64) {
        precondition(batchSize >= 1, "batch size must be at least 1")
        self.sampleCount = sampleCount
        self.batchSize = batchSize
        generator = SeededGenerator(seed: seed ^ 0xB47C_4E55_0000_0001)
    }

    /// Balanced sampling: the sample indices of each group (a series' windows). Every draw picks
    /// a group uniformly, then a sample in it uniformly; an epoch is then `sampleCount` such draws
    /// instead of a shuffle. Nil (fewer than two groups, or all of one size): every sample equally likely.
    public var groups: [[Int]]? {
        didSet { if let g = groups { groups = g.filter { !$0.isEmpty } } }
    }

    /// Whether draws go through `groups`: two or more of unequal sizes (groups of one size make
    /// balanced draws uniform ones, and the epoch stays a shuffle that visits every sample).
    var isBalanced: Bool {
        guard let groups, groups.count >= 2 else { return false }
        return groups.contains { $0.count != groups[0].count }
    }

    /// The next training epoch: every sample once, shuffled (Fisher–Yates), cut into batches;
    /// with `groups`, `sampleCount` balanced draws.
    public mutating func nextEpoch() -> [[Int]] {
        if isBalanced { return Self.cut((0 ..< sampleCount).map { _ in balancedDraw() }, batchSize) }
        var order = Array(0 ..< sampleCount)
        if sampleCount > 1 {
            for i in stride(from: sampleCount - 1, to: 0, by: -1) {
                let j = Int(generator.next() % UInt64(i + 1))
                order.swapAt(i, j)
            }
        }
        return Self.cut(order, batchSize)
    }

    /// `batches` batches of `batchSize` samples, each drawn uniformly from all samples (with
    /// replacement): the batches of a step budget, which need not visit every sample.
    /// With `groups`, each sample is a balanced draw.
    public mutating func nextDraw(batches: Int) -> [[Int]] {
        if isBalanced { return (0 ..< batches).map { _ in (0 ..< batchSize).map { _ in balancedDraw() } } }
        return (0 ..< batches).map { _ in (0 ..< batchSize).map { _ in uniform(below: sampleCount) } }
    }

    /// A uniform integer in `0 ..< n`. Multiply-shift (Lemire): `⌊r · n / 2⁶⁴⌋` is uniform up to
    /// n / 2⁶⁴, and needs no division.
    mutating func uniform(below n: Int) -> Int { Int(generator.next().multipliedFullWidth(by: UInt64(n)).high) }

    /// A group uniformly, then one of its samples uniformly.
    mutating func balancedDraw() -> Int {
        let group = groups![uniform(below: groups!.count)]
        return group[uniform(below: group.count)]
    }

    /// Evaluation batches: samples in their stored order.
    public func evaluationBatches() -> [[Int]] { Self.cut(Array(0 ..< sampleCount), batchSize) }

    static func cut(_ order: [Int], _ size: Int) -> [[Int]] {
        stride(from: 0, to: order.count, by: size).map { Array(order[$0 ..< min($0 + size, order.count)]) }
    }
}
