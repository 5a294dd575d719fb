import Foundation
import TidalTestSupport

/// A scratch working directory in which one document's commands run in order, as a reader would run them
/// from the package root: it holds a copy of `SampleSeries/` (so relative paths read as in the docs, and
/// no command can change a shipped file), and files one command writes are there for the next.
struct DocSession {
    /// What a command printed, stdout and stderr interleaved as a terminal shows them.
    struct Run {
        var status: Int32
        var output: String
        var seconds: Double

        /// The output's lines, without the empty string after the final newline.
        var lines: [String] {
            var lines = output.components(separatedBy: "\n")
            if lines.last == "" { lines.removeLast() }
            return lines
        }
    }

    /// Seconds a command may run before it is stopped and reported (`timeout` kills its process group).
    static let timeoutSeconds = 300

    let root: URL
    let directory: URL
    let environment: [String: String]

    /// A fresh directory under `scratch`, with `SampleSeries/` copied in and `binary` first on `PATH` as `tidal`.
    init(scratch: URL, binary: URL) throws {
        root = scratch.appendingPathComponent(UUID().uuidString)
        directory = root.appendingPathComponent("work")
        let bin = root.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: bin.appendingPathComponent("tidal"), withDestinationURL: binary)
        try FileManager.default.copyItem(at: TestPaths.sampleSeries, to: directory.appendingPathComponent("SampleSeries"))
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        // No status lines on a pipe: the docs show a terminal's output, where the progress bar is erased.
        environment = TestPaths.childEnvironment(["PATH": bin.path + ":" + path, "TIDAL_STATUS_INTERVAL": "1e9"])
    }

    /// Runs `script` with `/bin/sh -c` in the directory, standard input empty.
    func run(_ script: String) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["-k", "5", String(Self.timeoutSeconds), "/bin/sh", "-c", script]
        process.currentDirectoryURL = directory
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        let start = Date()
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, output: String(decoding: data, as: UTF8.self), seconds: Date().timeIntervalSince(start))
    }

    /// Removes the directory.
    func remove() { try? FileManager.default.removeItem(at: root) }
}
