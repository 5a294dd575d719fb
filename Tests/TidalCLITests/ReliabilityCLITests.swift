import Foundation
import TidalTestSupport
import XCTest

/// The built binary against hostile outputs: full devices, closed pipes, paths that would destroy
/// an input, planted symlinks, and signals while a temporary copy of standard input exists.
final class ReliabilityCLITests: XCTestCase {
    struct Run { var status: Int32; var stdout: String; var stderr: String }

    let airline = TestPaths.packageRoot.appendingPathComponent("SampleSeries/airline.csv").path
    let tiny = ["--target", "value", "--lookback", "12", "--epochs", "1", "--hidden", "8", "--quiet"]

    /// Runs a bash script with `$TIDAL` set to the binary, in `directory`.
    func shell(_ script: String, in directory: URL, environment: [String: String] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script]
        process.currentDirectoryURL = directory
        var env = TestPaths.childEnvironment(["TIDAL": TidalBinary.binary.path])
        env.merge(environment) { _, new in new }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// A directory holding `in.csv` (the airline series) and `m.tidal`, a model trained on it.
    func workspace() throws -> URL {
        let dir = try TestPaths.temporaryDirectory(self)
        try FileManager.default.copyItem(atPath: airline, toPath: dir.appendingPathComponent("in.csv").path)
        let run = try TidalBinary.tidal(
            ["train", "--data", dir.appendingPathComponent("in.csv").path, "--out", dir.path + "/m.tidal"] + tiny)
        XCTAssertEqual(run.status, 0, run.stderr)
        return dir
    }

    func testEveryCommandReportsAFullDevice() throws {
        let dir = try workspace()
        let commands = [
            "forecast --model m.tidal --data in.csv", "forecast --model m.tidal --data in.csv --all",
            "predict --model m.tidal --data in.csv",
            "replay --model m.tidal --input in.csv", "describe in.csv", "inspect m.tidal", "inspect m.tidal --json",
            "evaluate --model m.tidal --data in.csv", "synth sensor --rows 10", "--help",
        ]
        for command in commands {
            let run = try shell("\"$TIDAL\" \(command) > /dev/full", in: dir)
            XCTAssertEqual(run.status, 1, command)
            XCTAssertTrue(
                run.stderr.hasSuffix("tidal: cannot write to standard output: No space left on device\n"), "\(command): \(run.stderr)")
        }
        let replay = try shell("\"$TIDAL\" replay --model m.tidal < in.csv > /dev/full", in: dir)
        XCTAssertTrue(replay.stderr.contains("0 predictions written"), replay.stderr)
        XCTAssertFalse(replay.stderr.contains("277"), replay.stderr)
    }

    func testAClosedStandardOutputIsReported() throws {
        let dir = try workspace()
        let run = try shell("\"$TIDAL\" forecast --model m.tidal --data in.csv >&-", in: dir)
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.hasPrefix("tidal: cannot write to standard output: "), run.stderr)
    }

    func testAReaderThatGoesAwayEndsQuietlyWith141() throws {
        let dir = try workspace()
        // A pipe whose reading end is already closed: the first write fails with EPIPE.
        for arguments in [
            ["forecast", "--model", "m.tidal", "--data", "in.csv", "--all"], ["predict", "--model", "m.tidal", "--data", "in.csv"],
        ] {
            let process = Process()
            process.executableURL = TidalBinary.binary
            process.arguments = arguments
            process.currentDirectoryURL = dir
            process.environment = TestPaths.childEnvironment()
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try out.fileHandleForReading.close()
            try process.run()
            let e = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .exit, "\(arguments)")
            XCTAssertEqual(process.terminationStatus, 141, "\(arguments)")
            XCTAssertEqual(String(decoding: e, as: UTF8.self), "", "\(arguments)")
        }
        // `| head -1`, with SIGPIPE at its default and ignored by the shell.
        for trap in ["", "trap '' PIPE; "] {
            let run = try shell(trap + "\"$TIDAL\" synth recall --samples 20000 | head -1; echo \"status ${PIPESTATUS[0]}\"", in: dir)
            XCTAssertTrue(run.stdout.hasSuffix("status 141\n"), trap + run.stdout.suffix(40))
            XCTAssertEqual(run.stderr, "", trap)
        }
    }

    func testOutputPathsThatWouldDestroyAreRefusedBeforeTraining() throws {
        let dir = try workspace()
        let italy = TestPaths.packageRoot.appendingPathComponent("SampleSeries/ItalyPowerDemand_").path
        try FileManager.default.copyItem(atPath: italy + "TEST.csv", toPath: dir.path + "/test.csv")
        let original = try Data(contentsOf: dir.appendingPathComponent("in.csv"))
        let test = try Data(contentsOf: dir.appendingPathComponent("test.csv"))
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/link.tidal", withDestinationPath: "in.csv")
        try FileManager.default.createDirectory(atPath: dir.path + "/plots", withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/plots/loss.svg", withDestinationPath: "../in.csv")
        let t = tiny.joined(separator: " ")
        let classify = "--task classify --data \(italy)TRAIN.csv --test test.csv --epochs 1 --quiet"
        let cases: [(String, String)] = [
            ("--data in.csv \(t) --out in.csv", "--out in.csv is the --data file"),
            ("--data in.csv \(t) --metrics ./in.csv", "--metrics ./in.csv is the --data file"),
            ("--data in.csv \(t) --out x.tidal --metrics x.tidal", "--metrics x.tidal is also the --out path"),
            ("\(classify) --out test.csv", "--out test.csv is the --test file"),
            ("--data in.csv \(t) --out link.tidal", "--out link.tidal is the --data file"),
            ("--data in.csv \(t) --plots plots", "--plots plots/loss.svg is the --data file"),
            ("--data in.csv \(t) --out new.tidal --metrics nodir/m.json", "--metrics nodir/m.json: the directory nodir does not exist"),
            ("--data in.csv \(t) --out new.tidal --metrics plots", "--metrics plots is a directory"),
            ("--data in.csv \(t) --out new.tidal --plots in.csv", "--plots in.csv is a file, not a directory"),
            ("--data in.csv \(t) --out /dev/null", "--out /dev/null is a character device"),
        ]
        for (arguments, message) in cases {
            let run = try shell("\"$TIDAL\" train \(arguments)", in: dir)
            XCTAssertEqual(run.status, 1, arguments)
            XCTAssertTrue(run.stderr.hasPrefix("tidal: " + message), "\(arguments): \(run.stderr)")
            XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
            XCTAssertFalse(run.stderr.contains("Usage"), run.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path + "/new.tidal"), "trained before refusing: \(arguments)")
        }
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("in.csv")), original)
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("test.csv")), test)
        for (flags, message) in [
            ("--metrics in.csv", "--metrics in.csv is the --data file"), ("--plots m.tidal", "--plots m.tidal is a file"),
        ] {
            for command in ["evaluate --model m.tidal --data in.csv", "compare --cells rnn --data in.csv \(t)"] {
                let run = try shell("\"$TIDAL\" \(command) \(flags)", in: dir)
                XCTAssertEqual(run.status, 1, command)
                XCTAssertTrue(run.stderr.hasPrefix("tidal: " + message), "\(command): \(run.stderr)")
            }
        }
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("in.csv")), original)
    }

    func testSpecialAndReadOnlyOutputsAreRefused() throws {
        let dir = try workspace()
        XCTAssertEqual(mkfifo(dir.path + "/fifo", 0o644), 0)
        _ = FileManager.default.createFile(
            atPath: dir.path + "/ro.tidal", contents: Data("keep".utf8), attributes: [.posixPermissions: 0o444])
        let t = tiny.joined(separator: " ")
        for (out, message) in [("fifo", "is a FIFO"), ("/dev/null", "is a character device"), ("ro.tidal", "is read-only")] {
            let run = try shell("\"$TIDAL\" train --data in.csv \(t) --out \(out)", in: dir)
            XCTAssertEqual(run.status, 1, out)
            XCTAssertTrue(run.stderr.contains(message), run.stderr)
        }
        var info = stat()
        XCTAssertEqual(lstat(dir.path + "/fifo", &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO)
        XCTAssertEqual(try String(contentsOfFile: dir.path + "/ro.tidal", encoding: .utf8), "keep")
    }

    func testASymlinkOutputIsReplacedNotWrittenThrough() throws {
        let dir = try workspace()
        _ = FileManager.default.createFile(atPath: dir.path + "/victim", contents: Data("victim".utf8))
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/out.tidal", withDestinationPath: "victim")
        let run = try shell("\"$TIDAL\" train --data in.csv \(tiny.joined(separator: " ")) --out out.tidal", in: dir)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try String(contentsOfFile: dir.path + "/victim", encoding: .utf8), "victim")
        var info = stat()
        XCTAssertEqual(lstat(dir.path + "/out.tidal", &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFREG)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [])
    }

    func testStandardInputSpoolLeavesNothingBehind() throws {
        let dir = try workspace()
        let temporary = dir.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: false)
        let done = try shell(
            "\"$TIDAL\" train --data - \(tiny.joined(separator: " ")) --out s.tidal < in.csv", in: dir,
            environment: ["TMPDIR": temporary.path])
        XCTAssertEqual(done.status, 0, done.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: temporary.path), [])
        for signal in ["TERM", "INT"] {
            // Start a long training from stdin, wait for its private spool directory, then signal it.
            let script = """
                "$TIDAL" train --data - --target value --lookback 12 --epochs 100000 --hidden 8 --quiet < in.csv & pid=$!
                for i in $(seq 100); do [ -n "$(ls -A "$TMPDIR")" ] && break; sleep 0.1; done
                ls -A "$TMPDIR"; stat -c %a "$TMPDIR"/tidal-*; kill -\(signal) $pid; wait $pid; echo "status $?"; ls -A "$TMPDIR"
                """
            let run = try shell(script, in: dir, environment: ["TMPDIR": temporary.path])
            let lines = run.stdout.split(separator: "\n")
            XCTAssertEqual(lines.count, 3, run.stdout + run.stderr)
            XCTAssertTrue(lines.first?.hasPrefix("tidal-") == true, run.stdout)
            XCTAssertEqual(lines.dropFirst().first, "700", run.stdout)
            XCTAssertEqual(lines.last, signal == "TERM" ? "status 143" : "status 130", run.stdout)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: temporary.path), [], signal)
        }
    }

    func testMessages() throws {
        let dir = try workspace()
        let bare = try TidalBinary.tidal([])
        XCTAssertEqual(bare.status, 64)
        XCTAssertEqual(bare.stdout, "")
        XCTAssertTrue(bare.stderr.contains("USAGE: tidal <subcommand>"), bare.stderr)
        let negative = try TidalBinary.tidal(["train", "--data", airline, "--epochs", "-5"])
        XCTAssertTrue(negative.stderr.hasPrefix("Error: --epochs must lie in 1...1000000, not -5"), negative.stderr)
        let data = dir.path + "/in.csv", missing = dir.path + "/missing.tidal"
        for (model, message) in [(missing, "No such file or directory"), (dir.path, "not a regular file")] {
            let run = try TidalBinary.tidal(["forecast", "--model", model, "--data", data])
            XCTAssertEqual(run.status, 1)
            XCTAssertEqual(run.stderr, "tidal: \(model): cannot read the model file: \(message)\n")
        }
    }
}
