import TidalCore

/// A learnable tensor: its PyTorch name and shape, its values and its accumulated gradient.
///
/// A reference type so that a layer and the optimizer update the same storage.
public final class Parameter {
    /// PyTorch's name, e.g. `lstm.weight_ih_l0` or `head.bias`.
    public let name: String
    /// PyTorch's shape, e.g. `[4 * hidden, input]`.
    public let shape: [Int]
    /// Row-major values.
    public var value: [Float]
    /// Row-major gradient, accumulated by `backward` until `zeroGradient()`.
    public var gradient: [Float]
    /// For row-sparse parameters (embeddings): the rows whose gradient may be non-zero since the
    /// last `zeroGradient()`; nil for dense parameters. Optimizers then update only these rows.
    public var sparseRows: [Int]?

    /// Values per row (the product of every dimension but the first).
    public var rowLength: Int { shape.dropFirst().reduce(1, *) }

    /// A parameter of the given shape, with `value` (row-major) or zeros, and a zero gradient.
    public init(name: String, shape: [Int], value: [Float]? = nil) {
        let count = shape.reduce(1, *)
        precondition(value == nil || value!.count == count, "\(name): \(value!.count) values for shape \(shape)")
        self.name = name
        self.shape = shape
        elementCount = count
        self.value = value ?? Array(repeating: 0, count: count)
        self.gradient = Array(repeating: 0, count: count)
    }

    /// Number of values (from the shape, so it can be read while `value` is being updated).
    public var count: Int { elementCount }
    private let elementCount: Int

    /// Sets the gradient to zero (only the recorded rows of a row-sparse parameter) and forgets the rows.
    public func zeroGradient() {
        if let rows = sparseRows {
            let n = rowLength
            gradient.withUnsafeMutableBufferPointer { g in for r in rows { (g.baseAddress! + r * n).update(repeating: 0, count: n) } }
            sparseRows = []
        } else {
            gradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }
    }

    /// Calls `body` with each index range that may hold a non-zero gradient (all of it when dense).
    @inline(__always)
    public func forEachActiveRange(_ body: (Range<Int>) -> Void) {
        if let rows = sparseRows {
            let n = rowLength
            for r in rows { body(r * n ..< (r + 1) * n) }
        } else {
            body(0 ..< count)
        }
    }

    /// Fills with U(−bound, bound), PyTorch's default for recurrent and linear layers.
    public func initializeUniform(bound: Float, generator: inout SeededGenerator) {
        for i in value.indices { value[i] = generator.uniform(-bound, bound) }
    }
}

/// Anything that owns parameters.
public protocol ParameterOwner: AnyObject {
    /// Every parameter, in PyTorch's `state_dict` order.
    var parameters: [Parameter] { get }
}

extension ParameterOwner {
    /// Zeroes the gradient of every parameter.
    public func zeroGradients() { for p in parameters { p.zeroGradient() } }
    /// The number of learnable values over all parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
}
