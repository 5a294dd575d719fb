import Foundation
import TidalTestSupport
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// What a new user meets first: replay behind `tail -f`, forecasts labelled with the time they
/// are for, and `evaluate` saying when it scores rows the model learned from.
final class NewcomerCLITests: XCTestCase {
    let airline = "SampleSeries/airline.csv"

    /// A small forecaster of airline.csv (lookback 12, horizon 2), trained in a second.
    func trainAirline(_ dir: URL, _ extra: [String] = []) throws -> String {
        let model = dir.appendingPathComponent("a.tidal").path
        let run = try TidalBinary.tidal(
            [
                "train", "--data", airline, "--target", "value", "--lookback", "12", "--horizon", "2", "--hidden", "4", "--epochs", "2",
                "--ensemble", "1", "--out", model,
            ] + extra)
        XCTAssertEqual(run.status, 0, run.stderr)
        return model
    }

    func airlineLines() throws -> [String] {
        try String(contentsOfFile: TestPaths.packageRoot.appendingPathComponent(airline).path, encoding: .utf8)
            .split(separator: "\n").map(String.init)
    }

    // MARK: replay behind tail -f

    /// Reads whole lines from a pipe, waiting at most a given time for each.
    final class LineReader {
        let fd: Int32
        var buffer: [UInt8] = []
        init(_ handle: FileHandle) { fd = handle.fileDescriptor }

        func next(timeout seconds: Double = 20) -> String? {
            let deadline = Date().addingTimeInterval(seconds)
            while true {
                if let newline = buffer.firstIndex(of: 0x0A) {
                    let line = String(decoding: buffer[..<newline], as: UTF8.self)
                    buffer.removeFirst(newline + 1)
                    return line
                }
                let left = deadline.timeIntervalSinceNow
                guard left > 0 else { return nil }
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&p, 1, Int32(left * 1000)) > 0 else { return nil }
                var chunk = [UInt8](repeating: 0, count: 4096)
                let n = read(fd, &chunk, chunk.count)
                guard n > 0 else { return nil }
                buffer += chunk[..<n]
            }
        }
    }

    func testReplayBehindTailFollowsAFileThatAlreadyHoldsRows() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let model = try trainAirline(dir)
        let rows = try airlineLines()
        let file = dir.appendingPathComponent("sensor.csv")
        // The file already holds its header and 30 rows, more than `tail -f`'s last ten.
        try (rows[0 ... 30].joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)

        let tail = Process(), replay = Process()
        tail.executableURL = URL(fileURLWithPath: "/usr/bin/tail")
        tail.arguments = ["-n", "+1", "-f", file.path]
        let pipe = Pipe(), out = Pipe(), err = Pipe()
        tail.standardOutput = pipe
        replay.executableURL = TidalBinary.binary
        replay.arguments = ["replay", "--model", model]
        replay.currentDirectoryURL = TestPaths.packageRoot
        replay.environment = TestPaths.childEnvironment()
        replay.standardInput = pipe
        replay.standardOutput = out
        replay.standardError = err
        try tail.run()
        try replay.run()
        defer { if tail.isRunning { tail.terminate() } }
        let reader = LineReader(out.fileHandleForReading)
        XCTAssertEqual(reader.next(), "row,time,time_h1,time_h2,value_h1,value_h2,gap")
        var got: [String] = []
        for k in 12 ... 30 { got.append(try XCTUnwrap(reader.next(), "prediction after row \(k)")) }
        // Each appended row's prediction comes back before the next row is written.
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        try handle.seekToEnd()
        for k in 31 ... 40 {
            try handle.write(contentsOf: Data((rows[k] + "\n").utf8))
            let line = try XCTUnwrap(reader.next(), "no prediction for appended row \(k)")
            XCTAssertTrue(line.hasPrefix("\(k),\(rows[k].prefix(7)),"), line)
            got.append(line)
        }
        tail.terminate()
        tail.waitUntilExit()
        replay.waitUntilExit()
        XCTAssertEqual(replay.terminationStatus, 0)
        let summary = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(summary, "replay: 40 rows read, 29 predictions written, 0 rejected, 11 warming up\n")
        // The same lines as forecast --all on the file as it ended, with the gap column.
        let all = try TidalBinary.tidal(["forecast", "--model", model, "--data", file.path, "--all"])
        XCTAssertEqual(got, all.stdout.split(separator: "\n").dropFirst().map { $0 + ",0" })
    }

    func testAFirstLineOfDataIsNamedAndNoHeaderReadsTheModelsColumns() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let model = try trainAirline(dir)
        let rows = try airlineLines()
        let tailed = rows.suffix(13).joined(separator: "\n") + "\n"  // what `tail` without -n +1 might give
        let refused = try TidalBinary.tidal(["replay", "--model", model], stdin: tailed)
        XCTAssertEqual(refused.status, 1)
        XCTAssertEqual(
            refused.stderr.split(separator: "\n").last,
            "tidal: <stdin>:1: the first line looks like data, not a header; pass --no-header (columns: timestamp,value) "
                + "or start tail with -n +1")
        let read = try TidalBinary.tidal(["replay", "--model", model, "--no-header"], stdin: tailed)
        XCTAssertEqual(read.status, 0, read.stderr)
        let lines = read.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        XCTAssertEqual(lines.first, "row,time,time_h1,time_h2,value_h1,value_h2,gap")
        XCTAssertTrue(lines.last!.hasPrefix("13,1960-12,1961-01,1961-02,"), String(lines.last!))
    }

    // MARK: forecasts labelled with their times

    func testForecastColumnsCarryTheTimeEachStepIsFor() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let model = try trainAirline(dir, ["--level", "80"])
        let wide = try TidalBinary.tidal(["forecast", "--model", model, "--data", airline])
        XCTAssertEqual(wide.status, 0, wide.stderr)
        XCTAssertEqual(wide.stderr, "")
        let lines = wide.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(
            lines.first,
            "row,time,time_h1,time_h2,value_h1,value_h1_lo80,value_h1_hi80,value_h2,value_h2_lo80,value_h2_hi80")
        let fields = lines[1].split(separator: ",").map(String.init)
        XCTAssertEqual(Array(fields[0 ..< 4]), ["144", "1960-12", "1961-01", "1961-02"])
        // --long: one line per step, the same numbers.
        let long = try TidalBinary.tidal(["forecast", "--model", model, "--data", airline, "--long"])
        XCTAssertEqual(long.status, 0, long.stderr)
        XCTAssertEqual(
            long.stdout,
            "row,time,step,forecast_time,value,value_lo80,value_hi80\n"
                + "144,1960-12,1,1961-01,\(fields[4 ..< 7].joined(separator: ","))\n"
                + "144,1960-12,2,1961-02,\(fields[7 ..< 10].joined(separator: ","))\n")
        // JSON lines carry the same names.
        let json = try TidalBinary.tidal(["forecast", "--model", model, "--data", airline, "--all", "--output", "jsonl"])
        let first = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(json.stdout.split(separator: "\n")[0].utf8)) as? [String: Any])
        XCTAssertEqual(first["time"] as? String, "1949-12")
        XCTAssertEqual(first["time_h1"] as? String, "1950-01")
        XCTAssertEqual(first["time_h2"] as? String, "1950-02")
        let longJSON = try TidalBinary.tidal(["forecast", "--model", model, "--data", airline, "--long", "--output", "jsonl"])
        let step2 = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(longJSON.stdout.split(separator: "\n")[1].utf8)) as? [String: Any])
        XCTAssertEqual(step2["step"] as? Int, 2)
        XCTAssertEqual(step2["forecast_time"] as? String, "1961-02")
        XCTAssertNotNil(step2["value_lo80"])
        // Replay writes forecast --all's lines, plus the gap column.
        let all = try TidalBinary.tidal(["forecast", "--model", model, "--data", airline, "--all"])
        let replay = try TidalBinary.tidal(["replay", "--model", model], stdin: try airlineLines().joined(separator: "\n") + "\n")
        XCTAssertEqual(replay.status, 0, replay.stderr)
        let a = all.stdout.split(separator: "\n"), r = replay.stdout.split(separator: "\n")
        XCTAssertEqual(r.first, a.first.map { $0 + ",gap" })
        XCTAssertEqual(Array(r.dropFirst()), a.dropFirst().map { $0 + ",0" })
    }

    /// A CSV of `time,value` rows with the given times and a wave for values.
    func write(times: [String], to url: URL) throws {
        let rows = times.enumerated().map { "\($1),\(String(format: "%.3f", 10 + sin(Double($0) / 3)))" }
        try ((["time,value"] + rows).joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
    }

    func testNumericAndIrregularTimes() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        func forecast(_ times: [String], _ name: String) throws -> TidalBinary.Run {
            let data = dir.appendingPathComponent(name + ".csv"), model = dir.appendingPathComponent(name + ".tidal").path
            try write(times: times, to: data)
            let train = try TidalBinary.tidal([
                "train", "--data", data.path, "--target", "value", "--lookback", "6", "--horizon", "2", "--hidden", "4",
                "--epochs", "1", "--ensemble", "1", "--season", "1", "--out", model,
            ])
            XCTAssertEqual(train.status, 0, train.stderr)
            return try TidalBinary.tidal(["forecast", "--model", model, "--data", data.path])
        }
        // A constant numeric step of 0.5, written with one decimal.
        let numeric = try forecast((0 ..< 60).map { String(format: "%.1f", 100 + Double($0) / 2) }, "numeric")
        XCTAssertEqual(numeric.stderr, "")
        XCTAssertTrue(numeric.stdout.hasPrefix("row,time,time_h1,time_h2,value_h1,value_h2\n60,129.5,130.0,130.5,"), numeric.stdout)
        // Hours across midnight.
        let hourly = try forecast((0 ..< 60).map { String(format: "2024-03-%02dT%02d:00", 1 + $0 / 24, $0 % 24) }, "hourly")
        XCTAssertTrue(hourly.stdout.contains("\n60,2024-03-03T11:00,2024-03-03T12:00,2024-03-03T13:00,"), hourly.stdout)
        // Business days: weekends missing, so no step; today's columns and one note.
        let weekdays = (0 ..< 84).filter { $0 % 7 < 5 }.map { day -> String in
            let (y, m, d) = (2024, 1 + (day >= 31 ? 1 : 0) + (day >= 60 ? 1 : 0), day >= 60 ? day - 59 : day >= 31 ? day - 30 : day + 1)
            return String(format: "%04d-%02d-%02d", y, m, d)
        }
        let irregular = try forecast(weekdays, "weekdays")
        XCTAssertEqual(irregular.status, 0, irregular.stderr)
        XCTAssertTrue(irregular.stdout.hasPrefix("row,time,value_h1,value_h2\n"), irregular.stdout)
        XCTAssertEqual(irregular.stderr.split(separator: "\n").count, 1)
        XCTAssertTrue(irregular.stderr.hasPrefix("tidal: note: the model has no regular step for its time column \"time\""))
    }

    // MARK: honest evaluation

    func testEvaluateSaysWhenTheRowsOverlapTheTrainingRows() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let model = try trainAirline(dir)
        let inspect = try TidalBinary.tidal(["inspect", model])
        XCTAssertTrue(inspect.stdout.contains("learned from rows 1–115, 1949-01 … 1958-07"), inspect.stdout)
        // The training file itself.
        let metrics = dir.appendingPathComponent("eval.json").path
        let same = try TidalBinary.tidal(["evaluate", "--model", model, "--data", airline, "--metrics", metrics])
        XCTAssertEqual(same.status, 0, same.stderr)
        XCTAssertEqual(same.stderr.split(separator: "\n").count, 1)
        XCTAssertTrue(
            same.stderr.hasPrefix(
                "tidal: warning: the evaluated rows overlap the training rows: the file is the one the model was trained on (sha256 "),
            same.stderr)
        XCTAssertTrue(same.stdout.contains("lstm (overlaps training)"), same.stdout)
        XCTAssertFalse(same.stdout.contains("(test)"))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: metrics))) as? [String: Any])
        XCTAssertNotNil(json["overlaps_training"] as? String)
        let rows = try airlineLines()
        // Another file, some of whose scored rows have training times: data rows 100–144 score rows 112–144, of which 112–115 trained.
        let early = dir.appendingPathComponent("early.csv")
        try (([rows[0]] + rows[100...]).joined(separator: "\n") + "\n").write(to: early, atomically: true, encoding: .utf8)
        let inside = try TidalBinary.tidal(["evaluate", "--model", model, "--data", early.path])
        XCTAssertEqual(inside.status, 0, inside.stderr)
        XCTAssertEqual(
            inside.stderr,
            "tidal: warning: the evaluated rows overlap the training rows: 4 of the 33 scored rows have times the model learned from "
                + "(rows 1–115, 1949-01 … 1958-07); these are not test figures\n")
        XCTAssertTrue(inside.stdout.contains("lstm (overlaps training)"), inside.stdout)
        // Only rows after the training part: test figures, no warning.
        let late = dir.appendingPathComponent("late.csv")
        try (([rows[0]] + rows[116...]).joined(separator: "\n") + "\n").write(to: late, atomically: true, encoding: .utf8)
        let test = try TidalBinary.tidal(["evaluate", "--model", model, "--data", late.path])
        XCTAssertEqual(test.status, 0, test.stderr)
        XCTAssertEqual(test.stderr, "")
        XCTAssertTrue(test.stdout.contains("lstm (test)"), test.stdout)
    }
}
