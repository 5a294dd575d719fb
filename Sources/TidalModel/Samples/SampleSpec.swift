import TidalData

/// How whole samples reach the network: their layout, channels, classes and scaling. Frozen into the model.
public struct SampleSpec: Sendable, Codable, Equatable {
    public enum Layout: String, Sendable, Codable {
        /// UCR wide rows `label,t0,…`.
        case ucr
        /// Long rows `sample,label,t,ch0,…`.
        case long
    }

    public var layout: Layout
    public var channels: Int
    /// Classification: class names in output order. Empty for regression.
    public var classes: [String]
    /// Per-channel scaling fitted on the training samples.
    public var normalizer: Normalizer
    /// Regression: the target's scaling (shift, scale).
    public var targetShift: Double
    public var targetScale: Double
    /// Longest training sample (for information).
    public var maxLength: Int
    /// Consecutive time steps grouped into one network step (1 = none). The network then sees
    /// `⌈length / patch⌉` steps of `patch × channels` features.
    public var patch: Int = 1

    /// Features per network step.
    public var stepFeatures: Int { patch * channels }

    /// A patch length that keeps a sample of `length` steps within about `maxSteps` network steps.
    public static func automaticPatch(length: Int, maxSteps: Int = 64) -> Int {
        max(1, (length + maxSteps - 1) / maxSteps)
    }
}
