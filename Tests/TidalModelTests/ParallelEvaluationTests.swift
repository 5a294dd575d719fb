import Foundation
import TidalCore
import TidalData
import TidalNet
import TidalTestSupport
import XCTest

@testable import TidalModel

/// Evaluation, test scoring and `forecast --all` over several threads give the figures of one
/// thread bit for bit; the default thread count respects the CPU quota.
final class ParallelEvaluationTests: XCTestCase {
    /// A forecasting task on a generated series of `rows` rows and an untrained network for it.
    func task(rows: Int, scaling: Scaling = .window) throws -> (ForecastTask, SequenceModel) {
        let dir = try TestPaths.temporaryDirectory(self)
        let path = dir.appendingPathComponent("sensor.csv").path
        var text = ""
        Synthetic.sensor(rows: rows, seed: 5) { text += $0 }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var options = TableOptions()
        options.numericColumns = ["temperature", "humidity"]
        var setup = ForecastSetup(targets: ["temperature"])
        setup.features = ["temperature", "humidity"]
        setup.lookback = 24
        setup.horizon = 2
        setup.scaling = scaling
        setup.difference = 0
        setup.valFraction = 0.1
        let task = try ForecastTask(table: try Table.load(path: path, options: options), setup: setup)
        let network = SequenceModel(
            ModelArchitecture(cell: .gru, inputSize: 2, hiddenSize: 16, layers: 2, outputSize: task.spec.outputCount), seed: 9)
        return (task, network)
    }

    func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    func testForecastEvaluationIsTheSameOnEveryThreadCount() throws {
        let (task, network) = try task(rows: 1500)
        let one = task.train.evaluate(network, loss: .regression(.huber), threads: 1)
        let serial = task.train.predict(network, threads: 1)
        for threads in [2, 3, 8] {
            let many = task.train.evaluate(network, loss: .regression(.huber), threads: threads)
            XCTAssertEqual(one.loss.bitPattern, many.loss.bitPattern, "threads \(threads)")
            XCTAssertEqual(one.mae?.bitPattern, many.mae?.bitPattern, "threads \(threads)")
            XCTAssertEqual(bits(serial), bits(task.train.predict(network, threads: threads)), "threads \(threads)")
        }
    }

    func testSampleScoringIsTheSameOnEveryThreadCount() throws {
        var text = ""
        Synthetic.recall(length: 30, lag: 10, samples: 300, classes: 3, seed: 2) { text += $0 }
        let dir = try TestPaths.temporaryDirectory(self)
        let path = dir.appendingPathComponent("recall.csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var request = TrainingRequest(dataPath: path)
        request.task = .classify
        request.choosesPatch = false
        let data = try SamplePipeline.prepare(try request.resolved(), observer: nil).train
        let network = SequenceModel(ModelArchitecture(cell: .lstm, inputSize: 1, hiddenSize: 16, layers: 1, outputSize: 3), seed: 4)
        let objective = Objective.classification(classes: 3)
        let one = SampleScoring.evaluation(network, data, objective: objective, threads: 1)
        let many = SampleScoring.evaluation(network, data, objective: objective, threads: 3)
        XCTAssertEqual(one.loss.bitPattern, many.loss.bitPattern)
        XCTAssertEqual(one.accuracy, many.accuracy)
        let a = SampleScoring.predictions(network, data, threads: 1), b = SampleScoring.predictions(network, data, threads: 2)
        XCTAssertEqual(a.map { bits($0.values) }, b.map { bits($0.values) })
    }

    /// `forecast --all` runs each window as `replay` does (batch 1), on any number of threads.
    func testForecastAllIsTheSameOnEveryThreadCountAndEqualsOneWindowAtATime() throws {
        let (task, network) = try task(rows: 1200)
        for layer in network.recurrent.layers { layer.weightsFrozen = true }
        let forecaster = Forecaster(spec: task.spec, network: network)
        let serial = forecaster.predictAll(raw: task.train.raw, threads: 1)
        XCTAssertEqual(serial.count, 1200 - 24 + 1)
        for threads in [2, 5] {
            let parallel = forecaster.predictAll(raw: task.train.raw, threads: threads)
            XCTAssertEqual(parallel.map(\.origin), serial.map(\.origin))
            XCTAssertEqual(parallel.map { bits($0.values) }, serial.map { bits($0.values) }, "threads \(threads)")
        }
        let C = task.spec.columns.count, last = serial.last!
        let window = Array(task.train.raw[(1200 - 24) * C ..< 1200 * C])
        XCTAssertEqual(bits(forecaster.predict(window: window)), bits(last.values))
    }

    func testTheCPUQuotaIsReadAsCores() {
        XCTAssertEqual(Processors.cores(cpuMax: "max 100000"), nil)
        XCTAssertEqual(Processors.cores(cpuMax: "200000 100000\n"), 2)
        XCTAssertEqual(Processors.cores(cpuMax: "150000 100000"), 2)
        XCTAssertEqual(Processors.cores(cpuMax: "50000 100000"), 1)
        XCTAssertEqual(Processors.cores(cpuMax: "garbage"), nil)
        XCTAssertEqual(Processors.cores(quota: -1, period: 100_000), nil)
        XCTAssertEqual(Processors.cores(quota: 400_000, period: 100_000), 4)
        XCTAssertGreaterThanOrEqual(Processors.available, 1)
        XCTAssertLessThanOrEqual(Processors.available, ProcessInfo.processInfo.processorCount)
    }
}
