import Foundation
import TidalTestSupport
import XCTest

/// Runs the built `tidal` binary, as a user would.
enum TidalBinary {
    struct Run { var status: Int32; var stdout: String; var stderr: String }

    static var binary: URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tidal"),
            Bundle.main.bundleURL.appendingPathComponent("tidal"),
            TestPaths.packageRoot.appendingPathComponent(".build/debug/tidal"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates.last!
    }

    @discardableResult
    static func tidal(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        process.currentDirectoryURL = TestPaths.packageRoot
        process.environment = TestPaths.childEnvironment(environment)
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}

final class CLITests: XCTestCase {
    @discardableResult
    func tidal(_ arguments: [String], stdin: String? = nil) throws -> TidalBinary.Run { try TidalBinary.tidal(arguments, stdin: stdin) }

    /// The first `count` lines of a file in SampleSeries/, each ending in a newline.
    func firstLines(_ count: Int, of file: String) throws -> String {
        let text = try String(contentsOfFile: TestPaths.sampleSeries.appendingPathComponent(file).path, encoding: .utf8)
        return text.split(separator: "\n").prefix(count).joined(separator: "\n") + "\n"
    }

    let airline = "SampleSeries/airline.csv"

    func testHelpListsTheCommands() throws {
        let help = try tidal(["--help"])
        XCTAssertEqual(help.status, 0)
        for command in ["describe", "train", "evaluate", "forecast", "replay", "inspect"] {
            XCTAssertTrue(help.stdout.contains(command), command)
        }
    }

    func testDescribeFileAndStdin() throws {
        let run = try tidal(["describe", airline, "--lookback", "24"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("144 rows"))
        XCTAssertTrue(run.stdout.contains("windows (lookback 24, horizon 1, stride 1): train 91, validation 0, test 29"))
        let piped = try tidal(["describe", "-"], stdin: "time,value\n2020-01,1\n2020-02,2\n")
        XCTAssertEqual(piped.status, 0)
        XCTAssertTrue(piped.stdout.contains("<stdin>: 2 rows"))
    }

    func testBadInputExitsNonZeroWithALocatedMessage() throws {
        let cases: [(String, String)] = [
            ("time,value\n2020-01,1\n2020-02,2\n2020-03,x7\n", "tidal: <stdin>:4:2: column \"value\": expected a number, found \"x7\"\n"),
            ("a,b\n1,2\n3\n", "tidal: <stdin>:3: expected 2 fields, found 1; every row needs as many fields as the header\n"),
            ("a,b\n1,\"2\n", "tidal: <stdin>:2: a quoted field is never closed; add the closing \" or remove the opening one\n"),
            ("", "tidal: <stdin>: the input is empty; give a CSV file with a header row and data rows\n"),
        ]
        for (input, message) in cases {
            let run = try tidal(["describe", "-"], stdin: input)
            XCTAssertNotEqual(run.status, 0)
            XCTAssertEqual(run.stderr, message)
            XCTAssertEqual(run.stdout, "")
        }
    }

    func testTrainForecastReplayInspectEvaluate() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let model = dir.appendingPathComponent("a.tidal").path, metrics = dir.appendingPathComponent("m.json").path
        let plots = dir.appendingPathComponent("plots").path
        let train = try tidal([
            "train", "--data", airline, "--target", "value", "--lookback", "12", "--horizon", "2", "--season", "12",
            "--hidden", "8", "--epochs", "3", "--out", model, "--metrics", metrics, "--plots", plots,
        ])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stdout.contains("Epoch [1/"), train.stdout)
        XCTAssertNotNil(train.stdout.range(of: #"Epoch \[\d+/\d+\], Train Loss: \d+\.\d{4}, Test MAE: "#, options: .regularExpression))
        XCTAssertTrue(train.stdout.contains("seasonal_naive"))
        // No progress bar when stderr is not a terminal; three epochs may earn a warning about the baselines.
        XCTAssertTrue(train.stderr.split(separator: "\n").allSatisfy { $0.hasPrefix("tidal: warning: ") }, train.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: metrics))) as! [String: Any]
        XCTAssertEqual(json["task"] as? String, "forecast")
        XCTAssertNotNil((json["test"] as? [String: Any])?["mase"])
        XCTAssertEqual(((json["baselines"] as? [String: Any])?["naive"] as? [String: Any])?["mae"] as? Double ?? 0, 74.3, accuracy: 100)
        try PlotCLITests.checkPlots(in: plots, expecting: ["loss.svg", "test_mae.svg", "forecast.svg"])
        let forecast = try tidal(["forecast", "--model", model, "--data", airline, "--all"])
        XCTAssertEqual(forecast.status, 0, forecast.stderr)
        let lines = forecast.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first, "row,time,time_h1,time_h2,value_h1,value_h2")
        XCTAssertEqual(lines.count, 1 + 144 - 12 + 1)
        XCTAssertTrue(lines[1].hasPrefix("12,1949-12,1950-01,1950-02,"))
        let last = try tidal(["forecast", "--model", model, "--data", airline])
        XCTAssertEqual(last.stdout.split(separator: "\n").count, 2)
        XCTAssertTrue(last.stdout.contains("144,1960-12,1961-01,1961-02,"))

        let replay = try tidal(
            ["replay", "--model", model],
            stdin: try String(contentsOfFile: TestPaths.packageRoot.appendingPathComponent(airline).path, encoding: .utf8))
        XCTAssertEqual(replay.status, 0, replay.stderr)
        let replayLines = replay.stdout.split(separator: "\n")
        XCTAssertEqual(replayLines.count, lines.count)
        for (f, r) in zip(lines.dropFirst(), replayLines.dropFirst()) { XCTAssertEqual(String(r), f + ",0") }
        XCTAssertEqual(replay.stderr, "replay: 144 rows read, 133 predictions written, 0 rejected, 11 warming up\n")

        let inspect = try tidal(["inspect", model])
        XCTAssertEqual(inspect.status, 0)
        XCTAssertTrue(inspect.stdout.contains("lstm.weight_hh_l0 [32, 8]"), inspect.stdout)
        let inspectJSON = try tidal(["inspect", model, "--json"])
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(inspectJSON.stdout.utf8)) as? [String: Any])
        let evaluate = try tidal(["evaluate", "--model", model, "--data", airline])
        XCTAssertEqual(evaluate.status, 0, evaluate.stderr)
        XCTAssertTrue(evaluate.stdout.contains("naive"))

        // A damaged model is refused with one line and a non-zero exit.
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: model)))
        bytes[bytes.count / 2] ^= 0xFF
        let damaged = dir.appendingPathComponent("d.tidal").path
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        let refused = try tidal(["replay", "--model", damaged], stdin: "timestamp,value\n")
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.hasPrefix("tidal: \(damaged): model file is damaged"), refused.stderr)
        XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1)
    }

    func testClassificationEndToEnd() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let model = dir.appendingPathComponent("c.tidal").path
        let run = try tidal([
            "train", "--task", "classify", "--data", "SampleSeries/ItalyPowerDemand_TRAIN.csv",
            "--test", "SampleSeries/ItalyPowerDemand_TEST.csv", "--hidden", "8", "--epochs", "2", "--out", model,
            "--plots", dir.path,
        ])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertNotNil(
            run.stdout.range(
                of: #"Epoch \[2/2\], Train Loss: \d+\.\d{4}, Train Acc: \d+\.\d%, Test Acc: \d+\.\d%"#, options: .regularExpression),
            run.stdout)
        XCTAssertTrue(run.stdout.contains("majority"))
        XCTAssertTrue(run.stdout.contains("confusion"))
        try PlotCLITests.checkPlots(in: dir.path, expecting: ["loss.svg", "accuracy.svg", "confusion.svg"])
        let rows = try firstLines(6, of: "ItalyPowerDemand_TEST.csv")
        let replay = try tidal(["replay", "--model", model], stdin: rows)
        XCTAssertEqual(replay.status, 0, replay.stderr)
        XCTAssertEqual(replay.stdout.split(separator: "\n").first, "row,label,p_1,p_2")
        XCTAssertEqual(replay.stdout.split(separator: "\n").count, 6)
    }

    func testClassifyingWindowsOfALabelledSeries() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let model = dir.appendingPathComponent("w.tidal").path
        let run = try tidal([
            "train", "--task", "classify", "--label", "state", "--lookback", "6", "--data", "SampleSeries/sensor.csv",
            "--hidden", "4", "--epochs", "1", "--out", model,
        ])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("classify windows of 6 rows by \"state\""), run.stdout)
        let rows =
            try String(contentsOfFile: TestPaths.sampleSeries.appendingPathComponent("sensor.csv").path, encoding: .utf8)
            .split(separator: "\n").prefix(21).joined(separator: "\n") + "\n"
        let replay = try tidal(["replay", "--model", model], stdin: rows)
        XCTAssertEqual(replay.status, 0, replay.stderr)
        let lines = replay.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first, "row,time,label,p_fault,p_ok,gap")
        XCTAssertEqual(lines.count, 1 + 20 - 6 + 1)
        XCTAssertTrue(lines[1].hasPrefix("6,2024-01-01T05:00:00,"), String(lines[1]))
        XCTAssertTrue(lines.dropFirst().allSatisfy { $0.hasSuffix(",0") }, "no gap without a rejected row")
        XCTAssertEqual(replay.stderr, "replay: 20 rows read, 15 predictions written, 0 rejected, 5 warming up\n")
    }

    func testWindowClassificationWithACategoricalColumn() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let lines = try String(contentsOfFile: TestPaths.sampleSeries.appendingPathComponent("sensor.csv").path, encoding: .utf8).split(
            separator: "\n")
        var csv = String(lines[0]) + ",hour\n"
        for line in lines.dropFirst() { csv += String(line) + "," + String(line.dropFirst(11).prefix(2)) + "\n" }
        let data = dir.appendingPathComponent("sensor_hour.csv").path, model = dir.appendingPathComponent("c.tidal").path
        try csv.write(toFile: data, atomically: true, encoding: .utf8)
        let run = try tidal([
            "train", "--task", "classify", "--label", "state", "--categorical", "hour", "--lookback", "6", "--data", data,
            "--hidden", "4", "--epochs", "1", "--out", model, "--quiet",
        ])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(try tidal(["inspect", model]).stdout.contains("categorical0.weight [25, 10]"))
        let replay = try tidal(["replay", "--model", model], stdin: csv.split(separator: "\n").prefix(11).joined(separator: "\n") + "\n")
        XCTAssertEqual(replay.status, 0, replay.stderr)
        XCTAssertEqual(replay.stdout.split(separator: "\n").count, 1 + 10 - 6 + 1)
        let missing = try tidal(["replay", "--model", model], stdin: String(lines[0]) + "\n")
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("\"hour\""), missing.stderr)
    }

    func testWindowLabelsThatLookNumericAndUnseenClassesAreReported() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        var csv = "time,v,state\n"
        for i in 1 ... 40 { csv += "\(i),\(i % 7),\(i > 35 ? "new" : String(i % 2))\n" }
        let data = dir.appendingPathComponent("s.csv").path
        try csv.write(toFile: data, atomically: true, encoding: .utf8)
        let run = try tidal([
            "train", "--task", "classify", "--label", "state", "--lookback", "3", "--data", data, "--epochs", "1", "--hidden", "2",
        ])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("5 validation/test windows of classes absent from training left out of scoring"), run.stdout)
    }

    /// `--data -` trains on standard input exactly as on the file: the same epoch lines and table, the same metrics
    /// JSON (but the time taken), a model that forecasts the same values and records the same data digest.
    func testTrainReadsStandardInput() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let csv = try String(contentsOfFile: TestPaths.sampleSeries.appendingPathComponent("airline.csv").path, encoding: .utf8)
        func train(_ data: String, _ name: String, stdin: String?) throws -> (stdout: [Substring], metrics: [String: Any], model: String) {
            let model = dir.appendingPathComponent("\(name).tidal").path, metrics = dir.appendingPathComponent("\(name).json").path
            let run = try tidal(
                [
                    "train", "--data", data, "--lookback", "12", "--hidden", "4", "--epochs", "2", "--seed", "3",
                    "--metrics", metrics, "--out", model,
                ], stdin: stdin)
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertTrue(run.stderr.split(separator: "\n").allSatisfy { $0.hasPrefix("tidal: warning: ") }, run.stderr)
            XCTAssertTrue(run.stdout.hasSuffix("model written to \(model)\n"), run.stdout)
            var json = try XCTUnwrap(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: metrics))) as? [String: Any])
            XCTAssertNotNil(json.removeValue(forKey: "train_seconds"))
            return (run.stdout.split(separator: "\n").dropLast(), json, model)
        }
        let piped = try train("-", "stdin", stdin: csv)
        let file = try train(airline, "file", stdin: nil)
        XCTAssertEqual(piped.stdout, file.stdout)
        XCTAssertTrue(piped.stdout.contains { $0.hasPrefix("Epoch [2/2], Train Loss: ") }, "\(piped.stdout)")
        XCTAssertEqual(piped.metrics["task"] as? String, "forecast")
        XCTAssertEqual((piped.metrics["history"] as? [Any])?.count, 2)
        XCTAssertNotNil((piped.metrics["test"] as? [String: Any])?["mae"])
        XCTAssertEqual(NSDictionary(dictionary: piped.metrics), NSDictionary(dictionary: file.metrics))

        let forecasts = try [piped.model, file.model].map { model -> String in
            let run = try tidal(["forecast", "--model", model, "--data", airline, "--all"])
            XCTAssertEqual(run.status, 0, run.stderr)
            return run.stdout
        }
        XCTAssertEqual(forecasts[0].split(separator: "\n").count, 1 + 144 - 12 + 1)
        XCTAssertEqual(forecasts[0], forecasts[1])

        let metadata = try [piped.model, file.model].map { model -> [String: Any] in
            let run = try tidal(["inspect", model, "--json"])
            XCTAssertEqual(run.status, 0, run.stderr)
            let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            return try XCTUnwrap(json["metadata"] as? [String: Any])
        }
        XCTAssertEqual(metadata[0]["data_sha256"] as? String, metadata[1]["data_sha256"] as? String)
        XCTAssertEqual(metadata[0]["seed"] as? Int, 3)
        XCTAssertEqual(metadata[1]["data_file"] as? String, "airline.csv")
        // Standard input was spooled to stdin.csv in a private temporary directory, removed when training
        // ended (ReliabilityCLITests.testStandardInputSpoolLeavesNothingBehind checks the removal).
        XCTAssertEqual(metadata[0]["data_file"] as? String, "stdin.csv")
    }

    /// `bench ingest --json` runs and prints one object with today's keys (BenchJSONTests covers every benchmark's JSON).
    func testBenchIngestPrintsJSON() throws {
        let run = try tidal(["bench", "ingest", "--megabytes", "1", "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let ingest = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(Set(ingest.keys), ["file", "megabytes", "seconds", "mb_per_s", "rows", "columns", "peak_rss_mb"])
        XCTAssertEqual(ingest["file"] as? String, "generated")
        XCTAssertEqual(ingest["columns"] as? Int, 8)
        XCTAssertGreaterThan(ingest["rows"] as? Int ?? 0, 10000)
        XCTAssertGreaterThan(ingest["mb_per_s"] as? Double ?? 0, 0)
        let text = try tidal(["bench", "ingest", "--megabytes", "1"])
        XCTAssertNotNil(
            text.stdout.range(
                of: #"^ingest generated: 1\.0 MB in \d+\.\d\d s = \d+\.\d MB/s, \d+ rows, peak RSS \d+\.\d MB\n$"#,
                options: .regularExpression), text.stdout)
    }

    func testCompareWritesResultsAndPlots() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let metrics = dir.appendingPathComponent("cmp.json").path
        let run = try tidal([
            "compare", "--cells", "rnn,gru,lstm", "--task", "classify", "--data", "SampleSeries/recall_lag50_train.csv",
            "--test", "SampleSeries/recall_lag50_test.csv", "--hidden", "4", "--epochs", "1", "--quiet",
            "--metrics", metrics, "--plots", dir.path,
        ])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.hasPrefix("cell  test accuracy  macro-F1  parameters  epochs  train s\n"), run.stdout)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: metrics))) as! [String: Any]
        let results = json["results"] as! [[String: Any]]
        XCTAssertEqual(results.map { $0["cell"] as! String }, ["rnn", "gru", "lstm"])
        XCTAssertNotNil((results[0]["test"] as? [String: Any])?["accuracy"])
        try PlotCLITests.checkPlots(in: dir.path, expecting: ["compare_loss.svg", "compare_gradients.svg"])
        // Every cell reads the same input: the default patch, where train would cross-validate patch lengths.
        let loud = try tidal([
            "compare", "--cells", "rnn,lstm", "--task", "classify", "--data", "SampleSeries/recall_lag50_train.csv",
            "--test", "SampleSeries/recall_lag50_test.csv", "--hidden", "4", "--epochs", "1",
        ])
        XCTAssertEqual(loud.status, 0, loud.stderr)
        XCTAssertEqual(loud.stdout.components(separatedBy: "length up to 60, patch 1, 2 classes;").count, 3, loud.stdout)
        let train = try tidal([
            "train", "--task", "classify", "--data", "SampleSeries/recall_lag50_train.csv",
            "--test", "SampleSeries/recall_lag50_test.csv", "--hidden", "4", "--epochs", "1",
        ])
        XCTAssertTrue(train.stdout.contains("patch chosen by 4-fold cross-validation"), train.stdout)
    }

    func testUsageAndDataErrors() throws {
        let missing = try tidal(["train", "--data", airline, "--target", "close"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertEqual(missing.stderr, "tidal: \(airline): no column \"close\"; the columns are: \"timestamp\", \"value\"\n")
        let long = try tidal(["train", "--data", airline, "--target", "value", "--lookback", "200"])
        XCTAssertNotEqual(long.status, 0)
        XCTAssertTrue(long.stderr.contains("--lookback 200 is not shorter than the 115 training rows"), long.stderr)
        let patience = try tidal(["train", "--data", airline, "--patience", "3"])
        XCTAssertNotEqual(patience.status, 0)
        XCTAssertTrue(patience.stderr.contains("--patience needs a validation part"), patience.stderr)
        let dir = try TestPaths.temporaryDirectory(self)
        let oneClass = dir.appendingPathComponent("one.csv").path
        try "label,t0,t1\na,1,2\na,2,3\na,3,4\n".write(toFile: oneClass, atomically: true, encoding: .utf8)
        let single = try tidal(["train", "--task", "classify", "--data", oneClass, "--test", oneClass])
        XCTAssertNotEqual(single.status, 0)
        XCTAssertTrue(single.stderr.contains("only one class"), single.stderr)
        let nan = try tidal([
            "train", "--data", airline, "--lr", "1e30", "--epochs", "2", "--normalize", "none", "--difference", "0", "--clip", "0",
        ])
        XCTAssertNotEqual(nan.status, 0)
        XCTAssertTrue(nan.stderr.contains("NaN") && nan.stderr.contains("--lr"), nan.stderr)
        for flags in [["--bidirectional"], ["--pool", "attention"]] {
            let forecaster = try tidal(["train", "--data", airline] + flags)
            XCTAssertNotEqual(forecaster.status, 0)
            XCTAssertTrue(forecaster.stderr.contains("is for classify and regress: a forecaster reads the window's end"), forecaster.stderr)
        }
        let unknown = try tidal(["train", "--task", "classify", "--data", oneClass, "--pool", "median"])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.contains("median"), unknown.stderr)
    }

    func testBidirectionalPooledClassifierEndToEnd() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let model = dir.appendingPathComponent("b.tidal").path
        let run = try tidal([
            "train", "--task", "classify", "--data", "SampleSeries/ItalyPowerDemand_TRAIN.csv",
            "--test", "SampleSeries/ItalyPowerDemand_TEST.csv", "--hidden", "4", "--epochs", "1", "--bidirectional", "--pool", "attention",
            "--out", model, "--quiet",
        ])
        XCTAssertEqual(run.status, 0, run.stderr)
        let inspect = try tidal(["inspect", model])
        XCTAssertTrue(inspect.stdout.contains(", bidirectional, attention pooling"), inspect.stdout)
        XCTAssertTrue(
            inspect.stdout.contains("lstm.weight_ih_l0_reverse [16, 1]") && inspect.stdout.contains("pool.vector [4]"), inspect.stdout)
        let json = try JSONSerialization.jsonObject(with: Data(try tidal(["inspect", model, "--json"]).stdout.utf8)) as? [String: Any]
        let architecture = json?["architecture"] as? [String: Any]
        XCTAssertEqual(architecture?["bidirectional"] as? Bool, true)
        XCTAssertEqual(architecture?["pool"] as? String, "attention")
        let rows = try firstLines(4, of: "ItalyPowerDemand_TEST.csv")
        let replay = try tidal(["replay", "--model", model], stdin: rows)
        XCTAssertEqual(replay.status, 0, replay.stderr)
        XCTAssertEqual(
            replay.stdout.split(separator: "\n").count, 4, "the output header, then a line per row after the first (read as the header)")
    }
}

final class ModelFormatScriptTests: XCTestCase {
    /// Docs/model-format.md promises a short Python reader; run it when Python and zstandard are installed.
    func testPythonReaderReadsTheWeights() throws {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-c", "import zstandard"]
        check.standardError = FileHandle.nullDevice
        do { try check.run(); check.waitUntilExit() } catch { throw XCTSkip("no python3") }
        guard check.terminationStatus == 0 else { throw XCTSkip("python3 has no zstandard package") }
        let dir = try TestPaths.temporaryDirectory(self)
        let model = dir.appendingPathComponent("m.tidal").path
        let train = try TidalBinary.tidal([
            "train", "--data", "SampleSeries/airline.csv", "--hidden", "4", "--epochs", "1", "--out", model, "--quiet",
        ])
        XCTAssertEqual(train.status, 0, train.stderr)
        let run = Process()
        run.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        run.arguments = ["python3", TestPaths.packageRoot.appendingPathComponent("Scripts/read_tidal_model.py").path, model]
        let out = Pipe()
        run.standardOutput = out
        try run.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        run.waitUntilExit()
        XCTAssertEqual(run.terminationStatus, 0)
        XCTAssertTrue(text.contains("lstm.weight_hh_l0 16x4"), text)
        XCTAssertTrue(text.contains("head.weight 1x4"), text)
    }
}

final class SampleSeriesTests: XCTestCase {
    /// SampleSeries/README.md names the command that made each generated file; rerunning it gives the same bytes.
    func testGeneratedSampleFilesMatchTheirCommands() throws {
        let cases: [(String, [String])] = [
            (
                "recall_lag50_train.csv",
                ["synth", "recall", "--length", "60", "--lag", "50", "--samples", "600", "--classes", "2", "--seed", "7"]
            ),
            (
                "recall_lag50_test.csv",
                ["synth", "recall", "--length", "60", "--lag", "50", "--samples", "200", "--classes", "2", "--seed", "8"]
            ),
            ("sensor.csv", ["synth", "sensor", "--rows", "2000", "--seed", "3"]),
            ("adding.csv", ["synth", "adding", "--length", "30", "--samples", "300", "--seed", "1"]),
        ]
        for (file, arguments) in cases {
            let run = try TidalBinary.tidal(arguments)
            XCTAssertEqual(run.status, 0)
            let committed = try String(contentsOfFile: TestPaths.sampleSeries.appendingPathComponent(file).path, encoding: .utf8)
            XCTAssertTrue(run.stdout == committed, "\(file) differs from `tidal \(arguments.joined(separator: " "))`")
        }
    }
}
