import TidalCore
@testable import TidalNet
import TidalTestSupport
import XCTest

/// The register-blocked kernel against a plain Double reference, and whole layers with the
/// kernel against the same layers on OpenBLAS.
final class SmallGEMMTests: XCTestCase {
    func testKernelMatchesReferenceOnEveryBlockShape() {
        var g = testGenerator(5)
        // Rows 1…13 cover the 6-, 4-, 2- and 1-row blocks and the one-row wide path;
        // widths 16…144 cover 64-column blocks with and without a 16-column tail.
        for m in 1 ... 13 {
            for n in [16, 48, 64, 80, 144] {
                for k in [1, 2, 7, 64] {
                    let lda = k + 3, ldw = n + 16, ldc = n + 5
                    let a = (0 ..< m * lda).map { _ in g.uniform(-1, 1) }
                    let w = (0 ..< k * ldw).map { _ in g.uniform(-1, 1) }
                    let c0 = (0 ..< m * ldc).map { _ in g.uniform(-1, 1) }
                    var c = c0
                    a.withUnsafeBufferPointer { ap in
                        w.withUnsafeBufferPointer { wp in
                            c.withUnsafeMutableBufferPointer { cp in
                                SmallGEMM.multiplyAdd(
                                    m: m, n: n, k: k, a: ap.baseAddress!, lda: lda, w: wp.baseAddress!, ldw: ldw,
                                    c: cp.baseAddress!, ldc: ldc)
                            }
                        }
                    }
                    for i in 0 ..< m {
                        for j in 0 ..< ldc {
                            guard j < n else {
                                XCTAssertEqual(c[i * ldc + j], c0[i * ldc + j], "padding touched at \(i),\(j)")
                                continue
                            }
                            var expected = Double(c0[i * ldc + j])
                            for p in 0 ..< k { expected += Double(a[i * lda + p]) * Double(w[p * ldw + j]) }
                            XCTAssertEqual(Double(c[i * ldc + j]), expected, accuracy: 1e-4, "m \(m) n \(n) k \(k) at \(i),\(j)")
                        }
                    }
                }
            }
        }
    }

    func testARowAloneEqualsTheSameRowInABatchBitForBit() {
        // Replay runs one window at a time, forecast --all runs them in batches: same bits.
        var g = testGenerator(9)
        let m = 13, k = 64
        for n in [48, 64, 192, 256] {
            let a = (0 ..< m * k).map { _ in g.uniform(-1, 1) }
            let w = (0 ..< k * n).map { _ in g.uniform(-1, 1) }
            let c0 = (0 ..< m * n).map { _ in g.uniform(-1, 1) }
            var batch = c0
            a.withUnsafeBufferPointer { ap in
                w.withUnsafeBufferPointer { wp in
                    batch.withUnsafeMutableBufferPointer { cp in
                        SmallGEMM.multiplyAdd(
                            m: m, n: n, k: k, a: ap.baseAddress!, lda: k, w: wp.baseAddress!, ldw: n, c: cp.baseAddress!, ldc: n)
                    }
                }
            }
            for i in 0 ..< m {
                var single = Array(c0[i * n ..< (i + 1) * n])
                a.withUnsafeBufferPointer { ap in
                    w.withUnsafeBufferPointer { wp in
                        single.withUnsafeMutableBufferPointer { cp in
                            SmallGEMM.multiplyAdd(
                                m: 1, n: n, k: k, a: ap.baseAddress! + i * k, lda: k, w: wp.baseAddress!, ldw: n,
                                c: cp.baseAddress!, ldc: n)
                        }
                    }
                }
                XCTAssertEqual(single, Array(batch[i * n ..< (i + 1) * n]), "n \(n) row \(i)")
            }
        }
    }

    func testLayersGiveTheSameResultsWithAndWithoutTheKernel() {
        let previous = SmallGEMM.enabled
        defer { SmallGEMM.enabled = previous }
        for cell in CellKind.allCases {
            let T = 4, B = 7, I = 3, H = 16
            var results: [[Float]] = []
            for enabled in [true, false] {
                SmallGEMM.enabled = enabled
                var g = testGenerator(UInt64(cell.gateCount) + 40)
                let layer = RecurrentLayer(cell: cell, inputSize: I, hiddenSize: H, generator: &g)
                let x = (0 ..< T * B * I).map { _ in g.uniform(-1, 1) }
                let dy = (0 ..< T * B * H).map { _ in g.uniform(-1, 1) }
                var mask = [Float](repeating: 1, count: T * B)
                mask[0] = 0; mask[B + 3] = 0  // a padded step takes the pass-through rows
                var out: [Float] = []
                x.withUnsafeBufferPointer { xp in
                    mask.withUnsafeBufferPointer { mp in
                        layer.forward(xp.baseAddress!, steps: T, batch: B, mask: mp.baseAddress!)
                        XCTAssertEqual(layer.usesSmallKernel, enabled)
                        out = Array(UnsafeBufferPointer(start: layer.output, count: T * B * H))
                        layer.zeroGradients()
                        dy.withUnsafeBufferPointer { layer.backward(outputGradient: $0.baseAddress!, finalHiddenGradient: nil) }
                    }
                }
                out += Array(UnsafeBufferPointer(start: layer.inputGradient, count: T * B * I))
                for p in layer.parameters { out += p.gradient }
                results.append(out)
            }
            XCTAssertEqual(results[0].count, results[1].count)
            for (i, (a, b)) in zip(results[0], results[1]).enumerated() {
                XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b)), "\(cell) value \(i)")
            }
        }
    }
}
