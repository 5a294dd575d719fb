/// Small multiples: line charts stacked one above the other, each with its own title and y axis,
/// sharing one legend right of the panels (the first panel's; panels are expected to draw the
/// same kinds of lines).
public struct PanelChart: Sendable {
    /// The figure's title.
    public var title: String
    /// The panels, top to bottom; each one's `title` is written above it.
    public var panels: [LineChart]

    /// A figure of `panels`.
    public init(title: String, panels: [LineChart]) {
        self.title = title
        self.panels = panels
    }

    /// The figure, each panel's data area `plotWidth` × `plotHeight` pixels.
    public func svg(plotWidth: Double = 620, plotHeight: Double = 180) -> SVGDocument {
        let scales = panels.map { $0.yScale(maxTicks: max(3, Int(plotHeight / 40))) }
        let left = zip(panels, scales).map { Axis.yMargin($1.ticks, title: $0.yTitle != nil) }.max() ?? 40
        let legend = panels.first?.legend ?? Legend([])
        let panelHeight = 26 + plotHeight + Axis.xMargin(title: false)
        let width = left + 8 + plotWidth + max(legend.width, 24)
        let lastTitle = panels.last?.xTitle != nil ? Axis.xMargin(title: true) - Axis.xMargin(title: false) : 0
        let height = 40 + panelHeight * Double(panels.count) + lastTitle + 8
        var svg = SVGDocument(width: width, height: height)
        svg.text(title, x: width / 2, y: 24, anchor: .middle, size: PlotStyle.titleSize, bold: true)
        for (k, (panel, scale)) in zip(panels, scales).enumerated() {
            let top = 40 + Double(k) * panelHeight
            let frame = PlotFrame(x: left + 8, y: top + 26, width: plotWidth, height: plotHeight)
            svg.text(panel.title, x: frame.x, y: top + 18, bold: true)
            panel.draw(in: frame, yScale: scale, on: &svg)
        }
        legend.draw(x: left + 8 + plotWidth, y: 66, on: &svg)
        return svg
    }
}
