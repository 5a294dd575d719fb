import Foundation
import TidalData

/// Calendar arithmetic for time axes: time-column text to a day count, and back to a date.
///
/// Positions are days since 1970-01-01 (fractions for times of day), so months of different
/// lengths are spaced as they really are. Parsing goes through `TimeKey`, the one reader of time
/// texts (`YYYY`, `YYYY-MM`, `YYYYQn`, `YYYY-MM-DD`, ISO date-times).
public enum CalendarTime {
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

    /// Days since 1970-01-01 of a date (H. Hinnant's `days_from_civil`, proleptic Gregorian).
    public static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The date and time of day `days` after 1970-01-01 (Hinnant's `civil_from_days`).
    public static func civil(_ days: Double) -> Civil {
        let whole = Int(Foundation.floor(days))
        let z = whole + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let seconds = ((days - Double(whole)) * 86400).rounded()
        return Civil(year: yoe + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day, seconds: seconds)
    }
}
