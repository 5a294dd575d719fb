import TidalCore

/// One recurrent layer over a whole sequence, with explicit backpropagation through time.
///
/// Data are time-major: the input is `[T, B, I]`, the output `[T, B, H]`, so the input
/// projection of all steps is one GEMM and the recurrent product of each step is one GEMM
/// over the batch. The gate nonlinearities and the state update of a step are one fused
/// loop. Every buffer is owned by the layer and reused from batch to batch: nothing is
/// allocated inside the time loop.
///
/// Parameters keep PyTorch's names and layouts: `weight_ih_l{k}` `[G·H, I]`,
/// `weight_hh_l{k}` `[G·H, H]`, `bias_ih_l{k}` and `bias_hh_l{k}` `[G·H]`.
///
/// An optional mask `[T, B]` (1 = real step, 0 = padding) leaves the state unchanged on
/// padded steps, so a left-padded sequence gives exactly what it gives alone.
///
/// ```swift
/// let layer = RecurrentLayer(cell: .lstm, inputSize: 3, hiddenSize: 8, index: 0, generator: &g)
/// layer.forward(x, steps: T, batch: B)
/// layer.backward(outputGradient: dY, finalHiddenGradient: nil, finalCellGradient: nil)
/// ```
public final class RecurrentLayer: ParameterOwner {
    /// The cell (LSTM, GRU, RNN).
    public let cell: CellKind
    /// Input features per step (I).
    public let inputSize: Int
    /// Hidden units (H).
    public let hiddenSize: Int
    /// `weight_ih_l{k}` `[G·H, I]`.
    public let weightIH: Parameter
    /// `weight_hh_l{k}` `[G·H, H]`.
    public let weightHH: Parameter
    /// `bias_ih_l{k}` `[G·H]`.
    public let biasIH: Parameter
    /// `bias_hh_l{k}` `[G·H]`.
    public let biasHH: Parameter

    /// `[weightIH, weightHH, biasIH, biasHH]`, PyTorch's order.
    public var parameters: [Parameter] { [weightIH, weightHH, biasIH, biasHH] }

    // Forward cache (sizes of the last forward call).
    /// Steps (T) of the last forward call.
    public private(set) var steps = 0
    /// Batch size (B) of the last forward call.
    public private(set) var batch = 0
    /// The last forward's input `[T, B, I]`: `inputCopy`, or a buffer of the enclosing stack (`borrowsInput`).
    var input: UnsafePointer<Float>?
    /// The last forward's mask `[T, B]` (`maskCopy`), or nil.
    var mask: UnsafePointer<Float>?
    /// The layer's own copies of the caller's input and mask, kept for `backward`.
    let inputCopy = FloatBuffer()
    let maskCopy = FloatBuffer()
    /// Gate pre-activations, then (after each step) activations: `[T, B, G·H]`.
    let gates = FloatBuffer()
    /// Hidden states `[(T + 1), B, H]`; block 0 is the initial state.
    let hidden = FloatBuffer()
    /// LSTM cell states `[(T + 1), B, H]`; block 0 is the initial state.
    let cellState = FloatBuffer()
    /// LSTM: tanh of the cell state `[T, B, H]`; GRU: `W_hn h + b_hn` per step `[T, B, H]`.
    let auxiliary = FloatBuffer()
    /// GRU: the recurrent projection of one step `[B, 3H]`.
    let stepScratch = FloatBuffer()
    /// `W_hh` transposed, `[H, G·H]`, laid out once per forward call for the small-matrix kernel.
    let recurrentWeightTransposed = FloatBuffer()
    /// Whether the per-step products of the last forward call use `SmallGEMM` (else OpenBLAS).
    var usesSmallKernel = false
    /// Whether `recurrentWeightTransposed` holds the current `W_hh` (only trusted while `weightsFrozen`).
    var transposedLayoutIsCurrent = false

    /// Promise that the weights no longer change (inference). The layer then lays `W_hh` out for
    /// its kernel once and reuses that layout in every later call, which is what makes one-row
    /// calls (replay) cheap. Setting it again, or to false, discards the layout.
    public var weightsFrozen = false {
        didSet { transposedLayoutIsCurrent = false }
    }

    // Backward buffers.
    let gateGradient = FloatBuffer()  // [T, B, G·H] (GRU: input-side)
    let recurrentGateGradient = FloatBuffer()  // GRU only: [T, B, H], hidden side of the n gate (r · dA_n)
    let hiddenGradient = FloatBuffer()  // [B, H]
    let cellGradient = FloatBuffer()  // [B, H]
    /// Gradient with respect to the input sequence `[T, B, I]`, after `backward`.
    let inputGradientBuffer = FloatBuffer()

    /// When true, `backward` records `Σ (dLoss/dh_t)²` over the batch for every step in `stepGradientSquares`.
    public var tracksStepGradients = false
    /// Per step t: the squared norm of the gradient reaching the hidden state h_t (valid when tracked).
    public private(set) var stepGradientSquares: [Double] = []

    /// Creates a layer with PyTorch's default initialisation U(−1/√H, 1/√H).
    /// - Parameters:
    ///   - index: the layer's index `k` in its stack, used in parameter names.
    ///   - prefix: module name before the names, e.g. `lstm.`.
    ///   - suffix: after the names: `_reverse` for the backward direction of a bidirectional layer.
    public init(
        cell: CellKind, inputSize: Int, hiddenSize: Int, index: Int = 0, prefix: String = "", suffix: String = "",
        generator: inout SeededGenerator
    ) {
        precondition(inputSize >= 1 && hiddenSize >= 1, "sizes must be positive")
        self.cell = cell
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        let g = cell.gateCount * hiddenSize
        weightIH = Parameter(name: "\(prefix)weight_ih_l\(index)\(suffix)", shape: [g, inputSize])
        weightHH = Parameter(name: "\(prefix)weight_hh_l\(index)\(suffix)", shape: [g, hiddenSize])
        biasIH = Parameter(name: "\(prefix)bias_ih_l\(index)\(suffix)", shape: [g])
        biasHH = Parameter(name: "\(prefix)bias_hh_l\(index)\(suffix)", shape: [g])
        let bound = 1 / Float(hiddenSize).squareRoot()
        for p in parameters { p.initializeUniform(bound: bound, generator: &generator) }
    }

    var gateWidth: Int { cell.gateCount * hiddenSize }

    /// The output of every step, `[T, B, H]`, valid after `forward`.
    package var output: UnsafePointer<Float> { UnsafePointer(hidden.pointer + batch * hiddenSize) }
    /// The final hidden state `[B, H]`.
    package var finalHidden: UnsafePointer<Float> { UnsafePointer(hidden.pointer + steps * batch * hiddenSize) }
    /// The final cell state `[B, H]` (LSTM only).
    package var finalCell: UnsafePointer<Float> { UnsafePointer(cellState.pointer + steps * batch * hiddenSize) }
    /// dLoss/dInput `[T, B, I]`, valid after `backward`.
    package var inputGradient: UnsafePointer<Float> { UnsafePointer(inputGradientBuffer.pointer) }
    /// dLoss/dh0 `[B, H]`, valid after `backward`.
    package var initialHiddenGradient: UnsafePointer<Float> { UnsafePointer(hiddenGradient.pointer) }
    /// dLoss/dc0 `[B, H]` (LSTM), valid after `backward`.
    package var initialCellGradient: UnsafePointer<Float> { UnsafePointer(cellGradient.pointer) }

    /// Runs the layer over a sequence.
    ///
    /// The layer copies what it needs for `backward` (the input and the mask), so the caller's
    /// buffers may change as soon as the call returns.
    /// - Parameters:
    ///   - input: `[T, B, I]`.
    ///   - initialHidden: `[B, H]`, or nil for zeros. `initialCell` likewise (LSTM).
    ///   - mask: `[T, B]` with 1 for real steps and 0 for padding, or nil.
    package func forward(
        _ input: UnsafePointer<Float>, steps: Int, batch: Int,
        initialHidden: UnsafePointer<Float>? = nil, initialCell: UnsafePointer<Float>? = nil,
        mask: UnsafePointer<Float>? = nil
    ) {
        forward(input, steps: steps, batch: batch, initialHidden: initialHidden, initialCell: initialCell, mask: mask, borrowsInput: false)
    }

    /// `forward`, keeping the input pointer itself instead of a copy when `borrowsInput`: for a stack
    /// whose upper layers read its own buffers, which stay put until `backward`.
    func forward(
        _ input: UnsafePointer<Float>, steps: Int, batch: Int,
        initialHidden: UnsafePointer<Float>?, initialCell: UnsafePointer<Float>?,
        mask: UnsafePointer<Float>?, borrowsInput: Bool
    ) {
        self.steps = steps
        self.batch = batch
        if borrowsInput {
            self.input = input
        } else {
            let copy = inputCopy.reserve(steps * batch * inputSize)
            copy.update(from: input, count: steps * batch * inputSize)
            self.input = UnsafePointer(copy)
        }
        if let mask {
            let copy = maskCopy.reserve(steps * batch)
            copy.update(from: mask, count: steps * batch)
            self.mask = UnsafePointer(copy)
        } else {
            self.mask = nil
        }
        let input = self.input!
        let H = hiddenSize, B = batch, T = steps, GH = gateWidth
        let stateCount = (T + 1) * B * H
        hidden.reserve(stateCount)
        gates.reserve(T * B * GH)
        auxiliary.reserve(T * B * H)
        if cell.hasCellState { cellState.reserve(stateCount) }
        if let initialHidden {
            hidden.pointer.update(from: initialHidden, count: B * H)
        } else {
            hidden.pointer.update(repeating: 0, count: B * H)
        }
        if cell.hasCellState {
            if let initialCell {
                cellState.pointer.update(from: initialCell, count: B * H)
            } else {
                cellState.pointer.update(repeating: 0, count: B * H)
            }
        }
        // Input projection for every step at once: gates = x · W_ihᵀ + bias.
        let g = gates.pointer
        weightIH.value.withUnsafeBufferPointer { wih in
            biasIH.value.withUnsafeBufferPointer { bih in
                biasHH.value.withUnsafeBufferPointer { bhh in
                    let foldRecurrentBias = cell != .gru  // GRU keeps b_hn inside r · (W_hn h + b_hn)
                    for row in 0 ..< T * B {
                        let dst = g + row * GH
                        for j in 0 ..< GH { dst[j] = foldRecurrentBias ? bih[j] + bhh[j] : bih[j] }
                    }
                }
                BLAS.gemm(
                    transposeB: true, m: T * B, n: GH, k: inputSize, a: input, lda: inputSize,
                    b: wih.baseAddress!, ldb: inputSize, beta: 1, c: g, ldc: GH)
            }
        }
        usesSmallKernel = Self.smallKernelFits(batch: B, hidden: H, gateWidth: GH, frozen: weightsFrozen)
        if usesSmallKernel && !(weightsFrozen && transposedLayoutIsCurrent) {
            transposedLayoutIsCurrent = true
            weightHH.value.withUnsafeBufferPointer { whh in
                SmallGEMM.transpose(whh.baseAddress!, rows: GH, columns: H, into: recurrentWeightTransposed.reserve(GH * H))
            }
        }
        switch cell {
        case .lstm: forwardLSTM()
        case .gru: forwardGRU()
        case .rnn, .rnnReLU: forwardRNN()
        }
    }

    /// Backpropagates through the sequence of the last `forward`.
    ///
    /// Parameter gradients are *added* to `gradient` (call `zeroGradients()` between batches);
    /// the input gradient and the initial-state gradients are written to the layer's buffers.
    /// - Parameters:
    ///   - outputGradient: dLoss/dOutput `[T, B, H]`, or nil when only final states feed the loss.
    ///   - finalHiddenGradient: dLoss/dh_T `[B, H]`, or nil.
    ///   - finalCellGradient: dLoss/dc_T `[B, H]` (LSTM), or nil.
    ///   - needInputGradient: false skips the `[T, B, I]` input gradient (first layer of a model).
    package func backward(
        outputGradient: UnsafePointer<Float>?, finalHiddenGradient: UnsafePointer<Float>?,
        finalCellGradient: UnsafePointer<Float>? = nil, needInputGradient: Bool = true
    ) {
        let H = hiddenSize, B = batch, T = steps, GH = gateWidth
        hiddenGradient.reserve(B * H)
        if let finalHiddenGradient {
            hiddenGradient.pointer.update(from: finalHiddenGradient, count: B * H)
        } else {
            hiddenGradient.zero(B * H)
        }
        if cell.hasCellState {
            cellGradient.reserve(B * H)
            if let finalCellGradient {
                cellGradient.pointer.update(from: finalCellGradient, count: B * H)
            } else {
                cellGradient.zero(B * H)
            }
        }
        gateGradient.reserve(T * B * GH)
        if tracksStepGradients { stepGradientSquares = Array(repeating: 0, count: T) }
        switch cell {
        case .lstm: backwardLSTM(outputGradient)
        case .gru: recurrentGateGradient.reserve(T * B * H); backwardGRU(outputGradient)
        case .rnn, .rnnReLU: backwardRNN(outputGradient)
        }
        // Weight gradients of all steps at once.
        let dInputSide = UnsafePointer(gateGradient.pointer)
        let input = self.input!
        weightIH.gradient.withUnsafeMutableBufferPointer { dwih in
            BLAS.gemm(
                transposeA: true, m: GH, n: inputSize, k: T * B, a: dInputSide, lda: GH, b: input, ldb: inputSize,
                beta: 1, c: dwih.baseAddress!, ldc: inputSize)
        }
        // The hidden side equals the input side, except the GRU's n gate (r · dA_n, kept apart).
        let sharedRows = cell == .gru ? 2 * H : GH
        weightHH.gradient.withUnsafeMutableBufferPointer { dwhh in
            BLAS.gemm(
                transposeA: true, m: sharedRows, n: H, k: T * B, a: dInputSide, lda: GH, b: hidden.pointer, ldb: H,
                beta: 1, c: dwhh.baseAddress!, ldc: H)
            if cell == .gru {
                BLAS.gemm(
                    transposeA: true, m: H, n: H, k: T * B, a: recurrentGateGradient.pointer, lda: H, b: hidden.pointer, ldb: H,
                    beta: 1, c: dwhh.baseAddress! + 2 * H * H, ldc: H)
            }
        }
        biasIH.gradient.withUnsafeMutableBufferPointer { dbih in
            biasHH.gradient.withUnsafeMutableBufferPointer { dbhh in
                Self.addColumnSums(dInputSide, rows: T * B, columns: GH, stride: GH, into: dbih.baseAddress!)
                Self.addColumnSums(dInputSide, rows: T * B, columns: sharedRows, stride: GH, into: dbhh.baseAddress!)
                if cell == .gru {
                    Self.addColumnSums(recurrentGateGradient.pointer, rows: T * B, columns: H, stride: H, into: dbhh.baseAddress! + 2 * H)
                }
            }
        }
        if needInputGradient {
            inputGradientBuffer.reserve(T * B * inputSize)
            weightIH.value.withUnsafeBufferPointer { wih in
                BLAS.gemm(
                    m: T * B, n: inputSize, k: GH, a: dInputSide, lda: GH, b: wih.baseAddress!, ldb: inputSize,
                    beta: 0, c: inputGradientBuffer.pointer, ldc: inputSize)
            }
        }
    }

    /// Whether the per-step products suit the register-blocked kernel better than OpenBLAS:
    /// widths it handles, and shapes small enough that OpenBLAS's per-call packing dominates.
    /// One row with changing weights goes to sgemv, which reads W_hh in place with no per-call layout.
    static func smallKernelFits(batch: Int, hidden: Int, gateWidth: Int, frozen: Bool) -> Bool {
        SmallGEMM.enabled && (batch > 1 || frozen) && SmallGEMM.supports(n: hidden) && SmallGEMM.supports(n: gateWidth)
            && batch * gateWidth * hidden <= SmallGEMM.maximumProduct
    }

    /// One step's recurrent product in the forward pass: `out[B, G·H] += h[B, H] · W_hhᵀ`.
    @inline(__always) func recurrentProduct(
        _ h: UnsafePointer<Float>, _ whh: UnsafePointer<Float>,
        into out: UnsafeMutablePointer<Float>
    ) {
        let H = hiddenSize, GH = gateWidth
        if usesSmallKernel {
            SmallGEMM.multiplyAdd(m: batch, n: GH, k: H, a: h, lda: H, w: recurrentWeightTransposed.pointer, ldw: GH, c: out, ldc: GH)
        } else {
            BLAS.gemm(transposeB: true, m: batch, n: GH, k: H, a: h, lda: H, b: whh, ldb: H, beta: 1, c: out, ldc: GH)
        }
    }

    /// One step's recurrent product in the backward pass: `dh[B, H] += dGates[B, G·H] · W_hh`.
    @inline(__always) func recurrentGradient(
        _ dGates: UnsafePointer<Float>, _ whh: UnsafePointer<Float>,
        into dh: UnsafeMutablePointer<Float>
    ) {
        recurrentGradient(dGates, rows: gateWidth, stride: gateWidth, whh, into: dh)
    }

    /// `dh[B, H] += dGates[B, rows] · W[rows, H]` where the gate gradients are `stride` apart
    /// and `W` is a block of rows of `W_hh`.
    @inline(__always) func recurrentGradient(
        _ dGates: UnsafePointer<Float>, rows: Int, stride: Int, _ w: UnsafePointer<Float>,
        into dh: UnsafeMutablePointer<Float>
    ) {
        let H = hiddenSize
        if usesSmallKernel {
            SmallGEMM.multiplyAdd(m: batch, n: H, k: rows, a: dGates, lda: stride, w: w, ldw: H, c: dh, ldc: H)
        } else {
            BLAS.gemm(m: batch, n: H, k: rows, a: dGates, lda: stride, b: w, ldb: H, beta: 1, c: dh, ldc: H)
        }
    }

    /// Adds the sums of the first `columns` columns of `m` (`rows` rows, `stride` apart) to `sums`.
    static func addColumnSums(_ m: UnsafePointer<Float>, rows: Int, columns: Int, stride: Int, into sums: UnsafeMutablePointer<Float>) {
        for r in 0 ..< rows {
            let row = m + r * stride
            for j in 0 ..< columns { sums[j] += row[j] }
        }
    }

    /// Records the gradient arriving at h_t: `dh` (from later steps) plus the output gradient of step t.
    func recordStepGradient(_ t: Int, _ outputGradient: UnsafePointer<Float>?) {
        let n = batch * hiddenSize, dh = hiddenGradient.pointer
        var sum = 0.0
        for k in 0 ..< n {
            let g = Double(dh[k]) + (outputGradient.map { Double($0[t * n + k]) } ?? 0)
            sum += g * g
        }
        stepGradientSquares[t] = sum
    }

    /// Adds the output gradient of step t into the running dLoss/dh (one vectorized pass).
    @inline(__always) func addStepGradient(_ outputGradient: UnsafePointer<Float>, _ t: Int) {
        let n = batch * hiddenSize, dh = hiddenGradient.pointer, og = outputGradient + t * n
        for k in 0 ..< n { dh[k] += og[k] }
    }

    @inline(__always) func isReal(_ t: Int, _ b: Int) -> Bool {
        guard let mask else { return true }
        return mask[t * batch + b] != 0
    }
}
