import Foundation
import TidalCore
import TidalData
import TidalNet

/// Trains a model from a request: the library's entry point for `tidal train`.
///
/// ```swift
/// var request = TrainingRequest(dataPath: "SampleSeries/airline.csv")
/// request.lookback = 24
/// request.season = 12
/// let outcome = try Training.run(request)
/// print(outcome.report.test?.mae ?? .nan)
/// try ModelFile.write(outcome.model, to: "airline.tidal")
/// ```
public enum Training {
    /// Loads the data, splits it, chooses the data-dependent settings on the training part,
    /// trains, and scores the test part beside the baselines.
    /// - Parameters:
    ///   - request: what to train; `nil` fields get the library's defaults (`TrainingRequest.resolved()`).
    ///   - observer: receives the description line, every epoch and batch, and status lines.
    /// - Throws: `DataError` for unreadable or unusable data, `TrainingError` when training fails.
    public static func run(_ request: TrainingRequest, observer: TrainingObserver? = nil) throws -> TrainingOutcome {
        let plan = try request.resolved()
        return try plan.request.input.pipeline.train(plan, observer: observer)
    }
}

extension TaskInput {
    /// The pipeline that trains this kind of input.
    var pipeline: any TaskPipeline.Type {
        switch self {
        case .forecast: return ForecastPipeline.self
        case .samples: return SamplePipeline.self
        case .windows: return WindowPipeline.self
        case .text: return TextPipeline.self
        }
    }
}

/// What a training run produced.
public struct TrainingOutcome: Sendable {
    /// The trained model, ready for `ModelFile.write` or `forecaster()`.
    public var model: TrainedModel
    /// The training history: every epoch's losses and scores, the best epoch, the time taken.
    public var result: TrainingResult
    /// The `--metrics` document: test scores beside the baselines, history, choices.
    public var report: MetricsReport
    /// Forecasting: one-step test predictions and actual values, baselines alike, for `forecast.svg`.
    public var forecastCurves: [String: [Double]]
    /// Test-part time labels when there is a time column.
    public var testTimes: [String]?

    /// An outcome from its parts.
    public init(
        model: TrainedModel, result: TrainingResult, report: MetricsReport, forecastCurves: [String: [Double]],
        testTimes: [String]?
    ) {
        self.model = model
        self.result = result
        self.report = report
        self.forecastCurves = forecastCurves
        self.testTimes = testTimes
    }
}

/// Receives progress while a run trains.
public protocol TrainingObserver {
    /// The run's first line: what was loaded and how it was split and prepared.
    func started(description: String)
    /// After every epoch, with the epoch's losses and scores; `total` is the epochs asked for.
    /// Under a step budget: after every evaluation, `total` being the steps asked for (the record's
    /// `steps` says how many were taken).
    func epochEnded(_ record: EpochRecord, of total: Int, task: TaskKind)
    /// After every batch of the final training: batch `index` (1-based) of `count` in `epoch` (under
    /// a step budget: in the evaluation interval `epoch`).
    func batchEnded(_ index: Int, of count: Int, epoch: Int)
    /// What the run is doing before its first epoch line (choosing settings by trial trainings).
    func status(_ message: String)
    /// After every batch of every training the run does (the setting search's trials too): how far it is.
    func progressed(_ progress: TrainingProgress)
}

extension TrainingObserver {
    /// Ignores status lines.
    public func status(_ message: String) {}
    /// Ignores progress.
    public func progressed(_ progress: TrainingProgress) {}
}

extension Trainer {
    /// The training loop of every pipeline: `train`, with the parts evaluated by `evaluate` after
    /// each epoch and the observer told of every epoch and batch.
    func fit<Data: SampleSource>(
        _ network: SequenceModel, on train: Data, validation: Data?, test: Data?,
        evaluate: @escaping (SequenceModel, Data) -> Evaluation,
        observer: TrainingObserver?, task: TaskKind,
        resuming state: TrainingState? = nil, checkpointEvery: Int = 0, checkpoint: ((TrainingState) throws -> Void)? = nil
    ) throws -> TrainingResult {
        var currentEpoch = (state?.epoch ?? 0) + 1
        let epochs = configuration.steps ?? configuration.epochs
        return try self.train(
            network, on: train,
            validate: validation.map { part in { evaluate($0, part) } },
            test: test.map { part in { evaluate($0, part) } },
            resuming: state, checkpointEvery: checkpointEvery, checkpoint: checkpoint,
            onEpoch: {
                observer?.epochEnded($0, of: epochs, task: task); currentEpoch = $0.epoch + 1
            },
            onBatch: { observer?.batchEnded($0, of: $1, epoch: currentEpoch) })
    }
}
