import TidalData
import TidalNet

/// Windows of one series, cut and scaled by a `ForecastSpec`.
public struct ForecastDataset: SampleSource {
    public let spec: ForecastSpec
    /// Raw values `[rows, columns]`, row-major over `spec.columns`.
    public let raw: [Float]
    public let rowCount: Int
    /// Window origins (first target row of each window).
    public let origins: [Int]
    /// Categorical ids `[rows, K]` (empty without categorical covariates).
    public let codes: [Int32]

    public init(spec: ForecastSpec, raw: [Float], origins: [Int], codes: [Int32] = []) {
        self.spec = spec
        self.raw = raw
        rowCount = raw.count / spec.columns.count
        self.origins = origins
        self.codes = codes
    }

    public var count: Int { origins.count }

    public func fill(_ indices: [Int], into batch: Batch) {
        let B = indices.count, T = spec.steps, F = spec.featureCount, O = spec.outputCount, C = spec.columns.count
        batch.steps = T
        batch.size = B
        batch.hasMask = false
        let x = batch.x.reserve(T * B * F), y = batch.targets.reserve(B * O)
        raw.withUnsafeBufferPointer { r in
            for (b, index) in indices.enumerated() {
                let o = origins[index]
                let window = r.baseAddress! + (o - spec.lookback) * C
                let stats = spec.prepareWindow(raw: window, into: x + b * F, stepStride: B * F)
                if o + spec.horizon <= rowCount {
                    spec.prepareTarget(raw: window, stats: stats, into: y + b * O)
                }
            }
        }
        let K = spec.categorical.count
        batch.categories = K == 0 ? [] : Array(repeating: 0, count: T * B * K)
        if K > 0 {
            codes.withUnsafeBufferPointer { c in batch.categories.withUnsafeMutableBufferPointer { ids in
                for (b, index) in indices.enumerated() {
                    spec.prepareCategories(codes: c.baseAddress! + (origins[index] - spec.lookback) * K, into: ids.baseAddress! + b * K, stepStride: B * K)
                }
            } }
        }
    }

    /// Predictions in original units, `[count, outputCount]` (row per origin).
    public func predict(_ model: SequenceModel) -> [Float] { predict(model, loss: nil).values }

    /// Predictions in original units and, with `loss`, the mean loss on the network's scale — from one
    /// forward pass. Every origin must have its complete targets when `loss` is given.
    public func predict(_ model: SequenceModel, loss: RegressionLoss?) -> (values: [Float], meanLoss: Double) {
        let O = spec.outputCount, C = spec.columns.count
        var result = [Float](repeating: 0, count: count * O)
        var total = 0.0
        let scratch = FloatBuffer(capacity: spec.steps * spec.featureCount)
        raw.withUnsafeBufferPointer { r in
            result.withUnsafeMutableBufferPointer { out in
                predictInBatches(model, self) { indices, output, batch in
                    if let loss {
                        total += Double(loss.evaluate(prediction: output, target: batch.targets.pointer, count: batch.size * O, gradient: nil)) * Double(batch.size)
                    }
                    for (b, index) in indices.enumerated() {
                        let window = r.baseAddress! + (origins[index] - spec.lookback) * C
                        let stats = spec.prepareWindow(raw: window, into: scratch.pointer, stepStride: spec.featureCount)
                        spec.invert(output: output + b * O, raw: window, stats: stats, into: out.baseAddress! + index * O)
                    }
                }
            }
        }
        return (result, count > 0 ? total / Double(count) : 0)
    }

    /// Errors of `predicted` (`[count, outputCount]`, original units) against the actual values,
    /// over every origin and horizon step that has both; MASE with `scale`.
    public func metrics(of predicted: [Float], scale: Double) -> ForecastMetrics {
        let actual = actuals()
        var a: [Double] = [], p: [Double] = []
        for i in actual.indices where !actual[i].isNaN && !predicted[i].isNaN {
            a.append(Double(actual[i]))
            p.append(Double(predicted[i]))
        }
        return ForecastMetrics(actual: a, predicted: p, scale: scale)
    }

    /// The first horizon step of the first target for each origin, for plotting.
    public func firstStep(_ values: [Float]) -> [Double] {
        stride(from: 0, to: values.count, by: spec.outputCount).map { Double(values[$0]) }
    }

    /// The actual values for each origin, `[count, outputCount]`, target-major per row.
    public func actuals() -> [Float] {
        let O = spec.outputCount, C = spec.columns.count, H = spec.horizon
        var result = [Float](repeating: .nan, count: count * O)
        for (i, o) in origins.enumerated() {
            for (k, c) in spec.targetIndices.enumerated() {
                for h in 0 ..< H where o + h < rowCount { result[i * O + k * H + h] = raw[(o + h) * C + c] }
            }
        }
        return result
    }

    /// The naive forecast (`y[o − 1]` for every step) per origin, `[count, outputCount]`.
    public func naive() -> [Float] { seasonalNaive(period: 1) }

    /// Seasonal naive with period `m`: `ŷ[o + k − 1] = y[o + k − 1 − m·⌈k/m⌉]`.
    public func seasonalNaive(period m: Int) -> [Float] {
        let O = spec.outputCount, C = spec.columns.count, H = spec.horizon
        var result = [Float](repeating: .nan, count: count * O)
        for (i, o) in origins.enumerated() {
            for (k, c) in spec.targetIndices.enumerated() {
                for h in 0 ..< H {
                    let step = h + 1
                    let source = o + h - m * ((step + m - 1) / m)
                    if source >= 0 { result[i * O + k * H + h] = raw[source * C + c] }
                }
            }
        }
        return result
    }
}
