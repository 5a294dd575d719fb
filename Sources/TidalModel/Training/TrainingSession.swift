import Foundation
import TidalCore
import TidalData
import TidalNet

/// Everything a training run needs, as plain values (the CLI fills it from its flags).
public struct TrainingRequest: Sendable {
    public var task: TaskKind = .forecast
    public var dataPath: String
    /// A separate test file (UCR ships one), or nil to split the data file.
    public var testPath: String?
    public var table = TableOptions()
    /// Whole-sample layout for classify and regress.
    public var format: SampleSet.Format = .ucr
    public var forecast = ForecastSetup(targets: [])
    public var cell: CellKind = .lstm
    public var hidden = 64
    public var layers = 1
    public var dropout: Float = 0
    /// The linear autoregressive skip for forecasting (nil: on, off on differenced series).
    public var skip: Bool?
    /// Forecasting: the weight decay the user asked for (nil: 0, or 0.03 on differenced series).
    /// Whole samples and text use `training.weightDecay`.
    public var weightDecay: Float?
    public var loss: RegressionLoss = .mse
    public var training = TrainingConfiguration()
    public var scaling: Scaling?
    /// Time steps per network step for whole samples (nil: automatic).
    public var patch: Int?
    /// Whole samples without `patch`: true picks the patch length by cross-validation on the
    /// training samples; false keeps the default (at most 64 network steps per sample), as
    /// `compare` does so that every cell it trains reads the same input.
    public var choosesPatch = true
    /// Text classification: the document column (nil for numeric data) and its settings.
    public var textColumn: String?
    public var labelColumn: String?
    public var vocabularySize = 20000
    public var minCount = 2
    public var maxLength = 100
    public var embeddingDimension = 64

    /// How the gates that keep memory start (LSTM forget gate, GRU update gate); see `GateInitialization`.
    public var gateInitialization: GateInitialization = .auto

    public init(dataPath: String) { self.dataPath = dataPath }
}

/// What a training run produced.
public struct TrainingOutcome: Sendable {
    public var model: TrainedModel
    public var result: TrainingResult
    public var report: MetricsReport
    /// Forecasting: one-step test predictions and actual values, baselines alike, for `forecast.svg`.
    public var forecastCurves: [String: [Double]]
    /// Test-part time labels when there is a time column.
    public var testTimes: [String]?

    public init(model: TrainedModel, result: TrainingResult, report: MetricsReport, forecastCurves: [String: [Double]], testTimes: [String]?) {
        self.model = model
        self.result = result
        self.report = report
        self.forecastCurves = forecastCurves
        self.testTimes = testTimes
    }
}

/// Receives progress while a session runs.
public protocol TrainingObserver {
    func started(description: String)
    func epochEnded(_ record: EpochRecord, of total: Int, task: TaskKind)
    func batchEnded(_ index: Int, of count: Int, epoch: Int)
    /// What the session is doing before its first epoch line (choosing settings by trial trainings).
    func status(_ message: String)
}

extension TrainingObserver {
    public func status(_ message: String) {}
}

/// Runs a whole training request: load, split, scale, train, evaluate against baselines.
public enum TrainingSession {
    public static func run(_ request: TrainingRequest, observer: TrainingObserver?) throws -> TrainingOutcome {
        if request.textColumn != nil { return try runText(request, observer: observer) }
        if request.labelColumn != nil && request.task == .classify { return try runSeriesWindows(request, observer: observer) }
        switch request.task {
        case .forecast: return try runForecast(request, observer: observer)
        case .classify, .regress: return try runSamples(request, observer: observer)
        }
    }

    /// A freshly initialised network (PyTorch's initialisation), then the gate-bias shift.
    static func makeNetwork(_ architecture: ModelArchitecture, _ request: TrainingRequest, steps: Int) -> SequenceModel {
        let network = SequenceModel(architecture, seed: request.training.seed)
        var generator = SeededGenerator(seed: request.training.seed ^ 0xC4_0000)
        request.gateInitialization.apply(to: network, steps: steps, generator: &generator)
        return network
    }

    static func formatShort(_ x: Double) -> String { String(format: "%.4g", x) }

    struct SampleOutput { var values: [Float]; var argmax: Int }

    static func samplePredictions(_ model: SequenceModel, _ set: any SampleSource) -> [SampleOutput] {
        let O = model.architecture.outputSize
        var out = [SampleOutput](repeating: SampleOutput(values: [], argmax: 0), count: set.count)
        predictInBatches(model, set, batchSize: 64) { indices, output, _ in
            for (b, i) in indices.enumerated() {
                let row = Array(UnsafeBufferPointer(start: output + b * O, count: O))
                out[i] = SampleOutput(values: row, argmax: row.indices.max { row[$0] < row[$1] }!)
            }
        }
        return out
    }

    static func sampleEvaluation(_ model: SequenceModel, _ set: any SampleSource, objective: Objective) -> Evaluation {
        var total = 0.0, correct = 0, absError = 0.0
        predictInBatches(model, set, batchSize: 64) { indices, output, batch in
            switch objective {
            case let .classification(classes):
                let loss = batch.labels.withUnsafeBufferPointer {
                    CrossEntropy.evaluate(logits: output, labels: $0.baseAddress!, batch: batch.size, classes: classes, probabilities: nil, gradient: nil)
                }
                total += Double(loss) * Double(batch.size)
                for b in 0 ..< batch.size where argmax(output + b * classes, classes) == Int(batch.labels[b]) { correct += 1 }
            case let .regression(kind):
                total += Double(kind.evaluate(prediction: output, target: batch.targets.pointer, count: batch.size, gradient: nil)) * Double(batch.size)
                let scale = (set as? SampleDataset)?.spec.targetScale ?? 1
                for b in 0 ..< batch.size { absError += abs(Double(output[b] - batch.targets.pointer[b])) * scale }
            }
        }
        let n = Double(set.count)
        if case .classification = objective { return Evaluation(loss: total / n, accuracy: Double(correct) / n) }
        return Evaluation(loss: total / n, mae: absError / n)
    }

    /// Test scores of a classifier and the majority-class baseline (the most frequent training class)
    /// on the same test samples, plus the figures kept in the model's metadata.
    static func classificationScores(test: [Int32], predicted: [Int], train: [Int32], classes: [String])
        -> (scores: MetricsReport.Scores, baselines: [String: MetricsReport.Scores], final: [String: Double]) {
        let actual = test.map(Int.init)
        let metrics = ClassificationMetrics(actual: actual, predicted: predicted, classes: classes.count)
        let counts = (0 ..< classes.count).map { c in train.filter { $0 == c }.count }
        let majority = counts.indices.max { counts[$0] < counts[$1] }!
        let baseline = ClassificationMetrics(actual: actual, predicted: Array(repeating: majority, count: actual.count), classes: classes.count)
        return (.init(metrics, classes: classes), ["majority": .init(baseline, classes: classes)],
                ["accuracy": metrics.accuracy, "macro_f1": metrics.macroF1])
    }

    static func makeReport(task: TaskKind, cell: CellKind, result: TrainingResult, test: MetricsReport.Scores?,
                           baselines: [String: MetricsReport.Scores], parameters: Int, choices: String?) -> MetricsReport {
        MetricsReport(task: task.rawValue, cell: cell.rawValue, epochsRun: result.epochsRun, bestEpoch: result.bestEpoch,
                      history: result.history.map {
                          .init(epoch: $0.epoch, trainLoss: $0.trainLoss, valLoss: $0.validation?.loss, trainAcc: $0.trainAccuracy,
                                valAcc: $0.validation?.accuracy, testAcc: $0.test?.accuracy, testMae: $0.test?.mae, gradientNorm: $0.gradientNorm)
                      },
                      test: test, baselines: baselines, trainSeconds: result.seconds, parameters: parameters, choices: choices)
    }

    static func metadata(_ request: TrainingRequest, result: TrainingResult, metrics: [String: Double]) -> TrainingMetadata {
        let formatter = ISO8601DateFormatter()
        return TrainingMetadata(createdAt: formatter.string(from: Date()), dataFile: (request.dataPath as NSString).lastPathComponent,
                                dataSHA256: (try? SHA256.hexDigest(ofFile: request.dataPath)) ?? "",
                                seed: request.training.seed, epochs: result.epochsRun, finalMetrics: metrics.filter { $0.value.isFinite },
                                tidalVersion: TidalModelVersion.string)
    }
}

/// The version written into model files.
public enum TidalModelVersion {
    public static let string = "0.1.0"
}
