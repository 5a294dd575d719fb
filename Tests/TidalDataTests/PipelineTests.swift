import TidalCore
import TidalData
import TidalTestSupport
import XCTest

final class PipelineTests: XCTestCase {
    func testNormalizerMatchesTwoPassReference() {
        var generator = testGenerator(3)
        let values = (0 ..< 1_000_000).map { _ in Float(1e4 + generator.normal() * 3) }
        var chunked = RunningStatistics()
        var offset = 0
        let chunkSizes = [1, 7, 4096, 100_003]
        var k = 0
        values.withUnsafeBufferPointer { all in
            while offset < all.count {
                let n = min(chunkSizes[k % chunkSizes.count], all.count - offset)
                var part = RunningStatistics()
                part.add(contentsOf: UnsafeBufferPointer(rebasing: all[offset ..< offset + n]))
                chunked.merge(part)
                offset += n
                k += 1
            }
        }
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)
        XCTAssertEqual(chunked.count, values.count)
        XCTAssertEqual(chunked.mean, mean, accuracy: 1e-9 * abs(mean))
        XCTAssertEqual(chunked.populationVariance, variance, accuracy: 1e-9 * variance)

        let normalizer = Normalizer(kind: .zscore, statistics: [chunked])
        XCTAssertEqual(normalizer.inverse(normalizer.transform(10_003, column: 0), column: 0), 10_003, accuracy: 1e-3)
        XCTAssertEqual(Normalizer(serialized: normalizer.serialized()), normalizer)
        let minmax = Normalizer(kind: .minmax, fitting: [[2, 4, 6]], rows: 0 ..< 3)
        XCTAssertEqual(minmax.transform(4, column: 0), 0.5)
        XCTAssertEqual(Normalizer(serialized: minmax.serialized()), minmax)
        XCTAssertNil(Normalizer(serialized: [9, 0, 0]))
    }

    func testSplitAndWindowBoundaries() {
        let split = ChronologicalSplit(rowCount: 144, testFraction: 0.2, valFraction: 0)
        XCTAssertEqual(split.testStart, 115)
        let origins = WindowOrigins(split: split, spec: WindowSpec(lookback: 24, horizon: 1))
        XCTAssertEqual(origins.test.first, 115)
        XCTAssertEqual(origins.test.last, 143)
        XCTAssertEqual(origins.test.count, 29)
        XCTAssertEqual(origins.train.first, 24)
        XCTAssertEqual(origins.train.last, 114)
        let h12 = WindowOrigins(split: split, spec: WindowSpec(lookback: 24, horizon: 12))
        XCTAssertEqual(h12.test.count, 18)  // the protocol's 18 origins
        XCTAssertEqual(h12.train.last! + 12, 115)  // targets never cross into the test part
        let withVal = ChronologicalSplit(rowCount: 100, testFraction: 0.2, valFraction: 0.25)
        XCTAssertEqual(withVal.trainEnd, 60)
        let o = WindowOrigins(split: withVal, spec: WindowSpec(lookback: 5, horizon: 2, stride: 3))
        XCTAssertEqual(o.validation, [60, 63, 66, 69, 72, 75, 78])
        XCTAssertTrue(o.train.allSatisfy { $0 + 2 <= 60 })
        XCTAssertEqual(WindowOrigins.all(rowCount: 10, lookback: 4), 4 ... 10)
    }

    func testBatcherIsSeeded() {
        var a = SequenceBatcher(sampleCount: 10, batchSize: 4, seed: 1)
        var b = SequenceBatcher(sampleCount: 10, batchSize: 4, seed: 1)
        var c = SequenceBatcher(sampleCount: 10, batchSize: 4, seed: 2)
        let ea = a.nextEpoch()
        XCTAssertEqual(ea, b.nextEpoch())
        XCTAssertNotEqual(ea, c.nextEpoch())
        XCTAssertEqual(ea.map(\.count), [4, 4, 2])
        XCTAssertEqual(ea.flatMap { $0 }.sorted(), Array(0 ..< 10))
        XCTAssertNotEqual(a.nextEpoch(), ea)
        XCTAssertEqual(a.evaluationBatches(), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
    }

    func testBalancedDrawsVisitEveryGroupAlikeWhateverItsSize() {
        // Group 0 holds one sample, group 1 ninety-nine: uniform draws would see sample 0 once in a
        // hundred, balanced ones half the time.
        var balanced = SequenceBatcher(sampleCount: 100, batchSize: 50, seed: 3)
        balanced.groups = [[0], Array(1 ..< 100), []]
        let draws = balanced.nextDraw(batches: 200).flatMap { $0 }
        let share = Double(draws.filter { $0 == 0 }.count) / Double(draws.count)
        XCTAssertEqual(share, 0.5, accuracy: 0.02)
        XCTAssertTrue(draws.allSatisfy { (0 ..< 100).contains($0) })
        // A balanced epoch is sampleCount draws, seeded.
        var again = SequenceBatcher(sampleCount: 100, batchSize: 50, seed: 3)
        again.groups = [[0], Array(1 ..< 100)]
        var twin = again
        let epoch = again.nextEpoch()
        XCTAssertEqual(epoch.map(\.count), [50, 50])
        XCTAssertEqual(twin.nextEpoch(), epoch)
        XCTAssertNotEqual(again.nextEpoch(), epoch)
        var uniform = SequenceBatcher(sampleCount: 100, batchSize: 50, seed: 3)
        let plain = uniform.nextDraw(batches: 200).flatMap { $0 }
        XCTAssertLessThan(Double(plain.filter { $0 == 0 }.count) / Double(plain.count), 0.03)
        // One group, or groups of one size, is no grouping: the same draws as uniform ones.
        var single = SequenceBatcher(sampleCount: 100, batchSize: 50, seed: 3)
        single.groups = [Array(0 ..< 50), Array(50 ..< 100)]
        var reference = SequenceBatcher(sampleCount: 100, batchSize: 50, seed: 3)
        XCTAssertEqual(single.nextDraw(batches: 3), reference.nextDraw(batches: 3))
        XCTAssertEqual(single.nextEpoch(), reference.nextEpoch())
    }

    func testSharedClassificationFilesLoad() throws {
        let dir = TestPaths.data.appendingPathComponent("classification")
        let cases: [(String, SampleSet.Format, Int, Int, Int)] = [
            ("GunPoint_TRAIN", .ucr, 50, 2, 150), ("GunPoint_TEST", .ucr, 150, 2, 150),
            ("ItalyPowerDemand_TRAIN", .ucr, 67, 2, 24), ("ArrowHead_TRAIN", .ucr, 36, 3, 251),
            ("BasicMotions_TRAIN", .long, 40, 4, 100), ("BasicMotions_TEST", .long, 40, 4, 100),
        ]
        for (name, format, count, classes, length) in cases {
            let set = try SampleSet.load(path: dir.appendingPathComponent("\(name).csv").path, format: format)
            XCTAssertEqual(set.count, count, name)
            XCTAssertEqual(ClassLabels(collecting: set.labels).count, classes, name)
            XCTAssertEqual(set.maxLength, length, name)
        }
        let motions = try SampleSet.load(path: dir.appendingPathComponent("BasicMotions_TRAIN.csv").path, format: .long)
        XCTAssertEqual(motions.channels, 6)
        let pickup = try SampleSet.load(path: dir.appendingPathComponent("PickupGestureWiimoteZ_TRAIN.csv").path, format: .ucr)
        XCTAssertEqual(pickup.count, 50)
        XCTAssertLessThan((0 ..< pickup.count).map(pickup.length).min()!, pickup.maxLength)  // unequal lengths kept
        XCTAssertEqual(ClassLabels(collecting: ["10", "2", "1"]).names, ["1", "2", "10"])
    }
}
