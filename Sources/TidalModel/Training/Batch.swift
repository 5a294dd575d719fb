import TidalNet

/// One batch, time-major, in buffers reused from batch to batch.
public final class Batch {
    /// Inputs `[steps, size, features]`.
    public let x = FloatBuffer()
    /// `[steps, size]`: 1 for real steps, 0 for left padding (used when `hasMask`).
    public let mask = FloatBuffer()
    public var hasMask = false
    /// Regression targets `[size, outputs]` (scaled as the network sees them).
    public let targets = FloatBuffer()
    /// Class indices, `size` of them.
    public var labels: [Int32] = []
    /// Token ids `[steps, size]` for models with an embedding; empty for numeric input.
    public var tokens: [Int32] = []
    /// Categorical covariate ids `[steps, size, K]`; empty when the model has none.
    public var categories: [Int32] = []
    public var steps = 0
    public var size = 0

    public init() {}
}

extension SequenceModel {
    /// Runs the model on a filled batch: token ids when the batch has them, numbers otherwise.
    @discardableResult
    public func forward(_ batch: Batch, training: Bool = false) -> UnsafePointer<Float> {
        let mask = batch.hasMask ? UnsafePointer(batch.mask.pointer) : nil
        if !batch.categories.isEmpty {
            return batch.categories.withUnsafeBufferPointer {
                forward(batch.x.pointer, categories: $0.baseAddress!, steps: batch.steps, batch: batch.size, mask: mask, training: training)
            }
        }
        if !batch.tokens.isEmpty {
            return batch.tokens.withUnsafeBufferPointer { forward(tokens: $0.baseAddress!, steps: batch.steps, batch: batch.size, mask: mask, training: training) }
        }
        return forward(batch.x.pointer, steps: batch.steps, batch: batch.size, mask: mask, training: training)
    }
}

/// Samples a trainer can batch: windows of a series, or whole labelled sequences.
public protocol SampleSource {
    /// Number of samples.
    var count: Int { get }
    /// Fills `batch` with the samples at `indices` (time-major, left-padded and masked if lengths differ).
    func fill(_ indices: [Int], into batch: Batch)
}

/// What the network is trained to do.
public enum Objective: Sendable, Equatable {
    case regression(RegressionLoss)
    case classification(classes: Int)
}
