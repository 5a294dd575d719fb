import Foundation
import TidalCore
import TidalData
@testable import TidalModel
import TidalNet
import TidalTestSupport
import XCTest

/// Model files whose checksums are valid but whose description was edited: the loader must
/// refuse every inconsistent one with a `ModelFileError`, before it allocates anything large.
final class HostileModelTests: XCTestCase {
    /// The model's description as a JSON object and its weight bytes.
    func parts(_ model: TrainedModel) throws -> (description: [String: Any], weights: [UInt8]) {
        let bytes = try ModelFile.encode(model)
        let payload = try ZstdDecompressor().decompress(bytes[32...], expectedSize: Int(ModelFile.readLE(bytes, 12, as: UInt64.self)))
        let length = Int(ModelFile.readLE(payload, 0, as: UInt32.self))
        let json = try JSONSerialization.jsonObject(with: Data(payload[4 ..< 4 + length])) as! [String: Any]
        return (json, Array(payload[(4 + length)...]))
    }

    /// Re-packs an edited description (valid zstd checksum and header CRC) and decodes it.
    func decode(_ description: [String: Any], _ weights: [UInt8]) throws -> TrainedModel {
        let json = try JSONSerialization.data(withJSONObject: description, options: [.sortedKeys])
        return try ModelFile.decode(try ModelFile.pack(description: Array(json), weights: weights), path: "m.tidal")
    }

    func edit(_ d: [String: Any], _ path: [String], _ value: Any) -> [String: Any] {
        var d = d
        if path.count == 1 { d[path[0]] = value; return d }
        d[path[0]] = edit(d[path[0]] as? [String: Any] ?? [:], Array(path.dropFirst()), value)
        return d
    }

    func assertRefused(_ description: [String: Any], _ weights: [UInt8], _ what: String, file: StaticString = #filePath, line: UInt = #line)
    {
        XCTAssertThrowsError(try decode(description, weights), what, file: file, line: line) { error in
            XCTAssertTrue(error is ModelFileError, "\(what): \(error)", file: file, line: line)
        }
    }

    /// Files written before forecasts carried their step's times and models their training range
    /// load, with neither; the model then forecasts the same numbers.
    func testDescriptionsWithoutTimeStepOrTrainingRangeLoad() throws {
        let model = try SmallModel.forecaster()
        guard case let .forecast(spec) = model.schema else { return XCTFail("a forecaster") }
        XCTAssertEqual(spec.timeStep, TimeStep(unit: .month, amount: 1))
        // The default split: the last 20 % of the 144 rows is the test part.
        XCTAssertEqual(model.metadata.trainingRange, TrainingRange(firstRow: 1, lastRow: 115, firstTime: "1949-01", lastTime: "1958-07"))
        var (d, w) = try parts(model)
        XCTAssertNotNil((d["forecast"] as? [String: Any])?["timeStep"])
        XCTAssertNotNil((d["metadata"] as? [String: Any])?["trainingRange"])
        var forecast = d["forecast"] as! [String: Any], metadata = d["metadata"] as! [String: Any]
        forecast["timeStep"] = nil
        metadata["trainingRange"] = nil
        (d["forecast"], d["metadata"]) = (forecast, metadata)
        let old = try decode(d, w)
        XCTAssertNil(old.metadata.trainingRange)
        guard case let .forecast(oldSpec) = old.schema else { return XCTFail("a forecaster") }
        XCTAssertNil(oldSpec.timeStep)
        XCTAssertNotNil(try old.forecaster().missingTimeStepNote)
        XCTAssertNil(try model.forecaster().missingTimeStepNote)
        let window = [Float](repeating: 300, count: spec.lookback)
        XCTAssertEqual(try old.forecaster().predict(window: window), try model.forecaster().predict(window: window))
    }

    func testEditedDescriptionsAreRefused() throws {
        let (d, w) = try parts(try SmallModel.forecaster())
        XCTAssertNoThrow(try decode(d, w), "the unedited description loads")
        let huge = Int.max
        let edits: [([String], Any)] = [
            (["architecture", "outputSize"], -2), (["architecture", "inputSize"], huge), (["architecture", "hiddenSize"], huge),
            (["architecture", "hiddenSize"], Int(Int32.max)), (["architecture", "layers"], -1), (["architecture", "layers"], 100_000),
            (["architecture", "vocabularySize"], huge), (["architecture", "categoricalVocabularies"], [-3]),
            (["architecture", "categoricalDimensions"], [4]), (["architecture", "skipSteps"], 7), (["architecture", "dropout"], 2.5),
            (["forecast", "lookback"], 7), (["forecast", "lookback"], huge), (["forecast", "lookback"], Int.min),
            (["forecast", "difference"], Int.min),
            (["forecast", "horizon"], Int.max), (["forecast", "horizon"], 0),
            (["forecast", "difference"], 50),
            (["forecast", "normalizer", "scale"], [] as [Double]), (["forecast", "normalizer", "scale"], [0.0]),
            (["forecast", "normalizer", "scale"], [-1.0]), (["forecast", "normalizer", "shift"], [1e308]),
            (["forecast", "targets"], ["value", "value"]), (["forecast", "season"], 0), (["format"], 3), (["format"], 0),
            (["task"], "classify"),
            (["members"], 0), (["members"], 1), (["members"], 3), (["members"], -1), (["members"], huge), (["members"], 33),
        ]
        for (path, value) in edits { assertRefused(edit(d, path, value), w, "\(path.joined(separator: ".")) = \(value)") }
        // Overlapping tensor ranges: every offset the same, sizes that still add up.
        var tensors = d["tensors"] as! [[String: Any]]
        for i in tensors.indices { tensors[i]["offset"] = 0 }
        assertRefused(edit(d, ["tensors"], tensors), w, "overlapping tensors")
        // A gap between tensors with the same total: the first starts 4 bytes late, the last overlaps it.
        tensors = d["tensors"] as! [[String: Any]]
        tensors[0]["offset"] = (tensors[0]["offset"] as! Int) + 4
        assertRefused(edit(d, ["tensors"], tensors), w, "shifted tensor")
        assertRefused(d, Array(w.dropLast(4)), "weights shorter than the architecture")
    }

    /// `bidirectional` and `pool`: a wrong type or an unknown name is a located error, a forecaster refuses both, and a
    /// description that adds them without their weights is refused by the weight count.
    func testBidirectionalAndPoolAreValidatedBeforeBuilding() throws {
        let (d, w) = try parts(try SmallModel.forecaster())
        func message(_ description: [String: Any]) -> String {
            do { _ = try decode(description, w); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertEqual(
            message(edit(d, ["architecture", "pool"], "median")),
            "m.tidal: model file is inconsistent: the description does not parse: architecture.pool: \"median\" is no pooling "
                + "(last, mean, max, attention)")
        XCTAssertTrue(message(edit(d, ["architecture", "bidirectional"], "yes")).contains("architecture.bidirectional: expected Bool"))
        XCTAssertTrue(message(edit(d, ["architecture", "pool"], 3)).contains("architecture.pool: expected String"))
        XCTAssertNoThrow(try decode(edit(d, ["architecture", "pool"], "last"), w), "the default, written out, loads")
        XCTAssertNoThrow(try decode(edit(d, ["architecture", "bidirectional"], false), w))
        // The schema check refuses them before the weights are counted.
        XCTAssertTrue(message(edit(d, ["architecture", "bidirectional"], true)).contains("a forecaster reads the window's end"))
        XCTAssertTrue(message(edit(d, ["architecture", "pool"], "mean")).contains("a forecaster reads the window's end"))
        // A sample model given attention pooling in its description but no pool tensors.
        let spec = SampleSpec(
            layout: .ucr, channels: 1, classes: ["a", "b"], normalizer: Normalizer(kind: .none, shift: [0], scale: [1]), maxLength: 4,
            patch: 1)
        let architecture = ModelArchitecture(cell: .gru, inputSize: 1, hiddenSize: 3, layers: 1, outputSize: 2)
        let samples = TrainedModel(
            schema: .samples(spec), architecture: architecture, network: SequenceModel(architecture, seed: 1),
            metadata: TrainingMetadata(createdAt: "", dataFile: "", dataSHA256: "", seed: 0, epochs: 0, finalMetrics: [:]))
        let (sd, sw) = try parts(samples)
        XCTAssertNoThrow(try decode(sd, sw))
        for (key, value) in [("pool", "attention"), ("bidirectional", true)] as [(String, Any)] {
            assertRefused(edit(sd, ["architecture", key], value), sw, "\(key) = \(value) without its weights")
        }
    }

    func testDuplicateClassNamesAreRefused() throws {
        let spec = SampleSpec(
            layout: .ucr, channels: 1, classes: ["p_1", "p_1"], normalizer: Normalizer(kind: .none, shift: [0], scale: [1]),
            maxLength: 4, patch: 1)
        let architecture = ModelArchitecture(cell: .gru, inputSize: 1, hiddenSize: 3, layers: 1, outputSize: 2)
        let model = TrainedModel(
            schema: .samples(spec), architecture: architecture, network: SequenceModel(architecture, seed: 1),
            metadata: TrainingMetadata(createdAt: "", dataFile: "", dataSHA256: "", seed: 0, epochs: 0, finalMetrics: [:]))
        XCTAssertThrowsError(try ModelFile.decode(try ModelFile.encode(model), path: "m.tidal")) { error in
            XCTAssertTrue("\(error)".contains("appears twice"), "\(error)")
        }
    }

    /// Random edits of every number in the description: each file loads (and then predicts) or is refused; nothing crashes.
    func testRandomNumericEditsNeverCrash() throws {
        let model = try SmallModel.forecaster()
        let (d, w) = try parts(model)
        var numbers: [[String]] = []
        func collect(_ value: Any, _ path: [String]) {
            if let object = value as? [String: Any] {
                for (k, v) in object where k != "tensors" && k != "metadata" { collect(v, path + [k]) }
            } else if value is NSNumber {
                numbers.append(path)
            }
        }
        collect(d, [])
        XCTAssertGreaterThan(numbers.count, 10)
        var g = testGenerator(99)
        let values: [Any] = [-3, -1, 0, 1, 2, 3, 12, 13, 1 << 20, Int(Int32.max), Int.max, 0.5, -0.5, 1e308]
        var loaded = 0
        for _ in 0 ..< 400 {
            var edited = d
            for _ in 0 ..< 1 + Int(g.next() % 3) {
                edited = edit(edited, numbers[Int(g.next() % UInt64(numbers.count))], values[Int(g.next() % UInt64(values.count))])
            }
            do {
                let back = try decode(edited, w)
                // Whatever loads must forecast without reading past a buffer.
                let forecaster = try back.forecaster()
                let window = [Float](repeating: 100, count: forecaster.spec.lookback * forecaster.spec.columns.count)
                _ = window.withUnsafeBufferPointer { forecaster.predict(window: $0.baseAddress!) }
                loaded += 1
            } catch {
                XCTAssertTrue(error is ModelFileError, "\(error)")
            }
        }
        XCTAssertLessThan(loaded, 400, "some edits must be refused")
    }
}
