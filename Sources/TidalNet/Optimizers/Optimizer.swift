/// Updates parameters from their accumulated gradients.
///
/// Implementations keep per-parameter state (moments, momentum buffers) in the order of
/// the `parameters` array given at creation.
public protocol Optimizer: AnyObject {
    /// The learning rate used by the next `step`; schedules change it between epochs.
    var learningRate: Float { get set }
    /// Applies one update to every parameter from its `gradient`.
    func step()
}

/// Which optimizer to build, with PyTorch's names.
public enum OptimizerKind: String, Sendable, CaseIterable, Codable {
    /// `Adam` with L2 weight decay (`torch.optim.Adam`).
    case adam
    /// `Adam` with decoupled weight decay (`torch.optim.AdamW`).
    case adamw
    /// `SGD` with momentum (`torch.optim.SGD`).
    case sgd
}

/// Scales all gradients so that their global 2-norm is at most `maxNorm`
/// (`torch.nn.utils.clip_grad_norm_`): `coef = maxNorm / (total + 1e−6)`, applied when `coef < 1`.
/// - Returns: the total norm before clipping.
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Float) -> Double {
    var sum = 0.0
    for p in parameters {
        p.gradient.withUnsafeBufferPointer { g in p.forEachActiveRange { r in for i in r { sum += Double(g[i]) * Double(g[i]) } } }
    }
    let total = sum.squareRoot()
    let coefficient = Double(maxNorm) / (total + 1e-6)
    if coefficient < 1 {
        let c = Float(coefficient)
        for p in parameters {
            p.gradient.withUnsafeMutableBufferPointer { g in p.forEachActiveRange { r in for i in r { g[i] *= c } } }
        }
    }
    return total
}

/// Adam and AdamW, with PyTorch's exact update. For row-sparse parameters (embeddings) only the
/// rows touched since the last step are updated, as PyTorch's `SparseAdam` and TensorFlow's
/// `LazyAdam` do; their moments of untouched rows are left as they are.
///
/// `m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²;
/// p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)`.
/// Adam with `weightDecay` adds `wd·p` to the gradient (L2); AdamW (`decoupled`) first
/// multiplies `p` by `1 − lr·wd`. References: Kingma & Ba (2015); Loshchilov & Hutter (2019).
public final class Adam: Optimizer {
    /// The learning rate of the next `step`.
    public var learningRate: Float
    /// Decay rates of the first and second moments, the denominator's ε, and the weight decay.
    public let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    /// AdamW: weight decay applied to the weights directly rather than added to the gradient.
    public let decoupled: Bool
    let parameters: [Parameter]
    var firstMoment: [[Float]]
    var secondMoment: [[Float]]
    /// Steps taken (t in the bias corrections).
    public internal(set) var stepCount = 0

    /// An optimizer for `parameters` with PyTorch's defaults.
    public init(
        parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
        epsilon: Float = 1e-8, weightDecay: Float = 0, decoupled: Bool = false
    ) {
        precondition(
            learningRate >= 0 && (0 ..< 1).contains(beta1) && (0 ..< 1).contains(beta2) && epsilon >= 0 && weightDecay >= 0,
            "invalid Adam hyperparameters")
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupled = decoupled
        firstMoment = parameters.map { Array(repeating: 0, count: $0.count) }
        secondMoment = parameters.map { Array(repeating: 0, count: $0.count) }
    }

    /// Applies one Adam update to every parameter (only the touched rows of row-sparse ones).
    public func step() {
        stepCount += 1
        let t = Double(stepCount)
        let biasCorrection1 = 1 - pow(Double(beta1), t)
        let biasCorrection2Root = (1 - pow(Double(beta2), t)).squareRoot()
        let stepSize = Float(Double(learningRate) / biasCorrection1)
        let rootCorrection = Float(biasCorrection2Root)
        let lr = learningRate, wd = weightDecay, b1 = beta1, b2 = beta2, eps = epsilon
        for (index, p) in parameters.enumerated() {
            p.value.withUnsafeMutableBufferPointer { value in
                p.gradient.withUnsafeBufferPointer { grad in
                    firstMoment[index].withUnsafeMutableBufferPointer { m in
                        secondMoment[index].withUnsafeMutableBufferPointer { v in
                            p.forEachActiveRange { range in
                                for i in range {
                                    var g = grad[i]
                                    if wd != 0 {
                                        if decoupled { value[i] *= 1 - lr * wd } else { g += wd * value[i] }
                                    }
                                    m[i] = b1 * m[i] + (1 - b1) * g
                                    v[i] = b2 * v[i] + (1 - b2) * g * g
                                    value[i] -= stepSize * m[i] / (v[i].squareRoot() / rootCorrection + eps)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Stochastic gradient descent with momentum, Nesterov momentum and L2 weight decay, as `torch.optim.SGD`:
/// `g ← g + wd·p; buf ← g (first step) or μ·buf + (1 − dampening)·g; g ← g + μ·buf (Nesterov) or buf; p ← p − lr·g`.
public final class SGD: Optimizer {
    /// The learning rate of the next `step`.
    public var learningRate: Float
    /// Momentum factor μ, dampening of the gradient in the buffer, and L2 weight decay.
    public let momentum: Float, dampening: Float, weightDecay: Float
    /// Nesterov momentum.
    public let nesterov: Bool
    let parameters: [Parameter]
    var buffers: [[Float]]
    var started = false

    /// An optimizer for `parameters` with PyTorch's defaults (plain SGD without momentum).
    public init(
        parameters: [Parameter], learningRate: Float = 1e-2, momentum: Float = 0, dampening: Float = 0,
        weightDecay: Float = 0, nesterov: Bool = false
    ) {
        precondition(learningRate >= 0 && momentum >= 0 && weightDecay >= 0, "invalid SGD hyperparameters")
        precondition(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum needs momentum > 0 and no dampening")
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        buffers = parameters.map { Array(repeating: 0, count: $0.count) }
    }

    /// Applies one SGD update to every parameter (only the touched rows of row-sparse ones).
    public func step() {
        let first = !started
        started = true
        for (index, p) in parameters.enumerated() {
            p.value.withUnsafeMutableBufferPointer { value in
                p.gradient.withUnsafeBufferPointer { grad in
                    buffers[index].withUnsafeMutableBufferPointer { buf in
                        p.forEachActiveRange { range in
                            for i in range {
                                var g = grad[i]
                                if weightDecay != 0 { g += weightDecay * value[i] }
                                if momentum != 0 {
                                    buf[i] = first ? g : momentum * buf[i] + (1 - dampening) * g
                                    g = nesterov ? g + momentum * buf[i] : buf[i]
                                }
                                value[i] -= learningRate * g
                            }
                        }
                    }
                }
            }
        }
    }
}

#if canImport(Glibc)
    import TidalCore
    import Glibc
#endif

/// An optimizer's running state, as a training checkpoint saves it: the step count and every
/// per-parameter buffer (Adam: the first moments, then the second; SGD: the momentum buffers).
package struct OptimizerState: Sendable, Equatable {
    /// Adam: steps taken; SGD: 1 once a step has filled the momentum buffers, else 0.
    package var steps: Int
    /// The buffers, in the order of the optimizer's parameters.
    package var buffers: [[Float]]

    /// A state from its parts.
    package init(steps: Int, buffers: [[Float]]) {
        self.steps = steps
        self.buffers = buffers
    }
}

/// An optimizer whose state can be saved and restored exactly.
package protocol StatefulOptimizer: Optimizer {
    /// The state after the steps taken so far.
    var state: OptimizerState { get }
    /// Continues from `state`; false (and nothing changed) when its buffers do not fit the parameters.
    func restore(_ state: OptimizerState) -> Bool
}

extension Adam: StatefulOptimizer {
    package var state: OptimizerState { OptimizerState(steps: stepCount, buffers: firstMoment + secondMoment) }

    package func restore(_ state: OptimizerState) -> Bool {
        let counts = parameters.map(\.count)
        guard state.steps >= 0, state.buffers.map(\.count) == counts + counts else { return false }
        stepCount = state.steps
        firstMoment = Array(state.buffers[0 ..< counts.count])
        secondMoment = Array(state.buffers[counts.count...])
        return true
    }
}

extension SGD: StatefulOptimizer {
    package var state: OptimizerState { OptimizerState(steps: started ? 1 : 0, buffers: buffers) }

    package func restore(_ state: OptimizerState) -> Bool {
        guard (0 ... 1).contains(state.steps), state.buffers.map(\.count) == parameters.map(\.count) else { return false }
        started = state.steps == 1
        buffers = state.buffers
        return true
    }
}
