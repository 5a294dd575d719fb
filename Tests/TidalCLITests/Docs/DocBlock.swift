import Foundation

/// One shell command a document shows, with the output it claims for it.
struct DocCommand: Equatable {
    /// The document, relative to the package root (`README.md`, `Docs/getting-started.md`).
    var file: String
    /// The 1-based line of the command in the document.
    var line: Int
    /// What `/bin/sh -c` runs: the command without its `$ `, continuation lines included.
    var script: String
    /// The output lines the document shows; `nil` for a line of a ```sh script, whose output it does not show.
    var expected: [String]?
    /// The 0-based document lines that hold `expected` (empty, placed after the command, when it shows none).
    var outputLines: Range<Int>

    /// `README.md:52`.
    var location: String { "\(file):\(line)" }
}

/// A fenced block of a document whose commands the docs test runs.
struct DocBlock: Equatable {
    /// The document, relative to the package root.
    var file: String
    /// The 1-based line of the opening fence.
    var line: Int
    /// Why the block is not run, from a `<!-- docs-test: skip (reason) -->` line just above it; `nil`: it runs.
    var skipReason: String?
    /// Its commands in document order.
    var commands: [DocCommand]
}

/// A document the docs test cannot read, with the line to fix.
struct DocParseError: Error, CustomStringConvertible, Equatable {
    var file: String
    var line: Int
    var message: String
    var description: String { "\(file):\(line): \(message)" }
}

/// Finds the runnable blocks of a Markdown document.
///
/// A block runs when its fence says `sh`, `bash`, `shell`, `console` or `text` and it holds commands:
/// * a **transcript** has lines starting with `$ `; each is a command (a line ending in `\` continues it),
///   and the lines up to the next `$ ` are its output, compared with what the command prints;
/// * a ```sh (`bash`, `shell`) block without `$ ` is a **script**: every line that is not blank or a
///   `#` comment is a command whose output the document does not show; it only has to succeed.
///
/// A ```text block without `$ ` shows output only and is not a block here. A block preceded by
/// `<!-- docs-test: skip (reason) -->` (blank lines between are allowed) is returned with that reason.
enum DocParser {
    static let shellLanguages: Set<String> = ["sh", "bash", "shell", "console"]
    static let transcriptLanguages: Set<String> = shellLanguages.union(["text"])
    static let markerPrefix = "<!-- docs-test:"

    /// The runnable blocks of `text`, a document at `file`.
    /// - Throws: `DocParseError` for an unclosed fence, a malformed marker, a marker with no runnable block
    ///   below it, or output shown before a transcript's first command.
    static func blocks(in text: String, file: String) throws -> [DocBlock] {
        let lines = text.components(separatedBy: "\n")
        var blocks: [DocBlock] = []
        var pendingMarker: (line: Int, reason: String)?
        var index = 0
        while index < lines.count {
            let line = lines[index]
            if line.hasPrefix("```") {
                let language = String(line.dropFirst(3)).trimmingCharacters(in: .whitespaces)
                guard let close = lines[(index + 1)...].firstIndex(where: { $0.hasPrefix("```") }) else {
                    throw DocParseError(file: file, line: index + 1, message: "a ``` fence is never closed")
                }
                let body = (index + 1) ..< close
                if let block = try block(lines, body, language: language, file: file, skip: pendingMarker?.reason) {
                    blocks.append(block)
                } else if let marker = pendingMarker {
                    throw DocParseError(file: file, line: marker.line, message: "a docs-test marker above a block that has no command")
                }
                pendingMarker = nil
                index = close + 1
                continue
            }
            if line.trimmingCharacters(in: .whitespaces).hasPrefix(markerPrefix) {
                pendingMarker = (index + 1, try skipReason(line, file: file, line: index + 1))
            } else if pendingMarker != nil, !line.trimmingCharacters(in: .whitespaces).isEmpty {
                throw DocParseError(file: file, line: pendingMarker!.line, message: "a docs-test marker must be just above a ``` block")
            }
            index += 1
        }
        return blocks
    }

    /// The reason of `<!-- docs-test: skip (reason) -->`.
    static func skipReason(_ text: String, file: String, line: Int) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let inner = trimmed.dropFirst(markerPrefix.count).trimmingCharacters(in: .whitespaces)
        guard trimmed.hasSuffix("-->"), inner.hasPrefix("skip ("), inner.hasSuffix(") -->"),
            case let reason = inner.dropFirst("skip (".count).dropLast(") -->".count), !reason.isEmpty
        else {
            throw DocParseError(
                file: file, line: line, message: "expected `<!-- docs-test: skip (why it cannot run) -->`, found `\(trimmed)`")
        }
        return String(reason)
    }

    /// The block with body `lines[body]`, or `nil` when it is not runnable.
    static func block(_ lines: [String], _ body: Range<Int>, language: String, file: String, skip: String?) throws -> DocBlock? {
        guard transcriptLanguages.contains(language) else { return nil }
        let isTranscript = lines[body].contains { $0.hasPrefix("$ ") }
        guard isTranscript || shellLanguages.contains(language) else { return nil }
        let commands = isTranscript ? try transcript(lines, body, file: file) : script(lines, body, file: file)
        guard !commands.isEmpty else { return nil }
        return DocBlock(file: file, line: body.lowerBound, skipReason: skip, commands: commands)
    }

    /// The command starting at `lines[start]` (its `$ ` already removed by the caller when `prompt`),
    /// and the index after its last continuation line.
    static func command(_ lines: [String], from start: Int, end: Int, prompt: Bool) -> (String, Int) {
        var parts = [prompt ? String(lines[start].dropFirst(2)) : lines[start]]
        var index = start + 1
        while parts.last!.hasSuffix("\\"), index < end {
            parts.append(lines[index])
            index += 1
        }
        return (parts.joined(separator: "\n"), index)
    }

    /// The commands of a transcript block, each with the output lines that follow it.
    static func transcript(_ lines: [String], _ body: Range<Int>, file: String) throws -> [DocCommand] {
        var commands: [DocCommand] = []
        var index = body.lowerBound
        while index < body.upperBound {
            guard lines[index].hasPrefix("$ ") else {
                throw DocParseError(file: file, line: index + 1, message: "output before the block's first `$ ` command")
            }
            let (script, outputStart) = command(lines, from: index, end: body.upperBound, prompt: true)
            var outputEnd = outputStart
            while outputEnd < body.upperBound, !lines[outputEnd].hasPrefix("$ ") { outputEnd += 1 }
            commands.append(
                DocCommand(
                    file: file, line: index + 1, script: script, expected: Array(lines[outputStart ..< outputEnd]),
                    outputLines: outputStart ..< outputEnd))
            index = outputEnd
        }
        return commands
    }

    /// The commands of a script block: every line that is not blank or a comment.
    static func script(_ lines: [String], _ body: Range<Int>, file: String) -> [DocCommand] {
        var commands: [DocCommand] = []
        var index = body.lowerBound
        while index < body.upperBound {
            let trimmed = lines[index].trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") {
                index += 1
                continue
            }
            let (script, next) = command(lines, from: index, end: body.upperBound, prompt: false)
            commands.append(DocCommand(file: file, line: index + 1, script: script, expected: nil, outputLines: next ..< next))
            index = next
        }
        return commands
    }
}
