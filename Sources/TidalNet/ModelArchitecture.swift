import TidalCore

/// The shape of a `SequenceModel`; saved in model files.
public struct ModelArchitecture: Sendable, Equatable, Codable {
    /// The recurrent cell.
    public var cell: CellKind
    /// Features per time step (the embedding dimension for token input).
    public var inputSize: Int
    /// Hidden units per recurrent layer.
    public var hiddenSize: Int
    /// Stacked recurrent layers.
    public var layers: Int
    /// Dropout rate in training, between stacked layers and on token embeddings (0 = none).
    public var dropout: Float
    /// Head outputs: `horizon × targets` for regression (times `quantiles` for a quantile
    /// forecaster), the class count for classification.
    public var outputSize: Int
    /// Steps of input the linear skip reads (the lookback), or 0 for no skip.
    public var skipSteps: Int
    /// Token vocabulary for an input embedding (`inputSize` is then its dimension), or 0 for numeric input.
    public var vocabularySize: Int
    /// Categorical covariates: per column, its vocabulary size and embedding size. Their vectors join
    /// the `inputSize` numeric features at every step.
    public var categoricalVocabularies: [Int] = []
    /// Per categorical covariate, the size of its embedding vectors.
    public var categoricalDimensions: [Int] = []
    /// Whether every recurrent layer also reads the sequence backwards (`bidirectional=True`); the
    /// head then reads `2 × hiddenSize` features.
    public var bidirectional = false
    /// What the head reads of the recurrent output sequence.
    public var pool: Pooling = .last
    /// Quantiles per forecast value (`--quantiles`), or 0 for a point model. With Q > 0 every group
    /// of Q adjacent outputs passes through `MonotoneQuantiles`, so those quantiles never cross.
    public var quantiles = 0

    /// Values per step reaching the recurrent layers: numeric features plus categorical embeddings.
    public var stepSize: Int { inputSize + categoricalDimensions.reduce(0, +) }
    /// Recurrent directions (D): 2 when bidirectional, else 1.
    public var directions: Int { bidirectional ? 2 : 1 }
    /// Features the head reads: `D × hiddenSize`, whatever the pooling.
    public var featureSize: Int { directions * hiddenSize }
    /// The attention pooling's inner size (`pool.weight` is `[attentionSize, featureSize]`): `hiddenSize`.
    public var attentionSize: Int { hiddenSize }

    /// An architecture without categorical covariates (set `categoricalVocabularies` and `categoricalDimensions` to add them).
    public init(
        cell: CellKind, inputSize: Int, hiddenSize: Int, layers: Int, dropout: Float = 0,
        outputSize: Int, skipSteps: Int = 0, vocabularySize: Int = 0, bidirectional: Bool = false, pool: Pooling = .last
    ) {
        self.cell = cell
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.dropout = dropout
        self.outputSize = outputSize
        self.skipSteps = skipSteps
        self.vocabularySize = vocabularySize
        self.bidirectional = bidirectional
        self.pool = pool
    }

    enum CodingKeys: String, CodingKey {
        case cell, inputSize, hiddenSize, layers, dropout, outputSize, skipSteps, vocabularySize
        case categoricalVocabularies, categoricalDimensions, bidirectional, pool, quantiles
    }

    /// Decodes an architecture; fields added later (vocabulary, categorical covariates,
    /// bidirectional, pool, quantiles) default to none, a single direction, the last state and a point head.
    /// - Throws: `DecodingError.dataCorrupted` at `pool` for a name that is no `Pooling`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        cell = try c.decode(CellKind.self, forKey: .cell)
        inputSize = try c.decode(Int.self, forKey: .inputSize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        layers = try c.decode(Int.self, forKey: .layers)
        dropout = try c.decode(Float.self, forKey: .dropout)
        outputSize = try c.decode(Int.self, forKey: .outputSize)
        skipSteps = try c.decode(Int.self, forKey: .skipSteps)
        vocabularySize = try c.decodeIfPresent(Int.self, forKey: .vocabularySize) ?? 0
        categoricalVocabularies = try c.decodeIfPresent([Int].self, forKey: .categoricalVocabularies) ?? []
        categoricalDimensions = try c.decodeIfPresent([Int].self, forKey: .categoricalDimensions) ?? []
        bidirectional = try c.decodeIfPresent(Bool.self, forKey: .bidirectional) ?? false
        if let name = try c.decodeIfPresent(String.self, forKey: .pool) {
            guard let pool = Pooling(rawValue: name) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .pool, in: c,
                    debugDescription: "\"\(name)\" is no pooling (\(Pooling.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            self.pool = pool
        }
        quantiles = try c.decodeIfPresent(Int.self, forKey: .quantiles) ?? 0
    }

    /// Encodes every field; `bidirectional`, `pool` and `quantiles` only when they differ from their
    /// defaults, so a model that uses none is described exactly as before they existed.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(cell, forKey: .cell)
        try c.encode(inputSize, forKey: .inputSize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(layers, forKey: .layers)
        try c.encode(dropout, forKey: .dropout)
        try c.encode(outputSize, forKey: .outputSize)
        try c.encode(skipSteps, forKey: .skipSteps)
        try c.encode(vocabularySize, forKey: .vocabularySize)
        try c.encode(categoricalVocabularies, forKey: .categoricalVocabularies)
        try c.encode(categoricalDimensions, forKey: .categoricalDimensions)
        if bidirectional { try c.encode(bidirectional, forKey: .bidirectional) }
        if pool != .last { try c.encode(pool, forKey: .pool) }
        if quantiles > 0 { try c.encode(quantiles, forKey: .quantiles) }
    }
}
