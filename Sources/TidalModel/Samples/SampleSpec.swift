import TidalData

/// How whole samples reach the network: their layout, channels, classes and scaling. Frozen into the model.
public struct SampleSpec: Sendable, Codable, Equatable {
    public enum Layout: String, Sendable, Codable {
        /// UCR wide rows `label,t0,…`.
        case ucr
        /// Long rows `sample,label,t,ch0,…`.
        case long
        /// Windows of `lookback` rows over a series, labelled by a label column at each window's last row.
        case window
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

    /// `.window` layout: the feature columns in order, the label column, the window length and the time column.
    public var columns: [String]?
    public var labelColumn: String?
    public var lookback: Int?
    public var timeColumn: String?
    /// `.window` layout: categorical covariates (vocabulary from the training rows, embedding size).
    public var categorical: [ForecastSpec.CategoricalColumn]?

    /// Features per network step.
    public var stepFeatures: Int { patch * channels }
    /// Network steps of the longest sample, `⌈maxLength / patch⌉`.
    public var steps: Int { (maxLength + patch - 1) / patch }

    /// A patch length that keeps a sample of `length` steps within about `maxSteps` network steps.
    public static func automaticPatch(length: Int, maxSteps: Int = 64) -> Int {
        max(1, (length + maxSteps - 1) / maxSteps)
    }
}
