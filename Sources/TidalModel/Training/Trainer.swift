import Foundation
import TidalCore
import TidalData
import TidalNet

/// Hyperparameters of a training run.
public struct TrainingConfiguration: Sendable {
    /// Passes over the training samples (fewer when early stopping ends the run).
    public var epochs = 100
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
    /// The seed of the shuffles and dropout masks.
    public var seed: UInt64 = 0
    /// How the learning rate changes from epoch to epoch.
    public var schedule: LearningRateSchedule = .constant
    /// Record, per epoch, the mean norm of the gradient reaching each time step of the first layer.
    public var tracksStepGradients = false
    /// Threads: with 2 or more, each batch is split across them (`DataParallel`, single-threaded BLAS in each).
    public var threads = 1

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
    /// The epoch's number, 1-based.
    public var epoch: Int
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
    /// Epochs run.
    public var epochsRun: Int { history.count }

    /// A result from its parts.
    public init(history: [EpochRecord], bestEpoch: Int, seconds: Double) {
        self.history = history
        self.bestEpoch = bestEpoch
        self.seconds = seconds
    }
}

/// Why training stopped with an error.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case diverged(epoch: Int)
    case noSamples(part: String, reason: String)

    /// The message, one line, with what to try.
    public var description: String {
        switch self {
        case let .diverged(epoch):
            return
                "the training loss became NaN or infinite in epoch \(epoch); try a lower --lr (e.g. 1e-4) or gradient clipping (--clip 1)"
        case let .noSamples(part, reason):
            return "the \(part) part has no complete sample: \(reason)"
        }
    }
}

/// Trains a `SequenceModel` by backpropagation through time.
///
/// Each epoch: a seeded shuffle of the training samples, then per batch forward, loss,
/// backward, optional clipping and one optimizer step; then the evaluation hooks. With
/// `patience`, the best validation-loss weights are restored at the end.
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
    ///   - onEpoch: called after every epoch (epoch lines).
    ///   - onBatch: called after every batch with (batch index, batch count) for progress.
    public func train(
        _ model: SequenceModel, on samples: any SampleSource,
        validate: ((SequenceModel) -> Evaluation)? = nil,
        test: ((SequenceModel) -> Evaluation)? = nil,
        onEpoch: (EpochRecord) -> Void = { _ in },
        onBatch: (Int, Int) -> Void = { _, _ in }
    ) throws -> TrainingResult {
        guard samples.count > 0 else { throw TrainingError.noSamples(part: "training", reason: "no windows or samples to learn from") }
        let start = Date()
        let parameters = model.parameters
        let optimizer: Optimizer
        switch configuration.optimizer {
        case .adam:
            optimizer = Adam(parameters: parameters, learningRate: configuration.learningRate, weightDecay: configuration.weightDecay)
        case .adamw:
            optimizer = Adam(
                parameters: parameters, learningRate: configuration.learningRate, weightDecay: configuration.weightDecay, decoupled: true)
        case .sgd:
            optimizer = SGD(
                parameters: parameters, learningRate: configuration.learningRate, momentum: 0.9, weightDecay: configuration.weightDecay)
        }
        var scheduler = LearningRateScheduler(configuration.schedule, baseRate: configuration.learningRate)
        var batcher = SequenceBatcher(sampleCount: samples.count, batchSize: configuration.batchSize, seed: configuration.seed)
        let batch = Batch()
        let outputGradient = FloatBuffer()
        var history: [EpochRecord] = []
        var bestLoss = Double.infinity
        var bestEpoch = 0
        var bestWeights: [[Float]]?
        var epochsWithoutImprovement = 0

        let parallel =
            configuration.threads >= 2 && !configuration.tracksStepGradients
            ? DataParallel(master: model, parts: configuration.threads) : nil
        if parallel != nil { BLAS.setThreads(1) }
        let firstLayer = model.recurrent.layers[0]
        firstLayer.tracksStepGradients = configuration.tracksStepGradients
        defer { firstLayer.tracksStepGradients = false }
        for epoch in 1 ... configuration.epochs {
            var lossSum = 0.0, correct = 0, seen = 0, normSum = 0.0
            var stepSums: [Double] = [], stepCounts: [Int] = []
            let batches = batcher.nextEpoch()
            for (index, indices) in batches.enumerated() {
                samples.fill(indices, into: batch)
                func lossAndGradient(_ output: UnsafePointer<Float>, _ gradient: UnsafeMutablePointer<Float>) -> Float {
                    switch objective {
                    case let .regression(kind):
                        return kind.evaluate(
                            prediction: output, target: batch.targets.pointer, count: batch.size * model.architecture.outputSize,
                            gradient: gradient)
                    case let .classification(classes):
                        return batch.labels.withUnsafeBufferPointer {
                            CrossEntropy.evaluate(
                                logits: output, labels: $0.baseAddress!, batch: batch.size, classes: classes, probabilities: nil,
                                gradient: gradient)
                        }
                    }
                }
                let loss: Float
                let output: UnsafePointer<Float>
                if let parallel, batch.size >= 2 * parallel.parts {
                    (loss, output) = parallel.forwardBackward(batch, training: true, loss: lossAndGradient)
                } else {
                    model.zeroGradients()
                    output = model.forward(batch, training: true)
                    loss = lossAndGradient(output, outputGradient.reserve(batch.size * model.architecture.outputSize))
                    if loss.isFinite { model.backward(outputGradient.pointer) }
                }
                if case let .classification(classes) = objective {
                    for b in 0 ..< batch.size where argmax(output + b * classes, classes) == Int(batch.labels[b]) { correct += 1 }
                }
                guard loss.isFinite else { throw TrainingError.diverged(epoch: epoch) }
                if configuration.tracksStepGradients {
                    let squares = firstLayer.stepGradientSquares
                    if stepSums.count < squares.count {
                        stepSums += Array(repeating: 0, count: squares.count - stepSums.count)
                        stepCounts += Array(repeating: 0, count: squares.count - stepCounts.count)
                    }
                    for (t, sq) in squares.enumerated() {
                        let k = squares.count - 1 - t
                        stepSums[k] += (sq / Double(batch.size)).squareRoot()
                        stepCounts[k] += 1
                    }
                }
                normSum += clipGradientNorm(parameters, maxNorm: configuration.clip ?? .infinity)
                optimizer.step()
                lossSum += Double(loss) * Double(batch.size)
                seen += batch.size
                onBatch(index + 1, batches.count)
            }
            let record = EpochRecord(
                epoch: epoch, trainLoss: lossSum / Double(seen),
                trainAccuracy: isRegression ? nil : Double(correct) / Double(seen),
                validation: validate?(model), test: test?(model),
                gradientNorm: normSum / Double(batches.count),
                stepGradientNorms: configuration.tracksStepGradients ? zip(stepSums, stepCounts).map { $0 / Double(max($1, 1)) } : nil)
            history.append(record)
            onEpoch(record)
            optimizer.learningRate = scheduler.rate(afterEpoch: epoch, validationLoss: record.validation.map { Float($0.loss) })

            if let validation = record.validation, configuration.patience != nil {
                // Classification stops on validation accuracy (the loss keeps rising with over-confidence
                // while accuracy still improves); regression on the validation loss.
                let score = validation.accuracy.map { -$0 + 1e-9 * validation.loss } ?? validation.loss
                if score < bestLoss {
                    bestLoss = score
                    bestEpoch = epoch
                    bestWeights = parameters.map(\.value)
                    epochsWithoutImprovement = 0
                } else {
                    epochsWithoutImprovement += 1
                    if epochsWithoutImprovement >= configuration.patience! { break }
                }
            } else {
                bestEpoch = epoch
            }
        }
        if let bestWeights, bestEpoch != history.count {
            for (p, w) in zip(parameters, bestWeights) { p.value = w }
        }
        return TrainingResult(history: history, bestEpoch: bestEpoch, seconds: Date().timeIntervalSince(start))
    }

    var isRegression: Bool {
        if case .regression = objective { return true }
        return false
    }
}
