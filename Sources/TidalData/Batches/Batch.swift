import TidalCore

/// One batch, time-major, in buffers reused from batch to batch.
///
/// A dataset fills it (`SampleSource.fill`); the network reads it. Every buffer keeps its
/// address until the next fill, so a network may hold on to the ids it reads until `backward`.
public final class Batch {
    /// Inputs `[steps, size, features]`.
    public let x = FloatBuffer()
    /// `[steps, size]`: 1 for real steps, 0 for left padding (used when `hasMask`).
    public let mask = FloatBuffer()
    /// Whether `mask` holds a mask for this batch (samples of different lengths).
    public var hasMask = false
    /// Regression targets `[size, outputs]` (scaled as the network sees them).
    public let targets = FloatBuffer()
    /// Class indices, `size` of them.
    public var labels: [Int32] = []
    /// Token ids `[steps, size]` for models with an embedding (when `hasTokens`).
    public let tokens = Buffer<Int32>()
    /// Whether `tokens` holds token ids for this batch.
    public var hasTokens = false
    /// Categorical covariate ids `[steps, size, categoryCount]`; `categoryCount` is 0 without them.
    public let categories = Buffer<Int32>()
    /// Categorical covariates per step and sample; 0 without them.
    public var categoryCount = 0
    /// Time steps in this batch.
    public var steps = 0
    /// Samples in this batch.
    public var size = 0

    /// An empty batch; `start(steps:size:features:)` shapes it.
    public init() {}

    /// Sets the shape and clears the optional inputs; a dataset's `fill` starts here.
    /// - Returns: room for the numeric inputs `[steps, size, features]`.
    @discardableResult
    public func start(steps: Int, size: Int, features: Int) -> UnsafeMutablePointer<Float> {
        self.steps = steps
        self.size = size
        hasMask = false
        hasTokens = false
        categoryCount = 0
        return x.reserve(steps * size * features)
    }

    /// Room for `[steps, size, count]` categorical ids, zeroed.
    public func reserveCategories(_ count: Int) -> UnsafeMutablePointer<Int32> {
        categoryCount = count
        categories.zero(steps * size * count)
        return categories.pointer
    }

    /// Room for `[steps, size]` token ids.
    public func reserveTokens() -> UnsafeMutablePointer<Int32> {
        hasTokens = true
        return tokens.reserve(steps * size)
    }
}

/// Samples a trainer can batch: windows of a series, whole labelled sequences, or documents.
public protocol SampleSource {
    /// Number of samples.
    var count: Int { get }
    /// Fills `batch` with the samples at `indices` (time-major, left-padded and masked if lengths differ).
    func fill(_ indices: [Int], into batch: Batch)
    /// The sample indices of each group balanced sampling draws from equally (each series'
    /// windows); nil when the samples form one group.
    var sampleGroups: [[Int]]? { get }
}

extension SampleSource {
    /// One group: every sample equally likely.
    public var sampleGroups: [[Int]]? { nil }
}
