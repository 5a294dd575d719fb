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
        guard let t = CalendarTime.parse(bytes: b) else { return nil }
        return key(t.year, t.month, t.day, t.hour, t.minute, t.second) - Double(t.offsetSeconds)
    }

    private static func key(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Double) -> Double {
        // Not a calendar count of seconds, only an order-preserving one (31-day months).
        Double(((y * 12 + mo - 1) * 31 + d - 1) * 86400 + h * 3600 + mi * 60) + s
    }
}
