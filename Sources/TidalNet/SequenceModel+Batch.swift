import Dispatch
import TidalCore
import TidalData

/// What the network is trained to do.
public enum Objective: Sendable, Equatable {
    /// Predict the batch's `targets` under the given loss.
    case regression(RegressionLoss)
    /// Predict quantiles of the batch's `targets` under the pinball loss: the network's outputs are
    /// `levels.count` quantiles per target (`MonotoneQuantiles` keeps them from crossing).
    case quantiles(QuantileLoss)
    /// Predict the batch's `labels`, one logit per class, under softmax cross-entropy.
    case classification(classes: Int)

    /// The network outputs per target: the quantile count for `.quantiles`, else 1.
    public var outputsPerTarget: Int {
        if case let .quantiles(loss) = self { return loss.levels.count }
        return 1
    }

    /// The mean loss of `count` targets under a regression or quantile objective (`prediction` holds
    /// `outputsPerTarget` values per target), its gradient written to `gradient` when given.
    package func valueLoss(
        prediction: UnsafePointer<Float>, target: UnsafePointer<Float>, count: Int, gradient: UnsafeMutablePointer<Float>?
    ) -> Float {
        switch self {
        case let .regression(kind): return kind.evaluate(prediction: prediction, target: target, count: count, gradient: gradient)
        case let .quantiles(loss): return loss.evaluate(prediction: prediction, target: target, count: count, gradient: gradient)
        case .classification: preconditionFailure("a classification objective has no value loss")
        }
    }
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
///
/// With `threads` ≥ 2 the batches are computed `threads` at a time, each by its own copy of the
/// model (`inferenceReplica()`), and `body` still sees them one after the other in order. BLAS
/// runs single-threaded either way. Every batch holds the samples it holds on one thread and goes through the
/// same kernels, so the outputs, and whatever `body` sums from them, are bit-identical for every
/// thread count.
package func predictInBatches(
    _ model: any SequencePredicting, _ samples: any SampleSource, indices: [Int]? = nil, batchSize: Int = 256, threads: Int = 1,
    _ body: (_ indices: [Int], _ output: UnsafePointer<Float>, _ batch: Batch) -> Void
) {
    let all = indices ?? Array(0 ..< samples.count)
    let batchCount = (all.count + batchSize - 1) / batchSize
    func part(_ b: Int) -> [Int] { Array(all[b * batchSize ..< min((b + 1) * batchSize, all.count)]) }
    let k = min(max(1, threads), batchCount)
    // Single-threaded BLAS on every path: a threaded OpenBLAS product rounds differently, and the
    // figures must not depend on the thread counts.
    let savedThreads = BLAS.threads
    BLAS.setThreads(1)
    defer { BLAS.setThreads(savedThreads) }
    guard k >= 2 else {
        let batch = Batch()
        for b in 0 ..< batchCount {
            let indices = part(b)
            samples.fill(indices, into: batch)
            body(indices, model.predict(batch), batch)
        }
        return
    }
    let work = InferenceWork(
        models: [model] + (1 ..< k).map { _ in model.inferenceReplica() }, batches: (0 ..< k).map { _ in Batch() },
        samples: samples, outputs: OutputSlots(count: k))
    var first = 0
    while first < batchCount {
        let n = min(k, batchCount - first)
        let parts = (0 ..< n).map { part(first + $0) }
        // Each worker fills and runs only its own batch and model, and writes only its own slot.
        DispatchQueue.concurrentPerform(iterations: n) { i in
            work.samples.fill(parts[i], into: work.batches[i])
            work.outputs.pointers[i] = work.models[i].predict(work.batches[i])
        }
        for i in 0 ..< n { body(parts[i], work.outputs.pointers[i]!, work.batches[i]) }
        first += n
    }
}

extension SequenceModel {
    /// A model with this one's architecture, weights and frozen layers, for running batches on
    /// another thread (its forward buffers are its own). Its outputs equal this model's bit for bit.
    package func inferenceReplica() -> SequenceModel {
        let replica = SequenceModel(architecture, seed: 0)
        for (p, q) in zip(replica.parameters, parameters) { p.value = q.value }
        for (r, l) in zip(replica.recurrent.layers, recurrent.layers) { r.weightsFrozen = l.weightsFrozen }
        return replica
    }
}

/// Each worker's output pointer, written by that worker only.
private final class OutputSlots: @unchecked Sendable {
    let pointers: UnsafeMutablePointer<UnsafePointer<Float>?>
    let count: Int
    init(count: Int) {
        self.count = count
        pointers = .allocate(capacity: count)
        pointers.initialize(repeating: nil, count: count)
    }
    deinit { pointers.deallocate() }
}

/// What the workers of one round share; each uses only its own index (`fill` only reads the samples).
private struct InferenceWork: @unchecked Sendable {
    let models: [any SequencePredicting]
    let batches: [Batch]
    let samples: any SampleSource
    let outputs: OutputSlots
}
