import Foundation
import TidalCore
import TidalData
import TidalNet
import TidalTestSupport
import XCTest

@testable import TidalModel

/// Step budgets (`TrainingRequest.steps`): deterministic for a seed and thread count, resumable bit
/// for bit, and the default only above `TrainingBudget.stepThreshold` training windows.
///
/// Small runs on a generated hourly series of 600 rows (hidden 6, steps of 32 windows drawn from
/// about 450), each a second or two in a debug build.
final class TrainingBudgetTests: XCTestCase {
    static let sensor: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tidal-budget-\(getpid()).csv").path
        var text = ""
        Synthetic.sensor(rows: 600, seed: 3) { text += $0 }
        try! text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }()

    /// `search`: leave scaling and differencing to the setting search (its short trials then run too).
    func request(steps: Int? = 24, threads: Int = 1, search: Bool = false) -> TrainingRequest {
        var r = TrainingRequest(dataPath: Self.sensor)
        r.targets = ["temperature"]
        r.lookback = 30
        r.season = 24
        r.hidden = 6
        r.steps = steps
        r.evaluationInterval = 8
        r.threads = threads
        r.ensemble = 1  // the uninterrupted reference must train the one network a checkpoint holds
        if !search {
            r.scaling = .zscore
            r.difference = 24
            r.valFraction = 0.2
        }
        r.createdAt = Date(timeIntervalSince1970: 0)
        return r
    }

    func testStepBudgetIsDeterministicForASeedAndThreadCount() throws {
        for threads in [1, 2] {
            let first = try Training.run(request(threads: threads, search: true))
            let second = try Training.run(request(threads: threads, search: true))
            XCTAssertEqual(weights(first), weights(second), "threads \(threads)")
            XCTAssertEqual(try metrics(first), try metrics(second), "threads \(threads)")
            XCTAssertEqual(first.result.history.map(\.steps), [8, 16, 24])
            XCTAssertEqual(first.report.stepsRun, 24)
            XCTAssertTrue(first.report.choices?.contains("refitted for 24 steps") ?? false, first.report.choices ?? "")
        }
    }

    func testAStepBudgetDrawsOtherBatchesThanEpochs() throws {
        var epochs = request(steps: nil)
        epochs.epochs = 2
        let stepped = try Training.run(request(steps: 24))
        XCTAssertNotEqual(weights(try Training.run(epochs)), weights(stepped))
        XCTAssertNil(try Training.run(epochs).report.stepsRun)
    }

    func testStepBudgetResumesBitIdenticallyMidInterval() throws {
        for threads in [1, 2] {
            let dir = try TestPaths.temporaryDirectory(self)
            let path = dir.appendingPathComponent("run.checkpoint").path
            let straight = try Training.run(request(threads: threads))
            var first = request(threads: threads)
            first.checkpointPath = path
            let calls = Counter()
            first.shouldStop = { calls.next() > 11 }
            let stopped = try Training.run(first)
            XCTAssertEqual(stopped.result.interruption?.stepsDone, 11)
            XCTAssertEqual(stopped.result.interruption?.stepBudget, 24)
            var second = request(threads: threads)
            second.resumePath = path
            let resumed = try Training.run(second)
            XCTAssertEqual(weights(resumed), weights(straight), "threads \(threads)")
            XCTAssertEqual(try metrics(resumed), try metrics(straight), "threads \(threads)")
        }
    }

    func testAStepBudgetCanBeRaisedOnResume() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let path = dir.appendingPathComponent("run.checkpoint").path
        var first = request(steps: 16)
        first.checkpointPath = path
        first.checkpointEvery = 2
        _ = try Training.run(first)
        XCTAssertEqual(try CheckpointFile.read(path).state.history.last?.steps, 16)
        var second = request(steps: 24)
        second.resumePath = path
        let resumed = try Training.run(second)
        // It continues where the checkpoint stood, annealing over the raised budget from there.
        XCTAssertEqual(resumed.result.history.map(\.steps), [8, 16, 24])
        let first16 = try Training.run(request(steps: 16))
        XCTAssertEqual(resumed.result.history.prefix(2).map(\.trainLoss), first16.result.history.map(\.trainLoss))
    }

    func testAnEpochCheckpointDoesNotContinueAsSteps() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let path = dir.appendingPathComponent("run.checkpoint").path
        var first = request(steps: nil)
        first.epochs = 1
        first.checkpointPath = path
        first.checkpointEvery = 1
        _ = try Training.run(first)
        var second = request(steps: 24)
        second.resumePath = path
        XCTAssertThrowsError(try Training.run(second)) { error in
            XCTAssertTrue("\(error)".contains("budget: epochs in the checkpoint, steps in this run"), "\(error)")
        }
    }

    func testTheDefaultBudgetSwitchesAboveTheThreshold() {
        let request = TrainingRequest(dataPath: "unused.csv")
        var small = TrainingConfiguration(), large = TrainingConfiguration()
        TrainingBudget.resolve(&small, request: request, samples: TrainingBudget.stepThreshold)
        TrainingBudget.resolve(&large, request: request, samples: TrainingBudget.stepThreshold + 1)
        XCTAssertNil(small.steps)
        XCTAssertEqual(large.steps, TrainingBudget.defaultSteps)
        var epochs = request, steps = request
        epochs.epochs = 3
        steps.steps = 7
        var a = TrainingConfiguration(), b = TrainingConfiguration()
        TrainingBudget.resolve(&a, request: epochs, samples: 10 * TrainingBudget.stepThreshold)
        TrainingBudget.resolve(&b, request: steps, samples: 10)
        XCTAssertNil(a.steps, "--epochs keeps full passes on a large part")
        XCTAssertEqual(b.steps, 7, "--steps gives a step budget on a small part")
    }

    /// Every file of the public data trains on full epochs with the default flags: a training part
    /// never holds more windows or samples than 80 % of its rows, which stays under the threshold.
    func testEveryPublicDataFileStaysOnTheEpochBudget() throws {
        let root = TestPaths.data
        guard let files = FileManager.default.enumerator(atPath: root.path) else { throw XCTSkip("no shared data here") }
        var checked = 0
        for case let name as String in files where name.hasSuffix(".csv") {
            let text = try String(contentsOf: root.appendingPathComponent(name), encoding: .utf8)
            let rows = text.split(separator: "\n").count - 1
            XCTAssertLessThanOrEqual(Int(Double(rows) * 0.8), TrainingBudget.stepThreshold, name)
            checked += 1
        }
        if checked == 0 { throw XCTSkip("no shared data here") }
    }

    func testTheDescriptionStatesTheBudget() throws {
        final class Lines: TrainingObserver, @unchecked Sendable {
            var description = ""
            func started(description: String) { self.description = description }
            func epochEnded(_ record: EpochRecord, of total: Int, task: TaskKind) {}
            func batchEnded(_ index: Int, of count: Int, epoch: Int) {}
        }
        let lines = Lines()
        _ = try Training.run(request(), observer: lines)
        XCTAssertTrue(lines.description.contains("budget 24 steps of 32 windows drawn from "), lines.description)
        var epochs = request(steps: nil)
        epochs.epochs = 1
        _ = try Training.run(epochs, observer: lines)
        XCTAssertTrue(lines.description.hasSuffix("; budget 1 epoch of 354 windows (--epochs); 1 thread"), lines.description)
    }
}

/// Counts calls from any thread.
final class Counter: @unchecked Sendable {
    private var count = 0
    private let lock = NSLock()
    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        return count
    }
}
