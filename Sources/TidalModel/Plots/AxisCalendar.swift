import Foundation
import TidalData

/// Calendar positions for time axes: time-column text to a day count, and back to a date (the
/// date arithmetic is `CalendarTime`'s).
///
/// Positions are days since 1970-01-01 (fractions for times of day), so months of different
/// lengths are spaced as they really are. Parsing goes through `TimeKey`, the one reader of time
/// texts (`YYYY`, `YYYY-MM`, `YYYYQn`, `YYYY-MM-DD`, ISO date-times).
public enum AxisCalendar {
    /// A calendar date and a time of day in seconds.
    public struct Civil: Equatable, Sendable {
        /// The year.
        public var year: Int
        /// The month, 1 … 12.
        public var month: Int
        /// The day of the month, 1 … 31.
        public var day: Int
        /// Seconds since midnight.
        public var seconds: Double
    }

    /// Days since 1970-01-01 of a time-column text, or nil when it is not a calendar value.
    public static func days(of text: String) -> Double? {
        guard let (key, kind) = TimeKey.parse(text), kind == .calendar else { return nil }
        // TimeKey's key counts seconds in 31-day months: ((year·12 + month − 1)·31 + day − 1)·86400 + seconds.
        let dayIndex = Foundation.floor(key / 86400)
        let seconds = key - dayIndex * 86400
        let monthIndex = Int(Foundation.floor(dayIndex / 31))
        let day = Int(dayIndex) - monthIndex * 31 + 1
        let year = Int(Foundation.floor(Double(monthIndex) / 12))
        return Double(daysFromCivil(year, monthIndex - year * 12 + 1, 1) + day - 1) + seconds / 86400
    }

    /// Days since 1970-01-01 of a date (proleptic Gregorian; `CalendarTime.days(year:month:day:)`).
    public static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        CalendarTime.days(year: year, month: month, day: day)
    }

    /// The date and time of day `days` after 1970-01-01 (Hinnant's `civil_from_days`).
    public static func civil(_ days: Double) -> Civil {
        let whole = Int(Foundation.floor(days))
        let (year, month, day) = CalendarTime.civil(days: whole)
        let seconds = ((days - Double(whole)) * 86400).rounded()
        return Civil(year: year, month: month, day: day, seconds: seconds)
    }
}
