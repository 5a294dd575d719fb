import TidalCore
import Foundation
import TidalData
import TidalNet

/// What a model predicts.
public enum TaskKind: String, Sendable, Codable, CaseIterable {
    /// The next `horizon` values of target columns from a window of rows.
    case forecast
    /// A class for each sample (a UCR row, a long-format sample, or a window of a labelled series).
    case classify
    /// One number for each whole sample.
    case regress
}

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
                finalMetrics: [String: Double], tidalVersion: String) {
        self.createdAt = createdAt
        self.dataFile = dataFile
        self.dataSHA256 = dataSHA256
        self.seed = seed
        self.epochs = epochs
        self.finalMetrics = finalMetrics
        self.tidalVersion = tidalVersion
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

/// A trained model as it travels: architecture, input schema, frozen scaling, weights and metadata.
public struct TrainedModel: Sendable {
    public var task: TaskKind
    public var architecture: ModelArchitecture
    /// Forecasting: columns, window, differencing and scaling.
    public var forecast: ForecastSpec?
    /// Classification and whole-sample regression: layout, channels, classes, scaling.
    public var samples: SampleSpec?
    /// Text classification: columns, vocabulary, classes.
    public var text: TextSpec?
    public var weights: [NamedTensor]
    public var metadata: TrainingMetadata

    public init(task: TaskKind, architecture: ModelArchitecture, forecast: ForecastSpec?, samples: SampleSpec?,
                text: TextSpec? = nil, network: SequenceModel, metadata: TrainingMetadata) {
        self.task = task
        self.architecture = architecture
        self.forecast = forecast
        self.samples = samples
        self.text = text
        weights = network.parameters.map { NamedTensor(name: $0.name, shape: $0.shape, values: $0.value) }
        self.metadata = metadata
    }

    init(task: TaskKind, architecture: ModelArchitecture, forecast: ForecastSpec?, samples: SampleSpec?,
         text: TextSpec?, weights: [NamedTensor], metadata: TrainingMetadata) {
        self.task = task
        self.architecture = architecture
        self.forecast = forecast
        self.samples = samples
        self.text = text
        self.weights = weights
        self.metadata = metadata
    }

    /// A network holding these weights, frozen for inference (its layers reuse their weight layout between calls).
    public func makeNetwork() -> SequenceModel {
        let network = SequenceModel(architecture, seed: 0)
        let byName = Dictionary(uniqueKeysWithValues: weights.map { ($0.name, $0) })
        for p in network.parameters { p.value = byName[p.name]!.values }
        for layer in network.recurrent.layers { layer.weightsFrozen = true }
        return network
    }

    /// Number of learnable values.
    public var parameterCount: Int { weights.reduce(0) { $0 + $1.values.count } }
}
