import TidalCore

/// What the head of a whole-sample model reads of the recurrent output sequence.
///
/// `o_t` is the top layer's output at step t (`D·H` values, the forward half first when
/// bidirectional); the sums run over the real (unmasked) steps only.
public enum Pooling: String, Sendable, CaseIterable, Codable {
    /// The final state: the last step's output (bidirectional: joined with the reverse
    /// direction's state after reading step 0).
    case last
    /// The mean of `o_t` over the real steps.
    case mean
    /// The element-wise maximum of `o_t` over the real steps; its gradient goes to the step holding the maximum.
    case max
    /// Additive attention (Bahdanau et al., 2015): `e_t = v · tanh(W o_t + b)`,
    /// `α = softmax(e)` over the real steps, and `Σ_t α_t o_t`.
    case attention
}

/// Pools a sequence `[T, B, F]` into one vector per sample `[B, F]`: its mean, maximum or
/// attention-weighted sum over the real steps (`Pooling`). Attention has parameters named as a
/// PyTorch module `pool` would hold them: `pool.weight` `[A, F]`, `pool.bias` `[A]` and
/// `pool.vector` `[A]`, initialised U(−1/√F, 1/√F) (weight, bias) and U(−1/√A, 1/√A) (vector).
///
/// A sample whose steps are all padding pools to zeros and gets no gradient. Every buffer is kept
/// and reused from batch to batch.
///
/// ```swift
/// let pool = PoolingLayer(.attention, width: 2 * H, attentionSize: H, generator: &g)
/// let features = pool.forward(stack.output, steps: T, batch: B, mask: mask)
/// let dSequence = pool.backward(dFeatures)
/// ```
public final class PoolingLayer: ParameterOwner {
    /// How the steps are pooled (not `.last`, which needs no layer).
    public let mode: Pooling
    /// Values per step (F).
    public let width: Int
    /// Attention: `W` `[A, F]`; nil otherwise.
    public let weight: Parameter?
    /// Attention: `b` `[A]`; nil otherwise.
    public let bias: Parameter?
    /// Attention: `v` `[A]`; nil otherwise.
    public let vector: Parameter?
    /// `[weight, bias, vector]` for attention, else none.
    public var parameters: [Parameter] { [weight, bias, vector].compactMap { $0 } }

    /// The last forward's sequence `[T, B, F]`, read in place: the caller keeps it until `backward`.
    private var input: UnsafePointer<Float>?
    private var steps = 0
    private var batch = 0
    private let pooled = FloatBuffer()
    /// Mean and attention: each step's weight in the sum `[T, B]` (0 on padding).
    private let stepWeights = FloatBuffer()
    /// Max: the step holding each maximum `[B, F]`, or −1.
    private let maximumSteps = Buffer<Int32>()
    /// Attention: `tanh(W o_t + b)` `[T·B, A]`, then (backward) dLoss/d(W o_t + b).
    private let hiddenScores = FloatBuffer()
    private let scoreGradient = FloatBuffer()
    /// Attention: dLoss/de_t `[T, B]`.
    private let stepScoreGradient = FloatBuffer()
    private let inputGradientBuffer = FloatBuffer()

    /// A pooling layer over `width` values per step.
    /// - Parameters:
    ///   - attentionSize: A, the attention's inner size (attention only).
    ///   - prefix: module name before the parameter names, e.g. `pool.`.
    public init(_ mode: Pooling, width: Int, attentionSize: Int, prefix: String = "pool.", generator: inout SeededGenerator) {
        precondition(mode != .last, "the last state needs no pooling layer")
        precondition(width >= 1 && attentionSize >= 1, "sizes must be positive")
        self.mode = mode
        self.width = width
        if mode == .attention {
            let w = Parameter(name: "\(prefix)weight", shape: [attentionSize, width])
            let b = Parameter(name: "\(prefix)bias", shape: [attentionSize])
            let v = Parameter(name: "\(prefix)vector", shape: [attentionSize])
            let bound = 1 / Float(width).squareRoot()
            w.initializeUniform(bound: bound, generator: &generator)
            b.initializeUniform(bound: bound, generator: &generator)
            v.initializeUniform(bound: 1 / Float(attentionSize).squareRoot(), generator: &generator)
            (weight, bias, vector) = (w, b, v)
        } else {
            (weight, bias, vector) = (nil, nil, nil)
        }
    }

    /// The attention's inner size (A), or 0.
    public var attentionSize: Int { bias?.count ?? 0 }

    /// Max, after `forward`: for each sample and feature (`[B, F]`), the step holding the maximum, or −1.
    package var maximumStepIndices: [Int32] { mode == .max ? maximumSteps.array(batch * width) : [] }

    /// Mean and attention, after `forward`: each step's weight in the pooled sum, `[T, B]`.
    package var stepWeightValues: [Float] { mode == .max ? [] : stepWeights.array(steps * batch) }

    /// Pools `sequence` `[T, B, F]` into `[B, F]` (valid until the next forward).
    /// - Parameter mask: `[T, B]` with 0 on padding, or nil when every step is real.
    @discardableResult
    package func forward(_ sequence: UnsafePointer<Float>, steps T: Int, batch B: Int, mask: UnsafePointer<Float>?) -> UnsafePointer<Float>
    {
        input = sequence
        steps = T
        batch = B
        let F = width, out = pooled.reserve(B * F)
        out.update(repeating: 0, count: B * F)
        switch mode {
        case .last: preconditionFailure("the last state needs no pooling layer")
        case .max: forwardMaximum(sequence, mask: mask, into: out)
        case .mean: weightStepsEqually(mask)
        case .attention: weightStepsByAttention(sequence, mask: mask)
        }
        if mode != .max {
            let w = stepWeights.pointer
            for t in 0 ..< T {
                for b in 0 ..< B where w[t * B + b] != 0 {
                    let o = sequence + (t * B + b) * F, p = out + b * F, weight = w[t * B + b]
                    for j in 0 ..< F { p[j] = p[j].addingProduct(weight, o[j]) }
                }
            }
        }
        return UnsafePointer(out)
    }

    /// dLoss/d(sequence) `[T, B, F]` for dLoss/d(pooled) `[B, F]`, valid until the next backward;
    /// the attention's parameter gradients are added to theirs.
    package func backward(_ pooledGradient: UnsafePointer<Float>) -> UnsafePointer<Float> {
        let T = steps, B = batch, F = width, o = input!
        let d = inputGradientBuffer.reserve(T * B * F)
        d.update(repeating: 0, count: T * B * F)
        if mode == .max {
            let at = maximumSteps.pointer
            for i in 0 ..< B * F where at[i] >= 0 {
                let b = i / F, j = i % F
                d[(Int(at[i]) * B + b) * F + j] = pooledGradient[i]
            }
            return UnsafePointer(d)
        }
        let w = stepWeights.pointer
        for t in 0 ..< T {
            for b in 0 ..< B where w[t * B + b] != 0 {
                let g = d + (t * B + b) * F, dp = pooledGradient + b * F, weight = w[t * B + b]
                for j in 0 ..< F { g[j] = weight * dp[j] }
            }
        }
        if mode == .attention { backwardAttention(o, pooledGradient, into: d) }
        return UnsafePointer(d)
    }

    private func isReal(_ mask: UnsafePointer<Float>?, _ t: Int, _ b: Int) -> Bool {
        guard let mask else { return true }
        return mask[t * batch + b] != 0
    }

    private func forwardMaximum(_ sequence: UnsafePointer<Float>, mask: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>) {
        let T = steps, B = batch, F = width
        let at = maximumSteps.reserve(B * F)
        at.update(repeating: -1, count: B * F)
        for t in 0 ..< T {
            for b in 0 ..< B where isReal(mask, t, b) {
                let o = sequence + (t * B + b) * F, p = out + b * F, s = at + b * F
                for j in 0 ..< F where s[j] < 0 || o[j] > p[j] {
                    p[j] = o[j]
                    s[j] = Int32(t)
                }
            }
        }
    }

    /// Mean: `1 / n_b` for each of sample b's `n_b` real steps.
    private func weightStepsEqually(_ mask: UnsafePointer<Float>?) {
        let T = steps, B = batch, w = stepWeights.reserve(T * B)
        for b in 0 ..< B {
            var real = 0
            for t in 0 ..< T where isReal(mask, t, b) { real += 1 }
            let share = real > 0 ? 1 / Float(real) : 0
            for t in 0 ..< T { w[t * B + b] = isReal(mask, t, b) ? share : 0 }
        }
    }
}

// MARK: attention

extension PoolingLayer {
    /// Attention weights: `e_t = v · tanh(W o_t + b)` for every step (one GEMM), then a softmax over
    /// each sample's real steps, `α_t = exp(e_t − m) / Σ exp(e_s − m)` with `m` the largest real `e`.
    fileprivate func weightStepsByAttention(_ sequence: UnsafePointer<Float>, mask: UnsafePointer<Float>?) {
        let T = steps, B = batch, F = width, A = attentionSize, rows = T * B
        let u = hiddenScores.reserve(rows * A), w = stepWeights.reserve(rows)
        weight!.value.withUnsafeBufferPointer { W in
            bias!.value.withUnsafeBufferPointer { b in
                for r in 0 ..< rows { (u + r * A).update(from: b.baseAddress!, count: A) }
                BLAS.gemm(transposeB: true, m: rows, n: A, k: F, a: sequence, lda: F, b: W.baseAddress!, ldb: F, beta: 1, c: u, ldc: A)
            }
        }
        Activation.tanh(u, rows * A)
        vector!.value.withUnsafeBufferPointer { v in
            for r in 0 ..< rows {
                let a = u + r * A
                var e: Float = 0
                for i in 0 ..< A { e = e.addingProduct(v[i], a[i]) }
                w[r] = e
            }
        }
        for b in 0 ..< B {
            var largest = -Float.infinity
            for t in 0 ..< T where isReal(mask, t, b) { largest = Swift.max(largest, w[t * B + b]) }
            var sum = 0.0
            for t in 0 ..< T {
                let e = isReal(mask, t, b) ? Activation.exp(w[t * B + b] - largest) : 0
                w[t * B + b] = e
                sum += Double(e)
            }
            let scale = sum > 0 ? Float(1 / sum) : 0
            for t in 0 ..< T { w[t * B + b] *= scale }
        }
    }

    /// The attention's part of the gradient, added to `d` (which already holds `α_t · dLoss/dp`):
    /// with `g_t = dLoss/dp · o_t`, `dLoss/de_t = α_t (g_t − Σ_s α_s g_s)`; then through
    /// `v · tanh(·)` to `W`, `b`, `v` and back to every `o_t`.
    fileprivate func backwardAttention(
        _ sequence: UnsafePointer<Float>, _ pooledGradient: UnsafePointer<Float>, into d: UnsafeMutablePointer<Float>
    ) {
        let T = steps, B = batch, F = width, A = attentionSize, rows = T * B
        let w = stepWeights.pointer, a = hiddenScores.pointer
        let de = stepScoreGradient.reserve(rows), du = scoreGradient.reserve(rows * A)
        for b in 0 ..< B {
            let dp = pooledGradient + b * F
            var expected: Float = 0
            for t in 0 ..< T {
                let r = t * B + b
                guard w[r] != 0 else { de[r] = 0; continue }
                let o = sequence + r * F
                var g: Float = 0
                for j in 0 ..< F { g = g.addingProduct(dp[j], o[j]) }
                de[r] = g
                expected = expected.addingProduct(w[r], g)
            }
            for t in 0 ..< T { let r = t * B + b; de[r] = w[r] != 0 ? w[r] * (de[r] - expected) : 0 }
        }
        vector!.value.withUnsafeBufferPointer { v in
            vector!.gradient.withUnsafeMutableBufferPointer { dv in
                for r in 0 ..< rows {
                    let ar = a + r * A, dur = du + r * A, e = de[r]
                    for i in 0 ..< A {
                        dv[i] = dv[i].addingProduct(e, ar[i])
                        dur[i] = e * v[i] * (1 - ar[i] * ar[i])
                    }
                }
            }
        }
        weight!.gradient.withUnsafeMutableBufferPointer { dW in
            BLAS.gemm(transposeA: true, m: A, n: F, k: rows, a: du, lda: A, b: sequence, ldb: F, beta: 1, c: dW.baseAddress!, ldc: F)
        }
        bias!.gradient.withUnsafeMutableBufferPointer { db in
            RecurrentLayer.addColumnSums(du, rows: rows, columns: A, stride: A, into: db.baseAddress!)
        }
        weight!.value.withUnsafeBufferPointer { W in
            BLAS.gemm(m: rows, n: F, k: A, a: du, lda: A, b: W.baseAddress!, ldb: F, beta: 1, c: d, ldc: F)
        }
    }
}
