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
        /// Conformal intervals (`--level`): coverage and width per level, and MSIS at 95 %.
        public var intervals: IntervalScores?
        /// A quantile model (`--quantiles`): the scaled pinball loss and each quantile's coverage.
        public var quantiles: QuantileScores?

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
            case intervals, quantiles
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
    /// `evaluate`: how the scored rows overlap the rows the model learned from; nil when they do not
    /// (then the figures are test figures).
    public var overlapsTraining: String?

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
        case trainSeconds = "train_seconds", parameters, choices, warning, overlapsTraining = "overlaps_training"
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
        overlapsTraining = scoring.overlap
    }
}

/// Interval scores on the test part: JSON `{"80": {"coverage", "width"}, "95": {…}, "msis": x}`.
public struct IntervalScores: Sendable, Codable, Equatable {
    /// One level's figures.
    public struct Level: Sendable, Codable, Equatable {
        /// Share of actual values inside the interval (nominal: the level).
        public var coverage: Double
        /// Mean interval width, in original units.
        public var width: Double
    }

    /// Each level's figures, by its label (`80`, `95`).
    public var levels: [String: Level]
    /// The M4 competition's mean scaled interval score at 95 % (lower is better), scaled like
    /// MASE; nil when 95 is not among the levels or the scale is unknown.
    public var msis: Double?

    /// Scores from their parts.
    public init(levels: [String: Level], msis: Double?) {
        self.levels = levels
        self.msis = msis
    }

    /// Scores intervals: `actual[i]` against `bounds[level][i] = (lo, hi)` for each level in percent; MSIS with `scale`.
    public init(actual: [Float], bounds: [Double: [(lo: Float, hi: Float)]], scale: Double) {
        var levels: [String: Level] = [:]
        var msis: Double?
        for (level, b) in bounds {
            var inside = 0, width = 0.0, score = 0.0, n = 0
            for (y, (lo, hi)) in zip(actual, b) where !y.isNaN && !lo.isNaN && !hi.isNaN {
                n += 1
                if y >= lo && y <= hi { inside += 1 }
                width += Double(hi - lo)
                let alpha = 1 - level / 100
                score += Double(hi - lo) + 2 / alpha * Double(max(0, lo - y) + max(0, y - hi))
            }
            guard n > 0 else { continue }
            levels[IntervalCalibration.label(level)] = Level(coverage: Double(inside) / Double(n), width: width / Double(n))
            if level == 95, scale > 0 { msis = score / Double(n) / scale }
        }
        self.init(levels: levels, msis: msis)
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Decodes `{"<level>": {…}, …, "msis": x}`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        var levels: [String: Level] = [:]
        for key in c.allKeys where key.stringValue != "msis" { levels[key.stringValue] = try c.decode(Level.self, forKey: key) }
        self.init(levels: levels, msis: try c.decodeIfPresent(Double.self, forKey: Key(stringValue: "msis")))
    }

    /// Encodes `{"<level>": {…}, …, "msis": x}`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        for (label, level) in levels { try c.encode(level, forKey: Key(stringValue: label)) }
        try c.encodeIfPresent(msis, forKey: Key(stringValue: "msis"))
    }
}

/// A quantile forecaster's scores on the test part: JSON `{"pinball": x, "coverage": {"0.1": c, …}}`.
public struct QuantileScores: Sendable, Codable, Equatable {
    /// The mean pinball loss over values and quantiles, `mean ρ_τ(y − q_τ)`, divided by `scale`
    /// (the seasonal-naive scale of MASE; lower is better).
    public var pinball: Double?
    /// Per quantile (labelled as in the column names, `0.1`): the share of actual values at or
    /// below it (nominal: the quantile itself).
    public var coverage: [String: Double]

    /// Scores from their parts.
    public init(pinball: Double?, coverage: [String: Double]) {
        self.pinball = pinball
        self.coverage = coverage
    }

    /// Scores quantile forecasts `quantiles` (`[n, Q]`, `levels` order) against `actual` (`n`);
    /// NaN actual or forecast values are skipped. `pinball` is nil when `scale` is unknown or zero.
    public init(actual: [Float], quantiles: [Float], levels: [Double], scale: Double) {
        let Q = levels.count
        var loss = 0.0, terms = 0
        var below = [Int](repeating: 0, count: Q), counts = [Int](repeating: 0, count: Q)
        for (i, y) in actual.enumerated() where !y.isNaN {
            for (j, tau) in levels.enumerated() {
                let q = quantiles[i * Q + j]
                guard !q.isNaN else { continue }
                let e = Double(y) - Double(q)
                loss += max(tau * e, (tau - 1) * e)
                terms += 1
                counts[j] += 1
                if y <= q { below[j] += 1 }
            }
        }
        var coverage: [String: Double] = [:]
        for (j, tau) in levels.enumerated() where counts[j] > 0 {
            coverage[ForecastSpec.quantileLabel(tau)] = Double(below[j]) / Double(counts[j])
        }
        self.init(pinball: terms > 0 && scale > 0 && scale.isFinite ? loss / Double(terms) / scale : nil, coverage: coverage)
    }
}
