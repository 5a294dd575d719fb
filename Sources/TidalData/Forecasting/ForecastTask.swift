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
    /// selection builds its rolling-origin folds this way. Ignored for a many-series table.
    public var rowLimit: Int?
    /// Every row at or after this time is in the test part of its series (one common cut for
    /// every series); nil: the last `testFraction` of each series. Needs a time column.
    public var testStart: String?
    /// Quantile levels for a quantile forecaster (strictly increasing in (0, 1), holding 0.5), or
    /// empty for a point model; see `ForecastSpec.quantiles`.
    public var quantiles: [Double] = []

    /// A setup forecasting `targets` with every other setting at its default.
    public init(targets: [String]) { self.targets = targets }

    /// `lookback`, or by default two seasons (24 rows without a season).
    public var resolvedLookback: Int { lookback ?? (season > 1 ? 2 * season : 24) }
}

/// A forecasting problem ready to train: the frozen spec, the split and the three window sets.
public struct ForecastTask: Sendable {
    /// The frozen spec: columns, window, differencing and fitted scaling.
    public let spec: ForecastSpec
    /// Where the training, validation and test rows begin and end (of the first series).
    public let split: ChronologicalSplit
    /// Each series' split, in `layout` order (one for a single series).
    public let splits: [ChronologicalSplit]
    /// The series and where each one's rows are (one series without a series column).
    public let layout: SeriesLayout
    /// Which series were left out of training or testing and why; nil when none were.
    public let leftOut: String?
    /// Training windows.
    public let train: ForecastDataset
    /// Validation windows (empty without a validation part).
    public let validation: ForecastDataset
    /// Test windows.
    public let test: ForecastDataset
    /// The time value of each row (in `layout` order), when the data have a time column.
    public let time: [String]?
    /// One line saying which defaults were chosen, for the user.
    public let choices: String

    /// Builds the task from `table` (which must hold every feature and target column).
    ///
    /// A table with a series column (`Table.seriesName`) holds many series: each is split on its
    /// own (at `setup.testStart`, or by the fractions of its own length), windows never cross
    /// from one series into another, and one model learns from the windows of all of them. Raw
    /// rows are stored series by series (`layout`); `rowLimit` applies to a single series only.
    /// - Throws: `DataError.unusable` when no series is long enough for the windows asked for.
    public init(table: Table, setup: ForecastSetup) throws {
        let features = setup.features.isEmpty ? setup.targets : setup.features
        let season = max(1, setup.season)
        let layout = SeriesLayout(table)
        let n = layout.isPanel ? table.rowCount : min(table.rowCount, setup.rowLimit ?? .max)
        let ranges = layout.isPanel ? layout.ranges : [0 ..< n]
        let lookback = setup.resolvedLookback
        var columns = features
        for t in setup.targets where !columns.contains(t) { columns.append(t) }
        let C = columns.count
        var raw = [Float](repeating: 0, count: n * C)
        for (c, name) in columns.enumerated() {
            guard let values = table.numeric(name) else {
                throw DataError.unknownColumn(source: table.source, requested: name, known: table.names)
            }
            for (position, r) in layout.order.prefix(n).enumerated() { raw[position * C + c] = values[r] }
        }
        let time = table.time.map { t in layout.order.prefix(n).map { t[$0] } }
        let cut = try setup.testStart.map { try TimeCut($0, source: table.source, timeColumn: table.timeName) }
        if let cut, time == nil { throw cut.needsTimeColumn }
        let splits = ranges.map { range in
            let rows = range.count
            guard let cut, let time else {
                return ChronologicalSplit(rowCount: rows, testFraction: setup.testFraction, valFraction: setup.valFraction)
            }
            let testStart = (0 ..< rows).first { cut.contains(time[range.lowerBound + $0]) } ?? rows
            return ChronologicalSplit(rowCount: rows, testStart: testStart, valFraction: setup.valFraction)
        }
        if !layout.isPanel, lookback >= splits[0].trainEnd {
            throw DataError.unusable(
                source: table.source,
                reason:
                    "--lookback \(lookback) is not shorter than the \(splits[0].trainEnd) training rows (of \(n)); use a smaller "
                    + "--lookback or more data"
            )
        }
        let (scaling, difference, why) = ForecastTask.choose(setup: setup)
        if difference >= lookback {
            throw DataError.unusable(source: table.source, reason: "--difference \(difference) needs a --lookback above \(difference)")
        }
        // Fit the global scaling on the differenced training rows only (within each series).
        var statistics = Array(repeating: RunningStatistics(), count: C)
        if scaling == .zscore || scaling == .minmax {
            for (range, split) in zip(ranges, splits) where split.trainEnd > difference {
                for r in range.lowerBound + difference ..< range.lowerBound + split.trainEnd {
                    for c in 0 ..< C {
                        let v = raw[r * C + c] - (difference > 0 ? raw[(r - difference) * C + c] : 0)
                        statistics[c].add(Double(v))
                    }
                }
            }
        }
        let kind: Normalizer.Kind = scaling == .zscore ? .zscore : scaling == .minmax ? .minmax : .none
        var spec = ForecastSpec(
            features: features, targets: setup.targets, timeColumn: table.timeName, lookback: lookback,
            horizon: setup.horizon, difference: difference, scaling: scaling,
            normalizer: Normalizer(kind: kind, statistics: statistics), season: season)
        spec.seriesColumn = table.seriesName
        if let time { spec.timeStep = try? TimeStep.infer(time, segments: ranges).get() }
        spec.quantiles = setup.quantiles
        let codes: [Int32]
        (spec.categorical, codes) = try Self.categorical(
            setup.categorical, of: table, layout: layout, rows: n,
            training: zip(ranges, splits).map { $0.lowerBound ..< $0.lowerBound + $1.trainEnd })
        let windows = WindowSpec(lookback: lookback, horizon: setup.horizon, stride: setup.stride)
        var train: [Int] = [], validation: [Int] = [], test: [Int] = []
        var withoutTraining = 0, withoutTest = 0
        for (range, split) in zip(ranges, splits) {
            let origins = WindowOrigins(split: split, spec: windows)
            train += origins.train.map { $0 + range.lowerBound }
            validation += origins.validation.map { $0 + range.lowerBound }
            test += origins.test.map { $0 + range.lowerBound }
            if origins.train.isEmpty { withoutTraining += 1 }
            if origins.test.isEmpty && split.testStart < split.rowCount { withoutTest += 1 }
        }
        if test.isEmpty && (setup.testFraction > 0 || cut != nil) {
            let part = layout.isPanel ? "no series' test part" : "the test part (rows \(splits[0].testStart)..<\(n))"
            throw DataError.unusable(
                source: table.source,
                reason:
                    "\(part) holds a complete window of horizon \(setup.horizon); use a "
                    + (cut != nil ? "earlier --test-start" : "larger --test-fraction") + " or a smaller --horizon"
            )
        }
        if train.isEmpty {
            throw DataError.unusable(
                source: table.source,
                reason:
                    "no complete training window: lookback \(lookback) + horizon \(setup.horizon) exceed the "
                    + (layout.isPanel
                        ? "training rows of every series; use a smaller --lookback or a later --test-start"
                        : "\(splits[0].trainEnd) training rows")
            )
        }
        self.spec = spec
        self.split = splits[0]
        self.splits = splits
        self.layout = layout
        let segments = ranges
        self.train = ForecastDataset(spec: spec, raw: raw, origins: train, codes: codes, segments: segments)
        self.validation = ForecastDataset(spec: spec, raw: raw, origins: validation, codes: codes, segments: segments)
        self.test = ForecastDataset(spec: spec, raw: raw, origins: test, codes: codes, segments: segments)
        self.time = time
        var choices = why
        if layout.isPanel {
            choices = "\(layout.count) series (column \"\(table.seriesName!)\"), one global model; " + choices
        }
        self.choices = choices
        var left: [String] = []
        if withoutTraining > 0 {
            left.append(
                "\(withoutTraining) of \(ranges.count) series have no training window (fewer than lookback + horizon training rows)")
        }
        if withoutTest > 0 { left.append("\(withoutTest) of \(ranges.count) series have test rows but no complete test window") }
        leftOut = left.isEmpty ? nil : left.joined(separator: "; ") + "; they are left out of that part"
    }

    /// Categorical covariates: each column's vocabulary from the training rows only (unseen values
    /// map to `<unk>`), and the ids of the first `rows` rows in layout order, `[rows, K]`.
    static func categorical(
        _ names: [String], of table: Table, layout: SeriesLayout, rows n: Int, training: [Range<Int>]
    ) throws -> ([CategoricalColumn], [Int32]) {
        let K = names.count
        var columns: [CategoricalColumn] = []
        var codes = [Int32](repeating: 0, count: n * K)
        for (k, name) in names.enumerated() {
            guard let values = table.text(name) else {
                throw DataError.unknownColumn(source: table.source, requested: name, known: table.header)
            }
            let ordered = layout.order.prefix(n).map { values[$0] }
            let column = CategoricalColumn(name: name, trainingValues: training.flatMap { ordered[$0] })
            columns.append(column)
            for r in 0 ..< n { codes[r * K + k] = column.id(of: ordered[r]) }
        }
        return (columns, codes)
    }

    /// Picks scaling and differencing when the user gave none.
    ///
    /// Per-window scaling is the default: each window is centred and scaled by its own
    /// statistics, so a series whose test part lies above everything seen in training (a
    /// trend) still reaches the network in the range it was trained on — the failure of global
    /// z-scoring on airline. A given `--normalize` or `--difference` is used as it is.
    static func choose(setup: ForecastSetup) -> (Scaling, Int, String) {
        let scaling = setup.scaling ?? .window
        let difference = setup.difference ?? 0
        var why =
            "scaling \(scaling.rawValue)\(setup.scaling == nil ? " (default)" : ""), difference "
            + "\(difference)\(setup.difference == nil ? " (default)" : "")"
        if scaling == .window { why += ": each window is scaled by its own mean and std, predictions mapped back" }
        return (scaling, difference, why)
    }

    /// The MASE scale per the protocol: in-sample seasonal-naive MAE on the rows before the test
    /// part, averaged over the targets; one per series, in `layout` order.
    public func maseScales() -> [Double] {
        let C = spec.columns.count
        let segments = train.segments
        return zip(segments, splits).map { range, split in
            let scales = spec.targetIndices.map { c in
                ForecastMetrics.scale(range.map { Double(train.raw[$0 * C + c]) }, end: split.testStart, season: spec.season)
            }
            return scales.reduce(0, +) / Double(scales.count)
        }
    }

    /// The MASE scale of a single series (`maseScales()[0]`).
    public func maseScale() -> Double { maseScales()[0] }

    /// Test metrics of `predicted` (original units, `[origins, outputs]`) against the actual values.
    public func metrics(of predicted: [Float], on set: ForecastDataset) -> ForecastMetrics {
        set.metrics(of: predicted, scale: maseScale())
    }

    /// Per-series metrics of `predicted` on `set` (the panel protocol), each series scaled by its own MASE scale.
    public func seriesMetrics(of predicted: [Float], on set: ForecastDataset) -> SeriesMetrics {
        set.seriesMetrics(of: predicted, scales: maseScales(), names: layout.names)
    }
}
