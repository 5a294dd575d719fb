import Foundation
import TidalData

/// `mase.svg`: the distribution of per-series test MASE of the model beside the baselines', as
/// empirical cumulative distributions — for each MASE on the x axis, the share of series scored
/// at or below it. A curve further left and higher is better; MASE 1 is marked (the in-sample
/// seasonal-naive error).
public enum MASEChart {
    /// One method's per-series MASEs.
    public struct Method: Sendable {
        /// The legend name (`lstm`, `naive`).
        public var name: String
        /// MASE of each series (NaN or infinite ones are left out).
        public var mases: [Double]
        /// Whether this is the model (drawn bold) or a baseline.
        public var isModel: Bool

        /// A method's figures.
        public init(name: String, mases: [Double], isModel: Bool) {
            self.name = name
            self.mases = mases
            self.isModel = isModel
        }
    }

    /// The chart of `methods`.
    public static func svg(_ methods: [Method]) -> SVGDocument {
        let count = methods.map { $0.mases.filter(\.isFinite).count }.max() ?? 0
        var chart = LineChart(
            title: "Per-series test MASE (\(count) series): share of series at or below each MASE", xTitle: "MASE",
            yTitle: "series, %")
        chart.yIncludes = [0, 100]
        var baselineColor = 1
        for method in methods {
            let sorted = method.mases.filter(\.isFinite).sorted()
            guard !sorted.isEmpty else { continue }
            var x: [Double] = [], y: [Double] = []
            for (k, m) in sorted.enumerated() {
                x += [m, m]
                y += [100 * Double(k) / Double(sorted.count), 100 * Double(k + 1) / Double(sorted.count)]
            }
            let median = SeriesMetrics.meanAndMedian(sorted).median
            let color = method.isModel ? PlotStyle.color(0) : PlotStyle.color(baselineColor)
            if !method.isModel { baselineColor += 1 }
            chart.lines.append(
                .init(
                    name: "\(method.name) (median \(String(format: "%.3f", median)))", x: x, y: y, color: color,
                    width: method.isModel ? 2.2 : 1.5, dash: method.isModel ? nil : "5 3"))
        }
        let all = chart.lines.flatMap(\.x)
        if let low = all.min(), let high = all.max(), low <= 1, high >= 1 { chart.divider = (1, "MASE 1") }
        // A wide spread (a few series far worse than the rest) reads better on a log axis.
        if LogScale.suits(all, decades: 1) { chart.xKind = .log }
        return chart.svg()
    }
}
