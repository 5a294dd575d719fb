import TidalCore

/// A dense array of floats with a shape, row-major (the last dimension varies fastest): the value
/// type library users hand to and get from a `SequenceModel`.
///
/// ```swift
/// let x = Tensor(shape: [48, 2, 1], values: window)   // [T, B, F], time-major
/// let y = model.predict(x)                            // [B, outputSize]
/// ```
public struct Tensor: Sendable, Equatable {
    /// The size of each dimension.
    public var shape: [Int]
    /// `shape.reduce(1, *)` values, row-major.
    public var values: [Float]

    /// A tensor of the given shape and values; `values.count` must equal the product of `shape`.
    public init(shape: [Int], values: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        self.shape = shape
        self.values = values
    }

    /// A tensor of the given shape filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        self.init(shape: shape, values: Array(repeating: value, count: shape.reduce(1, *)))
    }

    /// The number of values.
    public var count: Int { values.count }

    /// The value at one index per dimension.
    public subscript(_ index: Int...) -> Float {
        get { values[offset(index)] }
        set { values[offset(index)] = newValue }
    }

    private func offset(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "\(index.count) indices for shape \(shape)")
        var o = 0
        for (i, n) in zip(index, shape) {
            precondition(i >= 0 && i < n, "index \(index) outside shape \(shape)")
            o = o * n + i
        }
        return o
    }
}

extension SequenceModel {
    /// Predicts from numeric input (inference: no dropout).
    ///
    /// Not safe to call on one model from several threads at once (the model reuses its buffers).
    /// - Parameters:
    ///   - input: `[T, B, inputSize]`, time-major.
    ///   - categories: for a model with categorical covariates, their ids `[T, B, K]` (one per covariate), row-major.
    ///   - mask: `[T, B]` with 1 for real steps and 0 for left padding, or nil when every step is real.
    /// - Returns: `[B, outputSize]`.
    public func predict(_ input: Tensor, categories: [Int32]? = nil, mask: Tensor? = nil) -> Tensor {
        precondition(architecture.vocabularySize == 0, "this model reads token ids: use predict(tokens:steps:batch:mask:)")
        precondition(
            input.shape.count == 3 && input.shape[2] == architecture.inputSize,
            "input of shape \(input.shape); expected [T, B, \(architecture.inputSize)]")
        let T = input.shape[0], B = input.shape[1], K = categorical.count
        precondition(T >= 1 && B >= 1, "empty input of shape \(input.shape)")
        if let mask { precondition(mask.shape == [T, B], "mask of shape \(mask.shape); expected [\(T), \(B)]") }
        precondition(
            K == 0 ? categories == nil : categories?.count == T * B * K,
            K == 0 ? "this model has no categorical covariates" : "categories must hold [\(T), \(B), \(K)] ids")
        return input.values.withUnsafeBufferPointer { x in
            withOptionalPointer(mask?.values) { m in
                let y: UnsafePointer<Float>
                if let categories {
                    y = categories.withUnsafeBufferPointer { c in
                        forward(x.baseAddress!, categories: c.baseAddress!, steps: T, batch: B, mask: m)
                    }
                } else {
                    y = forward(x.baseAddress!, steps: T, batch: B, mask: m)
                }
                return Tensor(
                    shape: [B, architecture.outputSize], values: Array(UnsafeBufferPointer(start: y, count: B * architecture.outputSize)))
            }
        }
    }

    /// Predicts from token ids through the model's embedding (inference: no dropout).
    ///
    /// Not safe to call on one model from several threads at once (the model reuses its buffers).
    /// - Parameters:
    ///   - tokens: `[steps, batch]` ids, time-major; left-pad shorter sequences with id 0 and mask them.
    ///   - mask: `[steps, batch]` with 1 for real steps and 0 for padding, or nil.
    /// - Returns: `[batch, outputSize]`.
    public func predict(tokens: [Int32], steps: Int, batch: Int, mask: Tensor? = nil) -> Tensor {
        precondition(embedding != nil, "this model reads numbers: use predict(_:categories:mask:)")
        precondition(steps >= 1 && batch >= 1 && tokens.count == steps * batch, "\(tokens.count) ids for [\(steps), \(batch)]")
        if let mask { precondition(mask.shape == [steps, batch], "mask of shape \(mask.shape); expected [\(steps), \(batch)]") }
        return tokens.withUnsafeBufferPointer { ids in
            withOptionalPointer(mask?.values) { m in
                let y = forward(tokens: ids.baseAddress!, steps: steps, batch: batch, mask: m)
                return Tensor(
                    shape: [batch, architecture.outputSize],
                    values: Array(UnsafeBufferPointer(start: y, count: batch * architecture.outputSize)))
            }
        }
    }
}

/// Calls `body` with a pointer to `values`, or with nil.
private func withOptionalPointer<R>(_ values: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let values else { return body(nil) }
    return values.withUnsafeBufferPointer { body($0.baseAddress!) }
}
