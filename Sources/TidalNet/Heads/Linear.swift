import TidalCore

/// A fully connected layer, `nn.Linear(in, out)`: `y = x · Wᵀ + b`, `weight` `[out, in]`, `bias` `[out]`.
///
/// Used as the regression head (`horizon × targets` outputs) and as the classification
/// head (one logit per class). Initialised like PyTorch: U(−1/√in, 1/√in).
public final class Linear: ParameterOwner {
    /// Input features per row.
    public let inputSize: Int
    /// Output values per row.
    public let outputSize: Int
    /// `[out, in]`.
    public let weight: Parameter
    /// `[out]`.
    public let bias: Parameter
    /// `[weight, bias]`.
    public var parameters: [Parameter] { [weight, bias] }

    private let outputBuffer = FloatBuffer()
    private let inputGradientBuffer = FloatBuffer()
    /// The last forward's input `[B, in]`, copied: backward reads it.
    private let inputCopy = FloatBuffer()
    private var batch = 0

    /// A layer initialised U(−1/√in, 1/√in), as PyTorch.
    /// - Parameter prefix: module name before `weight` and `bias`, e.g. `head.`.
    public init(inputSize: Int, outputSize: Int, prefix: String = "", generator: inout SeededGenerator) {
        self.inputSize = inputSize
        self.outputSize = outputSize
        weight = Parameter(name: "\(prefix)weight", shape: [outputSize, inputSize])
        bias = Parameter(name: "\(prefix)bias", shape: [outputSize])
        let bound = 1 / Float(inputSize).squareRoot()
        weight.initializeUniform(bound: bound, generator: &generator)
        bias.initializeUniform(bound: bound, generator: &generator)
    }

    /// `[B, out]` for the input `[B, in]`, valid until the next forward. The layer keeps a copy of the input for `backward`.
    @discardableResult
    package func forward(_ x: UnsafePointer<Float>, batch: Int) -> UnsafePointer<Float> {
        inputCopy.reserve(batch * inputSize).update(from: x, count: batch * inputSize)
        self.batch = batch
        let y = outputBuffer.reserve(batch * outputSize)
        bias.value.withUnsafeBufferPointer { b in
            for r in 0 ..< batch { (y + r * outputSize).update(from: b.baseAddress!, count: outputSize) }
        }
        weight.value.withUnsafeBufferPointer { w in
            BLAS.gemm(
                transposeB: true, m: batch, n: outputSize, k: inputSize, a: x, lda: inputSize,
                b: w.baseAddress!, ldb: inputSize, beta: 1, c: y, ldc: outputSize)
        }
        return UnsafePointer(y)
    }

    /// The last forward's output `[B, out]`.
    package var output: UnsafePointer<Float> { UnsafePointer(outputBuffer.pointer) }

    /// Accumulates dW, db and returns dLoss/dx `[B, in]`.
    @discardableResult
    package func backward(_ outputGradient: UnsafePointer<Float>) -> UnsafePointer<Float> {
        let x = UnsafePointer(inputCopy.pointer)
        weight.gradient.withUnsafeMutableBufferPointer { dw in
            BLAS.gemm(
                transposeA: true, m: outputSize, n: inputSize, k: batch, a: outputGradient, lda: outputSize,
                b: x, ldb: inputSize, beta: 1, c: dw.baseAddress!, ldc: inputSize)
        }
        bias.gradient.withUnsafeMutableBufferPointer { db in
            RecurrentLayer.addColumnSums(outputGradient, rows: batch, columns: outputSize, stride: outputSize, into: db.baseAddress!)
        }
        let dx = inputGradientBuffer.reserve(batch * inputSize)
        weight.value.withUnsafeBufferPointer { w in
            BLAS.gemm(
                m: batch, n: inputSize, k: outputSize, a: outputGradient, lda: outputSize,
                b: w.baseAddress!, ldb: inputSize, beta: 0, c: dx, ldc: inputSize)
        }
        return UnsafePointer(dx)
    }
}
