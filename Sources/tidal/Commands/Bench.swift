import ArgumentParser
import Foundation
import TidalCore
import TidalData
import TidalModel
import TidalNet

/// `tidal bench`: speed and memory figures, to compare side by side with PyTorch's scripts.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks: training throughput, CSV ingest, replay latency, training time against series length.",
        discussion: """
            Build with `swift build -c release` first: debug builds are 10–50× slower.

            Examples:
              tidal bench train --config A --cell lstm --threads 2
              tidal bench ingest --megabytes 200
              tidal bench replay
              tidal bench scale --json
              tidal bench all --json
            """,
        subcommands: [
            BenchTrain.self, BenchIngest.self, BenchReplay.self, BenchReplaySeries.self, BenchText.self, BenchScale.self, BenchAll.self,
        ]
    )
}

/// Shapes identical to `shared/bench/torch_lstm_bench.py`.
enum BenchConfig: String, ExpressibleByArgument, CaseIterable {
    case A, B, C
    var shape: (input: Int, hidden: Int, layers: Int, steps: Int, batch: Int) {
        switch self {
        case .A: return (1, 64, 1, 48, 64)
        case .B: return (8, 128, 2, 96, 32)
        case .C: return (1, 32, 1, 24, 256)
        }
    }
}

/// Peak resident memory of this process so far, from /proc/self/status (VmHWM), in MB.
func peakResidentMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return .nan }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? .nan
        return kb / 1024
    }
    return .nan
}

func monotonicSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// GFLOP/s of one 1024³ single-precision product on OpenBLAS with `threads` threads (best of 5).
func sgemmGigaflops(threads: Int) -> Double {
    let saved = BLAS.threads
    BLAS.setThreads(threads)
    defer { BLAS.setThreads(saved) }
    let n = 1024
    var g = SeededGenerator(seed: 1)
    let a = (0 ..< n * n).map { _ in g.uniform(-1, 1) }, b = (0 ..< n * n).map { _ in g.uniform(-1, 1) }
    var c = [Float](repeating: 0, count: n * n)
    var best = Double.infinity
    for _ in 0 ..< 5 {
        let start = monotonicSeconds()
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    BLAS.gemm(m: n, n: n, k: n, a: pa.baseAddress!, lda: n, b: pb.baseAddress!, ldb: n, beta: 0, c: pc.baseAddress!, ldc: n)
                }
            }
        }
        best = min(best, monotonicSeconds() - start)
    }
    return 2 * Double(n * n * n) / best / 1e9
}

/// A benchmark result as pretty JSON with sorted keys; a figure that could not be measured (NaN) is "nan".
func benchJSON(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

func printJSON(_ value: some Encodable) throws { Output.line(try benchJSON(value)) }

/// `tidal bench train`: one configuration's training throughput.
struct TrainBenchResult: Codable, Equatable {
    var config: String
    var cell: String
    var threads: Int
    /// Training windows (samples) per second: forward, backward and Adam step, median of three runs.
    var windowsPerSecond: Double
    /// Achieved GFLOP/s: 3 × the forward pass's multiply-adds at that rate.
    var gflops: Double
    var peakRSSMegabytes: Double
    /// One 1024³ SGEMM with the same threads, for scale.
    var sgemmGflops: Double

    enum CodingKeys: String, CodingKey {
        case config, cell, threads, windowsPerSecond = "windows_per_s", gflops, peakRSSMegabytes = "peak_rss_mb", sgemmGflops =
            "sgemm_gflops"
    }
}

/// `tidal bench ingest`: reading one CSV file into a table.
struct IngestBenchResult: Codable, Equatable {
    /// The file read, or "generated".
    var file: String
    /// Its size in MB (10⁶ bytes).
    var megabytes: Double
    var seconds: Double
    var megabytesPerSecond: Double
    var rows: Int
    var columns: Int
    var peakRSSMegabytes: Double

    enum CodingKeys: String, CodingKey {
        case file, megabytes, seconds, megabytesPerSecond = "mb_per_s", rows, columns, peakRSSMegabytes = "peak_rss_mb"
    }
}

/// `tidal bench replay`: one forecasting LSTM shape streamed row by row.
struct ReplayBenchResult: Codable, Equatable {
    var lookback: Int
    var hidden: Int
    var layers: Int
    var rowsPerSecond: Double
    /// Median and 99th percentile of one row's time, bytes in to line written, in µs.
    var p50Microseconds: Double
    var p99Microseconds: Double
    var threads: Int

    enum CodingKeys: String, CodingKey {
        case lookback, hidden, layers, rowsPerSecond = "rows_per_s", p50Microseconds = "p50_us", p99Microseconds = "p99_us", threads
    }
}

/// `tidal bench text`: text classification, training and replay.
struct TextBenchResult: Codable, Equatable {
    var threads: Int
    var trainTokensPerSecond: Double
    var trainDocumentsPerSecond: Double
    var replayTokensPerSecond: Double
    var replayLinesPerSecond: Double

    enum CodingKeys: String, CodingKey {
        case threads, trainTokensPerSecond = "train_tokens_per_s", trainDocumentsPerSecond = "train_documents_per_s"
        case replayTokensPerSecond = "replay_tokens_per_s", replayLinesPerSecond = "replay_lines_per_s"
    }
}

/// `tidal bench all --json`: every benchmark in one document.
struct BenchSummary: Codable, Equatable {
    var train: [TrainBenchResult]
    var replay: [ReplayBenchResult]
    var text: TextBenchResult
    var ingest: IngestBenchResult
    var threads: Int
    var sgemmGflops: Double

    enum CodingKeys: String, CodingKey {
        case train, replay, text, ingest, threads, sgemmGflops = "sgemm_gflops"
    }
}

struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Windows per second of forward + backward + Adam step on generated data, achieved GFLOP/s and peak memory.")

    @Option(help: "A (I1 H64 L1 T48 B64), B (I8 H128 L2 T96 B32) or C (I1 H32 L1 T24 B256).")
    var config: BenchConfig = .A
    @Option(help: "lstm, gru, rnn or rnn-relu.")
    var cell: CellKind = .lstm
    @Option(help: "Threads.")
    var threads: Int = 1
    @Option(help: "Seconds to measure (after a warm-up).")
    var seconds: Double = 2
    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let result = BenchTrain.measure(config: config, cell: cell, threads: threads, seconds: seconds)
        if json {
            try printJSON(result)
        } else {
            Output.line(
                String(
                    format: "train %@ %@, %d thread(s): %.0f windows/s, %.1f GFLOP/s, peak RSS %.1f MB; sgemm 1024³ %.1f GFLOP/s",
                    config.rawValue, cell.rawValue, threads, result.windowsPerSecond, result.gflops,
                    result.peakRSSMegabytes, result.sgemmGflops))
        }
    }

    static func measure(config: BenchConfig, cell: CellKind, threads: Int, seconds: Double) -> TrainBenchResult {
        let (I, H, L, T, B) = config.shape
        let model = SequenceModel(ModelArchitecture(cell: cell, inputSize: I, hiddenSize: H, layers: L, outputSize: 1), seed: 0)
        let adam = Adam(parameters: model.parameters, learningRate: 1e-3)
        // With several threads, split each batch across them (single-threaded BLAS in each).
        let parallel = threads >= 2 ? DataParallel(master: model, parts: threads) : nil
        BLAS.setThreads(parallel == nil ? threads : 1)
        var g = SeededGenerator(seed: 0)
        let xs = (0 ..< 8).map { _ in (0 ..< T * B * I).map { _ in Float(g.normal()) } }
        let ys = (0 ..< 8).map { _ in (0 ..< B).map { _ in Float(g.normal()) } }
        var gradient = [Float](repeating: 0, count: B)
        func step(_ i: Int) {
            xs[i % 8].withUnsafeBufferPointer { x in
                ys[i % 8].withUnsafeBufferPointer { y in
                    if let parallel {
                        _ = parallel.forwardBackward(x.baseAddress!, steps: T, batch: B, mask: nil, training: true) { out, d in
                            RegressionLoss.mse.evaluate(prediction: out, target: y.baseAddress!, count: B, gradient: d)
                        }
                    } else {
                        gradient.withUnsafeMutableBufferPointer { d in
                            model.zeroGradients()
                            let out = model.forward(x.baseAddress!, steps: T, batch: B, training: true)
                            _ = RegressionLoss.mse.evaluate(prediction: out, target: y.baseAddress!, count: B, gradient: d.baseAddress!)
                            model.backward(d.baseAddress!)
                        }
                    }
                }
            }
            adam.step()
        }
        for i in 0 ..< 5 { step(i) }
        var rates: [Double] = []
        for _ in 0 ..< 3 {
            var n = 0
            let start = monotonicSeconds()
            while monotonicSeconds() - start < seconds / 3 { step(n); n += 1 }
            rates.append(Double(n * B) / (monotonicSeconds() - start))
        }
        let rate = rates.sorted()[1]
        var forwardFlops = 0.0
        for l in 0 ..< L { forwardFlops += Double(T) * 2 * Double(cell.gateCount * H) * Double((l == 0 ? I : H) + H) }
        let gflops = rate * 3 * forwardFlops / 1e9
        return TrainBenchResult(
            config: config.rawValue, cell: cell.rawValue, threads: threads, windowsPerSecond: rate, gflops: gflops,
            peakRSSMegabytes: peakResidentMegabytes(), sgemmGflops: sgemmGigaflops(threads: threads))
    }
}

struct BenchIngest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "MB/s and peak memory of reading a CSV of a time column and 8 numeric columns (generated, or --file).")

    @Option(help: "Size of the generated file in MB.")
    var megabytes: Int = 200
    @Option(help: "Read this file instead of generating one (it is kept). Default: a generated file of --megabytes.")
    var file: String?
    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let result = try BenchIngest.measure(megabytes: megabytes, file: file)
        if json {
            try printJSON(result)
        } else {
            Output.line(
                String(
                    format: "ingest %@: %.1f MB in %.2f s = %.1f MB/s, %d rows, peak RSS %.1f MB",
                    result.file, result.megabytes, result.seconds, result.megabytesPerSecond, result.rows, result.peakRSSMegabytes))
        }
    }

    static func measure(megabytes: Int, file: String?) throws -> IngestBenchResult {
        var path = file ?? ""
        if file == nil {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("tidal-ingest-\(getpid()).csv").path
        }
        let registration = file == nil ? TemporaryFiles.register(path) : nil  // removed on a signal too
        defer {
            if file == nil { unlink(path) }
            TemporaryFiles.unregister(registration)
        }
        if file == nil { try generate(path: path, bytes: megabytes << 20) }
        var info = stat()
        guard stat(path, &info) == 0 else { throw CommandError("\(path): cannot read the file: \(String(cString: strerror(errno)))") }
        let size = Double(info.st_size) / 1e6
        let start = monotonicSeconds()
        let table = try Table.load(path: path)
        let elapsed = monotonicSeconds() - start
        return IngestBenchResult(
            file: file ?? "generated", megabytes: size, seconds: elapsed, megabytesPerSecond: size / elapsed,
            rows: table.rowCount, columns: table.names.count, peakRSSMegabytes: peakResidentMegabytes())
    }

    /// Writes `timestamp,c0..c7` rows of random decimals until the file holds `bytes` bytes.
    static func generate(path: String, bytes: Int) throws {
        // A new private file: a planted file or symlink at the predictable name is refused, never written through.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CommandError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        func put(_ text: String) throws {
            let error = Output.writeAll(fd, text)
            if error != 0 { throw CommandError("cannot write \(path): \(String(cString: strerror(error)))") }
        }
        var g = SeededGenerator(seed: 42)
        var chunk = "timestamp,c0,c1,c2,c3,c4,c5,c6,c7\n"
        var written = 0
        var row = 0
        let start = 1_600_000_000
        while written < bytes {
            let t = start + row * 60
            let (y, m, d) = Synthetic.civil(daysSinceEpoch: t / 86400)
            let secs = t % 86400
            chunk += String(format: "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d, secs / 3600, (secs / 60) % 60, secs % 60)
            for _ in 0 ..< 8 { chunk += String(format: ",%.4f", g.normal() * 100) }
            chunk += "\n"
            row += 1
            if chunk.utf8.count > 1 << 20 {
                try put(chunk)
                written += chunk.utf8.count
                chunk = ""
            }
        }
        try put(chunk)
    }
}

struct BenchReplay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Rows per second and p50/p99 latency per row of replay (parse, scale, forward, format, write) for two LSTM shapes.")

    @Option(help: "Rows replayed per shape.")
    var rows: Int = 5000
    @Option(help: "Threads.")
    var threads: Int = 1
    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let results = try BenchReplay.measure(rows: rows, threads: threads)
        if json {
            try printJSON(results)
        } else {
            for r in results {
                Output.line(
                    String(
                        format: "replay lookback %d hidden %d × %d: %.0f rows/s, latency p50 %.1f µs, p99 %.1f µs",
                        r.lookback, r.hidden, r.layers, r.rowsPerSecond, r.p50Microseconds, r.p99Microseconds))
            }
        }
    }

    static func measure(rows: Int, threads: Int) throws -> [ReplayBenchResult] {
        BLAS.setThreads(threads)
        var results: [ReplayBenchResult] = []
        for (lookback, hidden, layers) in [(48, 64, 1), (96, 128, 2)] {
            let spec = ForecastSpec(
                features: ["value"], targets: ["value"], timeColumn: "timestamp", lookback: lookback, horizon: 1,
                difference: 0, scaling: .zscore, normalizer: Normalizer(kind: .zscore, shift: [0], scale: [1]), season: 1)
            let architecture = ModelArchitecture(cell: .lstm, inputSize: 1, hiddenSize: hidden, layers: layers, outputSize: 1)
            let model = TrainedModel(
                schema: .forecast(spec), architecture: architecture, network: SequenceModel(architecture, seed: 1),
                metadata: TrainingMetadata(
                    createdAt: "", dataFile: "", dataSHA256: "", seed: 1, epochs: 0, finalMetrics: [:], tidalVersion: TidalVersion.string))
            var text = "timestamp,value\n"
            for r in 0 ..< rows { text += "\(r),\(String(format: "%.4f", sin(Double(r) / 10)))\n" }
            let devNull = open("/dev/null", O_WRONLY)
            defer { close(devNull) }
            let engine = try ReplayEngine(
                model: model,
                write: { line in
                    line.utf8CString.withUnsafeBufferPointer { _ = Foundation.write(devNull, $0.baseAddress, $0.count - 1) }
                }, warn: { _ in })
            var latencies: [Double] = []
            latencies.reserveCapacity(rows)
            // One chunk per row, as on a pipe: each row's time runs from its bytes arriving to its line written.
            var last = monotonicSeconds()
            let start = last
            try engine.run(source: MemoryByteSource(Array(text.utf8), name: "bench", chunkSize: 1 << 20)) { counts in
                let now = monotonicSeconds()
                if counts.predicted > 0 { latencies.append(now - last) }
                last = now
            }
            let total = monotonicSeconds() - start
            latencies.sort()
            let p50 = latencies[latencies.count / 2] * 1e6, p99 = latencies[min(latencies.count - 1, latencies.count * 99 / 100)] * 1e6
            results.append(
                ReplayBenchResult(
                    lookback: lookback, hidden: hidden, layers: layers, rowsPerSecond: Double(rows) / total,
                    p50Microseconds: p50, p99Microseconds: p99, threads: threads))
        }
        return results
    }
}

struct BenchText: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "text",
        abstract: "Tokens per second of text classification: training (Embedding 64 → LSTM 64 → Linear, batch 32) "
            + "and replay of raw lines.")

    @Option(help: "Threads.")
    var threads: Int = 1
    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let r = try BenchText.measure(threads: threads)
        if json {
            try printJSON(r)
        } else {
            Output.line(
                String(
                    format: "text: training %.0f tokens/s (%.0f documents/s); replay %.0f tokens/s (%.0f lines/s)",
                    r.trainTokensPerSecond, r.trainDocumentsPerSecond, r.replayTokensPerSecond, r.replayLinesPerSecond))
        }
    }

    static func measure(threads: Int) throws -> TextBenchResult {
        BLAS.setThreads(threads)
        var g = SeededGenerator(seed: 5)
        let words = (0 ..< 5000).map { "w\($0)" }
        func document() -> String {
            let n = 8 + Int(g.next() % 24)
            return (0 ..< n).map { _ in words[Int(min(g.unitDouble(), g.unitDouble()) * 5000)] }.joined(separator: " ")
        }
        var csv = "label,text\n"
        for i in 0 ..< 4000 { csv += "\(i % 2 == 0 ? "pos" : "neg"),\(document())\n" }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tidal-bench-text-\(getpid()).csv").path
        let registration = TemporaryFiles.register(path)  // removed on a signal too
        defer {
            unlink(path)
            TemporaryFiles.unregister(registration)
        }
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        var request = TrainingRequest(dataPath: path)
        request.task = .classify
        request.textColumn = "text"
        request.labelColumn = "label"
        request.epochs = 2
        request.batchSize = 32
        request.patience = 100
        request.testFraction = 0
        let outcome = try Training.run(request)
        guard case let .text(spec) = outcome.model.schema else { throw CommandError("the text benchmark trained a non-text model") }
        let lines = csv.split(separator: "\n").dropFirst()
        let tokens = lines.reduce(0) { $0 + spec.encode(String($1.split(separator: ",", maxSplits: 1)[1])).count }
        let trainedDocuments = Double(Int(Double(lines.count) * 0.9)) * Double(outcome.result.epochsRun)
        let trainTokens = Double(tokens) * 0.9 * Double(outcome.result.epochsRun)
        let devNull = open("/dev/null", O_WRONLY)
        defer { close(devNull) }
        let engine = try ReplayEngine(
            model: outcome.model,
            write: { line in
                line.utf8CString.withUnsafeBufferPointer { _ = Foundation.write(devNull, $0.baseAddress, $0.count - 1) }
            }, warn: { _ in })
        let start = monotonicSeconds()
        try engine.run(source: MemoryByteSource(csv, name: "bench"))
        let replaySeconds = monotonicSeconds() - start
        return TextBenchResult(
            threads: threads, trainTokensPerSecond: trainTokens / outcome.result.seconds,
            trainDocumentsPerSecond: trainedDocuments / outcome.result.seconds,
            replayTokensPerSecond: Double(tokens) / replaySeconds, replayLinesPerSecond: Double(lines.count) / replaySeconds)
    }
}

struct BenchAll: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "all", abstract: "Every benchmark; with --json one JSON document.")

    @Option(help: "Threads.")
    var threads: Int = 1
    @Option(help: "Size of the generated ingest file in MB.")
    var megabytes: Int = 200
    @Flag(help: "Print one JSON document.")
    var json = false

    func run() throws {
        var train: [TrainBenchResult] = []
        for (config, cell) in [(BenchConfig.A, CellKind.lstm), (.B, .lstm), (.C, .lstm), (.A, .gru), (.A, .rnn)] {
            let r = BenchTrain.measure(config: config, cell: cell, threads: threads, seconds: 2)
            train.append(r)
            if !json {
                Output.line(
                    String(
                        format: "train %@ %@: %.0f windows/s, %.1f GFLOP/s", config.rawValue, cell.rawValue, r.windowsPerSecond, r.gflops))
            }
        }
        let replay = try BenchReplay.measure(rows: 5000, threads: threads)
        let text = try BenchText.measure(threads: threads)
        let ingest = try BenchIngest.measure(megabytes: megabytes, file: nil)
        if json {
            try printJSON(
                BenchSummary(
                    train: train, replay: replay, text: text, ingest: ingest, threads: threads,
                    sgemmGflops: sgemmGigaflops(threads: threads)))
        } else {
            for r in replay {
                Output.line(
                    String(format: "replay lookback %d: p50 %.1f µs, p99 %.1f µs", r.lookback, r.p50Microseconds, r.p99Microseconds))
            }
            Output.line(String(format: "ingest: %.1f MB/s, peak RSS %.1f MB", ingest.megabytesPerSecond, ingest.peakRSSMegabytes))
        }
    }
}
