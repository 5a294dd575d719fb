/// A chart's legend, drawn as a column outside the data area (right of the frame), so it never
/// covers a line.
public struct Legend: Sendable {
    /// What an entry's swatch looks like.
    public enum Swatch: Sendable, Equatable {
        /// A line segment, optionally dashed.
        case line(color: String, width: Double, dash: String?)
        /// A filled square (an interval band).
        case area(color: String, opacity: Double)
        /// A dot.
        case dot(color: String)
    }

    /// One entry.
    public struct Entry: Sendable, Equatable {
        /// The text.
        public var name: String
        /// The swatch beside it.
        public var swatch: Swatch

        /// An entry.
        public init(_ name: String, _ swatch: Swatch) {
            self.name = name
            self.swatch = swatch
        }
    }

    /// The entries, top to bottom.
    public var entries: [Entry]

    /// A legend of `entries`.
    public init(_ entries: [Entry]) { self.entries = entries }

    static let rowHeight = 18.0
    static let swatchWidth = 24.0

    /// The width the legend takes beside the frame (0 without entries), gap included.
    public var width: Double {
        guard let widest = entries.map({ PlotStyle.textWidth($0.name) }).max() else { return 0 }
        return 16 + Self.swatchWidth + 6 + widest + 8
    }

    /// The height of the legend's column.
    public var height: Double { Double(entries.count) * Self.rowHeight }

    /// Draws the legend with its top-left corner at (`x`, `y`).
    public func draw(x: Double, y: Double, on svg: inout SVGDocument) {
        let left = x + 16
        for (k, entry) in entries.enumerated() {
            let mid = y + Double(k) * Self.rowHeight + Self.rowHeight / 2
            switch entry.swatch {
            case let .line(color, width, dash):
                svg.line(left, mid, left + Self.swatchWidth, mid, stroke: color, width: width, dash: dash)
            case let .area(color, opacity):
                svg.rect(left, mid - 6, Self.swatchWidth, 12, fill: color, opacity: opacity)
            case let .dot(color):
                svg.circle(left + Self.swatchWidth / 2, mid, radius: 3.5, fill: color)
            }
            svg.text(entry.name, x: left + Self.swatchWidth + 6, y: mid + 4)
        }
    }
}
