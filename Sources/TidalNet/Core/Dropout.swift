import TidalCore

/// Fills `count` values of an inverted-dropout mask: `1 / (1 − rate)` with probability `1 − rate`,
/// else 0, one uniform draw per value in order. The single place masks are drawn, so a mask drawn
/// for a whole batch ahead of time (`DataParallel`) equals the one a forward pass would draw.
@inline(__always)
func drawDropoutMask(_ m: UnsafeMutablePointer<Float>, count: Int, rate: Float, generator: inout SeededGenerator) {
    let keep = 1 - rate, scale = 1 / keep
    for i in 0 ..< count { m[i] = generator.uniform(0, 1) < keep ? scale : 0 }
}

/// Copies rows `rows` of a time-major `[T, B, width]` block into a `[T, rows.count, width]` one.
@inline(__always)
func copyRows<Element>(
    _ rows: Range<Int>, of source: UnsafePointer<Element>, batch B: Int, steps T: Int, width W: Int,
    into destination: UnsafeMutablePointer<Element>
) {
    let n = rows.count
    for t in 0 ..< T { (destination + t * n * W).update(from: source + (t * B + rows.lowerBound) * W, count: n * W) }
}

/// The dropout masks of one training forward pass over a whole batch `[T, B]`, drawn ahead of time
/// by `SequenceModel.drawDropoutMasks(into:steps:batch:tokens:)` with the model's own generators
/// in the order its forward pass draws them.
///
/// `DataParallel` draws them once on the master and hands every replica its rows, so a batch split
/// over threads is dropped out exactly as it is on one thread.
package final class DropoutMasks {
    /// Between stacked layers: for each layer below the top, `[T, B, hidden]`.
    package let layers: [FloatBuffer]
    /// On token embeddings: `[T, B, inputSize]` (used when `hasEmbedding`).
    package let embedding = FloatBuffer()
    package var hasEmbedding = false
    package var steps = 0
    package var batch = 0

    /// Room for the masks of a stack of `layerCount` layers.
    package init(layerCount: Int) {
        layers = (0 ..< max(layerCount - 1, 0)).map { _ in FloatBuffer() }
    }
}

/// Where a forward pass's dropout masks come from.
package enum DropoutPlan {
    /// No dropout (inference).
    case off
    /// Drawn from the model's own generators (single-thread training).
    case draw
    /// Rows `rows` of masks drawn ahead for a larger batch (one part of a `DataParallel` batch).
    case supplied(DropoutMasks, rows: Range<Int>)

    /// `.draw` when training, else `.off`.
    package init(training: Bool) { self = training ? .draw : .off }

    /// Whether the pass applies dropout at all.
    var isTraining: Bool {
        if case .off = self { return false }
        return true
    }
}
