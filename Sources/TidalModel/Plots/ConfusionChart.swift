import Foundation

/// A confusion matrix as a heat map: rows the actual classes, columns the predicted ones, each
/// cell coloured by its share of its row (so rare classes read as clearly as common ones) and
/// labelled with its count, class names on both axes and a colour scale beside the matrix. The
/// cell size fits the longest count, so the figure grows with the number of classes.
public struct ConfusionChart: Sendable {
    /// Counts `[actual][predicted]`.
    public var matrix: [[Int]]
    /// Class names, in the matrix's order.
    public var classes: [String]
    /// The title.
    public var title: String

    /// A chart of `matrix` (square, `classes.count` wide).
    public init(matrix: [[Int]], classes: [String], title: String) {
        self.matrix = matrix
        self.classes = classes
        self.title = title
    }

    /// Names longer than this are cut (with `…`).
    static let nameLimit = 18

    /// The colour of a share in 0 … 1: white to dark blue (the "Blues" ramp).
    static func color(_ share: Double) -> String {
        let stops: [(Double, Double, Double)] = [(247, 251, 255), (198, 219, 239), (107, 174, 214), (33, 113, 181), (8, 48, 107)]
        let t = min(max(share, 0), 1) * Double(stops.count - 1)
        let i = min(Int(t), stops.count - 2), f = t - Double(i)
        let c = (0 ..< 3).map { k -> Int in
            let a = [stops[i].0, stops[i].1, stops[i].2][k], b = [stops[i + 1].0, stops[i + 1].1, stops[i + 1].2][k]
            return Int((a + (b - a) * f).rounded())
        }
        return String(format: "#%02x%02x%02x", c[0], c[1], c[2])
    }

    static func short(_ name: String) -> String { name.count > nameLimit ? String(name.prefix(nameLimit - 1)) + "…" : name }

    /// The chart as an SVG document sized to its classes.
    public func svg() -> SVGDocument {
        let n = max(classes.count, 1)
        let names = classes.map(Self.short)
        let digits = Double(String(matrix.flatMap { $0 }.max() ?? 0).count)
        let cell = max(digits * 8 + 14, n <= 4 ? 64 : n <= 10 ? 44 : 30)
        let nameWidth = names.map { PlotStyle.textWidth($0) }.max() ?? 20
        // Column names stand upright when they fit the cell, else they are turned.
        let turned = nameWidth > cell - 4
        let left = 30 + nameWidth + 10, top = 50 + (turned ? nameWidth + 10 : 26)
        let side = cell * Double(n)
        let note = "cells: count, coloured by share of the actual class"
        let width = max(
            left + side + 100, PlotStyle.textWidth(title, size: PlotStyle.titleSize) + 20, left + PlotStyle.textWidth(note, size: 11) + 10)
        let height = top + side + 40
        var svg = SVGDocument(width: width, height: height)
        svg.text(title, x: width / 2, y: 24, anchor: .middle, size: PlotStyle.titleSize, bold: true)
        svg.text("predicted class", x: left + side / 2, y: 44, anchor: .middle)
        svg.text("actual class", x: 16, y: top + side / 2, anchor: .middle, rotated: true)
        for (j, name) in names.enumerated() {
            let cx = left + cell * (Double(j) + 0.5)
            if turned { svg.text(name, x: cx + 4, y: top - 6, rotated: true) } else { svg.text(name, x: cx, y: top - 8, anchor: .middle) }
            svg.text(name, x: left - 8, y: top + cell * (Double(j) + 0.5) + 4, anchor: .end)
        }
        for i in 0 ..< min(n, matrix.count) {
            let rowTotal = max(1, matrix[i].reduce(0, +))
            for j in 0 ..< min(n, matrix[i].count) {
                let share = Double(matrix[i][j]) / Double(rowTotal)
                let x = left + cell * Double(j), y = top + cell * Double(i)
                svg.rect(x, y, cell, cell, fill: Self.color(share), stroke: i == j ? PlotStyle.ink : "white")
                svg.text(
                    String(matrix[i][j]), x: x + cell / 2, y: y + cell / 2 + 4, anchor: .middle,
                    fill: share > 0.55 ? "white" : PlotStyle.ink)
            }
        }
        drawColorScale(x: left + side + 24, y: top, height: side, on: &svg)
        svg.text(note, x: left, y: top + side + 26, size: 11, fill: "#555555")
        return svg
    }

    /// The colour bar: share of the row from 0 % (bottom) to 100 % (top), with ticks.
    func drawColorScale(x: Double, y: Double, height: Double, on svg: inout SVGDocument) {
        let steps = 20
        for k in 0 ..< steps {
            let share = (Double(k) + 0.5) / Double(steps)
            svg.rect(x, y + height * (1 - Double(k + 1) / Double(steps)), 14, height / Double(steps) + 0.5, fill: Self.color(share))
        }
        svg.rect(x, y, 14, height, fill: "none", stroke: PlotStyle.ink)
        for share in [0.0, 0.5, 1.0] {
            let py = y + height * (1 - share)
            svg.line(x + 14, py, x + 18, py, stroke: PlotStyle.ink)
            svg.text("\(Int(share * 100)) %", x: x + 21, y: py + 4)
        }
    }
}
