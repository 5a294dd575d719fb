import TidalCore
import ArgumentParser
import Foundation
import TidalData
import TidalModel

/// `tidal replay`: one prediction per incoming row, written as soon as the row arrives.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stream CSV rows from standard input through a model; each row's prediction is written (and flushed) at once.",
        discussion: """
            Forecasting models keep a rolling window of the last --lookback rows and, from the lookback-th row on, print
            `row,time,<target>_h1,…,gap` — the columns of `tidal forecast --all`, plus `gap` = 1 when the window spans a
            rejected row. Classification models print `row,label,p_<class>…` for each UCR row.
            A bad row is reported on stderr with its line and left out (or stops replay with --strict). At the end, or on
            SIGINT/SIGTERM, one summary line on stderr accounts for every row: read = predicted + warming up + rejected.

            Examples:
              tidal replay --model airline.tidal < SampleSeries/airline.csv
              tail -f /var/log/sensor.csv | tidal replay --model sensor.tidal --output jsonl
            """
    )

    @Option(help: "A model file written by `tidal train --out`.")
    var model: String

    @Option(help: "Output format: csv or jsonl.")
    var output: PredictionFormat = .csv

    @Flag(help: "Stop with a non-zero exit at the first bad row.")
    var strict = false

    @Flag(
        name: .customLong("no-header"), help: "Rows carry no header: columns in the model's order (time column first if the model has one)."
    )
    var noHeader = false

    @Option(help: "Read rows from this file instead of standard input (- = stdin).")
    var input: String = "-"

    func run() throws {
        try reportingErrors {
            let trained = try ModelFile.read(model)
            let sink = ReplaySink(hasHeaderLine: output == .csv)
            let engine = try ReplayEngine(
                model: trained, format: output, strict: strict, hasHeader: !noHeader,
                write: sink.write, warn: { line in Output.error("tidal: " + line + "\n") })
            sink.engine = engine
            ReplaySignals.install()
            do {
                try engine.run(source: FileByteSource(path: input)) { ReplaySignals.publish($0) }
            } catch {
                Output.error(engine.counts.summary + "\n")
                throw error
            }
            Output.error(engine.counts.summary + "\n")
        }
    }
}

/// Replay's standard output: each line written at once with write(2), and counted only once it is
/// written. SIGINT and SIGTERM are held off while a line is written and counted, so the summary a
/// signal prints accounts for exactly the lines that left. A failed write prints the summary (the
/// lines written so far) and ends the process as `Output` does.
final class ReplaySink {
    weak var engine: ReplayEngine?
    private var headerPending: Bool

    init(hasHeaderLine: Bool) { headerPending = hasHeaderLine }

    func write(_ line: String) {
        let error = ReplaySignals.holdingSignals { () -> Int32 in
            let error = Output.writeAll(1, line)
            let isHeader = headerPending
            headerPending = false
            if error == 0, !isHeader, var counts = engine?.counts {
                counts.predicted += 1  // the engine counts the line after this returns
                ReplaySignals.store(counts)
            }
            return error
        }
        guard error != 0 else { return }
        if let c = engine?.counts {
            let unwritten = c.read - c.predicted - c.rejected - c.warming
            Output.error(c.summary + ", \(unwritten) not written (standard output failed)\n")
        }
        Output.failStandardOutput(error)
    }
}

/// The summary line on SIGINT/SIGTERM, written from the signal handler with async-signal-safe calls only.
enum ReplaySignals {
    nonisolated(unsafe) static var read = 0
    nonisolated(unsafe) static var predicted = 0
    nonisolated(unsafe) static var rejected = 0
    nonisolated(unsafe) static var warming = 0

    /// Stores the counts the handler prints, with the signals held off so it never sees half of them.
    static func publish(_ c: ReplayCounts) { holdingSignals { store(c) } }

    static func store(_ c: ReplayCounts) {
        read = c.read; predicted = c.predicted; rejected = c.rejected; warming = c.warming
    }

    /// Runs `body` with SIGINT and SIGTERM blocked; one that arrives meanwhile is handled right after.
    static func holdingSignals<T>(_ body: () -> T) -> T {
        var blocked = sigset_t(), saved = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGINT)
        sigaddset(&blocked, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &blocked, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        return body()
    }

    static func install() {
        let handler: @convention(c) (Int32) -> Void = { signal in
            var buffer = [UInt8](repeating: 0, count: 256)
            var n = 0
            func put(_ s: StaticString) { s.withUTF8Buffer { for b in $0 where n < 255 { buffer[n] = b; n += 1 } } }
            func put(_ v: Int) {
                var digits = [UInt8](repeating: 0, count: 20)
                var k = 0, x = v
                repeat { digits[k] = UInt8(48 + x % 10); x /= 10; k += 1 } while x > 0 && k < 20
                while k > 0 && n < 255 { k -= 1; buffer[n] = digits[k]; n += 1 }
            }
            put("tidal: replay: "); put(ReplaySignals.read); put(" rows read, "); put(ReplaySignals.predicted)
            put(" predictions written, "); put(ReplaySignals.rejected); put(" rejected, "); put(ReplaySignals.warming);
            put(" warming up (interrupted)\n")
            buffer.withUnsafeBytes { _ = Foundation.write(2, $0.baseAddress, n) }
            TemporaryFiles.cleanUp()
            _exit(128 + signal)
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }
}
