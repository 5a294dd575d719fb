import TidalCore
import TidalNet
import TidalTestSupport
import XCTest

/// The value-type API (`Tensor`, `SequenceModel.predict`) and the layers' ownership of what they keep.
final class TensorAPITests: XCTestCase {
    func testPredictEqualsTheBufferForward() {
        let T = 6, B = 3, F = 2
        let model = SequenceModel(
            ModelArchitecture(cell: .gru, inputSize: F, hiddenSize: 8, layers: 2, outputSize: 2, skipSteps: T), seed: 1)
        var g = testGenerator(3)
        let x = Tensor(shape: [T, B, F], values: (0 ..< T * B * F).map { _ in g.uniform(-1, 1) })
        let y = model.predict(x)
        XCTAssertEqual(y.shape, [B, 2])
        let want = x.values.withUnsafeBufferPointer {
            Array(UnsafeBufferPointer(start: model.forward($0.baseAddress!, steps: T, batch: B), count: B * 2))
        }
        XCTAssertEqual(y.values, want)
        XCTAssertEqual(y[B - 1, 1], want[2 * B - 1])
        // A masked (left-padded) row predicts as it does alone.
        var padded = x, mask = Tensor(shape: [T, B], repeating: 1)
        for f in 0 ..< F { padded[0, 0, f] = 9 }
        mask[0, 0] = 0
        let alone = Tensor(shape: [T - 1, 1, F], values: (1 ..< T).flatMap { t in (0 ..< F).map { x[t, 0, $0] } })
        let noSkip = SequenceModel(ModelArchitecture(cell: .lstm, inputSize: F, hiddenSize: 8, layers: 1, outputSize: 2), seed: 2)
        let masked = noSkip.predict(padded, mask: mask)
        let single = noSkip.predict(alone)
        for o in 0 ..< 2 { XCTAssertEqual(masked[0, o], single[0, o], accuracy: 1e-6) }
    }

    func testPredictFromTokens() {
        let model = SequenceModel(
            ModelArchitecture(cell: .lstm, inputSize: 4, hiddenSize: 8, layers: 1, outputSize: 3, vocabularySize: 10), seed: 4)
        let tokens: [Int32] = [0, 3, 5, 7, 2, 1]  // [3 steps, 2 rows], the first row left-padded once
        let mask = Tensor(shape: [3, 2], values: [0, 1, 1, 1, 1, 1])
        let y = model.predict(tokens: tokens, steps: 3, batch: 2, mask: mask)
        XCTAssertEqual(y.shape, [2, 3])
        let alone = model.predict(tokens: [5, 2], steps: 2, batch: 1)
        for o in 0 ..< 3 { XCTAssertEqual(y[0, o], alone[0, o], accuracy: 1e-6) }
    }

    /// The caller's input may change between forward and backward: the layers kept copies.
    func testBackwardDoesNotReadTheCallersInput() {
        let T = 5, B = 2, F = 3
        var g = testGenerator(7)
        let x = (0 ..< T * B * F).map { _ in g.uniform(-1, 1) }
        let dy = (0 ..< B).map { _ in g.uniform(-1, 1) }
        func gradients(overwritingInput: Bool) -> [[Float]] {
            let model = SequenceModel(
                ModelArchitecture(cell: .lstm, inputSize: F, hiddenSize: 8, layers: 2, outputSize: 1, skipSteps: T), seed: 5)
            let input = FloatBuffer()
            input.reserve(x.count).update(from: x, count: x.count)
            model.zeroGradients()
            model.forward(input.pointer, steps: T, batch: B)
            if overwritingInput { input.pointer.update(repeating: 100, count: x.count) }
            dy.withUnsafeBufferPointer { model.backward($0.baseAddress!) }
            return model.parameters.map(\.gradient)
        }
        XCTAssertEqual(gradients(overwritingInput: true), gradients(overwritingInput: false))
    }
}
