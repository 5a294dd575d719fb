import TidalCore
import TidalNet
import TidalTestSupport
import XCTest

/// Central finite differences against the hand-written backward passes, on random small shapes.
///
/// Tolerance: the network runs in Float32. With step ε = 1e-2 the central difference has a
/// truncation error of O(ε²·f''') ≈ 1e-4 for these O(1) smooth functions, and the rounding error
/// of the loss (accumulated in Double from Float outputs, relative error ≈ 1e-7 per element) divided by ε
/// adds ≈ 1e-5. `|fd − analytic| ≤ 3e-3 + 3e-2·|analytic|` leaves a margin of ~10× over both while
/// still catching a wrong sign, a missing term or a wrong factor anywhere (those are O(|grad|)).
final class GradientCheckTests: XCTestCase {
    let epsilon: Float = 1e-2

    func check(_ analytic: Float, _ numeric: Double, _ what: String) {
        XCTAssertLessThanOrEqual(abs(Double(analytic) - numeric), 3e-3 + 3e-2 * abs(numeric), what)
    }

    func testRecurrentStacksAgainstFiniteDifferences() {
        // Input size 1 takes the rank-1 and matrix–vector routes of BLAS.gemm; 3 takes sgemm.
        // Hidden size 4 takes the scalar gate loops and OpenBLAS; 16 the eight-lane gate loops and SmallGEMM
        // (not for ReLU: with 16 units some pre-activation lies within ε of the kink, where a central difference is wrong).
        for (cell, I, H) in CellKind.allCases.flatMap({ c in [(c, 1, 4), (c, 3, 4)] + (c == .rnnReLU ? [] : [(c, 3, 16)]) }) {
            var g = testGenerator(UInt64(cell.gateCount) + 11)
            let L = 2, T = 5, B = 2
            let stack = RecurrentStack(cell: cell, inputSize: I, hiddenSize: H, layers: L, generator: &g)
            var x = (0 ..< T * B * I).map { _ in g.uniform(-1, 1) }
            let R = (0 ..< T * B * H).map { _ in g.uniform(-1, 1) }
            let S = (0 ..< L * B * H).map { _ in g.uniform(-1, 1) }
            func loss() -> Double {
                x.withUnsafeBufferPointer { stack.forward($0.baseAddress!, steps: T, batch: B) }
                var total = 0.0
                for i in 0 ..< T * B * H { total += Double(stack.output[i]) * Double(R[i]) }
                for k in 0 ..< L { for i in 0 ..< B * H { total += Double(stack.layers[k].finalHidden[i]) * Double(S[k * B * H + i]) } }
                return total
            }
            _ = loss()
            stack.zeroGradients()
            R.withUnsafeBufferPointer { r in
                S.withUnsafeBufferPointer { s in
                    stack.backward(outputGradient: r.baseAddress!, finalHiddenGradient: s.baseAddress!, needInputGradient: true)
                }
            }
            let dx = Array(UnsafeBufferPointer(start: stack.inputGradient, count: T * B * I))
            for p in stack.parameters {
                for i in Swift.stride(from: 0, to: p.count, by: 3) {
                    let saved = p.value[i]
                    p.value[i] = saved + epsilon; let up = loss()
                    p.value[i] = saved - epsilon; let down = loss()
                    p.value[i] = saved
                    check(p.gradient[i], (up - down) / Double(2 * epsilon), "\(cell) \(p.name)[\(i)]")
                }
            }
            for i in 0 ..< x.count {
                let saved = x[i]
                x[i] = saved + epsilon; let up = loss()
                x[i] = saved - epsilon; let down = loss()
                x[i] = saved
                check(dx[i], (up - down) / Double(2 * epsilon), "\(cell) x[\(i)]")
            }
        }
    }

    func testModelWithHeadsLossesAndSkip() {
        var g = testGenerator(5)
        for (lossName, classes) in [("mse", 0), ("mae", 0), ("huber", 0), ("ce", 3)] {
            let T = 4, B = 3, F = 2
            let outputs = classes > 0 ? classes : 2
            let model = SequenceModel(
                ModelArchitecture(
                    cell: .gru, inputSize: F, hiddenSize: 5, layers: 1, outputSize: outputs,
                    skipSteps: classes > 0 ? 0 : T), seed: 3)
            for p in model.parameters where p.name.hasPrefix("skip.") { p.initializeUniform(bound: 0.3, generator: &g) }
            let x = (0 ..< T * B * F).map { _ in g.uniform(-1, 1) }
            // Targets far enough from predictions that MAE and Huber have no kink nearby.
            let y = (0 ..< B * outputs).map { i in Float(i % 2 == 0 ? 3 : -3) * g.uniform(0.5, 1.5) }
            let labels: [Int32] = (0 ..< B).map { Int32($0 % max(1, classes)) }
            var dOut = [Float](repeating: 0, count: B * outputs)
            func loss(_ gradient: UnsafeMutablePointer<Float>?) -> Double {
                x.withUnsafeBufferPointer { xp in
                    let out = model.forward(xp.baseAddress!, steps: T, batch: B)
                    switch lossName {
                    case "ce":
                        return Double(
                            labels.withUnsafeBufferPointer {
                                CrossEntropy.evaluate(
                                    logits: out, labels: $0.baseAddress!, batch: B, classes: classes, probabilities: nil, gradient: gradient
                                )
                            })
                    default:
                        return Double(
                            y.withUnsafeBufferPointer {
                                RegressionLoss(rawValue: lossName)!.evaluate(
                                    prediction: out, target: $0.baseAddress!, count: B * outputs, gradient: gradient)
                            })
                    }
                }
            }
            model.zeroGradients()
            _ = dOut.withUnsafeMutableBufferPointer { loss($0.baseAddress!) }
            dOut.withUnsafeBufferPointer { model.backward($0.baseAddress!) }
            for p in model.parameters {
                for i in Swift.stride(from: 0, to: p.count, by: 2) {
                    let saved = p.value[i]
                    p.value[i] = saved + epsilon; let up = loss(nil)
                    p.value[i] = saved - epsilon; let down = loss(nil)
                    p.value[i] = saved
                    check(p.gradient[i], (up - down) / Double(2 * epsilon), "\(lossName) \(p.name)[\(i)]")
                }
            }
        }
    }

    func testCategoricalCovariatesAgainstFiniteDifferences() {
        var g = testGenerator(9)
        let T = 4, B = 3, F = 2
        var architecture = ModelArchitecture(cell: .lstm, inputSize: F, hiddenSize: 5, layers: 1, outputSize: 2, skipSteps: T)
        architecture.categoricalVocabularies = [4, 3]
        architecture.categoricalDimensions = [3, 2]
        let model = SequenceModel(architecture, seed: 2)
        XCTAssertEqual(model.parameters.prefix(2).map(\.name), ["categorical0.weight", "categorical1.weight"])
        for p in model.parameters where p.name.hasPrefix("skip.") { p.initializeUniform(bound: 0.3, generator: &g) }
        let x = (0 ..< T * B * F).map { _ in g.uniform(-1, 1) }
        let ids: [Int32] = (0 ..< T * B).flatMap { r in [Int32(r % 4), Int32((r / 2) % 3)] }
        let y = (0 ..< B * 2).map { _ in g.uniform(-2, 2) }
        func loss(_ gradient: UnsafeMutablePointer<Float>?) -> Double {
            x.withUnsafeBufferPointer { xp in
                ids.withUnsafeBufferPointer { ip in
                    y.withUnsafeBufferPointer { yp in
                        let out = model.forward(xp.baseAddress!, categories: ip.baseAddress!, steps: T, batch: B)
                        return Double(
                            RegressionLoss.mse.evaluate(prediction: out, target: yp.baseAddress!, count: B * 2, gradient: gradient))
                    }
                }
            }
        }
        var d = [Float](repeating: 0, count: B * 2)
        model.zeroGradients()
        _ = d.withUnsafeMutableBufferPointer { loss($0.baseAddress!) }
        d.withUnsafeBufferPointer { model.backward($0.baseAddress!) }
        for p in model.parameters {
            for i in 0 ..< p.count {
                let saved = p.value[i]
                p.value[i] = saved + epsilon; let up = loss(nil)
                p.value[i] = saved - epsilon; let down = loss(nil)
                p.value[i] = saved
                check(p.gradient[i], (up - down) / Double(2 * epsilon), "categorical model \(p.name)[\(i)]")
            }
        }
    }

    func testCrossEntropyIsStableForHugeLogits() {
        let logits: [Float] = [1e4, -1e4, 0, -1e4, 1e4, 0]
        let labels: [Int32] = [0, 2]
        var probs = [Float](repeating: 0, count: 6)
        let loss = logits.withUnsafeBufferPointer { l in
            labels.withUnsafeBufferPointer { y in
                CrossEntropy.evaluate(
                    logits: l.baseAddress!, labels: y.baseAddress!, batch: 2, classes: 3, probabilities: &probs, gradient: nil)
            }
        }
        XCTAssertTrue(loss.isFinite)
        XCTAssertEqual(loss, 5000, accuracy: 1e-2)  // sample 0: 0; sample 1: 1e4
        XCTAssertEqual(probs[0], 1)
    }

    func testLeftPaddingWithMaskDoesNotChangeAPrediction() {
        for cell in CellKind.allCases {
            let F = 2, shortT = 3, longT = 7
            let model = SequenceModel(ModelArchitecture(cell: cell, inputSize: F, hiddenSize: 6, layers: 2, outputSize: 3), seed: 9)
            var g = testGenerator(1)
            let short = (0 ..< shortT * F).map { _ in g.uniform(-1, 1) }
            let long = (0 ..< longT * F).map { _ in g.uniform(-1, 1) }
            let alone = short.withUnsafeBufferPointer {
                Array(UnsafeBufferPointer(start: model.forward($0.baseAddress!, steps: shortT, batch: 1), count: 3))
            }
            // batch of 2, time-major, the short one left-padded with garbage and masked
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
                            start: model.forward(xp.baseAddress!, steps: longT, batch: 2, mask: m.baseAddress!) + 3, count: 3))
                }
            }
            for i in 0 ..< 3 { XCTAssertEqual(alone[i], batched[i], accuracy: 1e-6, "\(cell)") }
        }
    }

    func testLSTMLearnsANoisySine() {
        var g = testGenerator(2024)
        let n = 600, lookback = 20
        let raw = (0 ..< n).map { Float(sin(Double($0) * 2 * .pi / 25)) + 0.03 * Float(g.normal()) }
        let mean = raw.reduce(0, +) / Float(n)
        let std = (raw.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(n)).squareRoot()
        let series = raw.map { ($0 - mean) / std }
        let model = SequenceModel(ModelArchitecture(cell: .lstm, inputSize: 1, hiddenSize: 32, layers: 1, outputSize: 1), seed: 1)
        let adam = Adam(parameters: model.parameters, learningRate: 1e-2)
        let B = 32
        var x = [Float](repeating: 0, count: lookback * B), y = [Float](repeating: 0, count: B), dOut = y
        var lastLosses: [Float] = []
        for step in 0 ..< 300 {
            for b in 0 ..< B {
                let o = lookback + Int(g.next() % UInt64(n - lookback))
                for t in 0 ..< lookback { x[t * B + b] = series[o - lookback + t] }
                y[b] = series[o]
            }
            model.zeroGradients()
            let loss = x.withUnsafeBufferPointer { xp in
                y.withUnsafeBufferPointer { yp in
                    dOut.withUnsafeMutableBufferPointer { d in
                        RegressionLoss.mse.evaluate(
                            prediction: model.forward(xp.baseAddress!, steps: lookback, batch: B, training: true),
                            target: yp.baseAddress!, count: B, gradient: d.baseAddress!)
                    }
                }
            }
            dOut.withUnsafeBufferPointer { model.backward($0.baseAddress!) }
            adam.step()
            if step >= 280 { lastLosses.append(loss) }
        }
        let final = lastLosses.reduce(0, +) / Float(lastLosses.count)
        XCTAssertLessThan(final, 0.01, "one-step MSE on normalized data after 300 Adam steps")
    }
}
