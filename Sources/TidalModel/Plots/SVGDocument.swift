import Foundation

/// An SVG document built element by element: the one place that writes SVG syntax.
///
/// Coordinates are pixels from the top left; numbers are written with one decimal. Text is
/// escaped for XML. Every chart of the plotting layer renders into one of these.
///
/// ```swift
/// var svg = SVGDocument(width: 200, height: 100)
/// svg.text("hello", x: 100, y: 50, anchor: .middle)
/// print(svg.finished())
/// ```
public struct SVGDocument: Sendable {
    /// Width in pixels.
    public let width: Double
    /// Height in pixels.
    public let height: Double
    private var body = ""

    /// How a text is placed against its x coordinate.
    public enum Anchor: String, Sendable { case start, middle, end }

    /// An empty white canvas of `width` × `height` pixels.
    public init(width: Double, height: Double) {
        self.width = width.rounded(.up)
        self.height = height.rounded(.up)
        body += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    }

    /// The document's text, ending with `</svg>` and a newline.
    public func finished() -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"DejaVu Sans, Verdana, sans-serif\" "
            + "font-size=\"\(Self.fmt(PlotStyle.fontSize))\">\n" + body + "</svg>\n"
    }

    /// A straight line.
    public mutating func line(
        _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1, dash: String? = nil
    ) {
        body +=
            "<line x1=\"\(Self.fmt(x1))\" y1=\"\(Self.fmt(y1))\" x2=\"\(Self.fmt(x2))\" y2=\"\(Self.fmt(y2))\" "
            + "stroke=\"\(stroke)\" stroke-width=\"\(Self.fmt(width))\"\(dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")/>\n"
    }

    /// A rectangle; `fill` "none" for an outline.
    public mutating func rect(
        _ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, stroke: String? = nil, opacity: Double? = nil
    ) {
        body +=
            "<rect x=\"\(Self.fmt(x))\" y=\"\(Self.fmt(y))\" width=\"\(Self.fmt(w))\" height=\"\(Self.fmt(h))\" fill=\"\(fill)\""
            + (stroke.map { " stroke=\"\($0)\"" } ?? "") + (opacity.map { " fill-opacity=\"\(Self.fmt($0))\"" } ?? "") + "/>\n"
    }

    /// A circle.
    public mutating func circle(_ x: Double, _ y: Double, radius: Double, fill: String) {
        body += "<circle cx=\"\(Self.fmt(x))\" cy=\"\(Self.fmt(y))\" r=\"\(Self.fmt(radius))\" fill=\"\(fill)\"/>\n"
    }

    /// An open polyline through `points` (nothing for fewer than two).
    public mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double, dash: String? = nil, opacity: Double = 1) {
        guard points.count >= 2 else { return }
        body +=
            "<path d=\"\(Self.path(points))\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(Self.fmt(width))\" "
            + "stroke-linejoin=\"round\"\(dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")"
            + (opacity < 1 ? " stroke-opacity=\"\(Self.fmt(opacity))\"" : "") + "/>\n"
    }

    /// A filled closed polygon through `points`.
    public mutating func polygon(_ points: [(Double, Double)], fill: String, opacity: Double) {
        guard points.count >= 3 else { return }
        body += "<path d=\"\(Self.path(points))Z\" fill=\"\(fill)\" fill-opacity=\"\(Self.fmt(opacity))\" stroke=\"none\"/>\n"
    }

    /// A text; `rotated` turns it by −90° about its anchor point (a y axis title).
    public mutating func text(
        _ text: String, x: Double, y: Double, anchor: Anchor = .start, size: Double? = nil, bold: Bool = false,
        fill: String? = nil, rotated: Bool = false
    ) {
        var attributes =
            rotated ? "transform=\"translate(\(Self.fmt(x)) \(Self.fmt(y))) rotate(-90)\"" : "x=\"\(Self.fmt(x))\" y=\"\(Self.fmt(y))\""
        if anchor != .start { attributes += " text-anchor=\"\(anchor.rawValue)\"" }
        if let size { attributes += " font-size=\"\(Self.fmt(size))\"" }
        if bold { attributes += " font-weight=\"bold\"" }
        if let fill { attributes += " fill=\"\(fill)\"" }
        body += "<text \(attributes)>\(Self.escape(text))</text>\n"
    }

    static func path(_ points: [(Double, Double)]) -> String {
        points.enumerated().map { i, p in "\(i == 0 ? "M" : "L")\(fmt(p.0)),\(fmt(p.1))" }.joined(separator: " ")
    }

    static func fmt(_ x: Double) -> String {
        let v = (x * 10).rounded() / 10
        return v == v.rounded() ? String(Int(v)) : String(format: "%.1f", v)
    }

    /// `text` with XML's special characters escaped.
    static func escape(_ text: String) -> String {
        var s = ""
        for c in text {
            switch c {
            case "&": s += "&amp;"
            case "<": s += "&lt;"
            case ">": s += "&gt;"
            case "\"": s += "&quot;"
            default: s.append(c)
            }
        }
        return s
    }
}
