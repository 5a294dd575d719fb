import TidalCore
#if canImport(Glibc)
import Glibc
#endif

/// One CSV row as libcsv delivered it: its fields as bytes, and where it stands in the input.
///
/// The reader reuses one record's storage for every row, so a consumer that only
/// reads the fields it needs allocates nothing per row.
public struct CSVRecord: Sendable {
    /// 1-based input line on which the row starts.
    public internal(set) var line: Int = 0
    /// Field bytes, each field followed by a NUL so C number parsers can read it in place.
    var bytes: [UInt8] = []
    var starts: [Int] = []
    var lengths: [Int] = []
    /// 1-based line on which each field starts (fields may span lines inside quotes).
    var fieldLines: [Int] = []

    public init() {
        bytes.reserveCapacity(4096)
    }

    /// Builds a record from strings (for tests and for rows made in code).
    public init(fields: [String], line: Int = 1) {
        self.line = line
        for field in fields {
            starts.append(bytes.count)
            lengths.append(field.utf8.count)
            bytes.append(contentsOf: field.utf8)
            bytes.append(0)
            fieldLines.append(line)
        }
    }

    /// The number of fields.
    public var count: Int { starts.count }

    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
        fieldLines.removeAll(keepingCapacity: true)
    }

    /// True for a row that holds nothing but one empty field (a line of spaces).
    public var isBlank: Bool { count == 1 && lengths[0] == 0 }

    /// The field at `index` as text.
    public func string(_ index: Int) -> String {
        bytes.withUnsafeBufferPointer { all in
            String(decoding: UnsafeBufferPointer(rebasing: all[starts[index] ..< starts[index] + lengths[index]]), as: UTF8.self)
        }
    }

    /// All fields as text.
    public var strings: [String] { (0 ..< count).map(string) }

    /// The 1-based line on which field `index` starts.
    public func line(ofField index: Int) -> Int { fieldLines[index] }

    /// Where field `index` stands: its line and its 1-based field number as the column.
    public func location(ofField index: Int, source: String) -> SourceLocation {
        SourceLocation(source: source, line: fieldLines[index], column: index + 1)
    }

    /// Reads field `index` as a number: the value, a missing marker, or not a number.
    ///
    /// Missing: an empty cell, `nan`, `NA`, `N/A` or `null` (any case). Numbers: everything
    /// `strtod` accepts (decimal, scientific, hexadecimal), whole field, finite.
    public func number(_ index: Int) -> NumberCell {
        bytes.withUnsafeBufferPointer { all in
            NumberParser.parse(all.baseAddress! + starts[index], count: lengths[index])
        }
    }
}

/// What a CSV cell holds when a number is expected.
public enum NumberCell: Equatable, Sendable {
    case value(Double)
    case missing
    case invalid
}

/// Number parsing with `strtod`'s exact results.
///
/// Short plain decimals (at most 15 significant digits, exponent within ±22) take
/// Clinger's exact fast path: the digits form an integer below 2^53 and one multiply
/// or divide by an exact power of ten rounds once, exactly as `strtod` does. Anything
/// else goes to `strtod` itself.
public enum NumberParser {
    static let powersOfTen: [Double] = (0 ... 22).map { exponent in
        var p = 1.0
        for _ in 0 ..< exponent { p *= 10 }
        return p
    }

    /// Parses `count` bytes at `start` (which must be followed by a NUL byte).
    public static func parse(_ start: UnsafePointer<UInt8>, count: Int) -> NumberCell {
        if count == 0 { return .missing }
        if count <= 4, isMissingToken(start, count) { return .missing }
        if let fast = fastPath(start, count) { return .value(fast) }
        var end: UnsafeMutablePointer<CChar>? = nil
        let value = start.withMemoryRebound(to: CChar.self, capacity: count + 1) { chars in
            strtod(chars, &end)
        }
        guard let end else { return .invalid }
        var consumed = UnsafeRawPointer(end) - UnsafeRawPointer(start)
        if consumed == 0 { return .invalid }
        while consumed < count, start[consumed] == 0x20 || start[consumed] == 0x09 { consumed += 1 }
        guard consumed == count, value.isFinite else { return .invalid }
        return .value(value)
    }

    static func isMissingToken(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        func lower(_ b: UInt8) -> UInt8 { b | 0x20 }
        switch n {
        case 2: return lower(p[0]) == 0x6E && lower(p[1]) == 0x61 // na
        case 3:
            if lower(p[0]) == 0x6E && lower(p[1]) == 0x61 && lower(p[2]) == 0x6E { return true } // nan
            return lower(p[0]) == 0x6E && p[1] == 0x2F && lower(p[2]) == 0x61 // n/a
        case 4:
            return lower(p[0]) == 0x6E && lower(p[1]) == 0x75 && lower(p[2]) == 0x6C && lower(p[3]) == 0x6C // null
        default: return false
        }
    }

    @inline(__always)
    static func fastPath(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
        var i = 0
        var negative = false
        if p[0] == 0x2D { negative = true; i = 1 } else if p[0] == 0x2B { i = 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var fractionDigits = 0
        var sawDot = false
        var sawDigit = false
        while i < n {
            let c = p[i]
            if c >= 0x30 && c <= 0x39 {
                sawDigit = true
                if mantissa == 0 && c == 0x30 {
                    // leading zeros do not count as significant digits
                } else {
                    digits += 1
                    if digits > 15 { return nil }
                    mantissa = mantissa * 10 + UInt64(c - 0x30)
                }
                if sawDot { fractionDigits += 1 }
            } else if c == 0x2E && !sawDot {
                sawDot = true
            } else {
                break
            }
            i += 1
        }
        guard sawDigit else { return nil }
        var exponent = -fractionDigits
        if i < n {
            guard p[i] == 0x65 || p[i] == 0x45 else { return nil }
            i += 1
            var expNegative = false
            if i < n, p[i] == 0x2D { expNegative = true; i += 1 } else if i < n, p[i] == 0x2B { i += 1 }
            var e = 0
            var expDigits = 0
            while i < n, p[i] >= 0x30, p[i] <= 0x39 {
                e = e * 10 + Int(p[i] - 0x30)
                expDigits += 1
                if e > 10_000 { return nil }
                i += 1
            }
            guard expDigits > 0, i == n else { return nil }
            exponent += expNegative ? -e : e
        }
        var value = Double(mantissa)
        if exponent < 0 {
            guard exponent >= -22 else { return mantissa == 0 ? (negative ? -0.0 : 0.0) : nil }
            value /= powersOfTen[-exponent]
        } else if exponent > 0 {
            guard exponent <= 22 else { return mantissa == 0 ? (negative ? -0.0 : 0.0) : nil }
            value *= powersOfTen[exponent]
        }
        return negative ? -value : value
    }
}
