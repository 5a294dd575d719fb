import Foundation

/// A chart of lines and shaded bands over a shared x axis: the one chart kind behind the loss,
/// accuracy, forecast (fan chart), compare and gradient plots.
///
/// The x axis is numeric, calendar time (days since 1970, `AxisCalendar`) or row positions with
/// text labels; the y axis linear or logarithmic (`automatic`: logarithmic when every value is
/// positive and they span decades). The legend sits right of the data area.
///
/// ```swift
/// var chart = LineChart(title: "Loss per epoch", xTitle: "epoch", yTitle: "loss")
/// chart.lines.append(.init(name: "train", x: [1, 2, 3], y: [0.9, 0.4, 0.3], color: PlotStyle.color(0)))
/// let svg = chart.svg()
/// ```
public struct LineChart: Sendable {
    /// What the x values are.
    public enum XKind: Sendable, Equatable {
        /// Plain numbers (epochs, steps).
        case numbers
        /// Positive numbers on a base-10 logarithmic axis.
        case log
        /// Days since 1970-01-01; ticks at calendar boundaries (quarters labelled `1998Q2` when `quarterly`).
        case calendar(quarterly: Bool)
        /// Positions 0, 1, … of these labels (time texts that are not dates); ticks show the labels.
        case labels([String])
    }

    /// How the y axis is scaled.
    public enum YKind: Sendable, Equatable {
        /// Linear.
        case linear
        /// Base-10 logarithmic.
        case log
        /// Logarithmic when the values are positive and span decades, else linear.
        case automatic
    }

    /// One line.
    public struct Line: Sendable {
        /// Its legend entry; nil for none.
        public var name: String?
        /// x values.
        public var x: [Double]
        /// y values; a non-finite value leaves a gap.
        public var y: [Double]
        /// Stroke colour.
        public var color: String
        /// Stroke width.
        public var width: Double
        /// SVG dash pattern, nil for a solid line.
        public var dash: String?
        /// Stroke opacity.
        public var opacity: Double
        /// Whether points are also marked with dots (sparse data).
        public var dots: Bool

        /// A line.
        public init(
            name: String?, x: [Double], y: [Double], color: String, width: Double = 2, dash: String? = nil, opacity: Double = 1,
            dots: Bool = false
        ) {
            self.name = name
            self.x = x
            self.y = y
            self.color = color
            self.width = width
            self.dash = dash
            self.opacity = opacity
            self.dots = dots
        }
    }

    /// A shaded band between two bounds (an interval).
    public struct Band: Sendable {
        /// Its legend entry; nil for none.
        public var name: String?
        /// x values.
        public var x: [Double]
        /// Lower bounds.
        public var lower: [Double]
        /// Upper bounds.
        public var upper: [Double]
        /// Fill colour.
        public var color: String
        /// Fill opacity.
        public var opacity: Double

        /// A band.
        public init(name: String?, x: [Double], lower: [Double], upper: [Double], color: String, opacity: Double) {
            self.name = name
            self.x = x
            self.lower = lower
            self.upper = upper
            self.color = color
            self.opacity = opacity
        }
    }

    /// A labelled horizontal line at a y value (the 100 % line, MASE 1).
    public struct Reference: Sendable {
        /// The y value.
        public var y: Double
        /// The label written at its right end, inside the frame.
        public var label: String

        /// A reference line.
        public init(y: Double, label: String) {
            self.y = y
            self.label = label
        }
    }

    /// The title above the chart.
    public var title: String
    /// The x axis title.
    public var xTitle: String?
    /// The y axis title.
    public var yTitle: String?
    /// What the x values are.
    public var xKind: XKind = .numbers
    /// How the y axis is scaled.
    public var yKind: YKind = .linear
    /// Values the y axis must include besides the data (0, 100).
    public var yIncludes: [Double] = []
    /// Bands, drawn first.
    public var bands: [Band] = []
    /// Lines, drawn in order over the bands.
    public var lines: [Line] = []
    /// Reference lines.
    public var references: [Reference] = []
    /// A vertical divider at this x value with a label (where the test part starts).
    public var divider: (x: Double, label: String)?

    /// An empty chart.
    public init(title: String, xTitle: String?, yTitle: String?) {
        self.title = title
        self.xTitle = xTitle
        self.yTitle = yTitle
    }

    /// The default size of a single chart's data area.
    public static let plotSize = (width: 620.0, height: 320.0)

    /// The legend: named bands, then named lines.
    public var legend: Legend {
        Legend(
            bands.compactMap { b in b.name.map { Legend.Entry($0, .area(color: b.color, opacity: b.opacity)) } }
                + lines.compactMap { l in
                    l.name.map {
                        Legend.Entry(
                            $0, l.dots && l.x.count <= 1 ? .dot(color: l.color) : .line(color: l.color, width: l.width, dash: l.dash))
                    }
                })
    }

    /// Whether the y axis is logarithmic.
    var isLog: Bool {
        switch yKind {
        case .linear: return false
        case .log: return true
        case .automatic: return LogScale.suits(lines.flatMap(\.y) + bands.flatMap { $0.lower + $0.upper })
        }
    }

    /// The y scale over the lines, bands and references.
    func yScale(maxTicks: Int) -> any AxisScale {
        let values = lines.flatMap(\.y) + bands.flatMap { $0.lower + $0.upper } + references.map(\.y) + yIncludes
        return isLog ? LogScale(covering: values, maxTicks: maxTicks) : LinearScale(covering: values, maxTicks: maxTicks)
    }

    /// The x scale for a data area `length` pixels wide.
    func xScale(length: Double) -> any AxisScale {
        let xs = lines.flatMap(\.x) + bands.flatMap(\.x)
        let maxTicks = max(2, Int(length / 70))
        switch xKind {
        case .numbers:
            let integers = xs.allSatisfy { $0 == $0.rounded() }
            var scale = LinearScale(covering: xs, maxTicks: maxTicks, nice: false, integers: integers)
            if scale.ticks.count < 2 { scale = LinearScale(covering: xs, maxTicks: maxTicks, nice: true, integers: integers) }
            return scale
        case .log:
            return LogScale(covering: xs, maxTicks: maxTicks)
        case let .calendar(quarterly):
            return TimeScale(days: xs.filter(\.isFinite), length: length, quarterly: quarterly)
        case let .labels(labels):
            let widest = labels.map { PlotStyle.textWidth($0) }.max() ?? 10
            return LabelScale(labels: labels, range: xs, maxTicks: max(2, Int(length / (widest + 18))))
        }
    }

    /// The chart as an SVG document whose data area is `plotWidth` × `plotHeight` pixels; the
    /// document is as large as the axes, the title and the legend need around it.
    public func svg(plotWidth: Double = plotSize.width, plotHeight: Double = plotSize.height) -> SVGDocument {
        let y = yScale(maxTicks: max(3, Int(plotHeight / 45)))
        let left = Axis.yMargin(y.ticks, title: yTitle != nil) + 8, top = 40.0
        let legend = self.legend
        let width = left + plotWidth + max(legend.width, 24)
        let height = top + max(plotHeight, legend.height) + Axis.xMargin(title: xTitle != nil) + 8
        var svg = SVGDocument(width: width, height: height)
        svg.text(title, x: width / 2, y: 24, anchor: .middle, size: PlotStyle.titleSize, bold: true)
        let frame = PlotFrame(x: left, y: top, width: plotWidth, height: plotHeight)
        draw(in: frame, yScale: y, on: &svg)
        legend.draw(x: frame.x + frame.width, y: frame.y, on: &svg)
        return svg
    }

    /// Draws axes, bands, lines and references into `frame` (no title, no legend): a chart or a panel.
    public func draw(in frame: PlotFrame, yScale y: any AxisScale, on svg: inout SVGDocument) {
        let x = xScale(length: frame.width)
        Axis.drawY(y, title: yTitle, in: frame, on: &svg)
        Axis.drawX(x, title: xTitle, in: frame, on: &svg)
        func point(_ xv: Double, _ yv: Double) -> (Double, Double) { (frame.px(x.fraction(xv)), frame.py(y.fraction(yv))) }
        for band in bands {
            for run in Self.runs(band.x.indices.filter { band.lower[$0].isFinite && band.upper[$0].isFinite }) {
                let upper = run.map { point(band.x[$0], band.upper[$0]) }, lower = run.reversed().map { point(band.x[$0], band.lower[$0]) }
                svg.polygon(run.count == 1 ? Self.widen(upper + lower) : upper + lower, fill: band.color, opacity: band.opacity)
            }
        }
        if let divider {
            let px = frame.px(x.fraction(divider.x))
            svg.line(px, frame.y, px, frame.y + frame.height, stroke: PlotStyle.grey, dash: "3 3")
            svg.text(divider.label, x: px + 4, y: frame.y + 14, fill: "#666666")
        }
        for reference in references {
            let py = frame.py(y.fraction(reference.y))
            svg.line(frame.x, py, frame.x + frame.width, py, stroke: "#555555", dash: "6 3")
            // The label at the left end (where learning curves start low), above the line or below it
            // when the line runs near the frame's top.
            let labelY = py - frame.y < 20 ? py + 14 : py - 5
            svg.text(reference.label, x: frame.x + 6, y: labelY, fill: "#555555")
        }
        for line in lines {
            // On a log axis zero has no place: a value at or below zero leaves a gap, like a missing one.
            let valid = line.x.indices.filter { i in
                i < line.y.count && line.y[i].isFinite && line.x[i].isFinite && (!(y is LogScale) || line.y[i] > 0)
            }
            for run in Self.runs(valid) {
                svg.polyline(
                    run.map { point(line.x[$0], line.y[$0]) }, stroke: line.color, width: line.width, dash: line.dash, opacity: line.opacity
                )
            }
            if line.dots || valid.count == 1 {
                for i in valid {
                    let p = point(line.x[i], line.y[i])
                    svg.circle(p.0, p.1, radius: 2.5, fill: line.color)
                }
            }
        }
        Axis.drawFrame(frame, on: &svg)
    }

    /// Consecutive runs of `indices` (a gap in the data breaks a line or band).
    static func runs(_ indices: [Int]) -> [[Int]] {
        var result: [[Int]] = []
        for i in indices {
            if let last = result.last?.last, last == i - 1 { result[result.count - 1].append(i) } else { result.append([i]) }
        }
        return result
    }

    /// A band of one point as a thin bar (two points of a polygon, 4 px wide).
    static func widen(_ points: [(Double, Double)]) -> [(Double, Double)] {
        guard points.count == 2 else { return points }
        return [
            (points[0].0 - 2, points[0].1), (points[0].0 + 2, points[0].1), (points[1].0 + 2, points[1].1), (points[1].0 - 2, points[1].1),
        ]
    }
}

/// An x axis over row positions whose ticks show text labels (time values that are not dates).
struct LabelScale: AxisScale {
    let linear: LinearScale
    let ticks: [Tick]

    init(labels: [String], range: [Double], maxTicks: Int) {
        linear = LinearScale(covering: range, maxTicks: maxTicks, nice: false)
        ticks = linear.ticks.compactMap { t in
            let i = Int(t.value.rounded())
            return abs(t.value - Double(i)) < 1e-9 && labels.indices.contains(i) ? Tick(t.value, labels[i]) : nil
        }
    }

    func fraction(_ value: Double) -> Double { linear.fraction(value) }
}
