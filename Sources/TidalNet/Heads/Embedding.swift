import TidalCore

/// A lookup table of vectors, `nn.Embedding(V, E, padding_idx=p)`: `weight` `[V, E]`
/// initialised N(0, 1) with the padding row zero.
///
/// Backward accumulates only into the rows the batch used (never into the padding row), and
/// records those rows in `weight.sparseRows`, so zeroing the gradient and the optimizer step
/// touch only them — the cost per step does not grow with the vocabulary.
public final class Embedding: ParameterOwner {
    public let vocabularySize: Int
    public let dimension: Int
    public let paddingIndex: Int?
    public let weight: Parameter
    public var parameters: [Parameter] { [weight] }

    private let outputBuffer = FloatBuffer()
    private var tokens: UnsafePointer<Int32>?
    private var count = 0
    private var touched: [Bool]
    private var recorded: [Int] = []

    public init(vocabularySize: Int, dimension: Int, paddingIndex: Int? = 0, prefix: String = "", generator: inout SeededGenerator) {
        precondition(vocabularySize >= 1 && dimension >= 1, "embedding sizes must be positive")
        self.vocabularySize = vocabularySize
        self.dimension = dimension
        self.paddingIndex = paddingIndex
        weight = Parameter(name: "\(prefix)weight", shape: [vocabularySize, dimension])
        for i in weight.value.indices { weight.value[i] = Float(generator.normal()) }
        if let p = paddingIndex { for j in 0 ..< dimension { weight.value[p * dimension + j] = 0 } }
        weight.sparseRows = []
        touched = Array(repeating: false, count: vocabularySize)
    }

    /// Looks up `count` token ids (any layout, e.g. `[T, B]`); returns `[count, E]`. The ids must stay valid until `backward`.
    @discardableResult
    public func forward(_ ids: UnsafePointer<Int32>, count: Int) -> UnsafePointer<Float> {
        tokens = ids
        self.count = count
        let E = dimension
        let out = outputBuffer.reserve(count * E)
        weight.value.withUnsafeBufferPointer { w in
            for i in 0 ..< count {
                let id = Int(ids[i])
                precondition(id >= 0 && id < vocabularySize, "token id \(id) outside the vocabulary of \(vocabularySize)")
                (out + i * E).update(from: w.baseAddress! + id * E, count: E)
            }
        }
        return UnsafePointer(out)
    }

    /// Adds dLoss/dOutput `[count, E]` into the rows that were looked up (not the padding row).
    public func backward(_ outputGradient: UnsafePointer<Float>) {
        let E = dimension, ids = tokens!
        if weight.sparseRows?.isEmpty ?? true {
            // The gradient was zeroed since the last backward: forget which rows were touched.
            for id in recorded { touched[id] = false }
            recorded.removeAll(keepingCapacity: true)
            weight.sparseRows = []
        }
        weight.gradient.withUnsafeMutableBufferPointer { g in
            for i in 0 ..< count {
                let id = Int(ids[i])
                if id == paddingIndex { continue }
                if !touched[id] { touched[id] = true; weight.sparseRows!.append(id); recorded.append(id) }
                let row = g.baseAddress! + id * E, d = outputGradient + i * E
                for j in 0 ..< E { row[j] += d[j] }
            }
        }
    }

}
