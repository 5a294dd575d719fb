import ArgumentParser
import Foundation
import TidalCore
import TidalData
import TidalModel
import TidalNet

/// `tidal bench replay-series`: replay of many interleaved series, rows per second and peak
/// memory for each series count, every count in its own child process (so each peak is its own).
struct BenchReplaySeries: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay-series",
        abstract: "Replay throughput and peak memory with many live series interleaved (one window per series id).",
        discussion: """
            A generated panel (lookback 48, LSTM hidden 64, random weights): rows arrive round-robin over N series, each \
            series sending lookback + 10 rows, read from one generated stream as fast as replay takes them. Each N runs \
            in a child process, whose peak resident memory (ru_maxrss) is reported beside its rows per second.

            Example:
              tidal bench replay-series --series 1,1000,100000
            """)

    @Option(help: "Series counts to measure (comma-separated).")
    var series: [ListArgument<Int>] = [ListArgument([1, 1000, 100_000])]

    @Option(help: "Rows each series sends after its window is full.")
    var extraRows: Int = 10

    @Option(help: .hidden)
    var child: Int?

    @Flag(help: "Print one JSON object.")
    var json = false

    static let lookback = 48

    func validate() throws {
        if series.flattened().contains(where: { $0 < 1 }) { throw ValidationError("--series counts must be at least 1") }
        if extraRows < 1 { throw ValidationError("--extra-rows must be at least 1") }
    }

    func run() throws {
        try reportingErrors {
            if let child {
                let (rows, seconds) = try Self.replay(series: child, extraRows: extraRows)
                Output.line("\(rows) \(seconds)")
                return
            }
            let scratch = try ScratchDirectory()
            var results: [[String: Double]] = []
            for n in series.flattened() {
                let outcome = try ChildProcess.run(
                    ChildProcess.tidal, ["bench", "replay-series", "--child", "\(n)", "--extra-rows", "\(extraRows)"], in: scratch)
                let parts = outcome.stdout.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
                guard parts.count == 2 else { throw CommandError("the replay child printed \(outcome.stdout)") }
                let r = ["series": Double(n), "rows": parts[0], "rows_per_s": parts[0] / parts[1], "peak_rss_mb": outcome.peakMegabytes]
                results.append(r)
                if !json {
                    Output.line(
                        String(
                            format: "%d series: %.0f rows in %.2f s, %.0f rows/s, peak RSS %.1f MB", n, parts[0], parts[1],
                            r["rows_per_s"]!,
                            outcome.peakMegabytes))
                }
            }
            if json { try printJSON(["results": results]) }
        }
    }

    /// Replays the generated panel of `series` series in this process: rows read and seconds.
    static func replay(series n: Int, extraRows: Int) throws -> (Int, Double) {
        BLAS.setThreads(1)
        var spec = ForecastSpec(
            features: ["value"], targets: ["value"], timeColumn: "t", lookback: lookback, horizon: 1, difference: 0,
            scaling: .window, normalizer: Normalizer(kind: .none, shift: [0], scale: [1]), season: 1)
        spec.seriesColumn = "series"
        let architecture = ModelArchitecture(cell: .lstm, inputSize: 1, hiddenSize: 64, layers: 1, outputSize: 1)
        let model = TrainedModel(
            schema: .forecast(spec), architecture: architecture, network: SequenceModel(architecture, seed: 1),
            metadata: TrainingMetadata(
                createdAt: "", dataFile: "", dataSHA256: "", seed: 1, epochs: 0, finalMetrics: [:], tidalVersion: TidalVersion.string))
        let devNull = open("/dev/null", O_WRONLY)
        defer { close(devNull) }
        let engine = try ReplayEngine(
            model: model,
            write: { line in line.utf8CString.withUnsafeBufferPointer { _ = Foundation.write(devNull, $0.baseAddress, $0.count - 1) } },
            warn: { _ in })
        let source = InterleavedPanel(series: n, rowsPerSeries: lookback + extraRows)
        let start = monotonicSeconds()
        try engine.run(source: source)
        return (engine.counts.read, monotonicSeconds() - start)
    }
}

/// Generated CSV `series,t,value`: row k belongs to series `k mod n` at time `k / n`, made as read.
struct InterleavedPanel: ByteSource {
    let name = "generated"
    let series: Int
    let rowsPerSeries: Int
    private var row = -1  // -1: the header
    private var pending: [UInt8] = []

    init(series: Int, rowsPerSeries: Int) {
        self.series = series
        self.rowsPerSeries = rowsPerSeries
    }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while pending.count < buffer.count && row < series * rowsPerSeries {
            if row < 0 {
                pending += Array("series,t,value\n".utf8)
            } else {
                let s = row % series, t = row / series
                pending += Array("s\(s),\(t),\(Double((s * 7 + t * 3) % 97) / 10)\n".utf8)
            }
            row += 1
        }
        let n = min(buffer.count, pending.count)
        pending.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) }
        pending.removeFirst(n)
        return n
    }
}
