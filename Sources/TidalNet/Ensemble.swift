import Foundation
import TidalCore
import TidalData

/// What maps inputs to outputs at inference: one network, or an ensemble of them.
///
/// Every prediction path (scoring, `forecast`, `predict`, `replay`) goes through these calls, so an
/// ensemble predicts wherever a single network does. Outputs are `[batch, outputSize]`, valid
/// until the next call; a classifier's outputs are logits (an ensemble's are the logarithms of its
/// mean probabilities, which softmax and argmax read the same way).
package protocol SequencePredicting: AnyObject {
    /// The shape shared by every network inside.
    var architecture: ModelArchitecture { get }
    /// Outputs for a filled batch.
    func predict(_ batch: Batch) -> UnsafePointer<Float>
    /// Outputs for numeric steps `x` `[T, B, F]` and, when the model has categorical columns, their ids `[T, B, K]`.
    func predict(_ x: UnsafePointer<Float>, categories: UnsafePointer<Int32>?, steps: Int, batch: Int) -> UnsafePointer<Float>
    /// A copy with its own buffers, for predicting on another thread; its outputs equal this one's bit for bit.
    func inferenceReplica() -> any SequencePredicting
}

extension SequenceModel: SequencePredicting {
    package func inferenceReplica() -> any SequencePredicting { inferenceReplica() as SequenceModel }

    package func predict(_ batch: Batch) -> UnsafePointer<Float> { forward(batch) }

    package func predict(_ x: UnsafePointer<Float>, categories: UnsafePointer<Int32>?, steps: Int, batch: Int) -> UnsafePointer<Float> {
        if let categories { return forward(x, categories: categories, steps: steps, batch: batch) }
        return forward(x, steps: steps, batch: batch)
    }
}

/// Networks of one shape trained from different seeds, predicting together: the median of their
/// outputs (regression and forecasting, robust to one member that went astray) or the mean of
/// their class probabilities (classification).
package final class Ensemble: SequencePredicting {
    /// How the members' outputs become one.
    package enum Combination: Sendable {
        /// The element-wise median (the mean of the middle two for an even count).
        case median
        /// `log(mean_k softmax(logits_k))` per sample.
        case meanProbability
    }

    /// The networks, in training order.
    package let members: [SequenceModel]
    /// How their outputs are combined.
    package let combination: Combination
    private let collected = FloatBuffer()
    private let combined = FloatBuffer()
    private var column: [Float]

    /// An ensemble of `members` (at least one, all of one architecture).
    package init(_ members: [SequenceModel], combination: Combination) {
        precondition(!members.isEmpty, "an ensemble needs a member")
        precondition(members.allSatisfy { $0.architecture == members[0].architecture }, "ensemble members differ in shape")
        self.members = members
        self.combination = combination
        column = Array(repeating: 0, count: members.count)
    }

    package var architecture: ModelArchitecture { members[0].architecture }

    package func inferenceReplica() -> any SequencePredicting {
        Ensemble(members.map { $0.inferenceReplica() as SequenceModel }, combination: combination)
    }

    package func predict(_ batch: Batch) -> UnsafePointer<Float> {
        combine(rows: batch.size) { $0.predict(batch) }
    }

    package func predict(_ x: UnsafePointer<Float>, categories: UnsafePointer<Int32>?, steps: Int, batch: Int) -> UnsafePointer<Float> {
        combine(rows: batch) { $0.predict(x, categories: categories, steps: steps, batch: batch) }
    }

    /// Runs every member (`run`) on the same input of `rows` samples and combines the outputs.
    private func combine(rows: Int, _ run: (SequenceModel) -> UnsafePointer<Float>) -> UnsafePointer<Float> {
        if members.count == 1 { return run(members[0]) }
        let O = architecture.outputSize, n = rows * O, N = members.count
        let all = collected.reserve(N * n), out = combined.reserve(n)
        for (k, member) in members.enumerated() {
            let y = run(member)
            switch combination {
            case .median: (all + k * n).update(from: y, count: n)
            case .meanProbability: for r in 0 ..< rows { softmax(y + r * O, into: all + k * n + r * O, count: O) }
            }
        }
        switch combination {
        case .median:
            for i in 0 ..< n {
                for k in 0 ..< N { column[k] = all[k * n + i] }
                column.sort()
                out[i] = N % 2 == 1 ? column[N / 2] : (column[N / 2 - 1] + column[N / 2]) / 2
            }
        case .meanProbability:
            for i in 0 ..< n {
                var p: Float = 0
                for k in 0 ..< N { p += all[k * n + i] }
                // The smallest positive Float keeps log finite when every member gives a class 0.
                out[i] = log(max(p / Float(N), .leastNonzeroMagnitude))
            }
        }
        return UnsafePointer(out)
    }

    /// `softmax(x)` over `count` logits, shifted by the maximum so `exp` cannot overflow.
    private func softmax(_ x: UnsafePointer<Float>, into p: UnsafeMutablePointer<Float>, count: Int) {
        var m = x[0]
        for i in 1 ..< count { m = max(m, x[i]) }
        var sum: Float = 0
        for i in 0 ..< count {
            p[i] = exp(x[i] - m)
            sum += p[i]
        }
        for i in 0 ..< count { p[i] /= sum }
    }
}
