#if canImport(Glibc)
    import TidalCore
    import Glibc
#endif

/// How the learning rate changes from epoch to epoch; the trainer calls `rate(afterEpoch:validationLoss:)`.
public enum LearningRateSchedule: Sendable, Equatable {
    /// The base rate throughout.
    case constant
    /// Multiply by `gamma` every `every` epochs (`StepLR`).
    case step(every: Int, gamma: Float)
    /// Cosine from the base rate to `minimum` over `epochs` (`CosineAnnealingLR`).
    case cosine(epochs: Int, minimum: Float)
    /// Multiply by `factor` when the validation loss has not improved for `patience` epochs (`ReduceLROnPlateau`).
    case plateau(patience: Int, factor: Float)
}

/// The running state of a schedule.
public struct LearningRateScheduler: Sendable {
    /// The schedule followed.
    public let schedule: LearningRateSchedule
    /// The rate of the first epoch.
    public let baseRate: Float
    /// The rate of the coming epoch.
    public private(set) var rate: Float
    private var best = Float.infinity
    private var badEpochs = 0

    /// A scheduler at the start of training (rate = `baseRate`).
    public init(_ schedule: LearningRateSchedule, baseRate: Float) {
        self.schedule = schedule
        self.baseRate = baseRate
        rate = baseRate
    }

    /// The running figures, for training checkpoints: the coming rate, the best validation loss
    /// so far and the epochs since it improved (`plateau`).
    package var progress: (rate: Float, best: Float, badEpochs: Int) {
        get { (rate, best, badEpochs) }
        set { (rate, best, badEpochs) = newValue }
    }

    /// The rate for the next epoch, after epoch `epoch` (1-based) ended with `validationLoss`.
    public mutating func rate(afterEpoch epoch: Int, validationLoss: Float?) -> Float {
        switch schedule {
        case .constant:
            break
        case let .step(every, gamma):
            rate = baseRate * pow(gamma, Float(epoch / max(1, every)))
        case let .cosine(epochs, minimum):
            let progress = min(1, Float(epoch) / Float(max(1, epochs)))
            rate = minimum + (baseRate - minimum) * (1 + cos(Float.pi * progress)) / 2
        case let .plateau(patience, factor):
            if let loss = validationLoss {
                if loss < best * (1 - 1e-4) {
                    best = loss; badEpochs = 0
                } else {
                    badEpochs += 1
                    if badEpochs > patience { rate *= factor; badEpochs = 0 }
                }
            }
        }
        return rate
    }
}
