import TidalCore
import TidalData
import TidalNet

/// Predictions from a trained forecasting model, one window at a time or for a whole file.
///
/// `forecast --all` and `replay` both go through `predict(window:)`'s arithmetic, so the
/// same rows give the same numbers whichever command reads them.
public final class Forecaster {
    public let model: TrainedModel
    public let spec: ForecastSpec
    let network: SequenceModel
    private let input = FloatBuffer()
    private var output: [Float]
    private var ids: [Int32] = []

    public init(_ model: TrainedModel) {
        precondition(model.task == .forecast && model.forecast != nil, "not a forecasting model")
        self.model = model
        spec = model.forecast!
        network = model.makeNetwork()
        output = Array(repeating: 0, count: spec.outputCount)
    }

    /// Predicts the `horizon` values after a window of `lookback` raw rows (row-major over `spec.columns`).
    /// - Returns: `outputCount` values in original units, target-major.
    public func predict(window: UnsafePointer<Float>, codes: UnsafePointer<Int32>? = nil) -> [Float] {
        let x = input.reserve(spec.steps * spec.featureCount)
        let stats = spec.prepareWindow(raw: window, into: x, stepStride: spec.featureCount)
        let y: UnsafePointer<Float>
        if let codes, !spec.categorical.isEmpty {
            let K = spec.categorical.count
            if ids.count < spec.steps * K { ids = Array(repeating: 0, count: spec.steps * K) }
            y = ids.withUnsafeMutableBufferPointer { p in
                spec.prepareCategories(codes: codes, into: p.baseAddress!, stepStride: K)
                return network.forward(x, categories: p.baseAddress!, steps: spec.steps, batch: 1)
            }
        } else {
            precondition(spec.categorical.isEmpty, "this model needs categorical ids")
            y = network.forward(x, steps: spec.steps, batch: 1)
        }
        output.withUnsafeMutableBufferPointer { spec.invert(output: y, raw: window, stats: stats, into: $0.baseAddress!) }
        return output
    }

    /// Reads the model's columns from `table` as raw rows `[n, columns]`.
    public func rawRows(_ table: Table) throws -> [Float] {
        let columns = spec.columns
        let n = table.rowCount
        var raw = [Float](repeating: 0, count: n * columns.count)
        for (c, name) in columns.enumerated() {
            guard let values = table.numeric(name) else {
                throw DataError.unknownColumn(source: table.source, requested: name, known: table.header)
            }
            for r in 0 ..< n { raw[r * columns.count + c] = values[r] }
        }
        return raw
    }

    /// The categorical ids `[n, K]` of the model's categorical columns in `table` (unseen values → 0).
    public func codes(_ table: Table) throws -> [Int32] {
        let K = spec.categorical.count
        guard K > 0 else { return [] }
        var codes = [Int32](repeating: 0, count: table.rowCount * K)
        for (k, column) in spec.categorical.enumerated() {
            guard let values = table.text(column.name) else {
                throw DataError.unknownColumn(source: table.source, requested: column.name, known: table.header)
            }
            for r in values.indices { codes[r * K + k] = column.id(of: values[r]) }
        }
        return codes
    }

    /// Predictions for every complete window: origins `lookback … n` (the last forecasts past the data).
    /// - Returns: `(origin, values)` pairs in order.
    public func predictAll(raw: [Float], codes: [Int32] = []) -> [(origin: Int, values: [Float])] {
        let C = spec.columns.count, K = spec.categorical.count
        let n = raw.count / C
        guard n >= spec.lookback else { return [] }
        var results: [(Int, [Float])] = []
        raw.withUnsafeBufferPointer { r in
            codes.withUnsafeBufferPointer { c in
                for o in spec.lookback ... n {
                    let window = c.baseAddress.map { $0 + (o - spec.lookback) * K }
                    results.append((o, predict(window: r.baseAddress! + (o - spec.lookback) * C, codes: K > 0 ? window : nil)))
                }
            }
        }
        return results
    }
}
