import TidalCore

/// Windows of one series, or of many series stored one after another, cut and scaled by a `ForecastSpec`.
///
/// With many series, `segments` says where each one's rows are in `raw`; a window never reaches
/// outside its own series, and neither do the baselines or the actual values.
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
    /// Each series' rows in `raw`, in order (one segment of every row for a single series).
    public let segments: [Range<Int>]
    /// The series (index into `segments`) of each origin.
    public let originSeries: [Int]

    /// Windows of `raw` at `origins`.
    /// - Parameters:
    ///   - spec: how windows are cut and scaled.
    ///   - raw: `[rows, spec.columns.count]` raw values, row-major.
    ///   - origins: the first target row of each window (at least `spec.lookback`).
    ///   - codes: categorical ids `[rows, spec.categorical.count]`, or empty without categorical covariates.
    ///   - segments: each series' rows, contiguous and in order, covering `raw`; nil: one series.
    public init(spec: ForecastSpec, raw: [Float], origins: [Int], codes: [Int32] = [], segments: [Range<Int>]? = nil) {
        self.spec = spec
        self.raw = raw
        rowCount = raw.count / spec.columns.count
        self.origins = origins
        self.codes = codes
        let segments = segments ?? [0 ..< rowCount]
        self.segments = segments
        // An origin belongs to the series holding its window's last input row.
        originSeries = origins.map { o in
            var low = 0, high = segments.count - 1
            while low < high {
                let mid = (low + high + 1) / 2
                if segments[mid].lowerBound <= o - 1 { low = mid } else { high = mid - 1 }
            }
            return low
        }
    }

    /// The rows of the series origin `i` belongs to.
    @inline(__always)
    func segment(ofOrigin i: Int) -> Range<Int> { segments[originSeries[i]] }

    /// Number of windows.
    public var count: Int { origins.count }

    /// With many series, each series' windows (indices into `origins`), for balanced sampling.
    public var sampleGroups: [[Int]]? {
        guard segments.count > 1 else { return nil }
        var groups = Array(repeating: [Int](), count: segments.count)
        for (i, s) in originSeries.enumerated() { groups[s].append(i) }
        return groups
    }

    /// At most `limit` of the windows, evenly spaced from the first to the last (all of them when
    /// there are no more than `limit`): a quick estimate of a long part's error.
    public func evenlySpaced(atMost limit: Int) -> ForecastDataset {
        guard count > limit, limit >= 1 else { return self }
        let picked = limit == 1 ? [origins[0]] : (0 ..< limit).map { origins[$0 * (count - 1) / (limit - 1)] }
        return ForecastDataset(spec: spec, raw: raw, origins: picked, codes: codes, segments: segments)
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
                if o + spec.horizon <= segment(ofOrigin: index).upperBound {
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

    /// Per-series errors of `predicted` (`[count, outputCount]`, original units): each series'
    /// cells pooled into its own metrics, MASE with that series' entry of `scales`.
    public func seriesMetrics(of predicted: [Float], scales: [Double], names: [String]) -> SeriesMetrics {
        let actual = actuals()
        let O = spec.outputCount
        var a = Array(repeating: [Double](), count: segments.count), p = a
        var originCounts = Array(repeating: 0, count: segments.count)
        for i in 0 ..< count {
            let s = originSeries[i]
            originCounts[s] += 1
            for j in i * O ..< (i + 1) * O where !actual[j].isNaN && !predicted[j].isNaN {
                a[s].append(Double(actual[j]))
                p[s].append(Double(predicted[j]))
            }
        }
        return SeriesMetrics(
            series: segments.indices.compactMap { s in
                a[s].isEmpty
                    ? nil
                    : SeriesMetrics.Series(
                        name: names[s], metrics: ForecastMetrics(actual: a[s], predicted: p[s], scale: scales[s]), origins: originCounts[s])
            }, pooled: zip(a.joined(), p.joined()).map { $0 })
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
            let end = segment(ofOrigin: i).upperBound
            for (k, c) in spec.targetIndices.enumerated() {
                for h in 0 ..< H where o + h < end { result[i * O + k * H + h] = raw[(o + h) * C + c] }
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
            let start = segment(ofOrigin: i).lowerBound
            for (k, c) in spec.targetIndices.enumerated() {
                for h in 0 ..< H {
                    let step = h + 1
                    let source = o + h - m * ((step + m - 1) / m)
                    if source >= start { result[i * O + k * H + h] = raw[source * C + c] }
                }
            }
        }
        return result
    }
}
