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
