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
        case let .truncated(path, expected, found):
            return "\(path): model file is truncated: \(found) bytes, expected \(expected); copy it again"
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
    /// The newest format version this build writes; it reads files of this version and older.
    /// Version 2 adds a forecaster's series column (many series), interval calibration and
    /// quantile levels (a quantile head); a model using none is written as version 1, which older builds read.
    public static let formatVersion = 2

    /// The version `model` is written as: the oldest that holds everything it uses.
    public static func version(of model: TrainedModel) -> Int {
        if model.architecture.quantiles > 0 { return 2 }
        if case let .forecast(spec) = model.schema, spec.seriesColumn != nil || spec.calibration != nil || !spec.quantiles.isEmpty {
            return 2
        }
        return 1
    }
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
        /// Ensemble members (absent: 1).
        var members: Int

        enum CodingKeys: String, CodingKey { case format, task, architecture, forecast, samples, text, metadata, tensors, members }

        init(format: Int, model: TrainedModel, tensors: [TensorEntry]) {
            self.format = format
            task = model.task
            architecture = model.architecture
            metadata = model.metadata
            self.tensors = tensors
            members = model.members
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
            members = try c.decodeIfPresent(Int.self, forKey: .members) ?? 1
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
            if members != 1 { try c.encode(members, forKey: .members) }
        }

        /// The schema the description holds: exactly one spec, of the task's kind.
        var schema: TaskSchema? {
            let specs: [TaskSchema] = [
                forecast.map(TaskSchema.forecast), samples.map(TaskSchema.samples),
                windows.map(TaskSchema.windows), text.map(TaskSchema.text),
            ].compactMap { $0 }
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
        let version = version(of: model)
        let document = Document(format: version, model: model, tensors: entries)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var weights: [UInt8] = []
        weights.reserveCapacity(offset)
        for t in model.weights { for v in t.values { appendLE(v.bitPattern, to: &weights) } }
        return try pack(description: Array(try encoder.encode(document)), weights: weights, version: version)
    }

    /// A file's bytes from its JSON description and weight bytes: payload, zstd frame, header.
    static func pack(description json: [UInt8], weights: [UInt8], version: Int = 1) throws -> [UInt8] {
        var payload: [UInt8] = []
        payload.reserveCapacity(4 + json.count + weights.count)
        appendLE(UInt32(json.count), to: &payload)
        payload += json
        payload += weights
        let compressed = try ZstdCompressor().compress(payload)
        var header = magic
        appendLE(UInt16(version), to: &header)
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

    /// What the 32-byte header says, checked against the file's size.
    struct Header {
        var version: Int
        var payloadSize: Int
        var compressedSize: Int

        /// Checks magic, version, CRC, flags and sizes; `prefix` holds at least the file's first
        /// bytes (all of them when the file is shorter than the header).
        init(_ prefix: [UInt8], fileSize: Int, path: String) throws {
            guard prefix.count >= magic.count, Array(prefix[0 ..< 8]) == magic else {
                if prefix.count < magic.count, prefix == Array(magic.prefix(prefix.count)), !prefix.isEmpty {
                    throw ModelFileError.truncated(path: path, expected: headerSize, found: fileSize)
                }
                throw ModelFileError.notAModel(path: path)
            }
            guard prefix.count >= 10 else { throw ModelFileError.truncated(path: path, expected: headerSize, found: fileSize) }
            version = Int(readLE(prefix, 8, as: UInt16.self))
            if version > formatVersion { throw ModelFileError.newerVersion(path: path, found: version, supported: formatVersion) }
            guard prefix.count >= headerSize else { throw ModelFileError.truncated(path: path, expected: headerSize, found: fileSize) }
            guard CRC32.checksum(prefix[0 ..< 28]) == readLE(prefix, 28, as: UInt32.self) else {
                throw ModelFileError.damaged(path: path, reason: "header checksum mismatch")
            }
            guard version >= 1 else { throw ModelFileError.damaged(path: path, reason: "format version 0") }
            let flags = readLE(prefix, 10, as: UInt16.self)
            guard flags == 0 else { throw ModelFileError.damaged(path: path, reason: "header flags \(flags), this tidal knows none") }
            // Sizes are compared as unsigned 64-bit values before any arithmetic, so no field can overflow.
            let payload = readLE(prefix, 12, as: UInt64.self), compressed = readLE(prefix, 20, as: UInt64.self)
            let available = UInt64(fileSize - headerSize)
            if compressed > available {
                throw ModelFileError.truncated(
                    path: path, expected: compressed > UInt64(Int.max - headerSize) ? Int.max : headerSize + Int(compressed),
                    found: fileSize)
            }
            if compressed < available {
                throw ModelFileError.damaged(path: path, reason: "\(available - compressed) unexpected bytes after the payload")
            }
            guard payload <= UInt64(maximumPayload) else {
                throw ModelFileError.damaged(
                    path: path, reason: "a payload of \(payload) bytes, more than the \(maximumPayload) a model can hold")
            }
            payloadSize = Int(payload)
            compressedSize = Int(compressed)
        }
    }

    /// The largest payload a model within `ModelLimits` has: its weights and description.
    static let maximumPayload = 4 + ModelLimits.descriptionBytes + 4 * ModelLimits.parameters

    /// Decodes, also returning the compressed and uncompressed payload sizes.
    ///
    /// Checks run from the cheapest to the costliest, and everything a size could make the
    /// loader allocate is checked before it allocates: the header and its sizes, then the zstd
    /// frame's own content size, the checksum, the description against `ModelLimits`, the schema
    /// against the architecture, and the tensor directory (which must tile the weights exactly).
    public static func decodeWithSizes(_ bytes: [UInt8], path: String) throws -> (model: TrainedModel, compressed: Int, uncompressed: Int) {
        let header = try Header(bytes, fileSize: bytes.count, path: path)
        let frame = bytes[headerSize...]
        let payload: [UInt8]
        do {
            let decompressor = try ZstdDecompressor()
            if let size = try decompressor.contentSize(frame), size != header.payloadSize {
                throw ModelFileError.damaged(
                    path: path, reason: "the zstd frame holds \(size) bytes, the header says \(header.payloadSize)")
            }
            payload = try decompressor.decompress(frame, expectedSize: header.payloadSize)
        } catch let error as ZstdError {
            throw ModelFileError.damaged(path: path, reason: "payload does not decompress: \(error.name)")
        }
        guard payload.count >= 4 else { throw ModelFileError.damaged(path: path, reason: "empty payload") }
        let jsonLength = Int(readLE(payload, 0, as: UInt32.self))
        guard jsonLength <= payload.count - 4 else {
            throw ModelFileError.inconsistent(path: path, reason: "description runs past the payload")
        }
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: Data(payload[4 ..< 4 + jsonLength]))
        } catch {
            throw ModelFileError.inconsistent(path: path, reason: "the description does not parse: \(DescriptionError.located(error))")
        }
        let weights = try checkedWeights(document, payload: payload, tensorBase: 4 + jsonLength, path: path)
        let model = TrainedModel(
            schema: document.schema!, architecture: document.architecture, weights: weights, metadata: document.metadata,
            members: document.members)
        return (model, bytes.count - headerSize, payload.count)
    }

    /// The description checked in full, then the weights it points at.
    private static func checkedWeights(_ document: Document, payload: [UInt8], tensorBase: Int, path: String) throws -> [NamedTensor] {
        func inconsistent(_ reason: String) -> ModelFileError { .inconsistent(path: path, reason: reason) }
        guard (1 ... formatVersion).contains(document.format) else {
            throw inconsistent("description format \(document.format); this tidal reads 1 to \(formatVersion)")
        }
        if document.format < 2, case let .forecast(spec)? = document.schema,
            spec.seriesColumn != nil || spec.calibration != nil || !spec.quantiles.isEmpty
        {
            throw inconsistent("description format 1 cannot hold a series column, interval calibration or quantiles (format 2 can)")
        }
        if document.format < 2 && document.architecture.quantiles > 0 {
            throw inconsistent("description format 1 cannot hold a quantile head (format 2 can)")
        }
        if let problem = ModelLimits.problem(with: document.architecture) { throw inconsistent("architecture: \(problem)") }
        // The schema must fit the architecture before any network is made from it.
        guard let schema = document.schema else {
            throw inconsistent("the description holds no schema, several, or one of another task than \(document.task.rawValue)")
        }
        if let reason = schema.mismatch(with: document.architecture) { throw inconsistent(reason) }
        if document.architecture.quantiles > 0 && document.task != .forecast {
            throw inconsistent("architecture: quantiles is for a forecaster, not a \(document.task.rawValue) model")
        }
        let members = document.members
        guard (1 ... ModelLimits.members).contains(members) else {
            throw inconsistent("members is \(members), outside 1...\(ModelLimits.members)")
        }
        let tensorBytes = payload.count - tensorBase
        guard let parameterCount = document.architecture.parameterCountIfValid, parameterCount * members <= ModelLimits.parameters,
            4 * parameterCount * members == tensorBytes
        else {
            throw inconsistent(
                "\(tensorBytes) bytes of weights, the architecture has \(document.architecture.parameterCountIfValid ?? -1) parameters"
                    + (members > 1 ? " per member, \(members) members" : ""))
        }
        // Every tensor the architecture needs (once per member), in its shape; together they tile the weights exactly.
        let shapes = SequenceModel(document.architecture, seed: 0).parameters.map { ($0.name, $0.shape) }
        let expectedShapes = (0 ..< members).flatMap { k in shapes.map { (TrainedModel.memberPrefix(k) + $0.0, $0.1) } }
        let byName = Dictionary(document.tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        guard byName.count == document.tensors.count else { throw inconsistent("a tensor name appears twice") }
        guard document.tensors.count == expectedShapes.count else {
            throw inconsistent("\(document.tensors.count) tensors, the architecture has \(expectedShapes.count)")
        }
        var claimed: [(offset: Int, bytes: Int)] = []
        var weights: [NamedTensor] = []
        for (name, shape) in expectedShapes {
            guard let entry = byName[name] else { throw inconsistent("no tensor \(name)") }
            guard entry.shape == shape else { throw inconsistent("\(name) has shape \(entry.shape), the architecture needs \(shape)") }
            let count = shape.reduce(1, *)
            guard entry.offset >= 0, entry.offset % 4 == 0, entry.offset <= tensorBytes - 4 * count else {
                throw inconsistent("\(name) lies outside the payload")
            }
            claimed.append((entry.offset, 4 * count))
            var values = [Float](repeating: 0, count: count)
            for i in 0 ..< count {
                values[i] = Float(bitPattern: readLE(payload, tensorBase + entry.offset + 4 * i, as: UInt32.self))
            }
            guard values.allSatisfy(\.isFinite) else { throw inconsistent("\(name) holds NaN or infinite values") }
            weights.append(NamedTensor(name: name, shape: shape, values: values))
        }
        var end = 0
        for range in claimed.sorted(by: { $0.offset < $1.offset }) {
            guard range.offset == end else {
                throw inconsistent(range.offset < end ? "two tensors overlap" : "bytes of weights no tensor claims")
            }
            end += range.bytes
        }
        guard end == tensorBytes else { throw inconsistent("\(tensorBytes - end) bytes of weights no tensor claims") }
        return weights
    }

    /// Reads and checks a model file.
    public static func read(_ path: String) throws -> TrainedModel {
        try decode(readBytes(path), path: path)
    }

    /// A model file's bytes: the header is read and checked first, so a large file that is no
    /// model (or whose header names another size) is refused without reading it.
    public static func readBytes(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ModelFileError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ModelFileError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw ModelFileError.unreadable(path: path, reason: "not a regular file") }
        let size = Int(info.st_size)
        var bytes = try readFully(fd, count: min(size, headerSize), path: path)
        _ = try Header(bytes, fileSize: size, path: path)
        bytes += try readFully(fd, count: size - bytes.count, path: path)
        return bytes
    }

    /// `count` bytes from `fd` (fewer only if the file shrinks while it is read).
    private static func readFully(_ fd: Int32, count: Int, path: String) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress! + done, count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw ModelFileError.unreadable(path: path, reason: String(cString: strerror(errno))) }
            if n == 0 { break }
            done += n
        }
        return Array(bytes[0 ..< done])
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
    /// Replaces `path` with `bytes`: a new private temporary file beside it (created with
    /// `O_CREAT | O_EXCL | O_NOFOLLOW`, so a planted file or symlink is never written through),
    /// written whole, `fsync`ed, renamed over `path`, then the directory `fsync`ed. A crash at
    /// any point leaves the old file or the new one, whole, and at most a stale `.NAME.tmp-…`.
    /// - Throws: `ModelFileError.unwritable` when `path` exists and is not a regular file, or any step fails.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        func failure(_ reason: String) -> ModelFileError { .unwritable(path: path, reason: reason) }
        var existing = stat()
        if lstat(path, &existing) == 0, (existing.st_mode & S_IFMT) != S_IFREG, (existing.st_mode & S_IFMT) != S_IFLNK {
            throw failure("it exists and is not a regular file; give a new name or a regular file")
        }
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var temporary = "", fd: Int32 = -1
        // Registered before it exists, so a signal at any moment removes it (TemporaryFiles.cleanUp).
        var registration: TemporaryFiles.Token?
        defer { TemporaryFiles.unregister(registration) }
        for _ in 0 ..< 16 where fd < 0 {
            temporary = directory + "/.\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
            registration = TemporaryFiles.register(temporary)
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            let openError = errno
            if fd < 0 {
                TemporaryFiles.unregister(registration)  // not ours: someone else's file is never removed
                registration = nil
            }
            errno = openError
            if fd < 0 && openError != EEXIST { break }
        }
        guard fd >= 0 else { throw failure(String(cString: strerror(errno))) }
        var error: Int32 = 0
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 { if errno == EINTR { continue }; error = errno; break }
                done += n
            }
        }
        if error == 0 && (fchmod(fd, 0o644) != 0 || fsync(fd) != 0) { error = errno }
        if close(fd) != 0 && error == 0 { error = errno }
        guard error == 0, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(error != 0 ? error : errno))
            unlink(temporary)
            throw failure(reason)
        }
        let dfd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }
}
