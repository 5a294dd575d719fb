import TidalCore
import TidalData
@testable import TidalModel
import TidalTestSupport
import XCTest

/// The patch length of whole-sample classification, chosen by cross-validation on the training samples.
final class PatchSelectionTests: XCTestCase {
    func testCandidates() {
        XCTAssertEqual(TrainingSession.patchCandidates(length: 251), [4, 32, 251])
        XCTAssertEqual(TrainingSession.patchCandidates(length: 24), [1, 3, 24])
        XCTAssertEqual(TrainingSession.patchCandidates(length: 5), [1, 5])
        XCTAssertEqual(TrainingSession.patchCandidates(length: 1), [1])
    }

    func testSubsetByIndicesKeepsSamplesWhole() {
        let set = SampleSet(source: "s", channels: 2, values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], offsets: [0, 1, 3, 5],
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

    func testChoosesAmongTheCandidatesAndSaysHow() throws {
        let set = sampleSet(perClass: 6, length: 12)
        var request = TrainingRequest(dataPath: "s")
        request.task = .classify
        request.hidden = 4
        request.training.epochs = 3
        var stats = RunningStatistics()
        for v in set.values { stats.add(Double(v)) }
        let spec = SampleSpec(layout: .ucr, channels: 1, classes: ["0", "1"], normalizer: Normalizer(kind: .zscore, statistics: [stats]),
                              targetShift: 0, targetScale: 1, maxLength: 12, patch: 1)
        let choice = try XCTUnwrap(TrainingSession.choosePatch(request, spec: spec, set: set))
        XCTAssertTrue(TrainingSession.patchCandidates(length: 12).contains(choice.patch))
        XCTAssertTrue(choice.note.contains("4-fold cross-validation"), choice.note)
        XCTAssertTrue(choice.note.contains("patch 12: accuracy"), choice.note)
        // Same seed, same choice.
        XCTAssertEqual(try TrainingSession.choosePatch(request, spec: spec, set: set)?.note, choice.note)

        // Nothing to choose: regression, or a class with a single sample (it cannot be folded).
        request.task = .regress
        XCTAssertNil(try TrainingSession.choosePatch(request, spec: spec, set: set))
        request.task = .classify
        var lonely = set.subset(indices: Array(0 ..< 11))
        lonely.labels[9] = "2"
        XCTAssertNil(try TrainingSession.choosePatch(request, spec: spec, set: lonely))
    }
}
