import Foundation
import TidalCore
import TidalData
import TidalNet

/// Counts that account for every input row: `read = predicted + warming + rejected`.
public struct ReplayCounts: Sendable, Equatable {
    public var read = 0
    public var predicted = 0
    public var rejected = 0
    public var warming = 0

    public init(read: Int = 0, predicted: Int = 0, rejected: Int = 0, warming: Int = 0) {
        self.read = read
        self.predicted = predicted
        self.rejected = rejected
        self.warming = warming
    }

    public var summary: String {
        "replay: \(read) rows read, \(predicted) predictions written, \(rejected) rejected, \(warming) warming up"
    }
}

/// Why replay stopped.
public enum ReplayError: Error, CustomStringConvertible {
    case missingColumns(source: String, missing: [String], header: [String])
    case badRow(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case let .missingColumns(source, missing, header):
            return "\(source):1: the model needs column(s) \(missing.map { "\"\($0)\"" }.joined(separator: ", ")), not in the header (\(header.joined(separator: ",")))"
        case let .badRow(message): return message
        case let .unsupported(message): return message
        }
    }
}

/// Output format of replay and forecast.
public enum PredictionFormat: String, Sendable, CaseIterable { case csv, jsonl }

/// Streams CSV rows through a model: one prediction per row, written and flushed at once.
///
/// Forecasting models keep a rolling window of the last `lookback` accepted rows; from the
/// `lookback`-th row on, every row gives one line with the same columns as `forecast --all`
/// (`row,time,<target>_h1,…`) plus `gap` (1 when the window spans a rejected row).
/// Classification models on UCR rows predict each row on its own: `row,label,p_<class>…`.
public final class ReplayEngine {
    public let model: TrainedModel
    public let format: PredictionFormat
    public let strict: Bool
    public let hasHeader: Bool
    public private(set) var counts = ReplayCounts()
    let write: (String) -> Void
    let warn: (String) -> Void

    /// - Parameters:
    ///   - write: receives each output line (with its newline); it must flush.
    ///   - warn: receives each diagnostic line for stderr.
    public init(model: TrainedModel, format: PredictionFormat = .csv, strict: Bool = false, hasHeader: Bool = true,
                write: @escaping (String) -> Void, warn: @escaping (String) -> Void) {
        self.model = model
        self.format = format
        self.strict = strict
        self.hasHeader = hasHeader
        self.write = write
        self.warn = warn
    }

    /// Reads rows from `source` until its end; `onCounts` sees the counts after every row.
    public func run(source: any ByteSource, onCounts: (ReplayCounts) -> Void = { _ in }) throws {
        if model.text != nil { return try runText(source, onCounts) }
        switch model.task {
        case .forecast: try runForecast(source, onCounts)
        case .classify, .regress: try runSamples(source, onCounts)
        }
    }

    /// Counts a bad row and reports it on stderr; with `strict`, stops replay instead.
    func reject(_ problem: String, at line: Int, in source: String, _ onCounts: (ReplayCounts) -> Void) throws {
        counts.rejected += 1
        let message = "\(source):\(line): row rejected: \(problem)"
        if strict { throw ReplayError.badRow(message) }
        warn(message)
        onCounts(counts)
    }

    // MARK: forecasting

    func runForecast(_ source: any ByteSource, _ onCounts: (ReplayCounts) -> Void) throws {
        let forecaster = Forecaster(model)
        let spec = forecaster.spec
        let C = spec.columns.count, L = spec.lookback
        let stream = try CSVStream(source: source)
        stream.requiresUniformFieldCount = false
        var fieldOf: [Int] = []
        var timeField: Int?
        var header: [String]?
        var window = [Float](repeating: 0, count: L * C)   // ring of the last L accepted rows, oldest first after rotation
        var filled = 0
        var gapRows = 0       // accepted rows since the last rejection, saturating at L
        var sawRejection = false
        var row = 0
        var wroteHeader = false
        var values = [Float](repeating: 0, count: C)
        let K = spec.categorical.count
        var codeWindow = [Int32](repeating: 0, count: L * K)
        var categoryFields: [Int] = []
        var rowCodes = [Int32](repeating: 0, count: K)

        func setUp(_ names: [String]) throws {
            header = names
            var missing: [String] = []
            fieldOf = spec.columns.map { name in
                if let i = names.firstIndex(of: name) { return i }
                missing.append(name)
                return -1
            }
            categoryFields = spec.categorical.map { column in
                if let i = names.firstIndex(of: column.name) { return i }
                missing.append(column.name)
                return -1
            }
            if !missing.isEmpty { throw ReplayError.missingColumns(source: stream.sourceName, missing: missing, header: names) }
            if let t = spec.timeColumn { timeField = names.firstIndex(of: t) }
            stream.fieldNames = names
        }

        try stream.forEachRecord { record in
            if header == nil {
                if hasHeader { try setUp(record.strings); return true }
                // Without a header: the model's column order (time column first when the model has one).
                let names = (spec.timeColumn.map { [$0] } ?? []) + spec.columns + spec.categorical.map(\.name)
                guard record.count >= names.count else {
                    throw ReplayError.badRow("\(stream.sourceName):\(record.line): expected \(names.count) fields (\(names.joined(separator: ","))), found \(record.count)")
                }
                try setUp(names + (names.count ..< record.count).map { "extra\($0)" })
            }
            row += 1
            counts.read += 1
            // Parse every model column; a bad row stays out of the window.
            var problem: String?
            if record.count <= max(fieldOf.max() ?? 0, categoryFields.max() ?? 0) {
                problem = "expected \(header!.count) fields, found \(record.count)"
            } else {
                for (c, field) in fieldOf.enumerated() {
                    switch record.number(field) {
                    case let .value(v): values[c] = Float(v)
                    case .missing: problem = "column \"\(spec.columns[c])\": missing value"
                    case .invalid: problem = "column \"\(spec.columns[c])\": expected a number, found \"\(record.string(field))\""
                    }
                    if problem != nil { break }
                }
            }
            if let problem {
                try reject(problem, at: record.line, in: stream.sourceName, onCounts)
                sawRejection = true
                gapRows = 0
                return true
            }
            for (k, field) in categoryFields.enumerated() { rowCodes[k] = spec.categorical[k].id(of: record.string(field)) }
            // Slide the window.
            if filled == L {
                window.withUnsafeMutableBufferPointer { w in
                    w.baseAddress!.update(from: w.baseAddress! + C, count: (L - 1) * C)
                }
                for c in 0 ..< C { window[(L - 1) * C + c] = values[c] }
                if K > 0 {
                    codeWindow.withUnsafeMutableBufferPointer { w in w.baseAddress!.update(from: w.baseAddress! + K, count: (L - 1) * K) }
                    for k in 0 ..< K { codeWindow[(L - 1) * K + k] = rowCodes[k] }
                }
            } else {
                for c in 0 ..< C { window[filled * C + c] = values[c] }
                for k in 0 ..< K { codeWindow[filled * K + k] = rowCodes[k] }
                filled += 1
            }
            gapRows = min(gapRows + 1, L)
            guard filled == L else {
                counts.warming += 1
                onCounts(counts)
                return true
            }
            let prediction = window.withUnsafeBufferPointer { w in
                codeWindow.withUnsafeBufferPointer { c in forecaster.predict(window: w.baseAddress!, codes: K > 0 ? c.baseAddress! : nil) }
            }
            let time = timeField.map { record.string($0) }
            let gap = sawRejection && gapRows < L
            if !wroteHeader, format == .csv {
                write(PredictionWriter.forecastHeader(spec: spec, time: timeField != nil, gap: true))
                wroteHeader = true
            }
            write(PredictionWriter.forecastLine(format: format, spec: spec, row: row, time: time, values: prediction, gap: gap))
            counts.predicted += 1
            onCounts(counts)
            return true
        }
    }

    // MARK: windows of a labelled series

    /// A rolling window of the last `lookback` rows; from the `lookback`-th row on, each row's window
    /// is classified: `row,time,label,p_<class>…`.
    func runWindows(_ source: any ByteSource, _ onCounts: (ReplayCounts) -> Void) throws {
        let spec = model.samples!
        let columns = spec.columns!, L = spec.lookback!, C = columns.count
        let network = model.makeNetwork()
        let stream = try CSVStream(source: source)
        stream.requiresUniformFieldCount = false
        var fieldOf: [Int] = []
        var timeField: Int?
        var header: [String]?
        var window: [Float] = []
        let categorical = spec.categorical ?? [], K = categorical.count
        var codeWindow: [Int32] = []
        var categoryFields: [Int] = []
        var row = 0
        var wroteHeader = false
        let batch = Batch()
        try stream.forEachRecord { record in
            if header == nil {
                let names = hasHeader ? record.strings : (spec.timeColumn.map { [$0] } ?? []) + columns + categorical.map(\.name)
                let missing = (columns + categorical.map(\.name)).filter { !names.contains($0) }
                if !missing.isEmpty { throw ReplayError.missingColumns(source: stream.sourceName, missing: missing, header: names) }
                fieldOf = columns.map { names.firstIndex(of: $0)! }
                categoryFields = categorical.map { names.firstIndex(of: $0.name)! }
                timeField = spec.timeColumn.flatMap { names.firstIndex(of: $0) }
                header = names
                if hasHeader { return true }
            }
            row += 1
            counts.read += 1
            var values: [Float] = []
            for (c, field) in fieldOf.enumerated() {
                guard field < record.count, case let .value(v) = record.number(field) else {
                    try reject("column \"\(columns[c])\": expected a number, found \"\(field < record.count ? record.string(field) : "")\"", at: record.line, in: stream.sourceName, onCounts)
                    return true
                }
                values.append(Float(v))
            }
            for (k, field) in categoryFields.enumerated() {
                codeWindow.append(field < record.count ? categorical[k].id(of: record.string(field)) : 0)
            }
            if codeWindow.count > L * K { codeWindow.removeFirst(K) }
            window.append(contentsOf: values)
            if window.count > L * C { window.removeFirst(C) }
            guard window.count == L * C else {
                counts.warming += 1
                onCounts(counts)
                return true
            }
            var one = SampleSet(source: stream.sourceName, channels: C, values: window, offsets: [0, L], labels: [spec.classes[0]], lines: [record.line])
            one.codes = codeWindow
            one.categoryCount = K
            try SampleDataset(spec: spec, set: one).fill([0], into: batch)
            let out = network.forward(batch)
            if !wroteHeader, format == .csv {
                write((["row"] + (timeField != nil ? ["time"] : []) + ["label"] + spec.classes.map { "p_\($0)" }).joined(separator: ",") + "\n")
                wroteHeader = true
            }
            write(PredictionWriter.classLine(format: format, row: row, time: timeField.map { record.string($0) }, classes: spec.classes, logits: out))
            counts.predicted += 1
            onCounts(counts)
            return true
        }
    }

    // MARK: text

    /// Each row's document is classified on its own: `row,label,p_<class>…`.
    func runText(_ source: any ByteSource, _ onCounts: (ReplayCounts) -> Void) throws {
        let spec = model.text!
        let network = model.makeNetwork()
        let stream = try CSVStream(source: source)
        stream.requiresUniformFieldCount = false
        var textField: Int?
        var fieldCount = 0
        var row = 0
        var wroteHeader = false
        let batch = Batch()
        try stream.forEachRecord { record in
            if textField == nil {
                if hasHeader {
                    let names = record.strings
                    guard let i = names.firstIndex(of: spec.textColumn) else {
                        throw ReplayError.missingColumns(source: stream.sourceName, missing: [spec.textColumn], header: names)
                    }
                    textField = i
                    fieldCount = names.count
                    return true
                }
                textField = 0
                fieldCount = record.count
            }
            row += 1
            counts.read += 1
            guard record.count > textField! else {
                try reject("expected \(fieldCount) fields, found \(record.count)", at: record.line, in: stream.sourceName, onCounts)
                return true
            }
            TextDataset(documents: [spec.encode(record.string(textField!))], labels: [0]).fill([0], into: batch)
            let out = network.forward(batch)
            if !wroteHeader, format == .csv {
                write("row,label," + spec.classes.map { "p_\($0)" }.joined(separator: ",") + "\n")
                wroteHeader = true
            }
            write(PredictionWriter.classLine(format: format, row: row, classes: spec.classes, logits: out))
            counts.predicted += 1
            onCounts(counts)
            return true
        }
    }

    // MARK: whole samples (UCR rows)

    func runSamples(_ source: any ByteSource, _ onCounts: (ReplayCounts) -> Void) throws {
        if model.samples?.layout == .window { return try runWindows(source, onCounts) }
        guard let spec = model.samples, spec.layout == .ucr else {
            throw ReplayError.unsupported("replay reads one sample per row (UCR layout); this model reads the long layout — use `tidal evaluate` on whole files")
        }
        let network = model.makeNetwork()
        let stream = try CSVStream(source: source)
        stream.requiresUniformFieldCount = false
        var header: [String]?
        var labelField: Int?
        var row = 0
        var wroteHeader = false
        let batch = Batch()
        try stream.forEachRecord { record in
            if header == nil && hasHeader {
                header = record.strings
                labelField = header!.firstIndex { ["label", "target", "class"].contains($0.lowercased()) }
                return true
            }
            row += 1
            counts.read += 1
            var values: [Float] = []
            var problem: String?
            for field in 0 ..< record.count where field != labelField {
                switch record.number(field) {
                case let .value(v): values.append(Float(v))
                case .missing: continue
                case .invalid: problem = "field \(field + 1): expected a number, found \"\(record.string(field))\""
                }
                if problem != nil { break }
            }
            if problem == nil && values.isEmpty { problem = "no values" }
            if let problem {
                try reject(problem, at: record.line, in: stream.sourceName, onCounts)
                return true
            }
            // The same batching code as training and evaluate, with a one-sample set.
            let one = SampleSet(source: stream.sourceName, channels: 1, values: values, offsets: [0, values.count],
                                labels: [spec.classes.first ?? "0"], lines: [record.line])
            let dataset = try SampleDataset(spec: spec, set: one)
            dataset.fill([0], into: batch)
            let out = network.forward(batch.x.pointer, steps: batch.steps, batch: 1)
            if !wroteHeader, format == .csv {
                write(model.task == .classify ? "row,label," + spec.classes.map { "p_\($0)" }.joined(separator: ",") + "\n" : "row,prediction\n")
                wroteHeader = true
            }
            if model.task == .classify {
                write(PredictionWriter.classLine(format: format, row: row, classes: spec.classes, logits: out))
            } else {
                let v = Double(out[0]) * spec.targetScale + spec.targetShift
                write(format == .csv ? "\(row),\(PredictionWriter.number(Float(v)))\n" : "{\"row\":\(row),\"prediction\":\(PredictionWriter.number(Float(v)))}\n")
            }
            counts.predicted += 1
            onCounts(counts)
            return true
        }
    }
}

/// Formats prediction lines the same way for `forecast` and `replay`.
public enum PredictionWriter {
    /// Shortest text that reads back as the same `Float`.
    public static func number(_ v: Float) -> String { v.isFinite ? "\(v)" : "nan" }

    public static func forecastHeader(spec: ForecastSpec, time: Bool, gap: Bool = false) -> String {
        (["row"] + (time ? ["time"] : []) + spec.outputNames + (gap ? ["gap"] : [])).joined(separator: ",") + "\n"
    }

    public static func forecastLine(format: PredictionFormat, spec: ForecastSpec, row: Int, time: String?, values: [Float], gap: Bool?) -> String {
        switch format {
        case .csv:
            var fields = ["\(row)"]
            if let time { fields.append(csvField(time)) }
            fields += values.map(number)
            if let gap { fields.append(gap ? "1" : "0") }
            return fields.joined(separator: ",") + "\n"
        case .jsonl:
            var parts = ["\"row\":\(row)"]
            if let time { parts.append("\"time\":\(jsonString(time))") }
            for (name, v) in zip(spec.outputNames, values) { parts.append("\(jsonString(name)):\(number(v))") }
            if let gap { parts.append("\"gap\":\(gap)") }
            return "{" + parts.joined(separator: ",") + "}\n"
        }
    }

    public static func classLine(format: PredictionFormat, row: Int, time: String? = nil, classes: [String], logits: UnsafePointer<Float>) -> String {
        let C = classes.count
        var m = logits[0]
        for c in 1 ..< C where logits[c] > m { m = logits[c] }
        var sum: Float = 0
        var probs = [Float](repeating: 0, count: C)
        for c in 0 ..< C { probs[c] = expf(logits[c] - m); sum += probs[c] }
        for c in 0 ..< C { probs[c] /= sum }
        let best = probs.indices.max { probs[$0] < probs[$1] }!
        switch format {
        case .csv:
            return (["\(row)"] + (time.map { [csvField($0)] } ?? []) + [csvField(classes[best])] + probs.map(number)).joined(separator: ",") + "\n"
        case .jsonl:
            let p = zip(classes, probs).map { "\(jsonString($0)):\(number($1))" }.joined(separator: ",")
            let t = time.map { ",\"time\":\(jsonString($0))" } ?? ""
            return "{\"row\":\(row)\(t),\"label\":\(jsonString(classes[best])),\"probabilities\":{\(p)}}\n"
        }
    }

    static func csvField(_ s: String) -> String {
        s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}
