import Foundation
import TidalCore
import TidalData
import TidalNet

/// One task's pipeline, from a training request to a row predictor.
///
/// Training: `prepare` loads and splits the data, fits the scaling on the training part and
/// chooses data-dependent settings; the shared `Trainer.fit` loop trains; `score` compares the
/// test predictions with the baselines. Afterwards the schema's pipeline checks model files
/// (`mismatch`), scores new files (`evaluate`), describes itself (`summary`) and predicts row
/// by row (`rowPredictor`).
protocol TaskPipeline: Sendable {
    /// The samples the trainer batches.
    associatedtype Data: SampleSource

    var schema: TaskSchema { get }
    var task: TaskKind { get }
    var input: TaskInput { get }
    /// Threads the evaluations and the test scoring run their batches on.
    var threads: Int { get set }

    /// Loads, splits and prepares the datasets of a training run.
    static func prepare(_ plan: TrainingPlan, observer: TrainingObserver?) throws -> PreparedTask<Self>
    /// Loss (and accuracy or MAE) of `network` on `data`, after each epoch.
    func evaluate(_ network: SequenceModel, on data: Data) -> Evaluation
    /// The test scores beside the baselines on the same test samples.
    func score(_ network: any SequencePredicting, _ prepared: PreparedTask<Self>) -> Scoring

    /// Why this schema does not fit `architecture`, or nil when it does.
    func mismatch(with architecture: ModelArchitecture) -> String?
    /// What `inspect` shows.
    var summary: SchemaSummary { get }
    /// Scores `model` on every window or sample of a file, its batches on `threads` threads.
    func evaluate(_ model: TrainedModel, dataPath: String, options: TableOptions, threads: Int) throws -> Scoring
    /// Predictions one row at a time (`replay`, `predict`).
    func rowPredictor(_ model: TrainedModel) throws -> any RowPredictor
}

/// The datasets and settings of one training run, ready for the trainer.
struct PreparedTask<Pipeline: TaskPipeline> {
    var pipeline: Pipeline
    var architecture: ModelArchitecture
    var train: Pipeline.Data
    var validation: Pipeline.Data?
    var test: Pipeline.Data?
    /// The optimisation settings after the pipeline's own defaults (batch size, epochs, patience).
    var training: TrainingConfiguration
    var objective: Objective
    /// Network steps per sample (the memory-gate initialisation spreads over them).
    var steps: Int
    /// The run's first output line.
    var description: String
    /// How settings were chosen, for the metrics JSON.
    var choices: String?
    /// What the user should know about the run's accuracy (no setting beat the baselines), for
    /// the summary and the metrics JSON.
    var warning: String? = nil
    /// The rows the model learns from, saved in its metadata (forecasting).
    var trainingRange: TrainingRange? = nil
}

/// Test scores of a model and its baselines on the same samples.
public struct Scoring: Sendable {
    /// The model's scores on the test part; nil when there is none.
    public var test: MetricsReport.Scores?
    /// Each baseline's scores on the same samples, by name (`naive`, `seasonal_naive`, `majority`, …).
    public var baselines: [String: MetricsReport.Scores]
    /// The figures kept in the model file's metadata.
    public var final: [String: Double]
    /// Forecasting: what `forecast.svg` shows (history, actual values, forecasts, intervals).
    public var forecastPlot: ForecastPlot?
    /// When the scored rows overlap the rows the model learned from: how (one clause); nil when they are new.
    public var overlap: String?

    /// Scores from their parts.
    public init(
        test: MetricsReport.Scores?, baselines: [String: MetricsReport.Scores] = [:], final: [String: Double] = [:],
        forecastPlot: ForecastPlot? = nil
    ) {
        self.test = test
        self.baselines = baselines
        self.final = final
        self.forecastPlot = forecastPlot
    }
}

extension TaskPipeline {
    /// The whole run: prepare, train with the shared loop, score, and package the model.
    ///
    /// With `resumePath` the run continues from a checkpoint (refused unless its settings match);
    /// with `initFromPath` the network starts from a model's weights. A run stopped by
    /// `shouldStop` is still packaged, holding the best weights so far, but its test part is not
    /// scored (the report has no test scores or baselines).
    static func train(_ plan: TrainingPlan, observer: TrainingObserver?) throws -> TrainingOutcome {
        let request = plan.request
        if request.resumePath != nil && request.initFromPath != nil { throw ContinuationError.resumeAndInit }
        var plan = plan
        if let observer {
            // Every training of the run reports to the observer, the setting search's trials too.
            let relay = ProgressRelay(observer)
            plan.training.progress = { relay.observer.progressed($0) }
        }
        let prepared = try prepare(plan, observer: observer)
        let network = plan.makeNetwork(prepared.architecture, steps: prepared.steps)
        var pipeline = prepared.pipeline
        var training = prepared.training
        TrainingBudget.resolve(&training, request: request, samples: prepared.train.count)
        pipeline.threads = training.threads
        let settings = RunSettings.of(plan, training: training, schema: pipeline.schema, architecture: prepared.architecture)
        var resume: TrainingState?
        if let path = request.resumePath {
            let checkpoint = try CheckpointFile.read(path)
            let differences = checkpoint.differences(from: settings)
            guard differences.isEmpty else { throw ContinuationError.checkpointMismatch(path: path, differences: differences) }
            resume = checkpoint.state
        }
        if let path = request.initFromPath {
            try WarmStart.apply(ModelFile.read(path), path: path, to: network, schema: pipeline.schema)
        }
        let budget = TrainingBudget.clause(training, request: request, samples: prepared.train.count, unit: pipeline.input.sampleNoun)
        let threads = training.threads == 1 ? "1 thread" : "\(training.threads) threads"
        observer?.started(description: prepared.description + "; " + budget + "; " + threads)
        training.shouldStop = request.shouldStop
        let write = request.checkpointPath.map { path in
            { (state: TrainingState) throws in try CheckpointFile.write(TrainingCheckpoint(settings: settings, state: state), to: path) }
        }
        var result = try Trainer(configuration: training, objective: prepared.objective)
            .fit(
                // Under a step budget the test part is scored once, at the end, not at every evaluation.
                network, on: prepared.train, validation: prepared.validation, test: training.hasStepBudget ? nil : prepared.test,
                evaluate: pipeline.evaluate, observer: observer, task: pipeline.task,
                resuming: resume, checkpointEvery: write == nil ? 0 : request.checkpointEvery ?? 0, checkpoint: write)
        var networks = [network]
        // Further ensemble members: the same data and settings from the next seeds, their epochs not printed.
        for k in 1 ..< plan.members where result.interruption == nil {
            var member = plan
            member.training.seed = plan.training.seed &+ UInt64(k)
            observer?.status("training ensemble member \(k + 1) of \(plan.members) (seed \(member.training.seed))…")
            let next = member.makeNetwork(prepared.architecture, steps: prepared.steps)
            var config = training
            config.seed = member.training.seed
            let r = try Trainer(configuration: config, objective: prepared.objective)
                .fit(
                    next, on: prepared.train, validation: prepared.validation, test: nil, evaluate: pipeline.evaluate,
                    observer: nil, task: pipeline.task)
            result.seconds += r.seconds
            // An interrupted member is left out: the model holds the members that finished.
            if let interruption = r.interruption { result.interruption = interruption } else { networks.append(next) }
        }
        let scoring = result.interruption == nil ? pipeline.score(pipeline.task.predictor(networks), prepared) : Scoring(test: nil)
        let report = MetricsReport(
            task: pipeline.task, cell: plan.cell, result: result, test: scoring.test,
            baselines: scoring.baselines, parameters: network.parameterCount * networks.count, choices: prepared.choices,
            warning: prepared.warning)
        let model = TrainedModel(
            schema: pipeline.schema, architecture: prepared.architecture, networks: networks,
            metadata: TrainingMetadata(plan, result: result, metrics: scoring.final, trainingRange: prepared.trainingRange))
        return TrainingOutcome(
            model: model, result: result, report: report, forecastPlot: scoring.forecastPlot)
    }
}

/// Hands a training's progress to the observer from the `@Sendable` closure of
/// `TrainingConfiguration.progress`. Training calls it on the thread that runs the training, the
/// thread the observer belongs to.
final class ProgressRelay: @unchecked Sendable {
    let observer: TrainingObserver
    init(_ observer: TrainingObserver) { self.observer = observer }
}

extension TaskInput {
    /// What one training sample of this input is called in messages.
    var sampleNoun: String {
        switch self {
        case .forecast, .windows: return "windows"
        case .samples: return "samples"
        case .text: return "documents"
        }
    }
}
