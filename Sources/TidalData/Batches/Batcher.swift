import TidalCore

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

    /// The next training epoch: every sample once, shuffled (Fisher–Yates), cut into batches.
    public mutating func nextEpoch() -> [[Int]] {
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
    public mutating func nextDraw(batches: Int) -> [[Int]] {
        let n = UInt64(sampleCount)
        // Multiply-shift (Lemire): `⌊r · n / 2⁶⁴⌋` is uniform on `0 ..< n` up to n / 2⁶⁴, and needs no division.
        return (0 ..< batches).map { _ in
            (0 ..< batchSize).map { _ in Int(generator.next().multipliedFullWidth(by: n).high) }
        }
    }

    /// Evaluation batches: samples in their stored order.
    public func evaluationBatches() -> [[Int]] { Self.cut(Array(0 ..< sampleCount), batchSize) }

    static func cut(_ order: [Int], _ size: Int) -> [[Int]] {
        stride(from: 0, to: order.count, by: size).map { Array(order[$0 ..< min($0 + size, order.count)]) }
    }
}
