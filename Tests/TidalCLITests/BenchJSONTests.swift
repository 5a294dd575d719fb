@testable import tidal
import XCTest

/// The JSON `tidal bench … --json` prints: the key names scripts read (Scripts/bench-vs-torch.sh reads
/// `windows_per_s` and `gflops`), sorted, pretty-printed, and "nan" for a figure that could not be measured.
final class BenchJSONTests: XCTestCase {
    func json(_ value: some Encodable) throws -> String { try benchJSON(value) }

    func keys(_ value: some Encodable) throws -> Set<String> {
        let object = try JSONSerialization.jsonObject(with: Data(try json(value).utf8))
        return Set((object as? [String: Any])?.keys.map { $0 } ?? [])
    }

    let train = TrainBenchResult(
        config: "A", cell: "lstm", threads: 2, windowsPerSecond: 12000.5, gflops: 3.25, peakRSSMegabytes: 40,
        sgemmGflops: 80)
    let ingest = IngestBenchResult(
        file: "generated", megabytes: 1.5, seconds: 0.5, megabytesPerSecond: 3, rows: 100, columns: 8,
        peakRSSMegabytes: .nan)
    let replay = ReplayBenchResult(
        lookback: 48, hidden: 64, layers: 1, rowsPerSecond: 5000, p50Microseconds: 90.5, p99Microseconds: 200,
        threads: 1)
    let text = TextBenchResult(
        threads: 1, trainTokensPerSecond: 1e5, trainDocumentsPerSecond: 5e3, replayTokensPerSecond: 2e5,
        replayLinesPerSecond: 1e4)

    func testEveryBenchmarkKeepsItsKeyNames() throws {
        XCTAssertEqual(try keys(train), ["config", "cell", "threads", "windows_per_s", "gflops", "peak_rss_mb", "sgemm_gflops"])
        XCTAssertEqual(try keys(ingest), ["file", "megabytes", "seconds", "mb_per_s", "rows", "columns", "peak_rss_mb"])
        XCTAssertEqual(try keys(replay), ["lookback", "hidden", "layers", "rows_per_s", "p50_us", "p99_us", "threads"])
        XCTAssertEqual(
            try keys(text), ["threads", "train_tokens_per_s", "train_documents_per_s", "replay_tokens_per_s", "replay_lines_per_s"])
        let all = BenchSummary(train: [train, train], replay: [replay], text: text, ingest: ingest, threads: 2, sgemmGflops: 81)
        XCTAssertEqual(try keys(all), ["train", "replay", "text", "ingest", "threads", "sgemm_gflops"])
    }

    func testJSONIsSortedPrettyAndTyped() throws {
        XCTAssertEqual(
            try json(train),
            """
            {
              "cell" : "lstm",
              "config" : "A",
              "gflops" : 3.25,
              "peak_rss_mb" : 40,
              "sgemm_gflops" : 80,
              "threads" : 2,
              "windows_per_s" : 12000.5
            }
            """)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try json(ingest).utf8)) as? [String: Any])
        XCTAssertEqual(object["peak_rss_mb"] as? String, "nan")
        XCTAssertEqual(object["rows"] as? Int, 100)
        let all = BenchSummary(train: [train], replay: [replay, replay], text: text, ingest: ingest, threads: 2, sgemmGflops: 81)
        let back = try JSONDecoder().decode(
            BenchSummary.self, from: Data(try json(all).replacingOccurrences(of: "\"nan\"", with: "1").utf8))
        XCTAssertEqual(back.replay, [replay, replay])
        XCTAssertEqual(back.train, [train])
        XCTAssertEqual(back.text, text)
    }
}
