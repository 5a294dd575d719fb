import Foundation

/// `forecast.svg`: a `ForecastPlot` drawn as a fan chart — the history tail in grey, the actual
/// scored values in black, the one-step forecast in blue inside its shaded interval bands, the
/// baselines dashed — one chart for one series, stacked panels for a few of many.
public enum FanChart {
    /// The figure for `plot`; `model` names the forecast line (the cell, `lstm`).
    public static func svg(_ plot: ForecastPlot, model: String) -> SVGDocument {
        var charts = plot.panels.map { chart($0, plot: plot, model: model) }
        // Panels share the x axis' meaning: its title under the last one only.
        for k in charts.indices.dropLast() { charts[k].xTitle = nil }
        if charts.count == 1, var only = charts.first {
            only.title =
                "\(plot.target): history, \(plot.part) values and one-step forecasts"
                + (plot.panels[0].series.isEmpty ? "" : " (\(plot.panels[0].series))")
            return only.svg()
        }
        let shown =
            plot.seriesCount > plot.panels.count
            ? "best, median and worst of \(plot.seriesCount) series by MASE" : "\(plot.seriesCount) series"
        return PanelChart(title: "\(plot.target): one-step forecasts, \(shown)", panels: charts).svg()
    }

    /// One panel as a line chart (its title names the series, its role and MASE).
    static func chart(_ panel: ForecastPlot.Panel, plot: ForecastPlot, model: String) -> LineChart {
        var title = panel.series.isEmpty ? "" : "series \(panel.series)"
        if let role = panel.role { title += " — \(role)" }
        if let mase = panel.mase { title += (title.isEmpty ? "" : ", ") + "MASE \(String(format: "%.3f", mase))" }
        let (x, kind, xTitle) = xValues(panel)
        var chart = LineChart(title: title, xTitle: xTitle, yTitle: plot.target)
        chart.xKind = kind
        let s = panel.scoredStart
        let blue = PlotStyle.color(0)
        // Widest band first, so the narrower (darker together) one is drawn over it.
        for band in panel.bands.sorted(by: { $0.level > $1.level }) {
            let opacity = band.level >= 90 ? 0.15 : 0.28
            chart.bands.append(
                .init(name: "\(format(band.level)) % interval", x: x, lower: band.lower, upper: band.upper, color: blue, opacity: opacity))
        }
        chart.lines.append(
            .init(
                name: "history", x: Array(x[...min(s, x.count - 1)]), y: Array(panel.actual[...min(s, x.count - 1)]), color: PlotStyle.grey,
                width: 1.5))
        chart.lines.append(
            .init(name: "actual (\(plot.part))", x: Array(x[s...]), y: Array(panel.actual[s...]), color: PlotStyle.ink, width: 1.5))
        for (k, baseline) in panel.baselines.enumerated() {
            chart.lines.append(
                .init(name: baseline.name, x: x, y: baseline.values, color: PlotStyle.color(k + 2), width: 1.2, dash: "4 3", opacity: 0.8))
        }
        chart.lines.append(
            .init(
                name: "\(model) forecast", x: x, y: panel.forecast, color: blue, width: 2,
                dots: panel.bands.isEmpty && panel.actual.count - s <= 40))
        if s > 0 { chart.divider = (x[s], plot.part) }
        return chart
    }

    /// The x positions of a panel's rows and how to label them: calendar days when every time
    /// is a date, the times as numbers when they all are numbers, labelled positions for other
    /// texts, and row numbers without a time column.
    static func xValues(_ panel: ForecastPlot.Panel) -> ([Double], LineChart.XKind, String) {
        let rows = panel.actual.indices.map { Double(panel.firstRow + $0) }
        guard let times = panel.times, times.count == rows.count else { return (rows, .numbers, "row") }
        let days = times.map(AxisCalendar.days)
        if days.allSatisfy({ $0 != nil }), isIncreasing(days.map { $0! }) {
            return (days.map { $0! }, .calendar(quarterly: times.allSatisfy { $0.contains("Q") || $0.contains("q") }), "time")
        }
        let numbers = times.map { Double($0) }
        if numbers.allSatisfy({ $0 != nil }), isIncreasing(numbers.map { $0! }) { return (numbers.map { $0! }, .numbers, "time") }
        return (panel.actual.indices.map(Double.init), .labels(times), "time")
    }

    static func isIncreasing(_ values: [Double]) -> Bool { zip(values, values.dropFirst()).allSatisfy { $0 < $1 } }

    static func format(_ level: Double) -> String { level == level.rounded() ? String(Int(level)) : String(level) }
}
