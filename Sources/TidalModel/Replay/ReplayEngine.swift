import Foundation
import TidalCore
import TidalData
import TidalNet

/// Counts that account for every input row: `read = predicted + warming + rejected`.
public struct ReplayCounts: Sendable, Equatable {
    /// Rows read, header excluded.
    public var read = 0
    /// Rows that produced a prediction line.
    public var predicted = 0
    /// Rows left out: too few fields, a missing value, or a cell that is not a number.
    public var rejected = 0
    /// Accepted rows before the window first filled.
    public var warming = 0
    /// With an alert level: rows flagged as anomalies; nil without one.
    public var anomalies: Int?

    /// Counts from their parts (all zero by default).
    public init(read: Int = 0, predicted: Int = 0, rejected: Int = 0, warming: Int = 0) {
        self.read = read
        self.predicted = predicted
        self.rejected = rejected
        self.warming = warming
    }

    /// The summary line replay ends with.
    public var summary: String {
        "replay: \(read) rows read, \(predicted) predictions written, \(rejected) rejected, \(warming) warming up"
            + (anomalies.map { ", \($0) anomalies" } ?? "")
    }
}

/// Why replay stopped.
public enum ReplayError: Error, CustomStringConvertible, Equatable {
    /// The header lacks columns the model reads.
    case missingColumns(source: String, missing: [String], header: [String])
    /// The first line is not a header but the model's fields as data (`tail -f` of a file that
    /// already holds rows starts at its last ten lines): rows without a header are read in `columns`' order.
    case firstLineIsData(at: SourceLocation, columns: [String])
    /// A bad row under `strict`: the row's rejection line.
    case badRow(String)
    /// `--alert` for a model without interval calibration, or one that is not a forecaster.
    case notCalibrated

    /// The message, one line: where, what was wrong.
    public var description: String {
        switch self {
        case let .missingColumns(source, missing, header):
            return "\(source):1: the model needs column(s) \(missing.map { "\"\($0)\"" }.joined(separator: ", ")), "
                + "not in the header (\(header.joined(separator: ",")))"
        case let .firstLineIsData(at, columns):
            return "\(at): the first line looks like data, not a header; pass --no-header (columns: \(columns.joined(separator: ","))) "
                + "or start tail with -n +1"
        case let .badRow(message): return message
        case .notCalibrated:
            return "--alert needs a forecaster trained with --level (its calibration sets the alert band); retrain with --level 80,95"
        }
    }
}

/// Output format of replay and forecast.
public enum PredictionFormat: String, Sendable, CaseIterable { case csv, jsonl }

/// Streams CSV rows through a model: one prediction per row, written and flushed at once.
///
/// The same rules for every model: rows are read by one `RowReader`; a bad row (too few fields,
/// a missing value, a cell that is not a number) is reported on stderr with its line and left
/// out, or stops replay with `strict`; every row is counted (`ReplayCounts`). A model that reads
/// windows keeps the last `lookback` accepted rows in a `RingWindow` and predicts from the
/// `lookback`-th row on, with a `gap` column that is 1 while the window spans a rejected row.
/// Forecasts have the columns of `forecast --all` (`row,time,<target>_h1,…`); classifiers write
/// `row[,time],label,p_<class>…`; regressors `row,prediction`.
///
/// A many-series forecaster keeps one window per series id, so rows of different series may
/// interleave: each row joins its own series' window, a new id starts warming up, and lines
/// begin with `series`. Memory grows with the live series: a window of `lookback` rows each.
public final class ReplayEngine {
    /// The model predicting.
    public let model: TrainedModel
    /// CSV lines or JSON lines.
    public let format: PredictionFormat
    /// Whether the first bad row stops replay (`ReplayError.badRow`) instead of being reported and left out.
    public let strict: Bool
    /// Whether the input's first row names the columns; without it the columns are the model's, in its order.
    public let hasHeader: Bool
    /// The alert level in percent: each row's first target is compared with the band the
    /// model predicted for it one row earlier (`anomaly`, `score` columns); nil for none.
    public let alert: Double?
    /// The counts so far.
    public private(set) var counts = ReplayCounts()
    let predictor: any RowPredictor
    /// The predictor when it is a forecaster (alerts read its calibration and first target).
    let forecaster: Forecaster?
    let write: (String) -> Void
    let warn: (String) -> Void

    /// An engine for `model`, ready to `run`.
    /// - Parameters:
    ///   - model: the model predicting; it must read rows one at a time or as a rolling window.
    ///   - format: CSV lines (with a header line) or JSON lines.
    ///   - strict: stop at the first bad row instead of reporting it and leaving it out.
    ///   - hasHeader: whether the input's first row names the columns.
    ///   - alert: an alert level in percent (any in (0, 100)) for a calibrated forecaster.
    ///   - write: receives each output line (with its newline); it must flush.
    ///   - warn: receives each diagnostic line for stderr.
    /// - Throws: `ModelUseError.notReplayable` for a model whose input is not one row at a time.
    public init(
        model: TrainedModel, format: PredictionFormat = .csv, strict: Bool = false, hasHeader: Bool = true,
        alert: Double? = nil, write: @escaping (String) -> Void, warn: @escaping (String) -> Void
    ) throws {
        self.alert = alert
        self.model = model
        self.format = format
        self.strict = strict
        self.hasHeader = hasHeader
        self.write = write
        self.warn = warn
        predictor = try model.rowPredictor()
        forecaster = predictor as? Forecaster
        if alert != nil {
            guard forecaster?.spec.calibration != nil else { throw ReplayError.notCalibrated }
            counts.anomalies = 0
        }
    }

    /// Reads rows from `source` until its end; `onCounts` sees the counts after every row.
    ///
    /// The order for each prediction line is: `willWrite()`, then `write(line)`, then the counts
    /// with that line included go to `onCounts`. A caller that reports counts from a signal
    /// handler (the CLI's summary on SIGINT) can so tell the one moment it cannot know whether
    /// the newest line is out — between `willWrite` and `onCounts` — and hold the summary until
    /// `onCounts`, which then counts exactly the lines written.
    ///
    /// A row with a NUL byte or bytes that are not UTF-8 is a bad row like any other (reported,
    /// skipped, counted; with `strict` it stops replay); in the header it stops replay.
    ///
    /// - Parameters:
    ///   - source: the rows, header first unless `hasHeader` is false.
    ///   - onCounts: called after every row with the counts so far, after the row's line (if any) was written.
    ///   - willWrite: called just before each prediction line is written.
    /// - Throws: `DataError` for input that is not CSV at all, `ReplayError` for a header without
    ///   the model's columns and, with `strict`, for the first bad row.
    /// (Long: the first line, every row's checks, its window and its line are this one loop over the records.)
    public func run(source: any ByteSource, onCounts: (ReplayCounts) -> Void = { _ in }, willWrite: () -> Void = {}) throws {
        let input = predictor.input
        let stream = try CSVStream(source: source)
        stream.requiresUniformFieldCount = false
        let L = input.window
        // One window per series id (a single-series model has one, under the id "").
        var windows: [String: SeriesWindow] = [:]
        func window(_ id: String) -> SeriesWindow {
            if let w = windows[id] { return w }
            let w = SeriesWindow(length: L, numeric: input.numeric.count, categorical: input.categorical.count)
            windows[id] = w
            return w
        }
        var reader: RowReader?
        var row = 0
        // Without a header the columns are the model's, so the output header goes out before any row arrives.
        if !hasHeader { startOutput(time: input.time != nil) }
        // The first target's place among the numeric columns (the alert reads it).
        let targetField = forecaster?.spec.targetIndices[0] ?? 0
        /// Counts a rejected row and reports it, or stops replay with `strict`; the row's series
        /// (when it can be told) then has a gap in its window.
        func reject(_ error: DataError, series: String?) throws {
            counts.rejected += 1
            if strict { throw ReplayError.badRow(error.rejection) }
            warn(error.rejection)
            // The row's series has a gap and no band for its next row (the band was for this one);
            // when the series cannot be told, every live series is treated so.
            for w in series.map({ [window($0)] }) ?? Array(windows.values) {
                w.sinceRejection = 0
                w.expected = nil
            }
            onCounts(counts)
        }
        func badRow(_ error: DataError) throws -> Bool {
            guard reader != nil else { throw error }  // a bad header is not a row to skip
            row += 1
            counts.read += 1
            try reject(error, series: input.series == nil ? "" : nil)
            return true
        }
        try stream.forEachRecord(onBadRow: badRow) { record in
            if reader == nil {
                let names = hasHeader ? record.strings : RowReader.defaultHeader(input, fieldCount: record.count)
                let ready = try firstReader(names, record, source: stream.sourceName)
                reader = ready
                stream.fieldNames = names
                if hasHeader {
                    startOutput(time: ready.timeField != nil)
                    return true
                }
            }
            row += 1
            counts.read += 1
            let id = input.series == nil ? "" : reader!.series(record)
            let state = id.map(window)
            if let state { reader!.timeOrder = state.timeOrder }
            do {
                try reader!.read(record)
            } catch let error as DataError {
                try reject(error, series: id)
                return true
            }
            guard let id, let state else { return true }  // read throws for a row without the series field
            state.timeOrder = reader!.timeOrder
            // The band the previous prediction set for this row, before the row joins the window.
            let assessed = state.expected.map { band in Self.anomalyScore(reader!.numbers[targetField], band) }
            state.expected = nil
            reader!.numbers.withUnsafeBufferPointer(state.numbers.push)
            reader!.codes.withUnsafeBufferPointer(state.codes.push)
            state.sinceRejection = min(state.sinceRejection + 1, L)
            guard state.numbers.isFull else {
                counts.warming += 1
                onCounts(counts)
                return true
            }
            let line = predictionLine(state, reader!, record, row: row, series: input.series == nil ? nil : id, assessed: assessed)
            willWrite()
            write(line)
            counts.predicted += 1
            onCounts(counts)
            return true
        }
    }
}

extension ReplayEngine {
    /// The CSV header: the prediction columns (after `time_h1…` for a forecaster with a time step
    /// when the input has a time column), `gap` for a window model, `anomaly,score` when alerting.
    func header(time: Bool) -> String {
        let input = predictor.input
        let steps = forecaster.flatMap { $0.spec.timeStep == nil ? nil : $0.spec.horizon } ?? 0
        let header = PredictionWriter.header(
            predictor.columns, time: time, gap: input.window > 1, series: input.series != nil, horizonTimes: steps)
        return alert == nil ? header : String(header.dropLast()) + ",anomaly,score\n"
    }

    /// The reader for the columns `names` the first record gives (its fields as a header, or the
    /// model's columns without one).
    /// - Throws: `ReplayError.firstLineIsData` for a header line that is a row of the model's
    ///   fields, `ReplayError.missingColumns` for one that lacks the model's columns.
    func firstReader(_ names: [String], _ record: CSVRecord, source: String) throws -> RowReader {
        do {
            return try RowReader(header: names, input: predictor.input, source: source)
        } catch let error as ReplayError {
            if hasHeader, RowReader.readsAsData(record, input: predictor.input, source: source) {
                throw ReplayError.firstLineIsData(at: SourceLocation(source: source, line: record.line), columns: predictor.input.columns)
            }
            throw error
        }
    }

    /// What goes out before the first row: the CSV header (at once, so a reader behind a pipe
    /// sees the columns before the window fills) and, for a forecaster that cannot label its
    /// steps with times, the note saying so.
    func startOutput(time: Bool) {
        if time, let note = forecaster?.missingTimeStepNote { warn(note) }
        if format == .csv { write(header(time: time)) }
    }

    /// The line for the row just pushed into `state`'s full window; when alerting, with the row's
    /// score against its band (`assessed`, nil when unassessed), and the band for the next row set.
    func predictionLine(
        _ state: SeriesWindow, _ reader: RowReader, _ record: CSVRecord, row: Int, series: String?, assessed: Float?
    ) -> String {
        let values = state.numbers.withRows { n in
            state.codes.withRows { c in predictor.predict(RowWindow(numbers: n, codes: c, texts: reader.texts, sample: reader.sample)) }
        }
        let L = predictor.input.window
        let time = reader.time(record)
        let line = PredictionWriter.line(
            format, predictor.columns, row: row, time: time, values: values,
            gap: L > 1 ? state.sinceRejection < L : nil, series: series, horizonTimes: forecaster?.horizonTimes(after: time))
        guard let alert, let forecaster else { return line }
        state.expected = state.numbers.withRows { forecaster.band(after: values, window: $0.baseAddress!, level: alert) }
        if let assessed, assessed > 0 { counts.anomalies! += 1 }
        return Self.withAlert(line, format, assessed)
    }

    /// How far `y` lies outside `band`, in half-widths (0 inside).
    static func anomalyScore(_ y: Float, _ band: (center: Float, half: Float)) -> Float {
        let deviation = abs(y - band.center)
        guard band.half > 0 else { return deviation > 0 ? .infinity : 0 }
        return deviation > band.half ? deviation / band.half - 1 : 0
    }

    /// `line` with `anomaly` and `score` appended (empty when the row was not assessed: the
    /// first prediction of a series, or after a rejected row).
    static func withAlert(_ line: String, _ format: PredictionFormat, _ score: Float?) -> String {
        let body = line.dropLast()
        switch format {
        case .csv:
            return body + "," + (score.map { ($0 > 0 ? "1," : "0,") + PredictionWriter.number($0) } ?? ",") + "\n"
        case .jsonl:
            let fields = score.map { "\"anomaly\":\($0 > 0),\"score\":\(PredictionWriter.number($0))" } ?? "\"anomaly\":null,\"score\":null"
            return body.dropLast() + "," + fields + "}\n"
        }
    }
}

/// One series' rolling window in replay: its last accepted rows, how many rows it has accepted
/// since its last rejected row (saturating at the window's length), its time order, and the
/// alert band its last prediction set for its next row.
final class SeriesWindow {
    var expected: (center: Float, half: Float)?
    let numbers: RingWindow<Float>
    let codes: RingWindow<Int32>
    var sinceRejection: Int
    var timeOrder = RowReader.TimeOrder()

    init(length: Int, numeric: Int, categorical: Int) {
        numbers = RingWindow(length: length, width: numeric)
        codes = RingWindow(length: length, width: categorical)
        sinceRejection = length
    }

}
