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
}
