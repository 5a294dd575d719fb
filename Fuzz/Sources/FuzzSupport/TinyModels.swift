import Foundation
import TidalData
@testable import TidalModel
import TidalNet

/// Small models with random weights, built in-process (no training): the valid starting points
/// the model target mutates and the fixed models the replay target runs.
public enum TinyModels {
    static let metadata = TrainingMetadata(
        createdAt: "2024-01-01T00:00:00Z", dataFile: "fuzz.csv", dataSHA256: String(repeating: "0", count: 64), seed: 7,
        epochs: 1, finalMetrics: ["mae": 1])

    /// A forecaster of `b` from columns `a,b` (and a categorical `kind`), lookback 4, horizon 2.
    public static func forecaster(
        difference: Int = 0, skip: Bool = true, categorical: Bool = false, cell: CellKind = .lstm
    )
        -> TrainedModel
    {
        var spec = ForecastSpec(
            features: ["a", "b"], targets: ["b"], timeColumn: "time", lookback: 4, horizon: 2, difference: difference,
            scaling: .zscore, normalizer: Normalizer(kind: .zscore, shift: [1, 2], scale: [2, 3]), season: 2)
        if categorical { spec.categorical = [CategoricalColumn(name: "kind", trainingValues: ["x", "y", "z"], dimension: 2)] }
        var a = ModelArchitecture(
            cell: cell, inputSize: 2, hiddenSize: 3, layers: 1, outputSize: spec.outputCount, skipSteps: skip ? spec.steps : 0)
        a.categoricalVocabularies = spec.categorical.map(\.values.count)
        a.categoricalDimensions = spec.categorical.map(\.dimension)
        return TrainedModel(schema: .forecast(spec), architecture: a, network: SequenceModel(a, seed: 7), metadata: metadata)
    }

    /// A classifier of windows of 3 rows of `a` into `calm` or `storm` by the column `label`.
    public static func windowClassifier(categorical: Bool = false) -> TrainedModel {
        let sample = SampleSpec(
            layout: .window, channels: 1, classes: ["calm", "storm"], normalizer: Normalizer(kind: .zscore, shift: [0], scale: [1]),
            maxLength: 3, patch: 1)
        let columns = categorical ? [CategoricalColumn(name: "kind", trainingValues: ["x", "y"], dimension: 2)] : []
        let spec = SeriesWindowSpec(
            sample: sample, columns: ["a"], labelColumn: "label", lookback: 3, timeColumn: "time", categorical: columns)
        var a = ModelArchitecture(cell: .gru, inputSize: 1, hiddenSize: 4, layers: 2, outputSize: 2)
        a.categoricalVocabularies = columns.map(\.values.count)
        a.categoricalDimensions = columns.map(\.dimension)
        return TrainedModel(schema: .windows(spec), architecture: a, network: SequenceModel(a, seed: 8), metadata: metadata)
    }

    /// A UCR-row classifier (one whole sample per row) or, with no classes, a regressor.
    public static func sampleModel(classes: [String] = ["p", "q"]) -> TrainedModel {
        let spec = SampleSpec(
            layout: .ucr, channels: 1, classes: classes, normalizer: Normalizer(kind: .zscore, shift: [0.5], scale: [2]),
            maxLength: 6, patch: 2)
        let a = ModelArchitecture(cell: .rnn, inputSize: 2, hiddenSize: 3, layers: 1, outputSize: max(1, classes.count))
        return TrainedModel(schema: .samples(spec), architecture: a, network: SequenceModel(a, seed: 9), metadata: metadata)
    }

    /// A document classifier over a six-token vocabulary.
    public static func textClassifier() -> TrainedModel {
        let vocabulary = Vocabulary(tokens: ["<pad>", "<unk>", "good", "bad", "film", "fine"])
        let spec = TextSpec(textColumn: "text", labelColumn: "label", classes: ["fresh", "rotten"], vocabulary: vocabulary, maxLength: 8)
        let a = ModelArchitecture(
            cell: .lstm, inputSize: 3, hiddenSize: 3, layers: 1, outputSize: 2, vocabularySize: vocabulary.tokens.count)
        return TrainedModel(schema: .text(spec), architecture: a, network: SequenceModel(a, seed: 10), metadata: metadata)
    }

    /// Every kind above, by name.
    public static func all() -> [(name: String, model: TrainedModel)] {
        [
            ("forecast-skip", forecaster()), ("forecast-diff", forecaster(difference: 1, skip: false, cell: .gru)),
            ("forecast-categorical", forecaster(categorical: true)), ("window", windowClassifier()),
            ("window-categorical", windowClassifier(categorical: true)), ("ucr-classify", sampleModel()),
            ("ucr-regress", sampleModel(classes: [])), ("text", textClassifier()),
        ]
    }
}

/// A model file's payload: the description's length, the JSON description, the weights.
public enum ModelPayload {
    /// The description and weight bytes of a payload; a length past the end is clamped.
    public static func split(_ payload: [UInt8]) -> (json: [UInt8], weights: [UInt8])? {
        guard payload.count >= 4 else { return nil }
        let length = min(Int(ModelFile.readLE(payload, 0, as: UInt32.self)), payload.count - 4)
        return (Array(payload[4 ..< 4 + length]), Array(payload[(4 + length)...]))
    }

    /// The payload of a description and weights.
    public static func join(json: [UInt8], weights: [UInt8]) -> [UInt8] {
        var payload: [UInt8] = []
        ModelFile.appendLE(UInt32(json.count), to: &payload)
        return payload + json + weights
    }

    /// The payload inside a model file's bytes.
    public static func of(file bytes: [UInt8]) throws -> [UInt8] {
        try ZstdDecompressor().decompress(bytes[32...], expectedSize: Int(ModelFile.readLE(bytes, 12, as: UInt64.self)))
    }

    /// One compressor for every run, at level 1: `ModelFile.pack` makes a level-19 context per file,
    /// whose tables cost more than the rest of a run. The frame (and its checksum) is the same kind.
    nonisolated(unsafe) static let compressor = try! ZstdCompressor(level: 1)

    /// A model file with valid zstd checksum and header CRC around an edited description and weights:
    /// the bytes `ModelFile.pack(description:weights:)` writes, with a faster compression level.
    public static func pack(json: [UInt8], weights: [UInt8]) -> [UInt8] {
        do {
            let payload = join(json: json, weights: weights)
            let compressed = try compressor.compress(payload)
            var header = ModelFile.magic
            ModelFile.appendLE(UInt16(ModelFile.formatVersion), to: &header)
            ModelFile.appendLE(UInt16(0), to: &header)
            ModelFile.appendLE(UInt64(payload.count), to: &header)
            ModelFile.appendLE(UInt64(compressed.count), to: &header)
            ModelFile.appendLE(CRC32.checksum(header), to: &header)
            return header + compressed
        } catch {
            fuzzFailure("pack failed: \(error)")
        }
    }

    /// `pack` equals `ModelFile.pack` but for the compression level: both decode to the same payload.
    public static func checkPack(json: [UInt8], weights: [UInt8]) throws {
        let ours = pack(json: json, weights: weights), theirs = try ModelFile.pack(description: json, weights: weights)
        if try of(file: ours) != of(file: theirs) { fuzzFailure("the fuzz pack and ModelFile.pack disagree") }
    }
}
