import TidalCore
import TidalData

/// What the network is trained to do.
public enum Objective: Sendable, Equatable {
    /// Predict the batch's `targets` under the given loss.
    case regression(RegressionLoss)
    /// Predict the batch's `labels`, one logit per class, under softmax cross-entropy.
    case classification(classes: Int)
}

extension SequenceModel {
    /// Runs the model on a filled batch: token ids when the batch has them, numbers (and
    /// categorical ids) otherwise. Returns `[size, outputSize]`, valid until the next forward.
    @discardableResult
    package func forward(_ batch: Batch, training: Bool = false) -> UnsafePointer<Float> {
        forward(batch, dropout: DropoutPlan(training: training))
    }

    /// `forward(_:training:)` with the dropout masks `plan` says.
    func forward(_ batch: Batch, dropout plan: DropoutPlan) -> UnsafePointer<Float> {
        let mask = batch.hasMask ? UnsafePointer(batch.mask.pointer) : nil
        if batch.hasTokens {
            return forward(tokens: batch.tokens.pointer, steps: batch.steps, batch: batch.size, mask: mask, dropout: plan)
        }
        if batch.categoryCount > 0 {
            return forward(
                batch.x.pointer, categories: batch.categories.pointer, steps: batch.steps, batch: batch.size,
                mask: mask, dropout: plan)
        }
        return forward(batch.x.pointer, steps: batch.steps, batch: batch.size, mask: mask, dropout: plan)
    }
}

/// The index of the largest of `n` values (the first on ties).
@inline(__always)
package func argmax(_ p: UnsafePointer<Float>, _ n: Int) -> Int {
    var best = 0
    for i in 1 ..< n where p[i] > p[best] { best = i }
    return best
}

/// Runs the model over samples in fixed order, `batchSize` at a time, handing each batch's
/// output `[size, outputs]` to `body` with the batch's sample indices.
package func predictInBatches(
    _ model: any SequencePredicting, _ samples: any SampleSource, indices: [Int]? = nil, batchSize: Int = 256,
    _ body: (_ indices: [Int], _ output: UnsafePointer<Float>, _ batch: Batch) -> Void
) {
    let all = indices ?? Array(0 ..< samples.count)
    let batch = Batch()
    var start = 0
    while start < all.count {
        let part = Array(all[start ..< min(start + batchSize, all.count)])
        samples.fill(part, into: batch)
        let output = model.predict(batch)
        body(part, output, batch)
        start += batchSize
    }
}
