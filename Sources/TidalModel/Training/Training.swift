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
    /// Forecasting: what `forecast.svg` shows (history tail, test values, forecasts, intervals).
    public var forecastPlot: ForecastPlot?

    /// An outcome from its parts.
    public init(
        model: TrainedModel, result: TrainingResult, report: MetricsReport, forecastPlot: ForecastPlot? = nil
    ) {
        self.model = model
        self.result = result
        self.report = report
        self.forecastPlot = forecastPlot
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

/// Local models of a many-series file, one per series (`Training.runPerSeries`).
public struct PerSeriesOutcome: Sendable {
    /// One series' run: its outcome, or why it could not be trained (too short, for example).
    public struct Run: Sendable {
        /// The series id.
        public var series: String
        /// The trained model's outcome; nil when training failed.
        public var outcome: TrainingOutcome?
        /// Why training failed; nil when it did not.
        public var failure: String?
    }

    /// Every series, in the order of first appearance in the file.
    public var runs: [Run]

    /// Each trained series' test MASE (its own scale), in `runs` order.
    public var mases: [Double] { runs.compactMap { $0.outcome?.report.test?.mase } }
    /// Mean of `mases`; NaN when there is none.
    public var meanMASE: Double { SeriesMetrics.meanAndMedian(mases).mean }
    /// Median of `mases`; NaN when there is none.
    public var medianMASE: Double { SeriesMetrics.meanAndMedian(mases).median }
}

extension Training {
    /// One local model per series of a many-series file (the same request, split and seed for
    /// each), trained `threads` at a time, each on one thread: the comparison a global model
    /// is measured against. Results do not depend on `threads`.
    /// - Throws: `DataError` when the file cannot be read or has no series column.
    public static func runPerSeries(_ request: TrainingRequest, threads: Int) throws -> PerSeriesOutcome {
        var options = request.table
        options.readsSeries = true
        options.numericColumns = []
        let table = try Table.load(path: request.dataPath, options: options)
        guard table.seriesName != nil else {
            throw DataError.unusable(source: table.source, reason: "no series column to train local models on; name it with --series")
        }
        let names = SeriesLayout(table).names
        let k = max(1, min(threads, names.count))
        let runs = UnsafeMutableBufferPointer<PerSeriesOutcome.Run>.allocate(capacity: names.count)
        runs.initialize(repeating: PerSeriesOutcome.Run(series: "", outcome: nil, failure: nil))
        defer {
            runs.deinitialize()
            runs.deallocate()
        }
        let slots = RunSlots(runs: runs)
        // One BLAS thread for every worker, set once: the workers must not change it under each other.
        let savedThreads = BLAS.threads
        BLAS.setThreads(1)
        defer { BLAS.setThreads(savedThreads) }
        DispatchQueue.concurrentPerform(iterations: k) { part in
            // Each worker writes only the slots of the series it takes (every k-th one).
            for i in stride(from: part, to: names.count, by: k) {
                var local = request
                local.onlySeries = names[i]
                local.threads = 1
                local.seriesEmbedding = false  // one series: its id says nothing
                do {
                    slots.runs[i] = .init(series: names[i], outcome: try run(local), failure: nil)
                } catch {
                    slots.runs[i] = .init(series: names[i], outcome: nil, failure: "\(error)")
                }
            }
        }
        return PerSeriesOutcome(runs: Array(runs))
    }
}

/// The result slots `runPerSeries`' workers share; each writes only its own.
private struct RunSlots: @unchecked Sendable {
    let runs: UnsafeMutableBufferPointer<PerSeriesOutcome.Run>
}
