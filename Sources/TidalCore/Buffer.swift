/// A growable block of values with a stable address, owned by one object: caches, scratch space
/// and batches that are reused from batch to batch, so the time-step loop never allocates.
///
/// The pointer stays valid until the next `reserve` that grows the buffer, or the buffer's end.
public final class Buffer<Element: BitwiseCopyable & ExpressibleByIntegerLiteral> {
    /// The first value; valid until a `reserve` that grows the buffer.
    public private(set) var pointer: UnsafeMutablePointer<Element>
    /// How many values fit without growing (at least 1).
    public private(set) var capacity: Int

    /// A buffer of `capacity` zeros (at least one).
    public init(capacity: Int = 0) {
        self.capacity = max(capacity, 1)
        pointer = .allocate(capacity: self.capacity)
        pointer.initialize(repeating: 0, count: self.capacity)
    }

    deinit { pointer.deallocate() }

    /// Makes room for `count` values (contents are not kept when it grows) and returns the pointer.
    @inlinable @discardableResult
    public func reserve(_ count: Int) -> UnsafeMutablePointer<Element> {
        if count > capacity { grow(to: count) }
        return pointer
    }

    @usableFromInline
    func grow(to count: Int) {
        pointer.deallocate()
        capacity = max(count, capacity * 2)
        pointer = .allocate(capacity: capacity)
        pointer.initialize(repeating: 0, count: capacity)
    }

    /// Sets the first `count` values to zero.
    @inlinable
    public func zero(_ count: Int) {
        reserve(count).update(repeating: 0, count: count)
    }

    /// The first `count` values, copied out.
    public func array(_ count: Int) -> [Element] {
        precondition(count <= capacity, "only \(capacity) values are held")
        return Array(UnsafeBufferPointer(start: pointer, count: count))
    }
}

/// Float scratch space (the network's caches, batch inputs and targets).
public typealias FloatBuffer = Buffer<Float>
