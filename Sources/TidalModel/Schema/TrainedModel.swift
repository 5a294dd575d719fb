import Foundation
import TidalCore
import TidalData
import TidalNet

/// Facts about how a model was trained; saved in the model file.
public struct TrainingMetadata: Sendable, Codable, Equatable {
    /// When training finished, ISO 8601.
    public var createdAt: String
    /// The training file's name, without its directory.
    public var dataFile: String
    /// The training file's SHA-256, hex; empty when it could not be read again.
    public var dataSHA256: String
    /// The seed every random choice was drawn from.
    public var seed: UInt64
    /// Epochs run (fewer than asked when early stopping ended the run).
    public var epochs: Int
    /// The final test figures by name (`mae`, `rmse`, `accuracy`, `macro_f1`, …); non-finite ones are left out.
    public var finalMetrics: [String: Double]
    /// The version of Tidal that trained the model.
    public var tidalVersion: String
    /// The rows of the training file the model learned from (those before the test part);
    /// nil for models that do not record it (whole-sample models, files written before it existed).
    public var trainingRange: TrainingRange?

    /// Metadata from its parts; `tidalVersion` defaults to this build's.
    public init(
        createdAt: String, dataFile: String, dataSHA256: String, seed: UInt64, epochs: Int,
        finalMetrics: [String: Double], tidalVersion: String = TidalVersion.string, trainingRange: TrainingRange? = nil
    ) {
        self.createdAt = createdAt
        self.dataFile = dataFile
        self.dataSHA256 = dataSHA256
        self.seed = seed
        self.epochs = epochs
        self.finalMetrics = finalMetrics
        self.tidalVersion = tidalVersion
        self.trainingRange = trainingRange
    }

    /// The metadata of a finished run: its data file's name and SHA-256, seed, epochs, final test
    /// figures and the rows it learned from.
    init(_ plan: TrainingPlan, result: TrainingResult, metrics: [String: Double], trainingRange: TrainingRange?) {
        let request = plan.request
        self.init(
            createdAt: ISO8601DateFormatter().string(from: request.createdAt ?? Date()),
            dataFile: (request.dataPath as NSString).lastPathComponent,
            dataSHA256: (try? SHA256.hexDigest(ofFile: request.dataPath)) ?? "",
            seed: plan.training.seed, epochs: result.epochsRun, finalMetrics: metrics.filter { $0.value.isFinite },
            trainingRange: trainingRange)
    }
}

/// A named weight tensor with PyTorch's shape.
public struct NamedTensor: Sendable, Equatable {
    /// PyTorch's parameter name (`lstm.weight_ih_l0`, `head.bias`, …).
    public var name: String
    /// PyTorch's shape, outermost first.
    public var shape: [Int]
    /// The values, row-major.
    public var values: [Float]

    /// A tensor from its parts; `values.count` should be the product of `shape`.
    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }
}

extension TaskKind {
    /// What predicts for this task: the one network, or an ensemble combining its members' outputs
    /// (mean probabilities for classes, the median otherwise).
    package func predictor(_ networks: [SequenceModel]) -> any SequencePredicting {
        if networks.count == 1 { return networks[0] }
        return Ensemble(networks, combination: self == .classify ? .meanProbability : .median)
    }
}

/// Why a model cannot do what was asked of it.
public enum ModelUseError: Error, CustomStringConvertible, Equatable {
    /// The model predicts another kind of thing than the command needs.
    case wrongTask(model: String, task: TaskKind, needed: String, instead: String)
    /// The model's input cannot be replayed row by row.
    case notReplayable(reason: String)

    /// The message, one line: what the model is and what the command needed.
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
    /// The network's shape: cell, sizes, layers, head.
    public var architecture: ModelArchitecture
    /// Every parameter, in the network's order: the first member's under PyTorch's names, then
    /// each further member's under `memberPrefix(k)` (`member1.lstm.weight_ih_l0`, …).
    public var weights: [NamedTensor]
    /// How, when and on what the model was trained.
    public var metadata: TrainingMetadata
    /// Networks in the ensemble (1: a single network). They share the architecture and predict
    /// together: the median of their outputs, or the mean of their class probabilities.
    public var members: Int

    /// A model holding `network`'s current weights.
    public init(schema: TaskSchema, architecture: ModelArchitecture, network: SequenceModel, metadata: TrainingMetadata) {
        self.init(schema: schema, architecture: architecture, networks: [network], metadata: metadata)
    }

    /// A model holding the current weights of an ensemble's networks (at least one, all of `architecture`).
    public init(schema: TaskSchema, architecture: ModelArchitecture, networks: [SequenceModel], metadata: TrainingMetadata) {
        precondition(!networks.isEmpty, "a model needs a network")
        self.init(
            schema: schema, architecture: architecture,
            weights: networks.enumerated().flatMap { k, network in
                network.parameters.map { NamedTensor(name: Self.memberPrefix(k) + $0.name, shape: $0.shape, values: $0.value) }
            },
            metadata: metadata, members: networks.count)
    }

    /// A model from its parts; the weights must be the architecture's, `members` times (`ModelFile` checks them).
    public init(
        schema: TaskSchema, architecture: ModelArchitecture, weights: [NamedTensor], metadata: TrainingMetadata, members: Int = 1
    ) {
        self.schema = schema
        self.architecture = architecture
        self.weights = weights
        self.metadata = metadata
        self.members = members
    }

    /// The prefix of ensemble member `k`'s parameter names: none for the first, `member<k>.` after it.
    public static func memberPrefix(_ k: Int) -> String { k == 0 ? "" : "member\(k)." }

    /// What the model predicts.
    public var task: TaskKind { schema.task }

    /// Ensemble member `k`'s network holding its weights, frozen for inference (its layers reuse
    /// their weight layout between calls). Member 0 is the one a warm start reads.
    public func makeNetwork(member k: Int = 0) -> SequenceModel {
        let network = SequenceModel(architecture, seed: 0)
        let prefix = Self.memberPrefix(k)
        let byName = Dictionary(weights.map { ($0.name, $0.values) }, uniquingKeysWith: { first, _ in first })
        for p in network.parameters {
            if let values = byName[prefix + p.name], values.count == p.value.count { p.value = values }
        }
        for layer in network.recurrent.directionalLayers { layer.weightsFrozen = true }
        return network
    }

    /// What predicts: the network, or every member combined (median outputs for forecasts and
    /// regression, mean probabilities for classes).
    package func makePredictor() -> any SequencePredicting {
        task.predictor((0 ..< members).map(makeNetwork(member:)))
    }

    /// Number of learnable values (of every member).
    public var parameterCount: Int { weights.reduce(0) { $0 + $1.values.count } }

    /// A forecaster for this model.
    /// - Throws: `ModelUseError.wrongTask` for a classifier or regressor.
    public func forecaster(name: String = "the model") throws -> Forecaster {
        guard case let .forecast(spec) = schema else {
            throw ModelUseError.wrongTask(
                model: name, task: task, needed: "a forecasting model",
                instead: "`tidal predict`, `tidal evaluate` or `tidal replay`")
        }
        return Forecaster(spec: spec, network: makePredictor())
    }

    /// Scores the model on every window or sample of a CSV file, beside the baselines; `overlap`
    /// says when the scored rows are rows the model learned from (the training file itself, by
    /// its SHA-256, or for a forecaster times inside `metadata.trainingRange`).
    /// - Parameter threads: threads the batches run on (every core by default); the scores are the
    ///   same for any count.
    public func evaluate(
        dataPath: String, options: TableOptions = TableOptions(), threads: Int = Processors.available
    ) throws -> Scoring {
        var scoring = try schema.pipeline.evaluate(self, dataPath: dataPath, options: options, threads: threads)
        if dataPath != "-", !metadata.dataSHA256.isEmpty, (try? SHA256.hexDigest(ofFile: dataPath)) == metadata.dataSHA256 {
            scoring.overlap =
                "the file is the one the model was trained on (sha256 \(metadata.dataSHA256.prefix(12))…)"
                + (metadata.trainingRange.map { "; it learned from \($0.description)" } ?? "")
        }
        return scoring
    }

    /// The predictor `replay` and `predict` feed one row at a time.
    public func rowPredictor() throws -> any RowPredictor { try schema.pipeline.rowPredictor(self) }
}
