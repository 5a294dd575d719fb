import TidalCore
import TidalNet
import TidalTestSupport
import XCTest

/// Finite-difference checks of the pinball loss and the monotone quantile head, with the
/// tolerance argued in `GradientCheckTests` (ε = 1e-2 central differences in Float32:
/// `|fd − analytic| ≤ 3e-3 + 3e-2·|analytic|`). The pinball loss is piecewise linear, so the
/// targets are kept further than ε times the largest sensitivity from every prediction: between
/// kinks a central difference of a linear piece is exact up to rounding.
final class QuantileGradientTests: XCTestCase {
    let epsilon: Float = 1e-2

    func check(_ analytic: Float, _ numeric: Double, _ what: String) {
        XCTAssertLessThanOrEqual(abs(Double(analytic) - numeric), 3e-3 + 3e-2 * abs(numeric), what)
    }

    func testPinballLossGradientAgainstFiniteDifferences() {
        var g = testGenerator(17)
        let loss = QuantileLoss(levels: [0.1, 0.5, 0.9])
        let n = 6, Q = 3
        let y = (0 ..< n).map { _ in g.uniform(-1, 1) }
        // Predictions on both sides of their targets, at least 0.1 away (far beyond ε).
        var q = (0 ..< n * Q).map { i in y[i / Q] + (i % 2 == 0 ? 1 : -1) * g.uniform(0.1, 1) }
        func value(_ gradient: UnsafeMutablePointer<Float>?) -> Double {
            Double(
                q.withUnsafeBufferPointer { qp in
                    y.withUnsafeBufferPointer {
                        loss.evaluate(prediction: qp.baseAddress!, target: $0.baseAddress!, count: n, gradient: gradient)
                    }
                })
        }
        var d = [Float](repeating: 0, count: n * Q)
        _ = d.withUnsafeMutableBufferPointer { value($0.baseAddress!) }
        for i in q.indices {
            let saved = q[i]
            q[i] = saved + epsilon; let up = value(nil)
            q[i] = saved - epsilon; let down = value(nil)
            q[i] = saved
            check(d[i], (up - down) / Double(2 * epsilon), "pinball q[\(i)]")
        }
    }

    func testPinballLossValues() {
        // τ = 0.9 under-predicting by 2 costs 0.9·2; over-predicting by 2 costs 0.1·2; τ = 0.5 is half the absolute error.
        let loss = QuantileLoss(levels: [0.5, 0.9])
        let value = loss.evaluate(prediction: [1, 1, 5, 5], target: [3, 3], count: 2, gradient: nil)
        XCTAssertEqual(value, (0.5 * 2 + 0.9 * 2 + 0.5 * 2 + 0.1 * 2) / 4, accuracy: 1e-6)
    }

    func testMonotoneHeadBackwardAgainstFiniteDifferences() {
        var g = testGenerator(23)
        let Q = 4, groups = 3
        let head = MonotoneQuantiles(quantiles: Q)
        var z = (0 ..< Q * groups).map { _ in g.uniform(-3, 3) }
        let r = (0 ..< Q * groups).map { _ in g.uniform(-1, 1) }
        // A smooth loss: a fixed linear projection of the quantiles.
        func value() -> Double {
            z.withUnsafeBufferPointer { zp in
                let q = head.forward(zp.baseAddress!, count: Q * groups)
                return (0 ..< Q * groups).reduce(0.0) { $0 + Double(q[$1]) * Double(r[$1]) }
            }
        }
        _ = value()
        let dz = r.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: head.backward($0.baseAddress!), count: Q * groups)) }
        for i in z.indices {
            let saved = z[i]
            z[i] = saved + epsilon; let up = value()
            z[i] = saved - epsilon; let down = value()
            z[i] = saved
            check(dz[i], (up - down) / Double(2 * epsilon), "monotone head z[\(i)]")
        }
    }

    func testMonotoneHeadNeverCrosses() {
        var g = testGenerator(5)
        let Q = 5, groups = 200
        let z = (0 ..< Q * groups).map { _ in g.uniform(-60, 60) }
        let head = MonotoneQuantiles(quantiles: Q)
        let q = z.withUnsafeBufferPointer {
            Array(UnsafeBufferPointer(start: head.forward($0.baseAddress!, count: Q * groups), count: Q * groups))
        }
        for k in 0 ..< groups {
            for j in 1 ..< Q { XCTAssertGreaterThanOrEqual(q[k * Q + j], q[k * Q + j - 1], "group \(k) quantile \(j)") }
            XCTAssertEqual(q[k * Q], z[k * Q])
        }
        XCTAssertEqual(MonotoneQuantiles.softplus(0), log(2), accuracy: 1e-6)
        XCTAssertEqual(MonotoneQuantiles.softplus(40), 40, accuracy: 1e-5)
        XCTAssertEqual(MonotoneQuantiles.softplus(-40), 0, accuracy: 1e-12)
    }

    func testQuantileModelWithSkipAgainstFiniteDifferences() {
        var g = testGenerator(31)
        let T = 4, B = 3, F = 2, targets = 2, Q = 3
        var architecture = ModelArchitecture(cell: .lstm, inputSize: F, hiddenSize: 5, layers: 1, outputSize: targets * Q, skipSteps: T)
        architecture.quantiles = Q
        let model = SequenceModel(architecture, seed: 4)
        for p in model.parameters where p.name.hasPrefix("skip.") { p.initializeUniform(bound: 0.3, generator: &g) }
        let x = (0 ..< T * B * F).map { _ in g.uniform(-1, 1) }
        // Targets far above or below every quantile the model can reach here (its outputs stay within a few units).
        let y = (0 ..< B * targets).map { i in Float(i % 2 == 0 ? 8 : -8) * g.uniform(0.8, 1.2) }
        let loss = QuantileLoss(levels: [0.1, 0.5, 0.9])
        func value(_ gradient: UnsafeMutablePointer<Float>?) -> Double {
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeBufferPointer {
                    let out = model.forward(xp.baseAddress!, steps: T, batch: B)
                    return Double(loss.evaluate(prediction: out, target: $0.baseAddress!, count: B * targets, gradient: gradient))
                }
            }
        }
        var d = [Float](repeating: 0, count: B * targets * Q)
        model.zeroGradients()
        _ = d.withUnsafeMutableBufferPointer { value($0.baseAddress!) }
        d.withUnsafeBufferPointer { model.backward($0.baseAddress!) }
        for p in model.parameters {
            for i in Swift.stride(from: 0, to: p.count, by: 2) {
                let saved = p.value[i]
                p.value[i] = saved + epsilon; let up = value(nil)
                p.value[i] = saved - epsilon; let down = value(nil)
                p.value[i] = saved
                check(p.gradient[i], (up - down) / Double(2 * epsilon), "quantile model \(p.name)[\(i)]")
            }
        }
    }
}
