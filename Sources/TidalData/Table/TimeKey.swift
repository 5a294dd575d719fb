/// Turns time-column text into a number that sorts in time order.
///
/// Understands the ISO-8601 shapes time-series files use — `YYYY`, `YYYY-MM`, `YYYY-MM-DD`,
/// `YYYY-MM-DDTHH:MM[:SS[.fff]]` (also with a space, and a `Z` or `±HH:MM` suffix, which is
/// ignored for ordering) — plus quarters `YYYYQn` and plain numbers. Anything else is a label
/// and gets no ordering check.
public enum TimeKey {
    /// What a time value is: a calendar date or time, or a plain number.
    public enum Kind: Equatable, Sendable { case calendar, number }

    /// The sort key for `text` and what kind of value it is, or nil for a free label.
    public static func parse(_ text: String) -> (key: Double, kind: Kind)? {
        Array(text.utf8).withUnsafeBufferPointer { parse(bytes: $0) }
    }

    /// The same, reading the text's UTF-8 bytes in place.
    public static func parse(bytes: UnsafeBufferPointer<UInt8>) -> (key: Double, kind: Kind)? {
        if let calendar = parseCalendar(bytes) { return (calendar, .calendar) }
        guard bytes.count > 0, bytes.count < 64 else { return nil }
        // NumberParser needs a NUL after the text; copy into a small stack buffer.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bytes.count + 1) { copy -> (Double, Kind)? in
            _ = copy.initialize(from: bytes)
            copy[bytes.count] = 0
            if case let .value(v) = NumberParser.parse(UnsafePointer(copy.baseAddress!), count: bytes.count) { return (v, .number) }
            return nil
        }
    }

    /// The key the time-order checks compare: `parse(bytes:)`, except that a plain integer
    /// (`7`, `1000`, `20240`) is always a number — `parse` reads four digits as a year — so a
    /// column counting 1, 2, … past 999 stays one kind. Years alone (`1949`, `1950`) then order
    /// as numbers, which is the same order.
    public static func orderKey(bytes: UnsafeBufferPointer<UInt8>) -> (key: Double, kind: Kind)? {
        var digits = 0
        for (i, b) in bytes.enumerated() where !(b >= 0x30 && b <= 0x39) && !(i == 0 && b == 0x2D) { return parse(bytes: bytes) }
        for b in bytes where b != 0x2D { digits += 1 }
        guard digits > 0, digits <= 15 else { return parse(bytes: bytes) }
        var v = 0.0
        for b in bytes where b != 0x2D { v = v * 10 + Double(b - 0x30) }
        return (bytes.first == 0x2D ? -v : v, .number)
    }

    static func parseCalendar(_ b: UnsafeBufferPointer<UInt8>) -> Double? {
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
        var month = 1, day = 1, hour = 0, minute = 0
        var second = 0.0
        if i == b.count { return key(year, month, day, hour, minute, second) }
        if b[i] == 0x51 || b[i] == 0x71 {  // Q
            i += 1
            guard let q = digits(1), (1 ... 4).contains(q), i == b.count else { return nil }
            return key(year, (q - 1) * 3 + 1, 1, 0, 0, 0)
        }
        guard b[i] == 0x2D else { return nil }
        i += 1
        guard let m = digits(2), (1 ... 12).contains(m) else { return nil }
        month = m
        if i == b.count { return key(year, month, day, hour, minute, second) }
        guard b[i] == 0x2D else { return nil }
        i += 1
        guard let d = digits(2), (1 ... 31).contains(d) else { return nil }
        day = d
        if i == b.count { return key(year, month, day, hour, minute, second) }
        guard b[i] == 0x54 || b[i] == 0x20 else { return nil }
        i += 1
        guard let h = digits(2), h < 25 else { return nil }
        hour = h
        guard i < b.count, b[i] == 0x3A else { return nil }
        i += 1
        guard let mi = digits(2), mi < 60 else { return nil }
        minute = mi
        if i < b.count, b[i] == 0x3A {
            i += 1
            guard let s = digits(2), s <= 60 else { return nil }
            second = Double(s)
            if i < b.count, b[i] == 0x2E || b[i] == 0x2C {
                i += 1
                var scale = 0.1
                var sawDigit = false
                while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                    second += Double(b[i] - 0x30) * scale
                    scale /= 10
                    sawDigit = true
                    i += 1
                }
                guard sawDigit else { return nil }
            }
        }
        var offsetSeconds = 0.0
        if i < b.count {
            if b[i] == 0x5A, i + 1 == b.count {
                i += 1
            } else if b[i] == 0x2B || b[i] == 0x2D {
                let sign: Double = b[i] == 0x2D ? -1 : 1
                i += 1
                guard let oh = digits(2) else { return nil }
                if i < b.count, b[i] == 0x3A { i += 1 }
                guard let om = digits(2), i == b.count else { return nil }
                offsetSeconds = sign * Double(oh * 3600 + om * 60)
            } else {
                return nil
            }
        }
        return key(year, month, day, hour, minute, second) - offsetSeconds
    }

    private static func key(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Double) -> Double {
        // Not a calendar count of seconds, only an order-preserving one (31-day months).
        Double(((y * 12 + mo - 1) * 31 + d - 1) * 86400 + h * 3600 + mi * 60) + s
    }
}
