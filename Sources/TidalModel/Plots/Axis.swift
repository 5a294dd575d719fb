/// The rectangle of a chart's data area, in pixels.
public struct PlotFrame: Sendable, Equatable {
    /// Left edge.
    public var x: Double
    /// Top edge.
    public var y: Double
    /// Width.
    public var width: Double
    /// Height.
    public var height: Double

    /// A frame from its edges and size.
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// Pixels kept free inside the frame above and below the data, so a line at the axis' end
    /// (100 %, the largest loss) is drawn inside the frame, not on it.
    public static let inset = 6.0

    /// The x pixel of a fraction along the x axis.
    public func px(_ fraction: Double) -> Double { x + fraction * width }
    /// The y pixel of a fraction along the y axis (0 at the bottom).
    public func py(_ fraction: Double) -> Double { y + height - Self.inset - fraction * (height - 2 * Self.inset) }
}

/// Draws axes: the frame, grid lines, ticks, tick labels and axis titles.
public enum Axis {
    /// Pixels between a tick label and the frame.
    static let gap = 6.0

    /// The width the y axis needs left of the frame for `ticks` and a title.
    public static func yMargin(_ ticks: [Tick], title: Bool) -> Double {
        (ticks.map { PlotStyle.textWidth($0.label) }.max() ?? 0) + gap + 6 + (title ? PlotStyle.fontSize + 10 : 0)
    }

    /// The frame with horizontal grid lines and the y ticks and labels of `scale` at its left.
    public static func drawY(_ scale: any AxisScale, title: String?, in frame: PlotFrame, on svg: inout SVGDocument) {
        for tick in scale.ticks {
            let y = frame.py(scale.fraction(tick.value))
            svg.line(frame.x, y, frame.x + frame.width, y, stroke: PlotStyle.grid)
            svg.line(frame.x - 4, y, frame.x, y, stroke: PlotStyle.ink)
            svg.text(tick.label, x: frame.x - gap - 2, y: y + 4, anchor: .end, fill: PlotStyle.ink)
        }
        if let title {
            let labels = scale.ticks.map { PlotStyle.textWidth($0.label) }.max() ?? 0
            svg.text(title, x: frame.x - labels - gap - 12, y: frame.y + frame.height / 2, anchor: .middle, rotated: true)
        }
    }

    /// Vertical grid lines and the x ticks and labels of `scale` under the frame, then the frame.
    public static func drawX(_ scale: any AxisScale, title: String?, in frame: PlotFrame, on svg: inout SVGDocument) {
        let bottom = frame.y + frame.height
        for tick in scale.ticks {
            let x = frame.px(scale.fraction(tick.value))
            svg.line(x, frame.y, x, bottom, stroke: PlotStyle.grid)
            svg.line(x, bottom, x, bottom + 4, stroke: PlotStyle.ink)
            svg.text(tick.label, x: x, y: bottom + 17, anchor: .middle, fill: PlotStyle.ink)
        }
        if let title { svg.text(title, x: frame.x + frame.width / 2, y: bottom + 36, anchor: .middle) }
    }

    /// The frame's outline (drawn last, over the data's edges).
    public static func drawFrame(_ frame: PlotFrame, on svg: inout SVGDocument) {
        svg.rect(frame.x, frame.y, frame.width, frame.height, fill: "none", stroke: PlotStyle.ink)
    }

    /// The height the x axis needs under the frame: tick labels, and a title when there is one.
    public static func xMargin(title: Bool) -> Double { title ? 46 : 26 }
}
