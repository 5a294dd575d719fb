import Dispatch
import TidalCore
import TidalData
import TidalNet

/// Predictions from a trained forecasting model, one window at a time or for a whole file.
///
/// `forecast --all` and `replay` both go through `predict(window:)`'s arithmetic, so the
/// same rows give the same numbers whichever command reads them.
public final class Forecaster: RowPredictor {
    /// How the model's windows are read, scaled and mapped back.
    public let spec: ForecastSpec
    let network: any SequencePredicting
    private let inputBuffer = FloatBuffer()
    private var output: [Float]
    /// A quantile model's quantile values of the last window (`outputCount × Q`); empty for a point model.
    private var quantileOutput: [Float]
    private let ids = Buffer<Int32>()
    /// A forecaster running `network` (which must have `spec`'s shape; `TrainedModel.forecaster()` makes one).
    package init(spec: ForecastSpec, network: any SequencePredicting) {
        self.spec = spec
        self.network = network
        output = Array(repeating: 0, count: spec.outputCount)
        quantileOutput = Array(repeating: 0, count: spec.outputCount * spec.quantiles.count)
    }

    /// The model's columns, its time and series columns, and `lookback` rows per prediction.
    public var input: RowInput {
        RowInput(
            numeric: spec.columns, categorical: spec.categorical, time: spec.timeColumn, window: spec.lookback, series: spec.seriesColumn)
    }

    /// `<target>_h1 … <target>_hH` for each target, each followed by its quantiles (a quantile model)
    /// and its interval bounds when the model is calibrated (`spec.predictionNames`).
    public var columns: PredictionColumns { .values(spec.predictionNames) }

    /// The time each of the `horizon` forecast steps is for, after an origin at `time` (nil entries
    /// where `time` is not a time of the model's step); nil when the model has no time step or
    /// there is no origin time.
    public func horizonTimes(after time: String?) -> [String?]? {
        guard let step = spec.timeStep, let time else { return nil }
        return step.times(after: time, horizon: spec.horizon)
    }

    /// The note forecasts without per-step times carry: nil when the model labels steps with
    /// their times or has no time column to label them with.
    public var missingTimeStepNote: String? {
        guard spec.timeStep == nil, let column = spec.timeColumn else { return nil }
        return "note: the model has no regular step for its time column \"\(column)\" (its training times are irregular or not "
            + "times, or the model file predates time steps): lines carry the origin's time only, no time_h columns"
    }

    /// The forecast after the rows in `window` (the last `lookback` accepted rows), in original units.
    public func predict(_ window: RowWindow) -> [Float] {
        predict(window: window.numbers.baseAddress!, codes: spec.categorical.isEmpty ? nil : window.codes.baseAddress!)
    }

    /// Predicts the `horizon` values after a window of `lookback` raw rows (row-major over `spec.columns`).
    /// - Parameters:
    ///   - window: the window's `lookback` raw rows `[lookback, spec.columns.count]`.
    ///   - codes: the window's categorical ids `[lookback, K]`; nil reads every value as `<unk>`.
    /// - Returns: `outputCount` values in original units, target-major, each followed by its
    ///   quantiles (a quantile model, whose point forecast is the median) and its interval bounds
    ///   when the model is calibrated: `spec.predictionNames`.
    public func predict(window: UnsafePointer<Float>, codes: UnsafePointer<Int32>? = nil) -> [Float] {
        let x = inputBuffer.reserve(spec.steps * spec.featureCount)
        let stats = spec.prepareWindow(raw: window, into: x, stepStride: spec.featureCount)
        let y: UnsafePointer<Float>
        let K = spec.categorical.count
        if K > 0 {
            let p = ids.reserve(spec.steps * K)
            if let codes { spec.prepareCategories(codes: codes, into: p, stepStride: K) } else { ids.zero(spec.steps * K) }
            y = network.predict(x, categories: p, steps: spec.steps, batch: 1)
        } else {
            y = network.predict(x, categories: nil, steps: spec.steps, batch: 1)
        }
        output.withUnsafeMutableBufferPointer { values in
            quantileOutput.withUnsafeMutableBufferPointer { q in
                spec.invertAll(output: y, raw: window, stats: stats, values: values.baseAddress!, quantiles: q.baseAddress)
            }
        }
        return spec.predictionLine(output, quantiles: quantileOutput, window: window)
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

    /// Predictions after every complete window of a table holding the model's columns, the windows
    /// split over `threads` threads (the same figures for any count). The table is read as one
    /// series; `forecast(_:all:threads:)` keeps the series of a many-series model apart.
    /// - Throws: `DataError` when a column is missing or the table is shorter than the lookback.
    public func forecastAll(_ table: Table, threads: Int = 1) throws -> [(origin: Int, values: [Float])] {
        try forecast(table, all: true, threads: threads).lines.map { ($0.row, $0.values) }
    }

    /// The prediction after the table's last complete window: `forecastAll(table).last`, computed alone.
    /// - Throws: `DataError` when a column is missing or the table is shorter than the lookback.
    public func forecastLast(_ table: Table) throws -> (origin: Int, values: [Float]) {
        let last = try forecast(table, all: false).lines.last!
        return (last.row, last.values)
    }

    /// One forecast: the series it is for (many-series models), the 1-based table row its window
    /// ends at, and the `outputCount` values in original units.
    public struct Line: Sendable, Equatable {
        /// The series id; nil for a single-series model.
        public var series: String?
        /// The table row (1-based) of the window's last row.
        public var row: Int
        /// The forecast values, target-major.
        public var values: [Float]
    }

    /// Forecasts for `table`: after every complete window (`all`), or after each series' last row.
    ///
    /// A many-series model (`spec.seriesColumn`) reads each series on its own, in the order the
    /// series first appear; its rows may be interleaved with other series' rows in the file.
    /// - Returns: the lines, and the ids of series too short for one window (left out).
    /// - Throws: `DataError` when a column is missing or no series has a complete window.
    public func forecast(_ table: Table, all: Bool, threads: Int = 1) throws -> (lines: [Line], tooShort: [String]) {
        let rows = try seriesRows(table)
        let layout = rows.layout
        var origins: [Int] = [], series: [Int] = [], tooShort: [String] = []
        for (s, range) in layout.ranges.enumerated() {
            guard range.count >= spec.lookback else {
                tooShort.append(layout.names[s])
                continue
            }
            let picked = all ? Array(range.lowerBound + spec.lookback ... range.upperBound) : [range.upperBound]
            origins += picked
            series += Array(repeating: s, count: picked.count)
        }
        guard !origins.isEmpty else {
            let what = layout.isPanel ? "no series has" : "\(table.rowCount) rows, fewer than"
            throw DataError.unusable(source: table.source, reason: "\(what) the \(spec.lookback) rows of the model's --lookback")
        }
        let values = predict(raw: rows.raw, codes: rows.codes, origins: origins, threads: threads)
        let lines = zip(zip(origins, series), values).map { pair, values in
            Line(series: layout.isPanel ? layout.names[pair.1] : nil, row: layout.order[pair.0 - 1] + 1, values: values)
        }
        return (lines, tooShort)
    }

    /// The model's columns of `table`, series by series: the layout, raw rows `[n, columns]` and categorical ids `[n, K]`.
    public func seriesRows(_ table: Table) throws -> (layout: SeriesLayout, raw: [Float], codes: [Int32]) {
        let layout = SeriesLayout(table)
        return (
            layout, layout.gather(try rawRows(table), width: spec.columns.count),
            layout.gather(try codes(table), width: spec.categorical.count)
        )
    }

    /// The level-`level` band a prediction (`values`, a forecast line after the `lookback` raw rows
    /// `window`) sets for the next row's first target: its centre and half-width — the one-step
    /// forecast ± the conformal half-width, or for a quantile model the middle and half the width of
    /// its conformalised quantile band (`IntervalCalibration.bounds`); nil for a model without calibration.
    public func band(after values: [Float], window: UnsafePointer<Float>, level: Double) -> (center: Float, half: Float)? {
        guard let calibration = spec.calibration else { return nil }
        let scale = IntervalCalibration.windowScale(window, rows: spec.lookback, column: spec.targetIndices[0], columns: spec.columns.count)
        let Q = spec.quantiles.count
        guard Q > 0, calibration.pairs != nil else { return (values[0], calibration.quantile(level, output: 0) * scale) }
        let (lo, hi) = calibration.bounds(
            level, output: 0, point: values[0], quantiles: values[1 ..< 1 + Q], quantileLevels: spec.quantiles, scale: scale)
        return ((lo + hi) / 2, (hi - lo) / 2)
    }

    /// How to read a CSV file holding the model's columns.
    public func tableOptions(_ base: TableOptions = TableOptions()) -> TableOptions {
        var options = base
        options.numericColumns = spec.columns
        options.textColumns = spec.categorical.map(\.name)
        if options.timeColumn == nil { options.timeColumn = spec.timeColumn }
        options.readsSeries = spec.seriesColumn != nil
        if options.seriesColumn == nil { options.seriesColumn = spec.seriesColumn }
        return options
    }

    /// Predictions for every complete window: origins `lookback … n` (the last forecasts past the data).
    ///
    /// Each window goes through `predict(window:codes:)`, as in `replay`, so both give the same
    /// numbers. With `threads` ≥ 2 the origins are cut into that many contiguous runs, each predicted
    /// by its own copy of this forecaster (single-threaded BLAS); a window's arithmetic does not
    /// depend on which copy runs it, so the results are the same for any thread count.
    /// - Returns: `(origin, values)` pairs in order.
    public func predictAll(raw: [Float], codes: [Int32] = [], threads: Int = 1) -> [(origin: Int, values: [Float])] {
        let n = raw.count / spec.columns.count
        guard n >= spec.lookback else { return [] }
        let origins = Array(spec.lookback ... n)
        return zip(origins, predict(raw: raw, codes: codes, origins: origins, threads: threads)).map { ($0, $1) }
    }

    /// The predictions after the windows ending before each of `origins` (each at least `lookback`).
    func predict(raw: [Float], codes: [Int32], origins: [Int], threads: Int) -> [[Float]] {
        let C = spec.columns.count, K = spec.categorical.count
        // Below a few hundred windows a thread costs more than it saves.
        let k = min(max(1, threads), max(1, origins.count / 256))
        let forecasters = [self] + (1 ..< k).map { _ in Forecaster(spec: spec, network: network.inferenceReplica()) }
        let values = UnsafeMutableBufferPointer<[Float]>.allocate(capacity: origins.count)
        values.initialize(repeating: [])
        defer { values.deallocate() }
        let savedThreads = BLAS.threads
        if k > 1 { BLAS.setThreads(1) }
        defer { if k > 1 { BLAS.setThreads(savedThreads) } }
        let lookback = spec.lookback
        raw.withUnsafeBufferPointer { r in
            codes.withUnsafeBufferPointer { c in
                let work = WindowWork(forecasters: forecasters, raw: r, codes: c, values: values)
                // Each worker writes only the slots of its own run of origins.
                DispatchQueue.concurrentPerform(iterations: k) { part in
                    let forecaster = work.forecasters[part]
                    for i in part * origins.count / k ..< (part + 1) * origins.count / k {
                        let start = origins[i] - lookback
                        let window = work.codes.baseAddress.map { $0 + start * K }
                        work.values[i] = forecaster.predict(window: work.raw.baseAddress! + start * C, codes: K > 0 ? window : nil)
                    }
                }
            }
        }
        return Array(values)
    }
}

/// What the workers of `predictAll` share; each writes only its own slots of `values`.
private struct WindowWork: @unchecked Sendable {
    let forecasters: [Forecaster]
    let raw: UnsafeBufferPointer<Float>
    let codes: UnsafeBufferPointer<Int32>
    let values: UnsafeMutableBufferPointer<[Float]>
}
