import TidalCore

/// Stacked recurrent layers, as `nn.LSTM(input, hidden, num_layers, dropout=p)`: layer k > 0
/// reads layer k − 1's output sequence; with `dropout > 0` and `training`, that sequence is
/// dropped out (inverted dropout, seeded) on its way up.
public final class RecurrentStack: ParameterOwner {
    /// The cell of every layer.
    public let cell: CellKind
    /// Input features per step of the first layer.
    public let inputSize: Int
    /// Hidden units of every layer.
    public let hiddenSize: Int
    /// The layers, bottom first.
    public let layers: [RecurrentLayer]
    /// Dropout rate between layers in training (0 = none).
    public let dropout: Float
    /// The dropout generator between layers; a training checkpoint saves and restores it.
    package var generator: SeededGenerator
    private let dropoutMasks: [FloatBuffer]
    private let droppedOutputs: [FloatBuffer]
    private let gradientScratch = FloatBuffer()
    private var usedDropout = false

    /// Every layer's parameters, bottom layer first.
    public var parameters: [Parameter] { layers.flatMap(\.parameters) }
    /// The number of layers (L).
    public var layerCount: Int { layers.count }

    /// A stack of `layers` layers, each initialised as `RecurrentLayer`, then the dropout generator seeded from `generator`.
    /// - Parameter prefix: module name before the PyTorch parameter names, e.g. `lstm.`.
    public init(
        cell: CellKind, inputSize: Int, hiddenSize: Int, layers: Int, dropout: Float = 0,
        prefix: String = "", generator: inout SeededGenerator
    ) {
        precondition(layers >= 1, "a stack needs at least one layer")
        precondition((0 ..< 1).contains(dropout), "dropout must lie in [0, 1)")
        self.cell = cell
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.dropout = dropout
        self.layers = (0 ..< layers).map { k in
            RecurrentLayer(
                cell: cell, inputSize: k == 0 ? inputSize : hiddenSize, hiddenSize: hiddenSize,
                index: k, prefix: prefix, generator: &generator)
        }
        self.generator = SeededGenerator(seed: generator.next())
        dropoutMasks = (0 ..< layers).map { _ in FloatBuffer() }
        droppedOutputs = (0 ..< layers).map { _ in FloatBuffer() }
    }

    /// Top layer's output of every step `[T, B, H]`.
    package var output: UnsafePointer<Float> { layers.last!.output }
    /// Top layer's final hidden state `[B, H]`.
    package var finalHidden: UnsafePointer<Float> { layers.last!.finalHidden }

    /// Runs every layer.
    /// - Parameters:
    ///   - input: `[T, B, I]`; the first layer keeps a copy until `backward`.
    ///   - initialHidden: `[L, B, H]` or nil for zeros; `initialCell` likewise (LSTM).
    ///   - mask: `[T, B]` with 0 on left padding, or nil.
    ///   - training: applies dropout between layers when true.
    package func forward(
        _ input: UnsafePointer<Float>, steps: Int, batch: Int,
        initialHidden: UnsafePointer<Float>? = nil, initialCell: UnsafePointer<Float>? = nil,
        mask: UnsafePointer<Float>? = nil, training: Bool = false
    ) {
        forward(
            input, steps: steps, batch: batch, initialHidden: initialHidden, initialCell: initialCell, mask: mask,
            dropout: DropoutPlan(training: training))
    }

    /// Runs every layer, with the dropout masks `plan` says: drawn here (in layer order, from this
    /// stack's generator), or the given rows of masks drawn ahead by `drawDropoutMasks(into:steps:batch:)`.
    package func forward(
        _ input: UnsafePointer<Float>, steps: Int, batch: Int,
        initialHidden: UnsafePointer<Float>? = nil, initialCell: UnsafePointer<Float>? = nil,
        mask: UnsafePointer<Float>? = nil, dropout plan: DropoutPlan
    ) {
        let stateSize = batch * hiddenSize, count = steps * stateSize
        usedDropout = plan.isTraining && dropout > 0
        if usedDropout {
            for k in 0 ..< layers.count - 1 {
                let m = dropoutMasks[k].reserve(count)
                switch plan {
                case .off: break
                case .draw: drawDropoutMask(m, count: count, rate: dropout, generator: &generator)
                case let .supplied(masks, rows):
                    precondition(
                        masks.steps == steps && rows.count == batch && rows.upperBound <= masks.batch,
                        "dropout masks drawn for another batch")
                    copyRows(rows, of: masks.layers[k].pointer, batch: masks.batch, steps: steps, width: hiddenSize, into: m)
                }
            }
        }
        var x = input
        for (k, layer) in layers.enumerated() {
            // Layers above the first read this stack's own buffers, which stay put until backward.
            layer.forward(
                x, steps: steps, batch: batch,
                initialHidden: initialHidden.map { $0 + k * stateSize },
                initialCell: initialCell.map { $0 + k * stateSize }, mask: mask, borrowsInput: k > 0)
            x = layer.output
            if usedDropout && k < layers.count - 1 {
                let m = dropoutMasks[k].pointer, y = droppedOutputs[k].reserve(count)
                for i in 0 ..< count { y[i] = x[i] * m[i] }
                x = UnsafePointer(y)
            }
        }
    }

    /// Draws the masks a training `forward` over `[steps, batch]` would draw next, in the same order
    /// from the same generator, into `masks` (one `[T, B, H]` buffer per layer below the top).
    package func drawDropoutMasks(into masks: [FloatBuffer], steps: Int, batch: Int) {
        guard dropout > 0 else { return }
        let count = steps * batch * hiddenSize
        for k in 0 ..< layers.count - 1 {
            drawDropoutMask(masks[k].reserve(count), count: count, rate: dropout, generator: &generator)
        }
    }

    /// Backpropagates through every layer (top first).
    /// - Parameters:
    ///   - outputGradient: dLoss/d(top output) `[T, B, H]` or nil.
    ///   - finalHiddenGradient: dLoss/dh_n `[L, B, H]`, or `[B, H]` for the top layer only when `topOnly`.
    ///   - needInputGradient: whether dLoss/dInput is wanted (`inputGradient`).
    package func backward(
        outputGradient: UnsafePointer<Float>?, finalHiddenGradient: UnsafePointer<Float>?,
        finalCellGradient: UnsafePointer<Float>? = nil, topOnly: Bool = false,
        needInputGradient: Bool = false
    ) {
        let stateSize = layers[0].batch * hiddenSize
        var upstream = outputGradient
        for k in stride(from: layers.count - 1, through: 0, by: -1) {
            let layer = layers[k]
            let dh: UnsafePointer<Float>?
            let dc: UnsafePointer<Float>?
            if topOnly {
                dh = k == layers.count - 1 ? finalHiddenGradient : nil
                dc = k == layers.count - 1 ? finalCellGradient : nil
            } else {
                dh = finalHiddenGradient.map { $0 + k * stateSize }
                dc = finalCellGradient.map { $0 + k * stateSize }
            }
            layer.backward(
                outputGradient: upstream, finalHiddenGradient: dh, finalCellGradient: dc,
                needInputGradient: k > 0 || needInputGradient)
            if k > 0 {
                if usedDropout {
                    let count = layer.steps * stateSize
                    let g = gradientScratch.reserve(count), m = dropoutMasks[k - 1].pointer, d = layer.inputGradient
                    for i in 0 ..< count { g[i] = d[i] * m[i] }
                    upstream = UnsafePointer(g)
                } else {
                    upstream = layer.inputGradient
                }
            }
        }
    }

    /// dLoss/dInput `[T, B, I]` after `backward(needInputGradient: true)`.
    package var inputGradient: UnsafePointer<Float> { layers[0].inputGradient }
}
