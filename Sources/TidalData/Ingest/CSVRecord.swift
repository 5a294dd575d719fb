import TidalCore
#if canImport(Glibc)
    import Glibc
#endif

/// The bytes of one row's fields, in raw buffers reused from row to row.
final class RecordStorage {
    /// Field bytes, each field followed by a NUL so C number parsers can read it in place.
    var bytes: UnsafeMutablePointer<UInt8>
    var byteCount = 0
    var byteCapacity: Int
    /// Per field: start offset, length, and the 1-based line it starts on.
    var starts: UnsafeMutablePointer<Int>
    var lengths: UnsafeMutablePointer<Int>
    var lines: UnsafeMutablePointer<Int>
    var count = 0
    var fieldCapacity: Int
    var line = 0

    init(byteCapacity: Int = 4096, fieldCapacity: Int = 64) {
        self.byteCapacity = byteCapacity
        self.fieldCapacity = fieldCapacity
        bytes = .allocate(capacity: byteCapacity)
        starts = .allocate(capacity: fieldCapacity)
        lengths = .allocate(capacity: fieldCapacity)
        lines = .allocate(capacity: fieldCapacity)
    }

    deinit {
        bytes.deallocate(); starts.deallocate(); lengths.deallocate(); lines.deallocate()
    }

    func reset() {
        byteCount = 0
        count = 0
        line = 0
    }

    @inline(__always)
    func append(_ source: UnsafePointer<UInt8>?, _ length: Int, line: Int) {
        if byteCount + length + 1 > byteCapacity {
            let newCapacity = max(byteCapacity * 2, byteCount + length + 1)
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            grown.update(from: bytes, count: byteCount)
            bytes.deallocate()
            bytes = grown
            byteCapacity = newCapacity
        }
        if count == fieldCapacity {
            let newCapacity = fieldCapacity * 2
            func grow(_ p: inout UnsafeMutablePointer<Int>) {
                let g = UnsafeMutablePointer<Int>.allocate(capacity: newCapacity)
                g.update(from: p, count: count)
                p.deallocate()
                p = g
            }
            grow(&starts); grow(&lengths); grow(&lines)
            fieldCapacity = newCapacity
        }
        starts[count] = byteCount
        lengths[count] = length
        lines[count] = line
        if let source, length > 0 { (bytes + byteCount).update(from: source, count: length) }
        byteCount += length
        bytes[byteCount] = 0
        byteCount += 1
        count += 1
    }
}

/// One CSV row as libcsv delivered it: its fields as bytes, and where it stands in the input.
///
/// The reader reuses one record's storage for every row (copy-on-write: a consumer that keeps
/// a record keeps its own copy), so a consumer that only reads the fields it needs allocates
/// nothing per row.
public struct CSVRecord: @unchecked Sendable {
    var storage: RecordStorage

    init(storage: RecordStorage) { self.storage = storage }

    /// An empty record: no fields, line 1.
    public init() { storage = RecordStorage() }

    /// Builds a record from strings (for tests and for rows made in code).
    public init(fields: [String], line: Int = 1) {
        storage = RecordStorage()
        storage.line = line
        for field in fields {
            let utf8 = Array(field.utf8)
            utf8.withUnsafeBufferPointer { storage.append($0.baseAddress, $0.count, line: line) }
        }
    }

    /// 1-based input line on which the row starts.
    public var line: Int { storage.line }

    /// The number of fields.
    public var count: Int { storage.count }

    /// True for a row that holds nothing but one empty field (a line of spaces).
    public var isBlank: Bool { storage.count == 1 && storage.lengths[0] == 0 }

    /// Calls `body` with field `index`'s bytes (no NUL).
    public func withField<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.bytes + storage.starts[index], count: storage.lengths[index]))
    }

    /// The field at `index` as text.
    public func string(_ index: Int) -> String {
        withField(index) { String(decoding: $0, as: UTF8.self) }
    }

    /// All fields as text.
    public var strings: [String] { (0 ..< count).map(string) }

    /// The 1-based line on which field `index` starts.
    public func line(ofField index: Int) -> Int { storage.lines[index] }

    /// Where field `index` stands: its line and its 1-based field number as the column.
    public func location(ofField index: Int, source: String) -> SourceLocation {
        SourceLocation(source: source, line: storage.lines[index], column: index + 1)
    }

    /// Field `index` as a number, or the typed error naming where and what: missing, not a number,
    /// or beyond Float32's range (`1e39` would become infinity).
    public func requireNumber(_ index: Int, source: String, column: String) throws -> Float {
        switch number(index) {
        case let .value(v):
            let value = Float(v)
            if value.isInfinite {
                throw DataError.outOfRange(location(ofField: index, source: source), column: column, text: string(index))
            }
            return value
        case .missing: throw DataError.missingValue(location(ofField: index, source: source), column: column)
        case .invalid: throw DataError.notANumber(location(ofField: index, source: source), column: column, text: string(index))
        }
    }

    /// Reads field `index` as a number: the value, a missing marker, or not a number.
    ///
    /// Missing: an empty cell, `nan`, `NA`, `N/A` or `null` (any case). Numbers: everything
    /// `strtod` accepts (decimal, scientific, hexadecimal), whole field, finite.
    @inline(__always)
    public func number(_ index: Int) -> NumberCell {
        NumberParser.parse(storage.bytes + storage.starts[index], count: storage.lengths[index])
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
    /// 10^0 … 10^22, all exact in Double.
    static let powersOfTen: InlineArray<23, Double> = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// Parses `count` bytes at `start` (which must be followed by a NUL byte).
    public static func parse(_ start: UnsafePointer<UInt8>, count: Int) -> NumberCell {
        if count == 0 { return .missing }
        if let fast = fastPath(start, count) { return .value(fast) }
        if count <= 4, isMissingToken(start, count) { return .missing }
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
        case 2: return lower(p[0]) == 0x6E && lower(p[1]) == 0x61  // na
        case 3:
            if lower(p[0]) == 0x6E && lower(p[1]) == 0x61 && lower(p[2]) == 0x6E { return true }  // nan
            return lower(p[0]) == 0x6E && p[1] == 0x2F && lower(p[2]) == 0x61  // n/a
        case 4:
            return lower(p[0]) == 0x6E && lower(p[1]) == 0x75 && lower(p[2]) == 0x6C && lower(p[3]) == 0x6C  // null
        default: return false
        }
    }

    @inline(__always)
    static func fastPath(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
        var i = 0
        var negative = false
        if p[0] == 0x2D { negative = true; i = 1 } else if p[0] == 0x2B { i = 1 }
        // Digits before and after an optional dot, into one integer (at most 19 digits: no overflow).
        var mantissa: UInt64 = 0
        /// Appends the run of digits at `i` to the mantissa; returns how many there were.
        func takeDigits() -> Int {
            let start = i
            while i < n {
                let d = p[i] &- 0x30
                if d > 9 { break }
                mantissa = mantissa &* 10 &+ UInt64(d)
                i += 1
            }
            return i - start
        }
        var digitCount = takeDigits()
        var fractionDigits = 0
        if i < n, p[i] == 0x2E {
            i += 1
            fractionDigits = takeDigits()
            digitCount += fractionDigits
        }
        // Clinger: an integer below 2^53 is exact in Double, and so is one scaling by 10^≤22.
        guard digitCount > 0, digitCount <= 19, mantissa <= 1 << 53 else { return nil }
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
