import TidalCore
import TidalData
import TidalTestSupport
import XCTest

@testable import TidalNet

final class EnsembleTests: XCTestCase {
    func networks(_ count: Int, outputs: Int) -> [SequenceModel] {
        let a = ModelArchitecture(cell: .gru, inputSize: 2, hiddenSize: 3, layers: 1, outputSize: outputs)
        return (0 ..< count).map { SequenceModel(a, seed: UInt64(10 + $0)) }
    }

    func input(steps: Int, batch: Int) -> [Float] {
        var g = SeededGenerator(seed: 4)
        return (0 ..< steps * batch * 2).map { _ in g.uniform(-1, 1) }
    }

    func outputs(_ model: any SequencePredicting, _ x: [Float], steps: Int, batch: Int) -> [Float] {
        x.withUnsafeBufferPointer { p in
            Array(UnsafeBufferPointer(start: model.predict(p.baseAddress!, categories: nil, steps: steps, batch: batch), count: batch * 2))
        }
    }

    func testMedianOfOutputs() {
        let (T, B) = (5, 3)
        let x = input(steps: T, batch: B)
        for count in [1, 2, 3, 4] {
            let members = networks(count, outputs: 2)
            let each = members.map { outputs($0, x, steps: T, batch: B) }
            let got = outputs(Ensemble(members, combination: .median), x, steps: T, batch: B)
            for i in 0 ..< B * 2 {
                let sorted = each.map { $0[i] }.sorted()
                let median = count % 2 == 1 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2
                XCTAssertEqual(got[i], median, accuracy: 1e-6, "\(count) members, output \(i)")
            }
        }
    }

    func testMeanProbabilityIsTheLogOfTheMeanSoftmax() {
        let (T, B) = (4, 3)
        let x = input(steps: T, batch: B)
        let members = networks(3, outputs: 2)
        func softmax(_ row: ArraySlice<Float>) -> [Double] {
            let m = Double(row.max()!), e = row.map { exp(Double($0) - m) }, s = e.reduce(0, +)
            return e.map { $0 / s }
        }
        let each = members.map { outputs($0, x, steps: T, batch: B) }
        let got = outputs(Ensemble(members, combination: .meanProbability), x, steps: T, batch: B)
        for b in 0 ..< B {
            let mean = (0 ..< 2).map { c in each.map { softmax($0[b * 2 ..< b * 2 + 2])[c] }.reduce(0, +) / 3 }
            for c in 0 ..< 2 { XCTAssertEqual(Double(got[b * 2 + c]), log(mean[c]), accuracy: 1e-5) }
        }
    }
}
