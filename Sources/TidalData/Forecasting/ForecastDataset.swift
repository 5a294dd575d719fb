import TidalCore

/// Windows of one series, cut and scaled by a `ForecastSpec`.
public struct ForecastDataset: SampleSource, Sendable {
    /// How windows are cut, scaled and differenced.
    public let spec: ForecastSpec
    /// Raw values `[rows, columns]`, row-major over `spec.columns`.
    public let raw: [Float]
    /// Rows in `raw`.
    public let rowCount: Int
    /// Window origins (first target row of each window).
    public let origins: [Int]
    /// Categorical ids `[rows, K]` (empty without categorical covariates).
    public let codes: [Int32]

    /// Windows of `raw` at `origins`.
    /// - Parameters:
    ///   - spec: how windows are cut and scaled.
    ///   - raw: `[rows, spec.columns.count]` raw values, row-major.
    ///   - origins: the first target row of each window (at least `spec.lookback`).
    ///   - codes: categorical ids `[rows, spec.categorical.count]`, or empty without categorical covariates.
    public init(spec: ForecastSpec, raw: [Float], origins: [Int], codes: [Int32] = []) {
        self.spec = spec
        self.raw = raw
        rowCount = raw.count / spec.columns.count
        self.origins = origins
        self.codes = codes
    }

    /// Number of windows.
    public var count: Int { origins.count }

    /// At most `limit` of the windows, evenly spaced from the first to the last (all of them when
    /// there are no more than `limit`): a quick estimate of a long part's error.
    public func evenlySpaced(atMost limit: Int) -> ForecastDataset {
        guard count > limit, limit >= 1 else { return self }
        let picked = limit == 1 ? [origins[0]] : (0 ..< limit).map { origins[$0 * (count - 1) / (limit - 1)] }
        return ForecastDataset(spec: spec, raw: raw, origins: picked, codes: codes)
    }

    /// Fills `batch` with the windows at `indices`: scaled inputs `[steps, size, features]` and scaled targets.
    public func fill(_ indices: [Int], into batch: Batch) {
        let B = indices.count, T = spec.steps, F = spec.featureCount, O = spec.outputCount, C = spec.columns.count
        let x = batch.start(steps: T, size: B, features: F), y = batch.targets.reserve(B * O)
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
        if K > 0 {
            let ids = batch.reserveCategories(K)
            codes.withUnsafeBufferPointer { c in
                for (b, index) in indices.enumerated() {
                    let window = c.baseAddress! + (origins[index] - spec.lookback) * K
                    spec.prepareCategories(codes: window, into: ids + b * K, stepStride: B * K)
                }
            }
        }
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

    /// Mean absolute error of `predicted` (`[count, outputCount]`, original units) against the actual
    /// values, over the cells where both are known (a baseline has none before the series starts).
    public func meanAbsoluteError(of predicted: [Float]) -> Double {
        let actual = actuals()
        var sum = 0.0, n = 0
        for i in actual.indices where !actual[i].isNaN && !predicted[i].isNaN {
            sum += abs(Double(predicted[i]) - Double(actual[i]))
            n += 1
        }
        return n > 0 ? sum / Double(n) : .infinity
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
