import Foundation
import TidalCore
import TidalData
import TidalNet

/// A training checkpoint: the whole state of a run (`TrainingState`) and what run it belongs to.
public struct TrainingCheckpoint: Sendable {
    /// The run's settings, data digests, architecture and schema, as `name → value`; a run resumes
    /// only from a checkpoint whose settings equal its own (the epoch count may differ).
    public var settings: [String: String]
    /// The state to continue from.
    public var state: TrainingState

    /// A checkpoint from its parts.
    public init(settings: [String: String], state: TrainingState) {
        self.settings = settings
        self.state = state
    }

    /// The settings that differ between this checkpoint and a run with `current` settings, one
    /// phrase each (`hidden: 8 in the checkpoint, 6 in this run`); empty when they match.
    public func differences(from current: [String: String]) -> [String] {
        Set(settings.keys).union(current.keys).sorted().compactMap { key in
            let saved = settings[key] ?? "unset", now = current[key] ?? "unset"
            return saved == now ? nil : "\(key): \(Self.short(saved)) in the checkpoint, \(Self.short(now)) in this run"
        }
    }

    private static func short(_ text: String) -> String { text.count <= 80 ? text : String(text.prefix(77)) + "..." }
}

/// The `.checkpoint` file `tidal train --checkpoint-every` writes: a 32-byte header like a model
/// file's, with the magic `TIDALCKP`, then one zstd frame with its content checksum.
///
/// ```
/// offset size  field
///  0      8    magic "TIDALCKP"
///  8      2    format version, u16 LE (1)
/// 10      2    flags, u16 (0)
/// 12      8    payload size before compression, u64 LE
/// 20      8    compressed size, u64 LE
/// 28      4    CRC-32 (IEEE) of bytes 0..<28, u32 LE
/// ```
/// The payload is a u32 LE length, that much UTF-8 JSON (settings, history, generator states,
/// schedule and early-stopping figures — every floating-point figure as its bit pattern in hex,
/// so a resumed run continues bit for bit), then Float32 LE arrays: the weights, the optimizer's
/// buffers, and the best weights when early stopping keeps them.
public enum CheckpointFile {
    /// The file's first 8 bytes, `TIDALCKP`.
    public static let magic: [UInt8] = Array("TIDALCKP".utf8)
    /// The format version this build writes and reads.
    public static let formatVersion = 1
    static let headerSize = 32

    /// The file's bytes.
    public static func encode(_ checkpoint: TrainingCheckpoint) throws -> [UInt8] {
        let state = checkpoint.state
        let document = StoredCheckpoint(checkpoint)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = Array(try encoder.encode(document))
        var payload: [UInt8] = []
        ModelFile.appendLE(UInt32(json.count), to: &payload)
        payload += json
        for array in state.weights + state.optimizer.buffers + (state.early.bestWeights ?? []) {
            for v in array { ModelFile.appendLE(v.bitPattern, to: &payload) }
        }
        let compressed = try ZstdCompressor(level: 3).compress(payload)
        var header = magic
        ModelFile.appendLE(UInt16(formatVersion), to: &header)
        ModelFile.appendLE(UInt16(0), to: &header)
        ModelFile.appendLE(UInt64(payload.count), to: &header)
        ModelFile.appendLE(UInt64(compressed.count), to: &header)
        ModelFile.appendLE(CRC32.checksum(header), to: &header)
        return header + compressed
    }

    /// Parses and checks a checkpoint's bytes. `path` is only used in messages.
    public static func decode(_ bytes: [UInt8], path: String) throws -> TrainingCheckpoint {
        func damaged(_ reason: String) -> ModelFileError { .damaged(path: path, reason: reason) }
        guard bytes.count >= headerSize, Array(bytes[0 ..< 8]) == magic else {
            if bytes.starts(with: ModelFile.magic) {
                throw ModelFileError.unreadable(path: path, reason: "this is a model file, not a checkpoint; give it to --init-from")
            }
            throw ModelFileError.unreadable(path: path, reason: "not a Tidal checkpoint (wrong magic bytes or too short)")
        }
        let version = Int(ModelFile.readLE(bytes, 8, as: UInt16.self))
        guard CRC32.checksum(bytes[0 ..< 28]) == ModelFile.readLE(bytes, 28, as: UInt32.self) else {
            throw damaged("header checksum mismatch")
        }
        guard version == formatVersion else {
            throw ModelFileError.newerVersion(path: path, found: version, supported: formatVersion)
        }
        guard ModelFile.readLE(bytes, 10, as: UInt16.self) == 0 else { throw damaged("unknown header flags") }
        let payloadSize = ModelFile.readLE(bytes, 12, as: UInt64.self), compressed = ModelFile.readLE(bytes, 20, as: UInt64.self)
        guard compressed == UInt64(bytes.count - headerSize) else {
            throw ModelFileError.truncated(
                path: path, expected: compressed > UInt64(Int.max / 2) ? Int.max : headerSize + Int(compressed), found: bytes.count)
        }
        // Weights, two optimizer buffers and the best weights: at most four times a model's parameters.
        guard payloadSize <= UInt64(4 + ModelLimits.descriptionBytes + 16 * ModelLimits.parameters) else {
            throw damaged("a payload of \(payloadSize) bytes, more than a checkpoint can hold")
        }
        let payload: [UInt8]
        do {
            let decompressor = try ZstdDecompressor()
            payload = try decompressor.decompress(bytes[headerSize...], expectedSize: Int(payloadSize))
        } catch let error as ZstdError {
            throw damaged("payload does not decompress: \(error.name)")
        }
        guard payload.count >= 4, Int(ModelFile.readLE(payload, 0, as: UInt32.self)) <= payload.count - 4 else {
            throw damaged("the description runs past the payload")
        }
        let jsonLength = Int(ModelFile.readLE(payload, 0, as: UInt32.self))
        let document: StoredCheckpoint
        do {
            document = try JSONDecoder().decode(StoredCheckpoint.self, from: Data(payload[4 ..< 4 + jsonLength]))
        } catch {
            throw damaged("the description does not parse: \(DescriptionError.located(error))")
        }
        return try document.checkpoint(floats: payload, from: 4 + jsonLength, path: path)
    }

    /// Reads and checks a checkpoint file.
    public static func read(_ path: String) throws -> TrainingCheckpoint {
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ModelFileError.unreadable(path: path, reason: "no such file or not readable")
        }
        return try decode(bytes, path: path)
    }

    /// Writes atomically (`AtomicFile`): a crash leaves the previous checkpoint or this one, whole.
    public static func write(_ checkpoint: TrainingCheckpoint, to path: String) throws {
        try AtomicFile.write(try encode(checkpoint), to: path)
    }
}

/// A 64-bit pattern in JSON as hex, so that no figure is rounded on its way through text.
private struct Bits: Codable, Equatable {
    var value: UInt64
    init(_ value: UInt64) { self.value = value }
    init(_ x: Double) { value = x.bitPattern }
    var double: Double { Double(bitPattern: value) }

    init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let v = UInt64(text, radix: 16) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a hex bit pattern"))
        }
        value = v
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(String(value, radix: 16))
    }
}

private struct StoredEvaluation: Codable {
    var loss: Bits
    var accuracy: Bits?
    var mae: Bits?
    init(_ e: Evaluation) {
        loss = Bits(e.loss)
        accuracy = e.accuracy.map(Bits.init)
        mae = e.mae.map(Bits.init)
    }
    var evaluation: Evaluation { Evaluation(loss: loss.double, accuracy: accuracy?.double, mae: mae?.double) }
}

private struct StoredEpoch: Codable {
    var epoch: Int
    /// Step budgets only (absent for epochs, so older checkpoints read as before).
    var steps: Int?
    var trainLoss: Bits
    var trainAccuracy: Bits?
    var validation: StoredEvaluation?
    var test: StoredEvaluation?
    var gradientNorm: Bits
    var stepGradientNorms: [Bits]?

    init(_ r: EpochRecord) {
        epoch = r.epoch
        steps = r.steps
        trainLoss = Bits(r.trainLoss)
        trainAccuracy = r.trainAccuracy.map(Bits.init)
        validation = r.validation.map(StoredEvaluation.init)
        test = r.test.map(StoredEvaluation.init)
        gradientNorm = Bits(r.gradientNorm)
        stepGradientNorms = r.stepGradientNorms?.map(Bits.init)
    }

    var record: EpochRecord {
        EpochRecord(
            epoch: epoch, steps: steps, trainLoss: trainLoss.double, trainAccuracy: trainAccuracy?.double,
            validation: validation?.evaluation,
            test: test?.evaluation, gradientNorm: gradientNorm.double, stepGradientNorms: stepGradientNorms?.map(\.double))
    }
}

/// The checkpoint's JSON description; the float arrays follow it in the payload.
private struct StoredCheckpoint: Codable {
    var format: Int
    var tidalVersion: String
    var settings: [String: String]
    var history: [StoredEpoch]
    var batchesDone: Int
    var seconds: Bits
    var optimizerSteps: Int
    /// The schedule's rate and best loss (Float32 bit patterns) and its epochs without improvement.
    var scheduleRate: Bits, scheduleBest: Bits, scheduleBadEpochs: Int
    var shuffle: [Bits]
    var dropout: [[Bits]]
    var bestScore: Bits, bestEpoch: Int, epochsWithoutImprovement: Int
    var tallyLossSum: Bits, tallyCorrect: Int, tallySeen: Int, tallyNormSum: Bits
    var tallyStepSums: [Bits], tallyStepCounts: [Int]
    var stopped: Bool
    var weightCounts: [Int], optimizerCounts: [Int], bestWeightCounts: [Int]?

    init(_ checkpoint: TrainingCheckpoint) {
        let s = checkpoint.state
        format = CheckpointFile.formatVersion
        tidalVersion = TidalVersion.string
        settings = checkpoint.settings
        history = s.history.map(StoredEpoch.init)
        batchesDone = s.batchesDone
        seconds = Bits(s.seconds)
        optimizerSteps = s.optimizer.steps
        scheduleRate = Bits(UInt64(s.schedule.rate.bitPattern))
        scheduleBest = Bits(UInt64(s.schedule.best.bitPattern))
        scheduleBadEpochs = s.schedule.badEpochs
        shuffle = s.shuffle.state.map(Bits.init)
        dropout = s.dropout.map { $0.state.map(Bits.init) }
        bestScore = Bits(s.early.bestScore)
        bestEpoch = s.early.bestEpoch
        epochsWithoutImprovement = s.early.epochsWithoutImprovement
        tallyLossSum = Bits(s.tally.lossSum)
        tallyCorrect = s.tally.correct
        tallySeen = s.tally.seen
        tallyNormSum = Bits(s.tally.normSum)
        tallyStepSums = s.tally.stepSums.map(Bits.init)
        tallyStepCounts = s.tally.stepCounts
        stopped = s.stopped
        weightCounts = s.weights.map(\.count)
        optimizerCounts = s.optimizer.buffers.map(\.count)
        bestWeightCounts = s.early.bestWeights?.map(\.count)
    }

    /// Step counts on no record (an epoch run), or on every record, rising from 1.
    static func stepsAreConsistent(_ history: [StoredEpoch]) -> Bool {
        let steps = history.compactMap(\.steps)
        return steps.isEmpty || (steps.count == history.count && zip([0] + steps, steps).allSatisfy { $0 < $1 })
    }

    /// The checkpoint, with its float arrays read from `payload` at `base` (which they must fill exactly).
    func checkpoint(floats payload: [UInt8], from base: Int, path: String) throws -> TrainingCheckpoint {
        func damaged(_ reason: String) -> ModelFileError { .damaged(path: path, reason: reason) }
        guard format == CheckpointFile.formatVersion else { throw damaged("description format \(format)") }
        let counts = weightCounts + optimizerCounts + (bestWeightCounts ?? [])
        guard counts.allSatisfy({ $0 >= 0 && $0 <= ModelLimits.parameters }),
            counts.reduce(0, +) * 4 == payload.count - base
        else { throw damaged("the arrays it lists do not fill its payload") }
        var offset = base
        func arrays(_ counts: [Int]) -> [[Float]] {
            counts.map { n in
                defer { offset += 4 * n }
                return (0 ..< n).map { Float(bitPattern: ModelFile.readLE(payload, offset + 4 * $0, as: UInt32.self)) }
            }
        }
        let weights = arrays(weightCounts), buffers = arrays(optimizerCounts), best = bestWeightCounts.map(arrays)
        guard let shuffle = SeededGenerator(state: shuffle.map(\.value)) else { throw damaged("an impossible shuffle generator state") }
        let dropout = try self.dropout.map { words in
            guard let g = SeededGenerator(state: words.map(\.value)) else { throw damaged("an impossible dropout generator state") }
            return g
        }
        guard tallyStepSums.count == tallyStepCounts.count, batchesDone >= 0,
            history.enumerated().allSatisfy({ $0.element.epoch == $0.offset + 1 }), Self.stepsAreConsistent(history)
        else { throw damaged("inconsistent training figures") }
        let state = TrainingState(
            history: history.map(\.record), batchesDone: batchesDone, seconds: seconds.double, weights: weights,
            optimizer: OptimizerState(steps: optimizerSteps, buffers: buffers),
            schedule: (
                Float(bitPattern: UInt32(truncatingIfNeeded: scheduleRate.value)),
                Float(bitPattern: UInt32(truncatingIfNeeded: scheduleBest.value)),
                scheduleBadEpochs
            ),
            shuffle: shuffle, dropout: dropout,
            early: EarlyStopping(
                bestScore: bestScore.double, bestEpoch: bestEpoch, bestWeights: best, epochsWithoutImprovement: epochsWithoutImprovement),
            tally: EpochTally(
                lossSum: tallyLossSum.double, correct: tallyCorrect, seen: tallySeen, normSum: tallyNormSum.double,
                stepSums: tallyStepSums.map(\.double), stepCounts: tallyStepCounts),
            stopped: stopped)
        return TrainingCheckpoint(settings: settings, state: state)
    }
}
