import Foundation
import TidalTestSupport
import XCTest

/// Docs/library.md's program is Sources/tidal-library-example/main.swift, byte for byte, and it runs:
/// it trains, saves, loads and forecasts, and its forecast is the one `tidal forecast` gives for the
/// model it saved.
final class LibraryExampleTests: XCTestCase {
    let root = TestPaths.packageRoot

    /// The built example, found like the `tidal` binary: beside the test bundle, else in .build/debug.
    var example: URL {
        let name = "tidal-library-example"
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name),
            Bundle.main.bundleURL.appendingPathComponent(name),
            root.appendingPathComponent(".build/debug/\(name)"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates.last!
    }

    /// The bodies of the ```swift blocks of a Markdown text.
    func swiftBlocks(_ markdown: String) -> [String] {
        var blocks: [String] = [], current: [String]?
        for line in markdown.components(separatedBy: "\n") {
            let fence = line.trimmingCharacters(in: .whitespaces)
            if current == nil, fence == "```swift" {
                current = []
            } else if current != nil, fence == "```" {
                blocks.append(current!.joined(separator: "\n")); current = nil
            } else {
                current?.append(line)
            }
        }
        return blocks
    }

    func testTheDocumentShowsTheExampleProgram() throws {
        let doc = try String(contentsOf: root.appendingPathComponent("Docs/library.md"), encoding: .utf8)
        let program = try String(
            contentsOf: root.appendingPathComponent("Sources/tidal-library-example/main.swift"),
            encoding: .utf8)
        let programs = swiftBlocks(doc).filter { $0.hasPrefix("import Tidal\n") }
        XCTAssertEqual(programs.count, 1, "Docs/library.md should show one program, a ```swift block starting `import Tidal`")
        let block = try XCTUnwrap(programs.first)
        func trimmed(_ s: String) -> String { s.hasSuffix("\n") ? String(s.dropLast()) : s }
        XCTAssertEqual(
            trimmed(block), trimmed(program),
            "Docs/library.md's program and Sources/tidal-library-example/main.swift differ; copy one onto the other")
    }

    func testTheExampleTrainsSavesLoadsAndForecasts() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let model = dir.appendingPathComponent("airline.tidal").path
        let run = try run(example, [model])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("test MAE: ") }, run.stdout)
        let forecastLine = try XCTUnwrap(lines.last { $0.hasPrefix("forecast after 1960-12: ") }, run.stdout)
        let printed = String(forecastLine.split(separator: " ").last!)
        let value = try XCTUnwrap(Float(printed), forecastLine)
        XCTAssertTrue(value.isFinite && value > 0, forecastLine)
        XCTAssertTrue(FileManager.default.fileExists(atPath: model))

        // The command-line tool reads the saved model and forecasts the same number.
        let cli = try TidalBinary.tidal(["forecast", "--model", model, "--data", "SampleSeries/airline.csv"])
        XCTAssertEqual(cli.status, 0, cli.stderr)
        let last = try XCTUnwrap(cli.stdout.split(separator: "\n").last, cli.stdout)
        XCTAssertEqual(last.split(separator: ",").map(String.init), ["144", "1960-12", "1961-01", printed])
    }

    func run(_ executable: URL, _ arguments: [String]) throws -> TidalBinary.Run {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = root
        process.environment = TestPaths.childEnvironment()
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return TidalBinary.Run(
            status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
            stderr: String(decoding: e, as: UTF8.self))
    }
}
