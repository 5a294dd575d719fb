import Foundation
import TidalTestSupport
import XCTest

/// A test part without some of the training classes is named on stderr and in the metrics JSON.
final class ClassificationWarningTests: XCTestCase {
    /// Rows `label,t0,…,t3` of UCR layout: `count` samples of each of `labels`, a level per class.
    func samples(_ labels: [String], count: Int) -> String {
        var csv = ""
        for i in 0 ..< count {
            for (k, label) in labels.enumerated() {
                let level = Double(k) + Double(i % 3) * 0.1
                csv += "\(label),\(level),\(level + 0.5),\(level),\(level + 0.5)\n"
            }
        }
        return csv
    }

    func train(_ arguments: [String], in dir: URL) throws -> (run: TidalBinary.Run, warning: String?) {
        let metrics = dir.appendingPathComponent("m-\(UUID().uuidString).json").path
        let run = try TidalBinary.tidal(
            ["train", "--task", "classify", "--epochs", "1", "--hidden", "4", "--metrics", metrics] + arguments)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: metrics))) as? [String: Any]
        return (run, json?["warning"] as? String)
    }

    func testMissingTestClassesAreNamed() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let trainFile = dir.appendingPathComponent("train.csv").path, testFile = dir.appendingPathComponent("test.csv").path
        try samples(["a", "b", "c"], count: 8).write(toFile: trainFile, atomically: true, encoding: .utf8)
        try samples(["a", "b"], count: 4).write(toFile: testFile, atomically: true, encoding: .utf8)
        let given = try train(["--data", trainFile, "--test", testFile], in: dir)
        XCTAssertEqual(given.run.status, 0, given.run.stderr)
        let expected =
            "the test file \(testFile) holds no class \"c\" of the training part: its scores cover the other classes only "
            + "(macro-F1 averages over the classes present)"
        XCTAssertEqual(given.warning, expected)
        XCTAssertTrue(given.run.stderr.contains("tidal: warning: \(expected)\n"), given.run.stderr)

        // The chronological test part: the last 20 % of the rows, which hold only class "b" here.
        let ordered = dir.appendingPathComponent("ordered.csv").path
        try (samples(["a", "b", "c"], count: 8) + samples(["b"], count: 8)).write(toFile: ordered, atomically: true, encoding: .utf8)
        let tail = try train(["--data", ordered], in: dir)
        XCTAssertEqual(tail.run.status, 0, tail.run.stderr)
        XCTAssertEqual(
            tail.warning,
            "the test part (the last --test-fraction of the samples) holds no classes \"a\", \"c\" of the training part: its "
                + "scores cover the other classes only (macro-F1 averages over the classes present)")

        // Every class in the test part: no warning.
        let complete = try train(["--data", trainFile, "--test", trainFile], in: dir)
        XCTAssertEqual(complete.run.status, 0, complete.run.stderr)
        XCTAssertNil(complete.warning)
        XCTAssertFalse(complete.run.stderr.contains("warning"), complete.run.stderr)
    }
}
