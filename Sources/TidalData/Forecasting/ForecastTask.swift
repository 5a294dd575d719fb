import TidalCore

/// What the user asked for when training a forecaster.
public struct ForecastSetup: Sendable {
    /// The columns to forecast.
    public var targets: [String]
    /// Input columns; empty means the targets.
    public var features: [String] = []
    /// Rows per window; nil: `resolvedLookback`'s default.
    public var lookback: Int?
    /// Values forecast per window (direct multi-step).
    public var horizon = 1
    /// Rows between successive window origins.
    public var stride = 1
    /// The last fraction of rows is the test part.
    public var testFraction = 0.2
    /// The last fraction of the rows before the test part is the validation part.
    public var valFraction = 0.0
    /// nil picks automatically (see `ForecastTask.chooseScaling`).
    public var scaling: Scaling?
    /// nil picks automatically.
    public var difference: Int?
    /// Seasonal period for the seasonal-naive baseline and MASE (1 = none).
    public var season = 1
    /// True: `season` is read from the time column's spacing when the table is loaded
    /// (`SeasonInference`), replacing the value above.
    public var infersSeason = false
    /// Text columns used as categorical covariates (an embedding each).
    public var categorical: [String] = []
    /// Only the first `rowLimit` rows of the table are used (nil: all of them). The setting
    /// selection builds its rolling-origin folds this way.
    public var rowLimit: Int?

    /// A setup forecasting `targets` with every other setting at its default.
    public init(targets: [String]) { self.targets = targets }

    /// `lookback`, or by default two seasons (24 rows without a season).
    public var resolvedLookback: Int { lookback ?? (season > 1 ? 2 * season : 24) }
}

/// A forecasting problem ready to train: the frozen spec, the split and the three window sets.
public struct ForecastTask: Sendable {
    /// The frozen spec: columns, window, differencing and fitted scaling.
    public let spec: ForecastSpec
    /// Where the training, validation and test rows begin and end.
    public let split: ChronologicalSplit
    /// Training windows.
    public let train: ForecastDataset
    /// Validation windows (empty without a validation part).
    public let validation: ForecastDataset
    /// Test windows.
    public let test: ForecastDataset
    /// The time value of each row, when the data have a time column.
    public let time: [String]?
    /// One line saying which defaults were chosen, for the user.
    public let choices: String

    /// Builds the task from `table` (which must hold every feature and target column).
    /// - Throws: `DataError.unusable` when the series is too short for the windows asked for.
    public init(table: Table, setup: ForecastSetup) throws {
        let features = setup.features.isEmpty ? setup.targets : setup.features
        let season = max(1, setup.season)
        let n = min(table.rowCount, setup.rowLimit ?? .max)
        let lookback = setup.resolvedLookback
        let split = ChronologicalSplit(rowCount: n, testFraction: setup.testFraction, valFraction: setup.valFraction)
        var columns = features
        for t in setup.targets where !columns.contains(t) { columns.append(t) }
        var raw = [Float](repeating: 0, count: n * columns.count)
        for (c, name) in columns.enumerated() {
            guard let values = table.numeric(name) else {
                throw DataError.unknownColumn(source: table.source, requested: name, known: table.names)
            }
            for r in 0 ..< n { raw[r * columns.count + c] = values[r] }
        }
        if lookback >= split.trainEnd {
            throw DataError.unusable(
                source: table.source,
                reason:
                    "--lookback \(lookback) is not shorter than the \(split.trainEnd) training rows (of \(n)); use a smaller --lookback "
                    + "or more data"
            )
        }
        let targetColumn = columns.firstIndex(of: setup.targets[0])!
        let targetSeries = (0 ..< n).map { Double(raw[$0 * columns.count + targetColumn]) }
        let (scaling, difference, why) = ForecastTask.choose(setup: setup, series: targetSeries, trainEnd: split.trainEnd, season: season)
        if difference >= lookback {
            throw DataError.unusable(source: table.source, reason: "--difference \(difference) needs a --lookback above \(difference)")
        }
        // Fit the global scaling on the differenced training rows only.
        var statistics = Array(repeating: RunningStatistics(), count: columns.count)
        if scaling == .zscore || scaling == .minmax {
            for r in difference ..< split.trainEnd {
                for c in 0 ..< columns.count {
                    let v = raw[r * columns.count + c] - (difference > 0 ? raw[(r - difference) * columns.count + c] : 0)
                    statistics[c].add(Double(v))
                }
            }
        }
        let kind: Normalizer.Kind = scaling == .zscore ? .zscore : scaling == .minmax ? .minmax : .none
        var spec = ForecastSpec(
            features: features, targets: setup.targets, timeColumn: table.timeName, lookback: lookback,
            horizon: setup.horizon, difference: difference, scaling: scaling,
            normalizer: Normalizer(kind: kind, statistics: statistics), season: season)
        let codes: [Int32]
        (spec.categorical, codes) = try Self.categorical(setup.categorical, of: table, rows: n, trainEnd: split.trainEnd)
        let origins = WindowOrigins(split: split, spec: WindowSpec(lookback: lookback, horizon: setup.horizon, stride: setup.stride))
        if origins.test.isEmpty && setup.testFraction > 0 {
            throw DataError.unusable(
                source: table.source,
                reason:
                    "the test part (rows \(split.testStart)..<\(n)) holds no complete window of horizon \(setup.horizon); use a larger "
                    + "--test-fraction or a smaller --horizon"
            )
        }
        if origins.train.isEmpty {
            throw DataError.unusable(
                source: table.source,
                reason:
                    "no complete training window: lookback \(lookback) + horizon \(setup.horizon) exceed the \(split.trainEnd) training "
                    + "rows"
            )
        }
        self.spec = spec
        self.split = split
        train = ForecastDataset(spec: spec, raw: raw, origins: origins.train, codes: codes)
        validation = ForecastDataset(spec: spec, raw: raw, origins: origins.validation, codes: codes)
        test = ForecastDataset(spec: spec, raw: raw, origins: origins.test, codes: codes)
        time = table.time.map(Array.init)
        choices = why
    }

    /// Categorical covariates: each column's vocabulary from the training rows only (unseen values
    /// map to `<unk>`), and the ids of the first `rows` rows, `[rows, K]`.
    static func categorical(_ names: [String], of table: Table, rows n: Int, trainEnd: Int) throws -> ([CategoricalColumn], [Int32]) {
        let K = names.count
        var columns: [CategoricalColumn] = []
        var codes = [Int32](repeating: 0, count: n * K)
        for (k, name) in names.enumerated() {
            guard let values = table.text(name) else {
                throw DataError.unknownColumn(source: table.source, requested: name, known: table.header)
            }
            let column = CategoricalColumn(name: name, trainingValues: Array(values[0 ..< trainEnd]))
            columns.append(column)
            for r in 0 ..< n { codes[r * K + k] = column.id(of: values[r]) }
        }
        return (columns, codes)
    }

    /// Picks scaling and differencing when the user gave none.
    ///
    /// Per-window scaling is the default: each window is centred and scaled by its own
    /// statistics, so a series whose test part lies above everything seen in training (a
    /// trend) still reaches the network in the range it was trained on — the failure of global
    /// z-scoring on airline. A given `--normalize` or `--difference` is used as it is.
    static func choose(setup: ForecastSetup, series: [Double], trainEnd: Int, season: Int) -> (Scaling, Int, String) {
        let scaling = setup.scaling ?? .window
        let difference = setup.difference ?? 0
        var why =
            "scaling \(scaling.rawValue)\(setup.scaling == nil ? " (default)" : ""), difference "
            + "\(difference)\(setup.difference == nil ? " (default)" : "")"
        if scaling == .window { why += ": each window is scaled by its own mean and std, predictions mapped back" }
        return (scaling, difference, why)
    }

    /// The MASE scale per the protocol: in-sample seasonal-naive MAE on rows `0 ..< testStart`.
    public func maseScale() -> Double {
        let C = spec.columns.count
        let scales = spec.targetIndices.map { c in
            ForecastMetrics.scale((0 ..< train.rowCount).map { Double(train.raw[$0 * C + c]) }, end: split.testStart, season: spec.season)
        }
        return scales.reduce(0, +) / Double(scales.count)
    }

    /// Test metrics of `predicted` (original units, `[origins, outputs]`) against the actual values.
    public func metrics(of predicted: [Float], on set: ForecastDataset) -> ForecastMetrics {
        set.metrics(of: predicted, scale: maseScale())
    }
}
