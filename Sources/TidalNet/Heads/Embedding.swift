import TidalCore

/// A lookup table of vectors, `nn.Embedding(V, E, padding_idx=p)`: `weight` `[V, E]`
/// initialised N(0, 1) with the padding row zero.
///
/// Backward accumulates only into the rows the batch used (never into the padding row), and
/// records those rows in `weight.sparseRows`, so zeroing the gradient and the optimizer step
/// touch only them — the cost per step does not grow with the vocabulary.
public final class Embedding: ParameterOwner {
    /// Rows of the table (V): ids run from 0 to V − 1.
    public let vocabularySize: Int
    /// Values per vector (E).
    public let dimension: Int
    /// The id whose vector stays zero and gets no gradient (`<pad>`), or nil.
    public let paddingIndex: Int?
    /// The table `[V, E]`, row-sparse gradient.
    public let weight: Parameter
    /// `[weight]`.
    public var parameters: [Parameter] { [weight] }

    private let outputBuffer = FloatBuffer()
    /// The last forward's ids, copied: backward reads them.
    private let tokens = Buffer<Int32>()
    private var count = 0
    private var touched: [Bool]
    private var recorded: [Int] = []

    /// A table initialised N(0, 1) with the padding row zero.
    /// - Parameter prefix: module name before `weight`, e.g. `embedding.`.
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

    /// Looks up `count` token ids (any layout, e.g. `[T, B]`); returns `[count, E]`, valid until the
    /// next forward. The layer keeps a copy of the ids for `backward`.
    @discardableResult
    package func forward(_ ids: UnsafePointer<Int32>, count: Int) -> UnsafePointer<Float> {
        tokens.reserve(count).update(from: ids, count: count)
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
    package func backward(_ outputGradient: UnsafePointer<Float>) {
        let E = dimension, ids = tokens.pointer
        beginAccumulating()
        weight.gradient.withUnsafeMutableBufferPointer { g in
            for i in 0 ..< count {
                let id = Int(ids[i])
                if id == paddingIndex { continue }
                markTouched(id)
                let row = g.baseAddress! + id * E, d = outputGradient + i * E
                for j in 0 ..< E { row[j] += d[j] }
            }
        }
    }

    /// Adds the gradient another embedding of the same shape accumulated (a `DataParallel` replica)
    /// into this one, row by touched row, and records those rows here.
    package func accumulateGradient(from other: Embedding) {
        guard let rows = other.weight.sparseRows, !rows.isEmpty else { return }
        let E = dimension
        beginAccumulating()
        weight.gradient.withUnsafeMutableBufferPointer { g in
            other.weight.gradient.withUnsafeBufferPointer { s in
                for id in rows {
                    markTouched(id)
                    let row = g.baseAddress! + id * E, d = s.baseAddress! + id * E
                    for j in 0 ..< E { row[j] += d[j] }
                }
            }
        }
    }

    /// When the gradient was zeroed since the last accumulation, forgets which rows were touched.
    private func beginAccumulating() {
        guard weight.sparseRows?.isEmpty ?? true else { return }
        for id in recorded { touched[id] = false }
        recorded.removeAll(keepingCapacity: true)
        weight.sparseRows = []
    }

    /// Records row `id` in `weight.sparseRows` the first time it gets a gradient.
    @inline(__always) private func markTouched(_ id: Int) {
        if !touched[id] { touched[id] = true; weight.sparseRows!.append(id); recorded.append(id) }
    }
}
