import TidalCore

/// Stacked recurrent layers, as `nn.LSTM(input, hidden, num_layers, dropout=p, bidirectional=b)`:
/// layer k > 0 reads layer k − 1's output sequence; with `dropout > 0` and `training`, that
/// sequence is dropped out (inverted dropout, seeded) on its way up.
///
/// Bidirectional stacks give every layer a second `RecurrentLayer` (parameter names with the
/// suffix `_reverse`) that reads the sequence from the last step to the first: the stack copies
/// the layer's input reversed in time into a buffer of its own, runs the reverse layer on it as on
/// any sequence, and joins both outputs step by step, `[T, B, 2H]` with the forward half first.
/// Layer k > 0 then reads `2H` values per step. A left-padding mask is reversed with the input, so
/// the reverse direction reads the real steps first and keeps its state through the padding at the
/// end of its reading: its final state is the one after reading the first real step.
public final class RecurrentStack: ParameterOwner {
    /// The cell of every layer.
    public let cell: CellKind
    /// Input features per step of the first layer.
    public let inputSize: Int
    /// Hidden units of every layer.
    public let hiddenSize: Int
    /// The layers, bottom first (the forward direction of a bidirectional stack).
    public let layers: [RecurrentLayer]
    /// The reverse direction of each layer, bottom first; empty unless bidirectional.
    public let reverseLayers: [RecurrentLayer]
    /// Every layer and direction in PyTorch's order: index `layer × directions + direction`, as `h_n`.
    public let directionalLayers: [RecurrentLayer]
    /// Dropout rate between layers in training (0 = none).
    public let dropout: Float
    /// The dropout generator between layers; a training checkpoint saves and restores it.
    package var generator: SeededGenerator
    private let dropoutMasks: [FloatBuffer]
    private let droppedOutputs: [FloatBuffer]
    private let gradientScratch = FloatBuffer()
    private var usedDropout = false
    /// Bidirectional: the buffers joining and splitting the two directions (`RecurrentStack+Bidirectional.swift`).
    let joint = BidirectionalBuffers()

    /// Every parameter in `state_dict` order: per layer, the forward direction's, then the reverse direction's.
    public var parameters: [Parameter] { directionalLayers.flatMap(\.parameters) }
    /// The number of layers (L).
    public var layerCount: Int { layers.count }
    /// Whether every layer also reads the sequence backwards.
    public var isBidirectional: Bool { !reverseLayers.isEmpty }
    /// Directions per layer (D): 2 when bidirectional, else 1.
    public var directions: Int { isBidirectional ? 2 : 1 }
    /// Values per step of each layer's output: `D · H`.
    public var outputWidth: Int { directions * hiddenSize }

    /// A stack of `layers` layers (each direction initialised as `RecurrentLayer`, the forward one
    /// first, layer by layer, as PyTorch), then the dropout generator seeded from `generator`.
    /// - Parameters:
    ///   - prefix: module name before the PyTorch parameter names, e.g. `lstm.`.
    ///   - bidirectional: adds a reverse direction to every layer (`bidirectional=True`).
    public init(
        cell: CellKind, inputSize: Int, hiddenSize: Int, layers: Int, dropout: Float = 0,
        bidirectional: Bool = false, prefix: String = "", generator: inout SeededGenerator
    ) {
        precondition(layers >= 1, "a stack needs at least one layer")
        precondition((0 ..< 1).contains(dropout), "dropout must lie in [0, 1)")
        self.cell = cell
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.dropout = dropout
        let directions = bidirectional ? 2 : 1
        var forward: [RecurrentLayer] = [], reverse: [RecurrentLayer] = []
        for k in 0 ..< layers {
            let width = k == 0 ? inputSize : directions * hiddenSize
            forward.append(
                RecurrentLayer(cell: cell, inputSize: width, hiddenSize: hiddenSize, index: k, prefix: prefix, generator: &generator))
            if bidirectional {
                reverse.append(
                    RecurrentLayer(
                        cell: cell, inputSize: width, hiddenSize: hiddenSize, index: k, prefix: prefix, suffix: "_reverse",
                        generator: &generator))
            }
        }
        self.layers = forward
        reverseLayers = reverse
        directionalLayers = bidirectional ? zip(forward, reverse).flatMap { [$0, $1] } : forward
        self.generator = SeededGenerator(seed: generator.next())
        dropoutMasks = (0 ..< layers).map { _ in FloatBuffer() }
        droppedOutputs = (0 ..< layers).map { _ in FloatBuffer() }
        if bidirectional { joint.prepare(layers: layers) }
    }

    /// Top layer's output of every step `[T, B, D·H]` (bidirectional: the forward half first).
    package var output: UnsafePointer<Float> { isBidirectional ? joint.output : layers.last!.output }
    /// What a head on the last state reads, `[B, D·H]`: the top layer's final hidden state, or
    /// bidirectional, the forward direction's after the last step joined with the reverse
    /// direction's after reading step 0 (PyTorch's `h_n[-2]`, `h_n[-1]`).
    package var finalHidden: UnsafePointer<Float> { isBidirectional ? joint.finalHidden : layers.last!.finalHidden }

    /// Runs every layer.
    /// - Parameters:
    ///   - input: `[T, B, I]`; the first layer keeps a copy until `backward`.
    ///   - initialHidden: `[L·D, B, H]` (index `layer × D + direction`) or nil for zeros; `initialCell` likewise (LSTM).
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
        let stateSize = batch * hiddenSize, count = steps * batch * outputWidth
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
                    copyRows(rows, of: masks.layers[k].pointer, batch: masks.batch, steps: steps, width: outputWidth, into: m)
                }
            }
        }
        let reversedMask = isBidirectional ? mask.map { joint.reverseMask($0, steps: steps, batch: batch) } : nil
        var x = input
        for (k, layer) in layers.enumerated() {
            // Layers above the first read this stack's own buffers, which stay put until backward.
            let d = directions
            layer.forward(
                x, steps: steps, batch: batch,
                initialHidden: initialHidden.map { $0 + k * d * stateSize },
                initialCell: initialCell.map { $0 + k * d * stateSize }, mask: mask, borrowsInput: k > 0)
            if isBidirectional {
                forwardReverse(
                    k, x, steps: steps, batch: batch, initialHidden: initialHidden.map { $0 + (2 * k + 1) * stateSize },
                    initialCell: initialCell.map { $0 + (2 * k + 1) * stateSize }, mask: reversedMask)
                x = UnsafePointer(joint.outputs[k].pointer)
            } else {
                x = layer.output
            }
            if usedDropout && k < layers.count - 1 {
                let m = dropoutMasks[k].pointer, y = droppedOutputs[k].reserve(count)
                for i in 0 ..< count { y[i] = x[i] * m[i] }
                x = UnsafePointer(y)
            }
        }
        if isBidirectional { joint.joinFinalStates(layers.last!, reverseLayers.last!) }
    }

    /// Draws the masks a training `forward` over `[steps, batch]` would draw next, in the same order
    /// from the same generator, into `masks` (one `[T, B, D·H]` buffer per layer below the top).
    package func drawDropoutMasks(into masks: [FloatBuffer], steps: Int, batch: Int) {
        guard dropout > 0 else { return }
        let count = steps * batch * outputWidth
        for k in 0 ..< layers.count - 1 {
            drawDropoutMask(masks[k].reserve(count), count: count, rate: dropout, generator: &generator)
        }
    }

    /// Backpropagates through every layer (top first).
    /// - Parameters:
    ///   - outputGradient: dLoss/d(top output) `[T, B, D·H]` or nil.
    ///   - finalHiddenGradient: dLoss/dh_n `[L·D, B, H]`, or dLoss/d`finalHidden` `[B, D·H]` when `topOnly`.
    ///   - finalCellGradient: dLoss/dc_n in the same layout (LSTM), or nil.
    ///   - needInputGradient: whether dLoss/dInput is wanted (`inputGradient`).
    package func backward(
        outputGradient: UnsafePointer<Float>?, finalHiddenGradient: UnsafePointer<Float>?,
        finalCellGradient: UnsafePointer<Float>? = nil, topOnly: Bool = false,
        needInputGradient: Bool = false
    ) {
        let stateSize = layers[0].batch * hiddenSize, top = layers.count - 1
        var upstream = outputGradient
        for k in stride(from: top, through: 0, by: -1) {
            let layer = layers[k]
            var dh: UnsafePointer<Float>?
            var dc: UnsafePointer<Float>?
            if topOnly {
                dh = k == top ? finalHiddenGradient : nil
                dc = k == top ? finalCellGradient : nil
            } else {
                dh = finalHiddenGradient.map { $0 + k * directions * stateSize }
                dc = finalCellGradient.map { $0 + k * directions * stateSize }
            }
            let wantInput = k > 0 || needInputGradient
            let inputGradient: UnsafePointer<Float>
            if isBidirectional {
                inputGradient = backwardBidirectional(
                    k, outputGradient: upstream, finalHiddenGradient: dh, finalCellGradient: dc, joined: topOnly,
                    needInputGradient: wantInput)
            } else {
                layer.backward(outputGradient: upstream, finalHiddenGradient: dh, finalCellGradient: dc, needInputGradient: wantInput)
                inputGradient = layer.inputGradient
            }
            if k > 0 {
                if usedDropout {
                    let count = layer.steps * layer.batch * outputWidth
                    let g = gradientScratch.reserve(count), m = dropoutMasks[k - 1].pointer
                    for i in 0 ..< count { g[i] = inputGradient[i] * m[i] }
                    upstream = UnsafePointer(g)
                } else {
                    upstream = inputGradient
                }
            }
        }
    }

    /// dLoss/dInput `[T, B, I]` after `backward(needInputGradient: true)`.
    package var inputGradient: UnsafePointer<Float> { isBidirectional ? joint.inputGradient : layers[0].inputGradient }
}
