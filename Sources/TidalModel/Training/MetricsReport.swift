import TidalData
import TidalCore
import Foundation
import TidalData
import TidalNet

/// The `--metrics` JSON document. Fields that do not apply are omitted, never faked.
public struct MetricsReport: Sendable, Codable {
    public struct EpochEntry: Sendable, Codable {
        public var epoch: Int
        public var trainLoss: Double
        public var valLoss: Double?
        public var trainAcc: Double?
        public var valAcc: Double?
        public var testAcc: Double?
        public var testMae: Double?
        public var gradientNorm: Double

        enum CodingKeys: String, CodingKey {
            case epoch, trainLoss = "train_loss", valLoss = "val_loss", trainAcc = "train_acc", valAcc = "val_acc"
            case testAcc = "test_acc", testMae = "test_mae", gradientNorm = "gradient_norm"
        }
    }

    /// Test scores: the forecast or regression errors, or the classification scores.
    public struct Scores: Sendable, Codable {
        public var mae: Double?
        public var rmse: Double?
        public var smape: Double?
        public var mase: Double?
        public var accuracy: Double?
        public var macroF1: Double?
        public var precision: [Double]?
        public var recall: [Double]?
        public var confusion: [[Int]]?
        public var classes: [String]?

        enum CodingKeys: String, CodingKey {
            case mae, rmse, smape, mase, accuracy, macroF1 = "macro_f1", precision, recall, confusion, classes
        }

        public init(_ m: ForecastMetrics) {
            mae = m.mae; rmse = m.rmse; smape = m.smape; mase = m.mase.isNaN ? nil : m.mase
        }

        public init(_ m: ClassificationMetrics, classes: [String]) {
            accuracy = m.accuracy; macroF1 = m.macroF1; precision = m.precision; recall = m.recall; confusion = m.confusion
            self.classes = classes
        }

        public init(mae: Double, rmse: Double) {
            self.mae = mae
            self.rmse = rmse
        }
    }

    public var task: String
    public var cell: String
    public var epochsRun: Int
    public var bestEpoch: Int
    public var history: [EpochEntry]
    public var test: Scores?
    public var baselines: [String: Scores]
    public var trainSeconds: Double
    public var parameters: Int
    public var choices: String?

    public init(task: String, cell: String, epochsRun: Int, bestEpoch: Int, history: [EpochEntry], test: Scores?,
                baselines: [String: Scores], trainSeconds: Double, parameters: Int, choices: String?) {
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
    }

    enum CodingKeys: String, CodingKey {
        case task, cell, epochsRun = "epochs_run", bestEpoch = "best_epoch", history, test, baselines
        case trainSeconds = "train_seconds", parameters, choices
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
    public init(task: TaskKind, cell: CellKind, result: TrainingResult, test: Scores?, baselines: [String: Scores],
                parameters: Int, choices: String?) {
        let history = result.history.map {
            EpochEntry(epoch: $0.epoch, trainLoss: $0.trainLoss, valLoss: $0.validation?.loss, trainAcc: $0.trainAccuracy,
                       valAcc: $0.validation?.accuracy, testAcc: $0.test?.accuracy, testMae: $0.test?.mae, gradientNorm: $0.gradientNorm)
        }
        self.init(task: task.rawValue, cell: cell.rawValue, epochsRun: result.epochsRun, bestEpoch: result.bestEpoch, history: history,
                  test: test, baselines: baselines, trainSeconds: result.seconds, parameters: parameters, choices: choices)
    }

    /// The report of scoring a trained model on a file (no training history).
    public init(evaluating model: TrainedModel, scoring: Scoring) {
        self.init(task: model.task.rawValue, cell: model.architecture.cell.rawValue, epochsRun: model.metadata.epochs,
                  bestEpoch: model.metadata.epochs, history: [], test: scoring.test, baselines: scoring.baselines, trainSeconds: 0,
                  parameters: model.parameterCount, choices: nil)
    }
}
