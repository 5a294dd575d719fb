import TidalData
import XCTest

final class ClassificationMetricsTests: XCTestCase {
    /// A class absent from both the labels and the predictions is left out of macro-F1 (scikit-learn's
    /// `f1_score(average="macro")` over the labels present).
    func testMacroF1AveragesOverTheClassesPresent() {
        let m = ClassificationMetrics(actual: [0, 0, 1, 1], predicted: [0, 1, 1, 1], classes: 3)
        // Class 0: precision 1, recall 1/2, F1 2/3; class 1: precision 2/3, recall 1, F1 4/5; class 2 absent.
        XCTAssertEqual(m.macroF1, (2.0 / 3 + 0.8) / 2, accuracy: 1e-12)
        XCTAssertEqual(m.accuracy, 0.75, accuracy: 1e-12)
        XCTAssertEqual(m.precision[2], 0)
        XCTAssertEqual(m.recall[2], 0)
    }

    /// A class never in the labels but predicted is present: its false positives count, with F1 0.
    func testAPredictedAbsentClassCountsWithF1Zero() {
        let m = ClassificationMetrics(actual: [0, 0, 1], predicted: [0, 2, 1], classes: 3)
        XCTAssertEqual(m.macroF1, (2.0 / 3 + 1 + 0) / 3, accuracy: 1e-12)
        XCTAssertEqual(m.confusion, [[1, 0, 1], [0, 1, 0], [0, 0, 0]])
    }
}
