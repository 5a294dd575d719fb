import Foundation

/// The constant spacing of a time column, and the times that follow a given one: what labels
/// each forecast step with the time it is for.
///
/// Three kinds of step: calendar months (monthly and quarterly data, also dates on the same day
/// of each month or on each month's last day), a fixed number of seconds (days, hours, minutes,
/// weeks), or a constant difference of plain numbers (`1, 2, 3`, `0.5, 1.0, 1.5`). A column whose
/// rows are not all the same distance apart has no step (`infer` says why).
///
/// ```swift
/// let step = try TimeStep.infer(["1960-10", "1960-11", "1960-12"]).get()   // 1 month
/// step.time(after: "1960-12", steps: 2)                                    // "1961-02"
/// ```
public struct TimeStep: Sendable, Codable, Equatable {
    /// What the step counts.
    public enum Unit: String, Sendable, Codable {
        /// Calendar months.
        case month
        /// Seconds of elapsed time.
        case second
        /// A difference of plain numbers.
        case number
    }

    /// What the step counts.
    public var unit: Unit
    /// Months, seconds, or the numeric difference between successive rows.
    public var amount: Double
    /// Numbers: digits after the decimal point the column was written with (nil: none).
    public var decimals: Int?
    /// Months: every time is on its month's last day (nil: false).
    public var monthEnd: Bool?

    /// A step from its parts.
    public init(unit: Unit, amount: Double, decimals: Int? = nil, monthEnd: Bool? = nil) {
        self.unit = unit
        self.amount = amount
        self.decimals = decimals
        self.monthEnd = monthEnd
    }

    /// Why a column has no step.
    public struct Irregular: Error, Sendable, Equatable, CustomStringConvertible {
        /// `rows 3 and 4 are 2 months apart, rows 1 and 2 1 month`, `"x" is not a time`, …
        public var reason: String
        /// The reason.
        public var description: String { reason }
    }

    /// `1 month`, `1 quarter`, `7 days`, `1 hour`, `15 minutes`, `0.5`.
    public var description: String {
        func count(_ n: Double, _ unit: String) -> String {
            let v = n == n.rounded() ? String(Int(n)) : String(n)
            return "\(v) \(unit)" + (n == 1 ? "" : "s")
        }
        switch unit {
        case .month:
            if amount.truncatingRemainder(dividingBy: 12) == 0 { return count(amount / 12, "year") }
            return amount == 3 ? "1 quarter" : count(amount, "month")
        case .second:
            for (size, name) in [(86400.0, "day"), (3600, "hour"), (60, "minute")]
            where amount.truncatingRemainder(dividingBy: size) == 0 {
                return count(amount / size, name)
            }
            return count(amount, "second")
        case .number: return Self.number(amount, decimals: decimals ?? 0)
        }
    }

    /// The step of `times`, read within each of `segments` (the rows of one series each; all rows
    /// by default): every successive pair of rows in a segment must be one step apart, the same
    /// step in every segment.
    /// - Returns: the step, or why there is none (fewer than two rows in every segment, a value
    ///   that is not a time or number, mixed shapes, rows not evenly spaced).
    public static func infer(_ times: [String], segments: [Range<Int>]? = nil) -> Result<TimeStep, Irregular> {
        let segments = segments ?? [times.indices]
        guard segments.contains(where: { $0.count >= 2 }) else { return .failure(Irregular(reason: "fewer than two rows")) }
        let first = times[segments.first { $0.count >= 2 }!.lowerBound]
        if Self.parseNumber(first) != nil, CalendarTime.parse(first).map({ $0.shape == .year }) ?? true {
            return inferNumbers(times, segments: segments)
        }
        return inferCalendar(times, segments: segments)
    }

    /// The time `steps` steps after `origin`, written as `origin` is (nil when `origin` does not
    /// parse as this step's kind of time).
    public func time(after origin: String, steps: Int) -> String? {
        switch unit {
        case .number:
            guard let v = Self.parseNumber(origin) else { return nil }
            return Self.number(v + Double(steps) * amount, decimals: decimals ?? 0)
        case .month:
            guard let t = CalendarTime.parse(origin), t.shape != .year || amount.truncatingRemainder(dividingBy: 12) == 0 else {
                return nil
            }
            return t.adding(months: steps * Int(amount), toMonthEnd: monthEnd ?? false).text
        case .second:
            guard let t = CalendarTime.parse(origin), t.hasTimeOfDay || t.shape == .date else { return nil }
            return t.adding(seconds: Double(steps) * amount).text
        }
    }

    /// The times 1 … `horizon` steps after `origin` (nil entries where `origin` does not parse).
    public func times(after origin: String, horizon: Int) -> [String?] {
        (1 ... max(1, horizon)).map { time(after: origin, steps: $0) }
    }

    // MARK: inference

    private static func inferNumbers(_ times: [String], segments: [Range<Int>]) -> Result<TimeStep, Irregular> {
        var step: Double?
        var decimals = 0
        for segment in segments {
            var previous: Double?
            for r in segment {
                guard let v = parseNumber(times[r]) else { return .failure(Irregular(reason: "\"\(times[r])\" is not a number")) }
                decimals = max(decimals, times[r].split(separator: ".", omittingEmptySubsequences: false).dropFirst().first?.count ?? 0)
                defer { previous = v }
                guard let previous else { continue }
                let d = v - previous
                guard let s = step else {
                    step = d
                    continue
                }
                // Relative tolerance for decimal fractions that binary doubles round (0.1 + 0.2).
                guard abs(d - s) <= 1e-9 * max(abs(s), abs(v)) else {
                    return .failure(Irregular(reason: "rows with times \"\(times[r - 1])\" and \"\(times[r])\" are not one step apart"))
                }
            }
        }
        guard let step, step > 0 else { return .failure(Irregular(reason: "times do not increase")) }
        return .success(TimeStep(unit: .number, amount: step, decimals: decimals > 0 ? decimals : nil))
    }

    private static func inferCalendar(_ times: [String], segments: [Range<Int>]) -> Result<TimeStep, Irregular> {
        var parsed: [[CalendarTime]] = []
        var shape: CalendarTime.Shape?
        for segment in segments {
            var part: [CalendarTime] = []
            for r in segment {
                guard let t = CalendarTime.parse(times[r]) else { return .failure(Irregular(reason: "\"\(times[r])\" is not a time")) }
                if shape == nil { shape = t.shape }
                guard t.shape == shape else {
                    return .failure(Irregular(reason: "\"\(times[r])\" is written differently from \"\(times[segments[0].lowerBound])\""))
                }
                part.append(t)
            }
            parsed.append(part)
        }
        let all = parsed.joined()
        let first = all.first!
        let sameTimeOfDay = all.allSatisfy { $0.hour == first.hour && $0.minute == first.minute && $0.second == first.second }
        let sameDay = all.allSatisfy { $0.day == first.day }
        let monthEnds = !sameDay && all.allSatisfy(\.isMonthEnd)
        // Months when the day (or month end) and time of day never change; elapsed seconds otherwise.
        if sameTimeOfDay, sameDay || monthEnds, let months = constantDifference(parsed, { Double($0.monthIndex) }), months > 0 {
            let monthly = TimeStep(unit: .month, amount: months, monthEnd: monthEnds ? true : nil)
            // A day or date-time column a month apart; a fixed-length step (e.g. 28 days in February) is not.
            return .success(monthly)
        }
        switch first.shape {
        case .year, .quarter, .month:
            return .failure(Irregular(reason: "months between rows vary"))
        case .date, .dateTime: break
        }
        guard let seconds = constantDifference(parsed, \.seconds), seconds > 0 else {
            return .failure(Irregular(reason: "rows are not evenly spaced"))
        }
        return .success(TimeStep(unit: .second, amount: seconds))
    }

    /// The one difference `key` makes between successive times of every part, or nil (a part of
    /// one row says nothing).
    private static func constantDifference(_ parts: [[CalendarTime]], _ key: (CalendarTime) -> Double) -> Double? {
        var step: Double?
        for part in parts where part.count >= 2 {
            for i in 1 ..< part.count {
                let d = key(part[i]) - key(part[i - 1])
                if let step, abs(d - step) > 1e-6 { return nil }
                step = step ?? d
            }
        }
        return step
    }

    /// A plain number (`12`, `-3`, `0.25`); nil for anything else, exponents included.
    static func parseNumber(_ text: String) -> Double? {
        guard !text.isEmpty, text.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D }) else { return nil }
        return Double(text)
    }

    /// `v` with `decimals` digits after the point (an integer for none).
    static func number(_ v: Double, decimals: Int) -> String {
        decimals == 0 ? String(Int64(v.rounded())) : String(format: "%.\(decimals)f", v)
    }
}
