/// How whole samples reach the network: their layout, channels, classes and scaling. Frozen into the model.
public struct SampleSpec: Sendable, Codable, Equatable {
    /// Where the samples come from.
    public enum Layout: String, Sendable, Codable {
        /// UCR wide rows `label,t0,…`.
        case ucr
        /// Long rows `sample,label,t,ch0,…`.
        case long
        /// Windows of `lookback` rows over a series, labelled by a label column at each window's
        /// last row (`SeriesWindowSpec`).
        case window
    }

    /// UCR rows, long rows, or windows of a series.
    public var layout: Layout
    /// Values per time step of a sample.
    public var channels: Int
    /// Classification: class names in output order. Empty for regression.
    public var classes: [String]
    /// Per-channel scaling fitted on the training samples.
    public var normalizer: Normalizer
    /// Regression: the target's scaling, `target = (value − targetShift) / targetScale`.
    public var targetShift: Double
    /// Regression: the divisor of the target's scaling (see `targetShift`); 1 for classification.
    public var targetScale: Double
    /// Longest training sample (for information).
    public var maxLength: Int
    /// Consecutive time steps grouped into one network step (1 = none). The network then sees
    /// `⌈length / patch⌉` steps of `patch × channels` features.
    public var patch: Int = 1

    /// A spec from its parts.
    /// - Parameters:
    ///   - layout: UCR rows, long rows, or windows of a series.
    ///   - channels: values per time step.
    ///   - classes: class names in output order; empty for regression.
    ///   - normalizer: per-channel scaling fitted on the training samples.
    ///   - targetShift: regression: subtracted from the target before `targetScale` divides it.
    ///   - targetScale: regression: divides the shifted target.
    ///   - maxLength: the longest training sample's length.
    ///   - patch: time steps per network step (see `automaticPatch`).
    public init(
        layout: Layout, channels: Int, classes: [String], normalizer: Normalizer, targetShift: Double = 0,
        targetScale: Double = 1, maxLength: Int, patch: Int
    ) {
        self.layout = layout
        self.channels = channels
        self.classes = classes
        self.normalizer = normalizer
        self.targetShift = targetShift
        self.targetScale = targetScale
        self.maxLength = maxLength
        self.patch = patch
    }

    /// True for one number per sample, false for classes.
    public var isRegression: Bool { classes.isEmpty }
    /// Features per network step.
    public var stepFeatures: Int { patch * channels }
    /// Network steps of the longest sample, `⌈maxLength / patch⌉`.
    public var steps: Int { (maxLength + patch - 1) / patch }
    /// Network outputs: one per class, or one number.
    public var outputCount: Int { isRegression ? 1 : classes.count }

    /// A patch length that keeps a sample of `length` steps within about `maxSteps` network steps.
    public static func automaticPatch(length: Int, maxSteps: Int = 64) -> Int {
        max(1, (length + maxSteps - 1) / maxSteps)
    }
}

/// Windows of `lookback` rows over one labelled series, each classified by the label column at
/// its last row. Frozen into the model; on disk it is the `samples` object with layout `window`
/// and the window's fields beside the sample fields.
public struct SeriesWindowSpec: Sendable, Equatable {
    /// How each window reaches the network (layout `.window`, `maxLength` = `lookback`).
    public var sample: SampleSpec
    /// The numeric feature columns, in channel order.
    public var columns: [String]
    /// The column whose value at a window's last row is the window's class.
    public var labelColumn: String
    /// Rows per window.
    public var lookback: Int
    /// The time column, printed beside each prediction; nil when the input has none.
    public var timeColumn: String?
    /// Categorical covariates (vocabulary from the training rows, embedding size).
    public var categorical: [CategoricalColumn]

    /// A window spec from its parts; `sample.layout` should be `.window` and `sample.maxLength` `lookback`.
    public init(
        sample: SampleSpec, columns: [String], labelColumn: String, lookback: Int, timeColumn: String?,
        categorical: [CategoricalColumn] = []
    ) {
        self.sample = sample
        self.columns = columns
        self.labelColumn = labelColumn
        self.lookback = lookback
        self.timeColumn = timeColumn
        self.categorical = categorical
    }
}

extension SeriesWindowSpec: Codable {
    enum WindowKeys: String, CodingKey { case columns, labelColumn, lookback, timeColumn, categorical }

    /// Decodes the `samples` object: the sample fields and the window's beside them.
    public init(from decoder: any Decoder) throws {
        sample = try SampleSpec(from: decoder)
        let c = try decoder.container(keyedBy: WindowKeys.self)
        columns = try c.decode([String].self, forKey: .columns)
        labelColumn = try c.decode(String.self, forKey: .labelColumn)
        lookback = try c.decode(Int.self, forKey: .lookback)
        timeColumn = try c.decodeIfPresent(String.self, forKey: .timeColumn)
        categorical = try c.decodeIfPresent([CategoricalColumn].self, forKey: .categorical) ?? []
    }

    /// Encodes the sample fields and the window's into one object.
    public func encode(to encoder: any Encoder) throws {
        try sample.encode(to: encoder)
        var c = encoder.container(keyedBy: WindowKeys.self)
        try c.encode(columns, forKey: .columns)
        try c.encode(labelColumn, forKey: .labelColumn)
        try c.encode(lookback, forKey: .lookback)
        try c.encodeIfPresent(timeColumn, forKey: .timeColumn)
        if !categorical.isEmpty { try c.encode(categorical, forKey: .categorical) }
    }
}
