import TidalData
import TidalCore
import Foundation
import TidalData
import TidalNet

/// The `--metrics` JSON document. Fields that do not apply are omitted, never faked.
public struct MetricsReport: Sendable, Codable {
    /// One entry of `history`: an epoch's losses and scores (JSON keys in snake case).
    public struct EpochEntry: Sendable, Codable {
        /// The epoch's number, 1-based (under a step budget: the evaluation's).
        public var epoch: Int
        /// Under a step budget: optimizer steps taken at this evaluation; omitted for epochs.
        public var steps: Int?
        /// Mean training loss.
        public var trainLoss: Double
        /// Validation loss; nil without a validation part.
        public var valLoss: Double?
        /// Training accuracy (classification).
        public var trainAcc: Double?
        /// Validation accuracy (classification with a validation part).
        public var valAcc: Double?
        /// Test accuracy (classification).
        public var testAcc: Double?
        /// Test MAE in original units (forecasting and regression).
        public var testMae: Double?
        /// Mean global gradient norm over the epoch's steps, before clipping.
        public var gradientNorm: Double

        enum CodingKeys: String, CodingKey {
            case epoch, steps, trainLoss = "train_loss", valLoss = "val_loss", trainAcc = "train_acc", valAcc = "val_acc"
            case testAcc = "test_acc", testMae = "test_mae", gradientNorm = "gradient_norm"
        }
    }

    /// Test scores: the forecast or regression errors, or the classification scores.
    public struct Scores: Sendable, Codable {
        /// Mean absolute error (forecasting, regression).
        public var mae: Double?
        /// Root mean squared error (forecasting, regression).
        public var rmse: Double?
        /// Symmetric MAPE in percent (forecasting).
        public var smape: Double?
        /// Mean absolute scaled error (forecasting); omitted when the scale is unknown.
        public var mase: Double?
        /// Fraction classified correctly (classification).
        public var accuracy: Double?
        /// Macro-averaged F1 (classification).
        public var macroF1: Double?
        /// Per-class precision, in `classes` order (classification).
        public var precision: [Double]?
        /// Per-class recall, in `classes` order (classification).
        public var recall: [Double]?
        /// `confusion[actual][predicted]` counts (classification).
        public var confusion: [[Int]]?
        /// Class names in output order (classification).
        public var classes: [String]?
        /// Many series: the mean MASE over series, each scaled by its own training part (the headline).
        public var meanMase: Double?
        /// Many series: the median MASE over series.
        public var medianMase: Double?
        /// Many series: each series' figures.
        public var perSeries: [SeriesEntry]?
        /// A baseline's entry with many series: on how many series the model's MASE is lower than this baseline's.
        public var modelBetterOn: Int?

        /// One series' figures (JSON keys `series`, `mae`, `rmse`, `mase`, `origins`).
        public struct SeriesEntry: Sendable, Codable, Equatable {
            /// The series id.
            public var series: String
            /// Mean absolute error.
            public var mae: Double
            /// Root mean squared error.
            public var rmse: Double
            /// MASE with the series' own scale; nil when that scale is zero or unknown.
            public var mase: Double?
            /// Forecast origins scored.
            public var origins: Int
        }

        enum CodingKeys: String, CodingKey {
            case mae, rmse, smape, mase, accuracy, macroF1 = "macro_f1", precision, recall, confusion, classes
            case meanMase = "mean_mase", medianMase = "median_mase", perSeries = "per_series", modelBetterOn = "model_better_on"
        }

        /// Many-series scores: MAE, RMSE and sMAPE pooled over every error, mean and median MASE over series, each series' figures.
        public init(_ m: SeriesMetrics) {
            mae = m.pooled.mae; rmse = m.pooled.rmse; smape = m.pooled.smape
            meanMase = m.meanMASE.isNaN ? nil : m.meanMASE
            medianMase = m.medianMASE.isNaN ? nil : m.medianMASE
            perSeries = m.series.map {
                SeriesEntry(
                    series: $0.name, mae: $0.metrics.mae, rmse: $0.metrics.rmse, mase: $0.metrics.mase.isNaN ? nil : $0.metrics.mase,
                    origins: $0.origins)
            }
        }

        /// Forecast scores; a NaN MASE is left out.
        public init(_ m: ForecastMetrics) {
            mae = m.mae; rmse = m.rmse; smape = m.smape; mase = m.mase.isNaN ? nil : m.mase
        }

        /// Classification scores for `classes`.
        public init(_ m: ClassificationMetrics, classes: [String]) {
            accuracy = m.accuracy; macroF1 = m.macroF1; precision = m.precision; recall = m.recall; confusion = m.confusion
            self.classes = classes
        }

        /// Regression scores.
        public init(mae: Double, rmse: Double) {
            self.mae = mae
            self.rmse = rmse
        }
    }

    /// `forecast`, `classify` or `regress`.
    public var task: String
    /// `rnn`, `gru` or `lstm`.
    public var cell: String
    /// Epochs run (under a step budget: evaluations made).
    public var epochsRun: Int
    /// The epoch (or evaluation) whose weights the model keeps.
    public var bestEpoch: Int
    /// Under a step budget: optimizer steps taken; omitted for an epoch budget.
    public var stepsRun: Int?
    /// Under a step budget: the steps at the evaluation whose weights the model keeps; omitted for epochs.
    public var bestStep: Int?
    /// Every epoch's figures, in order; empty when a saved model is evaluated.
    public var history: [EpochEntry]
    /// The model's test scores; nil without a test part.
    public var test: Scores?
    /// The baselines' scores on the same test samples, by name.
    public var baselines: [String: Scores]
    /// Wall-clock training time.
    public var trainSeconds: Double
    /// Learnable values in the network.
    public var parameters: Int
    /// How the data-dependent settings were chosen; nil when none were.
    public var choices: String?
    /// What the user should know about the result (no setting beat the baselines on the
    /// training part's backtest); nil when nothing.
    public var warning: String?

    /// A report from its parts.
    public init(
        task: String, cell: String, epochsRun: Int, bestEpoch: Int, history: [EpochEntry], test: Scores?,
        baselines: [String: Scores], trainSeconds: Double, parameters: Int, choices: String?, warning: String? = nil
    ) {
        self.task = task
        self.cell = cell
        self.epochsRun = epochsRun
        self.bestEpoch = bestEpoch
        self.history = history
        self.test = test
        self.baselines = baselines
        self.trainSeconds = trainSeconds
        self.parameters = parameters
        self.choices = choices
        self.warning = warning
    }

    enum CodingKeys: String, CodingKey {
        case task, cell, epochsRun = "epochs_run", bestEpoch = "best_epoch", stepsRun = "steps_run", bestStep = "best_step"
        case history, test, baselines
        case trainSeconds = "train_seconds", parameters, choices, warning
    }

    /// Pretty JSON with sorted keys (so reruns diff cleanly).
    public func json() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return (try? encoder.encode(self)) ?? Data("{}".utf8)
    }
}

extension MetricsReport {
    /// The report of a finished training run.
    public init(
        task: TaskKind, cell: CellKind, result: TrainingResult, test: Scores?, baselines: [String: Scores],
        parameters: Int, choices: String?, warning: String? = nil
    ) {
        let history = result.history.map {
            EpochEntry(
                epoch: $0.epoch, steps: $0.steps, trainLoss: $0.trainLoss, valLoss: $0.validation?.loss, trainAcc: $0.trainAccuracy,
                valAcc: $0.validation?.accuracy, testAcc: $0.test?.accuracy, testMae: $0.test?.mae, gradientNorm: $0.gradientNorm)
        }
        self.init(
            task: task.rawValue, cell: cell.rawValue, epochsRun: result.epochsRun, bestEpoch: result.bestEpoch, history: history,
            test: test, baselines: baselines, trainSeconds: result.seconds, parameters: parameters, choices: choices,
            warning: warning)
        stepsRun = result.stepsRun
        bestStep = result.bestStep
    }

    /// The report of scoring a trained model on a file (no training history).
    public init(evaluating model: TrainedModel, scoring: Scoring) {
        self.init(
            task: model.task.rawValue, cell: model.architecture.cell.rawValue, epochsRun: model.metadata.epochs,
            bestEpoch: model.metadata.epochs, history: [], test: scoring.test, baselines: scoring.baselines, trainSeconds: 0,
            parameters: model.parameterCount, choices: nil)
    }
}
