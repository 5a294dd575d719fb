/// A column of text stored as one contiguous UTF-8 buffer plus end offsets: no allocation
/// per row, about (length + 8) bytes per value. Reads back as `String`s.
public struct TextColumn: RandomAccessCollection, Sendable, Equatable {
    var bytes: [UInt8] = []
    var ends: [Int] = []

    /// An empty column.
    public init() {}

    /// A column holding `strings` in order.
    public init<S: Sequence>(_ strings: S) where S.Element == String {
        for s in strings { append(s) }
    }

    /// 0.
    public var startIndex: Int { 0 }
    /// The number of values.
    public var endIndex: Int { ends.count }

    /// Value `position`, decoded from UTF-8.
    public subscript(position: Int) -> String {
        withBytes(position) { String(decoding: $0, as: UTF8.self) }
    }

    /// The raw bytes of value `i`.
    public func withBytes<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let start = i == 0 ? 0 : ends[i - 1]
        return try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[start ..< ends[i]])) }
    }

    /// Adds `s` at the end.
    public mutating func append(_ s: String) {
        bytes.append(contentsOf: s.utf8)
        ends.append(bytes.count)
    }

    /// Makes room for `rows` values of about `bytesPerValue` bytes each.
    mutating func reserve(rows: Int, bytesPerValue: Int) {
        ends.reserveCapacity(rows)
        bytes.reserveCapacity(rows * bytesPerValue)
    }

    /// Appends every value of `other`.
    mutating func append(contentsOf other: TextColumn) {
        let shift = bytes.count
        bytes.append(contentsOf: other.bytes)
        ends.append(contentsOf: other.ends.lazy.map { $0 + shift })
    }

    mutating func append(_ buffer: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: buffer)
        ends.append(bytes.count)
    }
}
