#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where CSV bytes come from: a file, standard input, or bytes in memory.
///
/// A file descriptor source returns whatever `read(2)` gives, so on a pipe a line is
/// handed on as soon as it arrives, never held back to fill a buffer.
public protocol ByteSource {
    /// The name used in error messages: the path, or `<stdin>`.
    var name: String { get }
    /// Reads up to `buffer.count` bytes; returns 0 at end of input.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Reads a file or standard input through a file descriptor it owns.
public final class FileByteSource: ByteSource {
    /// The path, or `<stdin>` for `-`.
    public let name: String
    private let descriptor: Int32
    private let ownsDescriptor: Bool

    /// Opens `path` for reading, or standard input when `path` is `-`.
    /// - Throws: `DataError.unreadable` naming the path and the system's reason.
    public init(path: String) throws {
        if path == "-" {
            name = "<stdin>"
            descriptor = 0
            ownsDescriptor = false
        } else {
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else {
                throw DataError.unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            var info = stat()
            if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
                close(fd)
                throw DataError.unreadable(path: path, reason: "it is a directory")
            }
            name = path
            descriptor = fd
            ownsDescriptor = true
        }
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    /// Reads what `read(2)` gives, up to `buffer.count` bytes, retrying when a signal interrupts it; 0 at the end.
    /// - Throws: `DataError.unreadable` naming the source and the system's reason.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try retryingInterrupted(name) { Glibc.read(descriptor, buffer.baseAddress, buffer.count) }
    }
}

/// A byte range of a regular file, read with `pread(2)` (so several ranges of one file can be
/// read at once, each through its own source).
final class FileRangeByteSource: ByteSource {
    let name: String
    private let descriptor: Int32
    private var position: Int
    private let end: Int

    /// Reads bytes `start ..< end` of the open file `descriptor` (not closed by this source).
    init(name: String, descriptor: Int32, start: Int, end: Int) {
        self.name = name
        self.descriptor = descriptor
        self.position = start
        self.end = end
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let wanted = min(buffer.count, end - position)
        guard wanted > 0 else { return 0 }
        let n = try retryingInterrupted(name) { pread(descriptor, buffer.baseAddress, wanted, off_t(position)) }
        position += n
        return n
    }
}

/// Runs a read system call again while a signal interrupts it; any other failure is
/// `DataError.unreadable` naming `path` and the system's reason.
private func retryingInterrupted(_ path: String, _ call: () -> Int) throws -> Int {
    while true {
        let n = call()
        if n >= 0 { return n }
        if errno == EINTR { continue }
        throw DataError.unreadable(path: path, reason: String(cString: strerror(errno)))
    }
}

/// Bytes already in memory, handed out in chunks of a fixed size (tests use this to
/// check that chunk boundaries never change what is parsed).
public struct MemoryByteSource: ByteSource {
    /// The name used in error messages (`<memory>` unless given).
    public let name: String
    private let bytes: [UInt8]
    private let chunkSize: Int
    private var position = 0

    /// Hands out `bytes` in chunks of at most `chunkSize`.
    /// - Precondition: `chunkSize > 0`.
    public init(_ bytes: [UInt8], name: String = "<memory>", chunkSize: Int = 1 << 16) {
        precondition(chunkSize > 0, "chunkSize must be positive")
        self.bytes = bytes
        self.name = name
        self.chunkSize = chunkSize
    }

    /// Hands out the UTF-8 bytes of `text` in chunks of at most `chunkSize`.
    public init(_ text: String, name: String = "<memory>", chunkSize: Int = 1 << 16) {
        self.init(Array(text.utf8), name: name, chunkSize: chunkSize)
    }

    /// Copies the next chunk (at most `chunkSize` bytes and `buffer.count`); 0 at the end.
    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, chunkSize, bytes.count - position)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + position, byteCount: n)
        }
        position += n
        return n
    }
}
