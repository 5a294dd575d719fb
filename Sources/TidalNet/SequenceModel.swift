import TidalCore

/// Recurrent layers (optionally bidirectional), then a linear head on the last hidden state or on
/// a pooling of the whole output sequence (`Pooling`); optionally plus a linear map of the whole
/// input window (an autoregressive "highway", as in LSTNet — Lai et al., "Modeling Long- and
/// Short-Term Temporal Patterns with Deep Neural Networks", 2018), which lets a forecaster keep
/// the scale and the seasonal lags that a saturating network loses.
///
/// `y = head(h_T or pool(o_1 … o_T)) [+ skip(x_1 … x_T)]`; a quantile forecaster
/// (`architecture.quantiles > 0`) then passes `y` through `MonotoneQuantiles`, so its quantiles
/// never cross. Parameter names follow PyTorch modules:
/// `lstm.weight_ih_l0`, `lstm.weight_ih_l0_reverse`, …, `pool.weight`, `pool.bias`, `pool.vector`,
/// `head.weight`, `head.bias`, `skip.weight`, `skip.bias`.
public final class SequenceModel: ParameterOwner {
    /// The shape this model was built with.
    public let architecture: ModelArchitecture
    /// The recurrent layers.
    public let recurrent: RecurrentStack
    /// The pooling of the output sequence the head reads, or nil for the last state (`Pooling.last`).
    public let pool: PoolingLayer?
    /// The linear head on the last hidden state (or the pooled sequence).
    public let head: Linear
    /// The linear map of the flattened input window (`skipSteps > 0`), or nil.
    public let skip: Linear?
    /// The monotone quantile transform after the head and skip (`architecture.quantiles > 0`), or nil.
    public let quantileHead: MonotoneQuantiles?
    /// Token input (text): ids → vectors before the recurrent layers.
    public let embedding: Embedding?
    /// One embedding per categorical covariate.
    public let categorical: [Embedding]
    /// One categorical column's ids `[T·B]` on their way into its embedding (which keeps a copy).
    private let columnIDs = Buffer<Int32>()
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
    /// The states of every generator training draws from (embedding dropout, then the stack's
    /// dropout between layers), for training checkpoints; setting it continues from saved states.
    package var dropoutGenerators: [SeededGenerator] {
        get { [dropoutGenerator, recurrent.generator] }
        set {
            precondition(newValue.count == 2, "a SequenceModel has two dropout generators")
            dropoutGenerator = newValue[0]
            recurrent.generator = newValue[1]
        }
    }
    private var batch = 0
    private var steps = 0

    /// Every parameter in `state_dict` order: embeddings, recurrent layers, pooling, head, skip.
    public var parameters: [Parameter] {
        (embedding?.parameters ?? []) + categorical.flatMap(\.parameters) + recurrent.parameters + (pool?.parameters ?? [])
            + head.parameters + (skip?.parameters ?? [])
    }

    /// A model of the given shape, every parameter initialised from one generator seeded with `seed`
    /// (as PyTorch's defaults; the skip starts at zero). The attention pooling draws last, so the
    /// other parameters start the same whatever the pooling.
    public init(_ architecture: ModelArchitecture, seed: UInt64) {
        self.architecture = architecture
        var generator = SeededGenerator(seed: seed)
        dropoutGenerator = SeededGenerator(seed: seed ^ 0xD40F)
        embedding =
            architecture.vocabularySize > 0
            ? Embedding(
                vocabularySize: architecture.vocabularySize, dimension: architecture.inputSize, paddingIndex: 0, prefix: "embedding.",
                generator: &generator)
            : nil
        categorical = zip(architecture.categoricalVocabularies, architecture.categoricalDimensions).enumerated().map { k, sizes in
            Embedding(vocabularySize: sizes.0, dimension: sizes.1, paddingIndex: nil, prefix: "categorical\(k).", generator: &generator)
        }
        recurrent = RecurrentStack(
            cell: architecture.cell, inputSize: architecture.stepSize, hiddenSize: architecture.hiddenSize,
            layers: architecture.layers, dropout: architecture.dropout, bidirectional: architecture.bidirectional,
            prefix: architecture.cell.moduleName + ".", generator: &generator)
        head = Linear(inputSize: architecture.featureSize, outputSize: architecture.outputSize, prefix: "head.", generator: &generator)
        if architecture.skipSteps > 0 {
            let s = Linear(
                inputSize: architecture.skipSteps * architecture.stepSize, outputSize: architecture.outputSize,
                prefix: "skip.", generator: &generator)
            // Start the skip at zero: the network begins as the plain recurrent model.
            for i in s.weight.value.indices { s.weight.value[i] = 0 }
            for i in s.bias.value.indices { s.bias.value[i] = 0 }
            skip = s
        } else {
            skip = nil
        }
        quantileHead = architecture.quantiles > 0 ? MonotoneQuantiles(quantiles: architecture.quantiles) : nil
        pool =
            architecture.pool == .last
            ? nil
            : PoolingLayer(
                architecture.pool, width: architecture.featureSize, attentionSize: architecture.attentionSize, generator: &generator)
    }

    /// Parameters by name.
    public var parametersByName: [String: Parameter] {
        Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0) })
    }

    /// Runs the model on `x` `[T, B, F]` (time-major); returns `[B, outputSize]`, valid until the next forward.
    /// The layers keep copies of what `backward` needs, so `x` and `mask` may change once it returns.
    /// - Parameters:
    ///   - mask: `[T, B]` with 0 on left padding, or nil.
    ///   - training: enables dropout.
    @discardableResult
    package func forward(
        _ x: UnsafePointer<Float>, steps: Int, batch: Int, mask: UnsafePointer<Float>? = nil,
        training: Bool = false
    ) -> UnsafePointer<Float> {
        forward(x, steps: steps, batch: batch, mask: mask, dropout: DropoutPlan(training: training))
    }

    /// Runs the model on `x` `[T, B, stepSize]` with the dropout masks `plan` says.
    func forward(
        _ x: UnsafePointer<Float>, steps: Int, batch: Int, mask: UnsafePointer<Float>?,
        dropout plan: DropoutPlan
    ) -> UnsafePointer<Float> {
        self.batch = batch
        self.steps = steps
        recurrent.forward(x, steps: steps, batch: batch, mask: mask, dropout: plan)
        let features = pool?.forward(recurrent.output, steps: steps, batch: batch, mask: mask) ?? recurrent.finalHidden
        let y = head.forward(features, batch: batch)
        guard let skip else { return quantileHead?.forward(y, count: batch * architecture.outputSize) ?? y }
        precondition(steps == architecture.skipSteps, "the skip connection needs windows of exactly \(architecture.skipSteps) steps")
        let F = architecture.stepSize, O = architecture.outputSize
        let flat = flatWindow.reserve(batch * steps * F)
        for t in 0 ..< steps { for b in 0 ..< batch { (flat + (b * steps + t) * F).update(from: x + (t * batch + b) * F, count: F) } }
        let s = skip.forward(UnsafePointer(flat), batch: batch)
        let out = outputBuffer.reserve(batch * O)
        for i in 0 ..< batch * O { out[i] = y[i] + s[i] }
        return quantileHead?.forward(UnsafePointer(out), count: batch * O) ?? UnsafePointer(out)
    }

    /// Runs the model on numeric features `x` `[T, B, F]` plus categorical ids `[T, B, K]` (one per covariate):
    /// each id's embedding vector joins the step's features. Returns `[B, outputSize]`, valid until the next forward.
    @discardableResult
    package func forward(
        _ x: UnsafePointer<Float>, categories: UnsafePointer<Int32>, steps: Int, batch: Int,
        mask: UnsafePointer<Float>? = nil, training: Bool = false
    ) -> UnsafePointer<Float> {
        forward(x, categories: categories, steps: steps, batch: batch, mask: mask, dropout: DropoutPlan(training: training))
    }

    func forward(
        _ x: UnsafePointer<Float>, categories: UnsafePointer<Int32>, steps: Int, batch: Int,
        mask: UnsafePointer<Float>?, dropout plan: DropoutPlan
    ) -> UnsafePointer<Float> {
        let rows = steps * batch, F = architecture.inputSize, S = architecture.stepSize, K = categorical.count
        let combined = combinedInput.reserve(rows * S)
        for r in 0 ..< rows { (combined + r * S).update(from: x + r * F, count: F) }
        var offset = F
        let ids = columnIDs.reserve(rows)
        for (k, embedding) in categorical.enumerated() {
            let E = embedding.dimension
            for r in 0 ..< rows { ids[r] = categories[r * K + k] }
            let vectors = embedding.forward(ids, count: rows)
            for r in 0 ..< rows { (combined + r * S + offset).update(from: vectors + r * E, count: E) }
            offset += E
        }
        return forward(UnsafePointer(combined), steps: steps, batch: batch, mask: mask, dropout: plan)
    }

    /// Runs the model on token ids `[T, B]` (time-major) through the embedding; returns `[B, outputSize]`,
    /// valid until the next forward.
    @discardableResult
    package func forward(
        tokens: UnsafePointer<Int32>, steps: Int, batch: Int, mask: UnsafePointer<Float>? = nil,
        training: Bool = false
    ) -> UnsafePointer<Float> {
        forward(tokens: tokens, steps: steps, batch: batch, mask: mask, dropout: DropoutPlan(training: training))
    }

    func forward(
        tokens: UnsafePointer<Int32>, steps: Int, batch: Int, mask: UnsafePointer<Float>?,
        dropout plan: DropoutPlan
    ) -> UnsafePointer<Float> {
        guard let embedding else { preconditionFailure("this model has no embedding; give numeric input") }
        var x = embedding.forward(tokens, count: steps * batch)
        // With dropout, embedding vectors are dropped out too (inverted dropout, training only).
        droppedOut = plan.isTraining && architecture.dropout > 0
        if droppedOut {
            let E = architecture.inputSize, n = steps * batch * E
            let m = embeddingMask.reserve(n), y = droppedEmbedding.reserve(n)
            switch plan {
            case .off: break
            case .draw: drawDropoutMask(m, count: n, rate: architecture.dropout, generator: &dropoutGenerator)
            case let .supplied(masks, rows):
                precondition(
                    masks.hasEmbedding && masks.steps == steps && rows.count == batch && rows.upperBound <= masks.batch,
                    "dropout masks drawn for another batch")
                copyRows(rows, of: masks.embedding.pointer, batch: masks.batch, steps: steps, width: E, into: m)
            }
            for i in 0 ..< n { y[i] = x[i] * m[i] }
            x = UnsafePointer(y)
        }
        return forward(x, steps: steps, batch: batch, mask: mask, dropout: plan)
    }

    /// Draws the dropout masks a training forward over `[steps, batch]` would draw next — on the token
    /// embeddings (when `tokens`) and between stacked layers — from the same generators in the same
    /// order, into `masks`. Nothing is drawn without dropout.
    package func drawDropoutMasks(into masks: DropoutMasks, steps: Int, batch: Int, tokens: Bool) {
        masks.steps = steps
        masks.batch = batch
        masks.hasEmbedding = false
        guard architecture.dropout > 0 else { return }
        if tokens && embedding != nil {
            let n = steps * batch * architecture.inputSize
            drawDropoutMask(masks.embedding.reserve(n), count: n, rate: architecture.dropout, generator: &dropoutGenerator)
            masks.hasEmbedding = true
        }
        recurrent.drawDropoutMasks(into: masks.layers, steps: steps, batch: batch)
    }

    /// The embeddings (token, then categorical), whose gradients are row-sparse.
    var embeddings: [Embedding] { (embedding.map { [$0] } ?? []) + categorical }

    /// The gradient reaching each categorical embedding: from the recurrent input and from the skip.
    private func backwardCategorical(_ skipInputGradient: UnsafePointer<Float>?) {
        let T = recurrent.layers[0].steps, B = recurrent.layers[0].batch, rows = T * B
        let F = architecture.inputSize, S = architecture.stepSize
        let d = combinedGradient.reserve(rows * S)
        d.update(from: recurrent.inputGradient, count: rows * S)
        if let skipInputGradient {
            // The skip saw the window flattened as [B, T·S].
            for b in 0 ..< B {
                for t in 0 ..< T {
                    let src = skipInputGradient + (b * T + t) * S, dst = d + (t * B + b) * S
                    for c in 0 ..< S { dst[c] += src[c] }
                }
            }
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
    package func backward(_ outputGradient: UnsafePointer<Float>) {
        let outputGradient = quantileHead?.backward(outputGradient) ?? outputGradient
        let skipInputGradient = skip.map { $0.backward(outputGradient) }
        let dFeatures = head.backward(outputGradient)
        let needInputGradient = embedding != nil || !categorical.isEmpty
        if let pool {
            recurrent.backward(outputGradient: pool.backward(dFeatures), finalHiddenGradient: nil, needInputGradient: needInputGradient)
        } else {
            recurrent.backward(outputGradient: nil, finalHiddenGradient: dFeatures, topOnly: true, needInputGradient: needInputGradient)
        }
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
