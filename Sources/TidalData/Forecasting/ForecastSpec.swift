/// How values are scaled before they reach the network.
public enum Scaling: String, Sendable, Codable, CaseIterable {
    /// Per-column `(x − mean) / std`, fitted on the training rows.
    case zscore
    /// Per-column `(x − min) / (max − min)`, fitted on the training rows.
    case minmax
    /// Each window by its own mean and std (as neuralforecast's RevIN and GluonTS's mean scaling do);
    /// predictions are mapped back with the same window's statistics.
    case window
    /// No scaling.
    case none
}

/// Everything that turns raw rows into network inputs and network outputs back into values:
/// the columns, the window, differencing and scaling. Frozen into the model file.
///
/// One window is `lookback` raw rows. With differencing of order `d` the network sees the
/// `lookback − d` differences `x[t] − x[t − d]` inside it; predictions are integrated back
/// (`ŷ[o + h] = ẑ[o + h] + y[o + h − d]`, using earlier predictions past the window).
public struct ForecastSpec: Sendable, Codable, Equatable {
    /// The input columns the network reads at every step.
    public var features: [String]
    /// The columns forecast.
    public var targets: [String]
    /// The time column, printed beside each forecast; nil when the input has none.
    public var timeColumn: String?
    /// Raw rows per window.
    public var lookback: Int
    /// Values forecast per target after each window (direct multi-step).
    public var horizon: Int
    /// The differencing lag `d`; 0 for none.
    public var difference: Int
    /// How values are scaled before the network sees them.
    public var scaling: Scaling
    /// Global scaling of `columns` (identity for `.window` and `.none`).
    public var normalizer: Normalizer
    /// Seasonal period for baselines and MASE (1 = none).
    public var season: Int
    /// Categorical covariates: each column's values seen in training (id 0 = `<unk>` for unseen ones)
    /// and its embedding size.
    public var categorical: [CategoricalColumn] = []
    /// The series column of a model trained on many series in long format: forecasts and replay
    /// keep one window per series id. Nil for a single series.
    public var seriesColumn: String?
    /// Conformal intervals (`--level`): the calibration scores and the levels written; nil without.
    public var calibration: IntervalCalibration?
    /// The training rows' time step (`TimeStep.infer`): each forecast step is labelled with the
    /// time it is for. Nil without a time column, for irregular times, and in older model files.
    public var timeStep: TimeStep?
    /// The quantile levels a quantile forecaster (`--quantiles`) predicts, strictly increasing in
    /// (0, 1) and holding 0.5, whose prediction is the point forecast; empty for a point model.
    /// The network has `quantiles.count` outputs per forecast value (`networkOutputCount`).
    public var quantiles: [Double] = []

    enum CodingKeys: String, CodingKey {
        case features, targets, timeColumn, lookback, horizon, difference, scaling, normalizer, season, categorical, seriesColumn
        case calibration, timeStep, quantiles
    }

    /// Decodes a spec; files written before categorical covariates, series columns or time steps existed decode with none.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        features = try c.decode([String].self, forKey: .features)
        targets = try c.decode([String].self, forKey: .targets)
        timeColumn = try c.decodeIfPresent(String.self, forKey: .timeColumn)
        lookback = try c.decode(Int.self, forKey: .lookback)
        horizon = try c.decode(Int.self, forKey: .horizon)
        difference = try c.decode(Int.self, forKey: .difference)
        scaling = try c.decode(Scaling.self, forKey: .scaling)
        normalizer = try c.decode(Normalizer.self, forKey: .normalizer)
        season = try c.decode(Int.self, forKey: .season)
        categorical = try c.decodeIfPresent([CategoricalColumn].self, forKey: .categorical) ?? []
        seriesColumn = try c.decodeIfPresent(String.self, forKey: .seriesColumn)
        calibration = try c.decodeIfPresent(IntervalCalibration.self, forKey: .calibration)
        timeStep = try c.decodeIfPresent(TimeStep.self, forKey: .timeStep)
        quantiles = try c.decodeIfPresent([Double].self, forKey: .quantiles) ?? []
    }

    /// Encodes every field; `quantiles` only for a quantile forecaster, so a point model is
    /// described exactly as before quantile heads existed.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(features, forKey: .features)
        try c.encode(targets, forKey: .targets)
        try c.encodeIfPresent(timeColumn, forKey: .timeColumn)
        try c.encode(lookback, forKey: .lookback)
        try c.encode(horizon, forKey: .horizon)
        try c.encode(difference, forKey: .difference)
        try c.encode(scaling, forKey: .scaling)
        try c.encode(normalizer, forKey: .normalizer)
        try c.encode(season, forKey: .season)
        try c.encode(categorical, forKey: .categorical)
        try c.encodeIfPresent(seriesColumn, forKey: .seriesColumn)
        try c.encodeIfPresent(calibration, forKey: .calibration)
        try c.encodeIfPresent(timeStep, forKey: .timeStep)
        if !quantiles.isEmpty { try c.encode(quantiles, forKey: .quantiles) }
    }

    /// Writes a window's categorical ids: step t of the network reads row `t + difference` of the
    /// window's `codes` (`[lookback, K]`), written at `ids + t · stepStride`.
    public func prepareCategories(codes: UnsafePointer<Int32>, into ids: UnsafeMutablePointer<Int32>, stepStride: Int) {
        let K = categorical.count
        for t in 0 ..< steps { (ids + t * stepStride).update(from: codes + (t + difference) * K, count: K) }
    }

    /// A spec without categorical covariates; set `categorical` to add them.
    public init(
        features: [String], targets: [String], timeColumn: String?, lookback: Int, horizon: Int, difference: Int,
        scaling: Scaling, normalizer: Normalizer, season: Int
    ) {
        self.features = features
        self.targets = targets
        self.timeColumn = timeColumn
        self.lookback = lookback
        self.horizon = horizon
        self.difference = difference
        self.scaling = scaling
        self.normalizer = normalizer
        self.season = season
    }

    /// Every column read from the input: the features, then targets that are not features.
    public var columns: [String] { features + targets.filter { !features.contains($0) } }
    /// Network steps per window.
    public var steps: Int { lookback - difference }
    /// Numeric inputs per network step.
    public var featureCount: Int { features.count }
    /// Forecast values per window: `targets.count × horizon`, target-major.
    public var outputCount: Int { targets.count * horizon }
    /// Network outputs per forecast value: the quantile count, or 1 for a point model.
    public var quantileWidth: Int { max(1, quantiles.count) }
    /// Network outputs per window: `outputCount × quantileWidth`; value `o`'s quantile `j` is output `o · Q + j`.
    public var networkOutputCount: Int { outputCount * quantileWidth }
    /// Where 0.5 is in `quantiles` (the point forecast of a quantile model); nil for a point model.
    public var medianIndex: Int? { quantiles.firstIndex(of: 0.5) }
    var featureIndices: [Int] { features.map { columns.firstIndex(of: $0)! } }
    /// Where each target is in `columns`.
    public var targetIndices: [Int] { targets.map { columns.firstIndex(of: $0)! } }

    /// Output column names: `<target>_h1 … <target>_hH` for each target.
    public var outputNames: [String] { targets.flatMap { t in (1 ... horizon).map { "\(t)_h\($0)" } } }

    /// The columns a forecast line holds, in Nixtla's naming: per output name, the point forecast
    /// (`value_h1`), its quantiles for a quantile model (`value_h1_q0.1`, `value_h1_q0.5`, …), then
    /// its interval bounds when the model is calibrated (`value_h1_lo80`, `value_h1_hi80`, …).
    public var predictionNames: [String] {
        outputNames.flatMap { name in
            [name] + quantiles.map { "\(name)_q\(Self.quantileLabel($0))" } + (calibration?.boundNames(name) ?? [])
        }
    }

    /// `0.1` for 0.1, `0.025` for 0.025: the quantile as Swift prints the shortest exact decimal.
    public static func quantileLabel(_ q: Double) -> String { "\(q)" }

    /// Each output's interval bounds per level (`[o · L + l]`) after the window `raw` (`lookback`
    /// rows), for point forecasts `values` (`outputCount`) and quantile values `quantileValues`
    /// (`outputCount × quantiles.count`, original units; empty for a point model). Empty without calibration.
    public func intervalBounds(
        _ values: [Float], quantiles quantileValues: [Float], window raw: UnsafePointer<Float>
    )
        -> [(lo: Float, hi: Float)]
    {
        guard let calibration else { return [] }
        let Q = quantiles.count
        var result: [(lo: Float, hi: Float)] = []
        result.reserveCapacity(outputCount * calibration.levels.count)
        for (k, c) in targetIndices.enumerated() {
            let s = IntervalCalibration.windowScale(raw, rows: lookback, column: c, columns: columns.count)
            for h in 0 ..< horizon {
                let o = k * horizon + h
                for level in calibration.levels {
                    result.append(
                        calibration.bounds(
                            level, output: o, point: values[o], quantiles: quantileValues[o * Q ..< (o + 1) * Q],
                            quantileLevels: quantiles, scale: s))
                }
            }
        }
        return result
    }

    /// A forecast line, `predictionNames`' values: per output the point forecast `values[o]`, its
    /// quantiles `quantileValues[o·Q ..< (o+1)·Q]` and its interval bounds after the window `raw`
    /// (`lookback` rows). For a point model without calibration, `values`.
    public func predictionLine(_ values: [Float], quantiles quantileValues: [Float], window raw: UnsafePointer<Float>) -> [Float] {
        let Q = quantiles.count, L = calibration?.levels.count ?? 0
        if Q == 0 && L == 0 { return values }
        let bounds = intervalBounds(values, quantiles: quantileValues, window: raw)
        var result: [Float] = []
        result.reserveCapacity(values.count * (1 + Q + 2 * L))
        for o in 0 ..< outputCount {
            result.append(values[o])
            result += quantileValues[o * Q ..< (o + 1) * Q]
            for l in 0 ..< L { result += [bounds[o * L + l].lo, bounds[o * L + l].hi] }
        }
        return result
    }

    /// Per-window statistics of every column, used to map predictions back.
    public struct WindowStatistics: Sendable {
        /// Each column's mean in the window (of the values the network sees); 0 unless scaling is `.window`.
        public var mean: [Float]
        /// Each column's standard deviation in the window (1 for a flat window); 1 unless scaling is `.window`.
        public var scale: [Float]
    }

    /// The differenced, globally scaled value of column `c` at row `r` of `raw` (row-major, `columnCount` wide).
    @inline(__always)
    func prepared(_ raw: UnsafePointer<Float>, row r: Int, column c: Int, columnCount C: Int) -> Float {
        var v = raw[r * C + c]
        if difference > 0 { v -= raw[(r - difference) * C + c] }
        return normalizer.transform(v, column: c)
    }

    /// Writes one window's network input.
    ///
    /// - Parameters:
    ///   - raw: the window's `lookback` raw rows, row-major over `columns`.
    ///   - x: where step 0 of this sample goes; step `t` is written at `x + t · stepStride`.
    ///   - stepStride: values between the starts of successive steps in `x` (the batch's row width).
    /// - Returns: the window statistics per column (mean 0, scale 1 unless scaling is `.window`).
    public func prepareWindow(raw: UnsafePointer<Float>, into x: UnsafeMutablePointer<Float>, stepStride: Int) -> WindowStatistics {
        let C = columns.count, T = steps, d = difference
        var stats = WindowStatistics(mean: Array(repeating: 0, count: C), scale: Array(repeating: 1, count: C))
        if scaling == .window {
            for c in 0 ..< C {
                var sum = 0.0, sumSq = 0.0
                for t in 0 ..< T { let v = Double(prepared(raw, row: t + d, column: c, columnCount: C)); sum += v; sumSq += v * v }
                let mean = sum / Double(T)
                let variance = max(0, sumSq / Double(T) - mean * mean)
                let std = variance.squareRoot()
                stats.mean[c] = Float(mean)
                stats.scale[c] = std > 1e-6 * max(1, abs(mean)) ? Float(std) : 1
            }
        }
        let featureIndices = self.featureIndices
        for t in 0 ..< T {
            let out = x + t * stepStride
            for (f, c) in featureIndices.enumerated() {
                out[f] = (prepared(raw, row: t + d, column: c, columnCount: C) - stats.mean[c]) / stats.scale[c]
            }
        }
        return stats
    }

    /// The training target for the window whose raw rows are `raw` (`lookback` rows) followed by
    /// `horizon` target rows, written as `outputCount` values (target-major).
    public func prepareTarget(raw: UnsafePointer<Float>, stats: WindowStatistics, into y: UnsafeMutablePointer<Float>) {
        let C = columns.count
        for (k, c) in targetIndices.enumerated() {
            for h in 0 ..< horizon {
                let v = prepared(raw, row: lookback + h, column: c, columnCount: C)
                y[k * horizon + h] = (v - stats.mean[c]) / stats.scale[c]
            }
        }
    }

    /// Maps network outputs back to original units, integrating differences.
    ///
    /// A quantile model's quantile `j` is inverted on its own (`output + j`, `result + j`, stride
    /// `Q`): past the window each quantile integrates its own path, so the quantiles stay ordered
    /// (every step is increasing in the network's value) and the spread accumulates over the horizon.
    /// - Parameters:
    ///   - output: `outputCount` network outputs, `stride` apart.
    ///   - raw: the window's `lookback` raw rows (the known history).
    ///   - stats: the window's statistics from `prepareWindow`.
    ///   - result: `outputCount` values in original units, `stride` apart.
    ///   - stride: values between successive outputs in `output` and `result` (1, or a quantile model's Q).
    public func invert(
        output: UnsafePointer<Float>, raw: UnsafePointer<Float>, stats: WindowStatistics, into result: UnsafeMutablePointer<Float>,
        stride: Int = 1
    ) {
        let C = columns.count, d = difference
        for (k, c) in targetIndices.enumerated() {
            for h in 0 ..< horizon {
                let scaled = output[(k * horizon + h) * stride] * stats.scale[c] + stats.mean[c]
                var value = normalizer.inverse(scaled, column: c)
                if d > 0 {
                    let back = h - d  // index of the base relative to the origin
                    value += back < 0 ? raw[(lookback + back) * C + c] : result[(k * horizon + back) * stride]
                }
                result[(k * horizon + h) * stride] = value
            }
        }
    }

    /// Maps a window's `networkOutputCount` network outputs back to original units: the point
    /// forecasts into `values` (`outputCount`; a quantile model's median) and, for a quantile
    /// model, every quantile into `quantileValues` (`outputCount × Q`, value `o`'s quantile `j` at `o · Q + j`).
    public func invertAll(
        output: UnsafePointer<Float>, raw: UnsafePointer<Float>, stats: WindowStatistics, values: UnsafeMutablePointer<Float>,
        quantiles quantileValues: UnsafeMutablePointer<Float>?
    ) {
        guard let m = medianIndex, let quantileValues else { return invert(output: output, raw: raw, stats: stats, into: values) }
        let Q = quantiles.count
        for j in 0 ..< Q { invert(output: output + j, raw: raw, stats: stats, into: quantileValues + j, stride: Q) }
        for o in 0 ..< outputCount { values[o] = quantileValues[o * Q + m] }
    }
}
