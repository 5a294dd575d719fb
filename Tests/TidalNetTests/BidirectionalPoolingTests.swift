import TidalCore
import TidalNet
import TidalTestSupport
import XCTest

/// Bidirectional stacks and pooling heads against central finite differences, with and without a
/// left-padding mask, and the invariances the mask promises.
///
/// Tolerance, as in `GradientCheckTests`: the network runs in Float32 and the loss is accumulated
/// in Double. With ε = 1e-2 the central difference's truncation error is O(ε²·f''') ≈ 1e-4 for
/// these O(1) smooth functions, and the loss's rounding (relative ≈ 1e-7 per element) divided by ε
/// adds ≈ 1e-5; `|fd − analytic| ≤ 3e-3 + 3e-2·|fd|` leaves ~10× over both while still catching a
/// wrong sign, a missing term, a step read in the wrong time order or a misrouted state (all
/// O(|grad|)). Softmax (attention), tanh and the mean are smooth. The maximum is not: where a
/// perturbation of ±ε moves an argmax to another step the central difference straddles a kink and
/// is meaningless, so those elements are skipped (detected by comparing the argmax steps), and the
/// test requires that almost all elements are checked. ReLU cells likewise skip a perturbation
/// that flips the sign of any pre-activation; they use ε = 1e-3 so that fewer do (the rounding
/// term grows to ≈ 1e-4, still 30× inside the tolerance).
final class BidirectionalPoolingTests: XCTestCase {
    var epsilon: Float = 1e-2

    func check(_ analytic: Float, _ numeric: Double, _ what: String) {
        XCTAssertLessThanOrEqual(abs(Double(analytic) - numeric), 3e-3 + 3e-2 * abs(numeric), what)
    }

    /// `[T, B]`: sample b's first `padding[b]` steps are padding (0), the rest real (1).
    func leftPaddingMask(steps T: Int, padding: [Int]) -> [Float] {
        var mask = [Float](repeating: 1, count: T * padding.count)
        for (b, p) in padding.enumerated() { for t in 0 ..< p { mask[t * padding.count + b] = 0 } }
        return mask
    }

    /// Central differences of `loss` (given a perturbed copy of `values`) for every `stride`-th
    /// element, against `analytic`. `comparable`, asked after each evaluation, says whether the
    /// function is smooth between the two perturbations (false: the element is skipped).
    @discardableResult
    func checkElements(
        _ values: [Float], analytic: [Float], stride: Int = 1, _ what: String,
        comparable: () -> Bool = { true }, loss: ([Float]) -> Double
    ) -> (checked: Int, skipped: Int) {
        var checked = 0, skipped = 0
        var values = values
        for i in Swift.stride(from: 0, to: values.count, by: stride) {
            let saved = values[i]
            values[i] = saved + epsilon
            let up = loss(values)
            let upSmooth = comparable()
            values[i] = saved - epsilon
            let down = loss(values)
            let downSmooth = comparable()
            values[i] = saved
            guard upSmooth && downSmooth else { skipped += 1; continue }
            check(analytic[i], (up - down) / Double(2 * epsilon), "\(what)[\(i)]")
            checked += 1
        }
        return (checked, skipped)
    }

    // Long (about 70 lines): one loss over every output of the stack (output, h_n, c_n), with the states passed in and a mask.
    func testBidirectionalStacksAgainstFiniteDifferences() {
        // Hidden size 4 takes the scalar gate loops and OpenBLAS; 16 the eight-lane loops and SmallGEMM
        // (not for ReLU: with 16 units some pre-activation lies within ε of the kink).
        let shapes = CellKind.allCases.flatMap { c in [(c, 1, 4), (c, 3, 4)] + (c == .rnnReLU ? [] : [(c, 3, 16)]) }
        for (cell, I, H) in shapes {
            for masked in [false, true] {
                var g = testGenerator(UInt64(cell.gateCount) + 31)
                let L = 2, T = 5, B = 3, D = 2, what = "\(cell) I\(I) H\(H)\(masked ? " masked" : "")"
                let stack = RecurrentStack(cell: cell, inputSize: I, hiddenSize: H, layers: L, bidirectional: true, generator: &g)
                XCTAssertEqual(stack.parameters.count, L * D * 4)
                XCTAssertEqual(stack.parameters[4].name, "weight_ih_l0_reverse")
                XCTAssertEqual(stack.parameters[8].shape, [cell.gateCount * H, D * H], "layer 1 reads both directions")
                let x = (0 ..< T * B * I).map { _ in g.uniform(-1, 1) }
                let h0 = (0 ..< L * D * B * H).map { _ in g.uniform(-0.5, 0.5) }
                let c0 = (0 ..< L * D * B * H).map { _ in g.uniform(-0.5, 0.5) }
                let R = (0 ..< T * B * D * H).map { _ in g.uniform(-1, 1) }
                let S = (0 ..< L * D * B * H).map { _ in g.uniform(-1, 1) }
                let C = (0 ..< L * D * B * H).map { _ in g.uniform(-1, 1) }
                let mask = leftPaddingMask(steps: T, padding: masked ? [0, 2, 4] : [0, 0, 0])
                let lstm = cell == .lstm
                func loss(_ x: [Float], _ h0: [Float], _ c0: [Float]) -> Double {
                    x.withUnsafeBufferPointer { xp in
                        h0.withUnsafeBufferPointer { hp in
                            c0.withUnsafeBufferPointer { cp in
                                mask.withUnsafeBufferPointer { mp in
                                    stack.forward(
                                        xp.baseAddress!, steps: T, batch: B, initialHidden: hp.baseAddress!,
                                        initialCell: lstm ? cp.baseAddress! : nil, mask: masked ? mp.baseAddress! : nil)
                                }
                            }
                        }
                    }
                    var total = 0.0
                    for i in 0 ..< T * B * D * H { total += Double(stack.output[i]) * Double(R[i]) }
                    for (k, layer) in stack.directionalLayers.enumerated() {
                        for i in 0 ..< B * H {
                            total += Double(layer.finalHidden[i]) * Double(S[k * B * H + i])
                            if lstm { total += Double(layer.finalCell[i]) * Double(C[k * B * H + i]) }
                        }
                    }
                    return total
                }
                // ReLU: where a perturbation flips a pre-activation's sign the difference straddles the kink; h_t > 0 tells the sign.
                func activePattern() -> [Bool] {
                    stack.directionalLayers.flatMap { layer in (0 ..< T * B * H).map { layer.output[$0] > 0 } }
                }
                epsilon = cell == .rnnReLU ? 1e-3 : 1e-2
                _ = loss(x, h0, c0)
                let pattern = activePattern()
                let smooth = { cell != .rnnReLU || activePattern() == pattern }
                stack.zeroGradients()
                R.withUnsafeBufferPointer { r in
                    S.withUnsafeBufferPointer { s in
                        C.withUnsafeBufferPointer { c in
                            stack.backward(
                                outputGradient: r.baseAddress!, finalHiddenGradient: s.baseAddress!,
                                finalCellGradient: lstm ? c.baseAddress! : nil, needInputGradient: true)
                        }
                    }
                }
                let dx = Array(UnsafeBufferPointer(start: stack.inputGradient, count: T * B * I))
                let dh0 = stack.directionalLayers.flatMap { Array(UnsafeBufferPointer(start: $0.initialHiddenGradient, count: B * H)) }
                let dc0 =
                    lstm ? stack.directionalLayers.flatMap { Array(UnsafeBufferPointer(start: $0.initialCellGradient, count: B * H)) } : []
                var checked = 0, skipped = 0
                func count(_ c: (checked: Int, skipped: Int)) { checked += c.checked; skipped += c.skipped }
                for p in stack.parameters {
                    let original = p.value
                    count(
                        checkElements(original, analytic: p.gradient, stride: H > 4 ? 7 : 3, "\(what) \(p.name)", comparable: smooth) { v in
                            p.value = v
                            return loss(x, h0, c0)
                        })
                    p.value = original
                }
                count(checkElements(x, analytic: dx, "\(what) x", comparable: smooth) { loss($0, h0, c0) })
                count(checkElements(h0, analytic: dh0, stride: 2, "\(what) h0", comparable: smooth) { loss(x, $0, c0) })
                if lstm { count(checkElements(c0, analytic: dc0, stride: 2, "\(what) c0") { loss(x, h0, $0) }) }
                XCTAssertGreaterThan(checked, 4 * skipped, "\(what): checked \(checked), skipped at a ReLU kink \(skipped)")
            }
        }
    }

    // Long (about 60 lines): every pooling, one and two directions, a left-padded batch, every parameter of the model.
    func testPoolingAgainstFiniteDifferences() {
        let cells: [CellKind] = [.lstm, .gru, .rnn]
        for (n, pool) in Pooling.allCases.enumerated() {
            for bidirectional in [false, true] {
                let cell = cells[(n + (bidirectional ? 1 : 0)) % cells.count]
                let T = 5, B = 3, F = 2, C = 3, what = "\(pool) \(bidirectional ? "bidirectional " : "")\(cell)"
                let architecture = ModelArchitecture(
                    cell: cell, inputSize: F, hiddenSize: 4, layers: bidirectional ? 2 : 1, outputSize: C, bidirectional: bidirectional,
                    pool: pool)
                let model = SequenceModel(architecture, seed: UInt64(7 + n))
                XCTAssertEqual(model.parameterCount, architecture.parameterCountIfValid, what)
                XCTAssertEqual(model.head.inputSize, (bidirectional ? 2 : 1) * 4, what)
                if pool == .attention {
                    XCTAssertEqual(
                        model.pool?.parameters.map(\.name), ["pool.weight", "pool.bias", "pool.vector"], "\(what): attention parameters")
                }
                var g = testGenerator(UInt64(40 + n))
                let x = (0 ..< T * B * F).map { _ in g.uniform(-1.5, 1.5) }
                let mask = leftPaddingMask(steps: T, padding: [0, 2, 4])  // sample 2 has a single real step
                let labels: [Int32] = [0, 2, 1]
                func loss(_ gradient: UnsafeMutablePointer<Float>?) -> Double {
                    x.withUnsafeBufferPointer { xp in
                        mask.withUnsafeBufferPointer { mp in
                            labels.withUnsafeBufferPointer { lp in
                                let out = model.forward(xp.baseAddress!, steps: T, batch: B, mask: mp.baseAddress!)
                                return Double(
                                    CrossEntropy.evaluate(
                                        logits: out, labels: lp.baseAddress!, batch: B, classes: C, probabilities: nil, gradient: gradient))
                            }
                        }
                    }
                }
                var dOut = [Float](repeating: 0, count: B * C)
                model.zeroGradients()
                _ = dOut.withUnsafeMutableBufferPointer { loss($0.baseAddress!) }
                dOut.withUnsafeBufferPointer { model.backward($0.baseAddress!) }
                if let weights = model.pool?.stepWeightValues, pool != .max {
                    for t in 0 ..< T { XCTAssertEqual(weights[t * B + 2], t == T - 1 ? 1 : 0, accuracy: 1e-6, "\(what): one real step") }
                }
                let argmax = model.pool?.maximumStepIndices ?? []
                XCTAssertTrue(argmax.allSatisfy { $0 >= 0 }, "\(what): every maximum lies on a real step")
                for (i, step) in argmax.enumerated() where i / model.head.inputSize == 1 {
                    XCTAssertGreaterThanOrEqual(step, 2, "\(what): sample 1's first two steps are padding")
                }
                var checked = 0, skipped = 0
                for p in model.parameters {
                    let original = p.value
                    let counts = checkElements(
                        original, analytic: p.gradient, "\(what) \(p.name)",
                        comparable: { model.pool?.maximumStepIndices ?? [] == argmax }
                    ) { v in
                        p.value = v
                        return loss(nil)
                    }
                    p.value = original
                    checked += counts.checked
                    skipped += counts.skipped
                }
                XCTAssertGreaterThan(checked, 20 * max(skipped, 1), "\(what): checked \(checked), skipped at an argmax switch \(skipped)")
            }
        }
    }

    /// Each pooling on its own, on a sequence of O(1) values and a linear loss, so the gradients it
    /// passes back (and the attention's) are O(1) and the tolerance is tight relative to them.
    func testPoolingLayersAloneAgainstFiniteDifferences() {
        for mode in Pooling.allCases where mode != .last {
            var g = testGenerator(77)
            let T = 6, B = 3, F = 5, A = 4
            let layer = PoolingLayer(mode, width: F, attentionSize: A, generator: &g)
            for p in layer.parameters { for i in p.value.indices { p.value[i] *= 3 } }  // sharper attention, larger gradients
            let sequence = (0 ..< T * B * F).map { _ in g.uniform(-2, 2) }
            let R = (0 ..< B * F).map { _ in g.uniform(-1, 1) }
            let mask = leftPaddingMask(steps: T, padding: [0, 2, 5])
            func loss(_ o: [Float], backward: Bool = false) -> (Double, [Float]) {
                o.withUnsafeBufferPointer { op in
                    mask.withUnsafeBufferPointer { mp in
                        let y = layer.forward(op.baseAddress!, steps: T, batch: B, mask: mp.baseAddress!)
                        let value = (0 ..< B * F).reduce(0.0) { $0 + Double(y[$1]) * Double(R[$1]) }
                        guard backward else { return (value, []) }
                        let d = R.withUnsafeBufferPointer { layer.backward($0.baseAddress!) }
                        return (value, Array(UnsafeBufferPointer(start: d, count: T * B * F)))
                    }
                }
            }
            layer.zeroGradients()
            let dSequence = loss(sequence, backward: true).1
            let argmax = layer.maximumStepIndices
            for t in 0 ..< T {
                for b in 0 ..< B where mask[t * B + b] == 0 {
                    XCTAssertEqual(
                        Array(dSequence[(t * B + b) * F ..< (t * B + b + 1) * F]), Array(repeating: 0, count: F), "\(mode) padding")
                }
            }
            let smooth = { layer.maximumStepIndices == argmax }
            var checked = 0, skipped = 0
            func count(_ c: (checked: Int, skipped: Int)) { checked += c.checked; skipped += c.skipped }
            count(checkElements(sequence, analytic: dSequence, "\(mode) sequence", comparable: smooth) { loss($0).0 })
            for p in layer.parameters {
                let original = p.value
                count(
                    checkElements(original, analytic: p.gradient, "\(mode) \(p.name)") { v in
                        p.value = v
                        return loss(sequence).0
                    })
                p.value = original
            }
            XCTAssertGreaterThan(checked, 20 * max(skipped, 1), "\(mode): checked \(checked), skipped at an argmax switch \(skipped)")
        }
    }

    func testBidirectionalFinalStateJoinsBothEnds() {
        var g = testGenerator(3)
        let T = 6, B = 2, H = 5, I = 2
        let stack = RecurrentStack(cell: .gru, inputSize: I, hiddenSize: H, layers: 1, bidirectional: true, generator: &g)
        let x = (0 ..< T * B * I).map { _ in g.uniform(-1, 1) }
        let mask = leftPaddingMask(steps: T, padding: [0, 3])
        x.withUnsafeBufferPointer { xp in
            mask.withUnsafeBufferPointer { stack.forward(xp.baseAddress!, steps: T, batch: B, mask: $0.baseAddress!) }
        }
        let output = Array(UnsafeBufferPointer(start: stack.output, count: T * B * 2 * H))
        let final = Array(UnsafeBufferPointer(start: stack.finalHidden, count: B * 2 * H))
        for b in 0 ..< B {
            let firstReal = b == 0 ? 0 : 3
            // Forward half: the state after the last step; reverse half: the state after reading the first real step.
            XCTAssertEqual(
                Array(final[b * 2 * H ..< b * 2 * H + H]), Array(output[((T - 1) * B + b) * 2 * H ..< ((T - 1) * B + b) * 2 * H + H]))
            let reverse = (firstReal * B + b) * 2 * H + H
            XCTAssertEqual(Array(final[b * 2 * H + H ..< (b + 1) * 2 * H]), Array(output[reverse ..< reverse + H]))
        }
        // The reverse direction starts from zero at the last step: its state there is one cell step from zero on x_{T−1}.
        let reverse = stack.reverseLayers[0]
        Array(x[(T - 1) * B * I ..< T * B * I]).withUnsafeBufferPointer { reverse.forward($0.baseAddress!, steps: 1, batch: B) }
        for b in 0 ..< B {
            let joined = ((T - 1) * B + b) * 2 * H + H
            XCTAssertEqual(Array(output[joined ..< joined + H]), Array(UnsafeBufferPointer(start: reverse.output + b * H, count: H)))
        }
    }

    func testLeftPaddingDoesNotChangeAPredictionForAnyPoolingOrDirection() {
        for pool in Pooling.allCases {
            for bidirectional in [false, true] {
                for cell in [CellKind.lstm, .gru] {
                    let F = 2, shortT = 3, longT = 7, O = 3
                    let model = SequenceModel(
                        ModelArchitecture(
                            cell: cell, inputSize: F, hiddenSize: 6, layers: 2, outputSize: O, bidirectional: bidirectional, pool: pool),
                        seed: 9)
                    var g = testGenerator(1)
                    let short = (0 ..< shortT * F).map { _ in g.uniform(-1, 1) }
                    let long = (0 ..< longT * F).map { _ in g.uniform(-1, 1) }
                    let alone = short.withUnsafeBufferPointer {
                        Array(UnsafeBufferPointer(start: model.forward($0.baseAddress!, steps: shortT, batch: 1), count: O))
                    }
                    // A batch of 2, time-major, the short one left-padded with large garbage and masked.
                    var x = [Float](repeating: 0, count: longT * 2 * F), mask = [Float](repeating: 1, count: longT * 2)
                    for t in 0 ..< longT {
                        for f in 0 ..< F { x[(t * 2) * F + f] = long[t * F + f] }
                        let s = t - (longT - shortT)
                        for f in 0 ..< F { x[(t * 2 + 1) * F + f] = s >= 0 ? short[s * F + f] : 9 }
                        if s < 0 { mask[t * 2 + 1] = 0 }
                    }
                    let batched = x.withUnsafeBufferPointer { xp in
                        mask.withUnsafeBufferPointer { m in
                            Array(
                                UnsafeBufferPointer(
                                    start: model.forward(xp.baseAddress!, steps: longT, batch: 2, mask: m.baseAddress!) + O, count: O))
                        }
                    }
                    for i in 0 ..< O {
                        XCTAssertEqual(alone[i], batched[i], accuracy: 1e-5, "\(pool) \(bidirectional ? "bidirectional " : "")\(cell)")
                    }
                }
            }
        }
    }
}
