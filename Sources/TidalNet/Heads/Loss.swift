#if canImport(Glibc)
    import TidalCore
    import Glibc
#endif

/// Regression losses, each the mean over all `count` elements (PyTorch's `reduction='mean'`).
public enum RegressionLoss: String, Sendable, CaseIterable, Codable {
    /// `mean((ŷ − y)²)`.
    case mse
    /// `mean(|ŷ − y|)`; the gradient at 0 is 0, as PyTorch's `sign`.
    case mae
    /// `mean(0.5·e² if |e| < δ else δ·(|e| − 0.5·δ))` with δ = 1 (`nn.HuberLoss()`).
    case huber

    /// The loss, and its gradient with respect to `prediction` written to `gradient`.
    package func evaluate(
        prediction: UnsafePointer<Float>, target: UnsafePointer<Float>, count: Int,
        gradient: UnsafeMutablePointer<Float>?
    ) -> Float {
        var total = 0.0
        let n = Float(count)
        for i in 0 ..< count {
            let e = prediction[i] - target[i]
            switch self {
            case .mse:
                total += Double(e * e)
                gradient?[i] = 2 * e / n
            case .mae:
                total += Double(abs(e))
                gradient?[i] = (e > 0 ? 1 : (e < 0 ? -1 : 0)) / n
            case .huber:
                let a = abs(e)
                if a < 1 {
                    total += Double(0.5 * e * e); gradient?[i] = e / n
                } else {
                    total += Double(a - 0.5); gradient?[i] = (e > 0 ? 1 : -1) / n
                }
            }
        }
        return Float(total / Double(count))
    }
}

/// The pinball (quantile) loss averaged over quantiles and values: neuralforecast's `MQLoss`.
///
/// For a target `y` and its predicted quantile `q_τ`, with `e = y − q_τ`,
/// `ρ_τ(e) = max(τ·e, (τ − 1)·e)` (Koenker & Bassett, "Regression Quantiles", 1978); the loss
/// is `mean over values i and quantiles j of ρ_{τ_j}(y_i − q_{ij})`. Its gradient with respect to
/// `q_{ij}` is `(1 − τ_j)/n` above the target, `−τ_j/n` below it and 0 at a tie (inside the
/// subdifferential), where `n` counts values × quantiles. Minimising it makes `q_τ` the
/// conditional `τ`-quantile; at τ = 0.5 it is half the absolute error.
public struct QuantileLoss: Sendable, Equatable, Codable {
    /// The quantile levels τ, each in (0, 1), in the order the predictions hold them.
    public let levels: [Float]

    /// A loss for `levels` (each in (0, 1)).
    public init(levels: [Float]) {
        precondition(!levels.isEmpty && levels.allSatisfy { $0 > 0 && $0 < 1 }, "quantile levels must lie in (0, 1)")
        self.levels = levels
    }

    /// The mean pinball loss of `count` targets, each with `levels.count` predicted quantiles
    /// (`prediction[i · Q + j]` is target `i`'s quantile `levels[j]`), and its gradient with respect
    /// to `prediction` (`count · Q` values) written to `gradient`.
    package func evaluate(
        prediction: UnsafePointer<Float>, target: UnsafePointer<Float>, count: Int,
        gradient: UnsafeMutablePointer<Float>?
    ) -> Float {
        let Q = levels.count
        let n = Float(count * Q)
        var total = 0.0
        levels.withUnsafeBufferPointer { tau in
            for i in 0 ..< count {
                let y = target[i]
                for j in 0 ..< Q {
                    let e = y - prediction[i * Q + j], t = tau[j]
                    total += Double(e > 0 ? t * e : (t - 1) * e)
                    gradient?[i * Q + j] = (e > 0 ? -t : (e < 0 ? 1 - t : 0)) / n
                }
            }
        }
        return Float(total / Double(count * Q))
    }
}

/// Softmax cross-entropy on logits, the mean over the batch (`F.cross_entropy`).
///
/// Stable for logits of any size: `log_softmax(z)_c = z_c − m − log Σ exp(z_j − m)` with `m = max z`.
/// The gradient is `(softmax(z) − onehot(y)) / B`.
public enum CrossEntropy {
    /// The mean softmax cross-entropy of a batch of logits against class labels.
    /// - Parameters:
    ///   - logits: `[B, C]`.
    ///   - labels: B class indices.
    ///   - probabilities: receives softmax `[B, C]` when given.
    ///   - gradient: receives dLoss/dLogits `[B, C]` when given.
    /// - Returns: the mean loss.
    package static func evaluate(
        logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int, classes: Int,
        probabilities: UnsafeMutablePointer<Float>?, gradient: UnsafeMutablePointer<Float>?
    ) -> Float {
        var total = 0.0
        for b in 0 ..< batch {
            let z = logits + b * classes
            var m = z[0]
            for c in 1 ..< classes where z[c] > m { m = z[c] }
            var sum = 0.0
            for c in 0 ..< classes { sum += exp(Double(z[c] - m)) }
            let logSum = log(sum)
            let y = Int(labels[b])
            total += -(Double(z[y] - m) - logSum)
            for c in 0 ..< classes {
                let p = Float(exp(Double(z[c] - m) - logSum))
                probabilities?[b * classes + c] = p
                gradient?[b * classes + c] = (p - (c == y ? 1 : 0)) / Float(batch)
            }
        }
        return Float(total / Double(batch))
    }
}
