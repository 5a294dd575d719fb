import ArgumentParser
import Foundation

/// `--help` with example commands that copy: ArgumentParser wraps a command's abstract and
/// discussion to the terminal width, breaking a long example in the middle of the command; here
/// an indented discussion line (an example, or a table) is kept on one line, and prose is wrapped
/// as ArgumentParser wraps it.
///
/// ```swift
/// let text = HelpText.render(Forecast.self, columns: 80)
/// // "  tidal forecast --model airline.tidal --data SampleSeries/airline.csv --all > predictions.csv" stays whole
/// ```
enum HelpText {
    /// The help of `command` (a subcommand of `Tidal`), `columns` wide; nil: the terminal's width.
    static func render(_ command: any ParsableCommand.Type, columns: Int? = nil) -> String {
        let width = columns ?? screenWidth()
        return keepingExamplesWhole(Tidal.helpMessage(for: command, columns: width), of: command, columns: width)
    }

    /// `message` with its overview re-wrapped when it is the help of one of tidal's commands at the
    /// terminal's width (what ArgumentParser prints for `--help` and `tidal help …`); any other
    /// message unchanged.
    static func keepingExamplesWhole(_ message: String) -> String {
        let width = screenWidth()
        guard let command = commands(Tidal.self).first(where: { Tidal.helpMessage(for: $0, columns: width) == message }) else {
            return message
        }
        return keepingExamplesWhole(message, of: command, columns: width)
    }

    /// `help` (ArgumentParser's help of `command`) with the overview block, which runs up to the
    /// usage line, replaced by the abstract and discussion wrapped by `wrap`.
    static func keepingExamplesWhole(_ help: String, of command: any ParsableCommand.Type, columns: Int) -> String {
        let configuration = command.configuration
        guard !configuration.abstract.isEmpty, let usage = help.range(of: "\n\nUSAGE: ") else { return help }
        var overview = "OVERVIEW: " + configuration.abstract
        if !configuration.discussion.isEmpty { overview += "\n\n" + configuration.discussion }
        return wrap(overview, columns: columns) + help[usage.lowerBound...]
    }

    /// Wraps each line of `text` at spaces to lines shorter than `columns` characters, except lines
    /// that start with a space: those are kept as written, so an indented command copies whole.
    static func wrap(_ text: String, columns: Int) -> String {
        var out: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.first != " " else {
                out.append(line)
                continue
            }
            var rest = line[...]
            while rest.count > columns {
                let chunk = rest.prefix(columns)
                guard let space = chunk.lastIndex(of: " ") ?? rest.firstIndex(of: " ") else { break }
                out.append(rest[..<space])
                rest = rest[rest.index(after: space)...]
            }
            out.append(rest)
        }
        return out.joined(separator: "\n")
    }

    /// Every command of the tree under `root`, `root` first.
    static func commands(_ root: any ParsableCommand.Type) -> [any ParsableCommand.Type] {
        [root] + root.configuration.subcommands.flatMap { commands($0) }
    }

    /// The width ArgumentParser wraps help to: `COLUMNS`, else the terminal on standard output,
    /// else 80.
    static func screenWidth() -> Int {
        if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap({ Int($0) }) { return columns }
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }
}
