import TidalData
import TidalCore
import ArgumentParser
import Foundation
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
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: model)))
            let (m, compressed, uncompressed) = try ModelFile.decodeWithSizes(bytes, path: model)
            let a = m.architecture
            var info: [String: Any] = [
                "file": model, "format_version": ModelFile.formatVersion, "task": m.task.rawValue,
                "architecture": ["cell": a.cell.rawValue, "input_size": a.inputSize, "hidden_size": a.hiddenSize, "layers": a.layers,
                                 "dropout": a.dropout, "output_size": a.outputSize, "skip_steps": a.skipSteps],
                "parameters": m.parameterCount,
                "tensors": m.weights.map { ["name": $0.name, "shape": $0.shape] },
                "file_bytes": bytes.count, "compressed_bytes": compressed, "uncompressed_bytes": uncompressed,
                "metadata": ["created_at": m.metadata.createdAt, "data_file": m.metadata.dataFile, "data_sha256": m.metadata.dataSHA256,
                             "seed": m.metadata.seed, "epochs": m.metadata.epochs, "final_metrics": m.metadata.finalMetrics,
                             "tidal_version": m.metadata.tidalVersion],
            ]
            if let f = m.forecast {
                info["schema"] = ["features": f.features, "targets": f.targets, "time_column": f.timeColumn as Any, "lookback": f.lookback,
                                  "horizon": f.horizon, "difference": f.difference, "season": f.season, "scaling": f.scaling.rawValue]
                info["normalizer"] = ["kind": f.normalizer.kind.rawValue, "columns": f.columns, "shift": f.normalizer.shift, "scale": f.normalizer.scale]
                info["categorical"] = f.categorical.map { ["name": $0.name, "values": $0.values, "dimension": $0.dimension] }
            }
            if let s = m.samples {
                info["schema"] = ["layout": s.layout.rawValue, "channels": s.channels, "classes": s.classes, "max_length": s.maxLength]
                info["normalizer"] = ["kind": s.normalizer.kind.rawValue, "shift": s.normalizer.shift, "scale": s.normalizer.scale]
            }
            if json {
                let data = try JSONSerialization.data(withJSONObject: info, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            var out = "\(model): Tidal model, format version \(ModelFile.formatVersion), task \(m.task.rawValue)\n"
            out += "architecture: \(a.cell.rawValue), input \(a.inputSize), hidden \(a.hiddenSize), \(a.layers) layer(s), dropout \(a.dropout), outputs \(a.outputSize)\(a.skipSteps > 0 ? ", linear skip over \(a.skipSteps) steps" : "")\n"
            out += "parameters: \(m.parameterCount)\n"
            for t in m.weights { out += "  \(t.name) \(t.shape)\n" }
            if let f = m.forecast {
                out += "schema: features \(f.features.joined(separator: ",")), targets \(f.targets.joined(separator: ",")), time column \(f.timeColumn ?? "-"), lookback \(f.lookback), horizon \(f.horizon), season \(f.season)\n"
                out += "scaling: \(f.scaling.rawValue), difference \(f.difference), global normalizer \(f.normalizer.kind.rawValue)"
                if !f.categorical.isEmpty {
                    out += "categorical covariates: " + f.categorical.map { "\($0.name) (\($0.values.count - 1) training values + <unk>, embedding \($0.dimension))" }.joined(separator: ", ") + "\n"
                }
                out += f.normalizer.kind == .none ? "\n" : " (" + zip(f.columns, zip(f.normalizer.shift, f.normalizer.scale)).map { "\($0): shift \(formatNumber($1.0)), scale \(formatNumber($1.1))" }.joined(separator: "; ") + ")\n"
            }
            if let s = m.samples {
                out += "schema: \(s.layout.rawValue) layout, \(s.channels) channel(s), samples up to \(s.maxLength) steps\(s.classes.isEmpty ? ", regression" : ", classes \(s.classes.joined(separator: ","))")\n"
                out += "scaling: \(s.normalizer.kind.rawValue) (" + zip(s.normalizer.shift, s.normalizer.scale).enumerated().map { "ch\($0): shift \(formatNumber($1.0)), scale \(formatNumber($1.1))" }.joined(separator: "; ") + ")\n"
            }
            let md = m.metadata
            out += "trained: \(md.createdAt) on \(md.dataFile) (sha256 \(md.dataSHA256.prefix(16))…), seed \(md.seed), \(md.epochs) epochs, tidal \(md.tidalVersion)\n"
            out += "final metrics: " + md.finalMetrics.sorted { $0.key < $1.key }.map { "\($0.key) \(formatMetric($0.value))" }.joined(separator: ", ") + "\n"
            out += "size: \(bytes.count) bytes on disk (payload \(compressed) compressed, \(uncompressed) uncompressed)\n"
            print(out, terminator: "")
        }
    }
}
