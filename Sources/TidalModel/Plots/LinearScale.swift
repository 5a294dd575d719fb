import Foundation

/// A labelled position on an axis.
public struct Tick: Sendable, Equatable {
    /// The data value.
    public var value: Double
    /// The text under or beside the tick.
    public var label: String

    /// A tick at `value` labelled `label`.
    public init(_ value: Double, _ label: String) {
        self.value = value
        self.label = label
    }
}

/// Maps data values onto an axis and says where its ticks go.
public protocol AxisScale: Sendable {
    /// Where `value` lies along the axis: 0 at the low end, 1 at the high end.
    func fraction(_ value: Double) -> Double
    /// The ticks, in increasing order, all within the axis.
    var ticks: [Tick] { get }
}

/// A linear axis with ticks at round values, steps of 1, 2 or 5 times a power of ten, every
/// label written with the same number of decimals (`0.5`, `1.0`, `1.5`; never `1` beside `1.5`).
///
/// ```swift
/// let y = LinearScale(covering: [3.2, 17.9], maxTicks: 6)   // ticks 0, 5, 10, 15, 20
/// ```
public struct LinearScale: AxisScale {
    /// The low end of the axis.
    public let low: Double
    /// The high end of the axis.
    public let high: Double
    /// The ticks, inside `low ... high`.
    public let ticks: [Tick]

    /// An axis over the finite `values`.
    /// - Parameters:
    ///   - values: the data; non-finite values are ignored (no finite value: the axis 0 … 1).
    ///   - maxTicks: at most this many ticks.
    ///   - nice: whether the ends extend outward to the nearest ticks (a y axis); otherwise the
    ///     axis spans the data exactly and ticks fall inside it (an x axis of epochs).
    ///   - integers: ticks only at whole numbers (epochs, steps, rows).
    public init(covering values: [Double], maxTicks: Int = 7, nice: Bool = true, integers: Bool = false) {
        let finite = values.filter(\.isFinite)
        var low = finite.min() ?? 0, high = finite.max() ?? 1
        if low == high {
            let pad = low == 0 ? 1 : abs(low) * 0.1
            low -= pad
            high += pad
        }
        var step = Self.step(low, high, maxTicks: maxTicks, nice: nice)
        if integers { step = max(step, 1) }
        if nice {
            low = (low / step).rounded(.down) * step
            high = (high / step).rounded(.up) * step
        }
        self.low = low
        self.high = high
        let first = (low / step - 1e-9).rounded(.up), last = (high / step + 1e-9).rounded(.down)
        let values = first <= last ? stride(from: first, through: last, by: 1).map { $0 * step } : []
        ticks = Self.labels(values, step: step)
    }

    /// The smallest 1-2-5 step that puts at most `maxTicks` ticks on `low … high` (extended to
    /// the ticks around it when `nice`).
    static func step(_ low: Double, _ high: Double, maxTicks: Int, nice: Bool) -> Double {
        let limit = max(maxTicks, 2)
        var power = pow(10, floor(log10((high - low) / Double(limit))))
        while true {
            for m in [1.0, 2, 5] {
                let step = m * power
                let first = nice ? (low / step).rounded(.down) : (low / step - 1e-9).rounded(.up)
                let last = nice ? (high / step).rounded(.up) : (high / step + 1e-9).rounded(.down)
                if Int(last - first) + 1 <= limit && (nice || last > first) { return step }
            }
            power *= 10
        }
    }

    /// Labels for `values` spaced `step` apart, in one format: fixed decimals enough for the step,
    /// or, for very large or very small magnitudes, scientific notation with one mantissa precision.
    static func labels(_ values: [Double], step: Double) -> [Tick] {
        let magnitude = values.map(abs).max() ?? 0
        let stepExponent = Int(floor(log10(step) + 1e-9))
        if magnitude >= 1e6 || magnitude < 1e-4 && magnitude > 0 {
            let digits = max(0, Int(floor(log10(magnitude))) - stepExponent)
            return values.map { Tick($0, NumberLabel.scientific(abs($0) < step * 1e-6 ? 0 : $0, digits: digits)) }
        }
        let decimals = max(0, -stepExponent)
        return values.map { v in
            let text = String(format: "%.\(decimals)f", abs(v) < step * 1e-6 ? 0 : v)
            return Tick(v, text == "-0" ? "0" : text)
        }
    }

    /// Where `value` lies between `low` and `high`.
    public func fraction(_ value: Double) -> Double { (value - low) / (high - low) }
}

/// Number formats shared by the axes.
enum NumberLabel {
    static let superscripts: [Character: Character] = [
        "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹", "-": "⁻",
    ]

    /// `10⁻⁴`: a power of ten with a superscript exponent.
    static func power(_ exponent: Int) -> String { "10" + String(String(exponent).map { superscripts[$0] ?? $0 }) }

    /// `2.5×10⁶` (`10⁶` for a mantissa of 1), the mantissa with `digits` decimals.
    static func scientific(_ value: Double, digits: Int) -> String {
        guard value != 0 else { return "0" }
        var exponent = Int(floor(log10(abs(value))))
        var mantissa = value / pow(10, Double(exponent))
        if abs((mantissa * pow(10, Double(digits))).rounded()) >= 10 * pow(10, Double(digits)) {
            exponent += 1
            mantissa /= 10
        }
        let m = String(format: "%.\(digits)f", mantissa)
        return m == "1" ? power(exponent) : m == "-1" ? "-" + power(exponent) : m + "×" + power(exponent)
    }
}
