import Foundation
import TidalData
import TidalModel
import TidalNet
import TidalTestSupport
import XCTest

/// A small trained forecaster, shared by the tests of this file (training once keeps them fast).
enum SmallModel {
    static let airline = TestPaths.sampleSeries.appendingPathComponent("airline.csv").path

    nonisolated(unsafe) static var cached: TrainedModel?

    static func forecaster() throws -> TrainedModel {
        if let cached { return cached }
        var request = TrainingRequest(dataPath: airline)
        request.targets = ["value"]
        request.lookback = 12
        request.horizon = 2
        request.season = 12
        request.hidden = 6
        request.epochs = 3
        request.ensemble = 2  // every check below also covers the second member's tensors
        // Per-window scaling of the level: the linear skip spans the window, so a lookback edit shows.
        request.scaling = .window
        request.difference = 0
        request.createdAt = Date(timeIntervalSince1970: 1_700_000_000)  // the bytes do not depend on the clock
        let model = try Training.run(request).model
        cached = model
        return model
    }
}

final class ModelFileTests: XCTestCase {
    func testRoundTripKeepsEverything() throws {
        let model = try SmallModel.forecaster()
        let bytes = try ModelFile.encode(model)
        let back = try ModelFile.decode(bytes, path: "m.tidal")
        XCTAssertEqual(back, model)
        XCTAssertEqual(back.task, .forecast)
        XCTAssertEqual(back.architecture, model.architecture)
        XCTAssertEqual(back.schema, model.schema)
        XCTAssertEqual(back.metadata, model.metadata)
        XCTAssertEqual(back.weights, model.weights)
        XCTAssertEqual(back.members, 2)
        XCTAssertTrue(back.weights.contains { $0.name == "member1.head.weight" })
        XCTAssertEqual(Array(bytes[0 ..< 8]), Array("TIDALMDL".utf8))
        XCTAssertEqual(back.weights.map(\.name).first, "lstm.weight_ih_l0")
        // Same predictions from the decoded model.
        let table = try Table.load(
            path: SmallModel.airline,
            options: {
                var o = TableOptions(); o.numericColumns = ["value"]; return o
            }())
        let a = try model.forecaster(), b = try back.forecaster()
        let raw = try a.rawRows(table)
        XCTAssertEqual(a.predictAll(raw: raw).map(\.values), b.predictAll(raw: raw).map(\.values))
        // A model with neither bidirectional layers nor pooling is described exactly as before they existed.
        let described = String(decoding: try JSONEncoder().encode(model.architecture), as: UTF8.self)
        XCTAssertFalse(described.contains("bidirectional") || described.contains("pool"), described)
        for (bidirectional, pool) in [(true, Pooling.last), (false, .mean), (true, .max), (true, .attention), (false, .attention)] {
            try checkRoundTrip(bidirectional: bidirectional, pool: pool, metadata: model.metadata)
        }
    }

    /// A two-layer sample classifier with these settings: decoded equal, with the parameters they need, predicting the same.
    func checkRoundTrip(bidirectional: Bool, pool: Pooling, metadata: TrainingMetadata) throws {
        let what = "bidirectional \(bidirectional), pool \(pool)"
        let spec = SampleSpec(
            layout: .ucr, channels: 1, classes: ["a", "b"], normalizer: Normalizer(kind: .none, shift: [0], scale: [1]), maxLength: 6,
            patch: 1)
        let architecture = ModelArchitecture(
            cell: .gru, inputSize: 1, hiddenSize: 3, layers: 2, outputSize: 2, bidirectional: bidirectional, pool: pool)
        let model = TrainedModel(
            schema: .samples(spec), architecture: architecture, network: SequenceModel(architecture, seed: 4), metadata: metadata)
        let back = try ModelFile.decode(try ModelFile.encode(model), path: "p.tidal")
        XCTAssertEqual(back, model, what)
        XCTAssertEqual(back.architecture.bidirectional, bidirectional, what)
        XCTAssertEqual(back.architecture.pool, pool, what)
        let names = back.weights.map(\.name)
        XCTAssertEqual(names.contains("gru.weight_ih_l1_reverse"), bidirectional, what)
        XCTAssertEqual(names.filter { $0.hasPrefix("pool.") }, pool == .attention ? ["pool.weight", "pool.bias", "pool.vector"] : [], what)
        let row: [Float] = [0.5, -1, 2, 0.25, 1, -0.5]
        func predict(_ m: TrainedModel) -> [Float] {
            let network = m.makeNetwork()
            return row.withUnsafeBufferPointer {
                Array(UnsafeBufferPointer(start: network.forward($0.baseAddress!, steps: 6, batch: 1), count: 2))
            }
        }
        XCTAssertEqual(predict(back), predict(model), what)
    }

    func testEveryTruncationIsRefused() throws {
        let bytes = try ModelFile.encode(try SmallModel.forecaster())
        for length in 0 ..< bytes.count {
            XCTAssertThrowsError(try ModelFile.decode(Array(bytes[0 ..< length]), path: "t.tidal"), "length \(length)") { error in
                XCTAssertTrue(error is ModelFileError, "length \(length): \(error)")
            }
        }
    }

    func testEveryFlippedByteIsRefusedOrChangesNothing() throws {
        let model = try SmallModel.forecaster()
        let bytes = try ModelFile.encode(model)
        XCTAssertEqual(try ModelFile.encode(model), bytes, "encoding is deterministic")
        for i in 0 ..< 32 {
            var damaged = bytes
            damaged[i] ^= 0xFF
            XCTAssertThrowsError(try ModelFile.decode(damaged, path: "f.tidal"), "byte \(i)")
        }
        // Every payload byte, with two patterns: zstd's content checksum or the frame structure catch
        // almost all flips; a flip in a part of the frame that does not change the content (a block
        // header's unused bits, say) may decode, and must then give the identical model.
        var refused = 0, identical = 0
        for i in 32 ..< bytes.count {
            for pattern: UInt8 in [0x01, 0x5A] {
                var damaged = bytes
                damaged[i] ^= pattern
                do {
                    let decoded = try ModelFile.decode(damaged, path: "f.tidal")
                    XCTAssertEqual(decoded, model, "payload byte \(i) ^ \(pattern) decoded to another model")
                    identical += 1
                } catch {
                    XCTAssertTrue(error is ModelFileError, "byte \(i): \(error)")
                    refused += 1
                }
            }
        }
        XCTAssertGreaterThan(refused, 50 * max(identical, 1), "refused \(refused), decoded unchanged \(identical)")
    }

    func testMessages() throws {
        let bytes = try ModelFile.encode(try SmallModel.forecaster())
        func message(_ b: [UInt8]) -> String {
            do { _ = try ModelFile.decode(b, path: "m.tidal"); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertEqual(
            message(Array("time,value\n1,2\n".utf8)),
            "m.tidal: not a Tidal model file (wrong magic bytes); give a file written by `tidal train --out`")
        var newer = bytes
        newer[8] = 7
        XCTAssertEqual(
            message(newer), "m.tidal: model file format version 7 is newer than this tidal reads (up to version 2); upgrade tidal")
        XCTAssertEqual(
            message(Array(bytes[0 ..< 100])), "m.tidal: model file is truncated: 100 bytes, expected \(bytes.count); copy it again")
        var flipped = bytes
        flipped[14] ^= 1
        XCTAssertEqual(message(flipped), "m.tidal: model file is damaged (header checksum mismatch); copy it again or retrain")
        XCTAssertTrue(message(bytes + [0]).contains("unexpected bytes after the payload"))
    }

    func testSizesThatDisagreeWithTheArchitectureAreRefused() throws {
        var model = try SmallModel.forecaster()
        model.weights[1].values.removeLast()
        model.weights[1].shape = [model.weights[1].values.count]
        XCTAssertThrowsError(try ModelFile.decode(try ModelFile.encode(model), path: "m.tidal")) { error in
            XCTAssertTrue("\(error)".contains("inconsistent"), "\(error)")
        }
        var other = try SmallModel.forecaster()
        other.architecture.hiddenSize += 1
        XCTAssertThrowsError(try ModelFile.decode(try ModelFile.encode(other), path: "m.tidal")) { error in
            XCTAssertTrue("\(error)".contains("inconsistent"), "\(error)")
        }
    }

    func testAtomicWriteReplacesWholeAndLeavesNoTemporaryFile() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let path = dir.appendingPathComponent("m.tidal").path
        let model = try SmallModel.forecaster()
        try ModelFile.write(model, to: path)
        let first = try Data(contentsOf: URL(fileURLWithPath: path))
        try ModelFile.write(model, to: path)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["m.tidal"])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), first)
        // A failing save (into a missing directory) throws and touches nothing else.
        XCTAssertThrowsError(try ModelFile.write(model, to: dir.appendingPathComponent("missing/m.tidal").path))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), first)
    }
}
