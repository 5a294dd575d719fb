import TidalCore
import TidalData
@testable import TidalModel
import TidalTestSupport
import XCTest

/// The patch length of whole-sample classification, chosen by cross-validation on the training samples.
final class PatchSelectionTests: XCTestCase {
    func testCandidates() {
        XCTAssertEqual(PatchSearch.candidates(length: 251), [4, 32, 251])
        XCTAssertEqual(PatchSearch.candidates(length: 24), [1, 3, 24])
        XCTAssertEqual(PatchSearch.candidates(length: 5), [1, 5])
        XCTAssertEqual(PatchSearch.candidates(length: 1), [1])
    }

    func testSubsetByIndicesKeepsSamplesWhole() {
        let set = SampleSet(
            source: "s", channels: 2, values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], offsets: [0, 1, 3, 5],
            labels: ["a", "b", "c"], lines: [2, 3, 4])
        let picked = set.subset(indices: [2, 0])
        XCTAssertEqual(picked.labels, ["c", "a"])
        XCTAssertEqual(picked.lines, [4, 2])
        XCTAssertEqual(picked.offsets, [0, 2, 3])
        XCTAssertEqual(picked.values, [7, 8, 9, 10, 1, 2])
    }

    func sampleSet(perClass: Int, length: Int) -> SampleSet {
        var g = testGenerator(21)
        var set = SampleSet(source: "s", channels: 1, values: [], offsets: [0], labels: [], lines: [])
        for i in 0 ..< 2 * perClass {
            let label = i % 2
            for t in 0 ..< length { set.values.append(Float(label) * (t < length / 2 ? 1 : -1) + 0.3 * g.uniform(-1, 1)) }
            set.offsets.append(set.values.count)
            set.labels.append(String(label))
            set.lines.append(i + 2)
        }
        return set
    }

    /// The decision rule: a candidate wins only by more than two standard errors of the default's accuracy.
    func testTheDefaultIsKeptUnlessClearlyBeaten() {
        // n = 40, default accuracy 0.6: SE = √(0.6 · 0.4 / 40) ≈ 0.077, so a lead above 0.155 is needed.
        let clear = PatchSearch.decide([(4, 0.6, 1.0), (32, 0.95, 0.4), (251, 0.7, 0.9)], sampleCount: 40)
        XCTAssertEqual(clear.chosen.patch, 32)
        XCTAssertEqual(clear.standardError, (0.6 * 0.4 / 40).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(PatchSearch.decide([(4, 0.6, 1.0), (32, 0.7, 0.4)], sampleCount: 40).chosen.patch, 4)
        // Ties in accuracy go to the lower loss; a perfect default still needs a lead above 2/n.
        XCTAssertEqual(PatchSearch.decide([(4, 0.5, 1.0), (8, 0.9, 0.6), (64, 0.9, 0.3)], sampleCount: 100).chosen.patch, 64)
        XCTAssertEqual(PatchSearch.decide([(4, 1.0, 0.1), (8, 1.0, 0.01)], sampleCount: 10).chosen.patch, 4)
    }

    func plan(_ task: TaskKind) throws -> TrainingPlan {
        var request = TrainingRequest(dataPath: "s")
        request.task = task
        request.hidden = 4
        request.epochs = 3
        return try request.resolved()
    }

    func testChoosesAmongTheCandidatesAndSaysHow() throws {
        let set = sampleSet(perClass: 6, length: 12)
        var stats = RunningStatistics()
        for v in set.values { stats.add(Double(v)) }
        let spec = SampleSpec(
            layout: .ucr, channels: 1, classes: ["0", "1"], normalizer: Normalizer(kind: .zscore, statistics: [stats]),
            targetShift: 0, targetScale: 1, maxLength: 12, patch: 1)
        let search = PatchSearch(plan: try plan(.classify), spec: spec, set: set, observer: nil)
        let choice = try XCTUnwrap(search.run())
        XCTAssertTrue(PatchSearch.candidates(length: 12).contains(choice.patch))
        XCTAssertTrue(choice.note.contains("4-fold cross-validation"), choice.note)
        XCTAssertTrue(choice.note.contains("patch 12: accuracy"), choice.note)
        // Same seed, same choice.
        XCTAssertEqual(try search.run()?.note, choice.note)

        // Nothing to choose: a class with a single sample (it cannot be folded), or a set too large.
        var lonely = set.subset(indices: Array(0 ..< 11))
        lonely.labels[9] = "2"
        XCTAssertNil(try PatchSearch(plan: try plan(.classify), spec: spec, set: lonely, observer: nil).run())
        XCTAssertNil(PatchSearch.stratifiedFolds(lonely.labels, count: 4))
        XCTAssertEqual(PatchSearch.stratifiedFolds(["a", "b", "a", "a", "b"], count: 2), [0, 0, 1, 0, 1])
    }
}
