/// The look every chart shares: font sizes, colours, margins, and a text width estimate for layout.
public enum PlotStyle {
    /// Tick labels and legend text.
    public static let fontSize = 12.0
    /// Chart titles.
    public static let titleSize = 15.0
    /// Line colours in order of use (colour-blind-safe "tab10" subset).
    public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
    /// The colour of history and other context lines.
    public static let grey = "#9a9a9a"
    /// Grid lines.
    public static let grid = "#e6e6e6"
    /// Axis lines, ticks and text.
    public static let ink = "#222222"

    /// The colour of the `index`-th line.
    public static func color(_ index: Int) -> String { palette[index % palette.count] }

    /// An upper estimate of the width of `text` in pixels at `size` (DejaVu Sans averages about 0.6 em
    /// per character; digits and capitals are near that, so labels are not underestimated).
    public static func textWidth(_ text: String, size: Double = fontSize) -> Double {
        Double(text.count) * size * 0.62
    }
}
