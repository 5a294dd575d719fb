import Foundation
import TidalCore
import TidalData
import TidalNet

/// Everything a training run changes as it goes, so that a checkpoint taken between two batches
/// holds the run exactly: the network's weights, the optimizer's moments and step count, the
/// learning-rate schedule, the shuffle and dropout generators, early stopping and the history.
///
/// `Trainer.train(_:on:validate:test:resuming:checkpointEvery:checkpoint:onEpoch:onBatch:)` hands
/// these out and continues from them; `CheckpointFile` stores them.
public struct TrainingState: Sendable {
    /// The epochs completed, in order.
    public internal(set) var history: [EpochRecord]
    /// Batches of the next epoch already trained (a checkpoint taken at an interruption), else 0.
    public internal(set) var batchesDone: Int
    /// Wall-clock seconds trained so far.
    public internal(set) var seconds: Double
    /// The network's parameters, in `SequenceModel.parameters` order.
    var weights: [[Float]]
    var optimizer: OptimizerState
    /// The schedule's coming rate, best validation loss and epochs without improvement.
    var schedule: (rate: Float, best: Float, badEpochs: Int)
    /// The shuffle generator as it was before the next epoch's shuffle.
    var shuffle: SeededGenerator
    /// The network's dropout generators (`SequenceModel.dropoutGenerators`).
    var dropout: [SeededGenerator]
    var early: EarlyStopping
    /// The sums of the epoch in progress (zero at an epoch boundary).
    var tally: EpochTally
    /// Early stopping ended the run.
    var stopped: Bool

    /// Epochs completed.
    public var epoch: Int { history.count }
}

/// Early stopping's running state.
struct EarlyStopping: Sendable, Equatable {
    /// The best validation score so far (lower is better).
    var bestScore = Double.infinity
    /// The epoch whose weights the run would end with.
    var bestEpoch = 0
    /// The best epoch's weights, when early stopping tracks them.
    var bestWeights: [[Float]]?
    var epochsWithoutImprovement = 0
}

/// The running sums of one epoch.
struct EpochTally: Sendable, Equatable {
    var lossSum = 0.0
    var correct = 0
    var seen = 0
    var normSum = 0.0
    var stepSums: [Double] = []
    var stepCounts: [Int] = []
}

/// One run of the training loop: its optimizer, schedule, batcher and running state.
final class TrainingLoop {
    let configuration: TrainingConfiguration
    let objective: Objective
    let model: SequenceModel
    let samples: any SampleSource
    let parameters: [Parameter]
    let optimizer: any StatefulOptimizer
    let parallel: DataParallel?
    var scheduler: LearningRateScheduler
    var batcher: SequenceBatcher
    let batch = Batch()
    let outputGradient = FloatBuffer()
    var history: [EpochRecord] = []
    var early = EarlyStopping()
    var tally = EpochTally()
    var stopped = false
    /// The first batch to train in the coming epoch (a run resumed mid-epoch skips those trained before).
    var resumeBatch = 0
    var priorSeconds = 0.0

    init(configuration: TrainingConfiguration, objective: Objective, model: SequenceModel, samples: any SampleSource) {
        self.configuration = configuration
        self.objective = objective
        self.model = model
        self.samples = samples
        parameters = model.parameters
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
        var schedule = configuration.schedule
        if let steps = configuration.steps, configuration.annealsOverBudget {
            let interval = max(1, configuration.evaluationInterval)
            schedule = .cosine(epochs: (steps + interval - 1) / interval, minimum: configuration.learningRate / 100)
        }
        scheduler = LearningRateScheduler(schedule, baseRate: configuration.learningRate)
        batcher = SequenceBatcher(sampleCount: samples.count, batchSize: configuration.batchSize, seed: configuration.seed)
        if configuration.sampling == .balanced { batcher.groups = samples.sampleGroups }
        parallel =
            configuration.threads >= 2 && !configuration.tracksStepGradients
            ? DataParallel(master: model, parts: configuration.threads) : nil
        if parallel != nil { BLAS.setThreads(1) }
    }

    /// Batches in one epoch of the training samples (the last may be partial).
    var batchesPerEpoch: Int { (samples.count + batcher.batchSize - 1) / batcher.batchSize }

    /// Optimizer steps taken by the records in the history.
    var stepsDone: Int {
        configuration.hasStepBudget ? history.last?.steps ?? 0 : history.count * batchesPerEpoch
    }

    /// Batches of epoch (or evaluation interval) `epoch`, or nil when the budget is spent.
    func batchCount(of epoch: Int) -> Int? {
        guard let steps = configuration.steps else { return epoch <= configuration.epochs ? batchesPerEpoch : nil }
        let remaining = steps - stepsDone
        return remaining > 0 ? min(max(1, configuration.evaluationInterval), remaining) : nil
    }

    /// The coming epoch's batches (a shuffle), or under a step budget `count` batches drawn uniformly.
    func nextBatches(_ count: Int) -> [[Int]] {
        configuration.hasStepBudget ? batcher.nextDraw(batches: count) : batcher.nextEpoch()
    }

    /// How far the run is after batch `batch` of `count` in `epoch`.
    func progress(_ epoch: Int, batch: Int, of count: Int, _ clock: ProgressClock) -> TrainingProgress {
        let step = stepsDone + batch
        return TrainingProgress(
            epoch: epoch, batch: batch, batchCount: count, epochs: configuration.hasStepBudget ? nil : configuration.epochs,
            step: step, totalSteps: configuration.steps ?? configuration.epochs * batchesPerEpoch,
            stepsAtStart: clock.steps, loss: tally.seen > 0 ? tally.lossSum / Double(tally.seen) : .nan,
            seconds: Date().timeIntervalSince(clock.start), mayStopEarly: configuration.patience != nil)
    }

    /// One batch: forward, loss, backward, clipping, one optimizer step; its figures join the tally.
    func trainBatch(_ indices: [Int], epoch: Int) throws {
        samples.fill(indices, into: batch)
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
            for b in 0 ..< batch.size where argmax(output + b * classes, classes) == Int(batch.labels[b]) { tally.correct += 1 }
        }
        guard loss.isFinite else { throw TrainingError.diverged(epoch: epoch) }
        if configuration.tracksStepGradients { addStepGradients() }
        tally.normSum += clipGradientNorm(parameters, maxNorm: configuration.clip ?? .infinity)
        optimizer.step()
        tally.lossSum += Double(loss) * Double(batch.size)
        tally.seen += batch.size
    }

    private func lossAndGradient(_ output: UnsafePointer<Float>, _ gradient: UnsafeMutablePointer<Float>) -> Float {
        switch objective {
        case .regression, .quantiles:
            let targets = batch.size * model.architecture.outputSize / objective.outputsPerTarget
            return objective.valueLoss(prediction: output, target: batch.targets.pointer, count: targets, gradient: gradient)
        case let .classification(classes):
            return batch.labels.withUnsafeBufferPointer {
                CrossEntropy.evaluate(
                    logits: output, labels: $0.baseAddress!, batch: batch.size, classes: classes, probabilities: nil, gradient: gradient)
            }
        }
    }

    private func addStepGradients() {
        let squares = model.recurrent.layers[0].stepGradientSquares
        if tally.stepSums.count < squares.count {
            tally.stepSums += Array(repeating: 0, count: squares.count - tally.stepSums.count)
            tally.stepCounts += Array(repeating: 0, count: squares.count - tally.stepCounts.count)
        }
        for (t, sq) in squares.enumerated() {
            let k = squares.count - 1 - t
            tally.stepSums[k] += (sq / Double(batch.size)).squareRoot()
            tally.stepCounts[k] += 1
        }
    }

    /// The epoch's record (evaluations included), appended to the history; the tally starts again.
    func endEpoch(
        _ epoch: Int, batches: Int, validate: ((SequenceModel) -> Evaluation)?, test: ((SequenceModel) -> Evaluation)?
    ) -> EpochRecord {
        let regression: Bool
        if case .classification = objective { regression = false } else { regression = true }
        let record = EpochRecord(
            epoch: epoch, steps: configuration.hasStepBudget ? stepsDone + batches : nil, trainLoss: tally.lossSum / Double(tally.seen),
            trainAccuracy: regression ? nil : Double(tally.correct) / Double(tally.seen),
            validation: validate?(model), test: test?(model),
            gradientNorm: tally.normSum / Double(batches),
            stepGradientNorms: configuration.tracksStepGradients
                ? zip(tally.stepSums, tally.stepCounts).map { $0 / Double(max($1, 1)) } : nil)
        history.append(record)
        tally = EpochTally()
        return record
    }

    /// The schedule's next rate, then early stopping (which may set `stopped`).
    func afterEpoch(_ record: EpochRecord) {
        optimizer.learningRate = scheduler.rate(afterEpoch: record.epoch, validationLoss: record.validation.map { Float($0.loss) })
        if let validation = record.validation, let patience = configuration.patience {
            // Classification stops on validation accuracy (the loss keeps rising with over-confidence
            // while accuracy still improves); regression on the validation loss.
            let score = validation.accuracy.map { -$0 + 1e-9 * validation.loss } ?? validation.loss
            if score < early.bestScore {
                early.bestScore = score
                early.bestEpoch = record.epoch
                early.bestWeights = parameters.map(\.value)
                early.epochsWithoutImprovement = 0
            } else {
                early.epochsWithoutImprovement += 1
                if early.epochsWithoutImprovement >= patience { stopped = true }
            }
        } else {
            early.bestEpoch = record.epoch
        }
    }

    /// Puts the best validation epoch's weights back, when early stopping kept them (and, with
    /// `unlessLast`, when they are not the last epoch's, which the network holds already).
    func restoreBestWeights(unlessLast: Bool) {
        guard let best = early.bestWeights, !(unlessLast && early.bestEpoch == history.count) else { return }
        for (p, w) in zip(parameters, best) { p.value = w }
    }

    /// The result of a run stopped by `shouldStop` before batch `index` of `epoch`.
    func interrupted(in epoch: Int, after index: Int, of count: Int, seconds: Double) -> TrainingResult {
        let restored = early.bestWeights != nil ? early.bestEpoch : nil
        restoreBestWeights(unlessLast: false)
        return TrainingResult(
            history: history, bestEpoch: restored ?? history.count, seconds: seconds,
            interruption: Interruption(
                epoch: epoch, batchesDone: index, batchCount: count, restoredEpoch: restored,
                stepsDone: configuration.hasStepBudget ? stepsDone + index : nil, stepBudget: configuration.steps))
    }

    /// The run's state after `batchesDone` batches of the coming epoch, whose shuffle starts from `shuffle`.
    func state(batchesDone: Int, shuffle: SeededGenerator, seconds: Double) -> TrainingState {
        TrainingState(
            history: history, batchesDone: batchesDone, seconds: seconds, weights: parameters.map(\.value),
            optimizer: optimizer.state, schedule: scheduler.progress, shuffle: shuffle, dropout: model.dropoutGenerators,
            early: early, tally: tally, stopped: stopped)
    }

    /// Continues from `state`: every figure the run changes is set back to it.
    func restore(_ state: TrainingState) throws {
        func unusable(_ reason: String) -> TrainingError { .unusableCheckpoint(reason: reason) }
        guard state.weights.map(\.count) == parameters.map(\.count) else {
            throw unusable("its weights do not fit this network (\(state.weights.count) tensors, the network has \(parameters.count))")
        }
        if let best = state.early.bestWeights, best.map(\.count) != parameters.map(\.count) {
            throw unusable("its best weights do not fit this network")
        }
        guard state.dropout.count == 2 else { throw unusable("it holds \(state.dropout.count) dropout generators, not 2") }
        let round = configuration.hasStepBudget ? max(1, configuration.evaluationInterval) : batchesPerEpoch
        guard state.batchesDone >= 0, state.batchesDone <= round else {
            throw unusable(
                "it stopped after batch \(state.batchesDone), more than "
                    + (configuration.hasStepBudget ? "an evaluation interval" : "an epoch of these samples") + " has")
        }
        guard state.history.allSatisfy({ ($0.steps != nil) == configuration.hasStepBudget }) else {
            throw unusable("it was written by a run with " + (configuration.hasStepBudget ? "an epoch budget" : "a step budget"))
        }
        guard optimizer.restore(state.optimizer) else { throw unusable("its optimizer state does not fit this optimizer and network") }
        for (p, w) in zip(parameters, state.weights) { p.value = w }
        scheduler.progress = state.schedule
        optimizer.learningRate = state.schedule.rate
        batcher.generator = state.shuffle
        model.dropoutGenerators = state.dropout
        history = state.history
        early = state.early
        tally = state.tally
        stopped = state.stopped
        resumeBatch = state.batchesDone
        priorSeconds = state.seconds
    }
}
