/// The seasonal period a forecast uses when the user gives none (`--season auto`), read from the
/// spacing of the time column.
///
/// | time column | example | frequency | season |
/// |---|---|---|---|
/// | `YYYY-MM` | `1949-01` | monthly | 12 |
/// | `YYYYQn` | `1956Q1` | quarterly | 4 |
/// | dates a week apart | `1958-03-29` | weekly | 52 |
/// | dates a day apart | `2024-01-01` | daily | 7 |
/// | times an hour apart | `2024-01-01T01:00` | hourly | 24 |
/// | times 30 / 15 minutes apart | `…T00:30` | half-hourly / quarter-hourly | 48 / 96 |
/// | dates a month, quarter or year apart | `2024-01-01`, `2024-04-01` | monthly, quarterly, yearly | 12, 4, 1 |
/// | years alone, integers, anything else, no time column | `1871`, `0` | — | 1 |
///
/// The spacing is the median gap between successive rows among the first few hundred, so a
/// missing row or two does not change it.
public enum SeasonInference {
    /// A period and the frequency it came from.
    public struct Result: Sendable, Equatable {
        /// The seasonal period in rows (1: none).
        public var period: Int
        /// `monthly`, `hourly`, …, or why there is no season (`no time column`, `yearly`, …).
        public var frequency: String
    }

    /// Rows read to find the spacing.
    static let sampleRows = 500

    /// The period implied by `times` (nil: the data have no time column).
    public static func infer(_ times: TextColumn?) -> Result {
        guard let times, times.count >= 2 else { return Result(period: 1, frequency: "no time column") }
        let n = min(times.count, sampleRows)
        var shapes: [Shape] = []
        shapes.reserveCapacity(n)
        for i in 0 ..< n {
            guard let shape = times.withBytes(i, Shape.init(bytes:)) else {
                return Result(period: 1, frequency: "time values without a calendar spacing")
            }
            shapes.append(shape)
        }
        switch shapes[0] {
        case .year: return Result(period: 1, frequency: "yearly")
        case .quarter: return Result(period: 4, frequency: "quarterly")
        case .month: return Result(period: 12, frequency: "monthly")
        case .instant: break
        }
        var gaps: [Double] = []
        for i in 1 ..< shapes.count {
            guard case let .instant(a) = shapes[i - 1], case let .instant(b) = shapes[i] else {
                return Result(period: 1, frequency: "mixed time formats")
            }
            if b > a { gaps.append(b - a) }
        }
        guard !gaps.isEmpty else { return Result(period: 1, frequency: "time values without a spacing") }
        gaps.sort()
        return fromGap(seconds: gaps[gaps.count / 2])
    }

    /// The period for rows `seconds` apart.
    static func fromGap(seconds gap: Double) -> Result {
        let minute = 60.0, hour = 3600.0, day = 86400.0
        func near(_ x: Double, _ tolerance: Double = 0.05) -> Bool { abs(gap - x) <= tolerance * x }
        if near(15 * minute) { return Result(period: 96, frequency: "quarter-hourly") }
        if near(30 * minute) { return Result(period: 48, frequency: "half-hourly") }
        if near(hour) { return Result(period: 24, frequency: "hourly") }
        if near(day) { return Result(period: 7, frequency: "daily") }
        if near(7 * day) { return Result(period: 52, frequency: "weekly") }
        if gap >= 28 * day && gap <= 31 * day { return Result(period: 12, frequency: "monthly") }
        if gap >= 89 * day && gap <= 92 * day { return Result(period: 4, frequency: "quarterly") }
        if gap >= 365 * day && gap <= 366 * day { return Result(period: 1, frequency: "yearly") }
        return Result(period: 1, frequency: "rows \(Int(gap.rounded())) s apart, no known season")
    }

    /// What one time value is, to the precision the spacing needs.
    enum Shape {
        /// `YYYY` (a year, or an integer index: neither has a season).
        case year
        /// `YYYYQn`.
        case quarter
        /// `YYYY-MM`.
        case month
        /// A date or date-time, as seconds since 1970 (the offset suffix ignored).
        case instant(Double)

        init?(bytes b: UnsafeBufferPointer<UInt8>) {
            func number(_ start: Int, _ count: Int) -> Int? {
                guard start + count <= b.count else { return nil }
                var v = 0
                for k in start ..< start + count {
                    guard b[k] >= 0x30, b[k] <= 0x39 else { return nil }
                    v = v * 10 + Int(b[k] - 0x30)
                }
                return v
            }
            guard let year = number(0, 4) else { return nil }
            if b.count == 4 { self = .year; return }
            if b.count == 6, b[4] == 0x51 || b[4] == 0x71, number(5, 1) != nil { self = .quarter; return }
            guard b[4] == 0x2D, let month = number(5, 2), (1 ... 12).contains(month) else { return nil }
            if b.count == 7 { self = .month; return }
            guard b.count >= 10, b[7] == 0x2D, let day = number(8, 2), (1 ... 31).contains(day) else { return nil }
            var seconds = Double(Self.days(year: year, month: month, day: day)) * 86400
            if b.count >= 16, b[10] == 0x54 || b[10] == 0x20, let h = number(11, 2), b[13] == 0x3A, let m = number(14, 2) {
                seconds += Double(h * 3600 + m * 60)
                if b.count >= 19, b[16] == 0x3A, let s = number(17, 2) { seconds += Double(s) }
            }
            self = .instant(seconds)
        }

        /// Days from 1970-01-01 to a proleptic Gregorian date (`CalendarTime.days(year:month:day:)`).
        static func days(year: Int, month: Int, day: Int) -> Int { CalendarTime.days(year: year, month: month, day: day) }
    }
}
