import Foundation
import TidalTestSupport
import XCTest

/// The documents are checked against the tool: Docs/cli.md is its `--help`, and every command that
/// README.md and Docs/*.md show runs and prints what they show.
///
/// `testEveryDocumentedCommandRuns` takes each document's runnable blocks (see ``DocParser``) in order,
/// runs their commands with `/bin/sh -c` in one scratch directory per document (``DocSession``: a copy of
/// `SampleSeries/`, the release `tidal` first on `PATH`), and compares every transcript's output with
/// ``OutputMatcher``: exactly, except that `…` lines stand for any lines, `…` in a line for any text, and
/// numbers with a fraction may differ by a relative 10⁻⁴ (``OutputMatcher/relativeTolerance``). Every
/// command must exit 0. A block that cannot run here (Spark, a benchmark, a feed that never ends) carries
/// `<!-- docs-test: skip (reason) -->` on the line above it; the skipped blocks are counted and listed.
///
/// The figures in the docs come from a release build (debug builds round differently and train 10–50x
/// slower), so the test runs the binary named by `TIDAL_DOCS_BINARY` and fails when it is not set:
/// `swift build -c release --product tidal && TIDAL_DOCS_BINARY=$PWD/.build/release/tidal swift test
/// --filter DocsTests` (what `./setup.sh test` does). `TIDAL_DOCS_UPDATE=1` rewrites the documents'
/// output from what the commands print, keeping the `…` lines, instead of failing on a difference;
/// `TIDAL_DOCS_ONLY=README.md,Docs/long-memory.md` runs only those documents.
final class DocsTests: XCTestCase {
    /// Docs/cli.md is generated from --help; it must match the binary.
    func testCLIReferenceIsCurrent() throws {
        let run = Process()
        run.executableURL = URL(fileURLWithPath: "/bin/bash")
        run.arguments = [TestPaths.packageRoot.appendingPathComponent("Scripts/generate-cli-doc.sh").path, TidalBinary.binary.path]
        run.environment = TestPaths.childEnvironment()
        let out = Pipe()
        run.standardOutput = out
        try run.run()
        let generated = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        run.waitUntilExit()
        let committed = try String(contentsOfFile: TestPaths.packageRoot.appendingPathComponent("Docs/cli.md").path, encoding: .utf8)
        XCTAssertEqual(generated, committed, "Docs/cli.md is out of date: run Scripts/generate-cli-doc.sh > Docs/cli.md")
    }

    /// README.md, then Docs/*.md in name order, relative to the package root; only those named in
    /// `TIDAL_DOCS_ONLY` (comma-separated, `README.md,Docs/long-memory.md`) when it is set.
    static func documents() throws -> [String] {
        let docs = try FileManager.default.contentsOfDirectory(atPath: TestPaths.packageRoot.appendingPathComponent("Docs").path)
        let all = ["README.md"] + docs.filter { $0.hasSuffix(".md") }.sorted().map { "Docs/" + $0 }
        guard let only = ProcessInfo.processInfo.environment["TIDAL_DOCS_ONLY"], !only.isEmpty else { return all }
        let names = only.split(separator: ",").map(String.init)
        if let unknown = names.first(where: { !all.contains($0) }) {
            throw DocsTestError("TIDAL_DOCS_ONLY names \(unknown), which is not one of \(all.joined(separator: ", "))")
        }
        return all.filter(names.contains)
    }

    /// The release binary the docs' figures come from.
    static func releaseBinary() throws -> URL {
        let how =
            "build it and name it: swift build -c release --product tidal && "
            + "TIDAL_DOCS_BINARY=$PWD/.build/release/tidal swift test --filter DocsTests (./setup.sh test does this)"
        guard let path = ProcessInfo.processInfo.environment["TIDAL_DOCS_BINARY"], !path.isEmpty else {
            throw DocsTestError("TIDAL_DOCS_BINARY is not set; the docs test runs every documented command with a release tidal: " + how)
        }
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw DocsTestError("TIDAL_DOCS_BINARY=\(path) is not an executable file; " + how)
        }
        return URL(fileURLWithPath: path)
    }

    func testEveryDocumentedCommandRuns() throws {
        let binary = try Self.releaseBinary()
        let update = ProcessInfo.processInfo.environment["TIDAL_DOCS_UPDATE"] == "1"
        let scratch = try TestPaths.temporaryDirectory(self)
        var tally = DocsTally()
        for file in try Self.documents() {
            let url = TestPaths.packageRoot.appendingPathComponent(file)
            let text = try String(contentsOf: url, encoding: .utf8)
            let blocks = try DocParser.blocks(in: text, file: file)
            let session = try DocSession(scratch: scratch, binary: binary)
            defer { session.remove() }
            var replacements: [(Range<Int>, [String])] = []
            for block in blocks {
                if let reason = block.skipReason {
                    tally.skipped.append("\(block.file):\(block.line) (\(reason))")
                    continue
                }
                tally.blocks += 1
                for command in block.commands {
                    let run = try session.run(command.script)
                    tally.commands += 1
                    tally.timings.append((command.location, run.seconds))
                    if let failure = DocsReport.failure(command, run) { XCTFail(failure) }
                    guard let expected = command.expected else { continue }
                    tally.compared += 1
                    if update {
                        guard let lines = OutputMatcher.updated(expected, run.lines) else {
                            XCTFail("\(command.location): cannot update: the output's lines no longer fit its `…`; edit by hand")
                            continue
                        }
                        if lines != expected { replacements.append((command.outputLines, lines)) }
                    } else if let diff = DocsReport.difference(command, run) {
                        XCTFail(diff)
                    }
                }
            }
            if !replacements.isEmpty { try DocsReport.rewrite(url, text, replacements) }
        }
        print(tally.summary)
        XCTAssertGreaterThan(tally.compared, 0, "no transcript was compared: the parser found no `$ ` block")
    }
}

/// A failure of the docs test's set-up, printed as one line.
struct DocsTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// What the docs test ran and left out.
struct DocsTally {
    var blocks = 0, commands = 0, compared = 0
    /// Each command's place and seconds.
    var timings: [(String, Double)] = []
    var skipped: [String] = []

    /// The counts, the five slowest commands and the skipped blocks.
    var summary: String {
        let seconds = timings.reduce(0) { $0 + $1.1 }
        let slowest = timings.sorted { $0.1 > $1.1 }.prefix(5).map { String(format: "%@ %.0f s", $0.0, $0.1) }
        let head = String(
            format: "docs: %d commands in %d blocks ran in %.0f s (slowest: %@), %d outputs compared; %d blocks skipped",
            commands, blocks, seconds, slowest.joined(separator: ", "), compared, skipped.count)
        return ([head + (skipped.isEmpty ? "" : ":")] + skipped.map { "  " + $0 }).joined(separator: "\n")
    }
}

/// The docs test's messages, and the rewrite of update mode.
enum DocsReport {
    /// The one-line command, for messages: its first line, `…` when it continues.
    static func shortCommand(_ command: DocCommand) -> String {
        let lines = command.script.components(separatedBy: "\n")
        return lines[0].replacingOccurrences(of: "\\", with: "").trimmingCharacters(in: .whitespaces) + (lines.count > 1 ? " …" : "")
    }

    /// A message when the command did not exit 0.
    static func failure(_ command: DocCommand, _ run: DocSession.Run) -> String? {
        guard run.status != 0 else { return nil }
        let why = run.status == 124 ? "was stopped after \(DocSession.timeoutSeconds) s" : "exited with status \(run.status)"
        return "\(command.location): `\(shortCommand(command))` \(why); mark the block `<!-- docs-test: skip (reason) -->` "
            + "if it cannot run here. Its output:\n" + excerpt(run.lines)
    }

    /// A readable difference when the output does not match the document, else `nil`.
    static func difference(_ command: DocCommand, _ run: DocSession.Run) -> String? {
        guard let expected = command.expected, OutputMatcher.match(expected, run.lines) == nil else { return nil }
        let (index, got) = OutputMatcher.firstDifference(expected, run.lines)
        let docLine = command.outputLines.lowerBound + index + 1
        let want = index < expected.count ? expected[index] : "(nothing more)"
        return """
            \(command.location): `\(shortCommand(command))` printed other output than the document shows
              \(command.file):\(docLine) expected: \(want)
              \(String(repeating: " ", count: "\(command.file):\(docLine)".count)) got:      \(got ?? "(no such line)")
            --- expected (\(command.file):\(command.outputLines.lowerBound + 1)-\(command.outputLines.upperBound))
            \(excerpt(expected))
            +++ got
            \(excerpt(run.lines))
            """
    }

    /// At most 40 lines: the first 20 and the last 20.
    static func excerpt(_ lines: [String]) -> String {
        guard lines.count > 40 else { return lines.joined(separator: "\n") }
        return (lines.prefix(20) + ["[… \(lines.count - 40) lines …]"] + lines.suffix(20)).joined(separator: "\n")
    }

    /// Writes `text` back to `url` with each range of lines replaced.
    static func rewrite(_ url: URL, _ text: String, _ replacements: [(Range<Int>, [String])]) throws {
        var lines = text.components(separatedBy: "\n")
        for (range, new) in replacements.sorted(by: { $0.0.lowerBound > $1.0.lowerBound }) {
            lines.replaceSubrange(range, with: new)
        }
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        print("docs: rewrote \(replacements.count) outputs in \(url.lastPathComponent)")
    }
}
