import Foundation

/// A base-10 logarithmic axis for positive values that span decades (loss curves, gradient norms).
///
/// Ticks are at 1, 2 and 5 times each power of ten on a short axis, at 1 and 3 times on a longer
/// one, else at powers of ten only (every 2nd, 5th or 10th one on very wide axes), whichever gives
/// at most `maxTicks`. All labels share
/// one format: plain decimals (`0.001`, `0.01`, `0.1`) when every tick lies in 10⁻³ … 10⁵, else
/// powers of ten (`10⁻⁸`, `10⁻⁴`, `10⁰`) throughout.
public struct LogScale: AxisScale {
    /// log10 of the low end.
    public let lowExponent: Double
    /// log10 of the high end.
    public let highExponent: Double
    /// The ticks, inside the axis.
    public let ticks: [Tick]

    /// The smallest value the axis reaches (charts leave a gap for values at or below zero).
    public static let floor = 1e-300

    /// Whether `values` call for a log axis: all finite ones positive and spanning at least
    /// `decades` powers of ten.
    public static func suits(_ values: [Double], decades: Double = 1.5) -> Bool {
        let finite = values.filter(\.isFinite)
        guard let low = finite.min(), let high = finite.max(), low > 0 else { return false }
        return log10(high / low) >= decades
    }

    /// An axis over the finite, positive `values` (others are ignored), at most about `maxTicks` labels.
    public init(covering values: [Double], maxTicks: Int = 8) {
        let positive = values.filter { $0.isFinite && $0 > 0 }
        let low = max(positive.min() ?? 1, Self.floor), high = max(positive.max() ?? 10, low * 10)
        let decades = Foundation.floor(log10(low)) ... Foundation.ceil(log10(high))
        let span = log10(high / low), limit = Double(max(maxTicks, 2))
        let multiples: [Double] = span * 3 <= limit ? [1, 2, 5] : span * 2 <= limit ? [1, 3] : [1]
        var candidates: [Double] = []
        // Decade steps of 1, 2, 5, 10, 20, … decades, the smallest that keeps to the limit.
        let needed = span / (limit - 1)
        let every = multiples.count > 1 ? 1 : [1, 2, 5, 10, 20, 50, 100].first { Double($0) >= needed } ?? 100
        for e in Swift.stride(from: Int(decades.lowerBound), through: Int(decades.upperBound), by: 1) where (e % every + every) % every == 0
        {
            candidates += multiples.map { $0 * pow(10, Double(e)) }
        }
        // The ends: the nearest candidates just outside the data (a tight, round frame).
        let lowEnd = candidates.last { $0 <= low * (1 + 1e-9) } ?? low
        let highEnd = candidates.first { $0 >= high * (1 - 1e-9) } ?? high
        lowExponent = log10(lowEnd)
        highExponent = log10(highEnd)
        ticks = Self.labels(candidates.filter { $0 >= lowEnd * (1 - 1e-9) && $0 <= highEnd * (1 + 1e-9) })
    }

    static func labels(_ values: [Double]) -> [Tick] {
        let plain = values.allSatisfy { $0 >= 1e-3 * (1 - 1e-9) && $0 < 1e5 }
        return values.map { v in
            let exponent = Int(Foundation.floor(log10(v) + 1e-9))
            let mantissa = (v / pow(10, Double(exponent))).rounded()
            if plain { return Tick(v, String(format: "%.\(max(0, -exponent))f", v)) }
            return Tick(v, mantissa == 1 ? NumberLabel.power(exponent) : "\(Int(mantissa))×" + NumberLabel.power(exponent))
        }
    }

    /// Where `value` lies on the axis (values at or below zero at the floor).
    public func fraction(_ value: Double) -> Double {
        (log10(max(value, Self.floor)) - lowExponent) / (highExponent - lowExponent)
    }
}
