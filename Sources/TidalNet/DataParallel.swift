import Dispatch
import Synchronization
import TidalCore
import TidalData

/// Trains one model on several threads by splitting each batch: every thread runs the whole
/// sequence forward and backward on its part of the batch with its own replica of the model
/// (own caches, own gradients, the master's weights), and the gradients are summed into the
/// master. The loss is computed once over the whole batch, and the master draws the dropout masks
/// of the whole batch exactly as a single-thread forward would (each part uses its rows of them),
/// so the result equals a single-thread step up to the float rounding of the summed gradients.
///
/// Every kind of batch splits: numeric, with categorical ids, and token ids (masked or not).
///
/// Per-step products of small models (64×64×256 for a hidden-64 LSTM at batch 64) are too small
/// for a threaded BLAS to gain anything; two halves of the batch run independently instead.
/// Call `BLAS.setThreads(1)` while using it.
public final class DataParallel {
    /// The model trained: it runs the first part and receives the summed gradients.
    public let master: SequenceModel
    private let replicas: [SequenceModel]
    /// Each part's sub-batch `[T, n, …]`, reused from batch to batch.
    private let subBatches: [Batch]
    /// The whole batch's dropout masks, drawn by the master.
    private let dropoutMasks: DropoutMasks
    /// A numeric batch assembled from pointers (`forwardBackward(_:steps:batch:mask:training:loss:)`).
    private let staging = Batch()
    private let combined = FloatBuffer()
    private let gradient = FloatBuffer()

    /// Batches split across threads by any `DataParallel` since launch; a diagnostic (tests use it
    /// to check that training really took the parallel path).
    package static let splitBatchCount = Atomic<Int>(0)

    /// Replicas of `master`'s shape for every part but the first (their weights are copied from the master at each step).
    /// - Parameters:
    ///   - master: the model to train.
    ///   - parts: threads to split each batch over (2 on a 2-core machine).
    public init(master: SequenceModel, parts: Int) {
        precondition(parts >= 2, "DataParallel needs at least two parts")
        self.master = master
        replicas = (1 ..< parts).map { i in SequenceModel(master.architecture, seed: UInt64(i) &* 7919) }
        subBatches = (0 ..< parts).map { _ in Batch() }
        dropoutMasks = DropoutMasks(layerCount: master.architecture.layers)
    }

    /// Threads each batch is split over.
    public var parts: Int { replicas.count + 1 }

    /// One forward and backward pass over a filled batch (any kind `SequenceModel.forward(_:training:)` takes).
    ///
    /// - Parameters:
    ///   - training: enables dropout (masks drawn by the master for the whole batch).
    ///   - loss: given the whole batch's output `[B, O]`, returns the loss and writes dLoss/dOutput `[B, O]`.
    /// - Returns: the loss, and the whole batch's output (valid until the next call).
    package func forwardBackward(
        _ batch: Batch, training: Bool,
        loss: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Float
    ) -> (loss: Float, output: UnsafePointer<Float>) {
        let T = batch.steps, B = batch.size, O = master.architecture.outputSize
        let k = min(parts, B)
        let bounds = (0 ... k).map { $0 * B / k }
        let models = [master] + replicas
        for r in replicas.prefix(k - 1) {
            for (p, q) in zip(r.parameters, master.parameters) { p.value = q.value }
        }
        if training { master.drawDropoutMasks(into: dropoutMasks, steps: T, batch: B, tokens: batch.hasTokens) }
        let out = combined.reserve(B * O)
        let g = gradient.reserve(B * O)
        for i in 0 ..< k { split(batch, rows: bounds[i] ..< bounds[i + 1], into: subBatches[i]) }
        // Each worker touches only its own model, sub-batch and rows of `out` and `g`; the masks are only read.
        let work = Work(models: models, batches: subBatches, masks: dropoutMasks, training: training, out: out, gradient: g, bounds: bounds)
        DispatchQueue.concurrentPerform(iterations: k) { i in
            let rows = work.bounds[i] ..< work.bounds[i + 1]
            let model = work.models[i]
            model.zeroGradients()
            let plan: DropoutPlan = work.training ? .supplied(work.masks, rows: rows) : .off
            let y = model.forward(work.batches[i], dropout: plan)
            (work.out + rows.lowerBound * O).update(from: y, count: rows.count * O)
        }
        let value = loss(UnsafePointer(out), g)
        DispatchQueue.concurrentPerform(iterations: k) { i in
            work.models[i].backward(work.gradient + work.bounds[i] * O)
        }
        for r in replicas.prefix(k - 1) {
            for (p, q) in zip(r.parameters, master.parameters) where q.sparseRows == nil {
                q.gradient.withUnsafeMutableBufferPointer { dst in
                    p.gradient.withUnsafeBufferPointer { src in for j in 0 ..< dst.count { dst[j] += src[j] } }
                }
            }
            // Embeddings: only the rows the replica touched, recorded as touched in the master.
            for (e, f) in zip(r.embeddings, master.embeddings) { f.accumulateGradient(from: e) }
        }
        Self.splitBatchCount.add(1, ordering: .relaxed)
        return (value, UnsafePointer(out))
    }

    /// One forward and backward pass over numeric input `x` `[T, B, F]` (time-major), as
    /// `forwardBackward(_:training:loss:)` on a batch holding it.
    package func forwardBackward(
        _ x: UnsafePointer<Float>, steps T: Int, batch B: Int, mask: UnsafePointer<Float>?, training: Bool,
        loss: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Float
    ) -> (loss: Float, output: UnsafePointer<Float>) {
        let F = master.architecture.inputSize
        staging.start(steps: T, size: B, features: F).update(from: x, count: T * B * F)
        if let mask {
            staging.mask.reserve(T * B).update(from: mask, count: T * B)
            staging.hasMask = true
        }
        return forwardBackward(staging, training: training, loss: loss)
    }

    /// Copies rows `rows` of every input of `batch` (`[T, B, …]`) into `part` (`[T, n, …]`).
    private func split(_ batch: Batch, rows: Range<Int>, into part: Batch) {
        let T = batch.steps, B = batch.size
        // Token batches carry no numeric features; the others carry `inputSize` per step.
        let F = batch.hasTokens ? 0 : master.architecture.inputSize
        let x = part.start(steps: T, size: rows.count, features: F)
        if F > 0 { copyRows(rows, of: batch.x.pointer, batch: B, steps: T, width: F, into: x) }
        if batch.hasMask {
            copyRows(rows, of: batch.mask.pointer, batch: B, steps: T, width: 1, into: part.mask.reserve(T * rows.count))
            part.hasMask = true
        }
        if batch.hasTokens { copyRows(rows, of: batch.tokens.pointer, batch: B, steps: T, width: 1, into: part.reserveTokens()) }
        if batch.categoryCount > 0 {
            let K = batch.categoryCount
            copyRows(rows, of: batch.categories.pointer, batch: B, steps: T, width: K, into: part.reserveCategories(K))
        }
    }
}

/// What the workers of one step share; each worker uses only its own index.
private struct Work: @unchecked Sendable {
    let models: [SequenceModel]
    let batches: [Batch]
    let masks: DropoutMasks
    let training: Bool
    let out: UnsafeMutablePointer<Float>
    let gradient: UnsafeMutablePointer<Float>
    let bounds: [Int]
}
