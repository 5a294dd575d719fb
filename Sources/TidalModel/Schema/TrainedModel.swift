import Foundation
import TidalCore
import TidalData
import TidalNet

/// Facts about how a model was trained; saved in the model file.
public struct TrainingMetadata: Sendable, Codable, Equatable {
    public var createdAt: String
    public var dataFile: String
    public var dataSHA256: String
    public var seed: UInt64
    public var epochs: Int
    public var finalMetrics: [String: Double]
    public var tidalVersion: String

    public init(createdAt: String, dataFile: String, dataSHA256: String, seed: UInt64, epochs: Int,
                finalMetrics: [String: Double], tidalVersion: String = TidalVersion.string) {
        self.createdAt = createdAt
        self.dataFile = dataFile
        self.dataSHA256 = dataSHA256
        self.seed = seed
        self.epochs = epochs
        self.finalMetrics = finalMetrics
        self.tidalVersion = tidalVersion
    }

    /// The metadata of a finished run: its data file's name and SHA-256, seed, epochs and final test figures.
    init(_ plan: TrainingPlan, result: TrainingResult, metrics: [String: Double]) {
        let request = plan.request
        self.init(createdAt: ISO8601DateFormatter().string(from: request.createdAt ?? Date()),
                  dataFile: (request.dataPath as NSString).lastPathComponent,
                  dataSHA256: (try? SHA256.hexDigest(ofFile: request.dataPath)) ?? "",
                  seed: plan.training.seed, epochs: result.epochsRun, finalMetrics: metrics.filter { $0.value.isFinite })
    }
}

/// A named weight tensor with PyTorch's shape.
public struct NamedTensor: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var values: [Float]

    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }
}

/// Why a model cannot do what was asked of it.
public enum ModelUseError: Error, CustomStringConvertible, Equatable {
    /// The model predicts another kind of thing than the command needs.
    case wrongTask(model: String, task: TaskKind, needed: String, instead: String)
    /// The model's input cannot be replayed row by row.
    case notReplayable(reason: String)

    public var description: String {
        switch self {
        case let .wrongTask(model, task, needed, instead):
            return "\(model) is a \(task.rawValue) model; this needs \(needed) (use \(instead))"
        case let .notReplayable(reason): return reason
        }
    }
}

/// A trained model as it travels: its schema (input, scaling, outputs), the network's shape and
/// weights, and how it was trained. `ModelFile` reads and writes it.
public struct TrainedModel: Sendable, Equatable {
    /// How the model reads input and what it predicts.
    public var schema: TaskSchema
    public var architecture: ModelArchitecture
    /// Every parameter, in the network's order.
    public var weights: [NamedTensor]
    public var metadata: TrainingMetadata

    /// A model holding `network`'s current weights.
    public init(schema: TaskSchema, architecture: ModelArchitecture, network: SequenceModel, metadata: TrainingMetadata) {
        self.init(schema: schema, architecture: architecture,
                  weights: network.parameters.map { NamedTensor(name: $0.name, shape: $0.shape, values: $0.value) },
                  metadata: metadata)
    }

    /// A model from its parts; the weights must be the architecture's (`ModelFile` checks them).
    public init(schema: TaskSchema, architecture: ModelArchitecture, weights: [NamedTensor], metadata: TrainingMetadata) {
        self.schema = schema
        self.architecture = architecture
        self.weights = weights
        self.metadata = metadata
    }

    /// What the model predicts.
    public var task: TaskKind { schema.task }

    /// A network holding these weights, frozen for inference (its layers reuse their weight layout between calls).
    public func makeNetwork() -> SequenceModel {
        let network = SequenceModel(architecture, seed: 0)
        let byName = Dictionary(weights.map { ($0.name, $0.values) }, uniquingKeysWith: { first, _ in first })
        for p in network.parameters {
            if let values = byName[p.name], values.count == p.value.count { p.value = values }
        }
        for layer in network.recurrent.layers { layer.weightsFrozen = true }
        return network
    }

    /// Number of learnable values.
    public var parameterCount: Int { weights.reduce(0) { $0 + $1.values.count } }

    /// A forecaster for this model.
    /// - Throws: `ModelUseError.wrongTask` for a classifier or regressor.
    public func forecaster(name: String = "the model") throws -> Forecaster {
        guard case let .forecast(spec) = schema else {
            throw ModelUseError.wrongTask(model: name, task: task, needed: "a forecasting model",
                                          instead: "`tidal predict`, `tidal evaluate` or `tidal replay`")
        }
        return Forecaster(spec: spec, network: makeNetwork())
    }

    /// Scores the model on every window or sample of a CSV file, beside the baselines.
    public func evaluate(dataPath: String, options: TableOptions = TableOptions()) throws -> Scoring {
        try schema.pipeline.evaluate(self, dataPath: dataPath, options: options)
    }

    /// The predictor `replay` and `predict` feed one row at a time.
    public func rowPredictor() throws -> any RowPredictor { try schema.pipeline.rowPredictor(self) }
}
