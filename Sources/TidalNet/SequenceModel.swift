import TidalCore

/// The shape of a `SequenceModel`; saved in model files.
public struct ModelArchitecture: Sendable, Equatable, Codable {
    public var cell: CellKind
    /// Features per time step.
    public var inputSize: Int
    public var hiddenSize: Int
    public var layers: Int
    public var dropout: Float
    /// Head outputs: `horizon × targets` for regression, the class count for classification.
    public var outputSize: Int
    /// Steps of input the linear skip reads (the lookback), or 0 for no skip.
    public var skipSteps: Int
    /// Token vocabulary for an input embedding (`inputSize` is then its dimension), or 0 for numeric input.
    public var vocabularySize: Int
    /// Categorical covariates: per column, its vocabulary size and embedding size. Their vectors join
    /// the `inputSize` numeric features at every step.
    public var categoricalVocabularies: [Int] = []
    public var categoricalDimensions: [Int] = []

    /// Values per step reaching the recurrent layers: numeric features plus categorical embeddings.
    public var stepSize: Int { inputSize + categoricalDimensions.reduce(0, +) }

    public init(cell: CellKind, inputSize: Int, hiddenSize: Int, layers: Int, dropout: Float = 0,
                outputSize: Int, skipSteps: Int = 0, vocabularySize: Int = 0) {
        self.cell = cell
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.dropout = dropout
        self.outputSize = outputSize
        self.skipSteps = skipSteps
        self.vocabularySize = vocabularySize
    }

    enum CodingKeys: String, CodingKey {
        case cell, inputSize, hiddenSize, layers, dropout, outputSize, skipSteps, vocabularySize
        case categoricalVocabularies, categoricalDimensions
    }

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
    }
}

/// Recurrent layers, then a linear head on the last hidden state; optionally plus a linear
/// map of the whole input window (an autoregressive "highway", as in LSTNet — Lai et al.,
/// "Modeling Long- and Short-Term Temporal Patterns with Deep Neural Networks", 2018), which
/// lets a forecaster keep the scale and the seasonal lags that a saturating network loses.
///
/// `y = head(h_T) [+ skip(x_1 … x_T)]`. Parameter names follow PyTorch modules:
/// `lstm.weight_ih_l0`, …, `head.weight`, `head.bias`, `skip.weight`, `skip.bias`.
public final class SequenceModel: ParameterOwner {
    public let architecture: ModelArchitecture
    public let recurrent: RecurrentStack
    public let head: Linear
    public let skip: Linear?
    /// Token input (text): ids → vectors before the recurrent layers.
    public let embedding: Embedding?
    /// One embedding per categorical covariate.
    public let categorical: [Embedding]
    private var categoricalIDs: [UnsafeMutablePointer<Int32>] = []
    private var categoricalCapacity = 0
    private let combinedInput = FloatBuffer()
    private let combinedGradient = FloatBuffer()
    private let columnGradient = FloatBuffer()
    private let outputBuffer = FloatBuffer()
    private let flatWindow = FloatBuffer()
    private let embeddingMask = FloatBuffer()
    private let droppedEmbedding = FloatBuffer()
    private let embeddingGradient = FloatBuffer()
    private var droppedOut = false
    private var dropoutGenerator: SeededGenerator
    private var batch = 0
    private var steps = 0

    public var parameters: [Parameter] {
        (embedding?.parameters ?? []) + categorical.flatMap(\.parameters) + recurrent.parameters + head.parameters + (skip?.parameters ?? [])
    }

    public init(_ architecture: ModelArchitecture, seed: UInt64) {
        self.architecture = architecture
        var generator = SeededGenerator(seed: seed)
        dropoutGenerator = SeededGenerator(seed: seed ^ 0xD40F)
        embedding = architecture.vocabularySize > 0
            ? Embedding(vocabularySize: architecture.vocabularySize, dimension: architecture.inputSize, paddingIndex: 0, prefix: "embedding.", generator: &generator)
            : nil
        categorical = zip(architecture.categoricalVocabularies, architecture.categoricalDimensions).enumerated().map { k, sizes in
            Embedding(vocabularySize: sizes.0, dimension: sizes.1, paddingIndex: nil, prefix: "categorical\(k).", generator: &generator)
        }
        recurrent = RecurrentStack(cell: architecture.cell, inputSize: architecture.stepSize, hiddenSize: architecture.hiddenSize,
                                   layers: architecture.layers, dropout: architecture.dropout,
                                   prefix: architecture.cell.moduleName + ".", generator: &generator)
        head = Linear(inputSize: architecture.hiddenSize, outputSize: architecture.outputSize, prefix: "head.", generator: &generator)
        if architecture.skipSteps > 0 {
            let s = Linear(inputSize: architecture.skipSteps * architecture.stepSize, outputSize: architecture.outputSize,
                           prefix: "skip.", generator: &generator)
            // Start the skip at zero: the network begins as the plain recurrent model.
            for i in s.weight.value.indices { s.weight.value[i] = 0 }
            for i in s.bias.value.indices { s.bias.value[i] = 0 }
            skip = s
        } else {
            skip = nil
        }
    }

    /// Parameters by name.
    public var parametersByName: [String: Parameter] {
        Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0) })
    }

    /// Runs the model on `x` `[T, B, F]` (time-major); returns `[B, outputSize]`.
    /// - Parameters:
    ///   - mask: `[T, B]` with 0 on left padding, or nil.
    ///   - training: enables dropout.
    @discardableResult
    public func forward(_ x: UnsafePointer<Float>, steps: Int, batch: Int, mask: UnsafePointer<Float>? = nil,
                        training: Bool = false) -> UnsafePointer<Float> {
        self.batch = batch
        self.steps = steps
        recurrent.forward(x, steps: steps, batch: batch, mask: mask, training: training)
        let y = head.forward(recurrent.finalHidden, batch: batch)
        guard let skip else { return y }
        precondition(steps == architecture.skipSteps, "the skip connection needs windows of exactly \(architecture.skipSteps) steps")
        let F = architecture.stepSize, O = architecture.outputSize
        let flat = flatWindow.reserve(batch * steps * F)
        for t in 0 ..< steps { for b in 0 ..< batch { (flat + (b * steps + t) * F).update(from: x + (t * batch + b) * F, count: F) } }
        let s = skip.forward(UnsafePointer(flat), batch: batch)
        let out = outputBuffer.reserve(batch * O)
        for i in 0 ..< batch * O { out[i] = y[i] + s[i] }
        return UnsafePointer(out)
    }

    deinit { for p in categoricalIDs { p.deallocate() } }

    /// Runs the model on numeric features `x` `[T, B, F]` plus categorical ids `[T, B, K]` (one per covariate):
    /// each id's embedding vector joins the step's features. Returns `[B, outputSize]`.
    @discardableResult
    public func forward(_ x: UnsafePointer<Float>, categories: UnsafePointer<Int32>, steps: Int, batch: Int,
                        mask: UnsafePointer<Float>? = nil, training: Bool = false) -> UnsafePointer<Float> {
        let rows = steps * batch, F = architecture.inputSize, S = architecture.stepSize, K = categorical.count
        if rows > categoricalCapacity {
            for p in categoricalIDs { p.deallocate() }
            categoricalIDs = (0 ..< K).map { _ in .allocate(capacity: rows) }
            categoricalCapacity = rows
        }
        let combined = combinedInput.reserve(rows * S)
        for r in 0 ..< rows { (combined + r * S).update(from: x + r * F, count: F) }
        var offset = F
        for (k, embedding) in categorical.enumerated() {
            let ids = categoricalIDs[k], E = embedding.dimension
            for r in 0 ..< rows { ids[r] = categories[r * K + k] }
            let vectors = embedding.forward(ids, count: rows)
            for r in 0 ..< rows { (combined + r * S + offset).update(from: vectors + r * E, count: E) }
            offset += E
        }
        return forward(UnsafePointer(combined), steps: steps, batch: batch, mask: mask, training: training)
    }

    /// Runs the model on token ids `[T, B]` (time-major) through the embedding; returns `[B, outputSize]`.
    @discardableResult
    public func forward(tokens: UnsafePointer<Int32>, steps: Int, batch: Int, mask: UnsafePointer<Float>? = nil,
                        training: Bool = false) -> UnsafePointer<Float> {
        guard let embedding else { preconditionFailure("this model has no embedding; give numeric input") }
        var x = embedding.forward(tokens, count: steps * batch)
        // With dropout, embedding vectors are dropped out too (inverted dropout, training only).
        droppedOut = training && architecture.dropout > 0
        if droppedOut {
            let n = steps * batch * architecture.inputSize
            let m = embeddingMask.reserve(n), y = droppedEmbedding.reserve(n)
            let keep = 1 - architecture.dropout, scale = 1 / keep
            for i in 0 ..< n {
                m[i] = dropoutGenerator.uniform(0, 1) < keep ? scale : 0
                y[i] = x[i] * m[i]
            }
            x = UnsafePointer(y)
        }
        return forward(x, steps: steps, batch: batch, mask: mask, training: training)
    }

    /// The gradient reaching each categorical embedding: from the recurrent input and from the skip.
    private func backwardCategorical(_ skipInputGradient: UnsafePointer<Float>?) {
        let T = recurrent.layers[0].steps, B = recurrent.layers[0].batch, rows = T * B
        let F = architecture.inputSize, S = architecture.stepSize
        let d = combinedGradient.reserve(rows * S)
        d.update(from: recurrent.inputGradient, count: rows * S)
        if let skipInputGradient {
            // The skip saw the window flattened as [B, T·S].
            for b in 0 ..< B { for t in 0 ..< T {
                let src = skipInputGradient + (b * T + t) * S, dst = d + (t * B + b) * S
                for c in 0 ..< S { dst[c] += src[c] }
            } }
        }
        var offset = F
        for embedding in categorical {
            let E = embedding.dimension
            let g = columnGradient.reserve(rows * E)
            for r in 0 ..< rows { (g + r * E).update(from: d + r * S + offset, count: E) }
            embedding.backward(g)
            offset += E
        }
    }

    /// Backpropagates dLoss/dOutput `[B, outputSize]` through the last `forward`, adding to every gradient.
    public func backward(_ outputGradient: UnsafePointer<Float>) {
        let skipInputGradient = skip.map { $0.backward(outputGradient) }
        let dh = head.backward(outputGradient)
        recurrent.backward(outputGradient: nil, finalHiddenGradient: dh, topOnly: true, needInputGradient: embedding != nil || !categorical.isEmpty)
        if !categorical.isEmpty { backwardCategorical(skipInputGradient) }
        if let embedding {
            if droppedOut {
                let n = recurrent.layers[0].steps * recurrent.layers[0].batch * architecture.inputSize
                let g = embeddingGradient.reserve(n), d = recurrent.inputGradient, m = embeddingMask.pointer
                for i in 0 ..< n { g[i] = d[i] * m[i] }
                embedding.backward(g)
            } else {
                embedding.backward(recurrent.inputGradient)
            }
        }
    }
}
