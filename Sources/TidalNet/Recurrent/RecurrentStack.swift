import TidalCore

/// Stacked recurrent layers, as `nn.LSTM(input, hidden, num_layers, dropout=p)`: layer k > 0
/// reads layer k − 1's output sequence; with `dropout > 0` and `training`, that sequence is
/// dropped out (inverted dropout, seeded) on its way up.
public final class RecurrentStack: ParameterOwner {
    public let cell: CellKind
    public let inputSize: Int
    public let hiddenSize: Int
    public let layers: [RecurrentLayer]
    public let dropout: Float
    private var generator: SeededGenerator
    private let dropoutMasks: [FloatBuffer]
    private let droppedOutputs: [FloatBuffer]
    private let gradientScratch = FloatBuffer()
    private var usedDropout = false

    public var parameters: [Parameter] { layers.flatMap(\.parameters) }
    public var layerCount: Int { layers.count }

    /// - Parameter prefix: module name before the PyTorch parameter names, e.g. `lstm.`.
    public init(cell: CellKind, inputSize: Int, hiddenSize: Int, layers: Int, dropout: Float = 0,
                prefix: String = "", generator: inout SeededGenerator) {
        precondition(layers >= 1, "a stack needs at least one layer")
        precondition((0 ..< 1).contains(dropout), "dropout must lie in [0, 1)")
        self.cell = cell
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.dropout = dropout
        self.layers = (0 ..< layers).map { k in
            RecurrentLayer(cell: cell, inputSize: k == 0 ? inputSize : hiddenSize, hiddenSize: hiddenSize,
                           index: k, prefix: prefix, generator: &generator)
        }
        self.generator = SeededGenerator(seed: generator.next())
        dropoutMasks = (0 ..< layers).map { _ in FloatBuffer() }
        droppedOutputs = (0 ..< layers).map { _ in FloatBuffer() }
    }

    /// Top layer's output of every step `[T, B, H]`.
    public var output: UnsafePointer<Float> { layers.last!.output }
    /// Top layer's final hidden state `[B, H]`.
    public var finalHidden: UnsafePointer<Float> { layers.last!.finalHidden }

    /// Runs every layer.
    /// - Parameters:
    ///   - initialHidden: `[L, B, H]` or nil for zeros; `initialCell` likewise (LSTM).
    ///   - training: applies dropout between layers when true.
    public func forward(_ input: UnsafePointer<Float>, steps: Int, batch: Int,
                        initialHidden: UnsafePointer<Float>? = nil, initialCell: UnsafePointer<Float>? = nil,
                        mask: UnsafePointer<Float>? = nil, training: Bool = false) {
        let stateSize = batch * hiddenSize
        usedDropout = training && dropout > 0
        var x = input
        for (k, layer) in layers.enumerated() {
            layer.forward(x, steps: steps, batch: batch,
                          initialHidden: initialHidden.map { $0 + k * stateSize },
                          initialCell: initialCell.map { $0 + k * stateSize }, mask: mask)
            x = layer.output
            if usedDropout && k < layers.count - 1 {
                let count = steps * stateSize
                let m = dropoutMasks[k].reserve(count), y = droppedOutputs[k].reserve(count)
                let keep = 1 - dropout, scale = 1 / keep
                for i in 0 ..< count {
                    m[i] = generator.uniform(0, 1) < keep ? scale : 0
                    y[i] = x[i] * m[i]
                }
                x = UnsafePointer(y)
            }
        }
    }

    /// Backpropagates through every layer (top first).
    /// - Parameters:
    ///   - outputGradient: dLoss/d(top output) `[T, B, H]` or nil.
    ///   - finalHiddenGradient: dLoss/dh_n `[L, B, H]`, or `[B, H]` for the top layer only when `topOnly`.
    ///   - needInputGradient: whether dLoss/dInput is wanted (`inputGradient`).
    public func backward(outputGradient: UnsafePointer<Float>?, finalHiddenGradient: UnsafePointer<Float>?,
                         finalCellGradient: UnsafePointer<Float>? = nil, topOnly: Bool = false,
                         needInputGradient: Bool = false) {
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
            layer.backward(outputGradient: upstream, finalHiddenGradient: dh, finalCellGradient: dc,
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
    public var inputGradient: UnsafePointer<Float> { layers[0].inputGradient }
}
