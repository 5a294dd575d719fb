import TidalCore
import Foundation
import TidalData
import TidalNet

/// Why a model file was refused. One line each, naming the file and what to do.
public enum ModelFileError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case notAModel(path: String)
    case newerVersion(path: String, found: Int, supported: Int)
    case truncated(path: String, expected: Int, found: Int)
    case damaged(path: String, reason: String)
    case inconsistent(path: String, reason: String)
    case unwritable(path: String, reason: String)

    /// The message, one line: the file, what is wrong, and what to do.
    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "\(path): cannot read the model file: \(reason)"
        case let .notAModel(path): return "\(path): not a Tidal model file (wrong magic bytes); give a file written by `tidal train --out`"
        case let .newerVersion(path, found, supported):
            return "\(path): model file format version \(found) is newer than this tidal reads (up to version \(supported)); upgrade tidal"
        case let .truncated(path, expected, found): return "\(path): model file is truncated: \(found) bytes, expected \(expected); copy it again"
        case let .damaged(path, reason): return "\(path): model file is damaged (\(reason)); copy it again or retrain"
        case let .inconsistent(path, reason): return "\(path): model file is inconsistent: \(reason)"
        case let .unwritable(path, reason): return "\(path): cannot write the model file: \(reason)"
        }
    }
}

/// The `.tidal` model file: a 32-byte header, then one zstd frame.
///
/// ```
/// offset size  field
///  0      8    magic "TIDALMDL"
///  8      2    format version, u16 little-endian (this tidal writes 1)
/// 10      2    flags, u16 (0)
/// 12      8    payload size before compression, u64 LE
/// 20      8    compressed size, u64 LE
/// 28      4    CRC-32 (IEEE) of bytes 0..<28, u32 LE
/// 32      …    zstd frame with zstd's content checksum; the file ends with it
/// ```
/// The payload is a u32 LE length, that many bytes of UTF-8 JSON (architecture, schema,
/// scaling, metadata, and a tensor directory with each weight's name, shape and byte offset),
/// then every weight as Float32 little-endian. `Docs/model-format.md` documents it in full.
public enum ModelFile {
    /// The file's first 8 bytes, `TIDALMDL`.
    public static let magic: [UInt8] = Array("TIDALMDL".utf8)
    /// The format version this build writes; it reads files of this version and older.
    public static let formatVersion = 1
    static let headerSize = 32

    /// The JSON description. The schema is stored as `task` plus one of `forecast`, `samples`
    /// (whole samples, or series windows with layout `window`) and `text`.
    struct Document: Codable {
        var format: Int
        var task: TaskKind
        var architecture: ModelArchitecture
        var forecast: ForecastSpec?
        var samples: SampleSpec?
        var windows: SeriesWindowSpec?
        var text: TextSpec?
        var metadata: TrainingMetadata
        var tensors: [TensorEntry]

        enum CodingKeys: String, CodingKey { case format, task, architecture, forecast, samples, text, metadata, tensors }

        init(format: Int, model: TrainedModel, tensors: [TensorEntry]) {
            self.format = format
            task = model.task
            architecture = model.architecture
            metadata = model.metadata
            self.tensors = tensors
            switch model.schema {
            case let .forecast(spec): forecast = spec
            case let .samples(spec): samples = spec
            case let .windows(spec): windows = spec
            case let .text(spec): text = spec
            }
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            format = try c.decode(Int.self, forKey: .format)
            task = try c.decode(TaskKind.self, forKey: .task)
            architecture = try c.decode(ModelArchitecture.self, forKey: .architecture)
            forecast = try c.decodeIfPresent(ForecastSpec.self, forKey: .forecast)
            samples = try c.decodeIfPresent(SampleSpec.self, forKey: .samples)
            if samples?.layout == .window {
                windows = try c.decode(SeriesWindowSpec.self, forKey: .samples)
                samples = nil
            }
            text = try c.decodeIfPresent(TextSpec.self, forKey: .text)
            metadata = try c.decode(TrainingMetadata.self, forKey: .metadata)
            tensors = try c.decode([TensorEntry].self, forKey: .tensors)
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(format, forKey: .format)
            try c.encode(task, forKey: .task)
            try c.encode(architecture, forKey: .architecture)
            try c.encodeIfPresent(forecast, forKey: .forecast)
            try c.encodeIfPresent(samples, forKey: .samples)
            try c.encodeIfPresent(windows, forKey: .samples)
            try c.encodeIfPresent(text, forKey: .text)
            try c.encode(metadata, forKey: .metadata)
            try c.encode(tensors, forKey: .tensors)
        }

        /// The schema the description holds: exactly one spec, of the task's kind.
        var schema: TaskSchema? {
            let specs: [TaskSchema] = [forecast.map(TaskSchema.forecast), samples.map(TaskSchema.samples),
                                       windows.map(TaskSchema.windows), text.map(TaskSchema.text)].compactMap { $0 }
            guard specs.count == 1, let schema = specs.first, schema.task == task else { return nil }
            return schema
        }
    }

    struct TensorEntry: Codable {
        var name: String
        var shape: [Int]
        var offset: Int
    }

    /// The file's bytes.
    public static func encode(_ model: TrainedModel) throws -> [UInt8] {
        var offset = 0
        var entries: [TensorEntry] = []
        for t in model.weights {
            entries.append(TensorEntry(name: t.name, shape: t.shape, offset: offset))
            offset += t.values.count * 4
        }
        let document = Document(format: formatVersion, model: model, tensors: entries)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = Array(try encoder.encode(document))
        var payload: [UInt8] = []
        payload.reserveCapacity(4 + json.count + offset)
        appendLE(UInt32(json.count), to: &payload)
        payload += json
        for t in model.weights { for v in t.values { appendLE(v.bitPattern, to: &payload) } }
        let compressed = try ZstdCompressor().compress(payload)
        var header = magic
        appendLE(UInt16(formatVersion), to: &header)
        appendLE(UInt16(0), to: &header)
        appendLE(UInt64(payload.count), to: &header)
        appendLE(UInt64(compressed.count), to: &header)
        appendLE(CRC32.checksum(header), to: &header)
        return header + compressed
    }

    /// Parses and checks a model file's bytes. `path` is only used in messages.
    public static func decode(_ bytes: [UInt8], path: String) throws -> TrainedModel {
        try decodeWithSizes(bytes, path: path).model
    }

    /// Decodes, also returning the compressed and uncompressed payload sizes.
    public static func decodeWithSizes(_ bytes: [UInt8], path: String) throws -> (model: TrainedModel, compressed: Int, uncompressed: Int) {
        guard bytes.count >= magic.count, Array(bytes[0 ..< 8]) == magic else {
            if bytes.count < magic.count, bytes == Array(magic.prefix(bytes.count)), !bytes.isEmpty {
                throw ModelFileError.truncated(path: path, expected: headerSize, found: bytes.count)
            }
            throw ModelFileError.notAModel(path: path)
        }
        guard bytes.count >= 10 else { throw ModelFileError.truncated(path: path, expected: headerSize, found: bytes.count) }
        let version = Int(readLE(bytes, 8, as: UInt16.self))
        if version > formatVersion { throw ModelFileError.newerVersion(path: path, found: version, supported: formatVersion) }
        guard bytes.count >= headerSize else { throw ModelFileError.truncated(path: path, expected: headerSize, found: bytes.count) }
        guard CRC32.checksum(bytes[0 ..< 28]) == readLE(bytes, 28, as: UInt32.self) else {
            throw ModelFileError.damaged(path: path, reason: "header checksum mismatch")
        }
        guard version >= 1 else { throw ModelFileError.damaged(path: path, reason: "format version 0") }
        let payloadSize = Int(clamping: readLE(bytes, 12, as: UInt64.self))
        let compressedSize = Int(clamping: readLE(bytes, 20, as: UInt64.self))
        let expected = headerSize + compressedSize
        if bytes.count < expected { throw ModelFileError.truncated(path: path, expected: expected, found: bytes.count) }
        if bytes.count > expected { throw ModelFileError.damaged(path: path, reason: "\(bytes.count - expected) unexpected bytes after the payload") }
        guard payloadSize < 1 << 34 else { throw ModelFileError.damaged(path: path, reason: "implausible payload size") }
        let payload: [UInt8]
        do {
            payload = try ZstdDecompressor().decompress(bytes[headerSize ..< expected], expectedSize: payloadSize)
        } catch let error as ZstdError {
            throw ModelFileError.damaged(path: path, reason: "payload does not decompress: \(error.name)")
        }
        guard payload.count >= 4 else { throw ModelFileError.damaged(path: path, reason: "empty payload") }
        let jsonLength = Int(readLE(payload, 0, as: UInt32.self))
        guard 4 + jsonLength <= payload.count else { throw ModelFileError.inconsistent(path: path, reason: "description runs past the payload") }
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: Data(payload[4 ..< 4 + jsonLength]))
        } catch {
            throw ModelFileError.inconsistent(path: path, reason: "the description does not parse: \(error)")
        }
        let tensorBase = 4 + jsonLength
        let tensorBytes = payload.count - tensorBase
        // The schema must fit the architecture before any network is made from it.
        guard let schema = document.schema else {
            throw ModelFileError.inconsistent(path: path, reason: "the description holds no schema, several, or one of another task than \(document.task.rawValue)")
        }
        if let reason = schema.mismatch(with: document.architecture) { throw ModelFileError.inconsistent(path: path, reason: reason) }
        // Every tensor the architecture needs, in its shape, inside the payload.
        let expectedShapes = SequenceModel(document.architecture, seed: 0).parameters.map { ($0.name, $0.shape) }
        let byName = Dictionary(document.tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        guard byName.count == document.tensors.count else { throw ModelFileError.inconsistent(path: path, reason: "a tensor name appears twice") }
        guard document.tensors.count == expectedShapes.count else {
            throw ModelFileError.inconsistent(path: path, reason: "\(document.tensors.count) tensors, the architecture has \(expectedShapes.count)")
        }
        var weights: [NamedTensor] = []
        var used = 0
        for (name, shape) in expectedShapes {
            guard let entry = byName[name] else { throw ModelFileError.inconsistent(path: path, reason: "no tensor \(name)") }
            guard entry.shape == shape else {
                throw ModelFileError.inconsistent(path: path, reason: "\(name) has shape \(entry.shape), the architecture needs \(shape)")
            }
            let count = shape.reduce(1, *)
            guard entry.offset >= 0, entry.offset % 4 == 0, entry.offset + 4 * count <= tensorBytes else {
                throw ModelFileError.inconsistent(path: path, reason: "\(name) lies outside the payload")
            }
            var values = [Float](repeating: 0, count: count)
            for i in 0 ..< count {
                values[i] = Float(bitPattern: readLE(payload, tensorBase + entry.offset + 4 * i, as: UInt32.self))
            }
            guard values.allSatisfy(\.isFinite) else { throw ModelFileError.inconsistent(path: path, reason: "\(name) holds NaN or infinite values") }
            weights.append(NamedTensor(name: name, shape: shape, values: values))
            used += 4 * count
        }
        guard used == tensorBytes else { throw ModelFileError.inconsistent(path: path, reason: "\(tensorBytes - used) bytes of weights no tensor claims") }
        let model = TrainedModel(schema: schema, architecture: document.architecture, weights: weights, metadata: document.metadata)
        return (model, bytes.count - headerSize, payload.count)
    }

    /// Reads and checks a model file.
    public static func read(_ path: String) throws -> TrainedModel {
        try decode(readBytes(path), path: path)
    }

    /// A model file's bytes.
    public static func readBytes(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "permission denied or not a file" : "no such file"
            throw ModelFileError.unreadable(path: path, reason: reason)
        }
        return Array(data)
    }

    /// Writes atomically: a temporary file in the same directory, `fsync`, `rename`, `fsync` of
    /// the directory. A crash at any point leaves either the old file or the new one, whole.
    public static func write(_ model: TrainedModel, to path: String) throws {
        try AtomicFile.write(try encode(model), to: path)
    }

    static func appendLE<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    static func readLE<T: FixedWidthInteger>(_ bytes: [UInt8], _ offset: Int, as: T.Type) -> T {
        var value: T = 0
        for k in 0 ..< MemoryLayout<T>.size { value |= T(bytes[offset + k]) << (8 * k) }
        return value
    }
}

/// Crash-safe file replacement.
public enum AtomicFile {
    /// Replaces `path` with `bytes`: a temporary file in the same directory, `fsync`, `rename`, `fsync` of the directory.
    /// - Throws: `ModelFileError.unwritable` with the system's reason; the old file, if any, is left whole.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/.\(url.lastPathComponent).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw ModelFileError.unwritable(path: path, reason: String(cString: strerror(errno))) }
        var ok = true
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 { if errno == EINTR { continue }; ok = false; break }
                done += n
            }
        }
        let reason = String(cString: strerror(errno))
        if !ok || fsync(fd) != 0 {
            close(fd)
            unlink(temporary)
            throw ModelFileError.unwritable(path: path, reason: reason)
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw ModelFileError.unwritable(path: path, reason: reason)
        }
        let dfd = open(directory.isEmpty ? "." : directory, O_RDONLY)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }
}
