import TidalData

extension PredictionWriter {
    /// The CSV header of long forecasts (one line per origin and step):
    /// `[series,]row[,time],step[,forecast_time],<target>[,<target>_lo80,<target>_hi80…]…`.
    /// `forecast_time` (the time the values are for) needs a time column and the spec's time step.
    public static func longForecastHeader(spec: ForecastSpec, time: Bool) -> String {
        let times = time ? ["time", "step"] + (spec.timeStep == nil ? [] : ["forecast_time"]) : ["step"]
        let values = spec.calibration?.names(spec.targets) ?? spec.targets
        return ((spec.seriesColumn == nil ? [] : ["series"]) + ["row"] + times + values).joined(separator: ",") + "\n"
    }

    /// The `spec.horizon` long lines of one forecast: step `h` holds, for each target, its
    /// `h`-step value (and interval bounds), and `horizonTimes[h − 1]` as `forecast_time`.
    /// - Parameters:
    ///   - values: the forecast in `spec.predictionNames` order (target-major, each value followed by its bounds).
    ///   - horizonTimes: the time of each step (nil entries when it cannot be computed); nil without a time step.
    public static func longForecastLines(
        _ format: PredictionFormat, spec: ForecastSpec, row: Int, time: String?, horizonTimes: [String?]?, values: [Float],
        series: String?
    ) -> String {
        let H = spec.horizon
        let width = 1 + 2 * (spec.calibration?.levels.count ?? 0)
        let names = spec.calibration?.names(spec.targets) ?? spec.targets
        var out = ""
        for h in 0 ..< H {
            var step: [Float] = []
            for k in spec.targets.indices { step += values[(k * H + h) * width ..< (k * H + h + 1) * width] }
            let forecastTime = time == nil ? nil : horizonTimes?[h]
            switch format {
            case .csv:
                var fields = (series.map { [csvField($0)] } ?? []) + ["\(row)"]
                if let time { fields.append(csvField(time)) }
                fields.append("\(h + 1)")
                if time != nil, horizonTimes != nil { fields.append(forecastTime.map(csvField) ?? "") }
                out += (fields + step.map(number)).joined(separator: ",") + "\n"
            case .jsonl:
                var parts = (series.map { ["\"series\":\(jsonString($0))"] } ?? []) + ["\"row\":\(row)"]
                if let time { parts.append("\"time\":\(jsonString(time))") }
                parts.append("\"step\":\(h + 1)")
                if time != nil, horizonTimes != nil { parts.append("\"forecast_time\":" + (forecastTime.map(jsonString) ?? "null")) }
                for (name, v) in zip(names, step) { parts.append("\(jsonString(name)):\(number(v))") }
                out += "{" + parts.joined(separator: ",") + "}\n"
            }
        }
        return out
    }
}
