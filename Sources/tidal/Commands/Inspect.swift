import ArgumentParser
import Foundation
import TidalCore
import TidalModel

/// `tidal inspect`: what a model file holds.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a model file's architecture, parameters, schema, scaling, training metadata and sizes.",
        discussion: """
            Examples:
              tidal inspect airline.tidal
              tidal inspect airline.tidal --json | python3 -m json.tool
            """
    )

    @Argument(help: "A model file.")
    var model: String

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        try reportingErrors {
            let bytes = try ModelFile.readBytes(model)
            let (m, compressed, uncompressed) = try ModelFile.decodeWithSizes(bytes, path: model)
            let summary = m.schema.summary
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                let data = try encoder.encode(JSONValue.object(fields(m, summary, sizes: (bytes.count, compressed, uncompressed))))
                Output.line(String(decoding: data, as: UTF8.self))
                return
            }
            let a = m.architecture
            var lines = ["\(model): Tidal model, format version \(ModelFile.version(of: m)), task \(m.task.rawValue)"]
            lines.append(
                "architecture: \(a.cell.rawValue), input \(a.inputSize), hidden \(a.hiddenSize), \(a.layers) layer(s), "
                    + "dropout \(a.dropout), outputs \(a.outputSize)" + (a.skipSteps > 0 ? ", linear skip over \(a.skipSteps) steps" : "")
                    + (a.vocabularySize > 0 ? ", token embedding over \(a.vocabularySize) ids" : "")
                    + (a.bidirectional ? ", bidirectional" : "") + (a.pool != .last ? ", \(a.pool.rawValue) pooling" : ""))
            lines.append(
                "parameters: \(m.parameterCount)"
                    + (m.members > 1
                        ? " (an ensemble of \(m.members) networks from seeds \(m.metadata.seed) on, predicting together: "
                            + (m.task == .classify ? "mean probabilities)" : "median outputs)") : ""))
            lines += m.weights.map { "  \($0.name) \($0.shape)" }
            lines += summary.lines
            let md = m.metadata
            lines.append(
                "trained: \(md.createdAt) on \(md.dataFile) (sha256 \(md.dataSHA256.prefix(16))…), seed \(md.seed), \(md.epochs) epochs, "
                    + "tidal \(md.tidalVersion)" + (md.trainingRange.map { "; learned from \($0.description)" } ?? ""))
            lines.append(
                "final metrics: "
                    + md.finalMetrics.sorted { $0.key < $1.key }.map { "\($0.key) \(formatMetric($0.value))" }
                    .joined(separator: ", "))
            lines.append("size: \(bytes.count) bytes on disk (payload \(compressed) compressed, \(uncompressed) uncompressed)")
            Output.line(lines.joined(separator: "\n"))
        }
    }

    /// The JSON members: the file, its architecture, weights, metadata and sizes, then the schema's own.
    func fields(_ m: TrainedModel, _ summary: SchemaSummary, sizes: (file: Int, compressed: Int, uncompressed: Int)) -> [String: JSONValue]
    {
        let a = m.architecture, md = m.metadata
        var fields: [String: JSONValue] = [
            "file": .string(model), "format_version": .int(ModelFile.version(of: m)), "task": .string(m.task.rawValue),
            "architecture": [
                "cell": .string(a.cell.rawValue), "input_size": .int(a.inputSize), "hidden_size": .int(a.hiddenSize),
                "layers": .int(a.layers), "dropout": .number(Double(a.dropout)), "output_size": .int(a.outputSize),
                "skip_steps": .int(a.skipSteps), "vocabulary_size": .int(a.vocabularySize),
                "bidirectional": .bool(a.bidirectional), "pool": .string(a.pool.rawValue),
            ],
            "parameters": .int(m.parameterCount), "members": .int(m.members),
            "tensors": .array(m.weights.map { ["name": .string($0.name), "shape": .array($0.shape.map(JSONValue.int))] }),
            "file_bytes": .int(sizes.file), "compressed_bytes": .int(sizes.compressed), "uncompressed_bytes": .int(sizes.uncompressed),
            "metadata": [
                "created_at": .string(md.createdAt), "data_file": .string(md.dataFile), "data_sha256": .string(md.dataSHA256),
                "seed": Int(exactly: md.seed).map(JSONValue.int) ?? .string(String(md.seed)), "epochs": .int(md.epochs),
                "final_metrics": .object(md.finalMetrics.mapValues(JSONValue.number)), "tidal_version": .string(md.tidalVersion),
            ],
        ]
        if let range = md.trainingRange, case var .object(metadata) = fields["metadata"] {
            var learned: [String: JSONValue] = ["first_row": .int(range.firstRow), "last_row": .int(range.lastRow)]
            if let first = range.firstTime, let last = range.lastTime {
                (learned["first_time"], learned["last_time"]) = (.string(first), .string(last))
            }
            metadata["training_range"] = .object(learned)
            fields["metadata"] = .object(metadata)
        }
        fields.merge(summary.fields) { _, schema in schema }
        return fields
    }
}
