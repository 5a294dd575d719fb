import TidalData

/// The fuzzer's input as bytes, with typed values read off its front (zeros once it runs dry).
public struct FuzzInput {
    /// Every byte of the input.
    public let bytes: [UInt8]
    /// How many bytes the reads so far have taken.
    public private(set) var position = 0

    /// Copies libFuzzer's buffer.
    public init(_ data: UnsafePointer<UInt8>?, _ count: Int) {
        bytes = count > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: count)) : []
    }

    /// The next byte, or 0 past the end.
    public mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    /// The bytes not read yet.
    public var rest: [UInt8] { Array(bytes[min(position, bytes.count)...]) }
}

/// Bytes in memory handed out in chunks whose sizes cycle through `sizes` (each at least 1):
/// every chunking of the same bytes must parse the same.
public struct ChunkedByteSource: ByteSource {
    /// The name in messages.
    public let name: String
    let bytes: [UInt8]
    let sizes: [Int]
    var position = 0
    var turn = 0

    /// `sizes` empty: as much as the reader asks for.
    public init(_ bytes: [UInt8], sizes: [Int], name: String = "<fuzz>") {
        self.bytes = bytes
        self.sizes = sizes.map { max(1, $0) }
        self.name = name
    }

    /// Copies the next chunk; 0 at the end.
    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let want = sizes.isEmpty ? buffer.count : sizes[turn % sizes.count]
        turn += 1
        let n = min(buffer.count, want, bytes.count - position)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + position, byteCount: n)
        }
        position += n
        return n
    }
}

/// Stops the run with a message libFuzzer records as a crash (an invariant of the code under test broke).
public func fuzzFailure(_ message: String) -> Never {
    fatalError("fuzz invariant: \(message)")
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ body: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// Runs libFuzzer's driver on `body`. SwiftPM links an executable target with `main` aliased to
/// `<module>_main` (so tests can link executables), which keeps libFuzzer's own `main` out; each
/// target therefore defines `<module>_main` with `@_cdecl` and calls this.
public func runFuzzer(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ body: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, body)
}
