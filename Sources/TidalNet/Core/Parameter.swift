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

    public init(name: String, shape: [Int], value: [Float]? = nil) {
        let count = shape.reduce(1, *)
        precondition(value == nil || value!.count == count, "\(name): \(value!.count) values for shape \(shape)")
        self.name = name
        self.shape = shape
        self.value = value ?? Array(repeating: 0, count: count)
        self.gradient = Array(repeating: 0, count: count)
    }

    public var count: Int { value.count }

    public func zeroGradient() {
        gradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
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
    public func zeroGradients() { for p in parameters { p.zeroGradient() } }
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
}
