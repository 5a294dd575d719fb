import ArgumentParser
import Foundation
import TidalCore
import TidalData

/// The `tidal` command: a thin root; every subcommand lives in its own file.
@main
struct Tidal: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tidal",
        abstract: "Deep learning on time series: train recurrent models on CSV, forecast, classify, replay live rows.",
        discussion: """
            Examples:
              tidal describe SampleSeries/airline.csv --lookback 24
              tidal train --data SampleSeries/airline.csv --target value --lookback 24 --season 12 --out airline.tidal
              tidal forecast --model airline.tidal --data SampleSeries/airline.csv
              tail -n +1 -f readings.csv | tidal replay --model airline.tidal
            """,
        version: TidalVersion.string,
        subcommands: [
            Describe.self, Train.self, Evaluate.self, Forecast.self, Replay.self, Predict.self, Inspect.self, Compare.self, Synth.self,
            Bench.self,
        ]
    )

    /// The entry point: SIGPIPE ignored and temporary files cleaned on signals (`Output.prepare`); no
    /// arguments prints the help on stderr with status 64 (EX_USAGE); help and version text go
    /// through `Output`, so a failed write is reported like any other, with example commands kept
    /// on one line (`HelpText`). Flag errors found while parsing keep ArgumentParser's message and
    /// usage; any error a command throws while running is one `tidal: …` line (`reportingErrors`).
    static func main() {
        Output.prepare()
        let arguments = joiningNegativeValues(Array(CommandLine.arguments.dropFirst()))
        if arguments.isEmpty {
            Output.error(HelpText.render(Tidal.self) + "\n")
            Foundation.exit(64)
        }
        do {
            var command = try parseAsRoot(arguments)
            do {
                try command.run()
            } catch let error where !(error is ExitCode) && exitCode(for: error) != .success {
                try reportingErrors { throw error }
            }
        } catch {
            if exitCode(for: error) == .success {
                let message = HelpText.keepingExamplesWhole(fullMessage(for: error))
                if !message.isEmpty { Output.line(message) }
                Foundation.exit(0)
            }
            exit(withError: error)
        }
    }

    /// `--epochs -5` as `--epochs=-5`: ArgumentParser takes a value that starts with `-` for a flag and
    /// reports "Missing value", where the range check would say what is wrong with -5.
    static func joiningNegativeValues(_ arguments: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "--" { return out + arguments[i...] }
            if a.hasPrefix("--"), !a.contains("="), i + 1 < arguments.count {
                let next = arguments[i + 1]
                if next.count > 1, next.hasPrefix("-"), Double(next) != nil {
                    out.append(a + "=" + next)
                    i += 2
                    continue
                }
            }
            out.append(a)
            i += 1
        }
        return out
    }
}
