import Foundation
import TidalCore

/// Runs a program to completion, as the benchmarks that measure a whole command need: its wall
/// time, its own peak resident memory (`wait4`'s `ru_maxrss`), and its standard output.
enum ChildProcess {
    /// What a finished child did.
    struct Outcome {
        var seconds: Double
        var peakMegabytes: Double
        var stdout: String
    }

    /// This executable, to run `tidal` subcommands as children.
    static let tidal: String = {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }()

    /// Runs `executable` (searched on `PATH` when it holds no `/`) with `arguments`, its standard
    /// output and error captured in files of `scratch`.
    /// - Throws: `CommandError` with the last line of its standard error when it cannot start or exits non-zero.
    static func run(_ executable: String, _ arguments: [String], in scratch: ScratchDirectory) throws -> Outcome {
        let out = scratch.path("child.stdout"), err = scratch.path("child.stderr")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let start = monotonicSeconds()
        let spawned = posix_spawnp(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw CommandError("cannot run \(executable): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            guard errno == EINTR else { throw CommandError("cannot wait for \(executable): \(String(cString: strerror(errno)))") }
        }
        let seconds = monotonicSeconds() - start
        let stdout = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        // Exited normally (no signal) with status 0.
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            let stderr = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
            let last = stderr.split(separator: "\n").last.map(String.init) ?? "no message"
            throw CommandError("\(([executable] + arguments).joined(separator: " ")) failed: \(last)")
        }
        return Outcome(seconds: seconds, peakMegabytes: Double(usage.ru_maxrss) / 1024, stdout: stdout)
    }
}

/// A private temporary directory (`mkdtemp`, mode 0700) whose files are registered with
/// `TemporaryFiles` before they exist, so a signal or an exit removes them with it.
final class ScratchDirectory {
    let root: String
    private var tokens: [TemporaryFiles.Token?] = []
    private var names: Set<String> = []

    /// A new directory `$TMPDIR/tidal-bench-XXXXXX`.
    init() throws {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((base.hasSuffix("/") ? base : base + "/").utf8CString.dropLast()) + Array("tidal-bench-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw CommandError("cannot make a temporary directory in \(base): \(String(cString: strerror(errno)))")
        }
        root = String(cString: made)
        tokens.append(TemporaryFiles.register(root))
    }

    /// The path of `name` inside the directory, registered for removal.
    func path(_ name: String) -> String {
        let path = root + "/" + name
        if names.insert(name).inserted { tokens.append(TemporaryFiles.register(path)) }
        return path
    }

    /// Removes every file it named, then the directory.
    func remove() {
        for name in names { unlink(root + "/" + name) }
        rmdir(root)
        for token in tokens { TemporaryFiles.unregister(token) }
    }
}
