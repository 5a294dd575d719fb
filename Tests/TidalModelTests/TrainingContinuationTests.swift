import Foundation
import TidalCore
import TidalData
import TidalModel
import TidalNet
import TidalTestSupport
import XCTest

/// Stopping a run (`shouldStop`), checkpointing it, resuming it bit for bit, and warm starts.
///
/// Small runs on the airline series (hidden 6, a few epochs of about three batches each) with a
/// validation part, so the forecast setting search is skipped and each run is quick.
final class TrainingContinuationTests: XCTestCase {
    /// Counts the loop's questions; says stop once `limit` batches have been allowed.
    final class StopAfter: @unchecked Sendable {
        let limit: Int
        private var calls = 0
        private let lock = NSLock()
        init(_ limit: Int) { self.limit = limit }
        func ask() -> Bool {
            lock.lock()
            defer { lock.unlock() }
            calls += 1
            return calls > limit
        }
    }

    func request(
        hidden: Int = 6, layers: Int = 1, dropout: Float? = nil, epochs: Int = 4, threads: Int = 1, patience: Int? = nil,
        cell: CellKind = .lstm
    ) -> TrainingRequest {
        var r = TrainingRequest(dataPath: TestPaths.sampleSeries.appendingPathComponent("airline.csv").path)
        r.lookback = 24
        r.season = 12
        r.scaling = .zscore
        r.difference = 12
        r.valFraction = 0.2
        r.hidden = hidden
        r.layers = layers
        r.dropout = dropout
        r.epochs = epochs
        r.threads = threads
        r.patience = patience
        r.cell = cell
        r.ensemble = 1  // the uninterrupted reference runs must train the one network a checkpoint holds
        r.createdAt = Date(timeIntervalSince1970: 0)
        return r
    }

    func testShouldStopInterruptsBetweenBatches() throws {
        var r = request(epochs: 50)
        let stop = StopAfter(5)
        r.shouldStop = { stop.ask() }
        let outcome = try Training.run(r)
        let interruption = try XCTUnwrap(outcome.result.interruption)
        // About three batches an epoch: five trained means epoch 2 is in progress.
        XCTAssertEqual(interruption.epoch, outcome.result.history.count + 1)
        XCTAssertLessThan(outcome.result.history.count, 5)
        XCTAssertNil(interruption.restoredEpoch)
        XCTAssertNil(outcome.report.test, "an interrupted run's test part is not scored")
        // The packaged model holds the current weights and is a valid model file.
        _ = try ModelFile.decode(try ModelFile.encode(outcome.model), path: "memory")
    }

    func testInterruptionRestoresTheBestValidationWeights() throws {
        var r = request(epochs: 50, patience: 40)
        let stop = StopAfter(10)
        r.shouldStop = { stop.ask() }
        let outcome = try Training.run(r)
        let interruption = try XCTUnwrap(outcome.result.interruption)
        let best = try XCTUnwrap(interruption.restoredEpoch)
        XCTAssertEqual(outcome.result.bestEpoch, best)
        XCTAssertLessThanOrEqual(best, outcome.result.history.count)
    }

    func testCheckpointFileRoundTrip() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let path = dir.appendingPathComponent("run.checkpoint").path
        var r = request(layers: 2, dropout: 0.3, epochs: 50, patience: 40)
        let stop = StopAfter(7)
        r.shouldStop = { stop.ask() }
        r.checkpointPath = path
        _ = try Training.run(r)
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(Array(bytes.prefix(8)), Array("TIDALCKP".utf8))
        let checkpoint = try CheckpointFile.decode(bytes, path: path)
        XCTAssertEqual(try CheckpointFile.encode(checkpoint), bytes, "decode then encode gives the same bytes")
        XCTAssertEqual(checkpoint.state.epoch, 2)
        XCTAssertEqual(checkpoint.state.batchesDone, 1)
        // A flipped byte is caught by the header CRC or zstd's checksum; a model file is named as one.
        for offset in [3, 20, bytes.count - 2] {
            var damaged = bytes
            damaged[offset] ^= 0x40
            XCTAssertThrowsError(try CheckpointFile.decode(damaged, path: path))
        }
        XCTAssertThrowsError(try CheckpointFile.decode(Array("TIDALMDL".utf8) + Array(repeating: 0, count: 40), path: "m.tidal")) {
            XCTAssertTrue("\($0)".contains("--init-from"), "\($0)")
        }
    }

    /// Trains `request` straight, then again stopped after `stopAfter` batches with a checkpoint and
    /// resumed from it: weights and metrics (but the time) must be identical.
    func assertResumeIsBitIdentical(_ r: TrainingRequest, stopAfter: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let path = dir.appendingPathComponent("run.checkpoint").path
        let straight = try Training.run(r)
        var first = r
        let stop = StopAfter(stopAfter)
        first.shouldStop = { stop.ask() }
        first.checkpointPath = path
        let stopped = try Training.run(first)
        XCTAssertNotNil(stopped.result.interruption, file: file, line: line)
        var second = r
        second.resumePath = path
        let resumed = try Training.run(second)
        XCTAssertNil(resumed.result.interruption, file: file, line: line)
        XCTAssertEqual(weights(resumed), weights(straight), "weights differ after resuming", file: file, line: line)
        XCTAssertEqual(try metrics(resumed), try metrics(straight), file: file, line: line)
        XCTAssertEqual(resumed.result.bestEpoch, straight.result.bestEpoch, file: file, line: line)
    }

    func testResumeAtAnEpochBoundaryIsBitIdentical() throws {
        // Three batches an epoch: stopped before the first batch of epoch 3.
        try assertResumeIsBitIdentical(request(epochs: 4), stopAfter: 6)
    }

    func testResumeMidEpochWithDropoutAndTwoLayersIsBitIdentical() throws {
        try assertResumeIsBitIdentical(request(layers: 2, dropout: 0.3, epochs: 4, patience: 3, cell: .gru), stopAfter: 4)
    }

    func testResumeOnTwoThreadsIsBitIdentical() throws {
        try assertResumeIsBitIdentical(request(layers: 2, dropout: 0.2, epochs: 3, threads: 2), stopAfter: 5)
    }

    /// `checkpointEvery`: two epochs, then the run continued for two more from the checkpoint,
    /// equals four epochs straight.
    func testTwoEpochsThenTwoMoreEqualsFourEpochs() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let path = dir.appendingPathComponent("run.checkpoint").path
        let straight = try Training.run(request(layers: 2, dropout: 0.3, epochs: 4))
        var first = request(layers: 2, dropout: 0.3, epochs: 2)
        first.checkpointPath = path
        first.checkpointEvery = 2
        _ = try Training.run(first)
        XCTAssertEqual(try CheckpointFile.read(path).state.epoch, 2)
        var second = request(layers: 2, dropout: 0.3, epochs: 4)
        second.resumePath = path
        let resumed = try Training.run(second)
        XCTAssertEqual(weights(resumed), weights(straight))
        XCTAssertEqual(try metrics(resumed), try metrics(straight))
    }

    func testResumeRefusesAnotherRunsCheckpoint() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let path = dir.appendingPathComponent("run.checkpoint").path
        var first = request(epochs: 1)
        first.checkpointPath = path
        first.checkpointEvery = 1
        _ = try Training.run(first)
        var other = request(hidden: 5, epochs: 2)
        other.seed = 9
        other.resumePath = path
        XCTAssertThrowsError(try Training.run(other)) { error in
            guard case let ContinuationError.checkpointMismatch(_, differences) = error else { return XCTFail("\(error)") }
            let text = differences.joined(separator: "; ")
            XCTAssertTrue(text.contains("hidden: 6 in the checkpoint, 5 in this run"), text)
            XCTAssertTrue(text.contains("seed: 0 in the checkpoint, 9 in this run"), text)
        }
    }

    func testInitFromStartsFromTheModelsWeights() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let path = dir.appendingPathComponent("start.tidal").path
        var base = request(epochs: 2)
        base.seed = 5
        let trained = try Training.run(base)
        try ModelFile.write(trained.model, to: path)
        // Stopped before the first batch, the run's model holds its starting weights.
        var fresh = request(epochs: 2)
        fresh.shouldStop = { true }
        var warm = fresh
        warm.initFromPath = path
        let initial = try Training.run(fresh), started = try Training.run(warm)
        XCTAssertEqual(weights(started), weights(trained))
        XCTAssertNotEqual(weights(initial), weights(trained))
        // And training from there moves on from them.
        warm.shouldStop = nil
        XCTAssertNotEqual(weights(try Training.run(warm)), weights(trained))
    }

    func testInitFromRefusesAnotherArchitecture() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let path = dir.appendingPathComponent("start.tidal").path
        try ModelFile.write(try Training.run(request(epochs: 1)).model, to: path)
        var other = request(hidden: 4, epochs: 1, cell: .gru)
        other.initFromPath = path
        XCTAssertThrowsError(try Training.run(other)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("cell is lstm in the model, gru in this run"), text)
            XCTAssertTrue(text.contains("hiddenSize is 6 in the model, 4 in this run"), text)
        }
        var classify = TrainingRequest(dataPath: TestPaths.sampleSeries.appendingPathComponent("ItalyPowerDemand_TRAIN.csv").path)
        classify.task = .classify
        classify.hidden = 6
        classify.epochs = 1
        classify.choosesPatch = false
        classify.initFromPath = path
        XCTAssertThrowsError(try Training.run(classify)) { error in
            XCTAssertTrue("\(error)".contains("it is a forecasting model"), "\(error)")
        }
    }

    func testAnEnsembleIsRefusedWithCheckpointsAndDefaultsToOneNetworkWithThem() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        var r = request(epochs: 1)
        r.ensemble = nil
        r.checkpointPath = dir.appendingPathComponent("c.ckpt").path
        XCTAssertEqual(try r.resolved().members, 1)
        r.ensemble = 2
        XCTAssertThrowsError(try r.resolved()) { XCTAssertEqual($0 as? ContinuationError, .ensembleContinuation) }
        r.checkpointPath = nil
        XCTAssertEqual(try r.resolved().members, 2)
        r.ensemble = nil
        XCTAssertEqual(try r.resolved().members, TrainingPlan.forecastMembers)
    }
}

/// Every weight's bit pattern, for bit-for-bit comparisons of two runs.
func weights(_ outcome: TrainingOutcome) -> [[UInt32]] { outcome.model.weights.map { $0.values.map(\.bitPattern) } }

/// The metrics document without `train_seconds`, the one figure a resumed or repeated run may change.
func metrics(_ outcome: TrainingOutcome) throws -> NSDictionary {
    var object = try JSONSerialization.jsonObject(with: outcome.report.json()) as! [String: Any]
    object["train_seconds"] = nil
    return object as NSDictionary
}
