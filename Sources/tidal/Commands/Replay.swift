import TidalCore
import ArgumentParser
import Synchronization
import Foundation
import TidalData
import TidalModel

/// `tidal replay`: one prediction per incoming row, written as soon as the row arrives.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stream CSV rows from standard input through a model; each row's prediction is written (and flushed) at once.",
        discussion: """
            The first line is a header (columns matched by name); with --no-header rows hold the model's columns in \
            order. Follow a growing file with `tail -n +1 -f`: plain `tail -f` starts at the last ten lines, and a first \
            line that reads as a row is refused with that advice. The output header is written at once.

            Forecasting models keep a rolling window of the last --lookback rows and, from the lookback-th row on, print \
            `row,time,time_h1,…,<target>_h1,…,gap` — the columns of `tidal forecast --all`, plus `gap` = 1 when the \
            window spans a rejected row. Classification models print `row,label,p_<class>…` for each UCR row. \
            A bad row is reported on stderr with its line and left out (or stops replay with --strict). At the end, or on \
            SIGINT/SIGTERM, one summary line on stderr accounts for every row: read = predicted + warming up + rejected.

            Examples:
              tidal replay --model airline.tidal < SampleSeries/airline.csv
              tail -n +1 -f /var/log/sensor.csv | tidal replay --model sensor.tidal --output jsonl
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

    @Option(
        help:
            """
            Alert level in percent (e.g. 99) for a forecaster trained with --level: each row's value is compared with the band the \
            model predicted for it one row earlier; lines gain anomaly (0/1) and score (how far outside, in half-widths; 0 inside).
            """)
    var alert: Double?

    func validate() throws {
        if let alert, !(alert > 0 && alert < 100) { throw ValidationError("--alert takes a level in percent between 0 and 100, e.g. 99") }
    }

    @Option(help: "Read rows from this file instead of standard input (- = stdin).")
    var input: String = "-"

    func run() throws {
        try reportingErrors {
            let trained = try ModelFile.read(model)
            let sink = ReplaySink()
            let engine = try ReplayEngine(
                model: trained, format: output, strict: strict, hasHeader: !noHeader, alert: alert,
                write: sink.write, warn: { line in Output.error("tidal: " + line + "\n") })
            sink.engine = engine
            ReplaySignals.install()
            do {
                try engine.run(source: FileByteSource(path: input), onCounts: ReplaySignals.publish, willWrite: ReplaySignals.willWrite)
            } catch {
                Output.error(engine.counts.summary + "\n")
                throw error
            }
            Output.error(engine.counts.summary + "\n")
        }
    }
}

/// Replay's standard output: each line written at once with write(2). The engine calls
/// `ReplaySignals.willWrite` before a prediction line and publishes the counts that include it after
/// this returns, so the summary a signal prints accounts for exactly the lines that left. A failed
/// write prints the summary (the lines written so far) and ends the process as `Output` does.
final class ReplaySink {
    weak var engine: ReplayEngine?

    func write(_ line: String) {
        let error = Output.writeAll(1, line)
        guard error != 0 else { return }
        if let c = engine?.counts {
            let unwritten = c.read - c.predicted - c.rejected - c.warming
            Output.error(c.summary + ", \(unwritten) not written (standard output failed)\n")
        }
        Output.failStandardOutput(error)
    }
}

/// The summary line on SIGINT/SIGTERM, written from the signal handler with async-signal-safe calls only.
///
/// The summary must count exactly the lines written. Two things make that hold:
/// - The counts are a snapshot written in one go: `publish` fills the slot the handler is not
///   reading, then switches `current` with one atomic store, so a handler that interrupts
///   `publish` reads the previous complete snapshot, never half of each.
/// - Between `willWrite` (just before a prediction line goes out) and the `publish` that counts
///   it, no snapshot is right: the write may or may not have happened (a signal that arrives
///   during write(2) runs its handler when the call returns, before the count). A signal in that
///   window is held (`pending`); `publish` stores the counts that include the line, and then,
///   seeing the pending signal, writes the summary and exits. A second signal while one is held
///   (a write blocked on a full pipe) exits at once with the last snapshot.
/// The flags are sequentially consistent atomics, so the handler (on any thread) and `publish`
/// cannot both miss the other: one of them writes the summary, once (`exiting`).
enum ReplaySignals {
    /// Two snapshots of (read, predicted, rejected, warming); `current` says which one is complete.
    nonisolated(unsafe) static let slots = UnsafeMutablePointer<Int>.allocate(capacity: 8)
    static let current = Atomic<Int>(0)
    /// True from `willWrite` until the `publish` that counts the line.
    static let writing = Atomic<Bool>(false)
    /// The signal held while `writing`, or 0.
    static let pending = Atomic<Int32>(0)
    static let exiting = Atomic<Bool>(false)

    static func willWrite() { writing.store(true, ordering: .sequentiallyConsistent) }

    static func publish(_ c: ReplayCounts) {
        let next = 1 - current.load(ordering: .sequentiallyConsistent)
        let slot = slots + 4 * next
        slot[0] = c.read; slot[1] = c.predicted; slot[2] = c.rejected; slot[3] = c.warming
        current.store(next, ordering: .sequentiallyConsistent)
        writing.store(false, ordering: .sequentiallyConsistent)
        let signal = pending.load(ordering: .sequentiallyConsistent)
        if signal != 0 { summarizeAndExit(signal) }
    }

    /// Writes the interrupted summary from the complete snapshot and exits 128 + `signal`; only the first caller does.
    static func summarizeAndExit(_ signal: Int32) {
        guard !exiting.exchange(true, ordering: .sequentiallyConsistent) else { return }
        let counts = slots + 4 * current.load(ordering: .sequentiallyConsistent)
        // Stack memory only: the handler may have interrupted malloc.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { buffer in
            var n = 0
            func put(_ s: StaticString) { s.withUTF8Buffer { for b in $0 where n < 255 { buffer[n] = b; n += 1 } } }
            func put(_ v: Int) {
                var divisor = 1
                while divisor <= v / 10 { divisor *= 10 }
                repeat {
                    if n < 255 { buffer[n] = UInt8(48 + (v / divisor) % 10); n += 1 }
                    divisor /= 10
                } while divisor > 0
            }
            put("tidal: replay: "); put(counts[0]); put(" rows read, "); put(counts[1])
            put(" predictions written, "); put(counts[2]); put(" rejected, "); put(counts[3])
            put(" warming up (interrupted)\n")
            _ = Foundation.write(2, buffer.baseAddress, n)
        }
        TemporaryFiles.cleanUp()
        _exit(128 + signal)
    }

    static func install() {
        // Touch every static now: their lazy one-time initialisation must not first run inside the handler.
        slots.initialize(repeating: 0, count: 8)
        current.store(0, ordering: .sequentiallyConsistent)
        writing.store(false, ordering: .sequentiallyConsistent)
        pending.store(0, ordering: .sequentiallyConsistent)
        exiting.store(false, ordering: .sequentiallyConsistent)
        let handler: @convention(c) (Int32) -> Void = { signal in
            // A second signal while one is held: exit now (the write may be blocked for good).
            if ReplaySignals.pending.exchange(signal, ordering: .sequentiallyConsistent) != 0 {
                ReplaySignals.summarizeAndExit(signal)
            }
            // Not inside a write: the snapshot is exact. Inside one: `publish` finishes the job.
            if !ReplaySignals.writing.load(ordering: .sequentiallyConsistent) { ReplaySignals.summarizeAndExit(signal) }
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }
}
