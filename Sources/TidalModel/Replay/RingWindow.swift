import TidalCore

/// The last `length` rows of `width` values each, oldest first, in one contiguous block.
///
/// Every row is written twice, at slot `i` and at slot `i + length` of a buffer twice the
/// window's size, so the window always reads as `length` consecutive rows starting at the
/// oldest: no shifting on push, no copy on read.
public final class RingWindow<Element: BitwiseCopyable & ExpressibleByIntegerLiteral> {
    /// Rows the window holds when full.
    public let length: Int
    /// Values per row.
    public let width: Int
    private let storage: Buffer<Element>
    /// The slot the next row goes to.
    private var next = 0
    /// Rows held, up to `length`.
    public private(set) var count = 0

    /// An empty window.
    /// - Precondition: `length >= 1`, `width >= 0`.
    public init(length: Int, width: Int) {
        precondition(length >= 1 && width >= 0, "a window holds at least one row")
        self.length = length
        self.width = width
        storage = Buffer(capacity: 2 * length * width)
    }

    /// True once `length` rows have been pushed.
    public var isFull: Bool { count == length }

    /// Appends a row of `width` values, dropping the oldest when full.
    public func push(_ row: UnsafeBufferPointer<Element>) {
        precondition(row.count == width, "a row of \(width) values")
        if let values = row.baseAddress {
            (storage.pointer + next * width).update(from: values, count: width)
            (storage.pointer + (next + length) * width).update(from: values, count: width)
        }
        next = (next + 1) % length
        count = min(count + 1, length)
    }

    /// Calls `body` with the rows held, oldest first (`count × width` values).
    public func withRows<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        let start = isFull ? next : 0
        return try body(UnsafeBufferPointer(start: storage.pointer + start * width, count: count * width))
    }
}
