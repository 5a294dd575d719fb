import Dispatch
import TidalCore

/// Trains one model on several threads by splitting each batch: every thread runs the whole
/// sequence forward and backward on its part of the batch with its own replica of the model
/// (own caches, own gradients, the master's weights), and the gradients are summed into the
/// master. The loss is computed once over the whole batch, so the result equals a single-thread
/// step up to float rounding.
///
/// Per-step products of small models (64×64×256 for a hidden-64 LSTM at batch 64) are too small
/// for a threaded BLAS to gain anything; two halves of the batch run independently instead.
/// Call `BLAS.setThreads(1)` while using it.
public final class DataParallel {
    public let master: SequenceModel
    private let replicas: [SequenceModel]
    private let inputs: [FloatBuffer]
    private let masks: [FloatBuffer]
    private let combined = FloatBuffer()
    private let gradient = FloatBuffer()

    /// - Parameter parts: threads to split each batch over (2 on a 2-core machine).
    public init(master: SequenceModel, parts: Int) {
        precondition(parts >= 2, "DataParallel needs at least two parts")
        self.master = master
        replicas = (1 ..< parts).map { i in SequenceModel(master.architecture, seed: UInt64(i) &* 7919) }
        inputs = (0 ..< parts).map { _ in FloatBuffer() }
        masks = (0 ..< parts).map { _ in FloatBuffer() }
    }

    public var parts: Int { replicas.count + 1 }

    /// One forward and backward pass over `x` `[T, B, F]` (time-major).
    ///
    /// - Parameters:
    ///   - loss: given the whole batch's output `[B, O]`, returns the loss and writes dLoss/dOutput `[B, O]`.
    /// - Returns: the loss, and the whole batch's output (valid until the next call).
    public func forwardBackward(_ x: UnsafePointer<Float>, steps T: Int, batch B: Int, mask: UnsafePointer<Float>?, training: Bool,
                                loss: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Float) -> (loss: Float, output: UnsafePointer<Float>) {
        let F = master.architecture.inputSize, O = master.architecture.outputSize
        let k = min(parts, B)
        let bounds = (0 ... k).map { $0 * B / k }
        let models = [master] + replicas
        for r in replicas.prefix(k - 1) {
            for (p, q) in zip(r.parameters, master.parameters) { p.value = q.value }
        }
        let out = combined.reserve(B * O)
        let g = gradient.reserve(B * O)
        // Each part's input, contiguous [T, Bi, F].
        for i in 0 ..< k {
            let lo = bounds[i], n = bounds[i + 1] - lo
            let xi = inputs[i].reserve(T * n * F)
            for t in 0 ..< T { (xi + t * n * F).update(from: x + (t * B + lo) * F, count: n * F) }
            if let mask {
                let mi = masks[i].reserve(T * n)
                for t in 0 ..< T { (mi + t * n).update(from: mask + t * B + lo, count: n) }
            }
        }
        // Each worker touches only its own model, buffers and rows of `out` and `g`.
        let work = Work(models: models, inputs: inputs, masks: masks, hasMask: mask != nil, out: out, gradient: g, bounds: bounds)
        DispatchQueue.concurrentPerform(iterations: k) { i in
            let lo = work.bounds[i], n = work.bounds[i + 1] - lo
            let model = work.models[i]
            model.zeroGradients()
            let y = model.forward(work.inputs[i].pointer, steps: T, batch: n, mask: work.hasMask ? UnsafePointer(work.masks[i].pointer) : nil, training: training)
            (work.out + lo * O).update(from: y, count: n * O)
        }
        let value = loss(UnsafePointer(out), g)
        DispatchQueue.concurrentPerform(iterations: k) { i in
            work.models[i].backward(work.gradient + work.bounds[i] * O)
        }
        for r in replicas.prefix(k - 1) {
            for (p, q) in zip(r.parameters, master.parameters) {
                q.gradient.withUnsafeMutableBufferPointer { dst in
                    p.gradient.withUnsafeBufferPointer { src in for j in 0 ..< dst.count { dst[j] += src[j] } }
                }
            }
        }
        return (value, UnsafePointer(out))
    }
}

/// What the workers of one step share; each worker uses only its own index.
private struct Work: @unchecked Sendable {
    let models: [SequenceModel]
    let inputs: [FloatBuffer]
    let masks: [FloatBuffer]
    let hasMask: Bool
    let out: UnsafeMutablePointer<Float>
    let gradient: UnsafeMutablePointer<Float>
    let bounds: [Int]
}
