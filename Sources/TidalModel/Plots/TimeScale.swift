import Foundation

/// A time axis with ticks at calendar boundaries: whole minutes, hours, days, months, quarters or
/// years, the finest step whose labels fit side by side in the axis length.
///
/// ```swift
/// let x = TimeScale(days: times.compactMap(AxisCalendar.days), length: 640)
/// // airline 1958-01 … 1960-12 → ticks 1958, 1958-07, 1959, … or 1958, 1959, 1960
/// ```
public struct TimeScale: AxisScale {
    /// The first time (days since 1970-01-01).
    public let low: Double
    /// The last time.
    public let high: Double
    /// The ticks at calendar boundaries inside the axis.
    public let ticks: [Tick]

    /// A calendar step: `count` units.
    enum Unit: Equatable { case minute, hour, day, month, year }
    static let steps: [(Unit, Int)] = [
        (.minute, 1), (.minute, 5), (.minute, 15), (.minute, 30), (.hour, 1), (.hour, 3), (.hour, 6), (.hour, 12),
        (.day, 1), (.day, 2), (.day, 7), (.day, 14), (.month, 1), (.month, 3), (.month, 6), (.year, 1), (.year, 2),
        (.year, 5), (.year, 10), (.year, 20), (.year, 50), (.year, 100), (.year, 200), (.year, 500), (.year, 1000),
    ]

    /// An axis from the earliest to the latest of `days`, `length` pixels long.
    /// - Parameter quarterly: label three-month ticks as quarters (`1998Q2`), for quarterly data.
    public init(days: [Double], length: Double, quarterly: Bool = false) {
        var low = days.min() ?? 0, high = days.max() ?? 1
        if low == high {
            low -= 1
            high += 1
        }
        self.low = low
        self.high = high
        var chosen: [Tick] = []
        for (unit, count) in Self.steps {
            guard let ticks = Self.ticks(unit, count, from: low, to: high, quarterly: quarterly) else { continue }
            let widest = ticks.map { PlotStyle.textWidth($0.label) }.max() ?? 0
            chosen = ticks
            if ticks.count <= 1 || Double(ticks.count) * (widest + 18) <= length { break }
        }
        ticks = chosen
    }

    /// Ticks every `count` units from `low` to `high`, aligned on the calendar; nil for more than 40.
    static func ticks(_ unit: Unit, _ count: Int, from low: Double, to high: Double, quarterly: Bool) -> [Tick]? {
        var result: [Tick] = []
        switch unit {
        case .minute, .hour, .day:
            let step = Double(count) * (unit == .minute ? 1.0 / 1440 : unit == .hour ? 1.0 / 24 : 1)
            if (high - low) / step > 40 { return nil }
            // Days align on the week (1970-01-05 was a Monday) for 7 and 14, on the epoch otherwise.
            let offset = unit == .day && count >= 7 ? 4.0 : 0
            var t = ((low - offset) / step - 1e-9).rounded(.up) * step + offset
            while t <= high + 1e-9 {
                result.append(Tick(t, label(t, unit: unit)))
                t += step
            }
        case .month, .year:
            let months = unit == .year ? 12 * count : count
            let start = AxisCalendar.civil(low)
            if (high - low) / (30.4 * Double(months)) > 40 { return nil }
            var index = start.year * 12 + start.month - 1
            index = Int((Double(index) / Double(months)).rounded(.down)) * months
            while true {
                let year = Int((Double(index) / 12).rounded(.down)), month = index - year * 12 + 1
                let t = Double(AxisCalendar.daysFromCivil(year, month, 1))
                if t > high + 1e-9 { break }
                if t >= low - 1e-9 {
                    let text =
                        month == 1 && (unit == .year || !quarterly && count == 12)
                        ? String(year)
                        : quarterly && months % 3 == 0 ? "\(year)Q\((month - 1) / 3 + 1)" : String(format: "%04d-%02d", year, month)
                    result.append(Tick(t, text))
                }
                index += months
            }
        }
        return result.count > 40 ? nil : result
    }

    static func label(_ t: Double, unit: Unit) -> String {
        let c = AxisCalendar.civil(t)
        let date = String(format: "%04d-%02d-%02d", c.year, c.month, c.day)
        if unit == .day { return date }
        let minutes = Int(c.seconds / 60)
        let clock = String(format: "%02d:%02d", minutes / 60, minutes % 60)
        return minutes == 0 ? date : String(format: "%02d-%02d ", c.month, c.day) + clock
    }

    /// Where `value` lies between `low` and `high`.
    public func fraction(_ value: Double) -> Double { (value - low) / (high - low) }
}
