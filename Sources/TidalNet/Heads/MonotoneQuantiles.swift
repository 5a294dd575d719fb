#if canImport(Glibc)
    import TidalCore
    import Glibc
#endif

/// The monotone quantile head: maps each group of `quantiles` raw head outputs to quantiles that
/// never cross.
///
/// For one forecast value with raw outputs `z_0 … z_{Q−1}` (contiguous), the quantiles are a base
/// plus cumulated softplus-positive increments:
///
///     q_0 = z_0,   q_j = q_{j−1} + softplus(z_j)   (j ≥ 1),   softplus(z) = log(1 + eᶻ),
///
/// so `q_0 < q_1 < … < q_{Q−1}` for any weights (non-crossing by construction, as in the
/// "incremental" parametrisation of Gasthaus et al., "Probabilistic Forecasting with Spline
/// Quantile Function RNNs", 2019). Softplus is computed as `max(z, 0) + log1p(e^{−|z|})`, exact
/// to float rounding for any `z`. The backward pass is
///
///     ∂L/∂z_0 = Σ_{k≥0} ∂L/∂q_k,   ∂L/∂z_j = σ(z_j) · Σ_{k≥j} ∂L/∂q_k   (j ≥ 1),
///
/// with `σ` the logistic sigmoid, softplus' derivative. The layer has no parameters.
public final class MonotoneQuantiles {
    /// Quantiles per forecast value (Q).
    public let quantiles: Int
    private let outputBuffer = FloatBuffer()
    private let inputGradientBuffer = FloatBuffer()
    /// The last forward's raw input, copied: backward reads it.
    private let inputCopy = FloatBuffer()
    private var count = 0

    /// A head cumulating groups of `quantiles` (at least 1) values.
    public init(quantiles: Int) {
        precondition(quantiles >= 1, "a quantile head needs at least one quantile")
        self.quantiles = quantiles
    }

    /// `softplus(z) = log(1 + eᶻ)`, stable for every `z`.
    @inline(__always) public static func softplus(_ z: Float) -> Float { max(z, 0) + log1p(Activation.exp(-abs(z))) }

    /// The quantiles for raw values `z` (`count` values, a multiple of `quantiles`), valid until the
    /// next forward. The layer keeps a copy of `z` for `backward`.
    @discardableResult
    package func forward(_ z: UnsafePointer<Float>, count: Int) -> UnsafePointer<Float> {
        precondition(count % quantiles == 0, "\(count) values do not split into groups of \(quantiles) quantiles")
        self.count = count
        inputCopy.reserve(count).update(from: z, count: count)
        let q = outputBuffer.reserve(count)
        Self.apply(z, count: count, quantiles: quantiles, into: q)
        return UnsafePointer(q)
    }

    /// Writes the quantiles of `count` raw values `z` to `q` (may not alias `z`).
    package static func apply(_ z: UnsafePointer<Float>, count: Int, quantiles Q: Int, into q: UnsafeMutablePointer<Float>) {
        for g in Swift.stride(from: 0, to: count, by: Q) {
            var level = z[g]
            q[g] = level
            for j in 1 ..< Q {
                level += softplus(z[g + j])
                q[g + j] = level
            }
        }
    }

    /// Returns dLoss/dz for dLoss/dq (`count` values of the last forward), valid until the next backward.
    @discardableResult
    package func backward(_ outputGradient: UnsafePointer<Float>) -> UnsafePointer<Float> {
        let z = UnsafePointer(inputCopy.pointer), dz = inputGradientBuffer.reserve(count), Q = quantiles
        for g in Swift.stride(from: 0, to: count, by: Q) {
            // Suffix sums: q_k depends on z_j for every j ≤ k.
            var suffix: Float = 0
            for j in Swift.stride(from: Q - 1, through: 1, by: -1) {
                suffix += outputGradient[g + j]
                dz[g + j] = suffix * Activation.sigmoid(z[g + j])
            }
            dz[g] = suffix + outputGradient[g]
        }
        return UnsafePointer(dz)
    }
}
