import Foundation
import TidalData

/// Formats prediction lines the same way for `forecast`, `predict` and `replay`.
public enum PredictionWriter {
    /// Shortest text that reads back as the same `Float`.
    public static func number(_ v: Float) -> String { v.isFinite ? "\(v)" : "nan" }

    /// The CSV header: `[series,]row[,time[,time_h1,…,time_hH]],<columns>[,gap]` (`series` for a
    /// many-series model; `time_h1…` when `horizonTimes` > 0: the time each forecast step is for).
    public static func header(
        _ columns: PredictionColumns, time: Bool, gap: Bool = false, series: Bool = false, horizonTimes: Int = 0
    ) -> String {
        let names: [String]
        switch columns {
        case let .values(outputs): names = outputs
        case let .classes(classes): names = ["label"] + classes.map { "p_\($0)" }
        }
        let times = time ? ["time"] + (0 ..< horizonTimes).map { "time_h\($0 + 1)" } : []
        return ((series ? ["series"] : []) + ["row"] + times + names + (gap ? ["gap"] : [])).joined(separator: ",") + "\n"
    }

    /// One prediction: named values, or (for classes) the logits turned into a label and probabilities;
    /// `series` (a many-series forecaster's id) comes first, and `horizonTimes` (the time of each
    /// forecast step; nil entries for a time that cannot be computed) follow `time`.
    public static func line(
        _ format: PredictionFormat, _ columns: PredictionColumns, row: Int, time: String?, values: [Float],
        gap: Bool?, series: String? = nil, horizonTimes: [String?]? = nil
    ) -> String {
        switch columns {
        case let .values(names):
            return valuesLine(
                format, names: names, row: row, time: time, horizonTimes: time == nil ? nil : horizonTimes, values: values, gap: gap,
                series: series)
        case let .classes(classes): return classLine(format, classes: classes, row: row, time: time, logits: values, gap: gap)
        }
    }

    /// The header of `forecast` for a forecasting spec: with `time_h1…` when the spec has a time step.
    public static func forecastHeader(spec: ForecastSpec, time: Bool, gap: Bool = false) -> String {
        header(
            .values(spec.predictionNames), time: time, gap: gap, series: spec.seriesColumn != nil,
            horizonTimes: spec.timeStep == nil ? 0 : spec.horizon)
    }

    static func valuesLine(
        _ format: PredictionFormat, names: [String], row: Int, time: String?, horizonTimes: [String?]?, values: [Float], gap: Bool?,
        series: String?
    ) -> String {
        switch format {
        case .csv:
            var fields = (series.map { [csvField($0)] } ?? []) + ["\(row)"]
            if let time { fields.append(csvField(time)) }
            for t in horizonTimes ?? [] { fields.append(t.map(csvField) ?? "") }
            fields += values.map(number)
            if let gap { fields.append(gap ? "1" : "0") }
            return fields.joined(separator: ",") + "\n"
        case .jsonl:
            var parts = (series.map { ["\"series\":\(jsonString($0))"] } ?? []) + ["\"row\":\(row)"]
            if let time { parts.append("\"time\":\(jsonString(time))") }
            for (h, t) in (horizonTimes ?? []).enumerated() { parts.append("\"time_h\(h + 1)\":" + (t.map(jsonString) ?? "null")) }
            for (name, v) in zip(names, values) { parts.append("\(jsonString(name)):\(number(v))") }
            if let gap { parts.append("\"gap\":\(gap)") }
            return "{" + parts.joined(separator: ",") + "}\n"
        }
    }

    /// Softmax of `logits` (max-shifted), then the most probable class and every probability.
    static func classLine(_ format: PredictionFormat, classes: [String], row: Int, time: String?, logits: [Float], gap: Bool?) -> String {
        let C = classes.count
        let m = logits.max() ?? 0
        var probs = logits.map { expf($0 - m) }
        let sum = probs.reduce(0, +)
        for c in 0 ..< C { probs[c] /= sum }
        let best = probs.indices.max { probs[$0] < probs[$1] }!
        switch format {
        case .csv:
            return
                (["\(row)"] + (time.map { [csvField($0)] } ?? []) + [csvField(classes[best])] + probs.map(number)
                + (gap.map { [$0 ? "1" : "0"] } ?? [])).joined(separator: ",") + "\n"
        case .jsonl:
            let p = zip(classes, probs).map { "\(jsonString($0)):\(number($1))" }.joined(separator: ",")
            let t = time.map { ",\"time\":\(jsonString($0))" } ?? ""
            let g = gap.map { ",\"gap\":\($0)" } ?? ""
            return "{\"row\":\(row)\(t),\"label\":\(jsonString(classes[best])),\"probabilities\":{\(p)}\(g)}\n"
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
