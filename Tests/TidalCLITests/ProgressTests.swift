import Foundation
import TidalTestSupport
import XCTest

/// What `tidal train` shows while it runs when stderr is not a terminal, and the thread count it
/// picks by default.
final class ProgressTests: XCTestCase {
    /// Runs the built binary with stderr on a pipe (never a terminal) and stdout in a file, `environment` added.
    func run(_ arguments: [String], environment: [String: String] = [:], prefix: [String] = []) throws -> TidalBinary.Run {
        let process = Process()
        process.executableURL = prefix.isEmpty ? TidalBinary.binary : URL(fileURLWithPath: prefix[0])
        process.arguments = prefix.isEmpty ? arguments : Array(prefix.dropFirst()) + [TidalBinary.binary.path] + arguments
        process.currentDirectoryURL = TestPaths.packageRoot
        process.environment = TestPaths.childEnvironment(environment)
        let stdout = try TestPaths.temporaryDirectory(self).appendingPathComponent("stdout")
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
        let err = Pipe()
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = err
        try process.run()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return TidalBinary.Run(
            status: process.terminationStatus, stdout: try String(contentsOf: stdout, encoding: .utf8),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// A step-budget run long enough for several status lines at the interval the test sets.
    let training = [
        "train", "--data", "SampleSeries/airline.csv", "--lookback", "24", "--season", "12", "--hidden", "8", "--normalize", "zscore",
        "--difference", "12", "--val-fraction", "0.2", "--steps", "600", "--eval-every", "200", "--batch", "8", "--threads", "1",
        "--ensemble", "1",
    ]

    func testStatusLinesComeAtMostOncePerIntervalWhenStderrIsNotATerminal() throws {
        let interval = 0.15
        let started = Date()
        let result = try run(training.map { $0 == "600" ? "1500" : $0 }, environment: ["TIDAL_STATUS_INTERVAL": "\(interval)"])
        let wall = Date().timeIntervalSince(started)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        XCTAssertFalse(result.stderr.contains("\r") || result.stderr.contains("\u{1B}["), "no bar on a pipe: \(result.stderr)")
        // `tidal: training: step 1,234/1,500 (82%), loss 0.1234, elapsed 1.2s, ETA 4.8s`
        let pattern = try NSRegularExpression(
            pattern: #"^tidal: training: step ([0-9,]+)/1,500 \(\d+%\), loss [0-9.e+-]+, elapsed ([0-9.]+)s, ETA (\d|\?)"#)
        var elapsed: [Double] = [], steps: [Int] = []
        for line in lines {
            let range = NSRange(line.startIndex..., in: line)
            guard let m = pattern.firstMatch(in: line, range: range) else {
                XCTFail("unexpected stderr line: \(line)")
                continue
            }
            steps.append(Int(line[Range(m.range(at: 1), in: line)!].filter { $0 != "," })!)
            elapsed.append(Double(line[Range(m.range(at: 2), in: line)!])!)
        }
        if wall < 3 * interval { throw XCTSkip("the run took \(wall) s, too short to see status lines at \(interval) s") }
        XCTAssertGreaterThanOrEqual(lines.count, 2, "a \(wall) s run printed too few status lines: \(result.stdout)")
        XCTAssertLessThanOrEqual(Double(lines.count), wall / interval + 1, "more than one line per interval")
        XCTAssertEqual(steps, steps.sorted())
        for (a, b) in zip(elapsed, elapsed.dropFirst()) { XCTAssertGreaterThanOrEqual(b - a, interval - 0.1, "lines \(a) s and \(b) s") }
        XCTAssertTrue(result.stdout.contains("Step [1500/1500], Train Loss: "), result.stdout)
    }

    func testQuietSilencesTheStatusLines() throws {
        let result = try run(training + ["--quiet"], environment: ["TIDAL_STATUS_INTERVAL": "0"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        XCTAssertEqual(result.stdout, "")
    }

    func testAnIntervalOfZeroPrintsALineForEveryBatch() throws {
        let result = try run(training, environment: ["TIDAL_STATUS_INTERVAL": "0"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 600, String(result.stderr.prefix(400)))
    }

    /// The first output line names the budget and the thread count; by default the cores in the
    /// affinity mask (one under `taskset -c 0`).
    func testTheDefaultThreadsFollowTheAffinityMask() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset") else { throw XCTSkip("no taskset") }
        let pinned = try run(Array(training.dropLast(2)), prefix: ["/usr/bin/taskset", "-c", "0"])
        XCTAssertEqual(pinned.status, 0, pinned.stderr)
        let first = try XCTUnwrap(pinned.stdout.split(separator: "\n").first.map(String.init))
        XCTAssertTrue(
            first.hasSuffix("; budget 600 steps of 8 windows drawn from 68, evaluated every 200 steps (--steps); 1 thread"), first)
    }
}
