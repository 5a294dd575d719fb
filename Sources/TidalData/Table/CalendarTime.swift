/// A calendar date or time read from a time column, with its parts and the shape it was written in,
/// so that a time computed from it (`TimeStep`) can be written back the same way.
///
/// The shapes are those `TimeKey` orders: `YYYY`, `YYYYQn`, `YYYY-MM`, `YYYY-MM-DD`,
/// `YYYY-MM-DDTHH:MM[:SS[.fff]]` (also with a space for the `T`), each date-time optionally
/// followed by `Z` or `±HH[:]MM`, which is kept as written.
///
/// ```swift
/// let t = CalendarTime.parse("1960-12")!       // year 1960, month 12, shape .month
/// t.adding(months: 1).text                     // "1961-01"
/// ```
public struct CalendarTime: Sendable, Equatable {
    /// How a time was written.
    public enum Shape: Sendable, Equatable {
        /// `YYYY`.
        case year
        /// `YYYYQn`; the letter as written (`Q` or `q`).
        case quarter(letter: UInt8)
        /// `YYYY-MM`.
        case month
        /// `YYYY-MM-DD`.
        case date
        /// A date and a time of day: the separator (`T` or a space), whether seconds were
        /// written, and the digits of their fraction.
        case dateTime(separator: UInt8, seconds: Bool, fractionDigits: Int)
    }

    /// The year.
    public var year: Int
    /// The month, 1…12 (a quarter's first month for `YYYYQn`).
    public var month: Int
    /// The day of the month, 1…31.
    public var day: Int
    /// Hours, 0…24.
    public var hour = 0
    /// Minutes, 0…59.
    public var minute = 0
    /// Seconds with their fraction, 0 ..< 61.
    public var second = 0.0
    /// The zone suffix as written (`Z`, `+01:00`, or empty).
    public var zone = ""
    /// The zone suffix's offset from UTC in seconds (0 for none or `Z`).
    public var offsetSeconds = 0
    /// How the time was written.
    public var shape: Shape

    /// The parts of `text`, or nil when it is not one of the shapes.
    public static func parse(_ text: String) -> CalendarTime? {
        Array(text.utf8).withUnsafeBufferPointer { parse(bytes: $0) }
    }

    /// The same, reading UTF-8 bytes in place: one pass over them, part after part of the grammar
    /// (long, but read top to bottom).
    public static func parse(bytes b: UnsafeBufferPointer<UInt8>) -> CalendarTime? {
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var v = 0
            for k in 0 ..< n {
                let c = b[i + k]
                guard c >= 0x30, c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            i += n
            return v
        }
        guard b.count >= 4, let year = digits(4) else { return nil }
        var t = CalendarTime(year: year, month: 1, day: 1, shape: .year)
        if i == b.count { return t }
        if b[i] == 0x51 || b[i] == 0x71 {  // Q
            let letter = b[i]
            i += 1
            guard let q = digits(1), (1 ... 4).contains(q), i == b.count else { return nil }
            t.month = (q - 1) * 3 + 1
            t.shape = .quarter(letter: letter)
            return t
        }
        guard b[i] == 0x2D else { return nil }
        i += 1
        guard let m = digits(2), (1 ... 12).contains(m) else { return nil }
        t.month = m
        t.shape = .month
        if i == b.count { return t }
        guard b[i] == 0x2D else { return nil }
        i += 1
        guard let d = digits(2), (1 ... 31).contains(d) else { return nil }
        t.day = d
        t.shape = .date
        if i == b.count { return t }
        guard b[i] == 0x54 || b[i] == 0x20 else { return nil }
        let separator = b[i]
        i += 1
        guard let h = digits(2), h < 25 else { return nil }
        t.hour = h
        guard i < b.count, b[i] == 0x3A else { return nil }
        i += 1
        guard let mi = digits(2), mi < 60 else { return nil }
        t.minute = mi
        var hasSeconds = false, fractionDigits = 0
        if i < b.count, b[i] == 0x3A {
            i += 1
            guard let s = digits(2), s <= 60 else { return nil }
            hasSeconds = true
            t.second = Double(s)
            if i < b.count, b[i] == 0x2E || b[i] == 0x2C {
                i += 1
                var scale = 0.1
                while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                    t.second += Double(b[i] - 0x30) * scale
                    scale /= 10
                    fractionDigits += 1
                    i += 1
                }
                guard fractionDigits > 0 else { return nil }
            }
        }
        t.shape = .dateTime(separator: separator, seconds: hasSeconds, fractionDigits: fractionDigits)
        if i < b.count {
            let zoneStart = i
            if b[i] == 0x5A, i + 1 == b.count {
                i += 1
            } else if b[i] == 0x2B || b[i] == 0x2D {
                let sign = b[i] == 0x2D ? -1 : 1
                i += 1
                guard let oh = digits(2) else { return nil }
                if i < b.count, b[i] == 0x3A { i += 1 }
                guard let om = digits(2), i == b.count else { return nil }
                t.offsetSeconds = sign * (oh * 3600 + om * 60)
            } else {
                return nil
            }
            t.zone = String(decoding: UnsafeBufferPointer(rebasing: b[zoneStart...]), as: UTF8.self)
        }
        return t
    }

    /// Whether the time has a time of day (written as `…THH:MM…`).
    public var hasTimeOfDay: Bool {
        if case .dateTime = shape { return true }
        return false
    }

    /// Months since year 0: `year · 12 + month − 1`.
    public var monthIndex: Int { year * 12 + month - 1 }

    /// Whether the day is its month's last.
    public var isMonthEnd: Bool { day == Self.daysIn(year: year, month: month) }

    /// Seconds since 1970-01-01T00:00 UTC on the proleptic Gregorian calendar (the zone offset subtracted).
    public var seconds: Double {
        Double(Self.days(year: year, month: month, day: day) * 86400 + hour * 3600 + minute * 60 - offsetSeconds) + second
    }

    /// The time `months` calendar months later, in the same shape; a day past the new month's end
    /// becomes its last day, and `toMonthEnd` puts every result on its month's last day.
    public func adding(months: Int, toMonthEnd: Bool = false) -> CalendarTime {
        var t = self
        let index = monthIndex + months
        t.year = index >= 0 ? index / 12 : (index - 11) / 12
        t.month = index - t.year * 12 + 1
        let last = Self.daysIn(year: t.year, month: t.month)
        t.day = toMonthEnd ? last : min(day, last)
        return t
    }

    /// The time `interval` seconds later, in the same shape (a date gains a time of day when the
    /// result falls inside a day); the zone suffix is kept.
    public func adding(seconds interval: Double) -> CalendarTime {
        var t = self
        let local = seconds + Double(offsetSeconds) + interval
        let whole = (local + 1e-6).rounded(.down)
        let dayCount = Int((whole / 86400).rounded(.down))
        let secondOfDay = Int(whole) - dayCount * 86400
        (t.year, t.month, t.day) = Self.civil(days: dayCount)
        t.hour = secondOfDay / 3600
        t.minute = secondOfDay / 60 % 60
        t.second = Double(secondOfDay % 60) + max(0, local - whole)
        if t.second >= 60 { t.second = 59.999_999 }
        if secondOfDay != 0 || t.second != 0, !hasTimeOfDay {
            t.shape = .dateTime(separator: 0x54, seconds: t.second != 0, fractionDigits: 0)
        }
        return t
    }

    /// The time written in its shape.
    public var text: String {
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(abs(v))
            return (v < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - s.count)) + s
        }
        switch shape {
        case .year: return pad(year, 4)
        case let .quarter(letter): return pad(year, 4) + String(UnicodeScalar(letter)) + String((month - 1) / 3 + 1)
        case .month: return pad(year, 4) + "-" + pad(month, 2)
        case .date: return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
        case let .dateTime(separator, hasSeconds, fractionDigits):
            var s = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + String(UnicodeScalar(separator))
            s += pad(hour, 2) + ":" + pad(minute, 2)
            if hasSeconds || second != 0 {
                let whole = Int(second.rounded(.down))
                s += ":" + pad(whole, 2)
                if fractionDigits > 0 {
                    let scale = (0 ..< fractionDigits).reduce(1) { r, _ in r * 10 }
                    let fraction = min(scale - 1, Int(((second - Double(whole)) * Double(scale)).rounded()))
                    s += "." + pad(fraction, fractionDigits)
                }
            }
            return s + zone
        }
    }

    /// Days in a month of the proleptic Gregorian calendar.
    public static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    public static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The date `days` days after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    public static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
