import Foundation
import TidalTestSupport
import XCTest

/// Ctrl-C during `tidal train` (issue 14, finding 9), sent to the running binary.
final class TrainInterruptTests: XCTestCase {
    /// Starts a long training writing to files in `dir`, waits for its third epoch line, sends
    /// `signals` SIGINTs, and returns the exit status and stderr.
    func interruptedTraining(_ dir: URL, extra: [String], signals: Int = 1) throws -> (status: Int32, stderr: String) {
        let stdout = dir.appendingPathComponent("stdout"), stderr = dir.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        let process = Process()
        process.executableURL = TidalBinary.binary
        process.currentDirectoryURL = TestPaths.packageRoot
        process.environment = TestPaths.childEnvironment()
        // A validation part and fixed scaling and differencing skip the setting search: the epochs start at once.
        process.arguments =
            [
                "train", "--data", "SampleSeries/airline.csv", "--season", "12", "--lookback", "24", "--hidden", "6",
                "--normalize", "zscore", "--difference", "12", "--val-fraction", "0.1", "--epochs", "100000",
            ] + extra
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline {
            if let text = try? String(contentsOf: stdout, encoding: .utf8), text.contains("Epoch [3/") { break }
            usleep(50_000)
        }
        XCTAssertTrue(process.isRunning, "training ended before it could be interrupted")
        for _ in 0 ..< signals { kill(process.processIdentifier, SIGINT) }
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOf: stderr, encoding: .utf8)) ?? "")
    }

    func testFirstSigintSavesTheModelAndExits130() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let model = dir.appendingPathComponent("m.tidal").path, checkpoint = dir.appendingPathComponent("m.ckpt").path
        let run = try interruptedTraining(dir, extra: ["--out", model, "--checkpoint", checkpoint])
        XCTAssertEqual(run.status, 130, run.stderr)
        XCTAssertTrue(run.stderr.hasPrefix("tidal: interrupted in epoch "), run.stderr)
        XCTAssertTrue(run.stderr.contains("to \(model)"), run.stderr)
        XCTAssertTrue(run.stderr.contains("continue with --resume \(checkpoint)"), run.stderr)
        let inspect = try TidalBinary.tidal(["inspect", model])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        XCTAssertTrue(inspect.stdout.contains("hidden 6"), inspect.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoint))
    }

    func testSecondSigintExitsAtOnce() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let model = dir.appendingPathComponent("m.tidal").path
        let run = try interruptedTraining(dir, extra: ["--out", model], signals: 2)
        XCTAssertEqual(run.status, 130, run.stderr)
        // Both signals usually land before the batch ends; if the first was handled in time, it says so.
        if FileManager.default.fileExists(atPath: model) { XCTAssertTrue(run.stderr.contains("interrupted"), run.stderr) }
    }

    func testInitFromAndResumeRefuseMismatchesWithAMessage() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let model = dir.appendingPathComponent("m.tidal").path
        let base = ["train", "--data", "SampleSeries/airline.csv", "--lookback", "24", "--val-fraction", "0.1", "--epochs", "1", "--quiet"]
        XCTAssertEqual(try TidalBinary.tidal(base + ["--hidden", "4", "--out", model]).status, 0)
        let warm = try TidalBinary.tidal(base + ["--hidden", "5", "--init-from", model])
        XCTAssertEqual(warm.status, 1)
        XCTAssertTrue(warm.stderr.contains("hiddenSize is 4 in the model, 5 in this run"), warm.stderr)
        let resume = try TidalBinary.tidal(base + ["--hidden", "4", "--resume", model])
        XCTAssertEqual(resume.status, 1)
        XCTAssertTrue(resume.stderr.contains("this is a model file, not a checkpoint"), resume.stderr)
        let both = try TidalBinary.tidal(base + ["--resume", model, "--init-from", model])
        XCTAssertNotEqual(both.status, 0)
    }
}
