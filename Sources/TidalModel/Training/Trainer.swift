import Foundation
import TidalCore
import TidalData
import TidalNet

/// Hyperparameters of a training run.
public struct TrainingConfiguration: Sendable {
    /// Passes over the training samples (fewer when early stopping ends the run); not used
    /// under a step budget.
    public var epochs = 100
    /// A step budget: this many optimizer steps, each on a batch of samples drawn uniformly (with
    /// replacement) from the training samples, evaluated every `evaluationInterval` steps. Nil:
    /// `epochs` passes over the samples. See `TrainingBudget` for the default.
    public var steps: Int?
    /// Under a step budget: steps between evaluations. Each evaluation is one history record, the
    /// unit of early stopping's `patience` and of `checkpointEvery`.
    public var evaluationInterval = TrainingBudget.evaluationInterval
    /// Under a step budget: the learning rate follows a cosine from `learningRate` to a hundredth of
    /// it over the budget's evaluations (`schedule` is then not used). A continuation with a raised
    /// budget anneals over the new one from where the checkpoint stood.
    public var annealsOverBudget = false
    /// Samples per batch; 0 lets the session choose.
    public var batchSize = 32
    /// The optimizer's base step size.
    public var learningRate: Float = 1e-3
    /// Adam, AdamW or SGD.
    public var optimizer: OptimizerKind = .adam
    /// L2 penalty (Adam, SGD) or decoupled weight decay (AdamW).
    public var weightDecay: Float = 0
    /// Global gradient-norm clip, or nil for none.
    public var clip: Float? = 1.0
    /// Stop after this many epochs without a better validation loss (best weights restored); nil = never.
    public var patience: Int?
    /// How batches draw samples that fall into groups (the windows of each series).
    public var sampling: BatchSampling = .uniform
    /// The seed of the shuffles and dropout masks.
    public var seed: UInt64 = 0
    /// How the learning rate changes from epoch to epoch.
    public var schedule: LearningRateSchedule = .constant
    /// Record, per epoch, the mean norm of the gradient reaching each time step of the first layer.
    public var tracksStepGradients = false
    /// Threads: with 2 or more, each batch is split across them (`DataParallel`, single-threaded BLAS in each).
    public var threads = 1
    /// Asked before every batch; `true` stops the run there, after the batch in progress, and the
    /// result is marked `interruption`. `tidal train` sets it from Ctrl-C; a Swift caller can
    /// cancel a run from another thread the same way. Nil: never stop early.
    public var shouldStop: (@Sendable () -> Bool)?
    /// Told after every batch how far the run is (status lines, progress bars); nil: nobody.
    public var progress: (@Sendable (TrainingProgress) -> Void)?

    /// Whether the run is measured in optimizer steps (`steps`) rather than epochs.
    public var hasStepBudget: Bool { steps != nil }

    /// PyTorch-like defaults: 100 epochs of Adam at 1e-3, batches of 32, clipping at 1.
    public init() {}
}

/// Loss and accuracy or error of one part after an epoch.
public struct Evaluation: Sendable {
    /// Mean loss over the part's samples, on the network's (scaled) values.
    public var loss: Double
    /// Classification: the fraction classified correctly.
    public var accuracy: Double?
    /// Regression and forecasting: the mean absolute error in original units.
    public var mae: Double?
    /// An evaluation from its parts.
    public init(loss: Double, accuracy: Double? = nil, mae: Double? = nil) {
        self.loss = loss
        self.accuracy = accuracy
        self.mae = mae
    }
}

/// One epoch's numbers.
public struct EpochRecord: Sendable {
    /// The epoch's number, 1-based; under a step budget, the evaluation's number.
    public var epoch: Int
    /// Under a step budget: the optimizer steps taken when this record was made; nil for epochs.
    public var steps: Int?
    /// Mean training loss over the epoch's batches.
    public var trainLoss: Double
    /// Classification: the fraction of training samples classified correctly during the epoch.
    public var trainAccuracy: Double?
    /// The validation part after the epoch; nil without one.
    public var validation: Evaluation?
    /// The test part after the epoch; nil without one.
    public var test: Evaluation?
    /// Mean global gradient norm over the epoch's steps (before clipping).
    public var gradientNorm: Double
    /// With `tracksStepGradients`: the mean norm of dLoss/dh_t in the first recurrent layer, indexed by
    /// steps before the end (index 0 = the last step), averaged over the epoch's batches.
    public var stepGradientNorms: [Double]?
}

/// A training run's outcome.
public struct TrainingResult: Sendable {
    /// Every epoch run, in order.
    public var history: [EpochRecord]
    /// The epoch whose weights the model holds at the end.
    public var bestEpoch: Int
    /// Wall-clock time of the run.
    public var seconds: Double
    /// Set when `shouldStop` ended the run: where, and which weights the model holds.
    public var interruption: Interruption?
    /// Epochs run (under a step budget: evaluations made).
    public var epochsRun: Int { history.count }
    /// Under a step budget: optimizer steps taken; nil for an epoch budget.
    public var stepsRun: Int? { interruption?.stepsDone ?? history.last?.steps }
    /// Under a step budget: the steps of the record whose weights the model holds; nil for epochs.
    public var bestStep: Int? { bestEpoch >= 1 && bestEpoch <= history.count ? history[bestEpoch - 1].steps : nil }

    /// A result from its parts.
    public init(history: [EpochRecord], bestEpoch: Int, seconds: Double, interruption: Interruption? = nil) {
        self.history = history
        self.bestEpoch = bestEpoch
        self.seconds = seconds
        self.interruption = interruption
    }
}

/// Where a run stopped when `TrainingConfiguration.shouldStop` asked it to.
public struct Interruption: Sendable, Equatable {
    /// The epoch that was running, 1-based (its batches before `batchesDone` were trained, the rest not).
    public var epoch: Int
    /// Batches of `epoch` trained before the stop.
    public var batchesDone: Int
    /// Batches in `epoch`.
    public var batchCount: Int
    /// The epoch whose best validation weights the model holds (early stopping tracks them), or
    /// nil when it holds the current weights, as they were after the last batch trained.
    public var restoredEpoch: Int?
    /// Under a step budget: the optimizer steps taken before the stop; nil for epochs.
    public var stepsDone: Int?
    /// Under a step budget: the steps the run was to take; nil for epochs.
    public var stepBudget: Int?

    /// An interruption from its parts.
    public init(epoch: Int, batchesDone: Int, batchCount: Int, restoredEpoch: Int?, stepsDone: Int? = nil, stepBudget: Int? = nil) {
        self.epoch = epoch
        self.batchesDone = batchesDone
        self.batchCount = batchCount
        self.restoredEpoch = restoredEpoch
        self.stepsDone = stepsDone
        self.stepBudget = stepBudget
    }
}

/// Why training stopped with an error.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// The loss became NaN or infinite in this epoch.
    case diverged(epoch: Int)
    /// A part of the data (training, validation, test) holds no complete sample.
    case noSamples(part: String, reason: String)
    /// A checkpoint does not fit the run that asked to resume from it.
    case unusableCheckpoint(reason: String)
    /// The request asks for something its task cannot do (e.g. a bidirectional forecaster).
    case unsupported(reason: String)

    /// The message, one line, with what to try.
    public var description: String {
        switch self {
        case let .diverged(epoch):
            return
                "the training loss became NaN or infinite in epoch \(epoch); try a lower --lr (e.g. 1e-4) or gradient clipping (--clip 1)"
        case let .noSamples(part, reason):
            return "the \(part) part has no complete sample: \(reason)"
        case let .unusableCheckpoint(reason):
            return "cannot resume from the checkpoint: \(reason)"
        case let .unsupported(reason):
            return reason
        }
    }
}

/// Trains a `SequenceModel` by backpropagation through time.
///
/// Each epoch: a seeded shuffle of the training samples, then per batch forward, loss,
/// backward, optional clipping and one optimizer step; then the evaluation hooks. With
/// `patience`, the best validation-loss weights are restored at the end.
///
/// A run can be checkpointed (`TrainingState`: weights, optimizer moments, every generator,
/// early-stopping state and history) and resumed from one; a resumed run ends with the same
/// weights, bit for bit, as one that was never stopped.
public struct Trainer {
    /// The hyperparameters.
    public let configuration: TrainingConfiguration
    /// What the network is trained to do: regression with a loss, or classification.
    public let objective: Objective

    /// A trainer for `objective` under `configuration`.
    public init(configuration: TrainingConfiguration, objective: Objective) {
        self.configuration = configuration
        self.objective = objective
    }

    /// Runs the training loop.
    /// - Parameters:
    ///   - model: the network, trained in place (with `patience`, it ends holding the best validation epoch's weights).
    ///   - samples: the training samples.
    ///   - validate: evaluates the validation part (drives early stopping), or nil.
    ///   - test: evaluates the test part after every epoch (printed only), or nil.
    ///   - state: a checkpoint to continue from (taken by a run with the same model, samples and configuration).
    ///   - checkpointEvery: epochs between calls of `checkpoint` (0: only when `shouldStop` interrupts the run).
    ///   - checkpoint: receives the whole training state every `checkpointEvery` epochs and at an interruption.
    ///   - onEpoch: called after every epoch (epoch lines).
    ///   - onBatch: called after every batch with (batch index, batch count) for progress.
    /// - Throws: `TrainingError` when the loss diverges or `state` does not fit; whatever `checkpoint` throws.
    public func train(
        _ model: SequenceModel, on samples: any SampleSource,
        validate: ((SequenceModel) -> Evaluation)? = nil,
        test: ((SequenceModel) -> Evaluation)? = nil,
        resuming state: TrainingState? = nil,
        checkpointEvery: Int = 0,
        checkpoint: ((TrainingState) throws -> Void)? = nil,
        onEpoch: (EpochRecord) -> Void = { _ in },
        onBatch: (Int, Int) -> Void = { _, _ in }
    ) throws -> TrainingResult {
        guard samples.count > 0 else { throw TrainingError.noSamples(part: "training", reason: "no windows or samples to learn from") }
        let start = Date()
        let loop = TrainingLoop(configuration: configuration, objective: objective, model: model, samples: samples)
        if let state { try loop.restore(state) }
        let firstLayer = model.recurrent.layers[0]
        firstLayer.tracksStepGradients = configuration.tracksStepGradients
        defer { firstLayer.tracksStepGradients = false }
        var epoch = loop.history.count + 1
        let clock = ProgressClock(start: start, steps: loop.stepsDone)
        epochs: while !loop.stopped, let count = loop.batchCount(of: epoch) {
            let shuffle = loop.batcher.generator
            let batches = loop.nextBatches(count)
            for index in loop.resumeBatch ..< batches.count {
                if configuration.shouldStop?() == true {
                    let seconds = loop.priorSeconds + Date().timeIntervalSince(start)
                    try checkpoint?(loop.state(batchesDone: index, shuffle: shuffle, seconds: seconds))
                    return loop.interrupted(in: epoch, after: index, of: batches.count, seconds: seconds)
                }
                try loop.trainBatch(batches[index], epoch: epoch)
                onBatch(index + 1, batches.count)
                if let progress = configuration.progress { progress(loop.progress(epoch, batch: index + 1, of: count, clock)) }
            }
            loop.resumeBatch = 0
            let record = loop.endEpoch(epoch, batches: batches.count, validate: validate, test: test)
            onEpoch(record)
            loop.afterEpoch(record)
            if checkpointEvery > 0, epoch % checkpointEvery == 0, let checkpoint {
                try checkpoint(
                    loop.state(
                        batchesDone: 0, shuffle: loop.batcher.generator, seconds: loop.priorSeconds + Date().timeIntervalSince(start)))
            }
            if loop.stopped { break epochs }
            epoch += 1
        }
        loop.restoreBestWeights(unlessLast: true)
        return TrainingResult(
            history: loop.history, bestEpoch: loop.early.bestEpoch, seconds: loop.priorSeconds + Date().timeIntervalSince(start))
    }

    var isRegression: Bool {
        if case .classification = objective { return false }
        return true
    }
}
