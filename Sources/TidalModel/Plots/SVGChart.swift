import TidalData
import TidalCore
import Foundation

/// A line chart rendered as a self-contained SVG: axes with "nice" ticks and labels, a legend
/// and a title. Opens in any browser.
public struct LineChart {
    /// One line of the chart, with its legend entry.
    public struct Series {
        /// The legend entry.
        public var name: String
        /// The y value at each point; non-finite values leave a gap.
        public var values: [Double]
        /// Faint series are drawn thin and translucent (baselines).
        public var faint: Bool
        /// A series; its colour comes from its place in `LineChart.series`.
        public init(name: String, values: [Double], faint: Bool = false) {
            self.name = name
            self.values = values
            self.faint = faint
        }
    }

    /// The title above the plot.
    public var title: String
    /// The x axis label.
    public var xLabel: String
    /// The y axis label.
    public var yLabel: String
    /// The lines, drawn in order.
    public var series: [Series]
    /// x value of each point index (default 1, 2, …).
    public var xValues: [Double]?
    /// Optional text labels for some x ticks (e.g. time stamps).
    public var xTickLabels: [String]?
    /// Whether the y axis is logarithmic (base 10; values are clamped at 1e-12).
    public var logY = false

    /// A chart with a linear y axis and x values 1, 2, ….
    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]

    /// The chart as an SVG document of `width` × `height` pixels.
    public func svg(width: Double = 760, height: Double = 420) -> String {
        let left = 72.0, right = 24.0, top = 40.0, bottom = 56.0
        let plotW = width - left - right, plotH = height - top - bottom
        let n = series.map(\.values.count).max() ?? 0
        let xs = xValues ?? (0 ..< n).map { Double($0 + 1) }
        func transform(_ v: Double) -> Double { logY ? log10(max(v, 1e-12)) : v }
        let finite = series.flatMap { $0.values.filter(\.isFinite).map(transform) }
        var yMin = finite.min() ?? 0, yMax = finite.max() ?? 1
        if yMin == yMax { yMin -= 1; yMax += 1 }
        let yTicks = NiceScale.ticks(yMin, yMax)
        yMin = min(yMin, yTicks.first!); yMax = max(yMax, yTicks.last!)
        var xMin = xs.first ?? 0, xMax = xs.last ?? 1
        if xMin == xMax { xMin -= 1; xMax += 1 }
        func px(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * plotW }
        func py(_ y: Double) -> Double { top + (1 - (transform(y) - yMin) / (yMax - yMin)) * plotH }
        func pyRaw(_ t: Double) -> Double { top + (1 - (t - yMin) / (yMax - yMin)) * plotH }

        var s =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) "
            + "\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(width / 2)\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">\(escape(title))</text>\n"
        // grid and y ticks
        for t in yTicks {
            let y = pyRaw(t)
            s += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(left + plotW))\" y2=\"\(f(y))\" stroke=\"#e5e5e5\"/>\n"
            let label = logY ? NiceScale.label(pow(10, t)) : NiceScale.label(t)
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(label)</text>\n"
        }
        // x ticks
        for t in NiceScale.ticks(xMin, xMax, count: 8) where t >= xMin && t <= xMax {
            let x = px(t)
            s += "<line x1=\"\(f(x))\" y1=\"\(f(top + plotH))\" x2=\"\(f(x))\" y2=\"\(f(top + plotH + 5))\" stroke=\"black\"/>\n"
            var label = NiceScale.label(t)
            if let labels = xTickLabels, let i = xs.firstIndex(where: { abs($0 - t) < 1e-9 }), i < labels.count { label = labels[i] }
            s += "<text x=\"\(f(x))\" y=\"\(f(top + plotH + 18))\" text-anchor=\"middle\">\(escape(label))</text>\n"
        }
        s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"black\"/>\n"
        s += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        s +=
            "<text transform=\"translate(16 \(f(top + plotH / 2))) rotate(-90)\" "
            + "text-anchor=\"middle\">\(escape(yLabel + (logY ? " (log scale)" : "")))</text>\n"
        // lines
        for (k, line) in series.enumerated() {
            let color = Self.palette[k % Self.palette.count]
            var d = ""
            var pen = false
            for (i, v) in line.values.enumerated() where i < xs.count {
                guard v.isFinite else { pen = false; continue }
                d += "\(pen ? "L" : "M")\(f(px(xs[i]))),\(f(py(v))) "
                pen = true
            }
            let style = line.faint ? "stroke-width=\"1\" stroke-opacity=\"0.45\" stroke-dasharray=\"4 3\"" : "stroke-width=\"2\""
            s += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(color)\" \(style)/>\n"
            if line.values.count == 1, let v = line.values.first, v.isFinite {
                s += "<circle cx=\"\(f(px(xs[0])))\" cy=\"\(f(py(v)))\" r=\"3\" fill=\"\(color)\"/>\n"
            }
        }
        // legend
        for (k, line) in series.enumerated() {
            let y = top + 10 + Double(k) * 16
            let color = Self.palette[k % Self.palette.count]
            s +=
                "<line x1=\"\(f(left + plotW - 150))\" y1=\"\(f(y))\" x2=\"\(f(left + plotW - 128))\" y2=\"\(f(y))\" "
                + "stroke=\"\(color)\" stroke-width=\"\(line.faint ? 1 : 2)\"/>\n"
            s += "<text x=\"\(f(left + plotW - 122))\" y=\"\(f(y + 4))\">\(escape(line.name))</text>\n"
        }
        s += "</svg>\n"
        return s
    }

    func f(_ x: Double) -> String { String(format: "%.1f", x) }
}

/// A confusion matrix as a heatmap.
public func confusionSVG(_ matrix: [[Int]], classes: [String], title: String) -> String {
    let n = classes.count
    let cell = max(28.0, min(64.0, 420.0 / Double(max(n, 1))))
    let left = 110.0, top = 70.0
    let width = left + cell * Double(n) + 30, height = top + cell * Double(n) + 50
    let maxCount = max(1, matrix.flatMap { $0 }.max() ?? 1)
    var s =
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" "
        + "font-size=\"12\">\n"
    s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    s += "<text x=\"\(width / 2)\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">\(escape(title))</text>\n"
    s += "<text x=\"\(left + cell * Double(n) / 2)\" y=\"48\" text-anchor=\"middle\">predicted</text>\n"
    s += "<text transform=\"translate(16 \(top + cell * Double(n) / 2)) rotate(-90)\" text-anchor=\"middle\">actual</text>\n"
    for (j, name) in classes.enumerated() {
        s +=
            "<text x=\"\(left + cell * (Double(j) + 0.5))\" y=\"\(top - 6)\" "
            + "text-anchor=\"middle\">\(escape(String(name.prefix(10))))</text>\n"
        s +=
            "<text x=\"\(left - 6)\" y=\"\(top + cell * (Double(j) + 0.5) + 4)\" "
            + "text-anchor=\"end\">\(escape(String(name.prefix(14))))</text>\n"
    }
    for i in 0 ..< n {
        for j in 0 ..< n {
            let v = matrix[i][j]
            let intensity = Double(v) / Double(maxCount)
            let shade = Int(255 - 200 * intensity)
            s +=
                "<rect x=\"\(left + cell * Double(j))\" y=\"\(top + cell * Double(i))\" width=\"\(cell)\" height=\"\(cell)\" "
                + "fill=\"rgb(\(shade),\(shade),255)\" stroke=\"white\"/>\n"
            s +=
                "<text x=\"\(left + cell * (Double(j) + 0.5))\" y=\"\(top + cell * (Double(i) + 0.5) + 4)\" text-anchor=\"middle\" "
                + "fill=\"\(intensity > 0.6 ? "white" : "black")\">\(v)</text>\n"
        }
    }
    s += "</svg>\n"
    return s
}

func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
        of: ">", with: "&gt;")
}

/// Round tick positions ("nice numbers", Heckbert 1990).
enum NiceScale {
    static func ticks(_ low: Double, _ high: Double, count: Int = 6) -> [Double] {
        let range = nice(high - low, round: false)
        let step = nice(range / Double(max(count - 1, 1)), round: true)
        let start = (low / step).rounded(.down) * step, end = (high / step).rounded(.up) * step
        return Array(stride(from: start, through: end + step * 0.5, by: step))
    }

    static func nice(_ x: Double, round: Bool) -> Double {
        guard x > 0 else { return 1 }
        let exponent = floor(log10(x)), fraction = x / pow(10, exponent)
        let niceFraction: Double
        if round {
            niceFraction = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
        } else {
            niceFraction = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        }
        return niceFraction * pow(10, exponent)
    }

    static func label(_ x: Double) -> String {
        if abs(x) < 1e-12 { return "0" }
        if abs(x) >= 1e5 || abs(x) < 1e-3 { return String(format: "%.1e", x) }
        var s = String(format: "%.4f", x)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
}
