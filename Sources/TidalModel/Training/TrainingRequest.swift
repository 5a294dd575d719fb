import Foundation
import TidalCore
import TidalData
import TidalNet

/// What to train, as plain values. Every field a caller leaves `nil` gets the library's default
/// for the task (`resolved()`), so a Swift program and `tidal train` with the same flags omitted
/// train the same model.
///
/// ```swift
/// var request = TrainingRequest(dataPath: "SampleSeries/airline.csv")
/// request.lookback = 24
/// request.season = 12
/// let outcome = try Training.run(request)
/// ```
public struct TrainingRequest: Sendable {
    // MARK: data

    /// What the model predicts.
    public var task: TaskKind = .forecast
    /// The training data: a CSV file.
    public var dataPath: String
    /// A separate test file (UCR ships one), or nil to split the data file.
    public var testPath: String?
    /// How the CSV files are read.
    public var table = TableOptions()
    /// Whole-sample layout for classify and regress.
    public var format: SampleSet.Format = .ucr
    /// Forecasting: the columns to forecast. Empty: a column named `value`, else the only numeric column.
    public var targets: [String] = []
    /// Input columns (forecasting and series windows). Empty: the targets (forecasting), or every
    /// numeric column but the label (series windows).
    public var features: [String] = []
    /// Text columns used as categorical covariates (an embedding each).
    public var categorical: [String] = []
    /// Classification: the label column of text documents or of a labelled series.
    public var labelColumn: String?
    /// Text classification: the document column.
    public var textColumn: String?

    // MARK: windows and split

    /// Rows per window (forecasting and series windows). Nil: two seasons, or 24 rows without a season.
    public var lookback: Int?
    /// Values forecast per window (direct multi-step).
    public var horizon = 1
    /// Rows between successive window origins.
    public var stride = 1
    /// The last fraction of rows (or samples) is the test part, unless `testPath` is given.
    public var testFraction = 0.2
    /// The last fraction of the rows before the test part is the validation part.
    public var valFraction = 0.0
    /// Forecasting: every row at or after this time is in the test part of its series (one cut for
    /// every series); nil: the last `testFraction` of each series.
    public var testStart: String?
    /// Forecasting many series: train a local model on this series alone (same split and
    /// settings); nil trains one global model on every series.
    public var onlySeries: String?
    /// Forecasting: conformal interval levels in percent (`[80, 95]`), calibrated on a held-out
    /// tail of the training part and frozen into the model; empty for point forecasts only.
    public var levels: [Double] = []
    /// Forecasting: quantile levels in (0, 1) (`[0.1, 0.5, 0.9]`) for a quantile head trained with
    /// the pinball loss; 0.5 is added when absent, as the median is the point forecast. Empty: a point model.
    public var quantiles: [Double] = []
    /// Forecasting many series: the series id is also a categorical covariate (a learned
    /// embedding per training series; a series never seen in training reads `<unk>`).
    public var seriesEmbedding = false
    /// Forecasting many series: how training batches draw windows (`uniform` over all windows, or
    /// `balanced`: every series equally often). Nil: `TrainingRequest.defaultSampling`.
    public var sampling: BatchSampling?
    /// Seasonal period for baselines, MASE, the differencing candidates and the default lookback
    /// (1 = none). Nil: read from the time column's spacing (`SeasonInference`: monthly 12,
    /// quarterly 4, weekly 52, daily 7, hourly 24, half-hourly 48; otherwise 1).
    public var season: Int?
    /// Scaling; nil chooses (forecasting: by backtests; otherwise z-scores).
    public var scaling: Scaling?
    /// Forecasting: the differencing lag; nil chooses.
    public var difference: Int?
    /// Whole samples: time steps per network step; nil chooses (see `choosesPatch`).
    public var patch: Int?
    /// Whole samples without `patch`: true picks the patch length by cross-validation on the
    /// training samples; false keeps the default (at most 64 network steps per sample), as
    /// `compare` does so that every cell it trains reads the same input.
    public var choosesPatch = true

    // MARK: network

    /// The recurrent cell: vanilla RNN, GRU or LSTM.
    public var cell: CellKind = .lstm
    /// Units in each recurrent layer.
    public var hidden = 64
    /// Stacked recurrent layers.
    public var layers = 1
    /// Dropout between stacked layers and on token embeddings. Nil: 0.5 for text, else 0.
    public var dropout: Float?
    /// Forecasting: the linear autoregressive skip (nil: on, off on differenced series).
    public var skip: Bool?
    /// Whole samples (classify, regress, text): every recurrent layer also reads the sequence backwards
    /// (PyTorch's `bidirectional=True`). Forecasting refuses it: a forecaster reads the window's end.
    public var bidirectional = false
    /// Whole samples: what the head reads of the output sequence (the final state, or the mean,
    /// maximum or attention-weighted sum over the steps). Forecasting takes only `.last`.
    public var pool: Pooling = .last
    /// How the gates that keep memory start (LSTM forget gate, GRU update gate).
    public var gateInitialization: GateInitialization = .auto
    /// Text: the most frequent training tokens kept.
    public var vocabularySize = 20000
    /// Text: tokens seen fewer times in training are `<unk>`.
    public var minCount = 2
    /// Text: tokens kept per document (the first ones).
    public var maxLength = 100
    /// Text: the size of each token's embedding vector.
    public var embeddingDimension = 64

    // MARK: optimisation

    /// Full passes over the training part. Nil: 100 for forecasting, 150 for whole samples, 20 for
    /// text — unless the training part is large enough for a step budget (`TrainingBudget`).
    public var epochs: Int?
    /// A step budget: optimizer steps on batches drawn uniformly from the training part, instead of
    /// epochs. Nil: `TrainingBudget.defaultSteps` above `TrainingBudget.stepThreshold` training
    /// samples when `epochs` is nil too, else epochs.
    public var steps: Int?
    /// Under a step budget: steps between evaluations (nil: `TrainingBudget.evaluationInterval`).
    public var evaluationInterval: Int?
    /// Nil: 32 for forecasting and text; for whole samples 32, or an eighth of the training set when smaller (at least 8).
    public var batchSize: Int?
    /// Nil: 1e-3 for forecasting, 3e-3 for classification and regression.
    public var learningRate: Float?
    /// Nil: Adam for forecasting, AdamW otherwise.
    public var optimizer: OptimizerKind?
    /// Nil: 0 for forecasting (0.03 on differenced series), 0.01 otherwise.
    public var weightDecay: Float?
    /// Global gradient-norm clip; nil for none.
    public var clip: Float? = 1
    /// Early stopping on the validation part; nil: never (text: 3).
    public var patience: Int?
    /// Regression loss.
    public var loss: RegressionLoss = .mse
    /// The seed of every random choice (initialisation, shuffles, dropout); the same seed trains the same model.
    public var seed: UInt64 = 0
    /// Networks trained from successive seeds and predicting together (`Ensemble`). Nil: 3 for
    /// forecasting, 1 otherwise, and 1 whenever the run checkpoints, resumes or warm-starts (a
    /// checkpoint holds one network).
    public var ensemble: Int?
    /// Threads each batch is split across, and over which evaluation and scoring run their batches.
    /// Nil: every core this process may use (`Processors.available`). Results are identical for a
    /// given seed and thread count; with another thread count they differ by the rounding of the
    /// gradient sums.
    public var threads: Int?
    /// Record the gradient reaching each time step (`compare`'s vanishing-gradient plot).
    public var tracksStepGradients = false
    /// The creation time written into the model file; nil: now.
    public var createdAt: Date?

    // MARK: stopping, checkpoints and warm starts

    /// Asked before every batch of the final training; `true` stops it there and the outcome is
    /// marked interrupted (`TrainingResult.interruption`), its model holding the best weights so far.
    public var shouldStop: (@Sendable () -> Bool)?
    /// Where checkpoints of the run's whole state go (`CheckpointFile`); nil: none.
    public var checkpointPath: String?
    /// Epochs between checkpoints (nil or 0: only when `shouldStop` interrupts the run).
    public var checkpointEvery: Int?
    /// A checkpoint to continue from; the run must have its settings and data (the epoch count may grow).
    /// The outcome is then bit-identical to the run's had it never stopped.
    public var resumePath: String?
    /// A model file whose weights the network starts from instead of a fresh initialisation
    /// (warm start); its schema kind and architecture must be the ones this run builds. The data
    /// scaling is still fitted on this run's data.
    public var initFromPath: String?

    /// A request to train on `dataPath` with every default.
    public init(dataPath: String) { self.dataPath = dataPath }

    /// The kind of input the request describes, from its columns and task.
    public var input: TaskInput {
        if textColumn != nil { return .text }
        if labelColumn != nil && task == .classify { return .windows }
        return task == .forecast ? .forecast : .samples
    }

    /// How many-series training draws windows unless told: balanced, as measured on panels of
    /// unequal lengths (Docs/getting-started.md, "Balanced sampling"). Series of one length are
    /// drawn uniformly either way.
    public static let defaultSampling = BatchSampling.balanced

    /// The request with every default filled in for its task.
    /// - Throws: `DataError` when the default target needs the file and it cannot be read, or
    ///   names no single column.
    public func resolved() throws -> TrainingPlan {
        let forecasting = task == .forecast, text = input == .text
        var training = TrainingConfiguration()
        training.epochs = epochs ?? (text ? 20 : forecasting ? 100 : 150)
        training.batchSize = batchSize ?? 0
        training.learningRate = learningRate ?? (forecasting ? 1e-3 : 3e-3)
        training.optimizer = optimizer ?? (forecasting ? .adam : .adamw)
        training.weightDecay = weightDecay ?? (forecasting ? 0 : 0.01)
        training.clip = clip.flatMap { $0 > 0 ? $0 : nil }
        training.patience = patience
        training.seed = seed
        training.sampling = sampling ?? Self.defaultSampling
        training.steps = steps
        training.evaluationInterval = evaluationInterval ?? TrainingBudget.evaluationInterval
        training.threads = threads ?? Processors.available
        training.tracksStepGradients = tracksStepGradients
        var setup = ForecastSetup(targets: forecasting ? try resolvedTargets() : [])
        setup.features = features
        setup.lookback = lookback
        setup.horizon = horizon
        setup.stride = stride
        setup.testFraction = testFraction
        setup.testStart = testStart
        setup.valFraction = valFraction
        setup.scaling = scaling
        setup.difference = difference
        setup.season = season ?? 1
        setup.infersSeason = season == nil
        setup.categorical = categorical
        if !quantiles.isEmpty {
            guard forecasting else {
                throw TrainingError.unsupported(reason: "--quantiles is for forecasting (tidal train with a time series)")
            }
            if let problem = Self.quantileProblem(quantiles) { throw TrainingError.unsupported(reason: "--quantiles: \(problem)") }
            setup.quantiles = Self.resolvedQuantiles(quantiles)
        }
        var plan = TrainingPlan(request: self, forecast: setup, training: training)
        plan.dropout = dropout ?? (text ? 0.5 : 0)
        let continues = checkpointPath != nil || resumePath != nil || initFromPath != nil
        plan.members = ensemble ?? (continues ? 1 : forecasting ? TrainingPlan.forecastMembers : 1)
        if plan.members > 1 && continues { throw ContinuationError.ensembleContinuation }
        return plan
    }

    /// Why `quantiles` cannot be a quantile list (a value not finite or outside (0, 1), or one
    /// given twice), or nil.
    public static func quantileProblem(_ quantiles: [Double]) -> String? {
        if let bad = quantiles.first(where: { !($0.isFinite && $0 > 0 && $0 < 1) }) { return "\(bad) is not a quantile in (0, 1)" }
        if Set(quantiles).count != quantiles.count { return "a quantile is given twice" }
        return nil
    }

    /// The quantile levels a model is trained for: `quantiles` sorted, with 0.5 added when absent
    /// (the median is the point forecast).
    public static func resolvedQuantiles(_ quantiles: [Double]) -> [Double] { Set(quantiles + [0.5]).sorted() }

    /// The targets to forecast: those given, else a column named `value` (or `y`, Nixtla's name),
    /// else the only numeric column that is not the series column.
    func resolvedTargets() throws -> [String] {
        if !targets.isEmpty { return targets }
        var options = table
        options.inferTextColumns = true
        options.missing = .keep
        options.readsSeries = true
        let probe = try Table.load(path: dataPath, options: options)
        if let name = ["value", "y"].first(where: probe.names.contains) { return [name] }
        let numeric = zip(probe.names, probe.columns).compactMap { name, column -> String? in
            if case .numeric = column, name != probe.seriesName { return name } else { return nil }
        }
        guard numeric.count == 1 else {
            throw DataError.unusable(
                source: dataPath,
                reason: numeric.isEmpty
                    ? "no numeric column to forecast; name one with --target"
                    : "name the column to forecast with --target; the numeric columns are \(numeric.joined(separator: ", "))")
        }
        return numeric
    }
}

/// The four kinds of input Tidal trains on; each has its own pipeline.
public enum TaskInput: String, Sendable {
    /// Windows of rows forecasting the next values (`ForecastSpec`).
    case forecast
    /// Whole samples, UCR or long layout, classified or regressed (`SampleSpec`).
    case samples
    /// Windows of a labelled series, classified (`SeriesWindowSpec`).
    case windows
    /// Text documents, classified (`TextSpec`).
    case text
}

/// A request with every default resolved: what the pipelines read.
public struct TrainingPlan: Sendable {
    /// The request as the caller gave it.
    public var request: TrainingRequest
    /// Forecasting and window settings (the split fractions serve every task).
    public var forecast: ForecastSetup
    /// Optimisation settings. `batchSize` 0: the pipeline picks it for its set size.
    public var training: TrainingConfiguration
    /// Dropout between stacked layers and on token embeddings.
    public var dropout: Float = 0
    /// Networks in the ensemble.
    public var members = 1

    /// The default ensemble of a forecaster: the median of three seeds (see `TrainingRequest.ensemble`).
    public static let forecastMembers = 3

    /// What the model predicts.
    public var task: TaskKind { request.task }
    /// The recurrent cell.
    public var cell: CellKind { request.cell }

    /// A forecaster's objective: the pinball loss over `forecast.quantiles` for a quantile model,
    /// else the request's regression loss.
    var forecastObjective: Objective {
        forecast.quantiles.isEmpty ? .regression(request.loss) : .quantiles(QuantileLoss(levels: forecast.quantiles.map(Float.init)))
    }

    /// A freshly initialised network (PyTorch's initialisation), then the gate-bias shift for `steps`.
    func makeNetwork(_ architecture: ModelArchitecture, steps: Int) -> SequenceModel {
        let network = SequenceModel(architecture, seed: training.seed)
        var generator = SeededGenerator(seed: training.seed ^ 0xC4_0000)
        request.gateInitialization.apply(to: network, steps: steps, generator: &generator)
        return network
    }

    /// The network shape for `inputSize` numeric features per step and `outputSize` outputs.
    func architecture(
        inputSize: Int, outputSize: Int, skipSteps: Int = 0, vocabularySize: Int = 0,
        categorical: [CategoricalColumn] = []
    ) -> ModelArchitecture {
        var a = ModelArchitecture(
            cell: request.cell, inputSize: inputSize, hiddenSize: request.hidden, layers: request.layers,
            dropout: dropout, outputSize: outputSize, skipSteps: skipSteps, vocabularySize: vocabularySize,
            bidirectional: request.bidirectional, pool: request.pool)
        a.categoricalVocabularies = categorical.map(\.values.count)
        a.categoricalDimensions = categorical.map(\.dimension)
        return a
    }
}
