internal import CZstd

/// A zstd failure, with zstd's own error name.
public struct ZstdError: Error, CustomStringConvertible, Equatable {
    /// zstd's error code (`ZSTD_getErrorCode`), or -1 when no context could be made.
    public var code: Int
    /// zstd's name for the error (`ZSTD_getErrorName`).
    public var name: String
    /// `zstd: <name>`.
    public var description: String { "zstd: \(name)" }
}

/// Every zstd return code passes through here: an error code becomes a `ZstdError`.
@discardableResult
func zstdChecked(_ result: Int) throws -> Int {
    if ZSTD_isError(result) != 0 {
        throw ZstdError(code: Int(ZSTD_getErrorCode(result).rawValue), name: String(cString: ZSTD_getErrorName(result)))
    }
    return result
}

/// Owns one zstd compression context.
final class ZstdCompressor {
    private let context: OpaquePointer

    init(level: Int32 = 19) throws {
        guard let context = ZSTD_createCCtx() else { throw ZstdError(code: -1, name: "out of memory") }
        self.context = context
        try zstdChecked(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level))
        // zstd's content checksum (XXH64, low 32 bits) guards the payload.
        try zstdChecked(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1))
    }

    deinit { ZSTD_freeCCtx(context) }

    func compress(_ input: [UInt8]) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
        let written = try input.withUnsafeBytes { src in
            try output.withUnsafeMutableBytes { dst in
                try zstdChecked(ZSTD_compress2(context, dst.baseAddress, dst.count, src.baseAddress, src.count))
            }
        }
        output.removeSubrange(written...)
        return output
    }
}

/// Owns one zstd decompression context.
final class ZstdDecompressor {
    private let context: OpaquePointer

    init() throws {
        guard let context = ZSTD_createDCtx() else { throw ZstdError(code: -1, name: "out of memory") }
        self.context = context
    }

    deinit { ZSTD_freeDCtx(context) }

    /// The content size a frame's header declares, or nil when it declares none.
    /// - Throws: `ZstdError` when the bytes do not start a zstd frame.
    func contentSize(_ input: ArraySlice<UInt8>) throws -> Int? {
        let size = input.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        if size == ZSTD_CONTENTSIZE_ERROR { throw ZstdError(code: -3, name: "not a zstd frame") }
        if size == ZSTD_CONTENTSIZE_UNKNOWN || size > UInt64(Int.max) { return nil }
        return Int(size)
    }

    /// Decompresses one frame that must expand to exactly `expectedSize` bytes.
    func decompress(_ input: ArraySlice<UInt8>, expectedSize: Int) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: max(expectedSize, 1))
        let written = try input.withUnsafeBytes { src in
            try output.withUnsafeMutableBytes { dst in
                try zstdChecked(ZSTD_decompressDCtx(context, dst.baseAddress, expectedSize, src.baseAddress, src.count))
            }
        }
        guard written == expectedSize else {
            throw ZstdError(code: -2, name: "payload is \(written) bytes, the header says \(expectedSize)")
        }
        output.removeSubrange(expectedSize...)
        return output
    }
}
