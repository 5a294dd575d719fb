import TidalCore

/// What a bidirectional stack keeps beside its layers, reused from batch to batch so that no pass
/// allocates once the buffers have grown to the batch's size.
final class BidirectionalBuffers {
    /// Per layer: its input reversed in time `[T, B, I_k]`, which the reverse layer reads in place until backward.
    private(set) var reversedInputs: [FloatBuffer] = []
    /// Per layer: both directions' outputs joined step by step `[T, B, 2H]`, read by the layer above until backward.
    private(set) var outputs: [FloatBuffer] = []
    /// The mask reversed in time `[T, B]` (each layer keeps its own copy).
    let reversedMask = FloatBuffer()
    /// The top layer's final states joined, `[B, 2H]`.
    let finalStates = FloatBuffer()
    /// One layer's output gradient split by direction, each `[T, B, H]`; the reverse half in its own (reversed) time.
    let forwardGradient = FloatBuffer()
    let reverseGradient = FloatBuffer()
    /// A joined `[B, 2H]` final-state gradient split by direction, `[B, H]` each (hidden, then cell state).
    let finalGradients = (0 ..< 4).map { _ in FloatBuffer() }
    /// dLoss/dInput of the layer last backpropagated: both directions' input gradients added, `[T, B, I_k]`.
    let inputGradientBuffer = FloatBuffer()

    /// Buffers for a stack of `layers` layers.
    func prepare(layers: Int) {
        reversedInputs = (0 ..< layers).map { _ in FloatBuffer() }
        outputs = (0 ..< layers).map { _ in FloatBuffer() }
    }

    var output: UnsafePointer<Float> { UnsafePointer(outputs.last!.pointer) }
    var finalHidden: UnsafePointer<Float> { UnsafePointer(finalStates.pointer) }
    var inputGradient: UnsafePointer<Float> { UnsafePointer(inputGradientBuffer.pointer) }

    /// `mask` `[T, B]` reversed in time; valid until the next call.
    func reverseMask(_ mask: UnsafePointer<Float>, steps: Int, batch: Int) -> UnsafePointer<Float> {
        let m = reversedMask.reserve(steps * batch)
        Self.reverseTime(mask, steps: steps, rowWidth: batch, into: m)
        return UnsafePointer(m)
    }

    /// `[B, 2H]`: row b is the forward direction's final state, then the reverse direction's.
    func joinFinalStates(_ forward: RecurrentLayer, _ reverse: RecurrentLayer) {
        let B = forward.batch, H = forward.hiddenSize
        let out = finalStates.reserve(B * 2 * H)
        for b in 0 ..< B {
            (out + b * 2 * H).update(from: forward.finalHidden + b * H, count: H)
            (out + b * 2 * H + H).update(from: reverse.finalHidden + b * H, count: H)
        }
    }

    /// Splits a joined `[B, 2H]` gradient into `finalGradients[slot]` (forward) and `[slot + 1]` (reverse).
    func splitFinal(
        _ joined: UnsafePointer<Float>?, batch B: Int, hidden H: Int, slot: Int
    ) -> (UnsafePointer<Float>?, UnsafePointer<Float>?) {
        guard let joined else { return (nil, nil) }
        let f = finalGradients[slot].reserve(B * H), r = finalGradients[slot + 1].reserve(B * H)
        for b in 0 ..< B {
            (f + b * H).update(from: joined + b * 2 * H, count: H)
            (r + b * H).update(from: joined + b * 2 * H + H, count: H)
        }
        return (UnsafePointer(f), UnsafePointer(r))
    }

    /// Copies `steps` blocks of `rowWidth` values from `source` into `destination` in reverse order:
    /// block t of the destination is block `steps − 1 − t` of the source.
    static func reverseTime(_ source: UnsafePointer<Float>, steps: Int, rowWidth: Int, into destination: UnsafeMutablePointer<Float>) {
        for t in 0 ..< steps { (destination + t * rowWidth).update(from: source + (steps - 1 - t) * rowWidth, count: rowWidth) }
    }
}

extension RecurrentStack {
    /// Runs layer k's reverse direction on its input `x` `[T, B, I_k]` reversed in time, then joins
    /// both directions' outputs into `joint.outputs[k]`: step t holds the forward state after step t
    /// and the reverse state after reading steps T − 1 … t.
    /// - Parameter mask: the mask already reversed in time, or nil.
    func forwardReverse(
        _ k: Int, _ x: UnsafePointer<Float>, steps T: Int, batch B: Int,
        initialHidden: UnsafePointer<Float>?, initialCell: UnsafePointer<Float>?, mask: UnsafePointer<Float>?
    ) {
        let reverse = reverseLayers[k], width = reverse.inputSize, H = hiddenSize
        let reversed = joint.reversedInputs[k].reserve(T * B * width)
        BidirectionalBuffers.reverseTime(x, steps: T, rowWidth: B * width, into: reversed)
        reverse.forward(
            UnsafePointer(reversed), steps: T, batch: B, initialHidden: initialHidden, initialCell: initialCell, mask: mask,
            borrowsInput: true)
        let out = joint.outputs[k].reserve(T * B * 2 * H), f = layers[k].output, r = reverse.output
        for t in 0 ..< T {
            for b in 0 ..< B {
                let row = out + (t * B + b) * 2 * H
                row.update(from: f + (t * B + b) * H, count: H)
                (row + H).update(from: r + ((T - 1 - t) * B + b) * H, count: H)
            }
        }
    }

    /// Backpropagates through both directions of layer k and returns dLoss/d(its input) `[T, B, I_k]`
    /// (the two directions' gradients added, the reverse one put back in forward time).
    /// - Parameters:
    ///   - outputGradient: dLoss/d(joined output) `[T, B, 2H]`, or nil.
    ///   - finalHiddenGradient: `[2, B, H]` (forward, reverse), or `[B, 2H]` when `joined`; `finalCellGradient` likewise.
    func backwardBidirectional(
        _ k: Int, outputGradient: UnsafePointer<Float>?, finalHiddenGradient: UnsafePointer<Float>?,
        finalCellGradient: UnsafePointer<Float>?, joined: Bool, needInputGradient: Bool
    ) -> UnsafePointer<Float> {
        let forward = layers[k], reverse = reverseLayers[k]
        let T = forward.steps, B = forward.batch, H = hiddenSize, stateSize = B * H
        var forwardUpstream: UnsafePointer<Float>?, reverseUpstream: UnsafePointer<Float>?
        if let outputGradient {
            let f = joint.forwardGradient.reserve(T * B * H), r = joint.reverseGradient.reserve(T * B * H)
            for t in 0 ..< T {
                for b in 0 ..< B {
                    let row = outputGradient + (t * B + b) * 2 * H
                    (f + (t * B + b) * H).update(from: row, count: H)
                    (r + ((T - 1 - t) * B + b) * H).update(from: row + H, count: H)
                }
            }
            forwardUpstream = UnsafePointer(f)
            reverseUpstream = UnsafePointer(r)
        }
        let (dh, dhReverse) =
            joined
            ? joint.splitFinal(finalHiddenGradient, batch: B, hidden: H, slot: 0)
            : (finalHiddenGradient, finalHiddenGradient.map { $0 + stateSize })
        let (dc, dcReverse) =
            joined
            ? joint.splitFinal(finalCellGradient, batch: B, hidden: H, slot: 2)
            : (finalCellGradient, finalCellGradient.map { $0 + stateSize })
        forward.backward(
            outputGradient: forwardUpstream, finalHiddenGradient: dh, finalCellGradient: dc, needInputGradient: needInputGradient)
        reverse.backward(
            outputGradient: reverseUpstream, finalHiddenGradient: dhReverse, finalCellGradient: dcReverse,
            needInputGradient: needInputGradient)
        let I = forward.inputSize, n = B * I
        let sum = joint.inputGradientBuffer.reserve(T * n)
        guard needInputGradient else { return UnsafePointer(sum) }
        let a = forward.inputGradient, r = reverse.inputGradient
        for t in 0 ..< T {
            let dst = sum + t * n, x = a + t * n, y = r + (T - 1 - t) * n
            for i in 0 ..< n { dst[i] = x[i] + y[i] }
        }
        return UnsafePointer(sum)
    }
}
