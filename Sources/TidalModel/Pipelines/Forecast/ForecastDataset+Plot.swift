import TidalData

extension ForecastDataset {
    /// What `forecast.svg` shows of these windows' one-step forecasts (`FanChart`).
    ///
    /// One panel per series for a single series or a few; of more, the best, median and worst by
    /// MASE. Each panel holds the series' scored rows (first target, first horizon step) and the
    /// history before them: twice the lookback or as many rows as are scored, whichever is more.
    /// - Parameters:
    ///   - predicted: the model's forecasts `[count, outputCount]`, original units.
    ///   - baselines: each baseline's forecasts in the same shape, by display name.
    ///   - time: the time text of every row of `raw`, when there is a time column.
    ///   - names: the series ids, one per segment (`[""]` for a single series).
    ///   - mases: the test MASE by series id, for picking and titling panels.
    ///   - part: what the scored rows are called (`test`, `scored`).
    ///   - calibrated: the model's spec, whose interval calibration (if any) gives the bands.
    func plot(
        predicted: [Float], baselines: [(String, [Float])], time: [String]?, names: [String], mases: [String: Double], part: String,
        calibrated: ForecastSpec
    ) -> ForecastPlot {
        var originsBySeries = Array(repeating: [Int](), count: segments.count)
        for i in 0 ..< count { originsBySeries[originSeries[i]].append(i) }
        let scored = segments.indices.filter { !originsBySeries[$0].isEmpty }
        let picks = ForecastPlot.pick(scored.map { mases[names[$0]] })
        let bounds = calibratedBounds(predicted, spec: calibrated)
        let panels = picks.map { pick -> ForecastPlot.Panel in
            let s = scored[pick.index], segment = segments[s], mine = originsBySeries[s]
            let firstOrigin = origins[mine[0]], lastOrigin = origins[mine[mine.count - 1]]
            let tail = max(2 * spec.lookback, lastOrigin - firstOrigin + 1)
            let start = max(segment.lowerBound, firstOrigin - tail)
            let rows = start ... min(lastOrigin, segment.upperBound - 1)
            let C = spec.columns.count, c0 = spec.targetIndices[0], O = spec.outputCount
            func aligned(_ values: [Float], width: Int = O, offset: Int = 0) -> [Double] {
                var line = [Double](repeating: .nan, count: rows.count)
                for i in mine { line[origins[i] - start] = Double(values[i * width + offset]) }
                return line
            }
            let L = calibrated.calibration?.levels.count ?? 0
            let bands = (bounds.isEmpty ? [] : calibrated.calibration?.levels ?? []).enumerated().map { l, level in
                ForecastPlot.Band(
                    level: level, lower: aligned(bounds, width: O * (1 + 2 * L), offset: 1 + 2 * l),
                    upper: aligned(bounds, width: O * (1 + 2 * L), offset: 2 + 2 * l))
            }
            return ForecastPlot.Panel(
                series: names[s], role: pick.role, mase: mases[names[s]], firstRow: start - segment.lowerBound,
                times: time.map { t in rows.map { t[$0] } }, actual: rows.map { Double(raw[$0 * C + c0]) },
                scoredStart: firstOrigin - start,
                forecast: aligned(predicted), baselines: baselines.map { .init(name: $0.0, values: aligned($0.1)) }, bands: bands)
        }
        return ForecastPlot(target: spec.targets[0], part: part, seriesCount: scored.count, panels: panels)
    }

    /// `predicted` with the interval bounds `spec` puts around it per window
    /// (`ForecastSpec.intervalBounds`): per output the point forecast, then each level's lower and
    /// upper bound. Empty without calibration, and for a quantile model (whose bands need its
    /// quantiles, which the plot is not given).
    func calibratedBounds(_ predicted: [Float], spec: ForecastSpec) -> [Float] {
        guard let calibration = spec.calibration, spec.quantiles.isEmpty else { return [] }
        let O = spec.outputCount, C = spec.columns.count, L = calibration.levels.count
        var result: [Float] = []
        result.reserveCapacity(count * O * (1 + 2 * L))
        raw.withUnsafeBufferPointer { raw in
            for (i, o) in origins.enumerated() {
                let values = Array(predicted[i * O ..< (i + 1) * O])
                let bounds = spec.intervalBounds(values, quantiles: [], window: raw.baseAddress! + (o - spec.lookback) * C)
                for k in 0 ..< O {
                    result.append(values[k])
                    for l in 0 ..< L { result += [bounds[k * L + l].lo, bounds[k * L + l].hi] }
                }
            }
        }
        return result
    }
}
